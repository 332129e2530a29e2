/* mem.c - aborting allocators and the arena; see mem.h. */
#include "mem.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void oom(size_t n)
{
	fprintf(stderr, "mapsvc: out of memory (asked for %zu bytes)\n", n);
	abort();
}

/* [lo, lo + n) widened to whole pages (rounded out) or narrowed to them
 * (rounded in); false when nothing is left.  An address, not a pointer:
 * the bytes there are not read (and may not be written yet). */
static bool page_span(uintptr_t lo, size_t n, bool out, uintptr_t *a, uintptr_t *e)
{
	long ps = sysconf(_SC_PAGESIZE);
	uintptr_t m = (uintptr_t)(ps > 0 ? ps : 4096) - 1, hi = lo + n;
	*a = out ? lo & ~m : (lo + m) & ~m;
	*e = out ? (hi + m) & ~m : hi & ~m;
	return *a < *e;
}

/* A large block (its own mapping, see mem.h) asks for transparent huge
 * pages: a million sites' arrays are filled in 2 MiB faults instead of 512
 * of 4 KiB each, and read with a TLB entry per 2 MiB.  Advice only: where
 * the kernel has none to give, nothing changes. */
static void *advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	uintptr_t a, e;
	if (n >= MS_MMAP_THRESHOLD && page_span((uintptr_t)p, n, true, &a, &e))
		madvise((void *)a, e - a, MADV_HUGEPAGE);
#endif
	return p;
}

/* A block of n >= MS_HUGE_PAGE bytes, starting on a huge page's boundary
 * (its own mapping: the alignment's padding takes it past
 * MS_MMAP_THRESHOLD).  malloc maps a large block a header past a page
 * boundary, so up to 2 MiB at its start was filled by 4 KiB faults, and a
 * block under MS_MMAP_THRESHOLD (a million 32-bit values) came from a heap
 * in 4 KiB pages only.  On a virtual machine such a fault costs about what
 * a whole huge page does: a million sites' start-up took 50,000 of them.
 * The part after the last whole huge page keeps small pages, rather than
 * hold up to 2 MiB it would never use. */
static void *huge_block(size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, MS_HUGE_PAGE, n) != 0)
		oom(n);
#ifdef MADV_HUGEPAGE
	madvise(p, n & ~(size_t)(MS_HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
	return p;
}

void *xmalloc(size_t n)
{
	if (n >= MS_HUGE_PAGE) /* asks for huge pages itself */
		return huge_block(n);
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return advise_huge(p, n);
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return advise_huge(p, count * size);
}

void *xmalloc_lazy(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	/* Its whole pages: a block malloc made of freed ones (its heap, or a
	 * mapping it kept) gives them back, to be filled again when written
	 * (the bytes are undefined anyway); and where the kernel gives huge
	 * pages unasked, it is told not to. */
	uintptr_t a, e;
	if (n >= MS_HUGE_PAGE && page_span((uintptr_t)p, n, false, &a, &e)) {
		madvise((void *)a, e - a, MADV_DONTNEED);
#ifdef MADV_NOHUGEPAGE
		madvise((void *)a, e - a, MADV_NOHUGEPAGE);
#endif
	}
	return p;
}

/* A block growing out of a heap to MS_HUGE_PAGE or more moves to one of
 * huge_block's; one already that large grows where realloc puts it (a
 * mapping moved, not copied: copying a million sites' growing arrays
 * raised the start-up's peak by 20 MB). */
void *xrealloc(void *p, size_t n)
{
	size_t had = p && n >= MS_HUGE_PAGE ? malloc_usable_size(p) : 0;
	if (n >= MS_HUGE_PAGE && had < MS_HUGE_PAGE) {
		void *q = huge_block(n);
		if (p)
			memcpy(q, p, had);
		free(p);
		return q;
	}
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return advise_huge(q, n);
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* Chunks grow geometrically so that a million short strings cost a few
 * dozen mallocs; a large request gets a chunk of its own. */
struct chunk {
	struct chunk *next;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct chunk *head;
	struct chunk *spare; /* emptied by arena_reset, to be filled again */
	size_t total;
};

static void free_chunks(struct chunk *c)
{
	for (struct chunk *next; c; c = next) {
		next = c->next;
		free(c);
	}
}

struct arena *arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	free_chunks(a->head);
	free_chunks(a->spare);
	free(a);
}

void arena_reset(struct arena *a)
{
	while (a->head) {
		struct chunk *c = a->head;
		a->head = c->next;
		c->used = 0;
		c->next = a->spare;
		a->spare = c;
	}
}

/* A spare chunk of at least n bytes, taken from the spare list, or NULL. */
static struct chunk *take_spare(struct arena *a, size_t n)
{
	for (struct chunk **pp = &a->spare; *pp; pp = &(*pp)->next)
		if ((*pp)->cap >= n) {
			struct chunk *c = *pp;
			*pp = c->next;
			return c;
		}
	return NULL;
}

void *arena_alloc_raw(struct arena *a, size_t n, size_t align)
{
	struct chunk *c = a->head;
	size_t off = c ? (c->used + align - 1) & ~(align - 1) : 0;
	if (!c || off > c->cap || c->cap - off < n) {
		struct chunk *spare = take_spare(a, n);
		if (spare) {
			c = spare;
		} else {
			size_t cap = c ? c->cap * 2 : 64 * 1024;
			if (cap > 8 * 1024 * 1024)
				cap = 8 * 1024 * 1024;
			if (cap < n)
				cap = n;
			c = xmalloc(sizeof *c + cap);
			c->cap = cap;
			a->total += sizeof *c + cap;
		}
		c->next = a->head;
		a->head = c;
		off = 0;
	}
	c->used = off + n;
	return c->data + off;
}

void *arena_alloc(struct arena *a, size_t n)
{
	void *p = arena_alloc_raw(a, n, _Alignof(max_align_t));
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc_raw(a, n + 1, 1); /* text needs no alignment */
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

/* Gives back the pages of chunk c past what it holds.  A large chunk has
 * huge pages (advise_huge), so the one its filling stopped in holds up to
 * 2 MiB it may never use: a million sites' text, loaded in four arenas,
 * held 8 MB more.  They come back, zeroed, if the chunk is filled on. */
static void give_back_tail(struct chunk *c)
{
#ifdef MADV_DONTNEED
	uintptr_t a, e;
	if (sizeof *c + c->cap >= MS_MMAP_THRESHOLD &&
	    page_span((uintptr_t)(c->data + c->used), c->cap - c->used, false, &a, &e))
		madvise((void *)a, e - a, MADV_DONTNEED);
#endif
}

void arena_adopt(struct arena *a, struct arena *from)
{
	if (!from)
		return;
	if (from->head)
		give_back_tail(from->head);
	if (a->head)
		give_back_tail(a->head);
	for (struct chunk *c = from->spare; c; c = c->next)
		from->total -= sizeof *c + c->cap; /* freed, not adopted */
	free_chunks(from->spare);
	struct chunk *last = from->head;
	while (last && last->next)
		last = last->next;
	if (last) {
		/* from's chunks go behind a's head, which stays the one that
		 * allocates next. */
		if (a->head) {
			last->next = a->head->next;
			a->head->next = from->head;
		} else {
			a->head = from->head;
		}
		a->total += from->total;
	}
	free(from);
}

size_t arena_size(const struct arena *a)
{
	return a->total;
}

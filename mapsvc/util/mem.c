/* mem.c - aborting allocators and the arena; see mem.h. */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "mapsvc: out of memory (asked for %zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
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
	size_t total;
};

struct arena *arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *arena_alloc_raw(struct arena *a, size_t n, size_t align)
{
	struct chunk *c = a->head;
	size_t off = c ? (c->used + align - 1) & ~(align - 1) : 0;
	if (!c || off > c->cap || c->cap - off < n) {
		size_t cap = c ? c->cap * 2 : 64 * 1024;
		if (cap > 8 * 1024 * 1024)
			cap = 8 * 1024 * 1024;
		if (cap < n)
			cap = n;
		c = xmalloc(sizeof *c + cap);
		c->cap = cap;
		c->next = a->head;
		a->head = c;
		a->total += sizeof *c + cap;
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

void arena_adopt(struct arena *a, struct arena *from)
{
	if (!from)
		return;
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

/* test_util_mem.c - util/mem: the aborting allocators and the string
 * arena (alignment, zero fill, copies, chunk growth, large requests), the
 * huge-page advice on large blocks and the pages an adopted arena gives
 * back. */
#include <inttypes.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "util/mem.h"

/* Enough short strings to fill several of the arena's growing chunks. */
#define MANY_STRINGS 200000
/* Above the arena's largest chunk (8 MiB): gets a chunk of its own. */
#define HUGE_REQUEST (9u << 20)

static void test_allocators(void)
{
	void *p = xmalloc(0); /* never NULL, even for nothing */
	CHECK(p != NULL);
	free(p);
	unsigned char *z = xcalloc(100, 3);
	size_t nonzero = 0;
	for (int i = 0; i < 300; i++)
		nonzero += z[i] != 0;
	CHECK_INT(nonzero, 0);
	z = xrealloc(z, 100000);
	CHECK_INT(z[299], 0); /* what was there is kept */
	free(z);
	char *s = xstrdup("纪念馆");
	CHECK_STR(s, "纪念馆");
	free(s);
	s = xstrndup("museum-extra", 6);
	CHECK_STR(s, "museum");
	free(s);
	s = xstrndup("a\0b", 3); /* counted: the NUL is copied too */
	CHECK(memcmp(s, "a\0b", 4) == 0);
	free(s);
}

static int aligned(const void *p)
{
	return (uintptr_t)p % alignof(max_align_t) == 0;
}

static void test_arena(void)
{
	struct arena *a = arena_new();
	CHECK_INT(arena_size(a), 0);
	/* Odd-sized text first, so that the next block must be realigned. */
	char src[] = "烈士陵园";
	char *s = arena_strdup(a, src);
	CHECK_STR(s, "烈士陵园");
	CHECK(s != src);
	src[0] = 'X'; /* a copy: the source may change or go */
	CHECK_STR(s, "烈士陵园");
	char *t = arena_strndup(a, "museum-extra", 6);
	CHECK_STR(t, "museum");
	double *d = arena_alloc(a, 7 * sizeof *d);
	CHECK(aligned(d));
	size_t nonzero = 0;
	for (int i = 0; i < 7; i++)
		nonzero += d[i] != 0.0;
	CHECK_INT(nonzero, 0);
	CHECK(arena_size(a) > 0);

	/* Many strings: every one intact after the arena grew many times. */
	char **v = xmalloc(MANY_STRINGS * sizeof *v);
	for (int i = 0; i < MANY_STRINGS; i++) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "site-%d", i);
		v[i] = arena_strdup(a, tmp);
	}
	size_t wrong = 0;
	for (int i = 0; i < MANY_STRINGS; i++) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "site-%d", i);
		wrong += strcmp(v[i], tmp) != 0;
	}
	CHECK_INT(wrong, 0);
	size_t before = arena_size(a);
	CHECK(before >= (size_t)MANY_STRINGS * strlen("site-0"));

	/* A request larger than any chunk is served whole, zeroed, and the
	 * arena goes on serving small ones. */
	unsigned char *big = arena_alloc(a, HUGE_REQUEST);
	CHECK(aligned(big));
	CHECK(big[0] == 0 && big[HUGE_REQUEST - 1] == 0);
	memset(big, 0xAB, HUGE_REQUEST);
	CHECK(arena_size(a) >= before + HUGE_REQUEST);
	char *after = arena_strdup(a, "after");
	CHECK_STR(after, "after");
	CHECK_STR(v[0], "site-0");
	CHECK_STR(v[MANY_STRINGS - 1], "site-199999");
	free(v);
	arena_free(a); /* everything at once; AddressSanitizer checks leaks */
	arena_free(NULL);
}

/* arena_adopt: strings of both arenas stay put and are owned by one; the
 * adopting arena goes on allocating (AddressSanitizer checks that all of
 * it is freed once). */
static void test_adopt(void)
{
	struct arena *a = arena_new(), *b = arena_new(), *empty = arena_new();
	char *x = arena_strdup(a, "from a");
	char *v[1000];
	for (int i = 0; i < 1000; i++) {
		char tmp[48];
		snprintf(tmp, sizeof tmp, "b-%04d-and-some-more-text", i);
		v[i] = arena_strdup(b, tmp);
	}
	size_t sa = arena_size(a), sb = arena_size(b);
	arena_adopt(a, b);
	CHECK_INT(arena_size(a), sa + sb);
	arena_adopt(a, empty);
	arena_adopt(a, NULL);
	CHECK_INT(arena_size(a), sa + sb);
	char *y = arena_strdup(a, "after");
	CHECK_STR(x, "from a");
	CHECK_STR(v[0], "b-0000-and-some-more-text");
	CHECK_STR(v[999], "b-0999-and-some-more-text");
	CHECK_STR(y, "after");
	/* into an empty arena */
	struct arena *c = arena_new(), *d = arena_new();
	char *z = arena_strdup(d, "from d");
	arena_adopt(c, d);
	CHECK_STR(z, "from d");
	CHECK_STR(arena_strdup(c, "more"), "more");
	arena_free(c);
	arena_free(a);
}

/* arena_reset: the arena fills the same chunks again (its size does not
 * grow over rounds of the same allocations), arena_alloc still zeroes
 * what it gives, and a request larger than every chunk gets a new one;
 * an adopted arena's spare chunks are freed with it, not counted. */
static void test_reset(void)
{
	struct arena *a = arena_new();
	size_t size = 0;
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 3000; i++) {
			unsigned char *p = arena_alloc(a, 100 + (size_t)i % 200);
			CHECK(p[0] == 0 && p[99] == 0);
			memset(p, 0xab, 100);
		}
		if (round == 0)
			size = arena_size(a);
		CHECK_INT(arena_size(a), size);
		arena_reset(a);
	}
	CHECK_INT(arena_size(a), size);
	char *big = arena_alloc(a, 16u << 20);
	CHECK(big[0] == 0 && big[(16u << 20) - 1] == 0);
	CHECK(arena_size(a) > size + (16u << 20));
	struct arena *b = arena_new();
	arena_strdup(b, "kept");
	arena_reset(b);
	size_t sb = arena_size(b);
	char *kept = arena_strdup(b, "kept again"); /* in the spare chunk */
	CHECK_INT(arena_size(b), sb);
	size_t before = arena_size(a);
	struct arena *c = arena_new();
	arena_alloc(c, 1000);
	arena_reset(c); /* spare only */
	arena_adopt(a, c);
	CHECK_INT(arena_size(a), before);
	arena_adopt(a, b);
	CHECK_INT(arena_size(a), before + sb);
	CHECK_STR(kept, "kept again");
	arena_free(a);
}

/* The VmFlags of the mapping of /proc/self/smaps that holds p, or "". */
static void flags_of(const void *p, char *out, size_t cap)
{
	out[0] = '\0';
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return;
	char line[512];
	bool in = false;
	uintptr_t a, e;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &a, &e) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)p >= a && (uintptr_t)p < e;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(out, cap, "%.200s", line + 8);
			break;
		}
	}
	fclose(f);
}

/* Blocks of MS_MMAP_THRESHOLD or more ask for huge pages, whichever
 * allocator made them; smaller ones do not.  Where the kernel has no
 * transparent huge pages the advice cannot be seen, and is not checked. */
static void test_huge_advice(void)
{
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) != 0) {
		printf("# no transparent huge pages here: advice not checked\n");
		return;
	}
	char flags[256];
	unsigned char *m = xmalloc(2 * MS_MMAP_THRESHOLD), *c = xcalloc(MS_MMAP_THRESHOLD, 1);
	unsigned char *r = xrealloc(xmalloc(1000), 3 * MS_MMAP_THRESHOLD);
	unsigned char *small = xmalloc(MS_MMAP_THRESHOLD / 64);
	m[0] = c[0] = r[0] = small[0] = 1;
	flags_of(m + MS_MMAP_THRESHOLD, flags, sizeof flags);
	CHECK(strstr(flags, " hg") != NULL);
	flags_of(c + 100, flags, sizeof flags);
	CHECK(strstr(flags, " hg") != NULL);
	flags_of(r + 2 * MS_MMAP_THRESHOLD, flags, sizeof flags);
	CHECK(strstr(flags, " hg") != NULL);
	flags_of(small, flags, sizeof flags);
	CHECK(flags[0] != '\0' && strstr(flags, " hg") == NULL);
	free(m);
	free(c);
	free(r);
	free(small);

	/* From MS_HUGE_PAGE on, xmalloc's blocks start on a huge page's
	 * boundary and ask for huge pages, below MS_MMAP_THRESHOLD too; so do
	 * blocks that xrealloc grows out of a heap, their bytes kept. */
	size_t mid = MS_HUGE_PAGE + MS_HUGE_PAGE / 2;
	unsigned char *h = xmalloc(mid), *g = xmalloc(1000);
	memset(g, 7, 1000);
	g = xrealloc(g, mid);
	h[0] = g[mid - 1] = 1;
	CHECK((uintptr_t)h % MS_HUGE_PAGE == 0);
	CHECK((uintptr_t)g % MS_HUGE_PAGE == 0);
	CHECK(g[0] == 7 && g[999] == 7);
	flags_of(h, flags, sizeof flags);
	CHECK(strstr(flags, " hg") != NULL);
	flags_of(g, flags, sizeof flags);
	CHECK(strstr(flags, " hg") != NULL);
	/* and grow on from there with their bytes */
	g = xrealloc(g, 3 * MS_MMAP_THRESHOLD);
	CHECK(g[0] == 7 && g[999] == 7 && g[mid - 1] == 1);
	free(h);
	free(g);
}

/* Pages of [p, p + n) (p page-aligned) in memory. */
static size_t resident(const unsigned char *p, size_t n)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), np = (n + ps - 1) / ps, in = 0;
	unsigned char *v = xmalloc(np);
	if (mincore((void *)p, n, v) != 0) {
		free(v);
		return SIZE_MAX;
	}
	for (size_t k = 0; k < np; k++)
		in += v[k] & 1;
	free(v);
	return in;
}

/* xmalloc_lazy's blocks take a page where written, never a huge page:
 * the access log's 4 MiB buffers, from xmalloc, took 2 MiB each with their
 * first line. */
static void test_lazy(void)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), n = MS_MMAP_THRESHOLD;
	unsigned char *p = xmalloc_lazy(n);
	unsigned char *at = (unsigned char *)(((uintptr_t)p + ps - 1) & ~(uintptr_t)(ps - 1));
	at[0] = 1; /* the first line */
	at[n / 2] = 2;
	CHECK_INT(resident(at, n - ps), 2);
	char flags[256];
	flags_of(at, flags, sizeof flags);
	CHECK(flags[0] != '\0' && strstr(flags, " hg") == NULL);
	free(p);
	unsigned char *z = xmalloc_lazy(0);
	CHECK(z != NULL);
	free(z);
}

/* An adopted arena's last chunk, a large one begun only, keeps none of the
 * pages past what it holds: with huge pages, the first string put there
 * brought in 2 MiB. */
static void test_adopt_gives_back(void)
{
	struct arena *a = arena_new(), *b = arena_new();
	char text[1000];
	memset(text, 'x', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	char *last = NULL;
	for (size_t before = 0;; before = arena_size(b)) {
		last = arena_strdup(b, text);
		if (arena_size(b) - before >= MS_MMAP_THRESHOLD)
			break; /* last opens a large chunk */
	}
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *tail =
	    (unsigned char *)(((uintptr_t)last + sizeof text + ps - 1) & ~(uintptr_t)(ps - 1));
	size_t span = MS_MMAP_THRESHOLD / 4; /* within the chunk, past the string */
	printf("# before adoption: %zu of %zu pages past the last string in memory\n", resident(tail, span),
	       span / ps);
	arena_adopt(a, b);
	CHECK_INT(resident(tail, span), 0);
	CHECK_STR(last, text); /* what it holds stays */
	char *more = arena_strdup(a, "more");
	CHECK_STR(more, "more");
	arena_free(a);
}

int main(void)
{
	test_allocators();
	test_arena();
	test_adopt();
	test_reset();
	test_huge_advice();
	test_adopt_gives_back();
	test_lazy();
	return CHECK_DONE();
}

/*
 * test_index_ngram.c - the name index against the linear scan.
 *
 * Every query's answer is compared, item for item and in order, with
 * testing every item by an independent matcher written here (ASCII
 * lower-casing then strstr).  Names mix Chinese characters, Latin words
 * in any case, digits, four-byte code points, empty and absent texts and
 * invalid UTF-8; queries are substrings of names (re-cased), strings
 * found nowhere, one and two code points, repeated letters, the empty
 * string and invalid UTF-8.  The matcher's own cases are a table in
 * data/index/contains.txt.  Work is counted: a selective query verifies a
 * handful of items, not all of them.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "index/ngram.h"

static uint64_t rng_state = 0x853C49E6748FEA9BULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t irand(size_t n)
{
	return (size_t)(rng() % n);
}

/* ---- the reference ---- */

static void lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

static bool ref_contains(const char *hay, const char *needle)
{
	char *h = strdup(hay ? hay : ""), *n = strdup(needle);
	lower_ascii(h);
	lower_ascii(n);
	bool r = strstr(h, n) != NULL;
	free(h);
	free(n);
	return r;
}

/* ---- the matcher's table ---- */

static size_t unescape(const char *s, size_t n, char *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			out[k++] = s[i];
			continue;
		}
		char c = s[++i];
		if (c == 't') {
			out[k++] = '\t';
		} else if (c == 'x' && i + 2 < n) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			out[k++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			out[k++] = c;
		}
	}
	out[k] = '\0';
	return k;
}

static void test_contains_table(void)
{
	FILE *f = fopen("data/index/contains.txt", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[1024], text[1024], query[1024];
	int cases = 0, lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t len = strcspn(line, "\n");
		line[len] = '\0';
		if (line[0] == '#' || len == 0)
			continue;
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		CHECK_MSG(t1 && t2, "contains.txt:%d: needs three fields", lineno);
		if (!t1 || !t2)
			continue;
		unescape(t1 + 1, (size_t)(t2 - t1 - 1), text);
		unescape(t2 + 1, strlen(t2 + 1), query);
		bool want = line[0] == '1';
		CHECK_MSG(ngram_text_contains(text, query) == want, "contains.txt:%d", lineno);
		CHECK_MSG(ref_contains(text, query) == want, "contains.txt:%d (the reference)", lineno);
		cases++;
	}
	fclose(f);
	CHECK(cases >= 25);
	CHECK(ngram_text_contains(NULL, ""));
	CHECK(!ngram_text_contains(NULL, "a"));
}

/* ---- random names ---- */

static const char *const hanzi[] = {"淄", "博", "革", "命", "烈", "士", "陵", "园", "纪", "念",
                                    "馆", "高", "台", "延", "安", "红", "军", "西", "路", "山"};
static const char *const words[] = {"Zibo", "martyrs", "CEMETERY", "Memorial", "hall",   "Gaotai",
                                    "red",  "Army",    "West",     "route",    "MUSEUM", "Site"};
static const char *const odd[] = {"\xf0\x9f\x98\x80", "\xc3\xa9",     "\xc3\x89", "\xe4\xb8", "\xff", "\x80",
                                  "\xc0\xaf",         "\xed\xa0\x80", " ",        "-",        "1",    "23"};

/* A name of about len pieces of the given kind. */
static void make_name(char *out, size_t cap, int kind, int len)
{
	out[0] = '\0';
	for (int k = 0; k < len; k++) {
		const char *piece;
		switch (kind == 2 ? (int)irand(3) : kind) {
		case 0: piece = hanzi[irand(sizeof hanzi / sizeof *hanzi)]; break;
		case 1: piece = words[irand(sizeof words / sizeof *words)]; break;
		default:
			piece = irand(3) ? hanzi[irand(sizeof hanzi / sizeof *hanzi)]
			                 : odd[irand(sizeof odd / sizeof *odd)];
			break;
		}
		if (strlen(out) + strlen(piece) + 2 >= cap)
			break;
		if (kind == 1 && k > 0)
			strcat(out, " ");
		strcat(out, piece);
	}
}

struct corpus {
	size_t n;
	char (*zh)[96];
	char (*en)[160];
	bool *no_en; /* the second text is absent (NULL) */
};

static const char *corpus_text(const void *ctx, uint32_t i, unsigned which)
{
	const struct corpus *c = ctx;
	if (which == 0)
		return c->zh[i];
	return c->no_en[i] ? NULL : c->en[i];
}

static void make_corpus(struct corpus *c, size_t n)
{
	c->n = n;
	c->zh = calloc(n ? n : 1, sizeof *c->zh);
	c->en = calloc(n ? n : 1, sizeof *c->en);
	c->no_en = calloc(n ? n : 1, sizeof *c->no_en);
	for (size_t i = 0; i < n; i++) {
		make_name(c->zh[i], sizeof c->zh[i], irand(10) ? 0 : 2, (int)irand(9));
		make_name(c->en[i], sizeof c->en[i], irand(6) ? 1 : 2, (int)irand(6));
		c->no_en[i] = irand(5) == 0;
		if (i > 0 && irand(20) == 0) /* repeated names */
			memcpy(c->zh[i], c->zh[i - 1], sizeof c->zh[i]);
	}
}

static void free_corpus(struct corpus *c)
{
	free(c->zh);
	free(c->en);
	free(c->no_en);
}

struct hits {
	uint32_t *v;
	size_t n, stop_after;
};

static bool collect(uint32_t i, void *ctx)
{
	struct hits *h = ctx;
	h->v[h->n++] = i;
	return h->n < h->stop_after;
}

static int mismatches;

/* One query against the reference; returns the number of matches. */
static size_t check_query(const struct ngram *ix, const struct corpus *c, const char *q, uint32_t *got,
                          uint32_t *want)
{
	size_t nw = 0;
	for (size_t i = 0; i < c->n; i++)
		if (ref_contains(corpus_text(c, (uint32_t)i, 0), q) ||
		    ref_contains(corpus_text(c, (uint32_t)i, 1), q))
			want[nw++] = (uint32_t)i;
	struct hits h = {got, 0, SIZE_MAX};
	struct ngram_stats st;
	size_t cnt = ngram_query(ix, q, collect, &h, &st);
	bool same = cnt == nw && h.n == nw && memcmp(got, want, nw * sizeof *got) == 0;
	if (!same && mismatches++ < 5)
		fprintf(stderr, "ngram mismatch: q=\"%s\": %zu hits, expected %zu\n", q, h.n, nw);
	CHECK(same);
	/* counting only, and stopping early */
	CHECK_INT(ngram_query(ix, q, NULL, NULL, NULL), nw);
	if (nw > 2) {
		struct hits two = {got, 0, 2};
		CHECK_INT(ngram_query(ix, q, collect, &two, NULL), 2);
		CHECK(got[0] == want[0] && got[1] == want[1]);
	}
	return nw;
}

/* A query cut from a random name: len bytes from a code point boundary,
 * ASCII letters re-cased at random. */
static void cut_query(const struct corpus *c, char *q, size_t max_cp)
{
	const char *src = corpus_text(c, (uint32_t)irand(c->n), (unsigned)irand(2));
	if (!src || !*src) {
		strcpy(q, "馆");
		return;
	}
	size_t len = strlen(src), start = irand(len);
	while (start > 0 && ((unsigned char)src[start] & 0xc0) == 0x80)
		start--;
	size_t cps = 1 + irand(max_cp), k = 0, i = start;
	while (src[i] && cps > 0) {
		q[k++] = src[i++];
		while (src[i] && ((unsigned char)src[i] & 0xc0) == 0x80)
			q[k++] = src[i++];
		cps--;
	}
	q[k] = '\0';
	for (char *p = q; *p; p++)
		if (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) && irand(2))
			*p = (char)(*p ^ 0x20);
}

static void test_random(size_t n, int nqueries)
{
	struct corpus c;
	make_corpus(&c, n);
	struct ms_error err = {0};
	struct ngram *ix = ngram_build(n, 2, corpus_text, &c, &err);
	CHECK_MSG(ix != NULL, "%s", err.msg);
	if (!ix) {
		free_corpus(&c);
		return;
	}
	CHECK_INT(ngram_size(ix), n);
	CHECK(ngram_memory(ix) > 0);
	uint32_t *got = malloc((n + 1) * sizeof *got), *want = malloc((n + 1) * sizeof *want);
	static const char *const fixed[] = {"",         "馆",   "纪念",     "a",    "A",
	                                    "aa",       "zi",   "ZIBO",     "bo m", "mmm",
	                                    "aaaa",     "xyz",  "烈士陵园", "\xff", "\xe4\xb8",
	                                    "\xc3\xa9", "e",    " ",        "1",    "\xf0\x9f\x98\x80",
	                                    "\xf0\x9f", "馆红", "Site Site"};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		check_query(ix, &c, fixed[i], got, want);
	char q[256];
	for (int k = 0; k < nqueries; k++) {
		cut_query(&c, q, k % 4 == 0 ? 2 : 8);
		check_query(ix, &c, q, got, want);
	}
	/* Invalid UTF-8 in q is answered by testing every item. */
	struct ngram_stats st;
	ngram_query(ix, "\xe4\xb8", NULL, NULL, &st);
	CHECK(st.scanned);
	free(got);
	free(want);
	ngram_free(ix);
	free_corpus(&c);
}

/* A query for one item's rare name verifies a few items, not all. */
static void test_work(void)
{
	enum { N = 20000 };
	struct corpus c;
	make_corpus(&c, N);
	strcpy(c.zh[1234], "独一无二的名字");
	strcpy(c.en[1234], "Quixotic Zephyr Hall");
	c.no_en[1234] = false;
	struct ngram *ix = ngram_build(N, 2, corpus_text, &c, NULL);
	CHECK(ix != NULL);
	struct ngram_stats st;
	CHECK_INT(ngram_query(ix, "一无二", NULL, NULL, &st), 1);
	CHECK(st.verified == 0 && st.postings <= 2 && !st.scanned);
	CHECK_INT(ngram_query(ix, "xotic zeph", NULL, NULL, &st), 1);
	CHECK_MSG(st.verified <= 4 && st.postings <= 64, "%zu verified, %zu postings", st.verified,
	          st.postings);
	CHECK_INT(ngram_query(ix, "quixotic zephyr hall!", NULL, NULL, &st), 0);
	CHECK_INT(ngram_query(ix, "独", NULL, NULL, &st), 1);
	CHECK(st.postings <= 2 && st.verified == 0);
	/* a trigram no name has: nothing opened beyond the lookups */
	CHECK_INT(ngram_query(ix, "qqq", NULL, NULL, &st), 0);
	CHECK_INT(st.postings, 0);
	ngram_free(ix);
	free_corpus(&c);
}

/* ---- edge cases and threads ---- */

static const char *const few[] = {"", "A", "ab", "abc"};

static const char *few_text(const void *ctx, uint32_t i, unsigned which)
{
	(void)ctx;
	return which == 0 ? few[i] : NULL;
}

static void test_edges(void)
{
	struct ngram *ix = ngram_build(0, 2, few_text, NULL, NULL);
	CHECK(ix != NULL);
	CHECK_INT(ngram_query(ix, "", NULL, NULL, NULL), 0);
	CHECK_INT(ngram_query(ix, "a", NULL, NULL, NULL), 0);
	ngram_free(ix);
	ngram_free(NULL);
	CHECK_INT(ngram_size(NULL), 0);

	ix = ngram_build(4, 1, few_text, NULL, NULL);
	CHECK_INT(ngram_query(ix, "", NULL, NULL, NULL), 4);
	CHECK_INT(ngram_query(ix, "a", NULL, NULL, NULL), 3);
	CHECK_INT(ngram_query(ix, "B", NULL, NULL, NULL), 2);
	CHECK_INT(ngram_query(ix, "bc", NULL, NULL, NULL), 1);
	CHECK_INT(ngram_query(ix, "abC", NULL, NULL, NULL), 1);
	CHECK_INT(ngram_query(ix, "abcd", NULL, NULL, NULL), 0);
	CHECK_INT(ngram_query(ix, "c", NULL, NULL, NULL), 1);
	ngram_free(ix);
}

enum { TH_N = 3000, TH_Q = 200, TH_THREADS = 4 };

struct th {
	const struct ngram *ix;
	char (*q)[64];
	const size_t *expect;
	int bad;
};

static void *reader(void *arg)
{
	struct th *t = arg;
	for (int round = 0; round < 3; round++)
		for (int k = 0; k < TH_Q; k++)
			t->bad += ngram_query(t->ix, t->q[k], NULL, NULL, NULL) != t->expect[k];
	return NULL;
}

/* Several threads query one index and get what one thread got (under
 * AddressSanitizer in CI). */
static void test_threads(void)
{
	struct corpus c;
	make_corpus(&c, TH_N);
	struct ngram *ix = ngram_build(TH_N, 2, corpus_text, &c, NULL);
	static char q[TH_Q][64];
	static size_t expect[TH_Q];
	for (int k = 0; k < TH_Q; k++) {
		cut_query(&c, q[k], 5); /* at most 20 bytes */
		expect[k] = ngram_query(ix, q[k], NULL, NULL, NULL);
	}
	pthread_t t[TH_THREADS];
	struct th a[TH_THREADS];
	for (int i = 0; i < TH_THREADS; i++) {
		a[i] = (struct th){ix, q, expect, 0};
		CHECK_INT(pthread_create(&t[i], NULL, reader, &a[i]), 0);
	}
	for (int i = 0; i < TH_THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(a[i].bad, 0);
	}
	ngram_free(ix);
	free_corpus(&c);
}

/* Answers, work and size of a against b on nq random queries cut from c:
 * how many agreed. */
static int agree(const struct ngram *a, const struct ngram *b, const struct corpus *c, int nq)
{
	uint32_t *got = malloc((c->n + 1) * sizeof *got), *want = malloc((c->n + 1) * sizeof *want);
	char q[256];
	int same = 0;
	for (int k = 0; k < nq; k++) {
		cut_query(c, q, k % 3 == 0 ? 2 : 6);
		struct hits ha = {got, 0, SIZE_MAX}, hb = {want, 0, SIZE_MAX};
		struct ngram_stats sa, sb;
		size_t na = ngram_query(a, q, collect, &ha, &sa), nb = ngram_query(b, q, collect, &hb, &sb);
		same += na == nb && !memcmp(got, want, na * sizeof *got) && sa.lists == sb.lists &&
		        sa.postings == sb.postings && sa.verified == sb.verified;
	}
	free(got);
	free(want);
	return same;
}

/* An index joined from slices (some of them empty) is the single
 * build's: the same size, and every query the same answer with the same
 * work, which walks the postings byte by byte. */
static void test_slices(size_t n, int nqueries)
{
	struct corpus c;
	make_corpus(&c, n);
	struct ms_error err = {0};
	struct ngram *whole = ngram_build(n, 2, corpus_text, &c, &err);
	size_t cut[] = {0, n / 3, n / 3, 2 * n / 3 + 1 < n ? 2 * n / 3 + 1 : n, n};
	struct ngram *slices[4];
	for (size_t k = 0; k < 4; k++) {
		slices[k] = ngram_build_slice(n, cut[k], cut[k + 1], 2, corpus_text, &c, &err);
		CHECK_MSG(slices[k] != NULL, "%s", err.msg);
	}
	struct ngram *joined = ngram_join(slices, 4, &err);
	CHECK_MSG(whole && joined, "%s", err.msg);
	CHECK_INT(ngram_memory(joined), ngram_memory(whole));
	CHECK_INT(ngram_size(joined), n);
	uint32_t *got = malloc((n + 1) * sizeof *got), *want = malloc((n + 1) * sizeof *want);
	char q[256];
	int same = 0;
	for (int k = 0; k < nqueries; k++) {
		cut_query(&c, q, k % 3 == 0 ? 2 : 6);
		struct hits a = {got, 0, SIZE_MAX}, b = {want, 0, SIZE_MAX};
		struct ngram_stats sa, sb;
		size_t na = ngram_query(joined, q, collect, &a, &sa),
		       nb = ngram_query(whole, q, collect, &b, &sb);
		same += na == nb && !memcmp(got, want, na * sizeof *got) && sa.lists == sb.lists &&
		        sa.postings == sb.postings && sa.verified == sb.verified;
	}
	CHECK_INT(same, nqueries);
	/* none, or too many, is an error */
	CHECK(ngram_join(NULL, 0, &err) == NULL && err.status == MS_EUSAGE);
	free(got);
	free(want);
	ngram_free(whole);
	ngram_free(joined);
	free_corpus(&c);
}

/* A patched index is the build of the new texts: items renamed (to new
 * names, to a name no other item has, to nothing), listed without a
 * change, or not changed at all; the old index still answers for the old
 * texts; a bad list is refused. */
static void test_patch(size_t n, size_t nchanged)
{
	struct corpus c, d;
	make_corpus(&c, n);
	make_corpus(&d, n);
	for (size_t i = 0; i < n; i++) { /* d: c's texts again */
		memcpy(d.zh[i], c.zh[i], sizeof d.zh[i]);
		memcpy(d.en[i], c.en[i], sizeof d.en[i]);
		d.no_en[i] = c.no_en[i];
	}
	uint32_t *changed = malloc((nchanged + 1) * sizeof *changed);
	size_t k = 0;
	for (size_t i = 0; i < n && k < nchanged; i += 1 + irand(n / nchanged + 1)) {
		changed[k++] = (uint32_t)i;
		switch (k % 5) {
		case 0: break; /* listed, unchanged */
		case 1: make_name(d.zh[i], sizeof d.zh[i], 0, (int)irand(9)); break;
		case 2: snprintf(d.en[i], sizeof d.en[i], "Qwxz Unique %zu", i), d.no_en[i] = false; break;
		case 3: d.zh[i][0] = '\0', d.no_en[i] = true; break;
		default: make_name(d.en[i], sizeof d.en[i], 1, (int)irand(6)), d.no_en[i] = irand(2); break;
		}
	}
	struct ms_error err = {0};
	struct ngram *old = ngram_build(n, 2, corpus_text, &c, &err),
	             *want = ngram_build(n, 2, corpus_text, &d, &err);
	struct ngram *got = ngram_patch(old, changed, k, corpus_text, &d, &err);
	CHECK_MSG(old && want && got, "%s", err.msg);
	CHECK_INT(ngram_memory(got), ngram_memory(want));
	CHECK_INT(agree(got, want, &d, 300), 300);
	if (k > 2) {
		CHECK_INT(ngram_query(got, "qwxz unique", NULL, NULL, NULL), (k + 3) / 5);
		CHECK_INT(ngram_query(old, "qwxz unique", NULL, NULL, NULL), 0); /* old is old */
		uint32_t bad[] = {changed[1], changed[0]};
		CHECK(ngram_patch(old, bad, 2, corpus_text, &d, &err) == NULL && err.status == MS_EUSAGE);
	}
	uint32_t beyond = (uint32_t)n;
	CHECK(ngram_patch(old, &beyond, 1, corpus_text, &d, &err) == NULL);
	/* nothing changed: a copy */
	struct ngram *same = ngram_patch(old, NULL, 0, corpus_text, &c, &err);
	CHECK_INT(ngram_memory(same), ngram_memory(old));
	CHECK_INT(agree(same, old, &c, 50), 50);
	ngram_free(same);
	ngram_free(old);
	ngram_free(want);
	ngram_free(got);
	free(changed);
	free_corpus(&c);
	free_corpus(&d);
}

int main(void)
{
	test_patch(3000, 40);
	test_patch(500, 500);
	test_patch(10, 3);
	test_slices(5000, 400);
	test_slices(3, 20);
	test_contains_table();
	test_edges();
	test_work();
	test_threads();
	static const size_t sizes[] = {1, 2, 7, 100, 2000};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
		test_random(sizes[i], 300);
	return CHECK_DONE();
}

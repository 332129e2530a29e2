/*
 * bench_ngram.c - the name index (index/ngram.h) against SQLite FTS5's
 * trigram tokenizer, on the same names and queries in the same run.
 *
 * usage: bench_ngram SITES.csv [--queries N] [--no-fts]
 *   SITES.csv as tests/bench/gen_sites.py writes it (columns name_zh and,
 *   if present, name_en; no quoted fields).  N queries (default 2000) are
 *   cut from random names with a fixed seed, as a user types part of a
 *   name: 1 to 6 code points of a Chinese name or 2 to 12 characters of an
 *   English one, re-cased.  Each query counts every match (numberMatched)
 *   and keeps the first ten ids (a page).
 *
 * FTS5 is asked what it answers best: MATCH with the query as a phrase
 * for three or more code points (a trigram index's substring search),
 * LIKE '%q%' on both columns below that (FTS5's trigram table then scans).
 * It folds case by Unicode rules where mapsvc folds ASCII only; the names
 * here are Chinese and ASCII, where both agree, and the answers are
 * compared query by query.
 *
 * Prints RESULT lines:
 *   RESULT ngram_build_ms=... cpu_ms=... memory_mb=... bytes_per_site=... n=...
 *   RESULT ngram_q_us_median=... p90=... p99=... class=all|1-2cp|3cp|4+cp
 *   RESULT fts5_build_ms=... memory_mb=... n=...
 *   RESULT fts5_q_us_median=... p90=... p99=... class=...
 *   RESULT same_answers=K/N
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index/ngram.h"

#define PAGE 10
#define MAX_Q 64
#define NCLASS 4

static uint64_t rng_state = 0x5DEECE66DULL;

static size_t irand(size_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (size_t)(rng_state % n);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

struct names {
	size_t n;
	char **zh, **en;
	char *arena; /* every name, in row order */
};

static const char *name_text(const void *ctx, uint32_t i, unsigned which)
{
	const struct names *nm = ctx;
	return which == 0 ? nm->zh[i] : nm->en[i];
}

/* Reads the name columns of a generated CSV (no quoting). */
static int load(const char *path, struct names *nm)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 1;
	}
	char line[4096];
	int czh = -1, cen = -1;
	if (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		int col = 0;
		for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ","), col++) {
			if (strcmp(tok, "name_zh") == 0)
				czh = col;
			if (strcmp(tok, "name_en") == 0)
				cen = col;
		}
	}
	if (czh < 0) {
		fprintf(stderr, "bench_ngram: %s: no name_zh column\n", path);
		fclose(f);
		return 1;
	}
	size_t cap = 1024, arena_cap = 1 << 20, used = 0;
	nm->n = 0;
	nm->arena = malloc(arena_cap);
	nm->zh = malloc(cap * sizeof *nm->zh);
	nm->en = malloc(cap * sizeof *nm->en);
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (nm->n == cap) {
			cap *= 2;
			nm->zh = realloc(nm->zh, cap * sizeof *nm->zh);
			nm->en = realloc(nm->en, cap * sizeof *nm->en);
		}
		char *field[16] = {0};
		int col = 0;
		for (char *p = line; col < 16; col++) {
			field[col] = p;
			char *comma = strchr(p, ',');
			if (!comma)
				break;
			*comma = '\0';
			p = comma + 1;
		}
		/* Kept in one block in row order, as a snapshot's site set keeps
		 * its strings, so that verifying candidates in id order reads
		 * memory forward as it does in the server. */
		const char *zh = field[czh] ? field[czh] : "", *en = cen >= 0 && field[cen] ? field[cen] : "";
		size_t need = strlen(zh) + strlen(en) + 2;
		if (used + need > arena_cap) {
			arena_cap = arena_cap * 2 > used + need ? arena_cap * 2 : used + need;
			char *moved = realloc(nm->arena, arena_cap);
			for (size_t i = 0; i < nm->n; i++) { /* offsets until the end */
				nm->zh[i] = moved + (nm->zh[i] - nm->arena);
				nm->en[i] = moved + (nm->en[i] - nm->arena);
			}
			nm->arena = moved;
		}
		nm->zh[nm->n] = strcpy(nm->arena + used, zh);
		used += strlen(zh) + 1;
		nm->en[nm->n] = strcpy(nm->arena + used, en);
		used += strlen(en) + 1;
		nm->n++;
	}
	fclose(f);
	return 0;
}

static size_t cp_count(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Part of a random name, as a user would type it. */
static void make_query(const struct names *nm, char *q)
{
	bool zh = irand(5) < 3 || !nm->en[0][0];
	const char *src = NULL;
	for (int tries = 0; tries < 100 && (!src || !*src); tries++)
		src = name_text(nm, (uint32_t)irand(nm->n), zh ? 0 : 1);
	size_t want = zh ? 1 + irand(6) : 2 + irand(11), len = strlen(src), start = irand(len);
	while (start > 0 && ((unsigned char)src[start] & 0xc0) == 0x80)
		start--;
	size_t k = 0;
	for (size_t i = start; src[i] && want > 0 && k + 4 < MAX_Q; want--) {
		q[k++] = src[i++];
		while (src[i] && ((unsigned char)src[i] & 0xc0) == 0x80)
			q[k++] = src[i++];
	}
	q[k] = '\0';
	for (char *p = q; *p; p++)
		if (*p >= 'a' && *p <= 'z' && irand(4) == 0)
			*p = (char)(*p - 32);
}

static int query_class(const char *q)
{
	size_t n = cp_count(q);
	return n <= 2 ? 1 : n == 3 ? 2 : 3;
}

static const char *const class_name[NCLASS] = {"all", "1-2cp", "3cp", "4+cp"};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *what, double *t, const int *cls, size_t nq)
{
	double *v = malloc(nq * sizeof *v);
	for (int c = 0; c < NCLASS; c++) {
		size_t m = 0;
		for (size_t i = 0; i < nq; i++)
			if (c == 0 || cls[i] == c)
				v[m++] = t[i];
		if (m == 0)
			continue;
		qsort(v, m, sizeof *v, cmp_double);
		printf("RESULT %s_q_us_median=%.1f p90=%.1f p99=%.1f queries=%zu class=%s\n", what, v[m / 2],
		       v[(size_t)(0.9 * (double)(m - 1))], v[(size_t)(0.99 * (double)(m - 1))], m,
		       class_name[c]);
	}
	free(v);
}

struct page {
	uint32_t first[PAGE];
	size_t n;
};

static bool page_visit(uint32_t i, void *ctx)
{
	struct page *p = ctx;
	if (p->n < PAGE)
		p->first[p->n] = i;
	p->n++;
	return true;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * 4;
}

/* FTS5: MATCH the phrase from three code points, LIKE below. */
static size_t fts_query(sqlite3_stmt *match, sqlite3_stmt *like, const char *q, struct page *pg)
{
	char buf[2 * MAX_Q + 8];
	sqlite3_stmt *st;
	if (cp_count(q) >= 3) {
		size_t k = 0;
		buf[k++] = '"';
		for (const char *p = q; *p; p++) {
			if (*p == '"')
				buf[k++] = '"';
			buf[k++] = *p;
		}
		buf[k++] = '"';
		buf[k] = '\0';
		st = match;
	} else {
		snprintf(buf, sizeof buf, "%%%s%%", q);
		st = like;
	}
	sqlite3_bind_text(st, 1, buf, -1, SQLITE_TRANSIENT);
	pg->n = 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		page_visit((uint32_t)(sqlite3_column_int64(st, 0) - 1), pg);
	sqlite3_reset(st);
	return pg->n;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *path = NULL;
	size_t nq = 2000;
	bool fts = true;
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--no-fts") == 0)
			fts = false;
		else if (strcmp(argv[a], "--queries") == 0 && a + 1 < argc)
			nq = (size_t)atol(argv[++a]);
		else if (!path)
			path = argv[a];
		else
			path = NULL, a = argc;
	}
	if (!path || nq == 0) {
		fprintf(stderr, "usage: bench_ngram SITES.csv [--queries N] [--no-fts]\n");
		return 2;
	}
	struct names nm;
	if (load(path, &nm) != 0 || nm.n == 0)
		return 1;

	long rss0 = rss_kb();
	double t0 = now_us(), c0 = cpu_us();
	struct ms_error err = {0};
	struct ngram *ix = ngram_build(nm.n, 2, name_text, &nm, &err);
	double build_ms = (now_us() - t0) / 1e3, build_cpu = (cpu_us() - c0) / 1e3;
	if (!ix) {
		fprintf(stderr, "bench_ngram: %s\n", err.msg);
		return 1;
	}
	size_t mem = ngram_memory(ix);
	printf("RESULT ngram_build_ms=%.0f cpu_ms=%.0f memory_mb=%.1f bytes_per_site=%.1f rss_delta_mb=%.1f "
	       "n=%zu\n",
	       build_ms, build_cpu, (double)mem / 1048576.0, (double)mem / (double)nm.n,
	       (double)(rss_kb() - rss0) / 1024.0, nm.n);

	char(*q)[MAX_Q] = malloc(nq * sizeof *q);
	int *cls = malloc(nq * sizeof *cls);
	double *t = malloc(nq * sizeof *t);
	struct page *pages = malloc(nq * sizeof *pages);
	for (size_t i = 0; i < nq; i++) {
		make_query(&nm, q[i]);
		cls[i] = query_class(q[i]);
	}
	for (size_t i = 0; i < nq; i++) /* warm, as a running server is */
		ngram_query(ix, q[i], NULL, NULL, NULL);
	for (size_t i = 0; i < nq; i++) {
		pages[i].n = 0;
		double s = now_us();
		ngram_query(ix, q[i], page_visit, &pages[i], NULL);
		t[i] = now_us() - s;
	}
	report("ngram", t, cls, nq);

	int rc = 0;
	if (fts) {
		sqlite3 *db = NULL;
		sqlite3_stmt *ins = NULL, *match = NULL, *like = NULL;
		sqlite3_open(":memory:", &db);
		sqlite3_int64 m0 = sqlite3_memory_used();
		t0 = now_us();
		if (sqlite3_exec(db, "CREATE VIRTUAL TABLE f USING fts5(zh, en, tokenize = 'trigram'); BEGIN",
		                 NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(db, "INSERT INTO f (rowid, zh, en) VALUES (?1, ?2, ?3)", -1, &ins,
		                       NULL) != SQLITE_OK) {
			fprintf(stderr, "bench_ngram: FTS5: %s\n", sqlite3_errmsg(db));
			return 1;
		}
		for (size_t i = 0; i < nm.n; i++) {
			sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 1);
			sqlite3_bind_text(ins, 2, nm.zh[i], -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 3, nm.en[i], -1, SQLITE_STATIC);
			sqlite3_step(ins);
			sqlite3_reset(ins);
		}
		sqlite3_finalize(ins);
		sqlite3_exec(db, "COMMIT; INSERT INTO f(f) VALUES ('optimize')", NULL, NULL, NULL);
		printf("RESULT fts5_build_ms=%.0f memory_mb=%.1f n=%zu\n", (now_us() - t0) / 1e3,
		       (double)(sqlite3_memory_used() - m0) / 1048576.0, nm.n);
		sqlite3_prepare_v2(db, "SELECT rowid FROM f WHERE f MATCH ?1 ORDER BY rowid", -1, &match,
		                   NULL);
		sqlite3_prepare_v2(db, "SELECT rowid FROM f WHERE zh LIKE ?1 OR en LIKE ?1 ORDER BY rowid",
		                   -1, &like, NULL);
		size_t same = 0;
		struct page pg;
		for (size_t i = 0; i < nq; i++) /* warm */
			fts_query(match, like, q[i], &pg);
		for (size_t i = 0; i < nq; i++) {
			double s = now_us();
			fts_query(match, like, q[i], &pg);
			t[i] = now_us() - s;
			size_t k = pg.n < PAGE ? pg.n : PAGE;
			same +=
			    pg.n == pages[i].n && memcmp(pg.first, pages[i].first, k * sizeof *pg.first) == 0;
		}
		report("fts5", t, cls, nq);
		printf("RESULT same_answers=%zu/%zu\n", same, nq);
		rc = same == nq ? 0 : 1;
		sqlite3_finalize(match);
		sqlite3_finalize(like);
		sqlite3_close(db);
	}
	ngram_free(ix);
	free(nm.arena);
	free(nm.zh);
	free(nm.en);
	free(q);
	free(cls);
	free(t);
	free(pages);
	return rc;
}

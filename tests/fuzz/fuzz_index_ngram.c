/*
 * fuzz_index_ngram.c - the name index on arbitrary bytes, against the scan.
 *
 * The input is cut at newlines: the first line is a query, each further
 * pair of lines an item's two texts (any bytes: invalid UTF-8, overlongs,
 * surrogates, lone continuation bytes, no NULs since texts are C strings).
 * The index is built over the items and asked the query and every line as
 * a query, and also each line's every suffix of at most a few code points;
 * each answer must list exactly the items, in order, whose texts contain
 * the query by ngram_text_contains, the one definition of the search.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "index/ngram.h"

#define H "fuzz_index_ngram"
/* Bounds that keep one input fast: items, and suffixes tried per line. */
#define MAX_LINES 256
#define MAX_SUFFIXES 8

struct items {
	char **line;
	size_t nitems;
};

static const char *item_text(const void *ctx, uint32_t i, unsigned which)
{
	const struct items *it = ctx;
	return it->line[1 + 2 * i + which];
}

struct got {
	uint32_t *v;
	size_t n;
};

static bool collect(uint32_t i, void *ctx)
{
	struct got *g = ctx;
	g->v[g->n++] = i;
	return true;
}

static void check(const struct ngram *ix, const struct items *it, const char *q, uint32_t *buf)
{
	struct got g = {buf, 0};
	size_t cnt = ngram_query(ix, q, collect, &g, NULL);
	size_t k = 0;
	for (size_t i = 0; i < it->nitems; i++) {
		bool want = ngram_text_contains(item_text(it, (uint32_t)i, 0), q) ||
		            ngram_text_contains(item_text(it, (uint32_t)i, 1), q);
		if (!want)
			continue;
		if (k >= g.n || g.v[k] != i)
			fuzz_fail(H, "query of %zu bytes: item %zu missing or out of order", strlen(q), i);
		k++;
	}
	if (k != g.n || cnt != g.n)
		fuzz_fail(H, "query of %zu bytes: %zu hits, %zu expected", strlen(q), g.n, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *line[MAX_LINES];
	size_t nlines = 0;
	for (char *p = text; nlines < MAX_LINES;) {
		line[nlines++] = p;
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	struct items it = {line, (nlines - 1) / 2};
	struct ngram *ix = ngram_build(it.nitems, 2, item_text, &it, NULL);
	if (!ix)
		fuzz_fail(H, "build failed on %zu items", it.nitems);
	uint32_t *buf = malloc((it.nitems + 1) * sizeof *buf);
	for (size_t l = 0; l < nlines; l++) {
		check(ix, &it, line[l], buf);
		size_t len = strlen(line[l]);
		for (size_t s = 1; s <= MAX_SUFFIXES && s <= len; s++)
			check(ix, &it, line[l] + len - s, buf);
	}
	free(buf);
	ngram_free(ix);
	free(text);
	return 0;
}

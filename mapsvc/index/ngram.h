/*
 * ngram.h - name search that scales: an inverted index of the trigrams of
 * a few texts per item (a site's name_zh and name_en), answering "which
 * items have a text containing q" exactly as testing every item with
 * ngram_text_contains would, in increasing item order.
 *
 * Matching is the search's one definition, ngram_text_contains: q is a
 * substring of the text, bytewise, except that ASCII letters match
 * without regard to case (folding other scripts needs Unicode tables, and
 * Chinese has no case).  The index itself works on code points, which for
 * valid UTF-8 is the same thing (see ngram.c).
 *
 * Ownership and threads: built once from a text callback and immutable
 * afterwards; it keeps the callback and its context to verify candidates,
 * so the texts must stay unchanged and alive as long as the index (the
 * snapshot owns both).  Any number of threads may query it at once;
 * queries keep their scratch memory to themselves.
 */
#ifndef MS_NGRAM_H
#define MS_NGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ms_error.h"

struct ngram;

/* Text `which` (0 .. ntexts - 1) of item i: a NUL-terminated string, the
 * same every time; NULL reads as "". */
typedef const char *(*ngram_text_fn)(const void *ctx, uint32_t i, unsigned which);
/* Called for each matching item; return false to stop. */
typedef bool (*ngram_visit_fn)(uint32_t i, void *ctx);

/* Indexes texts 0 .. ntexts - 1 of items 0 .. n - 1.  NULL with *err set
 * when n is beyond what the index can address. */
struct ngram *ngram_build(size_t n, unsigned ntexts, ngram_text_fn text, const void *ctx,
                          struct ms_error *err);
void ngram_free(struct ngram *ix);

/* The same index built in slices, for callers that build them at once (a
 * snapshot on several cores): ngram_build_slice indexes items lo .. hi - 1
 * (of n) alone; ngram_join takes every slice of 0 .. n - 1, in item order,
 * frees them, and returns the index ngram_build would have made, byte for
 * byte.  Same limits and errors as ngram_build. */
#define NGRAM_SLICES_MAX 64
struct ngram *ngram_build_slice(size_t n, size_t lo, size_t hi, unsigned ntexts, ngram_text_fn text,
                                const void *ctx, struct ms_error *err);
struct ngram *ngram_join(struct ngram **slices, size_t k, struct ms_error *err);
/* The index of old's items with new texts (text, ctx), where only the
 * items changed[0 .. k - 1] (increasing, below old's count) may differ
 * from old's own texts, which old must still be able to read: old's
 * lists are copied and those of the trigrams the changed items lost or
 * gained are re-coded.  Equal, byte for byte, to ngram_build of the new
 * texts; old is unchanged.  At a million names and a few changes it costs
 * a copy of the index (tens of milliseconds) where a build costs a
 * second.  MS_EUSAGE for a bad list of changes. */
struct ngram *ngram_patch(const struct ngram *old, const uint32_t *changed, size_t k, ngram_text_fn text,
                          const void *ctx, struct ms_error *err);
/* Items indexed, and bytes the index holds. */
size_t ngram_size(const struct ngram *ix);
size_t ngram_memory(const struct ngram *ix);

/* True when hay contains needle (see the top comment); "" is in every
 * text.  NULL hay reads as "". */
bool ngram_text_contains(const char *hay, const char *needle);

/* The work one query did, counted rather than timed so that tests can
 * bound it. */
struct ngram_stats {
	size_t lists;    /* posting lists opened */
	size_t postings; /* postings decoded */
	size_t verified; /* items whose texts were tested */
	bool scanned;    /* q was not valid UTF-8: every item was tested */
};

/* Calls visit(i, vctx) for every item one of whose texts contains q, in
 * increasing i, and returns how many were visited (the one that returned
 * false included).  visit may be NULL to count only.  st may be NULL.
 * q that is not valid UTF-8 is still answered exactly, by testing every
 * item. */
size_t ngram_query(const struct ngram *ix, const char *q, ngram_visit_fn visit, void *vctx,
                   struct ngram_stats *st);

#endif

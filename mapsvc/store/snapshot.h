/*
 * snapshot.h - an immutable, reference-counted view of all sites with a
 * spatial index, the thing every request reads.
 *
 * serve builds one at start-up from the database; a reload builds a new
 * one and swaps it in, so a request sees one whole snapshot or the next,
 * never half of one.  Sites are sorted by id; index i in the spatial index
 * and in the name index is sites[i].  Once built nothing in it changes, so threads share it
 * without locks; retain/release are atomic.
 */
#ifndef MS_SNAPSHOT_H
#define MS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/site.h"
#include "../index/ngram.h"
#include "../index/sindex.h"
#include "../util/ms_error.h"
#include "../util/refcount.h"

struct snapshot {
	const struct site *sites; /* sorted by id */
	size_t n;
	const struct sindex *index;
	const struct ngram *names; /* name_zh and name_en of sites[i] are item i's texts 0 and 1 */
	uint64_t version;      /* hash of every site's content: changes when data do */
	double west, south, east, north; /* bounds of all sites (0s when empty) */
	/* private */
	struct site_set *set_;
	struct ms_ref refs_;
};

/* Takes ownership of set (sorted by id here). */
struct snapshot *snapshot_new(struct site_set *set, struct ms_error *err);
/* store_load + snapshot_new. */
struct snapshot *snapshot_load(const char *db_path, struct ms_error *err);
struct snapshot *snapshot_retain(struct snapshot *s);
void snapshot_release(struct snapshot *s);
/* The site with this id, or NULL (binary search). */
const struct site *snapshot_find(const struct snapshot *s, const char *id);

#endif

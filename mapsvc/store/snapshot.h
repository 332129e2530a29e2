/*
 * snapshot.h - an immutable, reference-counted view of all sites with a
 * spatial index, the thing every request reads.
 *
 * serve builds one at start-up from the database; a reload builds a new
 * one and swaps it in, so a request sees one whole snapshot or the next,
 * never half of one.  Sites are sorted by id; index i in the spatial index
 * is sites[i].  Once built nothing in it changes, so threads share it
 * without locks; retain/release are atomic.  (The one exception is a
 * cache, invisible to readers: snapshot_bounds fills a shifted system's
 * box once, under a lock of its own.)
 */
#ifndef MS_SNAPSHOT_H
#define MS_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../site/site.h"
#include "../geo/geo.h"
#include "../index/sindex.h"
#include "../util/ms_error.h"
#include "../util/refcount.h"

/* The members of enum coordsys (geo/geo.h). */
#define SNAPSHOT_NCOORDSYS (COORDSYS_CGCS2000 + 1)

struct snapshot {
	const struct site *sites; /* sorted by id */
	size_t n;
	const struct sindex *index;
	uint64_t version;                /* hash of every site's content: changes when data do */
	double west, south, east, north; /* bounds of all sites (0s when empty) */
	/* private */
	struct site_set *set_;
	struct ms_ref refs_;
	/* snapshot_bounds of the shifted systems, made on first use */
	pthread_mutex_t bounds_mu_;
	atomic_bool bounds_ready_[SNAPSHOT_NCOORDSYS];
	double bounds_[SNAPSHOT_NCOORDSYS][4];
};

/* Takes ownership of set (sorted by id here). */
struct snapshot *snapshot_new(struct site_set *set, struct ms_error *err);
/* store_load + snapshot_new. */
struct snapshot *snapshot_load(const char *db_path, struct ms_error *err);
struct snapshot *snapshot_retain(struct snapshot *s);
void snapshot_release(struct snapshot *s);
/* The site with this id, or NULL (binary search). */
const struct site *snapshot_find(const struct snapshot *s, const char *id);
/* The bounds of all sites in cs into b (west, south, east, north), the
 * box of every site's position in that system; false, b untouched, when
 * there are none.  WGS-84's (and CGCS2000's) are the snapshot's own.  A
 * shifted system's (GCJ-02, BD-09) is computed over the sites on the
 * first call, once, and kept: the shift varies by tens of metres across a
 * province, so shifting the WGS-84 box's corners instead would leave edge
 * sites outside it. */
bool snapshot_bounds(const struct snapshot *s, enum coordsys cs, double b[4]);

#endif

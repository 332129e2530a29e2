/*
 * snapshot.h - an immutable, reference-counted view of all sites with a
 * spatial index, the thing every request reads.
 *
 * serve builds one at start-up from the database; a reload builds a new
 * one and swaps it in, so a request sees one whole snapshot or the next,
 * never half of one.  Sites are sorted by id; index i in the spatial index
 * and in the name index is sites[i], as is hours[i].  Once built nothing in it changes, so
 * threads share it without locks; retain/release are atomic.  Exports made
 * from it (a GeoPackage, the bounds in a shifted system) are built once,
 * when first asked for, and kept with it.
 */
#ifndef MS_SNAPSHOT_H
#define MS_SNAPSHOT_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "../site/site.h"
#include "../geo/geo.h"
#include "../hours/hours.h"
#include "../index/ngram.h"
#include "../index/sindex.h"
#include "../util/ms_error.h"
#include "../util/refcount.h"

struct snapshot_exports;

struct snapshot {
	const struct site *sites; /* sorted by id */
	size_t n;
	const struct sindex *index;
	const struct ngram *names; /* name_zh and name_en of sites[i] are item i's texts 0 and 1 */
	/* sites[i]'s opening_hours parsed (hours/hours.h), NULL where it has
	 * none: read once here, evaluated by every open_at filter and plan */
	const struct hours *const *hours;
	uint64_t version;                /* hash of every site's content: changes when data do */
	double west, south, east, north; /* bounds of all sites (0s when empty) */
	/* private */
	struct site_set *set_;
	struct ms_ref refs_;
	struct snapshot_exports *exports_; /* built on demand: snapshot_gpkg */
};

/* Takes ownership of set (sorted by id here; freed on failure too).
 * MS_EDATA "site 'ID': opening_hours: ..." when a site's opening_hours is
 * not in OpenStreetMap's syntax (imports and the store refuse such
 * values, so only a set made elsewhere can have one). */
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
 * first call, once, and kept with the exports: the shift varies by tens
 * of metres across a province, so shifting the WGS-84 box's corners
 * instead would leave edge sites outside it. */
bool snapshot_bounds(const struct snapshot *s, enum coordsys cs, double b[4]);

/* The snapshot's sites as a GeoPackage file (store_export_gpkg), built on
 * the first call and kept with the snapshot: one build per data version
 * however many requests ask, concurrent first callers waiting for that
 * one build (a failed build is not kept: the next call tries again).
 * *data is borrowed for as long as the caller holds a reference to s.
 * The one thing in a snapshot that is written after snapshot_new, under
 * its own lock; what it yields never changes. */
enum ms_status snapshot_gpkg(const struct snapshot *s, const unsigned char **data, size_t *len,
                             struct ms_error *err);

#endif

/*
 * snapshot.h - an immutable, reference-counted view of all sites with a
 * spatial index, the thing every request reads.
 *
 * serve builds one at start-up from the database; a reload builds a new
 * one and swaps it in, so a request sees one whole snapshot or the next,
 * never half of one.  Sites are sorted by id; index i in the spatial index,
 * in the name index and in the cluster hierarchies is sites[i], as is
 * snapshot_hours(s, i).  Once built nothing in it changes, so threads
 * share it without locks; retain/release are atomic.
 *
 * Cluster hierarchies (index/cluster.h) are built with the snapshot for
 * the parameter sets its maker asks for (those of the styles it will draw
 * with, one per distinct set), so that a reload has them ready before the
 * swap and no visitor of a new snapshot pays for them.  The indexes and the
 * hierarchies are independent of each other, so they are built at once,
 * on as many threads as there are cores (at most one per structure).
 * Exports made from it (a GeoPackage, the bounds in a shifted system)
 * are built once, when first asked for, and kept with it.
 */
#ifndef MS_SNAPSHOT_H
#define MS_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "../site/site.h"
#include "../geo/geo.h"
#include "../index/cluster.h"
#include "../hours/hours.h"
#include "../index/ngram.h"
#include "../index/sindex.h"
#include "../util/ms_error.h"
#include "../util/refcount.h"

struct store_block;

/* The flags a snapshot gives each site in its hierarchies
 * (cluster_build's): the site's category in the low bits, meaningful for
 * a single site (a cluster's flags are its members' OR), and whether its
 * position is approximate (site_quality_approximate), which a cluster's OR
 * says of any member. */
#define SNAPSHOT_FLAG_CATEGORY 0x07u
#define SNAPSHOT_FLAG_APPROXIMATE 0x08u

/* The most hierarchies one snapshot builds. */
#define SNAPSHOT_MAX_CLUSTERS 16

struct snapshot_exports;
struct snapshot_shared;
struct snapshot_later;

struct snapshot {
	const struct site *sites; /* sorted by id */
	size_t n;
	const struct sindex *index;
	uint64_t version;                /* hash of every site's content: changes when data do */
	double west, south, east, north; /* bounds of all sites (0s when empty) */
	/* private */
	struct site_set *set_;
	struct snapshot_hours *hours_;  /* snapshot_hours */
	struct sindex *index_;          /* index: the snapshot's own, perhaps over prev's tree */
	_Atomic(struct ngram *) names_; /* snapshot_names */
	struct snapshot_later *later_;  /* the name index's build after snapshot_new_with, or NULL */
	struct snapshot_shared *clusters_[SNAPSHOT_MAX_CLUSTERS];
	size_t nclusters_;
	size_t built_; /* snapshot_parts_built */
	size_t read_;  /* snapshot_clusters_read */
	struct ms_ref refs_;
	struct snapshot_exports *exports_; /* built on demand: snapshot_gpkg */
};

/* sites[i]'s opening_hours parsed (hours/hours.h), NULL where it has
 * none: read once when the snapshot is made, evaluated by every open_at
 * filter and plan.  Kept for the sites that have hours alone (a pointer
 * for every site of a million would be 8 MB). */
const struct hours *snapshot_hours(const struct snapshot *s, size_t i);

/* The name index: name_zh and name_en of sites[i] are item i's texts 0
 * and 1.  NULL while it is being built after the snapshot
 * (snapshot_opts.names_later), or if that build failed: a name search
 * then reads every site's names, with the same results, as it did before
 * there was an index. */
const struct ngram *snapshot_names(const struct snapshot *s);
/* snapshot_names once a build after the snapshot has ended (at once when
 * there was none). */
const struct ngram *snapshot_names_wait(const struct snapshot *s);

/* What to build besides the indexes, and what may be taken instead of
 * built.  The spatial index and the hierarchies depend on the sites'
 * positions and flags alone, in id order: when prev's sites stand where
 * the new ones stand (as after a reload or an edit that changed names,
 * hours or descriptions but moved nobody), the new snapshot shares prev's
 * spatial index and every hierarchy of prev's with the same parameters,
 * by reference, instead of building them again; prev may then be
 * released at any time.  With as many sites as prev and few of them
 * renamed, the name index is prev's patched (ngram_patch) rather than
 * built; with few of them moved (or given other flags), prev's
 * hierarchies and spatial index are patched (cluster_patch,
 * sindex_patch).  prev must live until
 * snapshot_new_with returns. */
struct snapshot_opts {
	const struct cluster_params *clusters; /* hierarchies; equal sets are built once */
	size_t nclusters;                      /* at most SNAPSHOT_MAX_CLUSTERS distinct */
	const struct snapshot *prev;           /* the snapshot this one follows, or NULL */
	/* With at least this many sites (0: never), a name index that has to
	 * be built from scratch is built after snapshot_new_with returns, on
	 * threads of its own, so that the snapshot can serve a second or so
	 * sooner at a million sites (snapshot_names). */
	size_t names_later;
	/* Hierarchies kept with the data (NULL: none).  A hierarchy that
	 * would be patched or built is read instead: read_kept(kept_arg, p,
	 * &block, &len) gives the block of cluster_encode kept for p
	 * (malloc'd; taken) or fails (none), on one of the build's threads;
	 * the block is used when it was encoded with these sites' version
	 * (snapshot.version) and holds a hierarchy of p's parameters, and the
	 * hierarchy is patched or built as it would have been otherwise. */
	enum ms_status (*read_kept)(void *kept_arg, const struct cluster_params *p, void **block,
	                            size_t *len);
	void *kept_arg;
};

/* Takes ownership of set (sorted by id here; freed on failure too).
 * MS_EDATA "site 'ID': opening_hours: ..." when a site's opening_hours is
 * not in OpenStreetMap's syntax (imports and the store refuse such
 * values, so only a set made elsewhere can have one). */

struct snapshot *snapshot_new(struct site_set *set, struct ms_error *err);
/* snapshot_new that also builds o's hierarchies (o may be NULL).
 * MS_EUSAGE for bad or too many parameter sets. */
struct snapshot *snapshot_new_with(struct site_set *set, const struct snapshot_opts *o, struct ms_error *err);
/* How many of s's hierarchies were read from kept blocks (snapshot_opts.read_kept). */
size_t snapshot_clusters_read(const struct snapshot *s);
/* The blocks to keep with set (store_import_keeping) for the distinct
 * hierarchies of params[0, n) (at most SNAPSHOT_MAX_CLUSTERS), built on
 * every core and encoded with set's version: v[0, *nv), each key and data
 * malloc'd (snapshot_blocks_free).  set is sorted by id here. */
enum ms_status snapshot_blocks(struct site_set *set, const struct cluster_params *params, size_t n,
                               struct store_block **v, size_t *nv, struct ms_error *err);
void snapshot_blocks_free(struct store_block *v, size_t n);
/* store_load + snapshot_new. */
struct snapshot *snapshot_load(const char *db_path, struct ms_error *err);
/* store_load + snapshot_new_with. */
struct snapshot *snapshot_load_with(const char *db_path, const struct snapshot_opts *o, struct ms_error *err);
/* A change to one site: the site after it (its id is id), or NULL when
 * the site id is deleted. */
struct snapshot_change {
	const char *id;
	const struct site *after;
};
/* A new snapshot: base's sites with the n changes applied in order (a
 * later change of one id wins), with the hierarchies base was built with.
 * base is unchanged, so readers of it go on undisturbed: the sites are
 * copied, and the indexes taken from base, patched or built as
 * snapshot_opts.prev says (snapshot.c says what that costs).  Strings of
 * the changes are copied. */
struct snapshot *snapshot_with_changes(const struct snapshot *base, const struct snapshot_change *ch,
                                       size_t n, struct ms_error *err);
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

/* The hierarchy built with the snapshot for parameters that build the same
 * as p (cluster_params_same), borrowed for the snapshot's lifetime; NULL
 * when none was asked for. */
const struct cluster_tree *snapshot_clusters(const struct snapshot *s, const struct cluster_params *p);
/* Bytes the hierarchies hold together. */
size_t snapshot_clusters_memory(const struct snapshot *s);
/* How many of s's parts (its spatial index, its hierarchies, its name
 * index) were built for it from nothing rather than taken or patched from
 * the snapshot before it: counted, so that tests can hold the saving
 * without timing it. */
size_t snapshot_parts_built(const struct snapshot *s);
/* The flags of a site (SNAPSHOT_FLAG_*), as the hierarchies hold them:
 * for callers that build hierarchies of their own over some of the
 * sites. */
uint8_t snapshot_site_flags(const struct site *s);

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

/*
 * cluster.h - the cluster hierarchy: what a map shows of n sites at every
 * zoom, clusters included, decided once per snapshot and asked by window.
 *
 * Clusters are MapLibre's (supercluster's): bottom-up from the highest
 * clustering zoom, each zoom merges the items of the zoom above that lie
 * within the radius of a seed, seeds taken in site order (index = id
 * order), minimum two points, a cluster placed at the count-weighted
 * centroid of what it merged.  Above the highest clustering zoom sites are
 * single, except that sites at one position stay one cluster at every
 * zoom (DESIGN.md).  A window query at a zoom returns exactly the items
 * whose position is in the window, at a cost proportional to what it
 * returns plus a logarithmic term per zoom level, and the answer depends
 * on nothing but the sites, the parameters, the zoom and the window.
 *
 * Positions are world units: the world pixel at zoom 24 of 256-px tiles
 * (Web Mercator, webmerc.h's closed form), rounded to an integer, so one
 * unit is 2^(24-z) px at zoom z and the world is 2^32 units square.
 *
 * GCJ-02 (and BD-09): decisions are made once, in WGS-84.  A tile for a
 * GCJ-02 basemap draws the same items (same members, counts, first
 * member), each at the GCJ-02 position of its WGS-84 position: convert
 * with cluster_unit_to_lonlat, shift, project.  To find them it asks its
 * own window made WGS-84 with cluster_window_unshift (which holds every
 * item whose shifted position can fall inside), and keeps those whose
 * shifted position does.  The shift moves neighbours
 * alike (its gradient is tiny), so clusters decided in WGS-84 still look
 * right on the shifted map, and a cluster is the same on both basemaps.
 *
 * Memory (what cluster_memory reports): at most 17 bytes per site (its
 * position and index in a per-zoom band, 12, its place in the members
 * order, 4, and its flags, 1), 20 bytes per cluster, and 4 bytes per
 * cluster per zoom at which it is drawn.  Sites still single at a zoom are
 * not stored per zoom: a site is in one band, by the zoom from which it is
 * single, and a query reads the bands of that zoom and below.  Clusters
 * number about 0.2 to 0.6 per site over all zooms, so a million sites
 * cost 22 (clustered, 24 px, zooms 0-11) to 32 (uniform over China, 40 px,
 * zooms 0-16) bytes a site in all: 21 to 31 MB.
 *
 * Ownership and threads: immutable after cluster_build; any number of
 * threads may query at once.  Results go to caller-owned buffers.
 */
#ifndef MS_CLUSTER_H
#define MS_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../geo/geo.h"
#include "../util/ms_error.h"

/* Highest zoom there is (webmerc.h's WEBMERC_MAX_ZOOM): one unit is one
 * pixel there. */
#define CLUSTER_ZOOM_LIMIT 24
/* The largest radius accepted, px (a tile is 256 px). */
#define CLUSTER_RADIUS_MAX 512.0
/* "Not a cluster": the node of a single site's item. */
#define CLUSTER_NONE UINT32_MAX

struct cluster_params {
	double radius_px; /* at 256-px tiles, > 0; rounded to 1/256 px */
	int min_zoom;     /* clusters are made at min_zoom .. max_zoom; */
	int max_zoom;     /* 0 <= min_zoom <= max_zoom + 1, max_zoom < CLUSTER_ZOOM_LIMIT */
};
/* max_zoom = min_zoom - 1 makes no clustering level: every zoom shows the
 * sites single but for coincident ones (a style without clusters), and
 * the radius plays no part.  */

/* True when a and b build the same hierarchy (radii compared as rounded;
 * no radius at all when neither makes a level), so that styles whose
 * parameters agree can share one. */
bool cluster_params_same(const struct cluster_params *a, const struct cluster_params *b);

/* What a map shows at a zoom: a single site or a cluster. */
struct cluster_item {
	uint32_t x, y;  /* world units */
	uint32_t count; /* sites: 1 for a single site */
	uint32_t first; /* the smallest site index among them */
	uint32_t node;  /* the cluster, for cluster_members; CLUSTER_NONE for a site */
	uint8_t flags;  /* the OR of the members' flags */
};

/* A window in world units, both ends included. */
struct cluster_window {
	uint32_t x0, y0, x1, y1;
};

/* Items, grown as needed; free with cluster_items_free. */
struct cluster_items {
	struct cluster_item *v;
	size_t n, cap;
	struct cluster_item *spare_; /* private: cap items for sorting */
};

/* The work of one query, counted rather than timed: items whose position
 * was tested plus index nodes opened. */
struct cluster_stats {
	size_t visited;
};

struct cluster_tree;

/* Builds the hierarchy of n sites (WGS-84 degrees); flags (NULL for none)
 * are per site and aggregate by OR.  MS_EUSAGE for bad parameters, MS_EDATA
 * for a position out of range. */
struct cluster_tree *cluster_build(const double *lat, const double *lon, const uint8_t *flags, size_t n,
                                   const struct cluster_params *p, struct ms_error *err);
/* The hierarchy of n sites of which all but changed[0, nchanged)
 * (increasing indexes) stand where they stood in old's, with the flags
 * they had; the changed ones stood at old_lat[i], old_lon[i] (their new
 * positions and flags are in lat, lon, flags).  The same tree as
 * cluster_build of the new sites (the same clusters, numbers, members and
 * answers to every window; a level it keeps from old's may store items
 * of equal x in another order), made from old's in a fraction of the
 * time: a few moved sites change a few clusters per zoom (see cluster.c).
 * n must be old's. */
struct cluster_tree *cluster_patch(const struct cluster_tree *old, const double *lat, const double *lon,
                                   const uint8_t *flags, size_t n, const uint32_t *changed,
                                   const double *old_lat, const double *old_lon, size_t nchanged,
                                   struct ms_error *err);
void cluster_free(struct cluster_tree *t);
/* Bytes held. */
size_t cluster_memory(const struct cluster_tree *t);
/* The parameters as built (radius rounded). */
struct cluster_params cluster_get_params(const struct cluster_tree *t);

/* The name of p's hierarchy, the same for parameters that
 * cluster_params_same calls the same: under it a hierarchy is kept with
 * the data (store_block). */
#define CLUSTER_KEY_MAX 48
void cluster_params_key(const struct cluster_params *p, char key[CLUSTER_KEY_MAX]);
/* The number of sites t was built over. */
size_t cluster_sites(const struct cluster_tree *t);
/* Can t be patched (cluster_patch)?  Not a decoded one: a patch relies on
 * more of how the builder made the tree than a decoder can check, so a
 * block (which anybody could have written) is read for queries alone. */
bool cluster_patchable(const struct cluster_tree *t);

/* t as one block of bytes (*out, malloc'd, *len of them) to keep beside
 * the data it was built from, with that data's version: cluster_decode
 * gives back the same tree (cluster_codec.c).  A block is for machines of
 * the same byte order and of the same mapsvc's layout of the arrays. */
void cluster_encode(const struct cluster_tree *t, uint64_t version, unsigned char **out, size_t *len);
/* The tree of a block of cluster_encode, which it takes (malloc'd, 8-byte
 * aligned: the tree's arrays stay in it; freed when it fails), and the
 * version it was encoded with into *version (may be NULL).  Nothing in
 * the block is trusted: MS_EDATA for a block of another format or
 * machine, damaged, or whose arrays do not form a hierarchy that queries
 * can walk.  The tree answers queries; it is not cluster_patchable. */
struct cluster_tree *cluster_decode(void *data, size_t len, uint64_t *version, struct ms_error *err);

/* Every item at zoom (any zoom: below min_zoom it is min_zoom's picture,
 * above max_zoom every site single but for coincident ones) whose position
 * is in w, into out (emptied first), in increasing order of first, so
 * that overlapping markers are drawn in one order on every tile.  Returns
 * out->n.  st may be NULL. */
size_t cluster_query(const struct cluster_tree *t, int zoom, const struct cluster_window *w,
                     struct cluster_items *out, struct cluster_stats *st);
void cluster_items_free(struct cluster_items *items);
/* Bytes the buffers of items hold. */
size_t cluster_items_memory(const struct cluster_items *items);

/* The sites of a cluster: a borrowed array of its count site indices,
 * the smallest first, valid as long as the tree.  Returns the count (0 for
 * an unknown node). */
size_t cluster_members(const struct cluster_tree *t, uint32_t node, const uint32_t **sites);
/* The zoom at which the cluster splits (its last zoom plus one;
 * MapLibre's getClusterExpansionZoom): zooming there and asking the
 * cluster's window shows what it was made of.  -1 for an unknown node. */
int cluster_expansion_zoom(const struct cluster_tree *t, uint32_t node);

/* Positions: a site's world units, and back to degrees. */
void cluster_position(double lat, double lon, uint32_t *x, uint32_t *y);
void cluster_unit_to_lonlat(uint32_t x, uint32_t y, double *lat, double *lon);
/* The window of tile z/x/y widened by margin_px on every side (clamped to
 * the world), for markers and labels that reach across the tile edge. */
void cluster_tile_window(int z, long long x, long long y, double margin_px, struct cluster_window *w);
/* w, a window of positions in cs, becomes a window of WGS-84 positions
 * holding every item whose position in cs falls in it
 * (coordsys_wgs84_box; clamped to the world). */
void cluster_window_unshift(struct cluster_window *w, enum coordsys cs);

/* Counts for benchmarks and tests. */
struct cluster_info {
	size_t sites, nodes;
	size_t alive[CLUSTER_ZOOM_LIMIT + 2];  /* clusters drawn at each zoom */
	size_t single[CLUSTER_ZOOM_LIMIT + 2]; /* sites drawn single at each zoom */
	size_t quiet;                          /* work the build spared: the times a level carried a site
	                                        * over without a neighbour search, no other site being
	                                        * near enough for anything to reach it */
};
void cluster_get_info(const struct cluster_tree *t, struct cluster_info *info);

#endif

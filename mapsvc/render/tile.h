/*
 * tile.h - the tile composer: views (a tile, an @2x tile, a static map of
 * any size) onto the map of a snapshot, drawn into PNG.
 *
 * A view asks the cluster hierarchy of its style (index/cluster.h) for
 * the items within its reach, lays them out (render/layout.h: markers,
 * uncertainty circles, labels, with rules that depend only on each
 * feature's neighbourhood, which is what keeps views seamless) and draws
 * them: context layers (render/context.h), circles, markers and clusters,
 * labels.  A view costs what it reads, from the first request on, and
 * nothing is kept per zoom.  @2x draws the same decisions with every
 * coordinate and size doubled.  An empty tile is one shared, pre-encoded
 * PNG.
 *
 * Hierarchies.  Styles whose clustering parameters agree
 * (tile_cluster_params, cluster_params_same) share one hierarchy, and so
 * do WGS-84 and GCJ-02 views (index/cluster.h states the rule: decided in
 * WGS-84, drawn shifted).  A map uses the hierarchies its snapshot was
 * built with (snapshot_load_with with tile_styles_cluster_params: a
 * reload has them before the swap) and builds any other one on the first
 * view that needs it.
 *
 * Filtered views.  A subset of the sites (the ones a CQL2 filter selects,
 * found by the caller) is drawn as a map of its own: its own hierarchies,
 * built on the first view that needs each and kept in the map's cache of
 * subsets, bounded in bytes (TILE_SUBSETS_BYTES) and keyed by the caller's
 * text (the filter's canonical text: the map is one snapshot, so one data
 * version).  Concurrent first requests of one subset compute it once.
 *
 * Memory.  The map holds the hierarchies and the subsets; a render
 * context holds one view's scratch, which it gives back after a view that
 * made it grow past TILE_SCRATCH_KEEP_BYTES.  tile_map_memory reports the
 * lot, so that tests can hold it to its bound whatever was asked.
 *
 * Ownership and threads: a struct tile_map holds a snapshot (retained)
 * and borrows an array of styles (which must outlive it: a styleset,
 * styleset/styleset.h).  It is reference-counted and shared by any number
 * of threads; what it computes on demand is computed once and immutable
 * afterwards.  A struct tile_subset is reference-counted too, and must be
 * released before the map.  A struct tile_ctx is per-thread scratch: a
 * canvas, FreeType faces, the view's items and layout; pass it
 * explicitly, never share it.
 */
#ifndef MS_TILE_H
#define MS_TILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../geo/geo.h"
#include "../index/cluster.h"
#include "../store/snapshot.h"
#include "../util/buf.h"
#include "../util/ms_error.h"
#include "canvas.h"
#include "style.h"

/* Largest @Nx factor accepted. */
#define TILE_MAX_SCALE 4
/* Largest window (static maps) in canvas pixels per side. */
#define TILE_MAX_VIEW_PX 4096
/* A render context keeps at most this much scratch between views. */
#define TILE_SCRATCH_KEEP_BYTES (4u << 20)
/* The subsets a map keeps (their indices and hierarchies), bytes. */
#define TILE_SUBSETS_BYTES (64u << 20)

struct tile_ctx;
struct tile_map;
struct tile_subset;

/* Per-thread render context.  Fonts and buffers are made on first use, so
 * nothing in it can fail today; NULL (with err) stays the contract for a
 * context that cannot be set up. */
struct tile_ctx *tile_ctx_new(struct ms_error *err);
void tile_ctx_free(struct tile_ctx *ctx);

/* The hierarchy a style draws with: its clusterRadius and clusterMaxZoom
 * from zoom 0, or no clustering level for a style without clusters. */
void tile_cluster_params(const struct style *st, struct cluster_params *p);
/* The distinct parameter sets of n styles (those that build different
 * hierarchies), into out (room for n): what a snapshot should be built
 * with.  A style that draws no sites (style.h) needs none.  Returns how
 * many. */
size_t tile_styles_cluster_params(const struct style *styles, size_t n, struct cluster_params *out);

/* A map over snap (retained until the map's last release) drawn with any
 * of the nstyles styles (borrowed; they must outlive the map). */
struct tile_map *tile_map_new(struct snapshot *snap, const struct style *styles, size_t nstyles);
/* m's views read the glyphs a drew ahead (render/ahead.h), which must
 * outlive m; before m is shared. */
struct tile_ahead;
void tile_map_set_ahead(struct tile_map *m, const struct tile_ahead *a);
struct tile_map *tile_map_retain(struct tile_map *m);
void tile_map_release(struct tile_map *m);
/* The snapshot drawn (borrowed for the map's lifetime). */
const struct snapshot *tile_map_snapshot(const struct tile_map *m);

/* Fills *idx (malloc'ed, handed over) with the indices into snap->sites
 * of a subset, in increasing order, and *n with their count; or fails. */
typedef enum ms_status (*tile_subset_fn)(void *arg, const struct snapshot *snap, uint32_t **idx, size_t *n,
                                         struct ms_error *err);
/* The subset called key (a reference for the caller: tile_subset_release
 * it before releasing the map), from the map's cache, or made by fill
 * (once, however many threads ask at once) and cached.  fill's failure is
 * returned and not cached. */
enum ms_status tile_map_subset(struct tile_map *m, const char *key, tile_subset_fn fill, void *arg,
                               struct tile_subset **out, struct ms_error *err);
void tile_subset_release(struct tile_subset *s);
/* Sites in the subset. */
size_t tile_subset_size(const struct tile_subset *s);

/* A window onto the map of (style, coordsys, zoom).  origin_x/y are the
 * window's top-left corner in world pixels of that zoom multiplied by
 * scale (so a tile's origin is x * 256 * scale); they are whole numbers so
 * that every window cuts the same pixels.  width/height are canvas px. */
struct tile_view {
	const struct style *style; /* one of the map's styles */
	enum coordsys coordsys;    /* the system the basemap is in */
	int zoom;                  /* 0 .. WEBMERC_MAX_ZOOM */
	int scale;                 /* 1 .. TILE_MAX_SCALE */
	long long origin_x, origin_y;
	int width, height;
	struct tile_subset *subset; /* the sites drawn: NULL for all, else one of the map's */
};

/* The view of tile z/x/y at scale (256 * scale px square), of all sites. */
void tile_view_of_tile(struct tile_view *v, const struct style *style, enum coordsys cs, int z, long long x,
                       long long y, int scale);

/* Draws the view.  On MS_OK, *empty tells whether nothing falls in it and
 * the background is transparent (nothing was drawn: use the shared empty
 * PNG); otherwise *out is the context's canvas (borrowed until the next
 * call with ctx) holding the picture. */
enum ms_status tile_render_view(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
                                struct canvas **out, bool *empty, struct ms_error *err);

/* Renders the view and appends its PNG to png.  An empty view appends the
 * shared empty PNG of its size (see tile_empty_png) and sets *empty. */
enum ms_status tile_render_png(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
                               struct buf *png, bool *empty, struct ms_error *err);

/* The one pre-encoded fully transparent PNG of a square tile of
 * 256 * scale px, built once; borrowed, valid until exit.  NULL when the
 * scale is out of range. */
const struct buf *tile_empty_png(int scale);

/* What the last view rendered with ctx contained and cost, for tests and
 * benchmarks: items read (within its margin) and drawn, clusters and
 * labels drawn, the largest cluster drawn, circles drawn, and the work of
 * the hierarchy query (cluster_stats.visited). */
struct tile_view_stats {
	size_t items, drawn, clusters, labels, largest_cluster, circles, visited;
};
void tile_ctx_stats(const struct tile_ctx *ctx, struct tile_view_stats *st);

/* Warming: draws into ctx, as requests would, the tiles of the place
 * where the sites crowd most (the zoom-16 tile holding most of them), at
 * zooms 0-20, at 1x, @2x and 1x in GCJ-02, in style st; returns how many
 * it drew, fewer when *stop (if not NULL) turns true.  A context grows
 * its buffers and layout arrays to what a view needs, in pages that are
 * faulted in as they are first written: a thread's first crowded tile
 * paid for about 160 of them (1.5 ms of its 5).  Warmed where no request
 * waits (mapservice_warm), the context has them ready.  Whatever ctx
 * drew before, every tile stays the same bytes. */
size_t tile_ctx_warm(struct tile_map *m, struct tile_ctx *ctx, const struct style *st,
                     const atomic_bool *stop);
/* Times ctx's scratch grew since it was made: zero growth across a view
 * is a view that needed no new memory. */
size_t tile_ctx_grew(const struct tile_ctx *ctx);

/* Where a site is drawn: the world pixel (zoom, scale 1) of site i of the
 * map's snapshot in coordsys, on the anchor grid, as a view draws it when
 * it is single.  For tests and for callers that centre views on sites. */
enum ms_status tile_site_world_px(struct tile_map *m, struct tile_ctx *ctx, enum coordsys cs, size_t i,
                                  int zoom, double *px, double *py, struct ms_error *err);
/* The same for any WGS-84 position: where a single site there is drawn.
 * In GCJ-02 from zoom 12 on, the shift is interpolated on a fixed lattice
 * (tile.c), within 0.02 px of the closed form. */
void tile_world_px(enum coordsys cs, double lat, double lon, int zoom, double *px, double *py);

/* The memory of drawing: the hierarchies the map uses (its snapshot's
 * and those it built), its subsets (indices and hierarchies), the scratch
 * of every render context of the process, now and at its highest, and
 * their marker images (render/sprite.h: at most SPRITE_MAX a context). */
struct tile_memory {
	size_t trees, subsets, scratch, scratch_peak, sprites;
};
void tile_map_memory(const struct tile_map *m, struct tile_memory *out);

/* For overlays drawn over a rendered view (route/overlay.c): the context's
 * FreeType face for the style's font, opened on first use; borrowed until
 * tile_ctx_free. */
struct glyphs;
struct glyphs *tile_ctx_glyphs(struct tile_ctx *ctx, const struct style *style, struct ms_error *err);

#endif

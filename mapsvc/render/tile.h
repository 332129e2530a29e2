/*
 * tile.h - the tile composer: views (a tile, an @2x tile, a static map of
 * any size) onto the map of a snapshot, drawn into PNG.
 *
 * What is drawn at a zoom is decided once, in world pixels, by a layout
 * (render/layout.h: why, and how windows stay seamless); a view is only a
 * window onto it: context layers (render/context.h), then markers and
 * clusters, then labels, in the layout's order.  @2x draws the same
 * decisions with every coordinate and size doubled.  An empty tile is one
 * shared, pre-encoded PNG.
 *
 * Ownership and threads: a struct tile_map holds a snapshot (retained)
 * and borrows an array of styles (which must outlive it: a styleset,
 * styleset/styleset.h).  Its site positions and layouts are computed
 * lazily by the first thread that needs them, published once and
 * immutable afterwards; concurrent first requests wait for that one
 * computation instead of repeating it.  A tile_map is reference-counted
 * and shared by any number of threads.  A struct tile_ctx is per-thread
 * scratch: a canvas, FreeType faces, query and context buffers; pass it
 * explicitly, never share it.
 */
#ifndef MS_TILE_H
#define MS_TILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../geo/geo.h"
#include "../store/snapshot.h"
#include "../util/buf.h"
#include "../util/ms_error.h"
#include "canvas.h"
#include "style.h"

/* Largest @Nx factor accepted. */
#define TILE_MAX_SCALE 4
/* Largest window (static maps) in canvas pixels per side. */
#define TILE_MAX_VIEW_PX 4096

struct tile_ctx;
struct tile_map;

/* Per-thread render context.  Fonts and buffers are made on first use, so
 * nothing in it can fail today; NULL (with err) stays the contract for a
 * context that cannot be set up. */
struct tile_ctx *tile_ctx_new(struct ms_error *err);
void tile_ctx_free(struct tile_ctx *ctx);

/* A map over snap (retained until the map's last release) drawn with any
 * of the nstyles styles (borrowed; they must outlive the map). */
struct tile_map *tile_map_new(struct snapshot *snap, const struct style *styles, size_t nstyles);
struct tile_map *tile_map_retain(struct tile_map *m);
void tile_map_release(struct tile_map *m);
/* The snapshot drawn (borrowed for the map's lifetime). */
const struct snapshot *tile_map_snapshot(const struct tile_map *m);

/* A window onto the layout of (style, coordsys, zoom).  origin_x/y are the
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
};

/* The view of tile z/x/y at scale (256 * scale px square). */
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

/* Where a site is drawn: the world pixel (zoom, scale 1) of site i of the
 * map's snapshot in coordsys, on the anchor grid.  For tests and for
 * callers that centre views on sites. */
enum ms_status tile_site_world_px(struct tile_map *m, struct tile_ctx *ctx, enum coordsys cs, size_t i,
                                  int zoom, double *px, double *py, struct ms_error *err);

/* What the layout of (style, coordsys, zoom) contains, for tests and
 * metrics: markers drawn (clusters count once), clusters among them, and
 * labels placed. */
struct tile_layout_stats {
	size_t markers, clusters, labels;
	size_t largest_cluster;
};
enum ms_status tile_layout_stats(struct tile_map *m, struct tile_ctx *ctx, const struct style *style,
                                 enum coordsys cs, int zoom, struct tile_layout_stats *st,
                                 struct ms_error *err);

/* For overlays drawn over a rendered view (route/overlay.c): the context's
 * FreeType face for the style's font, opened on first use; borrowed until
 * tile_ctx_free. */
struct glyphs;
struct glyphs *tile_ctx_glyphs(struct tile_ctx *ctx, const struct style *style, struct ms_error *err);

#endif

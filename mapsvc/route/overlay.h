/*
 * overlay.h - the route drawn on a map: static map windows (a box fitted
 * into an image, or a centre and a zoom), the route line and numbered stop
 * markers drawn over the tile renderer's picture, and the choice of stops
 * for a sheet (listed ids or the N nearest sites).
 *
 * A static map is a window of the tile composer (render/tile.h), so its
 * pixels are exactly those of the tiles covering the same area; the route
 * overlay is drawn on top of that picture, never into the tiles.  The
 * overlay's coordinates are in the view's coordinate system (WGS-84, or
 * GCJ-02 for maps aligned with AMap/Tencent basemaps);
 * route_overlay_from_plan converts a plan's WGS-84 points.  (The route
 * sheet's own map, with placed labels, is sheetmap.h's; this overlay is
 * /staticmap.png's.)
 *
 * How the overlay looks (sizes in logical px, times the view's scale):
 *   - the line: start, stops in visiting order (and back to the start for
 *     a round trip), ROUTE_LINE_W wide in ROUTE_LINE_COLOUR;
 *   - stop k (1-based, visiting order): a disc of radius ROUTE_MARKER_R
 *     in ROUTE_MARKER_COLOUR with a white outline and the number k in
 *     white in its middle;
 *   - the start: a square of the same size in ROUTE_START_COLOUR with
 *     "起" (start) in white, so it never reads as a stop number.
 * Stops are drawn from the last to the first and the start last, so where
 * markers overlap the earlier stop and the start stay visible.
 *
 * No state: everything is thread-safe on distinct arguments (the tile
 * context passed in is per-thread, as tile.h says).
 */
#ifndef MS_ROUTE_OVERLAY_H
#define MS_ROUTE_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "../render/tile.h"
#include "../store/snapshot.h"
#include "route.h"

/* Static map limits (logical px per side; the canvas is times scale). */
#define ROUTE_MAP_MAX_PX 2048
#define ROUTE_MAP_MAX_SCALE 2
/* Logical px kept free on every side of a fitted box, so that markers at
 * its edge (radius ROUTE_MARKER_R plus outline) and their labels show. */
#define ROUTE_MAP_PAD_PX 32
/* Highest zoom a fitted box gets (one point, or points metres apart):
 * street level, beyond which a printed map shows nothing more. */
#define ROUTE_MAP_FIT_MAX_ZOOM 17
/* The style maps for paper are drawn in (styles/print.json): static maps
 * unless asked otherwise, and every sheet's overview map. */
#define ROUTE_MAP_STYLE "print"

#define ROUTE_MARKER_R 10.0
#define ROUTE_MARKER_OUTLINE 2.0
#define ROUTE_LINE_W 3.0
/* Deep blue: apart from every category colour of the styles (reds,
 * oranges, a purple, one lighter blue) and dark enough to print in grey. */
#define ROUTE_MARKER_COLOUR ((struct rgba){0x1a, 0x3c, 0x8f, 0xff})
#define ROUTE_LINE_COLOUR ((struct rgba){0x1a, 0x3c, 0x8f, 0xcc})
#define ROUTE_START_COLOUR ((struct rgba){0x11, 0x6b, 0x2f, 0xff})

struct route_overlay {
	bool has_start;
	double start_lat, start_lon;
	size_t n; /* numbered stops, at most ROUTE_MAX_STOPS */
	double lat[ROUTE_MAX_STOPS], lon[ROUTE_MAX_STOPS];
	bool line;       /* draw the route line */
	bool round_trip; /* the line goes back to the start */
};

/* The overlay of a plan (start, stops in visiting order, line), its
 * WGS-84 points converted into cs. */
void route_overlay_from_plan(struct route_overlay *ov, const struct route_plan *p, enum coordsys cs);
/* The box around every point of the overlay; false when it has none. */
bool route_overlay_bounds(const struct route_overlay *ov, double *west, double *south, double *east,
                          double *north);

/* The largest zoom (<= max_zoom) at which the box fits in a width x
 * height image with pad px free on every side (pad shrinks to a quarter
 * of a small image's side).  MS_EUSAGE when the box is not a valid
 * lon/lat box with west <= east and south <= north. */
enum ms_status route_map_fit_zoom(double west, double south, double east, double north, int width, int height,
                                  int pad, int max_zoom, int *zoom, struct ms_error *err);
/* The window of width x height logical px (the canvas is scale times
 * that) centred on lat/lon at zoom.  The origin is rounded to whole
 * canvas px (floor(x + 0.5)), as tile views require. */
void route_map_view_center(struct tile_view *v, const struct style *style, enum coordsys cs, double lat,
                           double lon, int zoom, int width, int height, int scale);
/* The same for a box: centred on the box's Web Mercator middle. */
void route_map_view_box(struct tile_view *v, const struct style *style, enum coordsys cs, double west,
                        double south, double east, double north, int zoom, int width, int height, int scale);
/* The window of width x height logical px at scale showing the box
 * (west, south, east, north) whole: route_map_fit_zoom with
 * ROUTE_MAP_PAD_PX free on every side, at most min(max_zoom,
 * ROUTE_MAP_FIT_MAX_ZOOM), then route_map_view_box.  Its errors. */
enum ms_status route_map_view_fit(struct tile_view *v, const struct style *style, enum coordsys cs,
                                  const double box[4], int width, int height, int scale, int max_zoom,
                                  struct ms_error *err);
/* Where a point of the view's system lands on its canvas (px, with (0,0)
 * the top-left corner; closed-form Web Mercator). */
void route_map_canvas_px(const struct tile_view *v, double lat, double lon, double *x, double *y);

/* Draws the overlay onto c, the canvas of view v. */
void route_overlay_draw(struct canvas *c, struct glyphs *gl, const struct tile_view *v,
                        const struct route_overlay *ov);

/* Renders view v (tile_render_view) with the overlay (may be NULL) on top
 * and appends the PNG to png. */
enum ms_status route_map_render_png(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
                                    const struct route_overlay *ov, struct buf *png, struct ms_error *err);

/* --- choosing the stops ------------------------------------------------ */

/* "LAT,LON" (decimal degrees, nothing else) into lat/lon: false when it
 * is not two finite numbers.  The range is not checked here. */
bool route_parse_point(const char *s, double *lat, double *lon);

/* The sites of a comma-separated id list ("a,b,c"), in the order given,
 * into out (room for ROUTE_MAX_STOPS).  MS_EUSAGE naming the value for an
 * empty list or id, more than ROUTE_MAX_STOPS ids, or a duplicate;
 * MS_ENOTFOUND naming the id when the snapshot has no such site. */
enum ms_status route_select_ids(const struct snapshot *snap, const char *ids, const struct site **out,
                                size_t *n, struct ms_error *err);
/* The k sites nearest lat/lon (geodesic, ties by id) into out (room for
 * ROUTE_MAX_STOPS).  MS_EUSAGE when k is outside 1..ROUTE_MAX_STOPS or
 * the point is not a valid WGS-84 coordinate; fewer than k when the
 * snapshot has fewer sites (none: MS_ENOTFOUND). */
enum ms_status route_select_nearest(const struct snapshot *snap, double lat, double lon, long k,
                                    const struct site **out, size_t *n, struct ms_error *err);

#endif

/*
 * context.h - drawing a style's context layers (fill and line layers over
 * GeoJSON geometry, styles/README.md) into a window, under the markers.
 *
 * A window is given as a tile view is (render/tile.h): the coordsys the
 * basemap is in, a zoom, a scale, and the canvas's top-left corner in
 * world pixels of that zoom times the scale.  Geometry is kept in WGS-84
 * world pixels at zoom 0 (render/geodata.h); in GCJ-02 or BD-09 each
 * vertex is shifted before projection.
 *
 * Ownership and threads: a struct context_scratch holds one thread's
 * buffers for projected vertices; pass it explicitly, never share it.
 * Drawing reads the style and its geometry only.
 */
#ifndef MS_CONTEXT_H
#define MS_CONTEXT_H

#include "../geo/geo.h"
#include "canvas.h"
#include "style.h"

struct context_scratch;

struct context_scratch *context_scratch_new(void);
void context_scratch_free(struct context_scratch *s);

/* Draws st's context layers that are visible at zoom, in file order, over
 * what c holds.  origin_x/y: c's top-left corner in world px of zoom
 * multiplied by scale (whole numbers, so every window cuts the same
 * pixels). */
void context_draw(struct context_scratch *s, struct canvas *c, const struct style *st, enum coordsys cs,
                  int zoom, int scale, long long origin_x, long long origin_y);

#endif

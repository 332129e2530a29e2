/*
 * raster.h - mapsvc's own antialiased rasterizer.
 *
 * Shapes are filled by exact area coverage: each edge adds, to the cells it
 * crosses, the signed area it sweeps, and a running sum along the row gives
 * every pixel's covered fraction (the accumulation technique of font
 * rasterizers).  That is exact for polygons, needs no supersampling, and
 * gives the same pixels whatever the canvas origin, as long as coordinates
 * are shifted by whole pixels: a shape drawn on a tile and on a larger
 * image of the same area matches pixel for pixel.  Curves (circles, pins)
 * are flattened to polygons fine enough that the error is under 1/16 px.
 * Input coordinates are snapped to 1/256 px, and coverage is delivered in
 * steps of 1/64 (finer than the eye sees on an edge; it keeps tiles of a
 * few markers within a 256-colour PNG palette).
 *
 * Coordinates are in pixels with (0,0) the top-left corner of the canvas's
 * top-left pixel; a pixel's centre is at (x+0.5, y+0.5).  Everything is
 * clipped to the canvas.  No state: thread-safe for distinct canvases.
 */
#ifndef MS_RASTER_H
#define MS_RASTER_H

#include <stdbool.h>

#include "canvas.h"

enum marker_shape { SHAPE_CIRCLE, SHAPE_PIN, SHAPE_SQUARE, SHAPE_DIAMOND, SHAPE_TRIANGLE, SHAPE_COUNT };

/* "circle", "pin", ... and back (-1 when unknown). */
const char *marker_shape_name(enum marker_shape s);
int marker_shape_parse(const char *name);

/* Fills the polygon made of nrings closed rings (ring r has ring_len[r]
 * points, xy holds x0,y0,x1,y1,... of all rings in order), non-zero
 * winding rule. */
void raster_fill_polygon(struct canvas *c, const double *xy, const int *ring_len, int nrings,
                         struct rgba colour);
/* Strokes a polyline of npts points (closed: back to the first) with round
 * joins and caps, width in px. */
void raster_stroke_polyline(struct canvas *c, const double *xy, int npts, bool closed, double width,
                            struct rgba colour);
void raster_fill_circle(struct canvas *c, double cx, double cy, double r, struct rgba colour);
/* A ring centred on radius r, width px wide. */
void raster_stroke_circle(struct canvas *c, double cx, double cy, double r, double width, struct rgba colour);

/* A marker whose anchor is (x, y): a circle's, square's, diamond's and
 * triangle's centre, a pin's tip.  size is the radius (half the width) in
 * px; outline (drawn outside the fill, outline_w px) may be transparent. */
void raster_marker(struct canvas *c, enum marker_shape shape, double x, double y, double size,
                   struct rgba fill, struct rgba outline, double outline_w);
/* The hole of a hollow marker (an approximate site's): the inside of the
 * marker raster_marker draws at (x, y) with size, from frac * size in,
 * filled with colour; concentric with the shape's body (a pin's head). */
void raster_marker_hole(struct canvas *c, enum marker_shape shape, double x, double y, double size,
                        double frac, struct rgba colour);
/* The marker's extent around its anchor (for hit boxes, label placement):
 * offsets of its left, top, right and bottom edges, outline included, so
 * left and top are negative: the box is [x + left, x + right] x
 * [y + top, y + bottom], exact up to the 1/16 px of curve flattening. */
void raster_marker_extent(enum marker_shape shape, double size, double outline_w, double *left, double *top,
                          double *right, double *bottom);

#endif

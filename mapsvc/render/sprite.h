/*
 * sprite.h - markers drawn once and stamped: a per-thread cache of marker
 * images (a site's marker with its outline and an approximate site's hole,
 * a cluster's disc), each rasterized the first time its look and its
 * sub-pixel phase are asked for, then composited in one pass wherever it
 * is drawn again.
 *
 * Why: a crowded tile draws hundreds of markers, and rasterizing each one
 * (render/raster.h: exact area coverage of two outlines, two blends) costs
 * several times compositing its finished image.  The rasterizer gives the
 * same pixels for a shape moved by whole pixels, so an image made at one
 * sub-pixel phase is the shape at every position of that phase; positions
 * are rounded to 1 / SPRITE_PHASES px and sizes to 1/64 px, which the
 * eye does not see on a marker's antialiased edge.  Compositing the finished
 * image rounds once where drawing the outline then the fill rounded twice,
 * so a stamped marker may differ from a rasterized one by a level, but a
 * marker is stamped the same on every tile, which is what seams need.
 *
 * The cache holds at most SPRITE_MAX images, in two generations: new
 * images go to the newer, and an image found only in the older is copied
 * into the newer (a copy, not a drawing).  When the newer is full the
 * older is dropped and the newer takes its place, so the looks a map
 * keeps asking for survive, and the rest is forgotten half a cache at a
 * time.  Emptying the whole cache at once, as it did, drew every marker
 * of the next tiles again (a z15 tile of the clustered million: 7 ms,
 * most of it freeing 2,048 images); pixels now come from blocks that a
 * dropped generation hands to the next.  It is made for canvases of
 * one coverage quantisation (canvas_set_aa_levels): drawing on a canvas of
 * another empties it first.
 *
 * Ownership and threads: a struct sprites is per-thread scratch, like the
 * glyph cache; pass it explicitly, never share it.
 */
#ifndef MS_SPRITE_H
#define MS_SPRITE_H

#include <stddef.h>

#include "canvas.h"
#include "raster.h"

/* Positions are rounded to 1 / SPRITE_PHASES px. */
#define SPRITE_PHASES 4
/* Images kept at most.  A zoom's markers at one scale take up to 16
 * phases of each look (eight categories, their approximate variants and
 * the cluster disc: about 270); tiles at 1x and 2x alternate, and 512 were
 * emptied every few tiles, each time drawing them all again.  2,048 @2x
 * markers are about 10 MB. */
#define SPRITE_MAX 2048

struct sprites;

struct sprites *sprites_new(void);
void sprites_free(struct sprites *s);
/* Bytes held. */
size_t sprites_memory(const struct sprites *s);
/* Images drawn so far (not those copied or found): the work the cache
 * saves is counted, not timed. */
size_t sprites_drawn(const struct sprites *s);

/* What raster_marker(c, shape, x, y, size, fill, outline, outline_w) and
 * then, when hole > 0, raster_marker_hole(c, shape, x, y, size, hole,
 * hole_colour) draw, at (x, y) rounded to 1 / SPRITE_PHASES px. */
void sprites_marker(struct sprites *s, struct canvas *c, enum marker_shape shape, double x, double y,
                    double size, struct rgba fill, struct rgba outline, double outline_w, double hole,
                    struct rgba hole_colour);

#endif

/*
 * canvas.h - an RGBA raster to draw map images on.
 *
 * Pixels are 8-bit premultiplied RGBA, row-major, no padding: premultiplied
 * because "source over" compositing is then one multiply-add per channel
 * and antialiased edges over a transparent tile stay correct.  Every shape
 * and glyph reaches the pixels through canvas_blend_span or
 * canvas_blend_mask, which clip to the canvas, so drawing partly or wholly
 * outside is always safe.  A canvas belongs to one thread at a time.
 */
#ifndef MS_CANVAS_H
#define MS_CANVAS_H

#include <stdint.h>

/* A colour with straight (not premultiplied) alpha, as styles write it. */
struct rgba {
	uint8_t r, g, b, a;
};

struct canvas {
	int width, height;
	uint8_t *px; /* width * height * 4 bytes, premultiplied RGBA */
};

struct canvas *canvas_new(int width, int height);
void canvas_free(struct canvas *c);
/* Fills every pixel with colour (premultiplying it). */
void canvas_clear(struct canvas *c, struct rgba colour);
/* Composites colour "source over" onto pixels x0 <= x < x1 of row y, each
 * scaled by its coverage (0..255; NULL means full coverage).  cov[0] is
 * the coverage of pixel x0. */
void canvas_blend_span(struct canvas *c, int x0, int x1, int y, const uint8_t *cov, struct rgba colour);
/* Composites colour through an 8-bit coverage mask whose top-left pixel
 * lands on (x, y) (glyph bitmaps, shape masks). */
void canvas_blend_mask(struct canvas *c, int x, int y, const uint8_t *mask, int mask_w, int mask_h,
		       int mask_stride, struct rgba colour);
/* True when every pixel is fully transparent. */
int canvas_is_empty(const struct canvas *c);

#endif

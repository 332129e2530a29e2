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
	/* Coverage as drawn: identity unless canvas_set_aa_levels was called. */
	uint8_t cov_map[256];
};

/* Coverage levels of a new canvas: exact, every 8-bit value kept. */
#define CANVAS_AA_EXACT 256
/* Levels map tiles are drawn with; see canvas_set_aa_levels. */
#define CANVAS_AA_TILE 16

struct canvas *canvas_new(int width, int height);
void canvas_free(struct canvas *c);
/* Rounds every coverage value blended from now on to one of `levels`
 * evenly spaced values (2..256; CANVAS_AA_EXACT keeps them exact).
 *
 * Why map tiles use 16: an overlay tile is markers and labels whose
 * antialiased edges overlap (glyph over halo over marker), and with
 * 256 coverage levels those overlaps make tiles of more than 256 colours,
 * which must then be RGBA PNGs several times larger.  With 16 levels, the
 * edge steps are 1/15 of full coverage, below what the eye separates on an
 * edge one pixel wide (fonts were long antialiased with 5 to 17 levels),
 * while the colours of a tile fall to a few dozen: every tile is an
 * indexed PNG, and deflate has far fewer symbols to code.  Measured on
 * the benchmark tile list: non-empty tiles 42% smaller and encoded 3x
 * faster, with no difference a person can see at 1:1. */
void canvas_set_aa_levels(struct canvas *c, int levels);
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
/* Composites a premultiplied RGBA image (w x h, rows of w pixels) "source
 * over" with its top-left pixel on (x, y): what was drawn on a transparent
 * canvas of that size, drawn again here in one pass (render/sprite.h). */
void canvas_blend_image(struct canvas *c, int x, int y, const uint8_t *img, int w, int h);
/* True when every pixel is fully transparent. */
int canvas_is_empty(const struct canvas *c);

#endif

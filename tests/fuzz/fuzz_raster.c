/*
 * fuzz_raster.c - the rasterizer with arbitrary shapes and coordinates.
 *
 * The input is a little program: a canvas size, then operations (fill a
 * polygon of several rings, stroke a polyline, circles, markers) whose
 * numbers are either small values around the canvas or picked from a
 * table of troublemakers (NaN, infinities, 1e308, values past INT_MAX,
 * denormals, -0) or raw 8-byte doubles.  Nothing may crash or hang, and
 * after every operation each pixel must still be valid premultiplied
 * RGBA (no channel above alpha), and a transparent colour must leave
 * every pixel as it was.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "render/canvas.h"
#include "render/raster.h"

#define H "fuzz_raster"
#define MAX_POINTS 64
#define MAX_OPS 32

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static double number(struct input *in)
{
	static const double odd[] = {
	    NAN,    INFINITY,    -INFINITY,   DBL_MAX,      -DBL_MAX,      1e308,
	    -1e308, 1e15,        -1e15,       2147483648.0, -2147483649.0, 4294967296.0,
	    1e9,    -1e9,        DBL_MIN,     4.9e-324,     -0.0,          0.0,
	    0.5,    1.0 / 65536, 65535.99999, 32768.0,      1e-9,          0.49999999999999994,
	};
	unsigned sel = byte(in);
	if (sel < 192) /* around the canvas, in quarter pixels */
		return ((double)sel - 32.0) / 2.0 + (double)byte(in) / 256.0;
	if (sel < 248)
		return odd[(sel - 192) % (sizeof odd / sizeof odd[0])];
	double d = 0;
	uint8_t raw[sizeof d];
	for (size_t i = 0; i < sizeof raw; i++)
		raw[i] = (uint8_t)byte(in);
	memcpy(&d, raw, sizeof d);
	return d;
}

static struct rgba colour(struct input *in)
{
	unsigned k = byte(in);
	/* a quarter of them transparent: those must change nothing */
	struct rgba c = {(uint8_t)(k * 37), (uint8_t)(k * 11), (uint8_t)(k * 3),
	                 (uint8_t)((k & 3) ? 64 + k % 192 : 0)};
	return c;
}

static void check_pixels(const struct canvas *c, const uint8_t *before, bool visible, int op)
{
	size_t n = (size_t)c->width * (size_t)c->height * 4;
	for (size_t i = 0; i < n; i += 4) {
		const uint8_t *px = c->px + i;
		if (px[0] > px[3] || px[1] > px[3] || px[2] > px[3])
			fuzz_fail(H, "op %d: pixel %zu is %u,%u,%u,%u: a channel above alpha", op, i / 4,
			          px[0], px[1], px[2], px[3]);
	}
	if (!visible && memcmp(before, c->px, n) != 0)
		fuzz_fail(H, "op %d: a transparent colour changed pixels", op);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	int w = 1 + (int)(byte(&in) % 48), h = 1 + (int)(byte(&in) % 48);
	struct canvas *c = canvas_new(w, h);
	uint8_t *before = malloc((size_t)w * (size_t)h * 4);
	if (!before)
		abort();
	double xy[2 * MAX_POINTS];
	int ring_len[4];
	for (int ops = 0; in.n && ops < MAX_OPS; ops++) {
		int op = (int)(byte(&in) % 6);
		struct rgba col = colour(&in), other = {0, 0, 0, 0}; /* other: a marker's outline */
		memcpy(before, c->px, (size_t)w * (size_t)h * 4);
		switch (op) {
		case 0: { /* polygon: up to 4 rings, rings of 0 to 15 points */
			int nrings = 1 + (int)(byte(&in) % 4), total = 0;
			for (int r = 0; r < nrings; r++) {
				int n = (int)(byte(&in) % 16);
				if (total + n > MAX_POINTS)
					n = MAX_POINTS - total;
				ring_len[r] = n;
				for (int i = 0; i < 2 * n; i++)
					xy[2 * total + i] = number(&in);
				total += n;
			}
			raster_fill_polygon(c, xy, ring_len, nrings, col);
			break;
		}
		case 1: { /* polyline, open or closed */
			unsigned k = byte(&in);
			int n = (int)(k % 32);
			double width = number(&in);
			for (int i = 0; i < 2 * n; i++)
				xy[i] = number(&in);
			raster_stroke_polyline(c, xy, n, k & 32, width, col);
			break;
		}
		case 2: {
			double cx = number(&in), cy = number(&in), r = number(&in);
			raster_fill_circle(c, cx, cy, r, col);
			break;
		}
		case 3: {
			double cx = number(&in), cy = number(&in), r = number(&in), width = number(&in);
			raster_stroke_circle(c, cx, cy, r, width, col);
			break;
		}
		case 4: {
			enum marker_shape shape = (enum marker_shape)(byte(&in) % SHAPE_COUNT);
			double x = number(&in), y = number(&in), s = number(&in), ow = number(&in);
			other = colour(&in);
			raster_marker(c, shape, x, y, s, col, other, ow);
			break;
		}
		default: {
			enum marker_shape shape = (enum marker_shape)(byte(&in) % SHAPE_COUNT);
			double s = number(&in), ow = number(&in), l, t, r, b;
			raster_marker_extent(shape, s, ow, &l, &t, &r, &b);
			/* a real marker's box surrounds its anchor */
			if (isfinite(s) && isfinite(ow) && s >= 0 && ow >= 0 && s < 1e6 && ow < 1e6 &&
			    !(l <= 0 && t <= 0 && r >= 0 && b >= 0))
				fuzz_fail(H, "extent of shape %d size %g outline %g: %g %g %g %g", (int)shape,
				          s, ow, l, t, r, b);
			break;
		}
		}
		check_pixels(c, before, col.a || other.a, op);
	}
	free(before);
	canvas_free(c);
	return 0;
}

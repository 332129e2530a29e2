/* test_render_raster.c - exact-area coverage, winding, strokes, shift
 * invariance, clipping and markers of render/raster.c. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/canvas.h"
#include "render/raster.h"

static const struct rgba BLACK = {0, 0, 0, 255};
static const struct rgba WHITE = {255, 255, 255, 255};
static const struct rgba RED = {200, 20, 30, 255};
static const struct rgba NONE = {0, 0, 0, 0};

static int alpha(const struct canvas *c, int x, int y)
{
	return c->px[((size_t)y * (size_t)c->width + (size_t)x) * 4 + 3];
}

static const uint8_t *pix(const struct canvas *c, int x, int y)
{
	return c->px + ((size_t)y * (size_t)c->width + (size_t)x) * 4;
}

static double alpha_sum(const struct canvas *c)
{
	double s = 0;
	for (int y = 0; y < c->height; y++)
		for (int x = 0; x < c->width; x++)
			s += alpha(c, x, y) / 255.0;
	return s;
}

/* True when the w x h block of a at (ax, ay) equals the one of b at (bx, by). */
static int same_block(const struct canvas *a, int ax, int ay, const struct canvas *b, int bx, int by, int w,
                      int h)
{
	for (int y = 0; y < h; y++)
		if (memcmp(pix(a, ax, ay + y), pix(b, bx, by + y), (size_t)w * 4) != 0)
			return 0;
	return 1;
}

static void test_circle_area(void)
{
	const double radii[] = {4, 5.5, 10.3, 20, 47.25};
	for (size_t i = 0; i < sizeof radii / sizeof radii[0]; i++) {
		struct canvas *c = canvas_new(128, 128);
		double r = radii[i];
		raster_fill_circle(c, 60.37, 61.81, r, BLACK);
		double want = M_PI * r * r;
		CHECK_NEAR(alpha_sum(c), want, want * 0.005);
		/* the centre is solid, a pixel just outside the radius empty */
		CHECK_INT(alpha(c, 60, 61), 255);
		CHECK_INT(alpha(c, (int)floor(60.37 + r + 1.2), 61), 0);
		canvas_free(c);
	}
}

static void test_half_plane(void)
{
	/* a vertical edge through the middle of column 10 */
	struct canvas *c = canvas_new(32, 32);
	double sq[] = {10.5, -5, 40, -5, 40, 40, 10.5, 40};
	int n = 4;
	raster_fill_polygon(c, sq, &n, 1, BLACK);
	for (int y = 0; y < 32; y++) {
		CHECK_INT(alpha(c, 9, y), 0);
		CHECK_INT(alpha(c, 10, y), 128);
		CHECK_INT(alpha(c, 11, y), 255);
	}
	canvas_free(c);

	/* a 45-degree edge through pixel centres: each diagonal pixel is half */
	c = canvas_new(32, 32);
	double tri[] = {-10.5, -10.5, 50.5, 50.5, -10.5, 50.5};
	n = 3;
	raster_fill_polygon(c, tri, &n, 1, BLACK);
	int ok = 1;
	for (int i = 0; i < 32; i++) {
		ok &= alpha(c, i, i) == 128;
		if (i + 1 < 32)
			ok &= alpha(c, i + 1, i) == 0 && alpha(c, i, i + 1) == 255;
	}
	CHECK(ok);
	/* an edge at one quarter of a pixel */
	canvas_free(c);
	c = canvas_new(8, 8);
	double q[] = {-1, 3.25, 9, 3.25, 9, 9, -1, 9};
	n = 4;
	raster_fill_polygon(c, q, &n, 1, BLACK);
	CHECK_INT(alpha(c, 4, 2), 0);
	CHECK_INT(alpha(c, 4, 3), 191); /* 0.75 * 255 = 191.25 */
	CHECK_INT(alpha(c, 4, 4), 255);
	canvas_free(c);
}

static void test_aligned_rect(void)
{
	struct canvas *c = canvas_new(16, 16);
	double r[] = {2, 3, 6, 3, 6, 8, 2, 8};
	int n = 4;
	raster_fill_polygon(c, r, &n, 1, RED);
	int inside = 0, bad = 0;
	for (int y = 0; y < 16; y++)
		for (int x = 0; x < 16; x++) {
			int in = x >= 2 && x < 6 && y >= 3 && y < 8;
			const uint8_t *p = pix(c, x, y);
			if (in) {
				inside++;
				bad += !(p[0] == 200 && p[1] == 20 && p[2] == 30 && p[3] == 255);
			} else {
				bad += p[3] != 0;
			}
		}
	CHECK_INT(inside, 20);
	CHECK_INT(bad, 0);
	canvas_free(c);
}

static void test_winding(void)
{
	/* outer clockwise, inner anticlockwise: a hole */
	double xy[] = {2, 2, 30, 2, 30, 30, 2, 30, /* hole */ 10, 10, 10, 20, 20, 20, 20, 10};
	int lens[] = {4, 4};
	struct canvas *c = canvas_new(32, 32);
	raster_fill_polygon(c, xy, lens, 2, BLACK);
	CHECK_INT(alpha(c, 5, 5), 255);
	CHECK_INT(alpha(c, 15, 15), 0);
	CHECK_INT(alpha(c, 9, 15), 255);
	CHECK_INT(alpha(c, 10, 15), 0);
	CHECK_NEAR(alpha_sum(c), 28 * 28 - 10 * 10, 0.01);
	canvas_free(c);

	/* the same inner ring in the same direction: non-zero fills it */
	double xy2[] = {2, 2, 30, 2, 30, 30, 2, 30, 10, 10, 20, 10, 20, 20, 10, 20};
	c = canvas_new(32, 32);
	raster_fill_polygon(c, xy2, lens, 2, BLACK);
	CHECK_INT(alpha(c, 15, 15), 255);
	CHECK_NEAR(alpha_sum(c), 28 * 28, 0.01);
	canvas_free(c);

	/* a self-overlapping star (pentagram): non-zero fills the centre */
	double star[10];
	for (int i = 0; i < 5; i++) {
		double t = -M_PI / 2 + i * 4 * M_PI / 5;
		star[2 * i] = 32 + 25 * cos(t);
		star[2 * i + 1] = 32 + 25 * sin(t);
	}
	int five = 5;
	c = canvas_new(64, 64);
	raster_fill_polygon(c, star, &five, 1, BLACK);
	CHECK_INT(alpha(c, 32, 32), 255);
	CHECK_INT(alpha(c, 32, 12), 255); /* an arm */
	CHECK_INT(alpha(c, 12, 12), 0);   /* between arms */
	canvas_free(c);

	/* the ring: an annulus of the right area and an empty middle */
	c = canvas_new(64, 64);
	raster_stroke_circle(c, 32.2, 31.9, 15, 4, BLACK);
	double want = M_PI * (17 * 17 - 13 * 13);
	CHECK_NEAR(alpha_sum(c), want, want * 0.005);
	CHECK_INT(alpha(c, 32, 31), 0);
	CHECK_INT(alpha(c, 32 + 15, 31), 255);
	canvas_free(c);
	/* an uncertainty ring: wide and thin, its area and its band */
	c = canvas_new(700, 700);
	raster_stroke_circle(c, 350.3, 349.6, 300, 2, BLACK);
	want = M_PI * (301 * 301 - 299 * 299);
	CHECK_NEAR(alpha_sum(c), want, want * 0.005);
	CHECK_INT(alpha(c, 350, 350), 0);
	CHECK_INT(alpha(c, 350, 349 - 300), 255);
	CHECK_INT(alpha(c, 350, 349 - 303), 0);
	CHECK_INT(alpha(c, 350, 349 - 297), 0);
	canvas_free(c);
	/* thinner than a pixel: the coverage is the width */
	c = canvas_new(64, 64);
	raster_stroke_circle(c, 32.5, 32.5, 20, 0.5, BLACK);
	CHECK_NEAR(alpha(c, 32, 32 - 20), 0.5 * 255, 4);
	want = M_PI * (20.25 * 20.25 - 19.75 * 19.75);
	CHECK_NEAR(alpha_sum(c), want, want * 0.01);
	canvas_free(c);
}

static void test_strokes(void)
{
	/* horizontal, width 4 centred on y = 20: rows 18..21, caps beyond the ends */
	struct canvas *c = canvas_new(64, 40);
	double line[] = {10, 20, 50, 20};
	raster_stroke_polyline(c, line, 2, false, 4, BLACK);
	CHECK_INT(alpha(c, 30, 17), 0);
	CHECK_INT(alpha(c, 30, 18), 255);
	CHECK_INT(alpha(c, 30, 21), 255);
	CHECK_INT(alpha(c, 30, 22), 0);
	CHECK_INT(alpha(c, 50, 19), 255); /* round cap past the end */
	CHECK_INT(alpha(c, 53, 20), 0);
	/* area: the rectangle plus one disc of radius 2 for both caps */
	double want = 40 * 4 + M_PI * 4;
	CHECK_NEAR(alpha_sum(c), want, want * 0.005);
	canvas_free(c);

	/* width 3 centred on y=20: half rows at the sides */
	c = canvas_new(64, 40);
	raster_stroke_polyline(c, line, 2, false, 3, BLACK);
	CHECK_INT(alpha(c, 30, 18), 128);
	CHECK_INT(alpha(c, 30, 19), 255);
	CHECK_INT(alpha(c, 30, 21), 128);
	canvas_free(c);

	/* a right-angle polyline: the round join is not darker at its rim
	 * than a single capsule end (no double counting), and the area is
	 * two rectangles less their 3x3 overlap, plus one disc for the two caps
	 * and a quarter disc for the join */
	c = canvas_new(64, 64);
	double bend[] = {10.3, 10.6, 40.3, 10.6, 40.3, 45.6};
	raster_stroke_polyline(c, bend, 3, false, 6, BLACK);
	want = 30 * 6 + 35 * 6 - 9 + M_PI * 9 + M_PI * 9 / 4;
	CHECK_NEAR(alpha_sum(c), want, want * 0.002);
	struct canvas *d = canvas_new(64, 64);
	raster_fill_circle(d, 40.3, 10.6, 3, BLACK);
	/* pixels of the join's outer rim equal those of a disc there */
	CHECK_INT(alpha(c, 42, 7), alpha(d, 42, 7));
	CHECK_INT(alpha(c, 43, 8), alpha(d, 43, 8));
	canvas_free(d);
	canvas_free(c);

	/* a closed triangle outline: the middle stays empty */
	c = canvas_new(64, 64);
	double tri[] = {10, 10, 50, 10, 30, 50};
	raster_stroke_polyline(c, tri, 3, true, 2, BLACK);
	CHECK_INT(alpha(c, 30, 25), 0);
	CHECK_INT(alpha(c, 30, 10), 255);
	CHECK(alpha(c, 20, 30) > 0); /* the closing edge is there */
	canvas_free(c);

	/* a single point is a dot of the stroke's width */
	c = canvas_new(32, 32);
	double pt[] = {16, 16};
	raster_stroke_polyline(c, pt, 1, false, 8, BLACK);
	CHECK_NEAR(alpha_sum(c), M_PI * 16, M_PI * 16 * 0.005);
	canvas_free(c);
}

typedef void (*draw_fn)(struct canvas *c, double dx, double dy);

static void draw_circle(struct canvas *c, double dx, double dy)
{
	raster_fill_circle(c, 20.3 + dx, 18.77 + dy, 9.6, RED);
}
static void draw_ring(struct canvas *c, double dx, double dy)
{
	raster_stroke_circle(c, 20.3 + dx, 18.77 + dy, 9.6, 2.5, RED);
}
static void draw_poly(struct canvas *c, double dx, double dy)
{
	double xy[] = {3.1 + dx, 4.7 + dy, 30.9 + dx, 9.2 + dy, 22.2 + dx, 33.3 + dy, 6.6 + dx, 20.01 + dy};
	int n = 4;
	raster_fill_polygon(c, xy, &n, 1, RED);
}
static void draw_stroke(struct canvas *c, double dx, double dy)
{
	double xy[] = {3.1 + dx, 4.7 + dy, 30.9 + dx, 9.2 + dy, 22.2 + dx, 33.3 + dy};
	raster_stroke_polyline(c, xy, 3, false, 3.3, RED);
}
static void draw_pin(struct canvas *c, double dx, double dy)
{
	raster_marker(c, SHAPE_PIN, 20.3 + dx, 36.6 + dy, 8.4, RED, WHITE, 2);
}
static void draw_tri(struct canvas *c, double dx, double dy)
{
	raster_marker(c, SHAPE_TRIANGLE, 20.3 + dx, 20.6 + dy, 11.1, RED, WHITE, 1.5);
}

static void test_shift_invariance(void)
{
	draw_fn fns[] = {draw_circle, draw_ring, draw_poly, draw_stroke, draw_pin, draw_tri};
	for (size_t f = 0; f < sizeof fns / sizeof fns[0]; f++) {
		struct canvas *a = canvas_new(40, 40), *b = canvas_new(300, 300);
		fns[f](a, 0, 0);
		fns[f](b, 217, 131);
		CHECK_MSG(same_block(a, 0, 0, b, 217, 131, 40, 40), "shape %zu shifted", f);
		/* nothing else drawn on b */
		double sa = alpha_sum(a), sb = alpha_sum(b);
		CHECK_NEAR(sa, sb, 1e-9);
		canvas_free(b);

		/* cut by tile borders: four 256 px tiles of one 512 px image */
		struct canvas *big = canvas_new(512, 512);
		fns[f](big, 236, 236);
		int eq = 1;
		for (int ty = 0; ty < 2; ty++)
			for (int tx = 0; tx < 2; tx++) {
				struct canvas *t = canvas_new(256, 256);
				fns[f](t, 236 - 256 * tx, 236 - 256 * ty);
				eq &= same_block(big, 256 * tx, 256 * ty, t, 0, 0, 256, 256);
				canvas_free(t);
			}
		CHECK_MSG(eq, "shape %zu across tiles", f);
		canvas_free(big);
		canvas_free(a);
	}
}

static void test_clipping(void)
{
	struct canvas *c = canvas_new(64, 64);
	/* wholly outside, on every side */
	raster_fill_circle(c, -30, 20, 10, BLACK);
	raster_fill_circle(c, 100, 20, 10, BLACK);
	raster_fill_circle(c, 20, -30, 10, BLACK);
	raster_fill_circle(c, 20, 100, 10, BLACK);
	raster_marker(c, SHAPE_PIN, 30, 200, 10, RED, WHITE, 2);
	raster_marker(c, SHAPE_CIRCLE, 1e9, -1e9, 10, RED, WHITE, 2);
	raster_marker(c, SHAPE_SQUARE, 1e300, 5, 10, RED, WHITE, 2);
	double far[] = {1e9, 1e9, 1e9 + 5, 1e9, 1e9, 1e9 + 5};
	int three = 3;
	raster_fill_polygon(c, far, &three, 1, BLACK);
	raster_stroke_polyline(c, far, 3, true, 3, BLACK);
	/* beyond the int range, on every side */
	double beyond[] = {1e12, 1e12, 1e12 + 5, 1e12, 1e12, 1e12 + 5};
	raster_fill_polygon(c, beyond, &three, 1, BLACK);
	raster_stroke_polyline(c, beyond, 3, true, 3, BLACK);
	for (int i = 0; i < 6; i++)
		beyond[i] = -beyond[i];
	raster_fill_polygon(c, beyond, &three, 1, BLACK);
	raster_stroke_polyline(c, beyond, 3, true, 3, BLACK);
	/* rings with no points */
	int zeros[2] = {0, 0};
	raster_fill_polygon(c, far, zeros, 2, BLACK);
	CHECK(canvas_is_empty(c));

	/* NaN and infinity draw nothing */
	raster_fill_circle(c, NAN, 20, 10, BLACK);
	raster_fill_circle(c, 20, 20, NAN, BLACK);
	raster_marker(c, SHAPE_PIN, 20, NAN, 10, RED, WHITE, 2);
	raster_marker(c, SHAPE_PIN, 20, 20, INFINITY, RED, WHITE, 2);
	raster_marker(c, SHAPE_PIN, 20, 20, 10, RED, WHITE, NAN);
	double bad[] = {10, 10, NAN, 40, 40, 40};
	raster_fill_polygon(c, bad, &three, 1, BLACK);
	raster_stroke_polyline(c, bad, 3, false, 3, BLACK);
	double inf[] = {10, 10, INFINITY, 40, 40, 40};
	raster_fill_polygon(c, inf, &three, 1, BLACK);
	raster_stroke_circle(c, 20, 20, 10, INFINITY, BLACK);
	CHECK(canvas_is_empty(c));

	/* huge but valid: a square far larger than the canvas covers it all */
	double huge[] = {-1e12, -1e12, 1e12, -1e12, 1e12, 1e12, -1e12, 1e12};
	int four = 4;
	raster_fill_polygon(c, huge, &four, 1, BLACK);
	int full = 1;
	for (int y = 0; y < 64; y++)
		for (int x = 0; x < 64; x++)
			full &= alpha(c, x, y) == 255;
	CHECK(full);
	canvas_free(c);

	/* a half plane with far vertices keeps its exact edge: y > x + 0 */
	c = canvas_new(64, 64);
	double hp[] = {-1e11 + 0.5, -1e11 + 0.5, 1e11 + 0.5, 1e11 + 0.5, -1e11 + 0.5, 1e11 + 0.5};
	raster_fill_polygon(c, hp, &three, 1, BLACK);
	int ok = 1;
	for (int i = 0; i < 64; i++) {
		ok &= alpha(c, i, i) == 128;
		if (i > 0)
			ok &= alpha(c, i - 1, i) == 255 && alpha(c, i, i - 1) == 0;
	}
	CHECK(ok);
	canvas_free(c);

	/* a long line from far away still draws its visible part, 2 px wide */
	c = canvas_new(64, 64);
	double ln[] = {-5e10, 32, 5e10, 32};
	raster_stroke_polyline(c, ln, 2, false, 2, BLACK);
	CHECK_INT(alpha(c, 0, 30), 0);
	CHECK_INT(alpha(c, 0, 31), 255);
	CHECK_INT(alpha(c, 63, 32), 255);
	CHECK_INT(alpha(c, 40, 33), 0);
	canvas_free(c);

	/* ends so far apart that their difference overflows a double */
	c = canvas_new(64, 64);
	double vast[] = {-1.5e308, 20, 1.5e308, 20, 1.5e308, -1.5e308};
	raster_stroke_polyline(c, vast, 3, false, 2, BLACK);
	CHECK_INT(alpha(c, 10, 18), 0);
	CHECK_INT(alpha(c, 10, 19), 255);
	CHECK_INT(alpha(c, 50, 20), 255);
	CHECK_INT(alpha(c, 50, 21), 0);
	canvas_free(c);

	/* a circle cut by the canvas edge: the visible part matches the
	 * same circle on a larger canvas */
	c = canvas_new(32, 32);
	struct canvas *b = canvas_new(64, 64);
	raster_fill_circle(c, 2.3, 30.6, 12, RED);
	raster_fill_circle(b, 2.3 + 16, 30.6 + 16, 12, RED);
	CHECK(same_block(c, 0, 0, b, 16, 16, 32, 32));
	canvas_free(b);
	canvas_free(c);
}

static void test_markers(void)
{
	for (int s = 0; s < SHAPE_COUNT; s++) {
		const char *name = marker_shape_name((enum marker_shape)s);
		CHECK(name != NULL);
		CHECK_INT(marker_shape_parse(name), s);
	}
	CHECK_INT(marker_shape_parse("hexagon"), -1);
	CHECK(marker_shape_name(SHAPE_COUNT) == NULL);

	for (int s = 0; s < SHAPE_COUNT; s++) {
		struct canvas *c = canvas_new(100, 100);
		double x = 50, y = 60, size = 12, ow = 2.5;
		raster_marker(c, (enum marker_shape)s, x, y, size, RED, WHITE, ow);
		double l, t, r, b;
		raster_marker_extent((enum marker_shape)s, size, ow, &l, &t, &r, &b);
		CHECK(l < 0 && t < 0 && r > 0 && b > 0);
		/* every drawn pixel lies in the extent, and it touches each side */
		int minx = 100, miny = 100, maxx = -1, maxy = -1;
		for (int py = 0; py < 100; py++)
			for (int px = 0; px < 100; px++)
				if (alpha(c, px, py)) {
					minx = px < minx ? px : minx;
					maxx = px > maxx ? px : maxx;
					miny = py < miny ? py : miny;
					maxy = py > maxy ? py : maxy;
				}
		CHECK_MSG(minx >= floor(x + l) && maxx < ceil(x + r) && miny >= floor(y + t) &&
		              maxy < ceil(y + b),
		          "%s drawn in [%d,%d]x[%d,%d], extent [%g,%g]x[%g,%g]", marker_shape_name(s), minx,
		          maxx, miny, maxy, x + l, x + r, y + t, y + b);
		CHECK_MSG(minx <= x + l + 1 && maxx >= x + r - 1.5 && miny <= y + t + 1 &&
		              maxy >= y + b - 1.5,
		          "%s extent not tight", marker_shape_name(s));

		if (s == SHAPE_PIN) {
			/* the tip at the anchor: fill just above it, none below */
			const uint8_t *p = pix(c, 49, 59), *q = pix(c, 50, 59);
			CHECK(p[3] == 255 && q[3] == 255);
			CHECK(p[0] > 100 && p[1] > 20); /* red fill blended with the white rim */
			const uint8_t *u = pix(c, 50, 60);
			CHECK_MSG(u[0] == u[1] && u[1] == u[2],
			          "below the tip only the outline"); /* white, grey-free */
			CHECK(alpha(c, 50, 63) == 0);
			/* the head: solid fill well above the tip */
			const uint8_t *h = pix(c, 50, (int)(y - 2.4 * size));
			CHECK(h[0] == 200 && h[1] == 20 && h[2] == 30 && h[3] == 255);
		} else {
			/* the anchor pixel is pure fill */
			const uint8_t *p = pix(c, 50, 60);
			CHECK_MSG(p[0] == 200 && p[1] == 20 && p[2] == 30 && p[3] == 255, "%s anchor",
			          marker_shape_name(s));
			/* and just left of the fill's edge is pure outline */
			int edge = s == SHAPE_TRIANGLE ? 0 : (int)(x - size - 1.3);
			if (edge) {
				const uint8_t *o = pix(c, edge, 60);
				CHECK_MSG(o[0] == 255 && o[1] == 255 && o[2] == 255 && o[3] == 255,
				          "%s outline %d", marker_shape_name(s), o[0]);
			}
		}
		canvas_free(c);
	}

	/* no seam: an opaque marker with an opaque outline is solid from the
	 * anchor to the outline's inner part (fill/outline boundary pixels
	 * included) */
	struct canvas *c = canvas_new(64, 64);
	raster_marker(c, SHAPE_CIRCLE, 32.5, 32.5, 8, RED, WHITE, 2);
	int solid = 1;
	for (int x = 32; x <= 32 + 9; x++)
		solid &= alpha(c, x, 32) == 255;
	CHECK(solid);
	/* the pixel straddling the fill's edge mixes red and white */
	const uint8_t *m = pix(c, 40, 32);
	CHECK(m[0] > 200 && m[1] > 20 && m[1] < 255);
	canvas_free(c);

	/* translucent fill: the outline does not show through it */
	c = canvas_new(64, 64);
	struct rgba half = {0, 0, 255, 128};
	raster_marker(c, SHAPE_SQUARE, 32, 32, 10, half, WHITE, 3);
	const uint8_t *p = pix(c, 32, 32);
	CHECK_INT(p[0], 0);
	CHECK_INT(p[3], 128);
	p = pix(c, 20, 32); /* in the outline */
	CHECK(p[0] == 255 && p[3] == 255);
	canvas_free(c);

	/* markers of almost no size: nothing but the outline's disc (the
	 * shapes' corners collapse onto the anchor) */
	for (int s = 0; s < SHAPE_COUNT; s++) {
		c = canvas_new(16, 16);
		raster_marker(c, (enum marker_shape)s, 8, 8, 1e-300, RED, WHITE, 3);
		CHECK_NEAR(alpha_sum(c), M_PI * 9, M_PI * 9 * 0.01);
		CHECK_INT(pix(c, 8, 8)[1], 255); /* white: no visible fill */
		canvas_free(c);
	}

	/* a transparent outline draws only the fill */
	c = canvas_new(64, 64);
	raster_marker(c, SHAPE_CIRCLE, 32, 32, 10, RED, NONE, 3);
	CHECK_NEAR(alpha_sum(c), M_PI * 100, M_PI * 100 * 0.005);
	canvas_free(c);
}

int main(void)
{
	test_circle_area();
	test_half_plane();
	test_aligned_rect();
	test_winding();
	test_strokes();
	test_shift_invariance();
	test_clipping();
	test_markers();
	return CHECK_DONE();
}

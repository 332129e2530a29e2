/* test_render_context.c - context layers (fill and line over a GeoJSON
 * file) drawn under the markers: pixels of a known square's outline, fill
 * and hole at positions from the closed-form Mercator, zoom ranges, tiles
 * stitched across borders equal to one window (also for print.json's
 * Natural Earth provinces), windows without features unchanged, and
 * context_draw on its own: what a view draws, and the GCJ-02 shift. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "geo/geo.h"
#include "render/context.h"
#include "render/tile.h"
#include "style_files.h"
#include "util/mem.h"

static struct tile_ctx *ctx;
static struct tile_map *map;
static struct tile_map *map_ctx_only; /* basemap.json alone */
/* context.json, the same without context, print.json, basemap.json (no
 * site layer) */
static struct style styles[4];

static void merc_px(double lat, double lon, int z, double *x, double *y)
{
	double n = 256.0 * pow(2.0, z), phi = lat * M_PI / 180.0;
	*x = (lon + 180.0) / 360.0 * n;
	*y = (1.0 - log(tan(phi) + 1.0 / cos(phi)) / M_PI) / 2.0 * n;
}

/* A copy of the view's pixels (the context's canvas is reused). */
static uint8_t *render(const struct style *st, int z, int scale, long long ox, long long oy, int w, int h)
{
	struct tile_view v = {st, COORDSYS_WGS84, z, scale, ox, oy, w, h, NULL};
	struct canvas *c = NULL;
	bool empty = true;
	struct ms_error err = {0};
	CHECK_INT(tile_render_view(map, ctx, &v, &c, &empty, &err), MS_OK);
	CHECK(!empty && c && c->width == w && c->height == h);
	if (!c)
		return xcalloc((size_t)w * (size_t)h, 4);
	uint8_t *px = xmalloc((size_t)w * (size_t)h * 4);
	memcpy(px, c->px, (size_t)w * (size_t)h * 4);
	return px;
}

static bool px_is(const uint8_t *px, int w, int x, int y, int r, int g, int b)
{
	const uint8_t *p = px + ((size_t)y * (size_t)w + (size_t)x) * 4;
	bool ok = abs(p[0] - r) <= 2 && abs(p[1] - g) <= 2 && abs(p[2] - b) <= 2 && p[3] == 255;
	if (!ok)
		fprintf(stderr, "  pixel (%d, %d) is %d,%d,%d,%d, want %d,%d,%d\n", x, y, p[0], p[1], p[2],
		        p[3], r, g, b);
	return ok;
}

/* The square's west edge (118 E) at 36.8 N: a 3 px blue line at z8, half
 * red east of it, white west of it; the hole is white. */
static void test_outline_pixels(void)
{
	int z = 8, W = 128, H = 128;
	double ex, ey;
	merc_px(36.8, 118.0, z, &ex, &ey);
	long long ox = (long long)floor(ex) - W / 2, oy = (long long)floor(ey) - H / 2;
	uint8_t *px = render(&styles[0], z, 1, ox, oy, W, H);
	int x = (int)(floor(ex) - (double)ox), y = (int)(floor(ey) - (double)oy);
	/* line-width at z8 is 3: the pixel holding the edge is covered */
	CHECK(px_is(px, W, x, y, 0, 0, 255));
	CHECK(px_is(px, W, x + 10, y, 255, 128, 128)); /* fill-opacity 0.5 over white */
	CHECK(px_is(px, W, x - 10, y, 255, 255, 255));
	free(px);

	/* the hole 118.4-118.6 E, 36.4-36.6 N, south of the river at 36.5 */
	double hx, hy;
	merc_px(36.43, 118.5, z, &hx, &hy);
	ox = (long long)floor(hx) - W / 2;
	oy = (long long)floor(hy) - H / 2;
	px = render(&styles[0], z, 1, ox, oy, W, H);
	CHECK(px_is(px, W, W / 2, H / 2, 255, 255, 255));
	CHECK(px_is(px, W, W / 2 - 30, H / 2, 255, 128, 128)); /* 118.4 - 0.16 deg: filled */
	free(px);

	/* @2x: the same edge, line 6 px wide */
	merc_px(36.8, 118.0, z, &ex, &ey);
	ox = (long long)floor(ex * 2) - W / 2;
	oy = (long long)floor(ey * 2) - H / 2;
	px = render(&styles[0], z, 2, ox, oy, W, H);
	x = (int)(floor(ex * 2) - (double)ox);
	CHECK(px_is(px, W, x - 2, H / 2, 0, 0, 255));
	CHECK(px_is(px, W, x + 2, H / 2, 0, 0, 255));
	CHECK(px_is(px, W, x + 5, H / 2, 255, 128, 128));
	free(px);
}

/* minzoom 5 for the fill, maxzoom 12 for the line. */
static void test_zoom_range(void)
{
	for (int z = 4; z <= 12; z += 8) {
		int W = 64, H = 64;
		double ex, ey;
		merc_px(36.8, 118.0, z, &ex, &ey);
		long long ox = (long long)floor(ex) - W / 2, oy = (long long)floor(ey) - H / 2;
		uint8_t *px = render(&styles[0], z, 1, ox, oy, W, H);
		int x = W / 2, y = H / 2;
		if (z == 4) {
			/* a 1 px line over a pixel edge: mostly blue */
			const uint8_t *p = px + ((size_t)y * (size_t)W + (size_t)x) * 4;
			CHECK(p[2] == 255 && p[0] < 64 && p[0] == p[1]);
			CHECK(px_is(px, W, x + 5, y, 255, 255, 255)); /* no fill yet */
		} else {
			CHECK(px_is(px, W, x + 2, y, 255, 128, 128)); /* fill; the line ended */
			CHECK(px_is(px, W, x - 3, y, 255, 255, 255));
		}
		free(px);
	}
}

/* Tiles cut across the square's corner (and Shandong's borders in the
 * print style) equal one window over the same area, pixel for pixel. */
static void check_stitch(const struct style *st, int z, int scale, double lat, double lon)
{
	int T = 256 * scale;
	double cx, cy;
	merc_px(lat, lon, z, &cx, &cy);
	long long tx = (long long)floor(cx * scale / T), ty = (long long)floor(cy * scale / T);
	long long ox = tx * T - T / 2, oy = ty * T - T / 2;
	int W = 2 * T, H = 2 * T;
	uint8_t *big = render(st, z, scale, ox, oy, W, H);
	size_t diff = 0, nonbg = 0;
	for (long long j = ty - 1; j <= ty + 1; j++)
		for (long long i = tx - 1; i <= tx + 1; i++) {
			struct tile_view v;
			tile_view_of_tile(&v, st, COORDSYS_WGS84, z, i, j, scale);
			uint8_t *t = render(st, z, scale, v.origin_x, v.origin_y, T, T);
			for (int y = 0; y < T; y++)
				for (int x = 0; x < T; x++) {
					long long gx = i * T + x - ox, gy = j * T + y - oy;
					if (gx < 0 || gy < 0 || gx >= W || gy >= H)
						continue;
					const uint8_t *a = t + ((size_t)y * (size_t)T + (size_t)x) * 4;
					const uint8_t *b = big + ((size_t)gy * (size_t)W + (size_t)gx) * 4;
					diff += memcmp(a, b, 4) != 0;
					nonbg += memcmp(b, big, 4) != 0;
				}
			free(t);
		}
	CHECK_MSG(diff == 0, "%s z%d@%dx: %zu pixels differ between tiles and the window", st->name, z, scale,
	          diff);
	CHECK_MSG(nonbg > 200, "%s z%d@%dx: only %zu pixels differ from the corner's", st->name, z, scale,
	          nonbg);
	free(big);
}

static void test_stitch(void)
{
	check_stitch(&styles[0], 9, 1, 37.0, 118.0);
	check_stitch(&styles[0], 9, 2, 37.0, 118.0);
	check_stitch(&styles[0], 6, 1, 36.5, 118.0);
	/* the Shandong-Hebei-Henan border and the Yellow River */
	check_stitch(&styles[2], 7, 1, 36.0, 115.5);
	check_stitch(&styles[2], 10, 2, 36.4, 115.6);
}

/* Where the data has nothing, the picture is what it was without
 * context layers. */
static void test_no_feature(void)
{
	int W = 200, H = 120;
	double x, y;
	merc_px(30.0, 150.0, 8, &x, &y);
	long long ox = (long long)floor(x), oy = (long long)floor(y);
	uint8_t *a = render(&styles[0], 8, 1, ox, oy, W, H);
	uint8_t *b = render(&styles[1], 8, 1, ox, oy, W, H);
	CHECK(memcmp(a, b, (size_t)W * (size_t)H * 4) == 0);
	CHECK(px_is(a, W, 0, 0, 255, 255, 255));
	free(a);
	free(b);
}

/* context_draw itself: exactly what a view draws under its markers, one
 * scratch reused across windows, and in GCJ-02 every vertex shifted. */
static void test_direct(void)
{
	int z = 11, W = 96, H = 96;
	double ex, ey;
	merc_px(36.8, 118.0, z, &ex, &ey);
	long long ox = (long long)floor(ex) - W / 2, oy = (long long)floor(ey) - H / 2;
	uint8_t *view = render(&styles[0], z, 1, ox, oy, W, H); /* no site near: only context */
	struct canvas *c = canvas_new(W, H);
	canvas_set_aa_levels(c, CANVAS_AA_TILE);
	struct context_scratch *s = context_scratch_new();
	for (int pass = 0; pass < 2; pass++) { /* the second reuses the scratch */
		canvas_clear(c, styles[0].background);
		context_draw(s, c, &styles[0], COORDSYS_WGS84, z, 1, ox, oy);
		CHECK_MSG(memcmp(c->px, view, (size_t)W * (size_t)H * 4) == 0,
		          "pass %d differs from the view", pass);
		if (pass == 0) { /* something larger in between: print.json's provinces */
			canvas_clear(c, styles[2].background);
			context_draw(s, c, &styles[2], COORDSYS_WGS84, 6, 2, 0, 0);
		}
	}
	/* GCJ-02: the square's west edge (118 E, a 3 px line) moves with the
	 * offset, several pixels east at this zoom */
	double glat, glon, gx, gy;
	wgs84_to_gcj02(36.8, 118.0, &glat, &glon);
	merc_px(glat, glon, z, &gx, &gy);
	CHECK_MSG(gx - ex > 5, "GCJ-02 shift %g px", gx - ex);
	canvas_clear(c, styles[0].background);
	context_draw(s, c, &styles[0], COORDSYS_GCJ02, z, 1, ox, oy);
	int y = (int)(floor(gy) - (double)oy);
	CHECK(px_is(c->px, W, (int)(floor(gx) - (double)ox), y, 0, 0, 255));
	CHECK(px_is(c->px, W, (int)(floor(ex) - (double)ox), y, 255, 255, 255)); /* west of it now */
	context_scratch_free(s);
	context_scratch_free(NULL);
	canvas_free(c);
	free(view);
}

/* A style of background and context layers draws no site, even where
 * one is, and needs no hierarchy: neither its own nor a place among the
 * parameter sets a snapshot is built with. */
static void test_context_only(void)
{
	CHECK(!styles[3].sites && styles[0].sites && styles[2].sites);
	struct cluster_params p[4];
	CHECK_INT(tile_styles_cluster_params(styles, 3, p), 2); /* context.json's, print.json's */
	CHECK_INT(tile_styles_cluster_params(styles, 4, p), 2);
	CHECK_INT(tile_styles_cluster_params(&styles[3], 1, p), 0);

	/* Gaotai's site, at z9, with the square far away: context.json draws
	 * its marker (5 px, black), basemap.json only the background */
	int z = 9, W = 64, H = 64;
	double sx, sy;
	merc_px(39.38, 99.83, z, &sx, &sy);
	long long ox = (long long)floor(sx) - W / 2, oy = (long long)floor(sy) - H / 2;
	int x = (int)(floor(sx) - (double)ox), y = (int)(floor(sy) - (double)oy);
	uint8_t *with = render(&styles[0], z, 1, ox, oy, W, H);
	uint8_t *without = render(&styles[3], z, 1, ox, oy, W, H);
	CHECK(px_is(with, W, x, y, 0, 0, 0));
	CHECK(px_is(without, W, x, y, 255, 255, 255));
	for (int i = 0; i < W * H * 4; i += 4)
		if (without[i] != 255 || without[i + 1] != 255 || without[i + 2] != 255) {
			CHECK_MSG(false, "basemap.json drew pixel %d", i / 4);
			break;
		}
	free(with);
	free(without);

	/* a map of it alone builds no hierarchy, and still draws the square */
	double qx, qy;
	merc_px(36.2, 118.8, 8, &qx, &qy); /* inside the square, off its hole and the river */
	struct tile_view v = {
	    &styles[3], COORDSYS_WGS84, 8, 1, (long long)floor(qx), (long long)floor(qy), 8, 8, NULL};
	struct canvas *c = NULL;
	bool empty = true;
	struct ms_error err = {0};
	CHECK_INT(tile_render_view(map_ctx_only, ctx, &v, &c, &empty, &err), MS_OK);
	CHECK(!empty && c && px_is(c->px, 8, 0, 0, 255, 0, 0));
	struct tile_memory mem;
	tile_map_memory(map_ctx_only, &mem);
	CHECK_INT(mem.trees, 0);
}

int main(void)
{
	struct ms_error err = {0};
	CHECK(test_style_load("data/style/context_good/context.json", "data/style", &styles[0], &err) ==
	      MS_OK);
	styles[1] = styles[0];
	styles[1].ncontext = 0;
	snprintf(styles[1].name, sizeof styles[1].name, "plain");
	CHECK(test_style_load("../styles/print.json", "../data", &styles[2], &err) == MS_OK);
	CHECK(test_style_load("data/style/context_good/basemap.json", "data/style", &styles[3], &err) ==
	      MS_OK);
	struct site_set *set = site_set_new();
	struct site_draft s = {0};
	s.field[SITE_ID] = "gt";
	s.field[SITE_NAME_ZH] = "高台";
	s.field[SITE_CATEGORY] = site_category_name(CAT_MEMORIAL_HALL);
	s.category = CAT_MEMORIAL_HALL;
	s.lat = 39.38;
	s.lon = 99.83;
	site_set_add(set, &s);
	struct snapshot *snap = snapshot_new(set, &err);
	ctx = tile_ctx_new(&err);
	CHECK(snap && ctx);
	if (!snap || !ctx)
		return CHECK_DONE();
	map = tile_map_new(snap, styles, 4);
	map_ctx_only = tile_map_new(snap, &styles[3], 1);
	snapshot_release(snap);

	test_outline_pixels();
	test_zoom_range();
	test_stitch();
	test_no_feature();
	test_direct();
	test_context_only();

	tile_map_release(map);
	tile_map_release(map_ctx_only);
	tile_ctx_free(ctx);
	test_styles_free();
	return CHECK_DONE();
}

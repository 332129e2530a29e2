/*
 * test_geo_webmerc.c - the XYZ tile grid, the closed Web Mercator
 * formulas, and PROJ's EPSG:4326 -> EPSG:3857 held to them over a grid
 * (1 micrometre; bitwise on glibc).
 */
#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "geo/geo.h"
#include "geo/webmerc.h"

static void test_tile_valid(void)
{
	CHECK(webmerc_tile_valid(0, 0, 0, 20));
	CHECK(!webmerc_tile_valid(0, 1, 0, 20));
	CHECK(!webmerc_tile_valid(-1, 0, 0, 20));
	CHECK(!webmerc_tile_valid(21, 0, 0, 20));
	CHECK(webmerc_tile_valid(20, (1 << 20) - 1, (1 << 20) - 1, 20));
	CHECK(!webmerc_tile_valid(20, 1 << 20, 0, 20));
	CHECK(!webmerc_tile_valid(3, 0, -1, 20));
	CHECK(!webmerc_tile_valid(3, 0, 8, 20));
	CHECK(!webmerc_tile_valid(100, 0, 0, 1000)); /* no undefined shift */
}

static void test_closed_form(void)
{
	double mx, my, lon, lat;
	/* the world's corners */
	webmerc_from_lonlat(180, WEBMERC_MAX_LAT, &mx, &my);
	CHECK_NEAR(mx, WEBMERC_HALF, 1e-6);
	CHECK_NEAR(my, WEBMERC_HALF, 1e-6);
	webmerc_from_lonlat(-180, -90, &mx, &my); /* clamped */
	CHECK_NEAR(mx, -WEBMERC_HALF, 1e-6);
	CHECK_NEAR(my, -WEBMERC_HALF, 1e-6);
	webmerc_from_lonlat(0, 0, &mx, &my);
	CHECK_NEAR(mx, 0, 1e-9);
	CHECK_NEAR(my, 0, 1e-9);
	/* 45 deg north: a * ln(tan(67.5 deg)) = a * asinh(1) = 5621521.4862 m */
	webmerc_from_lonlat(45, 45, &mx, &my);
	CHECK_NEAR(mx, WEBMERC_HALF / 4, 1e-6);
	CHECK_NEAR(my, 5621521.4862, 1e-3);
	webmerc_to_lonlat(mx, my, &lon, &lat);
	CHECK_NEAR(lon, 45, 1e-12);
	CHECK_NEAR(lat, 45, 1e-12);

	/* world pixels: the centre of the world at z=1, 256 px is (256, 256) */
	double px, py;
	webmerc_to_world_px(0, 0, 1, 256, &px, &py);
	CHECK_NEAR(px, 256, 1e-9);
	CHECK_NEAR(py, 256, 1e-9);
	webmerc_to_world_px(-WEBMERC_HALF, WEBMERC_HALF, 5, 512, &px, &py);
	CHECK_NEAR(px, 0, 1e-9);
	CHECK_NEAR(py, 0, 1e-9);
	webmerc_from_world_px(512.0 * 32, 512.0 * 32, 5, 512, &mx, &my);
	CHECK_NEAR(mx, WEBMERC_HALF, 1e-6);
	CHECK_NEAR(my, -WEBMERC_HALF, 1e-6);
	srand(4);
	for (int i = 0; i < 1000; i++) {
		double x = (rand() / (double)RAND_MAX * 2 - 1) * WEBMERC_HALF;
		double y = (rand() / (double)RAND_MAX * 2 - 1) * WEBMERC_HALF;
		int z = rand() % 21;
		webmerc_to_world_px(x, y, z, 256, &px, &py);
		webmerc_from_world_px(px, py, z, 256, &mx, &my);
		CHECK(fabs(mx - x) < 1e-6 && fabs(my - y) < 1e-6);
	}
}

static void test_tiles(void)
{
	double w, s, e, n;
	webmerc_tile_bounds_lonlat(0, 0, 0, &w, &s, &e, &n);
	CHECK_NEAR(w, -180, 1e-12);
	CHECK_NEAR(e, 180, 1e-12);
	CHECK_NEAR(n, WEBMERC_MAX_LAT, 1e-9);
	CHECK_NEAR(s, -WEBMERC_MAX_LAT, 1e-9);
	webmerc_tile_bounds_lonlat(1, 1, 0, &w, &s, &e, &n);
	CHECK_NEAR(w, 0, 1e-12);
	CHECK_NEAR(s, 0, 1e-12);
	CHECK_NEAR(e, 180, 1e-12);

	/* Beijing's tile at z=10 in the XYZ scheme is 843/388 */
	int x, y;
	webmerc_tile_from_lonlat(116.391, 39.907, 10, &x, &y);
	CHECK_INT(x, 843);
	CHECK_INT(y, 388);
	webmerc_tile_bounds_lonlat(10, 843, 388, &w, &s, &e, &n);
	CHECK(w <= 116.391 && 116.391 < e && s < 39.907 && 39.907 <= n);
	/* clamped into the grid */
	webmerc_tile_from_lonlat(180, -90, 4, &x, &y);
	CHECK_INT(x, 15);
	CHECK_INT(y, 15);
	webmerc_tile_from_lonlat(-180, 90, 4, &x, &y);
	CHECK_INT(x, 0);
	CHECK_INT(y, 0);
	/* every point lies in the tile computed for it */
	srand(5);
	int bad = 0;
	for (int i = 0; i < 2000; i++) {
		double lon = rand() / (double)RAND_MAX * 359.99 - 180;
		double lat = rand() / (double)RAND_MAX * 170 - 85;
		int z = rand() % 19;
		webmerc_tile_from_lonlat(lon, lat, z, &x, &y);
		webmerc_tile_bounds_lonlat(z, x, y, &w, &s, &e, &n);
		if (!(w <= lon + 1e-9 && lon <= e + 1e-9 && s <= lat + 1e-9 && lat <= n + 1e-9))
			bad++;
	}
	CHECK_INT(bad, 0);
}

/* PROJ's EPSG:4326 -> EPSG:3857 (the authority's definition, through
 * proj.db) against the closed form, over a grid of every 0.25 degree of
 * longitude and latitude up to the Mercator limit.  Stated tolerance:
 * 1 micrometre, i.e. under 1e-4 px even at zoom 24 (about 0.01 m/px
 * there); on glibc the two are bitwise equal, and that is counted too so a
 * change of formula that loses it shows. */
#define PROJ_TOL_M 1e-6
#define GRID_STEP_DEG 0.25

static void proj_log_silent(void *app, int level, const char *msg)
{
	(void)app;
	(void)level;
	(void)msg;
}

static void test_proj_agrees(void)
{
	PJ_CONTEXT *pc = proj_context_create();
	proj_context_set_enable_network(pc, 0);
	proj_log_func(pc, NULL, proj_log_silent);
	PJ *raw = proj_create_crs_to_crs(pc, "EPSG:4326", "EPSG:3857", NULL);
	/* EPSG:4326 is lat,lon by authority; normalised, it takes lon,lat */
	PJ *pj = raw ? proj_normalize_for_visualization(pc, raw) : NULL;
	CHECK_MSG(pj != NULL, "PROJ cannot build EPSG:4326 -> EPSG:3857 (is proj.db installed?)");
	if (!pj) {
		proj_destroy(raw);
		proj_context_destroy(pc);
		return;
	}
	size_t points = 0, exact = 0, beyond = 0;
	double worst = 0;
	for (double lat = -WEBMERC_MAX_LAT; lat <= WEBMERC_MAX_LAT; lat += GRID_STEP_DEG)
		for (double lon = -180; lon <= 180; lon += GRID_STEP_DEG) {
			PJ_COORD c = proj_trans(pj, PJ_FWD, proj_coord(lon, lat, 0, 0));
			double mx, my;
			webmerc_from_lonlat(lon, lat, &mx, &my);
			double d = fmax(fabs(c.xy.x - mx), fabs(c.xy.y - my));
			worst = fmax(worst, d);
			beyond += !(d <= PROJ_TOL_M);
			exact += c.xy.x == mx && c.xy.y == my;
			points++;
		}
	CHECK(points > 900000); /* 681 rows of 1441 */
	CHECK_MSG(beyond == 0, "%zu of %zu points differ from PROJ by more than %g m (worst %g m)", beyond,
	          points, PROJ_TOL_M, worst);
	printf("closed form vs PROJ: %zu points, %zu bitwise equal, worst %g m\n", points, exact, worst);
#ifdef __GLIBC__
	CHECK_MSG(exact == points, "only %zu of %zu points bitwise equal to PROJ", exact, points);
#endif
	/* a known point: Zibo, about 13.14e6 m east and 4.41e6 m north */
	double mx, my;
	webmerc_from_lonlat(118.05, 36.8, &mx, &my);
	CHECK(mx > 13e6 && mx < 13.2e6 && my > 4.4e6 && my < 4.5e6);
	/* beyond the limit the closed form clamps, as tiles need */
	webmerc_from_lonlat(10, 89.9, &mx, &my);
	CHECK_NEAR(my, WEBMERC_HALF, 1e-6);
	proj_destroy(pj);
	proj_destroy(raw);
	proj_context_destroy(pc);
}

/* webmerc_world_px is the composition the renderer uses. */
static void test_world_px(void)
{
	double mx, my, a, b, px, py;
	webmerc_from_lonlat(99.826863, 39.379379, &mx, &my);
	webmerc_to_world_px(mx, my, 13, 512, &a, &b);
	webmerc_world_px(99.826863, 39.379379, 13, 512, &px, &py);
	CHECK(px == a && py == b);
	webmerc_world_px(-180, WEBMERC_MAX_LAT, 0, 256, &px, &py);
	CHECK_NEAR(px, 0, 1e-9);
	CHECK_NEAR(py, 0, 1e-6);
}

/* The zoom a viewer opens a box at (TileJSON, MBTiles metadata). */
static void test_fit_zoom(void)
{
	CHECK_INT(webmerc_fit_zoom(118.05, 36.81, 118.05, 36.81, 0, 20), WEBMERC_FIT_MAX_ZOOM); /* a point */
	CHECK_INT(webmerc_fit_zoom(118.05, 36.81, 118.05, 36.81, 0, 10), 10);
	/* the whole world is 4 x 256 px wide at zoom 2: 1024 px */
	CHECK_INT(webmerc_fit_zoom(-180, -WEBMERC_MAX_LAT, 180, WEBMERC_MAX_LAT, 0, 20), 2);
	CHECK_INT(webmerc_fit_zoom(-180, -WEBMERC_MAX_LAT, 180, WEBMERC_MAX_LAT, 5, 20), 5);
	/* 0.36 degrees of longitude: 1/1000 of the world, 1024 px at 2^11.97 */
	CHECK_INT(webmerc_fit_zoom(118, 36.8, 118.36, 36.8, 0, 20), 11);
	/* the taller side decides: the same 0.36 degrees north-south at 36.8 N
	 * is 1.25 times longer in Web Mercator, still zoom 11 */
	CHECK_INT(webmerc_fit_zoom(118, 36.62, 118.001, 36.98, 0, 20), 11);
	/* twice as wide, one zoom less */
	CHECK_INT(webmerc_fit_zoom(118, 36.8, 118.72, 36.8, 0, 20), 10);
}

/* The tiles a box touches, against webmerc_tile_from_lonlat corner by corner. */
static void test_tile_range(void)
{
	const double box[4] = {117.9, 36.65, 118.2, 36.95};
	struct webmerc_range r;
	webmerc_tile_range(box, 0, &r);
	CHECK(r.x0 == 0 && r.y0 == 0 && r.x1 == 0 && r.y1 == 0);
	webmerc_tile_range(box, 12, &r);
	int x, y;
	webmerc_tile_from_lonlat(117.9, 36.95, 12, &x, &y); /* north-west */
	CHECK(r.x0 == x && r.y0 == y);
	webmerc_tile_from_lonlat(118.2, 36.65, 12, &x, &y); /* south-east */
	CHECK(r.x1 == x && r.y1 == y);
	CHECK(r.x1 > r.x0 && r.y1 > r.y0);
	long long n12 = (long long)(r.x1 - r.x0 + 1) * (r.y1 - r.y0 + 1);
	CHECK_INT(webmerc_tile_count(box, 12, 12), n12);
	CHECK_INT(webmerc_tile_count(box, 0, 0), 1);
	CHECK_INT(webmerc_tile_count(box, 11, 12), webmerc_tile_count(box, 11, 11) + n12);
	/* the world: every tile */
	const double world[4] = {-180, -WEBMERC_MAX_LAT, 180, WEBMERC_MAX_LAT};
	CHECK_INT(webmerc_tile_count(world, 0, 3), 1 + 4 + 16 + 64);
}

int main(void)
{
	test_tile_valid();
	test_closed_form();
	test_tiles();
	test_proj_agrees();
	test_world_px();
	test_fit_zoom();
	test_tile_range();
	return CHECK_DONE();
}

/*
 * test_geo_tilemath.c - the XYZ tile grid, the closed Web Mercator
 * formulas, and PROJ's EPSG:4326 -> EPSG:3857 held to them (1 mm).
 */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "geo/geo.h"
#include "geo/tilemath.h"

static void test_tile_valid(void)
{
	CHECK(tile_valid(0, 0, 0, 20));
	CHECK(!tile_valid(0, 1, 0, 20));
	CHECK(!tile_valid(-1, 0, 0, 20));
	CHECK(!tile_valid(21, 0, 0, 20));
	CHECK(tile_valid(20, (1 << 20) - 1, (1 << 20) - 1, 20));
	CHECK(!tile_valid(20, 1 << 20, 0, 20));
	CHECK(!tile_valid(3, 0, -1, 20));
	CHECK(!tile_valid(3, 0, 8, 20));
	CHECK(!tile_valid(100, 0, 0, 1000)); /* no undefined shift */
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
	world_px_to_webmerc(512.0 * 32, 512.0 * 32, 5, 512, &mx, &my);
	CHECK_NEAR(mx, WEBMERC_HALF, 1e-6);
	CHECK_NEAR(my, -WEBMERC_HALF, 1e-6);
	srand(4);
	for (int i = 0; i < 1000; i++) {
		double x = (rand() / (double)RAND_MAX * 2 - 1) * WEBMERC_HALF;
		double y = (rand() / (double)RAND_MAX * 2 - 1) * WEBMERC_HALF;
		int z = rand() % 21;
		webmerc_to_world_px(x, y, z, 256, &px, &py);
		world_px_to_webmerc(px, py, z, 256, &mx, &my);
		CHECK(fabs(mx - x) < 1e-6 && fabs(my - y) < 1e-6);
	}
}

static void test_tiles(void)
{
	double w, s, e, n;
	tile_bounds_lonlat(0, 0, 0, &w, &s, &e, &n);
	CHECK_NEAR(w, -180, 1e-12);
	CHECK_NEAR(e, 180, 1e-12);
	CHECK_NEAR(n, WEBMERC_MAX_LAT, 1e-9);
	CHECK_NEAR(s, -WEBMERC_MAX_LAT, 1e-9);
	tile_bounds_lonlat(1, 1, 0, &w, &s, &e, &n);
	CHECK_NEAR(w, 0, 1e-12);
	CHECK_NEAR(s, 0, 1e-12);
	CHECK_NEAR(e, 180, 1e-12);

	/* Beijing's tile at z=10 in the XYZ scheme is 843/388 */
	int x, y;
	tile_from_lonlat(116.391, 39.907, 10, &x, &y);
	CHECK_INT(x, 843);
	CHECK_INT(y, 388);
	tile_bounds_lonlat(10, 843, 388, &w, &s, &e, &n);
	CHECK(w <= 116.391 && 116.391 < e && s < 39.907 && 39.907 <= n);
	/* clamped into the grid */
	tile_from_lonlat(180, -90, 4, &x, &y);
	CHECK_INT(x, 15);
	CHECK_INT(y, 15);
	tile_from_lonlat(-180, 90, 4, &x, &y);
	CHECK_INT(x, 0);
	CHECK_INT(y, 0);
	/* every point lies in the tile computed for it */
	srand(5);
	int bad = 0;
	for (int i = 0; i < 2000; i++) {
		double lon = rand() / (double)RAND_MAX * 359.99 - 180;
		double lat = rand() / (double)RAND_MAX * 170 - 85;
		int z = rand() % 19;
		tile_from_lonlat(lon, lat, z, &x, &y);
		tile_bounds_lonlat(z, x, y, &w, &s, &e, &n);
		if (!(w <= lon + 1e-9 && lon <= e + 1e-9 && s <= lat + 1e-9 && lat <= n + 1e-9))
			bad++;
	}
	CHECK_INT(bad, 0);
}

static void test_proj_agrees(void)
{
	struct ms_error err = {0};
	struct geo_merc *m = geo_merc_new(&err);
	CHECK_MSG(m != NULL, "%s", err.msg);
	if (!m)
		return;
	enum { N = 2000 };
	static double lon[N], lat[N], elon[N], elat[N];
	srand(6);
	for (int i = 0; i < N; i++) {
		lon[i] = rand() / (double)RAND_MAX * 360 - 180;
		lat[i] = rand() / (double)RAND_MAX * 180 - 90; /* beyond the limit too */
		webmerc_from_lonlat(lon[i], lat[i], &elon[i], &elat[i]);
	}
	lon[0] = 118.05, lat[0] = 36.8;
	webmerc_from_lonlat(lon[0], lat[0], &elon[0], &elat[0]);
	CHECK_INT(geo_merc_forward(m, lon, lat, N, &err), MS_OK);
	double worst = 0;
	for (int i = 0; i < N; i++)
		worst = fmax(worst, fmax(fabs(lon[i] - elon[i]), fabs(lat[i] - elat[i])));
	CHECK_MSG(worst < 1e-3, "PROJ vs closed form: %g m", worst);
	/* input is lon,lat (normalised for visualisation), output x,y */
	CHECK(lon[0] > 13e6 && lon[0] < 13.2e6 && lat[0] > 4.4e6 && lat[0] < 4.5e6);
	CHECK_INT(geo_merc_forward(m, lon, lat, 0, &err), MS_OK);
	geo_merc_free(m);
	geo_merc_free(NULL);
}

int main(void)
{
	test_tile_valid();
	test_closed_form();
	test_tiles();
	test_proj_agrees();
	return CHECK_DONE();
}

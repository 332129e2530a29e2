/* Unit tests of route/overlay.c: fitted zooms and windows against the
 * closed-form Mercator, the overlay's pixels on a bare canvas, point
 * parsing, and choosing stops by id or nearness. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "geo/webmerc.h"
#include "render/glyphs.h"
#include "route/overlay.h"

static void test_fit_zoom(void)
{
	struct ms_error err = {0};
	int z = -1;
	/* 1 deg of longitude at the equator: 256 * 2^z / 360 px; in 600 - 64
	 * px it fits up to z = 9 (364 px at 9, 728 at 10). */
	CHECK_INT(route_map_fit_zoom(0, 0, 1, 0, 600, 400, 32, 17, &z, &err), MS_OK);
	CHECK_INT(z, 9);
	/* one point: the cap */
	CHECK_INT(route_map_fit_zoom(118, 36, 118, 36, 600, 400, 32, 17, &z, &err), MS_OK);
	CHECK_INT(z, 17);
	/* the whole world fits only at zoom 0 */
	CHECK_INT(route_map_fit_zoom(-180, -85, 180, 85, 100, 100, 32, 17, &z, &err), MS_OK);
	CHECK_INT(z, 0);
	CHECK_INT(route_map_fit_zoom(2, 0, 1, 1, 600, 400, 32, 17, &z, &err), MS_EUSAGE);
	CHECK_INT(route_map_fit_zoom(0, -91, 1, 1, 600, 400, 32, 17, &z, &err), MS_EUSAGE);
}

static void test_views(void)
{
	struct tile_view v;
	/* centre (0, 0) at zoom 1: world px (256, 256); a 100 x 50 window at
	 * scale 2 starts at 512 - 100, 512 - 50 */
	route_map_view_center(&v, NULL, COORDSYS_WGS84, 0, 0, 1, 100, 50, 2);
	CHECK_INT(v.width, 200);
	CHECK_INT(v.height, 100);
	CHECK_INT(v.origin_x, 412);
	CHECK_INT(v.origin_y, 462);
	double x, y;
	route_map_canvas_px(&v, 0, 0, &x, &y);
	CHECK_NEAR(x, 100, 1e-9);
	CHECK_NEAR(y, 50, 1e-9);
	/* 90 deg east is a quarter of the world further: 256 px at zoom 1, x2 */
	route_map_canvas_px(&v, 0, 90, &x, &y);
	CHECK_NEAR(x, 100 + 256, 1e-6);
	route_map_view_box(&v, NULL, COORDSYS_WGS84, -10, -10, 10, 10, 3, 301, 201, 1);
	CHECK_INT(v.origin_x, 1024 - 150); /* floor(1024 - 150.5 + 0.5) */
	CHECK_INT(v.origin_y, 1024 - 100);
}

static bool is_rgb(const struct canvas *c, int x, int y, struct rgba want)
{
	const uint8_t *p = c->px + 4 * ((size_t)y * c->width + x);
	return p[0] == want.r && p[1] == want.g && p[2] == want.b && p[3] == 255;
}

static void test_draw(void)
{
	struct ms_error err = {0};
	struct glyphs *gl = glyphs_new(GLYPHS_DEFAULT_FONT, &err);
	CHECK_MSG(gl != NULL, "%s", err.msg);
	if (!gl)
		return;
	struct tile_view v;
	route_map_view_center(&v, NULL, COORDSYS_WGS84, 0, 0, 10, 200, 200, 1);
	struct canvas *c = canvas_new(v.width, v.height);
	struct route_overlay ov = {0};
	ov.has_start = true;
	ov.n = 3;
	/* 0.1 deg at zoom 10 is 72.8 px: stops east and north of the start;
	 * stops 2 and 3 coincide and share one marker */
	ov.lon[0] = 0.1, ov.lat[0] = 0;
	ov.lon[1] = 0, ov.lat[1] = 0.1;
	ov.lon[2] = 0, ov.lat[2] = 0.1;
	ov.line = true;
	route_overlay_draw(c, gl, &v, &ov);
	double x, y;
	route_map_canvas_px(&v, 0, 0.1, &x, &y);
	CHECK_NEAR(x, 100 + 72.8178, 1e-3);
	CHECK(is_rgb(c, (int)(x + 5.5), (int)(y + 5.5), ROUTE_MARKER_COLOUR));
	CHECK(is_rgb(c, (int)(x - 5.5), (int)(y - 5.5), ROUTE_MARKER_COLOUR));
	route_map_canvas_px(&v, 0.1, 0, &x, &y);
	CHECK(is_rgb(c, (int)(x + 5.5), (int)(y - 5.5), ROUTE_MARKER_COLOUR));
	CHECK(is_rgb(c, 100 + 7, 100 + 7, ROUTE_START_COLOUR)); /* the start square */
	CHECK(is_rgb(c, 100 - 7, 100 - 7, ROUTE_START_COLOUR));
	/* white numbers in the discs; nothing far from the route */
	int white = 0; /* light pixels: the marker itself is dark blue */
	for (int dy = -5; dy <= 5; dy++)
		for (int dx = -5; dx <= 5; dx++)
			white += c->px[4 * ((size_t)((int)y + dy) * c->width + (size_t)((int)x + dx))] > 160;
	CHECK(white > 5);
	CHECK(c->px[4 * (10 * c->width + 10) + 3] == 0);
	/* the line from the start to stop 1, half way: opaque-ish route blue */
	const uint8_t *p = c->px + 4 * ((size_t)100 * c->width + 136);
	CHECK(p[3] > 150 && p[2] > p[0]);
	canvas_free(c);
	glyphs_free(gl);
}

static void test_parse_point(void)
{
	double lat, lon;
	CHECK(route_parse_point("36.85,118.1", &lat, &lon));
	CHECK_NEAR(lat, 36.85, 0);
	CHECK_NEAR(lon, 118.1, 0);
	CHECK(!route_parse_point("36.85", &lat, &lon));
	CHECK(!route_parse_point("nan,1", &lat, &lon));
	CHECK(!route_parse_point("1,2,3", &lat, &lon));
	CHECK(!route_parse_point(" 1,2", &lat, &lon));
	CHECK(!route_parse_point("1,", &lat, &lon));
}

static void test_select(void)
{
	struct site_set *set = site_set_new();
	const char *ids[] = {"a", "b", "c"};
	double lat[] = {36.80, 36.90, 37.50};
	for (int i = 0; i < 3; i++) {
		struct site_draft s = {0};
		s.field[SITE_ID] = ids[i];
		s.lat = lat[i];
		s.lon = 118.0;
		site_set_add(set, &s);
	}
	struct ms_error err = {0};
	struct snapshot *snap = snapshot_new(set, &err);
	CHECK_MSG(snap != NULL, "%s", err.msg);
	if (!snap)
		return;
	const struct site *out[ROUTE_MAX_STOPS];
	size_t n = 0;
	CHECK_INT(route_select_ids(snap, "c,a", out, &n, &err), MS_OK);
	CHECK_INT(n, 2);
	CHECK_STR(site_field(out[0], SITE_ID), "c");
	CHECK_STR(site_field(out[1], SITE_ID), "a");
	CHECK_INT(route_select_ids(snap, "a,x", out, &n, &err), MS_ENOTFOUND);
	CHECK(strstr(err.msg, "'x'") != NULL);
	CHECK_INT(route_select_ids(snap, "a,b,a", out, &n, &err), MS_EUSAGE);
	CHECK(strstr(err.msg, "'a'") != NULL);
	CHECK_INT(route_select_ids(snap, "", out, &n, &err), MS_EUSAGE);
	CHECK_INT(route_select_nearest(snap, 36.88, 118.0, 2, out, &n, &err), MS_OK);
	CHECK_INT(n, 2);
	CHECK_STR(site_field(out[0], SITE_ID), "b");
	CHECK_STR(site_field(out[1], SITE_ID), "a");
	CHECK_INT(route_select_nearest(snap, 36.88, 118.0, 10, out, &n, &err), MS_OK);
	CHECK_INT(n, 3);
	CHECK_INT(route_select_nearest(snap, 36.88, 118.0, 0, out, &n, &err), MS_EUSAGE);
	CHECK_INT(route_select_nearest(snap, 36.88, 118.0, 51, out, &n, &err), MS_EUSAGE);
	CHECK_INT(route_select_nearest(snap, 95, 118.0, 3, out, &n, &err), MS_EUSAGE);
	snapshot_release(snap);
}

int main(void)
{
	test_fit_zoom();
	test_views();
	test_draw();
	test_parse_point();
	test_select();
	return CHECK_DONE();
}

/* test_render_tile.c - the tile composer: marker anchors against the
 * closed-form Mercator, stitched tiles against one large window, @2x
 * against scale 1, clusters of coincident sites, empty tiles, the GCJ-02
 * shift, and concurrent first requests of one layout. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "geo/geo.h"
#include "geo/webmerc.h"
#include "render/png.h"
#include "render/ahead.h"
#include "render/tile.h"
#include "style_files.h"
#include "util/mem.h"

/* Marker colours chosen apart from each other and from the outline, so a
 * marker's pixels can be told by colour. */
static const struct rgba RED = {220, 20, 60, 255};
static const struct rgba BLUE = {20, 60, 220, 255};
static const struct rgba WHITE = {255, 255, 255, 255};

static void make_style(struct style *st)
{
	memset(st, 0, sizeof *st);
	snprintf(st->name, sizeof st->name, "test");
	st->version = 1;
	st->sites = true;
	st->marker_size = (struct style_num){1, {0}, {6}};
	for (int c = 0; c < CAT_COUNT; c++) {
		st->marker_color[c] = RED;
		st->marker_shape[c] = SHAPE_CIRCLE;
	}
	st->marker_color[CAT_MUSEUM] = BLUE;
	st->marker_outline = WHITE;
	st->marker_outline_width = (struct style_num){1, {0}, {1.5}};
	st->cluster = true;
	st->cluster_maxzoom = 12;
	st->cluster_radius = 40;
	st->cluster_size = (struct style_num){1, {0}, {13}};
	st->cluster_color = (struct rgba){180, 0, 0, 255};
	st->cluster_outline = WHITE;
	st->cluster_text_color = WHITE;
	st->cluster_outline_width = 2;
	st->cluster_text_size = (struct style_num){1, {0}, {12}};
	st->label_minzoom = 13;
	st->label_size = (struct style_num){2, {13, 18}, {12, 16}};
	st->label_color = (struct rgba){30, 30, 30, 255};
	st->label_halo = WHITE;
	st->label_halo_width = 1.5;
	st->label_offset = 2;
}

/* Closed-form spherical Web Mercator (EPSG method 1024), independent of
 * the code under test: world px at zoom z. */
static void merc_px(double lat, double lon, int z, double *x, double *y)
{
	double n = 256.0 * pow(2.0, z), phi = lat * M_PI / 180.0;
	*x = (lon + 180.0) / 360.0 * n;
	*y = (1.0 - log(tan(phi) + 1.0 / cos(phi)) / M_PI) / 2.0 * n;
}

static void merc_latlon(double x, double y, int z, double *lat, double *lon)
{
	double n = 256.0 * pow(2.0, z);
	*lon = x / n * 360.0 - 180.0;
	*lat = atan(sinh(M_PI * (1.0 - 2.0 * y / n))) * 180.0 / M_PI;
}

static void add_q(struct site_set *set, const char *id, const char *name, enum site_category cat, double lat,
                  double lon, enum site_quality q)
{
	struct site_draft s = {0};
	s.quality = q;
	s.uncertainty_m = site_quality_default_m(q);
	s.field[SITE_ID] = id;
	s.field[SITE_NAME_ZH] = name;
	s.field[SITE_CATEGORY] = site_category_name(cat);
	s.category = cat;
	s.lat = lat;
	s.lon = lon;
	site_set_add(set, &s);
}

static void add(struct site_set *set, const char *id, const char *name, enum site_category cat, double lat,
                double lon)
{
	add_q(set, id, name, cat, lat, lon, SITE_QUALITY_SURVEYED);
}

#define YANAN_LAT 36.59
#define YANAN_LON 109.49

/* A tile corner near Zibo at z14: a site placed there is cut by four
 * tiles at z14 (and its label by two). */
static double corner_lat, corner_lon;

static struct snapshot *make_snapshot(void)
{
	struct site_set *set = site_set_new();
	/* three coincident sites (the Heitieshan hall, uprising site, monument) */
	add(set, "zb-a-hall", "黑铁山抗日武装起义纪念馆", CAT_MEMORIAL_HALL, 36.849547, 118.160735);
	add(set, "zb-b-site", "黑铁山起义旧址", CAT_FORMER_SITE, 36.849547, 118.160735);
	add(set, "zb-c-monument", "黑铁山起义纪念碑", CAT_MONUMENT, 36.849547, 118.160735);
	/* a museum 3 km east: merges with them at low zoom, apart at z14 */
	add(set, "zb-d-museum", "淄博高新区党史馆", CAT_MUSEUM, 36.8495, 118.1950);
	/* Gaotai, far away */
	add(set, "gt-memorial", "中国工农红军西路军纪念馆", CAT_MEMORIAL_HALL, 39.379379, 99.826863);
	/* exactly on a z14 tile corner */
	double cx, cy;
	merc_px(36.80, 118.05, 14, &cx, &cy);
	cx = floor(cx / 256) * 256;
	cy = floor(cy / 256) * 256;
	merc_latlon(cx, cy, 14, &corner_lat, &corner_lon);
	add(set, "zb-e-corner", "边角纪念地", CAT_EDUCATION_BASE, corner_lat, corner_lon);
	/* approximate positions: a museum near Yan'an placed in its village
	 * (1 km), and two former sites near Gaotai sharing a town's point
	 * (5 km), one cluster at every zoom */
	add_q(set, "ya-approx", "延安革命纪念地", CAT_MUSEUM, YANAN_LAT, YANAN_LON, SITE_QUALITY_VILLAGE);
	add_q(set, "gt-x-approx", "红军驻地", CAT_FORMER_SITE, 39.39, 99.85, SITE_QUALITY_TOWN);
	add_q(set, "gt-y-approx", "红军医院旧址", CAT_FORMER_SITE, 39.39, 99.85, SITE_QUALITY_TOWN);
	struct ms_error err;
	struct snapshot *snap = snapshot_new(set, &err);
	if (!snap)
		fprintf(stderr, "snapshot_new: %s\n", err.msg);
	return snap;
}

/* Alpha-weighted centroid (canvas px) of pixels close to colour k (after
 * un-premultiplying) inside the box [x0,x1)x[y0,y1). */
static int colour_centroid(const struct canvas *c, struct rgba k, int x0, int y0, int x1, int y1, double *mx,
                           double *my)
{
	double sx = 0, sy = 0, sw = 0;
	int count = 0;
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < c->height; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x1 && x < c->width; x++) {
			const uint8_t *p = c->px + ((size_t)y * (size_t)c->width + (size_t)x) * 4;
			if (p[3] < 250)
				continue; /* only the opaque interior: edges mix with the outline */
			if (abs(p[0] - k.r) > 12 || abs(p[1] - k.g) > 12 || abs(p[2] - k.b) > 12)
				continue;
			sx += x + 0.5;
			sy += y + 0.5;
			sw += 1;
			count++;
		}
	if (sw > 0) {
		*mx = sx / sw;
		*my = sy / sw;
	}
	return count;
}

static struct tile_map *map;
static struct style style;
static struct tile_ctx *ctx;

static struct canvas *render_copy(const struct tile_view *v, bool *empty)
{
	struct canvas *out = NULL;
	struct ms_error err;
	if (tile_render_view(map, ctx, v, &out, empty, &err) != MS_OK) {
		fprintf(stderr, "render: %s\n", err.msg);
		return NULL;
	}
	struct canvas *c = canvas_new(v->width, v->height);
	if (out)
		memcpy(c->px, out->px, (size_t)v->width * (size_t)v->height * 4);
	return c;
}

static void test_anchor(void)
{
	/* the museum alone at z15: its disc's centre is the site's pixel */
	for (int z = 14; z <= 17; z++) {
		double ex, ey;
		merc_px(36.8495, 118.1950, z, &ex, &ey);
		long long tx = (long long)floor(ex / 256), ty = (long long)floor(ey / 256);
		/* a 3x3 block so a marker near an edge is whole */
		struct tile_view v = {&style, COORDSYS_WGS84, z, 1, (tx - 1) * 256, (ty - 1) * 256, 768, 768,
		                      NULL};
		bool empty;
		struct canvas *c = render_copy(&v, &empty);
		CHECK(c && !empty);
		double lx = ex - (double)v.origin_x, ly = ey - (double)v.origin_y, mx = 0, my = 0;
		int n = colour_centroid(c, BLUE, (int)lx - 10, (int)ly - 10, (int)lx + 10, (int)ly + 10, &mx,
		                        &my);
		CHECK_MSG(n > 60, "z%d: %d blue pixels", z, n);
		CHECK_NEAR(mx, lx, 0.5);
		CHECK_NEAR(my, ly, 0.5);
		/* where the map says the site is drawn agrees with the closed form */
		double px, py;
		struct ms_error err;
		const struct snapshot *snap = tile_map_snapshot(map);
		const struct site *museum = snapshot_find(snap, "zb-d-museum");
		CHECK_INT(tile_site_world_px(map, ctx, COORDSYS_WGS84, (size_t)(museum - snap->sites), z, &px,
		                             &py, &err),
		          MS_OK);
		CHECK_NEAR(px, ex, 0.01);
		CHECK_NEAR(py, ey, 0.01);
		canvas_free(c);
	}
}

/* The system stitched_diff draws in. */
static enum coordsys stitch_cs = COORDSYS_WGS84;

/* Four tiles of zoom z stitched equal one 512 px window of the same area. */
static int stitched_diff(int z, long long tx, long long ty, int scale)
{
	int T = 256 * scale;
	struct tile_view big = {&style, stitch_cs, z, scale, tx * T, ty * T, 2 * T, 2 * T, NULL};
	bool empty;
	struct canvas *whole = render_copy(&big, &empty);
	if (!whole)
		return -1;
	int diff = 0;
	for (int j = 0; j < 2; j++)
		for (int i = 0; i < 2; i++) {
			struct tile_view v;
			tile_view_of_tile(&v, &style, stitch_cs, z, tx + i, ty + j, scale);
			struct canvas *t = render_copy(&v, &empty);
			if (!t)
				return -1;
			for (int y = 0; y < T; y++)
				diff +=
				    memcmp(t->px + (size_t)y * T * 4,
				           whole->px + (((size_t)(j * T + y) * 2 * T) + (size_t)(i * T)) * 4,
				           (size_t)T * 4) != 0;
			canvas_free(t);
		}
	canvas_free(whole);
	return diff;
}

static size_t opaque_count(const struct canvas *c)
{
	size_t n = 0;
	for (size_t i = 0; i < (size_t)c->width * c->height; i++)
		n += c->px[i * 4 + 3] > 0;
	return n;
}

static void test_stitch(void)
{
	/* z14: the corner site's marker and label are cut by the tile edges */
	double cx, cy;
	merc_px(corner_lat, corner_lon, 14, &cx, &cy);
	long long tx = (long long)llround(cx / 256) - 1, ty = (long long)llround(cy / 256) - 1;
	CHECK_INT(stitched_diff(14, tx, ty, 1), 0);
	CHECK_INT(stitched_diff(14, tx, ty, 2), 0);
	/* and in GCJ-02, whose interpolated shift is the same on every tile */
	stitch_cs = COORDSYS_GCJ02;
	for (int z = 10; z <= 16; z += 2) {
		double gx, gy;
		tile_world_px(COORDSYS_GCJ02, corner_lat, corner_lon, z, &gx, &gy);
		long long gtx = (long long)llround(gx / 256) - 1, gty = (long long)llround(gy / 256) - 1;
		CHECK_INT(stitched_diff(z, gtx, gty, 1), 0);
		CHECK_INT(stitched_diff(z, gtx, gty, 2), 0);
	}
	stitch_cs = COORDSYS_WGS84;
	/* every one of the four tiles shows a part of the corner marker */
	for (int j = 0; j < 2; j++)
		for (int i = 0; i < 2; i++) {
			struct tile_view v;
			tile_view_of_tile(&v, &style, COORDSYS_WGS84, 14, tx + i, ty + j, 1);
			bool empty;
			struct canvas *t = render_copy(&v, &empty);
			CHECK(!empty && opaque_count(t) > 20);
			canvas_free(t);
		}
	/* labels are placed at z14: around the Heitieshan group and the museum */
	double hx, hy;
	merc_px(36.849547, 118.160735, 14, &hx, &hy);
	long long hx0 = (long long)floor(hx / 256), hy0 = (long long)floor(hy / 256);
	for (long long dx = -1; dx <= 0; dx++)
		for (long long dy = -1; dy <= 0; dy++)
			CHECK_INT(stitched_diff(14, hx0 + dx, hy0 + dy, 1), 0);
	/* z10 and z8: clusters, whatever block they fall in */
	for (int z = 8; z <= 10; z += 2) {
		merc_px(36.849547, 118.160735, z, &hx, &hy);
		hx0 = (long long)floor(hx / 256);
		hy0 = (long long)floor(hy / 256);
		for (long long dx = -1; dx <= 0; dx++)
			for (long long dy = -1; dy <= 0; dy++)
				CHECK_INT(stitched_diff(z, hx0 + dx, hy0 + dy, 1), 0);
	}
}

/* The view of a window of zoom z around two sites (and margin px more). */
static void view_around(struct tile_view *v, int z, double lat0, double lon0, double lat1, double lon1,
                        double margin)
{
	double ax, ay, bx, by;
	merc_px(lat0, lon0, z, &ax, &ay);
	merc_px(lat1, lon1, z, &bx, &by);
	long long x0 = (long long)floor(fmin(ax, bx) - margin), y0 = (long long)floor(fmin(ay, by) - margin);
	long long x1 = (long long)ceil(fmax(ax, bx) + margin), y1 = (long long)ceil(fmax(ay, by) + margin);
	*v = (struct tile_view){&style, COORDSYS_WGS84, z, 1, x0, y0, (int)(x1 - x0), (int)(y1 - y0), NULL};
}

static void test_clusters(void)
{
	struct tile_view_stats st;
	struct tile_view v;
	bool empty;
	struct canvas *c;
	/* low zooms: the four Zibo sites 3 km apart merge */
	view_around(&v, 9, 36.849547, 118.160735, 36.8495, 118.1950, 100);
	c = render_copy(&v, &empty);
	tile_ctx_stats(ctx, &st);
	CHECK_INT(st.largest_cluster, 4);
	CHECK_INT(st.clusters, 1);
	canvas_free(c);
	/* the three coincident sites stay one cluster at every zoom */
	for (int z = 0; z <= WEBMERC_MAX_ZOOM; z++) {
		view_around(&v, z, 36.849547, 118.160735, 36.849547, 118.160735, 128);
		c = render_copy(&v, &empty);
		tile_ctx_stats(ctx, &st);
		CHECK_MSG(st.largest_cluster >= 3, "z%d: largest cluster %zu", z, st.largest_cluster);
		canvas_free(c);
		if (z < 13 || z > 16)
			continue;
		/* above the clustering zoom: the trio and the museum apart */
		view_around(&v, z, 36.849547, 118.160735, 36.8495, 118.1950, 100);
		c = render_copy(&v, &empty);
		tile_ctx_stats(ctx, &st);
		CHECK_MSG(st.drawn == 2 && st.clusters == 1, "z%d: %zu drawn %zu clusters", z, st.drawn,
		          st.clusters);
		canvas_free(c);
	}
	/* labels from label_minzoom on only, and none on the cluster */
	view_around(&v, 12, 36.849547, 118.160735, 36.8495, 118.1950, 100);
	canvas_free(render_copy(&v, &empty));
	tile_ctx_stats(ctx, &st);
	CHECK_INT(st.labels, 0);
	view_around(&v, 16, 36.849547, 118.160735, 36.8495, 118.1950, 100);
	canvas_free(render_copy(&v, &empty));
	tile_ctx_stats(ctx, &st);
	CHECK_INT(st.labels, 1);

	/* the cluster at z9 is drawn in the cluster colour at the centroid of
	 * its four members */
	double x[4], y[4], mx = 0, my = 0;
	merc_px(36.849547, 118.160735, 9, &x[0], &y[0]);
	merc_px(36.8495, 118.1950, 9, &x[3], &y[3]);
	double ex = (3 * x[0] + x[3]) / 4, ey = (3 * y[0] + y[3]) / 4;
	v = (struct tile_view){
	    &style, COORDSYS_WGS84, 9, 1, (long long)ex - 128, (long long)ey - 128, 256, 256, NULL};
	c = render_copy(&v, &empty);
	int n = colour_centroid(c, style.cluster_color, 128 - 20, 128 - 20, 128 + 20, 128 + 20, &mx, &my);
	CHECK(n > 100);
	/* the count text sits in the middle, so the disc's centroid moves a
	 * little; still well within a pixel or two */
	CHECK_NEAR(mx, ex - (double)v.origin_x, 1.5);
	CHECK_NEAR(my, ey - (double)v.origin_y, 1.5);
	/* white count text inside the disc */
	int white = 0;
	for (int yy = 120; yy < 136; yy++)
		for (int xx = 120; xx < 136; xx++) {
			const uint8_t *p = c->px + ((size_t)yy * 256 + (size_t)xx) * 4;
			white += p[0] > 230 && p[1] > 230 && p[2] > 230 && p[3] == 255;
		}
	CHECK_MSG(white > 5, "%d white text pixels", white);
	canvas_free(c);
}

static void test_scale2(void)
{
	double ex, ey;
	merc_px(36.8495, 118.1950, 15, &ex, &ey);
	long long tx = (long long)floor(ex / 256), ty = (long long)floor(ey / 256);
	struct tile_view v1, v2;
	tile_view_of_tile(&v1, &style, COORDSYS_WGS84, 15, tx, ty, 1);
	tile_view_of_tile(&v2, &style, COORDSYS_WGS84, 15, tx, ty, 2);
	bool e1, e2;
	struct canvas *c1 = render_copy(&v1, &e1), *c2 = render_copy(&v2, &e2);
	CHECK(c2->width == 512 && c2->height == 512 && !e1 && !e2);
	double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
	int n1 = colour_centroid(c1, BLUE, 0, 0, 256, 256, &x1, &y1);
	int n2 = colour_centroid(c2, BLUE, 0, 0, 512, 512, &x2, &y2);
	/* twice the size: four times the pixels, the centre at twice the offset */
	CHECK_MSG(n2 > 3 * n1 && n2 < 5 * n1, "%d vs %d", n1, n2);
	CHECK_NEAR(x2, 2 * x1, 0.5);
	CHECK_NEAR(y2, 2 * y1, 0.5);
	CHECK_NEAR(x1, ex - (double)v1.origin_x, 0.5);
	/* the same picture: the 2x tile averaged down 2x2 stays close to the
	 * 1x tile everywhere (edges and glyph hinting differ slightly) */
	double sum = 0;
	int far = 0;
	for (int y = 0; y < 256; y++)
		for (int x = 0; x < 256; x++) {
			int a = 0;
			for (int k = 0; k < 4; k++)
				a += c2->px[(((size_t)(2 * y + k / 2) * 512) + (size_t)(2 * x + k % 2)) * 4 +
				            3];
			int d = abs(a / 4 - c1->px[((size_t)y * 256 + (size_t)x) * 4 + 3]);
			sum += d;
			far += d > 128;
		}
	CHECK_MSG(sum / (256 * 256) < 3.0, "mean alpha difference %g", sum / (256 * 256));
	CHECK_MSG(far < 60, "%d pixels differ by more than half", far);
	canvas_free(c1);
	canvas_free(c2);
}

static void test_empty(void)
{
	/* the middle of the Pacific, and the whole world's tile 0/0/0 is not */
	struct tile_view v;
	tile_view_of_tile(&v, &style, COORDSYS_WGS84, 10, 10, 400, 1);
	struct canvas *out = (struct canvas *)1;
	bool empty = false;
	struct ms_error err;
	CHECK_INT(tile_render_view(map, ctx, &v, &out, &empty, &err), MS_OK);
	CHECK(empty && out == NULL);
	tile_view_of_tile(&v, &style, COORDSYS_WGS84, 0, 0, 0, 1);
	CHECK_INT(tile_render_view(map, ctx, &v, &out, &empty, &err), MS_OK);
	CHECK(!empty && out && !canvas_is_empty(out));
	/* an opaque background is never "empty" */
	struct style opaque = style;
	opaque.background = (struct rgba){250, 248, 240, 255};
	struct tile_map *m2 = tile_map_new((struct snapshot *)tile_map_snapshot(map), &opaque, 1);
	tile_view_of_tile(&v, &opaque, COORDSYS_WGS84, 10, 10, 400, 1);
	CHECK_INT(tile_render_view(m2, ctx, &v, &out, &empty, &err), MS_OK);
	CHECK(!empty && out && out->px[3] == 255 && out->px[0] == 250);
	tile_map_release(m2);
	/* bad views are refused, not drawn */
	v.scale = 9;
	CHECK_INT(tile_render_view(map, ctx, &v, &out, &empty, &err), MS_EUSAGE);
}

/* Where a position is drawn in GCJ-02 and BD-09: the closed form
 * (GCJ-02's interpolated from zoom 12 on, tile.c) within 0.02 px, beyond
 * the rounding of every position to a unit of the hierarchy (half a unit
 * each way, 2^(z - 24) px) and to the anchor grid (1/256 px), anywhere in
 * China and across the edges of the rectangle where GCJ-02 applies. */
static void test_shift_lattice(void)
{
	uint64_t seed = 0x2545F4914F6CDD1DULL;
	double worst = 0;
	for (int k = 0; k < 4000; k++) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		double lat = 18 + (double)(seed % 100000) / 100000 * 36;
		double lon = 73 + (double)((seed >> 20) % 100000) / 100000 * 62;
		if (k % 4 == 1) /* across the rectangle's west and north edges */
			lon = 72.004 + ((double)(seed % 2001) - 1000) * 1e-6;
		if (k % 4 == 2)
			lat = 55.8271 + ((double)((seed >> 12) % 2001) - 1000) * 1e-6;
		int z = 8 + (int)((seed >> 40) % 13);
		enum coordsys cs = k % 3 ? COORDSYS_GCJ02 : COORDSYS_BD09;
		double slat, slon, ex, ey, px, py;
		coordsys_from_wgs84(cs, lat, lon, &slat, &slon);
		merc_px(slat, slon, z, &ex, &ey);
		tile_world_px(cs, lat, lon, z, &px, &py);
		double d = hypot(px - ex, py - ey) - M_SQRT1_2 * ldexp(1, z - 24) - 1.0 / 256;
		worst = d > worst ? d : worst;
	}
	CHECK_MSG(worst <= 0.02, "drawn %g px from the closed form, beyond the rounding", worst);
	double px, py;
	tile_world_px(COORDSYS_WGS84, 36.8495, 118.1950, 16, &px, &py); /* WGS-84: exact */
	double ex, ey;
	merc_px(36.8495, 118.1950, 16, &ex, &ey);
	CHECK_NEAR(px, ex, 0.01);
}

static void test_gcj02(void)
{
	/* the museum at z14, WGS-84 and GCJ-02 views of one 1024 px window */
	int z = 14;
	double wx, wy, glat, glon, gx, gy;
	merc_px(36.8495, 118.1950, z, &wx, &wy);
	wgs84_to_gcj02(36.8495, 118.1950, &glat, &glon);
	merc_px(glat, glon, z, &gx, &gy);
	double shift_m = geo_distance_m(36.8495, 118.1950, glat, glon);
	CHECK_MSG(shift_m > 400 && shift_m < 700, "GCJ-02 shift %g m", shift_m);
	struct tile_view v = {&style, COORDSYS_WGS84, z,   1, (long long)wx - 512, (long long)wy - 512,
	                      1024,   1024,           NULL};
	bool empty;
	struct canvas *cw = render_copy(&v, &empty);
	v.coordsys = COORDSYS_GCJ02;
	struct canvas *cg = render_copy(&v, &empty);
	double ax = 0, ay = 0, bx = 0, by = 0;
	int na = colour_centroid(cw, BLUE, 0, 0, 1024, 1024, &ax, &ay);
	int nb = colour_centroid(cg, BLUE, 0, 0, 1024, 1024, &bx, &by);
	CHECK(na > 60 && nb > 60);
	CHECK_MSG(hypot(gx - wx, gy - wy) > 40, "expected shift %g px", hypot(gx - wx, gy - wy));
	CHECK_NEAR(bx - ax, gx - wx, 0.5);
	CHECK_NEAR(by - ay, gy - wy, 0.5);
	canvas_free(cw);
	canvas_free(cg);
}

struct worker_arg {
	struct canvas *c;
	int ok;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	struct ms_error err;
	struct tile_ctx *x = tile_ctx_new(&err);
	if (!x)
		return NULL;
	double hx, hy;
	merc_px(36.849547, 118.160735, 15, &hx, &hy);
	struct tile_view v = {
	    &style, COORDSYS_GCJ02, 15, 1, (long long)hx - 256, (long long)hy - 256, 512, 512, NULL};
	struct canvas *out;
	bool empty;
	if (tile_render_view(map, x, &v, &out, &empty, &err) == MS_OK && out) {
		a->c = canvas_new(512, 512);
		memcpy(a->c->px, out->px, 512 * 512 * 4);
		a->ok = 1;
	}
	tile_ctx_free(x);
	return NULL;
}

static void test_threads(void)
{
	/* eight threads ask for a layout nobody has computed yet at once */
	pthread_t th[8];
	struct worker_arg a[8] = {{0}};
	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, worker, &a[i]);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	int same = 0;
	for (int i = 0; i < 8; i++)
		same += a[i].ok && a[0].ok && !memcmp(a[i].c->px, a[0].c->px, 512 * 512 * 4);
	CHECK_INT(same, 8);
	CHECK(a[0].ok && opaque_count(a[0].c) > 200);
	for (int i = 0; i < 8; i++)
		canvas_free(a[i].c);
}

/* Compares the PNG of view v of map m with tests/data/tiles/NAME.png,
 * allowing small per-pixel differences (glyph rendering may move by a
 * level between FreeType builds); MAPSVC_UPDATE_GOLDEN=1 rewrites the
 * file first.  Returns the decoded picture (canvas_free it), or NULL. */
static struct canvas *check_golden(struct tile_map *m, const char *name, const struct tile_view *v)
{
	struct ms_error err;
	struct buf png = BUF_INIT;
	bool empty;
	CHECK_INT(tile_render_png(m, ctx, v, &png, &empty, &err), MS_OK);
	CHECK_MSG(!empty, "%s is empty", name);
	char path[128];
	snprintf(path, sizeof path, "data/tiles/%s.png", name);
	if (getenv("MAPSVC_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "wb");
		CHECK(f && fwrite(png.data, 1, png.len, f) == png.len);
		if (f)
			fclose(f);
	}
	struct buf want = BUF_INIT;
	FILE *f = fopen(path, "rb");
	CHECK_MSG(f != NULL, "cannot open %s", path);
	if (f) {
		char chunk[4096];
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_append(&want, chunk, n);
		fclose(f);
	}
	struct canvas *got = NULL, *ref = NULL;
	CHECK_INT(pngenc_decode(png.data, png.len, &got, &err), MS_OK);
	CHECK_INT(pngenc_decode(want.data, want.len, &ref, &err), MS_OK);
	if (got && ref && got->width == ref->width && got->height == ref->height) {
		size_t off = 0, npx = (size_t)got->width * (size_t)got->height, drawn = 0;
		int worst = 0;
		for (size_t k = 0; k < npx * 4; k++) {
			int d = abs(got->px[k] - ref->px[k]);
			off += d > 8;
			worst = d > worst ? d : worst;
		}
		for (size_t k = 0; k < npx; k++)
			drawn += ref->px[k * 4 + 3] != 0;
		CHECK_MSG(off * 1000 <= npx * 4 * 5, "%s: %zu channels off by > 8 (worst %d)", name, off,
		          worst);
		CHECK_MSG(drawn > 100, "%s: only %zu pixels drawn", name, drawn);
	} else {
		CHECK_MSG(0, "%s: size differs from the golden image", name);
	}
	canvas_free(ref);
	buf_free(&want);
	buf_free(&png);
	return got;
}

/* The straight colour of pixel (x, y) of a decoded picture (premultiplied
 * RGBA), and its alpha. */
static struct rgba pixel(const struct canvas *c, int x, int y)
{
	const uint8_t *p = c->px + ((size_t)y * (size_t)c->width + (size_t)x) * 4;
	if (!p[3])
		return (struct rgba){0, 0, 0, 0};
	return (struct rgba){(uint8_t)(p[0] * 255 / p[3]), (uint8_t)(p[1] * 255 / p[3]),
	                     (uint8_t)(p[2] * 255 / p[3]), p[3]};
}

static bool near_colour(struct rgba a, struct rgba b, int tol)
{
	return abs(a.r - b.r) <= tol && abs(a.g - b.g) <= tol && abs(a.b - b.b) <= tol;
}

/* The tile of zoom z holding (lat, lon). */
static void tile_at(double lat, double lon, int z, long long *x, long long *y)
{
	double px, py;
	merc_px(lat, lon, z, &px, &py);
	*x = (long long)floor(px / 256);
	*y = (long long)floor(py / 256);
}

/* An approximate site: a hollow marker, and from the zoom where its 1 km
 * outgrows the marker, a circle of 1 km; a cluster holding approximate
 * sites writes its count with the style's prefix. */
static void test_golden_approximate(struct tile_map *m, const struct style *def, const struct style *print)
{
	long long x, y;
	tile_at(YANAN_LAT, YANAN_LON, 13, &x, &y);
	struct tile_view v;
	tile_view_of_tile(&v, def, COORDSYS_WGS84, 13, x, y, 1);
	canvas_free(check_golden(m, "default_z13_approx", &v));
	tile_at(YANAN_LAT, YANAN_LON, 12, &x, &y);
	tile_view_of_tile(&v, print, COORDSYS_WGS84, 12, x, y, 2);
	canvas_free(check_golden(m, "print_z12_approx@2x", &v));

	/* pixels: a 400 px window centred on the site at z13 */
	double sx, sy;
	merc_px(YANAN_LAT, YANAN_LON, 13, &sx, &sy);
	v = (struct tile_view){
	    def, COORDSYS_WGS84, 13, 1, (long long)floor(sx) - 200, (long long)floor(sy) - 200, 400, 400,
	    NULL};
	struct canvas *c = canvas_new(400, 400), *out;
	bool empty;
	struct ms_error err;
	CHECK_INT(tile_render_view(m, ctx, &v, &out, &empty, &err), MS_OK);
	memcpy(c->px, out->px, 400 * 400 * 4);
	double ax = sx - (double)v.origin_x, ay = sy - (double)v.origin_y;
	const struct rgba museum = def->marker_color[CAT_MUSEUM];
	/* the hole: the style's inside colour at the anchor; the ring of the
	 * category's colour between the hole (2.5 px) and the outline (5 px) */
	CHECK(near_colour(pixel(c, (int)ax, (int)ay), def->approx_fill, 24) &&
	      pixel(c, (int)ax, (int)ay).a == 255);
	int ring = 0;
	for (int k = 0; k < 4; k++) {
		double dx = k == 0 ? 3.8 : k == 1 ? -3.8 : 0, dy = k == 2 ? 3.8 : k == 3 ? -3.8 : 0;
		ring += near_colour(pixel(c, (int)floor(ax + dx), (int)floor(ay + dy)), museum, 30);
	}
	CHECK_MSG(ring >= 3, "%d of 4 ring pixels in the museum colour", ring);
	/* the circle: 1 km at 36.59 degrees and z13 is 65.2 px; its line is
	 * grey and faint, and nothing is drawn halfway between it and the
	 * marker (below it: the label is above) */
	double r = 1000 / (2 * WEBMERC_HALF * cos(YANAN_LAT * M_PI / 180) / ldexp(256, 13));
	CHECK_NEAR(r, 65.2, 0.1);
	int on = 0, between = 0;
	for (int k = 0; k < 16; k++) {
		double a = k * M_PI / 8;
		struct rgba p = pixel(c, (int)floor(ax + r * cos(a)), (int)floor(ay + r * sin(a)));
		on += p.a > 20 && p.a < 255 && near_colour(p, def->uncertainty_stroke, 40);
		struct rgba q = pixel(c, (int)floor(ax + r / 2 * cos(a)), (int)floor(ay + r / 2 * sin(a)));
		between += k > 0 && k < 8 && q.a != 0;
	}
	CHECK_MSG(on >= 12, "%d of 16 points of the circle drawn", on);
	CHECK_INT(between, 0);
	canvas_free(c);

	/* below the zoom where 1 km outgrows the marker (z8: 2 px, the marker
	 * 3.7), no circle */
	merc_px(YANAN_LAT, YANAN_LON, 8, &sx, &sy);
	v = (struct tile_view){
	    def, COORDSYS_WGS84, 8, 1, (long long)floor(sx) - 50, (long long)floor(sy) - 50, 100, 100, NULL};
	CHECK_INT(tile_render_view(m, ctx, &v, &out, &empty, &err), MS_OK);
	struct tile_view_stats vs;
	tile_ctx_stats(ctx, &vs);
	CHECK(vs.drawn == 1 && vs.circles == 0);

	/* the two sites sharing a town's point: a cluster whose count says
	 * "~2"; with no prefix, other pixels */
	struct style bare = *def;
	bare.approx_prefix[0] = '\0';
	struct tile_map *mb = tile_map_new((struct snapshot *)tile_map_snapshot(m), &bare, 1);
	tile_at(39.39, 99.85, 14, &x, &y);
	struct tile_view with, without;
	tile_view_of_tile(&with, def, COORDSYS_WGS84, 14, x, y, 1);
	tile_view_of_tile(&without, &bare, COORDSYS_WGS84, 14, x, y, 1);
	struct canvas *cw = NULL;
	CHECK_INT(tile_render_view(m, ctx, &with, &out, &empty, &err), MS_OK);
	tile_ctx_stats(ctx, &vs);
	CHECK(vs.clusters == 1 && vs.largest_cluster == 2);
	cw = canvas_new(256, 256);
	memcpy(cw->px, out->px, 256 * 256 * 4);
	CHECK_INT(tile_render_view(mb, ctx, &without, &out, &empty, &err), MS_OK);
	CHECK(memcmp(cw->px, out->px, 256 * 256 * 4) != 0);
	canvas_free(cw);
	tile_map_release(mb);
}

/* The sites of a filter: the museum and the Gaotai hall (tile_subset_fn). */
static enum ms_status two_sites(void *arg, const struct snapshot *snap, uint32_t **idx, size_t *n,
                                struct ms_error *err)
{
	(void)arg;
	(void)err;
	*idx = malloc(2 * sizeof **idx);
	(*idx)[0] = (uint32_t)(snapshot_find(snap, "gt-memorial") - snap->sites);
	(*idx)[1] = (uint32_t)(snapshot_find(snap, "zb-d-museum") - snap->sites);
	if ((*idx)[0] > (*idx)[1]) {
		uint32_t t = (*idx)[0];
		(*idx)[0] = (*idx)[1];
		(*idx)[1] = t;
	}
	*n = 2;
	return MS_OK;
}

/* A filtered view draws its subset alone: at z9 the museum, which merges
 * with the Heitieshan sites when they are drawn, is a marker of its own. */
static void test_golden_filtered(struct tile_map *m, const struct style *def)
{
	struct tile_subset *sub = NULL;
	struct ms_error err;
	CHECK_INT(tile_map_subset(m, "museum and Gaotai", two_sites, NULL, &sub, &err), MS_OK);
	CHECK_INT(tile_subset_size(sub), 2);
	long long x, y;
	tile_at(36.8495, 118.1950, 9, &x, &y);
	struct tile_view v;
	tile_view_of_tile(&v, def, COORDSYS_WGS84, 9, x, y, 1);
	v.subset = sub;
	struct canvas *c = check_golden(m, "default_z9_filtered", &v);
	struct tile_view_stats vs;
	tile_ctx_stats(ctx, &vs);
	CHECK(vs.drawn == 1 && vs.clusters == 0);
	double px, py;
	merc_px(36.8495, 118.1950, 9, &px, &py);
	int lx = (int)floor(px - (double)v.origin_x), ly = (int)floor(py - (double)v.origin_y);
	CHECK(c && near_colour(pixel(c, lx, ly), def->marker_color[CAT_MUSEUM], 24));
	size_t cluster_px = 0;
	for (int yy = 0; c && yy < 256; yy++)
		for (int xx = 0; xx < 256; xx++)
			cluster_px +=
			    pixel(c, xx, yy).a > 200 && near_colour(pixel(c, xx, yy), def->cluster_color, 10);
	CHECK_INT(cluster_px, 0);
	canvas_free(c);
	/* the same tile unfiltered holds the cluster */
	v.subset = NULL;
	c = check_golden(m, "default_z9", &v);
	tile_ctx_stats(ctx, &vs);
	CHECK(vs.clusters == 1);
	canvas_free(c);
	/* a subset asked again is the cached one; another key another subset */
	struct tile_subset *again = NULL;
	CHECK_INT(tile_map_subset(m, "museum and Gaotai", NULL, NULL, &again, &err), MS_OK);
	CHECK(again == sub);
	tile_subset_release(again);
	struct tile_memory mem;
	tile_map_memory(m, &mem);
	CHECK(mem.subsets > 0);
	tile_subset_release(sub);
}

/* Golden tiles: the bundled styles over the synthetic sites, compared with
 * tests/data/tiles/NAME.png (check_golden).  Run with
 * MAPSVC_UPDATE_GOLDEN=1 to rewrite them after a deliberate change, and
 * look at them before committing. */
/* Labelled tiles of the default style, drawn by a new context: their
 * PNGs appended to out; *own the glyphs the context rendered itself. */
static void labelled_tiles(struct tile_map *m, const struct style *st, struct buf *out, size_t *own)
{
	struct ms_error err;
	struct tile_ctx *c = tile_ctx_new(&err);
	long long x, y;
	for (int z = 12; z <= 15; z++)
		for (int scale = 1; scale <= 2; scale++) {
			tile_at(36.8495, 118.1950, z, &x, &y);
			struct tile_view v;
			tile_view_of_tile(&v, st, COORDSYS_WGS84, z, x, y, scale);
			bool empty = false;
			CHECK_INT(tile_render_png(m, c, &v, out, &empty, &err), MS_OK);
			CHECK(!empty);
		}
	*own = glyphs_cache_count(tile_ctx_glyphs(c, st, &err));
	tile_ctx_free(c);
}

/* Glyphs drawn ahead: the same bytes, and none rendered by the context
 * (the default style's passes are few: every character of the names is
 * drawn ahead). */
static void test_ahead(struct tile_map *m, const struct style *styles)
{
	struct snapshot *snap = (struct snapshot *)tile_map_snapshot(m);
	struct tile_ahead *a = tile_ahead_start(snap, styles, 1);
	tile_ahead_wait(a);
	size_t bitmaps = 0, bytes = 0;
	CHECK(tile_ahead_ready(a, &bitmaps, &bytes));
	CHECK(bitmaps > 100 && bitmaps <= GLYPH_CACHE_MAX);
	CHECK(bytes > 0 && bytes < (4u << 20));
	CHECK(tile_ahead_font(a, "") && tile_ahead_font(a, GLYPHS_DEFAULT_FONT) == tile_ahead_font(a, ""));
	CHECK(!tile_ahead_font(a, "/no/such/font.ttf"));
	struct tile_map *ma = tile_map_new(snap, styles, 1);
	tile_map_set_ahead(ma, a);
	struct buf without = BUF_INIT, with = BUF_INIT;
	size_t own_without = 0, own_with = 0;
	labelled_tiles(m, &styles[0], &without, &own_without);
	labelled_tiles(ma, &styles[0], &with, &own_with);
	CHECK(without.len > 0 && without.len == with.len && !memcmp(without.data, with.data, with.len));
	CHECK(own_without > 20);
	CHECK_INT((int)own_with, 0);
	buf_free(&without);
	buf_free(&with);
	tile_map_release(ma);
	tile_ahead_free(a);
	/* freed while drawing: it stops */
	tile_ahead_free(tile_ahead_start(snap, styles, 2));
}

static void test_golden(void)
{
	struct ms_error err;
	struct style styles[2];
	if (test_style_load("../styles/default.json", NULL, &styles[0], &err) != MS_OK ||
	    test_style_load("../styles/print.json", "../data", &styles[1], &err) != MS_OK) {
		CHECK_MSG(0, "%s", err.msg);
		return;
	}
	struct tile_map *m = tile_map_new((struct snapshot *)tile_map_snapshot(map), styles, 2);
	long long x14, y14, x9, y9, x15, y15;
	tile_at(36.849547, 118.160735, 14, &x14, &y14);
	tile_at(36.849547, 118.160735, 9, &x9, &y9);
	tile_at(36.8495, 118.1950, 15, &x15, &y15); /* the museum and its label */
	struct {
		const char *name;
		int style, z, scale;
		long long x, y;
	} cases[] = {
	    {"default_z9", 0, 9, 1, x9, y9},           {"default_z14", 0, 14, 1, x14, y14},
	    {"default_z14@2x", 0, 14, 2, x14, y14},    {"print_z14", 1, 14, 1, x14, y14},
	    {"default_z15_label", 0, 15, 1, x15, y15}, {"print_z15_label@2x", 1, 15, 2, x15, y15},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tile_view v;
		tile_view_of_tile(&v, &styles[cases[i].style], COORDSYS_WGS84, cases[i].z, cases[i].x,
		                  cases[i].y, cases[i].scale);
		canvas_free(check_golden(m, cases[i].name, &v));
	}
	test_golden_approximate(m, &styles[0], &styles[1]);
	test_golden_filtered(m, &styles[0]);
	test_ahead(m, styles);

	/* the empty tile is the shared buffer, byte for byte */
	struct tile_view v;
	tile_view_of_tile(&v, &styles[0], COORDSYS_WGS84, 10, 10, 400, 1);
	struct buf png = BUF_INIT;
	bool empty = false;
	CHECK_INT(tile_render_png(m, ctx, &v, &png, &empty, &err), MS_OK);
	const struct buf *e = tile_empty_png(1);
	CHECK(empty && e && png.len == e->len && !memcmp(png.data, e->data, e->len));
	struct canvas *dec = NULL;
	CHECK_INT(pngenc_decode(png.data, png.len, &dec, &err), MS_OK);
	CHECK(dec && dec->width == 256 && canvas_is_empty(dec));
	canvas_free(dec);
	buf_free(&png);
	CHECK(tile_empty_png(2) && tile_empty_png(2) != e && tile_empty_png(0) == NULL);
	tile_map_release(m);
	test_styles_free();
}

int main(void)
{
	make_style(&style);
	struct ms_error err;
	struct snapshot *snap = make_snapshot();
	ctx = tile_ctx_new(&err);
	CHECK(snap && ctx);
	if (!snap || !ctx)
		return CHECK_DONE();
	map = tile_map_new(snap, &style, 1);
	snapshot_release(snap); /* the map holds its own reference */

	test_anchor();
	test_stitch();
	test_clusters();
	test_scale2();
	test_empty();
	test_gcj02();
	test_shift_lattice();
	test_threads();
	test_golden();

	tile_map_release(map);
	tile_ctx_free(ctx);
	return CHECK_DONE();
}

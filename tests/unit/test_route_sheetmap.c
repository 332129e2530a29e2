/* test_route_sheetmap.c - the route sheet's map (route/sheetmap.h) drawn
 * for the bundled sites with the print style and its Natural Earth
 * context: labels never cross the route line nor each other and stay
 * inside the map, checked on the geometry the renderer reports and on the
 * pixels (no route-blue pixel inside any label box, and a line drawn
 * through a box on purpose is caught); stops sharing a point get one
 * disc and one label listing them; the Gaotai map is not blank (circles,
 * a town's scale, the nearest city named at the edge); a crowded
 * synthetic route still labels every stop. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ingest/ingest.h"
#include "render/raster.h"
#include "route/overlay.h"
#include "route/sheetmap.h"
#include "style_files.h"

static struct style print;
static struct glyphs *gl;
static struct route_places *places;

/* The route's blue where the line or a disc is drawn, over any ground of
 * the print style (its light blue rivers and lakes are far paler). */
static bool route_blue(const uint8_t *px)
{
	int r = px[0], g = px[1], b = px[2];
	return b >= 120 && b - r >= 60 && b - g >= 40 && r <= 120;
}

static size_t blue_in(const struct canvas *c, const struct route_label_box *b)
{
	size_t n = 0;
	for (int y = (int)floor(b->y0); y < (int)ceil(b->y1); y++)
		for (int x = (int)floor(b->x0); x < (int)ceil(b->x1); x++)
			if (x >= 0 && y >= 0 && x < c->width && y < c->height &&
			    route_blue(c->px + 4 * ((size_t)y * c->width + x)))
				n++;
	return n;
}

/* Does the segment come within d of the box? (sampled finely) */
static bool segment_near_box(const double *a, const double *b, double d, const struct route_label_box *bx)
{
	double len = hypot(b[0] - a[0], b[1] - a[1]);
	int steps = (int)(len * 4) + 1;
	for (int i = 0; i <= steps; i++) {
		double t = (double)i / steps, x = a[0] + t * (b[0] - a[0]), y = a[1] + t * (b[1] - a[1]);
		double dx = x - fmax(bx->x0, fmin(x, bx->x1)), dy = y - fmax(bx->y0, fmin(y, bx->y1));
		if (hypot(dx, dy) < d)
			return true;
	}
	return false;
}

/* The invariants of any map: labels inside, apart, off the line. */
static void check_labels(const char *what, const struct route_sheet_map *m)
{
	const struct canvas *c = m->canvas;
	for (size_t i = 0; i < m->nlabels; i++) {
		const struct route_label_box *b = &m->labels[i];
		CHECK_MSG(b->x0 >= 0 && b->y0 >= 0 && b->x1 <= c->width && b->y1 <= c->height,
		          "%s: label %zu outside", what, i);
		for (size_t k = 0; k < i; k++) {
			const struct route_label_box *o = &m->labels[k];
			CHECK_MSG(!(b->x0 < o->x1 && o->x0 < b->x1 && b->y0 < o->y1 && o->y0 < b->y1),
			          "%s: labels %zu and %zu overlap", what, k, i);
		}
		for (int s = 0; s + 1 < m->nline; s++)
			CHECK_MSG(!segment_near_box(&m->line[2 * s], &m->line[2 * s + 2], m->line_w / 2, b),
			          "%s: the route's segment %d crosses label %zu", what, s, i);
		size_t blue = blue_in(c, b);
		CHECK_MSG(blue == 0, "%s: %zu route-blue px in label %zu (%.0f,%.0f)-(%.0f,%.0f)", what, blue,
		          i, b->x0, b->y0, b->x1, b->y1);
	}
}

static size_t count_kind(const struct route_sheet_map *m, enum route_label_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nlabels; i++)
		n += m->labels[i].kind == k;
	return n;
}

static struct route_plan *plan_of(const struct snapshot *snap, double lat, double lon, const char *ids,
                                  long nearest, const struct route_day *day, enum route_mode mode)
{
	const struct site *stops[ROUTE_MAX_STOPS];
	size_t n = 0;
	struct ms_error err = {0};
	enum ms_status st = ids ? route_select_ids(snap, ids, stops, &n, &err)
	                        : route_select_nearest(snap, lat, lon, nearest, stops, &n, &err);
	CHECK_MSG(st == MS_OK, "%s", err.msg);
	struct route_options opt = {false, mode};
	struct route_plan *p = NULL;
	CHECK_MSG(route_plan_make(lat, lon, stops, n, &opt, day, &p, &err) == MS_OK, "%s", err.msg);
	return p;
}

static bool draw(const struct route_plan *p, struct route_sheet_map *m)
{
	int w, h;
	route_sheet_map_size(p, &w, &h);
	struct ms_error err = {0};
	bool ok = route_sheet_map_draw(p, &print, gl, places, w, h, 2, m, &err) == MS_OK;
	CHECK_MSG(ok, "%s", err.msg);
	return ok;
}

static void test_heitieshan(const struct snapshot *snap)
{
	struct route_plan *p = plan_of(snap, 36.85, 118.10, NULL, 6, NULL, ROUTE_WALK);
	struct route_sheet_map m;
	if (!p || !draw(p, &m)) {
		route_plan_free(p);
		return;
	}
	check_labels("heitieshan 6", &m);
	/* the three Heitieshan rows share one disc and one label listing them */
	CHECK_INT(count_kind(&m, ROUTE_LABEL_GROUP), 1);
	CHECK_INT(count_kind(&m, ROUTE_LABEL_STOP), 3);
	/* Zibo's point lies under the leg from stop 4 to 5: the city is still
	 * named, on its area, and no pointer to a far town replaces it */
	CHECK_MSG(m.places_shown >= 1 && !m.place_pointer, "places %zu, pointer %d", m.places_shown,
	          m.place_pointer);
	/* a scale bar of a round length, at most 22% of the width */
	double len_px = m.scale_bar_m / m.m_per_px;
	CHECK_MSG(len_px > 0.08 * m.canvas->width && len_px <= 0.22 * m.canvas->width, "scale bar %.0f px",
	          len_px);
	/* the check catches a line through a label: draw one */
	const struct route_label_box *b = &m.labels[0];
	double seg[4] = {b->x0 - 10, (b->y0 + b->y1) / 2, b->x1 + 10, (b->y0 + b->y1) / 2};
	raster_stroke_polyline(m.canvas, seg, 2, false, m.line_w, ROUTE_LINE_COLOUR);
	CHECK_MSG(blue_in(m.canvas, b) > 20, "a line drawn through label 0 is not seen (%zu px)",
	          blue_in(m.canvas, b));
	route_sheet_map_free(&m);
	route_plan_free(p);
}

/* Gaotai: four stops on one point, radii 1 km to 40 km. */
static void test_gaotai(const struct snapshot *snap)
{
	struct route_plan *p =
	    plan_of(snap, 39.37, 99.80,
	            "gt-west-route-memorial,gt-red-army-locust,gt-red-army-camp,gt-red-memory-museum", 0,
	            NULL, ROUTE_DRIVE);
	struct route_sheet_map m;
	if (!p || !draw(p, &m)) {
		route_plan_free(p);
		return;
	}
	check_labels("gaotai 4", &m);
	CHECK_INT(count_kind(&m, ROUTE_LABEL_GROUP), 1);
	/* a town's scale, not a county's, nor a street's */
	CHECK_MSG(m.zoom >= 11 && m.zoom <= 14, "zoom %d", m.zoom);
	/* no place of Natural Earth in view: the nearest named at the edge */
	CHECK(m.place_pointer);
	/* not blank: the uncertainty circles' amber covers a good part */
	size_t amber = 0, total = (size_t)m.canvas->width * m.canvas->height;
	for (size_t i = 0; i < total; i++) {
		const uint8_t *px = m.canvas->px + 4 * i;
		amber += px[0] > px[2] + 25 && px[1] > px[2] + 5 && px[0] < 250;
	}
	CHECK_MSG(amber > total / 10, "amber px %zu of %zu", amber, total);
	route_sheet_map_free(&m);
	route_plan_free(p);
}

/* A Monday's plan: the closed hall is a grey marker with its reason. */
static void test_missed(const struct snapshot *snap)
{
	struct route_day day = {.has_date = true, .date = {2025, 5, 12}, .start_min = -1};
	const struct hours *h[ROUTE_MAX_STOPS] = {0};
	const struct site *stops[ROUTE_MAX_STOPS];
	size_t n = 0;
	struct ms_error err = {0};
	CHECK(route_select_nearest(snap, 36.85, 118.10, 10, stops, &n, &err) == MS_OK);
	for (size_t i = 0; i < n; i++)
		h[i] = snapshot_hours(snap, (size_t)(stops[i] - snap->sites));
	day.hours = h;
	struct route_options opt = {false, ROUTE_DRIVE};
	struct route_plan *p = NULL;
	CHECK_MSG(route_plan_make(36.85, 118.10, stops, n, &opt, &day, &p, &err) == MS_OK, "%s", err.msg);
	struct route_sheet_map m;
	if (!p || !draw(p, &m)) {
		route_plan_free(p);
		return;
	}
	CHECK(p->nmissed >= 1);
	check_labels("monday 10", &m);
	CHECK_INT(count_kind(&m, ROUTE_LABEL_MISSED), p->nmissed);
	route_sheet_map_free(&m);
	route_plan_free(p);
}

/* Twenty stops across China (Zibo and Gaotai) and a crowded zigzag of
 * twelve stops whose legs criss-cross: every label still keeps off the
 * line, and every stop is named. */
static void test_crowded(const struct snapshot *snap)
{
	struct route_plan *p = plan_of(snap, 36.85, 118.10, NULL, 20, NULL, ROUTE_DRIVE);
	struct route_sheet_map m;
	if (p && draw(p, &m)) {
		check_labels("nearest 20", &m);
		route_sheet_map_free(&m);
	}
	route_plan_free(p);

	struct site_draft sites[12];
	const struct site *ptrs[12];
	char ids[12][16];
	memset(sites, 0, sizeof sites);
	for (int i = 0; i < 12; i++) {
		for (int f = 0; f < SITE_NFIELDS; f++)
			sites[i].field[f] = "";
		snprintf(ids[i], sizeof ids[i], "z%02d", i);
		sites[i].field[SITE_ID] = ids[i];
		sites[i].field[SITE_NAME_ZH] = i % 2 ? "沂源县革命烈士纪念馆" : "红色教育基地";
		sites[i].lat = 36.80 + 0.004 * (i % 4) + 0.001 * (i / 4);
		sites[i].lon = 118.05 + 0.006 * (i / 4) + 0.002 * (i % 3);
		sites[i].category = CAT_MUSEUM;
		sites[i].quality = SITE_QUALITY_STREET;
		sites[i].uncertainty_m = 100;
		sites[i].extra = "{}";
	}
	struct site_set *made = site_set_new();
	for (int i = 0; i < 12; i++)
		site_set_add(made, &sites[i]);
	for (int i = 0; i < 12; i++)
		ptrs[i] = &made->v[i];
	struct route_options opt = {true, ROUTE_WALK};
	struct ms_error err = {0};
	p = NULL;
	CHECK_MSG(route_plan_make(36.801, 118.049, ptrs, 12, &opt, NULL, &p, &err) == MS_OK, "%s", err.msg);
	if (p && draw(p, &m)) {
		check_labels("zigzag 12", &m);
		CHECK_INT(count_kind(&m, ROUTE_LABEL_STOP) + count_kind(&m, ROUTE_LABEL_GROUP) >= 1, 1);
		size_t named = count_kind(&m, ROUTE_LABEL_STOP) + count_kind(&m, ROUTE_LABEL_GROUP);
		CHECK_MSG(named >= 10, "only %zu of the stops' labels placed", named);
		route_sheet_map_free(&m);
	}
	route_plan_free(p);
	site_set_free(made);
}

int main(void)
{
	struct ms_error err = {0};
	if (test_style_load("../styles/print.json", "../data", &print, &err) != MS_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	gl = glyphs_new(GLYPHS_DEFAULT_FONT, &err);
	struct buf text = BUF_INIT;
	CHECK(test_read_file("../data/basemap/places.geojson", &text));
	CHECK(route_places_parse("places.geojson", buf_str(&text), text.len, &places, &err) == MS_OK);
	buf_free(&text);
	CHECK(places && places->n > 400);
	struct site_set *set = site_set_new();
	CHECK(ingest_file("../data/sites.csv", COORDSYS_WGS84, set, &err) == MS_OK);
	struct snapshot *snap = snapshot_new(set, &err);
	if (!gl || !snap) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	test_heitieshan(snap);
	test_gaotai(snap);
	test_missed(snap);
	test_crowded(snap);
	snapshot_release(snap);
	route_places_free(places);
	glyphs_free(gl);
	test_styles_free();
	return CHECK_DONE();
}

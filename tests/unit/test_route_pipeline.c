/* test_route_pipeline.c - the one route-sheet pipeline both fronts call:
 * each format's media type and file name, the HTML map linked to the
 * static map (with the sheet's size and the route's points) or embedded
 * as a PNG, the PDF with its map, the printed date in China Standard
 * Time, and the refusals: neither or both of sites and nearest, an
 * unknown id, a map to draw without a drawing or without the print
 * style. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "route/overlay.h"
#include "route/pipeline.h"
#include "style_files.h"

/* Three sites of Zibo. */
static struct snapshot *fixture(void)
{
	static const struct {
		const char *id, *name;
		double lat, lon;
	} rows[] = {
	    {"a", "甲纪念馆", 36.8131, 118.0549},
	    {"b", "乙旧址", 36.7900, 118.1000},
	    {"c", "丙驿站", 36.8500, 118.0200},
	};
	struct site_set *set = site_set_new();
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct site_draft s = {0};
		for (int f = 0; f < SITE_NFIELDS; f++)
			s.field[f] = "";
		s.field[SITE_ID] = rows[i].id;
		s.field[SITE_NAME_ZH] = rows[i].name;
		s.category = CAT_MEMORIAL_HALL;
		s.lat = rows[i].lat;
		s.lon = rows[i].lon;
		s.extra = "{}";
		site_set_add(set, &s);
	}
	struct ms_error err = {0};
	struct snapshot *snap = snapshot_new(set, &err);
	if (!snap) {
		fprintf(stderr, "fixture: %s\n", err.msg);
		exit(1);
	}
	return snap;
}

static void test_formats(void)
{
	CHECK_INT(route_format_parse("json"), ROUTE_FORMAT_JSON);
	CHECK_INT(route_format_parse("gpx"), ROUTE_FORMAT_GPX);
	CHECK_INT(route_format_parse("html"), ROUTE_FORMAT_HTML);
	CHECK_INT(route_format_parse("pdf"), ROUTE_FORMAT_PDF);
	CHECK_INT(route_format_parse("PDF"), -1);
	CHECK_INT(route_format_parse("doc"), -1);
	CHECK_INT(route_format_parse("ics"), ROUTE_FORMAT_ICS);
	CHECK_INT(route_format_parse("png"), ROUTE_FORMAT_PNG);
	CHECK(route_format_names[ROUTE_FORMAT_PNG + 1] == NULL);
	struct route_request rq = {.format = ROUTE_FORMAT_JSON};
	CHECK(!route_request_draws(&rq));
	rq.format = ROUTE_FORMAT_GPX;
	CHECK(!route_request_draws(&rq));
	rq.format = ROUTE_FORMAT_HTML;
	CHECK(route_request_draws(&rq)); /* embedded */
	rq.map_link = "http://x/staticmap.png";
	CHECK(!route_request_draws(&rq)); /* linked */
	rq.format = ROUTE_FORMAT_PDF;
	CHECK(route_request_draws(&rq));
	rq.format = ROUTE_FORMAT_PNG;
	CHECK(route_request_draws(&rq));
	rq.format = ROUTE_FORMAT_ICS;
	CHECK(!route_request_draws(&rq));
}

/* 2024-05-01 20:00 UTC is 2024-05-02 04:00 in Beijing. */
#define GENERATED 1714593600

static void test_text_formats(const struct snapshot *snap)
{
	struct route_request rq = {
	    .from_lat = 36.80, .from_lon = 118.06, .sites = "b,a", .generated = GENERATED};
	struct route_output out = {.body = BUF_INIT};
	struct ms_error err = {0};
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_OK);
	CHECK_STR(out.content_type, "application/geo+json");
	CHECK(out.filename == NULL && !out.attachment);
	CHECK(strstr(buf_str(&out.body), "\"FeatureCollection\"") != NULL);
	buf_free(&out.body);

	rq.format = ROUTE_FORMAT_GPX;
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_OK);
	CHECK_STR(out.content_type, "application/gpx+xml");
	CHECK(out.filename && !strcmp(out.filename, "route.gpx") && out.attachment);
	CHECK(strstr(buf_str(&out.body), "<gpx") != NULL);
	buf_free(&out.body);

	rq.format = ROUTE_FORMAT_HTML;
	rq.map_link = "http://127.0.0.1:9/route";
	rq.opt.round_trip = true;
	rq.has_date = true;
	rq.date = (struct hours_date){2025, 5, 13};
	rq.has_start = true;
	rq.start_min = 8 * 60 + 30;
	rq.visits = "a:15";
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_OK);
	CHECK_STR(out.content_type, "text/html; charset=utf-8");
	const char *html = buf_str(&out.body);
	/* the map is this route again as a PNG: the request's own query */
	CHECK_MSG(strstr(html,
	                 "<img class=\"route-map\" src=\"http://127.0.0.1:9/route?from=36.800000,118.060000"
	                 "&amp;sites=b%2Ca&amp;return=1&amp;mode=walk&amp;date=2025-05-13&amp;start=08:30"
	                 "&amp;visits=a%3A15&amp;format=png\"") != NULL,
	          "%.2000s", html);
	CHECK(strstr(html, "2024-05-02") != NULL); /* UTC+8 */
	buf_free(&out.body);

	rq.format = ROUTE_FORMAT_ICS;
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_OK);
	CHECK_STR(out.content_type, "text/calendar; charset=utf-8");
	CHECK(out.filename && !strcmp(out.filename, "route.ics") && out.attachment);
	CHECK(strstr(buf_str(&out.body), "BEGIN:VEVENT") != NULL);
	buf_free(&out.body);
	rq.has_date = false;
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_EUSAGE);
	CHECK(strstr(err.msg, "date") != NULL);
	buf_free(&out.body);
}

static void test_drawn_formats(const struct snapshot *snap, const struct style *styles, size_t nstyles)
{
	struct ms_error err = {0};
	struct tile_map *map = tile_map_new((struct snapshot *)snap, styles, nstyles);
	struct tile_ctx *ctx = tile_ctx_new(&err);
	struct route_drawing draw = {map, ctx, styles, nstyles, NULL};
	struct route_request rq = {
	    .from_lat = 36.80, .from_lon = 118.06, .nearest = 3, .format = ROUTE_FORMAT_HTML};
	struct route_output out = {.body = BUF_INIT};
	CHECK_MSG(route_sheet_make(snap, &rq, &draw, &out, &err) == MS_OK, "%s", err.msg);
	CHECK(strstr(buf_str(&out.body),
	             "<img class=\"route-map\" src=\"data:image/png;base64,iVBORw0KGgo") != NULL);
	buf_free(&out.body);

	rq.format = ROUTE_FORMAT_PNG;
	CHECK_MSG(route_sheet_make(snap, &rq, &draw, &out, &err) == MS_OK, "%s", err.msg);
	CHECK_STR(out.content_type, "image/png");
	CHECK(out.body.len > 1000 && !memcmp(out.body.data, "\x89PNG", 4));
	buf_free(&out.body);

	rq.format = ROUTE_FORMAT_PDF;
	CHECK_MSG(route_sheet_make(snap, &rq, &draw, &out, &err) == MS_OK, "%s", err.msg);
	CHECK_STR(out.content_type, "application/pdf");
	CHECK(out.filename && !strcmp(out.filename, "route.pdf") && !out.attachment);
	CHECK(out.body.len > 1000 && !memcmp(out.body.data, "%PDF", 4));
	buf_free(&out.body);

	/* a map to draw and nothing to draw it with, or no print style */
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_EINTERNAL);
	buf_free(&out.body);
	struct route_drawing no_print = {map, ctx, styles, 1, NULL}; /* default only */
	CHECK(route_sheet_make(snap, &rq, &no_print, &out, &err) == MS_EDATA);
	CHECK_MSG(strstr(err.msg, "print") != NULL, "%s", err.msg);
	buf_free(&out.body);
	tile_ctx_free(ctx);
	tile_map_release(map);
}

static void test_refusals(const struct snapshot *snap)
{
	struct route_request rq = {.from_lat = 36.80, .from_lon = 118.06};
	struct route_output out = {.body = BUF_INIT};
	struct ms_error err = {0};
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_EUSAGE); /* neither */
	CHECK_MSG(strstr(err.msg, "sites") != NULL, "%s", err.msg);
	rq.sites = "a";
	rq.nearest = 2;
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_EUSAGE); /* both */
	rq.nearest = 0;
	rq.sites = "a,nope";
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_ENOTFOUND);
	CHECK_MSG(strstr(err.msg, "nope") != NULL, "%s", err.msg);
	rq.sites = "a,a";
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_EUSAGE);
	rq.sites = "a";
	rq.from_lat = 91;
	CHECK(route_sheet_make(snap, &rq, NULL, &out, &err) == MS_EUSAGE);
	CHECK(out.body.len == 0);
	buf_free(&out.body);
}

int main(void)
{
	struct snapshot *snap = fixture();
	struct style styles[2];
	struct ms_error err = {0};
	if (test_style_load("../styles/default.json", NULL, &styles[0], &err) != MS_OK ||
	    test_style_load("../styles/print.json", "../data", &styles[1], &err) != MS_OK) {
		fprintf(stderr, "styles: %s\n", err.msg);
		return 1;
	}
	test_formats();
	test_text_formats(snap);
	test_drawn_formats(snap, styles, 2);
	test_refusals(snap);
	test_styles_free();
	snapshot_release(snap);
	return CHECK_DONE();
}

/*
 * h_route.c - GET /route: a tour guide's route and its sheet.
 *
 *   from=LAT,LON            the start, WGS-84 (required)
 *   sites=ID,... | nearest=N the stops by id, or the N (1..50) sites nearest
 *                            the start (exactly one of the two)
 *   return=0|1               a round trip (default 0)
 *   mode=walk|drive          for the time estimates (default walk)
 *   format=json|gpx|html|pdf default json
 *   title=TEXT               the sheet's title (optional)
 *
 * json is application/geo+json, gpx application/gpx+xml as an attachment
 * (route.gpx), html a printable page whose overview map is an absolute
 * /staticmap.png URL drawing the same route (so the page works wherever
 * it is saved, as long as the server is reachable), pdf the sheet with the
 * map rendered here and embedded.  Every bad value is a 400 naming it; an
 * unknown site id is a 400 too (the route, not the site, is the resource).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../route/overlay.h"
#include "../route/route.h"
#include "handlers.h"

/* The sheet's overview map, as in `mapsvc route`: 720 x 480 CSS px at 2x. */
#define SHEET_MAP_W 720
#define SHEET_MAP_H 480
#define SHEET_MAP_SCALE 2

enum fmt { FMT_JSON, FMT_GPX, FMT_HTML, FMT_PDF };

/* The /staticmap.png URL drawing the plan's route (fitted to its points,
 * which is what route_map_plan_png draws for the PDF). */
static void map_url(const struct http_ctx *c, const struct route_plan *p, struct buf *url)
{
	buf_printf(url, "%s/staticmap.png?width=%d&height=%d&scale=%d&start=%.6f,%.6f&markers=", c->base_url,
		   SHEET_MAP_W, SHEET_MAP_H, SHEET_MAP_SCALE, p->start_lat, p->start_lon);
	for (size_t i = 0; i < p->n; i++)
		buf_printf(url, "%s%.6f,%.6f", i ? "%7C" : "", p->stops[i]->lat, p->stops[i]->lon);
	if (p->has_return)
		buf_puts(url, "&return=1");
}

static enum ms_status map_png(struct http_ctx *c, const struct route_plan *p, struct buf *png,
			      struct ms_error *err)
{
	struct h_tiles *t = http_tiles(c);
	const struct style *print = h_tiles_style(t, "print");
	if (!print)
		return ms_fail(err, MS_ENOTFOUND, "no print style in the styles folder");
	struct tile_ctx *ctx = h_tiles_ctx(t, err);
	if (!ctx)
		return err->status;
	struct tile_map *map = h_tiles_map(t, c->snap);
	enum ms_status st = route_map_plan_png(map, ctx, print, p, SHEET_MAP_W, SHEET_MAP_H, SHEET_MAP_SCALE, png, err);
	tile_map_release(map);
	return st;
}

void h_route(struct http_ctx *c, struct http_response *r)
{
	static const char *const allowed[] = {"from", "sites", "nearest", "return", "mode", "format", "title", NULL};
	if (!http_check_params(c, r, allowed))
		return;
	const char *from = http_param(c, "from"), *sites = http_param(c, "sites"), *nearest = http_param(c, "nearest");
	const char *v;
	double lat, lon;
	if (!from) {
		http_problem(r, 400, "from: the start point LAT,LON is required");
		return;
	}
	if (!route_parse_point(from, &lat, &lon) || !site_coord_valid(lat, lon)) {
		http_problem(r, 400, "from: '%.60s' is not LAT,LON in -90..90, -180..180", from);
		return;
	}
	if (!sites == !nearest) {
		http_problem(r, 400, "sites: give either sites=ID,... or nearest=N");
		return;
	}
	long k = 0;
	if (nearest) {
		char *end;
		k = strspn(nearest, "0123456789") == strlen(nearest) && *nearest && strlen(nearest) < 6
			    ? strtol(nearest, &end, 10)
			    : 0;
		if (k < 1 || k > ROUTE_MAX_STOPS) {
			http_problem(r, 400, "nearest: '%.40s' is not a whole number in 1..%d", nearest,
				     ROUTE_MAX_STOPS);
			return;
		}
	}
	struct route_options opt = {false, ROUTE_WALK};
	if ((v = http_param(c, "return"))) {
		if (strcmp(v, "0") && strcmp(v, "1")) {
			http_problem(r, 400, "return: '%.40s' is not 0 or 1", v);
			return;
		}
		opt.round_trip = v[0] == '1';
	}
	if ((v = http_param(c, "mode"))) {
		int m = route_mode_parse(v);
		if (m < 0) {
			http_problem(r, 400, "mode: '%.40s' is not walk or drive", v);
			return;
		}
		opt.mode = (enum route_mode)m;
	}
	int format = FMT_JSON;
	if ((v = http_param(c, "format"))) {
		static const char *const names[] = {"json", "gpx", "html", "pdf"};
		for (format = 0; format < 4 && strcmp(v, names[format]); format++)
			;
		if (format == 4) {
			http_problem(r, 400, "format: '%.40s' is not json, gpx, html or pdf", v);
			return;
		}
	}

	const struct site *stops[ROUTE_MAX_STOPS];
	size_t n = 0;
	struct route_plan *plan = NULL;
	struct ms_error err = {0};
	enum ms_status st = sites ? route_select_ids(c->snap, sites, stops, &n, &err)
				  : route_select_nearest(c->snap, lat, lon, k, stops, &n, &err);
	if (st == MS_OK)
		st = route_plan_build(lat, lon, stops, n, &opt, &plan, &err);
	if (st != MS_OK) {
		http_problem(r, st == MS_EUSAGE || st == MS_ENOTFOUND || st == MS_EDATA ? 400 : 500, "%s", err.msg);
		return;
	}
	struct route_sheet sheet = {.title = http_param(c, "title"), .generated = time(NULL), .utc_offset_min = 480};
	struct buf aux = BUF_INIT;
	switch (format) {
	case FMT_JSON:
		route_write_geojson(plan, &sheet, &r->body);
		r->content_type = "application/geo+json";
		break;
	case FMT_GPX:
		route_write_gpx(plan, &sheet, &r->body);
		r->content_type = "application/gpx+xml";
		http_add_header(r, "Content-Disposition", "attachment; filename=\"route.gpx\"");
		break;
	case FMT_HTML:
		map_url(c, plan, &aux);
		sheet.map_url = buf_str(&aux);
		route_write_html(plan, &sheet, &r->body);
		r->content_type = "text/html; charset=utf-8";
		break;
	case FMT_PDF:
		if (map_png(c, plan, &aux, &err) != MS_OK) {
			http_problem(r, 500, "route map: %s", err.msg);
			break;
		}
		sheet.map_png = (const unsigned char *)aux.data;
		sheet.map_png_len = aux.len;
		if (route_write_pdf(plan, &sheet, &r->body, &err) != MS_OK) {
			http_problem(r, 500, "route sheet: %s", err.msg);
			break;
		}
		r->content_type = "application/pdf";
		http_add_header(r, "Content-Disposition", "inline; filename=\"route.pdf\"");
		break;
	}
	buf_free(&aux);
	route_plan_free(plan);
}

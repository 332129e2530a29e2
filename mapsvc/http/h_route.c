/*
 * h_route.c - GET /route: a tour guide's route and its sheet.
 *
 * The parameters are the table below: a start, and the stops by id
 * (sites) or the N sites nearest the start (nearest), exactly one of the
 * two.  json is application/geo+json, gpx application/gpx+xml as an attachment
 * (route.gpx), html a printable page whose overview map is an absolute
 * /staticmap.png URL drawing the same route (so the page works wherever
 * it is saved, as long as the server is reachable), pdf the sheet with the
 * map rendered here and embedded.  Every bad value is a 400 naming it; an
 * unknown site id is a 400 too (the route, not the site, is the resource:
 * http_status_of's rule for MS_ENOTFOUND).
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
static const char *const formats[] = {"json", "gpx", "html", "pdf", NULL}; /* enum fmt order */
static const char *const modes[] = {"walk", "drive", NULL};                 /* enum route_mode order */

static const struct http_pspec route_specs[] = {
	{.name = "from", .type = HTTP_T_LATLON, .required = true, .min = -90, .max = 90,
	 .desc = "The start, LAT,LON in WGS-84."},
	{.name = "sites", .type = HTTP_T_LIST, .min = 1, .max = ROUTE_MAX_STOPS,
	 .desc = "Site ids to visit, comma-separated (or nearest)."},
	{.name = "nearest", .type = HTTP_T_INT, .min = 1, .max = ROUTE_MAX_STOPS,
	 .desc = "Visit the N sites nearest the start (or sites)."},
	{.name = "return", .type = HTTP_T_BOOL, .def = "0", .desc = "1: come back to the start."},
	{.name = "mode", .type = HTTP_T_ENUM, .values = modes, .match = route_mode_parse, .def = "walk",
	 .desc = "Travel mode, for the time estimates."},
	{.name = "format", .type = HTTP_T_ENUM, .values = formats, .def = "json", .desc = "The sheet's format."},
	{.name = "title", .type = HTTP_T_STRING, .desc = "The sheet's title."},
};
const struct http_params h_route_params = HTTP_PARAMS(route_specs);

bool h_route_costly(const struct http_ctx *c)
{
	return http_arg(c, "format")->i == FMT_PDF;
}

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
		return ms_fail(err, MS_EDATA, "the styles folder has no print style"); /* the server's data */
	struct tile_ctx *ctx = h_tiles_ctx(t, err);
	if (!ctx)
		return err->status;
	struct tile_map *map = h_tiles_map(t, c->snap);
	enum ms_status st = route_map_plan_png(map, ctx, print, p, SHEET_MAP_W, SHEET_MAP_H, SHEET_MAP_SCALE, png, err);
	tile_map_release(map);
	return st;
}

/* The plan of the request's start and stops. */
static enum ms_status plan_of(const struct http_ctx *c, struct route_plan **plan, struct ms_error *err)
{
	const struct http_arg *from = http_arg(c, "from"), *sites = http_arg(c, "sites");
	double lat = from->v[0], lon = from->v[1];
	struct route_options opt = {http_arg(c, "return")->i, (enum route_mode)http_arg(c, "mode")->i};
	const struct site *stops[ROUTE_MAX_STOPS];
	size_t n = 0;
	enum ms_status st = sites->given
				    ? route_select_ids(c->snap, sites->text, stops, &n, err)
				    : route_select_nearest(c->snap, lat, lon, http_arg(c, "nearest")->i, stops, &n, err);
	if (st == MS_OK)
		st = route_plan_build(lat, lon, stops, n, &opt, plan, err);
	return st;
}

void h_route(struct http_ctx *c, struct http_response *r)
{
	if (http_arg(c, "sites")->given == http_arg(c, "nearest")->given) {
		http_problem(r, 400, "sites: give either sites=ID,... or nearest=N");
		return;
	}
	struct route_plan *plan = NULL;
	struct ms_error err = {0};
	if (plan_of(c, &plan, &err) != MS_OK) {
		http_problem_from_error(r, &err);
		return;
	}
	int format = (int)http_arg(c, "format")->i;
	struct route_sheet sheet = {.title = http_arg(c, "title")->text, .generated = time(NULL), .utc_offset_min = 480};
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
			http_problem(r, http_status_of(err.status), "route map: %s", err.msg);
			break;
		}
		sheet.map_png = (const unsigned char *)aux.data;
		sheet.map_png_len = aux.len;
		if (route_write_pdf(plan, &sheet, &r->body, &err) != MS_OK) {
			http_problem(r, http_status_of(err.status), "route sheet: %s", err.msg);
			break;
		}
		r->content_type = "application/pdf";
		http_add_header(r, "Content-Disposition", "inline; filename=\"route.pdf\"");
		break;
	}
	buf_free(&aux);
	route_plan_free(plan);
}

/*
 * h_route.c - GET /route: a tour guide's route and its sheet.
 *
 * The parameters are the table below: a start, and the stops by id
 * (sites) or the N sites nearest the start (nearest), exactly one of the
 * two.  The sheet is route/pipeline.h's, as `mapsvc route` makes it: json
 * is application/geo+json, gpx application/gpx+xml as an attachment
 * (route.gpx), html a printable page whose map is this route again as
 * format=png, an absolute URL (so the page works wherever it is saved, as
 * long as the server is reachable), pdf the sheet with the map rendered
 * here and embedded, ics the day as a calendar (route.ics), png the
 * sheet's map alone.  Every bad value is a 400 naming it; an
 * unknown site id is a 400 too (the route, not the site, is the resource:
 * http_status_of's rule for MS_ENOTFOUND).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../route/pipeline.h"
#include "../web/web.h"
#include "handlers.h"

static const char *const modes[] = {"walk", "drive", NULL}; /* enum route_mode order */

static const struct http_pspec route_specs[] = {
    {.name = "from",
     .type = HTTP_T_LATLON,
     .required = true,
     .min = -90,
     .max = 90,
     .desc = "The start, LAT,LON in WGS-84."},
    {.name = "sites",
     .type = HTTP_T_LIST,
     .min = 1,
     .max = ROUTE_MAX_STOPS,
     .desc = "Site ids to visit, comma-separated (or nearest)."},
    {.name = "nearest",
     .type = HTTP_T_INT,
     .min = 1,
     .max = ROUTE_MAX_STOPS,
     .desc = "Visit the N sites nearest the start (or sites)."},
    {.name = "return", .type = HTTP_T_BOOL, .def = "0", .desc = "1: come back to the start."},
    {.name = "mode",
     .type = HTTP_T_ENUM,
     .values = modes,
     .match = route_mode_parse,
     .def = "walk",
     .desc = "Travel mode, for the time estimates."},
    {.name = "date",
     .type = HTTP_T_DATE,
     .desc = "Plan the day of this date (China Standard Time) with the stops' opening hours: the order "
             "fits their hours, and a stop that cannot be visited while open is listed with why."},
    {.name = "start",
     .type = HTTP_T_CLOCK,
     .desc = "Leaving the start at this time of day (HH:MM); with a date, 09:00 when not given.  Gives "
             "each stop's arrival and departure."},
    {.name = "visit",
     .type = HTTP_T_INT,
     .min = 0,
     .max = ROUTE_VISIT_MAX_MIN,
     .desc = "Minutes at every stop (instead of the defaults by category)."},
    {.name = "visits",
     .type = HTTP_T_LIST,
     .min = 1,
     .max = ROUTE_MAX_STOPS,
     .desc = "Minutes at some stops, ID:MIN,... (over visit and the defaults)."},
    {.name = "format",
     .type = HTTP_T_ENUM,
     .values = route_format_names,
     .def = "json",
     .desc = "The sheet's format."},
    {.name = "title", .type = HTTP_T_STRING, .desc = "The sheet's title."},
};
const struct http_params h_route_params = HTTP_PARAMS(route_specs);

bool h_route_costly(const struct http_ctx *c)
{
	/* only a PDF draws its map here; the HTML sheet links to /staticmap.png */
	return (enum route_format)http_arg(c, "format")->i == ROUTE_FORMAT_PDF;
}

void h_route(struct http_ctx *c, struct http_response *r)
{
	const struct http_arg *from = http_arg(c, "from"), *sites = http_arg(c, "sites"),
	                      *date = http_arg(c, "date"), *visits = http_arg(c, "visits");
	char link[HTTP_BASE_URL_MAX + sizeof "/route"];
	snprintf(link, sizeof link, "%s/route", c->base_url);
	char site_url[HTTP_BASE_URL_MAX + sizeof "/collections/" SITES_COLLECTION "/items/"];
	snprintf(site_url, sizeof site_url, "%s/collections/" SITES_COLLECTION "/items/", c->base_url);
	struct route_request rq = {
	    .from_lat = from->v[0],
	    .from_lon = from->v[1],
	    .sites = sites->given ? sites->text : NULL,
	    .nearest = http_arg(c, "nearest")->given ? http_arg(c, "nearest")->i : 0,
	    .opt = {http_arg(c, "return")->i, (enum route_mode)http_arg(c, "mode")->i},
	    .format = (enum route_format)http_arg(c, "format")->i,
	    .has_date = date->given,
	    .date = {(int)date->v[0], (int)date->v[1], (int)date->v[2]},
	    .has_start = http_arg(c, "start")->given,
	    .start_min = (int)http_arg(c, "start")->i,
	    .has_visit = http_arg(c, "visit")->given,
	    .visit_min = (int)http_arg(c, "visit")->i,
	    .visits = visits->given ? visits->text : NULL,
	    .title = http_arg(c, "title")->text,
	    .generated = time(NULL),
	    .map_link = link,
	    .site_url = site_url,
	};
	struct ms_error err = {0};
	struct route_drawing draw = {c->gen->map, NULL, c->gen->styles, c->gen->nstyles, web_places()};
	if (route_request_draws(&rq) && !(draw.ctx = mapservice_ctx(c->cfg->maps, &err))) {
		http_problem(r, http_status_of(err.status), "route map: %s", err.msg);
		return;
	}
	struct route_output out = {.body = BUF_INIT};
	if (route_sheet_make(c->snap, &rq, &draw, &out, &err) != MS_OK) {
		buf_free(&out.body);
		http_problem_from_error(r, &err);
	} else {
		r->body = out.body;
		r->content_type = out.content_type;
		r->inline_styles = rq.format == ROUTE_FORMAT_HTML; /* the sheet's own <style> */
		if (out.filename) {
			char cd[128];
			snprintf(cd, sizeof cd, "%s; filename=\"%s\"",
			         out.attachment ? "attachment" : "inline", out.filename);
			http_add_header(r, "Content-Disposition", cd);
		}
	}
}

/*
 * h_staticmap.c - GET /staticmap.png: a map image of any size for printing.
 *
 * The parameters are the table below.  The area is bbox=W,S,E,N, fitted
 * at the largest zoom that leaves ROUTE_MAP_PAD_PX free on every side (at
 * most ROUTE_MAP_FIT_MAX_ZOOM and the server's max zoom), or
 * center=LAT,LON and zoom=Z; with neither, the image is fitted to start
 * and markers, the route overlay drawn on top.
 *
 * The picture is a window of the tile composer, so it matches the tiles
 * of the same area pixel for pixel; the overlay is drawn on top.  The
 * answer says which window it is: X-Map-Zoom and X-Map-Origin (the
 * top-left corner in world px of that zoom times scale), so a client can
 * place more things on it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/geo.h"
#include "../geo/webmerc.h"
#include "../route/overlay.h"
#include "../util/mem.h"
#include "handlers.h"

#define STATICMAP_DEFAULT_W 600
#define STATICMAP_DEFAULT_H 400

_Static_assert(ROUTE_MAX_STOPS <= HTTP_MAX_POINTS, "markers hold a route's stops");

static const struct http_pspec staticmap_specs[] = {
    {.name = "bbox", .type = HTTP_T_BBOX, .desc = "W,S,E,N of the map (or center and zoom)."},
    {.name = "center",
     .type = HTTP_T_LATLON,
     .min = -WEBMERC_MAX_LAT,
     .max = WEBMERC_MAX_LAT,
     .desc = "LAT,LON of the map's centre, with zoom."},
    {.name = "zoom",
     .type = HTTP_T_INT,
     .min = 0,
     .max = WEBMERC_MAX_ZOOM,
     .flags = HTTP_PF_MAX_ZOOM,
     .desc = "Zoom level, with center."},
    {.name = "width",
     .type = HTTP_T_INT,
     .min = 1,
     .max = ROUTE_MAP_MAX_PX,
     .def = HTTP_STR(STATICMAP_DEFAULT_W),
     .desc = "Image width, logical px."},
    {.name = "height",
     .type = HTTP_T_INT,
     .min = 1,
     .max = ROUTE_MAP_MAX_PX,
     .def = HTTP_STR(STATICMAP_DEFAULT_H),
     .desc = "Image height, logical px."},
    {.name = "scale",
     .type = HTTP_T_INT,
     .min = 1,
     .max = ROUTE_MAP_MAX_SCALE,
     .def = "1",
     .desc = "The PNG is scale times width x height px."},
    {.name = "style", .type = HTTP_T_STRING, .def = ROUTE_MAP_STYLE, .desc = "A style of the styles folder."},
    HTTP_SPEC_MAP_COORDSYS("The system of the basemap and of every coordinate given here."),
    {.name = "start",
     .type = HTTP_T_LATLON,
     .min = -90,
     .max = 90,
     .desc = "LAT,LON of the route's start, drawn as a square marked 起."},
    {.name = "markers",
     .type = HTTP_T_POINTS,
     .min = 1,
     .max = ROUTE_MAX_STOPS,
     .desc = "LAT,LON|LAT,LON|...: stops numbered 1, 2, ... in this order."},
    {.name = "line",
     .type = HTTP_T_BOOL,
     .def = "1",
     .desc = "1: the route line from start through the stops."},
    {.name = "return", .type = HTTP_T_BOOL, .def = "0", .desc = "1: the line goes back to the start."},
};
const struct http_params h_staticmap_params = HTTP_PARAMS(staticmap_specs);

static void overlay_of(const struct http_ctx *c, struct route_overlay *ov)
{
	const struct http_arg *start = http_arg(c, "start"), *markers = http_arg(c, "markers");
	if ((ov->has_start = start->given))
		ov->start_lat = start->v[0], ov->start_lon = start->v[1];
	for (size_t i = 0; i < markers->n; i++) {
		ov->lat[i] = markers->pts[i][0];
		ov->lon[i] = markers->pts[i][1];
	}
	ov->n = markers->n;
	ov->line = http_arg(c, "line")->i;
	ov->round_trip = http_arg(c, "return")->i;
}

/* The window: bbox, or center and zoom, or the overlay's points. */
static bool view_of(const struct http_ctx *c, struct http_response *r, const struct style *st,
                    const struct route_overlay *ov, struct tile_view *view)
{
	const struct http_arg *bbox = http_arg(c, "bbox"), *center = http_arg(c, "center"),
	                      *zoom = http_arg(c, "zoom");
	int width = (int)http_arg(c, "width")->i, height = (int)http_arg(c, "height")->i;
	int scale = (int)http_arg(c, "scale")->i;
	enum coordsys cs = (enum coordsys)http_arg(c, "coordsys")->i;
	if (bbox->given && center->given) {
		http_problem(r, 400, "bbox: give bbox or center, not both");
		return false;
	}
	if (center->given != zoom->given) {
		http_problem(r, 400,
		             center->given ? "zoom: required with center, an integer in 0..%u"
		                           : "center: zoom needs center=LAT,LON (zoom 0..%u)",
		             c->cfg->max_zoom);
		return false;
	}
	if (center->given) {
		route_map_view_center(view, st, cs, center->v[0], center->v[1], (int)zoom->i, width, height,
		                      scale);
		return true;
	}
	double b[4];
	if (bbox->given) {
		memcpy(b, bbox->v, sizeof b);
	} else if (!route_overlay_bounds(ov, &b[0], &b[1], &b[2], &b[3])) {
		http_problem(r, 400, "bbox: give bbox=W,S,E,N, center=LAT,LON&zoom=Z, or markers");
		return false;
	}
	struct ms_error err = {0};
	if (route_map_view_fit(view, st, cs, b, width, height, scale, (int)c->cfg->max_zoom, &err) != MS_OK) {
		http_problem_from_error(r, &err);
		return false;
	}
	return true;
}

void h_staticmap(struct http_ctx *c, struct http_response *r)
{
	const char *style_name = http_arg(c, "style")->text;
	const struct style *st = mapservice_style(c->gen, style_name);
	if (!st) {
		http_problem(r, 400, "style: no style '%.100s'", style_name);
		return;
	}
	struct route_overlay *ov = xcalloc(1, sizeof *ov);
	struct tile_view view;
	struct ms_error err = {0};
	overlay_of(c, ov);
	if (!view_of(c, r, st, ov, &view))
		goto done;
	struct tile_ctx *ctx = mapservice_ctx(c->cfg->maps, &err);
	if (!ctx || route_map_render_png(c->gen->map, ctx, &view, ov, &r->body, &err) != MS_OK) {
		buf_reset(&r->body);
		http_problem(r, http_status_of(err.status), "static map: %s", err.msg);
		goto done;
	}
	r->content_type = "image/png";
	r->cacheable = true;
	char hv[64];
	snprintf(hv, sizeof hv, "%d", view.zoom);
	http_add_header(r, "X-Map-Zoom", hv);
	snprintf(hv, sizeof hv, "%lld,%lld", view.origin_x, view.origin_y);
	http_add_header(r, "X-Map-Origin", hv);
	/* As long as a tile: the picture changes when the data or styles do. */
	snprintf(hv, sizeof hv, "public, max-age=%u",
	         c->cfg->tile_max_age ? c->cfg->tile_max_age : HTTP_TILE_MAX_AGE);
	http_add_header(r, "Cache-Control", hv);
done:
	free(ov);
}

/*
 * h_staticmap.c - GET /staticmap.png: a map image of any size for printing.
 *
 * Parameters:
 *   bbox=W,S,E,N          the area; the zoom is the largest at which it fits
 *                         with ROUTE_MAP_PAD_PX free on every side (at most
 *                         ROUTE_MAP_FIT_MAX_ZOOM and the server's max zoom)
 *   center=LAT,LON&zoom=Z or a centre and a zoom
 *   width, height         logical px, 1..2048 (default 600 x 400)
 *   scale=1|2             the PNG is scale times the size (default 1)
 *   style                 a style of the styles folder (default print)
 *   coordsys=wgs84|gcj02  the system of the basemap and of every coordinate
 *                         given here (default wgs84)
 *   start=LAT,LON         the route's start, drawn as a square marked 起
 *   markers=LAT,LON|...   up to 50 stops, numbered 1, 2, ... in this order
 *   line=0|1              the route line start -> stops (default 1)
 *   return=0|1            the line goes back to the start (default 0)
 * With neither bbox nor center, the image is fitted to start and markers.
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
#include "../geo/tilemath.h"
#include "../route/overlay.h"
#include "../util/mem.h"
#include "../features/features.h"
#include "handlers.h"

#define STATICMAP_DEFAULT_W 600
#define STATICMAP_DEFAULT_H 400

/* A whole number in lo..hi (digits only). */
static bool parse_int(const char *s, long lo, long hi, long *out)
{
	if (!*s || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
		return false;
	long v = strtol(s, NULL, 10);
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_flag(struct http_ctx *c, struct http_response *r, const char *key, bool def, bool *out)
{
	const char *v = http_param(c, key);
	*out = def;
	if (!v)
		return true;
	if (strcmp(v, "0") && strcmp(v, "1")) {
		http_problem(r, 400, "%s: '%.40s' is not 0 or 1", key, v);
		return false;
	}
	*out = v[0] == '1';
	return true;
}

/* "W,S,E,N" as four finite numbers (the items route's grammar). */
static bool parse_bbox(const char *s, double b[4])
{
	return feat_parse_bbox(s, b, NULL) == MS_OK;
}

static bool parse_markers(struct http_response *r, const char *s, struct route_overlay *ov)
{
	const char *p = s;
	for (;;) {
		size_t len = strcspn(p, "|");
		char pt[100];
		if (ov->n == ROUTE_MAX_STOPS) {
			http_problem(r, 400, "markers: more than %d points", ROUTE_MAX_STOPS);
			return false;
		}
		double lat, lon;
		if (len >= sizeof pt || (memcpy(pt, p, len), pt[len] = '\0', !route_parse_point(pt, &lat, &lon)) ||
		    !site_coord_valid(lat, lon)) {
			http_problem(r, 400, "markers: '%.*s' is not LAT,LON", (int)(len < 60 ? len : 60), p);
			return false;
		}
		ov->lat[ov->n] = lat;
		ov->lon[ov->n] = lon;
		ov->n++;
		if (!p[len])
			return true;
		p += len + 1;
	}
}

void h_staticmap(struct http_ctx *c, struct http_response *r)
{
	static const char *const allowed[] = {"bbox",	 "center", "zoom",  "width", "height", "scale", "style",
					      "coordsys", "start",  "markers", "line", "return", NULL};
	if (!http_check_params(c, r, allowed))
		return;
	struct h_tiles *t = http_tiles(c);
	long width = STATICMAP_DEFAULT_W, height = STATICMAP_DEFAULT_H, scale = 1, zoom = -1;
	const char *v;
	if ((v = http_param(c, "width")) && !parse_int(v, 1, ROUTE_MAP_MAX_PX, &width)) {
		http_problem(r, 400, "width: '%.40s' is not a whole number in 1..%d", v, ROUTE_MAP_MAX_PX);
		return;
	}
	if ((v = http_param(c, "height")) && !parse_int(v, 1, ROUTE_MAP_MAX_PX, &height)) {
		http_problem(r, 400, "height: '%.40s' is not a whole number in 1..%d", v, ROUTE_MAP_MAX_PX);
		return;
	}
	if ((v = http_param(c, "scale")) && !parse_int(v, 1, ROUTE_MAP_MAX_SCALE, &scale)) {
		http_problem(r, 400, "scale: '%.40s' is not 1 or 2", v);
		return;
	}
	const char *style_name = http_param(c, "style");
	const struct style *st = h_tiles_style(t, style_name ? style_name : "print");
	if (!st) {
		http_problem(r, 400, "style: no style '%.100s'", style_name ? style_name : "print");
		return;
	}
	enum coordsys cs = COORDSYS_WGS84;
	if ((v = http_param(c, "coordsys"))) {
		int p = coordsys_parse(v);
		if (p != COORDSYS_WGS84 && p != COORDSYS_GCJ02) {
			http_problem(r, 400, "coordsys: '%.40s' is not wgs84 or gcj02", v);
			return;
		}
		cs = (enum coordsys)p;
	}

	struct route_overlay *ov = xcalloc(1, sizeof *ov);
	struct tile_map *map = NULL;
	if ((v = http_param(c, "start"))) {
		if (!route_parse_point(v, &ov->start_lat, &ov->start_lon) ||
		    !site_coord_valid(ov->start_lat, ov->start_lon)) {
			http_problem(r, 400, "start: '%.60s' is not LAT,LON", v);
			goto done;
		}
		ov->has_start = true;
	}
	if ((v = http_param(c, "markers")) && !parse_markers(r, v, ov))
		goto done;
	if (!parse_flag(c, r, "line", true, &ov->line) || !parse_flag(c, r, "return", false, &ov->round_trip))
		goto done;

	int fit_max = (int)c->cfg->max_zoom < ROUTE_MAP_FIT_MAX_ZOOM ? (int)c->cfg->max_zoom : ROUTE_MAP_FIT_MAX_ZOOM;
	const char *bbox = http_param(c, "bbox"), *center = http_param(c, "center"), *zs = http_param(c, "zoom");
	struct tile_view view;
	struct ms_error err = {0};
	if (bbox && center) {
		http_problem(r, 400, "bbox: give bbox or center, not both");
		goto done;
	}
	if (center || zs) {
		double lat, lon;
		if (!center) {
			http_problem(r, 400, "center: zoom needs center=LAT,LON");
			goto done;
		}
		if (!route_parse_point(center, &lat, &lon) || lat < -WEBMERC_MAX_LAT || lat > WEBMERC_MAX_LAT ||
		    lon < -180 || lon > 180) {
			http_problem(r, 400, "center: '%.60s' is not LAT,LON within the map (|lat| <= %.4f)", center,
				     WEBMERC_MAX_LAT);
			goto done;
		}
		if (!zs || !parse_int(zs, 0, c->cfg->max_zoom, &zoom)) {
			http_problem(r, 400, "zoom: '%.40s' is not a whole number in 0..%u", zs ? zs : "",
				     c->cfg->max_zoom);
			goto done;
		}
		route_map_view_center(&view, st, cs, lat, lon, (int)zoom, (int)width, (int)height, (int)scale);
	} else {
		double b[4];
		if (bbox) {
			if (!parse_bbox(bbox, b)) {
				http_problem(r, 400, "bbox: '%.100s' is not W,S,E,N", bbox);
				goto done;
			}
		} else if (!route_overlay_bounds(ov, &b[0], &b[1], &b[2], &b[3])) {
			http_problem(r, 400, "bbox: give bbox=W,S,E,N, center=LAT,LON&zoom=Z, or markers");
			goto done;
		}
		int z;
		if (route_map_fit_zoom(b[0], b[1], b[2], b[3], (int)width, (int)height, ROUTE_MAP_PAD_PX, fit_max, &z,
				       &err) != MS_OK) {
			http_problem(r, 400, "%s", err.msg);
			goto done;
		}
		route_map_view_box(&view, st, cs, b[0], b[1], b[2], b[3], z, (int)width, (int)height, (int)scale);
	}

	struct tile_ctx *ctx = h_tiles_ctx(t, &err);
	if (!ctx) {
		http_problem(r, 500, "static map: %s", err.msg);
		goto done;
	}
	map = h_tiles_map(t, c->snap);
	if (route_map_render_png(map, ctx, &view, ov, &r->body, &err) != MS_OK) {
		buf_reset(&r->body);
		http_problem(r, 500, "static map: %s", err.msg);
		goto done;
	}
	r->content_type = "image/png";
	r->cacheable = true;
	char hv[64];
	snprintf(hv, sizeof hv, "%d", view.zoom);
	http_add_header(r, "X-Map-Zoom", hv);
	snprintf(hv, sizeof hv, "%lld,%lld", view.origin_x, view.origin_y);
	http_add_header(r, "X-Map-Origin", hv);
	http_add_header(r, "Cache-Control", "public, max-age=3600");
done:
	tile_map_release(map);
	free(ov);
}

/* overlay.c - static map windows, the route overlay and the choice of
 * stops; see overlay.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/geo.h"
#include "../geo/webmerc.h"
#include "../render/glyphs.h"
#include "../render/png.h"
#include "../render/raster.h"
#include "../util/numparse.h"
#include "overlay.h"

/* ------------------------------------------------------------ overlay */

void route_overlay_from_plan(struct route_overlay *ov, const struct route_plan *p, enum coordsys cs)
{
	memset(ov, 0, sizeof *ov);
	ov->has_start = true;
	coordsys_from_wgs84(cs, p->start_lat, p->start_lon, &ov->start_lat, &ov->start_lon);
	ov->n = p->n < ROUTE_MAX_STOPS ? p->n : ROUTE_MAX_STOPS;
	for (size_t i = 0; i < ov->n; i++)
		coordsys_from_wgs84(cs, p->stops[i]->lat, p->stops[i]->lon, &ov->lat[i], &ov->lon[i]);
	ov->line = true;
	ov->round_trip = p->has_return;
}

bool route_overlay_bounds(const struct route_overlay *ov, double *west, double *south, double *east,
                          double *north)
{
	double w = INFINITY, s = INFINITY, e = -INFINITY, n = -INFINITY;
	for (size_t i = 0; i <= ov->n; i++) {
		double lat, lon;
		if (i == ov->n) {
			if (!ov->has_start)
				break;
			lat = ov->start_lat, lon = ov->start_lon;
		} else {
			lat = ov->lat[i], lon = ov->lon[i];
		}
		w = fmin(w, lon), e = fmax(e, lon);
		s = fmin(s, lat), n = fmax(n, lat);
	}
	if (!(w <= e))
		return false;
	*west = w, *south = s, *east = e, *north = n;
	return true;
}

/* ------------------------------------------------------------ windows */

enum ms_status route_map_fit_zoom(double west, double south, double east, double north, int width, int height,
                                  int pad, int max_zoom, int *zoom, struct ms_error *err)
{
	if (!site_coord_valid(south, west) || !site_coord_valid(north, east))
		return ms_fail(err, MS_EUSAGE, "bbox: %g,%g,%g,%g is not a lon/lat box", west, south, east,
		               north);
	if (west > east || south > north)
		return ms_fail(err, MS_EUSAGE, "bbox: %g,%g,%g,%g needs west <= east and south <= north",
		               west, south, east, north);
	if (width < 1 || height < 1)
		return ms_fail(err, MS_EUSAGE, "route map: size %dx%d out of range", width, height);
	int pad_x = pad < width / 4 ? pad : width / 4, pad_y = pad < height / 4 ? pad : height / 4;
	double avail_w = width - 2.0 * pad_x, avail_h = height - 2.0 * pad_y;
	double mw, ms, me, mn;
	webmerc_from_lonlat(west, south, &mw, &ms);
	webmerc_from_lonlat(east, north, &me, &mn);
	/* World px per metre at zoom 0; the span doubles with each zoom. */
	double k = WEBMERC_TILE_SIZE / (2 * WEBMERC_HALF);
	double sx = (me - mw) * k, sy = (mn - ms) * k;
	int z = max_zoom < 0 ? 0 : max_zoom > WEBMERC_MAX_ZOOM ? WEBMERC_MAX_ZOOM : max_zoom;
	while (z > 0 && (ldexp(sx, z) > avail_w || ldexp(sy, z) > avail_h))
		z--;
	*zoom = z;
	return MS_OK;
}

/* A window of width x height logical px centred on world px (cx, cy) of
 * its zoom at scale 1. */
static void view_at(struct tile_view *v, const struct style *style, enum coordsys cs, double cx, double cy,
                    int zoom, int width, int height, int scale)
{
	memset(v, 0, sizeof *v);
	v->style = style;
	v->coordsys = cs;
	v->zoom = zoom;
	v->scale = scale;
	v->width = width * scale;
	v->height = height * scale;
	v->origin_x = (long long)floor(cx * scale - v->width / 2.0 + 0.5);
	v->origin_y = (long long)floor(cy * scale - v->height / 2.0 + 0.5);
}

void route_map_view_center(struct tile_view *v, const struct style *style, enum coordsys cs, double lat,
                           double lon, int zoom, int width, int height, int scale)
{
	double mx, my, cx, cy;
	webmerc_from_lonlat(lon, lat, &mx, &my);
	webmerc_to_world_px(mx, my, zoom, WEBMERC_TILE_SIZE, &cx, &cy);
	view_at(v, style, cs, cx, cy, zoom, width, height, scale);
}

void route_map_view_box(struct tile_view *v, const struct style *style, enum coordsys cs, double west,
                        double south, double east, double north, int zoom, int width, int height, int scale)
{
	double mw, ms, me, mn, cx, cy;
	webmerc_from_lonlat(west, south, &mw, &ms);
	webmerc_from_lonlat(east, north, &me, &mn);
	webmerc_to_world_px((mw + me) / 2, (ms + mn) / 2, zoom, WEBMERC_TILE_SIZE, &cx, &cy);
	view_at(v, style, cs, cx, cy, zoom, width, height, scale);
}

enum ms_status route_map_view_fit(struct tile_view *v, const struct style *style, enum coordsys cs,
                                  const double box[4], int width, int height, int scale, int max_zoom,
                                  struct ms_error *err)
{
	int zoom = 0;
	int fit_max = max_zoom < ROUTE_MAP_FIT_MAX_ZOOM ? max_zoom : ROUTE_MAP_FIT_MAX_ZOOM;
	enum ms_status st = route_map_fit_zoom(box[0], box[1], box[2], box[3], width, height,
	                                       ROUTE_MAP_PAD_PX, fit_max, &zoom, err);
	if (st == MS_OK)
		route_map_view_box(v, style, cs, box[0], box[1], box[2], box[3], zoom, width, height, scale);
	return st;
}

void route_map_canvas_px(const struct tile_view *v, double lat, double lon, double *x, double *y)
{
	double mx, my;
	webmerc_from_lonlat(lon, lat, &mx, &my);
	webmerc_to_world_px(mx, my, v->zoom, WEBMERC_TILE_SIZE * v->scale, x, y);
	*x -= (double)v->origin_x;
	*y -= (double)v->origin_y;
}

/* ------------------------------------------------------------ drawing */

static const struct rgba white = {0xff, 0xff, 0xff, 0xff};
static const struct rgba none = {0, 0, 0, 0};

/* text centred on (x, y), rounded to whole px like the tile labels. */
static void centred_text(struct canvas *c, struct glyphs *gl, const char *text, double x, double y,
                         double size)
{
	struct text_box tb;
	glyphs_measure(gl, text, size, &tb);
	double tx = floor(x - tb.width / 2 + 0.5), ty = floor(y + (tb.ascent - tb.descent) / 2 + 0.5);
	glyphs_draw(gl, c, text, tx, ty, size, white, none, 0);
}

/* Stops whose markers would sit (nearly) on top of each other - sites in
 * one compound, or a wide map - share one marker, else all but one number
 * would be hidden.  Stop i joins the group of the first earlier stop whose
 * marker centre is less than a marker radius away. */
struct stop_group {
	double x, y;  /* the first member's position */
	size_t first; /* its stop index */
	char text[ROUTE_MAX_STOPS * 3];
	size_t last; /* the last member so far */
	bool run;    /* the text ends in an open "a-b" run */
};

static void group_add(struct stop_group *g, size_t i)
{
	size_t len = strlen(g->text);
	if (i == g->last + 1) { /* extend a run of consecutive numbers: "1-3" */
		if (g->run) {
			char *dash = strrchr(g->text, '-');
			len = (size_t)(dash - g->text);
		}
		snprintf(g->text + len, sizeof g->text - len, "-%zu", i + 1);
		g->run = true;
	} else {
		snprintf(g->text + len, sizeof g->text - len, ",%zu", i + 1);
		g->run = false;
	}
	g->last = i;
}

static size_t group_stops(const struct tile_view *v, const struct route_overlay *ov, size_t n, double r,
                          struct stop_group *groups)
{
	size_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		double x, y;
		route_map_canvas_px(v, ov->lat[i], ov->lon[i], &x, &y);
		size_t g = 0;
		while (g < ng && hypot(groups[g].x - x, groups[g].y - y) >= r)
			g++;
		if (g < ng) {
			group_add(&groups[g], i);
			continue;
		}
		groups[ng] = (struct stop_group){.x = x, .y = y, .first = i, .last = i};
		snprintf(groups[ng].text, sizeof groups[ng].text, "%zu", i + 1);
		ng++;
	}
	return ng;
}

void route_overlay_draw(struct canvas *c, struct glyphs *gl, const struct tile_view *v,
                        const struct route_overlay *ov)
{
	double s = v->scale;
	size_t n = ov->n < ROUTE_MAX_STOPS ? ov->n : ROUTE_MAX_STOPS;
	double sx = 0, sy = 0;
	if (ov->has_start)
		route_map_canvas_px(v, ov->start_lat, ov->start_lon, &sx, &sy);

	if (ov->line && n + ov->has_start >= 2) {
		/* start, stops, start again: at most ROUTE_MAX_STOPS + 2 points */
		double xy[2 * (ROUTE_MAX_STOPS + 2)];
		int np = 0;
		if (ov->has_start) {
			xy[2 * np] = sx, xy[2 * np + 1] = sy;
			np++;
		}
		for (size_t i = 0; i < n; i++, np++)
			route_map_canvas_px(v, ov->lat[i], ov->lon[i], &xy[2 * np], &xy[2 * np + 1]);
		if (ov->round_trip && ov->has_start) {
			xy[2 * np] = sx, xy[2 * np + 1] = sy;
			np++;
		}
		raster_stroke_polyline(c, xy, np, false, ROUTE_LINE_W * s, ROUTE_LINE_COLOUR);
	}

	double r = ROUTE_MARKER_R * s, ow = ROUTE_MARKER_OUTLINE * s;
	struct stop_group groups[ROUTE_MAX_STOPS];
	size_t ng = group_stops(v, ov, n, r, groups);
	for (size_t k = ng; k-- > 0;) {
		const struct stop_group *g = &groups[k];
		if (g->x < -8 * r || g->y < -2 * r || g->x > c->width + 8 * r || g->y > c->height + 2 * r)
			continue;
		bool single = g->first == g->last;
		double size = (single && g->first < 9 ? 12.0 : 11.0) * s;
		struct text_box tb = {0};
		if (gl)
			glyphs_measure(gl, g->text, size, &tb);
		/* A disc, or a pill (a thick round-capped segment) wide enough
		 * for a group's numbers. */
		double h = fmax(0, (tb.width + 8 * s) / 2 - r);
		if (single || h == 0) {
			raster_marker(c, SHAPE_CIRCLE, g->x, g->y, r, ROUTE_MARKER_COLOUR, white, ow);
		} else {
			double seg[4] = {g->x - h, g->y, g->x + h, g->y};
			raster_stroke_polyline(c, seg, 2, false, 2 * (r + ow), white);
			raster_stroke_polyline(c, seg, 2, false, 2 * r, ROUTE_MARKER_COLOUR);
		}
		if (gl)
			centred_text(c, gl, g->text, g->x, g->y, size);
	}
	if (ov->has_start) {
		raster_marker(c, SHAPE_SQUARE, sx, sy, r * 0.9, ROUTE_START_COLOUR, white, ow);
		if (gl)
			centred_text(c, gl, "起", sx, sy, 12.0 * s);
	}
}

enum ms_status route_map_render_png(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
                                    const struct route_overlay *ov, struct buf *png, struct ms_error *err)
{
	struct canvas *c = NULL, *own = NULL;
	bool empty = false;
	enum ms_status st = tile_render_view(m, ctx, v, &c, &empty, err);
	if (st != MS_OK)
		return st;
	if (empty) /* nothing of the map in view and no background */
	{
		c = own = canvas_new(v->width, v->height);
		canvas_set_aa_levels(c, CANVAS_AA_TILE); /* as the map under it */
	}
	if (ov && (ov->n || ov->has_start)) {
		struct glyphs *gl = tile_ctx_glyphs(ctx, v->style, err);
		if (!gl) {
			canvas_free(own);
			return err->status;
		}
		route_overlay_draw(c, gl, v, ov);
	}
	st = pngenc_encode(c, png, err);
	canvas_free(own);
	return st;
}

/* ------------------------------------------------------ choosing stops */

bool route_parse_point(const char *s, double *lat, double *lon)
{
	const char *comma = strchr(s, ',');
	if (!comma || strchr(comma + 1, ','))
		return false;
	return ms_parse_decimal(s, (size_t)(comma - s), lat) &&
	       ms_parse_decimal(comma + 1, strlen(comma + 1), lon);
}

enum ms_status route_select_ids(const struct snapshot *snap, const char *ids, const struct site **out,
                                size_t *n, struct ms_error *err)
{
	*n = 0;
	if (!*ids)
		return ms_fail(err, MS_EUSAGE, "sites: the list is empty");
	size_t count = 1;
	for (const char *q = ids; *q; q++)
		count += *q == ',';
	if (count > ROUTE_MAX_STOPS) /* said first: the list itself is too long */
		return ms_fail(err, MS_EUSAGE, "sites: %zu stops, more than %d", count, ROUTE_MAX_STOPS);
	const char *p = ids;
	for (;;) {
		size_t len = strcspn(p, ",");
		if (len == 0)
			return ms_fail(err, MS_EUSAGE, "sites: empty id in '%.200s'", ids);
		char id[256];
		if (len >= sizeof id)
			return ms_fail(err, MS_ENOTFOUND, "sites: no site '%.60s...'", p);
		memcpy(id, p, len);
		id[len] = '\0';
		const struct site *s = snapshot_find(snap, id);
		if (!s)
			return ms_fail(err, MS_ENOTFOUND, "sites: no site '%s'", id);
		for (size_t i = 0; i < *n; i++)
			if (out[i] == s)
				return ms_fail(err, MS_EUSAGE, "sites: '%s' is listed twice", id);
		out[(*n)++] = s;
		if (!p[len])
			break;
		p += len + 1;
	}
	return MS_OK;
}

enum ms_status route_select_nearest(const struct snapshot *snap, double lat, double lon, long k,
                                    const struct site **out, size_t *n, struct ms_error *err)
{
	*n = 0;
	if (k < 1 || k > ROUTE_MAX_STOPS)
		return ms_fail(err, MS_EUSAGE, "nearest: %ld is not in 1..%d", k, ROUTE_MAX_STOPS);
	if (!site_coord_valid(lat, lon))
		return ms_fail(err, MS_EUSAGE, "from: %g,%g is not a WGS-84 latitude,longitude", lat, lon);
	if (!snap->n)
		return ms_fail(err, MS_ENOTFOUND, "nearest: there are no sites");
	struct sindex_hit hits[ROUTE_MAX_STOPS];
	size_t got = sindex_nearest(snap->index, lat, lon, (size_t)k, INFINITY, NULL, NULL, hits);
	for (size_t i = 0; i < got; i++)
		out[i] = &snap->sites[hits[i].i];
	*n = got;
	return MS_OK;
}

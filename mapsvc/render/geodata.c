/*
 * geodata.c - parsing context GeoJSON (RFC 7946) into projected shapes;
 * see geodata.h.
 */
#include "geodata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xxhash.h>

#include "../geo/webmerc.h"
#include "../util/mem.h"

struct builder {
	struct geodata *g;
	size_t shapes_cap, rings_cap, pts_cap;
	const char *name;
	size_t feature;
	struct ms_error *err;
};

static bool bad(struct builder *b, const char *what)
{
	ms_fail(b->err, MS_EDATA, "%.200s: feature %zu: %s", b->name, b->feature, what);
	return false;
}

static bool add_point(struct builder *b, const json_t *pos, struct geodata_shape *sh)
{
	if (!json_is_array(pos) || json_array_size(pos) < 2 || !json_is_number(json_array_get(pos, 0)) ||
	    !json_is_number(json_array_get(pos, 1)))
		return bad(b, "a position must be [longitude, latitude]");
	double lon = json_number_value(json_array_get(pos, 0)),
	       lat = json_number_value(json_array_get(pos, 1));
	if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
		return bad(b, "a position is outside [-180, 180] x [-90, 90]");
	struct geodata *g = b->g;
	if (g->npts == b->pts_cap) {
		b->pts_cap = b->pts_cap ? 2 * b->pts_cap : 4096;
		g->xy = xrealloc(g->xy, 2 * b->pts_cap * sizeof *g->xy);
		g->ll = xrealloc(g->ll, 2 * b->pts_cap * sizeof *g->ll);
	}
	double x, y;
	webmerc_world_px(lon, lat, 0, WEBMERC_TILE_SIZE, &x, &y);
	g->xy[2 * g->npts] = x;
	g->xy[2 * g->npts + 1] = y;
	g->ll[2 * g->npts] = lon;
	g->ll[2 * g->npts + 1] = lat;
	g->npts++;
	sh->x0 = fmin(sh->x0, x);
	sh->x1 = fmax(sh->x1, x);
	sh->y0 = fmin(sh->y0, y);
	sh->y1 = fmax(sh->y1, y);
	return true;
}

/* A ring or a line: an array of at least min positions. */
static bool add_ring(struct builder *b, const json_t *ring, size_t min, struct geodata_shape *sh)
{
	if (!json_is_array(ring) || json_array_size(ring) < min)
		return bad(b, min == 4 ? "a polygon ring needs at least 4 positions"
		                       : "a line needs at least 2 positions");
	struct geodata *g = b->g;
	if (g->nrings == b->rings_cap) {
		b->rings_cap = b->rings_cap ? 2 * b->rings_cap : 256;
		g->ring_start = xrealloc(g->ring_start, b->rings_cap * sizeof *g->ring_start);
		g->ring_len = xrealloc(g->ring_len, b->rings_cap * sizeof *g->ring_len);
	}
	size_t r = g->nrings++;
	g->ring_start[r] = (uint32_t)g->npts;
	size_t i;
	const json_t *pos;
	json_array_foreach(ring, i, pos)
	{
		if (!add_point(b, pos, sh))
			return false;
	}
	g->ring_len[r] = (uint32_t)(g->npts - g->ring_start[r]);
	sh->nrings++;
	return true;
}

/* One shape: a polygon (array of rings) or a line (array of positions). */
static bool add_shape(struct builder *b, const json_t *coords, bool polygon)
{
	struct geodata *g = b->g;
	if (g->nshapes == b->shapes_cap) {
		b->shapes_cap = b->shapes_cap ? 2 * b->shapes_cap : 256;
		g->shapes = xrealloc(g->shapes, b->shapes_cap * sizeof *g->shapes);
	}
	struct geodata_shape sh = {INFINITY, INFINITY, -INFINITY, -INFINITY, (uint32_t)g->nrings, 0, polygon};
	if (!polygon) {
		if (!add_ring(b, coords, 2, &sh))
			return false;
	} else {
		if (!json_is_array(coords) || json_array_size(coords) == 0)
			return bad(b, "a polygon needs at least one ring");
		size_t i;
		const json_t *ring;
		json_array_foreach(coords, i, ring)
		{
			if (!add_ring(b, ring, 4, &sh))
				return false;
		}
	}
	g->shapes[g->nshapes++] = sh;
	return true;
}

static bool add_geometry(struct builder *b, const json_t *geom)
{
	if (json_is_null(geom))
		return true; /* RFC 7946 §3.2: an unlocated feature */
	const json_t *type = json_object_get(geom, "type");
	const json_t *coords = json_object_get(geom, "coordinates");
	if (!json_is_object(geom) || !json_is_string(type))
		return bad(b, "\"geometry\" must be null or an object with a \"type\"");
	const char *t = json_string_value(type);
	if (strcmp(t, "Point") == 0 || strcmp(t, "MultiPoint") == 0)
		return true; /* nothing to fill or stroke */
	bool multi = strncmp(t, "Multi", 5) == 0;
	const char *base = multi ? t + 5 : t;
	bool polygon = strcmp(base, "Polygon") == 0;
	if (!polygon && strcmp(base, "LineString") != 0) {
		char msg[96];
		snprintf(msg, sizeof msg, "unsupported geometry type \"%.40s\"", t);
		return bad(b, msg);
	}
	if (!json_is_array(coords))
		return bad(b, "\"coordinates\" must be an array");
	if (!multi)
		return add_shape(b, coords, polygon);
	size_t i;
	const json_t *part;
	json_array_foreach(coords, i, part)
	{
		if (!add_shape(b, part, polygon))
			return false;
	}
	return true;
}

enum ms_status geodata_parse(const char *name, const char *text, size_t len, struct geodata **out,
                             struct ms_error *err)
{
	*out = NULL;
	if (len > GEODATA_MAX_BYTES)
		return ms_fail(err, MS_EDATA, "%.200s: larger than %d MB", name, GEODATA_MAX_BYTES >> 20);
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	if (!root)
		return ms_fail(err, MS_EDATA, "%.200s:%d: %s", name, je.line > 0 ? je.line : 1, je.text);
	struct geodata *g = xcalloc(1, sizeof *g);
	g->name = xstrdup(name);
	g->hash = XXH3_64bits(text, len);
	struct builder b = {.g = g, .name = name, .err = err};
	enum ms_status rc = MS_OK;
	const json_t *type = json_object_get(root, "type");
	const json_t *features = json_object_get(root, "features");
	if (!json_is_string(type) || strcmp(json_string_value(type), "FeatureCollection") != 0 ||
	    !json_is_array(features)) {
		rc = ms_fail(err, MS_EDATA,
		             "%.200s: expected a GeoJSON FeatureCollection with a \"features\" array", name);
	} else {
		const json_t *f;
		json_array_foreach(features, b.feature, f)
		{
			const json_t *geom = json_object_get(f, "geometry");
			if (!json_is_object(f) || !geom) {
				bad(&b, "a feature must be an object with a \"geometry\"");
				rc = MS_EDATA;
				break;
			}
			if (!add_geometry(&b, geom)) {
				rc = MS_EDATA;
				break;
			}
		}
	}
	json_decref(root);
	if (rc != MS_OK) {
		geodata_free(g);
		return rc;
	}
	*out = g;
	return MS_OK;
}

void geodata_free(struct geodata *g)
{
	if (!g)
		return;
	free(g->name);
	free(g->shapes);
	free(g->ring_start);
	free(g->ring_len);
	free(g->xy);
	free(g->ll);
	free(g);
}

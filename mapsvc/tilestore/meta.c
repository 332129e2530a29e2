/*
 * meta.c - a store's metadata as text and back: the rows every format
 * writes (MBTiles 1.3's names and spelling, which PMTiles' JSON metadata
 * repeats by convention) and the parser of what a store read from disk
 * says, tilestore_meta_parse.
 *
 * Bounds are written rounded outwards (meta_round_out), so a box never
 * shrinks by a rounding: a marker padded into it stays whole.
 *
 * The parser reads data written by any tool, so it is strict about the
 * few rows it interprets and ignores the rest: a zoom is an integer of
 * 0..TILESTORE_MAX_ZOOM, bounds are four decimals with W <= E and S <= N
 * inside the world (MBTiles 1.3, "bounds"), a center is "lon,lat" or
 * "lon,lat,zoom".  The numbers follow util/numparse.h's grammar, the one
 * every front of mapsvc reads, so "nan", " 5" or "0x10" are refused with
 * the row's name and value in the message.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../util/numparse.h"
#include "tilestore_int.h"

/* The longest value quoted in a message. */
#define QUOTE_MAX 40

/* Of a unit, what counts as floating-point noise rather than a part of
 * one: "118.123456" read as a double is 118123455.99999999 micro-degrees. */
#define ROUND_NOISE 1e-6
/* MBTiles' text: degrees to the micro-degree. */
#define TEXT_UNITS 1e6

double meta_round_out(double v, double units_per_degree, int dir)
{
	double s = v * units_per_degree, r = round(s);
	if (dir < 0 && r > s + ROUND_NOISE)
		r -= 1;
	else if (dir > 0 && r < s - ROUND_NOISE)
		r += 1;
	return r;
}

enum ms_status meta_rows_of(const struct tilestore_meta *md, struct meta_rows *r, struct ms_error *err)
{
	const double *b = md->bounds;
	snprintf(r->bounds, sizeof r->bounds, "%.6f,%.6f,%.6f,%.6f",
	         meta_round_out(b[0], TEXT_UNITS, -1) / TEXT_UNITS,
	         meta_round_out(b[1], TEXT_UNITS, -1) / TEXT_UNITS,
	         meta_round_out(b[2], TEXT_UNITS, 1) / TEXT_UNITS,
	         meta_round_out(b[3], TEXT_UNITS, 1) / TEXT_UNITS);
	snprintf(r->center, sizeof r->center, "%.6f,%.6f,%d", md->center_lon, md->center_lat,
	         md->center_zoom);
	snprintf(r->minzoom, sizeof r->minzoom, "%d", md->minzoom);
	snprintf(r->maxzoom, sizeof r->maxzoom, "%d", md->maxzoom);
	const char *named[][2] = {
	    {"name", md->name},
	    {"format", md->format},
	    {"bounds", r->bounds},
	    {"center", r->center},
	    {"minzoom", r->minzoom},
	    {"maxzoom", r->maxzoom},
	    {"attribution", md->attribution},
	    {"description", md->description},
	    {"type", md->type},
	    {"version", md->version},
	};
	size_t nnamed = sizeof named / sizeof named[0];
	if (md->nextra > META_MAX_ROWS - nnamed)
		return ms_fail(err, MS_EUSAGE, "%zu metadata extras: at most %zu", md->nextra,
		               (size_t)META_MAX_ROWS - nnamed);
	r->n = 0;
	for (size_t i = 0; i < nnamed; i++)
		if (named[i][1]) {
			r->row[r->n][0] = named[i][0];
			r->row[r->n][1] = named[i][1];
			r->n++;
		}
	for (size_t i = 0; i < md->nextra; i++) {
		r->row[r->n][0] = md->extra[i][0];
		r->row[r->n][1] = md->extra[i][1];
		r->n++;
	}
	return MS_OK;
}

/* ----------------------------------------------------------- parsing */

static enum ms_status bad(const char *src, const char *name, const char *value, const char *what,
                          struct ms_error *err)
{
	size_t n = strlen(value);
	return ms_fail(err, MS_EDATA, "%s: metadata '%s': '%.*s%s' is not %s", src, name, QUOTE_MAX, value,
	               n > QUOTE_MAX ? "..." : "", what);
}

/* Splits s at commas into at most max decimals; the count, or -1 when a
 * field is not a decimal or there are more than max. */
static int decimals(const char *s, double *out, int max)
{
	int n = 0;
	for (const char *p = s;; n++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (n == max || !ms_parse_decimal(p, len, &out[n]))
			return -1;
		if (!comma)
			return n + 1;
		p = comma + 1;
	}
}

static bool lon_ok(double v)
{
	return v >= -180 && v <= 180;
}

static bool lat_ok(double v)
{
	return v >= -90 && v <= 90;
}

static enum ms_status parse_zoom(const char *src, const char *name, const char *v, int *out,
                                 struct ms_error *err)
{
	long long z;
	if (ms_parse_int_str(v, 0, TILESTORE_MAX_ZOOM, &z) != MS_PARSE_OK)
		return bad(src, name, v, "a zoom level (0..26)", err);
	*out = (int)z;
	return MS_OK;
}

static enum ms_status parse_bounds(const char *src, const char *v, struct tilestore_info *o,
                                   struct ms_error *err)
{
	double b[4];
	if (decimals(v, b, 4) != 4)
		return bad(src, "bounds", v, "W,S,E,N in degrees", err);
	if (!lon_ok(b[0]) || !lon_ok(b[2]) || !lat_ok(b[1]) || !lat_ok(b[3]))
		return bad(src, "bounds", v, "inside -180..180, -90..90", err);
	if (b[0] > b[2] || b[1] > b[3])
		return bad(src, "bounds", v, "a box with W <= E and S <= N", err);
	memcpy(o->bounds, b, sizeof b);
	o->has_bounds = true;
	return MS_OK;
}

static enum ms_status parse_center(const char *src, const char *v, struct tilestore_info *o,
                                   struct ms_error *err)
{
	double c[3];
	int n = decimals(v, c, 3);
	if (n < 2)
		return bad(src, "center", v, "LON,LAT[,ZOOM]", err);
	if (!lon_ok(c[0]) || !lat_ok(c[1]))
		return bad(src, "center", v, "inside -180..180, -90..90", err);
	if (n == 3) {
		/* the range first: (int) of a double beyond int is undefined */
		if (!(c[2] >= 0 && c[2] <= TILESTORE_MAX_ZOOM) || c[2] != (int)c[2])
			return bad(src, "center", v, "LON,LAT,ZOOM with a zoom level of 0..26", err);
		o->center_zoom = (int)c[2];
	}
	o->center[0] = c[0];
	o->center[1] = c[1];
	o->has_center = true;
	return MS_OK;
}

enum ms_status tilestore_meta_parse(const char *src, const char *const (*pairs)[2], size_t n,
                                    struct tilestore_info *out, struct ms_error *err)
{
	struct tilestore_info o = {.minzoom = -1, .maxzoom = -1, .center_zoom = -1};
	enum ms_status st = MS_OK;
	for (size_t i = 0; i < n && st == MS_OK; i++) {
		const char *name = pairs[i][0], *v = pairs[i][1];
		if (!strcmp(name, "format")) {
			if (!*v || strlen(v) >= sizeof o.format ||
			    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(v))
				st = bad(src, name, v, "a tile format (png, jpg, webp, pbf, ...)", err);
			else
				snprintf(o.format, sizeof o.format, "%s", v);
		} else if (!strcmp(name, "minzoom")) {
			st = parse_zoom(src, name, v, &o.minzoom, err);
		} else if (!strcmp(name, "maxzoom")) {
			st = parse_zoom(src, name, v, &o.maxzoom, err);
		} else if (!strcmp(name, "bounds")) {
			st = parse_bounds(src, v, &o, err);
		} else if (!strcmp(name, "center")) {
			st = parse_center(src, v, &o, err);
		}
	}
	if (st == MS_OK && o.minzoom >= 0 && o.maxzoom >= 0 && o.minzoom > o.maxzoom)
		st = ms_fail(err, MS_EDATA, "%s: metadata 'minzoom' %d is above 'maxzoom' %d", src, o.minzoom,
		             o.maxzoom);
	if (st == MS_OK)
		*out = o;
	return st;
}

/*
 * h_nearest.c - GET /nearest: the sites closest to a point by geodesic
 * distance on WGS-84 (DESIGN.md).  The same engine call and writer as
 * `mapsvc nearest`, so both print the same document.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../features/features.h"
#include "../util/numparse.h"
#include "handlers.h"

void h_nearest(struct http_ctx *c, struct http_response *r)
{
	static const char *const allowed[] = {"lat", "lon", "limit", "within_km", "category", "coordsys", "f", NULL};
	if (!http_check_params(c, r, allowed))
		return;
	const char *f = http_param(c, "f");
	if (f && strcmp(f, "json") && strcmp(f, "geojson")) {
		http_problem(r, 400, "f: unsupported format '%.50s' (expected json)", f);
		return;
	}
	struct feat_nearest_query q = {.limit = FEAT_NEAREST_DEFAULT, .within_m = INFINITY};
	const char *lat = http_param(c, "lat"), *lon = http_param(c, "lon"), *v;
	if (!lat || !lon) {
		http_problem(r, 400, "%s: required (decimal degrees)", lat ? "lon" : "lat");
		return;
	}
	if (!ms_parse_decimal_str(lat, &q.lat) || q.lat < -90 || q.lat > 90) {
		http_problem(r, 400, "lat: '%.50s' is not a latitude in -90..90", lat);
		return;
	}
	if (!ms_parse_decimal_str(lon, &q.lon) || q.lon < -180 || q.lon > 180) {
		http_problem(r, 400, "lon: '%.50s' is not a longitude in -180..180", lon);
		return;
	}
	if ((v = http_param(c, "limit"))) {
		double d;
		if (!ms_parse_decimal_str(v, &d) || d != floor(d) || d < 1 || d > FEAT_NEAREST_MAX) {
			http_problem(r, 400, "limit: '%.50s' is not a whole number in 1..%d", v, FEAT_NEAREST_MAX);
			return;
		}
		q.limit = (size_t)d;
	}
	if ((v = http_param(c, "within_km"))) {
		double km;
		if (!ms_parse_decimal_str(v, &km) || km < 0) {
			http_problem(r, 400, "within_km: '%.50s' is not a distance >= 0 in kilometres", v);
			return;
		}
		q.within_m = km * 1000;
	}
	struct ms_error err = {0};
	if ((v = http_param(c, "category")) && feat_parse_categories(v, &q.categories, &err)) {
		http_problem_from_error(r, &err);
		return;
	}
	if ((v = http_param(c, "coordsys"))) {
		int cs = coordsys_parse(v);
		if (cs < 0) {
			http_problem(r, 400, "coordsys: unknown '%.50s' (expected wgs84, gcj02, bd09 or cgcs2000)", v);
			return;
		}
		q.cs = (enum coordsys)cs;
	}
	struct sindex_hit *hits;
	size_t n;
	if (feat_nearest(c->snap, &q, &hits, &n, &err)) {
		http_problem_from_error(r, &err);
		return;
	}
	struct feat_write_opts o = {.cs = q.cs};
	feat_write_nearest(&r->body, c->snap, hits, n, &o);
	free(hits);
	r->content_type = "application/geo+json";
	r->cacheable = true;
	http_add_header(r, "Content-Crs", "<" CRS_CRS84 ">");
}

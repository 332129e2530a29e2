/*
 * h_nearest.c - GET /nearest: the sites closest to a point by geodesic
 * distance on WGS-84 (DESIGN.md), of those a CQL2 filter selects when one
 * is given.  The same engine call and writer as `mapsvc nearest`, so both
 * print the same document.
 */
#include <math.h>
#include <stdlib.h>

#include "../cql2/cql2.h"
#include "../features/features.h"
#include "handlers.h"
#include "metrics.h"
#include "ogc.h"

static const struct http_pspec nearest_specs[] = {
    {.name = "lat",
     .type = HTTP_T_NUMBER,
     .required = true,
     .min = -90,
     .max = 90,
     .desc = "Latitude of the query point (in coordsys)."},
    {.name = "lon",
     .type = HTTP_T_NUMBER,
     .required = true,
     .min = -180,
     .max = 180,
     .desc = "Longitude of the query point (in coordsys)."},
    {.name = "limit",
     .type = HTTP_T_INT,
     .min = 1,
     .max = FEAT_NEAREST_MAX,
     .def = HTTP_STR(FEAT_NEAREST_DEFAULT),
     .desc = "How many sites."},
    {.name = "within_km",
     .type = HTTP_T_NUMBER,
     .min = 0,
     .max = INFINITY,
     .desc = "Only sites at most this far (km)."},
    HTTP_SPEC_CATEGORY,
    HTTP_SPEC_OPEN_AT,
    HTTP_SPEC_FILTER,
    HTTP_SPEC_COORDSYS,
    HTTP_SPEC_F_GEOJSON,
};
const struct http_params h_nearest_params = HTTP_PARAMS(nearest_specs);

void h_nearest(struct http_ctx *c, struct http_response *r)
{
	const struct http_arg *within = http_arg(c, "within_km");
	struct feat_nearest_query q = {
	    .lat = http_arg(c, "lat")->num,
	    .lon = http_arg(c, "lon")->num,
	    .cs = (enum coordsys)http_arg(c, "coordsys")->i,
	    .limit = (size_t)http_arg(c, "limit")->i,
	    .within_m = within->given ? within->num * 1000 : INFINITY,
	    .categories = (feat_catmask)http_arg(c, "category")->mask,
	    .has_open_at = http_arg(c, "open_at")->given,
	    .open_at = (time_t)http_arg(c, "open_at")->v[0],
	};
	struct cql2 *filter;
	if (!ogc_filter(c, r, q.cs, &filter))
		return;
	q.filter = filter;
	struct sindex_hit *hits;
	size_t n;
	struct ms_error err = {0};
	struct sindex_stats work = {0};
	q.work = &work;
	enum ms_status st = feat_nearest(c->snap, &q, &hits, &n, &err);
	cql2_free(filter);
	if (st != MS_OK) {
		http_problem_from_error(r, &err);
		return;
	}
	/* the search's work, counted for /metrics */
	http_metrics_count_nearest(c->metrics, work.geodesics, work.nodes);
	struct feat_write_opts o = {.cs = q.cs};
	feat_write_nearest(&r->body, c->snap, hits, n, &o);
	free(hits);
	r->content_type = "application/geo+json";
	r->cacheable = true;
	http_add_header(r, "Content-Crs", "<" CRS_CRS84 ">");
}

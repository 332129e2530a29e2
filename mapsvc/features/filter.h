/*
 * filter.h - CQL2 filters over the sites (OGC API - Features Part 3): the
 * sites' queryables, parsing a filter against them, evaluating it on a
 * struct site, and selecting a snapshot's sites with it.
 *
 * The engine is cql2/ (generic, knows no sites); this is its adapter to
 * the data model.  The queryables are the text fields of site.h, in their
 * order, all strings, with `category` limited to the eight categories;
 * `geometry`, the site's point; and the position's quality (a string, one
 * of site.h's names) and uncertainty radius (a number, metres).  An empty
 * field is NULL, since the data model writes "" for a missing attribute:
 * `town IS NULL` finds the sites without a town.  A site's extra
 * properties are not queryable: they
 * differ from import to import, and a queryables document (and the parse
 * that checks a filter against it) must not change with the data.
 *
 * Thread-safety: the schema is constant and evaluation only reads the
 * site and the parsed (immutable) filter, so any number of threads may
 * filter at once.
 */
#ifndef MS_FEATURES_FILTER_H
#define MS_FEATURES_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "../cql2/cql2.h"
#include "../geo/geo.h"
#include "features.h"

/* The queryables after the SITE_NFIELDS text ones: the sites' points,
 * position_quality and position_uncertainty_m. */
#define FEAT_FILTER_GEOMETRY SITE_NFIELDS
#define FEAT_FILTER_QUALITY (SITE_NFIELDS + 1)
#define FEAT_FILTER_UNCERTAINTY (SITE_NFIELDS + 2)
#define FEAT_FILTER_NQUERYABLES (SITE_NFIELDS + 3)

/* The sites' queryables (site_field_names, "geometry", the two position
 * columns); static. */
const struct cql2_schema *feat_filter_schema(void);

/* The queryables as the members of a JSON Schema "properties" object
 * (OGC API - Features Part 3's /queryables): each one's type, enum and
 * what it holds, from the same schema the parser checks filters with. */
void feat_write_queryables(struct jsonw *w);

struct feat_filter_opts {
	enum cql2_lang lang;
	/* filter-crs EPSG:4326 or EPSG:4490: literal positions are lat, lon
	 * (CGCS2000 is WGS-84 to centimetres, geo.h). */
	bool lat_first;
	/* The `coordsys` vendor parameter: literal positions in GCJ-02 or
	 * BD-09 are converted to WGS-84 when parsing, as a bbox is. */
	enum coordsys cs;
};

/* Parses s[0..n) against the sites' queryables (cql2_parse). */
enum ms_status feat_filter_parse(const char *s, size_t n, const struct feat_filter_opts *o, struct cql2 **out,
                                 struct ms_error *err);

/* True when the filter is TRUE for the site. */
bool feat_filter_match(const struct cql2 *f, const struct site *s);

/* Every site of snap the filter selects, in id order, in out (matched ==
 * n; free with feat_page_free).  Only the sites the spatial index finds in
 * the filter's box (cql2_bbox) are evaluated; *evaluated (when not NULL)
 * counts them, the work done. */
void feat_filter_select(const struct snapshot *snap, const struct cql2 *f, struct feat_page *out,
                        size_t *evaluated);

#endif

/*
 * filter.h - CQL2 filters over the sites (OGC API - Features Part 3): the
 * sites' queryables, parsing a filter against them, evaluating it on a
 * struct site, and selecting a snapshot's sites with it.
 *
 * The engine is cql2/ (generic, knows no sites); this is its adapter to
 * the data model.  The queryables are the text fields of site.h, in their
 * order, all strings, with `category` limited to the eight categories, and
 * `geometry`, the site's point.  An empty field is NULL, since the data
 * model writes "" for a missing attribute: `town IS NULL` finds the sites
 * without a town.  A site's extra properties are not queryable: they
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

/* The queryable of the sites' points, after the SITE_NFIELDS text ones. */
#define FEAT_FILTER_GEOMETRY SITE_NFIELDS

/* The sites' queryables (site_field_names, then "geometry"); static. */
const struct cql2_schema *feat_filter_schema(void);

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

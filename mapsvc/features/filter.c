/* filter.c - the sites' CQL2 queryables and filtering; see filter.h. */
#include "filter.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

/* The values of `category`, in enum site_category order (the unit test
 * holds them equal to site_category_name). */
static const char *const categories[CAT_COUNT] = {
    "memorial_hall", "museum",         "martyrs_cemetery", "former_site",
    "monument",      "education_base", "study_station",    "training_school",
};

/* The values of position_quality, in enum site_quality order. */
static const char *const qualities[SITE_QUALITY_COUNT] = {
    "surveyed", "street", "village", "town", "county", "unknown",
};

/* Queryable i < SITE_NFIELDS is text field i (site_field_names). */
static const struct cql2_queryable queryables[FEAT_FILTER_NQUERYABLES] = {
    [SITE_ID] = {"id", CQL2_STRING, NULL, 0},
    [SITE_NAME_ZH] = {"name_zh", CQL2_STRING, NULL, 0},
    [SITE_NAME_EN] = {"name_en", CQL2_STRING, NULL, 0},
    [SITE_CATEGORY] = {"category", CQL2_STRING, categories, CAT_COUNT},
    [SITE_COUNTY] = {"county", CQL2_STRING, NULL, 0},
    [SITE_TOWN] = {"town", CQL2_STRING, NULL, 0},
    [SITE_ADDRESS] = {"address", CQL2_STRING, NULL, 0},
    [SITE_DESCRIPTION] = {"description", CQL2_STRING, NULL, 0},
    [SITE_OPENING_HOURS] = {"opening_hours", CQL2_STRING, NULL, 0},
    [SITE_OPENING_HOURS_TEXT] = {"opening_hours_text", CQL2_STRING, NULL, 0},
    [SITE_COORD_SOURCE] = {"coord_source", CQL2_STRING, NULL, 0},
    [SITE_CONFIDENCE] = {"confidence", CQL2_STRING, NULL, 0},
    [SITE_SOURCE_URL] = {"source_url", CQL2_STRING, NULL, 0},
    [FEAT_FILTER_GEOMETRY] = {"geometry", CQL2_GEOMETRY, NULL, 0},
    [FEAT_FILTER_QUALITY] = {SITE_COLUMN_QUALITY, CQL2_STRING, qualities, SITE_QUALITY_COUNT},
    [FEAT_FILTER_UNCERTAINTY] = {SITE_COLUMN_UNCERTAINTY, CQL2_NUMBER, NULL, 0},
};

static const struct cql2_schema schema = {queryables, FEAT_FILTER_NQUERYABLES};

/* What each text queryable holds, for /queryables. */
static const char *const field_descriptions[SITE_NFIELDS] = {
    [SITE_ID] = "The site's stable id (also the feature's id).",
    [SITE_NAME_ZH] = "The name in Chinese.",
    [SITE_NAME_EN] = "The name in English.",
    [SITE_CATEGORY] = "The kind of site; a value outside the list is valid and matches nothing.",
    [SITE_COUNTY] = "The county or district.",
    [SITE_TOWN] = "The town or township.",
    [SITE_ADDRESS] = "The postal address.",
    [SITE_DESCRIPTION] = "What the site is, in Chinese.",
    [SITE_OPENING_HOURS] = "Opening hours in OpenStreetMap's opening_hours syntax (China Standard Time).",
    [SITE_OPENING_HOURS_TEXT] = "Opening hours in the source's own words.",
    [SITE_COORD_SOURCE] = "Where the coordinates come from.",
    [SITE_CONFIDENCE] = "How sure the source is of the coordinates.",
    [SITE_SOURCE_URL] = "A published source about the site.",
};

const struct cql2_schema *feat_filter_schema(void)
{
	return &schema;
}

/* cql2_to_wgs84_fn over geo.h's conversions; ctx is the enum coordsys. */
static void to_wgs84(void *ctx, double *lon, double *lat)
{
	coordsys_to_wgs84(*(const enum coordsys *)ctx, *lat, *lon, lat, lon);
}

enum ms_status feat_filter_parse(const char *s, size_t n, const struct feat_filter_opts *o, struct cql2 **out,
                                 struct ms_error *err)
{
	enum coordsys cs = o->cs;
	struct cql2_opts co = {
	    .schema = &schema,
	    .lang = o->lang,
	    .lat_first = o->lat_first,
	    .to_wgs84 = cs == COORDSYS_WGS84 ? NULL : to_wgs84,
	    .to_wgs84_ctx = &cs, /* read only while parsing */
	};
	return cql2_parse(s, n, &co, out, err);
}

void feat_write_queryables(struct jsonw *w)
{
	for (size_t i = 0; i < SITE_NFIELDS; i++) {
		const struct cql2_queryable *q = &queryables[i];
		jw_key(w, q->name);
		jw_object_begin(w);
		jw_key(w, "type");
		jw_string(w, cql2_type_name(q->type));
		jw_key(w, "description");
		jw_string(w, field_descriptions[i]);
		if (q->enum_values) {
			jw_key(w, "enum");
			jw_array_begin(w);
			for (size_t k = 0; k < q->n_enum; k++)
				jw_string(w, q->enum_values[k]);
			jw_array_end(w);
		}
		jw_object_end(w);
	}
	jw_key(w, queryables[FEAT_FILTER_GEOMETRY].name);
	jw_object_begin(w);
	/* Part 3 §6.3: a spatial queryable says its geometry type by format */
	jw_key(w, "format");
	jw_string(w, "geometry-point");
	jw_key(w, "description");
	jw_string(w, "The site's position; S_INTERSECTS and the other spatial functions, in filter-crs.");
	jw_object_end(w);
	feat_write_position_queryables(w);
}

static void site_get(const void *rec, size_t qi, struct cql2_value *out)
{
	const struct site *s = rec;
	if (qi == FEAT_FILTER_GEOMETRY) {
		out->type = CQL2_VPOINT;
		out->lon = s->lon;
		out->lat = s->lat;
		return;
	}
	if (qi == FEAT_FILTER_QUALITY) {
		out->type = CQL2_VSTRING;
		out->str = site_quality_name(s->quality);
		out->len = strlen(out->str);
		return;
	}
	if (qi == FEAT_FILTER_UNCERTAINTY) {
		out->type = CQL2_VNUMBER;
		out->num = site_uncertainty(s);
		return;
	}
	const char *v = site_field(s, qi);
	if (!v[0])
		return; /* "" is the data model's missing attribute: NULL */
	out->type = CQL2_VSTRING;
	out->str = v;
	out->len = strlen(v);
}

bool feat_filter_match(const struct cql2 *f, const struct site *s)
{
	return cql2_matches(f, site_get, s);
}

void feat_filter_select(const struct snapshot *snap, const struct cql2 *f, struct feat_page *out,
                        size_t *evaluated)
{
	/* feat_items prunes with the filter's box the same way; with no
	 * other condition, its one page of every match is the selection */
	struct feat_query q = {.filter = f, .limit = SIZE_MAX};
	struct ms_error err = {0};
	enum ms_status st = feat_items(snap, &q, out, &err);
	assert(st == MS_OK); /* only a bad q or sort key fails, and there are none */
	(void)st;
	if (evaluated)
		*evaluated = out->examined;
}

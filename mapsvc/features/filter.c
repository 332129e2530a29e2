/* filter.c - the sites' CQL2 queryables and filtering; see filter.h. */
#include "filter.h"

#include <string.h>

#include "../util/mem.h"

/* The values of `category`, in enum site_category order (the unit test
 * holds them equal to site_category_name). */
static const char *const categories[CAT_COUNT] = {
    "memorial_hall", "museum",         "martyrs_cemetery", "former_site",
    "monument",      "education_base", "study_station",    "training_school",
};

/* Queryable i < SITE_NFIELDS is text field i (site_field_names). */
static const struct cql2_queryable queryables[SITE_NFIELDS + 1] = {
    [SITE_ID] = {"id", CQL2_STRING, NULL, 0},
    [SITE_NAME_ZH] = {"name_zh", CQL2_STRING, NULL, 0},
    [SITE_NAME_EN] = {"name_en", CQL2_STRING, NULL, 0},
    [SITE_CATEGORY] = {"category", CQL2_STRING, categories, CAT_COUNT},
    [SITE_COUNTY] = {"county", CQL2_STRING, NULL, 0},
    [SITE_TOWN] = {"town", CQL2_STRING, NULL, 0},
    [SITE_ADDRESS] = {"address", CQL2_STRING, NULL, 0},
    [SITE_DESCRIPTION] = {"description", CQL2_STRING, NULL, 0},
    [SITE_OPENING_HOURS] = {"opening_hours", CQL2_STRING, NULL, 0},
    [SITE_COORD_SOURCE] = {"coord_source", CQL2_STRING, NULL, 0},
    [SITE_CONFIDENCE] = {"confidence", CQL2_STRING, NULL, 0},
    [SITE_SOURCE_URL] = {"source_url", CQL2_STRING, NULL, 0},
    [FEAT_FILTER_GEOMETRY] = {"geometry", CQL2_GEOMETRY, NULL, 0},
};

static const struct cql2_schema schema = {queryables, SITE_NFIELDS + 1};

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

static void site_get(const void *rec, size_t qi, struct cql2_value *out)
{
	const struct site *s = rec;
	if (qi == FEAT_FILTER_GEOMETRY) {
		out->type = CQL2_VPOINT;
		out->lon = s->lon;
		out->lat = s->lat;
		return;
	}
	const char *v = s->field[qi];
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

struct select_ctx {
	const struct snapshot *snap;
	const struct cql2 *f;
	struct feat_page *out;
	size_t cap, evaluated;
};

static bool select_visit(uint32_t i, void *vctx)
{
	struct select_ctx *c = vctx;
	c->evaluated++;
	if (!feat_filter_match(c->f, &c->snap->sites[i]))
		return true;
	if (c->out->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->out->idx = xrealloc(c->out->idx, c->cap * sizeof *c->out->idx);
	}
	c->out->idx[c->out->n++] = i;
	return true;
}

void feat_filter_select(const struct snapshot *snap, const struct cql2 *f, struct feat_page *out,
                        size_t *evaluated)
{
	memset(out, 0, sizeof *out);
	struct select_ctx c = {.snap = snap, .f = f, .out = out};
	struct cql2_box box;
	switch (cql2_bbox(f, &box)) {
	case CQL2_BBOX_EMPTY: break;
	case CQL2_BBOX_BOX:
		/* The index visits in increasing index order, which is id order. */
		sindex_bbox(snap->index, box.west, box.south, box.east, box.north, select_visit, &c);
		break;
	case CQL2_BBOX_ALL:
		for (size_t i = 0; i < snap->n; i++)
			select_visit((uint32_t)i, &c);
		break;
	}
	out->matched = out->n;
	if (evaluated)
		*evaluated = c.evaluated;
}

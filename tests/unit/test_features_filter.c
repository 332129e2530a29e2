/* test_features_filter.c - CQL2 over the sites: the queryables agree with
 * the data model, empty fields are NULL, a value outside the category
 * enum matches nothing, filter-crs and coordsys literals land on the
 * sites, and selecting through the spatial index gives the same sites as
 * evaluating every one while evaluating only those in the filter's box. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "features/filter.h"
#include "util/mem.h"

/* The grid of the pruning test: GRID_N x GRID_N sites 0.01 degrees apart. */
#define GRID_N 100
#define GRID_STEP 0.01
#define GRID_LON0 117.5
#define GRID_LAT0 36.5

static void add(struct site_set *set, const char *id, const char *en, enum site_category cat,
                const char *town, double lat, double lon)
{
	struct site_draft s = {0};
	s.field[SITE_ID] = id;
	s.field[SITE_NAME_EN] = en;
	s.field[SITE_NAME_ZH] = "";
	s.field[SITE_CATEGORY] = site_category_name(cat);
	s.field[SITE_TOWN] = town;
	s.category = cat;
	s.lat = lat;
	s.lon = lon;
	site_set_add(set, &s);
}

static struct snapshot *sample(void)
{
	struct site_set *set = site_set_new();
	add(set, "zb-hall", "Heitieshan Memorial Hall", CAT_MEMORIAL_HALL, "", 36.849547, 118.160735);
	add(set, "zb-museum", "Qi Culture Museum", CAT_MUSEUM, "齐都镇", 36.85, 118.3);
	add(set, "gt-cemetery", "Gaotai Martyrs Cemetery", CAT_MARTYRS_CEMETERY, "城关镇", 39.379379,
	    99.826863);
	add(set, "gt-hall", "Memorial Hall of the Western Route Army", CAT_MEMORIAL_HALL, "城关镇", 39.379379,
	    99.826863);
	{
		struct site_draft d; /* placed at the county's centre: unknown, 50 km */
		site_draft_of(&set->v[set->n - 1], &d);
		d.quality = SITE_QUALITY_UNKNOWN;
		d.uncertainty_m = 50000;
		struct site changed = *site_set_add(set, &d);
		set->n--;
		set->v[set->n - 1] = changed;
	}
	add(set, "zb-monument", "Monument", CAT_MONUMENT, "", 36.9, 118.1);
	struct ms_error err = {0};
	struct snapshot *snap = snapshot_new(set, &err);
	CHECK_MSG(snap != NULL, "%s", err.msg);
	return snap;
}

static struct cql2 *parse(const char *s, const struct feat_filter_opts *o)
{
	struct feat_filter_opts text = {.lang = CQL2_TEXT, .cs = COORDSYS_WGS84};
	struct ms_error err = {0};
	struct cql2 *f = NULL;
	CHECK_MSG(feat_filter_parse(s, strlen(s), o ? o : &text, &f, &err) == MS_OK, "%s: %s", s, err.msg);
	return f;
}

/* The ids the filter selects, comma-joined ("-" for none); checks that
 * the index-pruned selection equals evaluating every site. */
static const char *selected(const struct snapshot *snap, const char *filter, const struct feat_filter_opts *o)
{
	static char out[512];
	strcpy(out, "?");
	struct cql2 *f = parse(filter, o);
	if (!f)
		return out;
	struct feat_page page;
	feat_filter_select(snap, f, &page, NULL);
	out[0] = '\0';
	size_t brute = 0;
	for (size_t i = 0; i < snap->n; i++)
		if (feat_filter_match(f, &snap->sites[i])) {
			CHECK_MSG(brute < page.n && page.idx[brute] == i,
			          "%s: index selection differs at site %zu", filter, i);
			brute++;
		}
	CHECK_INT(brute, page.n);
	CHECK_INT(page.matched, page.n);
	for (size_t k = 0; k < page.n; k++) {
		if (k)
			strcat(out, ",");
		strcat(out, site_field(&snap->sites[page.idx[k]], SITE_ID));
	}
	if (!page.n)
		strcpy(out, "-");
	feat_page_free(&page);
	cql2_free(f);
	return out;
}

static void test_schema(void)
{
	const struct cql2_schema *sc = feat_filter_schema();
	CHECK_INT(sc->n, FEAT_FILTER_NQUERYABLES);
	for (int f = 0; f < SITE_NFIELDS; f++) {
		CHECK_STR(sc->q[f].name, site_field_names[f]);
		CHECK_INT(sc->q[f].type, CQL2_STRING);
	}
	CHECK_STR(sc->q[FEAT_FILTER_GEOMETRY].name, "geometry");
	CHECK_INT(sc->q[FEAT_FILTER_GEOMETRY].type, CQL2_GEOMETRY);
	CHECK_STR(sc->q[FEAT_FILTER_QUALITY].name, SITE_COLUMN_QUALITY);
	CHECK_INT(sc->q[FEAT_FILTER_QUALITY].type, CQL2_STRING);
	CHECK_STR(sc->q[FEAT_FILTER_UNCERTAINTY].name, SITE_COLUMN_UNCERTAINTY);
	CHECK_INT(sc->q[FEAT_FILTER_UNCERTAINTY].type, CQL2_NUMBER);
	const struct cql2_queryable *cat = &sc->q[SITE_CATEGORY];
	CHECK_INT(cat->n_enum, CAT_COUNT);
	for (int c = 0; c < CAT_COUNT && c < (int)cat->n_enum; c++)
		CHECK_STR(cat->enum_values[c], site_category_name((enum site_category)c));
	const struct cql2_queryable *qual = &sc->q[FEAT_FILTER_QUALITY];
	CHECK_INT(qual->n_enum, SITE_QUALITY_COUNT);
	for (int q = 0; q < SITE_QUALITY_COUNT && q < (int)qual->n_enum; q++)
		CHECK_STR(qual->enum_values[q], site_quality_name((enum site_quality)q));
	for (size_t i = 0; i < sc->n; i++)
		if (i != SITE_CATEGORY && i != FEAT_FILTER_QUALITY)
			CHECK(sc->q[i].enum_values == NULL && sc->q[i].n_enum == 0);

	/* /queryables says the same: every queryable, with its type and enum */
	struct buf b = BUF_INIT;
	struct jsonw w;
	jw_init(&w, &b);
	jw_object_begin(&w);
	feat_write_queryables(&w);
	jw_object_end(&w);
	json_t *doc = json_loads(buf_str(&b), JSON_REJECT_DUPLICATES, NULL);
	CHECK_MSG(json_is_object(doc), "not a JSON object: %s", buf_str(&b));
	CHECK_INT(json_object_size(doc), sc->n);
	for (size_t i = 0; i < sc->n; i++) {
		json_t *q = json_object_get(doc, sc->q[i].name);
		CHECK_MSG(q != NULL, "%s missing", sc->q[i].name);
		if (!q)
			continue;
		if (sc->q[i].type == CQL2_GEOMETRY)
			CHECK_STR(json_string_value(json_object_get(q, "format")), "geometry-point");
		else
			CHECK_STR(json_string_value(json_object_get(q, "type")),
			          cql2_type_name(sc->q[i].type));
		CHECK_INT(json_array_size(json_object_get(q, "enum")), sc->q[i].n_enum);
		CHECK(json_string_value(json_object_get(q, "description")) != NULL);
	}
	json_decref(doc);
	buf_free(&b);
}

static void test_filters(void)
{
	struct snapshot *snap = sample();
	/* Ids in id order: gt-cemetery, gt-hall, zb-hall, zb-monument, zb-museum. */
	CHECK_STR(selected(snap, "category = 'memorial_hall'", NULL), "gt-hall,zb-hall");
	CHECK_STR(selected(snap, "category = 'memorial_hall' OR category = 'museum'", NULL),
	          "gt-hall,zb-hall,zb-museum");
	CHECK_STR(selected(snap, "category IN ('museum', 'monument')", NULL), "zb-monument,zb-museum");
	/* the position's quality and radius are queryables too (sample: every
	 * site "surveyed" with radius 0 but gt-hall, "unknown" within 50 km) */
	CHECK_STR(selected(snap, "position_quality = 'unknown' AND position_uncertainty_m > 10", NULL),
	          "gt-hall");
	CHECK_STR(selected(snap, "position_quality <> 'surveyed'", NULL), "gt-hall");
	CHECK_STR(selected(snap, "position_uncertainty_m < 1 AND category = 'memorial_hall'", NULL),
	          "zb-hall");
	/* A value outside the enum is no error: it matches nothing. */
	CHECK_STR(selected(snap, "category = 'memorial'", NULL), "-");
	CHECK_STR(selected(snap, "category IN ('memorial', 'museum')", NULL), "zb-museum");
	/* "" is NULL: IS NULL finds it, and a comparison with it is unknown. */
	CHECK_STR(selected(snap, "town IS NULL", NULL), "zb-hall,zb-monument");
	CHECK_STR(selected(snap, "town <> '城关镇'", NULL), "zb-museum");
	CHECK_STR(selected(snap, "NOT town = '城关镇'", NULL), "zb-museum");
	CHECK_STR(selected(snap, "name_zh IS NULL", NULL),
	          "gt-cemetery,gt-hall,zb-hall,zb-monument,zb-museum");
	CHECK_STR(selected(snap, "CASEI(name_en) LIKE '%memorial hall%'", NULL), "gt-hall,zb-hall");
	CHECK_STR(selected(snap, "id LIKE 'zb-%' AND category <> 'monument'", NULL), "zb-hall,zb-museum");
	CHECK_STR(selected(snap, "S_INTERSECTS(geometry, BBOX(118, 36.8, 118.2, 36.95))", NULL),
	          "zb-hall,zb-monument");
	CHECK_STR(selected(snap, "S_INTERSECTS(geometry, POINT(99.826863 39.379379))", NULL),
	          "gt-cemetery,gt-hall");
	CHECK_STR(selected(snap,
	                   "S_WITHIN(geometry, POLYGON((118 36, 119 36, 119 37, 118 37, 118 36))) AND "
	                   "category = 'memorial_hall'",
	                   NULL),
	          "zb-hall");
	CHECK_STR(selected(snap, "S_DISJOINT(geometry, BBOX(90, 30, 110, 45))", NULL),
	          "zb-hall,zb-monument,zb-museum");
	CHECK_STR(selected(snap, "FALSE", NULL), "-");

	/* cql2-json, and filter-crs EPSG:4326 (lat lon). */
	struct feat_filter_opts json = {.lang = CQL2_JSON, .cs = COORDSYS_WGS84};
	CHECK_STR(
	    selected(snap,
	             "{\"op\":\"and\",\"args\":[{\"op\":\"=\",\"args\":[{\"property\":\"category\"},"
	             "\"memorial_hall\"]},{\"op\":\"s_intersects\",\"args\":[{\"property\":\"geometry\"},"
	             "{\"bbox\":[99,39,100,40]}]}]}",
	             &json),
	    "gt-hall");
	struct feat_filter_opts latlon = {.lang = CQL2_TEXT, .lat_first = true, .cs = COORDSYS_WGS84};
	CHECK_STR(selected(snap, "S_INTERSECTS(geometry, BBOX(36.8, 118, 36.95, 118.2))", &latlon),
	          "zb-hall,zb-monument");

	/* A box drawn in GCJ-02 around where an AMap user sees the hall: with
	 * coordsys=gcj02 it finds the hall; read as WGS-84 it is some 500 m
	 * off and finds nothing. */
	double glat, glon;
	coordsys_from_wgs84(COORDSYS_GCJ02, 36.849547, 118.160735, &glat, &glon);
	char box[256];
	snprintf(box, sizeof box, "S_INTERSECTS(geometry, BBOX(%.6f, %.6f, %.6f, %.6f))", glon - 0.0001,
	         glat - 0.0001, glon + 0.0001, glat + 0.0001);
	struct feat_filter_opts gcj = {.lang = CQL2_TEXT, .cs = COORDSYS_GCJ02};
	CHECK_STR(selected(snap, box, &gcj), "zb-hall");
	CHECK_STR(selected(snap, box, NULL), "-");

	/* Errors say what the sites' queryables are. */
	struct ms_error err = {0};
	struct cql2 *f = NULL;
	struct feat_filter_opts text = {.lang = CQL2_TEXT, .cs = COORDSYS_WGS84};
	CHECK(feat_filter_parse("rank = 'national'", 17, &text, &f, &err) == MS_EUSAGE && !f);
	CHECK_MSG(
	    strstr(err.msg, "unknown property \"rank\" (the queryables are: id, name_zh, name_en, category,"),
	    "%s", err.msg);
	CHECK(feat_filter_parse("lat > 30", 8, &text, &f, &err) == MS_EUSAGE && !f);
	snapshot_release(snap);
}

/* Pruning: on a grid of sites, a filter with a small box is evaluated on
 * the sites in that box only - counted, not timed. */
static void test_pruning(void)
{
	struct site_set *set = site_set_new();
	char id[32];
	for (int i = 0; i < GRID_N; i++)
		for (int j = 0; j < GRID_N; j++) {
			snprintf(id, sizeof id, "g%03d-%03d", i, j);
			add(set, id, "", (enum site_category)((i + j) % CAT_COUNT), "",
			    GRID_LAT0 + i * GRID_STEP, GRID_LON0 + j * GRID_STEP);
		}
	struct ms_error err = {0};
	struct snapshot *snap = snapshot_new(set, &err);
	CHECK_MSG(snap != NULL, "%s", err.msg);
	if (!snap)
		return;
	static const struct {
		const char *filter;
		size_t evaluated, matched;
	} cases[] = {
	    /* 10 x 10 sites in the box (edges included, at 0.005 past a row). */
	    {"S_INTERSECTS(geometry, BBOX(117.595, 36.595, 117.695, 36.695))", 100, 100},
	    {"S_WITHIN(geometry, BBOX(117.595, 36.595, 117.695, 36.695)) AND category = 'museum'", 100, 12},
	    {"category = 'museum'", GRID_N * GRID_N, GRID_N * GRID_N / CAT_COUNT},
	    {"S_INTERSECTS(geometry, BBOX(117.595, 36.595, 117.695, 36.695)) OR "
	     "S_INTERSECTS(geometry, BBOX(117.895, 36.595, 117.995, 36.695))",
	     400, 200},
	    {"S_INTERSECTS(geometry, BBOX(117.595, 36.595, 117.695, 36.695)) AND "
	     "S_INTERSECTS(geometry, BBOX(117.895, 36.595, 117.995, 36.695))",
	     0, 0},
	    {"S_INTERSECTS(geometry, POLYGON((117.595 36.595, 117.695 36.595, 117.595 36.695, 117.595 "
	     "36.595)))",
	     100, 55},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct cql2 *f = parse(cases[k].filter, NULL);
		if (!f)
			continue;
		struct feat_page page;
		size_t evaluated = 0;
		feat_filter_select(snap, f, &page, &evaluated);
		CHECK_MSG(evaluated == cases[k].evaluated, "%s: evaluated %zu sites, expected %zu",
		          cases[k].filter, evaluated, cases[k].evaluated);
		CHECK_MSG(page.n == cases[k].matched, "%s: %zu sites, expected %zu", cases[k].filter, page.n,
		          cases[k].matched);
		for (size_t i = 1; i < page.n; i++)
			CHECK(page.idx[i - 1] < page.idx[i]);
		feat_page_free(&page);
		cql2_free(f);
	}
	snapshot_release(snap);
}

int main(void)
{
	test_schema();
	test_filters();
	test_pruning();
	return CHECK_DONE();
}

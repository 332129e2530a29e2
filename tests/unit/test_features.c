/* test_features.c - the query engine: parsers, filters, paging, sorting,
 * nearest and the GeoJSON writer, on a small in-memory site set; and the
 * name index's answers against the scan it replaced, on a larger one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "features/features.h"
#include "features/filter.h"
#include "util/mem.h"

static void add(struct site_set *set, const char *id, const char *zh, const char *en, enum site_category cat,
                double lat, double lon, const char *extra)
{
	struct site_draft s = {0};
	s.field[SITE_ID] = id;
	s.field[SITE_NAME_ZH] = zh;
	s.field[SITE_NAME_EN] = en;
	s.field[SITE_CATEGORY] = site_category_name(cat);
	s.category = cat;
	s.lat = lat;
	s.lon = lon;
	/* a street-level point, as the bundled data's mini-program points */
	s.quality = SITE_QUALITY_STREET;
	s.uncertainty_m = 100;
	s.extra = extra;
	site_set_add(set, &s);
}

static struct snapshot *sample(void)
{
	struct site_set *set = site_set_new();
	/* Added out of id order on purpose: the snapshot sorts by id. */
	add(set, "d-hall", "黑铁山纪念馆", "Heitieshan Memorial Hall", CAT_MEMORIAL_HALL, 36.849547,
	    118.160735, "{\"phone\":\"0533\"}");
	add(set, "a-site", "太平庄旧址", "Taipingzhuang former site", CAT_FORMER_SITE, 36.849547, 118.160735,
	    NULL);
	add(set, "c-museum", "齐文化博物馆", "Qi Culture Museum", CAT_MUSEUM, 36.85, 118.3, NULL);
	add(set, "b-cemetery", "高台烈士陵园", "Gaotai Martyrs Cemetery", CAT_MARTYRS_CEMETERY, 39.379379,
	    99.826863, NULL);
	add(set, "e-monument", "纪念碑", "Monument", CAT_MONUMENT, 36.9, 118.1, NULL);
	struct ms_error err = {0};
	struct snapshot *snap = snapshot_new(set, &err);
	CHECK_MSG(snap != NULL, "%s", err.msg);
	return snap;
}

static void test_parsers(void)
{
	struct ms_error err = {0};
	feat_catmask m = 0;
	CHECK_INT(feat_parse_categories("museum", &m, &err), MS_OK);
	CHECK_INT(m, 1u << CAT_MUSEUM);
	CHECK_INT(feat_parse_categories("museum,memorial_hall", &m, &err), MS_OK);
	CHECK_INT(m, (1u << CAT_MUSEUM) | (1u << CAT_MEMORIAL_HALL));
	CHECK_INT(feat_parse_categories("museum,castle", &m, &err), MS_EUSAGE);
	CHECK(strstr(err.msg, "'castle'") != NULL);
	CHECK_INT(feat_parse_categories("museum,", &m, &err), MS_EUSAGE);
	CHECK_INT(feat_parse_categories("", &m, &err), MS_EUSAGE);

	double b[4];
	CHECK_INT(feat_parse_bbox("118,36.5,118.5,37", b, &err), MS_OK);
	CHECK_NEAR(b[0], 118, 0);
	CHECK_NEAR(b[1], 36.5, 0);
	CHECK_NEAR(b[3], 37, 0);
	CHECK_INT(feat_parse_bbox("-1.5e1,-2,3,4", b, &err), MS_OK);
	CHECK_NEAR(b[0], -15, 0);
	CHECK_INT(feat_parse_bbox("1,2,3", b, &err), MS_EUSAGE);
	CHECK_INT(feat_parse_bbox("1,2,3,4,5", b, &err), MS_EUSAGE);
	CHECK_INT(feat_parse_bbox("1,2,nan,4", b, &err), MS_EUSAGE);
	CHECK(strstr(err.msg, "'nan'") != NULL);
	CHECK_INT(feat_parse_bbox("1,2,1e999,4", b, &err), MS_EUSAGE);
	CHECK_INT(feat_parse_bbox("0x10,2,3,4", b, &err), MS_EUSAGE);
	CHECK_INT(feat_parse_bbox("1,,3,4", b, &err), MS_EUSAGE);
}

/* The ids of a page, comma-joined. */
static const char *page_ids(const struct snapshot *snap, const struct feat_page *p)
{
	static char out[256];
	out[0] = '\0';
	for (size_t i = 0; i < p->n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, site_field(&snap->sites[p->idx[i]], SITE_ID));
	}
	return out;
}

static void test_items(const struct snapshot *snap)
{
	struct ms_error err = {0};
	struct feat_page p;
	struct feat_query q = {.limit = 10};
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_OK);
	CHECK_INT(p.matched, 5);
	CHECK_STR(page_ids(snap, &p), "a-site,b-cemetery,c-museum,d-hall,e-monument");
	feat_page_free(&p);

	q.limit = 2, q.offset = 1;
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_OK);
	CHECK_INT(p.matched, 5);
	CHECK_STR(page_ids(snap, &p), "b-cemetery,c-museum");
	feat_page_free(&p);
	q.offset = 4;
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "e-monument");
	feat_page_free(&p);
	q.offset = 9;
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_OK);
	CHECK_INT(p.n, 0);
	CHECK_INT(p.matched, 5);
	feat_page_free(&p);

	struct feat_query qc = {.limit = 10, .categories = (1u << CAT_MUSEUM) | (1u << CAT_MONUMENT)};
	CHECK_INT(feat_items(snap, &qc, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "c-museum,e-monument");
	feat_page_free(&p);

	struct feat_query qq = {.limit = 10, .q = "MEMORIAL"};
	CHECK_INT(feat_items(snap, &qq, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "d-hall");
	feat_page_free(&p);
	qq.q = "纪念";
	CHECK_INT(feat_items(snap, &qq, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "d-hall,e-monument");
	feat_page_free(&p);
	qq.q = "\xff\xfe";
	CHECK_INT(feat_items(snap, &qq, &p, &err), MS_EUSAGE);
	qq.q = "\xe7\xba"; /* a truncated three-byte sequence */
	CHECK_INT(feat_items(snap, &qq, &p, &err), MS_EUSAGE);

	/* A box around Zibo: everything but Gaotai. */
	struct feat_query qb = {
	    .limit = 10, .has_bbox = true, .west = 118, .south = 36.8, .east = 118.2, .north = 36.95};
	CHECK_INT(feat_items(snap, &qb, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "a-site,d-hall,e-monument");
	feat_page_free(&p);
	qb.south = 37, qb.north = 36; /* south > north */
	CHECK_INT(feat_items(snap, &qb, &p, &err), MS_EUSAGE);

	/* The same sites in GCJ-02 lie some hundreds of metres north-east; a
	 * tight GCJ-02 box around the GCJ-02 position of d-hall finds it and
	 * its coincident a-site, and the same box read as WGS-84 does not. */
	double glat, glon;
	wgs84_to_gcj02(36.849547, 118.160735, &glat, &glon);
	CHECK(fabs(glat - 36.849547) > 0.0005 || fabs(glon - 118.160735) > 0.0005);
	struct feat_query qg = {.limit = 10,
	                        .has_bbox = true,
	                        .cs = COORDSYS_GCJ02,
	                        .west = glon - 1e-4,
	                        .south = glat - 1e-4,
	                        .east = glon + 1e-4,
	                        .north = glat + 1e-4};
	CHECK_INT(feat_items(snap, &qg, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "a-site,d-hall");
	feat_page_free(&p);
	qg.cs = COORDSYS_WGS84;
	CHECK_INT(feat_items(snap, &qg, &p, &err), MS_OK);
	CHECK_INT(p.matched, 0);
	feat_page_free(&p);
}

static struct cql2 *parse_filter(const char *text)
{
	struct feat_filter_opts o = {.lang = CQL2_TEXT, .cs = COORDSYS_WGS84};
	struct cql2 *f = NULL;
	struct ms_error err = {0};
	CHECK_MSG(feat_filter_parse(text, strlen(text), &o, &f, &err) == MS_OK, "%s: %s", text, err.msg);
	return f;
}

/* The ids of a query's page, sorted by keys. */
static const char *sorted_ids(const struct snapshot *snap, const struct feat_sort_key *keys, size_t n,
                              size_t offset, size_t limit)
{
	struct feat_query q = {.sort = keys, .nsort = n, .offset = offset, .limit = limit};
	struct feat_page p;
	struct ms_error err = {0};
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_OK);
	CHECK_INT(p.matched, 5);
	const char *ids = page_ids(snap, &p);
	feat_page_free(&p);
	return ids;
}

static void test_sort(const struct snapshot *snap)
{
	CHECK_INT(feat_sortables[SITE_NCOLUMNS], 0);
	for (int c = 0; c < SITE_NCOLUMNS; c++)
		CHECK_STR(feat_sortables[c], site_columns[c].name);
	enum { NAME_EN = 2, CATEGORY = 3, TOWN = 5, LAT = 10, QUALITY = 14 };
	CHECK_STR(site_columns[NAME_EN].name, "name_en");
	CHECK_STR(site_columns[LAT].name, "lat");
	CHECK_STR(site_columns[QUALITY].name, SITE_COLUMN_QUALITY);
	/* names by code point: capitals before lower case */
	struct feat_sort_key by_name[] = {{NAME_EN, false}};
	CHECK_STR(sorted_ids(snap, by_name, 1, 0, 10), "b-cemetery,d-hall,e-monument,c-museum,a-site");
	by_name[0].desc = true;
	CHECK_STR(sorted_ids(snap, by_name, 1, 0, 10), "a-site,c-museum,e-monument,d-hall,b-cemetery");
	/* pages of a sorted answer follow each other */
	CHECK_STR(sorted_ids(snap, by_name, 1, 1, 2), "c-museum,e-monument");
	CHECK_STR(sorted_ids(snap, by_name, 1, 4, 2), "b-cemetery");
	CHECK_STR(sorted_ids(snap, by_name, 1, 7, 2), "");
	/* ties (the coincident a-site and d-hall) go to id order, whatever the direction */
	struct feat_sort_key by_lat[] = {{LAT, true}};
	CHECK_STR(sorted_ids(snap, by_lat, 1, 0, 10), "b-cemetery,e-monument,c-museum,a-site,d-hall");
	/* a second key breaks the first's ties */
	struct feat_sort_key lat_then_name[] = {{LAT, true}, {NAME_EN, true}};
	CHECK_STR(sorted_ids(snap, lat_then_name, 2, 0, 10), "b-cemetery,e-monument,c-museum,a-site,d-hall");
	struct feat_sort_key lat_then_name_asc[] = {{LAT, false}, {NAME_EN, false}};
	CHECK_STR(sorted_ids(snap, lat_then_name_asc, 2, 0, 10),
	          "d-hall,a-site,c-museum,e-monument,b-cemetery");
	struct feat_sort_key by_category[] = {{CATEGORY, false}};
	CHECK_STR(sorted_ids(snap, by_category, 1, 0, 10), "a-site,b-cemetery,d-hall,e-monument,c-museum");
	/* every town is missing: missing text is last either way, so ids decide */
	struct feat_sort_key by_town[] = {{TOWN, true}};
	CHECK_STR(sorted_ids(snap, by_town, 1, 0, 10), "a-site,b-cemetery,c-museum,d-hall,e-monument");

	struct feat_sort_key bad[] = {{SITE_NCOLUMNS, false}};
	struct feat_query q = {.sort = bad, .nsort = 1, .limit = 10};
	struct feat_page p;
	struct ms_error err = {0};
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_EUSAGE);
	CHECK(strstr(err.msg, "sortby") != NULL);
}

/* A missing text sorts after every present one, ascending and descending. */
static void test_sort_missing(void)
{
	struct site_set *set = site_set_new();
	add(set, "a", "甲", "", CAT_MUSEUM, 36, 118, NULL);
	add(set, "b", "乙", "Beta", CAT_MUSEUM, 36, 118, NULL);
	add(set, "c", "丙", "Alpha", CAT_MUSEUM, 36, 118, NULL);
	struct ms_error err = {0};
	struct snapshot *snap = snapshot_new(set, &err);
	if (!snap)
		return;
	struct feat_sort_key k = {2, false};
	struct feat_query q = {.sort = &k, .nsort = 1, .limit = 10};
	struct feat_page p;
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "c,b,a");
	feat_page_free(&p);
	k.desc = true;
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "b,c,a");
	feat_page_free(&p);
	snapshot_release(snap);
}

/* CQL2 and categories on items: the filter's box bounds the sites looked
 * at; a name that is no category (the bit past the last) matches nothing. */
static void test_items_filter(const struct snapshot *snap)
{
	struct ms_error err = {0};
	struct feat_page p;
	struct cql2 *f = parse_filter("category = 'memorial_hall' OR name_en LIKE 'Qi%'");
	struct feat_query q = {.filter = f, .limit = 10};
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "c-museum,d-hall");
	CHECK_INT(p.examined, 5); /* no box: every site */
	feat_page_free(&p);
	cql2_free(f);

	f = parse_filter("S_INTERSECTS(geometry, BBOX(99, 39, 100, 40))");
	q.filter = f;
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "b-cemetery");
	CHECK_INT(p.examined, 1); /* only Gaotai is in the filter's box */
	feat_page_free(&p);
	/* with bbox, the bbox bounds the work and both must hold */
	q.has_bbox = true, q.west = 118, q.south = 36.8, q.east = 118.4, q.north = 36.95;
	CHECK_INT(feat_items(snap, &q, &p, &err), MS_OK);
	CHECK_INT(p.matched, 0);
	CHECK_INT(p.examined, 4);
	feat_page_free(&p);
	cql2_free(f);

	f = parse_filter("FALSE");
	struct feat_query qf = {.filter = f, .limit = 10};
	CHECK_INT(feat_items(snap, &qf, &p, &err), MS_OK);
	CHECK_INT(p.matched, 0);
	CHECK_INT(p.examined, 0);
	feat_page_free(&p);
	cql2_free(f);

	struct feat_query qc = {.limit = 10, .categories = 1u << CAT_COUNT};
	CHECK_INT(feat_items(snap, &qc, &p, &err), MS_OK);
	CHECK_INT(p.matched, 0);
	feat_page_free(&p);
	struct feat_sort_key by_id = {0, true}; /* sorting nothing is nothing */
	qc.sort = &by_id, qc.nsort = 1;
	CHECK_INT(feat_items(snap, &qc, &p, &err), MS_OK);
	CHECK_INT(p.n, 0);
	feat_page_free(&p);
	qc.sort = NULL, qc.nsort = 0;
	qc.categories |= 1u << CAT_MUSEUM;
	CHECK_INT(feat_items(snap, &qc, &p, &err), MS_OK);
	CHECK_STR(page_ids(snap, &p), "c-museum");
	feat_page_free(&p);
}

static void test_nearest(const struct snapshot *snap)
{
	struct ms_error err = {0};
	struct sindex_hit *h;
	size_t n;
	struct feat_nearest_query q = {.lat = 36.85, .lon = 118.1, .limit = 3, .within_m = INFINITY};
	CHECK_INT(feat_nearest(snap, &q, &h, &n, &err), MS_OK);
	CHECK_INT(n, 3);
	/* e-monument (36.9,118.1) is 5.5 km north; the coincident a-site and
	 * d-hall are 5.4 km east, tied and ordered by id. */
	double d_hall = geo_distance_m(36.85, 118.1, 36.849547, 118.160735);
	double d_mon = geo_distance_m(36.85, 118.1, 36.9, 118.1);
	CHECK(d_hall < d_mon);
	CHECK_STR(site_field(&snap->sites[h[0].i], SITE_ID), "a-site");
	CHECK_STR(site_field(&snap->sites[h[1].i], SITE_ID), "d-hall");
	CHECK_STR(site_field(&snap->sites[h[2].i], SITE_ID), "e-monument");
	CHECK_NEAR(h[0].dist_m, d_hall, 1e-6);
	CHECK_NEAR(h[2].dist_m, d_mon, 1e-6);
	CHECK_NEAR(h[2].azi_deg, 0, 1e-6);
	free(h);

	q.within_m = 5500;
	CHECK_INT(feat_nearest(snap, &q, &h, &n, &err), MS_OK);
	CHECK_INT(n, 2);
	free(h);
	q.within_m = INFINITY;
	q.categories = 1u << CAT_MARTYRS_CEMETERY;
	CHECK_INT(feat_nearest(snap, &q, &h, &n, &err), MS_OK);
	CHECK_INT(n, 1);
	CHECK_STR(site_field(&snap->sites[h[0].i], SITE_ID), "b-cemetery");
	free(h);

	/* a name that is no category: nothing, not an error */
	q.categories = 1u << CAT_COUNT;
	CHECK_INT(feat_nearest(snap, &q, &h, &n, &err), MS_OK);
	CHECK_INT(n, 0);
	free(h);
	/* a filter: the nearest sites it selects */
	q.categories = 0;
	struct cql2 *f = parse_filter("name_en LIKE '%Hall%' OR category = 'museum'");
	q.filter = f;
	CHECK_INT(feat_nearest(snap, &q, &h, &n, &err), MS_OK);
	CHECK_INT(n, 2);
	CHECK_STR(site_field(&snap->sites[h[0].i], SITE_ID), "d-hall");
	CHECK_STR(site_field(&snap->sites[h[1].i], SITE_ID), "c-museum");
	free(h);
	q.filter = NULL;
	cql2_free(f);

	q.limit = 0;
	CHECK_INT(feat_nearest(snap, &q, &h, &n, &err), MS_EUSAGE);
	q.limit = FEAT_NEAREST_MAX + 1;
	CHECK_INT(feat_nearest(snap, &q, &h, &n, &err), MS_EUSAGE);
	q.limit = 1;
	q.lat = 91;
	CHECK_INT(feat_nearest(snap, &q, &h, &n, &err), MS_EUSAGE);

	/* A query point given in GCJ-02 is the same place as its WGS-84 one. */
	double glat, glon;
	wgs84_to_gcj02(36.849547, 118.160735, &glat, &glon);
	struct feat_nearest_query qg = {
	    .lat = glat, .lon = glon, .cs = COORDSYS_GCJ02, .limit = 1, .within_m = INFINITY};
	CHECK_INT(feat_nearest(snap, &qg, &h, &n, &err), MS_OK);
	CHECK_INT(n, 1);
	CHECK(h[0].dist_m < 0.01);
	free(h);
}

static void test_writer(const struct snapshot *snap)
{
	const struct site *s = snapshot_find(snap, "d-hall");
	CHECK(s != NULL);
	struct buf b = BUF_INIT;
	struct jsonw w;
	jw_init(&w, &b);
	struct feat_write_opts o = {.cs = COORDSYS_WGS84};
	feat_write_feature(&w, s, &o, NULL);
	CHECK_STR(
	    buf_str(&b),
	    "{\"type\":\"Feature\",\"id\":\"d-hall\",\"geometry\":{\"type\":\"Point\",\"coordinates\":"
	    "[118.160735,36.849547]},\"properties\":{\"id\":\"d-hall\",\"name_zh\":\"黑铁山纪念馆\","
	    "\"name_en\":\"Heitieshan Memorial Hall\",\"category\":\"memorial_hall\",\"county\":null,"
	    "\"town\":null,\"address\":null,\"description\":null,\"opening_hours\":null,"
	    "\"opening_hours_text\":null,\"lat\":36.849547,"
	    "\"lon\":118.160735,\"coord_source\":null,\"confidence\":null,\"position_quality\":\"street\","
	    "\"position_uncertainty_m\":100,\"source_url\":null,\"phone\":\"0533\"}}");

	buf_reset(&b);
	jw_init(&w, &b);
	o.lat_first = true;
	struct sindex_hit hit = {.i = 0, .dist_m = 1234.56, .azi_deg = 359.97};
	feat_write_feature(&w, s, &o, &hit);
	CHECK(strstr(buf_str(&b), "\"coordinates\":[36.849547,118.160735]") != NULL);
	CHECK(strstr(buf_str(&b), "\"distance_m\":1234.6") != NULL);
	CHECK(strstr(buf_str(&b), "\"bearing_deg\":0,") != NULL);

	/* GCJ-02 output is the forward transform of the stored point. */
	buf_reset(&b);
	jw_init(&w, &b);
	struct feat_write_opts og = {.cs = COORDSYS_GCJ02};
	feat_write_feature(&w, s, &og, NULL);
	double glat, glon;
	wgs84_to_gcj02(s->lat, s->lon, &glat, &glon);
	const char *coords = strstr(buf_str(&b), "\"coordinates\":[");
	double wlon = 0, wlat = 0;
	CHECK(coords && sscanf(coords, "\"coordinates\":[%lf,%lf]", &wlon, &wlat) == 2);
	CHECK_NEAR(wlon, glon, 5e-7);
	CHECK_NEAR(wlat, glat, 5e-7);
	/* The published GCJ-02 point of the real hall (data/sites.csv). */
	CHECK_NEAR(wlat, 36.85007, 2e-5);
	CHECK_NEAR(wlon, 118.16673, 2e-5);

	/* The nearest document. */
	buf_reset(&b);
	struct sindex_hit hits[2] = {{.i = 0, .dist_m = 10.04, .azi_deg = 90},
	                             {.i = 3, .dist_m = 20, .azi_deg = 45.25}};
	feat_write_nearest(&b, snap, hits, 2, &(struct feat_write_opts){.cs = COORDSYS_WGS84});
	const char *t = buf_str(&b);
	CHECK(!strncmp(t, "{\"type\":\"FeatureCollection\",\"numberReturned\":2,\"features\":[{", 60));
	CHECK(strstr(t, "\"id\":\"a-site\"") < strstr(t, "\"id\":\"d-hall\""));
	CHECK(strstr(t, "\"distance_m\":10,\"bearing_deg\":90") != NULL);
	CHECK(strstr(t, "\"distance_m\":20,\"bearing_deg\":45.3") != NULL ||
	      strstr(t, "\"bearing_deg\":45.2") != NULL);
	CHECK(t[b.len - 1] == '\n' && t[b.len - 2] == '}');
	buf_free(&b);
}

/* The queryables members of the two position properties parse as JSON
 * Schema: the six qualities in order, the radius's range. */
static void test_position_queryables(void)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	jw_init(&w, &b);
	jw_object_begin(&w);
	feat_write_position_queryables(&w);
	jw_object_end(&w);
	json_t *o = json_loads(buf_str(&b), JSON_REJECT_DUPLICATES, NULL);
	CHECK_MSG(json_is_object(o), "not a JSON object: %s", buf_str(&b));
	json_t *q = json_object_get(o, "position_quality"), *r = json_object_get(o, "position_uncertainty_m");
	CHECK_STR(json_string_value(json_object_get(q, "type")), "string");
	json_t *e = json_object_get(q, "enum");
	CHECK_INT(json_array_size(e), SITE_QUALITY_COUNT);
	for (int i = 0; i < SITE_QUALITY_COUNT; i++)
		CHECK_STR(json_string_value(json_array_get(e, (size_t)i)),
		          site_quality_name((enum site_quality)i));
	CHECK_STR(json_string_value(json_object_get(r, "type")), "number");
	CHECK_NEAR(json_number_value(json_object_get(r, "maximum")), SITE_UNCERTAINTY_MAX_M, 0);
	CHECK_INT(json_integer_value(json_object_get(r, "exclusiveMinimum")), 0);
	CHECK_INT(json_object_size(o), 2);
	json_decref(o);
	buf_free(&b);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static size_t irand(size_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (size_t)(rng_state % n);
}

static double urand(double lo, double hi)
{
	return lo + (hi - lo) * (double)irand(1000000) / 1e6;
}

/* The name index answers q exactly as the scan of every site did: every
 * query is asked twice, of the snapshot and of a copy without its name
 * index, with boxes in WGS-84 and GCJ-02, categories and pages. */
static void test_name_index_same_as_scan(void)
{
	static const char *const zh[] = {"纪念", "馆",   "烈士", "陵园", "博物",
	                                 "旧址", "高台", "淄博", "红军", "西路"};
	static const char *const en[] = {"Memorial", "hall", "MARTYRS", "Cemetery",
	                                 "museum",   "Zibo", "Red",     "Army"};
	static const char *const qs[] = {"纪念馆",   "馆",       "烈士陵", "MEMORIAL hall", "al h", "zi", "z",
	                                 "red army", "博物馆旧", "Cem",    "陵园红军",      "",     "ms"};
	struct site_set *set = site_set_new();
	char id[32], zname[64], ename[96];
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof id, "s%04d", i);
		snprintf(zname, sizeof zname, "%s%s%s", zh[irand(10)], zh[irand(10)], zh[irand(10)]);
		snprintf(ename, sizeof ename, "%s %s", en[irand(8)], en[irand(8)]);
		enum site_category cat = (enum site_category)irand(CAT_COUNT);
		add(set, id, zname, irand(4) ? ename : "", cat, urand(30, 40), urand(110, 120), NULL);
	}
	struct ms_error err = {0};
	struct snapshot *snap = snapshot_new(set, &err);
	CHECK(snap && snapshot_names(snap));
	if (!snap)
		return;
	struct snapshot scan = *snap;
	atomic_init(&scan.names_, NULL);
	int differ = 0;
	size_t total = 0;
	for (int k = 0; k < 400; k++) {
		struct feat_query q = {.limit = 1 + irand(50), .offset = irand(30), .q = qs[irand(13)]};
		if (irand(2)) {
			q.has_bbox = true;
			q.cs = irand(2) ? COORDSYS_GCJ02 : COORDSYS_WGS84;
			q.west = urand(109, 121), q.east = irand(5) ? q.west + urand(0, 5) : urand(109, 121);
			q.south = urand(29, 40), q.north = q.south + urand(0, 5);
		}
		if (irand(3) == 0)
			q.categories = (feat_catmask)(1 + irand(255));
		struct feat_page a, b;
		CHECK_INT(feat_items(snap, &q, &a, &err), MS_OK);
		CHECK_INT(feat_items(&scan, &q, &b, &err), MS_OK);
		total += a.matched;
		differ += a.matched != b.matched || a.n != b.n ||
		          (a.n && memcmp(a.idx, b.idx, a.n * sizeof *a.idx) != 0);
		feat_page_free(&a);
		feat_page_free(&b);
	}
	CHECK_INT(differ, 0);
	CHECK(total > 10000); /* the queries do match things */
	snapshot_release(snap);
}

int main(void)
{
	test_parsers();
	test_position_queryables();
	test_sort_missing();
	struct snapshot *snap = sample();
	if (snap) {
		CHECK_INT(snap->n, 5);
		test_items(snap);
		test_sort(snap);
		test_items_filter(snap);
		test_nearest(snap);
		test_writer(snap);
		snapshot_release(snap);
	}
	test_name_index_same_as_scan();
	return CHECK_DONE();
}

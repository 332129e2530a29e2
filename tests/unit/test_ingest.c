/* test_ingest.c - the CSV and GeoJSON readers: good files field by field,
 * tables of bad inputs (tests/data/ingest/bad_*.txt), all-or-nothing
 * appends, coordinate conversion of GCJ-02 and BD-09 input, and the
 * position columns (given, defaulted, derived from confidence), also
 * through ingest_row_validate alone, as an edit would call it. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "site/site.h"
#include "geo/geo.h"
#include "ingest/ingest.h"
#include "util/buf.h"
#include "util/mem.h"

static const struct site *find(const struct site_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(site_field(&set->v[i], SITE_ID), id) == 0)
			return &set->v[i];
	return NULL;
}

/* Decodes the C escapes of a table line (\n \r \t \" \\ \xNN), $H and $P
 * (the headers the tables' comments describe). */
static void unescape(const char *s, struct buf *out)
{
	buf_reset(out);
	for (; *s; s++) {
		if (s[0] == '$' && s[1] == 'H') {
			buf_puts(out, "id,name_zh,category,lat,lon\n");
			s++;
		} else if (s[0] == '$' && s[1] == 'P') {
			buf_puts(out, "id,name_zh,category,lat,lon,confidence,position_quality,position_"
			              "uncertainty_m\n");
			s++;
		} else if (*s != '\\') {
			buf_putc(out, *s);
		} else {
			s++;
			switch (*s) {
			case 'n': buf_putc(out, '\n'); break;
			case 'r': buf_putc(out, '\r'); break;
			case 't': buf_putc(out, '\t'); break;
			case 'x': {
				char hex[3] = {s[1], s[2], 0};
				buf_putc(out, (char)strtol(hex, NULL, 16));
				s += 2;
				break;
			}
			default: buf_putc(out, *s); break;
			}
		}
	}
}

static struct site_set *set_with_existing(void)
{
	struct site_set *set = site_set_new();
	struct site_draft s = {
	    .field = {[SITE_ID] = "existing", [SITE_NAME_ZH] = "旧", [SITE_CATEGORY] = "museum"},
	    .lat = 10,
	    .lon = 20,
	    .category = CAT_MUSEUM};
	site_set_add(set, &s);
	return set;
}

/* Runs every case of a table file; returns the count run. */
static int run_table(const char *path, bool csv)
{
	FILE *f = fopen(path, "rb");
	CHECK_MSG(f != NULL, "cannot open %s", path);
	if (!f)
		return 0;
	char line[8192];
	int cases = 0;
	struct buf input = BUF_INIT;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		char *tab = strchr(line, '\t');
		CHECK_MSG(tab != NULL, "%s: no TAB in '%s'", path, line);
		if (!tab)
			continue;
		*tab = '\0';
		const char *expect = line;
		unescape(tab + 1, &input);
		struct site_set *set = set_with_existing();
		struct ms_error err = {0};
		enum ms_status st = csv ? ingest_csv("t.csv", input.data ? input.data : "", input.len,
		                                     COORDSYS_WGS84, set, &err)
		                        : ingest_geojson("t.geojson", input.data ? input.data : "", input.len,
		                                         COORDSYS_WGS84, set, &err);
		CHECK_MSG(st == MS_EDATA, "case '%s': status %d", expect, (int)st);
		CHECK_MSG(strstr(err.msg, expect) == err.msg, "case '%s': got '%s'", expect, err.msg);
		CHECK_INT(set->n, 1);
		CHECK_STR(site_field(&set->v[0], SITE_ID), "existing");
		site_set_free(set);
		cases++;
	}
	buf_free(&input);
	fclose(f);
	return cases;
}

static void test_good_csv(void)
{
	struct site_set *set = set_with_existing();
	struct ms_error err = {0};
	CHECK_INT(ingest_file("data/ingest/good.csv", COORDSYS_WGS84, set, &err), MS_OK);
	CHECK_STR(err.msg, "");
	CHECK_INT(set->n, 3);
	const struct site *b = find(set, "zb-b"), *a = find(set, "zb-a");
	CHECK(a && b);
	if (!a || !b)
		return;
	/* The BOM is gone from the first column's name, or "id" would not
	 * have been found at all. */
	CHECK_STR(site_field(b, SITE_NAME_ZH), "乙, 馆");
	CHECK_STR(site_field(b, SITE_NAME_EN), "B \"quoted\" hall");
	CHECK_STR(site_field(b, SITE_CATEGORY), "museum");
	CHECK_INT(b->category, CAT_MUSEUM);
	CHECK_NEAR(b->lat, 36.5, 0);
	CHECK_NEAR(b->lon, 118.25, 0);
	CHECK_STR(site_field(b, SITE_COUNTY), "");
	CHECK_STR(site_field(b, SITE_SOURCE_URL), "");
	/* Unknown columns, in column order, as strings. */
	CHECK_STR(site_extra(b), "{\"website\":\"http://b.example/\",\"rating\":\"4.5\"}");
	CHECK_STR(site_field(a, SITE_NAME_EN), "Line one\r\nline two");
	CHECK_INT(a->category, CAT_MEMORIAL_HALL);
	CHECK_NEAR(a->lat, -1.25, 0);
	CHECK_NEAR(a->lon, -0.5, 0);
	CHECK_STR(site_extra(a), "{\"website\":\"\",\"rating\":\"\"}");
	site_set_free(set);

	/* A file without extra columns gets "{}"; without a final newline
	 * the last record still counts. */
	set = site_set_new();
	const char *csv = "id,name_zh,category,lat,lon\na,甲,museum,+1.5e1,-2.";
	CHECK_INT(ingest_csv("x.csv", csv, strlen(csv), COORDSYS_CGCS2000, set, &err), MS_OK);
	CHECK_INT(set->n, 1);
	CHECK_STR(site_extra(&set->v[0]), "{}");
	CHECK_NEAR(set->v[0].lat, 15.0, 0);
	CHECK_NEAR(set->v[0].lon, -2.0, 0);
	/* Appending a second file checks ids against the first. */
	const char *csv2 = "id,name_zh,category,lat,lon\nb,乙,museum,1,2\na,甲,museum,1,2\n";
	CHECK_INT(ingest_csv("y.csv", csv2, strlen(csv2), COORDSYS_WGS84, set, &err), MS_EDATA);
	CHECK_STR(err.msg, "y.csv:3: id 'a' already exists");
	CHECK_INT(set->n, 1);
	site_set_free(set);
}

/* Reads one CSV text that must load; returns the set (free it). */
static struct site_set *read_ok(const char *csv)
{
	struct site_set *set = site_set_new();
	struct ms_error err = {0};
	CHECK_MSG(ingest_csv("p.csv", csv, strlen(csv), COORDSYS_WGS84, set, &err) == MS_OK, "%s", err.msg);
	return set;
}

static void test_position_columns(void)
{
	/* Given, given without a radius (the quality's default), and absent
	 * (derived from confidence: data/README.md's levels). */
	struct site_set *set =
	    read_ok("id,name_zh,category,lat,lon,confidence,position_quality,position_uncertainty_m\r\n"
	            "a,甲,museum,36,118,exact,county,40000\r\n"
	            "b,乙,museum,36,118,approximate,surveyed,\r\n"
	            "c,丙,museum,36,118,exact,,\r\n"
	            "d,丁,museum,36,118,approximate,,\r\n"
	            "e,戊,museum,36,118,town,,\r\n"
	            "f,己,museum,36,118,,,\r\n"
	            "g,庚,museum,36,118,,street,0.5\r\n"
	            "h,辛,museum,36,118,,unknown,2e7\r\n");
	static const struct {
		const char *id;
		enum site_quality q;
		double m;
	} want[] = {
	    {"a", SITE_QUALITY_COUNTY, 40000}, {"b", SITE_QUALITY_SURVEYED, 30},
	    {"c", SITE_QUALITY_STREET, 200},   {"d", SITE_QUALITY_UNKNOWN, 50000},
	    {"e", SITE_QUALITY_TOWN, 5000},    {"f", SITE_QUALITY_UNKNOWN, 50000},
	    {"g", SITE_QUALITY_STREET, 0.5},   {"h", SITE_QUALITY_UNKNOWN, 2e7},
	};
	CHECK_INT(set->n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct site *s = find(set, want[i].id);
		CHECK_MSG(s && s->quality == want[i].q && site_uncertainty(s) == want[i].m, "site %s: %d, %g",
		          want[i].id, s ? (int)s->quality : -1, s ? site_uncertainty(s) : -1);
		/* the position columns are the model's, not extras */
		CHECK(s && strcmp(site_extra(s), "{}") == 0);
	}
	site_set_free(set);

	/* No position columns at all: the same derivation. */
	set = read_ok(
	    "id,name_zh,category,lat,lon,confidence\na,甲,museum,36,118,exact\nb,乙,museum,36,118,\n");
	CHECK(set->n == 2 && set->v[0].quality == SITE_QUALITY_STREET && site_uncertainty(&set->v[0]) == 200);
	CHECK(set->n == 2 && set->v[1].quality == SITE_QUALITY_UNKNOWN &&
	      site_uncertainty(&set->v[1]) == 50000);
	site_set_free(set);

	/* GeoJSON: a string and a number; null is absent. */
	const char *gj =
	    "{\"type\":\"FeatureCollection\",\"features\":["
	    "{\"type\":\"Feature\",\"id\":\"a\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[118,36]},"
	    "\"properties\":{\"name_zh\":\"甲\",\"category\":\"museum\",\"position_quality\":\"village\","
	    "\"position_uncertainty_m\":1500}},"
	    "{\"type\":\"Feature\",\"id\":\"b\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[118,36]},"
	    "\"properties\":{\"name_zh\":\"乙\",\"category\":\"museum\",\"confidence\":\"exact\","
	    "\"position_quality\":null,\"position_uncertainty_m\":null}}]}";
	set = site_set_new();
	struct ms_error err = {0};
	CHECK_MSG(ingest_geojson("p.geojson", gj, strlen(gj), COORDSYS_WGS84, set, &err) == MS_OK, "%s",
	          err.msg);
	const struct site *a = find(set, "a"), *b = find(set, "b");
	CHECK(a && a->quality == SITE_QUALITY_VILLAGE && site_uncertainty(a) == 1500 &&
	      !strcmp(site_extra(a), "{}"));
	CHECK(b && b->quality == SITE_QUALITY_STREET && site_uncertainty(b) == 200 &&
	      !strcmp(site_extra(b), "{}"));
	site_set_free(set);

	/* The files without the columns. */
	set = set_with_existing();
	CHECK_INT(ingest_file("data/ingest/good.geojson", COORDSYS_WGS84, set, &err), MS_OK);
	for (size_t i = 1; i < set->n; i++)
		CHECK(set->v[i].quality == SITE_QUALITY_UNKNOWN && site_uncertainty(&set->v[i]) == 50000);
	site_set_free(set);
}

/* One record validated on its own, the way an edit (PUT/PATCH) will. */
static void test_row_validate(void)
{
	struct ms_error err = {0};
	struct ingest_row row = {0};
	row.site.field[SITE_ID] = "x";
	row.site.field[SITE_NAME_ZH] = "甲";
	row.site.field[SITE_CATEGORY] = "monument";
	row.site.lat = 36.85007;
	row.site.lon = 118.16673;
	row.quality = "village";
	CHECK_INT(ingest_row_validate(&row, COORDSYS_GCJ02, &err), MS_OK);
	CHECK_INT(row.site.category, CAT_MONUMENT);
	CHECK(row.site.quality == SITE_QUALITY_VILLAGE && row.site.uncertainty_m == 1000);
	CHECK_NEAR(row.site.lat, 36.849547, 1e-6); /* converted */
	CHECK_STR(row.site.field[SITE_TOWN], "");  /* NULL fields become "" */

	row.has_uncertainty = true;
	row.uncertainty_m = 101;
	row.quality = "surveyed";
	CHECK_INT(ingest_row_validate(&row, COORDSYS_WGS84, &err), MS_EDATA);
	CHECK_STR(err.msg,
	          "position_uncertainty_m 101 is more than a 'surveyed' position allows (100 m; use a "
	          "coarser position_quality)");
	row.quality = NULL;
	CHECK_INT(ingest_row_validate(&row, COORDSYS_WGS84, &err), MS_EDATA);
	CHECK(strstr(err.msg, "position_uncertainty_m is given without position_quality") == err.msg);

	/* A text field longer than any reader lets through. */
	struct buf big = BUF_INIT;
	for (int i = 0; i < 70 * 1024; i++)
		buf_putc(&big, 'x');
	row.has_uncertainty = false;
	row.site.field[SITE_DESCRIPTION] = buf_str(&big);
	CHECK_INT(ingest_row_validate(&row, COORDSYS_WGS84, &err), MS_EDATA);
	CHECK_STR(err.msg, "description is longer than 65536 bytes");
	buf_free(&big);
}

static void test_bundled_csv(void)
{
	struct site_set *set = site_set_new();
	struct ms_error err = {0};
	CHECK_INT(ingest_file("../data/sites.csv", COORDSYS_WGS84, set, &err), MS_OK);
	CHECK_INT(set->n, 25);
	const struct site *h = find(set, "zb-heitieshan-memorial");
	CHECK(h != NULL);
	if (h) {
		CHECK_STR(site_field(h, SITE_NAME_ZH), "黑铁山抗日武装起义纪念馆");
		CHECK_STR(site_field(h, SITE_OPENING_HOURS), "Tu-Su 08:30-11:30,13:30-17:30");
		CHECK_STR(site_field(h, SITE_OPENING_HOURS_TEXT), "周二至周日 8:30-11:30, 13:30-17:30");
		CHECK_STR(site_field(h, SITE_CONFIDENCE), "exact");
		CHECK_NEAR(h->lat, 36.849547, 0);
		CHECK_NEAR(h->lon, 118.160735, 0);
		CHECK(h->quality == SITE_QUALITY_STREET && site_uncertainty(h) == 100);
	}
	/* data/README.md explains each row's position; a few of them. */
	static const struct {
		const char *id;
		enum site_quality q;
		double m;
	} rows[] = {
	    {"zb-heitieshan-monument", SITE_QUALITY_VILLAGE, 2000},
	    {"zb-zhu-yanfu-education-base", SITE_QUALITY_VILLAGE, 1000},
	    {"gt-west-route-memorial", SITE_QUALITY_VILLAGE, 1000},
	    {"gt-red-army-locust", SITE_QUALITY_TOWN, 2500},
	    {"gt-red-memory-museum", SITE_QUALITY_COUNTY, 40000},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct site *s = find(set, rows[i].id);
		CHECK_MSG(s && s->quality == rows[i].q && site_uncertainty(s) == rows[i].m, "%s", rows[i].id);
	}
	/* Every row states its position; none is left to the derivation. */
	size_t approximate = 0;
	for (size_t i = 0; i < set->n; i++)
		approximate += site_quality_approximate(set->v[i].quality);
	CHECK_INT(approximate, 14);
	site_set_free(set);
}

static void test_limits(void)
{
	/* A field over the limit is refused, naming its column. */
	size_t big = 70 * 1024;
	struct buf b = BUF_INIT;
	buf_puts(&b, "id,name_zh,category,lat,lon\na,");
	for (size_t i = 0; i < big; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, ",museum,1,2\n");
	struct site_set *set = site_set_new();
	struct ms_error err = {0};
	CHECK_INT(ingest_csv("big.csv", b.data, b.len, COORDSYS_WGS84, set, &err), MS_EDATA);
	CHECK_MSG(strstr(err.msg, "big.csv:2: field 2 name_zh is 71680 bytes") == err.msg, "%s", err.msg);
	/* An unclosed quote stops at the field limit, not at the end of a
	 * large file. */
	buf_reset(&b);
	buf_puts(&b, "id,name_zh,category,lat,lon\na,\"open,museum,1,2\n");
	for (size_t i = 0; i < 10000; i++)
		buf_puts(&b, "b,乙,museum,1,2\n");
	CHECK_INT(ingest_csv("q.csv", b.data, b.len, COORDSYS_WGS84, set, &err), MS_EDATA);
	CHECK_MSG(strstr(err.msg, "q.csv:2: a field longer than") == err.msg, "%s", err.msg);
	CHECK_INT(set->n, 0);
	/* Too many columns. */
	buf_reset(&b);
	buf_puts(&b, "id,name_zh,category,lat,lon");
	for (int i = 0; i < 300; i++)
		buf_printf(&b, ",c%d", i);
	buf_putc(&b, '\n');
	CHECK_INT(ingest_csv("w.csv", b.data, b.len, COORDSYS_WGS84, set, &err), MS_EDATA);
	CHECK_STR(err.msg, "w.csv:1: more than 256 fields");
	buf_free(&b);
	site_set_free(set);
	/* Unknown extension, missing file. */
	set = site_set_new();
	CHECK_INT(ingest_file("data/ingest/bad_rows.txt", COORDSYS_WGS84, set, &err), MS_EUSAGE);
	CHECK_INT(ingest_file("data/ingest/none.csv", COORDSYS_WGS84, set, &err), MS_ENOTFOUND);
	CHECK(strstr(err.msg, "data/ingest/none.csv: ") == err.msg);
	site_set_free(set);
}

static void test_good_geojson(void)
{
	struct site_set *set = set_with_existing();
	struct ms_error err = {0};
	CHECK_INT(ingest_file("data/ingest/good.geojson", COORDSYS_WGS84, set, &err), MS_OK);
	CHECK_STR(err.msg, "");
	CHECK_INT(set->n, 4);
	const struct site *b = find(set, "gt-b"), *n = find(set, "42"), *a = find(set, "gt-a");
	CHECK(a && b && n);
	if (!a || !b || !n)
		return;
	CHECK_NEAR(b->lat, 39.379379, 0);
	CHECK_NEAR(b->lon, 99.826863, 0);
	CHECK_STR(site_field(b, SITE_COUNTY), "高台县");
	CHECK_STR(site_field(b, SITE_OPENING_HOURS), "");
	CHECK_INT(b->category, CAT_MUSEUM);
	/* Kept, keys sorted as the export writes them (so a feature and its
	 * export are one site); "lat" is the model's and is dropped. */
	CHECK_STR(site_extra(b), "{\"meta\":{\"k\":null},\"rank\":2,\"tags\":[\"red\",\"west\"]}");
	CHECK_INT(n->category, CAT_MONUMENT);
	CHECK_STR(site_extra(n), "{}");
	CHECK_NEAR(n->lat, 36.5, 0);
	CHECK_STR(site_field(a, SITE_NAME_ZH), "丙");
	CHECK_STR(site_extra(a), "{\"note\":\"x\"}");
	CHECK_NEAR(a->lon, -0.5, 0);
	site_set_free(set);
}

/* A pretty-printed file: the line of the failing feature, whatever line
 * its bad member is on, and of a "features" that is not an array. */
static void test_geojson_lines(void)
{
	const char *doc = "{\n"
	                  "  \"type\": \"FeatureCollection\",\n"
	                  "  \"features\": [\n"
	                  "    {\"type\": \"Feature\", \"id\": \"a\",\n"
	                  "     \"geometry\": {\"type\": \"Point\", \"coordinates\": [118, 36]},\n"
	                  "     \"properties\": {\"name_zh\": \"甲\", \"category\": \"museum\"}},\n"
	                  "    {\"type\": \"Feature\", \"id\": \"b\",\n"
	                  "     \"geometry\": {\"type\": \"Point\", \"coordinates\": [118, 95]},\n"
	                  "     \"properties\": {\"name_zh\": \"乙\", \"category\": \"museum\"}}\n"
	                  "  ]\n"
	                  "}\n";
	struct site_set *set = site_set_new();
	struct ms_error err = {0};
	CHECK_INT(ingest_geojson("p.geojson", doc, strlen(doc), COORDSYS_WGS84, set, &err), MS_EDATA);
	CHECK_MSG(strncmp(err.msg, "p.geojson:7: feature 1: lat 95", 30) == 0, "%s", err.msg);
	CHECK_INT(set->n, 0);
	const char *flat = "\n\n{\"type\": \"FeatureCollection\",\n \"features\": {}}";
	CHECK_INT(ingest_geojson("q.geojson", flat, strlen(flat), COORDSYS_WGS84, set, &err), MS_EDATA);
	CHECK_STR(err.msg, "q.geojson:4: \"features\" is not an array");
	const char *notfc = "\n  [1, 2]";
	CHECK_INT(ingest_geojson("r.geojson", notfc, strlen(notfc), COORDSYS_WGS84, set, &err), MS_EDATA);
	CHECK_STR(err.msg, "r.geojson:2: not a GeoJSON FeatureCollection");
	site_set_free(set);
}

static void test_coordsys(void)
{
	/* The Heitieshan memorial hall's GCJ-02 point from its source, which
	 * data/sites.csv gives converted as 36.849547, 118.160735. */
	const char *csv = "id,name_zh,category,lat,lon\nh,黑铁山,memorial_hall,36.85007,118.16673\n";
	struct site_set *set = site_set_new();
	struct ms_error err = {0};
	CHECK_INT(ingest_csv("g.csv", csv, strlen(csv), COORDSYS_GCJ02, set, &err), MS_OK);
	CHECK_INT(set->n, 1);
	CHECK_NEAR(set->v[0].lat, 36.849547, 1e-6);
	CHECK_NEAR(set->v[0].lon, 118.160735, 1e-6);
	/* About 530 m west of the input, as the source notes. */
	CHECK_NEAR(geo_distance_m(36.85007, 118.16673, set->v[0].lat, set->v[0].lon), 540, 30);
	site_set_free(set);

	/* BD-09 input: made from a known WGS-84 point, read back to it. */
	double glat, glon, blat, blon;
	wgs84_to_gcj02(39.379379, 99.826863, &glat, &glon);
	gcj02_to_bd09(glat, glon, &blat, &blon);
	char json[512];
	snprintf(json, sizeof json,
	         "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"id\":\"g\","
	         "\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.9f,%.9f]},"
	         "\"properties\":{\"name_zh\":\"高台\",\"category\":\"museum\"}}]}",
	         blon, blat);
	set = site_set_new();
	CHECK_INT(ingest_geojson("b.geojson", json, strlen(json), COORDSYS_BD09, set, &err), MS_OK);
	CHECK_INT(set->n, 1);
	CHECK_NEAR(set->v[0].lat, 39.379379, 1e-6);
	CHECK_NEAR(set->v[0].lon, 99.826863, 1e-6);
	CHECK(geo_distance_m(blat, blon, set->v[0].lat, set->v[0].lon) > 100); /* it did move */
	site_set_free(set);
}

int main(void)
{
	test_good_csv();
	test_bundled_csv();
	test_position_columns();
	test_row_validate();
	test_limits();
	test_good_geojson();
	test_geojson_lines();
	test_coordsys();
	CHECK(run_table("data/ingest/bad_rows.txt", true) >= 40);
	CHECK(run_table("data/ingest/bad_geojson.txt", false) >= 20);
	return CHECK_DONE();
}

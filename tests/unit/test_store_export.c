/* test_store_export.c - `mapsvc export`'s engine: a database exported as
 * CSV or GeoJSON and imported again is the same database.  For each
 * format, a file of awkward values (quotes, commas, CR/LF inside fields,
 * CJK, empty fields, extra properties holding nested JSON, coordinates
 * with 17 significant digits) goes import -> export -> import -> export:
 * the two exports are the same bytes and the two databases' sites are
 * equal field by field.  Also the bundled data, the CSV's exact shape,
 * and what the writers refuse rather than lose. */
#include <jansson.h>
#include <sqlite3.h>
/* after sqlite3.h: spatialite.h uses its types without including it */
#include <spatialite.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/mem.h"

static char dir[256];

typedef enum ms_status (*export_fn)(const struct site_set *, struct buf *, struct ms_error *);
typedef enum ms_status (*read_fn)(const char *, const char *, size_t, enum coordsys, struct site_set *,
                                  struct ms_error *);

/* Extras are JSON objects: equal when they hold the same members, in any
 * order (RFC 8259 §4: names are unordered). */
static bool same_extra(const char *a, const char *b)
{
	json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
	bool eq = ja && jb && json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return eq;
}

static void same_sites(const struct site_set *a, const struct site_set *b, const char *what)
{
	CHECK_MSG(a->n == b->n, "%s: %zu vs %zu sites", what, a->n, b->n);
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		const struct site *x = &a->v[i], *y = &b->v[i];
		for (int f = 0; f < SITE_NFIELDS; f++)
			CHECK_MSG(strcmp(site_field(x, f), site_field(y, f)) == 0,
			          "%s: site %s, %s: \"%s\" vs \"%s\"", what, site_field(x, SITE_ID),
			          site_field_names[f], site_field(x, f), site_field(y, f));
		CHECK_MSG(x->lat == y->lat && x->lon == y->lon, "%s: site %s: %.17g,%.17g vs %.17g,%.17g",
		          what, site_field(x, SITE_ID), x->lat, x->lon, y->lat, y->lon);
		CHECK_MSG(x->category == y->category, "%s: site %s: category", what, site_field(x, SITE_ID));
		CHECK_MSG(x->quality == y->quality && site_uncertainty(x) == site_uncertainty(y),
		          "%s: site %s: position", what, site_field(x, SITE_ID));
		CHECK_MSG(same_extra(site_extra(x), site_extra(y)), "%s: site %s: extra %s vs %s", what,
		          site_field(x, SITE_ID), site_extra(x), site_extra(y));
	}
}

/* Imports set into a new database and loads it back (sorted by id). */
static struct site_set *through_db(const struct site_set *set, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct ms_error err = {0};
	struct site_set *back = NULL;
	CHECK_MSG(store_import(path, set, true, NULL, &err) == MS_OK, "%s", err.msg);
	CHECK_MSG(store_load(path, &back, &err) == MS_OK, "%s", err.msg);
	unlink(path);
	return back ? back : site_set_new();
}

/* import file -> export -> import -> export; returns the first export. */
static char *round_trip(const char *file, read_fn reader, export_fn writer, const char *ext)
{
	struct ms_error err = {0};
	struct site_set *in = site_set_new();
	CHECK_MSG(ingest_file(file, COORDSYS_WGS84, in, &err) == MS_OK, "%s", err.msg);
	struct site_set *db1 = through_db(in, "one.sqlite");
	CHECK_MSG(db1->n == in->n && in->n > 0, "%s: %zu sites read, %zu stored", file, in->n, db1->n);
	struct buf out1 = BUF_INIT, out2 = BUF_INIT;
	CHECK_MSG(writer(db1, &out1, &err) == MS_OK, "%s", err.msg);

	char name[32];
	snprintf(name, sizeof name, "export.%s", ext);
	struct site_set *again = site_set_new();
	CHECK_MSG(reader(name, buf_str(&out1), out1.len, COORDSYS_WGS84, again, &err) == MS_OK, "%s\n%s",
	          err.msg, buf_str(&out1));
	struct site_set *db2 = through_db(again, "two.sqlite");
	CHECK_MSG(writer(db2, &out2, &err) == MS_OK, "%s", err.msg);

	CHECK_MSG(out1.len == out2.len && memcmp(out1.data, out2.data, out1.len) == 0,
	          "%s: the second export differs:\n%s\n---\n%s", file, buf_str(&out1), buf_str(&out2));
	same_sites(db1, db2, file);
	/* and the first import is what the file says (sorted as a load is) */
	site_set_sort_by_id(in);
	same_sites(in, db1, file);

	site_set_free(in);
	site_set_free(again);
	site_set_free(db1);
	site_set_free(db2);
	buf_free(&out2);
	return buf_detach(&out1, NULL);
}

static void test_csv(void)
{
	char *csv = round_trip("data/export/awkward.csv", ingest_csv, ingest_export_csv, "csv");
	/* The documented shape: the model's columns, then the extras sorted;
	 * CRLF; quotes only where needed; no BOM; shortest exact numbers. */
	const char *header =
	    "id,name_zh,name_en,category,county,town,address,description,opening_hours,opening_hours_text,"
	    "lat,lon,"
	    "coord_source,confidence,position_quality,position_uncertainty_m,source_url,empty,meta,"
	    "\"note, with comma\"\r\n";
	CHECK_MSG(strncmp(csv, header, strlen(header)) == 0, "header: %.300s", csv);
	const char *row0 =
	    "\r\naw-0,丁,,training_school,,,,；，。,,,0.0000001,25,,,surveyed,30,,x,null,红色\r\n";
	CHECK_MSG(strstr(csv, row0) != NULL, "row aw-0 in:\n%s", csv);
	const char *row1 =
	    "\r\naw-1,\"甲 \"\"引号\"\", 逗号\",\"Quote \"\"Hall\"\"\",museum,,,,\"line one\r\nline "
	    "two\nline three\",,,36.123456789012344,118.98765432109876,,approximate,village,1234.5,,,"
	    "\"{\"\"k\"\":[1,2,{\"\"x\"\":null}],\"\"s\"\":\"\"引\\\"\"号\"\"}\",\"a,b\"\r\n";
	CHECK_MSG(strstr(csv, row1) != NULL, "row aw-1 in:\n%s", csv);
	/* derived from confidence in the first import, stated from then on */
	CHECK(strstr(csv, "\r\naw-2,乙,,monument,,,,,,,-0.000001,-179.999999,,exact,street,200,,,,\r\n") !=
	      NULL);
	CHECK(strstr(csv, "\r\naw-3,丙,  spaced  "
	                  ",former_site,,,,,,,89.99,0,,\",\",unknown,50000,,,[],\"\"\"\"\"\"\r\n") != NULL);
	free(csv);
}

static void test_geojson(void)
{
	char *gj =
	    round_trip("data/export/awkward.geojson", ingest_geojson, ingest_export_geojson, "geojson");
	json_error_t je;
	json_t *root = json_loads(gj, JSON_REJECT_DUPLICATES, &je);
	CHECK_MSG(root != NULL, "not JSON: %s", je.text);
	json_t *feats = json_object_get(root, "features");
	CHECK_INT(json_array_size(feats), 3);
	json_t *f = json_array_get(feats, 0); /* "42" sorts first */
	CHECK_STR(json_string_value(json_object_get(f, "id")), "42");
	json_t *p = json_object_get(f, "properties");
	CHECK_STR(json_string_value(json_object_get(p, "position_quality")), "county");
	CHECK_NEAR(json_number_value(json_object_get(p, "position_uncertainty_m")), 40000, 0);
	/* full precision; lat/lon only in the geometry; the altitude dropped */
	json_t *c = json_object_get(json_object_get(f, "geometry"), "coordinates");
	CHECK_INT(json_array_size(c), 2);
	CHECK(json_real_value(json_array_get(c, 0)) == 99.82686312345678);
	CHECK(json_object_get(p, "lat") == NULL && json_object_get(p, "lon") == NULL);
	/* the nested extra as it was given, the empty key kept */
	json_t *want =
	    json_loads("{\"b\":[1,2.5,-3e-7,true,false,null],\"a\":{\"z\":\"深\",\"y\":{}}}", 0, NULL);
	CHECK(json_equal(json_object_get(p, "nested"), want));
	json_decref(want);
	CHECK_STR(json_string_value(json_object_get(p, "")), "an empty key");
	/* extras after the model's properties, sorted */
	const char *s = strstr(gj, "\"source_url\":\"\",\"\":\"an empty key\",\"alpha\":");
	CHECK_MSG(s != NULL, "%s", gj);
	CHECK(strstr(gj, "\"nested\":") < strstr(gj, "\"zeta\":0.10000000000000001"));
	json_decref(root);
	free(gj);
}

static void test_bundled(void)
{
	/* The bundled rows round-trip too, in both formats. */
	free(round_trip("../data/sites.csv", ingest_csv, ingest_export_csv, "csv"));
	struct ms_error err = {0};
	struct site_set *in = site_set_new();
	CHECK_INT(ingest_file("../data/sites.csv", COORDSYS_WGS84, in, &err), MS_OK);
	struct buf gj = BUF_INIT;
	CHECK_INT(ingest_export_geojson(in, &gj, &err), MS_OK);
	char path[512];
	snprintf(path, sizeof path, "%s/sites.geojson", dir);
	FILE *f = fopen(path, "wb");
	fwrite(gj.data, 1, gj.len, f);
	fclose(f);
	free(round_trip(path, ingest_geojson, ingest_export_geojson, "geojson"));
	unlink(path);
	buf_free(&gj);
	site_set_free(in);
}

/* What CSV cannot carry, or a damaged database holds, is refused with
 * the site's id, not written wrong. */
static void test_refusals(void)
{
	struct site_draft s = {0};
	s.field[SITE_ID] = "bad";
	s.field[SITE_NAME_ZH] = "坏";
	s.field[SITE_CATEGORY] = "museum";
	s.quality = SITE_QUALITY_UNKNOWN;
	s.uncertainty_m = 50000;
	static const struct {
		const char *extra, *csv, *geojson; /* expected messages; NULL: accepted */
	} cases[] = {
	    {"{\"\":1}", "site 'bad': an extra property with an empty name cannot be a CSV column", NULL},
	    {"{\"name_en\":\"x\"}", "site 'bad': extra property 'name_en' has the name of a column",
	     "site 'bad': extra property 'name_en' has the name of a column"},
	    {"{\"lat\":1}", "site 'bad': extra property 'lat' has the name of a column",
	     "site 'bad': extra property 'lat' has the name of a column"},
	    {"[1]", "site 'bad': its extra properties are not a JSON object",
	     "site 'bad': its extra properties are not a JSON object"},
	    {"{oops", "site 'bad': its extra properties are not a JSON object",
	     "site 'bad': its extra properties are not a JSON object"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct site_set *set = site_set_new();
		s.extra = cases[i].extra;
		site_set_add(set, &s);
		struct buf out = BUF_INIT;
		struct ms_error err = {0};
		enum ms_status st = ingest_export_csv(set, &out, &err);
		if (cases[i].csv)
			CHECK_MSG(st == MS_EDATA && strstr(err.msg, cases[i].csv) == err.msg, "csv %s: %s",
			          cases[i].extra, err.msg);
		else
			CHECK_MSG(st == MS_OK, "csv %s: %s", cases[i].extra, err.msg);
		buf_reset(&out);
		err.msg[0] = '\0';
		st = ingest_export_geojson(set, &out, &err);
		if (cases[i].geojson)
			CHECK_MSG(st == MS_EDATA && strstr(err.msg, cases[i].geojson) == err.msg,
			          "geojson %s: %s", cases[i].extra, err.msg);
		else
			CHECK_MSG(st == MS_OK, "geojson %s: %s", cases[i].extra, err.msg);
		buf_free(&out);
		site_set_free(set);
	}

	/* More columns than the reader takes. */
	struct buf extra = BUF_INIT;
	buf_putc(&extra, '{');
	for (int k = 0; k < 250; k++)
		buf_printf(&extra, "%s\"k%03d\":\"v\"", k ? "," : "", k);
	buf_putc(&extra, '}');
	struct site_set *set = site_set_new();
	s.extra = buf_str(&extra);
	site_set_add(set, &s);
	struct buf out = BUF_INIT;
	struct ms_error err = {0};
	CHECK_INT(ingest_export_csv(set, &out, &err), MS_EDATA);
	CHECK_MSG(strstr(err.msg, "267 columns, more than the 256") == err.msg, "%s", err.msg);
	buf_reset(&out);
	CHECK_INT(ingest_export_geojson(set, &out, &err), MS_OK); /* GeoJSON has no such limit */
	buf_free(&out);
	buf_free(&extra);
	site_set_free(set);

	/* An empty set: a header alone, an empty collection. */
	set = site_set_new();
	CHECK_INT(ingest_export_csv(set, &out, &err), MS_OK);
	CHECK(strncmp(buf_str(&out), "id,name_zh,", 11) == 0 && out.len > 2 &&
	      !strcmp(out.data + out.len - 2, "\r\n") &&
	      strchr(buf_str(&out), '\n') == out.data + out.len - 1);
	buf_reset(&out);
	CHECK_INT(ingest_export_geojson(set, &out, &err), MS_OK);
	CHECK_STR(buf_str(&out), "{\"type\":\"FeatureCollection\",\"features\":[\n]}\n");
	buf_free(&out);
	site_set_free(set);
}

/* A selection's CSV: its sites in the order given, with the extra columns
 * those sites have, the same rows as the whole set's export. */
static void test_csv_selection(void)
{
	struct site_set *set = site_set_new();
	struct ms_error err = {0};
	static const char *const ids[] = {"a", "b", "c"};
	static const char *const extras[] = {"{\"phone\":\"0533\"}", "{\"note\":\"x\"}", "{}"};
	for (int i = 0; i < 3; i++) {
		struct site_draft s = {0};
		s.field[SITE_ID] = ids[i];
		s.field[SITE_NAME_ZH] = "甲";
		s.field[SITE_CATEGORY] = "museum";
		s.category = CAT_MUSEUM;
		s.lat = 36 + i;
		s.lon = 118;
		s.quality = SITE_QUALITY_UNKNOWN;
		s.uncertainty_m = 50000;
		s.extra = extras[i];
		site_set_add(set, &s);
	}
	struct buf some = BUF_INIT;
	const uint32_t order[] = {2, 0};
	CHECK_INT(ingest_export_csv_sites(set->v, order, 2, &some, &err), MS_OK);
	/* the header names phone but not note: c and a have no note */
	const char *text = buf_str(&some), *header_end = strstr(text, "\r\n");
	CHECK(header_end && memmem(text, (size_t)(header_end - text), ",phone", 6) &&
	      !memmem(text, (size_t)(header_end - text), "note", 4));
	const char *c_row = strstr(text, "\r\nc,"), *a_row = strstr(text, "\r\na,");
	CHECK(c_row && a_row && c_row < a_row && !strstr(text, "\r\nb,"));
	CHECK(a_row && strstr(a_row, ",0533\r\n"));
	buf_free(&some);
	site_set_free(set);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/mapsvc-export-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_csv();
	test_geojson();
	test_bundled();
	test_refusals();
	test_csv_selection();
	rmdir(dir);
	spatialite_shutdown();
	return CHECK_DONE();
}

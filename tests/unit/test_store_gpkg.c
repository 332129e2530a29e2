/*
 * test_store_gpkg.c - the GeoPackage export: the bytes store_export_gpkg
 * returns are read back with SQLite (sqlite3_deserialize, no file) and
 * checked against OGC 12-128's requirements (application id, version,
 * contents, geometry columns, SRS, the R-tree extension) and against the
 * sites: every column, NULL for a missing text, the extras, and each
 * point decoded from its GeoPackage binary by this test's own reader.
 * Then the snapshot's cache: one build however many threads ask.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/snapshot.h"
#include "store/store.h"
#include "util/mem.h"

#define GPKG_APPLICATION_ID 0x47504B47 /* "GPKG" */
#define GPKG_VERSION 10200
#define THREADS 8

static void add(struct site_set *set, const char *id, const char *zh, const char *en, const char *town,
                double lat, double lon, enum site_quality q, double radius, const char *extra)
{
	struct site_draft s = {0};
	s.field[SITE_ID] = id;
	s.field[SITE_NAME_ZH] = zh;
	s.field[SITE_NAME_EN] = en;
	s.field[SITE_CATEGORY] = "museum";
	s.field[SITE_TOWN] = town;
	s.category = CAT_MUSEUM;
	s.lat = lat;
	s.lon = lon;
	s.quality = q;
	s.uncertainty_m = radius;
	s.extra = extra;
	site_set_add(set, &s);
}

static struct site_set *sample(void)
{
	struct site_set *set = site_set_new();
	add(set, "a", "黑铁山纪念馆", "Heitieshan Memorial Hall", "太平村", 36.849547, 118.160735,
	    SITE_QUALITY_STREET, 100, "{\"fee\":\"no\"}");
	add(set, "b", "高台烈士陵园", "", "", 39.379379, 99.826863, SITE_QUALITY_TOWN, 5000, NULL);
	add(set, "c", "南极", "South", "", -89.5, -179.25, SITE_QUALITY_UNKNOWN, 50000, NULL);
	return set;
}

static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static double read_double(const unsigned char *p, bool little)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = little ? p[i] : p[7 - i];
	double d;
	memcpy(&d, b, sizeof d); /* the test runs on little-endian machines, as mapsvc does */
	return d;
}

/* The point of a GeoPackage geometry blob (OGC 12-128 §2.1.3): "GP", a
 * version, flags (bit 0: little-endian; bits 1-3: envelope kind), the
 * SRS id, the envelope, then a WKB point. */
static bool decode_point(const unsigned char *b, int n, double *x, double *y, int *srid)
{
	static const int envelope_doubles[] = {0, 4, 6, 6, 8};
	if (n < 8 || b[0] != 'G' || b[1] != 'P')
		return false;
	int flags = b[3], env = (flags >> 1) & 7;
	bool little = flags & 1;
	if (env > 4)
		return false;
	*srid =
	    little ? b[4] | b[5] << 8 | b[6] << 16 | b[7] << 24 : b[7] | b[6] << 8 | b[5] << 16 | b[4] << 24;
	const unsigned char *w = b + 8 + 8 * envelope_doubles[env];
	if (w + 21 > b + n)
		return false;
	bool wle = w[0] == 1;
	uint32_t type = wle ? w[1] | w[2] << 8 | w[3] << 16 | (uint32_t)w[4] << 24
	                    : w[4] | w[3] << 8 | w[2] << 16 | (uint32_t)w[1] << 24;
	if (type != 1)
		return false;
	*x = read_double(w + 5, wle);
	*y = read_double(w + 13, wle);
	return true;
}

static sqlite3 *open_bytes(const unsigned char *data, size_t len)
{
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	unsigned char *copy = sqlite3_malloc64(len);
	memcpy(copy, data, len);
	CHECK(sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
	                          SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY) == SQLITE_OK);
	return db;
}

static void test_file(void)
{
	struct site_set *set = sample();
	unsigned char *data;
	size_t len;
	struct ms_error err = {0};
	CHECK_MSG(store_export_gpkg(set->v, set->n, &data, &len, &err) == MS_OK, "%s", err.msg);
	if (!data) {
		site_set_free(set);
		return;
	}
	CHECK(len > 0 && memcmp(data, "SQLite format 3", 16) == 0);
	sqlite3 *db = open_bytes(data, len);
	CHECK_INT(query_int(db, "PRAGMA application_id"), GPKG_APPLICATION_ID);
	CHECK_INT(query_int(db, "PRAGMA user_version"), GPKG_VERSION);
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db, "SELECT integrity_check FROM pragma_integrity_check", -1, &st, NULL) ==
	      SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "ok"));
	sqlite3_finalize(st);
	CHECK_INT(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* contents, geometry column, SRS (§1.1.2 - 1.1.4) */
	CHECK_INT(query_int(db,
	                    "SELECT count(*) FROM gpkg_contents WHERE table_name = 'sites' AND data_type = "
	                    "'features' AND srs_id = 4326 AND min_x = -179.25 AND max_x = 118.160735 AND "
	                    "min_y = -89.5 AND max_y = 39.379379"),
	          1);
	CHECK_INT(query_int(db, "SELECT count(*) FROM gpkg_geometry_columns WHERE table_name = 'sites' AND "
	                        "column_name = 'geom' AND geometry_type_name = 'POINT' AND srs_id = 4326"),
	          1);
	CHECK_INT(query_int(db, "SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id IN (-1, 0, 4326)"),
	          3);
	CHECK_INT(query_int(db, "SELECT count(*) FROM gpkg_extensions WHERE table_name = 'sites' AND "
	                        "extension_name = 'gpkg_rtree_index'"),
	          1);
	/* every site, in order, with NULL for what it lacks */
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites"), 3);
	CHECK(sqlite3_prepare_v2(
	          db,
	          "SELECT id, name_en, town, position_quality, position_uncertainty_m, extra, geom, "
	          "county FROM sites ORDER BY fid",
	          -1, &st, NULL) == SQLITE_OK);
	for (size_t i = 0; i < set->n && sqlite3_step(st) == SQLITE_ROW; i++) {
		const struct site *s = &set->v[i];
		CHECK_STR((const char *)sqlite3_column_text(st, 0), site_field(s, SITE_ID));
		for (int c = 1; c <= 2; c++) {
			const char *want = site_field(s, c == 1 ? SITE_NAME_EN : SITE_TOWN);
			if (*want)
				CHECK_STR((const char *)sqlite3_column_text(st, c), want);
			else
				CHECK_INT(sqlite3_column_type(st, c), SQLITE_NULL);
		}
		CHECK_STR((const char *)sqlite3_column_text(st, 3), site_quality_name(s->quality));
		CHECK(sqlite3_column_double(st, 4) == site_uncertainty(s));
		if (strcmp(site_extra(s), "{}"))
			CHECK_STR((const char *)sqlite3_column_text(st, 5), site_extra(s));
		else
			CHECK_INT(sqlite3_column_type(st, 5), SQLITE_NULL);
		CHECK_INT(sqlite3_column_type(st, 7), SQLITE_NULL);
		double x = 0, y = 0;
		int srid = 0;
		CHECK_MSG(
		    decode_point(sqlite3_column_blob(st, 6), sqlite3_column_bytes(st, 6), &x, &y, &srid),
		    "site %s: not a GeoPackage point", site_field(s, SITE_ID));
		CHECK(x == s->lon && y == s->lat && srid == 4326);
	}
	sqlite3_finalize(st);
	/* the R-tree holds every point (as float32 bounds around it) */
	CHECK(sqlite3_prepare_v2(db,
	                         "SELECT count(*) FROM rtree_sites_geom r JOIN sites s ON s.fid = r.id WHERE "
	                         "r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?",
	                         -1, &st, NULL) == SQLITE_OK);
	for (size_t i = 0; i < set->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_double(st, 1, set->v[i].lon);
		sqlite3_bind_double(st, 2, set->v[i].lon);
		sqlite3_bind_double(st, 3, set->v[i].lat);
		sqlite3_bind_double(st, 4, set->v[i].lat);
		CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) >= 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	store_gpkg_free(data);

	/* no sites: still a valid, empty GeoPackage */
	CHECK(store_export_gpkg(set->v, 0, &data, &len, &err) == MS_OK);
	db = open_bytes(data, len);
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites"), 0);
	sqlite3_close(db);
	store_gpkg_free(data);
	site_set_free(set);
}

struct race {
	struct snapshot *snap;
	const unsigned char *data;
	size_t len;
	enum ms_status st;
};

static void *ask(void *arg)
{
	struct race *r = arg;
	struct ms_error err = {0};
	r->st = snapshot_gpkg(r->snap, &r->data, &r->len, &err);
	return NULL;
}

/* Every thread gets the one build's bytes. */
static void test_snapshot_cache(void)
{
	struct ms_error err = {0};
	struct snapshot *snap = snapshot_new(sample(), &err);
	CHECK_MSG(snap != NULL, "%s", err.msg);
	if (!snap)
		return;
	pthread_t t[THREADS];
	struct race r[THREADS];
	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct race){.snap = snap};
		pthread_create(&t[i], NULL, ask, &r[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		CHECK_INT(r[i].st, MS_OK);
		CHECK(r[i].data == r[0].data && r[i].len == r[0].len && r[i].len > 0);
	}
	const unsigned char *again;
	size_t len;
	CHECK(snapshot_gpkg(snap, &again, &len, &err) == MS_OK && again == r[0].data);
	snapshot_release(snap);
}

int main(void)
{
	test_file();
	test_snapshot_cache();
	return CHECK_DONE();
}

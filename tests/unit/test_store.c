/* test_store.c - the SpatiaLite store and the snapshot: round trip of the
 * bundled data, add vs replace, duplicate ids, a valid spatial index, a
 * failed import leaving the file byte for byte as it was (or absent), and
 * snapshot lookups and versions. */
#include <dirent.h>
#include <sqlite3.h>
/* after sqlite3.h: spatialite.h uses its types without including it */
#include <spatialite.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/site.h"
#include "ingest/ingest.h"
#include "store/snapshot.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/mem.h"

static char dir[256];

static char *path_in_dir(const char *name)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/%s", dir, name);
	return buf_detach(&b, NULL);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	buf_reserve(&b, 1);
	return buf_detach(&b, len);
}

static int dir_entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static struct site_set *read_csv(const char *path)
{
	struct site_set *set = site_set_new();
	struct ms_error err = {0};
	CHECK_MSG(ingest_file(path, COORDSYS_WGS84, set, &err) == MS_OK, "%s", err.msg);
	return set;
}

static long long query_int(const char *db_path, const char *sql)
{
	sqlite3 *db = NULL;
	void *cache = spatialite_alloc_connection();
	long long v = -1;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
		spatialite_init_ex(db, cache, 0);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW)
				v = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
		} else {
			fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		}
	}
	sqlite3_close(db);
	spatialite_cleanup_ex(cache);
	return v;
}

static void same_sites(const struct site_set *a, const struct site_set *b)
{
	CHECK_INT(a->n, b->n);
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		for (int f = 0; f < SITE_NFIELDS; f++)
			CHECK_STR(a->v[i].field[f], b->v[i].field[f]);
		CHECK(a->v[i].lat == b->v[i].lat);
		CHECK(a->v[i].lon == b->v[i].lon);
		CHECK_INT(a->v[i].category, b->v[i].category);
		CHECK_STR(a->v[i].extra, b->v[i].extra);
	}
}

static void test_round_trip(const char *db)
{
	struct site_set *csv = read_csv("../data/sites.csv");
	struct ms_error err = {0};
	size_t n = 0;
	CHECK_INT(store_import(db, csv, false, &n, &err), MS_OK);
	CHECK_STR(err.msg, "");
	CHECK_INT(n, 25);
	CHECK_INT(dir_entries(), 1); /* no journal or temporary file left */

	struct site_set *back = NULL;
	CHECK_INT(store_load(db, &back, &err), MS_OK);
	site_set_sort_by_id(csv);
	same_sites(back, csv);
	CHECK_STR(back->v[0].field[SITE_ID], "gt-cadre-academy");
	site_set_free(back);
	site_set_free(csv);

	/* A proper SpatiaLite file: registered POINT column in EPSG:4326, a
	 * valid R*Tree, one geometry per row at the site's position. */
	CHECK_INT(query_int(db, "SELECT CheckSpatialIndex('sites','geom')"), 1);
	CHECK_INT(query_int(db, "SELECT geometry_type FROM geometry_columns WHERE f_table_name='sites'"), 1);
	CHECK_INT(query_int(db, "SELECT srid FROM geometry_columns WHERE f_table_name='sites'"), 4326);
	CHECK_INT(query_int(db, "SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name='sites'"), 1);
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites WHERE ST_X(geom) = lon AND ST_Y(geom) = lat"), 25);
	CHECK_INT(query_int(db, "SELECT count(*) FROM idx_sites_geom"), 25);
}

static void test_add_replace(const char *db)
{
	struct site_set *more = read_csv("data/store/more.csv");
	struct ms_error err = {0};
	size_t n = 0;
	CHECK_INT(store_import(db, more, false, &n, &err), MS_OK);
	CHECK_INT(n, 2);
	struct site_set *back = NULL;
	CHECK_INT(store_load(db, &back, &err), MS_OK);
	CHECK_INT(back->n, 27);
	const struct site *s = &back->v[26];
	CHECK_STR(s->field[SITE_ID], "zz-new-2");
	CHECK_STR(s->field[SITE_NAME_ZH], "新\"碑");
	CHECK_STR(s->extra, "{\"website\":\"\",\"rank\":\"2\"}");
	CHECK_STR(back->v[25].extra, "{\"website\":\"http://n.example/\",\"rank\":\"1\"}");
	CHECK_NEAR(s->lon, -120.25, 0);
	site_set_free(back);
	CHECK_INT(query_int(db, "SELECT CheckSpatialIndex('sites','geom')"), 1);

	/* The same ids again: refused, naming the id; nothing changes. */
	size_t before_len, after_len;
	char *before = slurp(db, &before_len);
	CHECK_INT(store_import(db, more, false, &n, &err), MS_EDATA);
	CHECK_MSG(strstr(err.msg, "id 'zz-new-1' already exists in the database") != NULL, "%s", err.msg);
	char *after = slurp(db, &after_len);
	CHECK(before && after && before_len == after_len && memcmp(before, after, before_len) == 0);
	CHECK_INT(dir_entries(), 1);
	free(after);

	/* A failure after the old rows were deleted (replace, then a bad
	 * site at the end) leaves the file byte for byte as it was too. */
	struct site_set *bad = read_csv("data/store/more.csv");
	struct site *last = &bad->v[bad->n - 1];
	last->lat = 123.0; /* not a latitude */
	CHECK_INT(store_import(db, bad, true, &n, &err), MS_EDATA);
	CHECK_MSG(strstr(err.msg, "site 'zz-new-2': invalid coordinate") != NULL, "%s", err.msg);
	after = slurp(db, &after_len);
	CHECK(before && after && before_len == after_len && memcmp(before, after, before_len) == 0);
	CHECK_INT(dir_entries(), 1);
	free(after);
	free(before);

	/* Replace keeps only the new sites. */
	CHECK_INT(store_import(db, more, true, &n, &err), MS_OK);
	CHECK_INT(store_load(db, &back, &err), MS_OK);
	CHECK_INT(back->n, 2);
	CHECK_STR(back->v[0].field[SITE_ID], "zz-new-1");
	site_set_free(back);
	CHECK_INT(query_int(db, "SELECT CheckSpatialIndex('sites','geom')"), 1);
	CHECK_INT(query_int(db, "SELECT count(*) FROM idx_sites_geom"), 2);

	/* A new path: a failed import leaves no file at all. */
	char *fresh = path_in_dir("fresh.sqlite");
	CHECK_INT(store_import(fresh, bad, false, &n, &err), MS_EDATA);
	CHECK(access(fresh, F_OK) != 0);
	CHECK_INT(dir_entries(), 1);
	/* Duplicate ids within one set are refused as well. */
	struct site_set *twice = read_csv("data/store/more.csv");
	site_set_add(twice, &twice->v[0]);
	CHECK_INT(store_import(fresh, twice, false, &n, &err), MS_EDATA);
	CHECK(access(fresh, F_OK) != 0);
	/* Something that is not a database is left alone. */
	FILE *f = fopen(fresh, "wb");
	fputs("not a database\n", f);
	fclose(f);
	CHECK(store_import(fresh, more, false, &n, &err) != MS_OK);
	char *text = slurp(fresh, &after_len);
	CHECK(text && after_len == 15 && memcmp(text, "not a database\n", 15) == 0);
	free(text);
	CHECK(store_load(fresh, &back, &err) != MS_OK);
	CHECK(back == NULL);
	unlink(fresh);
	CHECK_INT(store_load(fresh, &back, &err), MS_ENOTFOUND);
	CHECK_INT(dir_entries(), 1);
	free(fresh);
	site_set_free(twice);
	site_set_free(bad);
	site_set_free(more);
}

static void test_snapshot(const char *db)
{
	struct ms_error err = {0};
	struct site_set *csv = read_csv("../data/sites.csv");
	size_t n;
	CHECK_INT(store_import(db, csv, true, &n, &err), MS_OK);
	site_set_free(csv);

	struct snapshot *s = snapshot_load(db, &err);
	CHECK_MSG(s != NULL, "%s", err.msg);
	if (!s)
		return;
	CHECK_INT(s->n, 25);
	CHECK_INT(sindex_size(s->index), 25);
	for (size_t i = 1; i < s->n; i++)
		CHECK(strcmp(s->sites[i - 1].field[SITE_ID], s->sites[i].field[SITE_ID]) < 0);
	const struct site *h = snapshot_find(s, "zb-heitieshan-memorial");
	CHECK(h != NULL && h->lat == 36.849547 && h->lon == 118.160735);
	CHECK(snapshot_find(s, "gt-west-route-memorial") != NULL);
	CHECK(snapshot_find(s, s->sites[0].field[SITE_ID]) == &s->sites[0]);
	CHECK(snapshot_find(s, s->sites[24].field[SITE_ID]) == &s->sites[24]);
	CHECK(snapshot_find(s, "zb-heitieshan") == NULL);
	CHECK(snapshot_find(s, "") == NULL);
	CHECK(snapshot_find(s, "zzz") == NULL);
	/* Zibo in the east, Gaotai in the west. */
	CHECK_NEAR(s->north, 39.379379, 1e-12);
	CHECK_NEAR(s->west, 99.826863, 1e-12);
	CHECK(s->east > 118.0 && s->east < 118.6 && s->south > 36.0 && s->south < 37.5);

	/* The same content in another order: the same version. */
	struct site_set *again = read_csv("../data/sites.csv");
	for (size_t i = 0; i < again->n / 2; i++) {
		struct site t = again->v[i];
		again->v[i] = again->v[again->n - 1 - i];
		again->v[again->n - 1 - i] = t;
	}
	struct snapshot *s2 = snapshot_new(again, &err);
	CHECK(s2 && s2->version == s->version);
	snapshot_release(s2);
	/* Any change in a field, a coordinate or the extra properties: a new one. */
	for (int change = 0; change < 4; change++) {
		struct site_set *c = read_csv("../data/sites.csv");
		struct site *v = &c->v[7];
		if (change == 0)
			v->field[SITE_OPENING_HOURS] = "9:00-17:00";
		else if (change == 1)
			v->lat = nextafter(v->lat, 90.0);
		else if (change == 2)
			v->extra = "{\"x\":1}";
		else /* moving text between fields is a change too */
			v->field[SITE_NAME_EN] = "", v->field[SITE_COUNTY] = arena_strdup(c->strings, "x");
		struct snapshot *s3 = snapshot_new(c, &err);
		CHECK_MSG(s3 && s3->version != s->version, "change %d", change);
		snapshot_release(s3);
	}
	/* Reference counting: the last release frees (ASan checks). */
	CHECK(snapshot_retain(s) == s);
	CHECK_INT(ms_ref_count(&s->refs_), 2);
	snapshot_release(s);
	CHECK_INT(ms_ref_count(&s->refs_), 1);
	snapshot_release(s);

	/* An empty set is a valid, empty snapshot. */
	struct snapshot *e = snapshot_new(site_set_new(), &err);
	CHECK(e && e->n == 0 && e->west == 0 && e->north == 0 && snapshot_find(e, "a") == NULL);
	snapshot_release(e);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/mapsvc-store-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char *db = path_in_dir("sites.sqlite");
	test_round_trip(db);
	test_add_replace(db);
	test_snapshot(db);
	unlink(db);
	free(db);
	CHECK_INT(dir_entries(), 0);
	rmdir(dir);
	spatialite_shutdown();
	return CHECK_DONE();
}

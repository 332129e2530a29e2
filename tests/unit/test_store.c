/* test_store.c - the SpatiaLite store and the snapshot: round trip of the
 * bundled data, add vs replace, duplicate ids, a valid spatial index, a
 * failed import leaving the file byte for byte as it was (or absent),
 * snapshot lookups and versions; the position columns' CHECK constraints,
 * and a database written before those columns existed (read, then
 * imported into).  The bulk import is held to what SpatiaLite's own
 * triggers would have written: the same R*Tree entries, the same triggers
 * afterwards, the same timestamps kept.  Imports running at once in several
 * processes (none loses the other's rows) and the leftovers of a killed
 * import. */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <sqlite3.h>
/* after sqlite3.h: spatialite.h uses its types without including it */
#include <spatialite.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "site/site.h"
#include "ingest/ingest.h"
#include "store/rtree_load.h"
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

static char *query_text(const char *db_path, const char *sql)
{
	sqlite3 *db = NULL;
	void *cache = spatialite_alloc_connection();
	char *v = NULL;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
		spatialite_init_ex(db, cache, 0);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
			struct buf b = BUF_INIT;
			while (sqlite3_step(st) == SQLITE_ROW)
				for (int c = 0; c < sqlite3_column_count(st); c++) {
					const unsigned char *text = sqlite3_column_text(st, c);
					buf_printf(&b, "%s|", text ? (const char *)text : "");
				}
			buf_reserve(&b, 1);
			v = buf_detach(&b, NULL);
			sqlite3_finalize(st);
		} else {
			fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		}
	}
	sqlite3_close(db);
	spatialite_cleanup_ex(cache);
	return v ? v : xstrdup("");
}

static int exec_sql(const char *db_path, const char *sql)
{
	sqlite3 *db = NULL;
	void *cache = spatialite_alloc_connection();
	int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		spatialite_init_ex(db, cache, 0);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	spatialite_cleanup_ex(cache);
	return rc;
}

static bool copy_file(const char *from, const char *to)
{
	size_t len;
	char *bytes = slurp(from, &len);
	FILE *f = bytes ? fopen(to, "wb") : NULL;
	bool ok = f && fwrite(bytes, 1, len, f) == len;
	if (f)
		ok = fclose(f) == 0 && ok;
	free(bytes);
	return ok;
}

/* The R*Tree of db holds exactly what SpatiaLite's own update trigger
 * (RTreeAlign, one row at a time) puts there for the same rows: a copy
 * rewrites every geometry and the two indexes are compared entry by
 * entry.  Both must pass SQLite's rtreecheck. */
static void same_rtree_as_triggers(const char *db)
{
	char *copy = path_in_dir("copy.sqlite");
	CHECK(copy_file(db, copy));
	CHECK_INT(exec_sql(copy, "UPDATE sites SET geom = MakePoint(lon, lat, 4326)"), SQLITE_OK);
	long long n = query_int(db, "SELECT count(*) FROM sites");
	CHECK_INT(query_int(db, "SELECT count(*) FROM idx_sites_geom"), n);
	sqlite3 *h = NULL;
	CHECK_INT(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	struct buf b = BUF_INIT;
	buf_printf(&b, "ATTACH '%s' AS c", copy);
	char *sql = buf_detach(&b, NULL);
	CHECK_INT(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	sqlite3_stmt *st = NULL;
	CHECK_INT(sqlite3_prepare_v2(
	              h,
	              "SELECT count(*) FROM idx_sites_geom a JOIN c.idx_sites_geom b ON a.pkid = b.pkid "
	              "WHERE a.xmin = b.xmin AND a.xmax = b.xmax AND a.ymin = b.ymin AND a.ymax = b.ymax",
	              -1, &st, NULL),
	          SQLITE_OK);
	CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == n);
	sqlite3_finalize(st);
	sqlite3_close(h);
	char *check = query_text(db, "SELECT rtreecheck('idx_sites_geom')");
	CHECK_STR(check, "ok|");
	free(check);
	check = query_text(copy, "SELECT rtreecheck('idx_sites_geom')");
	CHECK_STR(check, "ok|");
	free(check);
	CHECK_INT(query_int(db, "SELECT CheckSpatialIndex('sites','geom')"), 1);
	unlink(copy);
	free(copy);
}

static void same_sites(const struct site_set *a, const struct site_set *b)
{
	CHECK_INT(a->n, b->n);
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		for (int f = 0; f < SITE_NFIELDS; f++)
			CHECK_STR(site_field(&a->v[i], f), site_field(&b->v[i], f));
		CHECK(a->v[i].lat == b->v[i].lat);
		CHECK(a->v[i].lon == b->v[i].lon);
		CHECK_INT(a->v[i].category, b->v[i].category);
		CHECK_INT(a->v[i].quality, b->v[i].quality);
		CHECK(site_uncertainty(&a->v[i]) == site_uncertainty(&b->v[i]));
		CHECK_STR(site_extra(&a->v[i]), site_extra(&b->v[i]));
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
	CHECK_STR(site_field(&back->v[0], SITE_ID), "gt-cadre-academy");
	site_set_free(back);
	site_set_free(csv);

	/* A proper SpatiaLite file: registered POINT column in EPSG:4326, a
	 * valid R*Tree, one geometry per row at the site's position. */
	CHECK_INT(query_int(db, "SELECT CheckSpatialIndex('sites','geom')"), 1);
	CHECK_INT(query_int(db, "SELECT geometry_type FROM geometry_columns WHERE f_table_name='sites'"), 1);
	CHECK_INT(query_int(db, "SELECT srid FROM geometry_columns WHERE f_table_name='sites'"), 4326);
	CHECK_INT(
	    query_int(db, "SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name='sites'"),
	    1);
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites WHERE ST_X(geom) = lon AND ST_Y(geom) = lat"),
	          25);
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
	CHECK_STR(site_field(s, SITE_ID), "zz-new-2");
	CHECK_STR(site_field(s, SITE_NAME_ZH), "新\"碑");
	CHECK_STR(site_extra(s), "{\"website\":\"\",\"rank\":\"2\"}");
	CHECK_STR(site_extra(&back->v[25]), "{\"website\":\"http://n.example/\",\"rank\":\"1\"}");
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
	CHECK_STR(site_field(&back->v[0], SITE_ID), "zz-new-1");
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
	site_set_copy(twice, &twice->v[0]);
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
		CHECK(strcmp(site_field(&s->sites[i - 1], SITE_ID), site_field(&s->sites[i], SITE_ID)) < 0);
	const struct site *h = snapshot_find(s, "zb-heitieshan-memorial");
	CHECK(h != NULL && h->lat == 36.849547 && h->lon == 118.160735);
	CHECK(snapshot_find(s, "gt-west-route-memorial") != NULL);
	CHECK(snapshot_find(s, site_field(&s->sites[0], SITE_ID)) == &s->sites[0]);
	CHECK(snapshot_find(s, site_field(&s->sites[24], SITE_ID)) == &s->sites[24]);
	CHECK(snapshot_find(s, "zb-heitieshan") == NULL);
	CHECK(snapshot_find(s, "") == NULL);
	CHECK(snapshot_find(s, "zzz") == NULL);
	/* Zibo in the east, Gaotai in the west. */
	CHECK_NEAR(s->north, 39.379379, 1e-12);
	CHECK_NEAR(s->west, 99.826863, 1e-12);
	CHECK(s->east > 118.0 && s->east < 118.6 && s->south > 36.0 && s->south < 37.5);
	/* hours for the sites that have them, and only for those */
	size_t with_hours = 0;
	for (size_t i = 0; i < s->n; i++) {
		bool has = *site_field(&s->sites[i], SITE_OPENING_HOURS) != '\0';
		with_hours += has;
		CHECK_MSG((snapshot_hours(s, i) != NULL) == has, "site %zu", i);
	}
	CHECK(with_hours > 0 && with_hours < s->n);
	CHECK(snapshot_hours(s, s->n) == NULL);

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
	/* Any change in a field, a coordinate, the extra properties or the
	 * position's quality or radius: a new one. */
	for (int change = 0; change < 6; change++) {
		struct site_set *c = read_csv("../data/sites.csv");
		struct site_draft v;
		site_draft_of(&c->v[7], &v);
		if (change == 0)
			v.field[SITE_OPENING_HOURS] = "09:00-17:00";
		else if (change == 1)
			v.lat = nextafter(v.lat, 90.0);
		else if (change == 2)
			v.extra = "{\"x\":1}";
		else if (change == 4)
			v.quality = v.quality == SITE_QUALITY_TOWN ? SITE_QUALITY_COUNTY : SITE_QUALITY_TOWN;
		else if (change == 5)
			v.uncertainty_m = nextafter(v.uncertainty_m, 0.0);
		else if (change == 3) /* moving text between fields is a change too */
			v.field[SITE_NAME_EN] = "", v.field[SITE_COUNTY] = "x";
		struct site changed = *site_set_add(c, &v); /* appended, then put in v[7]'s place */
		c->n--;
		c->v[7] = changed;
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

/* Runs a SQL script file on db (created if needed), with SpatiaLite. */
static bool run_sql_file(const char *db_path, const char *script)
{
	size_t len;
	char *sql = slurp(script, &len);
	CHECK_MSG(sql != NULL, "cannot read %s", script);
	if (!sql)
		return false;
	sqlite3 *db = NULL;
	void *cache = spatialite_alloc_connection();
	char *msg = NULL;
	bool ok = sqlite3_open(db_path, &db) == SQLITE_OK;
	if (ok) {
		spatialite_init_ex(db, cache, 0);
		ok = sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK;
	}
	CHECK_MSG(ok, "%s: %s", script, msg ? msg : "cannot open");
	sqlite3_free(msg);
	sqlite3_close(db);
	spatialite_cleanup_ex(cache);
	free(sql);
	return ok;
}

/* Runs one statement; returns its result code (SQLITE_CONSTRAINT...). */
static int exec_rc(const char *db_path, const char *sql)
{
	sqlite3 *db = NULL;
	void *cache = spatialite_alloc_connection();
	int rc = sqlite3_open(db_path, &db);
	if (rc == SQLITE_OK) {
		spatialite_init_ex(db, cache, 0);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	sqlite3_close(db);
	spatialite_cleanup_ex(cache);
	return rc;
}

static const struct site *find_id(const struct site_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(site_field(&set->v[i], SITE_ID), id) == 0)
			return &set->v[i];
	return NULL;
}

/* The legacy rows of tests/data/store/legacy.sql, as a load reads them. */
static void check_legacy_rows(const struct site_set *set)
{
	const struct site *e = find_id(set, "old-exact"), *a = find_id(set, "old-approx"),
	                  *n = find_id(set, "old-none"), *x = find_id(set, "old-extras");
	CHECK(e && a && n && x);
	if (!e || !a || !n || !x)
		return;
	/* derived from confidence, as an import would derive them now */
	CHECK(e->quality == SITE_QUALITY_STREET && site_uncertainty(e) == 200);
	CHECK(a->quality == SITE_QUALITY_UNKNOWN && site_uncertainty(a) == 50000);
	CHECK(n->quality == SITE_QUALITY_UNKNOWN && site_uncertainty(n) == 50000);
	CHECK_STR(site_extra(n), "{\"website\":\"http://o.example/\"}");
	/* free text in opening_hours is the source's words; a valid value stays */
	CHECK_STR(site_field(e, SITE_OPENING_HOURS), "");
	CHECK_STR(site_field(e, SITE_OPENING_HOURS_TEXT), "周二至周日 9:00-17:00");
	CHECK_STR(site_field(a, SITE_OPENING_HOURS), "Mo-Fr 09:00-17:00");
	CHECK_STR(site_field(a, SITE_OPENING_HOURS_TEXT), "");
	/* the columns kept among the extras become the columns */
	CHECK(x->quality == SITE_QUALITY_VILLAGE && site_uncertainty(x) == 800);
	CHECK_STR(site_extra(x), "{\"note\":\"x\",\"rank\":\"2\"}");
}

/* A database with the position columns but before opening_hours_text
 * (made by dropping the column from a new one): it loads with free text
 * moved aside, an import adds the column and moves the text in the file;
 * a value that is not OpenStreetMap's syntax in a database that has the
 * column is refused, naming the site. */
static void test_hours_column(const char *db)
{
	struct ms_error err = {0};
	struct site_set *in = read_csv("data/store/more.csv"), *back = NULL;
	size_t n = 0;
	unlink(db);
	CHECK_MSG(store_import(db, in, false, &n, &err) == MS_OK, "%s", err.msg);
	site_set_free(in);
	CHECK_INT(exec_rc(db, "ALTER TABLE sites DROP COLUMN opening_hours_text"), SQLITE_OK);
	CHECK_INT(exec_rc(db, "UPDATE sites SET opening_hours = '每天 9:00-17:00' WHERE id = 'zz-new-1'"),
	          SQLITE_OK);
	CHECK_MSG(store_load(db, &back, &err) == MS_OK, "%s", err.msg);
	const struct site *z = back ? find_id(back, "zz-new-1") : NULL;
	CHECK(z && !*site_field(z, SITE_OPENING_HOURS) &&
	      !strcmp(site_field(z, SITE_OPENING_HOURS_TEXT), "每天 9:00-17:00"));
	site_set_free(back);
	back = NULL;
	in = site_set_new();
	struct site_draft s = {.field = {[SITE_ID] = "zz-new-3",
	                                 [SITE_NAME_ZH] = "新馆",
	                                 [SITE_CATEGORY] = "museum",
	                                 [SITE_OPENING_HOURS] = "Tu-Su 09:00-17:00; PH off"},
	                       .lat = 36.1,
	                       .lon = 118.1,
	                       .category = CAT_MUSEUM,
	                       .quality = SITE_QUALITY_TOWN,
	                       .uncertainty_m = 5000};
	site_set_add(in, &s);
	CHECK_MSG(store_import(db, in, false, &n, &err) == MS_OK, "%s", err.msg);
	site_set_free(in);
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites WHERE id = 'zz-new-1' AND opening_hours = '' AND "
	                        "opening_hours_text = '每天 9:00-17:00'"),
	          1);
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites WHERE id = 'zz-new-3' AND opening_hours = "
	                        "'Tu-Su 09:00-17:00; PH off'"),
	          1);
	CHECK_INT(exec_rc(db, "UPDATE sites SET opening_hours = 'Mo-Fri 09:00-17:00' WHERE id = 'zz-new-3'"),
	          SQLITE_OK);
	CHECK_INT(store_load(db, &back, &err), MS_EDATA);
	CHECK_MSG(strstr(err.msg, "site 'zz-new-3': opening_hours: at character") != NULL, "%s", err.msg);
	CHECK(back == NULL);
}

static void test_legacy(void)
{
	char *db = path_in_dir("legacy.sqlite");
	struct ms_error err = {0};
	struct site_set *back = NULL;
	if (!run_sql_file(db, "data/store/legacy.sql"))
		goto done;
	CHECK_INT(
	    query_int(db, "SELECT count(*) FROM pragma_table_info('sites') WHERE name LIKE 'position%'"), 0);

	/* It loads as it is, read-only, and is not changed by that. */
	size_t before_len, after_len;
	char *before = slurp(db, &before_len);
	CHECK_MSG(store_load(db, &back, &err) == MS_OK, "%s", err.msg);
	if (back) {
		CHECK_INT(back->n, 4);
		check_legacy_rows(back);
	}
	site_set_free(back);
	back = NULL;
	char *after = slurp(db, &after_len);
	CHECK(before && after && before_len == after_len && memcmp(before, after, before_len) == 0);
	free(before);
	free(after);

	/* An import adds to it: the columns are added, the old rows filled
	 * as the load read them, the new rows stored as given. */
	struct site_set *more = read_csv("data/store/more.csv");
	size_t n = 0;
	CHECK_MSG(store_import(db, more, false, &n, &err) == MS_OK, "%s", err.msg);
	site_set_free(more);
	CHECK_INT(
	    query_int(db, "SELECT count(*) FROM pragma_table_info('sites') WHERE name LIKE 'position%'"), 2);
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites WHERE position_quality = 'village' AND "
	                        "position_uncertainty_m = 800 AND extra NOT LIKE '%position%'"),
	          1);
	/* and the free text moved to its column in the file too */
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites WHERE id = 'old-exact' AND opening_hours = '' "
	                        "AND opening_hours_text = '周二至周日 9:00-17:00'"),
	          1);
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites WHERE id = 'old-approx' AND opening_hours = "
	                        "'Mo-Fr 09:00-17:00' AND opening_hours_text = ''"),
	          1);
	CHECK_INT(query_int(db, "SELECT CheckSpatialIndex('sites','geom')"), 1);
	CHECK_MSG(store_load(db, &back, &err) == MS_OK, "%s", err.msg);
	if (back) {
		CHECK_INT(back->n, 6);
		check_legacy_rows(back);
		const struct site *z = find_id(back, "zz-new-1");
		CHECK(z && z->quality == SITE_QUALITY_UNKNOWN && site_uncertainty(z) == 50000);
	}
	site_set_free(back);
	back = NULL;

	/* A legacy row whose kept columns are not valid is refused, naming it. */
	unlink(db);
	if (!run_sql_file(db, "data/store/legacy.sql"))
		goto done;
	CHECK_INT(
	    exec_rc(db, "UPDATE sites SET extra = '{\"position_quality\":\"gps\"}' WHERE id = 'old-none'"),
	    SQLITE_OK);
	CHECK_INT(store_load(db, &back, &err), MS_EDATA);
	CHECK_MSG(strstr(err.msg, "site 'old-none': position_quality 'gps' is not one of") != NULL, "%s",
	          err.msg);
	CHECK(back == NULL);
	test_hours_column(db);
done:
	unlink(db);
	free(db);
}

/* The CHECK constraints hold site/site's rules inside the file, for any
 * tool that writes it. */
static void test_checks(const char *db)
{
	struct ms_error err = {0};
	struct site_set *csv = read_csv("../data/sites.csv");
	size_t n;
	CHECK_INT(store_import(db, csv, true, &n, &err), MS_OK);
	site_set_free(csv);
	static const char *const bad[] = {
	    "UPDATE sites SET position_quality = 'gps'",
	    "UPDATE sites SET position_quality = NULL",
	    "UPDATE sites SET position_quality = 'surveyed', position_uncertainty_m = 101",
	    "UPDATE sites SET position_quality = 'street', position_uncertainty_m = 500.5",
	    "UPDATE sites SET position_uncertainty_m = 0",
	    "UPDATE sites SET position_uncertainty_m = -1",
	    "UPDATE sites SET position_uncertainty_m = 20000001",
	    "UPDATE sites SET position_uncertainty_m = 'far'",
	    "UPDATE sites SET position_uncertainty_m = NULL",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_MSG(exec_rc(db, bad[i]) == SQLITE_CONSTRAINT, "accepted: %s", bad[i]);
	/* a valid change by hand is fine, and reads back */
	CHECK_INT(exec_rc(db, "UPDATE sites SET position_quality = 'surveyed', position_uncertainty_m = 100 "
	                      "WHERE id = 'gt-red-army-locust'"),
	          SQLITE_OK);
	CHECK_INT(exec_rc(db, "UPDATE sites SET position_uncertainty_m = 7 WHERE id = 'gt-party-school'"),
	          SQLITE_OK);
	struct site_set *back = NULL;
	CHECK_INT(store_load(db, &back, &err), MS_OK);
	const struct site *s = back ? find_id(back, "gt-red-army-locust") : NULL;
	CHECK(s && s->quality == SITE_QUALITY_SURVEYED && site_uncertainty(s) == 100);
	s = back ? find_id(back, "gt-party-school") : NULL;
	CHECK(s && s->quality == SITE_QUALITY_TOWN && site_uncertainty(s) == 7);
	site_set_free(back);
}

/* Sites "PREFIX-0" .. "PREFIX-(n-1)" spread over China. */
static struct site_set *generated(const char *prefix, int n)
{
	struct buf csv = BUF_INIT;
	buf_puts(&csv, "id,name_zh,category,lat,lon\n");
	for (int i = 0; i < n; i++)
		buf_printf(&csv, "%s-%d,点%d,museum,%.5f,%.5f\n", prefix, i, i, 25.0 + (i % 97) * 0.13,
		           100.0 + (i % 89) * 0.21);
	struct site_set *set = site_set_new();
	struct ms_error err = {0};
	CHECK_MSG(ingest_csv("gen.csv", csv.data, csv.len, COORDSYS_WGS84, set, &err) == MS_OK, "%s",
	          err.msg);
	buf_free(&csv);
	return set;
}

/* Imports started at the same moment by several processes all land:
 * each waits for the lock and copies the result of the one before it. */
#define RACERS 3
#define RACER_SITES 3000
static void test_concurrent_imports(const char *db)
{
	struct site_set *before = NULL;
	struct ms_error err = {0};
	CHECK_INT(store_load(db, &before, &err), MS_OK);
	size_t n0 = before ? before->n : 0;
	site_set_free(before);
	int gate[2];
	CHECK(pipe(gate) == 0);
	pid_t pid[RACERS];
	for (int k = 0; k < RACERS; k++) {
		pid[k] = fork();
		if (pid[k] == 0) {
			char prefix[16];
			snprintf(prefix, sizeof prefix, "race%d", k);
			struct site_set *mine = generated(prefix, RACER_SITES);
			close(gate[1]);
			char c;
			(void)!read(gate[0], &c, 1); /* everyone starts when the gate closes */
			struct ms_error e = {0};
			size_t n = 0;
			int rc = store_import(db, mine, false, &n, &e) == MS_OK && n == RACER_SITES ? 0 : 1;
			if (rc)
				fprintf(stderr, "racer %d: %s\n", k, e.msg);
			site_set_free(mine);
			_exit(rc);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (int k = 0; k < RACERS; k++) {
		int st = -1;
		waitpid(pid[k], &st, 0);
		CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "racer %d failed", k);
	}
	struct site_set *after = NULL;
	CHECK_INT(store_load(db, &after, &err), MS_OK);
	CHECK_INT(after ? after->n : 0, n0 + RACERS * RACER_SITES);
	site_set_free(after);
	CHECK_INT(dir_entries(), 1); /* no lock file, no temporary left */
}

/* What a killed import leaves (its temporary file and journal, its lock
 * file) is removed by the next import; nothing else is touched. */
static void test_leftovers(const char *db)
{
	static const char *const dead[] = {"sites.sqlite.import-4242-0", "sites.sqlite.import-4242-0-journal",
	                                   "sites.sqlite.import-7-13-wal", "sites.sqlite.lock"};
	static const char *const kept[] = {"sites.sqlite.import-x-0", "sites.sqlite.import-1-2.bak",
	                                   "sites.sqlite.import-1-", "other.sqlite.import-1-1",
	                                   "sites.sqlite.import-1-2-journal.old"};
	for (size_t i = 0; i < sizeof dead / sizeof *dead; i++) {
		char *p = path_in_dir(dead[i]);
		FILE *f = fopen(p, "wb");
		fputs("half an import\n", f);
		fclose(f);
		free(p);
	}
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
		char *p = path_in_dir(kept[i]);
		FILE *f = fopen(p, "wb");
		fclose(f);
		free(p);
	}
	struct site_set *more = read_csv("data/store/more.csv");
	struct ms_error err = {0};
	size_t n;
	CHECK_INT(store_import(db, more, true, &n, &err), MS_OK);
	for (size_t i = 0; i < sizeof dead / sizeof *dead; i++) {
		char *p = path_in_dir(dead[i]);
		CHECK_MSG(access(p, F_OK) != 0, "%s is still there", dead[i]);
		free(p);
	}
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
		char *p = path_in_dir(kept[i]);
		CHECK_MSG(access(p, F_OK) == 0, "%s was removed", kept[i]);
		unlink(p);
		free(p);
	}
	CHECK_INT(dir_entries(), 1);
	site_set_free(more);
}

/* An import waits while another holds the lock, then lands. */
static void test_waits_for_lock(const char *db)
{
	char *lock = path_in_dir("sites.sqlite.lock");
	int fd = open(lock, O_RDWR | O_CREAT, 0666);
	CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
	int done[2];
	CHECK(pipe(done) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(done[0]);
		struct site_set *mine = generated("waiter", 10);
		struct ms_error e = {0};
		int rc = store_import(db, mine, false, NULL, &e) == MS_OK ? 0 : 1;
		(void)!write(done[1], "x", 1);
		site_set_free(mine);
		_exit(rc);
	}
	close(done[1]);
	/* The child cannot finish while the lock is held: its "done" byte
	 * does not come (checked without a clock: nothing is readable). */
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 300000000};
	nanosleep(&pause, NULL);
	int flags = fcntl(done[0], F_GETFL);
	fcntl(done[0], F_SETFL, flags | O_NONBLOCK);
	char c;
	CHECK(read(done[0], &c, 1) < 0);
	unlink(lock); /* released as an import releases it */
	close(fd);
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(done[0]);
	struct site_set *after = NULL;
	struct ms_error err = {0};
	CHECK_INT(store_load(db, &after, &err), MS_OK);
	CHECK(after != NULL);
	bool found = false;
	for (size_t i = 0; after && i < after->n; i++)
		found |= !strcmp(site_field(&after->v[i], SITE_ID), "waiter-9");
	CHECK(found);
	site_set_free(after);
	free(lock);
	CHECK_INT(dir_entries(), 1);
}

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static double urand(double lo, double hi)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return lo + (hi - lo) * ((double)(rng_state >> 11) / 9007199254740992.0);
}

/* n sites with ids PREFIX00000.., at random positions over the whole
 * globe, some of them on the antimeridian and some repeated. */
static struct site_set *random_sites(const char *prefix, size_t n)
{
	struct site_set *set = site_set_new();
	for (size_t i = 0; i < n; i++) {
		char id[32], name[32];
		snprintf(id, sizeof id, "%s%05zu", prefix, i);
		snprintf(name, sizeof name, "点%zu", i);
		struct site_draft s = {0};
		s.field[SITE_ID] = id;
		s.field[SITE_NAME_ZH] = name;
		s.field[SITE_CATEGORY] = "museum";
		s.category = CAT_MUSEUM;
		s.quality = SITE_QUALITY_UNKNOWN;
		s.uncertainty_m = site_quality_default_m(SITE_QUALITY_UNKNOWN);
		s.lat = urand(-90, 90);
		s.lon = i % 50 == 0 ? (i % 100 ? 180.0 : -180.0) : urand(-180, 180);
		if (i % 37 == 5) { /* the same place as the site before */
			s.lat = set->v[i - 1].lat;
			s.lon = set->v[i - 1].lon;
		}
		site_set_add(set, &s);
	}
	return set;
}

static const char trigger_sql[] =
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'sites' ORDER BY name";
static const char never[] = "0000-01-01T00:00:00.000Z|";

/* Imports of every size go through the bulk paths: a new file (packed
 * R*Tree), a large addition (rebuilt with the old entries), a small one
 * (row by row), a replace.  After each the spatial index equals the
 * triggers', the triggers are SpatiaLite's own again, and the time stamps
 * the triggers keep moved as theirs would have. */
static void test_bulk_import(void)
{
	char *db = path_in_dir("bulk.sqlite"), *ref = path_in_dir("ref.sqlite");
	struct ms_error err = {0};
	size_t n = 0;

	/* What SpatiaLite itself makes of the same column. */
	CHECK_INT(
	    exec_sql(ref, "SELECT InitSpatialMetadata(1); CREATE TABLE sites (id TEXT PRIMARY KEY, lat REAL, "
	                  "lon REAL); SELECT AddGeometryColumn('sites', 'geom', 4326, 'POINT', 'XY', 1); "
	                  "SELECT CreateSpatialIndex('sites', 'geom')"),
	    SQLITE_OK);
	char *want = query_text(ref, trigger_sql);
	CHECK(strstr(want, "gii_sites_geom") != NULL && strstr(want, "tmi_sites_geom") != NULL);

	struct site_set *a = random_sites("a", 3000);
	CHECK_MSG(store_import(db, a, false, &n, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(n, 3000);
	same_rtree_as_triggers(db);
	char *got = query_text(db, trigger_sql);
	CHECK_STR(got, want);
	free(got);
	char *t = query_text(
	    db, "SELECT last_insert, last_delete FROM geometry_columns_time WHERE f_table_name = 'sites'");
	CHECK_MSG(strncmp(t, never, strlen(never)) != 0 && strstr(t, never) != NULL, "%s", t);
	free(t);

	/* A large addition rebuilds the index with the old entries. */
	struct site_set *b = random_sites("b", 1000);
	CHECK_MSG(store_import(db, b, false, &n, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites"), 4000);
	same_rtree_as_triggers(db);

	/* A small one goes row by row; a stale entry under the next rowid
	 * (as a broken file might hold) is dropped either way, as the
	 * trigger drops it. */
	CHECK_INT(
	    exec_sql(db,
	             "INSERT INTO idx_sites_geom VALUES ((SELECT max(rowid) + 1 FROM sites), 1, 2, 3, 4)"),
	    SQLITE_OK);
	struct site_set *c = random_sites("c", 10);
	CHECK_MSG(store_import(db, c, false, &n, &err) == MS_OK, "%s", err.msg);
	same_rtree_as_triggers(db);
	CHECK_INT(query_int(db, "SELECT count(*) FROM idx_sites_geom WHERE xmin = 1 AND ymax = 4"), 0);
	CHECK_INT(
	    exec_sql(db,
	             "INSERT INTO idx_sites_geom VALUES ((SELECT max(rowid) + 1 FROM sites), 1, 2, 3, 4)"),
	    SQLITE_OK);
	struct site_set *d = random_sites("d", 3000);
	CHECK_MSG(store_import(db, d, false, &n, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites"), 7010);
	same_rtree_as_triggers(db);
	CHECK_INT(query_int(db, "SELECT count(*) FROM idx_sites_geom WHERE xmin = 1 AND ymax = 4"), 0);

	/* Replace: only the new rows, and the delete time moves too. */
	CHECK_MSG(store_import(db, b, true, &n, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(query_int(db, "SELECT count(*) FROM sites"), 1000);
	same_rtree_as_triggers(db);
	t = query_text(db, "SELECT last_delete FROM geometry_columns_time WHERE f_table_name = 'sites'");
	CHECK_MSG(strcmp(t, never) != 0, "%s", t);
	free(t);
	got = query_text(db, trigger_sql);
	CHECK_STR(got, want);
	free(got);
	/* and an empty replace leaves an empty, valid index */
	struct site_set *none = site_set_new();
	CHECK_MSG(store_import(db, none, true, &n, &err) == MS_OK, "%s", err.msg);
	same_rtree_as_triggers(db);
	CHECK_INT(query_int(db, "SELECT count(*) FROM idx_sites_geom"), 0);

	site_set_free(a);
	site_set_free(b);
	site_set_free(c);
	site_set_free(d);
	site_set_free(none);
	free(want);
	unlink(db);
	unlink(ref);
	free(db);
	free(ref);
}

/* A large table is read in rowid ranges on several connections at once
 * (store.c): the set is the one a single scan gives, whatever the gaps in
 * the rowids or the journal mode, and a bad row is reported as a single
 * scan would report it, the first in rowid order. */
static void test_parallel_load(void)
{
	char *db = path_in_dir("large.sqlite");
	struct ms_error err = {0};
	size_t n = 0, want_n = 60000;
	struct site_set *want = random_sites("p", want_n);
	CHECK_MSG(store_import(db, want, false, &n, &err) == MS_OK, "%s", err.msg);
	site_set_sort_by_id(want);

	struct site_set *got = NULL;
	CHECK_MSG(store_load(db, &got, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(got->n, want_n);
	size_t same = 0;
	for (size_t i = 0; i < got->n && i < want_n; i++)
		same += !strcmp(site_field(&got->v[i], SITE_ID), site_field(&want->v[i], SITE_ID)) &&
		        got->v[i].lat == want->v[i].lat && got->v[i].lon == want->v[i].lon &&
		        !strcmp(site_field(&got->v[i], SITE_NAME_ZH), site_field(&want->v[i], SITE_NAME_ZH));
	CHECK_INT(same, want_n);
	site_set_free(got);

	/* A hole in the rowids, and rows whose rowids are out of id order. */
	CHECK_INT(exec_sql(db, "DELETE FROM sites WHERE rowid BETWEEN 10000 AND 29999;"
	                       "UPDATE sites SET rowid = rowid + 100000 WHERE id < 'p05000'"),
	          SQLITE_OK);
	CHECK_MSG(store_load(db, &got, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(got->n, want_n - 20000);
	bool sorted = true;
	for (size_t i = 1; i < got->n; i++)
		sorted = sorted &&
		         strcmp(site_field(&got->v[i - 1], SITE_ID), site_field(&got->v[i], SITE_ID)) < 0;
	CHECK(sorted);
	CHECK_STR(site_field(&got->v[0], SITE_ID), "p00000");
	site_set_free(got);

	/* In WAL mode one connection reads it all, to the same answer. */
	CHECK_INT(exec_sql(db, "PRAGMA journal_mode=WAL"), SQLITE_OK);
	CHECK_MSG(store_load(db, &got, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(got->n, want_n - 20000);
	site_set_free(got);
	CHECK_INT(exec_sql(db, "PRAGMA journal_mode=DELETE"), SQLITE_OK);

	/* Bad rows in the last range and in the first: the first is named. */
	CHECK_INT(exec_sql(db, "UPDATE sites SET category = 'bogus' WHERE id = 'p59990'"), SQLITE_OK);
	CHECK(store_load(db, &got, &err) == MS_EDATA && !got);
	CHECK_MSG(strstr(err.msg, "site 'p59990': unknown category 'bogus'"), "%s", err.msg);
	CHECK_INT(exec_sql(db, "UPDATE sites SET category = 'bogus' WHERE id = 'p06000'"), SQLITE_OK);
	CHECK(store_load(db, &got, &err) == MS_EDATA && !got);
	CHECK_MSG(strstr(err.msg, "site 'p06000'"), "%s", err.msg);

	site_set_free(want);
	unlink(db);
	free(db);
}

static int64_t one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* store_rtree_load on its own: boxes rounded as SQLite rounds them,
 * multi-level trees that rtreecheck accepts and that answer box queries
 * like brute force, and R*Trees it must not write left alone. */
static void test_rtree_load(void)
{
	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
	CHECK_INT(
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE r USING rtree(id, x0, x1, y0, y1)", NULL, NULL, NULL),
	    SQLITE_OK);

	/* The rounding: SQLite's own conversion of the same doubles. */
	enum { NR = 2000 };
	static double v[NR];
	for (int i = 0; i < NR; i++) {
		double e = pow(10.0, urand(-40, 6));
		v[i] = i < 8 ? (double[]){0.1, -0.1, 0, 1e-45, -1e-45, 179.9999999, -180, 3.4e38}[i]
		             : (i % 2 ? -e : e);
	}
	sqlite3_stmt *ins = NULL, *get = NULL;
	sqlite3_prepare_v2(db, "INSERT INTO r VALUES (?1, ?2, ?2, ?2, ?2)", -1, &ins, NULL);
	for (int i = 0; i < NR; i++) {
		sqlite3_bind_int(ins, 1, i + 1);
		sqlite3_bind_double(ins, 2, v[i]);
		CHECK_INT(sqlite3_step(ins), SQLITE_DONE);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	sqlite3_prepare_v2(db, "SELECT id, x0, x1 FROM r ORDER BY id", -1, &get, NULL);
	int same = 0;
	while (sqlite3_step(get) == SQLITE_ROW) {
		double d = v[sqlite3_column_int(get, 0) - 1];
		same += sqlite3_column_double(get, 1) == (double)store_rtree_down(d) &&
		        sqlite3_column_double(get, 2) == (double)store_rtree_up(d);
	}
	sqlite3_finalize(get);
	CHECK_INT(same, NR);

	/* Trees of one to four levels, checked and queried. */
	static const size_t sizes[] = {0, 1, 51, 52, 3000, 30000};
	enum { NQ = 60 };
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t n = sizes[k];
		struct rtree_point *p = malloc((n + 1) * sizeof *p);
		for (size_t i = 0; i < n; i++)
			p[i] = (struct rtree_point){(int64_t)(3 * i + 7), urand(-180, 180), urand(-90, 90)};
		struct ms_error err = {0};
		CHECK_MSG(store_rtree_load(db, "r", p, n, false, &err) == MS_OK, "%s", err.msg);
		CHECK_INT(one(db, "SELECT count(*) FROM r"), n);
		sqlite3_stmt *ck = NULL;
		sqlite3_prepare_v2(db, "SELECT rtreecheck('r')", -1, &ck, NULL);
		CHECK(sqlite3_step(ck) == SQLITE_ROW &&
		      strcmp((const char *)sqlite3_column_text(ck, 0), "ok") == 0);
		sqlite3_finalize(ck);
		sqlite3_stmt *q = NULL;
		sqlite3_prepare_v2(
		    db, "SELECT count(*) FROM r WHERE x1 >= ?1 AND x0 <= ?2 AND y1 >= ?3 AND y0 <= ?4", -1,
		    &q, NULL);
		int bad = 0;
		for (int qi = 0; qi < NQ; qi++) {
			double w = urand(-180, 170), s0 = urand(-90, 80), e = w + urand(0, 40),
			       nn = s0 + urand(0, 20);
			size_t want = 0;
			for (size_t i = 0; i < n; i++)
				want += store_rtree_up(p[i].x) >= w && store_rtree_down(p[i].x) <= e &&
				        store_rtree_up(p[i].y) >= s0 && store_rtree_down(p[i].y) <= nn;
			sqlite3_bind_double(q, 1, w);
			sqlite3_bind_double(q, 2, e);
			sqlite3_bind_double(q, 3, s0);
			sqlite3_bind_double(q, 4, nn);
			bad += sqlite3_step(q) != SQLITE_ROW || (size_t)sqlite3_column_int64(q, 0) != want;
			sqlite3_reset(q);
		}
		sqlite3_finalize(q);
		CHECK_MSG(bad == 0, "n=%zu: %d box queries differ", n, bad);
		/* keep_existing adds to what is there */
		if (n == 3000) {
			struct rtree_point extra[3] = {{100000, 1, 2}, {100001, -3, -4}, {100002, 5, 6}};
			CHECK_MSG(store_rtree_load(db, "r", extra, 3, true, &err) == MS_OK, "%s", err.msg);
			CHECK_INT(one(db, "SELECT count(*) FROM r"), n + 3);
			CHECK_INT(one(db, "SELECT count(*) FROM r WHERE x0 <= -3 AND x1 >= -3 AND y0 <= -4 "
			                  "AND y1 >= -4 "
			                  "AND id = 100001"),
			          1);
		}
		free(p);
	}

	/* Not a plain 2-D float rtree: refused, untouched. */
	static const char *const other[] = {
	    "CREATE VIRTUAL TABLE o USING rtree_i32(id, x0, x1, y0, y1)",
	    "CREATE VIRTUAL TABLE o USING rtree(id, x0, x1, y0, y1, +name)",
	    "CREATE VIRTUAL TABLE o USING rtree(id, x0, x1, y0, y1, z0, z1)",
	    "CREATE TABLE o (id INTEGER PRIMARY KEY, x0, x1, y0, y1)",
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		CHECK_INT(sqlite3_exec(db, other[i], NULL, NULL, NULL), SQLITE_OK);
		CHECK_INT(sqlite3_exec(db, "INSERT INTO o (id, x0, x1, y0, y1) VALUES (1, 0, 1, 0, 1)", NULL,
		                       NULL, NULL),
		          SQLITE_OK);
		struct rtree_point pt = {2, 5, 5};
		struct ms_error err = {0};
		CHECK_INT(store_rtree_load(db, "o", &pt, 1, false, &err), MS_EUSAGE);
		CHECK_INT(one(db, "SELECT count(*) FROM o"), 1);
		CHECK_INT(sqlite3_exec(db, "DROP TABLE o", NULL, NULL, NULL), SQLITE_OK);
	}
	sqlite3_close(db);
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
	test_checks(db);
	test_legacy();
	test_bulk_import();
	test_parallel_load();
	test_rtree_load();
	test_leftovers(db);
	test_concurrent_imports(db);
	test_waits_for_lock(db);
	unlink(db);
	free(db);
	CHECK_INT(dir_entries(), 0);
	rmdir(dir);
	spatialite_shutdown();
	return CHECK_DONE();
}

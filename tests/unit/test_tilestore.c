/* test_tilestore.c - the tile store seam and its MBTiles backend: the
 * backend chosen by name or extension (and refused when there is none),
 * tiles read back by XYZ address and stored under TMS rows, identical
 * contents stored once, the metadata MBTiles 1.3 names plus the extras,
 * a store published whole by finish (an existing target replaced, its
 * mode kept) and removed by close when unfinished, and the misuses
 * refused with what and where. */
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tilestore/tilestore.h"

static char dir[512];

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* Entries of the test folder, "." and ".." not counted. */
static int entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static const char *const extras[][2] = {{"coordsys", "gcj02"}, {"scale", "2"}};

static const struct tilestore_meta meta = {
    .name = "Test overlay",
    .description = "tiles of a test",
    .attribution = "nobody",
    .version = "1.0.0",
    .format = "png",
    .type = "overlay",
    .bounds = {117.5, 36.5, 118.5, 37.25},
    .center_lon = 118,
    .center_lat = 36.875,
    .center_zoom = 9,
    .minzoom = 0,
    .maxzoom = 12,
    .extra = extras,
    .nextra = 2,
};

static void test_backends(void)
{
	const struct tilestore_backend *mb = tilestore_backend_named("mbtiles");
	CHECK(mb != NULL && !strcmp(mb->extension, ".mbtiles"));
	CHECK(tilestore_backend_named("MBTiles") == mb);
	CHECK(tilestore_backend_named("pmtiles") == NULL);
	CHECK(tilestore_backend_for_path("a/b/overlay.mbtiles") == mb);
	CHECK(tilestore_backend_for_path("OVERLAY.MBTILES") == mb);
	CHECK(tilestore_backend_for_path(".mbtiles") == NULL); /* a name, not only an extension */
	CHECK(tilestore_backend_for_path("overlay.db") == NULL);

	struct tilestore *ts = (struct tilestore *)1;
	struct ms_error err = {0};
	char path[600];
	path_of(path, sizeof path, "overlay.zip");
	CHECK(tilestore_create(path, NULL, &meta, &ts, &err) == MS_EUSAGE && ts == NULL);
	CHECK_MSG(strstr(err.msg, "overlay.zip: no tile store format") &&
	              strstr(err.msg, "mbtiles (.mbtiles)"),
	          "%s", err.msg);
	CHECK(tilestore_create(path, "pmtiles", &meta, &ts, &err) == MS_EUSAGE);
	CHECK_MSG(strstr(err.msg, "'pmtiles'") != NULL, "%s", err.msg);
	CHECK_INT(entries(), 0);
}

/* Three tiles, two of them the same bytes. */
static void write_three(struct tilestore *ts)
{
	struct ms_error err = {0};
	CHECK(tilestore_put(ts, 0, 0, 0, "zero", 4, &err) == MS_OK);
	CHECK(tilestore_put(ts, 3, 1, 2, "empty", 5, &err) == MS_OK);
	CHECK(tilestore_put(ts, 3, 6, 7, "empty", 5, &err) == MS_OK);
}

static void test_write_read(void)
{
	char path[600];
	path_of(path, sizeof path, "a.mbtiles");
	struct tilestore *ts = NULL;
	struct ms_error err = {0};
	CHECK(tilestore_create(path, NULL, &meta, &ts, &err) == MS_OK);
	if (!ts)
		return;
	write_three(ts);
	CHECK(access(path, F_OK) != 0); /* nothing published before finish */
	/* refusals while writing */
	CHECK(tilestore_put(ts, 3, 8, 0, "x", 1, &err) == MS_EUSAGE);
	CHECK_MSG(strstr(err.msg, "tile 3/8/0 is outside the grid") != NULL, "%s", err.msg);
	CHECK(tilestore_put(ts, 25, 0, 0, "x", 1, &err) == MS_EUSAGE);
	struct buf b = BUF_INIT;
	bool found = true;
	CHECK(tilestore_get(ts, 0, 0, 0, &b, &found, &err) == MS_EUSAGE && !found);
	CHECK(tilestore_finish(ts, &err) == MS_OK);
	struct tilestore_stats st;
	tilestore_stats(ts, &st);
	CHECK_INT(st.tiles, 3);
	CHECK_INT(st.images, 2);
	CHECK(tilestore_put(ts, 0, 0, 0, "x", 1, &err) == MS_EUSAGE); /* finished */
	CHECK(tilestore_finish(ts, &err) == MS_EUSAGE);
	tilestore_close(ts);
	CHECK_INT(entries(), 1);

	CHECK(tilestore_open(path, NULL, &ts, &err) == MS_OK);
	if (!ts)
		return;
	CHECK(tilestore_get(ts, 3, 6, 7, &b, &found, &err) == MS_OK && found);
	CHECK(b.len == 5 && !memcmp(b.data, "empty", 5));
	buf_reset(&b);
	CHECK(tilestore_get(ts, 0, 0, 0, &b, &found, &err) == MS_OK && found);
	CHECK(b.len == 4 && !memcmp(b.data, "zero", 4));
	buf_reset(&b);
	CHECK(tilestore_get(ts, 3, 7, 6, &b, &found, &err) == MS_OK && !found && b.len == 0);
	CHECK(tilestore_get(ts, 30, 0, 0, &b, &found, &err) == MS_OK && !found); /* in no store */
	CHECK(tilestore_put(ts, 0, 0, 0, "x", 1, &err) == MS_EUSAGE);            /* open for reading */
	buf_free(&b);
	tilestore_close(ts);
}

/* The file as MBTiles 1.3 readers see it. */
static void test_mbtiles_layout(void)
{
	char path[600];
	path_of(path, sizeof path, "a.mbtiles");
	sqlite3 *db = NULL;
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_stmt *q = NULL;
	/* XYZ row 2 at zoom 3 is TMS row 8 - 1 - 2 = 5 */
	CHECK(sqlite3_prepare_v2(
	          db, "SELECT tile_data FROM tiles WHERE zoom_level = 3 AND tile_column = 1 AND tile_row = 5",
	          -1, &q, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == 5);
	sqlite3_finalize(q);
	CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM map), (SELECT count(*) FROM images)", -1,
	                         &q, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 3 &&
	      sqlite3_column_int(q, 1) == 2);
	sqlite3_finalize(q);
	static const char *const want[][2] = {
	    {"name", "Test overlay"},
	    {"format", "png"},
	    {"bounds", "117.500000,36.500000,118.500000,37.250000"},
	    {"center", "118.000000,36.875000,9"},
	    {"minzoom", "0"},
	    {"maxzoom", "12"},
	    {"attribution", "nobody"},
	    {"description", "tiles of a test"},
	    {"type", "overlay"},
	    {"version", "1.0.0"},
	    {"coordsys", "gcj02"},
	    {"scale", "2"},
	};
	CHECK(sqlite3_prepare_v2(db, "SELECT value FROM metadata WHERE name = ?1", -1, &q, NULL) ==
	      SQLITE_OK);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, want[i][0], -1, SQLITE_STATIC);
		bool row = sqlite3_step(q) == SQLITE_ROW;
		const char *v = row ? (const char *)sqlite3_column_text(q, 0) : "(none)";
		CHECK_MSG(row && !strcmp(v, want[i][1]), "%s = %s, not %s", want[i][0], v, want[i][1]);
	}
	sqlite3_finalize(q);
	CHECK(sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &q, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 0x4d504258);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* Finish replaces an existing target whole, keeping its mode; an
 * unfinished store leaves the target as it was and nothing beside it. */
static void test_replace_and_abandon(void)
{
	char path[600];
	path_of(path, sizeof path, "a.mbtiles");
	chmod(path, 0604);
	struct tilestore *ts = NULL;
	struct ms_error err = {0};
	CHECK(tilestore_create(path, "mbtiles", &meta, &ts, &err) == MS_OK);
	if (!ts)
		return;
	CHECK(tilestore_put(ts, 1, 1, 1, "one", 3, &err) == MS_OK);
	tilestore_close(ts); /* abandoned */
	CHECK_INT(entries(), 1);
	CHECK(tilestore_open(path, NULL, &ts, &err) == MS_OK);
	struct buf b = BUF_INIT;
	bool found = true;
	CHECK(ts && tilestore_get(ts, 1, 1, 1, &b, &found, &err) == MS_OK && !found); /* the old store */
	tilestore_close(ts);

	CHECK(tilestore_create(path, NULL, &meta, &ts, &err) == MS_OK);
	if (!ts)
		return;
	CHECK(tilestore_put(ts, 1, 1, 1, "one", 3, &err) == MS_OK);
	CHECK(tilestore_finish(ts, &err) == MS_OK);
	tilestore_close(ts);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0604);
	CHECK(tilestore_open(path, NULL, &ts, &err) == MS_OK);
	CHECK(ts && tilestore_get(ts, 1, 1, 1, &b, &found, &err) == MS_OK && found && b.len == 3);
	CHECK(ts && tilestore_get(ts, 0, 0, 0, &b, &found, &err) == MS_OK && !found); /* the new store only */
	tilestore_close(ts);
	tilestore_close(NULL);
	buf_free(&b);
	CHECK_INT(entries(), 1);
	unlink(path);
}

static void test_open_errors(void)
{
	char path[600];
	struct tilestore *ts = NULL;
	struct ms_error err = {0};
	path_of(path, sizeof path, "missing.mbtiles");
	CHECK(tilestore_open(path, NULL, &ts, &err) == MS_EIO && ts == NULL);
	CHECK_MSG(strstr(err.msg, "missing.mbtiles: cannot open") != NULL, "%s", err.msg);
	path_of(path, sizeof path, "text.mbtiles");
	FILE *f = fopen(path, "w");
	if (f) {
		fputs("not a database, only some text long enough to look at", f);
		fclose(f);
	}
	CHECK(tilestore_open(path, NULL, &ts, &err) != MS_OK && ts == NULL);
	CHECK_MSG(strstr(err.msg, "text.mbtiles") != NULL, "%s", err.msg);
	unlink(path);
	path_of(path, sizeof path, "no-such-folder/x.mbtiles");
	CHECK(tilestore_create(path, NULL, &meta, &ts, &err) == MS_EIO && ts == NULL);
	CHECK_MSG(strstr(err.msg, "cannot create a file beside it") != NULL, "%s", err.msg);
	CHECK_INT(entries(), 0);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/tilestore-test-XXXXXX", t && *t ? t : P_tmpdir);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_backends();
	test_write_read();
	test_mbtiles_layout();
	test_replace_and_abandon();
	test_open_errors();
	rmdir(dir);
	return CHECK_DONE();
}

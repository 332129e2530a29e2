/* test_tilestore.c - the tile store seam and its backends: the backend
 * chosen by name or extension (and refused when there is none); MBTiles
 * tiles read back by XYZ address and stored under TMS rows, identical
 * contents stored once, the metadata MBTiles 1.3 names plus the extras; a
 * store published whole by finish (an existing target replaced, its mode
 * kept); the partial file of an unfinished store kept, refused, resumed
 * or restarted, and a resumed store byte for byte the store written at
 * once, in both formats; PMTiles' Hilbert tile ids, directories (varints,
 * runs, leaves), gzip and archives read back from a file and from memory;
 * and the tables of broken metadata and broken archives in
 * tests/data/tilestore/, each refused with what and where. */
#include <dirent.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tilestore/tilestore.h"
#include "tilestore/tilestore_int.h"

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

static bool exists(const char *name)
{
	char p[600];
	path_of(p, sizeof p, name);
	return access(p, F_OK) == 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc(n > 0 ? (size_t)n : 1);
	*len = p && n > 0 ? fread(p, 1, (size_t)n, f) : 0;
	fclose(f);
	return p;
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
	const struct tilestore_backend *pm = tilestore_backend_named("pmtiles");
	CHECK(mb != NULL && !strcmp(mb->extension, ".mbtiles"));
	CHECK(pm != NULL && !strcmp(pm->extension, ".pmtiles"));
	CHECK(tilestore_backend_named("MBTiles") == mb);
	CHECK(tilestore_backend_named("zip") == NULL);
	CHECK(tilestore_backend_for_path("a/b/overlay.mbtiles") == mb);
	CHECK(tilestore_backend_for_path("OVERLAY.MBTILES") == mb);
	CHECK(tilestore_backend_for_path("x.PMTiles") == pm);
	CHECK(tilestore_backend_for_path(".mbtiles") == NULL); /* a name, not only an extension */
	CHECK(tilestore_backend_for_path("overlay.db") == NULL);

	struct tilestore *ts = (struct tilestore *)1;
	struct ms_error err = {0};
	char path[600];
	path_of(path, sizeof path, "overlay.zip");
	CHECK(tilestore_create(path, NULL, &meta, TILESTORE_FRESH, &ts, &err) == MS_EUSAGE && ts == NULL);
	CHECK_MSG(strstr(err.msg, "overlay.zip: no tile store format") &&
	              strstr(err.msg, "mbtiles (.mbtiles), pmtiles (.pmtiles)"),
	          "%s", err.msg);
	CHECK(tilestore_create(path, "zip", &meta, TILESTORE_FRESH, &ts, &err) == MS_EUSAGE);
	CHECK_MSG(strstr(err.msg, "'zip'") != NULL, "%s", err.msg);
	CHECK(tilestore_open_buffer("x", 1, NULL, &ts, &err) == MS_EUSAGE && ts == NULL);
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

/* The three tiles of write_three, read back from ts. */
static void check_three(struct tilestore *ts)
{
	struct ms_error err = {0};
	struct buf b = BUF_INIT;
	bool found = false;
	CHECK(tilestore_get(ts, 3, 6, 7, &b, &found, &err) == MS_OK && found);
	CHECK(b.len == 5 && !memcmp(b.data, "empty", 5));
	buf_reset(&b);
	CHECK(tilestore_get(ts, 3, 1, 2, &b, &found, &err) == MS_OK && found);
	CHECK(b.len == 5 && !memcmp(b.data, "empty", 5));
	buf_reset(&b);
	CHECK(tilestore_get(ts, 0, 0, 0, &b, &found, &err) == MS_OK && found);
	CHECK(b.len == 4 && !memcmp(b.data, "zero", 4));
	buf_reset(&b);
	CHECK(tilestore_get(ts, 3, 7, 6, &b, &found, &err) == MS_OK && !found && b.len == 0);
	CHECK(tilestore_get(ts, 30, 0, 0, &b, &found, &err) == MS_OK && !found); /* in no store */
	buf_free(&b);
}

static void test_write_read(const char *name)
{
	char path[600];
	path_of(path, sizeof path, name);
	struct tilestore *ts = NULL;
	struct ms_error err = {0};
	CHECK(tilestore_create(path, NULL, &meta, TILESTORE_FRESH, &ts, &err) == MS_OK);
	if (!ts)
		return;
	write_three(ts);
	CHECK(access(path, F_OK) != 0); /* nothing published before finish */
	bool found = false;
	CHECK(tilestore_has(ts, 3, 1, 2, &found, &err) == MS_OK && found);
	CHECK(tilestore_has(ts, 3, 2, 1, &found, &err) == MS_OK && !found);
	/* refusals while writing */
	CHECK(tilestore_put(ts, 3, 8, 0, "x", 1, &err) == MS_EUSAGE);
	CHECK_MSG(strstr(err.msg, "tile 3/8/0 is outside the grid") != NULL, "%s", err.msg);
	CHECK(tilestore_put(ts, 25, 0, 0, "x", 1, &err) == MS_EUSAGE);
	struct buf b = BUF_INIT;
	CHECK(tilestore_get(ts, 0, 0, 0, &b, &found, &err) == MS_EUSAGE && !found);
	struct tilestore_stats st;
	tilestore_stats(ts, &st);
	CHECK_INT(st.tiles, 3);
	CHECK_INT(st.images, 2);
	CHECK(tilestore_finish(ts, &err) == MS_OK);
	tilestore_stats(ts, &st);
	CHECK_INT(st.tiles, 3);
	CHECK_INT(st.images, 2);
	CHECK(tilestore_put(ts, 0, 0, 0, "x", 1, &err) == MS_EUSAGE); /* finished */
	CHECK(tilestore_finish(ts, &err) == MS_EUSAGE);
	tilestore_close(ts);
	CHECK_INT(entries(), 1); /* the store, and no partial file */

	CHECK_MSG(tilestore_open(path, NULL, &ts, &err) == MS_OK, "%s", err.msg);
	if (!ts)
		return;
	check_three(ts);
	CHECK(tilestore_put(ts, 0, 0, 0, "x", 1, &err) == MS_EUSAGE); /* open for reading */
	tilestore_stats(ts, &st);
	CHECK_INT(st.tiles, 3);
	CHECK_INT(st.images, 2);
	/* the metadata back, parsed, and the extras by name */
	const struct tilestore_info *in = tilestore_info(ts);
	CHECK_STR(in->format, "png");
	CHECK(in->minzoom == 0 && in->maxzoom == 12 && in->has_bounds && in->has_center);
	CHECK(in->bounds[0] <= 117.5 && in->bounds[0] > 117.4999999 && in->bounds[3] >= 37.25 &&
	      in->bounds[3] < 37.2500001);
	CHECK(in->center_zoom == 9);
	CHECK(tilestore_meta_value(ts, "scale") && !strcmp(tilestore_meta_value(ts, "scale"), "2"));
	CHECK(tilestore_meta_value(ts, "coordsys") && !strcmp(tilestore_meta_value(ts, "coordsys"), "gcj02"));
	CHECK(tilestore_meta_value(ts, "name") && !strcmp(tilestore_meta_value(ts, "name"), "Test overlay"));
	CHECK(tilestore_meta_value(ts, "nothing") == NULL);
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
	/* compacted: no page is free */
	CHECK(sqlite3_prepare_v2(db, "PRAGMA freelist_count", -1, &q, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* The partial file of an unfinished store: kept by close, refused
 * without a word, resumed for the same metadata only, or restarted; and
 * finish replaces an existing target whole, keeping its mode. */
static void test_partial_files(void)
{
	char path[600], partial[700];
	path_of(path, sizeof path, "a.mbtiles");
	tilestore_partial_path(path, partial, sizeof partial);
	CHECK(strstr(partial, "a.mbtiles.partial") != NULL);
	chmod(path, 0604);
	struct tilestore *ts = NULL;
	struct ms_error err = {0};
	CHECK(tilestore_create(path, "mbtiles", &meta, TILESTORE_FRESH, &ts, &err) == MS_OK);
	if (!ts)
		return;
	CHECK(tilestore_put(ts, 1, 1, 1, "one", 3, &err) == MS_OK);
	/* a second writer of the same target is refused while this one runs */
	struct tilestore *other = NULL;
	CHECK(tilestore_create(path, NULL, &meta, TILESTORE_RESUME, &other, &err) == MS_EUSAGE && !other);
	CHECK_MSG(strstr(err.msg, "another seed is writing it") != NULL, "%s", err.msg);
	tilestore_close(ts); /* abandoned: the partial file stays */
	CHECK(exists("a.mbtiles.partial") && !exists("a.mbtiles.partial-journal"));
	CHECK_INT(entries(), 2);
	CHECK(tilestore_open(path, NULL, &ts, &err) == MS_OK);
	struct buf b = BUF_INIT;
	bool found = true;
	CHECK(ts && tilestore_get(ts, 1, 1, 1, &b, &found, &err) == MS_OK && !found); /* the old store */
	tilestore_close(ts);

	/* not without --resume or --force */
	CHECK(tilestore_create(path, NULL, &meta, TILESTORE_FRESH, &ts, &err) == MS_EUSAGE && !ts);
	CHECK_MSG(strstr(err.msg, "a.mbtiles.partial exists") && strstr(err.msg, "--resume continues it") &&
	              strstr(err.msg, "--force starts over"),
	          "%s", err.msg);
	/* not for another store: the message names the row that differs */
	const char *const other_scale[][2] = {{"coordsys", "gcj02"}, {"scale", "1"}};
	struct tilestore_meta m2 = meta;
	m2.extra = other_scale;
	CHECK(tilestore_create(path, NULL, &m2, TILESTORE_RESUME, &ts, &err) == MS_EUSAGE && !ts);
	CHECK_MSG(strstr(err.msg, "was made for another seed: its 'scale' is '2', this seed's is '1'"), "%s",
	          err.msg);
	m2 = meta;
	m2.maxzoom = 11;
	CHECK(tilestore_create(path, NULL, &m2, TILESTORE_RESUME, &ts, &err) == MS_EUSAGE && !ts);
	CHECK_MSG(strstr(err.msg, "its 'maxzoom' is '12', this seed's is '11'"), "%s", err.msg);
	m2 = meta;
	m2.nextra = 1;
	CHECK(tilestore_create(path, NULL, &m2, TILESTORE_RESUME, &ts, &err) == MS_EUSAGE && !ts);
	CHECK_MSG(strstr(err.msg, "it has metadata 'scale' this one has not"), "%s", err.msg);
	CHECK(exists("a.mbtiles.partial")); /* refusals keep it */

	/* resumed: the earlier tile is there */
	CHECK(tilestore_create(path, NULL, &meta, TILESTORE_RESUME, &ts, &err) == MS_OK);
	if (!ts)
		return;
	struct tilestore_stats st;
	tilestore_stats(ts, &st);
	CHECK_INT(st.tiles, 1);
	CHECK(tilestore_has(ts, 1, 1, 1, &found, &err) == MS_OK && found);
	tilestore_close(ts);

	/* restarted: it is gone */
	CHECK(tilestore_create(path, NULL, &meta, TILESTORE_RESTART, &ts, &err) == MS_OK);
	if (!ts)
		return;
	tilestore_stats(ts, &st);
	CHECK_INT(st.tiles, 0);
	CHECK(tilestore_has(ts, 1, 1, 1, &found, &err) == MS_OK && !found);
	CHECK(tilestore_put(ts, 1, 1, 1, "one", 3, &err) == MS_OK);
	CHECK(tilestore_finish(ts, &err) == MS_OK);
	tilestore_close(ts);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0604);
	CHECK(!exists("a.mbtiles.partial"));
	CHECK(tilestore_open(path, NULL, &ts, &err) == MS_OK);
	CHECK(ts && tilestore_get(ts, 1, 1, 1, &b, &found, &err) == MS_OK && found && b.len == 3);
	CHECK(ts && tilestore_get(ts, 0, 0, 0, &b, &found, &err) == MS_OK && !found); /* the new store only */
	tilestore_close(ts);
	tilestore_close(NULL);
	buf_free(&b);
	CHECK_INT(entries(), 1);
	unlink(path);
}

/* ------------------------------------------------------------ PMTiles */

static void test_tile_ids(void)
{
	/* the reference implementation's first values (js/src/index.ts) */
	CHECK(pmtiles_tile_id(0, 0, 0) == 0);
	CHECK(pmtiles_tile_id(1, 0, 0) == 1);
	CHECK(pmtiles_tile_id(1, 0, 1) == 2);
	CHECK(pmtiles_tile_id(1, 1, 1) == 3);
	CHECK(pmtiles_tile_id(1, 1, 0) == 4);
	CHECK(pmtiles_tile_id(2, 0, 0) == 5);
	CHECK(pmtiles_tile_id(20, 0, 0) == 366503875925ULL);
	CHECK(pmtiles_tile_id(26, (1u << 26) - 1, (1u << 26) - 1) + 0 > pmtiles_tile_id(26, 0, 0));
	/* each zoom's ids fill its range once, and the curve moves one tile a step */
	for (int z = 0; z <= 6; z++) {
		uint32_t n = 1u << z;
		uint64_t start = pmtiles_tile_id(z, 0, 0);
		CHECK(start == ((1ULL << (2 * z)) - 1) / 3);
		uint32_t *xs = calloc((size_t)n * n, sizeof *xs), *ys = calloc((size_t)n * n, sizeof *ys);
		int *seen = calloc((size_t)n * n, sizeof *seen);
		int bad = 0;
		for (uint32_t x = 0; x < n; x++)
			for (uint32_t y = 0; y < n; y++) {
				uint64_t d = pmtiles_tile_id(z, x, y) - start;
				if (d >= (uint64_t)n * n || seen[d]++) {
					bad++;
					continue;
				}
				xs[d] = x;
				ys[d] = y;
			}
		for (uint64_t d = 1; d < (uint64_t)n * n; d++) {
			long dx = (long)xs[d] - (long)xs[d - 1], dy = (long)ys[d] - (long)ys[d - 1];
			bad += labs(dx) + labs(dy) != 1;
		}
		CHECK_MSG(bad == 0, "zoom %d: %d tiles off the curve", z, bad);
		free(xs);
		free(ys);
		free(seen);
	}
	/* and back, over every zoom */
	uint32_t r = 12345;
	int bad = 0;
	for (int i = 0; i < 20000; i++) {
		r = r * 1103515245u + 12345u;
		int z = (int)(r % 27);
		uint32_t x = (r >> 3) & ((1u << z) - 1), y = (r * 7u >> 2) & ((1u << z) - 1);
		int zz;
		uint32_t xx, yy;
		bad += !pmtiles_tile_zxy(pmtiles_tile_id(z, x, y), &zz, &xx, &yy) || zz != z || xx != x ||
		       yy != y;
	}
	CHECK_MSG(bad == 0, "%d ids do not map back", bad);
	int z;
	uint32_t x, y;
	CHECK(!pmtiles_tile_zxy(UINT64_MAX, &z, &x, &y));
}

static void test_directories(void)
{
	/* the spec's zeroing of contiguous offsets, and a round trip */
	struct pmtiles_entry e[] = {
	    {0, 0, 10, 1}, {1, 10, 5, 3}, {7, 2, 8, 1}, {1000000007ULL, 15, 1, 70000}};
	struct buf raw = BUF_INIT;
	pmtiles_encode_dir(e, 4, &raw);
	static const uint8_t want_head[] = {4, 0, 1, 6}; /* count, then id deltas */
	CHECK(raw.len > 4 && !memcmp(raw.data, want_head, 4));
	struct pmtiles_entry *back = NULL;
	size_t n = 0;
	struct ms_error err = {0};
	CHECK(pmtiles_decode_dir("t", (const uint8_t *)raw.data, raw.len, &back, &n, &err) == MS_OK &&
	      n == 4);
	CHECK(back && !memcmp(back, e, sizeof e));
	free(back);
	/* gzip round trip, and a bomb refused */
	struct buf gz = BUF_INIT, out = BUF_INIT;
	CHECK(pmtiles_gzip(raw.data, raw.len, &gz, &err) == MS_OK && gz.len > 18);
	CHECK((uint8_t)gz.data[0] == 0x1f && (uint8_t)gz.data[1] == 0x8b);
	CHECK(pmtiles_gunzip("t", gz.data, gz.len, 1 << 20, &out, &err) == MS_OK);
	CHECK(out.len == raw.len && !memcmp(out.data, raw.data, raw.len));
	buf_reset(&out);
	CHECK(pmtiles_gunzip("t", gz.data, gz.len, 3, &out, &err) == MS_EDATA);
	CHECK_MSG(strstr(err.msg, "inflates to more than 3 bytes") != NULL, "%s", err.msg);
	buf_reset(&out);
	CHECK(pmtiles_gunzip("t", gz.data, gz.len - 1, 1 << 20, &out, &err) == MS_EDATA);
	buf_free(&gz);
	buf_free(&out);

	/* many entries and a small budget: leaves, each decoding to its share */
	size_t count = 10000;
	struct pmtiles_entry *many = calloc(count, sizeof *many);
	uint64_t off = 0;
	for (size_t i = 0; i < count; i++) {
		uint32_t len = 100 + (uint32_t)(i * 7919 % 1000);
		many[i] = (struct pmtiles_entry){i * 3, off, len, 1 + (uint32_t)(i % 2)};
		off += len;
	}
	struct buf root = BUF_INIT, leaves = BUF_INIT;
	size_t nleaves = 0;
	CHECK(pmtiles_directories(many, count, 1 << 20, &root, &leaves, &nleaves, &err) == MS_OK);
	CHECK(nleaves == 0 && leaves.len == 0); /* fits: the root alone */
	CHECK(pmtiles_directories(many, count, 200, &root, &leaves, &nleaves, &err) == MS_OK);
	CHECK_MSG(nleaves >= 2 && root.len <= 200, "%zu leaves, root %zu bytes", nleaves, root.len);
	buf_reset(&out);
	CHECK(pmtiles_gunzip("root", root.data, root.len, 1 << 20, &out, &err) == MS_OK);
	struct pmtiles_entry *ptr = NULL;
	size_t nptr = 0;
	CHECK(pmtiles_decode_dir("root", (const uint8_t *)out.data, out.len, &ptr, &nptr, &err) == MS_OK);
	CHECK(nptr == nleaves);
	size_t seen = 0;
	for (size_t i = 0; ptr && i < nptr; i++) {
		CHECK(ptr[i].run_length == 0 && ptr[i].tile_id == many[seen].tile_id);
		struct buf lb = BUF_INIT;
		struct pmtiles_entry *le = NULL;
		size_t nle = 0;
		CHECK(pmtiles_gunzip("leaf", leaves.data + ptr[i].offset, ptr[i].length, 1 << 20, &lb,
		                     &err) == MS_OK);
		CHECK(pmtiles_decode_dir("leaf", (const uint8_t *)lb.data, lb.len, &le, &nle, &err) == MS_OK);
		CHECK(le && seen + nle <= count && !memcmp(le, many + seen, nle * sizeof *le));
		seen += nle;
		free(le);
		buf_free(&lb);
	}
	CHECK_INT(seen, count);
	free(ptr);
	CHECK(pmtiles_directories(many, 0, 200, &root, &leaves, &nleaves, &err) == MS_EUSAGE);
	free(many);
	buf_free(&root);
	buf_free(&leaves);
	buf_free(&out);
	buf_free(&raw);
}

/* The bytes of the file at path: the test's fixture archives. */
static struct buf file_bytes(const char *path)
{
	struct buf b = BUF_INIT;
	size_t len = 0;
	char *p = slurp(path, &len);
	if (p)
		buf_append(&b, p, len);
	free(p);
	return b;
}

/* A PMTiles archive of zooms 0-3: every tile, most the same bytes (runs),
 * a few of their own, at path; its bytes. */
static struct buf small_archive(const char *path)
{
	struct tilestore_meta m = meta;
	m.minzoom = 0;
	m.maxzoom = 3;
	m.center_zoom = 2;
	struct tilestore *ts = NULL;
	struct ms_error err = {0};
	CHECK_MSG(tilestore_create(path, NULL, &m, TILESTORE_RESTART, &ts, &err) == MS_OK, "%s", err.msg);
	for (int z = 0; ts && z <= 3; z++)
		for (int x = 0; x < 1 << z; x++)
			for (int y = 0; y < 1 << z; y++) {
				char own[32];
				snprintf(own, sizeof own, "tile %d/%d/%d", z, x, y);
				bool plain = (x + y) % 5 != 1;
				CHECK(tilestore_put(ts, z, x, y, plain ? "empty" : own,
				                    plain ? 5 : strlen(own), &err) == MS_OK);
			}
	CHECK(ts && tilestore_finish(ts, &err) == MS_OK);
	tilestore_close(ts);
	return file_bytes(path);
}

static uint64_t rd64(const char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | (uint8_t)p[i];
	return v;
}

/* The archive as the spec lays it out, and every tile read back. */
static void test_pmtiles_archive(void)
{
	char path[600];
	path_of(path, sizeof path, "s.pmtiles");
	struct buf a = small_archive(path);
	CHECK(a.len > PMTILES_HEADER_LEN && !memcmp(a.data, "PMTiles\x03", 8));
	if (a.len <= PMTILES_HEADER_LEN)
		return;
	const char *h = a.data;
	CHECK(rd64(h + 8) == PMTILES_HEADER_LEN);                    /* root right after the header */
	CHECK(rd64(h + 24) == rd64(h + 8) + rd64(h + 16));           /* metadata after the root */
	CHECK(rd64(h + 40) == rd64(h + 24) + rd64(h + 32));          /* leaves after it */
	CHECK(rd64(h + 56) == rd64(h + 40) + rd64(h + 48));          /* data last, */
	CHECK(rd64(h + 56) + rd64(h + 64) == a.len);                 /* to the end */
	CHECK(rd64(h + 72) == 85);                                   /* addressed tiles: 1 + 4 + 16 + 64 */
	CHECK(rd64(h + 80) < 85);                                    /* runs merged */
	CHECK(h[96] == 1 && h[97] == 2 && h[98] == 1 && h[99] == 2); /* clustered, gzip, none, png */
	CHECK(h[100] == 0 && h[101] == 3 && h[118] == 2);
	int32_t w, s, e, n;
	memcpy(&w, h + 102, 4), memcpy(&s, h + 106, 4), memcpy(&e, h + 110, 4), memcpy(&n, h + 114, 4);
	CHECK(w == 1175000000 && s == 365000000 && e == 1185000000 && n == 372500000);

	struct tilestore *ts = NULL;
	struct ms_error err = {0};
	CHECK_MSG(tilestore_open(path, NULL, &ts, &err) == MS_OK, "%s", err.msg);
	struct tilestore *mem = NULL;
	CHECK_MSG(tilestore_open_buffer(a.data, a.len, "pmtiles", &mem, &err) == MS_OK, "%s", err.msg);
	struct tilestore_stats st;
	if (ts) {
		tilestore_stats(ts, &st);
		CHECK(st.tiles == 85 && (uint64_t)st.images == rd64(h + 88));
	}
	struct buf b = BUF_INIT, c = BUF_INIT;
	int bad = 0;
	for (int z = 0; ts && mem && z <= 4; z++)
		for (int x = 0; x < 1 << z; x++)
			for (int y = 0; y < 1 << z; y++) {
				char own[32];
				snprintf(own, sizeof own, "tile %d/%d/%d", z, x, y);
				const char *want = z == 4 ? NULL : (x + y) % 5 != 1 ? "empty" : own;
				bool f1 = false, f2 = false;
				buf_reset(&b);
				buf_reset(&c);
				bad += tilestore_get(ts, z, x, y, &b, &f1, &err) != MS_OK ||
				       tilestore_get(mem, z, x, y, &c, &f2, &err) != MS_OK;
				bad += f1 != (want != NULL) || f2 != f1;
				bad += want && (b.len != strlen(want) || memcmp(b.data, want, b.len) ||
				                c.len != b.len || memcmp(c.data, b.data, b.len));
			}
	CHECK_MSG(bad == 0, "%d tiles read wrong", bad);
	if (ts) {
		CHECK(tilestore_meta_value(ts, "compression") &&
		      !strcmp(tilestore_meta_value(ts, "compression"), "none"));
		CHECK(tilestore_meta_value(ts, "scale") && !strcmp(tilestore_meta_value(ts, "scale"), "2"));
		CHECK(tilestore_meta_value(ts, "attribution") &&
		      !strcmp(tilestore_meta_value(ts, "attribution"), "nobody"));
		const struct tilestore_info *in = tilestore_info(ts);
		CHECK(in->minzoom == 0 && in->maxzoom == 3 && !strcmp(in->format, "png"));
		CHECK(in->bounds[0] == 117.5 && in->bounds[3] == 37.25);
	}
	tilestore_close(ts);
	tilestore_close(mem);
	buf_free(&b);
	buf_free(&c);
	buf_free(&a);
	unlink(path);
}

/* Thousands of tiles of distinct lengths: the root cannot hold them all
 * in 16 KiB, so they go to leaves, and every tile still reads back. */
static void test_pmtiles_leaves(void)
{
	char path[600];
	path_of(path, sizeof path, "big.pmtiles");
	struct tilestore_meta m = meta;
	m.maxzoom = 8;
	struct tilestore *ts = NULL;
	struct ms_error err = {0};
	CHECK(tilestore_create(path, NULL, &m, TILESTORE_FRESH, &ts, &err) == MS_OK);
	char tile[2048];
	memset(tile, 'x', sizeof tile);
	for (int x = 0; ts && x < 256; x++)
		for (int y = 0; y < 256; y++) {
			size_t len = 1 + (size_t)((x * 7919 + y * 104729) % 2000);
			snprintf(tile, sizeof tile, "%d/%d", x, y);
			tile[strlen(tile)] = 'x';
			CHECK(len > 0 && tilestore_put(ts, 8, x, y, tile, len, &err) == MS_OK);
		}
	CHECK_MSG(ts && tilestore_finish(ts, &err) == MS_OK, "%s", err.msg);
	tilestore_close(ts);
	struct buf a = file_bytes(path);
	CHECK_MSG(a.len > 128 && rd64(a.data + 48) > 0, "leaf section of %llu bytes",
	          a.len > 128 ? (unsigned long long)rd64(a.data + 48) : 0ULL);
	CHECK(a.len > 128 && rd64(a.data + 16) + PMTILES_HEADER_LEN <= 16384);
	CHECK_MSG(tilestore_open(path, NULL, &ts, &err) == MS_OK, "%s", err.msg);
	struct buf b = BUF_INIT;
	int bad = 0;
	for (int x = 0; ts && x < 256; x++)
		for (int y = 0; y < 256; y++) {
			bool found = false;
			buf_reset(&b);
			size_t len = 1 + (size_t)((x * 7919 + y * 104729) % 2000);
			char head[32];
			snprintf(head, sizeof head, "%d/%d", x, y);
			size_t hl = strlen(head) < len ? strlen(head) : len;
			bad += tilestore_get(ts, 8, x, y, &b, &found, &err) != MS_OK || !found ||
			       b.len != len || memcmp(b.data, head, hl);
		}
	CHECK_MSG(bad == 0, "%d tiles read wrong", bad);
	tilestore_close(ts);
	buf_free(&b);
	buf_free(&a);
	unlink(path);
}

/* A store written in three runs (two abandoned partway) is the store
 * written at once, byte for byte, in either format. */
static void test_resume_identical(const char *ext)
{
	char once[600], runs[600];
	char name[64];
	snprintf(name, sizeof name, "once%s", ext);
	path_of(once, sizeof once, name);
	snprintf(name, sizeof name, "runs%s", ext);
	path_of(runs, sizeof runs, name);
	struct ms_error err = {0};
	const int total = 1200; /* more than SPOOL_BATCH, so commits happen mid-run */
	const int stops[] = {300, 901, total};
	struct tilestore *ts = NULL;
	CHECK(tilestore_create(once, NULL, &meta, TILESTORE_FRESH, &ts, &err) == MS_OK);
	for (int i = 0; ts && i < total; i++) {
		char t[16];
		snprintf(t, sizeof t, "t%d", i % 37);
		CHECK(tilestore_put(ts, 10, 500 + i % 40, 300 + i / 40, t, strlen(t), &err) == MS_OK);
	}
	CHECK(ts && tilestore_finish(ts, &err) == MS_OK);
	tilestore_close(ts);
	int at = 0;
	for (size_t r = 0; r < sizeof stops / sizeof stops[0]; r++) {
		CHECK(tilestore_create(runs, NULL, &meta, r ? TILESTORE_RESUME : TILESTORE_FRESH, &ts,
		                       &err) == MS_OK);
		if (!ts)
			return;
		struct tilestore_stats st;
		tilestore_stats(ts, &st);
		CHECK_INT(st.tiles, at);
		for (; at < stops[r]; at++) {
			char t[16];
			snprintf(t, sizeof t, "t%d", at % 37);
			CHECK(tilestore_put(ts, 10, 500 + at % 40, 300 + at / 40, t, strlen(t), &err) ==
			      MS_OK);
		}
		if (r + 1 == sizeof stops / sizeof stops[0])
			CHECK_MSG(tilestore_finish(ts, &err) == MS_OK, "%s", err.msg);
		tilestore_close(ts);
	}
	struct buf a = file_bytes(once), b = file_bytes(runs);
	CHECK_MSG(a.len > 0 && a.len == b.len && !memcmp(a.data, b.data, a.len), "%s: %zu and %zu bytes", ext,
	          a.len, b.len);
	buf_free(&a);
	buf_free(&b);
	unlink(once);
	unlink(runs);
	CHECK_INT(entries(), 0);
}

/* ---------------------------------------------------- tables of cases */

static void test_meta_table(void)
{
	FILE *f = fopen("data/tilestore/meta_bad.txt", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[1024];
	int cases = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		char *field[9];
		int nf = 0;
		for (char *p = line; nf < 9; nf++) {
			field[nf] = p;
			char *tab = strchr(p, '\t');
			if (!tab) {
				nf++;
				break;
			}
			*tab = 0;
			p = tab + 1;
		}
		CHECK_MSG(nf >= 3 && nf % 2 == 1, "meta_bad.txt: %d fields", nf);
		const char *pairs[4][2];
		size_t np = 0;
		for (int i = 0; i + 1 < nf && np < 4; i += 2, np++) {
			pairs[np][0] = field[i];
			pairs[np][1] = field[i + 1];
		}
		struct tilestore_info info;
		struct ms_error err = {0};
		enum ms_status st = tilestore_meta_parse("x.mbtiles", pairs, np, &info, &err);
		CHECK_MSG(st == MS_EDATA && strstr(err.msg, "x.mbtiles: ") && strstr(err.msg, field[nf - 1]),
		          "%s=%s: got \"%s\", want \"%s\"", field[0], field[1], err.msg, field[nf - 1]);
		cases++;
	}
	fclose(f);
	CHECK(cases >= 25);
	/* and what parses */
	const char *good[][2] = {{"format", "webp"},     {"minzoom", "3"},
	                         {"maxzoom", "026"},     {"bounds", "-180,-85.0511,180,85.0511"},
	                         {"center", "1.5,-2,4"}, {"other", "nan"}};
	struct tilestore_info info;
	struct ms_error err = {0};
	CHECK_MSG(tilestore_meta_parse("g", good, 6, &info, &err) == MS_OK, "%s", err.msg);
	CHECK(!strcmp(info.format, "webp") && info.minzoom == 3 && info.maxzoom == 26 && info.has_bounds &&
	      info.bounds[0] == -180 && info.center_zoom == 4 && info.center[0] == 1.5);
	CHECK(tilestore_meta_parse("g", good, 0, &info, &err) == MS_OK && info.minzoom == -1 &&
	      !info.has_bounds);
	/* bounds are written rounded outwards, whole values left whole */
	CHECK(meta_round_out(118.123456, 1e6, -1) == 118123456 &&
	      meta_round_out(118.123456, 1e6, 1) == 118123456);
	CHECK(meta_round_out(118.1234561, 1e6, -1) == 118123456 &&
	      meta_round_out(118.1234561, 1e6, 1) == 118123457);
	CHECK(meta_round_out(-0.0000004, 1e6, -1) == -1 && meta_round_out(-0.0000004, 1e6, 1) == 0);
	CHECK(meta_round_out(36.87549, 1e7, 0) == 368754900);
}

static size_t hex_bytes(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	for (; hex[0] && hex[1] && n < max; hex += 2) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* An offset of pmtiles_bad.txt: a number, or @root/@meta/@leaf/@data
 * and an optional +N, in the archive a. */
static size_t offset_in(const struct buf *a, const char *s)
{
	static const struct {
		const char *name;
		int at;
	} secs[] = {{"@root", 8}, {"@meta", 24}, {"@leaf", 40}, {"@data", 56}};
	for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++) {
		size_t n = strlen(secs[i].name);
		if (!strncmp(s, secs[i].name, n))
			return (size_t)rd64(a->data + secs[i].at) +
			       (s[n] == '+' ? strtoul(s + n + 1, NULL, 10) : 0);
	}
	return strtoul(s, NULL, 10);
}

static void test_pmtiles_table(void)
{
	char path[600];
	path_of(path, sizeof path, "t.pmtiles");
	struct buf good = small_archive(path);
	unlink(path);
	FILE *f = fopen("data/tilestore/pmtiles_bad.txt", "r");
	CHECK(f != NULL && good.len > PMTILES_HEADER_LEN);
	if (!f || good.len <= PMTILES_HEADER_LEN) {
		if (f)
			fclose(f);
		buf_free(&good);
		return;
	}
	char line[1024];
	int cases = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		char *tab = strchr(line, '\t');
		CHECK_MSG(tab != NULL, "pmtiles_bad.txt: no tab in \"%s\"", line);
		if (!tab)
			continue;
		*tab = 0;
		const char *want = tab + 1;
		char op[16] = "", arg1[64] = "", arg2[512] = "";
		sscanf(line, "%15s %63s %511s", op, arg1, arg2);
		struct ms_error err = {0};
		enum ms_status st;
		uint8_t bytes[256];
		if (!strcmp(op, "dir")) {
			size_t n = hex_bytes(arg1, bytes, sizeof bytes);
			struct pmtiles_entry *e = NULL;
			size_t ne = 0;
			st = pmtiles_decode_dir("t", bytes, n, &e, &ne, &err);
			CHECK(e == NULL || st == MS_OK);
			free(e);
		} else {
			struct buf a = BUF_INIT;
			buf_append(&a, good.data, good.len);
			if (!strcmp(op, "truncate")) {
				a.len = strtoul(arg1, NULL, 10);
			} else {
				size_t at = offset_in(&good, arg1), n = hex_bytes(arg2, bytes, sizeof bytes);
				CHECK_MSG(!strcmp(op, "patch") && at + n <= a.len, "%s %s", op, arg1);
				if (at + n <= a.len)
					memcpy(a.data + at, bytes, n);
			}
			struct tilestore *ts = NULL;
			st = tilestore_open_buffer(a.data, a.len, "pmtiles", &ts, &err);
			CHECK(ts == NULL || st == MS_OK);
			tilestore_close(ts);
			buf_free(&a);
		}
		CHECK_MSG(st == MS_EDATA && strstr(err.msg, want),
		          "%s %s %s: status %d, got \"%s\", want \"%s\"", op, arg1, arg2, st, err.msg, want);
		cases++;
	}
	fclose(f);
	CHECK(cases >= 30);
	buf_free(&good);
}

/* An archive put together by hand from a root, a leaf and data, with
 * uncompressed directories (InternalCompression 1, which the reader
 * takes too): for what no writer of ours would produce. */
static void hand_archive(struct buf *out, const struct pmtiles_entry *root, size_t nroot,
                         const struct pmtiles_entry *leaf, size_t nleaf, size_t data_len)
{
	struct buf r = BUF_INIT, l = BUF_INIT;
	pmtiles_encode_dir(root, nroot, &r);
	if (nleaf)
		pmtiles_encode_dir(leaf, nleaf, &l);
	uint8_t h[PMTILES_HEADER_LEN] = {'P', 'M', 'T', 'i', 'l', 'e', 's', 3};
	uint64_t v[8] = {PMTILES_HEADER_LEN, r.len, 0, 2, 0, l.len, 0, data_len};
	v[2] = v[0] + v[1];
	v[4] = v[2] + v[3];
	v[6] = v[4] + v[5];
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 8; k++)
			h[8 + 8 * i + k] = (uint8_t)(v[i] >> (8 * k));
	h[97] = 1, h[98] = 1, h[99] = 2, h[101] = 3;
	buf_reset(out);
	buf_append(out, h, sizeof h);
	buf_append(out, r.data, r.len);
	buf_puts(out, "{}");
	buf_append(out, l.data, l.len);
	for (size_t i = 0; i < data_len; i++)
		buf_putc(out, 'd');
	buf_free(&r);
	buf_free(&l);
}

/* The same, where every leaf pointer of length 0 (in the root or the
 * leaf) takes the whole leaf section's: varints of small lengths are one
 * byte, so the section keeps its size. */
static void hand_archive_fit(struct buf *out, struct pmtiles_entry *root, size_t nroot,
                             struct pmtiles_entry *leaf, size_t nleaf, size_t data_len)
{
	hand_archive(out, root, nroot, leaf, nleaf, data_len);
	uint32_t len = (uint32_t)rd64(out->data + 48);
	for (size_t k = 0; k < nroot; k++)
		if (root[k].run_length == 0 && root[k].length == 0)
			root[k].length = len;
	for (size_t k = 0; k < nleaf; k++)
		if (leaf[k].run_length == 0 && leaf[k].length == 0)
			leaf[k].length = len;
	hand_archive(out, root, nroot, leaf, nleaf, data_len);
}

static void test_pmtiles_structure(void)
{
	struct buf a = BUF_INIT;
	struct ms_error err = {0};
	struct tilestore *ts = NULL;
	/* a valid hand-made archive: a leaf of two tiles */
	struct pmtiles_entry leaf[] = {{5, 0, 4, 2}, {9, 4, 4, 1}};
	struct pmtiles_entry root[] = {{5, 0, 0, 0}};
	hand_archive_fit(&a, root, 1, leaf, 2, 8);
	CHECK_MSG(tilestore_open_buffer(a.data, a.len, "pmtiles", &ts, &err) == MS_OK, "%s", err.msg);
	struct buf b = BUF_INIT;
	bool found = false;
	/* ids 5 and 6 are tiles of zoom 2: both in the run of id 5 */
	int z;
	uint32_t x, y;
	CHECK(pmtiles_tile_zxy(6, &z, &x, &y));
	CHECK(ts && tilestore_get(ts, z, (int)x, (int)y, &b, &found, &err) == MS_OK && found && b.len == 4);
	CHECK(pmtiles_tile_zxy(7, &z, &x, &y));
	CHECK(ts && tilestore_get(ts, z, (int)x, (int)y, &b, &found, &err) == MS_OK && !found);
	tilestore_close(ts);
	buf_free(&b);

	struct {
		struct pmtiles_entry root[2], leaf[2];
		size_t nroot, nleaf, data;
		const char *want;
	} cases[] = {
	    /* a leaf pointer beyond the leaf section */
	    {{{5, 1000, 10, 0}}, {{5, 0, 4, 1}}, 1, 1, 8, "outside the leaf section"},
	    /* a tile inside the run before it */
	    {{{5, 0, 4, 3}, {6, 0, 4, 1}},
	     {{0}},
	     2,
	     0,
	     8,
	     "tile id 6 out of order or within the run before it"},
	    /* a tile beyond the data */
	    {{{5, 6, 4, 1}}, {{0}}, 1, 0, 8, "tile id 5 at 6+4 is outside the tile data"},
	    /* a leaf that is the root's own pointer again, over and over */
	    {{{5, 0, 0, 0}}, {{5, 0, 0, 0}}, 1, 1, 8, "leaf directories nested deeper than 4"},
	    /* a leaf repeating the tiles of the one before */
	    {{{5, 0, 0, 0}, {9, 0, 0, 0}}, {{5, 0, 4, 2}, {9, 4, 4, 1}}, 2, 2, 8, "out of order"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		hand_archive_fit(&a, cases[i].root, cases[i].nroot, cases[i].leaf, cases[i].nleaf,
		                 cases[i].data);
		ts = NULL;
		enum ms_status st = tilestore_open_buffer(a.data, a.len, "pmtiles", &ts, &err);
		CHECK_MSG(st == MS_EDATA && ts == NULL && strstr(err.msg, cases[i].want), "case %zu: %s", i,
		          err.msg);
		tilestore_close(ts);
	}
	buf_free(&a);
}

static void test_open_errors(void)
{
	char path[600];
	struct tilestore *ts = NULL;
	struct ms_error err = {0};
	path_of(path, sizeof path, "missing.mbtiles");
	CHECK(tilestore_open(path, NULL, &ts, &err) == MS_EIO && ts == NULL);
	CHECK_MSG(strstr(err.msg, "missing.mbtiles: cannot open") != NULL, "%s", err.msg);
	path_of(path, sizeof path, "missing.pmtiles");
	CHECK(tilestore_open(path, NULL, &ts, &err) == MS_EIO && ts == NULL);
	CHECK_MSG(strstr(err.msg, "missing.pmtiles: cannot open") != NULL, "%s", err.msg);
	path_of(path, sizeof path, "text.mbtiles");
	FILE *f = fopen(path, "w");
	if (f) {
		fputs("not a database, only some text long enough to look at", f);
		fclose(f);
	}
	CHECK(tilestore_open(path, NULL, &ts, &err) != MS_OK && ts == NULL);
	CHECK_MSG(strstr(err.msg, "text.mbtiles") != NULL, "%s", err.msg);
	CHECK(tilestore_open(path, "pmtiles", &ts, &err) == MS_EDATA && ts == NULL);
	CHECK_MSG(strstr(err.msg, "text.mbtiles: not a PMTiles archive") != NULL, "%s", err.msg);
	unlink(path);
	CHECK(tilestore_open_buffer("junk", 4, "mbtiles", &ts, &err) != MS_OK && ts == NULL);
	path_of(path, sizeof path, "no-such-folder/x.mbtiles");
	CHECK(tilestore_create(path, NULL, &meta, TILESTORE_FRESH, &ts, &err) == MS_EIO && ts == NULL);
	CHECK_MSG(strstr(err.msg, "x.mbtiles.partial: cannot create") != NULL, "%s", err.msg);
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
	test_write_read("a.mbtiles");
	test_mbtiles_layout();
	test_partial_files();
	test_write_read("a.pmtiles");
	char p[600];
	path_of(p, sizeof p, "a.pmtiles");
	unlink(p);
	test_tile_ids();
	test_directories();
	test_pmtiles_archive();
	test_pmtiles_leaves();
	test_resume_identical(".mbtiles");
	test_resume_identical(".pmtiles");
	test_meta_table();
	test_pmtiles_table();
	test_pmtiles_structure();
	test_open_errors();
	rmdir(dir);
	return CHECK_DONE();
}

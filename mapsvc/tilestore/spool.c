/*
 * spool.c - the partial file a store is seeded into; see tilestore_int.h.
 *
 * It is an MBTiles 1.3 file (github.com/mapbox/mbtiles-spec, 1.3/spec.md)
 * with the images deduplicated the way mbutil and other writers do it:
 * `images` holds each distinct tile once under its content hash, `map`
 * points every address at a hash (rows in TMS order, tile_row = 2^z - 1 -
 * y), and `tiles` is a view joining the two, which readers of the spec
 * (GDAL, MapLibre tools, mbview) take as they take a table.  Most tiles
 * of an overlay are the one shared empty PNG, so this is most of the
 * saving.
 *
 * Why a file that outlives the run: a seed of millions of tiles takes
 * hours, and a reboot or a ^C must not throw them away.  So the file is
 * written in transactions of SPOOL_BATCH tiles with SQLite's rollback
 * journal: a kill -9 in the middle of one leaves a hot journal that the
 * next open rolls back, and the file holds exactly the tiles of the
 * commits before.  synchronous=OFF: the journal protects against the
 * process dying, which is what interrupts a seed; a power cut may leave
 * a file SQLite calls malformed, which the next run reports (and --force
 * starts over), and the published store is synced whole by atomicfile.
 * locking_mode=EXCLUSIVE holds the file's lock from the first write to
 * the close, so a second seed of the same target is refused instead of
 * mixing its tiles in.
 *
 * The metadata rows are written when the file is made and compared, row
 * for row, when a run resumes it: they name the style and its version,
 * the data version, scale, coordsys, zooms and bounds, so equal rows
 * mean the tiles already in the file are the tiles this run would draw.
 */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "../util/mem.h"
#include "tilestore_int.h"

/* 'MPBX', the application_id MBTiles 1.3 recommends. */
#define MBTILES_APPLICATION_ID "0x4d504258"
/* Hex digits of a content hash (XXH3-128) and its NUL. */
#define IMAGE_ID_LEN 33
/* SQLite's suffix of a rollback journal. */
#define JOURNAL_SUFFIX "-journal"

struct tilestore_spool {
	sqlite3 *db;
	sqlite3_stmt *ins_image, *ins_map, *has, *image;
	char *path;
	struct tilestore_stats stats;
	int uncommitted; /* tiles put since the last commit */
	bool in_tx;
};

static enum ms_status db_fail(struct tilestore_spool *sp, const char *what, struct ms_error *err)
{
	return ms_fail(err, MS_EIO, "%s: %s: %s", sp->path, what,
	               sp->db ? sqlite3_errmsg(sp->db) : "out of memory");
}

static enum ms_status exec(struct tilestore_spool *sp, const char *sql, struct ms_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(sp->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ms_fail(err, MS_EIO, "%s: %s", sp->path, msg ? msg : sqlite3_errmsg(sp->db));
		sqlite3_free(msg);
		return MS_EIO;
	}
	return MS_OK;
}

static const char pragmas_sql[] = "PRAGMA journal_mode=DELETE;"
                                  "PRAGMA synchronous=OFF;"
                                  "PRAGMA locking_mode=EXCLUSIVE;";

/* MBTiles 1.3 with deduplicated images (the names mbutil uses). */
static const char schema_sql[] =
    "PRAGMA application_id=" MBTILES_APPLICATION_ID ";"
    "CREATE TABLE metadata (name TEXT, value TEXT);"
    "CREATE UNIQUE INDEX name ON metadata (name);"
    "CREATE TABLE images (tile_id TEXT, tile_data BLOB);"
    "CREATE UNIQUE INDEX images_id ON images (tile_id);"
    "CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);"
    "CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);"
    "CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,"
    " map.tile_row AS tile_row, images.tile_data AS tile_data"
    " FROM map JOIN images ON images.tile_id = map.tile_id;";

/* TMS rows count from the south (MBTiles 1.3 "Tiles"). */
static long long tms_row(int z, int y)
{
	return (1LL << z) - 1 - y;
}

static void remove_files(const char *path)
{
	char journal[PATH_MAX + sizeof JOURNAL_SUFFIX];
	snprintf(journal, sizeof journal, "%s%s", path, JOURNAL_SUFFIX);
	unlink(path);
	unlink(journal);
}

static enum ms_status write_meta(struct tilestore_spool *sp, const struct meta_rows *r, struct ms_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(sp->db, "INSERT INTO metadata (name, value) VALUES (?1, ?2)", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_fail(sp, "cannot prepare", err);
	enum ms_status s = MS_OK;
	for (size_t i = 0; i < r->n && s == MS_OK; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, r->row[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->row[i][1], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			s = db_fail(sp, "cannot write metadata", err);
	}
	sqlite3_finalize(st);
	return s;
}

/* The partial file was made for the store of r, row for row; otherwise
 * MS_EUSAGE naming the first difference. */
static enum ms_status same_meta(struct tilestore_spool *sp, const struct meta_rows *r, struct ms_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(sp->db, "SELECT name, value FROM metadata ORDER BY rowid", -1, &st, NULL) !=
	    SQLITE_OK)
		return ms_fail(err, MS_EDATA, "%s: not a partial tile store: %s", sp->path,
		               sqlite3_errmsg(sp->db));
	enum ms_status s = MS_OK;
	size_t i = 0;
	int rc;
	for (; s == MS_OK && (rc = sqlite3_step(st)) == SQLITE_ROW; i++) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *value = (const char *)sqlite3_column_text(st, 1);
		if (i >= r->n)
			s = ms_fail(err, MS_EUSAGE,
			            "%s was made for another seed: it has metadata '%s' this one has not",
			            sp->path, name ? name : "");
		else if (!name || strcmp(name, r->row[i][0]))
			s = ms_fail(
			    err, MS_EUSAGE,
			    "%s was made for another seed: its metadata has '%s' where this one has '%s'",
			    sp->path, name ? name : "", r->row[i][0]);
		else if (!value || strcmp(value, r->row[i][1]))
			s = ms_fail(err, MS_EUSAGE,
			            "%s was made for another seed: its '%s' is '%s', this seed's is '%s'",
			            sp->path, name, value ? value : "", r->row[i][1]);
	}
	if (s == MS_OK && rc != SQLITE_DONE)
		s = db_fail(sp, "cannot read metadata", err);
	else if (s == MS_OK && i < r->n)
		s = ms_fail(err, MS_EUSAGE, "%s was made for another seed: it lacks metadata '%s'", sp->path,
		            r->row[i][0]);
	sqlite3_finalize(st);
	return s;
}

static enum ms_status count_rows(struct tilestore_spool *sp, struct ms_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(sp->db, "SELECT (SELECT count(*) FROM map), (SELECT count(*) FROM images)", -1,
	                       &st, NULL) != SQLITE_OK)
		return ms_fail(err, MS_EDATA, "%s: not a partial tile store: %s", sp->path,
		               sqlite3_errmsg(sp->db));
	enum ms_status s = MS_OK;
	if (sqlite3_step(st) == SQLITE_ROW) {
		sp->stats.tiles = sqlite3_column_int64(st, 0);
		sp->stats.images = sqlite3_column_int64(st, 1);
	} else {
		s = db_fail(sp, "cannot count tiles", err);
	}
	sqlite3_finalize(st);
	return s;
}

static enum ms_status prepare(struct tilestore_spool *sp, struct ms_error *err)
{
	if (sqlite3_prepare_v2(sp->db, "INSERT OR IGNORE INTO images (tile_id, tile_data) VALUES (?1, ?2)",
	                       -1, &sp->ins_image, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        sp->db,
	        "INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?1, ?2, ?3, ?4)", -1,
	        &sp->ins_map, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        sp->db, "SELECT 1 FROM map WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3", -1,
	        &sp->has, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sp->db, "SELECT tile_data FROM images WHERE rowid = ?1", -1, &sp->image,
	                       NULL) != SQLITE_OK)
		return ms_fail(err, MS_EDATA, "%s: not a partial tile store: %s", sp->path,
		               sqlite3_errmsg(sp->db));
	return MS_OK;
}

static enum ms_status begin(struct tilestore_spool *sp, struct ms_error *err)
{
	/* IMMEDIATE takes the write lock now: a second writer is refused here,
	 * not at its first commit. */
	int rc = sqlite3_exec(sp->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return ms_fail(err, MS_EUSAGE, "%s: another seed is writing it", sp->path);
	if (rc != SQLITE_OK)
		return db_fail(sp, "cannot start a transaction", err);
	sp->in_tx = true;
	return MS_OK;
}

enum ms_status spool_open(const char *path, const struct tilestore_meta *meta, enum tilestore_partial how,
                          struct tilestore_spool **out, struct ms_error *err)
{
	*out = NULL;
	struct meta_rows rows;
	enum ms_status st = meta_rows_of(meta, &rows, err);
	if (st != MS_OK)
		return st;
	bool exists = access(path, F_OK) == 0;
	if (exists && how == TILESTORE_FRESH)
		return ms_fail(
		    err, MS_EUSAGE,
		    "%s exists: an earlier seed of this file stopped before the end; --resume continues it, "
		    "--force starts over",
		    path);
	if (exists && how == TILESTORE_RESTART)
		remove_files(path);
	bool fresh = !exists || how == TILESTORE_RESTART;
	struct tilestore_spool *sp = xcalloc(1, sizeof *sp);
	sp->path = xstrdup(path);
	int flags = SQLITE_OPEN_READWRITE | (fresh ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &sp->db, flags, NULL) != SQLITE_OK) {
		st = db_fail(sp, fresh ? "cannot create" : "cannot open", err);
		goto done;
	}
	sqlite3_busy_timeout(sp->db, 0);
	if ((st = exec(sp, pragmas_sql, err)) != MS_OK) {
		int rc = sqlite3_errcode(sp->db);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			st = ms_fail(err, MS_EUSAGE, "%s: another seed is writing it", sp->path);
		goto done;
	}
	if ((st = begin(sp, err)) != MS_OK)
		goto done;
	if (fresh) {
		if ((st = exec(sp, schema_sql, err)) != MS_OK || (st = write_meta(sp, &rows, err)) != MS_OK)
			goto done;
	} else if ((st = same_meta(sp, &rows, err)) != MS_OK) {
		goto done;
	}
	if ((st = prepare(sp, err)) != MS_OK || (st = count_rows(sp, err)) != MS_OK)
		goto done;
	/* The schema and metadata of a new file are committed at once, so a
	 * kill before the first batch leaves a file a resume recognises. */
	st = spool_commit(sp, err);
done:
	if (st != MS_OK) {
		bool created = fresh && sp->db;
		spool_close(sp, false);
		if (created && st != MS_EUSAGE) /* not another seed's file */
			remove_files(path);
		sp = NULL;
	}
	*out = sp;
	return st;
}

enum ms_status spool_commit(struct tilestore_spool *sp, struct ms_error *err)
{
	if (sp->in_tx) {
		enum ms_status st = exec(sp, "COMMIT", err);
		sp->in_tx = false;
		if (st != MS_OK)
			return st;
	}
	sp->uncommitted = 0;
	return begin(sp, err);
}

/* The image once per distinct content (XXH3-128 of the bytes as hex; a
 * collision is beyond any practical tile count), the address always. */
enum ms_status spool_put(struct tilestore_spool *sp, int z, int x, int y, const void *data, size_t len,
                         struct ms_error *err)
{
	XXH128_hash_t h = XXH3_128bits(data, len);
	char id[IMAGE_ID_LEN];
	snprintf(id, sizeof id, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
	sqlite3_reset(sp->ins_image);
	sqlite3_bind_text(sp->ins_image, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(sp->ins_image, 2, data, len, SQLITE_STATIC);
	if (sqlite3_step(sp->ins_image) != SQLITE_DONE)
		return db_fail(sp, "cannot store an image", err);
	sp->stats.images += sqlite3_changes(sp->db);
	sqlite3_reset(sp->ins_map);
	sqlite3_bind_int(sp->ins_map, 1, z);
	sqlite3_bind_int(sp->ins_map, 2, x);
	sqlite3_bind_int64(sp->ins_map, 3, tms_row(z, y));
	sqlite3_bind_text(sp->ins_map, 4, id, -1, SQLITE_STATIC);
	if (sqlite3_step(sp->ins_map) != SQLITE_DONE)
		return db_fail(sp, "cannot store a tile", err);
	sp->stats.tiles++;
	if (++sp->uncommitted >= SPOOL_BATCH)
		return spool_commit(sp, err);
	return MS_OK;
}

enum ms_status spool_has(struct tilestore_spool *sp, int z, int x, int y, bool *found, struct ms_error *err)
{
	sqlite3_reset(sp->has);
	sqlite3_bind_int(sp->has, 1, z);
	sqlite3_bind_int(sp->has, 2, x);
	sqlite3_bind_int64(sp->has, 3, tms_row(z, y));
	int rc = sqlite3_step(sp->has);
	sqlite3_reset(sp->has);
	*found = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? MS_OK : db_fail(sp, "cannot look up a tile", err);
}

void spool_stats(const struct tilestore_spool *sp, struct tilestore_stats *st)
{
	*st = sp->stats;
}

/* The function spool_each orders by, as SQLite's user data. */
struct key_fn {
	uint64_t (*key)(int z, int x, int y);
};

/* The key of a row (zoom_level, tile_column, tile_row). */
static void key_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const struct key_fn *k = sqlite3_user_data(ctx);
	int z = sqlite3_value_int(argv[0]), x = sqlite3_value_int(argv[1]);
	int y = (int)tms_row(z, sqlite3_value_int(argv[2]));
	/* SQLite's integers are signed: keys (PMTiles ids < 2^53) fit. */
	sqlite3_result_int64(ctx, (sqlite3_int64)k->key(z, x, y));
}

enum ms_status spool_each(struct tilestore_spool *sp, uint64_t (*key)(int z, int x, int y), spool_tile_fn fn,
                          void *arg, struct ms_error *err)
{
	enum ms_status st = spool_commit(sp, err);
	if (st != MS_OK)
		return st;
	struct key_fn k = {key};
	if (sqlite3_create_function(sp->db, "tile_key", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, &k, key_sql,
	                            NULL, NULL) != SQLITE_OK)
		return db_fail(sp, "cannot register the tile key", err);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(sp->db,
	                       "SELECT map.zoom_level, map.tile_column, map.tile_row, images.rowid,"
	                       " length(images.tile_data),"
	                       " tile_key(map.zoom_level, map.tile_column, map.tile_row) AS k"
	                       " FROM map JOIN images ON images.tile_id = map.tile_id"
	                       " ORDER BY k, map.zoom_level, map.tile_column, map.tile_row",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_fail(sp, "cannot list the tiles", err);
	int rc;
	while (st == MS_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct spool_tile t;
		t.z = sqlite3_column_int(q, 0);
		t.x = sqlite3_column_int(q, 1);
		t.y = (int)tms_row(t.z, sqlite3_column_int(q, 2));
		t.image = sqlite3_column_int64(q, 3);
		t.len = (size_t)sqlite3_column_int64(q, 4);
		t.key = (uint64_t)sqlite3_column_int64(q, 5);
		st = fn(arg, &t, err);
	}
	if (st == MS_OK && rc != SQLITE_DONE)
		st = db_fail(sp, "cannot list the tiles", err);
	sqlite3_finalize(q);
	/* k goes out of scope: no later statement may call it */
	sqlite3_create_function(sp->db, "tile_key", 3, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	return st;
}

enum ms_status spool_image(struct tilestore_spool *sp, int64_t n, struct buf *out, struct ms_error *err)
{
	sqlite3_reset(sp->image);
	sqlite3_bind_int64(sp->image, 1, n);
	int rc = sqlite3_step(sp->image);
	if (rc == SQLITE_ROW)
		buf_append(out, sqlite3_column_blob(sp->image, 0),
		           (size_t)sqlite3_column_bytes(sp->image, 0));
	sqlite3_reset(sp->image);
	if (rc == SQLITE_ROW)
		return MS_OK;
	return rc == SQLITE_DONE ? ms_fail(err, MS_EINTERNAL, "%s: no image %lld", sp->path, (long long)n)
	                         : db_fail(sp, "cannot read an image", err);
}

enum ms_status spool_max_image(struct tilestore_spool *sp, int64_t *n, struct ms_error *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(sp->db, "SELECT coalesce(max(rowid), 0) FROM images", -1, &q, NULL) !=
	    SQLITE_OK)
		return db_fail(sp, "cannot count images", err);
	enum ms_status st = sqlite3_step(q) == SQLITE_ROW ? MS_OK : db_fail(sp, "cannot count images", err);
	if (st == MS_OK)
		*n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return st;
}

enum ms_status spool_copy(struct tilestore_spool *sp, const char *path, struct ms_error *err)
{
	enum ms_status st = MS_OK;
	if (sp->in_tx) { /* VACUUM runs outside a transaction */
		st = exec(sp, "COMMIT", err);
		sp->in_tx = false;
		sp->uncommitted = 0;
	}
	if (st != MS_OK)
		return st;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(sp->db, "VACUUM INTO ?1", -1, &q, NULL) != SQLITE_OK)
		return db_fail(sp, "cannot prepare the copy", err);
	sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		st = ms_fail(err, MS_EIO, "%s: cannot write %s: %s", sp->path, path, sqlite3_errmsg(sp->db));
	sqlite3_finalize(q);
	return st == MS_OK ? begin(sp, err) : st;
}

const char *spool_path(const struct tilestore_spool *sp)
{
	return sp->path;
}

void spool_close(struct tilestore_spool *sp, bool remove)
{
	if (!sp)
		return;
	if (sp->in_tx && sp->db)
		sqlite3_exec(sp->db, "COMMIT", NULL, NULL, NULL); /* keeps what was put for a resume */
	sqlite3_finalize(sp->ins_image);
	sqlite3_finalize(sp->ins_map);
	sqlite3_finalize(sp->has);
	sqlite3_finalize(sp->image);
	sqlite3_close(sp->db);
	if (remove)
		remove_files(sp->path);
	free(sp->path);
	free(sp);
}

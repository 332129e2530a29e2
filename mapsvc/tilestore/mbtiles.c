/*
 * mbtiles.c - the MBTiles 1.3 backend of the tile stores
 * (github.com/mapbox/mbtiles-spec, 1.3/spec.md).
 *
 * A `metadata` table and a `tiles` table-or-view in the TMS row order
 * (tile_row = 2^z - 1 - y).  Most tiles of an overlay are the one shared
 * empty PNG, so the images are deduplicated the way mbutil and other
 * writers do it: `images` holds each distinct tile once under its content
 * hash, `map` points every address at a hash, and `tiles` is a view
 * joining the two, which readers of the spec (GDAL, MapLibre tools,
 * mbview) take as they take a table.
 *
 * A created store is written in one transaction without a journal or
 * syncs: the file is new and nobody else's until the front publishes it
 * (tilestore.c), so a failure discards the whole file instead of rolling
 * back, and durability comes from the one fsync before the rename.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../util/mem.h"
#include "tilestore_int.h"

/* 'MPBX', the application_id MBTiles 1.3 recommends. */
#define MBTILES_APPLICATION_ID "0x4d504258"
/* Hex digits of a content hash (XXH3-128) and its NUL. */
#define IMAGE_ID_LEN 33

struct mbt {
	sqlite3 *db;
	sqlite3_stmt *ins_image, *ins_map, *get;
	char *path;
	struct tilestore_stats stats;
};

static enum ms_status db_fail(struct mbt *m, const char *what, struct ms_error *err)
{
	return ms_fail(err, MS_EIO, "%s: %s: %s", m->path, what,
	               m->db ? sqlite3_errmsg(m->db) : "out of memory");
}

static enum ms_status exec(struct mbt *m, const char *sql, struct ms_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(m->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ms_fail(err, MS_EIO, "%s: %s", m->path, msg ? msg : sqlite3_errmsg(m->db));
		sqlite3_free(msg);
		return MS_EIO;
	}
	return MS_OK;
}

/* Schema of MBTiles 1.3 with deduplicated images (the names mbutil uses). */
static const char schema_sql[] =
    "PRAGMA journal_mode=OFF;" /* a failed run deletes the whole new file */
    "PRAGMA synchronous=OFF;"  /* durability comes from the fsync before the rename */
    "PRAGMA application_id=" MBTILES_APPLICATION_ID ";"
    "BEGIN;"
    "CREATE TABLE metadata (name TEXT, value TEXT);"
    "CREATE UNIQUE INDEX name ON metadata (name);"
    "CREATE TABLE images (tile_id TEXT, tile_data BLOB);"
    "CREATE UNIQUE INDEX images_id ON images (tile_id);"
    "CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);"
    "CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);"
    "CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,"
    " map.tile_row AS tile_row, images.tile_data AS tile_data"
    " FROM map JOIN images ON images.tile_id = map.tile_id;";

static void mbt_free(struct mbt *m)
{
	sqlite3_finalize(m->ins_image);
	sqlite3_finalize(m->ins_map);
	sqlite3_finalize(m->get);
	sqlite3_close(m->db);
	free(m->path);
	free(m);
}

static struct mbt *mbt_new(const char *path)
{
	struct mbt *m = xcalloc(1, sizeof *m);
	m->path = xstrdup(path);
	return m;
}

static enum ms_status put_meta(struct mbt *m, const char *name, const char *value, struct ms_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(m->db, "INSERT INTO metadata (name, value) VALUES (?1, ?2)", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_fail(m, "cannot prepare", err);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? MS_OK : db_fail(m, "cannot write metadata", err);
}

/* The metadata rows MBTiles 1.3 names, then the extras; absent strings
 * are left out. */
static enum ms_status write_meta(struct mbt *m, const struct tilestore_meta *md, struct ms_error *err)
{
	char bounds[128], center[128], zmin[16], zmax[16];
	snprintf(bounds, sizeof bounds, "%.6f,%.6f,%.6f,%.6f", md->bounds[0], md->bounds[1], md->bounds[2],
	         md->bounds[3]);
	snprintf(center, sizeof center, "%.6f,%.6f,%d", md->center_lon, md->center_lat, md->center_zoom);
	snprintf(zmin, sizeof zmin, "%d", md->minzoom);
	snprintf(zmax, sizeof zmax, "%d", md->maxzoom);
	const char *pairs[][2] = {
	    {"name", md->name},
	    {"format", md->format},
	    {"bounds", bounds},
	    {"center", center},
	    {"minzoom", zmin},
	    {"maxzoom", zmax},
	    {"attribution", md->attribution},
	    {"description", md->description},
	    {"type", md->type},
	    {"version", md->version},
	};
	enum ms_status st = MS_OK;
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0] && !st; i++)
		if (pairs[i][1])
			st = put_meta(m, pairs[i][0], pairs[i][1], err);
	for (size_t i = 0; i < md->nextra && !st; i++)
		st = put_meta(m, md->extra[i][0], md->extra[i][1], err);
	return st;
}

static enum ms_status mbt_create(const char *path, const struct tilestore_meta *meta, void **impl,
                                 struct ms_error *err)
{
	struct mbt *m = mbt_new(path);
	enum ms_status st = MS_OK;
	if (sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		st = db_fail(m, "cannot open", err);
		goto done;
	}
	if ((st = exec(m, schema_sql, err)) != MS_OK || (st = write_meta(m, meta, err)) != MS_OK)
		goto done;
	if (sqlite3_prepare_v2(m->db, "INSERT OR IGNORE INTO images (tile_id, tile_data) VALUES (?1, ?2)", -1,
	                       &m->ins_image, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        m->db, "INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?1, ?2, ?3, ?4)",
	        -1, &m->ins_map, NULL) != SQLITE_OK)
		st = db_fail(m, "cannot prepare", err);
done:
	if (st != MS_OK) {
		mbt_free(m);
		m = NULL;
	}
	*impl = m;
	return st;
}

static enum ms_status mbt_open(const char *path, void **impl, struct ms_error *err)
{
	struct mbt *m = mbt_new(path);
	enum ms_status st = MS_OK;
	/* The spec's own query: any writer's `tiles`, table or view. */
	if (sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		st = db_fail(m, "cannot open", err);
	else if (sqlite3_prepare_v2(m->db,
	                            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2"
	                            " AND tile_row = ?3",
	                            -1, &m->get, NULL) != SQLITE_OK)
		st = ms_fail(err, MS_EDATA, "%s: not an MBTiles file: %s", path, sqlite3_errmsg(m->db));
	if (st != MS_OK) {
		mbt_free(m);
		m = NULL;
	}
	*impl = m;
	return st;
}

/* TMS rows count from the south (MBTiles 1.3 "Tiles"). */
static long long tms_row(int z, int y)
{
	return (1LL << z) - 1 - y;
}

/* The image once per distinct content (XXH3-128 of the bytes as hex; a
 * collision is beyond any practical tile count), the address always. */
static enum ms_status mbt_put(void *impl, int z, int x, int y, const void *data, size_t len,
                              struct ms_error *err)
{
	struct mbt *m = impl;
	XXH128_hash_t h = XXH3_128bits(data, len);
	char id[IMAGE_ID_LEN];
	snprintf(id, sizeof id, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
	sqlite3_reset(m->ins_image);
	sqlite3_bind_text(m->ins_image, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(m->ins_image, 2, data, len, SQLITE_STATIC);
	if (sqlite3_step(m->ins_image) != SQLITE_DONE)
		return db_fail(m, "cannot store an image", err);
	m->stats.images += sqlite3_changes(m->db);
	sqlite3_reset(m->ins_map);
	sqlite3_bind_int(m->ins_map, 1, z);
	sqlite3_bind_int(m->ins_map, 2, x);
	sqlite3_bind_int64(m->ins_map, 3, tms_row(z, y));
	sqlite3_bind_text(m->ins_map, 4, id, -1, SQLITE_STATIC);
	if (sqlite3_step(m->ins_map) != SQLITE_DONE)
		return db_fail(m, "cannot store a tile", err);
	m->stats.tiles++;
	return MS_OK;
}

static enum ms_status mbt_get(void *impl, int z, int x, int y, struct buf *out, bool *found,
                              struct ms_error *err)
{
	struct mbt *m = impl;
	sqlite3_reset(m->get);
	sqlite3_bind_int(m->get, 1, z);
	sqlite3_bind_int(m->get, 2, x);
	sqlite3_bind_int64(m->get, 3, tms_row(z, y));
	int rc = sqlite3_step(m->get);
	*found = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW)
		buf_append(out, sqlite3_column_blob(m->get, 0), (size_t)sqlite3_column_bytes(m->get, 0));
	else if (rc != SQLITE_DONE)
		return db_fail(m, "cannot read a tile", err);
	sqlite3_reset(m->get);
	return MS_OK;
}

static enum ms_status mbt_finish(void *impl, struct ms_error *err)
{
	struct mbt *m = impl;
	enum ms_status st = exec(m, "COMMIT;", err);
	sqlite3_finalize(m->ins_image);
	sqlite3_finalize(m->ins_map);
	m->ins_image = m->ins_map = NULL;
	/* Closed here, so every byte is in the file before the front syncs it. */
	if (sqlite3_close(m->db) != SQLITE_OK)
		return st == MS_OK ? db_fail(m, "cannot close", err) : st; /* mbt_free tries again */
	m->db = NULL;
	return st;
}

static void mbt_close(void *impl)
{
	mbt_free(impl);
}

static void mbt_stats(void *impl, struct tilestore_stats *st)
{
	*st = ((struct mbt *)impl)->stats;
}

const struct tilestore_backend tilestore_mbtiles = {
    .name = "mbtiles",
    .extension = ".mbtiles",
    .create = mbt_create,
    .open = mbt_open,
    .put = mbt_put,
    .get = mbt_get,
    .finish = mbt_finish,
    .close = mbt_close,
    .stats = mbt_stats,
};

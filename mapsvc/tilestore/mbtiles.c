/*
 * mbtiles.c - the MBTiles 1.3 backend of the tile stores
 * (github.com/mapbox/mbtiles-spec, 1.3/spec.md).
 *
 * Writing: the partial file every store is seeded into is already an
 * MBTiles file with deduplicated images (spool.c), so a finished store is
 * its compacted copy, made by SQLite's VACUUM INTO.  The copy is laid out
 * from the content alone (tables in schema order, rows in rowid order,
 * no free pages, no journal history), and rows are inserted in the seed's
 * deterministic order whatever the number of runs, so a store seeded in
 * several runs is the same bytes as one seeded at once.
 *
 * Reading: the spec's own query on `tiles`, a table or a view as any
 * writer made it, and the `metadata` table read once at open.  One SQLite
 * connection serves every thread under a mutex: a lookup is one indexed
 * B-tree descent (microseconds), and the map service caches what it read,
 * so the lock is not where a request spends its time.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"
#include "tilestore_int.h"

/* Bounds of what a metadata table may hold: beyond them a file is not a
 * tile store's (the spec names ten rows; vendors add a few). */
#define META_ROWS_MAX 1000
#define META_VALUE_MAX (1 << 20)

struct mbt {
	sqlite3 *db;
	sqlite3_stmt *get;
	pthread_mutex_t mu; /* guards db and get */
	char *src;
	char *(*pairs)[2];
	size_t npairs;
	struct tilestore_stats stats;
};

static enum ms_status mbt_build(struct tilestore_spool *sp, const char *path,
                                const struct tilestore_meta *meta, struct tilestore_stats *st,
                                struct ms_error *err)
{
	(void)meta; /* written into the partial file when it was made */
	spool_stats(sp, st);
	return spool_copy(sp, path, err);
}

static void mbt_close(void *impl)
{
	struct mbt *m = impl;
	if (!m)
		return;
	sqlite3_finalize(m->get);
	sqlite3_close(m->db);
	for (size_t i = 0; i < m->npairs; i++) {
		free(m->pairs[i][0]);
		free(m->pairs[i][1]);
	}
	free(m->pairs);
	pthread_mutex_destroy(&m->mu);
	free(m->src);
	free(m);
}

static enum ms_status not_mbtiles(struct mbt *m, struct ms_error *err)
{
	return ms_fail(err, MS_EDATA, "%s: not an MBTiles file: %s", m->src, sqlite3_errmsg(m->db));
}

/* The metadata rows with a text name and value, in table order. */
static enum ms_status read_meta(struct mbt *m, struct ms_error *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(m->db, "SELECT name, value FROM metadata", -1, &q, NULL) != SQLITE_OK)
		return not_mbtiles(m, err);
	enum ms_status st = MS_OK;
	size_t cap = 0;
	int rc;
	while (st == MS_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (sqlite3_column_type(q, 0) != SQLITE_TEXT || sqlite3_column_type(q, 1) == SQLITE_NULL)
			continue;
		if (m->npairs == META_ROWS_MAX) {
			st = ms_fail(err, MS_EDATA, "%s: more than %d metadata rows", m->src, META_ROWS_MAX);
			break;
		}
		const char *name = (const char *)sqlite3_column_text(q, 0);
		const char *value = (const char *)sqlite3_column_text(q, 1);
		if (!name || !value || (size_t)sqlite3_column_bytes(q, 1) > META_VALUE_MAX) {
			st = ms_fail(err, MS_EDATA, "%s: metadata '%.40s': no text or longer than %d bytes",
			             m->src, name ? name : "", META_VALUE_MAX);
			break;
		}
		if (m->npairs == cap) {
			cap = cap ? 2 * cap : 16;
			m->pairs = xrealloc(m->pairs, cap * sizeof *m->pairs);
		}
		m->pairs[m->npairs][0] = xstrdup(name);
		m->pairs[m->npairs][1] = xstrdup(value);
		m->npairs++;
	}
	if (st == MS_OK && rc != SQLITE_DONE)
		st = not_mbtiles(m, err);
	sqlite3_finalize(q);
	return st;
}

/* How many tiles and images.  A deduplicating writer's `map` table counts
 * addresses by its index alone, where counting the `tiles` view joins
 * every row (0.1 s against 4 s for eight million tiles, at every start of
 * serve --tiles-from); other files have only `tiles` to count. */
static enum ms_status count_tiles(struct mbt *m, struct ms_error *err)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(m->db, "SELECT count(*) FROM map", -1, &q, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(m->db, "SELECT count(*) FROM tiles", -1, &q, NULL) != SQLITE_OK)
		return not_mbtiles(m, err);
	enum ms_status st = sqlite3_step(q) == SQLITE_ROW ? MS_OK : not_mbtiles(m, err);
	if (st == MS_OK)
		m->stats.tiles = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	/* distinct contents: only a deduplicating writer's images table says */
	if (st == MS_OK &&
	    sqlite3_prepare_v2(m->db, "SELECT count(*) FROM images", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			m->stats.images = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	return st;
}

/* The len bytes at data as the connection's database (a copy, which
 * SQLite owns and frees). */
static enum ms_status open_memory(struct mbt *m, const void *data, size_t len, struct ms_error *err)
{
	if (sqlite3_open_v2(":memory:", &m->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return ms_fail(err, MS_EIO, "%s: cannot open: %s", m->src, sqlite3_errmsg(m->db));
	unsigned char *copy = sqlite3_malloc64(len ? len : 1);
	if (!copy)
		return ms_fail(err, MS_EIO, "%s: out of memory", m->src);
	if (len)
		memcpy(copy, data, len);
	if (sqlite3_deserialize(m->db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
	                        SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY) != SQLITE_OK)
		return not_mbtiles(m, err);
	return MS_OK;
}

static enum ms_status mbt_open(const char *src, const char *path, const void *data, size_t len, void **impl,
                               struct ms_error *err)
{
	struct mbt *m = xcalloc(1, sizeof *m);
	m->src = xstrdup(src);
	pthread_mutex_init(&m->mu, NULL);
	enum ms_status st = MS_OK;
	if (path) {
		if (sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
			st = ms_fail(err, MS_EIO, "%s: cannot open: %s", src,
			             m->db ? sqlite3_errmsg(m->db) : "out of memory");
	} else {
		st = open_memory(m, data, len, err);
	}
	if (st != MS_OK)
		goto done;
	/* The spec's own query: any writer's `tiles`, table or view. */
	if (sqlite3_prepare_v2(m->db,
	                       "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2"
	                       " AND tile_row = ?3",
	                       -1, &m->get, NULL) != SQLITE_OK) {
		st = not_mbtiles(m, err);
		goto done;
	}
	if ((st = read_meta(m, err)) == MS_OK)
		st = count_tiles(m, err);
done:
	if (st != MS_OK) {
		mbt_close(m);
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

static enum ms_status mbt_get(void *impl, int z, int x, int y, struct buf *out, bool *found,
                              struct ms_error *err)
{
	struct mbt *m = impl;
	enum ms_status st = MS_OK;
	pthread_mutex_lock(&m->mu);
	sqlite3_reset(m->get);
	sqlite3_bind_int(m->get, 1, z);
	sqlite3_bind_int(m->get, 2, x);
	sqlite3_bind_int64(m->get, 3, tms_row(z, y));
	int rc = sqlite3_step(m->get);
	*found = rc == SQLITE_ROW && sqlite3_column_type(m->get, 0) != SQLITE_NULL;
	if (*found)
		buf_append(out, sqlite3_column_blob(m->get, 0), (size_t)sqlite3_column_bytes(m->get, 0));
	else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		st = ms_fail(err, MS_EIO, "%s: cannot read tile %d/%d/%d: %s", m->src, z, x, y,
		             sqlite3_errmsg(m->db));
	sqlite3_reset(m->get);
	pthread_mutex_unlock(&m->mu);
	return st;
}

static size_t mbt_metadata(void *impl, const char *const (**pairs)[2])
{
	struct mbt *m = impl;
	*pairs = (const char *const(*)[2])m->pairs;
	return m->npairs;
}

static void mbt_stats(void *impl, struct tilestore_stats *st)
{
	*st = ((struct mbt *)impl)->stats;
}

const struct tilestore_backend tilestore_mbtiles = {
    .name = "mbtiles",
    .extension = ".mbtiles",
    .build = mbt_build,
    .open = mbt_open,
    .get = mbt_get,
    .metadata = mbt_metadata,
    .stats = mbt_stats,
    .close = mbt_close,
};

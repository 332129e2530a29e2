/*
 * store.c - the SpatiaLite database; see store.h.
 *
 * All or nothing, and how: an import never writes the database in place.
 * It copies the current database (SQLite's online backup, which reads a
 * consistent state even if a journal or WAL is lying next to it) into a
 * new file in the same directory, does all its work there in one
 * transaction, syncs it to disk and then rename(2)s it over the original
 * (util/atomicfile.h: the one durable write path, shared with tile stores).
 * rename is atomic on POSIX file systems, so:
 *   - on any failure - bad data, a duplicate id, a full disk, a crash
 *     half-way - the original is not touched at all, byte for byte, with no
 *     -journal or -wal file left beside it; only the temporary file is
 *     removed (and a path that did not exist still does not);
 *   - creating the spatial metadata (InitSpatialMetadata writes hundreds
 *     of spatial_ref_sys rows and several tables) is part of the same
 *     all-or-nothing step, which a rollback inside a journal could not
 *     promise for every statement libspatialite runs;
 *   - a running `serve` that has the old file open keeps reading a
 *     consistent old file (its inode) until it reloads.
 * The price is a full copy per import, cheap next to re-indexing a large
 * import, and a database path whose directory must be writable.
 */
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
/* after sqlite3.h: spatialite.h uses its types without including it */
#include <spatialite.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/atomicfile.h"
#include "../util/buf.h"
#include "../util/mem.h"
#include "store_int.h"

/* The columns an earlier version created; the position columns are added
 * to it (store_add_position_columns, columns.c). */
static const char schema_sql[] =
    "CREATE TABLE sites ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " name_zh TEXT NOT NULL, name_en TEXT NOT NULL DEFAULT '', category TEXT NOT NULL,"
    " county TEXT NOT NULL DEFAULT '', town TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '',"
    " description TEXT NOT NULL DEFAULT '', opening_hours TEXT NOT NULL DEFAULT '',"
    " coord_source TEXT NOT NULL DEFAULT '', confidence TEXT NOT NULL DEFAULT '',"
    " source_url TEXT NOT NULL DEFAULT '',"
    " lat REAL NOT NULL, lon REAL NOT NULL,"
    " extra TEXT NOT NULL DEFAULT '{}')";

static enum ms_status db_fail(struct ms_error *err, sqlite3 *db, const char *path, const char *what)
{
	return ms_fail(err, MS_EIO, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* The integer result of a one-value query, or -1. */
static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Copies the database at src into the (empty) database dst. */
static enum ms_status copy_db(const char *src, sqlite3 *dst, struct ms_error *err)
{
	sqlite3 *in = NULL;
	enum ms_status st = MS_OK;
	if (sqlite3_open_v2(src, &in, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		st = db_fail(err, in, src, "cannot open");
		goto done;
	}
	sqlite3_backup *bk = sqlite3_backup_init(dst, "main", in, "main");
	if (!bk) {
		st = db_fail(err, dst, src, "cannot copy");
		goto done;
	}
	int rc = sqlite3_backup_step(bk, -1);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		st = ms_fail(err, MS_EIO, "%s: cannot copy: %s", src, sqlite3_errstr(rc));
		goto done;
	}
done:
	sqlite3_close(in);
	return st;
}

/* Creates the table and its geometry column unless the database has them;
 * checks that an existing table is ours, and adds the position columns to
 * one an earlier version made.  Inside the import transaction. */
static enum ms_status ensure_schema(sqlite3 *db, const char *path, struct ms_error *err)
{
	if (query_int(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='sites'") > 0) {
		sqlite3_stmt *st;
		const char *probe = "SELECT " STORE_LEGACY_COLUMNS ", geom FROM sites LIMIT 0";
		if (sqlite3_prepare_v2(db, probe, -1, &st, NULL) != SQLITE_OK)
			return ms_fail(err, MS_EDATA, "%s: table sites is not a mapsvc sites table: %s", path,
			               sqlite3_errmsg(db));
		sqlite3_finalize(st);
		int has = store_position_columns(db);
		if (has < 0)
			return ms_fail(err, MS_EDATA, "%s: table sites has only one of the position columns",
			               path);
		return has ? MS_OK : store_add_position_columns(db, path, err);
	}
	if (exec(db, schema_sql) != SQLITE_OK)
		return db_fail(err, db, path, "cannot create table sites");
	/* Registered in geometry_columns, so GIS tools see a POINT layer in
	 * EPSG:4326; not null because every site has a position. */
	if (query_int(db, "SELECT AddGeometryColumn('sites', 'geom', 4326, 'POINT', 'XY', 1)") != 1)
		return db_fail(err, db, path, "cannot add the geometry column");
	if (query_int(db, "SELECT CreateSpatialIndex('sites', 'geom')") != 1)
		return db_fail(err, db, path, "cannot create the spatial index");
	return store_add_position_columns(db, path, err);
}

static enum ms_status insert_sites(sqlite3 *db, const char *path, const struct site_set *sites, bool replace,
                                   struct ms_error *err)
{
	if (replace && exec(db, "DELETE FROM sites") != SQLITE_OK)
		return db_fail(err, db, path, "cannot delete the old sites");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO sites (" STORE_COLUMNS ", geom) VALUES "
	                       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, MakePoint(?14, ?13, 4326))",
	                       -1, &st, NULL) != SQLITE_OK)
		return db_fail(err, db, path, "cannot prepare the insert");
	enum ms_status rs = MS_OK;
	for (size_t i = 0; i < sites->n; i++) {
		const struct site *s = &sites->v[i];
		if (!site_coord_valid(s->lat, s->lon)) {
			rs = ms_fail(err, MS_EDATA, "site '%s': invalid coordinate %g, %g", s->field[SITE_ID],
			             s->lat, s->lon);
			break;
		}
		for (int f = 0; f < SITE_NFIELDS; f++)
			sqlite3_bind_text(st, f + 1, s->field[f] ? s->field[f] : "", -1, SQLITE_STATIC);
		sqlite3_bind_double(st, SITE_NFIELDS + 1, s->lat);
		sqlite3_bind_double(st, SITE_NFIELDS + 2, s->lon);
		sqlite3_bind_text(st, SITE_NFIELDS + 3, s->extra && s->extra[0] ? s->extra : "{}", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, SITE_NFIELDS + 4, site_quality_name(s->quality), -1, SQLITE_STATIC);
		sqlite3_bind_double(st, SITE_NFIELDS + 5, s->uncertainty_m);
		int rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_PRIMARYKEY)
				rs = ms_fail(err, MS_EDATA, "%s: id '%s' already exists in the database",
				             path, s->field[SITE_ID]);
			else
				rs = db_fail(err, db, path, "cannot insert a site");
			break;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rs;
}

/* SQLite's files beside a database: the journal of a failed import may
 * outlive its connection.  The database itself is atomicfile_abort's. */
static void remove_side_files(const char *path)
{
	static const char *const suffix[] = {"-journal", "-wal", "-shm"};
	char p[PATH_MAX + ATOMICFILE_SUFFIX_MAX + 16];
	for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		unlink(p);
	}
}

enum ms_status store_import(const char *db_path, const struct site_set *sites, bool replace, size_t *imported,
                            struct ms_error *err)
{
	/* The import's file, beside the target (util/atomicfile.h). */
	struct atomicfile af;
	enum ms_status rs = atomicfile_begin(&af, db_path, "import", err);
	if (rs != MS_OK)
		return rs;
	sqlite3 *db = NULL;
	void *cache = spatialite_alloc_connection();
	if (sqlite3_open_v2(af.tmp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rs = db_fail(err, db, db_path, "cannot open");
		goto done;
	}
	spatialite_init_ex(db, cache, 0);
	if (af.existed && (rs = copy_db(db_path, db, err)) != MS_OK)
		goto done;
	/* InitSpatialMetadata(1) runs its own transaction, so it comes before
	 * ours; that is safe only because a failed import discards this whole
	 * file.  The file is ours alone until the rename: no other connection can
	 * need the rollback journal's protection, and it is synced once, at
	 * the end, instead of at every step. */
	/* A large page cache keeps the R*Tree's pages in memory while a big
	 * import inserts points in no spatial order. */
	if (exec(db, "PRAGMA journal_mode=DELETE") != SQLITE_OK ||
	    exec(db, "PRAGMA synchronous=OFF") != SQLITE_OK ||
	    exec(db, "PRAGMA cache_size=-262144") != SQLITE_OK) {
		rs = db_fail(err, db, db_path, "cannot set up the import");
		goto done;
	}
	if (query_int(db,
	              "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='spatial_ref_sys'") <=
	        0 &&
	    query_int(db, "SELECT InitSpatialMetadata(1)") != 1) {
		rs = db_fail(err, db, db_path, "cannot initialise the spatial metadata");
		goto done;
	}
	if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) {
		rs = db_fail(err, db, db_path, "cannot start the import");
		goto done;
	}
	if ((rs = ensure_schema(db, db_path, err)) != MS_OK ||
	    (rs = insert_sites(db, db_path, sites, replace, err)) != MS_OK) {
		exec(db, "ROLLBACK");
		goto done;
	}
	if (exec(db, "COMMIT") != SQLITE_OK) {
		rs = db_fail(err, db, db_path, "cannot commit");
		exec(db, "ROLLBACK");
		goto done;
	}
done:
	if (sqlite3_close(db) != SQLITE_OK && rs == MS_OK)
		rs = ms_fail(err, MS_EINTERNAL, "%s: cannot close the database", db_path);
	spatialite_cleanup_ex(cache);
	if (rs == MS_OK)
		rs = atomicfile_commit(&af, err); /* sync, rename, sync the folder */
	if (rs != MS_OK) {
		remove_side_files(af.tmp);
		atomicfile_abort(&af);
		return rs;
	}
	if (imported)
		*imported = sites->n;
	return MS_OK;
}

enum ms_status store_load(const char *db_path, struct site_set **out, struct ms_error *err)
{
	*out = NULL;
	struct stat st;
	if (stat(db_path, &st) != 0)
		return ms_fail(err, errno == ENOENT ? MS_ENOTFOUND : MS_EIO, "%s: %s", db_path,
		               strerror(errno));
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct site_set *set = NULL;
	enum ms_status rs = MS_OK;
	/* No spatialite here: reading plain columns needs none of its
	 * functions, and a table scan sorted in memory is several times faster
	 * than walking the id index for a million rows. */
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rs = db_fail(err, db, db_path, "cannot open");
		goto done;
	}
	/* A database of an earlier version has no position columns; its
	 * sites get theirs as an import would give them now (store_int.h). */
	int has = store_position_columns(db);
	const char *select =
	    has ? "SELECT " STORE_COLUMNS " FROM sites" : "SELECT " STORE_LEGACY_COLUMNS " FROM sites";
	if (has < 0 || sqlite3_prepare_v2(db, select, -1, &q, NULL) != SQLITE_OK) {
		rs = ms_fail(err, MS_EDATA, "%s: not a mapsvc database: %s", db_path,
		             has < 0 ? "table sites has only one of the position columns"
		                     : sqlite3_errmsg(db));
		goto done;
	}
	set = site_set_new();
	long long count = query_int(db, "SELECT count(*) FROM sites");
	if (count > 0) /* one allocation for a million sites, not twenty */
		site_set_reserve(set, (size_t)count);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct site s;
		char *owned;
		if ((rs = store_read_row(q, !has, db_path, &s, &owned, err)) != MS_OK)
			goto done;
		site_set_add(set, &s);
		free(owned);
	}
	if (rc != SQLITE_DONE) {
		rs = db_fail(err, db, db_path, "cannot read the sites");
		goto done;
	}
	site_set_sort_by_id(set);
	*out = set;
	set = NULL;
done:
	sqlite3_finalize(q);
	sqlite3_close(db);
	site_set_free(set);
	return rs;
}

void store_shutdown(void)
{
	spatialite_shutdown();
}

/*
 * edit.c - changing one site at a time with an audit row: the steps of a
 * change every backend shares (store_change_run), and the SpatiaLite
 * backend's writer, which makes them in place; see store.h.
 *
 * Why in place, and how that lives with imports.  An import replaces the
 * whole file (copy, one transaction, fsync, rename: store.c), which is
 * right for a million rows and wrong for one: an edit would copy the
 * database to change a row.  So an edit is a transaction on the file
 * itself, and the two kinds of writer take turns on one lock, the import
 * lock (store_int.h): an import holds it from the copy to the rename, an
 * edit for its one transaction.  Held while the edit commits, it means an
 * import copies either the state before the edit or after it, never half
 * of it, and an edit never writes into a file an import is about to
 * replace.  After an import the path names a new inode, so an edit that
 * takes the lock first compares the inode its connection has open with
 * the path's and reopens when they differ: its change goes into the new
 * file, not the unlinked old one.
 *
 * Journal mode: the rollback journal (DELETE), synchronous FULL, not WAL.
 * WAL would let readers run beside the writer, but nothing reads this
 * file while a server runs (requests read the in-memory snapshot; a
 * reload reads the whole table once), and WAL keeps committed pages in a
 * side file until a checkpoint: an import's copy (SQLite's backup) and
 * tools that open the file as it is (QGIS, the spatialite shell, cp)
 * would need that file too, and a read-only open of a WAL database needs
 * a writable folder for its -shm.  With the journal, once COMMIT returns
 * the change is in the database file itself and fsynced, so a kill -9 at
 * any instant loses no answered write and leaves a file that opens (hot
 * journals are rolled back by the next opener).  The price is two
 * fsyncs per edit (journal, database), a few milliseconds: edits are
 * made by people.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
/* after sqlite3.h: spatialite.h uses its types without including it */
#include <spatialite.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../ingest/ingest.h"
#include "../util/buf.h"
#include "../util/mem.h"
#include "store.h"
#include "store_backend.h"
#include "store_int.h"

/* How long a statement waits for a lock SQLite holds for another
 * connection (a tool with the file open), ms. */
#define BUSY_TIMEOUT_MS 5000

static const char tables_sql[] = "CREATE TABLE IF NOT EXISTS keys ("
                                 " name TEXT PRIMARY KEY NOT NULL,"
                                 " role TEXT NOT NULL CHECK (role IN ('read', 'edit')),"
                                 " hash BLOB NOT NULL CHECK (length(hash) = 32),"
                                 " created TEXT NOT NULL, revoked TEXT);"
                                 "CREATE TABLE IF NOT EXISTS audit ("
                                 " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                                 " time TEXT NOT NULL, key_name TEXT NOT NULL, site_id TEXT NOT NULL,"
                                 " op TEXT NOT NULL CHECK (op IN ('create', 'replace', 'delete')),"
                                 " before TEXT, after TEXT);"
                                 "CREATE INDEX IF NOT EXISTS audit_time ON audit (time);";

static enum ms_status db_fail(struct ms_error *err, sqlite3 *db, const char *path, const char *what)
{
	return ms_fail(err, MS_EIO, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

static void close_db(struct store_writer *w)
{
	sqlite3_close(w->db);
	w->db = NULL;
	if (w->cache)
		spatialite_cleanup_ex(w->cache);
	w->cache = NULL;
}

/* Opens the connection on the file path names now (the caller holds the
 * import lock or is opening) and makes the editing tables. */
static enum ms_status open_db(struct store_writer *w, struct ms_error *err)
{
	struct stat st;
	if (stat(w->path, &st) != 0)
		return ms_fail(err, errno == ENOENT ? MS_ENOTFOUND : MS_EIO, "%s: %s", w->path,
		               strerror(errno));
	w->cache = spatialite_alloc_connection();
	if (sqlite3_open_v2(w->path, &w->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return db_fail(err, w->db, w->path, "cannot open for writing");
	/* the triggers of sites.geom call SpatiaLite's functions */
	spatialite_init_ex(w->db, w->cache, 0);
	sqlite3_busy_timeout(w->db, BUSY_TIMEOUT_MS);
	if (sqlite3_exec(w->db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return db_fail(err, w->db, w->path, "cannot set the journal");
	if (store_columns_present(w->db) != STORE_HAS_ALL)
		return ms_fail(err, MS_EDATA,
		               "%s: not a mapsvc database of this version (import it again to edit it)",
		               w->path);
	if (sqlite3_exec(w->db, tables_sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(err, w->db, w->path, "cannot create the keys and audit tables");
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	return MS_OK;
}

enum ms_status store_writer_begin(struct store_writer *w, bool write, struct ms_error *err)
{
	pthread_mutex_lock(&w->mu);
	w->lock_fd = -1;
	enum ms_status rs = MS_OK;
	if (write && (rs = store_lock(w->path, w->lock_path, sizeof w->lock_path, &w->lock_fd, err)) != MS_OK)
		goto fail;
	struct stat st;
	if (!w->db || stat(w->path, &st) != 0 || st.st_dev != w->dev || st.st_ino != w->ino) {
		close_db(w); /* an import replaced the file: reopen on the new one */
		if ((rs = open_db(w, err)) != MS_OK) {
			close_db(w);
			goto fail;
		}
	}
	if (write && sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rs = db_fail(err, w->db, w->path, "cannot start a change");
		goto fail;
	}
	return MS_OK;
fail:
	if (w->lock_fd >= 0)
		store_unlock(w->lock_path, w->lock_fd);
	pthread_mutex_unlock(&w->mu);
	return rs;
}

enum ms_status store_writer_end(struct store_writer *w, bool write, bool commit, struct ms_error *err)
{
	enum ms_status rs = MS_OK;
	if (write && commit && sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rs = db_fail(err, w->db, w->path, "cannot commit");
	if (write && (rs != MS_OK || !commit))
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	if (w->lock_fd >= 0)
		store_unlock(w->lock_path, w->lock_fd);
	w->lock_fd = -1;
	pthread_mutex_unlock(&w->mu);
	return rs;
}

enum ms_status store_writer_open(const char *db_path, struct store_writer **out, struct ms_error *err)
{
	struct store_writer *w = xcalloc(1, sizeof *w);
	pthread_mutex_init(&w->mu, NULL);
	w->path = xstrdup(db_path);
	w->lock_fd = -1;
	/* made under the lock: the tables are created by a transaction too */
	enum ms_status rs = store_writer_begin(w, true, err);
	if (rs == MS_OK)
		rs = store_writer_end(w, true, true, err);
	if (rs != MS_OK) {
		store_writer_close(w);
		return rs;
	}
	*out = w;
	return MS_OK;
}

void store_writer_close(struct store_writer *w)
{
	if (!w)
		return;
	close_db(w);
	pthread_mutex_destroy(&w->mu);
	free(w->path);
	free(w);
}

/* ---- one change ----------------------------------------------------------- */

/* The row of id into a->sites as *s (NULL when there is none). */
static enum ms_status read_site(void *ctx, const char *id, struct site_set *into, const struct site **s,
                                struct ms_error *err)
{
	struct store_writer *w = ctx;
	*s = NULL;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT ");
	store_select_columns(&sql, STORE_HAS_ALL);
	buf_puts(&sql, " FROM sites WHERE id = ?1");
	sqlite3_stmt *q;
	int prc = sqlite3_prepare_v2(w->db, buf_str(&sql), -1, &q, NULL);
	buf_free(&sql);
	if (prc != SQLITE_OK)
		return db_fail(err, w->db, w->path, "cannot read a site");
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	enum ms_status rs = MS_OK;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		struct site_draft row;
		char *owned;
		if ((rs = store_read_row(q, STORE_HAS_ALL, w->path, &row, &owned, err)) == MS_OK)
			*s = site_set_add(into, &row);
		free(owned);
	} else if (rc != SQLITE_DONE) {
		rs = db_fail(err, w->db, w->path, "cannot read a site");
	}
	sqlite3_finalize(q);
	return rs;
}

/* The parameters of a change's row: ?1..?SITE_NFIELDS the text fields in
 * site_field_names order (?1 the id), then lat, lon, extra, quality and
 * radius, the columns of store_select_columns. */
enum { P_LAT = SITE_NFIELDS + 1, P_LON, P_EXTRA, P_QUALITY, P_UNCERTAINTY };

static void bind_site(sqlite3_stmt *q, const struct site *s)
{
	for (int f = 0; f < SITE_NFIELDS; f++)
		sqlite3_bind_text(q, f + 1, site_field(s, f), -1, SQLITE_STATIC);
	sqlite3_bind_double(q, P_LAT, s->lat);
	sqlite3_bind_double(q, P_LON, s->lon);
	sqlite3_bind_text(q, P_EXTRA, site_extra(s), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, P_QUALITY, site_quality_name(s->quality), -1, SQLITE_STATIC);
	sqlite3_bind_double(q, P_UNCERTAINTY, site_uncertainty(s));
}

/* The statement of op, made from the column list so that a new column
 * cannot be forgotten here (a replace never renames: ?1 stays). */
static void change_sql(struct buf *b, enum store_op op)
{
	if (op == STORE_CREATE) {
		buf_puts(b, "INSERT INTO sites (");
		store_select_columns(b, STORE_HAS_ALL);
		buf_puts(b, ", geom) VALUES (");
		for (int i = 1; i <= P_UNCERTAINTY; i++)
			buf_printf(b, "?%d, ", i);
		buf_printf(b, "MakePoint(?%d, ?%d, 4326))", P_LON, P_LAT);
	} else if (op == STORE_REPLACE) {
		buf_puts(b, "UPDATE sites SET ");
		for (int f = 1; f < SITE_NFIELDS; f++)
			buf_printf(b, "%s = ?%d, ", site_field_names[f], f + 1);
		buf_printf(b,
		           "lat = ?%d, lon = ?%d, extra = ?%d, " SITE_COLUMN_QUALITY
		           " = ?%d, " SITE_COLUMN_UNCERTAINTY
		           " = ?%d, geom = MakePoint(?%d, ?%d, 4326) WHERE id = ?1",
		           P_LAT, P_LON, P_EXTRA, P_QUALITY, P_UNCERTAINTY, P_LON, P_LAT);
	} else {
		buf_puts(b, "DELETE FROM sites WHERE id = ?1");
	}
}

/* Writes the row of the change: after inserted or updated, or id deleted. */
static enum ms_status write_site(void *ctx, enum store_op op, const char *id, const struct site *after,
                                 struct ms_error *err)
{
	struct store_writer *w = ctx;
	struct buf sql = BUF_INIT;
	change_sql(&sql, op);
	sqlite3_stmt *q;
	int prc = sqlite3_prepare_v2(w->db, buf_str(&sql), -1, &q, NULL);
	buf_free(&sql);
	if (prc != SQLITE_OK)
		return db_fail(err, w->db, w->path, "cannot prepare a change");
	if (after)
		bind_site(q, after);
	else
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	enum ms_status rs = MS_OK;
	if (sqlite3_step(q) != SQLITE_DONE || sqlite3_changes(w->db) != 1)
		rs = db_fail(err, w->db, w->path, "cannot write the site");
	sqlite3_finalize(q);
	return rs;
}

static enum ms_status write_audit(void *ctx, const char *who, const char *op, const char *id,
                                  const char *before, const char *after, long long *seq, struct ms_error *err)
{
	struct store_writer *w = ctx;
	sqlite3_stmt *q = NULL;
	enum ms_status rs = MS_OK;
	if (sqlite3_prepare_v2(w->db,
	                       "INSERT INTO audit (time, key_name, site_id, op, before, after) VALUES"
	                       " (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?1, ?2, ?3, ?4, ?5)",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_fail(err, w->db, w->path, "cannot prepare the audit");
	sqlite3_bind_text(q, 1, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, op, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, before, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, after, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rs = db_fail(err, w->db, w->path, "cannot write the audit");
	else
		*seq = sqlite3_last_insert_rowid(w->db);
	sqlite3_finalize(q);
	return rs;
}

enum ms_status store_sl_apply(struct store_writer *w, const struct store_change *c, struct store_applied *out,
                              struct ms_error *err)
{
	enum ms_status rs = store_writer_begin(w, true, err);
	if (rs != MS_OK)
		return rs;
	struct store_change_io io = {w, read_site, write_site, write_audit};
	rs = store_change_run(&io, c, out, err);
	struct ms_error cerr;
	enum ms_status es = store_writer_end(w, true, rs == MS_OK && out->outcome == STORE_DONE, &cerr);
	if (rs == MS_OK && es != MS_OK) {
		*err = cerr;
		rs = es;
	}
	return rs;
}

/* ---- the steps of a change, every backend's ----------------------------- */

static const char *const op_names[] = {"create", "replace", "delete"};

/* A site as the audit keeps it (a GeoJSON Feature), into b; NULL for none. */
static const char *feature_text(const struct site *s, struct buf *b, struct ms_error *err)
{
	if (!s)
		return NULL;
	if (ingest_export_feature(s, b, err) != MS_OK)
		return NULL;
	buf_putc(b, '\0');
	return b->data;
}

static enum ms_status audit(const struct store_change_io *io, const struct store_change *c, const char *id,
                            struct store_applied *a, struct ms_error *err)
{
	struct buf bb = BUF_INIT, ab = BUF_INIT;
	enum ms_status rs = MS_OK;
	const char *before = feature_text(a->before, &bb, err), *after = feature_text(a->after, &ab, err);
	if ((a->before && !before) || (a->after && !after))
		rs = err->status;
	else
		rs = io->audit(io->ctx, c->who ? c->who : "", op_names[c->op], id, before, after,
		               &a->audit_seq, err);
	buf_free(&bb);
	buf_free(&ab);
	return rs;
}

enum ms_status store_change_run(const struct store_change_io *io, const struct store_change *c,
                                struct store_applied *a, struct ms_error *err)
{
	enum ms_status rs;
	if (c->op != STORE_CREATE) {
		if ((rs = io->read(io->ctx, c->id, a->sites, &a->before, err)) != MS_OK)
			return rs;
		if (!a->before) {
			a->outcome = STORE_MISSING;
			return MS_OK;
		}
		if (c->check_version && site_hash(a->before) != c->version) {
			a->outcome = STORE_STALE;
			return MS_OK;
		}
	}
	if (c->op != STORE_DELETE && (rs = c->make(c->arg, a->before, a->sites, &a->after, err)) != MS_OK)
		return rs;
	const char *id = a->after ? site_field(a->after, SITE_ID) : c->id;
	if (c->op == STORE_CREATE) {
		const struct site *old;
		if ((rs = io->read(io->ctx, id, a->sites, &old, err)) != MS_OK)
			return rs;
		if (old) {
			a->before = old; /* what is in the way, for the caller's message */
			a->outcome = STORE_EXISTS;
			return MS_OK;
		}
	} else if (c->op == STORE_REPLACE && strcmp(id, c->id) != 0) {
		return ms_fail(err, MS_EDATA, "a replace cannot change the id '%s' into '%s'", c->id, id);
	}
	if ((rs = io->write(io->ctx, c->op, id, a->after, err)) != MS_OK ||
	    (rs = audit(io, c, id, a, err)) != MS_OK)
		return rs;
	a->outcome = STORE_DONE;
	return MS_OK;
}

void store_applied_free(struct store_applied *a)
{
	site_set_free(a->sites);
	memset(a, 0, sizeof *a);
}

/* ---- the audit ------------------------------------------------------------ */

static const char *col_text(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

enum ms_status store_sl_audit_list(const char *db_path, const char *since,
                                   void (*fn)(void *arg, const struct store_audit_entry *e), void *arg,
                                   struct ms_error *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	enum ms_status rs = MS_OK;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rs = db_fail(err, db, db_path, "cannot open");
		goto done;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	int rc = sqlite3_prepare_v2(db,
	                            "SELECT seq, time, key_name, op, site_id, before, after FROM audit"
	                            " WHERE ?1 IS NULL OR time >= ?1 ORDER BY seq",
	                            -1, &q, NULL);
	if (rc != SQLITE_OK) {
		/* a database no one has edited has no audit table: no changes */
		if (!strstr(sqlite3_errmsg(db), "no such table"))
			rs = db_fail(err, db, db_path, "cannot read the audit");
		goto done;
	}
	if (since)
		sqlite3_bind_text(q, 1, since, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_audit_entry e = {sqlite3_column_int64(q, 0),
		                              col_text(q, 1),
		                              col_text(q, 2),
		                              col_text(q, 3),
		                              col_text(q, 4),
		                              col_text(q, 5),
		                              col_text(q, 6)};
		fn(arg, &e);
	}
	if (rc != SQLITE_DONE)
		rs = db_fail(err, db, db_path, "cannot read the audit");
done:
	sqlite3_finalize(q);
	sqlite3_close(db);
	return rs;
}

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
 *
 * Speed, and why: profiled at 100,000 rows, an import spent its time in
 * SpatiaLite's per-row triggers on sites.geom, not in the rows.  Each
 * INSERT ran three of them - a geometry-constraint subquery, an UPDATE of
 * geometry_columns_time formatting a timestamp, and RTreeAlign, which
 * prepares its own SQL for every row - and a statement with triggers needs
 * a statement journal, which SQLite spilled to a temporary file: eleven
 * pwrite(2) calls per row, a third of the run in the kernel.  So the bulk
 * insert suspends exactly those triggers (dropping them and re-creating
 * them from their own saved SQL in the same transaction, so the file ends
 * up with the very schema SpatiaLite made) and does their work once for
 * all rows: the constraint is checked once against the column's
 * registration (every geometry is MakePoint(lon, lat, 4326), a POINT in
 * the registered SRID, by construction), the timestamps are written once,
 * and the R*Tree is filled in one step.  That step was then three
 * quarters of the time: SQLite's rtree module costs about 10 us per
 * inserted entry whatever the order (SpatiaLite's CreateSpatialIndex pays
 * the same), so a large import rebuilds the R*Tree packed, writing its
 * shadow tables directly and verifying them with rtreecheck()
 * (rtree_load.h); a small addition to a large index still inserts row by
 * row.  Other triggers someone added to the table still fire per row.
 * Temporary storage stays in memory: the file is private until the
 * rename.
 *
 * One import at a time per database.  Copy-and-rename alone lets two
 * imports both copy the old file and the second rename drop the first's
 * rows, so an import holds an exclusive lock for its whole run: flock(2)
 * on TARGET.lock beside the database (the target itself is replaced by
 * the rename, so a lock on it would protect the old inode only).  A second
 * import waits for the first, then copies its result.  The lock file is
 * removed when the import ends; since a waiter may by then hold a lock on
 * the removed file, a lock counts only once the path still names the
 * locked inode.  The kernel drops a killed import's lock, and the next
 * import, holding the lock, knows that every TARGET.import-PID-N (and its
 * journal) it finds is a dead import's leftover and removes it.
 */
#include "store_backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sqlite3.h>
/* after sqlite3.h: spatialite.h uses its types without including it */
#include <spatialite.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/atomicfile.h"
#include "../util/buf.h"
#include "../util/mem.h"
#include "store_int.h"
#include "rtree_load.h"

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
		int has = store_columns_present(db);
		if (has < 0)
			return ms_fail(err, MS_EDATA, "%s: table sites has only one of the position columns",
			               path);
		enum ms_status rs = MS_OK;
		if (!(has & STORE_HAS_POSITION))
			rs = store_add_position_columns(db, path, err);
		if (rs == MS_OK && !(has & STORE_HAS_HOURS_TEXT))
			rs = store_add_hours_column(db, path, err);
		return rs;
	}
	if (exec(db, schema_sql) != SQLITE_OK)
		return db_fail(err, db, path, "cannot create table sites");
	/* Registered in geometry_columns, so GIS tools see a POINT layer in
	 * EPSG:4326; not null because every site has a position. */
	if (query_int(db, "SELECT AddGeometryColumn('sites', 'geom', 4326, 'POINT', 'XY', 1)") != 1)
		return db_fail(err, db, path, "cannot add the geometry column");
	if (query_int(db, "SELECT CreateSpatialIndex('sites', 'geom')") != 1)
		return db_fail(err, db, path, "cannot create the spatial index");
	enum ms_status rs = store_add_position_columns(db, path, err);
	return rs == MS_OK ? store_add_hours_column(db, path, err) : rs;
}

/* SpatiaLite's per-row triggers on sites.geom (AddGeometryColumn and
 * CreateSpatialIndex name them so), suspended during the bulk insert. */
enum row_trigger { TRG_GGI, TRG_GGU, TRG_TMI, TRG_TMU, TRG_TMD, TRG_GII, TRG_GIU, TRG_GID, TRG_COUNT };
static const char *const row_trigger_names[TRG_COUNT] = {
    "ggi_sites_geom", "ggu_sites_geom", "tmi_sites_geom", "tmu_sites_geom",
    "tmd_sites_geom", "gii_sites_geom", "giu_sites_geom", "gid_sites_geom",
};
#define RTREE_TABLE "idx_sites_geom"
/* What geometry_columns_time's triggers write: the moment, in UTC. */
#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
#define SITES_GEOM_WHERE "WHERE Lower(f_table_name) = 'sites' AND Lower(f_geometry_column) = 'geom'"
/* A spatial index is rebuilt whole, packed (rtree_load.h), when the
 * import brings at least 1/REBUILD_SHARE of its entries: a rebuild costs
 * about a microsecond per entry, one-by-one insertion about ten per new
 * entry. */
#define REBUILD_SHARE 8

/* The SQL of each suspended trigger (NULL when the table had none). */
struct suspended {
	char *sql[TRG_COUNT];
};

static enum ms_status suspend_triggers(sqlite3 *db, const char *path, struct suspended *sp,
                                       struct ms_error *err)
{
	memset(sp, 0, sizeof *sp);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1", -1,
	                       &st, NULL) != SQLITE_OK)
		return db_fail(err, db, path, "cannot read the triggers");
	enum ms_status rs = MS_OK;
	for (int t = 0; t < TRG_COUNT && rs == MS_OK; t++) {
		sqlite3_bind_text(st, 1, row_trigger_names[t], -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
			sp->sql[t] = xstrdup((const char *)sqlite3_column_text(st, 0));
			char drop[96];
			snprintf(drop, sizeof drop, "DROP TRIGGER \"%s\"", row_trigger_names[t]);
			if (exec(db, drop) != SQLITE_OK)
				rs = db_fail(err, db, path, "cannot suspend a trigger");
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rs;
}

/* Re-creates the suspended triggers from their own SQL and frees it. */
static enum ms_status restore_triggers(sqlite3 *db, const char *path, struct suspended *sp,
                                       struct ms_error *err)
{
	enum ms_status rs = MS_OK;
	for (int t = 0; t < TRG_COUNT; t++) {
		if (sp->sql[t] && rs == MS_OK && exec(db, sp->sql[t]) != SQLITE_OK)
			rs = db_fail(err, db, path, "cannot restore a trigger");
		free(sp->sql[t]);
		sp->sql[t] = NULL;
	}
	return rs;
}

/* The constraint ggi_sites_geom checks on every row, checked once: the
 * column must be registered as what MakePoint(lon, lat, 4326) makes. */
static enum ms_status check_geometry_registration(sqlite3 *db, const char *path, struct ms_error *err)
{
	long long ok = query_int(db, "SELECT count(*) FROM geometry_columns " SITES_GEOM_WHERE
	                             " AND geometry_type = 1 AND srid = 4326");
	if (ok != 1)
		return ms_fail(
		    err, MS_EDATA,
		    "%s: sites.geom is not registered as a POINT column in EPSG:4326 (geometry_columns)",
		    path);
	return MS_OK;
}

/* What gii_sites_geom does per row, through the virtual table: drop any
 * stale entry under the row's id, then insert the point's box.  For small
 * additions to a large index, and for R*Trees rtree_load does not know. */
static enum ms_status insert_rtree_rows(sqlite3 *db, const char *path, const struct rtree_point *pts,
                                        size_t n, struct ms_error *err)
{
	sqlite3_stmt *del = NULL, *ins = NULL;
	enum ms_status rs = MS_OK;
	if (sqlite3_prepare_v2(db, "DELETE FROM " RTREE_TABLE " WHERE pkid = ?1", -1, &del, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(
	        db, "INSERT INTO " RTREE_TABLE " (pkid, xmin, xmax, ymin, ymax) VALUES (?1, ?2, ?2, ?3, ?3)",
	        -1, &ins, NULL) != SQLITE_OK) {
		rs = db_fail(err, db, path, "cannot prepare the spatial index update");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(del, 1, pts[i].id);
		sqlite3_bind_int64(ins, 1, pts[i].id);
		sqlite3_bind_double(ins, 2, pts[i].x);
		sqlite3_bind_double(ins, 3, pts[i].y);
		if (sqlite3_step(del) != SQLITE_DONE || sqlite3_step(ins) != SQLITE_DONE) {
			rs = db_fail(err, db, path, "cannot update the spatial index");
			goto done;
		}
		sqlite3_reset(del);
		sqlite3_reset(ins);
	}
done:
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	return rs;
}

/* The spatial index's share of the work of gii_sites_geom (and, with
 * replace, of gid_sites_geom) for the new rows pts[0..n). */
static enum ms_status update_rtree(sqlite3 *db, const char *path, const struct rtree_point *pts, size_t n,
                                   bool replace, struct ms_error *err)
{
	long long existing = replace ? 0 : query_int(db, "SELECT count(*) FROM " RTREE_TABLE "_rowid");
	if (existing < 0)
		return db_fail(err, db, path, "cannot read the spatial index");
	if (n * REBUILD_SHARE >= (size_t)existing + n) {
		enum ms_status rs = store_rtree_load(db, RTREE_TABLE, pts, n, !replace, err);
		if (rs != MS_EUSAGE) {
			if (rs != MS_OK)
				ms_error_prefix(err, "%s: ", path);
			return rs;
		}
	}
	if (replace && exec(db, "DELETE FROM " RTREE_TABLE) != SQLITE_OK)
		return db_fail(err, db, path, "cannot clear the spatial index");
	return insert_rtree_rows(db, path, pts, n, err);
}

static enum ms_status insert_rows(sqlite3 *db, const char *path, const struct site_set *sites,
                                  struct rtree_point *pts, struct ms_error *err)
{
	sqlite3_stmt *st;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "INSERT INTO sites (");
	store_select_columns(&sql, STORE_HAS_ALL);
	/* the text fields, lat, lon, extra, quality, radius; then the point */
	buf_puts(&sql, ", geom) VALUES (");
	for (int i = 1; i <= SITE_NFIELDS + 5; i++)
		buf_printf(&sql, "?%d, ", i);
	buf_printf(&sql, "MakePoint(?%d, ?%d, 4326))", SITE_NFIELDS + 2, SITE_NFIELDS + 1);
	int prc = sqlite3_prepare_v2(db, buf_str(&sql), -1, &st, NULL);
	buf_free(&sql);
	if (prc != SQLITE_OK)
		return db_fail(err, db, path, "cannot prepare the insert");
	enum ms_status rs = MS_OK;
	for (size_t i = 0; i < sites->n; i++) {
		const struct site *s = &sites->v[i];
		if (!site_coord_valid(s->lat, s->lon)) {
			rs = ms_fail(err, MS_EDATA, "site '%s': invalid coordinate %g, %g",
			             site_field(s, SITE_ID), s->lat, s->lon);
			break;
		}
		for (int f = 0; f < SITE_NFIELDS; f++)
			sqlite3_bind_text(st, f + 1, site_field(s, f) ? site_field(s, f) : "", -1,
			                  SQLITE_STATIC);
		sqlite3_bind_double(st, SITE_NFIELDS + 1, s->lat);
		sqlite3_bind_double(st, SITE_NFIELDS + 2, s->lon);
		sqlite3_bind_text(st, SITE_NFIELDS + 3,
		                  site_extra(s) && site_extra(s)[0] ? site_extra(s) : "{}", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, SITE_NFIELDS + 4, site_quality_name(s->quality), -1, SQLITE_STATIC);
		sqlite3_bind_double(st, SITE_NFIELDS + 5, site_uncertainty(s));
		int rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_PRIMARYKEY)
				rs = ms_fail(err, MS_EDATA, "%s: id '%s' already exists in the database",
				             path, site_field(s, SITE_ID));
			else
				rs = db_fail(err, db, path, "cannot insert a site");
			break;
		}
		pts[i] = (struct rtree_point){sqlite3_last_insert_rowid(db), s->lon, s->lat};
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rs;
}

static enum ms_status insert_sites(sqlite3 *db, const char *path, const struct site_set *sites, bool replace,
                                   struct ms_error *err)
{
	struct suspended sp;
	struct rtree_point *pts = xmalloc((sites->n ? sites->n : 1) * sizeof *pts);
	enum ms_status rs = suspend_triggers(db, path, &sp, err);
	if (rs != MS_OK)
		goto done;
	if (replace) {
		if (exec(db, "DELETE FROM sites") != SQLITE_OK ||
		    (sp.sql[TRG_TMD] && exec(db, "UPDATE geometry_columns_time SET last_delete = " NOW_SQL
		                                 " " SITES_GEOM_WHERE) != SQLITE_OK)) {
			rs = db_fail(err, db, path, "cannot delete the old sites");
			goto done;
		}
	}
	if (sp.sql[TRG_GGI] && (rs = check_geometry_registration(db, path, err)) != MS_OK)
		goto done;
	if ((rs = insert_rows(db, path, sites, pts, err)) != MS_OK)
		goto done;
	/* gid_sites_geom would have emptied the index with the rows, and
	 * gii_sites_geom fills it: one step for both. */
	if ((sp.sql[TRG_GII] || (replace && sp.sql[TRG_GID])) &&
	    (rs = update_rtree(db, path, pts, sp.sql[TRG_GII] ? sites->n : 0, replace, err)) != MS_OK)
		goto done;
	if (sites->n && sp.sql[TRG_TMI] &&
	    exec(db, "UPDATE geometry_columns_time SET last_insert = " NOW_SQL " " SITES_GEOM_WHERE) !=
	        SQLITE_OK) {
		rs = db_fail(err, db, path, "cannot record the insert time");
		goto done;
	}
done:
	free(pts);
	/* On failure the caller rolls the whole transaction back, the dropped
	 * triggers with it; the SQL is freed either way. */
	if (rs == MS_OK)
		rs = restore_triggers(db, path, &sp, err);
	else
		for (int t = 0; t < TRG_COUNT; t++)
			free(sp.sql[t]);
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

/* How long an import waits for another import of the same database,
 * and how often it looks: a million-site import takes seconds, so ten
 * minutes means the other one is stuck, not slow. */
#define LOCK_WAIT_MS (10 * 60 * 1000)
#define LOCK_POLL_MS 50
#define NS_PER_MS 1000000L
#define TEMP_INFIX ".import-"

/* The path of the lock of db_path: beside the file it names, symbolic
 * links followed, so that every spelling of one database shares it. */
static void lock_path_of(const char *db_path, char *out, size_t size)
{
	char real[PATH_MAX];
	if (realpath(db_path, real)) {
		snprintf(out, size, "%s" STORE_LOCK_SUFFIX, real);
		return;
	}
	/* not there yet: its folder's real path and its name */
	char d[PATH_MAX], b[PATH_MAX];
	snprintf(d, sizeof d, "%s", db_path);
	snprintf(b, sizeof b, "%s", db_path);
	if (realpath(dirname(d), real))
		snprintf(out, size, "%s/%s" STORE_LOCK_SUFFIX, real, basename(b));
	else
		snprintf(out, size, "%s" STORE_LOCK_SUFFIX, db_path);
}

/* True when name is base + ".import-" DIGITS "-" DIGITS, with nothing
 * after or one of SQLite's "-journal", "-wal", "-shm": a temporary file
 * of create_temp, and nothing a user would name so. */
static bool is_leftover(const char *name, const char *base)
{
	size_t bl = strlen(base);
	if (strncmp(name, base, bl) != 0 || strncmp(name + bl, TEMP_INFIX, strlen(TEMP_INFIX)) != 0)
		return false;
	const char *p = name + bl + strlen(TEMP_INFIX);
	for (int part = 0; part < 2; part++) {
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		if (part == 0 && *p++ != '-')
			return false;
	}
	return !*p || !strcmp(p, "-journal") || !strcmp(p, "-wal") || !strcmp(p, "-shm");
}

/* Removes the temporary files of imports that died (the caller holds the
 * lock, so no live import owns one). */
static void remove_leftovers(const char *lock_path)
{
	char target[PATH_MAX], d[PATH_MAX], b[PATH_MAX];
	snprintf(target, sizeof target, "%.*s", (int)(strlen(lock_path) - strlen(STORE_LOCK_SUFFIX)),
	         lock_path);
	snprintf(d, sizeof d, "%s", target);
	snprintf(b, sizeof b, "%s", target);
	const char *folder = dirname(d), *base = basename(b);
	DIR *dir = opendir(folder);
	if (!dir)
		return;
	for (struct dirent *e; (e = readdir(dir));) {
		if (!is_leftover(e->d_name, base))
			continue;
		char p[PATH_MAX + 256];
		snprintf(p, sizeof p, "%s/%s", folder, e->d_name);
		unlink(p);
	}
	closedir(dir);
}

enum ms_status store_lock(const char *db_path, char *lock_path, size_t size, int *fd, struct ms_error *err)
{
	lock_path_of(db_path, lock_path, size);
	struct timespec poll = {.tv_sec = 0, .tv_nsec = LOCK_POLL_MS * NS_PER_MS};
	for (long waited = 0;; waited += LOCK_POLL_MS) {
		int l = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
		if (l < 0)
			return ms_fail(err, MS_EIO, "%s: cannot create the import lock %s: %s", db_path,
			               lock_path, strerror(errno));
		if (flock(l, LOCK_EX | LOCK_NB) == 0) {
			/* The previous holder may have removed the file while we
			 * opened it: then this lock guards nothing. */
			struct stat held, now;
			if (fstat(l, &held) == 0 && stat(lock_path, &now) == 0 && held.st_ino == now.st_ino &&
			    held.st_dev == now.st_dev) {
				/* who holds it, for a waiter's message (not for the lock) */
				char pid[32];
				int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
				(void)!ftruncate(l, 0);
				(void)!pwrite(l, pid, (size_t)n, 0);
				*fd = l;
				remove_leftovers(lock_path);
				return MS_OK;
			}
			close(l);
			continue;
		}
		int e = errno;
		if (e != EWOULDBLOCK) {
			close(l);
			return ms_fail(err, MS_EIO, "%s: cannot lock %s: %s", db_path, lock_path,
			               strerror(e));
		}
		if (waited >= LOCK_WAIT_MS) {
			char holder[32] = "";
			ssize_t n = pread(l, holder, sizeof holder - 1, 0);
			holder[n > 0 ? n : 0] = '\0';
			holder[strcspn(holder, "\n")] = '\0';
			close(l);
			return ms_fail(
			    err, MS_EIO,
			    "%s: another import (pid %s) has held %s for %d s; nothing was imported", db_path,
			    holder[0] ? holder : "unknown", lock_path, LOCK_WAIT_MS / 1000);
		}
		close(l);
		nanosleep(&poll, NULL);
	}
}

void store_unlock(const char *lock_path, int fd)
{
	/* Removed while still held, so that no one locks it in between. */
	unlink(lock_path);
	close(fd);
}

static enum ms_status import_locked(const char *db_path, const struct site_set *sites, bool replace,
                                    const struct store_keeper *keeper, size_t *imported,
                                    struct ms_error *err);

enum ms_status store_sl_import(const char *db_path, const struct site_set *sites, bool replace,
                               const struct store_keeper *keeper, size_t *imported, struct ms_error *err)
{
	char lock_path[STORE_LOCK_PATH_MAX];
	int lock = -1;
	enum ms_status rs = store_lock(db_path, lock_path, sizeof lock_path, &lock, err);
	if (rs != MS_OK)
		return rs;
	rs = import_locked(db_path, sites, replace, keeper, imported, err);
	store_unlock(lock_path, lock);
	return rs;
}

/* The blocks an import keeps (store.h), in place of those an earlier one
 * kept. */
static enum ms_status keep_blocks(sqlite3 *db, const char *path, const struct store_keeper *keeper,
                                  struct ms_error *err)
{
	const struct store_block *v = NULL;
	size_t n = 0;
	if (keeper)
		keeper->blocks(keeper->arg, &v, &n);
	if (exec(db,
	         "CREATE TABLE IF NOT EXISTS mapsvc_clusters (key TEXT PRIMARY KEY, block BLOB NOT NULL)") !=
	        SQLITE_OK ||
	    exec(db, "DELETE FROM mapsvc_clusters") != SQLITE_OK)
		return db_fail(err, db, path, "cannot keep the cluster hierarchies");
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO mapsvc_clusters VALUES (?1, ?2)", -1, &q, NULL) !=
	    SQLITE_OK)
		return db_fail(err, db, path, "cannot keep the cluster hierarchies");
	int rc = SQLITE_DONE;
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_bind_text(q, 1, v[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_blob64(q, 2, v[i].data, v[i].len, SQLITE_STATIC);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? MS_OK : db_fail(err, db, path, "cannot keep the cluster hierarchies");
}

/* The import proper, under the lock: see the top of the file. */
static enum ms_status import_locked(const char *db_path, const struct site_set *sites, bool replace,
                                    const struct store_keeper *keeper, size_t *imported, struct ms_error *err)
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
	    exec(db, "PRAGMA cache_size=-262144") != SQLITE_OK ||
	    exec(db, "PRAGMA temp_store=MEMORY") != SQLITE_OK) {
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
	    (rs = insert_sites(db, db_path, sites, replace, err)) != MS_OK ||
	    (rs = keep_blocks(db, db_path, keeper, err)) != MS_OK) {
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

/* ---- reading ------------------------------------------------------------
 *
 * A million sites are most of a second of SQLite's row decoding on one
 * core, and no index can start before the last row is in; so a large
 * table is read in a few ranges of rowid at once, a connection
 * and a thread each, into sets that are then joined (their strings stay
 * where they were read: site_set_append), and the connections skip
 * SQLite's per-call mutex (each is used by one thread).
 *
 * One state of the file for all of them: the first connection begins a
 * read transaction, and holds its shared lock, before the others open;
 * under the rollback journal that mapsvc writes with (store/edit.c, and
 * imports replace the file whole), no writer commits while a reader holds
 * that lock, so every connection reads the same commit.  What the argument
 * does not cover is read by the first connection alone: a database in WAL
 * mode (whose writers commit beside readers), a file renamed over the path
 * meanwhile (an import: a new connection would open the new file), and a
 * range whose connection cannot start (a writer waiting for the lock
 * keeps new readers out) or fails for any reason (the first connection
 * then meets the same rows and gives the error, if there is one, in rowid
 * order as a single scan would). */

/* Ranges: two per core, up to this (a range whose thread got less of a
 * core is then not waited for long). */
#define LOAD_PARTS 4
/* Rows below which one connection reads them all. */
#define LOAD_SPLIT_MIN 50000

struct load_range {
	const char *path, *sql;
	unsigned has;
	long long lo, hi, expect;
	struct stat file; /* the file the first connection reads */
	pthread_t th;
	bool started;
	struct site_set *set; /* NULL until read */
};

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The rows of rowid lo..hi through sql into *out.  With file, the path
 * must still name that file once the read has begun (see above). */
static enum ms_status read_rows(sqlite3 *db, const struct load_range *r, const struct stat *file,
                                struct site_set **out, struct ms_error *err)
{
	*out = NULL;
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(db, r->sql, -1, &q, NULL) != SQLITE_OK)
		return db_fail(err, db, r->path, "cannot read the sites");
	sqlite3_bind_int64(q, 1, r->lo);
	sqlite3_bind_int64(q, 2, r->hi);
	struct site_set *set = site_set_new();
	if (r->expect > 0) /* one allocation for a million sites, not twenty */
		site_set_reserve(set, (size_t)r->expect);
	enum ms_status rs = MS_OK;
	int rc = sqlite3_step(q);
	struct stat now;
	if (file && (stat(r->path, &now) != 0 || !same_file(&now, file)))
		rs = ms_fail(err, MS_EIO, "%s: replaced while being read", r->path);
	for (; rs == MS_OK && rc == SQLITE_ROW; rc = sqlite3_step(q)) {
		struct site_draft s;
		char *owned;
		if ((rs = store_read_row(q, r->has, r->path, &s, &owned, err)) != MS_OK)
			break;
		site_set_add(set, &s);
		free(owned);
	}
	if (rs == MS_OK && rc != SQLITE_DONE)
		rs = db_fail(err, db, r->path, "cannot read the sites");
	sqlite3_finalize(q);
	if (rs != MS_OK) {
		site_set_free(set);
		return rs;
	}
	*out = set;
	return MS_OK;
}

/* One range on a connection of its own; r->set stays NULL on failure. */
static void *read_range(void *arg)
{
	struct load_range *r = arg;
	sqlite3 *db = NULL;
	struct ms_error ignored; /* the first connection meets it again */
	if (sqlite3_open_v2(r->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    exec(db, "BEGIN") == SQLITE_OK)
		read_rows(db, r, &r->file, &r->set, &ignored);
	sqlite3_close(db); /* ends the read transaction */
	return NULL;
}

/* How many ranges to read db's n rows in: one unless it is large, the
 * file has not moved since before db opened it (before, after), and it is
 * not in WAL mode. */
static size_t load_parts(sqlite3 *db, long long n, const struct stat *before, const struct stat *after)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < LOAD_SPLIT_MIN || ncpu < 2 || !same_file(before, after))
		return 1;
	sqlite3_stmt *q;
	bool wal = true;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK) {
		const char *mode =
		    sqlite3_step(q) == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
		wal = !mode || !strcmp(mode, "wal");
		sqlite3_finalize(q);
	}
	if (wal)
		return 1;
	return 2 * ncpu < LOAD_PARTS ? 2 * (size_t)ncpu : LOAD_PARTS;
}

enum ms_status store_sl_load(const char *db_path, struct site_set **out, struct ms_error *err)
{
	*out = NULL;
	struct stat before, after;
	if (stat(db_path, &before) != 0)
		return ms_fail(err, errno == ENOENT ? MS_ENOTFOUND : MS_EIO, "%s: %s", db_path,
		               strerror(errno));
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct site_set *set = NULL;
	struct load_range r[LOAD_PARTS];
	size_t nparts = 0;
	enum ms_status rs = MS_OK;
	/* No spatialite here: reading plain columns needs none of its
	 * functions, and a table scan sorted in memory is several times faster
	 * than walking the id index for a million rows. */
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rs = db_fail(err, db, db_path, "cannot open");
		goto done;
	}
	/* A database of an earlier version has no position columns, or no
	 * opening_hours_text; its sites get theirs as an import would give
	 * them now (store_int.h). */
	int has = store_columns_present(db);
	struct buf select = BUF_INIT;
	buf_puts(&select, "SELECT ");
	store_select_columns(&select, has < 0 ? 0 : (unsigned)has);
	buf_puts(&select, " FROM sites WHERE rowid BETWEEN ?1 AND ?2");
	int prc = has < 0 ? SQLITE_ERROR : sqlite3_prepare_v2(db, buf_str(&select), -1, &q, NULL);
	sqlite3_finalize(q);
	if (prc != SQLITE_OK) {
		rs = ms_fail(err, MS_EDATA, "%s: not a mapsvc database: %s", db_path,
		             has < 0 ? "table sites has only one of the position columns"
		                     : sqlite3_errmsg(db));
		buf_free(&select);
		goto done;
	}
	/* The read transaction, and with its first read the shared lock, that
	 * the other connections read under (see above). */
	/* (count(*) alone is SQLite's fast count; with the others it scans) */
	long long count = -1, lo = 0, hi = 0;
	if (exec(db, "BEGIN") == SQLITE_OK && (count = query_int(db, "SELECT count(*) FROM sites")) > 0) {
		lo = query_int(db, "SELECT min(rowid) FROM sites");
		hi = query_int(db, "SELECT max(rowid) FROM sites");
	}
	if (count < 0 || stat(db_path, &after) != 0) {
		rs = db_fail(err, db, db_path, "cannot read the sites");
		buf_free(&select);
		goto done;
	}
	nparts = load_parts(db, count, &before, &after);
	unsigned long long span = (unsigned long long)(hi - lo) + 1;
	for (size_t k = 0; k < nparts; k++) {
		r[k] = (struct load_range){.path = db_path,
		                           .sql = buf_str(&select),
		                           .has = (unsigned)has,
		                           .lo = lo + (long long)(span * k / nparts),
		                           .hi = lo + (long long)(span * (k + 1) / nparts) - 1,
		                           .expect = count / (long long)nparts + 1,
		                           .file = after};
		if (k > 0)
			r[k].started = pthread_create(&r[k].th, NULL, read_range, &r[k]) == 0;
	}
	r[0].expect = count; /* the others are appended to it */
	/* The first range here, then any another connection could not read. */
	for (size_t k = 0; k < nparts; k++) {
		if (r[k].started)
			pthread_join(r[k].th, NULL);
		if (rs == MS_OK && !r[k].set)
			rs = read_rows(db, &r[k], NULL, &r[k].set, err);
	}
	buf_free(&select);
	if (rs != MS_OK)
		goto done;
	set = r[0].set;
	for (size_t k = 1; k < nparts; k++)
		site_set_append(set, r[k].set);
	nparts = 0; /* all in set now */
	site_set_sort_by_id(set);
	*out = set;
	set = NULL;
done:
	for (size_t k = 0; k < nparts; k++)
		site_set_free(r[k].set);
	sqlite3_close(db); /* ends the read transaction */
	return rs;
}

enum ms_status store_sl_read_block(const char *db_path, const char *key, void **data, size_t *len,
                                   struct ms_error *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	sqlite3_blob *b = NULL;
	enum ms_status rs = MS_OK;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rs = db_fail(err, db, db_path, "cannot open");
		goto done;
	}
	sqlite3_int64 row = 0;
	if (sqlite3_prepare_v2(db, "SELECT rowid FROM mapsvc_clusters WHERE key = ?1", -1, &q, NULL) !=
	    SQLITE_OK) { /* an import that kept none: no table */
		rs = ms_fail(err, MS_ENOTFOUND, "%s: no kept blocks", db_path);
		goto done;
	}
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		row = sqlite3_column_int64(q, 0);
	else if (rc == SQLITE_DONE)
		rs = ms_fail(err, MS_ENOTFOUND, "%s: no block '%s'", db_path, key);
	else
		rs = db_fail(err, db, db_path, "cannot read a kept block");
	/* Read whole, straight into memory of its own: a million sites'
	 * hierarchy is tens of megabytes. */
	if (rs == MS_OK && sqlite3_blob_open(db, "main", "mapsvc_clusters", "block", row, 0, &b) != SQLITE_OK)
		rs = db_fail(err, db, db_path, "cannot read a kept block");
	if (rs == MS_OK) {
		int n = sqlite3_blob_bytes(b);
		*data = xmalloc(n > 0 ? (size_t)n : 1);
		*len = (size_t)n;
		if (n > 0 && sqlite3_blob_read(b, *data, n, 0) != SQLITE_OK) {
			free(*data);
			*data = NULL;
			*len = 0;
			rs = db_fail(err, db, db_path, "cannot read a kept block");
		}
	}
done:
	sqlite3_blob_close(b);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return rs;
}

void store_shutdown(void)
{
	spatialite_shutdown();
}

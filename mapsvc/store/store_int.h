/*
 * store_int.h - what store.c shares with columns.c (private to
 * mapsvc/store/): the position columns and opening_hours_text of table
 * sites, added to databases that lack them, and reading one row of the
 * table into a struct site.
 *
 * Owns nothing beyond what each function says.  Threads: each function
 * works on the connection it is given; one thread per connection, as
 * SQLite's default threading mode requires of prepared statements.
 */
#ifndef MS_STORE_INT_H
#define MS_STORE_INT_H

#include <limits.h>
#include <pthread.h>
#include <sys/types.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "../site/site.h"
#include "../util/buf.h"
#include "../util/ms_error.h"
#include "store_backend.h"

/* The columns of table sites every version of mapsvc wrote: the text
 * fields but opening_hours_text, then lat, lon, extra (the schema probe
 * of an existing table). */
#define STORE_LEGACY_COLUMNS                                                                                 \
	"id, name_zh, name_en, category, county, town, address, description, opening_hours, coord_source, "  \
	"confidence, source_url, lat, lon, extra"

/* What a table sites has beyond STORE_LEGACY_COLUMNS: the position
 * columns (added first) and opening_hours_text (added after them). */
#define STORE_HAS_POSITION 1u
#define STORE_HAS_HOURS_TEXT 2u
#define STORE_HAS_ALL (STORE_HAS_POSITION | STORE_HAS_HOURS_TEXT)

/* The result columns store_read_row reads, in its order: the text fields
 * in site_field_names order, lat, lon, extra, then the two position
 * columns when the table has them.  A table without opening_hours_text
 * gives '' in its place.  Also the column list of an INSERT (have ==
 * STORE_HAS_ALL). */
void store_select_columns(struct buf *b, unsigned have);

/* Which of STORE_HAS_POSITION and STORE_HAS_HOURS_TEXT table sites has
 * (0 also when the query fails, and then so will the caller's next query
 * of the table, with the reason); -1 when it has only one of the two
 * position columns. */
int store_columns_present(sqlite3 *db);

/* Adds the two position columns, with CHECK constraints that hold the
 * rules of site/site.h (a known quality, a radius valid for it), to a
 * table sites that has neither, and fills them for the rows it already
 * holds as store_read_row reads such rows.  Runs inside the caller's
 * transaction; path is for messages. */
enum ms_status store_add_position_columns(sqlite3 *db, const char *path, struct ms_error *err);

/* Adds opening_hours_text to a table sites that has the position columns
 * but not it, and moves every opening_hours that is not in OpenStreetMap's
 * syntax (hours/hours.h) into it: before the column, opening_hours held
 * the source's free text.  Inside the caller's transaction. */
enum ms_status store_add_hours_column(sqlite3 *db, const char *path, struct ms_error *err);

/*
 * Reads the current row of q, a "SELECT " store_select_columns(have)
 * " FROM sites" statement, into *s, checked: a known category, a valid
 * coordinate, a known quality with a valid radius, opening_hours in
 * OpenStreetMap's syntax.  Strings are borrowed from q until its next
 * step, except the extras of a legacy row that held the position columns
 * (below): those are *owned (free it; NULL otherwise).
 *
 * A row of a table without the position columns gets its position as an
 * import would read it now: an earlier version kept the unknown columns
 * position_quality and position_uncertainty_m of its input among the
 * extras, so when they are there they are taken out and used; otherwise,
 * and for every site an input gave neither, the position is derived from
 * `confidence` (ingest_row_validate's rule, the same code).  A row of a
 * table without opening_hours_text had the source's free text in
 * opening_hours: a value that is not in the syntax moves to
 * opening_hours_text, as store_add_hours_column moves it in the file.
 */
enum ms_status store_read_row(sqlite3_stmt *q, unsigned have, const char *path, struct site_draft *s,
                              char **owned, struct ms_error *err);

/*
 * The lock of a database's writers (store.c's top comment): an import
 * holds it for its whole copy-and-rename, an edit (edit.c) for its one
 * transaction, so that neither loses the other's work -- an edit made to
 * the old file while an import copied it would vanish with the rename,
 * and an import copying a file half way through an edit would copy an
 * old state.  flock(2) on DB.lock beside the database; store_lock waits
 * for the holder (at most ten minutes) and writes its path into
 * lock_path (STORE_LOCK_PATH_MAX bytes) and its descriptor into *fd, for
 * store_unlock.
 */
#define STORE_LOCK_SUFFIX ".lock"
#define STORE_LOCK_PATH_MAX (PATH_MAX + sizeof STORE_LOCK_SUFFIX)
/* The SpatiaLite backend's editing connection (a struct store opened
 * STORE_EDIT holds one), shared by edit.c and keys.c. */
struct store_writer {
	pthread_mutex_t mu; /* one call at a time */
	char *path;
	sqlite3 *db; /* NULL until the first begin, and after a failed reopen */
	void *cache; /* SpatiaLite's connection state */
	dev_t dev;   /* the file db has open: an import's rename makes the path name another */
	ino_t ino;
	int lock_fd; /* the import lock while a write is under way, else -1 */
	char lock_path[STORE_LOCK_PATH_MAX];
};
/* Starts a call on w: takes its mutex, and for a write the import lock
 * and an immediate transaction; reopens the connection when the path
 * names another file than the one it has open.  On failure nothing is
 * held. */
enum ms_status store_writer_begin(struct store_writer *w, bool write, struct ms_error *err);
/* Ends it: commits (commit) or rolls back a write, releases what begin
 * took.  A failed commit is rolled back and reported. */
enum ms_status store_writer_end(struct store_writer *w, bool write, bool commit, struct ms_error *err);

/* Opens a writer on an existing database (MS_ENOTFOUND when there is
 * none: an import makes databases) and creates the keys and audit tables
 * when it has none.  NULL is fine for close. */
enum ms_status store_writer_open(const char *db_path, struct store_writer **out, struct ms_error *err);
void store_writer_close(struct store_writer *w);

/* The SpatiaLite backend's editing calls (store_backend.h's slots). */
enum ms_status store_sl_apply(struct store_writer *w, const struct store_change *c, struct store_applied *out,
                              struct ms_error *err);
enum ms_status store_sl_key_put(struct store_writer *w, const char *name, enum store_role role,
                                const unsigned char hash[STORE_KEY_HASH_BYTES], struct ms_error *err);
enum ms_status store_sl_key_revoke(struct store_writer *w, const char *name, struct ms_error *err);
enum ms_status store_sl_key_list(struct store_writer *w, struct store_key_info **out, size_t *n,
                                 struct ms_error *err);
enum ms_status store_sl_key_scan(struct store_writer *w, store_key_scan_fn fn, void *arg,
                                 struct ms_error *err);
enum ms_status store_sl_audit_list(const char *db_path, const char *since, store_audit_fn fn, void *arg,
                                   struct ms_error *err);

enum ms_status store_lock(const char *db_path, char *lock_path, size_t size, int *fd, struct ms_error *err);
void store_unlock(const char *lock_path, int fd);

#endif

/*
 * store.h - where the sites live: a small interface over two backends,
 * the embedded SpatiaLite file (the default) and a PostGIS database (for
 * several replicas on one database), chosen by the --db value.
 *
 * What a backend does: open (store_open), import a site set all or
 * nothing (store_import_set), read every site back in id order, which is
 * also what an export writes (store_load_set), announce changes and say
 * what changed since a version (store_watch_*, store_changes), apply a
 * change written through the service with its audit row and manage the
 * editing keys (store_apply, store_key_*, store_audit_list), close.  Everything above the store - the
 * snapshot, the indexes, tiles, features, routes - sees only site sets.
 *
 * The --db value: "postgresql://..." and "postgres://..." are libpq URIs,
 * "postgres:" followed by a libpq key=value string is one too; anything
 * else is the path of a SpatiaLite file (write ./postgres:x for a file so
 * named).  A connection string may hold a password, so messages name a
 * database only by store_redact's form of it, and a backend's errors never
 * quote the password (store_pg.c scrubs what libpq says).
 *
 * SpatiaLite: the file is a proper SpatiaLite database (spatial metadata
 * initialised, a POINT geometry column `geom` in SRID 4326 registered on
 * table `sites`, an R*Tree spatial index), so the spatialite shell, GDAL
 * and QGIS open it as it is.  An import is all or nothing: on any failure
 * the file is left byte-for-byte as it was (and a file the import created
 * is removed).  It has no change feed: serve reloads it on SIGHUP.
 *
 * PostGIS: docs/postgis.md describes the schema (table sites with a
 * geometry(Point, 4326) column, a GiST index, the same CHECKs; a version
 * row and a change log kept by triggers, which NOTIFY mapsvc_sites).  An
 * import is one transaction loaded with COPY.
 *
 * Threads: a struct store is one connection; use it from one thread at a
 * time.  The path-based functions (store_import, store_load) open and
 * close their own, and are safe from any thread.
 */
#ifndef MS_STORE_H
#define MS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../site/site.h"
#include "../util/ms_error.h"

/* ---- the --db value ---------------------------------------------------- */

enum store_kind { STORE_SPATIALITE, STORE_POSTGIS };

/* Which backend db names (see the top of this file); never fails. */
enum store_kind store_kind_of(const char *db);

/* The longest store_redact writes, with its NUL. */
#define STORE_REDACTED_MAX 256
/* db as messages may show it: a SpatiaLite path as it is (cut to fit); a
 * connection string as "postgresql://USER@HOST:PORT/DBNAME" from what
 * libpq parses of it (the parts it has, percent-encoded), with no
 * password and no other option (a string libpq cannot parse is
 * "postgresql://(unparsable connection string)"). */
void store_redact(const char *db, char out[STORE_REDACTED_MAX]);

/* ---- an open store ----------------------------------------------------- */

struct store;

enum store_mode {
	STORE_READ,  /* load and changes */
	STORE_WRITE, /* also import (a PostGIS import creates the schema) */
	STORE_WATCH, /* STORE_READ, and store_watch_fd announces changes */
	STORE_EDIT,  /* STORE_READ, and the editing calls below (store_apply, keys) */
};

/* Opens db for mode.  MS_ENOTFOUND for a SpatiaLite file that is not there
 * (read modes); MS_EIO when a database cannot be reached (the message has
 * the redacted name and libpq's reason without the password). */
enum ms_status store_open(const char *db, enum store_mode mode, struct store **out, struct ms_error *err);
/* NULL is fine. */
void store_close(struct store *st);
enum store_kind store_kind(const struct store *st);
/* The redacted name (store_redact), for messages; borrowed from st. */
const char *store_label(const struct store *st);

/* Writes sites (validated already: ingest/) into the store: all of them or,
 * on any failure, nothing.  With replace every site already there goes
 * first; otherwise an id already there is an error.  *imported (may be
 * NULL) is the count.  PostGIS: a bad value the database refuses names
 * the site ("NAME:LINE: site 'ID': ..." with name and line the COPY's). */
enum ms_status store_import_set(struct store *st, const struct site_set *sites, bool replace,
                                size_t *imported, struct ms_error *err);

/* Every site, checked as store_int.h says (a known category, a valid
 * position), in a new set sorted by id: what a snapshot is built from and
 * what an export writes.  *version (may be NULL) is the store's change
 * version the set is at (0 for SpatiaLite, which keeps none). */
enum ms_status store_load_set(struct store *st, struct site_set **out, uint64_t *version,
                              struct ms_error *err);

/* ---- changes ----------------------------------------------------------- */

/* What changed since a version: the sites added or changed (their current
 * rows) and the ids removed, or - when the store cannot say, because an
 * import replaced everything or it keeps no log - every site (full). */
struct store_changes {
	uint64_t version;       /* the store's version these changes reach */
	bool full;              /* sites holds every site; nothing is merged */
	struct site_set *sites; /* sorted by id */
	char **gone;            /* ids removed, sorted bytewise (not in sites) */
	size_t ngone;
};
void store_changes_free(struct store_changes *ch);

/* The store's change version now (0 for SpatiaLite). */
enum ms_status store_version(struct store *st, uint64_t *version, struct ms_error *err);
/* What changed after version since, read in one consistent view.  Applied
 * to the sites of any version at or after since (store_changes_merge), it
 * gives the sites of ch->version: each change is a row's state now, not a
 * step, so replaying one already seen changes nothing. */
enum ms_status store_changes(struct store *st, uint64_t since, struct store_changes **out,
                             struct ms_error *err);
/* base[0..n) (sorted by id) with ch applied, as a new set sorted by id
 * (ch must not be full). */
struct site_set *store_changes_merge(const struct site *base, size_t n, const struct store_changes *ch);

/* A store opened with STORE_WATCH: the descriptor to poll for reading
 * (-1 when the backend announces nothing: SpatiaLite).  When it is
 * readable, store_watch_take consumes what arrived: *announced is true
 * when a change was announced since the last call.  MS_EIO when the link
 * is lost (close the store and open another: nothing of it is reusable). */
int store_watch_fd(const struct store *st);
enum ms_status store_watch_take(struct store *st, bool *announced, struct ms_error *err);

/* ---- one call, one connection ------------------------------------------ */

/* store_open(STORE_WRITE) + store_import_set + store_close: writes sites
 * into db (a SpatiaLite file is created if needed). */
enum ms_status store_import(const char *db_path, const struct site_set *sites, bool replace, size_t *imported,
                            struct ms_error *err);

/*
 * Blocks kept with the data: what a server would otherwise compute from
 * the sites at every start (a million sites' cluster hierarchies, a
 * second of CPU each), under a key.  A SpatiaLite import writes them in
 * its transaction, in the table mapsvc_clusters (key, block), after
 * removing those an earlier import kept; PostGIS keeps none.  A block
 * says itself which data it was computed from (cluster_encode's version):
 * an edit leaves the blocks as they were, and their readers check.
 */
struct store_block {
	const char *key;
	const void *data;
	size_t len;
};
/* Where an import gets the blocks it keeps: blocks(arg, &v, &n) is called
 * once the sites are written, in the import's transaction, and may wait
 * for blocks being made meanwhile; v[0, n) must live until the import
 * returns. */
struct store_keeper {
	void (*blocks)(void *arg, const struct store_block **v, size_t *n);
	void *arg;
};
/* store_import that also keeps the keeper's blocks (keeper may be NULL:
 * none, and those an earlier import kept are removed all the same). */
enum ms_status store_import_keeping(const char *db_path, const struct site_set *sites, bool replace,
                                    const struct store_keeper *keeper, size_t *imported,
                                    struct ms_error *err);
/* The block kept under key into *data (malloc'd, 8-byte aligned, *len
 * bytes), read on a connection of its own; MS_ENOTFOUND when there is
 * none (no such table or key, or a database other than SpatiaLite). */
enum ms_status store_read_block(const char *db_path, const char *key, void **data, size_t *len,
                                struct ms_error *err);

/* store_open(STORE_READ) + store_load_set + store_close. */
enum ms_status store_load(const char *db_path, struct site_set **out, struct ms_error *err);

/* Releases SpatiaLite's process-wide state, once, when a process that
 * imported is done with the store (a leak checker sees it otherwise). */
void store_shutdown(void);

/*
 * The sites (n of them, in that order) as a GeoPackage file (OGC 12-128,
 * version 1.2), built in memory: one features table "sites" with a column
 * per column of the data model (site_columns; lat and lon only in the
 * geometry), a missing text as NULL, the extra properties as one JSON
 * text column "extra", and a POINT geometry "geom" in EPSG:4326,
 * registered and indexed (the R-tree extension); gpkg_contents holds the
 * sites' bounds.  GDAL and QGIS open it as it is.  *data (free it with
 * store_gpkg_free) is the whole file, *len bytes.  Measured: 150 KB for
 * the 25 bundled sites (mostly the GeoPackage's own tables), 21 MB and
 * 6 s for 100,000 short rows, most of the time the R-tree's inserts.
 */
enum ms_status store_export_gpkg(const struct site *sites, size_t n, unsigned char **data, size_t *len,
                                 struct ms_error *err);
void store_gpkg_free(unsigned char *data);

/* ---- editing: one change at a time (edit.c, keys.c) --------------------
 *
 * A store opened with STORE_EDIT is the one connection through which a
 * running server changes the database (serve --edit) and the keys
 * commands manage keys; both backends implement the same calls.  Each
 * change is one transaction that reads the row, checks it, writes it and
 * its audit row, so the change and its record commit together or not at
 * all.  SpatiaLite: made under the import lock (store_int.h) so that an
 * edit and an import never lose each other's work, durable when
 * store_apply returns (rollback journal, synchronous FULL: see edit.c
 * for why not WAL).  PostGIS: the row is locked (SELECT ... FOR UPDATE)
 * so concurrent writers through other replicas queue behind it, and the
 * change log's triggers announce the commit to every replica.  Opening
 * with STORE_EDIT needs a database an import made (MS_ENOTFOUND for a
 * SpatiaLite file that is not there, MS_EDATA for a PostgreSQL database
 * without the schema) and creates the tables `keys` and `audit` when it
 * has none.  Unlike the other calls, the editing calls (store_apply and
 * store_key_*) may be made from any thread: the seam serialises them.
 */
enum store_op { STORE_CREATE, STORE_REPLACE, STORE_DELETE };
enum store_outcome {
	STORE_DONE,    /* changed and audited */
	STORE_MISSING, /* REPLACE, DELETE: no site has the id */
	STORE_EXISTS,  /* CREATE: a site has the new site's id already */
	STORE_STALE,   /* the site is no longer what the caller saw (If-Match) */
};

/* Makes the site after a change from the site before it (NULL for a
 * create): adds it to into and points *after at it.  Runs inside the
 * change's transaction, so before is the database's own row.  Its
 * failure is the change's (st, err as it says), with nothing written. */
typedef enum ms_status (*store_change_fn)(void *arg, const struct site *before, struct site_set *into,
                                          const struct site **after, struct ms_error *err);

struct store_change {
	enum store_op op;
	const char *id;     /* REPLACE, DELETE: the site changed */
	bool check_version; /* REPLACE, DELETE: refuse unless site_hash(before) is version */
	uint64_t version;
	store_change_fn make; /* CREATE, REPLACE */
	void *arg;
	const char *who; /* the key's name, for the audit */
};

/* What a change did.  sites owns before and after (store_applied_free). */
struct store_applied {
	enum store_outcome outcome;
	struct site_set *sites;
	const struct site *before, *after; /* NULL when there is none */
	long long audit_seq;               /* the audit row, STORE_DONE only */
	uint64_t version; /* STORE_DONE: the store's change version the commit made (0: SpatiaLite) */
};

/* Applies one change: reads the row, checks it against the change, lets
 * make compute the new site, writes it (the spatial index through
 * SpatiaLite's triggers) and the audit row, commits.  A failure of make
 * is returned as it is; MS_EIO for the database. */
enum ms_status store_apply(struct store *st, const struct store_change *c, struct store_applied *out,
                           struct ms_error *err);
void store_applied_free(struct store_applied *a);

/* Keys: who may edit.  A key is a name, a role and a random 256-bit
 * token shown once when it is made; the table keeps only the token's
 * SHA-256. */
enum store_role { STORE_ROLE_READ, STORE_ROLE_EDIT };
#define STORE_KEY_NAME_MAX 64
/* "mk_" and 64 hexadecimal digits, and the NUL. */
#define STORE_TOKEN_PREFIX "mk_"
#define STORE_TOKEN_TEXT (3 + 64 + 1)
/* "read", "edit"; the role named s, or -1. */
const char *store_role_name(enum store_role r);
int store_role_parse(const char *s);

/* Makes a key called name (1 to STORE_KEY_NAME_MAX of A-Z a-z 0-9 . _ -;
 * MS_EUSAGE otherwise; MS_EDATA when a key of that name is in use) and
 * writes its token into token, from getrandom(2). */
enum ms_status store_key_add(struct store *st, const char *name, enum store_role role,
                             char token[STORE_TOKEN_TEXT], struct ms_error *err);
/* Revokes the key called name (MS_ENOTFOUND when no key in use has it). */
enum ms_status store_key_revoke(struct store *st, const char *name, struct ms_error *err);

struct store_key_info {
	char name[STORE_KEY_NAME_MAX + 1];
	enum store_role role;
	char created[32], revoked[32]; /* UTC, ISO 8601; revoked "" while in use */
};
/* Every key, by name: *out (free it) holds *n. */
enum ms_status store_key_list(struct store *st, struct store_key_info **out, size_t *n, struct ms_error *err);
/* Who the token is: *found, and then its name and role.  Compares the
 * token's hash with every key's in constant time (so how long it takes
 * says nothing of how much of a hash matched); revoked keys never match. */
enum ms_status store_key_check(struct store *st, const char *token, bool *found,
                               char name[STORE_KEY_NAME_MAX + 1], enum store_role *role,
                               struct ms_error *err);

/* The audit: one row per change, oldest first. */
struct store_audit_entry {
	long long seq;
	const char *time;   /* UTC, ISO 8601 with milliseconds */
	const char *who;    /* the key's name */
	const char *op;     /* "create", "replace", "delete" */
	const char *id;     /* the site's */
	const char *before; /* the site as a GeoJSON Feature, or NULL */
	const char *after;
};
/* Calls fn for every change at or after since (an ISO 8601 UTC date or
 * time, compared as text; NULL: all), oldest first; strings borrowed for
 * the call.  Opened for reading (db as store_open takes it); a database
 * without the table has none. */
enum ms_status store_audit_list(const char *db, const char *since,
                                void (*fn)(void *arg, const struct store_audit_entry *e), void *arg,
                                struct ms_error *err);

#endif

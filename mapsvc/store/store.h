/*
 * store.h - the SpatiaLite database: schema, the import transaction, and
 * reading all sites back.
 *
 * The file is a proper SpatiaLite database (spatial metadata initialised,
 * a POINT geometry column `geom` in SRID 4326 registered on table `sites`,
 * an R*Tree spatial index), so the spatialite shell, GDAL and QGIS open it
 * as it is.  An import is all or nothing: on any failure the file is left
 * byte-for-byte as it was (and a file the import created is removed).
 * Functions open and close their own connections; safe to call from any
 * thread, though SQLite serialises writers.
 */
#ifndef MS_STORE_H
#define MS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../site/site.h"
#include "../util/ms_error.h"

/* Writes sites into db_path (creating it if needed).  With replace, all
 * existing sites are removed first; otherwise an id already in the
 * database is an error.  On success *imported (if not NULL) is the count. */
enum ms_status store_import(const char *db_path, const struct site_set *sites, bool replace, size_t *imported,
                            struct ms_error *err);

/* Reads every site (opened read-only).  *out is a new set sorted by id. */
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
 * A writer is the one connection through which a running server changes
 * the database (serve --edit) and the keys commands manage keys.  Each
 * change is one SQLite transaction, made under the import lock
 * (store_int.h) so that an edit and an import never lose each other's
 * work, durable when store_apply returns (rollback journal, synchronous
 * FULL: see edit.c for why not WAL), and recorded in the audit table in
 * the same transaction.  Opening a writer creates the tables `keys` and
 * `audit` when the database has none.  A writer may be used from any
 * thread; its calls are serialised by its own mutex.
 */
struct store_writer;

/* Opens a writer on an existing database (MS_ENOTFOUND when there is
 * none: an import makes databases). */
enum ms_status store_writer_open(const char *db_path, struct store_writer **out, struct ms_error *err);
/* NULL is fine. */
void store_writer_close(struct store_writer *w);

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
};

/* Applies one change: reads the row, checks it against the change, lets
 * make compute the new site, writes it (the spatial index through
 * SpatiaLite's triggers) and the audit row, commits.  A failure of make
 * is returned as it is; MS_EIO for the database. */
enum ms_status store_apply(struct store_writer *w, const struct store_change *c, struct store_applied *out,
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
enum ms_status store_key_add(struct store_writer *w, const char *name, enum store_role role,
                             char token[STORE_TOKEN_TEXT], struct ms_error *err);
/* Revokes the key called name (MS_ENOTFOUND when no key in use has it). */
enum ms_status store_key_revoke(struct store_writer *w, const char *name, struct ms_error *err);

struct store_key_info {
	char name[STORE_KEY_NAME_MAX + 1];
	enum store_role role;
	char created[32], revoked[32]; /* UTC, ISO 8601; revoked "" while in use */
};
/* Every key, by name: *out (free it) holds *n. */
enum ms_status store_key_list(struct store_writer *w, struct store_key_info **out, size_t *n,
                              struct ms_error *err);
/* Who the token is: *found, and then its name and role.  Compares the
 * token's hash with every key's in constant time (so how long it takes
 * says nothing of how much of a hash matched); revoked keys never match. */
enum ms_status store_key_check(struct store_writer *w, const char *token, bool *found,
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
 * the call.  Opened read-only; a database without the table has none. */
enum ms_status store_audit_list(const char *db_path, const char *since,
                                void (*fn)(void *arg, const struct store_audit_entry *e), void *arg,
                                struct ms_error *err);

#endif

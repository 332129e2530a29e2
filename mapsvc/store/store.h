/*
 * store.h - where the sites live: a small interface over two backends,
 * the embedded SpatiaLite file (the default) and a PostGIS database (for
 * several replicas on one database), chosen by the --db value.
 *
 * What a backend does: open (store_open), import a site set all or
 * nothing (store_import_set), read every site back in id order, which is
 * also what an export writes (store_load_set), announce changes and say
 * what changed since a version (store_watch_*, store_changes), apply a
 * change written through the service (store_apply: a slot the editing
 * work fills for SpatiaLite), close.  Everything above the store - the
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
	STORE_WRITE, /* also import and apply (a PostGIS import creates the schema) */
	STORE_WATCH, /* STORE_READ, and store_watch_fd announces changes */
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

/* ---- apply a change ---------------------------------------------------- */

/* One write of the editing API: a site put (inserted, or replacing the row
 * of its id) or an id removed. */
enum store_change_op { STORE_PUT, STORE_REMOVE };
struct store_change {
	enum store_change_op op;
	const struct site *site; /* STORE_PUT: the whole new row (WGS-84) */
	const char *id;          /* STORE_REMOVE */
};
/* Applies changes[0..n) in one transaction, each site checked as an import
 * checks a row (ingest_row_validate) first: all of them or none.
 * MS_ENOTFOUND when a removed id is not there; MS_EUSAGE from a backend
 * whose slot is still empty (SpatiaLite: the editing work fills it). */
enum ms_status store_apply(struct store *st, const struct store_change *changes, size_t n,
                           struct ms_error *err);

/* ---- one call, one connection ------------------------------------------ */

/* store_open(STORE_WRITE) + store_import_set + store_close: writes sites
 * into db (a SpatiaLite file is created if needed). */
enum ms_status store_import(const char *db_path, const struct site_set *sites, bool replace, size_t *imported,
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

#endif

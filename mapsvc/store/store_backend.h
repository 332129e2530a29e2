/*
 * store_backend.h - the store's seam (private to mapsvc/store/): what a
 * backend implements, and the struct store every backend's state hangs
 * off.  store.c's SpatiaLite code and store_pg.c's PostGIS code are the
 * two backends; seam.c chooses one by the --db value and forwards the
 * public calls of store.h.
 *
 * A slot left NULL means "this backend does not do that": the seam turns
 * it into MS_EUSAGE (apply) or a documented fallback (version 0, changes
 * as a full load, no watch descriptor).  Threads: as store.h says, one
 * thread at a time per struct store.
 */
#ifndef MS_STORE_BACKEND_H
#define MS_STORE_BACKEND_H

#include "store.h"

struct store;

struct store_ops {
	const char *name; /* "spatialite", "postgis": for messages */
	/* Connects st (st->target, st->mode); st->impl is the backend's. */
	enum ms_status (*open)(struct store *st, struct ms_error *err);
	void (*close)(struct store *st);
	enum ms_status (*import)(struct store *st, const struct site_set *sites, bool replace,
	                         size_t *imported, struct ms_error *err);
	enum ms_status (*load)(struct store *st, struct site_set **out, uint64_t *version,
	                       struct ms_error *err);
	enum ms_status (*version)(struct store *st, uint64_t *version, struct ms_error *err);
	enum ms_status (*changes)(struct store *st, uint64_t since, struct store_changes **out,
	                          struct ms_error *err);
	int (*watch_fd)(const struct store *st);
	enum ms_status (*watch_take)(struct store *st, bool *announced, struct ms_error *err);
	/* The editing API's writes, one transaction (store.h's store_apply). */
	enum ms_status (*apply)(struct store *st, const struct store_change *changes, size_t n,
	                        struct ms_error *err);
};

struct store {
	const struct store_ops *ops;
	enum store_mode mode;
	char *target; /* the path, or the libpq connection string (owned; never in messages) */
	char label[STORE_REDACTED_MAX];
	void *impl;
};

extern const struct store_ops store_spatialite_ops;
extern const struct store_ops store_postgis_ops;

/* The SpatiaLite backend's two operations, on a path (store.c). */
enum ms_status store_sl_import(const char *db_path, const struct site_set *sites, bool replace,
                               size_t *imported, struct ms_error *err);
enum ms_status store_sl_load(const char *db_path, struct site_set **out, struct ms_error *err);

#endif

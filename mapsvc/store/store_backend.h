/*
 * store_backend.h - the store's seam (private to mapsvc/store/): what a
 * backend implements, and the struct store every backend's state hangs
 * off.  store.c's SpatiaLite code and store_pg.c's PostGIS code are the
 * two backends; seam.c chooses one by the --db value and forwards the
 * public calls of store.h.
 *
 * A slot left NULL means "this backend does not do that": the seam turns
 * it into a documented fallback (version 0, changes as a full load, no
 * watch descriptor).  Both backends fill every editing slot.  Threads: as
 * store.h says, one thread at a time per struct store, except the editing
 * calls, which the seam serialises on edit_mu.
 */
#ifndef MS_STORE_BACKEND_H
#define MS_STORE_BACKEND_H

#include <pthread.h>

#include "store.h"

struct store;

/* A key's SHA-256 (keys.c). */
#define STORE_KEY_HASH_BYTES 32

/* One key in use, as key_scan reports it (strings borrowed for the call). */
typedef void (*store_key_scan_fn)(void *arg, const char *name, const char *role, const void *hash,
                                  size_t hash_len);
typedef void (*store_audit_fn)(void *arg, const struct store_audit_entry *e);

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
	/* The editing calls of store.h on a store opened STORE_EDIT: one change
	 * in one transaction with its audit row (store_change_run does the
	 * steps), and the keys table.  key_put stores a key under a new name or
	 * the name of a revoked key (MS_EDATA when a key in use has it);
	 * key_scan calls fn for every key in use, each one, so that a check
	 * compares them all. */
	enum ms_status (*apply)(struct store *st, const struct store_change *c, struct store_applied *out,
	                        struct ms_error *err);
	enum ms_status (*key_put)(struct store *st, const char *name, enum store_role role,
	                          const unsigned char hash[STORE_KEY_HASH_BYTES], struct ms_error *err);
	enum ms_status (*key_revoke)(struct store *st, const char *name, struct ms_error *err);
	enum ms_status (*key_list)(struct store *st, struct store_key_info **out, size_t *n,
	                           struct ms_error *err);
	enum ms_status (*key_scan)(struct store *st, store_key_scan_fn fn, void *arg, struct ms_error *err);
	/* The audit (store_audit_list), on a store opened for reading. */
	enum ms_status (*audit_list)(struct store *st, const char *since, store_audit_fn fn, void *arg,
	                             struct ms_error *err);
};

struct store {
	const struct store_ops *ops;
	enum store_mode mode;
	char *target; /* the path, or the libpq connection string (owned; never in messages) */
	char label[STORE_REDACTED_MAX];
	void *impl;
	pthread_mutex_t edit_mu;           /* serialises the editing calls (store.h) */
	const struct store_keeper *keeper; /* what the next import keeps (store_import_keeping) */
};

extern const struct store_ops store_spatialite_ops;
extern const struct store_ops store_postgis_ops;

/* The SpatiaLite backend's two operations, on a path (store.c). */
enum ms_status store_sl_import(const char *db_path, const struct site_set *sites, bool replace,
                               const struct store_keeper *keeper, size_t *imported, struct ms_error *err);
enum ms_status store_sl_read_block(const char *db_path, const char *key, void **data, size_t *len,
                                   struct ms_error *err);
enum ms_status store_sl_load(const char *db_path, struct site_set **out, struct ms_error *err);

/* A key table's role text as a role (an unknown one reads as the weaker,
 * read); keys.c. */
enum store_role store_role_or_read(const char *s);

/* The steps of one change a backend provides, inside its transaction,
 * for store_change_run: read the row of id into into (*s NULL when there
 * is none; lock it where the database can), write the change's row
 * (after inserted or updated, or id deleted), write the audit row. */
struct store_change_io {
	void *ctx;
	enum ms_status (*read)(void *ctx, const char *id, struct site_set *into, const struct site **s,
	                       struct ms_error *err);
	enum ms_status (*write)(void *ctx, enum store_op op, const char *id, const struct site *after,
	                        struct ms_error *err);
	enum ms_status (*audit)(void *ctx, const char *who, const char *op, const char *id,
	                        const char *before, const char *after, long long *seq, struct ms_error *err);
};
/* One change, the same in every backend (edit.c): reads the row, checks
 * it against c (missing, stale, in the way), lets c->make compute the new
 * site, writes it and the audit row (the sites as GeoJSON Features).  The
 * outcome into a (a->sites made by the caller); a failure leaves the
 * caller to roll back. */
enum ms_status store_change_run(const struct store_change_io *io, const struct store_change *c,
                                struct store_applied *a, struct ms_error *err);

#endif

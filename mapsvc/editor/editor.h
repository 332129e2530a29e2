/*
 * editor.h - living data: who may change the sites, and how a change made
 * through the server (OGC API - Features Part 4) reaches the database and
 * then every reader.
 *
 * An editor owns the store opened for editing (store.h: one transaction
 * per change, audited, through either backend) and the failed-attempt
 * counters of key checks; it borrows the map service whose generations
 * it advances.  A write is committed first and made live second: once
 * the database has it, the change is queued, and the first writer that
 * finds no rebuild under way builds one new generation from the current
 * one plus every queued change (mapservice_update_sites) while later
 * writers wait for it, so a burst of writes shares one rebuild instead of
 * paying one each.
 *
 * With PostGIS the change log announces every commit to every replica,
 * this one included, and serve's follower (cli/follow.h) installs what
 * changed.  So the editor installs nothing itself: a write waits until
 * the service is at the store version its commit made
 * (mapservice_wait_store_version).  Were it to install its change too,
 * the change would go live twice, and a burst built from its own queue
 * could put back a site another replica had changed since.  Should the
 * follower not get there in time (its link is down), the write makes
 * its change live with a reload from the database.  A write
 * returns once its change is live: a client that reads after its write
 * sees it, and any reader sees the generation before it or after it,
 * never a mix.  The queue keeps commit order (a later change of one site
 * wins).  A reload (editor_reload) waits for the queue to empty and holds
 * writes off while it reads the database, so it never installs a state
 * older than a write it did not wait for.
 *
 * Threads: every function may be called from any thread, except
 * editor_free (when no request uses it).  Nothing of HTTP is here; the
 * client address is only a key to count failures by.
 */
#ifndef MS_EDITOR_H
#define MS_EDITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ingest/ingest.h"
#include "../mapservice/mapservice.h"
#include "../netaddr/netaddr.h"
#include "../store/store.h"
#include "../util/ms_error.h"

/* Failed key checks a client address (its netaddr_client_key) may make
 * in a window before it must wait: a person mistyping a pasted key needs
 * a few, a guesser needs 2^256. */
#define EDITOR_FAIL_LIMIT 10
#define EDITOR_FAIL_WINDOW_S 60

struct editor_config {
	const char *db_path;     /* the database the map service loads from */
	struct mapservice *maps; /* borrowed; loaded before the editor is used */
};

struct editor;

/* Opens the database for editing (store_open with STORE_EDIT). */
enum ms_status editor_new(const struct editor_config *cfg, struct editor **out, struct ms_error *err);
void editor_free(struct editor *ed);

enum editor_verdict {
	EDITOR_AUTH_OK,       /* a key of role edit */
	EDITOR_AUTH_MISSING,  /* no credentials, or not a bearer token (401) */
	EDITOR_AUTH_BAD,      /* a token that is no key in use (401, counted) */
	EDITOR_AUTH_READONLY, /* a key that may only read (403) */
	EDITOR_AUTH_LIMITED,  /* too many failures from this client (429) */
};
/* Who sends authorization (an Authorization header's value, or NULL),
 * from client: the verdict into *v, the key's name into who, and for
 * EDITOR_AUTH_LIMITED the seconds until the client may try again into
 * *retry_after_s.  Only "Bearer TOKEN" is taken (RFC 6750 §2.1).  The
 * token is never copied anywhere, logged or put in err. */
enum ms_status editor_authenticate(struct editor *ed, const struct netaddr *client, const char *authorization,
                                   enum editor_verdict *v, char who[STORE_KEY_NAME_MAX + 1],
                                   unsigned *retry_after_s, struct ms_error *err);

/* One write of the Part 4 routes. */
struct editor_write {
	enum store_op op;           /* a merge patch is a STORE_REPLACE */
	enum ingest_body_kind kind; /* the body's, for CREATE and REPLACE */
	const char *id;             /* REPLACE, DELETE: the URL's */
	const char *body;
	size_t len;
	bool check_version; /* If-Match: refuse unless the site's site_hash is version */
	uint64_t version;
	const char *who; /* the key's name */
};
/* Applies w (store_apply, with ingest_feature_body making the new site)
 * and, when it was done, waits until it is live.  out as store_apply's
 * (store_applied_free it).  A body the ingest refuses returns its
 * MS_EUSAGE or MS_EDATA with nothing changed. */
enum ms_status editor_write(struct editor *ed, const struct editor_write *w, struct store_applied *out,
                            struct ms_error *err);

/* Reloads the map service from the database (mapservice_load) once every
 * change is live, with writes held off meanwhile. */
enum ms_status editor_reload(struct editor *ed, struct ms_error *err);

/* What the editor has done, for /metrics. */
struct editor_stats {
	unsigned long long writes;     /* changes committed */
	unsigned long long rebuilds;   /* generations built for them */
	unsigned long long auth_fails; /* unknown tokens */
	unsigned long long limited;    /* checks refused by the failure limit */
};
void editor_stats(struct editor *ed, struct editor_stats *st);

#endif

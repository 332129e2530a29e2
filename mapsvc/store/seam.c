/*
 * seam.c - the store's seam: the --db value chooses a backend, the public
 * calls of store.h go through its table (store_backend.h), and the two
 * things every backend shares live here: the redacted name of a database
 * and the merge of a change set into the sites of an older version.
 *
 * Why the redaction rebuilds the name instead of cutting the password
 * out: a connection string has two syntaxes (URI and key=value), quoting,
 * percent-encoding and a password that may also sit in a query parameter;
 * cutting by hand would have to get each right.  libpq's own parser
 * (PQconninfoParse) reads both, and a name built from the four fields
 * that say which database it is (user, host, port, dbname), each
 * percent-encoded, cannot carry a password whatever the input looked like.
 */
#include "store_backend.h"

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/buf.h"
#include "../util/mem.h"
#include "store_int.h"

/* The --db prefixes of a PostGIS database (store.h). */
#define URI_PREFIX "postgresql://"
#define URI_PREFIX_SHORT "postgres://"
#define KEYWORD_PREFIX "postgres:"

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool is_uri(const char *db)
{
	return has_prefix(db, URI_PREFIX) || has_prefix(db, URI_PREFIX_SHORT);
}

enum store_kind store_kind_of(const char *db)
{
	return is_uri(db) || has_prefix(db, KEYWORD_PREFIX) ? STORE_POSTGIS : STORE_SPATIALITE;
}

/* What libpq is given for db: a URI as it is, a "postgres:" string
 * without its prefix. */
static const char *conninfo_of(const char *db)
{
	return is_uri(db) ? db : db + strlen(KEYWORD_PREFIX);
}

/* The value of keyword in libpq's parse of a connection string, or NULL. */
static const char *option(const PQconninfoOption *opts, const char *keyword)
{
	for (const PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, keyword))
			return o->val && o->val[0] ? o->val : NULL;
	return NULL;
}

/* s percent-encoded but for RFC 3986's unreserved characters (and a
 * host list's commas), so that no ':' or '@' in a value reads back as
 * another part of the URI - a password above all. */
static void put_encoded(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~,", *p))
			buf_putc(b, (char)*p);
		else
			buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 0xf]);
	}
}

/* An IPv6 literal, written in brackets (RFC 3986 3.2.2). */
static bool is_ipv6(const char *host)
{
	return strchr(host, ':') && strspn(host, "0123456789abcdefABCDEF:.") == strlen(host);
}

void store_redact(const char *db, char out[STORE_REDACTED_MAX])
{
	if (store_kind_of(db) == STORE_SPATIALITE) {
		snprintf(out, STORE_REDACTED_MAX, "%s", db);
		return;
	}
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo_of(db), &perr);
	PQfreemem(perr); /* it may quote the input, password and all */
	if (!opts) {
		snprintf(out, STORE_REDACTED_MAX, URI_PREFIX "(unparsable connection string)");
		return;
	}
	const char *user = option(opts, "user"), *host = option(opts, "host"), *port = option(opts, "port");
	const char *dbname = option(opts, "dbname");
	if (!host)
		host = option(opts, "hostaddr");
	struct buf b = BUF_INIT;
	buf_puts(&b, URI_PREFIX);
	if (user) {
		put_encoded(&b, user);
		buf_putc(&b, '@');
	}
	if (host && is_ipv6(host))
		buf_printf(&b, "[%s]", host);
	else if (host)
		put_encoded(&b, host);
	if (port) {
		buf_putc(&b, ':');
		put_encoded(&b, port);
	}
	buf_putc(&b, '/');
	if (dbname)
		put_encoded(&b, dbname);
	snprintf(out, STORE_REDACTED_MAX, "%s", buf_str(&b));
	buf_free(&b);
	PQconninfoFree(opts);
}

/* ---- SpatiaLite: today's functions on a path, behind the table -------- */

static enum ms_status sl_open(struct store *st, struct ms_error *err)
{
	struct stat sb;
	/* A read needs the file; a write creates it (store_sl_import). */
	if (st->mode != STORE_WRITE && stat(st->target, &sb) != 0)
		return ms_fail(err, errno == ENOENT ? MS_ENOTFOUND : MS_EIO, "%s: %s", st->label,
		               strerror(errno));
	/* The editing calls go through one writer (edit.c); the others open
	 * and close their own connections. */
	if (st->mode == STORE_EDIT) {
		struct store_writer *w;
		enum ms_status rs = store_writer_open(st->target, &w, err);
		if (rs != MS_OK)
			return rs;
		st->impl = w;
	}
	return MS_OK;
}

static void sl_close(struct store *st)
{
	store_writer_close(st->impl);
	st->impl = NULL;
}

static enum ms_status sl_import(struct store *st, const struct site_set *sites, bool replace,
                                size_t *imported, struct ms_error *err)
{
	return store_sl_import(st->target, sites, replace, st->keeper, imported, err);
}

static enum ms_status sl_load(struct store *st, struct site_set **out, uint64_t *version,
                              struct ms_error *err)
{
	if (version)
		*version = 0;
	return store_sl_load(st->target, out, err);
}

static enum ms_status sl_apply(struct store *st, const struct store_change *c, struct store_applied *out,
                               struct ms_error *err)
{
	return store_sl_apply(st->impl, c, out, err);
}

static enum ms_status sl_key_put(struct store *st, const char *name, enum store_role role,
                                 const unsigned char hash[STORE_KEY_HASH_BYTES], struct ms_error *err)
{
	return store_sl_key_put(st->impl, name, role, hash, err);
}

static enum ms_status sl_key_revoke(struct store *st, const char *name, struct ms_error *err)
{
	return store_sl_key_revoke(st->impl, name, err);
}

static enum ms_status sl_key_list(struct store *st, struct store_key_info **out, size_t *n,
                                  struct ms_error *err)
{
	return store_sl_key_list(st->impl, out, n, err);
}

static enum ms_status sl_key_scan(struct store *st, store_key_scan_fn fn, void *arg, struct ms_error *err)
{
	return store_sl_key_scan(st->impl, fn, arg, err);
}

static enum ms_status sl_audit_list(struct store *st, const char *since, store_audit_fn fn, void *arg,
                                    struct ms_error *err)
{
	return store_sl_audit_list(st->target, since, fn, arg, err);
}

/* No change log: every "what changed" is the whole file again. */
const struct store_ops store_spatialite_ops = {
    .name = "spatialite",
    .open = sl_open,
    .close = sl_close,
    .import = sl_import,
    .load = sl_load,
    .apply = sl_apply,
    .key_put = sl_key_put,
    .key_revoke = sl_key_revoke,
    .key_list = sl_key_list,
    .key_scan = sl_key_scan,
    .audit_list = sl_audit_list,
};

/* ---- the public calls ------------------------------------------------- */

enum ms_status store_open(const char *db, enum store_mode mode, struct store **out, struct ms_error *err)
{
	*out = NULL;
	struct store *st = xcalloc(1, sizeof *st);
	enum store_kind kind = store_kind_of(db);
	st->ops = kind == STORE_POSTGIS ? &store_postgis_ops : &store_spatialite_ops;
	st->mode = mode;
	pthread_mutex_init(&st->edit_mu, NULL);
	st->target = xstrdup(kind == STORE_POSTGIS ? conninfo_of(db) : db);
	store_redact(db, st->label);
	enum ms_status rs = st->ops->open(st, err);
	if (rs != MS_OK) {
		st->ops->close(st); /* what the open made before it failed */
		pthread_mutex_destroy(&st->edit_mu);
		free(st->target);
		free(st);
		return rs;
	}
	*out = st;
	return MS_OK;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	st->ops->close(st);
	pthread_mutex_destroy(&st->edit_mu);
	free(st->target);
	free(st);
}

enum store_kind store_kind(const struct store *st)
{
	return st->ops == &store_postgis_ops ? STORE_POSTGIS : STORE_SPATIALITE;
}

const char *store_label(const struct store *st)
{
	return st->label;
}

enum ms_status store_import_set(struct store *st, const struct site_set *sites, bool replace,
                                size_t *imported, struct ms_error *err)
{
	if (st->mode != STORE_WRITE)
		return ms_fail(err, MS_EUSAGE, "%s: opened for reading, not for an import", st->label);
	return st->ops->import(st, sites, replace, imported, err);
}

enum ms_status store_load_set(struct store *st, struct site_set **out, uint64_t *version,
                              struct ms_error *err)
{
	*out = NULL;
	return st->ops->load(st, out, version, err);
}

enum ms_status store_version(struct store *st, uint64_t *version, struct ms_error *err)
{
	if (!st->ops->version) {
		*version = 0;
		return MS_OK;
	}
	return st->ops->version(st, version, err);
}

enum ms_status store_changes(struct store *st, uint64_t since, struct store_changes **out,
                             struct ms_error *err)
{
	*out = NULL;
	if (st->ops->changes)
		return st->ops->changes(st, since, out, err);
	/* A backend without a log answers with everything. */
	struct store_changes *ch = xcalloc(1, sizeof *ch);
	ch->full = true;
	enum ms_status rs = st->ops->load(st, &ch->sites, &ch->version, err);
	if (rs != MS_OK) {
		store_changes_free(ch);
		return rs;
	}
	*out = ch;
	return MS_OK;
}

void store_changes_free(struct store_changes *ch)
{
	if (!ch)
		return;
	site_set_free(ch->sites);
	for (size_t i = 0; i < ch->ngone; i++)
		free(ch->gone[i]);
	free(ch->gone);
	free(ch);
}

int store_watch_fd(const struct store *st)
{
	return st->mode == STORE_WATCH && st->ops->watch_fd ? st->ops->watch_fd(st) : -1;
}

enum ms_status store_watch_take(struct store *st, bool *announced, struct ms_error *err)
{
	*announced = false;
	if (store_watch_fd(st) < 0)
		return ms_fail(err, MS_EUSAGE, "%s: not watched (a %s store opened without STORE_WATCH)",
		               st->label, st->ops->name);
	return st->ops->watch_take(st, announced, err);
}

enum ms_status store_apply(struct store *st, const struct store_change *c, struct store_applied *out,
                           struct ms_error *err)
{
	memset(out, 0, sizeof *out);
	if (st->mode != STORE_EDIT)
		return ms_fail(err, MS_EUSAGE, "%s: not opened for editing", st->label);
	out->sites = site_set_new();
	pthread_mutex_lock(&st->edit_mu);
	enum ms_status rs = st->ops->apply(st, c, out, err);
	pthread_mutex_unlock(&st->edit_mu);
	return rs;
}

enum ms_status store_audit_list(const char *db, const char *since,
                                void (*fn)(void *arg, const struct store_audit_entry *e), void *arg,
                                struct ms_error *err)
{
	struct store *st;
	enum ms_status rs = store_open(db, STORE_READ, &st, err);
	if (rs != MS_OK)
		return rs;
	rs = st->ops->audit_list(st, since, fn, arg, err);
	store_close(st);
	return rs;
}

/* ---- the merge --------------------------------------------------------- */

/* True when id is in sorted gone[0..n). */
static bool is_gone(char *const *gone, size_t n, const char *id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(gone[mid], id);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * One pass over both sorted lists, as a merge join: a base site whose id
 * the changes hold is replaced by the change, one they remove is left out,
 * a changed id the base lacks is added.  Linear in the sites, so a change
 * of one row costs a copy of the base (its strings into the new set's
 * arena), which is small next to the indexes a snapshot then builds.
 */
struct site_set *store_changes_merge(const struct site *base, size_t n, const struct store_changes *ch)
{
	struct site_set *out = site_set_new();
	const struct site *put = ch->sites ? ch->sites->v : NULL;
	size_t nput = ch->sites ? ch->sites->n : 0, i = 0, j = 0;
	site_set_reserve(out, n + nput);
	while (i < n || j < nput) {
		int c = i == n      ? 1
		        : j == nput ? -1
		                    : strcmp(site_field(&base[i], SITE_ID), site_field(&put[j], SITE_ID));
		if (c < 0) {
			if (!is_gone(ch->gone, ch->ngone, site_field(&base[i], SITE_ID)))
				site_set_copy(out, &base[i]);
			i++;
		} else {
			site_set_copy(out, &put[j]);
			j++;
			i += c == 0;
		}
	}
	return out;
}

/* ---- one call, one connection ------------------------------------------ */

enum ms_status store_import(const char *db_path, const struct site_set *sites, bool replace, size_t *imported,
                            struct ms_error *err)
{
	return store_import_keeping(db_path, sites, replace, NULL, imported, err);
}

enum ms_status store_import_keeping(const char *db_path, const struct site_set *sites, bool replace,
                                    const struct store_keeper *keeper, size_t *imported, struct ms_error *err)
{
	struct store *st;
	enum ms_status rs = store_open(db_path, STORE_WRITE, &st, err);
	if (rs != MS_OK)
		return rs;
	st->keeper = keeper;
	rs = store_import_set(st, sites, replace, imported, err);
	store_close(st);
	return rs;
}

enum ms_status store_read_block(const char *db_path, const char *key, void **data, size_t *len,
                                struct ms_error *err)
{
	*data = NULL;
	*len = 0;
	if (store_kind_of(db_path) != STORE_SPATIALITE)
		return ms_fail(err, MS_ENOTFOUND, "PostGIS keeps no blocks");
	return store_sl_read_block(db_path, key, data, len, err);
}

enum ms_status store_load(const char *db_path, struct site_set **out, struct ms_error *err)
{
	*out = NULL;
	struct store *st;
	enum ms_status rs = store_open(db_path, STORE_READ, &st, err);
	if (rs != MS_OK)
		return rs;
	rs = store_load_set(st, out, NULL, err);
	store_close(st);
	return rs;
}

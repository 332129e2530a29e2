/*
 * keys.c - the editing keys: made, listed, revoked, checked; see store.h.
 *
 * A token is 256 random bits from getrandom(2), written as "mk_" and 64
 * hexadecimal digits (the prefix lets a secret scanner or a person tell
 * what it is).  The table keeps its SHA-256 (OpenSSL's libcrypto), never
 * the token: a copy of the database gives no one a working key, and a
 * token that random needs no salt or slow hash, since no dictionary holds
 * it.  A check hashes the presented token and compares it with every
 * key's hash with CRYPTO_memcmp, in constant time, so that how long the
 * answer takes says nothing of how close a guess came.  Revoking keeps
 * the row (its name stays in the audit) with the time it was revoked; a
 * revoked name may be given to a new key.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../util/mem.h"
#include "store.h"
#include "store_backend.h"
#include "store_int.h"

#define TOKEN_BYTES 32
#define HASH_BYTES STORE_KEY_HASH_BYTES
#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

static const char *const role_names[] = {"read", "edit"};

const char *store_role_name(enum store_role r)
{
	return (unsigned)r < sizeof role_names / sizeof *role_names ? role_names[r] : NULL;
}

int store_role_parse(const char *s)
{
	for (size_t i = 0; i < sizeof role_names / sizeof *role_names; i++)
		if (!strcmp(s, role_names[i]))
			return (int)i;
	return -1;
}

static enum ms_status db_fail(struct ms_error *err, struct store_writer *w, const char *what)
{
	return ms_fail(err, MS_EIO, "%s: %s: %s", w->path, what, sqlite3_errmsg(w->db));
}

static bool name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > STORE_KEY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool sha256(const void *data, size_t len, unsigned char out[HASH_BYTES])
{
	unsigned int n = 0;
	return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == HASH_BYTES;
}

/* A new token's text into token, from the kernel's random source. */
static enum ms_status new_token(char token[STORE_TOKEN_TEXT], struct ms_error *err)
{
	unsigned char raw[TOKEN_BYTES];
	/* getrandom of at most 256 bytes from the urandom source returns them
	 * all once the pool is initialised, and blocks until it is */
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return ms_fail(err, MS_EIO, "cannot read random bytes for a token");
	static const char hex[] = "0123456789abcdef";
	size_t p = strlen(STORE_TOKEN_PREFIX);
	memcpy(token, STORE_TOKEN_PREFIX, p);
	for (size_t i = 0; i < sizeof raw; i++) {
		token[p++] = hex[raw[i] >> 4];
		token[p++] = hex[raw[i] & 0xf];
	}
	token[p] = '\0';
	OPENSSL_cleanse(raw, sizeof raw);
	return MS_OK;
}

/* Fails unless st was opened for the editing calls. */
static enum ms_status need_edit(const struct store *st, struct ms_error *err)
{
	if (st->mode != STORE_EDIT)
		return ms_fail(err, MS_EUSAGE, "%s: not opened for editing", st->label);
	return MS_OK;
}

enum store_role store_role_or_read(const char *s)
{
	int r = s ? store_role_parse(s) : -1;
	return r < 0 ? STORE_ROLE_READ : (enum store_role)r;
}

enum ms_status store_key_add(struct store *st, const char *name, enum store_role role,
                             char token[STORE_TOKEN_TEXT], struct ms_error *err)
{
	enum ms_status rs = need_edit(st, err);
	if (rs != MS_OK)
		return rs;
	if (!name_valid(name))
		return ms_fail(err, MS_EUSAGE, "key name '%.80s': 1 to %d of A-Z a-z 0-9 . _ -", name,
		               STORE_KEY_NAME_MAX);
	if (!store_role_name(role))
		return ms_fail(err, MS_EUSAGE, "unknown role");
	unsigned char hash[HASH_BYTES];
	if ((rs = new_token(token, err)) != MS_OK)
		return rs;
	if (!sha256(token, strlen(token), hash))
		return ms_fail(err, MS_EINTERNAL, "cannot hash a token (libcrypto)");
	pthread_mutex_lock(&st->edit_mu);
	rs = st->ops->key_put(st, name, role, hash, err);
	pthread_mutex_unlock(&st->edit_mu);
	if (rs != MS_OK)
		OPENSSL_cleanse(token, STORE_TOKEN_TEXT);
	return rs;
}

enum ms_status store_key_revoke(struct store *st, const char *name, struct ms_error *err)
{
	enum ms_status rs = need_edit(st, err);
	if (rs != MS_OK)
		return rs;
	pthread_mutex_lock(&st->edit_mu);
	rs = st->ops->key_revoke(st, name, err);
	pthread_mutex_unlock(&st->edit_mu);
	return rs;
}

enum ms_status store_key_list(struct store *st, struct store_key_info **out, size_t *n, struct ms_error *err)
{
	*out = NULL;
	*n = 0;
	enum ms_status rs = need_edit(st, err);
	if (rs != MS_OK)
		return rs;
	pthread_mutex_lock(&st->edit_mu);
	rs = st->ops->key_list(st, out, n, err);
	pthread_mutex_unlock(&st->edit_mu);
	return rs;
}

/* A check in progress: the presented token's hash, and who it is. */
struct key_check {
	unsigned char hash[HASH_BYTES];
	bool found;
	char *name;
	enum store_role role;
};

static void check_one(void *arg, const char *name, const char *role, const void *hash, size_t len)
{
	struct key_check *k = arg;
	if (len != HASH_BYTES)
		return;
	/* every key compared, the match or not: no early exit */
	if (CRYPTO_memcmp(hash, k->hash, HASH_BYTES) == 0 && !k->found) {
		k->found = true;
		snprintf(k->name, STORE_KEY_NAME_MAX + 1, "%s", name);
		k->role = store_role_or_read(role);
	}
}

enum ms_status store_key_check(struct store *st, const char *token, bool *found,
                               char name[STORE_KEY_NAME_MAX + 1], enum store_role *role, struct ms_error *err)
{
	*found = false;
	enum ms_status rs = need_edit(st, err);
	if (rs != MS_OK)
		return rs;
	struct key_check k = {.name = name};
	if (!sha256(token, strlen(token), k.hash))
		return ms_fail(err, MS_EINTERNAL, "cannot hash a token (libcrypto)");
	pthread_mutex_lock(&st->edit_mu);
	rs = st->ops->key_scan(st, check_one, &k, err);
	pthread_mutex_unlock(&st->edit_mu);
	if (rs == MS_OK && k.found) {
		*found = true;
		*role = k.role;
	}
	return rs;
}

/* ---- SpatiaLite's table ------------------------------------------------------ */

enum ms_status store_sl_key_put(struct store_writer *w, const char *name, enum store_role role,
                                const unsigned char hash[HASH_BYTES], struct ms_error *err)
{
	enum ms_status rs = store_writer_begin(w, true, err);
	if (rs != MS_OK)
		return rs;
	sqlite3_stmt *q = NULL;
	/* a revoked key's name may be reused; one in use may not */
	if (sqlite3_prepare_v2(w->db,
	                       "INSERT INTO keys (name, role, hash, created) VALUES (?1, ?2, ?3, " NOW_SQL ")"
	                       " ON CONFLICT (name) DO UPDATE SET role = ?2, hash = ?3, created = " NOW_SQL
	                       ", revoked = NULL WHERE revoked IS NOT NULL",
	                       -1, &q, NULL) != SQLITE_OK) {
		rs = db_fail(err, w, "cannot prepare the key");
		goto done;
	}
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, store_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, hash, HASH_BYTES, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rs = db_fail(err, w, "cannot store the key");
	else if (sqlite3_changes(w->db) != 1)
		rs = ms_fail(err, MS_EDATA, "%s: a key called '%s' is in use (revoke it first)", w->path,
		             name);
done:
	sqlite3_finalize(q);
	enum ms_status es = store_writer_end(w, true, rs == MS_OK, rs == MS_OK ? err : &(struct ms_error){0});
	return rs == MS_OK ? es : rs;
}

enum ms_status store_sl_key_revoke(struct store_writer *w, const char *name, struct ms_error *err)
{
	enum ms_status rs = store_writer_begin(w, true, err);
	if (rs != MS_OK)
		return rs;
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(w->db,
	                       "UPDATE keys SET revoked = " NOW_SQL " WHERE name = ?1 AND revoked IS NULL",
	                       -1, &q, NULL) != SQLITE_OK) {
		rs = db_fail(err, w, "cannot prepare the revocation");
		goto done;
	}
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rs = db_fail(err, w, "cannot revoke the key");
	else if (sqlite3_changes(w->db) != 1)
		rs = ms_fail(err, MS_ENOTFOUND, "%s: no key in use is called '%.80s'", w->path, name);
done:
	sqlite3_finalize(q);
	enum ms_status es = store_writer_end(w, true, rs == MS_OK, rs == MS_OK ? err : &(struct ms_error){0});
	return rs == MS_OK ? es : rs;
}

static void copy_text(char *out, size_t size, const unsigned char *s)
{
	snprintf(out, size, "%s", s ? (const char *)s : "");
}

enum ms_status store_sl_key_list(struct store_writer *w, struct store_key_info **out, size_t *n,
                                 struct ms_error *err)
{
	enum ms_status rs = store_writer_begin(w, false, err);
	if (rs != MS_OK)
		return rs;
	sqlite3_stmt *q = NULL;
	size_t cap = 0;
	if (sqlite3_prepare_v2(w->db, "SELECT name, role, created, revoked FROM keys ORDER BY name", -1, &q,
	                       NULL) != SQLITE_OK) {
		rs = db_fail(err, w, "cannot read the keys");
		goto done;
	}
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct store_key_info *k = &(*out)[(*n)++];
		copy_text(k->name, sizeof k->name, sqlite3_column_text(q, 0));
		k->role = store_role_or_read((const char *)sqlite3_column_text(q, 1));
		copy_text(k->created, sizeof k->created, sqlite3_column_text(q, 2));
		copy_text(k->revoked, sizeof k->revoked, sqlite3_column_text(q, 3));
	}
	if (rc != SQLITE_DONE)
		rs = db_fail(err, w, "cannot read the keys");
done:
	sqlite3_finalize(q);
	store_writer_end(w, false, false, err);
	return rs;
}

enum ms_status store_sl_key_scan(struct store_writer *w, store_key_scan_fn fn, void *arg,
                                 struct ms_error *err)
{
	enum ms_status rs = store_writer_begin(w, false, err);
	if (rs != MS_OK)
		return rs;
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(w->db, "SELECT name, role, hash FROM keys WHERE revoked IS NULL", -1, &q,
	                       NULL) != SQLITE_OK) {
		rs = db_fail(err, w, "cannot read the keys");
		goto done;
	}
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const void *h = sqlite3_column_blob(q, 2);
		if (h)
			fn(arg, (const char *)sqlite3_column_text(q, 0),
			   (const char *)sqlite3_column_text(q, 1), h, (size_t)sqlite3_column_bytes(q, 2));
	}
	if (rc != SQLITE_DONE)
		rs = db_fail(err, w, "cannot read the keys");
done:
	sqlite3_finalize(q);
	store_writer_end(w, false, false, err);
	return rs;
}

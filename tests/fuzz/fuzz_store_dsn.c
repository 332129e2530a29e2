/*
 * fuzz_store_dsn.c - the --db value: store_kind_of and store_redact on
 * any bytes (up to the first NUL).
 *
 * Contracts checked, beyond "no crash, no leak":
 *   - the redacted name is NUL-terminated within STORE_REDACTED_MAX;
 *   - a PostGIS value's name starts "postgresql://";
 *   - the name of a PostGIS value, read back by libpq, holds no password,
 *     and does not depend on the password libpq reads from the value: the
 *     value with that password's text replaced by other letters has the
 *     same name (when the password is long enough not to be any other part
 *     by chance, the value does not write the same text a second time, as
 *     another part, and libpq reads the replaced text as the new password,
 *     so that it was not part of an escape).  Not "the name does not contain it": an escaped
 *     byte next to a host's letters can spell a password by chance
 *     ("%AA" then "IIII" holds "AIIII").
 */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "store/store.h"
#include "util/mem.h"

#define H "fuzz_store_dsn"
/* Shorter passwords may equal a user or host name by chance. */
#define PASSWORD_MIN 6

/* The password libpq reads from conninfo (owned), or NULL. */
static char *password_of(const char *conninfo)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	PQfreemem(perr);
	char *pw = NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && o->val[0])
			pw = xstrdup(o->val);
	PQconninfoFree(opts);
	return pw;
}

/* The connection string libpq reads from a PostGIS --db value. */
static const char *conninfo_of(const char *db)
{
	return strncmp(db, "postgres:", strlen("postgres:")) || !strncmp(db, "postgres://", 11)
	           ? db
	           : db + strlen("postgres:");
}

/* When the text of pw stands once in db, and replacing it by other
 * letters gives a value whose password libpq reads as those letters (the
 * text was the password's own, not part of an escape or of another
 * part), the two values' names must be equal. */
static void check_password_hidden(const char *db, const char *out, const char *pw)
{
	const char *first = strstr(db, pw);
	if (strlen(pw) < PASSWORD_MIN || !first || strstr(first + 1, pw))
		return;
	size_t at = (size_t)(first - db), n = strlen(pw);
	char *other = xstrdup(db), *want = xstrdup(pw);
	for (size_t i = 0; i < n; i++)
		other[at + i] = want[i] = db[at + i] == 'x' ? 'y' : 'x';
	char *read = password_of(conninfo_of(other));
	if (read && !strcmp(read, want)) {
		char other_out[STORE_REDACTED_MAX + 1];
		store_redact(other, other_out);
		if (strcmp(out, other_out) != 0)
			fuzz_fail(H, "the name '%s' shows the password (another gives '%s')", out, other_out);
	}
	free(read);
	free(want);
	free(other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *db = xstrndup((const char *)data, size);
	char out[STORE_REDACTED_MAX + 1];
	out[STORE_REDACTED_MAX] = 'x';
	store_redact(db, out);
	if (out[STORE_REDACTED_MAX] != 'x' || strlen(out) >= STORE_REDACTED_MAX)
		fuzz_fail(H, "the name overran STORE_REDACTED_MAX");
	if (store_kind_of(db) == STORE_POSTGIS) {
		if (strncmp(out, "postgresql://", strlen("postgresql://")) != 0)
			fuzz_fail(H, "'%s' is not a postgresql:// name", out);
		char *back = password_of(out);
		if (back)
			fuzz_fail(H, "the name '%s' holds a password", out);
		char *pw = password_of(conninfo_of(db));
		if (pw)
			check_password_hidden(db, out, pw);
		free(pw);
	}
	free(db);
	return 0;
}

/*
 * ms_error.h - the one shape of a failure in mapsvc.
 *
 * Functions that can fail return an enum ms_status and fill a caller-owned
 * struct ms_error with a message that says what went wrong and where
 * ("sites.csv:17: latitude 91.2 out of range").  The engine never prints and
 * never exits: only cli/ prints, and only http/ turns an error into a
 * problem+json answer (http_status_of).  An err argument is never NULL: a
 * caller that does not want the message still gives one to fill, so no
 * failure is lost on the way up; ms_fail asserts it.  Thread-safe: no
 * shared state.
 */
#ifndef MS_ERROR_H
#define MS_ERROR_H

#include <stddef.h>

enum ms_status {
	MS_OK = 0,
	MS_EUSAGE,    /* the caller asked for something malformed */
	MS_EDATA,     /* input data is bad (file:line in the message) */
	MS_ENOTFOUND, /* a named thing does not exist */
	MS_EIO,       /* the file system or the database failed */
	MS_EINTERNAL, /* a bug or an impossible state */
};

struct ms_error {
	enum ms_status status;
	char msg[1024];
};

/* Records the failure st (not MS_OK) in *err (never NULL) and returns st,
 * so that a caller can write `return ms_fail(err, MS_EDATA, "%s:%zu: ...", ...)`. */
enum ms_status ms_fail(struct ms_error *err, enum ms_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with a context, e.g. a file name. */
void ms_error_prefix(struct ms_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ms_error_clear(struct ms_error *err);

/* A short English word for a status ("bad data", "not found", ...). */
const char *ms_status_str(enum ms_status st);

#endif

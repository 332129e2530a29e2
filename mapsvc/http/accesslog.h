/*
 * accesslog.h - the access log: one line per answered request, in the
 * combined log format or as JSON lines, written to a file (or standard
 * output) by a thread of its own.
 *
 * A line says when, who (the client address the trusted-proxy rules
 * decide: server.c), what (method, request target, protocol), the status,
 * the body bytes sent, how long the answer took and, for tiles, whether
 * the tile cache had it.  It never holds a header but Referer and
 * User-Agent - never Authorization - and a query parameter whose name
 * looks like a credential (key, token, secret, password, auth, signature,
 * session: http_log_secret_key) has its value replaced by REDACTED, in
 * the target and in the Referer alike.
 *
 * Combined format (Apache's and nginx's "combined", two fields added at
 * the end, which log tools read as extra fields):
 *   CLIENT - - [10/Oct/2024:13:55:36 +0000] "GET /tiles/1/0/0.png HTTP/1.1" 200 1234 "REFERER" "UA" 0.000412
 * hit bytes "-" when none, referer and user agent "-" when absent, the duration in seconds, the cache "hit",
 * "miss" or "-".  Every byte outside printable ASCII, and '"' and '\', is written as \xHH, as nginx does, so
 * a request cannot forge a line.  JSON lines: one object a line,
 * {"time", "client", "method", "target", "protocol", "status", "bytes",
 * "duration_s", "cache", "referer", "user_agent", "route"}, time in
 * RFC 3339 UTC with milliseconds, strings valid UTF-8 (an ill-formed
 * byte becomes U+FFFD), absent values null.
 *
 * Writing never blocks a request thread on the disk: a line is copied
 * into a bounded buffer (a mutex held for a memcpy) and a writer thread
 * writes the buffer out.  When the buffer is full - the disk is slower
 * than the requests for longer than the buffer lasts - the line is
 * dropped and counted (http_log_stats, exposed as
 * mapsvc_access_log_lines_total{result="dropped"}), rather than making
 * requests wait.
 *
 * Reopening (logrotate without copytruncate: rename the file, then send
 * SIGUSR1): http_log_reopen asks the writer to open the path again; lines
 * buffered before go to the old file, later ones to the new.  Standard
 * output ("-") is never reopened.
 *
 * Threads: http_log_write, http_log_reopen and http_log_stats from any
 * thread; http_log_close once, when no other thread writes.  The
 * formatting functions are pure.
 */
#ifndef MS_HTTP_ACCESSLOG_H
#define MS_HTTP_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../util/buf.h"
#include "../util/ms_error.h"

enum http_log_format { HTTP_LOG_COMBINED, HTTP_LOG_JSON };

/* The bytes a log buffers at most by default: at about 200 bytes a line,
 * some 20,000 answers, a few seconds of a busy server's.  Each of its two
 * buffers takes memory only as far as lines have filled it. */
#define HTTP_LOG_BUFFER_BYTES (4 * 1024 * 1024)
/* What replaces a secret query value. */
#define HTTP_LOG_REDACTED "REDACTED"

/* One answered request.  Strings are borrowed; NULL where absent. */
struct http_log_entry {
	struct timespec when; /* CLOCK_REALTIME, when the answer went out */
	const char *client;   /* the client's address, as text */
	const char *method;
	const char *target; /* the request target as sent: path and query */
	const char *protocol;
	int status;
	unsigned long long bytes; /* body bytes sent */
	double seconds;           /* from the request line to the answer */
	const char *cache;        /* "hit", "miss" or NULL */
	const char *referer, *user_agent;
	const char *route; /* the route's metrics name, or NULL (JSON only) */
};

/* Parses "combined" or "json"; false for anything else. */
bool http_log_format_parse(const char *s, enum http_log_format *out);
/* Appends e as one line, '\n' included, to out. */
void http_log_format(enum http_log_format f, const struct http_log_entry *e, struct buf *out);
/* Whether a query parameter's name (n bytes, as sent: percent-encoded)
 * looks like a credential. */
bool http_log_secret_key(const char *key, size_t n);
/* Appends target with every secret query value replaced by
 * HTTP_LOG_REDACTED (raw: not yet escaped for a format). */
void http_log_redact(const char *target, struct buf *out);

struct http_log;

/* Opens path for appending ("-": standard output) and starts the writer;
 * buffer_bytes bounds what waits for it (0: HTTP_LOG_BUFFER_BYTES).
 * MS_EIO with the path and reason when it cannot be opened. */
enum ms_status http_log_open(const char *path, enum http_log_format f, size_t buffer_bytes,
                             struct http_log **out, struct ms_error *err);
/* Formats e and queues it for the writer, or drops it when the buffer is
 * full.  Never waits for I/O. */
void http_log_write(struct http_log *l, const struct http_log_entry *e);
/* The writer opens the path again (after a rename by logrotate). */
void http_log_reopen(struct http_log *l);

struct http_log_stats {
	uint64_t lines;        /* queued for writing */
	uint64_t dropped;      /* not logged: the buffer was full */
	uint64_t write_errors; /* writes that failed (their lines are lost) */
	uint64_t reopens;      /* successful reopens */
	uint64_t reopen_errors;
};
void http_log_get_stats(struct http_log *l, struct http_log_stats *st);
/* Writes what is buffered, stops the writer, closes the file.  NULL is
 * fine. */
void http_log_close(struct http_log *l);

#endif

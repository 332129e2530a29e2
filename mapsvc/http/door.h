/*
 * door.h - the server's own accept loop, in front of libmicrohttpd
 * (internal to http/).
 *
 * libmicrohttpd 0.9.75 accepts a connection and then waits for its
 * request under an inactivity timeout only, and answers a request line
 * it cannot take (HTTP/2.0, HTTP/9.9, a line longer than its memory pool)
 * with its own HTML page before any hook runs.  So the door accepts
 * instead, and only hands a connection over (MHD_add_connection, the
 * daemon runs with MHD_USE_NO_LISTEN_SOCKET) once its first request head
 * is complete:
 *   - every connection is admitted or refused by the admit table (per
 *     client, global limit, eviction near it); a refused one is closed at
 *     once;
 *   - the first request head is read with MSG_PEEK, so the bytes stay in
 *     the socket for libmicrohttpd; the head must be complete within the
 *     head timeout (admit_sweep shuts the socket down otherwise), however
 *     slowly it trickles in, and while it trickles it costs one slot of a
 *     table, not a libmicrohttpd connection;
 *   - a request line with an HTTP version other than 1.x, without a
 *     version, or longer than a request target may be, a head larger than
 *     the header limits, and a Content-Length that is no 64-bit number,
 *     are answered here with problem+json (400, 505, 414, 431, 413) and
 *     the connection closed.
 * Later requests on a kept-alive connection are libmicrohttpd's to read;
 * their head deadlines are kept by the same table (server.c reports the
 * states) and the door's thread sweeps it, for every connection, every
 * DOOR_TICK_MS.
 *
 * One thread.  The door owns a connection's descriptor from accept until
 * MHD_add_connection, libmicrohttpd from then on; each owner calls
 * admit_close before closing it (see admit.h).
 */
#ifndef MS_HTTP_DOOR_H
#define MS_HTTP_DOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "../admit/admit.h"
#include "../util/ms_error.h"

/* How often the door's thread sweeps the table for overdue heads. */
#define DOOR_TICK_MS 100

struct door_config {
	int listen_fd;                     /* bound and listening; the door closes it */
	size_t capacity;                   /* descriptors 0..capacity-1 (the admit table's) */
	struct MHD_Daemon *daemon;         /* started with MHD_USE_NO_LISTEN_SOCKET */
	struct admit *admit;               /* borrowed */
	const struct netaddr_set *trusted; /* proxies exempt from the per-client limit, or NULL */
	size_t max_line;                   /* a longer first request line is a 414 */
	size_t max_head;                   /* a larger first request head is a 431 */
	size_t max_fields;                 /* and so is one with more header lines */
};

struct door_stats {
	uint64_t handed;         /* connections given to libmicrohttpd */
	uint64_t scans;          /* first heads peeked and scanned: work, counted */
	uint64_t refused;        /* closed at accept (limits; see admit_stats) */
	uint64_t bad_line;       /* 400: no HTTP version, or not a request line */
	uint64_t bad_version;    /* 505 */
	uint64_t line_too_long;  /* 414 */
	uint64_t head_too_large; /* 431 */
	uint64_t accept_errors;  /* accept(2) failed (EMFILE and the like) */
};

struct http_door;

/* Starts the door's thread.  NULL with err filled on failure. */
struct http_door *http_door_start(const struct door_config *cfg, struct ms_error *err);
/* Stops accepting: the listening socket is closed, new connections are
 * refused by the kernel.  Connections already accepted go on. */
void http_door_close(struct http_door *d);
/* From now on every sweep also closes connections that have waited at
 * least grace_ms for a request head (admit_drain). */
void http_door_drain(struct http_door *d, uint64_t grace_ms);
/* Stops the thread, closes what the door still holds, frees it. */
void http_door_free(struct http_door *d);
void http_door_get_stats(struct http_door *d, struct door_stats *out);

/* What the door makes of the n bytes peeked from a new connection. */
enum door_scan {
	DOOR_MORE, /* no complete head yet; it may still come */
	DOOR_OK,   /* a complete head with an HTTP/1.x request line: hand it over */
	DOOR_BAD,  /* answer *status with detail, and close */
};
/* Scans buf for a complete first request head: empty lines, then a
 * request line of a method token, a target and HTTP/1.x, at most max_line
 * bytes, then at most max_fields header lines up to an empty one, at most
 * max_head bytes in all.  On DOOR_BAD, *status is 400, 413, 414, 431 or 505 and
 * detail (dsize bytes) says why.  Pure; exposed for the fuzzer. */
enum door_scan http_door_scan(const char *buf, size_t n, size_t max_line, size_t max_head, size_t max_fields,
                              int *status, char *detail, size_t dsize);

/* Milliseconds of CLOCK_MONOTONIC: the one clock of the admit table. */
uint64_t http_now_ms(void);

#endif

/*
 * admit.h - admission control for a server's connections: who may hold
 * one, how long a connection may take to send a request head, and which
 * connections to close first when they run short.
 *
 * What it guards against (issue 11): a client that opens hundreds of
 * sockets and sends nothing, or one byte every few seconds, holds them as
 * long as it likes when the only timeout is one of inactivity.  Here:
 *   - a connection must deliver each complete request head within the head
 *     timeout, counted from its accept (the first request) or from the end
 *     of its previous answer (the next ones), however slowly the bytes come;
 *   - one client (netaddr_client_key) holds at most max_per_client
 *     connections, unless the caller exempts it (a trusted proxy, which
 *     carries many clients);
 *   - at most max_conns connections are open; past seven eighths of that,
 *     each new connection closes one that is doing nothing: the one idle
 *     longest between requests first (keep-alive), else the one that has
 *     waited longest for its first request head, if it has waited at least
 *     ADMIT_EVICT_MIN_AGE_MS.  A connection whose request is being served
 *     is never chosen.
 *
 * The server reports what happens to each connection, identified by its
 * descriptor, with a timestamp in milliseconds of a monotonic clock; the
 * table never reads a clock and never touches a socket.  It chooses whom
 * to close and calls the caller's close function with the table locked:
 * the owner of a descriptor calls admit_close before it closes it, and
 * that waits for the lock, so a descriptor is never shut down after it was
 * closed and reused.  admit_open on a descriptor the table still holds
 * (its owner closed it without a word) replaces the stale entry.
 *
 * Thread-safe: one mutex.  Every call is O(1) except admit_sweep and
 * admit_drain, which are O(connections they close): each state's
 * connections are kept in a list in the order their wait began.
 *
 * admit_quota counts something else per client - requests held in a
 * bounded pool - with the same key; it has its own lock.
 */
#ifndef MS_ADMIT_H
#define MS_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../netaddr/netaddr.h"

/* A connection waiting for its first request head is evicted only after
 * waiting this long: a real client sends its head within milliseconds of
 * connecting, so the oldest waiters are the slow ones. */
#define ADMIT_EVICT_MIN_AGE_MS 1000

struct admit_limits {
	unsigned max_conns;       /* open connections at most (>= 1) */
	unsigned max_per_client;  /* per client key, exempt clients aside; 0: no limit */
	unsigned head_timeout_ms; /* for each complete request head (>= 1) */
};

enum admit_state {
	ADMIT_FREE = 0,
	ADMIT_PENDING, /* accepted, its first request head not yet complete */
	ADMIT_HANDOFF, /* being handed over with its head: never closed by the table */
	ADMIT_WAITING, /* handed over, the head not yet read by the new owner */
	ADMIT_BUSY,    /* a request is being served: never closed by the table */
	ADMIT_IDLE,    /* answered, waiting for the next request head */
	ADMIT_CLOSING, /* chosen by the table; its owner will close it */
};

enum admit_verdict {
	ADMIT_OK = 0,
	ADMIT_REFUSED_CLIENT, /* the client holds max_per_client connections */
	ADMIT_REFUSED_FULL,   /* max_conns are open and none could be closed */
};

enum admit_reason {
	ADMIT_WHY_HEAD_TIMEOUT, /* no complete request head in time */
	ADMIT_WHY_EVICTED,      /* closed to make room (near max_conns) */
	ADMIT_WHY_DRAINING,     /* the server is stopping */
};

/* Called with the table locked: shut fd down (never close it: its owner
 * does, after admit_close). */
typedef void (*admit_close_fn)(int fd, enum admit_reason why, void *arg);

struct admit;

/* A table for descriptors 0..capacity-1 (the process's descriptor limit). */
struct admit *admit_new(const struct admit_limits *lim, size_t capacity);
void admit_free(struct admit *a);

/* A connection was accepted from client (its address; the table keys it
 * with netaddr_client_key).  exempt: not counted against max_per_client.
 * Near the limit this first evicts one connection through close_fn.  On
 * ADMIT_OK fd is PENDING; otherwise the table holds nothing for it. */
enum admit_verdict admit_open(struct admit *a, int fd, const struct netaddr *client, bool exempt,
                              uint64_t now_ms, admit_close_fn close_fn, void *arg);
/* fd moves to state st (not FREE or CLOSING) at now_ms: PENDING and
 * WAITING keep the time their wait began, IDLE starts a new wait.  A
 * descriptor the table does not hold, or one it is closing, is ignored. */
void admit_set(struct admit *a, int fd, enum admit_state st, uint64_t now_ms);
/* fd is being closed by its owner: the table forgets it. */
void admit_close(struct admit *a, int fd);
/* The state of fd (ADMIT_FREE when not held). */
enum admit_state admit_state_of(struct admit *a, int fd);

/* Closes, through close_fn, every connection whose request head is
 * overdue.  Returns how many. */
size_t admit_sweep(struct admit *a, uint64_t now_ms, admit_close_fn close_fn, void *arg);
/* For a stop: closes every connection that has waited at least grace_ms
 * for a request head (idle keep-alive connections above all).  Returns
 * how many; the caller repeats it until nothing is open. */
size_t admit_drain(struct admit *a, uint64_t now_ms, uint64_t grace_ms, admit_close_fn close_fn, void *arg);
/* Milliseconds until the next head deadline (UINT64_MAX when none), so
 * that a caller can sleep until then. */
uint64_t admit_next_deadline(struct admit *a, uint64_t now_ms);

struct admit_stats {
	size_t open; /* held, CLOSING included */
	size_t by_state[ADMIT_CLOSING + 1];
	uint64_t accepted;       /* admit_open == ADMIT_OK */
	uint64_t refused_client; /* ADMIT_REFUSED_CLIENT */
	uint64_t refused_full;   /* ADMIT_REFUSED_FULL */
	uint64_t head_timeouts;  /* closed by admit_sweep */
	uint64_t evicted;        /* closed by admit_open to make room */
	uint64_t drained;        /* closed by admit_drain */
};
void admit_get_stats(struct admit *a, struct admit_stats *out);

/* --- per-client quotas ---------------------------------------------- */

struct admit_quota;

/* Counts up to max_holders things held at once, at most per_client of
 * them by one client key (0: no per-client limit). */
struct admit_quota *admit_quota_new(unsigned max_holders, unsigned per_client);
void admit_quota_free(struct admit_quota *q);
/* Takes one for client: ADMIT_OK, or ADMIT_REFUSED_CLIENT when the
 * client holds per_client already, ADMIT_REFUSED_FULL when max_holders
 * are held. */
enum admit_verdict admit_quota_take(struct admit_quota *q, const struct netaddr *client);
/* Gives back one taken for client. */
void admit_quota_give(struct admit_quota *q, const struct netaddr *client);

#endif

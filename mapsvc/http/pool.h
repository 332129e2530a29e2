/*
 * pool.h - a bounded pool of threads for expensive requests (static maps,
 * PDF sheets), so that cheap ones never wait behind them.
 *
 * At most `workers` jobs run at once and at most `queue_max` wait; a
 * submission past that is refused at once, so a flood of expensive
 * requests costs the server one quick refusal each, never a queue that
 * grows or a libmicrohttpd thread held.  Workers run at a lower
 * scheduling priority (nice), so the threads serving cheap requests take
 * the CPU from them whenever they need it: the expensive work uses what
 * is left, at most `workers` cores.
 *
 * Thread-safe.  Jobs run on the pool's threads; a cancelled job's cancel
 * function runs on the caller's.
 */
#ifndef MS_HTTP_POOL_H
#define MS_HTTP_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_pool;

/* workers >= 1 threads, niced by nice_incr (0: not), queue_max >= 0. */
struct http_pool *http_pool_new(unsigned workers, unsigned queue_max, int nice_incr);
/* Queues run(arg); false (and nothing queued) when the pool is full. */
bool http_pool_submit(struct http_pool *p, void (*run)(void *arg), void *arg);
/* Takes every job still waiting off the queue and calls cancel(arg) for
 * each, here; returns how many.  Running jobs are not touched. */
size_t http_pool_cancel(struct http_pool *p, void (*cancel)(void *arg));
/* Waits for the running and queued jobs, then stops the threads. */
void http_pool_free(struct http_pool *p);

struct http_pool_stats {
	unsigned workers, queue_max;
	unsigned running, queued;
	uint64_t done, refused, cancelled;
	uint64_t cpu_ns; /* CPU time the finished jobs took, all together */
};
void http_pool_get_stats(struct http_pool *p, struct http_pool_stats *out);

#endif

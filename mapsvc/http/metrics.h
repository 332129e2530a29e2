/*
 * metrics.h - the HTTP server's own counters: requests by route and
 * status class, and a histogram of their durations, written in the
 * Prometheus text exposition format (0.0.4) by /metrics.  Internal to
 * http/: server.c records, h_ops.c writes (with the map service's
 * figures beside them).
 *
 * Owns its counters (one struct http_metrics per server).  Thread-safe:
 * every counter is an atomic, recorded by any number of request threads
 * while /metrics reads them.
 */
#ifndef MS_HTTP_METRICS_H
#define MS_HTTP_METRICS_H

#include <stddef.h>

#include "../util/buf.h"

struct http_metrics;

/* Counters for every route of http_routes (and unmatched requests). */
struct http_metrics *http_metrics_new(void);
void http_metrics_free(struct http_metrics *m);
/* One request: route index (-1 when none matched), status, seconds taken. */
void http_metrics_record(struct http_metrics *m, int route, int status, double secs);
/* Appends the counters, labelled with the routes' names. */
void http_metrics_write(const struct http_metrics *m, struct buf *out);

#endif

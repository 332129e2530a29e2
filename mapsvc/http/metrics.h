/*
 * metrics.h - the HTTP server's own counters: requests by route and
 * status code, and a histogram of their durations by route, written in
 * the Prometheus text exposition format (0.0.4) by /metrics, no series
 * twice (each route has a name of its own); the work of
 * nearest searches; whether the server is ready (/readyz); and whatever
 * more figures the server adds through a source (its connections and
 * expensive requests).  Internal to http/: server.c records, h_ops.c
 * writes (with the map service's figures beside them).
 *
 * Owns its counters (one struct http_metrics per server).  Thread-safe:
 * every counter is an atomic, recorded by any number of request threads
 * while /metrics reads them.
 */
#ifndef MS_HTTP_METRICS_H
#define MS_HTTP_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/buf.h"

struct http_metrics;

/* Counters for every route of http_routes (and unmatched requests). */
struct http_metrics *http_metrics_new(void);
void http_metrics_free(struct http_metrics *m);
/* One request: route index (-1 when none matched), status, seconds taken. */
void http_metrics_record(struct http_metrics *m, int route, int status, double secs);
/* Appends the counters, labelled with the routes' names, then the
 * source's figures and the rest of this file's. */
void http_metrics_write(const struct http_metrics *m, struct buf *out);

/* One nearest search's work: geodesics computed and index nodes opened,
 * so that its cost is observable, and testable, by count rather than
 * time.  m may be NULL (a handler run outside a server, as by a fuzzer). */
void http_metrics_count_nearest(struct http_metrics *m, size_t geodesics, size_t nodes);
/* Readiness: true from the start until a stop begins.  m may be NULL
 * (then: ready). */
void http_metrics_set_ready(struct http_metrics *m, bool ready);
bool http_metrics_ready(const struct http_metrics *m);
/* Who adds more figures: write(arg, out) appends them, on the thread
 * that writes /metrics, for as long as the metrics live. */
void http_metrics_set_source(struct http_metrics *m, void (*write)(void *arg, struct buf *out), void *arg);

#endif

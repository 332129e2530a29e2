/* metrics.c - the HTTP server's counters; see metrics.h.
 *
 * Every series is written once: each route has its own name (routes.c,
 * checked by the unit tests), each status its own code label, and a
 * route's latency histogram is written only under its own name.  Counters
 * are per route and per status code (100..599), kept as plain atomics in
 * one array: 512 words a route, about 150 KiB for the whole table, read
 * without a lock while requests add to them.
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "../util/mem.h"
#include "http.h"

/* Request duration buckets (seconds) for the Prometheus histogram: from
 * a cached tile (well under a millisecond) to a large PDF sheet. */
static const double duration_buckets[] = {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
#define NBUCKETS (sizeof duration_buckets / sizeof duration_buckets[0])
/* The status codes counted one by one (RFC 9110 §15: three digits, 1xx to
 * 5xx); anything else is counted as 500, which is what went out. */
#define STATUS_MIN 100
#define STATUS_MAX 599
#define NSTATUS (STATUS_MAX - STATUS_MIN + 1)
#define US_PER_S 1e6

struct route_counts {
	atomic_ullong by_status[NSTATUS];
	atomic_ullong buckets[NBUCKETS + 1]; /* the last: above every bound (+Inf) */
	atomic_ullong duration_us_sum;
};

struct http_metrics {
	size_t nroutes;
	struct route_counts *routes; /* nroutes + 1 (the last: unmatched) */
	atomic_ullong nearest_searches, nearest_geodesics, nearest_nodes;
	atomic_bool ready;
	void (*source)(void *arg, struct buf *out);
	void *source_arg;
};

struct http_metrics *http_metrics_new(void)
{
	struct http_metrics *m = xcalloc(1, sizeof *m);
	m->nroutes = http_nroutes;
	m->routes = xcalloc(m->nroutes + 1, sizeof *m->routes);
	atomic_init(&m->ready, true);
	return m;
}

void http_metrics_free(struct http_metrics *m)
{
	if (!m)
		return;
	free(m->routes);
	free(m);
}

void http_metrics_record(struct http_metrics *m, int route, int status, double secs)
{
	if (status < STATUS_MIN || status > STATUS_MAX)
		status = 500;
	size_t r = route < 0 || (size_t)route >= m->nroutes ? m->nroutes : (size_t)route;
	struct route_counts *rc = &m->routes[r];
	atomic_fetch_add(&rc->by_status[status - STATUS_MIN], 1);
	size_t b = 0;
	while (b < NBUCKETS && secs > duration_buckets[b])
		b++;
	atomic_fetch_add(&rc->buckets[b], 1);
	atomic_fetch_add(&rc->duration_us_sum, (unsigned long long)(secs * US_PER_S));
}

static const char *route_name(const struct http_metrics *m, size_t r)
{
	return r < m->nroutes ? http_routes[r].name : "unmatched";
}

/* One route's histogram, when it answered anything. */
static void write_histogram(struct http_metrics *w, size_t r, struct buf *out)
{
	struct route_counts *rc = &w->routes[r];
	unsigned long long counts[NBUCKETS + 1], total = 0;
	for (size_t b = 0; b <= NBUCKETS; b++)
		total += counts[b] = atomic_load(&rc->buckets[b]);
	if (!total)
		return;
	const char *name = route_name(w, r);
	unsigned long long cum = 0;
	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += counts[b];
		buf_printf(out, "mapsvc_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
		           name, duration_buckets[b], cum);
	}
	buf_printf(out,
	           "mapsvc_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
	           "mapsvc_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
	           "mapsvc_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
	           name, total, name, (double)atomic_load(&rc->duration_us_sum) / US_PER_S, name, total);
}

void http_metrics_write(const struct http_metrics *m, struct buf *out)
{
	/* The atomics are only read here; the casts drop the const that
	 * atomic_load's C11 signature does not take. */
	struct http_metrics *w = (struct http_metrics *)m;
	buf_puts(out, "# HELP mapsvc_http_requests_total HTTP requests answered, by route and status code.\n"
	              "# TYPE mapsvc_http_requests_total counter\n");
	for (size_t r = 0; r <= m->nroutes; r++)
		for (int k = 0; k < NSTATUS; k++) {
			unsigned long long v = atomic_load(&w->routes[r].by_status[k]);
			if (v)
				buf_printf(out, "mapsvc_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
				           route_name(m, r), k + STATUS_MIN, v);
		}
	buf_puts(out, "# HELP mapsvc_http_request_duration_seconds Time from request line to answer, by "
	              "route.\n"
	              "# TYPE mapsvc_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= m->nroutes; r++)
		write_histogram(w, r, out);
	if (m->source)
		m->source(m->source_arg, out);
	buf_printf(out,
	           "# HELP mapsvc_nearest_searches_total Nearest-site searches run (/nearest).\n"
	           "# TYPE mapsvc_nearest_searches_total counter\n"
	           "mapsvc_nearest_searches_total %llu\n"
	           "# HELP mapsvc_nearest_geodesics_total Geodesic distances those searches computed: their "
	           "work, whatever the query point.\n"
	           "# TYPE mapsvc_nearest_geodesics_total counter\n"
	           "mapsvc_nearest_geodesics_total %llu\n"
	           "# HELP mapsvc_nearest_nodes_total Spatial index nodes those searches opened.\n"
	           "# TYPE mapsvc_nearest_nodes_total counter\n"
	           "mapsvc_nearest_nodes_total %llu\n"
	           "# HELP mapsvc_ready 1 while serving, 0 once stopping.\n"
	           "# TYPE mapsvc_ready gauge\n"
	           "mapsvc_ready %d\n",
	           atomic_load(&w->nearest_searches), atomic_load(&w->nearest_geodesics),
	           atomic_load(&w->nearest_nodes), atomic_load(&w->ready) ? 1 : 0);
}

void http_metrics_count_nearest(struct http_metrics *m, size_t geodesics, size_t nodes)
{
	if (!m)
		return;
	atomic_fetch_add(&m->nearest_searches, 1);
	atomic_fetch_add(&m->nearest_geodesics, geodesics);
	atomic_fetch_add(&m->nearest_nodes, nodes);
}

void http_metrics_set_ready(struct http_metrics *m, bool ready)
{
	if (m)
		atomic_store(&m->ready, ready);
}

bool http_metrics_ready(const struct http_metrics *m)
{
	return !m || atomic_load(&((struct http_metrics *)m)->ready);
}

void http_metrics_set_source(struct http_metrics *m, void (*write)(void *arg, struct buf *out), void *arg)
{
	m->source = write;
	m->source_arg = arg;
}

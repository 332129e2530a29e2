/* metrics.c - the HTTP server's counters; see metrics.h. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "../util/mem.h"
#include "http.h"

/* Request duration buckets (seconds) for the Prometheus histogram: from
 * a cached tile (well under a millisecond) to a large PDF sheet. */
static const double duration_buckets[] = {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
#define NBUCKETS (sizeof duration_buckets / sizeof duration_buckets[0])
#define NCLASSES 5 /* 1xx .. 5xx */
#define US_PER_S 1e6

struct route_counts {
	atomic_ullong by_class[NCLASSES];
};

struct http_metrics {
	size_t nroutes;
	struct route_counts *routes; /* nroutes + 1 (the last: unmatched) */
	atomic_ullong buckets[NBUCKETS + 1];
	atomic_ullong duration_us_sum;
};

struct http_metrics *http_metrics_new(void)
{
	struct http_metrics *m = xcalloc(1, sizeof *m);
	m->nroutes = http_nroutes;
	m->routes = xcalloc(m->nroutes + 1, sizeof *m->routes);
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
	int cls = status / 100 - 1;
	if (cls < 0 || cls >= NCLASSES)
		cls = NCLASSES - 1;
	size_t r = route < 0 || (size_t)route >= m->nroutes ? m->nroutes : (size_t)route;
	atomic_fetch_add(&m->routes[r].by_class[cls], 1);
	size_t b = 0;
	while (b < NBUCKETS && secs > duration_buckets[b])
		b++;
	atomic_fetch_add(&m->buckets[b], 1);
	atomic_fetch_add(&m->duration_us_sum, (unsigned long long)(secs * US_PER_S));
}

void http_metrics_write(const struct http_metrics *m, struct buf *out)
{
	/* The atomics are only read here; the casts drop the const that
	 * atomic_load's C11 signature does not take. */
	struct http_metrics *w = (struct http_metrics *)m;
	buf_puts(out, "# HELP mapsvc_http_requests_total HTTP requests answered, by route and status class.\n"
	              "# TYPE mapsvc_http_requests_total counter\n");
	static const char *const classes[NCLASSES] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
	for (size_t r = 0; r <= m->nroutes; r++)
		for (int k = 0; k < NCLASSES; k++) {
			unsigned long long v = atomic_load(&w->routes[r].by_class[k]);
			if (v)
				buf_printf(out, "mapsvc_http_requests_total{route=\"%s\",code=\"%s\"} %llu\n",
				           r < m->nroutes ? http_routes[r].name : "unmatched", classes[k], v);
		}
	buf_puts(out, "# HELP mapsvc_http_request_duration_seconds Time from request line to answer.\n"
	              "# TYPE mapsvc_http_request_duration_seconds histogram\n");
	unsigned long long cum = 0;
	for (size_t b = 0; b <= NBUCKETS; b++) {
		cum += atomic_load(&w->buckets[b]);
		if (b < NBUCKETS)
			buf_printf(out, "mapsvc_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			           duration_buckets[b], cum);
		else
			buf_printf(out, "mapsvc_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
			           cum);
	}
	buf_printf(out, "mapsvc_http_request_duration_seconds_sum %.6f\n",
	           (double)atomic_load(&w->duration_us_sum) / US_PER_S);
	buf_printf(out, "mapsvc_http_request_duration_seconds_count %llu\n", cum);
}

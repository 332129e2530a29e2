/* h_ops.c - operations: /healthz (liveness and readiness) and /metrics
 * (Prometheus text exposition format 0.0.4): the server's request
 * counters, then what the map service serves and has done. */
#include <stdio.h>

#include "../util/jsonw.h"
#include "handlers.h"
#include "metrics.h"

const struct http_params h_ops_params = {NULL, 0};

void h_healthz(struct http_ctx *c, struct http_response *r)
{
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "status");
	jw_string(&w, "ok");
	jw_key(&w, "sites");
	jw_int(&w, (int64_t)c->snap->n);
	char v[24];
	snprintf(v, sizeof v, "%016llx", (unsigned long long)c->snap->version);
	jw_key(&w, "data_version");
	jw_string(&w, v);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
}

/* The map service's part: the generation this request reads, reloads,
 * and the tile cache. */
static void service_metrics(const struct http_ctx *c, struct buf *out)
{
	struct mapservice_stats st;
	mapservice_stats(c->cfg->maps, &st);
	buf_printf(out,
	           "# HELP mapsvc_sites_loaded Sites in the snapshot being served.\n"
	           "# TYPE mapsvc_sites_loaded gauge\n"
	           "mapsvc_sites_loaded %zu\n"
	           "# HELP mapsvc_snapshot_version Content hash of the served data, in the version label.\n"
	           "# TYPE mapsvc_snapshot_version gauge\n"
	           "mapsvc_snapshot_version{version=\"%016llx\"} 1\n"
	           "# HELP mapsvc_reloads_total Successful reloads of data and styles (SIGHUP).\n"
	           "# TYPE mapsvc_reloads_total counter\n"
	           "mapsvc_reloads_total %llu\n",
	           c->snap->n, (unsigned long long)c->snap->version, st.reloads);
	buf_printf(out,
	           "# HELP mapsvc_tile_cache_requests_total Tile lookups, by whether the bytes were cached.\n"
	           "# TYPE mapsvc_tile_cache_requests_total counter\n"
	           "mapsvc_tile_cache_requests_total{result=\"hit\"} %llu\n"
	           "mapsvc_tile_cache_requests_total{result=\"miss\"} %llu\n"
	           "# HELP mapsvc_tile_cache_bytes Bytes the tile cache holds.\n"
	           "# TYPE mapsvc_tile_cache_bytes gauge\n"
	           "mapsvc_tile_cache_bytes %zu\n",
	           (unsigned long long)st.cache.hits, (unsigned long long)st.cache.misses, st.cache.bytes);
}

void h_metrics(struct http_ctx *c, struct http_response *r)
{
	http_metrics_write(c->metrics, &r->body);
	service_metrics(c, &r->body);
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

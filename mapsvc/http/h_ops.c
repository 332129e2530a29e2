/* h_ops.c - operations: /healthz (liveness: the process answers, with
 * the data it serves, whether their name index is built yet, how many
 * cluster hierarchies were read from the database, how many glyphs
 * were drawn ahead and render contexts warmed), /readyz (readiness: 503 once a stop has
 * begun, so a load balancer sends no more) and /metrics (Prometheus text exposition format 0.0.4): the
 * server's counters, then what the map service serves and has done. */
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
	/* A million sites' name index is built after they are served
	 * (snapshot_names): until it is ready, q reads every name. */
	jw_key(&w, "name_index");
	jw_string(&w, snapshot_names(c->snap) ? "ready" : "building");
	/* The cluster hierarchies read from what the import kept with the
	 * sites rather than built (snapshot_opts.kept). */
	jw_key(&w, "clusters_read");
	jw_int(&w, (int64_t)snapshot_clusters_read(c->snap));
	/* The glyphs of the styles' labels and counts, drawn after start-up
	 * (render/ahead.h): "drawing", then how many. */
	size_t bitmaps;
	jw_key(&w, "glyphs_ahead");
	if (mapservice_glyphs_ahead(c->gen, &bitmaps))
		jw_int(&w, (int64_t)bitmaps);
	else
		jw_string(&w, "drawing");
	/* Render contexts warmed for the drawing threads (mapservice_warm):
	 * "warming" until the first is ready, then how many so far. */
	size_t warmed, taken;
	jw_key(&w, "contexts_warmed");
	if (mapservice_warm_stats(c->cfg->maps, &warmed, &taken))
		jw_int(&w, (int64_t)warmed);
	else
		jw_string(&w, "warming");
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
}

/* The state of the store's change feed, in /readyz. */
static const char *link_name(enum mapservice_link l)
{
	return l == MAPSERVICE_LINK_UP ? "up" : l == MAPSERVICE_LINK_DOWN ? "down" : "none";
}

void h_readyz(struct http_ctx *c, struct http_response *r)
{
	if (!http_metrics_ready(c->metrics)) {
		http_problem(r, 503,
		             "the server is stopping: it answers the requests it has and takes no new ones");
		return;
	}
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "status");
	jw_string(&w, "ready");
	jw_key(&w, "sites");
	jw_int(&w, (int64_t)c->snap->n);
	/* Ready whatever the store's link: the data are served from memory;
	 * the body says whether changes are reaching them. */
	struct mapservice_stats st;
	mapservice_stats(c->cfg->maps, &st);
	jw_key(&w, "store_link");
	jw_string(&w, link_name(st.link));
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
}

/* A label value as the exposition format writes it: backslash, quote and
 * newline escaped.  A style's name is a file name and may hold them. */
static void label_value(const char *s, char *out, size_t size)
{
	size_t o = 0;
	for (; *s && o + 3 < size; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n')
			out[o++] = '\\';
		out[o++] = *s == '\n' ? 'n' : *s;
	}
	out[o] = '\0';
}

/* Render times by style: one histogram per style drawn so far. */
static void render_metrics(const struct http_ctx *c, struct buf *out)
{
	struct mapservice_render_stats rs[MAPSERVICE_RENDER_STYLES + 1];
	size_t n = mapservice_render_stats(c->cfg->maps, rs, sizeof rs / sizeof rs[0]);
	buf_puts(out, "# HELP mapsvc_tile_render_seconds Time to draw and encode a tile the cache lacked, by "
	              "style.\n"
	              "# TYPE mapsvc_tile_render_seconds histogram\n");
	for (size_t i = 0; i < n; i++) {
		char style[2 * sizeof rs[i].style];
		label_value(rs[i].style, style, sizeof style);
		unsigned long long cum = 0;
		for (size_t b = 0; b < MAPSERVICE_RENDER_BUCKETS; b++) {
			cum += rs[i].buckets[b];
			buf_printf(out, "mapsvc_tile_render_seconds_bucket{style=\"%s\",le=\"%g\"} %llu\n",
			           style, mapservice_render_buckets[b], cum);
		}
		buf_printf(out,
		           "mapsvc_tile_render_seconds_bucket{style=\"%s\",le=\"+Inf\"} %llu\n"
		           "mapsvc_tile_render_seconds_sum{style=\"%s\"} %.6f\n"
		           "mapsvc_tile_render_seconds_count{style=\"%s\"} %llu\n",
		           style, rs[i].count, style, rs[i].sum_seconds, style, rs[i].count);
	}
}

/* The map service's part: the generation this request reads, its
 * loads, the tile cache and render times. */
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
	           "# HELP mapsvc_snapshot_generation Generations of data and styles made current, the first "
	           "load included.\n"
	           "# TYPE mapsvc_snapshot_generation gauge\n"
	           "mapsvc_snapshot_generation %llu\n"
	           "# HELP mapsvc_snapshot_load_seconds How long loading the served data and styles took.\n"
	           "# TYPE mapsvc_snapshot_load_seconds gauge\n"
	           "mapsvc_snapshot_load_seconds %.6f\n"
	           "# HELP mapsvc_reloads_total New generations installed (SIGHUP, an edit, a store "
	           "notification), by result: a failed one keeps the current generation.\n"
	           "# TYPE mapsvc_reloads_total counter\n"
	           "mapsvc_reloads_total{result=\"ok\"} %llu\n"
	           "mapsvc_reloads_total{result=\"failed\"} %llu\n",
	           c->snap->n, (unsigned long long)c->snap->version, c->gen->serial, st.load_seconds,
	           st.reloads, st.load_failures);
	const struct tcache_stats *t = &st.cache;
	buf_printf(out,
	           "# HELP mapsvc_tile_cache_requests_total Tile lookups, by whether the bytes were cached.\n"
	           "# TYPE mapsvc_tile_cache_requests_total counter\n"
	           "mapsvc_tile_cache_requests_total{result=\"hit\"} %llu\n"
	           "mapsvc_tile_cache_requests_total{result=\"miss\"} %llu\n"
	           "# HELP mapsvc_tile_cache_evictions_total Tiles dropped from the cache to stay in its "
	           "budget.\n"
	           "# TYPE mapsvc_tile_cache_evictions_total counter\n"
	           "mapsvc_tile_cache_evictions_total %llu\n"
	           "# HELP mapsvc_tile_cache_entries Tiles the cache holds.\n"
	           "# TYPE mapsvc_tile_cache_entries gauge\n"
	           "mapsvc_tile_cache_entries %zu\n"
	           "# HELP mapsvc_tile_cache_bytes Bytes the tile cache holds.\n"
	           "# TYPE mapsvc_tile_cache_bytes gauge\n"
	           "mapsvc_tile_cache_bytes %zu\n"
	           "# HELP mapsvc_tile_cache_max_bytes The tile cache's budget (--cache-mb).\n"
	           "# TYPE mapsvc_tile_cache_max_bytes gauge\n"
	           "mapsvc_tile_cache_max_bytes %zu\n",
	           (unsigned long long)t->hits, (unsigned long long)t->misses,
	           (unsigned long long)t->evictions, t->entries, t->bytes, t->max_bytes);
	buf_printf(out,
	           "# HELP mapsvc_tile_misses_total Tiles the cache lacked, by where they came from: drawn, "
	           "or read from the --tiles-from store.\n"
	           "# TYPE mapsvc_tile_misses_total counter\n"
	           "mapsvc_tile_misses_total{source=\"rendered\"} %llu\n"
	           "mapsvc_tile_misses_total{source=\"store\"} %llu\n"
	           "# HELP mapsvc_tile_store_errors_total Reads of the --tiles-from store that failed (the "
	           "tile was drawn instead).\n"
	           "# TYPE mapsvc_tile_store_errors_total counter\n"
	           "mapsvc_tile_store_errors_total %llu\n",
	           st.tiles_rendered, st.tiles_from_store, st.store_errors);
	render_metrics(c, out);
	if (st.link != MAPSERVICE_LINK_NONE)
		buf_printf(out,
		           "# HELP mapsvc_store_link_up Whether the link to the store's change feed is up.\n"
		           "# TYPE mapsvc_store_link_up gauge\n"
		           "mapsvc_store_link_up %d\n",
		           st.link == MAPSERVICE_LINK_UP);
	buf_printf(out,
	           "# HELP mapsvc_store_reconnects_total Times the store's change feed came back.\n"
	           "# TYPE mapsvc_store_reconnects_total counter\n"
	           "mapsvc_store_reconnects_total %llu\n"
	           "# HELP mapsvc_store_updates_total Changes of the store installed without a reload.\n"
	           "# TYPE mapsvc_store_updates_total counter\n"
	           "mapsvc_store_updates_total %llu\n",
	           st.reconnects, st.updates);
}

void h_metrics(struct http_ctx *c, struct http_response *r)
{
	http_metrics_write(c->metrics, &r->body);
	service_metrics(c, &r->body);
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

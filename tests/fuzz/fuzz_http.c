/*
 * fuzz_http.c - the request target, from routing to the handler's answer.
 *
 * The input is a request target ("/collections/sites/items?bbox=..."),
 * taken apart the way libmicrohttpd hands it to the server: the path up
 * to '?', percent-decoded; the query split at '&' into key=value pairs,
 * '+' read as a space, both sides percent-decoded (MHD_http_unescape, the
 * library's own decoder).  Then, as server.c's dispatch does, the route
 * table is matched and the handler runs against a small snapshot of
 * known sites.  Libmicrohttpd itself (sockets, the request line) is not
 * fuzzed here: that is its authors' job.
 *
 * Every answer must be well formed: a known status, never a 500; an
 * error is RFC 9457 problem+json whose "status" member is the status;
 * a JSON answer parses as JSON.  Every route's parameter table parses the
 * request (the first step of http_route_handle); the handlers get what a
 * server gives them: a map service whose generation holds the fixture (and
 * no styles), and request counters.  Handlers that draw or read the
 * styles (tiles and TileJSON, the OGC API - Tiles routes, static maps,
 * PDF sheets) stop after the parse: a fuzzer's thousands of inputs a
 * second cannot each render.  A NULL connection makes header lookups
 * answer "absent", as for a client that sent none.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "site/site.h"
#include "fuzz.h"
#include "http/handlers.h"
#include "http/metrics.h"
#include "mapservice/mapservice.h"
#include "ingest/ingest.h"
#include "store/snapshot.h"
#include "util/mem.h"

#define H "fuzz_http"

/* Sites at known places: two coincident, one at the antimeridian, one at
 * a pole, Chinese names, an extra property. */
static const char sites_csv[] =
    "id,name_zh,name_en,category,lat,lon,note\n"
    "zb-001,淄博党史纪念馆,Zibo Party History Memorial Hall,memorial_hall,36.8131,118.0549,a\n"
    "zb-002,高新区红色驿站,Red Station,study_station,36.8131,118.0549,\n"
    "gt-001,高台烈士陵园,Gaotai Martyrs Cemetery,martyrs_cemetery,39.3780,99.8192,\"x,y\"\n"
    "edge-e,日界线,Dateline,monument,0,180,\n"
    "edge-w,日界线西,Dateline west,monument,-10,-180,\n"
    "pole,北极,North pole,former_site,90,0,\n";

static struct snapshot *snap;
static struct mapservice *maps;
static struct http_metrics *metrics;
static struct http_config cfg = {
    .host = "127.0.0.1",
    .port = 8080,
    .threads = 2,
    .max_zoom = 20,
    .cors = "*",
    .basemap_url = "https://t.example/{z}/{x}/{y}.png",
};

static void teardown(void)
{
	mapservice_free(maps);
	http_metrics_free(metrics);
	snapshot_release(snap);
}

static void setup(void)
{
	struct ms_error err = {0};
	struct site_set *set = site_set_new();
	if (ingest_csv("sites.csv", sites_csv, sizeof sites_csv - 1, COORDSYS_WGS84, set, &err))
		fuzz_fail(H, "fixture: %s", err.msg);
	snap = snapshot_new(set, &err);
	if (!snap)
		fuzz_fail(H, "fixture: %s", err.msg);
	const struct mapservice_config mc = {.db_path = "(fixture)", .cache_bytes = 0};
	maps = mapservice_new(&mc);
	mapservice_install(maps, snap, NULL);
	cfg.maps = maps;
	metrics = http_metrics_new();
	atexit(teardown);
}

static void response_free(struct http_response *r)
{
	if (r->ext_release) /* as server.c does once a body owned elsewhere is sent */
		r->ext_release(r->ext_arg);
	buf_free(&r->body);
	for (int i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
}

static void check_response(const char *target, const struct http_response *r)
{
	static const int known[] = {200, 204, 304, 400, 404, 405, 406};
	bool ok = false;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		ok |= r->status == known[i];
	if (!ok)
		fuzz_fail(H, "%s: status %d", target, r->status);
	const char *ct = r->content_type ? r->content_type : "";
	bool problem = !strcmp(ct, "application/problem+json");
	if (r->status >= 400 && !problem)
		fuzz_fail(H, "%s: status %d as %s, not problem+json", target, r->status, ct);
	if (!strstr(ct, "json") || r->status == 304 || r->status == 204)
		return;
	json_error_t je;
	json_t *doc = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &je);
	if (!doc)
		fuzz_fail(H, "%s: %d %s body is not JSON (%s): %.*s", target, r->status, ct, je.text,
		          (int)(r->body.len > 300 ? 300 : r->body.len), r->body.data ? r->body.data : "");
	if (problem) {
		json_t *st = json_object_get(doc, "status");
		const char *detail = json_string_value(json_object_get(doc, "detail"));
		if (!json_is_integer(st) || json_integer_value(st) != r->status || !detail || !*detail ||
		    !json_is_string(json_object_get(doc, "title")) ||
		    !json_is_string(json_object_get(doc, "type")))
			fuzz_fail(H, "%s: problem document without type/title/status %d/detail", target,
			          r->status);
	}
	json_decref(doc);
}

/* Splits a query string (modified in place) into c->params as
 * libmicrohttpd does.  Returns false past HTTP_MAX_PARAMS (a 400). */
static bool split_query(char *q, struct http_ctx *c)
{
	while (q && *q) {
		char *amp = strchr(q, '&');
		if (amp)
			*amp = '\0';
		if (*q) {
			char *eq = strchr(q, '=');
			if (eq)
				*eq = '\0';
			char *value = eq ? eq + 1 : q + strlen(q); /* "" that may be written */
			for (char *p = q; *p; p++)
				*p = *p == '+' ? ' ' : *p;
			for (char *p = value; *p; p++)
				*p = *p == '+' ? ' ' : *p;
			MHD_http_unescape(q);
			MHD_http_unescape(value);
			if (c->nparams == HTTP_MAX_PARAMS)
				return false;
			c->params[c->nparams].key = q;
			c->params[c->nparams].value = value;
			c->nparams++;
		}
		q = amp ? amp + 1 : NULL;
	}
	return true;
}

/* True when route's handler draws or reads the styles (see above). */
static bool draws(const struct http_route *rt, const struct http_ctx *c)
{
	if (rt->handler == h_route) /* only the PDF draws its map: the server links the HTML's */
		return !strcmp(http_arg(c, "format")->text, "pdf");
	return rt->handler == h_tile || rt->handler == h_tile_2x || rt->handler == h_tile_style ||
	       rt->handler == h_tile_style_2x || rt->handler == h_tilejson || rt->handler == h_staticmap ||
	       rt->handler == h_tilesets || rt->handler == h_tileset || rt->handler == h_ogc_tile;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!snap)
		setup();
	/* A request target is one line of text without NULs. */
	if (size > HTTP_MAX_URI || memchr(data, 0, size) || memchr(data, '\n', size) ||
	    memchr(data, '\r', size))
		return 0;
	char *target = xstrndup((const char *)data, size);
	char *path = xstrdup(target);
	char *query = strchr(path, '?');
	if (query)
		*query++ = '\0';
	MHD_http_unescape(path);

	struct http_ctx c = {.cfg = &cfg,
	                     .metrics = metrics,
	                     .path = path,
	                     .method = "GET",
	                     .base_url = "http://127.0.0.1:8080"};
	struct http_response r = {.status = 200, .content_type = "application/json"};
	size_t caplen = strlen(path) + 1;
	char *capbuf = xmalloc(caplen);
	int route = http_route_match(path, c.captures, capbuf, caplen, &c.ncaptures);
	if (route >= 0) {
		if (c.ncaptures < 0 || c.ncaptures > HTTP_MAX_CAPTURES)
			fuzz_fail(H, "%s: %d captures", target, c.ncaptures);
		for (int i = 0; i < c.ncaptures; i++)
			if (!c.captures[i][0] || strchr(c.captures[i], '/'))
				fuzz_fail(H, "%s: capture %d is '%s'", target, i, c.captures[i]);
	}
	if (route >= 0 && split_query(query, &c)) {
		const struct http_route *rt = &http_routes[route];
		struct mapservice_gen *gen = mapservice_acquire(maps); /* as server.c's dispatch */
		c.gen = gen;
		c.snap = gen->snap;
		/* http_route_handle's two steps, so that the second can be skipped */
		bool parsed = http_params_parse(rt->params, &c, &r);
		if (parsed && !draws(rt, &c))
			rt->handler(&c, &r);
		if (!parsed || !draws(rt, &c))
			check_response(target, &r);
		mapservice_release(gen);
	}
	response_free(&r);
	free(capbuf);
	free(path);
	free(target);
	return 0;
}

/*
 * h_web.c - the map page (issue 6): "/" for browsers, its assets under
 * /static/, and /config.json, the settings the page cannot guess.
 *
 * "/" is also the OGC API landing page: a browser, whose Accept names
 * text/html above JSON, gets the map page, and every other client the
 * landing page's JSON (util/accept.h's accept_prefers_html: "*" + "/" + "*",
 * what OWSLib, curl and fetch() send, is no preference for HTML); f=json
 * and f=html choose outright.  Both answers carry "Vary: Accept" for
 * caches (RFC 9110 §12.5.5).
 *
 * The assets are embedded in the binary (web/web.h) with ETags computed at
 * build time, so they are validated here rather than by hashing each body
 * as the server's `cacheable` does.  The page names its assets with
 * "?v=TAG"; such an answer never changes and may be cached for good
 * (RFC 8246 immutable); everything else is "no-cache": always revalidated,
 * answered 304 while unchanged, so a new binary is picked up at once.
 */
#include <string.h>

#include "../util/accept.h"
#include "../util/jsonw.h"
#include "../web/web.h"
#include "handlers.h"

#define CACHE_FOREVER "public, max-age=31536000, immutable"
#define CACHE_REVALIDATE "no-cache"

static void serve_asset(struct http_ctx *c, struct http_response *r, const struct web_asset *a, bool forever)
{
	http_add_header(r, "ETag", a->etag);
	http_add_header(r, "Cache-Control", forever ? CACHE_FOREVER : CACHE_REVALIDATE);
	if (web_etag_matches(a, http_header(c, "If-None-Match"))) {
		/* RFC 9110 §15.4.5: a 304 repeats ETag and Cache-Control, no body. */
		r->status = 304;
		return;
	}
	r->content_type = a->content_type; /* nosniff, as on every answer: server.c */
	buf_append(&r->body, a->data, a->len);
}

/* The page's files: "v" names the version the page asked for. */
static const struct http_pspec static_specs[] = {
    {.name = "file",
     .in = HTTP_IN_PATH,
     .type = HTTP_T_STRING,
     .required = true,
     .desc = "A file of the page."},
    {.name = "v", .type = HTTP_T_STRING, .desc = "The version (ETag) the page names: cached for good."},
};
static const struct http_pspec static2_specs[] = {
    {.name = "dir",
     .in = HTTP_IN_PATH,
     .type = HTTP_T_STRING,
     .required = true,
     .desc = "A folder of the page."},
    {.name = "file", .in = HTTP_IN_PATH, .type = HTTP_T_STRING, .required = true, .desc = "A file in it."},
    {.name = "v", .type = HTTP_T_STRING, .desc = "The version (ETag) the page names: cached for good."},
};
const struct http_params h_static_params = HTTP_PARAMS(static_specs);
const struct http_params h_static2_params = HTTP_PARAMS(static2_specs);
const struct http_params h_config_params = {NULL, 0};

void h_root(struct http_ctx *c, struct http_response *r)
{
	const struct http_arg *f = http_arg(c, "f");
	http_add_header(r, "Vary", "Accept");
	if (f->given ? strcmp(f->text, "html") != 0 : !accept_prefers_html(http_header(c, "Accept"), NULL)) {
		h_landing(c, r);
		return;
	}
	serve_asset(c, r, web_page(), false);
}

void h_static(struct http_ctx *c, struct http_response *r)
{
	const struct web_asset *a = web_asset_find(c->path);
	if (!a) {
		http_problem(r, 404, "no file '%.200s' in the map page's assets", c->path);
		return;
	}
	serve_asset(c, r, a, web_asset_versioned(a, http_arg(c, "v")->text));
}

void h_config(struct http_ctx *c, struct http_response *r)
{
	const struct http_config *cfg = c->cfg;
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "basemap");
	if (cfg->basemap_url) {
		jw_object_begin(&w);
		jw_key(&w, "url");
		jw_string(&w, cfg->basemap_url);
		jw_key(&w, "attribution");
		jw_string(&w, cfg->basemap_attribution ? cfg->basemap_attribution : "");
		jw_key(&w, "crs");
		jw_string(&w, cfg->basemap_gcj02 ? "gcj02" : "wgs84");
		jw_object_end(&w);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "max_zoom");
	jw_int(&w, cfg->max_zoom);
	jw_key(&w, "edit"); /* the page offers its edit mode (serve --edit) */
	jw_bool(&w, cfg->editor != NULL);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	http_add_header(r, "Cache-Control", CACHE_REVALIDATE);
	r->cacheable = true;
}

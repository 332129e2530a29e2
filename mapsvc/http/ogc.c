/*
 * ogc.c - what the OGC API handlers share: the conformance classes, the
 * choice of a representation, and the URLs and language of an HTML page;
 * see ogc.h.
 */
#include "ogc.h"

#include <string.h>

#include "../cql2/cql2.h"
#include "../features/filter.h"
#include "../util/accept.h"
#include "../web/web.h"

/* The pages' stylesheet, an embedded asset (web/assets.txt). */
#define PAGES_CSS "/static/pages.css"

static const char *const own_classes[] = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
};
static const char *const later_classes[] = {
    /* sortby: OGC API - Features Part 8 (draft) */
    "http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/sorting",
    /* OGC API - Tiles Part 1: map tilesets of the collection, PNG */
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png",
    /* the tile matrix sets in the JSON of OGC 17-083r4 (TMS 2.0) */
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
};

/* OGC API - Features Part 4 (OGC 20-002, draft): create, replace and
 * delete; update by merge patch; If-Match with the item's ETag; GeoJSON
 * bodies.  Declared only by a server that takes writes. */
static const char *const edit_classes[] = {
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
};

size_t ogc_conformance(const char *out[OGC_MAX_CLASSES], bool editing)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof own_classes / sizeof own_classes[0]; i++)
		out[n++] = own_classes[i];
	for (size_t i = 0; cql2_conformance_classes[i] && n < OGC_MAX_CLASSES; i++)
		out[n++] = cql2_conformance_classes[i];
	for (size_t i = 0; i < sizeof later_classes / sizeof later_classes[0] && n < OGC_MAX_CLASSES; i++)
		out[n++] = later_classes[i];
	for (size_t i = 0; editing && i < sizeof edit_classes / sizeof edit_classes[0] && n < OGC_MAX_CLASSES;
	     i++)
		out[n++] = edit_classes[i];
	return n;
}

/* The parsed value of parameter name when the route declares it and the
 * request gave it, else NULL. */
static const struct http_arg *given(const struct http_ctx *c, const char *name)
{
	for (size_t i = 0; c->spec && i < c->spec->n; i++)
		if (!strcmp(c->spec->v[i].name, name))
			return c->args[i].given ? &c->args[i] : NULL;
	return NULL;
}

/* Appends path, percent-encoding each segment (the route matched the
 * decoded path; a link must carry it encoded again). */
static void encode_path(struct buf *b, const char *path)
{
	struct buf seg = BUF_INIT;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if (n) {
			buf_reset(&seg);
			buf_append(&seg, p, n);
			http_url_encode(b, buf_str(&seg));
		}
		p += n;
		if (*p == '/')
			buf_putc(b, *p++);
	}
	buf_free(&seg);
}

bool ogc_filter(const struct http_ctx *c, struct http_response *r, enum coordsys cs, struct cql2 **out)
{
	*out = NULL;
	const struct http_arg *text = http_arg(c, "filter");
	if (!text->given)
		return true;
	struct feat_filter_opts o = {
	    .lang = http_arg(c, "filter-lang")->i == HTTP_FILTER_LANG_JSON ? CQL2_JSON : CQL2_TEXT, .cs = cs};
	ogc_crs_lookup(http_arg(c, "filter-crs")->text, &o.lat_first);
	struct ms_error err = {0};
	if (feat_filter_parse(text->text, strlen(text->text), &o, out, &err) != MS_OK) {
		http_problem_from_error(r, &err);
		return false;
	}
	return true;
}

enum ogc_repr ogc_negotiate(const struct http_ctx *c, struct http_response *r, const char *json_type)
{
	const struct http_arg *f = given(c, "f");
	http_add_header(r, "Vary", given(c, "lang") ? "Accept" : "Accept, Accept-Language");
	if (f)
		return !strcmp(f->text, "html") ? OGC_HTML : !strcmp(f->text, "csv") ? OGC_CSV : OGC_JSON;
	return accept_prefers_html(http_header(c, "Accept"), json_type) ? OGC_HTML : OGC_JSON;
}

void ogc_self_url(const struct http_ctx *c, struct buf *b, const char *const *drop, const char *key,
                  const char *value)
{
	buf_puts(b, c->base_url);
	encode_path(b, c->path);
	bool first = true;
	for (int i = 0; i < c->nparams; i++) {
		bool skip = key && !strcmp(c->params[i].key, key);
		for (size_t k = 0; drop && drop[k] && !skip; k++)
			skip = !strcmp(c->params[i].key, drop[k]);
		if (skip)
			continue;
		buf_putc(b, first ? '?' : '&');
		first = false;
		http_url_encode(b, c->params[i].key);
		buf_putc(b, '=');
		http_url_encode(b, c->params[i].value);
	}
	if (key) {
		buf_putc(b, first ? '?' : '&');
		http_url_encode(b, key);
		buf_putc(b, '=');
		http_url_encode(b, value);
	}
}

void ogc_css_url(const struct http_ctx *c, struct buf *b)
{
	const struct web_asset *a = web_asset_find(PAGES_CSS);
	buf_printf(b, "%s%s", c->base_url, PAGES_CSS);
	if (a) /* the ETag without its quotes is the version web_asset_versioned knows */
		buf_printf(b, "?v=%.*s", (int)strlen(a->etag) - 2, a->etag + 1);
}

void ogc_page_init(struct ogc_page *p, const struct http_ctx *c, const char *json_type)
{
	memset(p, 0, sizeof *p);
	const struct http_arg *lang = given(c, "lang");
	p->pc.lang = lang ? (enum pages_lang)lang->i
	                  : (enum pages_lang)accept_pick_language(http_header(c, "Accept-Language"),
	                                                          pages_lang_primary, PAGES_NLANGS);
	static const char *const page_params[] = {"f", "lang", NULL};
	ogc_self_url(c, &p->json_url, page_params, "f", "json");
	ogc_self_url(c, &p->other_url, page_params, "lang",
	             pages_lang_tags[p->pc.lang == PAGES_EN ? PAGES_ZH : PAGES_EN]);
	/* the other language's page is still the HTML one */
	buf_puts(&p->other_url, "&f=html");
	ogc_css_url(c, &p->css_url);
	p->pc.base_url = c->base_url;
	p->pc.css_url = buf_str(&p->css_url);
	p->pc.json_url = buf_str(&p->json_url);
	p->pc.json_type = json_type;
	p->pc.other_lang_url = buf_str(&p->other_url);
}

void ogc_page_free(struct ogc_page *p)
{
	buf_free(&p->json_url);
	buf_free(&p->other_url);
	buf_free(&p->css_url);
}

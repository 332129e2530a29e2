/*
 * h_items.c - /collections/sites/items and /collections/sites/items/{id}
 * (OGC API - Features Part 1 §7.15-7.16, Part 2 for crs and bbox-crs,
 * Part 3 for filter, Part 8 (draft) for sortby), with the coordsys
 * vendor parameter of DESIGN.md.
 *
 * The items are GeoJSON, a CSV table (the columns of `mapsvc export`,
 * with a byte order mark so that spreadsheet programs read the Chinese
 * as UTF-8) or an HTML page; a site is GeoJSON or its own page, whose
 * address is the feature's permanent one.  Pages always show WGS-84
 * positions and say so; crs and coordsys shape the GeoJSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cql2/cql2.h"
#include "../features/features.h"
#include "../geo/webmerc.h"
#include "../ingest/ingest.h"
#include "../route/overlay.h"
#include "../route/route.h"
#include "../util/jsonw.h"
#include "../util/mem.h"
#include "handlers.h"
#include "ogc.h"

/* The most matches a page may skip: far more than any dataset here, and a
 * bound on the work a request asks for. */
#define ITEMS_OFFSET_MAX 1000000000
/* RFC 4180 with RFC 7111's header parameter; UTF-8 with a byte order mark,
 * without which spreadsheet programs read the text in a legacy code page. */
#define CSV_TYPE "text/csv; charset=utf-8; header=present"
#define UTF8_BOM "\xEF\xBB\xBF"
/* The items map's margin around the page's sites, a fraction of their
 * span, and at least this much (degrees): one site gets a neighbourhood. */
#define ITEMS_MAP_MARGIN 0.1
#define ITEMS_MAP_MIN_MARGIN_DEG 0.005
/* A site's map: not closer than a street, not farther than a province. */
#define SITE_MAP_MIN_ZOOM 5
#define SITE_MAP_MAX_ZOOM 16

_Static_assert(HTTP_MAX_SORT_KEYS == FEAT_MAX_SORT_KEYS, "a parsed sortby fits the engine's keys");

#define SPEC_CRS                                                                                             \
	HTTP_SPEC_CRS("crs", "CRS of the answer; EPSG:4326 and 4490 give [lat, lon] positions (OGC API - "   \
	                     "Features Part 2).")

static const struct http_pspec items_specs[] = {
    HTTP_SPEC_COLLECTION,
    {.name = "bbox",
     .type = HTTP_T_BBOX,
     .desc = "minx,miny,maxx,maxy in bbox-crs axis order (CRS84: lon,lat)."},
    HTTP_SPEC_CRS("bbox-crs", "CRS of bbox (OGC API - Features Part 2)."),
    {.name = "datetime",
     .type = HTTP_T_DATETIME,
     .desc =
         "An instant or an interval (OGC API - Features Part 1).  The sites carry no times yet, so every "
         "site has no temporal extent and the parameter selects nothing away; a malformed value is a 400."},
    {.name = "limit",
     .type = HTTP_T_INT,
     .min = 1,
     .max = FEAT_LIMIT_MAX,
     .flags = HTTP_PF_CLAMP,
     .def = HTTP_STR(FEAT_LIMIT_DEFAULT),
     .desc = "Page size; values above " HTTP_STR(FEAT_LIMIT_MAX) " are clamped."},
    {.name = "offset",
     .type = HTTP_T_INT,
     .min = 0,
     .max = ITEMS_OFFSET_MAX,
     .def = "0",
     .desc = "Matches to skip."},
    HTTP_SPEC_CATEGORY,
    {.name = "q", .type = HTTP_T_STRING, .desc = "Substring of name_zh or name_en (ASCII case-insensitive)."},
    HTTP_SPEC_OPEN_AT,
    HTTP_SPEC_FILTER,
    {.name = "sortby",
     .type = HTTP_T_SORT,
     .min = 1,
     .max = FEAT_MAX_SORT_KEYS,
     .values = feat_sortables,
     .desc = "Sort keys, e.g. +name_zh,-category (see /sortables); ties in id order."},
    SPEC_CRS,
    HTTP_SPEC_COORDSYS,
    {.name = "f",
     .type = HTTP_T_ENUM,
     .values = http_f_items_values,
     .desc = "Output format: json or geojson (GeoJSON), html (a page), csv (the columns of mapsvc export, "
             "UTF-8 with a byte order mark).  Without it, HTML when Accept prefers text/html."},
    HTTP_SPEC_LANG,
};
static const struct http_pspec item_specs[] = {
    HTTP_SPEC_COLLECTION,
    {.name = "featureId", .in = HTTP_IN_PATH, .type = HTTP_T_STRING, .required = true, .desc = "A site id."},
    SPEC_CRS,
    HTTP_SPEC_COORDSYS,
    {.name = "f",
     .type = HTTP_T_ENUM,
     .values = http_f_item_values,
     .desc = "Output format: json or geojson, or html (the site's page).  Without it, HTML when Accept "
             "prefers text/html."},
    HTTP_SPEC_LANG,
};
const struct http_params h_items_params = HTTP_PARAMS(items_specs);
const struct http_params h_item_params = HTTP_PARAMS(item_specs);

/* The output options common to both routes: crs (Part 2) and coordsys. */
static void output_options(const struct http_ctx *c, struct feat_write_opts *o, const char **crs_uri)
{
	o->cs = (enum coordsys)http_arg(c, "coordsys")->i;
	*crs_uri = ogc_crs_lookup(http_arg(c, "crs")->text, &o->lat_first);
}

static void add_content_crs(struct http_response *r, const char *uri)
{
	/* OGC API - Features Part 2 §6.2: the URI in angle brackets. */
	char v[128];
	snprintf(v, sizeof v, "<%s>", uri);
	http_add_header(r, "Content-Crs", v);
}

static void rfc3339_now(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The URL of this request with offset set (NULL: removed). */
static void page_url(const struct http_ctx *c, struct buf *b, const char *offset)
{
	if (offset) {
		ogc_self_url(c, b, NULL, "offset", offset);
	} else {
		static const char *const drop[] = {"offset", NULL};
		ogc_self_url(c, b, drop, NULL, NULL);
	}
}

/* A link to this route with the request's parameters and offset set. */
static void page_link(struct jsonw *w, const struct http_ctx *c, const char *rel, const char *offset,
                      const char *f, const char *type)
{
	struct buf href = BUF_INIT;
	if (f) {
		static const char *const drop[] = {"offset", "lang", NULL};
		struct buf tmp = BUF_INIT;
		ogc_self_url(c, &tmp, drop, "f", f);
		buf_puts(&href, buf_str(&tmp));
		if (offset)
			buf_printf(&href, "&offset=%s", offset);
		buf_free(&tmp);
	} else {
		page_url(c, &href, offset);
	}
	jw_object_begin(w);
	jw_key(w, "href");
	jw_string(w, buf_str(&href));
	jw_key(w, "rel");
	jw_string(w, rel);
	jw_key(w, "type");
	jw_string(w, type);
	jw_object_end(w);
	buf_free(&href);
}

/* The query of the request, as the engine takes it; false after a 400. */
static bool items_query(struct http_ctx *c, struct http_response *r, enum coordsys cs, struct feat_query *q,
                        struct feat_sort_key keys[FEAT_MAX_SORT_KEYS])
{
	*q = (struct feat_query){.cs = cs};
	q->limit = (size_t)http_arg(c, "limit")->i;
	q->offset = (size_t)http_arg(c, "offset")->i;
	q->categories = (feat_catmask)http_arg(c, "category")->mask;
	const struct http_arg *v = http_arg(c, "q");
	if (v->given && *v->text)
		q->q = v->text;
	const struct http_arg *open_at = http_arg(c, "open_at");
	if ((q->has_open_at = open_at->given))
		q->open_at = (time_t)open_at->v[0];
	bool bbox_lat_first = false;
	ogc_crs_lookup(http_arg(c, "bbox-crs")->text, &bbox_lat_first);
	const double *b = http_arg(c, "bbox")->v;
	if ((q->has_bbox = http_arg(c, "bbox")->given)) {
		if (bbox_lat_first) /* Part 2 §6.3: the axis order of bbox-crs */
			q->south = b[0], q->west = b[1], q->north = b[2], q->east = b[3];
		else
			q->west = b[0], q->south = b[1], q->east = b[2], q->north = b[3];
	}
	const struct http_arg *sortby = http_arg(c, "sortby");
	for (size_t k = 0; sortby->given && k < sortby->n; k++)
		keys[k] = (struct feat_sort_key){sortby->sort[k].key, sortby->sort[k].desc};
	q->sort = keys;
	q->nsort = sortby->given ? sortby->n : 0;
	struct cql2 *filter;
	if (!ogc_filter(c, r, cs, &filter))
		return false;
	q->filter = filter;
	return true;
}

static void items_json(struct http_ctx *c, struct http_response *r, const struct feat_query *q,
                       const struct feat_page *page)
{
	struct feat_write_opts o;
	const char *crs_uri;
	output_options(c, &o, &crs_uri);
	char ts[32];
	rfc3339_now(ts, sizeof ts);
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "type");
	jw_string(&w, "FeatureCollection");
	jw_key(&w, "numberMatched");
	jw_int(&w, (int64_t)page->matched);
	jw_key(&w, "numberReturned");
	jw_int(&w, (int64_t)page->n);
	jw_key(&w, "timeStamp");
	jw_string(&w, ts);
	jw_key(&w, "links");
	jw_array_begin(&w);
	char off[24];
	snprintf(off, sizeof off, "%zu", q->offset);
	const char *self_off = http_arg(c, "offset")->given ? off : NULL;
	page_link(&w, c, "self", self_off, NULL, "application/geo+json");
	page_link(&w, c, "alternate", self_off, "html", "text/html");
	page_link(&w, c, "alternate", self_off, "csv", "text/csv");
	if (q->offset + page->n < page->matched) {
		snprintf(off, sizeof off, "%zu", q->offset + page->n);
		page_link(&w, c, "next", off, NULL, "application/geo+json");
	}
	if (q->offset > 0) {
		snprintf(off, sizeof off, "%zu", q->offset > q->limit ? q->offset - q->limit : 0);
		page_link(&w, c, "prev", off, NULL, "application/geo+json");
	}
	ogc_link(&w, c, "/collections/" SITES_COLLECTION, "collection", "application/json", "The collection");
	jw_array_end(&w);
	jw_key(&w, "features");
	jw_array_begin(&w);
	for (size_t i = 0; i < page->n; i++)
		feat_write_feature(&w, &c->snap->sites[page->idx[i]], &o, NULL);
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->content_type = "application/geo+json";
	add_content_crs(r, crs_uri);
}

/* A neighbouring page of a CSV answer as an RFC 8288 link-value, appended
 * to v (one Link header holds both, comma-separated). */
static void csv_link(const struct http_ctx *c, struct buf *v, const char *rel, size_t offset)
{
	char off[24];
	snprintf(off, sizeof off, "%zu", offset);
	struct buf url = BUF_INIT;
	page_url(c, &url, off);
	buf_printf(v, "%s<%s>; rel=\"%s\"; type=\"text/csv\"", v->len ? ", " : "", buf_str(&url), rel);
	buf_free(&url);
}

static void items_csv(struct http_ctx *c, struct http_response *r, const struct feat_query *q,
                      const struct feat_page *page)
{
	if (q->cs != COORDSYS_WGS84) {
		http_problem(r, 400,
		             "coordsys: the CSV has the lat and lon of the export, WGS-84 only; use "
		             "f=json for %s",
		             coordsys_name(q->cs));
		return;
	}
	buf_puts(&r->body, UTF8_BOM);
	struct ms_error err = {0};
	if (ingest_export_csv_sites(c->snap->sites, page->idx, page->n, &r->body, &err) != MS_OK) {
		http_problem_from_error(r, &err);
		return;
	}
	r->content_type = CSV_TYPE;
	http_add_header(r, "Content-Disposition", "attachment; filename=\"sites.csv\"");
	struct buf links = BUF_INIT;
	if (q->offset + page->n < page->matched)
		csv_link(c, &links, "next", q->offset + page->n);
	if (q->offset > 0)
		csv_link(c, &links, "prev", q->offset > q->limit ? q->offset - q->limit : 0);
	if (links.len)
		http_add_header(r, "Link", buf_str(&links));
	buf_free(&links);
}

/* The URL of a site's page, lang kept when the request chose it. */
static void site_url(const struct http_ctx *c, struct buf *b, const struct site *s)
{
	buf_printf(b, "%s/collections/" SITES_COLLECTION "/items/", c->base_url);
	http_url_encode(b, site_field(s, SITE_ID));
	const struct http_arg *lang = http_arg(c, "lang");
	if (lang->given)
		buf_printf(b, "?lang=%s", pages_lang_tags[lang->i]);
}

/* A static map of the page's sites, numbered in table order. */
static void items_map_url(const struct http_ctx *c, struct buf *b, const struct feat_page *page)
{
	double w = 180, s = 90, e = -180, n = -90;
	for (size_t i = 0; i < page->n; i++) {
		const struct site *st = &c->snap->sites[page->idx[i]];
		w = fmin(w, st->lon), e = fmax(e, st->lon);
		s = fmin(s, st->lat), n = fmax(n, st->lat);
	}
	double mx = fmax((e - w) * ITEMS_MAP_MARGIN, ITEMS_MAP_MIN_MARGIN_DEG);
	double my = fmax((n - s) * ITEMS_MAP_MARGIN, ITEMS_MAP_MIN_MARGIN_DEG);
	w = fmax(w - mx, -180), e = fmin(e + mx, 180);
	s = fmax(s - my, -WEBMERC_MAX_LAT), n = fmin(n + my, WEBMERC_MAX_LAT);
	buf_printf(b, "%s/staticmap.png?bbox=%.6f,%.6f,%.6f,%.6f&width=%d&height=%d", c->base_url, w, s, e, n,
	           PAGES_ITEMS_MAP_W, PAGES_ITEMS_MAP_H);
	if (page->n > ROUTE_MAX_STOPS)
		return; /* more than the map numbers: the sites are on its tiles anyway */
	buf_puts(b, "&line=0&markers=");
	for (size_t i = 0; i < page->n; i++) {
		const struct site *st = &c->snap->sites[page->idx[i]];
		buf_printf(b, "%s%.6f%%2C%.6f", i ? "%7C" : "", st->lat, st->lon);
	}
}

static void items_html(struct http_ctx *c, struct http_response *r, const struct feat_query *q,
                       const struct feat_page *page)
{
	const struct site **sites = xcalloc(page->n + 1, sizeof *sites);
	const char **urls = xcalloc(page->n + 1, sizeof *urls);
	struct buf *url_bufs = xcalloc(page->n + 1, sizeof *url_bufs);
	struct buf map = BUF_INIT, prev = BUF_INIT, next = BUF_INIT, coll = BUF_INIT, geojson = BUF_INIT,
	           csv = BUF_INIT, html = BUF_INIT;
	for (size_t i = 0; i < page->n; i++) {
		sites[i] = &c->snap->sites[page->idx[i]];
		site_url(c, &url_bufs[i], sites[i]);
		urls[i] = buf_str(&url_bufs[i]);
	}
	if (page->n)
		items_map_url(c, &map, page);
	char off[24];
	if (q->offset + page->n < page->matched) {
		snprintf(off, sizeof off, "%zu", q->offset + page->n);
		page_url(c, &next, off);
	}
	if (q->offset > 0) {
		snprintf(off, sizeof off, "%zu", q->offset > q->limit ? q->offset - q->limit : 0);
		page_url(c, &prev, off);
	}
	buf_printf(&coll, "%s/collections/" SITES_COLLECTION "?f=html", c->base_url);
	static const char *const page_params[] = {"f", "lang", NULL};
	ogc_self_url(c, &geojson, page_params, "f", "json");
	ogc_self_url(c, &csv, page_params, "f", "csv");
	const struct pages_link downloads[] = {
	    {buf_str(&geojson), "GeoJSON", "GeoJSON", "application/geo+json"},
	    {buf_str(&csv), "CSV 表格（Excel 可直接打开）", "CSV (opens in Excel)", "text/csv"},
	};
	struct pages_items it = {
	    .sites = sites,
	    .site_urls = urls,
	    .n = page->n,
	    .matched = page->matched,
	    .offset = q->offset,
	    .map_url = map.len ? buf_str(&map) : NULL,
	    .prev_url = prev.len ? buf_str(&prev) : NULL,
	    .next_url = next.len ? buf_str(&next) : NULL,
	    .collection_url = buf_str(&coll),
	    .downloads = downloads,
	    .ndownloads = sizeof downloads / sizeof downloads[0],
	};
	struct ogc_page p;
	ogc_page_init(&p, c, "application/geo+json");
	pages_items(&html, &p.pc, &it);
	ogc_page_free(&p);
	buf_free(&r->body);
	r->body = html;
	r->content_type = OGC_HTML_TYPE;
	for (size_t i = 0; i < page->n; i++)
		buf_free(&url_bufs[i]);
	free(url_bufs);
	free(urls);
	free(sites);
	buf_free(&map);
	buf_free(&prev);
	buf_free(&next);
	buf_free(&coll);
	buf_free(&geojson);
	buf_free(&csv);
}

void h_items(struct http_ctx *c, struct http_response *r)
{
	enum ogc_repr repr = ogc_negotiate(c, r, "application/geo+json");
	struct feat_query q;
	struct feat_sort_key keys[FEAT_MAX_SORT_KEYS];
	if (!items_query(c, r, (enum coordsys)http_arg(c, "coordsys")->i, &q, keys))
		return;
	/* datetime was checked by its table; no site has a time to test it on */
	struct ms_error err = {0};
	struct feat_page page;
	if (feat_items(c->snap, &q, &page, &err)) {
		http_problem_from_error(r, &err);
		cql2_free((struct cql2 *)q.filter);
		return;
	}
	switch (repr) {
	case OGC_JSON: items_json(c, r, &q, &page); break;
	case OGC_CSV: items_csv(c, r, &q, &page); break;
	case OGC_HTML: items_html(c, r, &q, &page); break;
	}
	feat_page_free(&page);
	cql2_free((struct cql2 *)q.filter);
}

/* --- one site ------------------------------------------------------------ */

static void item_json(struct http_ctx *c, struct http_response *r, const struct site *s)
{
	struct feat_write_opts o;
	const char *crs_uri;
	output_options(c, &o, &crs_uri);
	struct jsonw w;
	jw_init(&w, &r->body);
	feat_write_feature(&w, s, &o, NULL);
	/* Part 1 §7.16.2: a feature links to itself and its collection; the
	 * writer closed the object, so reopen it for one more member. */
	r->body.len--;
	buf_puts(&r->body, ",\"links\":");
	struct jsonw lw;
	jw_init(&lw, &r->body);
	jw_array_begin(&lw);
	struct buf path = BUF_INIT;
	buf_puts(&path, "/collections/" SITES_COLLECTION "/items/");
	http_url_encode(&path, site_field(s, SITE_ID));
	ogc_link(&lw, c, buf_str(&path), "self", "application/geo+json", "This site");
	buf_puts(&path, "?f=html");
	ogc_link(&lw, c, buf_str(&path), "alternate", "text/html", "This site's page");
	buf_free(&path);
	ogc_link(&lw, c, "/collections/" SITES_COLLECTION, "collection", "application/json",
	         "The collection");
	jw_array_end(&lw);
	buf_puts(&r->body, "}\n");
	r->content_type = "application/geo+json";
	add_content_crs(r, crs_uri);
}

/* A static map of the site, at a zoom that shows its uncertainty. */
static void site_map_url(const struct http_ctx *c, struct buf *b, const struct site *s, int w, int h)
{
	int max = (int)c->cfg->max_zoom < SITE_MAP_MAX_ZOOM ? (int)c->cfg->max_zoom : SITE_MAP_MAX_ZOOM;
	int zoom = pages_site_map_zoom(s->lat, site_uncertainty(s),
	                               SITE_MAP_MIN_ZOOM < max ? SITE_MAP_MIN_ZOOM : max, max);
	buf_printf(b, "%s/staticmap.png?center=%.6f%%2C%.6f&zoom=%d&width=%d&height=%d", c->base_url, s->lat,
	           s->lon, zoom, w, h);
}

static void item_html(struct http_ctx *c, struct http_response *r, const struct site *s)
{
	struct buf url = BUF_INIT, map = BUF_INIT, card = BUF_INIT, coll = BUF_INIT, html = BUF_INIT;
	buf_printf(&url, "%s/collections/" SITES_COLLECTION "/items/", c->base_url);
	http_url_encode(&url, site_field(s, SITE_ID));
	site_map_url(c, &map, s, PAGES_SITE_MAP_W, PAGES_SITE_MAP_H);
	site_map_url(c, &card, s, PAGES_CARD_W, PAGES_CARD_H);
	buf_printf(&coll, "%s/collections/" SITES_COLLECTION "/items?f=html", c->base_url);
	struct pages_site ps = {
	    .s = s,
	    .url = buf_str(&url),
	    .map_url = buf_str(&map),
	    .image_url = buf_str(&card),
	    .image_width = PAGES_CARD_W,
	    .image_height = PAGES_CARD_H,
	    .collection_url = buf_str(&coll),
	    .hours = snapshot_hours(c->snap, (size_t)(s - c->snap->sites)),
	    .now = time(NULL),
	};
	struct ogc_page p;
	ogc_page_init(&p, c, "application/geo+json");
	pages_site(&html, &p.pc, &ps);
	ogc_page_free(&p);
	buf_free(&r->body);
	r->body = html;
	r->content_type = OGC_HTML_TYPE;
	buf_free(&url);
	buf_free(&map);
	buf_free(&card);
	buf_free(&coll);
}

void h_item(struct http_ctx *c, struct http_response *r)
{
	enum ogc_repr repr = ogc_negotiate(c, r, "application/geo+json");
	const char *id = http_arg(c, "featureId")->text;
	const struct site *s = snapshot_find(c->snap, id);
	if (!s) {
		http_problem(r, 404, "no site with id '%.200s' in collection '" SITES_COLLECTION "'", id);
		return;
	}
	if (repr == OGC_HTML)
		item_html(c, r, s);
	else
		item_json(c, r, s);
	r->cacheable = true;
	h_item_etag(r, s); /* what a write's If-Match names (h_edit.c) */
}

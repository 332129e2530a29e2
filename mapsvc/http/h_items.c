/*
 * h_items.c - /collections/sites/items and /collections/sites/items/{id}
 * (OGC API - Features Part 1 §7.15-7.16, Part 2 for crs and bbox-crs),
 * with the coordsys vendor parameter of DESIGN.md.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../features/features.h"
#include "../util/jsonw.h"
#include "handlers.h"
#include "ogc.h"

/* The most matches a page may skip: far more than any dataset here, and a
 * bound on the work a request asks for. */
#define ITEMS_OFFSET_MAX 1000000000

#define SPEC_CRS                                                                                             \
	HTTP_SPEC_CRS("crs", "CRS of the answer; EPSG:4326 and 4490 give [lat, lon] positions (OGC API - "   \
	                     "Features Part 2).")

static const struct http_pspec items_specs[] = {
    HTTP_SPEC_COLLECTION,
    {.name = "bbox",
     .type = HTTP_T_BBOX,
     .desc = "minx,miny,maxx,maxy in bbox-crs axis order (CRS84: lon,lat)."},
    HTTP_SPEC_CRS("bbox-crs", "CRS of bbox (OGC API - Features Part 2)."),
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
    SPEC_CRS,
    HTTP_SPEC_COORDSYS,
    HTTP_SPEC_F_GEOJSON,
};
static const struct http_pspec item_specs[] = {
    HTTP_SPEC_COLLECTION,
    {.name = "featureId", .in = HTTP_IN_PATH, .type = HTTP_T_STRING, .required = true, .desc = "A site id."},
    SPEC_CRS,
    HTTP_SPEC_COORDSYS,
    HTTP_SPEC_F_GEOJSON,
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

/* A link to this route with the request's parameters and offset set. */
static void page_link(struct jsonw *w, const struct http_ctx *c, const char *rel, const char *offset)
{
	struct buf href = BUF_INIT;
	buf_puts(&href, c->base_url);
	buf_puts(&href, c->path);
	http_query_with(c, &href, "offset", offset);
	jw_object_begin(w);
	jw_key(w, "href");
	jw_string(w, buf_str(&href));
	jw_key(w, "rel");
	jw_string(w, rel);
	jw_key(w, "type");
	jw_string(w, "application/geo+json");
	jw_object_end(w);
	buf_free(&href);
}

void h_items(struct http_ctx *c, struct http_response *r)
{
	struct feat_write_opts o;
	const char *crs_uri;
	output_options(c, &o, &crs_uri);
	struct feat_query q = {.cs = o.cs};
	q.limit = (size_t)http_arg(c, "limit")->i;
	q.offset = (size_t)http_arg(c, "offset")->i;
	q.categories = (feat_catmask)http_arg(c, "category")->mask;
	const struct http_arg *v = http_arg(c, "q");
	if (v->given && *v->text)
		q.q = v->text;
	bool bbox_lat_first = false;
	ogc_crs_lookup(http_arg(c, "bbox-crs")->text, &bbox_lat_first);
	const double *b = http_arg(c, "bbox")->v;
	if ((q.has_bbox = http_arg(c, "bbox")->given)) {
		if (bbox_lat_first) /* Part 2 §6.3: the axis order of bbox-crs */
			q.south = b[0], q.west = b[1], q.north = b[2], q.east = b[3];
		else
			q.west = b[0], q.south = b[1], q.east = b[2], q.north = b[3];
	}

	struct ms_error err = {0};
	struct feat_page page;
	if (feat_items(c->snap, &q, &page, &err)) {
		http_problem_from_error(r, &err);
		return;
	}
	char ts[32];
	rfc3339_now(ts, sizeof ts);
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "type");
	jw_string(&w, "FeatureCollection");
	jw_key(&w, "numberMatched");
	jw_int(&w, (int64_t)page.matched);
	jw_key(&w, "numberReturned");
	jw_int(&w, (int64_t)page.n);
	jw_key(&w, "timeStamp");
	jw_string(&w, ts);
	jw_key(&w, "links");
	jw_array_begin(&w);
	{
		char off[24];
		snprintf(off, sizeof off, "%zu", q.offset);
		page_link(&w, c, "self", http_arg(c, "offset")->given ? off : NULL);
		if (q.offset + page.n < page.matched) {
			snprintf(off, sizeof off, "%zu", q.offset + page.n);
			page_link(&w, c, "next", off);
		}
		if (q.offset > 0) {
			snprintf(off, sizeof off, "%zu", q.offset > q.limit ? q.offset - q.limit : 0);
			page_link(&w, c, "prev", off);
		}
		ogc_link(&w, c, "/collections/" SITES_COLLECTION, "collection", "application/json",
		         "The collection");
	}
	jw_array_end(&w);
	jw_key(&w, "features");
	jw_array_begin(&w);
	for (size_t i = 0; i < page.n; i++)
		feat_write_feature(&w, &c->snap->sites[page.idx[i]], &o, NULL);
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	feat_page_free(&page);
	r->content_type = "application/geo+json";
	add_content_crs(r, crs_uri);
}

void h_item(struct http_ctx *c, struct http_response *r)
{
	struct feat_write_opts o;
	const char *crs_uri;
	output_options(c, &o, &crs_uri);
	const char *id = http_arg(c, "featureId")->text;
	const struct site *s = snapshot_find(c->snap, id);
	if (!s) {
		http_problem(r, 404, "no site with id '%.200s' in collection '" SITES_COLLECTION "'", id);
		return;
	}
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
	http_url_encode(&path, s->field[SITE_ID]);
	ogc_link(&lw, c, buf_str(&path), "self", "application/geo+json", "This site");
	buf_free(&path);
	ogc_link(&lw, c, "/collections/" SITES_COLLECTION, "collection", "application/json",
	         "The collection");
	jw_array_end(&lw);
	buf_puts(&r->body, "}\n");
	r->content_type = "application/geo+json";
	r->cacheable = true;
	add_content_crs(r, crs_uri);
}

/*
 * h_items.c - /collections/sites/items and /collections/sites/items/{id}
 * (OGC API - Features Part 1 §7.15-7.16, Part 2 for crs and bbox-crs),
 * with the coordsys vendor parameter of DESIGN.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../features/features.h"
#include "../util/jsonw.h"
#include "handlers.h"
#include "ogc.h"

/* Parses a whole decimal integer in [0, max]; "clamp" saturates values
 * above max instead of refusing them. */
static bool parse_count(const char *s, unsigned long max, bool clamp, unsigned long *out)
{
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return false;
	errno = 0;
	unsigned long v = strtoul(s, NULL, 10);
	if (errno == ERANGE || v > max) {
		if (!clamp)
			return false;
		v = max;
	}
	*out = v;
	return true;
}

/* The output options common to both routes: crs (Part 2) and coordsys. */
static bool parse_output(const struct http_ctx *c, struct http_response *r, struct feat_write_opts *o,
			 const char **crs_uri)
{
	o->cs = COORDSYS_WGS84;
	o->lat_first = false;
	*crs_uri = CRS_CRS84;
	const char *v = http_param(c, "crs");
	if (v && !(*crs_uri = ogc_crs_lookup(v, &o->lat_first))) {
		http_problem(r, 400, "crs: unsupported '%.200s' (supported: " CRS_CRS84 ", " CRS_EPSG4326 ", " CRS_EPSG4490 ")",
			     v);
		return false;
	}
	v = http_param(c, "coordsys");
	if (v) {
		int cs = coordsys_parse(v);
		if (cs < 0) {
			http_problem(r, 400, "coordsys: unknown '%.50s' (expected wgs84, gcj02, bd09 or cgcs2000)", v);
			return false;
		}
		o->cs = (enum coordsys)cs;
	}
	return true;
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
	static const char *const allowed[] = {"f",	"bbox", "bbox-crs", "limit",	"offset",
					      "category", "q",    "crs",      "coordsys", NULL};
	if (!ogc_collection_known(c, r) || !http_check_params(c, r, allowed) || !ogc_check_f(c, r, "geojson"))
		return;
	struct feat_write_opts o;
	const char *crs_uri;
	if (!parse_output(c, r, &o, &crs_uri))
		return;

	struct feat_query q = {.cs = o.cs, .limit = FEAT_LIMIT_DEFAULT};
	unsigned long n;
	const char *v;
	if ((v = http_param(c, "limit"))) {
		if (!parse_count(v, FEAT_LIMIT_MAX, true, &n) || n < 1) {
			http_problem(r, 400, "limit: '%.50s' is not a whole number >= 1 (above %d it is clamped)", v,
				     FEAT_LIMIT_MAX);
			return;
		}
		q.limit = n;
	}
	if ((v = http_param(c, "offset"))) {
		if (!parse_count(v, 1000000000ul, false, &n)) {
			http_problem(r, 400, "offset: '%.50s' is not a whole number in 0..1000000000", v);
			return;
		}
		q.offset = n;
	}
	struct ms_error err = {0};
	if ((v = http_param(c, "category")) && feat_parse_categories(v, &q.categories, &err)) {
		http_problem_from_error(r, &err);
		return;
	}
	if ((v = http_param(c, "q")) && *v)
		q.q = v;
	const char *bbox_crs = http_param(c, "bbox-crs");
	bool bbox_lat_first = false;
	if (bbox_crs && !ogc_crs_lookup(bbox_crs, &bbox_lat_first)) {
		http_problem(r, 400, "bbox-crs: unsupported '%.200s' (supported: " CRS_CRS84 ", " CRS_EPSG4326
				     ", " CRS_EPSG4490 ")",
			     bbox_crs);
		return;
	}
	if ((v = http_param(c, "bbox"))) {
		double b[4];
		if (feat_parse_bbox(v, b, &err)) {
			http_problem_from_error(r, &err);
			return;
		}
		q.has_bbox = true;
		if (bbox_lat_first) /* Part 2 §6.3: the axis order of bbox-crs */
			q.south = b[0], q.west = b[1], q.north = b[2], q.east = b[3];
		else
			q.west = b[0], q.south = b[1], q.east = b[2], q.north = b[3];
	}

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
		page_link(&w, c, "self", q.offset || http_param(c, "offset") ? off : NULL);
		if (q.offset + page.n < page.matched) {
			snprintf(off, sizeof off, "%zu", q.offset + page.n);
			page_link(&w, c, "next", off);
		}
		if (q.offset > 0) {
			snprintf(off, sizeof off, "%zu", q.offset > q.limit ? q.offset - q.limit : 0);
			page_link(&w, c, "prev", off);
		}
		ogc_link(&w, c, "/collections/" SITES_COLLECTION, "collection", "application/json", "The collection");
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
	static const char *const allowed[] = {"f", "crs", "coordsys", NULL};
	if (!ogc_collection_known(c, r) || !http_check_params(c, r, allowed) || !ogc_check_f(c, r, "geojson"))
		return;
	struct feat_write_opts o;
	const char *crs_uri;
	if (!parse_output(c, r, &o, &crs_uri))
		return;
	const char *id = c->captures[1];
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
	ogc_link(&lw, c, "/collections/" SITES_COLLECTION, "collection", "application/json", "The collection");
	jw_array_end(&lw);
	buf_puts(&r->body, "}\n");
	r->content_type = "application/geo+json";
	r->cacheable = true;
	add_content_crs(r, crs_uri);
}

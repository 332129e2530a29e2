/*
 * h_tiles.c - GET /tiles/[{style}/]{z}/{x}/{y}[@2x].png and TileJSON 3.0.0
 * at /tiles.json and /tiles/{style}.json.
 *
 * A tile request parses the address and asks the map service for the
 * bytes (mapservice_tile: the cache, single flight, the render on a miss),
 * in the request's generation, so the tile and its ETag always belong to
 * one (data, style) pair.  Cached bytes go to the client without a copy:
 * the response points into the cache's reference-counted blob, released
 * when libmicrohttpd is done with it.  The ETag is the service's tag of
 * the tile's address and versions, not a hash of its bytes, so a 304
 * costs no render.
 *
 * filter= (CQL2, as on the items, as pg_tileserv takes it) draws only the
 * sites it selects, clustered among themselves: they are selected once per
 * filter and generation into a subset of the generation's tile map
 * (render/tile.h), found again by the filter's canonical text, which is
 * also part of the cache key and of the ETag, so that one filter however
 * written (text or JSON, any spacing) shares its tiles.  A filter that
 * selects more than TILES_FILTER_MAX_SITES sites, but not all of them, is
 * refused with a 400 that says so: its first tiles would cost a hierarchy
 * of that size, and the map's cache of subsets could not keep it.
 *
 * Versioned tiles.  TileJSON and the map page name tiles by URLs that hold
 * the data's and the style's versions, /tiles/{style}/{data}-{style
 * version}/{z}/{x}/{y}.png (and the OGC API - Tiles templates the same
 * versions as ?v=): the bytes behind such a URL never change, so they are
 * served "public, max-age=31536000, immutable" (RFC 8246) and any CDN
 * keeps them for a year; a reload changes the versions and so the URLs,
 * and nothing needs purging.  A style that draws no sites (context.json)
 * has data version 0: its tiles do not change with the sites, and their
 * URLs outlive an edit.  URLs without a version keep --max-age.
 * An old version's URL - a page or a TileJSON fetched before a reload -
 * is answered with a 302 to the same tile in the current version, itself
 * cacheable only for TILES_REDIRECT_MAX_AGE: the server keeps one
 * generation, so it cannot answer the old bytes, and must never answer
 * new bytes under the old URL; a redirect keeps old pages showing tiles
 * (a 404 would leave holes until they reload) while their URLs' bytes
 * stay what they were, and expires soon enough for the next reload.  A
 * version that is not two 16-digit hexadecimal numbers names nothing:
 * 404.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../geo/geo.h"
#include "../geo/webmerc.h"
#include "../features/filter.h"
#include "../mapservice/mapservice.h"
#include "../util/jsonw.h"
#include "handlers.h"
#include "ogc.h"

/* The most sites a filtered tile draws (see the top comment). */
#define TILES_FILTER_MAX_SITES 500000
/* A versioned tile's answer, and a stale version's redirect (seconds). */
#define TILES_IMMUTABLE "public, max-age=31536000, immutable"
#define TILES_REDIRECT_MAX_AGE 60
#define TILES_VERSION_DIGITS 16

#define SPEC_STYLE                                                                                           \
	{                                                                                                    \
		.name = "style", .in = HTTP_IN_PATH, .type = HTTP_T_STRING, .required = true,                \
		.desc = "A style in the styles folder."                                                      \
	}
#define SPEC_ZXY                                                                                             \
	{.name = "z",                                                                                        \
	 .in = HTTP_IN_PATH,                                                                                 \
	 .type = HTTP_T_INT,                                                                                 \
	 .required = true,                                                                                   \
	 .min = 0,                                                                                           \
	 .max = WEBMERC_MAX_ZOOM,                                                                            \
	 .flags = HTTP_PF_MAX_ZOOM,                                                                          \
	 .desc = "Zoom level."},                                                                             \
	    {.name = "x",                                                                                    \
	     .in = HTTP_IN_PATH,                                                                             \
	     .type = HTTP_T_INT,                                                                             \
	     .required = true,                                                                               \
	     .min = 0,                                                                                       \
	     .max = (1 << WEBMERC_MAX_ZOOM) - 1,                                                             \
	     .desc = "Tile column, 0 at the west."},                                                         \
	{                                                                                                    \
		.name = "y", .in = HTTP_IN_PATH, .type = HTTP_T_INT, .required = true, .min = 0,             \
		.max = (1 << WEBMERC_MAX_ZOOM) - 1, .desc = "Tile row, 0 at the north (XYZ)."                \
	}
#define SPEC_COORDSYS                                                                                        \
	HTTP_SPEC_MAP_COORDSYS(                                                                              \
	    "Vendor parameter: gcj02 aligns the tiles with GCJ-02 basemaps (AMap, Tencent).")

#define SPEC_VERSION                                                                                         \
	{                                                                                                    \
		.name = "version", .in = HTTP_IN_PATH, .type = HTTP_T_STRING, .required = true,              \
		.desc = "The data and style versions, as TileJSON names them: a tile of the current ones "   \
		        "is immutable; an old one redirects to the current."                                 \
	}

static const struct http_pspec tile_specs[] = {SPEC_ZXY, SPEC_COORDSYS, HTTP_SPEC_FILTER};
static const struct http_pspec tile_versioned_specs[] = {SPEC_STYLE, SPEC_VERSION, SPEC_ZXY, SPEC_COORDSYS,
                                                         HTTP_SPEC_FILTER};
static const struct http_pspec tile_style_specs[] = {SPEC_STYLE, SPEC_ZXY, SPEC_COORDSYS, HTTP_SPEC_FILTER};
static const struct http_pspec tilejson_specs[] = {SPEC_COORDSYS};
static const struct http_pspec tilejson_style_specs[] = {SPEC_STYLE, SPEC_COORDSYS};
const struct http_params h_tile_params = HTTP_PARAMS(tile_specs);
const struct http_params h_tile_style_params = HTTP_PARAMS(tile_style_specs);
const struct http_params h_tile_versioned_params = HTTP_PARAMS(tile_versioned_specs);
const struct http_params h_tilejson_params = HTTP_PARAMS(tilejson_specs);
const struct http_params h_tilejson_style_params = HTTP_PARAMS(tilejson_style_specs);

static void release_blob(void *p)
{
	tcache_blob_release(p);
}

/* The server keeps its prepared answer for a cached tile on the tile's
 * blob (every request for one cache entry gets the same bytes and
 * headers), and it goes when the entry is evicted. */
static void *blob_aux(void *blob)
{
	return tcache_blob_aux(blob);
}

static void *blob_attach(void *blob, void *aux, void (*free_fn)(void *))
{
	return tcache_blob_attach(blob, aux, free_fn);
}

/* The sites a filter selects (tile_subset_fn), refused beyond
 * TILES_FILTER_MAX_SITES unless they are all of them. */
static enum ms_status select_sites(void *arg, const struct snapshot *snap, uint32_t **idx, size_t *n,
                                   struct ms_error *err)
{
	struct feat_page page;
	feat_filter_select(snap, arg, &page, NULL);
	if (page.n > TILES_FILTER_MAX_SITES && page.n < snap->n) {
		feat_page_free(&page);
		return ms_fail(
		    err, MS_EUSAGE,
		    "filter: selects %zu of the %zu sites; a filtered tile draws at most %d (narrow "
		    "the filter, e.g. with S_INTERSECTS and a BBOX)",
		    page.matched, snap->n, TILES_FILTER_MAX_SITES);
	}
	*idx = page.idx;
	*n = page.n;
	return MS_OK;
}

/* The tile of (st, scale, z/x/y, cs), of the sites filter selects (NULL:
 * all). */
static void serve_at(struct http_ctx *c, struct http_response *r, const struct style *st, int scale, int z,
                     long long x, long long y, enum coordsys cs, const struct cql2 *filter, bool immutable)
{
	struct mapservice_tile t = {.style = st, .cs = cs, .z = z, .x = x, .y = y, .scale = scale};
	if (filter) {
		t.subset_key = cql2_to_text(filter);
		t.select = select_sites;
		t.select_arg = (void *)filter;
	}
	if (!webmerc_tile_valid(t.z, t.x, t.y, WEBMERC_MAX_ZOOM)) {
		http_problem(r, 404,
		             "tile %d/%lld/%lld is outside the grid (zoom 0..%u, x and y 0..2^zoom-1)", t.z,
		             t.x, t.y, c->cfg->max_zoom);
		return;
	}
	struct tcache_blob *blob = NULL;
	uint64_t tag;
	struct ms_error err = {0};
	bool hit = false;
	enum ms_status s = mapservice_tile_hit(c->cfg->maps, c->gen, &t, &blob, &tag, &hit, &err);
	if (s != MS_OK) {
		http_problem(r, http_status_of(s), "rendering tile %d/%lld/%lld: %s", t.z, t.x, t.y, err.msg);
		return;
	}
	r->content_type = "image/png";
	r->cache_status = hit ? "hit" : "miss";
	r->cacheable = true;
	/* Strong: the same tag always names the same bytes, RFC 9110 §8.8.1. */
	snprintf(r->etag, sizeof r->etag, "\"%016" PRIx64 "\"", tag);
	char cc[64];
	snprintf(cc, sizeof cc, "public, max-age=%u",
	         c->cfg->tile_max_age ? c->cfg->tile_max_age : HTTP_TILE_MAX_AGE);
	http_add_header(r, "Cache-Control", immutable ? TILES_IMMUTABLE : cc);
	r->ext_body = blob->data;
	r->ext_len = blob->len;
	r->ext_release = release_blob;
	r->ext_arg = blob;
	r->ext_aux = blob_aux;
	r->ext_attach = blob_attach;
	r->ext_variant = immutable ? 1 : 0; /* its own Cache-Control */
}

static const struct style *named_style(struct http_ctx *c, struct http_response *r);

static void serve_tile(struct http_ctx *c, struct http_response *r, const struct style *st, int scale,
                       bool immutable)
{
	enum coordsys cs = (enum coordsys)http_arg(c, "coordsys")->i;
	struct cql2 *filter;
	if (!ogc_filter(c, r, cs, &filter))
		return; /* 400: what is wrong and where */
	serve_at(c, r, st, scale, (int)http_arg(c, "z")->i, http_arg(c, "x")->i, http_arg(c, "y")->i, cs,
	         filter, immutable);
	cql2_free(filter);
}

void h_tiles_version(const struct http_ctx *c, const struct style *st, char out[HTTP_TILES_VERSION_LEN])
{
	snprintf(out, HTTP_TILES_VERSION_LEN, "%016llx-%016llx",
	         (unsigned long long)mapservice_tiles_data_version(c->gen, st),
	         (unsigned long long)st->version);
}

/* Whether text is two 16-digit lower-case hexadecimal numbers joined by
 * '-', the shape h_tiles_version writes. */
static bool version_shaped(const char *text)
{
	size_t n = strlen(text);
	if (n != HTTP_TILES_VERSION_LEN - 1 || text[TILES_VERSION_DIGITS] != '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (i != TILES_VERSION_DIGITS && !strchr("0123456789abcdef", text[i]))
			return false;
	return true;
}

int h_tiles_check_version(struct http_ctx *c, struct http_response *r, const struct style *st,
                          const char *given, const char *before, const char *after, const char *query_key)
{
	char cur[HTTP_TILES_VERSION_LEN];
	h_tiles_version(c, st, cur);
	if (!strcmp(given, cur))
		return 1;
	if (!version_shaped(given)) {
		http_problem(r, 404,
		             "version '%.40s' names no data and style version (%s is the current one)", given,
		             cur);
		return -1;
	}
	/* Another generation's: the same tile, in the current one. */
	struct buf loc = BUF_INIT;
	buf_printf(&loc, "%s%s%s%s", c->base_url, before, query_key ? "" : cur, after);
	/* the query as it was (a key no parameter has), or with key's value replaced */
	http_query_with(c, &loc, query_key ? query_key : "", query_key ? cur : NULL);
	r->status = 302;
	http_add_header(r, "Location", buf_str(&loc));
	char cc[48];
	snprintf(cc, sizeof cc, "public, max-age=%d", TILES_REDIRECT_MAX_AGE);
	http_add_header(r, "Cache-Control", cc);
	buf_free(&loc);
	return 0;
}

/* /tiles/{style}/{version}/{z}/{x}/{y}[@2x].png */
static void serve_versioned(struct http_ctx *c, struct http_response *r, int scale)
{
	const struct style *st = named_style(c, r);
	if (!st)
		return;
	struct buf before = BUF_INIT, after = BUF_INIT;
	buf_puts(&before, "/tiles/");
	http_url_encode(&before, st->name);
	buf_putc(&before, '/');
	buf_printf(&after, "/%lld/%lld/%lld%s.png", http_arg(c, "z")->i, http_arg(c, "x")->i,
	           http_arg(c, "y")->i, scale == 2 ? "@2x" : "");
	int ok = h_tiles_check_version(c, r, st, http_arg(c, "version")->text, buf_str(&before),
	                               buf_str(&after), NULL);
	buf_free(&before);
	buf_free(&after);
	if (ok > 0)
		serve_tile(c, r, st, scale, true);
}

/* The style of a /tiles/{style}/... route; NULL after a 404. */
static const struct style *named_style(struct http_ctx *c, struct http_response *r)
{
	const char *name = http_arg(c, "style")->text;
	const struct style *st = mapservice_style(c->gen, name);
	if (!st)
		http_problem(r, 404, "no style '%.100s'", name);
	return st;
}

void h_tile(struct http_ctx *c, struct http_response *r)
{
	serve_tile(c, r, c->gen->def, 1, false);
}

void h_tile_2x(struct http_ctx *c, struct http_response *r)
{
	serve_tile(c, r, c->gen->def, 2, false);
}

void h_tile_style(struct http_ctx *c, struct http_response *r)
{
	const struct style *st = named_style(c, r);
	if (st)
		serve_tile(c, r, st, 1, false);
}

void h_tile_style_2x(struct http_ctx *c, struct http_response *r)
{
	const struct style *st = named_style(c, r);
	if (st)
		serve_tile(c, r, st, 2, false);
}

void h_tile_versioned(struct http_ctx *c, struct http_response *r)
{
	serve_versioned(c, r, 1);
}

void h_tile_versioned_2x(struct http_ctx *c, struct http_response *r)
{
	serve_versioned(c, r, 2);
}

void h_tilejson(struct http_ctx *c, struct http_response *r)
{
	bool named = c->ncaptures == 1; /* /tiles/{style}.json */
	const struct style *st = named ? named_style(c, r) : c->gen->def;
	if (!st)
		return;
	enum coordsys cs = (enum coordsys)http_arg(c, "coordsys")->i;
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "tilejson");
	jw_string(&w, "3.0.0");
	jw_key(&w, "name");
	jw_string(&w, st->title[0] ? st->title : st->name);
	jw_key(&w, "description");
	jw_string(&w, st->sites ? MAPSERVICE_TILES_DESCRIPTION : MAPSERVICE_CONTEXT_DESCRIPTION);
	jw_key(&w, "version");
	jw_string(&w, MAPSERVICE_TILES_VERSION);
	/* the sites' (for a style that draws them) and its context files' */
	struct buf credit = BUF_INIT;
	buf_puts(&credit, st->sites ? MAPSERVICE_TILES_ATTRIBUTION : "");
	buf_printf(&credit, "%s%s", st->sites && st->attribution[0] ? "; " : "", st->attribution);
	if (credit.len) {
		jw_key(&w, "attribution");
		jw_string(&w, buf_str(&credit));
	}
	buf_free(&credit);
	jw_key(&w, "scheme");
	jw_string(&w, "xyz");
	jw_key(&w, "tiles");
	jw_array_begin(&w);
	/* versioned: cached for good, and changed by a reload */
	struct buf url = BUF_INIT;
	char ver[HTTP_TILES_VERSION_LEN];
	h_tiles_version(c, st, ver);
	buf_printf(&url, "%s/tiles/", c->base_url);
	http_url_encode(&url, st->name);
	buf_printf(&url, "/%s/{z}/{x}/{y}.png%s", ver, cs == COORDSYS_GCJ02 ? "?coordsys=gcj02" : "");
	jw_string(&w, buf_str(&url));
	buf_free(&url);
	jw_array_end(&w);
	jw_key(&w, "minzoom");
	jw_int(&w, 0);
	jw_key(&w, "maxzoom");
	jw_int(&w, c->cfg->max_zoom);
	double b[4] = {-180, -WEBMERC_MAX_LAT, 180, WEBMERC_MAX_LAT}; /* no sites: the world */
	bool any = st->sites && snapshot_bounds(c->snap, cs, b);
	jw_key(&w, "bounds");
	jw_array_begin(&w);
	for (int i = 0; i < 4; i++)
		jw_fixed(&w, b[i], 6);
	jw_array_end(&w);
	jw_key(&w, "center");
	jw_array_begin(&w);
	jw_fixed(&w, (b[0] + b[2]) / 2, 6);
	jw_fixed(&w, (b[1] + b[3]) / 2, 6);
	jw_int(&w, any ? webmerc_fit_zoom(b[0], b[1], b[2], b[3], 0, (int)c->cfg->max_zoom) : 0);
	jw_array_end(&w);
	jw_object_end(&w);
	r->content_type = "application/json";
	r->cacheable = true;
}

/* ------------- for the OGC API - Tiles routes (h_ogctiles.c) */

void h_tiles_serve(struct http_ctx *c, struct http_response *r, const struct style *st, int z, long long x,
                   long long y, enum coordsys cs, bool immutable)
{
	serve_at(c, r, st ? st : c->gen->def, 1, z, x, y, cs, NULL, immutable);
}

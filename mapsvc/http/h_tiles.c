/*
 * h_tiles.c - GET /tiles/[{style}/]{z}/{x}/{y}[@2x].png and TileJSON 3.0.0
 * at /tiles.json and /tiles/{style}.json.
 *
 * A tile request parses the address, then asks the tile cache for the
 * bytes of (data version, style version, z/x/y, scale, coordsys); on a
 * miss the cache calls back into the composer with this thread's render
 * context, and concurrent requests for the same tile wait for that one
 * render.  Cached bytes go to the client without a copy: the response
 * points into the cache's reference-counted blob, released when
 * libmicrohttpd is done with it.  The ETag is derived from the tile's
 * address and versions, not from its bytes, so a 304 costs no render.
 *
 * filter= (CQL2, as on the items, as pg_tileserv takes it) draws only the
 * sites it selects, clustered among themselves: the sites are selected
 * once per filter and data version and drawn through a subset of the tile
 * map (render/tile.h), found again by the filter's canonical text, which
 * is also part of the cache key and of the ETag, so that equal filters
 * however written share their tiles.  A filter selecting more than
 * TILES_FILTER_MAX_SITES sites (but not all of them) is refused with a 400
 * that says so: its first tiles would cost a hierarchy of that size, and
 * the subsets' cache could not keep it.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../geo/geo.h"
#include "../geo/tilemath.h"
#include "../render/tile.h"
#include "../render/tilecache.h"
#include "../features/filter.h"
#include "../styleset/styleset.h"
#include "../util/jsonw.h"
#include "../util/mem.h"
#include "handlers.h"
#include "ogc.h"

#define MIB (1024 * 1024)
/* The most sites a filtered tile draws (see the top comment). */
#define TILES_FILTER_MAX_SITES 500000

struct h_tiles {
	const struct http_config *cfg;
	struct styleset *set;       /* owns the styles */
	const struct style *styles; /* the set's, nstyles of them */
	size_t nstyles;
	const struct style *def; /* "default", else the first */
	struct tile_cache *cache;
	pthread_key_t ctx_key; /* this thread's struct tile_ctx */
	pthread_mutex_t mu;    /* guards map */
	struct tile_map *map;  /* layouts of the snapshot last served */
	unsigned max_age;
};

static void ctx_destroy(void *p)
{
	tile_ctx_free(p);
}

struct h_tiles *h_tiles_new(const struct http_config *cfg, struct ms_error *err)
{
	struct styleset *set = NULL;
	size_t n = 0;
	if (styleset_load_dir(cfg->styles_dir, &set, err) != MS_OK)
		return NULL;
	const struct style *styles = styleset_styles(set, &n);
	if (!n) {
		styleset_free(set);
		ms_fail(err, MS_EDATA, "%s: no style files (*.json)", cfg->styles_dir);
		return NULL;
	}
	struct h_tiles *t = xcalloc(1, sizeof *t);
	t->cfg = cfg;
	t->set = set;
	t->styles = styles;
	t->nstyles = n;
	t->def = style_find(styles, n, "default");
	if (!t->def)
		t->def = &styles[0];
	t->cache = tile_cache_new((size_t)cfg->cache_mb * MIB);
	pthread_key_create(&t->ctx_key, ctx_destroy);
	pthread_mutex_init(&t->mu, NULL);
	t->max_age = cfg->tile_max_age ? cfg->tile_max_age : HTTP_TILE_MAX_AGE;
	return t;
}

void h_tiles_free(struct h_tiles *t)
{
	if (!t)
		return;
	/* The server's threads have exited, running ctx_destroy for theirs. */
	pthread_key_delete(t->ctx_key);
	tile_map_release(t->map);
	tile_cache_free(t->cache);
	pthread_mutex_destroy(&t->mu);
	styleset_free(t->set);
	free(t);
}

static struct tile_ctx *thread_ctx(struct h_tiles *t, struct ms_error *err)
{
	struct tile_ctx *ctx = pthread_getspecific(t->ctx_key);
	if (!ctx && (ctx = tile_ctx_new(err)))
		pthread_setspecific(t->ctx_key, ctx);
	return ctx;
}

/* The map (layouts) of the request's snapshot; a reload makes a new one,
 * and requests still on the old snapshot keep theirs alive. */
static struct tile_map *map_for(struct h_tiles *t, const struct snapshot *snap)
{
	pthread_mutex_lock(&t->mu);
	if (!t->map || tile_map_snapshot(t->map) != snap) {
		tile_map_release(t->map);
		t->map = tile_map_new((struct snapshot *)snap, t->styles, t->nstyles);
	}
	struct tile_map *m = tile_map_retain(t->map);
	pthread_mutex_unlock(&t->mu);
	return m;
}

#define SPEC_STYLE {.name = "style", .in = HTTP_IN_PATH, .type = HTTP_T_STRING, .required = true, \
		    .desc = "A style in the styles folder."}
#define SPEC_ZXY                                                                                               \
	{.name = "z", .in = HTTP_IN_PATH, .type = HTTP_T_INT, .required = true, .min = 0, .max = MAX_ZOOM_LIMIT, \
	 .flags = HTTP_PF_MAX_ZOOM, .desc = "Zoom level."},                                                     \
	{.name = "x", .in = HTTP_IN_PATH, .type = HTTP_T_INT, .required = true, .min = 0,                       \
	 .max = (1 << MAX_ZOOM_LIMIT) - 1, .desc = "Tile column, 0 at the west."},                             \
	{.name = "y", .in = HTTP_IN_PATH, .type = HTTP_T_INT, .required = true, .min = 0,                       \
	 .max = (1 << MAX_ZOOM_LIMIT) - 1, .desc = "Tile row, 0 at the north (XYZ)."}
#define SPEC_COORDSYS                                                                                          \
	HTTP_SPEC_MAP_COORDSYS("Vendor parameter: gcj02 aligns the tiles with GCJ-02 basemaps (AMap, Tencent).")

static const struct http_pspec tile_specs[] = {SPEC_ZXY, SPEC_COORDSYS, HTTP_SPEC_FILTER};
static const struct http_pspec tile_style_specs[] = {SPEC_STYLE, SPEC_ZXY, SPEC_COORDSYS, HTTP_SPEC_FILTER};
static const struct http_pspec tilejson_specs[] = {SPEC_COORDSYS};
static const struct http_pspec tilejson_style_specs[] = {SPEC_STYLE, SPEC_COORDSYS};
const struct http_params h_tile_params = HTTP_PARAMS(tile_specs);
const struct http_params h_tile_style_params = HTTP_PARAMS(tile_style_specs);
const struct http_params h_tilejson_params = HTTP_PARAMS(tilejson_specs);
const struct http_params h_tilejson_style_params = HTTP_PARAMS(tilejson_style_specs);

struct fill_job {
	struct h_tiles *t;
	const struct snapshot *snap;
	struct tile_view view;
	const struct cql2 *filter; /* NULL: every site */
	const char *filter_text;   /* its canonical text */
};

/* The sites a filter selects (tile_subset_fn), refused beyond
 * TILES_FILTER_MAX_SITES unless they are all of them. */
static enum ms_status select_sites(void *arg, const struct snapshot *snap, uint32_t **idx, size_t *n,
				   struct ms_error *err)
{
	const struct fill_job *j = arg;
	struct feat_page page;
	feat_filter_select(snap, j->filter, &page, NULL);
	if (page.n > TILES_FILTER_MAX_SITES && page.n < snap->n) {
		feat_page_free(&page);
		return ms_fail(err, MS_EUSAGE,
			       "filter: selects %zu of the %zu sites; a filtered tile draws at most %d (narrow the "
			       "filter, e.g. with S_INTERSECTS and a BBOX)",
			       page.matched, snap->n, TILES_FILTER_MAX_SITES);
	}
	*idx = page.idx;
	*n = page.n;
	return MS_OK;
}

static enum ms_status fill_tile(void *arg, struct tile_blob **out, struct ms_error *err)
{
	struct fill_job *j = arg;
	struct tile_ctx *ctx = thread_ctx(j->t, err);
	if (!ctx)
		return err->status;
	struct buf png = BUF_INIT;
	bool empty = false;
	/* Only a miss takes the map's lock: cached tiles never touch it. */
	struct tile_map *map = map_for(j->t, j->snap);
	enum ms_status st = MS_OK;
	if (j->filter)
		st = tile_map_subset(map, j->filter_text, select_sites, j, &j->view.subset, err);
	if (st == MS_OK)
		st = tile_render_png(map, ctx, &j->view, &png, &empty, err);
	tile_subset_release(j->view.subset);
	j->view.subset = NULL;
	tile_map_release(map);
	if (st != MS_OK) {
		buf_free(&png);
		return st;
	}
	const struct buf *e = empty ? tile_empty_png(j->view.scale) : NULL;
	if (e) { /* the one shared empty PNG, not a copy of it */
		buf_free(&png);
		*out = tile_blob_wrap(e->data, e->len, true);
	} else {
		*out = tile_blob_adopt(&png);
	}
	return MS_OK;
}

static void release_blob(void *p)
{
	tile_blob_release(p);
}

/* The server keeps its prepared answer for a cached tile on the tile's
 * blob (every request for one cache entry gets the same bytes and
 * headers), and it goes when the entry is evicted. */
static void *blob_aux(void *blob)
{
	return tile_blob_aux(blob);
}

static void *blob_attach(void *blob, void *aux, void (*free_fn)(void *))
{
	return tile_blob_attach(blob, aux, free_fn);
}

static void serve_at(struct http_ctx *c, struct http_response *r, const struct style *st, int scale, long long z,
		     long long x, long long y, enum coordsys cs, const struct cql2 *filter)
{
	struct h_tiles *t = http_tiles(c);
	if (!tile_valid((int)z, x, y, MAX_ZOOM_LIMIT)) {
		http_problem(r, 404, "tile %lld/%lld/%lld is outside the grid (zoom 0..%u, x and y 0..2^zoom-1)", z,
			     x, y, c->cfg->max_zoom);
		return;
	}

	const char *ftext = filter ? cql2_to_text(filter) : NULL;
	/* 0 is no filter; a filter's hash is never 0 here (see below) */
	uint64_t fhash = ftext ? XXH3_64bits(ftext, strlen(ftext)) | 1 : 0;
	struct tile_key key = {c->snap->version, st->version, (uint32_t)x, (uint32_t)y, (uint8_t)z,
			       (uint8_t)scale, (uint8_t)cs, fhash};
	struct fill_job job = {t, c->snap, {0}, filter, ftext};
	tile_view_of_tile(&job.view, st, cs, (int)z, x, y, scale);
	struct tile_blob *blob = NULL;
	struct ms_error err = {0};
	enum ms_status s = tile_cache_get(t->cache, &key, fill_tile, &job, &blob, NULL, &err);
	if (s != MS_OK) {
		http_problem(r, http_status_of(s), "rendering tile %lld/%lld/%lld: %s", z, x, y, err.msg);
		return;
	}
	r->content_type = "image/png";
	r->cacheable = true;
	/* Strong: the same address and versions always give the same bytes
	 * (the encoder writes no timestamps), RFC 9110 §8.8.1. */
	uint64_t tag[5] = {key.data_version, key.style_version, ((uint64_t)key.x << 32) | key.y,
			   ((uint64_t)key.z << 16) | ((uint64_t)key.scale << 8) | key.coordsys, key.filter};
	snprintf(r->etag, sizeof r->etag, "\"%016" PRIx64 "\"", (uint64_t)XXH3_64bits(tag, sizeof tag));
	char cc[64];
	snprintf(cc, sizeof cc, "public, max-age=%u", t->max_age);
	http_add_header(r, "Cache-Control", cc);
	r->ext_body = blob->data;
	r->ext_len = blob->len;
	r->ext_release = release_blob;
	r->ext_arg = blob;
	r->ext_aux = blob_aux;
	r->ext_attach = blob_attach;
}

static void serve_tile(struct http_ctx *c, struct http_response *r, const struct style *st, int scale)
{
	enum coordsys cs = (enum coordsys)http_arg(c, "coordsys")->i;
	struct cql2 *filter;
	if (!ogc_filter(c, r, cs, &filter))
		return; /* 400: what is wrong and where */
	serve_at(c, r, st, scale, http_arg(c, "z")->i, http_arg(c, "x")->i, http_arg(c, "y")->i, cs, filter);
	cql2_free(filter);
}

/* The style of a /tiles/{style}/... route; NULL after a 404. */
static const struct style *named_style(struct http_ctx *c, struct http_response *r)
{
	struct h_tiles *t = http_tiles(c);
	const char *name = http_arg(c, "style")->text;
	const struct style *st = style_find(t->styles, t->nstyles, name);
	if (!st)
		http_problem(r, 404, "no style '%.100s'", name);
	return st;
}

void h_tile(struct http_ctx *c, struct http_response *r)
{
	serve_tile(c, r, http_tiles(c)->def, 1);
}

void h_tile_2x(struct http_ctx *c, struct http_response *r)
{
	serve_tile(c, r, http_tiles(c)->def, 2);
}

void h_tile_style(struct http_ctx *c, struct http_response *r)
{
	const struct style *st = named_style(c, r);
	if (st)
		serve_tile(c, r, st, 1);
}

void h_tile_style_2x(struct http_ctx *c, struct http_response *r)
{
	const struct style *st = named_style(c, r);
	if (st)
		serve_tile(c, r, st, 2);
}

/* A zoom at which the data's bounds fit in about 1024 px. */
static int fit_zoom(const struct snapshot *s, int max_zoom)
{
	double dx = s->east - s->west, z = 14;
	double mw, ms, me, mn;
	webmerc_from_lonlat(s->west, s->south, &mw, &ms);
	webmerc_from_lonlat(s->east, s->north, &me, &mn);
	double span = fmax(me - mw, mn - ms); /* metres */
	if (dx > 0 || span > 0)
		z = floor(log2(1024.0 / TILE_SIZE * 2 * WEBMERC_HALF / span));
	if (z > 14)
		z = 14;
	if (z < 0)
		z = 0;
	return (int)z < max_zoom ? (int)z : max_zoom;
}

void h_tilejson(struct http_ctx *c, struct http_response *r)
{
	bool named = c->ncaptures == 1; /* /tiles/{style}.json */
	const struct style *st = named ? named_style(c, r) : http_tiles(c)->def;
	if (!st)
		return;
	enum coordsys cs = (enum coordsys)http_arg(c, "coordsys")->i;
	const struct snapshot *s = c->snap;
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "tilejson");
	jw_string(&w, "3.0.0");
	jw_key(&w, "name");
	jw_string(&w, st->title[0] ? st->title : st->name);
	jw_key(&w, "description");
	jw_string(&w, "Party-history education sites: markers by category, clusters and Chinese names");
	jw_key(&w, "version");
	jw_string(&w, "1.0.0");
	jw_key(&w, "attribution");
	jw_string(&w, "Sites: mapsvc red-resource data (sources per site in /collections/sites/items)");
	jw_key(&w, "scheme");
	jw_string(&w, "xyz");
	jw_key(&w, "tiles");
	jw_array_begin(&w);
	struct buf url = BUF_INIT;
	buf_printf(&url, "%s/tiles/%s%s{z}/{x}/{y}.png%s", c->base_url, named ? st->name : "", named ? "/" : "",
		   cs == COORDSYS_GCJ02 ? "?coordsys=gcj02" : "");
	jw_string(&w, buf_str(&url));
	buf_free(&url);
	jw_array_end(&w);
	jw_key(&w, "minzoom");
	jw_int(&w, 0);
	jw_key(&w, "maxzoom");
	jw_int(&w, c->cfg->max_zoom);
	double west = -180, south = -WEBMERC_MAX_LAT, east = 180, north = WEBMERC_MAX_LAT;
	if (s->n) {
		west = s->west, south = s->south, east = s->east, north = s->north;
		if (cs == COORDSYS_GCJ02) { /* the box of the shifted points: corners move by < 1 km */
			coordsys_from_wgs84(cs, s->south, s->west, &south, &west);
			coordsys_from_wgs84(cs, s->north, s->east, &north, &east);
		}
	}
	jw_key(&w, "bounds");
	jw_array_begin(&w);
	jw_fixed(&w, west, 6);
	jw_fixed(&w, south, 6);
	jw_fixed(&w, east, 6);
	jw_fixed(&w, north, 6);
	jw_array_end(&w);
	jw_key(&w, "center");
	jw_array_begin(&w);
	jw_fixed(&w, (west + east) / 2, 6);
	jw_fixed(&w, (south + north) / 2, 6);
	jw_int(&w, s->n ? fit_zoom(s, (int)c->cfg->max_zoom) : 0);
	jw_array_end(&w);
	jw_object_end(&w);
	r->content_type = "application/json";
	r->cacheable = true;
}

/* ------------- for the static map and route sheets (h_staticmap.c, h_route.c) */

/* They draw windows of the same layouts, with the same per-thread render
 * contexts, as the tiles. */
const struct style *h_tiles_style(struct h_tiles *t, const char *name)
{
	return style_find(t->styles, t->nstyles, name);
}

struct tile_map *h_tiles_map(struct h_tiles *t, const struct snapshot *snap)
{
	return map_for(t, snap);
}

struct tile_ctx *h_tiles_ctx(struct h_tiles *t, struct ms_error *err)
{
	return thread_ctx(t, err);
}

/* ------------- for the OGC API - Tiles routes (h_ogctiles.c) */

void h_tiles_serve(struct http_ctx *c, struct http_response *r, const struct style *st, int z, long long x,
		   long long y, enum coordsys cs)
{
	serve_at(c, r, st ? st : http_tiles(c)->def, 1, z, x, y, cs, NULL);
}

const struct style *h_tiles_styles(struct h_tiles *t, size_t *n, const struct style **def)
{
	*n = t->nstyles;
	*def = t->def;
	return t->styles;
}

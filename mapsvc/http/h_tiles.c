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
#include "../styleset/styleset.h"
#include "../util/jsonw.h"
#include "../util/mem.h"
#include "handlers.h"

#define MIB (1024 * 1024)

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

/* A whole decimal number of at most 10 digits (no sign, no spaces). */
static bool parse_uint(const char *s, size_t n, long long *out)
{
	if (n == 0 || n > 10)
		return false;
	long long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "123.png" or "123@2x.png". */
static bool parse_y(const char *s, long long *y, int *scale)
{
	size_t n = strlen(s);
	if (n > 4 && !strcmp(s + n - 4, ".png"))
		n -= 4;
	else
		return false;
	*scale = 1;
	if (n > 3 && !strncmp(s + n - 3, "@2x", 3)) {
		*scale = 2;
		n -= 3;
	}
	return parse_uint(s, n, y);
}

static bool parse_coordsys(struct http_ctx *c, struct http_response *r, enum coordsys *cs)
{
	*cs = COORDSYS_WGS84;
	const char *v = http_param(c, "coordsys");
	if (!v)
		return true;
	int p = coordsys_parse(v);
	if (p != COORDSYS_WGS84 && p != COORDSYS_GCJ02) {
		http_problem(r, 400, "coordsys: '%.40s' is not wgs84 or gcj02", v);
		return false;
	}
	*cs = (enum coordsys)p;
	return true;
}

struct fill_job {
	struct h_tiles *t;
	const struct snapshot *snap;
	struct tile_view view;
};

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
	enum ms_status st = tile_render_png(map, ctx, &j->view, &png, &empty, err);
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

static void serve_tile(struct http_ctx *c, struct http_response *r, const struct style *st, const char *zs,
		       const char *xs, const char *ys)
{
	struct h_tiles *t = http_tiles(c);
	long long z, x, y;
	int scale;
	if (!parse_uint(zs, strlen(zs), &z) || !parse_uint(xs, strlen(xs), &x) || !parse_y(ys, &y, &scale)) {
		http_problem(r, 404, "no tile at '%.200s': tiles are /tiles/[STYLE/]Z/X/Y.png or Y@2x.png", c->path);
		return;
	}
	if (z > (long long)c->cfg->max_zoom || z > MAX_ZOOM_LIMIT || !tile_valid((int)z, x, y, MAX_ZOOM_LIMIT)) {
		http_problem(r, 404, "tile %lld/%lld/%lld is outside the grid (zoom 0..%u, x and y 0..2^zoom-1)", z,
			     x, y, c->cfg->max_zoom);
		return;
	}
	enum coordsys cs;
	if (!parse_coordsys(c, r, &cs))
		return;

	struct tile_key key = {c->snap->version, st->version, (uint32_t)x, (uint32_t)y, (uint8_t)z,
			       (uint8_t)scale, (uint8_t)cs};
	struct fill_job job = {t, c->snap, {0}};
	tile_view_of_tile(&job.view, st, cs, (int)z, x, y, scale);
	struct tile_blob *blob = NULL;
	struct ms_error err = {0};
	enum ms_status s = tile_cache_get(t->cache, &key, fill_tile, &job, &blob, NULL, &err);
	if (s != MS_OK) {
		http_problem(r, 500, "rendering tile %lld/%lld/%lld: %s", z, x, y, err.msg);
		return;
	}
	r->content_type = "image/png";
	r->cacheable = true;
	/* Strong: the same address and versions always give the same bytes
	 * (the encoder writes no timestamps), RFC 9110 §8.8.1. */
	uint64_t tag[4] = {key.data_version, key.style_version, ((uint64_t)key.x << 32) | key.y,
			   ((uint64_t)key.z << 16) | ((uint64_t)key.scale << 8) | key.coordsys};
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

void h_tile(struct http_ctx *c, struct http_response *r)
{
	serve_tile(c, r, http_tiles(c)->def, c->captures[0], c->captures[1], c->captures[2]);
}

void h_tile_style(struct http_ctx *c, struct http_response *r)
{
	struct h_tiles *t = http_tiles(c);
	const struct style *st = style_find(t->styles, t->nstyles, c->captures[0]);
	if (!st) {
		http_problem(r, 404, "no style '%.100s'", c->captures[0]);
		return;
	}
	serve_tile(c, r, st, c->captures[1], c->captures[2], c->captures[3]);
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
	struct h_tiles *t = http_tiles(c);
	const struct style *st = t->def;
	bool named = c->ncaptures == 1;
	if (named) {
		const char *cap = c->captures[0];
		size_t n = strlen(cap);
		char name[sizeof st->name];
		if (n <= 5 || strcmp(cap + n - 5, ".json") || n - 5 >= sizeof name) {
			http_problem(r, 404, "no resource at '%.200s'", c->path);
			return;
		}
		memcpy(name, cap, n - 5);
		name[n - 5] = '\0';
		if (!(st = style_find(t->styles, t->nstyles, name))) {
			http_problem(r, 404, "no style '%.100s'", name);
			return;
		}
	}
	enum coordsys cs;
	if (!parse_coordsys(c, r, &cs))
		return;
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

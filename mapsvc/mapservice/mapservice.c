/*
 * mapservice.c - generations, the tile cache, per-thread contexts and the
 * seed loop; see mapservice.h.
 *
 * Why a mutex and not a lock-free pointer for the current generation: a
 * reader must take its reference before a concurrent swap can drop the
 * last one, and a plain atomic load followed by an increment leaves a
 * window in which the generation is freed.  The mutex guards exactly that
 * load-and-increment (and the swap's pointer store), tens of nanoseconds;
 * loading a generation, the slow part, runs before the lock is taken, and
 * freeing the old one after it is released.  Cached tiles cost one acquire
 * per request, as the snapshot did before generations held it.
 *
 * Pre-rendered tiles: the tiles_from store is opened with each generation
 * (so a reload sees a file seeded again) and used only for the tiles its
 * metadata prove it holds the very bytes of: pre_match below.  A tile
 * read from it goes into the cache like a rendered one, under the same
 * key and tag.
 *
 * Contexts: each thread's tile_ctx hangs off a pthread key, so the hot
 * path finds it without a lock.  The service also keeps every context in
 * a list, because a key's destructor runs only when a thread exits, and
 * the thread that frees the service (main, in the commands) never has:
 * mapservice_free frees what is left in the list.
 */
#include "mapservice.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../geo/webmerc.h"
#include "../render/layout.h"
#include "../render/raster.h"
#include "../util/mem.h"
#include "../util/numparse.h"

/* A thread's context and its place in the service's list. */
struct ctx_node {
	struct mapservice *ms;
	struct tile_ctx *ctx;
	struct ctx_node *prev, *next;
};

/* A style set shared by the generations that differ only in their sites
 * (mapservice_update_sites): freed with the last of them. */
struct mapservice_styles {
	struct styleset *set;
	struct ms_ref refs;
};

struct mapservice {
	struct mapservice_config cfg;
	/* Serialises whole loads (mapservice_load, mapservice_update_sites), so
	 * that an update of the sites never installs the styles a concurrent
	 * reload has just replaced.  Never taken by a request. */
	pthread_mutex_t load_mu;
	atomic_int link; /* enum mapservice_link */
	atomic_ullong reconnects, updates;
	pthread_mutex_t gen_mu; /* guards cur (see the top of this file) */
	struct mapservice_gen *cur;
	unsigned long long serial; /* of the last generation made; under gen_mu */
	atomic_ullong reloads;
	atomic_ullong tiles_rendered, tiles_from_store, store_errors;
	struct tcache *cache;
	pthread_key_t ctx_key;
	pthread_mutex_t ctx_mu; /* guards ctxs */
	struct ctx_node *ctxs;
};

/* ----------------------------------------------------------- contexts */

static void ctx_unlink(struct ctx_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		n->ms->ctxs = n->next;
	if (n->next)
		n->next->prev = n->prev;
}

/* A thread that used the service ends. */
static void ctx_destroy(void *p)
{
	struct ctx_node *n = p;
	pthread_mutex_lock(&n->ms->ctx_mu);
	ctx_unlink(n);
	pthread_mutex_unlock(&n->ms->ctx_mu);
	tile_ctx_free(n->ctx);
	free(n);
}

struct tile_ctx *mapservice_ctx(struct mapservice *ms, struct ms_error *err)
{
	struct ctx_node *n = pthread_getspecific(ms->ctx_key);
	if (n)
		return n->ctx;
	struct tile_ctx *ctx = tile_ctx_new(err);
	if (!ctx)
		return NULL;
	n = xcalloc(1, sizeof *n);
	n->ms = ms;
	n->ctx = ctx;
	pthread_mutex_lock(&ms->ctx_mu);
	n->next = ms->ctxs;
	if (n->next)
		n->next->prev = n;
	ms->ctxs = n;
	pthread_mutex_unlock(&ms->ctx_mu);
	pthread_setspecific(ms->ctx_key, n);
	return ctx;
}

/* ------------------------------------------------- pre-rendered tiles */

/* Room for a note on the store (the path and a reason). */
#define PRE_NOTE_MAX 1536

/* The tiles_from store as one generation uses it. */
struct mapservice_pre {
	struct tilestore *ts;      /* NULL when not used */
	const struct style *style; /* the generation's style the store was seeded with */
	enum coordsys cs;
	int scale, zmin, zmax;
	char note[PRE_NOTE_MAX]; /* what is used, or why not (mapservice_tiles_from) */
};

static void pre_free(struct mapservice_pre *p)
{
	if (!p)
		return;
	tilestore_close(p->ts);
	free(p);
}

/* A 64-bit version as the metadata spell it. */
static void version_hex(uint64_t v, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)v);
}

/* Whether the store holds g's bytes: its metadata name one of g's styles
 * at the same version, g's data version, a scale and a coordsys, PNG
 * tiles stored as they are.  NULL when it does, else why not. */
static const char *pre_match(struct mapservice_pre *p, const struct mapservice_gen *g, char *why, size_t size)
{
	struct tilestore *ts = p->ts;
	const char *style = tilestore_meta_value(ts, "style"),
	           *sv = tilestore_meta_value(ts, "style_version");
	const char *dv = tilestore_meta_value(ts, "data_version"), *scale = tilestore_meta_value(ts, "scale");
	const char *cs = tilestore_meta_value(ts, "coordsys"),
	           *comp = tilestore_meta_value(ts, "compression");
	const struct tilestore_info *in = tilestore_info(ts);
	char have[17];
	long long n;
	if (!style || !sv || !dv || !scale || !cs)
		return "not seeded by mapsvc (no style, style_version, data_version, scale or coordsys "
		       "metadata)";
	if (strcmp(in->format, "png") || (comp && strcmp(comp, "none")))
		return "its tiles are not plain PNG";
	if (!(p->style = mapservice_style(g, style))) {
		snprintf(why, size, "seeded with style '%s', which the styles folder lacks", style);
		return why;
	}
	version_hex(p->style->version, have);
	if (strcmp(sv, have)) {
		snprintf(why, size, "seeded with another version of style '%s' (%s; the file now is %s)",
		         style, sv, have);
		return why;
	}
	version_hex(g->snap->version, have);
	if (strcmp(dv, have)) {
		snprintf(why, size, "seeded from other data (version %s; the database is at %s)", dv, have);
		return why;
	}
	int c = coordsys_parse(cs);
	if (ms_parse_int_str(scale, 1, TILE_MAX_SCALE, &n) != MS_PARSE_OK ||
	    (c != COORDSYS_WGS84 && c != COORDSYS_GCJ02))
		return "its scale or coordsys metadata are not mapsvc's";
	if (in->minzoom < 0 || in->maxzoom < 0 || in->maxzoom > WEBMERC_MAX_ZOOM)
		return "its zoom range is missing or beyond mapsvc's";
	p->cs = (enum coordsys)c;
	p->scale = (int)n;
	p->zmin = in->minzoom;
	p->zmax = in->maxzoom;
	return NULL;
}

/* Opens path for g and decides what g takes from it.  Only a file that
 * cannot be read fails; one seeded for something else is kept out. */
static enum ms_status pre_open(struct mapservice_gen *g, const char *path, struct ms_error *err)
{
	struct mapservice_pre *p = xcalloc(1, sizeof *p);
	enum ms_status st = tilestore_open(path, NULL, &p->ts, err);
	if (st != MS_OK) {
		free(p);
		return st;
	}
	char why[PRE_NOTE_MAX / 2];
	const char *no = pre_match(p, g, why, sizeof why);
	if (no) {
		snprintf(p->note, sizeof p->note, "%s: not used: %s", path, no);
		tilestore_close(p->ts);
		p->ts = NULL;
		p->style = NULL;
	} else {
		struct tilestore_stats ts;
		tilestore_stats(p->ts, &ts);
		snprintf(p->note, sizeof p->note, "%s: %lld tiles of style %s, %s, @%dx, zooms %d-%d", path,
		         ts.tiles, p->style->name, coordsys_name(p->cs), p->scale, p->zmin, p->zmax);
	}
	g->pre_ = p;
	return MS_OK;
}

const char *mapservice_tiles_from(const struct mapservice_gen *g)
{
	return g->pre_ ? g->pre_->note : NULL;
}

/* -------------------------------------------------------- generations */

static struct mapservice_styles *styles_hold(struct styleset *set)
{
	if (!set)
		return NULL;
	struct mapservice_styles *h = xcalloc(1, sizeof *h);
	h->set = set;
	ms_ref_init(&h->refs);
	return h;
}

static void styles_put(struct mapservice_styles *h)
{
	if (h && ms_ref_put(&h->refs)) {
		styleset_free(h->set);
		free(h);
	}
}

/* A generation of snap with the styles of held (a reference is taken). */
static struct mapservice_gen *gen_new(struct snapshot *snap, struct mapservice_styles *held)
{
	struct mapservice_gen *g = xcalloc(1, sizeof *g);
	ms_ref_init(&g->refs_);
	g->snap = snapshot_retain(snap);
	g->styles_ = held;
	if (held) {
		ms_ref_get(&held->refs);
		g->styles = styleset_styles(held->set, &g->nstyles);
	}
	g->def = mapservice_style(g, MAPSERVICE_DEFAULT_STYLE);
	if (!g->def && g->nstyles)
		g->def = &g->styles[0];
	/* The map borrows the set's styles: both go in mapservice_release. */
	g->map = tile_map_new(snap, g->styles, g->nstyles);
	return g;
}

void mapservice_release(struct mapservice_gen *g)
{
	if (!g || !ms_ref_put(&g->refs_))
		return;
	tile_map_release(g->map); /* before the styles it borrows */
	pre_free(g->pre_);
	styles_put(g->styles_);
	snapshot_release(g->snap);
	free(g);
}

struct mapservice_gen *mapservice_acquire(struct mapservice *ms)
{
	pthread_mutex_lock(&ms->gen_mu);
	struct mapservice_gen *g = ms->cur;
	if (g)
		ms_ref_get(&g->refs_);
	pthread_mutex_unlock(&ms->gen_mu);
	return g;
}

const struct style *mapservice_style(const struct mapservice_gen *g, const char *name)
{
	return style_find(g->styles, g->nstyles, name);
}

/* Makes g current; the old generation goes with its last request. */
static void install(struct mapservice *ms, struct mapservice_gen *g)
{
	pthread_mutex_lock(&ms->gen_mu);
	struct mapservice_gen *old = ms->cur;
	g->serial = ++ms->serial;
	ms->cur = g;
	pthread_mutex_unlock(&ms->gen_mu);
	if (old)
		atomic_fetch_add(&ms->reloads, 1);
	mapservice_release(old); /* requests still on it hold their own references */
}

void mapservice_install(struct mapservice *ms, struct snapshot *snap, struct styleset *set)
{
	struct mapservice_styles *held = styles_hold(set);
	install(ms, gen_new(snap, held));
	styles_put(held); /* the generation holds its own */
}

/* The hierarchies a snapshot builds for styles[0..n) into *o; free
 * *params after the build. */
static void cluster_opts(const struct style *styles, size_t n, struct cluster_params **params,
                         struct snapshot_opts *o)
{
	*params = NULL;
	*o = (struct snapshot_opts){NULL, 0};
	if (!n)
		return;
	*params = xcalloc(n, sizeof **params);
	size_t k = tile_styles_cluster_params(styles, n, *params);
	/* beyond what a snapshot builds, the map builds on first use */
	*o = (struct snapshot_opts){*params, k < SNAPSHOT_MAX_CLUSTERS ? k : SNAPSHOT_MAX_CLUSTERS};
}

static enum ms_status load_locked(struct mapservice *ms, struct ms_error *err);

enum ms_status mapservice_load(struct mapservice *ms, struct ms_error *err)
{
	pthread_mutex_lock(&ms->load_mu);
	enum ms_status rs = load_locked(ms, err);
	pthread_mutex_unlock(&ms->load_mu);
	return rs;
}

static enum ms_status load_locked(struct mapservice *ms, struct ms_error *err)
{
	struct styleset *set = NULL;
	/* The styles first: a broken one is found before the (longer) load of
	 * the sites. */
	if (ms->cfg.styles_dir) {
		if (styleset_load_dir(ms->cfg.styles_dir, &set, err) != MS_OK)
			return err->status;
		size_t n;
		styleset_styles(set, &n);
		if (!n) {
			styleset_free(set);
			return ms_fail(err, MS_EDATA, "%s: no style files (*.json)", ms->cfg.styles_dir);
		}
	}
	/* The styles' hierarchies are built with the sites' indexes, at once,
	 * and before the swap (snapshot.h). */
	struct snapshot_opts o;
	struct cluster_params *params;
	size_t nstyles = 0;
	const struct style *styles = set ? styleset_styles(set, &nstyles) : NULL;
	cluster_opts(styles, nstyles, &params, &o);
	struct snapshot *snap = snapshot_load_with(ms->cfg.db_path, &o, err);
	free(params);
	if (!snap) {
		styleset_free(set);
		return err->status;
	}
	struct mapservice_styles *held = styles_hold(set);
	struct mapservice_gen *g = gen_new(snap, held);
	styles_put(held);       /* the generation holds its own */
	snapshot_release(snap); /* likewise */
	if (ms->cfg.tiles_from && pre_open(g, ms->cfg.tiles_from, err) != MS_OK) {
		mapservice_release(g);
		return err->status;
	}
	install(ms, g);
	return MS_OK;
}

enum ms_status mapservice_update_sites(struct mapservice *ms, mapservice_sites_fn make, void *arg,
                                       struct ms_error *err)
{
	pthread_mutex_lock(&ms->load_mu);
	struct mapservice_gen *cur = mapservice_acquire(ms);
	struct site_set *set = NULL;
	struct cluster_params *params = NULL;
	enum ms_status rs = make(arg, cur ? cur->snap : NULL, &set, err);
	if (rs != MS_OK || !set)
		goto done;
	/* The current styles' hierarchies, built before the swap as a reload
	 * builds them. */
	struct snapshot_opts o;
	cluster_opts(cur ? cur->styles : NULL, cur ? cur->nstyles : 0, &params, &o);
	struct snapshot *snap = snapshot_new_with(set, &o, err); /* takes set */
	if (!snap) {
		rs = err->status;
		goto done;
	}
	struct mapservice_gen *g = gen_new(snap, cur ? cur->styles_ : NULL);
	snapshot_release(snap);
	/* --tiles-from is checked against the new data as a reload checks it */
	if (ms->cfg.tiles_from && (rs = pre_open(g, ms->cfg.tiles_from, err)) != MS_OK) {
		mapservice_release(g);
		goto done;
	}
	install(ms, g);
	atomic_fetch_add(&ms->updates, 1);
done:
	free(params);
	mapservice_release(cur);
	pthread_mutex_unlock(&ms->load_mu);
	return rs;
}

void mapservice_set_link(struct mapservice *ms, enum mapservice_link link)
{
	int was = atomic_exchange(&ms->link, (int)link);
	if (was == MAPSERVICE_LINK_DOWN && link == MAPSERVICE_LINK_UP)
		atomic_fetch_add(&ms->reconnects, 1);
}

/* ------------------------------------------------------------ service */

struct mapservice *mapservice_new(const struct mapservice_config *cfg)
{
	struct mapservice *ms = xcalloc(1, sizeof *ms);
	ms->cfg = *cfg;
	pthread_mutex_init(&ms->gen_mu, NULL);
	pthread_mutex_init(&ms->load_mu, NULL);
	pthread_mutex_init(&ms->ctx_mu, NULL);
	if (pthread_key_create(&ms->ctx_key, ctx_destroy) != 0)
		abort(); /* only when the process has used up its keys: out of resources, as mem.h treats
		            memory */
	ms->cache = tcache_new(cfg->cache_bytes);
	return ms;
}

void mapservice_free(struct mapservice *ms)
{
	if (!ms)
		return;
	/* No destructor runs after this, so the list is ours alone. */
	pthread_key_delete(ms->ctx_key);
	for (struct ctx_node *n = ms->ctxs, *next; n; n = next) {
		next = n->next;
		tile_ctx_free(n->ctx);
		free(n);
	}
	mapservice_release(ms->cur);
	tcache_free(ms->cache);
	pthread_mutex_destroy(&ms->ctx_mu);
	pthread_mutex_destroy(&ms->gen_mu);
	pthread_mutex_destroy(&ms->load_mu);
	free(ms);
}

void mapservice_stats(struct mapservice *ms, struct mapservice_stats *st)
{
	st->reloads = atomic_load(&ms->reloads);
	st->link = (enum mapservice_link)atomic_load(&ms->link);
	st->reconnects = atomic_load(&ms->reconnects);
	st->updates = atomic_load(&ms->updates);
	tcache_stats(ms->cache, &st->cache);
	st->tiles_rendered = atomic_load(&ms->tiles_rendered);
	st->tiles_from_store = atomic_load(&ms->tiles_from_store);
	st->store_errors = atomic_load(&ms->store_errors);
}

/* -------------------------------------------------------------- tiles */

/* The PNG of a view: the shared empty tile itself, not a copy, when
 * nothing falls in it. */
static enum ms_status render_blob(struct tile_map *map, struct tile_ctx *ctx, const struct tile_view *v,
                                  struct tcache_blob **out, struct ms_error *err)
{
	struct buf png = BUF_INIT;
	bool empty = false;
	enum ms_status st = tile_render_png(map, ctx, v, &png, &empty, err);
	if (st != MS_OK) {
		buf_free(&png);
		return st;
	}
	const struct buf *e = empty ? tile_empty_png(v->scale) : NULL;
	if (e) {
		buf_free(&png);
		*out = tcache_blob_wrap(e->data, e->len, true);
	} else {
		*out = tcache_blob_adopt(&png);
	}
	return MS_OK;
}

struct fill_job {
	struct mapservice *ms;
	const struct mapservice_gen *g;
	const struct mapservice_tile *t;
	struct tile_view view;
};

/* Tile t from g's tiles_from store when the store holds its bytes:
 * *out set, or left NULL to render.  A failed read is counted and the
 * tile rendered: the renderer gives the same bytes. */
static void from_store(struct mapservice *ms, const struct mapservice_gen *g, const struct mapservice_tile *t,
                       struct tcache_blob **out)
{
	const struct mapservice_pre *p = g->pre_;
	/* the store holds the unfiltered tiles only */
	if (!p || !p->ts || t->subset_key || t->style != p->style || t->cs != p->cs || t->scale != p->scale ||
	    t->z < p->zmin || t->z > p->zmax)
		return;
	struct buf png = BUF_INIT;
	bool found = false;
	struct ms_error err = {0};
	if (tilestore_get(p->ts, t->z, (int)t->x, (int)t->y, &png, &found, &err) != MS_OK) {
		atomic_fetch_add(&ms->store_errors, 1);
		found = false;
	}
	if (!found) {
		buf_free(&png);
		return;
	}
	atomic_fetch_add(&ms->tiles_from_store, 1);
	/* the shared empty tile's own bytes rather than a copy of them */
	const struct buf *e = tile_empty_png(t->scale);
	if (e && e->len == png.len && !memcmp(e->data, png.data, png.len)) {
		buf_free(&png);
		*out = tcache_blob_wrap(e->data, e->len, true);
	} else {
		*out = tcache_blob_adopt(&png);
	}
}

/* The cache's miss: this thread reads or renders, the others wait for it. */
static enum ms_status fill_tile(void *arg, struct tcache_blob **out, struct ms_error *err)
{
	struct fill_job *j = arg;
	from_store(j->ms, j->g, j->t, out);
	if (*out)
		return MS_OK;
	struct tile_ctx *ctx = mapservice_ctx(j->ms, err);
	if (!ctx)
		return err->status;
	if (j->t->subset_key) {
		enum ms_status st = tile_map_subset(j->g->map, j->t->subset_key, j->t->select,
		                                    j->t->select_arg, &j->view.subset, err);
		if (st != MS_OK)
			return st;
	}
	atomic_fetch_add(&j->ms->tiles_rendered, 1);
	enum ms_status st = render_blob(j->g->map, ctx, &j->view, out, err);
	tile_subset_release(j->view.subset);
	return st;
}

enum ms_status mapservice_tile(struct mapservice *ms, const struct mapservice_gen *g,
                               const struct mapservice_tile *t, struct tcache_blob **out, uint64_t *tag,
                               struct ms_error *err)
{
	*out = NULL;
	if (!webmerc_tile_valid(t->z, t->x, t->y, WEBMERC_MAX_ZOOM) || t->scale < 1 ||
	    t->scale > TILE_MAX_SCALE)
		return ms_fail(err, MS_EUSAGE, "tile %d/%lld/%lld@%dx is outside the grid", t->z, t->x, t->y,
		               t->scale);
	/* 0 is every site; a subset's hash is made odd, never 0 */
	uint64_t subset = t->subset_key ? XXH3_64bits(t->subset_key, strlen(t->subset_key)) | 1 : 0;
	struct tcache_key key = {g->snap->version, t->style->version, (uint32_t)t->x, (uint32_t)t->y,
	                         (uint8_t)t->z,    (uint8_t)t->scale, (uint8_t)t->cs, subset};
	/* Equal keys, equal bytes: the encoder writes no timestamps. */
	uint64_t words[5] = {key.data_version, key.style_version, ((uint64_t)key.x << 32) | key.y,
	                     ((uint64_t)key.z << 16) | ((uint64_t)key.scale << 8) | key.coordsys, key.filter};
	*tag = XXH3_64bits(words, sizeof words);
	struct fill_job job = {ms, g, t, {0}};
	tile_view_of_tile(&job.view, t->style, t->cs, t->z, t->x, t->y, t->scale);
	return tcache_get(ms->cache, &key, fill_tile, &job, out, NULL, err);
}

/* --------------------------------------------------------------- seed */

double mapservice_marker_reach(const struct style *st, int zoom)
{
	double size = style_eval(&st->marker_size, zoom), ow = style_eval(&st->marker_outline_width, zoom);
	/* a cluster can form at any zoom: coincident sites always merge */
	double reach = style_eval(&st->cluster_size, zoom) + st->cluster_outline_width;
	for (int c = 0; c < CAT_COUNT; c++) {
		double l, t, r, b;
		raster_marker_extent(st->marker_shape[c], size, ow, &l, &t, &r, &b);
		reach = fmax(reach, fmax(fmax(-l, -t), fmax(r, b)));
	}
	return reach + LAYOUT_SLACK_PX;
}

void mapservice_seed_box(const struct mapservice_seed *job, int z, double out[4])
{
	memcpy(out, job->box, sizeof job->box);
	if (!job->pad)
		return;
	/* In world pixels of zoom z: the west-north corner moves up and left,
	 * the east-south corner down and right (y grows southward). */
	double reach = mapservice_marker_reach(job->style, z), px, py, mx, my;
	webmerc_world_px(job->box[0], job->box[3], z, WEBMERC_TILE_SIZE, &px, &py);
	webmerc_from_world_px(px - reach, py - reach, z, WEBMERC_TILE_SIZE, &mx, &my);
	webmerc_to_lonlat(mx, my, &out[0], &out[3]);
	webmerc_world_px(job->box[2], job->box[1], z, WEBMERC_TILE_SIZE, &px, &py);
	webmerc_from_world_px(px + reach, py + reach, z, WEBMERC_TILE_SIZE, &mx, &my);
	webmerc_to_lonlat(mx, my, &out[2], &out[1]);
	out[0] = fmax(out[0], -180);
	out[2] = fmin(out[2], 180);
	out[1] = fmax(out[1], -WEBMERC_MAX_LAT);
	out[3] = fmin(out[3], WEBMERC_MAX_LAT);
}

void mapservice_seed_bounds(const struct mapservice_seed *job, double out[4])
{
	mapservice_seed_box(job, job->zmin, out);
	for (int z = job->zmin + 1; z <= job->zmax; z++) {
		double b[4];
		mapservice_seed_box(job, z, b);
		out[0] = fmin(out[0], b[0]);
		out[1] = fmin(out[1], b[1]);
		out[2] = fmax(out[2], b[2]);
		out[3] = fmax(out[3], b[3]);
	}
}

long long mapservice_seed_count(const struct mapservice_seed *job)
{
	long long n = 0;
	for (int z = job->zmin; z <= job->zmax; z++) {
		double b[4];
		mapservice_seed_box(job, z, b);
		n += webmerc_tile_count(b, z, z);
	}
	return n;
}

/* Room for the metadata text mapservice_seed writes. */
struct seed_text {
	const char *extra[5][2];
	char style_version[17], data_version[17];
};

/* The store's description of the job: bounds the union of the zooms'
 * boxes, and what tiles_from checks (pre_match). */
static void seed_meta(const struct mapservice_gen *g, const struct mapservice_seed *j,
                      struct tilestore_meta *md, struct seed_text *t)
{
	version_hex(j->style->version, t->style_version);
	version_hex(g->snap->version, t->data_version);
	const char *extra[5][2] = {
	    {"coordsys", coordsys_name(j->cs)}, {"scale", j->scale == 2 ? "2" : "1"},
	    {"style", j->style->name},          {"style_version", t->style_version},
	    {"data_version", t->data_version},
	};
	memcpy(t->extra, extra, sizeof extra);
	const double *b = j->box;
	*md = (struct tilestore_meta){
	    .name = j->style->title[0] ? j->style->title : j->style->name,
	    .format = "png",
	    .attribution = MAPSERVICE_TILES_ATTRIBUTION,
	    .description = MAPSERVICE_TILES_DESCRIPTION,
	    .type = "overlay",
	    .version = MAPSERVICE_TILES_VERSION,
	    .center_lon = (b[0] + b[2]) / 2,
	    .center_lat = (b[1] + b[3]) / 2,
	    .center_zoom = webmerc_fit_zoom(b[0], b[1], b[2], b[3], j->zmin, j->zmax),
	    .minzoom = j->zmin,
	    .maxzoom = j->zmax,
	    .extra = (const char *const(*)[2])t->extra,
	    .nextra = sizeof extra / sizeof extra[0],
	};
	mapservice_seed_bounds(j, md->bounds);
}

/* A resumed partial file must hold exactly the first n tiles of the
 * seed's order: the n-th there, the one after it not. */
static enum ms_status check_resumed(struct tilestore *ts, long long i, long long n, int z, int x, int y,
                                    const char *partial, struct ms_error *err)
{
	bool found = false;
	enum ms_status st = tilestore_has(ts, z, x, y, &found, err);
	if (st == MS_OK && found != (i < n))
		st = ms_fail(err, MS_EDATA,
		             "%s holds %lld tiles but not the first %lld of this seed; --force starts over",
		             partial, n, n);
	return st;
}

/* Every tile of the job into ts, zoom by zoom, row-major, skipping the
 * res->resumed first; stops (MS_OK, *stopped) when progress or
 * max_tiles say so. */
static enum ms_status seed_tiles(struct mapservice *ms, const struct mapservice_gen *g,
                                 const struct mapservice_seed *j, struct tilestore *ts,
                                 struct mapservice_seed_result *res, bool *stopped, struct ms_error *err)
{
	struct tile_ctx *ctx = mapservice_ctx(ms, err);
	if (!ctx)
		return err->status;
	char partial[PATH_MAX + sizeof TILESTORE_PARTIAL_SUFFIX];
	tilestore_partial_path(j->path, partial, sizeof partial);
	long long i = 0, skip = res->resumed;
	enum ms_status st = MS_OK;
	struct buf png = BUF_INIT;
	for (int z = j->zmin; z <= j->zmax && !st && !*stopped; z++) {
		double box[4];
		mapservice_seed_box(j, z, box);
		struct webmerc_range r;
		webmerc_tile_range(box, z, &r);
		for (int x = r.x0; x <= r.x1 && !st && !*stopped; x++) {
			for (int y = r.y0; y <= r.y1 && !st && !*stopped; y++, i++) {
				if (skip && (i == skip - 1 || i == skip) &&
				    (st = check_resumed(ts, i, skip, z, x, y, partial, err)))
					break;
				if (i < skip)
					continue;
				struct tile_view v;
				tile_view_of_tile(&v, j->style, j->cs, z, x, y, j->scale);
				bool empty;
				buf_reset(&png);
				if ((st = tile_render_png(g->map, ctx, &v, &png, &empty, err)) ||
				    (st = tilestore_put(ts, z, x, y, png.data, png.len, err)))
					break;
				res->rendered++;
				if ((j->progress && !j->progress(j->arg, i + 1, res->total, z)) ||
				    (j->max_tiles > 0 && res->rendered >= j->max_tiles && i + 1 < res->total))
					*stopped = true;
			}
		}
	}
	buf_free(&png);
	return st;
}

enum ms_status mapservice_seed(struct mapservice *ms, const struct mapservice_gen *g,
                               const struct mapservice_seed *job, struct mapservice_seed_result *res,
                               struct ms_error *err)
{
	memset(res, 0, sizeof *res);
	struct tilestore_meta md;
	struct seed_text text;
	seed_meta(g, job, &md, &text);
	res->total = mapservice_seed_count(job);
	struct tilestore *ts = NULL;
	enum ms_status st = tilestore_create(job->path, job->format, &md, job->partial, &ts, err);
	if (st != MS_OK)
		return st;
	tilestore_stats(ts, &res->stats);
	res->resumed = res->stats.tiles;
	bool stopped = false;
	if (res->resumed > res->total)
		st = ms_fail(err, MS_EDATA, "%s.partial holds %lld tiles, more than the %lld of this seed",
		             job->path, res->resumed, res->total);
	if (st == MS_OK)
		st = seed_tiles(ms, g, job, ts, res, &stopped, err);
	if (st == MS_OK && !stopped) {
		st = tilestore_finish(ts, err);
		res->finished = st == MS_OK;
	}
	tilestore_stats(ts, &res->stats);
	tilestore_close(ts); /* an unfinished store's partial file stays */
	return st;
}

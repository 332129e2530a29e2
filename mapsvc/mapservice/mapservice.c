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
 * Contexts: each thread's tile_ctx hangs off a pthread key, so the hot
 * path finds it without a lock.  The service also keeps every context in
 * a list, because a key's destructor runs only when a thread exits, and
 * the thread that frees the service (main, in the commands) never has:
 * mapservice_free frees what is left in the list.
 */
#include "mapservice.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../geo/webmerc.h"
#include "../util/mem.h"

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

/* Makes a generation of snap and held current. */
static void install_gen(struct mapservice *ms, struct snapshot *snap, struct mapservice_styles *held)
{
	struct mapservice_gen *g = gen_new(snap, held);
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
	install_gen(ms, snap, held);
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
	mapservice_install(ms, snap, set);
	snapshot_release(snap); /* the generation holds its own */
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
	install_gen(ms, snap, cur ? cur->styles_ : NULL);
	snapshot_release(snap);
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
	struct tile_view view;
	const struct mapservice_tile *t;
};

/* The cache's miss: this thread renders, the others wait for it. */
static enum ms_status fill_tile(void *arg, struct tcache_blob **out, struct ms_error *err)
{
	struct fill_job *j = arg;
	struct tile_ctx *ctx = mapservice_ctx(j->ms, err);
	if (!ctx)
		return err->status;
	if (j->t->subset_key) {
		enum ms_status st = tile_map_subset(j->g->map, j->t->subset_key, j->t->select,
		                                    j->t->select_arg, &j->view.subset, err);
		if (st != MS_OK)
			return st;
	}
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
	struct fill_job job = {ms, g, {0}, t};
	tile_view_of_tile(&job.view, t->style, t->cs, t->z, t->x, t->y, t->scale);
	return tcache_get(ms->cache, &key, fill_tile, &job, out, NULL, err);
}

/* --------------------------------------------------------------- seed */

/* The store's description of the job. */
static void seed_meta(const struct mapservice_seed *j, struct tilestore_meta *md, const char *extra[2][2])
{
	extra[0][0] = "coordsys", extra[0][1] = coordsys_name(j->cs);
	extra[1][0] = "scale", extra[1][1] = j->scale == 2 ? "2" : "1";
	const double *b = j->box;
	*md = (struct tilestore_meta){
	    .name = j->style->title[0] ? j->style->title : j->style->name,
	    .format = "png",
	    .attribution = MAPSERVICE_TILES_ATTRIBUTION,
	    .description = MAPSERVICE_TILES_DESCRIPTION,
	    .type = "overlay",
	    .version = MAPSERVICE_TILES_VERSION,
	    .bounds = {b[0], b[1], b[2], b[3]},
	    .center_lon = (b[0] + b[2]) / 2,
	    .center_lat = (b[1] + b[3]) / 2,
	    .center_zoom = webmerc_fit_zoom(b[0], b[1], b[2], b[3], j->zmin, j->zmax),
	    .minzoom = j->zmin,
	    .maxzoom = j->zmax,
	    .extra = (const char *const(*)[2])extra,
	    .nextra = 2,
	};
}

/* Every tile of the job into ts, zoom by zoom, row-major. */
static enum ms_status seed_tiles(struct mapservice *ms, const struct mapservice_gen *g,
                                 const struct mapservice_seed *j, struct tilestore *ts, struct ms_error *err)
{
	struct tile_ctx *ctx = mapservice_ctx(ms, err);
	if (!ctx)
		return err->status;
	long long done = 0, total = webmerc_tile_count(j->box, j->zmin, j->zmax);
	enum ms_status st = MS_OK;
	struct buf png = BUF_INIT;
	for (int z = j->zmin; z <= j->zmax && !st; z++) {
		struct webmerc_range r;
		webmerc_tile_range(j->box, z, &r);
		for (int x = r.x0; x <= r.x1 && !st; x++) {
			for (int y = r.y0; y <= r.y1 && !st; y++) {
				struct tile_view v;
				tile_view_of_tile(&v, j->style, j->cs, z, x, y, j->scale);
				bool empty;
				buf_reset(&png);
				if ((st = tile_render_png(g->map, ctx, &v, &png, &empty, err)) ||
				    (st = tilestore_put(ts, z, x, y, png.data, png.len, err)))
					break;
				done++;
				if (j->progress && !j->progress(j->arg, done, total, z))
					st = ms_fail(err, MS_EIO, "interrupted after %lld of %lld tiles",
					             done, total);
			}
		}
	}
	buf_free(&png);
	return st;
}

enum ms_status mapservice_seed(struct mapservice *ms, const struct mapservice_gen *g,
                               const struct mapservice_seed *job, struct tilestore_stats *stats,
                               struct ms_error *err)
{
	struct tilestore_meta md;
	const char *extra[2][2];
	seed_meta(job, &md, extra);
	struct tilestore *ts = NULL;
	enum ms_status st = tilestore_create(job->path, job->format, &md, &ts, err);
	if (st == MS_OK)
		st = seed_tiles(ms, g, job, ts, err);
	if (st == MS_OK)
		st = tilestore_finish(ts, err);
	if (stats && ts)
		tilestore_stats(ts, stats);
	tilestore_close(ts); /* removes an unfinished store */
	return st;
}

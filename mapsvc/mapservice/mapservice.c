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

#include <time.h>

#include "../geo/webmerc.h"
#include "../util/mem.h"

/* Render time bounds (s): an empty tile is tens of microseconds, a dense
 * one at a low zoom tens of milliseconds, a filtered tile's first render
 * (its subset's hierarchy) can take a second. */
const double mapservice_render_buckets[MAPSERVICE_RENDER_BUCKETS] = {0.0001, 0.0005, 0.001, 0.005, 0.01,
                                                                     0.05,   0.1,    0.5,   1};
#define NS_PER_S 1e9

/* One style's render times.  The name is written before the slot is
 * published (render_n, release), and never changes after. */
struct render_slot {
	char style[sizeof(((struct style *)0)->name)];
	atomic_ullong buckets[MAPSERVICE_RENDER_BUCKETS + 1];
	atomic_ullong ns_sum;
};

/* A thread's context and its place in the service's list. */
struct ctx_node {
	struct mapservice *ms;
	struct tile_ctx *ctx;
	struct ctx_node *prev, *next;
};

struct mapservice {
	struct mapservice_config cfg;
	pthread_mutex_t gen_mu; /* guards cur (see the top of this file) */
	struct mapservice_gen *cur;
	unsigned long long serial; /* of the last generation made; under gen_mu */
	atomic_ullong reloads;
	atomic_ullong load_failures;
	atomic_ullong load_ns; /* the current generation's load */
	struct tcache *cache;
	/* Render times by style (mapservice_render_stats): slots are taken
	 * under render_mu and read without it up to render_n. */
	pthread_mutex_t render_mu;
	atomic_size_t render_n;
	struct render_slot render[MAPSERVICE_RENDER_STYLES + 1]; /* the last: every other style */
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

static struct mapservice_gen *gen_new(struct snapshot *snap, struct styleset *set)
{
	struct mapservice_gen *g = xcalloc(1, sizeof *g);
	ms_ref_init(&g->refs_);
	g->snap = snapshot_retain(snap);
	g->set_ = set;
	if (set)
		g->styles = styleset_styles(set, &g->nstyles);
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
	styleset_free(g->set_);
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

void mapservice_install(struct mapservice *ms, struct snapshot *snap, struct styleset *set)
{
	struct mapservice_gen *g = gen_new(snap, set);
	pthread_mutex_lock(&ms->gen_mu);
	struct mapservice_gen *old = ms->cur;
	g->serial = ++ms->serial;
	ms->cur = g;
	pthread_mutex_unlock(&ms->gen_mu);
	if (old)
		atomic_fetch_add(&ms->reloads, 1);
	mapservice_release(old); /* requests still on it hold their own references */
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * (uint64_t)NS_PER_S + (uint64_t)ts.tv_nsec;
}

static enum ms_status load(struct mapservice *ms, struct ms_error *err);

enum ms_status mapservice_load(struct mapservice *ms, struct ms_error *err)
{
	uint64_t t0 = now_ns();
	enum ms_status st = load(ms, err);
	if (st == MS_OK)
		atomic_store(&ms->load_ns, now_ns() - t0);
	else
		atomic_fetch_add(&ms->load_failures, 1);
	return st;
}

static enum ms_status load(struct mapservice *ms, struct ms_error *err)
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
	struct snapshot_opts o = {NULL, 0};
	struct cluster_params *params = NULL;
	if (set) {
		size_t n;
		const struct style *styles = styleset_styles(set, &n);
		params = xcalloc(n, sizeof *params);
		size_t k = tile_styles_cluster_params(styles, n, params);
		/* beyond what a snapshot builds, the map builds on first use */
		o = (struct snapshot_opts){params, k < SNAPSHOT_MAX_CLUSTERS ? k : SNAPSHOT_MAX_CLUSTERS};
	}
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

/* ------------------------------------------------------------ service */

struct mapservice *mapservice_new(const struct mapservice_config *cfg)
{
	struct mapservice *ms = xcalloc(1, sizeof *ms);
	ms->cfg = *cfg;
	pthread_mutex_init(&ms->gen_mu, NULL);
	pthread_mutex_init(&ms->ctx_mu, NULL);
	pthread_mutex_init(&ms->render_mu, NULL);
	snprintf(ms->render[MAPSERVICE_RENDER_STYLES].style, sizeof ms->render[0].style, "%s",
	         MAPSERVICE_RENDER_OTHER);
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
	pthread_mutex_destroy(&ms->render_mu);
	pthread_mutex_destroy(&ms->gen_mu);
	free(ms);
}

void mapservice_stats(struct mapservice *ms, struct mapservice_stats *st)
{
	st->reloads = atomic_load(&ms->reloads);
	st->load_failures = atomic_load(&ms->load_failures);
	st->load_seconds = (double)atomic_load(&ms->load_ns) / NS_PER_S;
	tcache_stats(ms->cache, &st->cache);
}

/* The slot of a style's render times: found without a lock among those
 * published, else taken under render_mu (a style's first render). */
static struct render_slot *render_slot(struct mapservice *ms, const char *style)
{
	size_t n = atomic_load_explicit(&ms->render_n, memory_order_acquire);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ms->render[i].style, style))
			return &ms->render[i];
	pthread_mutex_lock(&ms->render_mu);
	n = atomic_load_explicit(&ms->render_n, memory_order_relaxed);
	struct render_slot *slot = NULL;
	for (size_t i = 0; i < n && !slot; i++)
		if (!strcmp(ms->render[i].style, style))
			slot = &ms->render[i];
	if (!slot && n < MAPSERVICE_RENDER_STYLES) {
		slot = &ms->render[n];
		snprintf(slot->style, sizeof slot->style, "%s", style);
		atomic_store_explicit(&ms->render_n, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&ms->render_mu);
	return slot ? slot : &ms->render[MAPSERVICE_RENDER_STYLES];
}

static void count_render(struct mapservice *ms, const char *style, uint64_t ns)
{
	struct render_slot *slot = render_slot(ms, style);
	double secs = (double)ns / NS_PER_S;
	size_t b = 0;
	while (b < MAPSERVICE_RENDER_BUCKETS && secs > mapservice_render_buckets[b])
		b++;
	atomic_fetch_add(&slot->buckets[b], 1);
	atomic_fetch_add(&slot->ns_sum, ns);
}

size_t mapservice_render_stats(struct mapservice *ms, struct mapservice_render_stats *out, size_t max)
{
	size_t n = atomic_load_explicit(&ms->render_n, memory_order_acquire), k = 0;
	for (size_t i = 0; i <= MAPSERVICE_RENDER_STYLES && k < max; i++) {
		if (i >= n && i < MAPSERVICE_RENDER_STYLES)
			continue;
		struct render_slot *slot = &ms->render[i];
		struct mapservice_render_stats *o = &out[k];
		memset(o, 0, sizeof *o);
		for (size_t b = 0; b <= MAPSERVICE_RENDER_BUCKETS; b++)
			o->count += o->buckets[b] = atomic_load(&slot->buckets[b]);
		if (!o->count)
			continue;
		snprintf(o->style, sizeof o->style, "%s", slot->style);
		o->sum_seconds = (double)atomic_load(&slot->ns_sum) / NS_PER_S;
		k++;
	}
	return k;
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
	uint64_t t0 = now_ns();
	enum ms_status st = render_blob(j->g->map, ctx, &j->view, out, err);
	tile_subset_release(j->view.subset);
	if (st == MS_OK)
		count_render(j->ms, j->t->style->name, now_ns() - t0);
	return st;
}

enum ms_status mapservice_tile(struct mapservice *ms, const struct mapservice_gen *g,
                               const struct mapservice_tile *t, struct tcache_blob **out, uint64_t *tag,
                               struct ms_error *err)
{
	return mapservice_tile_hit(ms, g, t, out, tag, NULL, err);
}

enum ms_status mapservice_tile_hit(struct mapservice *ms, const struct mapservice_gen *g,
                                   const struct mapservice_tile *t, struct tcache_blob **out, uint64_t *tag,
                                   bool *hit, struct ms_error *err)
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
	return tcache_get(ms->cache, &key, fill_tile, &job, out, hit, err);
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

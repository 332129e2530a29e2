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
 *
 * Warming (mapservice_warm): a thread's first contexts grow their arrays
 * and buffers as views need them, each new page a fault on the request's
 * path.  A thread of the service's own makes a context, draws the
 * crowded place's tiles into it (tile_ctx_warm) and leaves it spare; a
 * thread without a context takes it, and one whose context was made cold
 * (before the spare was ready) swaps it, the cold one going back to the
 * warming thread to be freed.  Then the next is warmed, one at a time,
 * so that at most one context's memory waits unused.  The hot path stays
 * without a lock: a warm context's thread never looks again, a cold
 * one's reads one atomic flag.
 */
#include "mapservice.h"

#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <xxhash.h>

#include <time.h>

#include "../geo/webmerc.h"
#include "../render/ahead.h"
#include "../render/layout.h"
#include "../render/raster.h"
#include "../store/store.h"
#include "../util/mem.h"
#include "../util/numparse.h"

/* Render time bounds (s): an empty tile is tens of microseconds, a dense
 * one at a low zoom tens of milliseconds, a filtered tile's first render
 * (its subset's hierarchy) can take a second. */
const double mapservice_render_buckets[MAPSERVICE_RENDER_BUCKETS] = {0.0001, 0.0005, 0.001, 0.005, 0.01,
                                                                     0.05,   0.1,    0.5,   1};
#define NS_PER_S 1e9
#define NS_PER_S_INT 1000000000L
#define NS_PER_MS 1000000L
#define MS_PER_S 1000u
/* The warming thread's nice value, and how often it looks whether the
 * glyphs drawn ahead are ready. */
#define WARM_NICE 10
#define WARM_POLL_NS 5000000L

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
	bool warm; /* made by warming (mapservice_warm) */
	struct ctx_node *prev, *next;
};

struct mapservice {
	struct mapservice_config cfg;
	/* Serialises whole loads (mapservice_load, mapservice_update_sites), so
	 * that an update of the sites never installs the styles a concurrent
	 * reload has just replaced.  Never taken by a request. */
	pthread_mutex_t load_mu;
	atomic_int link; /* enum mapservice_link */
	atomic_ullong reconnects, updates;
	/* The store version (store.h) the installed sites are at, as the
	 * follower of a store that announces changes records it; an edit
	 * waits on version_cv for its own to be installed. */
	pthread_mutex_t version_mu;
	pthread_cond_t version_cv;
	uint64_t store_version;
	pthread_mutex_t gen_mu; /* guards cur (see the top of this file) */
	struct mapservice_gen *cur;
	unsigned long long serial; /* of the last generation made; under gen_mu */
	atomic_ullong reloads;
	atomic_ullong load_failures;
	atomic_ullong load_ns; /* the current generation's load */
	atomic_ullong tiles_rendered, tiles_from_store, store_errors;
	struct tcache *cache;
	/* Render times by style (mapservice_render_stats): slots are taken
	 * under render_mu and read without it up to render_n. */
	pthread_mutex_t render_mu;
	atomic_size_t render_n;
	struct render_slot render[MAPSERVICE_RENDER_STYLES + 1]; /* the last: every other style */
	pthread_key_t ctx_key;
	pthread_mutex_t ctx_mu; /* guards ctxs, spare and warm_left */
	struct ctx_node *ctxs;
	/* Warming (mapservice_warm): contexts warmed and not taken yet, how
	 * many more to warm, and the thread that warms them, which waits on
	 * warm_cv while one is spare. */
	struct ctx_node *spare, *retired; /* retired: cold contexts spares replaced */
	atomic_bool spare_ready;          /* spare != NULL, read without the lock */
	unsigned warm_left;
	pthread_cond_t warm_cv;
	pthread_t warm_thread;
	atomic_bool warming; /* warm_thread was started */
	atomic_bool warm_stop, warm_ended;
	atomic_size_t warmed, taken;
	/* The reaper: a generation a reload replaced is freed by this thread
	 * once its last request ends, not by that request's thread (a
	 * million sites took 1-9 ms to free, and the connections that thread
	 * serves would wait).  Started with the first reload. */
	pthread_mutex_t reap_mu; /* guards dead and reap_stop */
	pthread_cond_t reap_cv;
	struct mapservice_gen *dead; /* linked by dead_ */
	bool reap_stop;
	pthread_t reaper;
	atomic_bool reaping; /* reaper was started */
	atomic_ullong reaped;
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

#ifdef __GLIBC__
static pthread_once_t drawing_once = PTHREAD_ONCE_INIT;

/* main.c fixes the mapping threshold, and so glibc leaves the trim
 * threshold at its 128 KiB default instead of raising it with the other:
 * every @2x tile's megabytes of scratch (its PNG's filtered rows and
 * their deflate stream), freed at the top of a worker's heap, were given
 * back and faulted in again by the next tile, a quarter of a crowded
 * tile's time.  Once tiles are drawn, each heap keeps up to a mapping's
 * threshold free at its top: a few megabytes for each drawing thread,
 * within the allowance the README states beside the tile cache. */
static void keep_scratch(void)
{
	mallopt(M_TRIM_THRESHOLD, MS_MMAP_THRESHOLD);
}
#endif

/* Links n into the service's list and makes it this thread's; under ctx_mu. */
static void ctx_adopt(struct mapservice *ms, struct ctx_node *n)
{
	n->prev = NULL;
	n->next = ms->ctxs;
	if (n->next)
		n->next->prev = n;
	ms->ctxs = n;
	pthread_setspecific(ms->ctx_key, n);
}

/* A warmed context, if one is waiting; under ctx_mu. */
static struct ctx_node *take_spare(struct mapservice *ms)
{
	struct ctx_node *n = ms->spare;
	if (n) {
		ms->spare = n->next;
		atomic_store_explicit(&ms->spare_ready, ms->spare != NULL, memory_order_relaxed);
		atomic_fetch_add(&ms->taken, 1);
		pthread_cond_signal(&ms->warm_cv); /* warm the next */
	}
	return n;
}

struct tile_ctx *mapservice_ctx(struct mapservice *ms, struct ms_error *err)
{
	struct ctx_node *n = pthread_getspecific(ms->ctx_key);
	/* the hot path: a warm context, or a cold one and none to swap it for */
	if (n && (n->warm || !atomic_load_explicit(&ms->spare_ready, memory_order_relaxed)))
		return n->ctx;
#ifdef __GLIBC__
	pthread_once(&drawing_once, keep_scratch);
#endif
	pthread_mutex_lock(&ms->ctx_mu);
	struct ctx_node *w = take_spare(ms);
	if (w) {
		if (n) {
			/* A thread that began before warming had a context ready:
			 * its cold one goes to the warming thread to be freed (a
			 * few megabytes given back, off this request's path). */
			ctx_unlink(n);
			n->next = ms->retired;
			ms->retired = n;
		}
		ctx_adopt(ms, w);
		n = w;
	}
	pthread_mutex_unlock(&ms->ctx_mu);
	if (n)
		return n->ctx;
	struct tile_ctx *ctx = tile_ctx_new(err);
	if (!ctx)
		return NULL;
	n = xcalloc(1, sizeof *n);
	n->ms = ms;
	n->ctx = ctx;
	pthread_mutex_lock(&ms->ctx_mu);
	ctx_adopt(ms, n);
	pthread_mutex_unlock(&ms->ctx_mu);
	return ctx;
}

/* The current generation once its glyphs are drawn ahead, which a
 * context warmed then shares rather than drawing its own (megabytes, and
 * CPU the start-up needs); not held while waiting, so that a reload's
 * old generation is not kept. */
static struct mapservice_gen *acquire_drawn(struct mapservice *ms)
{
	for (;;) {
		struct mapservice_gen *g = mapservice_acquire(ms);
		size_t bitmaps;
		if (!g || mapservice_glyphs_ahead(g, &bitmaps) || atomic_load(&ms->warm_stop))
			return g;
		mapservice_release(g);
		nanosleep(&(struct timespec){0, WARM_POLL_NS}, NULL);
	}
}

/* A context drawn into where the current generation's sites crowd; NULL
 * when none can be made. */
static struct ctx_node *warm_one(struct mapservice *ms)
{
#ifdef __GLIBC__
	pthread_once(&drawing_once, keep_scratch);
#endif
	struct ms_error err = {0};
	struct tile_ctx *ctx = tile_ctx_new(&err);
	if (!ctx)
		return NULL;
	struct mapservice_gen *g = acquire_drawn(ms);
	if (g && g->def)
		tile_ctx_warm(g->map, ctx, g->def, &ms->warm_stop);
	mapservice_release(g);
	struct ctx_node *n = xcalloc(1, sizeof *n);
	n->ms = ms;
	n->ctx = ctx;
	n->warm = true;
	return n;
}

static void free_nodes(struct ctx_node *n)
{
	for (struct ctx_node *next; n; n = next) {
		next = n->next;
		tile_ctx_free(n->ctx);
		free(n);
	}
}

/* The warming thread: one spare at a time, until warm_left are made;
 * it frees the cold contexts they replace, and ends once no spare is
 * left to be taken (taking one and retiring a context are one step). */
static void *warm_main(void *arg)
{
	struct mapservice *ms = arg;
	/* Work no request waits for, as the glyphs drawn ahead (ahead.c):
	 * the drawing threads take the CPU from it. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), WARM_NICE);
	(void)pthread_setname_np(pthread_self(), "ms-warm");
	pthread_mutex_lock(&ms->ctx_mu);
	while (!atomic_load(&ms->warm_stop)) {
		if (ms->retired) {
			struct ctx_node *r = ms->retired;
			ms->retired = NULL;
			pthread_mutex_unlock(&ms->ctx_mu);
			free_nodes(r);
			pthread_mutex_lock(&ms->ctx_mu);
		} else if (ms->warm_left && !ms->spare) {
			ms->warm_left--;
			pthread_mutex_unlock(&ms->ctx_mu);
			struct ctx_node *n = warm_one(ms);
			pthread_mutex_lock(&ms->ctx_mu);
			if (!n)
				break;
			n->next = ms->spare;
			ms->spare = n;
			atomic_store_explicit(&ms->spare_ready, true, memory_order_relaxed);
			atomic_fetch_add(&ms->warmed, 1);
		} else if (!ms->warm_left && !ms->spare) {
			break;
		} else {
			pthread_cond_wait(&ms->warm_cv, &ms->ctx_mu);
		}
	}
	pthread_mutex_unlock(&ms->ctx_mu);
	atomic_store(&ms->warm_ended, true);
	return NULL;
}

void mapservice_warm(struct mapservice *ms, unsigned n)
{
	if (!n || atomic_load(&ms->warming))
		return;
	ms->warm_left = n;
	atomic_store(&ms->warming, true); /* "warming" from now on (mapservice_warm_stats) */
	/* without a thread, requests make their contexts as before */
	if (pthread_create(&ms->warm_thread, NULL, warm_main, ms) != 0)
		atomic_store(&ms->warming, false);
}

bool mapservice_warm_stats(struct mapservice *ms, size_t *warmed, size_t *taken)
{
	*warmed = atomic_load(&ms->warmed);
	*taken = atomic_load(&ms->taken);
	return *warmed || !atomic_load(&ms->warming) || atomic_load(&ms->warm_ended);
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
	version_hex(mapservice_tiles_data_version(g, p->style), have);
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

/* A style set shared by the generations that draw with it: a reload
 * makes a new one, a change of the sites keeps the current one. */
struct mapservice_looks {
	struct styleset *set;
	struct tile_ahead *ahead; /* the styles' glyphs, drawn ahead */
	struct ms_ref refs;
};

/* Looks of set, whose glyphs are drawn ahead for the names of snap (the
 * sites they are first drawn with: later changes of the sites share
 * them). */
static struct mapservice_looks *looks_new(struct styleset *set, struct snapshot *snap)
{
	struct mapservice_looks *l = xcalloc(1, sizeof *l);
	l->set = set;
	ms_ref_init(&l->refs);
	size_t n = 0;
	const struct style *styles = set ? styleset_styles(set, &n) : NULL;
	if (n && snap)
		l->ahead = tile_ahead_start(snap, styles, n);
	return l;
}

static void looks_release(struct mapservice_looks *l)
{
	if (!l || !ms_ref_put(&l->refs))
		return;
	tile_ahead_free(l->ahead); /* before the styles it reads */
	styleset_free(l->set);
	free(l);
}

/* A generation of snap and looks (a reference to each is taken). */
static struct mapservice_gen *gen_new(struct snapshot *snap, struct mapservice_looks *looks)
{
	struct mapservice_gen *g = xcalloc(1, sizeof *g);
	ms_ref_init(&g->refs_);
	g->snap = snapshot_retain(snap);
	ms_ref_get(&looks->refs);
	g->looks_ = looks;
	if (looks->set)
		g->styles = styleset_styles(looks->set, &g->nstyles);
	g->def = mapservice_style(g, MAPSERVICE_DEFAULT_STYLE);
	if (!g->def && g->nstyles)
		g->def = &g->styles[0];
	/* The map borrows the set's styles: both go in mapservice_release. */
	g->map = tile_map_new(snap, g->styles, g->nstyles);
	tile_map_set_ahead(g->map, looks->ahead);
	return g;
}

static void gen_free(struct mapservice_gen *g)
{
	tile_map_release(g->map); /* before the styles it borrows */
	pre_free(g->pre_);
	looks_release(g->looks_);
	snapshot_release(g->snap);
	free(g);
}

void mapservice_release(struct mapservice_gen *g)
{
	if (!g || !ms_ref_put(&g->refs_))
		return;
	/* retired_ was written before the reloading thread's own put, which
	 * the last put follows (ms_ref_put is acq_rel) */
	struct mapservice *ms = g->retired_;
	if (!ms) {
		gen_free(g);
		return;
	}
	pthread_mutex_lock(&ms->reap_mu);
	g->dead_ = ms->dead;
	ms->dead = g;
	pthread_cond_signal(&ms->reap_cv);
	pthread_mutex_unlock(&ms->reap_mu);
}

/* The reaper: frees what mapservice_release hands it, until told to stop
 * with nothing left. */
static void *reap_main(void *arg)
{
	struct mapservice *ms = arg;
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), WARM_NICE); /* no request waits for it */
	(void)pthread_setname_np(pthread_self(), "ms-reap");
	pthread_mutex_lock(&ms->reap_mu);
	for (;;) {
		while (!ms->dead && !ms->reap_stop)
			pthread_cond_wait(&ms->reap_cv, &ms->reap_mu);
		struct mapservice_gen *g = ms->dead;
		if (!g)
			break; /* stopping, and nothing left */
		ms->dead = NULL;
		pthread_mutex_unlock(&ms->reap_mu);
		while (g) {
			struct mapservice_gen *next = g->dead_;
			gen_free(g);
			atomic_fetch_add(&ms->reaped, 1);
			g = next;
		}
		pthread_mutex_lock(&ms->reap_mu);
	}
	pthread_mutex_unlock(&ms->reap_mu);
	return NULL;
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

bool mapservice_glyphs_ahead(const struct mapservice_gen *g, size_t *bitmaps)
{
	*bitmaps = 0;
	return !g->looks_->ahead || tile_ahead_ready(g->looks_->ahead, bitmaps, NULL);
}

const struct style *mapservice_style(const struct mapservice_gen *g, const char *name)
{
	return style_find(g->styles, g->nstyles, name);
}

uint64_t mapservice_tiles_data_version(const struct mapservice_gen *g, const struct style *st)
{
	return st->sites ? g->snap->version : 0;
}

/* Makes g current; the old generation goes with its last request. */
static void swap_in(struct mapservice *ms, struct mapservice_gen *g)
{
	pthread_mutex_lock(&ms->gen_mu);
	struct mapservice_gen *old = ms->cur;
	g->serial = ++ms->serial;
	ms->cur = g;
	/* From the first reload on, whoever drops the last reference of a
	 * replaced generation hands it to the reaper (if no thread can be
	 * started, it frees it itself). */
	if (old && !atomic_load(&ms->reaping) && pthread_create(&ms->reaper, NULL, reap_main, ms) == 0)
		atomic_store(&ms->reaping, true);
	pthread_mutex_unlock(&ms->gen_mu);
	if (old) {
		atomic_fetch_add(&ms->reloads, 1);
		if (atomic_load(&ms->reaping))
			old->retired_ = ms;
	}
	mapservice_release(old); /* requests still on it hold their own references */
}

void mapservice_install(struct mapservice *ms, struct snapshot *snap, struct styleset *set)
{
	struct mapservice_looks *looks = looks_new(set, snap);
	swap_in(ms, gen_new(snap, looks));
	looks_release(looks); /* the generation holds its own */
}

/* Sites from which a snapshot's name index is built after it
 * (snapshot_opts.names_later): where building it takes longer than a
 * tenth of a second, the first tiles need not wait for it. */
#define NAMES_LATER 100000

/* The hierarchies a snapshot builds for styles[0..n) into *o, and the
 * snapshot it follows (whose parts it may share: snapshot.h); free
 * *params after the build. */
static void cluster_opts(const struct style *styles, size_t n, const struct snapshot *prev,
                         struct cluster_params **params, struct snapshot_opts *o)
{
	*params = NULL;
	*o = (struct snapshot_opts){NULL, 0, prev, NAMES_LATER, NULL, NULL};
	if (!n)
		return;
	*params = xcalloc(n, sizeof **params);
	size_t k = tile_styles_cluster_params(styles, n, *params);
	/* beyond what a snapshot builds, the map builds on first use */
	*o = (struct snapshot_opts){
	    *params, k < SNAPSHOT_MAX_CLUSTERS ? k : SNAPSHOT_MAX_CLUSTERS, prev, NAMES_LATER, NULL, NULL};
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * (uint64_t)NS_PER_S + (uint64_t)ts.tv_nsec;
}

static enum ms_status load_locked(struct mapservice *ms, struct ms_error *err);

enum ms_status mapservice_load(struct mapservice *ms, struct ms_error *err)
{
	uint64_t t0 = now_ns();
	pthread_mutex_lock(&ms->load_mu);
	enum ms_status st = load_locked(ms, err);
	pthread_mutex_unlock(&ms->load_mu);
	if (st == MS_OK)
		atomic_store(&ms->load_ns, now_ns() - t0);
	else
		atomic_fetch_add(&ms->load_failures, 1);
	return st;
}

/* The styles of a load, read on a thread of their own while the sites
 * are read. */
struct styles_job {
	const char *dir;
	struct styleset *set;
	enum ms_status st;
	struct ms_error err;
};

/* snapshot_opts.read_kept: the block the database (arg, its path) keeps
 * for p's hierarchy. */
static enum ms_status read_kept(void *arg, const struct cluster_params *p, void **block, size_t *len)
{
	char key[CLUSTER_KEY_MAX];
	cluster_params_key(p, key);
	struct ms_error ignored; /* none, or unreadable: patched or built, as without */
	return store_read_block(arg, key, block, len, &ignored);
}

static void *load_styles(void *arg)
{
	struct styles_job *j = arg;
	j->st = styleset_load_dir(j->dir, &j->set, &j->err);
	if (j->st == MS_OK) {
		size_t n;
		styleset_styles(j->set, &n);
		if (!n) {
			styleset_free(j->set);
			j->set = NULL;
			j->st = ms_fail(&j->err, MS_EDATA, "%s: no style files (*.json)", j->dir);
		}
	}
	return NULL;
}

static enum ms_status load_locked(struct mapservice *ms, struct ms_error *err)
{
	/* The styles (their context layers are tens of milliseconds of
	 * GeoJSON) are read while the sites are, on a core the reading
	 * leaves idle at first; a broken style is reported before whatever
	 * the sites' load found. */
	struct styles_job job = {.dir = ms->cfg.styles_dir};
	pthread_t th;
	bool threaded = job.dir && pthread_create(&th, NULL, load_styles, &job) == 0;
	struct site_set *sites = NULL;
	struct ms_error load_err = {0};
	enum ms_status ls = store_load(ms->cfg.db_path, &sites, &load_err);
	if (threaded)
		pthread_join(th, NULL);
	else if (job.dir)
		load_styles(&job);
	struct styleset *set = job.set;
	if (job.dir && job.st != MS_OK) {
		site_set_free(sites);
		*err = job.err;
		return err->status;
	}
	if (ls != MS_OK) {
		styleset_free(set);
		*err = load_err;
		return err->status;
	}
	/* The styles' hierarchies are built with the sites' indexes, at once,
	 * and before the swap (snapshot.h). */
	struct snapshot_opts o;
	struct cluster_params *params;
	size_t nstyles = 0;
	const struct style *styles = set ? styleset_styles(set, &nstyles) : NULL;
	struct mapservice_gen *cur = mapservice_acquire(ms);
	cluster_opts(styles, nstyles, cur ? cur->snap : NULL, &params, &o);
	/* A SpatiaLite import keeps the hierarchies with the sites: read
	 * rather than built where they are of these sites (snapshot.h).  An
	 * edit's sites are not an import's: mapservice_update_sites reads none. */
	if (store_kind_of(ms->cfg.db_path) == STORE_SPATIALITE) {
		o.read_kept = read_kept;
		o.kept_arg = (void *)ms->cfg.db_path;
	}
	struct snapshot *snap = snapshot_new_with(sites, &o, err); /* takes sites */
	mapservice_release(cur);
	free(params);
	if (!snap) {
		styleset_free(set);
		return err->status;
	}
	struct mapservice_looks *looks = looks_new(set, snap);
	struct mapservice_gen *g = gen_new(snap, looks);
	looks_release(looks);   /* the generation holds its own */
	snapshot_release(snap); /* the generation holds its own */
	if (ms->cfg.tiles_from && pre_open(g, ms->cfg.tiles_from, err) != MS_OK) {
		mapservice_release(g);
		return err->status;
	}
	swap_in(ms, g);
	return MS_OK;
}

enum ms_status mapservice_update_sites(struct mapservice *ms, mapservice_sites_fn make, void *arg,
                                       struct ms_error *err)
{
	pthread_mutex_lock(&ms->load_mu);
	struct mapservice_gen *cur = mapservice_acquire(ms);
	struct site_set *set = NULL;
	struct cluster_params *params = NULL;
	struct mapservice_looks *none = NULL;
	enum ms_status rs = make(arg, cur ? cur->snap : NULL, &set, err);
	if (rs != MS_OK || !set)
		goto done;
	/* The current styles' hierarchies, built before the swap as a reload
	 * builds them. */
	struct snapshot_opts o;
	cluster_opts(cur ? cur->styles : NULL, cur ? cur->nstyles : 0, cur ? cur->snap : NULL, &params, &o);
	struct snapshot *snap = snapshot_new_with(set, &o, err); /* takes set */
	if (!snap) {
		rs = err->status;
		goto done;
	}
	/* before the first load there are no styles to share */
	struct mapservice_gen *g = gen_new(snap, cur ? cur->looks_ : (none = looks_new(NULL, NULL)));
	snapshot_release(snap); /* the generation holds its own */
	/* A store seeded from the old data is not used for the new
	 * (pre_match); one that cannot be read now is simply not used: the
	 * change goes live either way, and the renderer draws its tiles. */
	struct ms_error perr;
	if (ms->cfg.tiles_from)
		pre_open(g, ms->cfg.tiles_from, &perr);
	swap_in(ms, g);
	atomic_fetch_add(&ms->updates, 1);
done:
	looks_release(none);
	free(params);
	mapservice_release(cur);
	pthread_mutex_unlock(&ms->load_mu);
	return rs;
}

void mapservice_set_store_version(struct mapservice *ms, uint64_t version)
{
	pthread_mutex_lock(&ms->version_mu);
	if (version > ms->store_version)
		ms->store_version = version;
	pthread_cond_broadcast(&ms->version_cv);
	pthread_mutex_unlock(&ms->version_mu);
}

bool mapservice_wait_store_version(struct mapservice *ms, uint64_t version, unsigned timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / MS_PER_S;
	until.tv_nsec += (long)(timeout_ms % MS_PER_S) * NS_PER_MS;
	if (until.tv_nsec >= NS_PER_S_INT) {
		until.tv_sec++;
		until.tv_nsec -= NS_PER_S_INT;
	}
	pthread_mutex_lock(&ms->version_mu);
	int rc = 0;
	while (ms->store_version < version && rc == 0)
		rc = pthread_cond_timedwait(&ms->version_cv, &ms->version_mu, &until);
	bool reached = ms->store_version >= version;
	pthread_mutex_unlock(&ms->version_mu);
	return reached;
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
	pthread_mutex_init(&ms->version_mu, NULL);
	/* the waits are timed by the monotonic clock: a clock step moves no deadline */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ms->version_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&ms->ctx_mu, NULL);
	pthread_cond_init(&ms->warm_cv, NULL);
	pthread_mutex_init(&ms->reap_mu, NULL);
	pthread_cond_init(&ms->reap_cv, NULL);
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
	if (atomic_load(&ms->warming)) {
		pthread_mutex_lock(&ms->ctx_mu);
		atomic_store(&ms->warm_stop, true);
		pthread_cond_signal(&ms->warm_cv);
		pthread_mutex_unlock(&ms->ctx_mu);
		pthread_join(ms->warm_thread, NULL);
	}
	/* No destructor runs after this, so the lists are ours alone. */
	pthread_key_delete(ms->ctx_key);
	free_nodes(ms->ctxs);
	free_nodes(ms->spare);
	free_nodes(ms->retired);
	mapservice_release(ms->cur);
	if (atomic_load(&ms->reaping)) { /* every generation is released now: the reaper has the rest */
		pthread_mutex_lock(&ms->reap_mu);
		ms->reap_stop = true;
		pthread_cond_signal(&ms->reap_cv);
		pthread_mutex_unlock(&ms->reap_mu);
		pthread_join(ms->reaper, NULL);
	}
	pthread_mutex_destroy(&ms->reap_mu);
	pthread_cond_destroy(&ms->reap_cv);
	tcache_free(ms->cache);
	pthread_mutex_destroy(&ms->ctx_mu);
	pthread_cond_destroy(&ms->warm_cv);
	pthread_mutex_destroy(&ms->render_mu);
	pthread_mutex_destroy(&ms->gen_mu);
	pthread_mutex_destroy(&ms->load_mu);
	pthread_mutex_destroy(&ms->version_mu);
	pthread_cond_destroy(&ms->version_cv);
	free(ms);
}

void mapservice_stats(struct mapservice *ms, struct mapservice_stats *st)
{
	st->reloads = atomic_load(&ms->reloads);
	st->load_failures = atomic_load(&ms->load_failures);
	st->load_seconds = (double)atomic_load(&ms->load_ns) / NS_PER_S;
	st->link = (enum mapservice_link)atomic_load(&ms->link);
	st->reconnects = atomic_load(&ms->reconnects);
	st->updates = atomic_load(&ms->updates);
	tcache_stats(ms->cache, &st->cache);
	st->tiles_rendered = atomic_load(&ms->tiles_rendered);
	st->tiles_from_store = atomic_load(&ms->tiles_from_store);
	st->store_errors = atomic_load(&ms->store_errors);
	st->gens_reaped = atomic_load(&ms->reaped);
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
	uint64_t data = mapservice_tiles_data_version(g, t->style);
	struct tcache_key key = {data,          t->style->version, (uint32_t)t->x, (uint32_t)t->y,
	                         (uint8_t)t->z, (uint8_t)t->scale, (uint8_t)t->cs, subset};
	struct fill_job job = {ms, g, t, {0}};
	tile_view_of_tile(&job.view, t->style, t->cs, t->z, t->x, t->y, t->scale);
	enum ms_status st = tcache_get(ms->cache, &key, fill_tile, &job, out, hit, err);
	if (st != MS_OK)
		return st;
	/* From the bytes (header): hashing a tile of a few kilobytes takes
	 * well under a microsecond, next to the cache lookup. */
	uint64_t words[5] = {XXH3_64bits((*out)->data, (*out)->len), key.style_version,
	                     ((uint64_t)key.x << 32) | key.y,
	                     ((uint64_t)key.z << 16) | ((uint64_t)key.scale << 8) | key.coordsys, key.filter};
	*tag = XXH3_64bits(words, sizeof words);
	return MS_OK;
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
	version_hex(mapservice_tiles_data_version(g, j->style), t->data_version);
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

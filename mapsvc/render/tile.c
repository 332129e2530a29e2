/*
 * tile.c - the tile map (hierarchies and subsets, made once, on demand),
 * the view renderer and the shared empty PNGs; see tile.h.
 *
 * Drawing a view: ask the hierarchy of the style (or of the view's subset)
 * for the items whose anchor lies within the view's margin (layout.h),
 * place each in the view's system, let the layout decide extents, circles
 * and labels, keep the items whose marker, circle or label touches the
 * view, then draw background, context layers, circles, markers and
 * clusters (stamped from the context's marker images, render/sprite.h),
 * and labels, each pass in item order.  Every coordinate is the
 * layout's world pixel times the scale minus the window's whole-pixel
 * origin, which is what keeps stitched tiles equal to one large window.
 *
 * Positions.  An item's world pixel at zoom z is its hierarchy position
 * (a whole pixel of zoom 24) times 2^(z - 24), exactly, then rounded to
 * the anchor grid; in GCJ-02 or BD-09 that position is turned back into
 * degrees, shifted and projected.  Either way it is a function of the item
 * alone, so every view agrees on it.  The hierarchy is asked in WGS-84
 * units: a shifted view asks its window made WGS-84
 * (cluster_window_unshift) and keeps the items whose shifted anchor falls
 * in it.
 */
#include "tile.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/webmerc.h"
#include "../util/mem.h"
#include "../util/refcount.h"
#include "context.h"
#include "ahead.h"
#include "glyphs.h"
#include "layout.h"
#include "png.h"
#include "raster.h"
#include "sprite.h"

#define NCOORDSYS 4
#define MAX_FONTS 4
/* A cluster's count is written in full below this, in thousands ("12k")
 * from it, so the text stays within the disc. */
#define COUNT_IN_THOUSANDS 10000
#define THOUSAND 1000
/* The radius of a style without clusters, which no level uses
 * (cluster.h): any valid one, so that such styles share one hierarchy. */
#define NO_CLUSTER_RADIUS 1.0
/* First size of a context's visibility buffer. */
#define VIS_MIN_CAP 256
/* The slot of a style that draws no sites: it has no hierarchy. */
#define NO_SLOT SIZE_MAX

/* ---------------------------------------------------------------- lazy */

/* A value computed once by the first thread that needs it; the others wait
 * on the map's condition variable.  ptr is published with release order,
 * so a reader that sees it non-NULL sees the whole object. */
struct lazy {
	_Atomic(void *) ptr;
	bool busy; /* guarded by the map's mutex */
};

typedef void *(*lazy_build_fn)(struct tile_map *m, const void *arg, struct ms_error *err);

/* --------------------------------------------------------------- types */

/* One distinct parameter set of the map's styles and its hierarchy: the
 * snapshot's, or one built here. */
struct tree_slot {
	struct cluster_params p;
	const struct cluster_tree *snap_tree;
	struct lazy own;
};

struct tile_subset {
	struct ms_ref refs;
	struct tile_map *map; /* not retained: a subset is released before its map */
	char *key;
	uint32_t *idx; /* site indices, increasing */
	size_t n;
	bool all;           /* every site: the map's own hierarchies serve */
	struct lazy *trees; /* per tree slot */
	size_t bytes;       /* accounted in the map's total (guarded by its mutex) */
	/* the cache: guarded by the map's mutex */
	bool ready, failed, cached;
	struct tile_subset *prev, *next; /* most recently used first */
};

struct tile_map {
	struct ms_ref refs;
	struct snapshot *snap;
	const struct style *styles;
	size_t nstyles;
	struct tree_slot *slots;
	size_t nslots;
	size_t *slot_of; /* per style; NO_SLOT for one that draws no sites */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tile_subset *subsets; /* the cache, most recently used first */
	size_t subset_bytes;         /* guarded by mu */
	atomic_size_t own_tree_bytes;
	const struct tile_ahead *ahead; /* tile_map_set_ahead */
};

struct font_slot {
	char path[256];
	struct glyphs *g;
};

/* The shift at a lattice node (anchor_in): world px at the zoom, less the unshifted
 * position; inside, whether GCJ-02 applies there.  state 0: not yet
 * computed. */
struct shift_node {
	double dx, dy;
	uint8_t state, inside;
};

struct tile_ctx {
	struct canvas *canvas;
	size_t canvas_cap; /* pixels its buffer holds (ctx_canvas) */
	struct font_slot fonts[MAX_FONTS];
	int nfonts;
	struct cluster_items items; /* the hierarchy's answer */
	struct layout *layout;
	uint8_t *visible; /* VIS_* of each layout item */
	size_t visible_cap;
	struct context_scratch *context;
	struct sprites *sprites;    /* marker images */
	struct shift_node *lattice; /* the shift at the view's lattice nodes (anchor_in) */
	size_t lattice_cap;
	size_t accounted; /* scratch bytes this context added to the totals */
	size_t sprites_accounted;
	size_t grew; /* times the scratch above grew (tile_ctx_grew) */
	void *png;   /* the PNG encoder's scratch (pngenc_encode_in), made on first use */
	struct tile_view_stats last;
};

/* Scratch of every render context of the process (tile_map_memory), and
 * their marker images. */
static atomic_size_t scratch_bytes, scratch_peak, sprite_bytes;

/* ----------------------------------------------------------- tile_ctx */

static size_t ctx_scratch(const struct tile_ctx *ctx)
{
	return cluster_items_memory(&ctx->items) + layout_memory(ctx->layout) + ctx->visible_cap +
	       ctx->lattice_cap * sizeof *ctx->lattice;
}

/* Brings the process totals up to date with what ctx holds now. */
static void ctx_account(struct tile_ctx *ctx)
{
	size_t now = ctx_scratch(ctx);
	if (now > ctx->accounted)
		ctx->grew++;
	if (now >= ctx->accounted) {
		size_t total =
		    atomic_fetch_add(&scratch_bytes, now - ctx->accounted) + (now - ctx->accounted);
		size_t peak = atomic_load(&scratch_peak);
		while (total > peak && !atomic_compare_exchange_weak(&scratch_peak, &peak, total))
			;
	} else {
		atomic_fetch_sub(&scratch_bytes, ctx->accounted - now);
	}
	ctx->accounted = now;
	size_t sp = sprites_memory(ctx->sprites);
	if (sp >= ctx->sprites_accounted)
		atomic_fetch_add(&sprite_bytes, sp - ctx->sprites_accounted);
	else
		atomic_fetch_sub(&sprite_bytes, ctx->sprites_accounted - sp);
	ctx->sprites_accounted = sp;
}

struct tile_ctx *tile_ctx_new(struct ms_error *err)
{
	(void)err; /* nothing can fail yet: see tile.h */
	struct tile_ctx *ctx = xcalloc(1, sizeof(struct tile_ctx));
	ctx->layout = layout_new();
	ctx->sprites = sprites_new();
	ctx_account(ctx);
	return ctx;
}

void tile_ctx_free(struct tile_ctx *ctx)
{
	if (!ctx)
		return;
	canvas_free(ctx->canvas);
	for (int i = 0; i < ctx->nfonts; i++)
		glyphs_free(ctx->fonts[i].g);
	cluster_items_free(&ctx->items);
	layout_free(ctx->layout);
	ctx->layout = NULL;
	free(ctx->visible);
	ctx->visible = NULL;
	ctx->visible_cap = 0;
	free(ctx->lattice);
	ctx->lattice = NULL;
	ctx->lattice_cap = 0;
	sprites_free(ctx->sprites);
	ctx->sprites = NULL;
	ctx_account(ctx); /* back to nothing */
	context_scratch_free(ctx->context);
	free(ctx->png);
	free(ctx);
}

/* Gives back what a crowded view made the context take. */
static void ctx_trim(struct tile_ctx *ctx)
{
	if (ctx_scratch(ctx) > TILE_SCRATCH_KEEP_BYTES) {
		cluster_items_free(&ctx->items);
		layout_trim(ctx->layout, 0);
		free(ctx->visible);
		ctx->visible = NULL;
		ctx->visible_cap = 0;
		free(ctx->lattice);
		ctx->lattice = NULL;
		ctx->lattice_cap = 0;
	}
	ctx_account(ctx);
}

void tile_ctx_stats(const struct tile_ctx *ctx, struct tile_view_stats *st)
{
	*st = ctx->last;
}

/* The context's FreeType face for the style's font, opened on first use,
 * reading the glyphs m's styles had drawn ahead (until the view is
 * drawn: tile_render_view), if m is not NULL. */
static struct glyphs *ctx_glyphs(struct tile_ctx *ctx, const struct tile_map *m, const struct style *st,
                                 struct ms_error *err)
{
	const char *path = st->font[0] ? st->font : GLYPHS_DEFAULT_FONT;
	for (int i = 0; i < ctx->nfonts; i++)
		if (!strcmp(ctx->fonts[i].path, path)) {
			glyphs_share(ctx->fonts[i].g, tile_ahead_font(m ? m->ahead : NULL, st->font));
			return ctx->fonts[i].g;
		}
	struct glyphs *g = glyphs_new(path, err);
	if (!g)
		return NULL;
	if (ctx->nfonts == MAX_FONTS) { /* rare: more fonts than slots */
		glyphs_free(ctx->fonts[0].g);
		memmove(ctx->fonts, ctx->fonts + 1, sizeof ctx->fonts[0] * (MAX_FONTS - 1));
		ctx->nfonts--;
	}
	struct font_slot *s = &ctx->fonts[ctx->nfonts++];
	snprintf(s->path, sizeof s->path, "%s", path);
	s->g = g;
	glyphs_share(g, tile_ahead_font(m ? m->ahead : NULL, st->font));
	return g;
}

/* The context's canvas at w x h, its pixels left as they were (the
 * caller clears them).  Its buffer is kept at the largest size drawn, up
 * to a 1024 px tile's: 1x and @2x tiles in turn (phones and desktops at
 * once) each freed the other's buffer and zeroed a new one.  A larger
 * window (a static map) gets a buffer of its own size.  The buffer is a
 * huge page at least (mem.h): a thread's first @2x tile otherwise filled
 * its megabyte in 256 faults of 4 KiB. */
static struct canvas *ctx_canvas(struct tile_ctx *ctx, int w, int h)
{
	size_t need = (size_t)w * (size_t)h,
	       keep = (size_t)TILE_MAX_SCALE * TILE_MAX_SCALE * WEBMERC_TILE_SIZE * WEBMERC_TILE_SIZE,
	       least = MS_HUGE_PAGE / 4;
	if (!ctx->canvas) {
		ctx->canvas = canvas_new(1, 1);
		canvas_set_aa_levels(ctx->canvas, CANVAS_AA_TILE);
		ctx->canvas_cap = 1;
	}
	if (need > ctx->canvas_cap || (ctx->canvas_cap > keep && need != ctx->canvas_cap)) {
		free(ctx->canvas->px);
		ctx->canvas_cap = need > least ? need : least;
		ctx->canvas->px = xmalloc(ctx->canvas_cap * 4);
	}
	ctx->canvas->width = w;
	ctx->canvas->height = h;
	return ctx->canvas;
}

/* ------------------------------------------------------- the parameters */

void tile_cluster_params(const struct style *st, struct cluster_params *p)
{
	if (st->cluster) {
		int maxz = st->cluster_maxzoom < CLUSTER_ZOOM_LIMIT - 1 ? st->cluster_maxzoom
		                                                        : CLUSTER_ZOOM_LIMIT - 1;
		*p = (struct cluster_params){st->cluster_radius, 0, maxz};
	} else {
		*p = (struct cluster_params){NO_CLUSTER_RADIUS, 0, -1};
	}
	/* a zero radius clusters nothing but coincident sites, as no level */
	if (!(p->radius_px > 0))
		*p = (struct cluster_params){NO_CLUSTER_RADIUS, 0, -1};
}

size_t tile_styles_cluster_params(const struct style *styles, size_t n, struct cluster_params *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!styles[i].sites)
			continue;
		tile_cluster_params(&styles[i], &out[k]);
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = cluster_params_same(&out[j], &out[k]);
		k += !seen;
	}
	return k;
}

/* ------------------------------------------------------------ tile_map */

struct tile_map *tile_map_new(struct snapshot *snap, const struct style *styles, size_t nstyles)
{
	struct tile_map *m = xcalloc(1, sizeof *m);
	ms_ref_init(&m->refs);
	m->snap = snapshot_retain(snap);
	m->styles = styles;
	m->nstyles = nstyles;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->slots = xcalloc(nstyles ? nstyles : 1, sizeof *m->slots);
	m->slot_of = xcalloc(nstyles ? nstyles : 1, sizeof *m->slot_of);
	for (size_t i = 0; i < nstyles; i++) {
		m->slot_of[i] = NO_SLOT;
		if (!styles[i].sites)
			continue; /* no hierarchy to draw */
		struct cluster_params p;
		tile_cluster_params(&styles[i], &p);
		size_t k = 0;
		while (k < m->nslots && !cluster_params_same(&m->slots[k].p, &p))
			k++;
		if (k == m->nslots) {
			m->slots[k].p = p;
			m->slots[k].snap_tree = snapshot_clusters(snap, &p);
			m->nslots++;
		}
		m->slot_of[i] = k;
	}
	return m;
}

void tile_map_set_ahead(struct tile_map *m, const struct tile_ahead *a)
{
	m->ahead = a;
}

struct tile_map *tile_map_retain(struct tile_map *m)
{
	ms_ref_get(&m->refs);
	return m;
}

static void subset_free(struct tile_subset *s)
{
	for (size_t k = 0; s->trees && k < s->map->nslots; k++)
		cluster_free(atomic_load(&s->trees[k].ptr));
	free(s->trees);
	free(s->idx);
	free(s->key);
	free(s);
}

void tile_map_release(struct tile_map *m)
{
	if (!m || !ms_ref_put(&m->refs))
		return;
	/* Subsets still in the cache hold only the cache's reference now. */
	for (struct tile_subset *s = m->subsets, *next; s; s = next) {
		next = s->next;
		if (ms_ref_put(&s->refs))
			subset_free(s);
	}
	for (size_t k = 0; k < m->nslots; k++)
		cluster_free(atomic_load(&m->slots[k].own.ptr));
	free(m->slots);
	free(m->slot_of);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	snapshot_release(m->snap);
	free(m);
}

const struct snapshot *tile_map_snapshot(const struct tile_map *m)
{
	return m->snap;
}

/* Returns the slot's value, building it if nobody has: concurrent callers
 * wait for the one build.  A failed build leaves the slot empty so a
 * later call may try again. */
static void *lazy_get(struct tile_map *m, struct lazy *slot, lazy_build_fn build, const void *arg,
                      struct ms_error *err)
{
	void *p = atomic_load_explicit(&slot->ptr, memory_order_acquire);
	if (p)
		return p;
	pthread_mutex_lock(&m->mu);
	while (!(p = atomic_load_explicit(&slot->ptr, memory_order_acquire)) && slot->busy)
		pthread_cond_wait(&m->cv, &m->mu);
	if (p) {
		pthread_mutex_unlock(&m->mu);
		return p;
	}
	slot->busy = true;
	pthread_mutex_unlock(&m->mu);

	p = build(m, arg, err);

	pthread_mutex_lock(&m->mu);
	slot->busy = false;
	if (p)
		atomic_store_explicit(&slot->ptr, p, memory_order_release);
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	return p;
}

/* ---------------------------------------------------------- hierarchies */

/* A hierarchy of the sites idx[0..n) (all of them when idx is NULL). */
static struct cluster_tree *build_tree(const struct snapshot *snap, const uint32_t *idx, size_t n,
                                       const struct cluster_params *p, struct ms_error *err)
{
	size_t cap = n ? n : 1;
	double *lat = xmalloc(cap * sizeof *lat), *lon = xmalloc(cap * sizeof *lon);
	uint8_t *flags = xmalloc(cap);
	for (size_t i = 0; i < n; i++) {
		const struct site *s = &snap->sites[idx ? idx[i] : i];
		lat[i] = s->lat;
		lon[i] = s->lon;
		flags[i] = snapshot_site_flags(s);
	}
	struct cluster_tree *t = cluster_build(lat, lon, flags, n, p, err);
	free(lat);
	free(lon);
	free(flags);
	return t;
}

static void *build_own_tree(struct tile_map *m, const void *arg, struct ms_error *err)
{
	const struct tree_slot *slot = arg;
	struct cluster_tree *t = build_tree(m->snap, NULL, m->snap->n, &slot->p, err);
	if (t)
		atomic_fetch_add(&m->own_tree_bytes, cluster_memory(t));
	return t;
}

static const struct cluster_tree *map_tree(struct tile_map *m, size_t k, struct ms_error *err)
{
	struct tree_slot *slot = &m->slots[k];
	if (slot->snap_tree)
		return slot->snap_tree;
	return lazy_get(m, &slot->own, build_own_tree, slot, err);
}

/* ---------------------------------------------------------------- subsets */

/* Drops the least recently used subsets not in the middle of being made
 * until the cache fits its budget (caller holds the mutex). */
static void evict(struct tile_map *m)
{
	struct tile_subset *last = m->subsets;
	while (last && last->next)
		last = last->next;
	while (m->subset_bytes > TILE_SUBSETS_BYTES && last) {
		struct tile_subset *s = last;
		last = s->prev;
		if (!s->ready)
			continue;
		if (s->prev)
			s->prev->next = s->next;
		else
			m->subsets = s->next;
		if (s->next)
			s->next->prev = s->prev;
		s->cached = false;
		m->subset_bytes -= s->bytes;
		if (ms_ref_put(&s->refs))
			subset_free(s);
	}
}

static void to_front(struct tile_map *m, struct tile_subset *s)
{
	if (m->subsets == s)
		return;
	if (s->prev)
		s->prev->next = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = NULL;
	s->next = m->subsets;
	if (m->subsets)
		m->subsets->prev = s;
	m->subsets = s;
}

static void unlink_subset(struct tile_map *m, struct tile_subset *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		m->subsets = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	s->cached = false;
}

enum ms_status tile_map_subset(struct tile_map *m, const char *key, tile_subset_fn fill, void *arg,
                               struct tile_subset **out, struct ms_error *err)
{
	*out = NULL;
	pthread_mutex_lock(&m->mu);
	for (;;) {
		struct tile_subset *s = m->subsets;
		while (s && strcmp(s->key, key) != 0)
			s = s->next;
		if (!s)
			break;
		if (s->ready) {
			ms_ref_get(&s->refs);
			to_front(m, s);
			pthread_mutex_unlock(&m->mu);
			*out = s;
			return MS_OK;
		}
		pthread_cond_wait(&m->cv, &m->mu); /* another thread is making it */
	}
	struct tile_subset *s = xcalloc(1, sizeof *s);
	ms_ref_init(&s->refs); /* the cache's reference */
	s->map = m;
	s->key = xstrdup(key);
	s->cached = true;
	to_front(m, s);
	pthread_mutex_unlock(&m->mu);

	uint32_t *idx = NULL;
	size_t n = 0;
	enum ms_status st = fill(arg, m->snap, &idx, &n, err);

	pthread_mutex_lock(&m->mu);
	if (st != MS_OK) {
		unlink_subset(m, s);
		pthread_cond_broadcast(&m->cv);
		pthread_mutex_unlock(&m->mu);
		free(idx);
		subset_free(s);
		return st;
	}
	s->idx = idx;
	s->n = n;
	s->all = n == m->snap->n;
	s->trees = xcalloc(m->nslots ? m->nslots : 1, sizeof *s->trees);
	s->bytes = n * sizeof *idx + strlen(key) + sizeof *s;
	s->ready = true;
	m->subset_bytes += s->bytes;
	ms_ref_get(&s->refs); /* the caller's */
	evict(m);
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	*out = s;
	return MS_OK;
}

void tile_subset_release(struct tile_subset *s)
{
	if (!s)
		return;
	struct tile_map *m = s->map;
	pthread_mutex_lock(&m->mu);
	bool last = ms_ref_put(&s->refs);
	pthread_mutex_unlock(&m->mu);
	if (last)
		subset_free(s);
}

size_t tile_subset_size(const struct tile_subset *s)
{
	return s->n;
}

struct subset_job {
	struct tile_subset *s;
	size_t k;
};

static void *build_subset_tree(struct tile_map *m, const void *arg, struct ms_error *err)
{
	const struct subset_job *j = arg;
	struct cluster_tree *t = build_tree(m->snap, j->s->idx, j->s->n, &m->slots[j->k].p, err);
	if (!t)
		return NULL;
	pthread_mutex_lock(&m->mu);
	size_t bytes = cluster_memory(t);
	j->s->bytes += bytes;
	if (j->s->cached) {
		m->subset_bytes += bytes;
		evict(m); /* the caller holds a reference: it lives on until released */
	}
	pthread_mutex_unlock(&m->mu);
	return t;
}

/* The hierarchy a view draws, and the sites its items number. */
static const struct cluster_tree *view_tree(struct tile_map *m, const struct tile_view *v,
                                            const uint32_t **site_of, struct ms_error *err)
{
	size_t k = m->slot_of[v->style - m->styles];
	struct tile_subset *s = v->subset;
	*site_of = NULL;
	if (!s || s->all)
		return map_tree(m, k, err);
	*site_of = s->idx;
	struct subset_job j = {s, k};
	return lazy_get(m, &s->trees[k], build_subset_tree, &j, err);
}

/* Bytes of the hierarchies the map uses. */
void tile_map_memory(const struct tile_map *m, struct tile_memory *out)
{
	memset(out, 0, sizeof *out);
	for (size_t k = 0; k < m->nslots; k++)
		if (m->slots[k].snap_tree)
			out->trees += cluster_memory(m->slots[k].snap_tree);
	out->trees += atomic_load(&m->own_tree_bytes);
	pthread_mutex_lock((pthread_mutex_t *)&m->mu);
	out->subsets = m->subset_bytes;
	pthread_mutex_unlock((pthread_mutex_t *)&m->mu);
	out->scratch = atomic_load(&scratch_bytes);
	out->scratch_peak = atomic_load(&scratch_peak);
	out->sprites = atomic_load(&sprite_bytes);
}

/* ----------------------------------------------------------- positions */

/* A position shifted into GCJ-02 costs a dozen transcendental functions,
 * a third of a crowded tile.  The shift is smooth but at the edge of the
 * rectangle where it applies, so from SHIFT_LATTICE_ZOOM on it is
 * interpolated: a fixed lattice of nodes every 2^(30 - zoom) units
 * (64 px), the same for every tile of a zoom (so that a marker is where
 * it is on every tile it touches), holds the shift computed there, and a
 * position takes the bilinear mean of its cell's four.  The error is
 * below h^2/8 times the shift's second derivative (its sin(6 pi x) terms
 * dominate), and falls as the zooms go up: 0.03 px at most at zoom 11
 * (test_render_tile's 4,000 positions), 0.014 px at zoom 12, where it
 * starts.  A cell whose
 * nodes are not all inside the rectangle, or all outside, is computed
 * exactly.  BD-09 adds a rotation that varies twenty times faster
 * (0.000003 cos(x pi 3000 / 180) rad, tens of metres over a tenth of a
 * degree): it is computed exactly. */
#define SHIFT_LATTICE_ZOOM 12
#define SHIFT_LATTICE_LOG2 30

/* The anchor of position (u, v), in units (doubles: a lattice node may
 * lie on the world's far edge), shifted into cs, in world px at zoom;
 * *inside whether GCJ-02 applies there. */
static void shift_exact(double u, double v, int zoom, enum coordsys cs, double *x, double *y, bool *inside)
{
	double lat, lon, slat, slon, mx, my;
	webmerc_from_world_px(u, v, CLUSTER_ZOOM_LIMIT, WEBMERC_TILE_SIZE, &mx, &my);
	webmerc_to_lonlat(mx, my, &lon, &lat);
	if (inside)
		*inside = gcj02_applies(lat, lon);
	coordsys_from_wgs84(cs, lat, lon, &slat, &slon);
	webmerc_from_lonlat(slon, slat, &mx, &my);
	webmerc_to_world_px(mx, my, zoom, WEBMERC_TILE_SIZE, x, y);
}

static void shift_node_at(struct shift_node *nd, uint64_t i, uint64_t j, int zoom, enum coordsys cs)
{
	double u = ldexp((double)i, SHIFT_LATTICE_LOG2 - zoom),
	       v = ldexp((double)j, SHIFT_LATTICE_LOG2 - zoom);
	double x, y;
	bool inside;
	shift_exact(u, v, zoom, cs, &x, &y, &inside);
	nd->dx = x - ldexp(u, zoom - CLUSTER_ZOOM_LIMIT);
	nd->dy = y - ldexp(v, zoom - CLUSTER_ZOOM_LIMIT);
	nd->inside = inside;
	nd->state = 1;
}

/* The nodes of a view's lattice, computed as its items need them: those
 * of cells (i0.., j0..), nx across. */
struct lattice {
	struct shift_node *node;
	uint64_t i0, j0, nx, ny;
};

/* The anchor of hierarchy position (ux, uy) at zoom in coordsys cs; lat
 * the view's lattice nodes (NULL: the four are computed here). */
static void anchor_in(uint32_t ux, uint32_t uy, int zoom, enum coordsys cs, struct lattice *lat, double *x,
                      double *y)
{
	if (cs == COORDSYS_WGS84 || cs == COORDSYS_CGCS2000) {
		/* exact: a whole pixel of zoom 24 times a power of two */
		*x = layout_anchor(ldexp((double)ux, zoom - CLUSTER_ZOOM_LIMIT));
		*y = layout_anchor(ldexp((double)uy, zoom - CLUSTER_ZOOM_LIMIT));
		return;
	}
	if (zoom < SHIFT_LATTICE_ZOOM || cs != COORDSYS_GCJ02) {
		shift_exact(ux, uy, zoom, cs, x, y, NULL);
		*x = layout_anchor(*x);
		*y = layout_anchor(*y);
		return;
	}
	int shift = SHIFT_LATTICE_LOG2 - zoom;
	uint64_t i = ux >> shift, j = uy >> shift;
	struct shift_node local[4] = {{0}}, *nd[4];
	for (int k = 0; k < 4; k++) {
		uint64_t ni = i + (k & 1), nj = j + (k >> 1);
		if (lat && ni >= lat->i0 && nj >= lat->j0 && ni - lat->i0 < lat->nx && nj - lat->j0 < lat->ny)
			nd[k] = &lat->node[(nj - lat->j0) * lat->nx + (ni - lat->i0)];
		else
			nd[k] = &local[k];
		if (!nd[k]->state)
			shift_node_at(nd[k], ni, nj, zoom, cs);
	}
	if (nd[0]->inside != nd[1]->inside || nd[0]->inside != nd[2]->inside ||
	    nd[0]->inside != nd[3]->inside) {
		shift_exact(ux, uy, zoom, cs, x, y, NULL);
	} else {
		double cell = ldexp(1.0, shift);
		double fx = (double)(ux - (i << shift)) / cell, fy = (double)(uy - (j << shift)) / cell;
		double top = nd[0]->dx + (nd[1]->dx - nd[0]->dx) * fx;
		double bottom = nd[2]->dx + (nd[3]->dx - nd[2]->dx) * fx;
		double dx = top + (bottom - top) * fy;
		top = nd[0]->dy + (nd[1]->dy - nd[0]->dy) * fx;
		bottom = nd[2]->dy + (nd[3]->dy - nd[2]->dy) * fx;
		double dy = top + (bottom - top) * fy;
		*x = ldexp((double)ux, zoom - CLUSTER_ZOOM_LIMIT) + dx;
		*y = ldexp((double)uy, zoom - CLUSTER_ZOOM_LIMIT) + dy;
	}
	*x = layout_anchor(*x);
	*y = layout_anchor(*y);
}

/* The most nodes a view's lattice keeps (a wider view's positions each
 * compute their cell's four: the same values, at more cost). */
#define LATTICE_MAX_NODES 65536

/* The view's lattice over the units window w, its nodes not computed
 * (none when the zoom has no lattice, or the window is past
 * LATTICE_MAX_NODES of them). */
static struct lattice view_lattice(struct tile_ctx *ctx, const struct cluster_window *w, int zoom,
                                   enum coordsys cs)
{
	struct lattice lat = {0};
	if (cs != COORDSYS_GCJ02 || zoom < SHIFT_LATTICE_ZOOM)
		return lat;
	int shift = SHIFT_LATTICE_LOG2 - zoom;
	lat.i0 = w->x0 >> shift, lat.j0 = w->y0 >> shift;
	lat.nx = ((uint64_t)w->x1 >> shift) - lat.i0 + 2, lat.ny = ((uint64_t)w->y1 >> shift) - lat.j0 + 2;
	if (lat.nx * lat.ny > LATTICE_MAX_NODES) {
		lat.nx = lat.ny = 0;
		return lat;
	}
	size_t n = (size_t)(lat.nx * lat.ny);
	if (n > ctx->lattice_cap) {
		ctx->lattice_cap = n;
		free(ctx->lattice);
		ctx->lattice = xmalloc(n * sizeof *ctx->lattice);
	}
	memset(ctx->lattice, 0, n * sizeof *ctx->lattice);
	lat.node = ctx->lattice;
	return lat;
}

enum ms_status tile_site_world_px(struct tile_map *m, struct tile_ctx *ctx, enum coordsys cs, size_t i,
                                  int zoom, double *px, double *py, struct ms_error *err)
{
	(void)ctx;
	if ((unsigned)cs >= NCOORDSYS || zoom < 0 || zoom > WEBMERC_MAX_ZOOM || i >= m->snap->n)
		return ms_fail(err, MS_EUSAGE, "tile_site_world_px: site %zu, zoom %d out of range", i, zoom);
	tile_world_px(cs, m->snap->sites[i].lat, m->snap->sites[i].lon, zoom, px, py);
	return MS_OK;
}

void tile_world_px(enum coordsys cs, double lat, double lon, int zoom, double *px, double *py)
{
	uint32_t ux, uy;
	cluster_position(lat, lon, &ux, &uy);
	anchor_in(ux, uy, zoom, cs, NULL, px, py);
}

/* A world-pixel coordinate of zoom as hierarchy units, clamped. */
static uint32_t to_units(double px, int zoom, bool up)
{
	double u = ldexp(px, CLUSTER_ZOOM_LIMIT - zoom);
	u = up ? ceil(u) : floor(u);
	if (!(u > 0))
		return 0;
	return u >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)u;
}

/* ---------------------------------------------------------------- view */

void tile_view_of_tile(struct tile_view *v, const struct style *style, enum coordsys cs, int z, long long x,
                       long long y, int scale)
{
	memset(v, 0, sizeof *v);
	v->style = style;
	v->coordsys = cs;
	v->zoom = z;
	v->scale = scale;
	v->origin_x = x * WEBMERC_TILE_SIZE * scale;
	v->origin_y = y * WEBMERC_TILE_SIZE * scale;
	v->width = v->height = WEBMERC_TILE_SIZE * scale;
}

/* The view's window in world px of its zoom at scale 1. */
struct window {
	double x0, y0, x1, y1;
};

/* Asks the hierarchy for the items within the view's margin and lays them
 * out.  Returns the layout (the context's). */
static struct layout *compose(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
                              const struct cluster_tree *tree, const uint32_t *site_of,
                              const struct window *w, struct glyphs *gl)
{
	struct layout *l = ctx->layout;
	layout_begin(l, v->style, v->zoom);
	double qx0 = w->x0 - l->z.margin_x, qx1 = w->x1 + l->z.margin_x;
	double qy0 = w->y0 - l->z.margin_y, qy1 = w->y1 + l->z.margin_y;
	struct cluster_window cw = {to_units(qx0, v->zoom, false), to_units(qy0, v->zoom, false),
	                            to_units(qx1, v->zoom, true), to_units(qy1, v->zoom, true)};
	cluster_window_unshift(&cw, v->coordsys);
	struct cluster_stats cst = {0};
	cluster_query(tree, v->zoom, &cw, &ctx->items, &cst);
	struct lattice lat = view_lattice(ctx, &cw, v->zoom, v->coordsys);
	for (size_t i = 0; i < ctx->items.n; i++) {
		const struct cluster_item *ci = &ctx->items.v[i];
		double x, y;
		anchor_in(ci->x, ci->y, v->zoom, v->coordsys, &lat, &x, &y);
		if (x < qx0 || x > qx1 || y < qy0 || y > qy1)
			continue;
		struct layout_item *it = layout_add(l);
		it->x = x;
		it->y = y;
		it->site = site_of ? site_of[ci->first] : ci->first;
		it->count = ci->count;
		it->flags = ci->flags;
	}
	layout_decide(l, v->style, m->snap->sites, gl, w->x0, w->y0, w->x1, w->y1);
	ctx->last.visited = cst.visited;
	ctx->last.items = l->nitems;
	return l;
}

static bool touches(double l, double t, double r, double b, const struct window *w)
{
	return l - LAYOUT_SLACK_PX < w->x1 && w->x0 < r + LAYOUT_SLACK_PX && t - LAYOUT_SLACK_PX < w->y1 &&
	       w->y0 < b + LAYOUT_SLACK_PX;
}

enum { VIS_MARKER = 1, VIS_LABEL = 2, VIS_CIRCLE = 4 };

/* What of each item touches the window: ctx->visible[i].  Returns how
 * many items draw anything, and counts them in ctx->last. */
static size_t visible_items(struct tile_ctx *ctx, const struct layout *l, const struct window *w)
{
	if (l->nitems > ctx->visible_cap) {
		size_t cap = ctx->visible_cap ? ctx->visible_cap : VIS_MIN_CAP;
		while (cap < l->nitems)
			cap *= 2;
		ctx->visible = xrealloc(ctx->visible, cap);
		ctx->visible_cap = cap;
	}
	struct tile_view_stats *st = &ctx->last;
	st->drawn = st->clusters = st->labels = st->largest_cluster = st->circles = 0;
	for (size_t i = 0; i < l->nitems; i++) {
		const struct layout_item *it = &l->items[i];
		uint8_t vis = 0;
		if (touches(it->x + it->left, it->y + it->top, it->x + it->right, it->y + it->bottom, w))
			vis |= VIS_MARKER;
		if (it->circle > 0 && touches(it->x - it->circle, it->y - it->circle, it->x + it->circle,
		                              it->y + it->circle, w))
			vis |= VIS_CIRCLE;
		if (it->label >= 0) {
			const struct layout_label *lb = &l->labels[it->label];
			if (touches(lb->left, lb->top, lb->right, lb->bottom, w))
				vis |= VIS_LABEL;
		}
		ctx->visible[i] = vis;
		st->drawn += vis != 0;
		st->labels += (vis & VIS_LABEL) != 0;
		st->circles += (vis & VIS_CIRCLE) != 0;
		if ((vis & VIS_MARKER) && it->count > 1) {
			st->clusters++;
			if (it->count > st->largest_cluster)
				st->largest_cluster = it->count;
		}
	}
	return st->drawn;
}

static void draw_cluster(struct tile_ctx *ctx, struct canvas *c, struct glyphs *gl, const struct style *st,
                         const struct layout *l, const struct layout_item *it, int scale, long long ox,
                         long long oy)
{
	static const struct rgba none = {0, 0, 0, 0};
	double s = scale;
	double cx = it->x * s, cy = it->y * s;
	sprites_marker(ctx->sprites, c, SHAPE_CIRCLE, cx - (double)ox, cy - (double)oy, l->z.cluster_size * s,
	               st->cluster_color, st->cluster_outline, l->z.cluster_outline * s, 0, none);
	char text[32];
	const char *prefix = (it->flags & SNAPSHOT_FLAG_APPROXIMATE) ? st->approx_prefix : "";
	if (it->count < COUNT_IN_THOUSANDS)
		snprintf(text, sizeof text, "%s%u", prefix, (unsigned)it->count);
	else
		snprintf(text, sizeof text, "%s%uk", prefix, (unsigned)(it->count / THOUSAND));
	double size = l->z.cluster_text * s;
	struct text_box tb;
	glyphs_measure(gl, text, size, &tb);
	/* Rounded in world px (scaled), so every window agrees on the pixel. */
	double tx = floor(cx - tb.width / 2 + 0.5), ty = floor(cy + (tb.ascent - tb.descent) / 2 + 0.5);
	glyphs_draw(gl, c, text, tx - (double)ox, ty - (double)oy, size, st->cluster_text_color, none, 0);
}

/* The lines of a label: halos of all first, so that no line's halo covers
 * another's glyphs, then the glyphs. */
static void draw_label(struct canvas *c, struct glyphs *gl, const struct style *st, const struct layout *l,
                       const struct layout_label *lb, const char *name, int scale, long long ox, long long oy)
{
	static const struct rgba none = {0, 0, 0, 0};
	double s = scale;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0 && !(st->label_halo.a && st->label_halo_width > 0))
			continue;
		for (int j = 0; j < lb->nlines; j++) {
			char text[LAYOUT_LABEL_MAX_BYTES + 1];
			memcpy(text, name + lb->line[j].start, lb->line[j].len);
			text[lb->line[j].len] = '\0';
			glyphs_draw(gl, c, text, lb->line[j].bx * s - (double)ox,
			            lb->line[j].by * s - (double)oy, l->z.label_size * s,
			            pass ? st->label_color : none, pass ? none : st->label_halo,
			            pass ? 0 : st->label_halo_width * s);
		}
	}
}

/* Circles, then markers and clusters, then labels, of the visible items. */
static void draw_items(struct tile_map *m, struct tile_ctx *ctx, const struct layout *l, struct glyphs *gl,
                       struct canvas *c, const struct tile_view *v)
{
	const struct style *st = v->style;
	double s = v->scale;
	long long ox = v->origin_x, oy = v->origin_y;
	for (size_t i = 0; i < l->nitems; i++) {
		if (!(ctx->visible[i] & VIS_CIRCLE))
			continue;
		const struct layout_item *it = &l->items[i];
		double cx = it->x * s - (double)ox, cy = it->y * s - (double)oy, r = it->circle * s;
		if (st->uncertainty_fill.a)
			raster_fill_circle(c, cx, cy, r, st->uncertainty_fill);
		if (st->uncertainty_stroke.a && st->uncertainty_stroke_width > 0)
			raster_stroke_circle(c, cx, cy, r, st->uncertainty_stroke_width * s,
			                     st->uncertainty_stroke);
	}
	for (size_t i = 0; i < l->nitems; i++) {
		if (!(ctx->visible[i] & VIS_MARKER))
			continue;
		const struct layout_item *it = &l->items[i];
		if (it->count > 1) {
			draw_cluster(ctx, c, gl, st, l, it, v->scale, ox, oy);
			continue;
		}
		unsigned cat = it->flags & SNAPSHOT_FLAG_CATEGORY;
		double x = it->x * s - (double)ox, y = it->y * s - (double)oy;
		bool approximate = it->flags & SNAPSHOT_FLAG_APPROXIMATE;
		sprites_marker(ctx->sprites, c, st->marker_shape[cat], x, y, l->z.marker_size * s,
		               st->marker_color[cat], st->marker_outline, l->z.outline_w * s,
		               approximate ? st->approx_hole : 0, st->approx_fill);
	}
	for (size_t i = 0; i < l->nitems; i++) {
		if (!(ctx->visible[i] & VIS_LABEL))
			continue;
		const struct layout_item *it = &l->items[i];
		draw_label(c, gl, st, l, &l->labels[it->label],
		           site_field(&m->snap->sites[it->site], SITE_NAME_ZH), v->scale, ox, oy);
	}
}

static enum ms_status check_view(const struct tile_map *m, const struct tile_view *v, struct ms_error *err)
{
	if (v->scale < 1 || v->scale > TILE_MAX_SCALE || v->width < 1 || v->height < 1 ||
	    v->width > TILE_MAX_VIEW_PX || v->height > TILE_MAX_VIEW_PX)
		return ms_fail(err, MS_EUSAGE, "tile: view %dx%d at scale %d out of range", v->width,
		               v->height, v->scale);
	if (!v->style || v->style < m->styles || v->style >= m->styles + m->nstyles)
		return ms_fail(err, MS_EUSAGE, "tile: style is not one of the map's %zu styles", m->nstyles);
	if ((unsigned)v->coordsys >= NCOORDSYS || v->zoom < 0 || v->zoom > WEBMERC_MAX_ZOOM)
		return ms_fail(err, MS_EUSAGE, "tile: zoom %d or coordsys %d out of range", v->zoom,
		               (int)v->coordsys);
	if (v->subset && v->subset->map != m)
		return ms_fail(err, MS_EUSAGE, "tile: the view's subset is not one of this map's");
	return MS_OK;
}

static enum ms_status render_view(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
                                  struct canvas **out, bool *empty, struct ms_error *err)
{
	*out = NULL;
	*empty = false;
	enum ms_status status = check_view(m, v, err);
	if (status != MS_OK)
		return status;
	const struct style *st = v->style;
	double s = v->scale;
	struct window w = {(double)v->origin_x / s, (double)v->origin_y / s,
	                   (double)(v->origin_x + v->width) / s, (double)(v->origin_y + v->height) / s};
	struct glyphs *gl = NULL;
	const struct layout *l = NULL; /* none for a style that draws no sites */
	size_t nvis = 0;
	if (st->sites) {
		const uint32_t *site_of;
		const struct cluster_tree *tree = view_tree(m, v, &site_of, err);
		if (!tree)
			return err->status;
		if (v->zoom >= st->label_minzoom && !(gl = ctx_glyphs(ctx, m, st, err)))
			return err->status;
		l = compose(m, ctx, v, tree, site_of, &w, gl);
		nvis = visible_items(ctx, l, &w);
	}
	if (!nvis && st->background.a == 0 && st->ncontext == 0) {
		*empty = true;
		ctx_trim(ctx);
		return MS_OK;
	}
	if (nvis && !gl && !(gl = ctx_glyphs(ctx, m, st, err))) {
		ctx_trim(ctx);
		return err->status;
	}
	struct canvas *c = ctx_canvas(ctx, v->width, v->height);
	canvas_clear(c, st->background);
	if (st->ncontext) {
		if (!ctx->context)
			ctx->context = context_scratch_new();
		context_draw(ctx->context, c, st, v->coordsys, v->zoom, v->scale, v->origin_x, v->origin_y);
	}
	if (l)
		draw_items(m, ctx, l, gl, c, v);
	ctx_trim(ctx);
	*out = c;
	return MS_OK;
}

enum ms_status tile_render_view(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
                                struct canvas **out, bool *empty, struct ms_error *err)
{
	enum ms_status st = render_view(m, ctx, v, out, empty, err);
	/* m's glyphs drawn ahead may go with m: no face reads them after */
	for (int i = 0; i < ctx->nfonts; i++)
		glyphs_share(ctx->fonts[i].g, NULL);
	return st;
}

/* ----------------------------------------------------------------- PNG */

static struct buf empty_png[TILE_MAX_SCALE + 1];
static atomic_bool empty_made[TILE_MAX_SCALE + 1];
static pthread_mutex_t empty_mu = PTHREAD_MUTEX_INITIALIZER;

/* Encoded once for the life of the process: every empty tile of a size is
 * these very bytes, so clients and caches see one ETag for all of them.
 * Each size is made when first asked for: making all four at once (a
 * 1024 px canvas among them) cost the first empty tile 10 ms. */
const struct buf *tile_empty_png(int scale)
{
	if (scale < 1 || scale > TILE_MAX_SCALE)
		return NULL;
	if (!atomic_load_explicit(&empty_made[scale], memory_order_acquire)) {
		pthread_mutex_lock(&empty_mu);
		if (!atomic_load_explicit(&empty_made[scale], memory_order_relaxed)) {
			struct canvas *c = canvas_new(WEBMERC_TILE_SIZE * scale, WEBMERC_TILE_SIZE * scale);
			struct ms_error err;
			/* in scratch of its own: the thread's would stay for good
			 * on a thread that may never encode again */
			void *scratch = xmalloc(pngenc_scratch_bytes());
			if (pngenc_encode_in(c, scratch, &empty_png[scale], &err) != MS_OK)
				buf_free(&empty_png[scale]);
			free(scratch);
			canvas_free(c);
			atomic_store_explicit(&empty_made[scale], true, memory_order_release);
		}
		pthread_mutex_unlock(&empty_mu);
	}
	return empty_png[scale].len ? &empty_png[scale] : NULL;
}

/* The PNG of c in the context's own scratch, which tile_ctx_warm can
 * fault in ahead of a request (the thread's own could not be). */
static enum ms_status ctx_encode(struct tile_ctx *ctx, const struct canvas *c, struct buf *png,
                                 struct ms_error *err)
{
	if (!ctx->png)
		ctx->png = xmalloc(pngenc_scratch_bytes());
	return pngenc_encode_in(c, ctx->png, png, err);
}

enum ms_status tile_render_png(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
                               struct buf *png, bool *empty, struct ms_error *err)
{
	struct canvas *c = NULL;
	enum ms_status st = tile_render_view(m, ctx, v, &c, empty, err);
	if (st != MS_OK)
		return st;
	if (!*empty)
		return ctx_encode(ctx, c, png, err);
	const struct buf *e = v->width == v->height ? tile_empty_png(v->width / WEBMERC_TILE_SIZE) : NULL;
	if (e && v->width % WEBMERC_TILE_SIZE == 0) {
		buf_append(png, e->data, e->len);
		return MS_OK;
	}
	c = ctx_canvas(ctx, v->width, v->height); /* a static map of another size */
	canvas_clear(c, (struct rgba){0, 0, 0, 0});
	return ctx_encode(ctx, c, png, err);
}

/* ------------------------------------------------------------- warming */

/* Sites looked at to find where they crowd, at most. */
#define WARM_SAMPLE 65536
/* The zoom whose tiles are counted for it, and the deepest zoom warmed
 * (the deepest a web map asks for). */
#define WARM_COUNT_ZOOM 16
#define WARM_MAX_ZOOM 20
/* Hierarchy units (whole pixels of zoom 24) across the world: 2^32. */
#define UNITS_LOG2 (CLUSTER_ZOOM_LIMIT + 8)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Where the sites crowd most: the centre, in hierarchy units, of the
 * zoom-16 tile that holds most of an even sample of them.  False when
 * there is no site. */
static bool crowded_place(const struct snapshot *s, uint32_t *ux, uint32_t *uy)
{
	if (!s->n)
		return false;
	size_t step = s->n > WARM_SAMPLE ? s->n / WARM_SAMPLE : 1;
	uint64_t *key = xmalloc((s->n / step + 1) * sizeof *key);
	const int shift = UNITS_LOG2 - WARM_COUNT_ZOOM;
	size_t n = 0;
	for (size_t i = 0; i < s->n; i += step) {
		uint32_t x, y;
		cluster_position(s->sites[i].lat, s->sites[i].lon, &x, &y);
		key[n++] = (uint64_t)(x >> shift) << 32 | (y >> shift);
	}
	qsort(key, n, sizeof *key, cmp_u64);
	size_t best = 0, best_len = 0;
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && key[j] == key[i]; j++)
			;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
	}
	*ux = (uint32_t)(key[best] >> 32) << shift | 1u << (shift - 1);
	*uy = (uint32_t)key[best] << shift | 1u << (shift - 1);
	free(key);
	return true;
}

size_t tile_ctx_warm(struct tile_map *m, struct tile_ctx *ctx, const struct style *st,
                     const atomic_bool *stop)
{
	uint32_t ux, uy;
	if (!st || !crowded_place(m->snap, &ux, &uy))
		return 0;
	/* what a web map asks for most: 1x, @2x, and 1x on a GCJ-02 basemap */
	static const struct {
		enum coordsys cs;
		int scale;
	} kinds[] = {{COORDSYS_WGS84, 1}, {COORDSYS_WGS84, 2}, {COORDSYS_GCJ02, 1}};
	size_t drawn = 0;
	for (int z = 0; z <= WARM_MAX_ZOOM; z++) {
		long long x = (long long)((uint64_t)ux >> (UNITS_LOG2 - z));
		long long y = (long long)((uint64_t)uy >> (UNITS_LOG2 - z));
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			if (stop && atomic_load_explicit(stop, memory_order_relaxed))
				return drawn;
			struct tile_view v;
			tile_view_of_tile(&v, st, kinds[k].cs, z, x, y, kinds[k].scale);
			struct buf png = BUF_INIT;
			bool empty = false;
			struct ms_error err = {0};
			/* a failure costs only the warming: the request will say why */
			if (tile_render_png(m, ctx, &v, &png, &empty, &err) == MS_OK)
				drawn++;
			buf_free(&png);
		}
	}
	/* What faults is the arrays and the PNG scratch, hundreds of 4 KiB
	 * pages.  The canvas is one huge page (ctx_canvas), and the marker
	 * images of 63 tiles (4 MB at a million clustered sites) are cheap to
	 * draw again: until a thread takes the context they would only hold
	 * memory. */
	canvas_free(ctx->canvas);
	ctx->canvas = NULL;
	ctx->canvas_cap = 0;
	sprites_free(ctx->sprites);
	ctx->sprites = sprites_new();
	ctx_account(ctx);
	return drawn;
}

size_t tile_ctx_grew(const struct tile_ctx *ctx)
{
	return ctx->grew;
}

/* ------------------------------------------ for overlays (route sheets) */

/* Overlays drawn over a rendered view (the route on a static map) use the
 * same per-thread FreeType face as the view's labels. */
struct glyphs *tile_ctx_glyphs(struct tile_ctx *ctx, const struct style *style, struct ms_error *err)
{
	return ctx_glyphs(ctx, NULL, style, err);
}

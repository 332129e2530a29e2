/*
 * tile.c - layouts (positions, clusters, labels in world pixels) and the
 * view renderer; see tile.h.
 *
 * Three things keep every window of a zoom cutting one and the same
 * picture:
 *  - decisions are made once per (style, coordsys, zoom) in world pixels
 *    at scale 1, never per tile;
 *  - anchors are rounded to 1/256 px and text origins to whole world
 *    pixels, so moving the window by whole pixels shifts every coordinate
 *    the rasterizer and the glyph blitter see by an exact integer;
 *  - what is drawn is chosen by intersecting each feature's whole extent
 *    with the window, and drawn in the layout's global order (markers by
 *    id, then labels by id), whatever the window.
 */
#include "tile.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/tilemath.h"
#include "../util/mem.h"
#include "geodata.h"
#include "glyphs.h"
#include "png.h"
#include "raster.h"

#define NCOORDSYS 4
#define NZOOMS (MAX_ZOOM_LIMIT + 1)
/* Sites nearer than this (px) are one marker at every zoom: coincident
 * sites must stay one cluster even above the style's cluster_maxzoom. */
#define COINCIDENT_PX 0.5
/* Anchors are kept on a 1/256 px grid (see the top comment). */
#define ANCHOR_QUANTUM 256.0
/* Cell of the window-query index, world px: one tile. */
#define QUERY_CELL_SHIFT 8
/* Cell of the label-collision grid, world px. */
#define LABEL_CELL 64.0
/* Extra px around features when deciding whether they touch a window:
 * antialiasing fringes and glyph overhangs beyond the advance box. */
#define SLACK_PX 2.0
#define MAX_FONTS 4

/* ---------------------------------------------------------------- lazy */

/* A value computed once by the first thread that needs it; the others wait
 * on the map's condition variable.  ptr is published with release order,
 * so a reader that sees it non-NULL sees the whole object. */
struct lazy {
	_Atomic(void *) ptr;
	bool busy; /* guarded by the map's mutex */
};

typedef void *(*lazy_build_fn)(struct tile_map *m, struct tile_ctx *ctx, const void *arg, struct ms_error *err);

/* --------------------------------------------------------------- types */

/* Web Mercator metres of every site in one coordsys (index = site). */
struct points {
	double *mx, *my;
};

/* One drawn marker: a site, or a cluster of count sites whose first (by
 * id) is site. */
struct item {
	double x, y; /* world px at scale 1, on the anchor grid */
	uint32_t site;
	uint32_t count;
	int32_t label;                 /* index into labels, -1 for none */
	float left, top, right, bottom; /* marker extent around (x, y) */
};

struct label {
	double bx, by;                  /* baseline origin, whole world px */
	double left, top, right, bottom; /* box incl. halo, world px */
};

struct layout {
	int zoom;
	double marker_size, outline_w, cluster_size, cluster_outline, cluster_text, label_size;
	struct item *items;
	size_t nitems;
	struct label *labels;
	size_t nlabels;
	/* items ordered by query cell: keys[k] is the cell of items[order[k]] */
	uint64_t *keys;
	uint32_t *order;
	double reach; /* farthest any feature extends from its query anchor, px */
	size_t clusters, largest;
};

struct tile_map {
	atomic_int refs;
	struct snapshot *snap;
	const struct style *styles;
	size_t nstyles;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lazy points[NCOORDSYS];
	struct lazy *layouts; /* [style][coordsys][zoom] */
};

struct font_slot {
	char path[256];
	struct glyphs *g;
};

struct tile_ctx {
	struct canvas *canvas;
	struct font_slot fonts[MAX_FONTS];
	int nfonts;
	uint32_t *hits;
	size_t hits_cap;
	uint8_t *visible;
	size_t visible_cap;
	double *cxy; /* context shapes in canvas px */
	size_t cxy_cap;
	int *clen;
	size_t clen_cap;
};

/* ----------------------------------------------------------- tile_ctx */

struct tile_ctx *tile_ctx_new(struct ms_error *err)
{
	(void)err; /* nothing can fail yet: fonts are opened on first use */
	return xcalloc(1, sizeof(struct tile_ctx));
}

void tile_ctx_free(struct tile_ctx *ctx)
{
	if (!ctx)
		return;
	canvas_free(ctx->canvas);
	for (int i = 0; i < ctx->nfonts; i++)
		glyphs_free(ctx->fonts[i].g);
	free(ctx->hits);
	free(ctx->visible);
	free(ctx->cxy);
	free(ctx->clen);
	free(ctx);
}

/* The context's FreeType face for the style's font, opened on first use. */
static struct glyphs *ctx_glyphs(struct tile_ctx *ctx, const struct style *st, struct ms_error *err)
{
	const char *path = st->font[0] ? st->font : GLYPHS_DEFAULT_FONT;
	for (int i = 0; i < ctx->nfonts; i++)
		if (!strcmp(ctx->fonts[i].path, path))
			return ctx->fonts[i].g;
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
	return g;
}

static struct canvas *ctx_canvas(struct tile_ctx *ctx, int w, int h)
{
	if (!ctx->canvas || ctx->canvas->width != w || ctx->canvas->height != h) {
		canvas_free(ctx->canvas);
		ctx->canvas = canvas_new(w, h);
		canvas_set_aa_levels(ctx->canvas, CANVAS_AA_TILE);
	}
	return ctx->canvas;
}

/* ------------------------------------------------------------ tile_map */

static size_t layout_slot(size_t style, enum coordsys cs, int zoom)
{
	return (style * NCOORDSYS + (size_t)cs) * NZOOMS + (size_t)zoom;
}

struct tile_map *tile_map_new(struct snapshot *snap, const struct style *styles, size_t nstyles)
{
	struct tile_map *m = xcalloc(1, sizeof *m);
	atomic_init(&m->refs, 1);
	m->snap = snapshot_retain(snap);
	m->styles = styles;
	m->nstyles = nstyles;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->layouts = xcalloc(nstyles * NCOORDSYS * NZOOMS + 1, sizeof *m->layouts);
	return m;
}

struct tile_map *tile_map_retain(struct tile_map *m)
{
	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
	return m;
}

static void points_free(struct points *p)
{
	if (p) {
		free(p->mx);
		free(p->my);
		free(p);
	}
}

static void layout_free(struct layout *l)
{
	if (l) {
		free(l->items);
		free(l->labels);
		free(l->keys);
		free(l->order);
		free(l);
	}
}

void tile_map_release(struct tile_map *m)
{
	if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (int i = 0; i < NCOORDSYS; i++)
		points_free(atomic_load(&m->points[i].ptr));
	for (size_t i = 0; i < m->nstyles * NCOORDSYS * NZOOMS; i++)
		layout_free(atomic_load(&m->layouts[i].ptr));
	free(m->layouts);
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
static void *lazy_get(struct tile_map *m, struct lazy *slot, lazy_build_fn build, struct tile_ctx *ctx,
		      const void *arg, struct ms_error *err)
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

	p = build(m, ctx, arg, err);

	pthread_mutex_lock(&m->mu);
	slot->busy = false;
	if (p)
		atomic_store_explicit(&slot->ptr, p, memory_order_release);
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	return p;
}

/* -------------------------------------------------------------- points */

static void *build_points(struct tile_map *m, struct tile_ctx *ctx, const void *arg, struct ms_error *err)
{
	(void)ctx;
	(void)err; /* the closed-form projection cannot fail */
	enum coordsys cs = *(const enum coordsys *)arg;
	size_t n = m->snap->n;
	struct points *p = xcalloc(1, sizeof *p);
	p->mx = xmalloc((n ? n : 1) * sizeof *p->mx);
	p->my = xmalloc((n ? n : 1) * sizeof *p->my);
	for (size_t i = 0; i < n; i++) {
		const struct site *s = &m->snap->sites[i];
		double lat = s->lat, lon = s->lon;
		if (cs != COORDSYS_WGS84)
			coordsys_from_wgs84(cs, s->lat, s->lon, &lat, &lon);
		webmerc_from_lonlat(lon, lat, &p->mx[i], &p->my[i]);
	}
	return p;
}

static const struct points *get_points(struct tile_map *m, struct tile_ctx *ctx, enum coordsys cs,
				       struct ms_error *err)
{
	return lazy_get(m, &m->points[cs], build_points, ctx, &cs, err);
}

static double quantize(double v)
{
	return nearbyint(v * ANCHOR_QUANTUM) / ANCHOR_QUANTUM;
}

static void world_px(const struct points *p, size_t i, int zoom, double *x, double *y)
{
	webmerc_to_world_px(p->mx[i], p->my[i], zoom, TILE_SIZE, x, y);
}

enum ms_status tile_site_world_px(struct tile_map *m, struct tile_ctx *ctx, enum coordsys cs, size_t i, int zoom,
				  double *px, double *py, struct ms_error *err)
{
	if ((unsigned)cs >= NCOORDSYS || zoom < 0 || zoom > MAX_ZOOM_LIMIT || i >= m->snap->n)
		return ms_fail(err, MS_EUSAGE, "tile_site_world_px: site %zu, zoom %d out of range", i, zoom);
	const struct points *p = get_points(m, ctx, cs, err);
	if (!p)
		return err ? err->status : MS_EINTERNAL;
	world_px(p, i, zoom, px, py);
	*px = quantize(*px);
	*py = quantize(*py);
	return MS_OK;
}

/* ---------------------------------------------------------- cell grid */

/* A hash from grid cells to singly linked lists of int32 values: the
 * clustering and label-collision grids.  Cells are (int64, int64) because
 * at zoom 24 with half-pixel cells there are 2^33 of them per row. */
struct grid {
	size_t cap, used; /* cap is a power of two */
	int64_t *kx, *ky;
	int32_t *head;
	int32_t *val, *next; /* nodes */
	size_t nnodes, nodes_cap;
};

static void grid_init(struct grid *g, size_t expect)
{
	memset(g, 0, sizeof *g);
	g->cap = 64;
	while (g->cap < expect * 2)
		g->cap <<= 1;
	g->kx = xmalloc(g->cap * sizeof *g->kx);
	g->ky = xmalloc(g->cap * sizeof *g->ky);
	g->head = xmalloc(g->cap * sizeof *g->head);
	for (size_t i = 0; i < g->cap; i++)
		g->head[i] = -2; /* -2: unused slot, -1: empty list */
}

static void grid_free(struct grid *g)
{
	free(g->kx);
	free(g->ky);
	free(g->head);
	free(g->val);
	free(g->next);
}

static size_t cell_hash(int64_t cx, int64_t cy)
{
	uint64_t h = (uint64_t)cx * 0x9E3779B97F4A7C15ull ^ ((uint64_t)cy + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
	return (size_t)(h ^ (h >> 29));
}

/* The list head of a cell; NULL when absent and !create. */
static int32_t *grid_cell(struct grid *g, int64_t cx, int64_t cy, bool create);

static void grid_grow(struct grid *g)
{
	struct grid old = *g;
	g->cap *= 2;
	g->used = 0;
	g->kx = xmalloc(g->cap * sizeof *g->kx);
	g->ky = xmalloc(g->cap * sizeof *g->ky);
	g->head = xmalloc(g->cap * sizeof *g->head);
	for (size_t i = 0; i < g->cap; i++)
		g->head[i] = -2;
	for (size_t i = 0; i < old.cap; i++)
		if (old.head[i] != -2)
			*grid_cell(g, old.kx[i], old.ky[i], true) = old.head[i];
	free(old.kx);
	free(old.ky);
	free(old.head);
}

static int32_t *grid_cell(struct grid *g, int64_t cx, int64_t cy, bool create)
{
	if (create && (g->used + 1) * 2 > g->cap)
		grid_grow(g);
	size_t mask = g->cap - 1;
	for (size_t i = cell_hash(cx, cy) & mask;; i = (i + 1) & mask) {
		if (g->head[i] == -2) {
			if (!create)
				return NULL;
			g->kx[i] = cx;
			g->ky[i] = cy;
			g->head[i] = -1;
			g->used++;
			return &g->head[i];
		}
		if (g->kx[i] == cx && g->ky[i] == cy)
			return &g->head[i];
	}
}

static void grid_add(struct grid *g, int64_t cx, int64_t cy, int32_t v)
{
	if (g->nnodes == g->nodes_cap) {
		g->nodes_cap = g->nodes_cap ? g->nodes_cap * 2 : 256;
		g->val = xrealloc(g->val, g->nodes_cap * sizeof *g->val);
		g->next = xrealloc(g->next, g->nodes_cap * sizeof *g->next);
	}
	int32_t *h = grid_cell(g, cx, cy, true);
	int32_t node = (int32_t)g->nnodes++;
	g->val[node] = v;
	g->next[node] = *h;
	*h = node;
}

/* -------------------------------------------------------------- layout */

struct layout_key {
	size_t style;
	enum coordsys cs;
	int zoom;
};

/* Greedy clustering in id order: each site joins the nearest existing
 * cluster whose first member lies within radius, else starts one.  The
 * first member never moves, so the outcome depends on the ids only and a
 * grid of radius-sized cells finds every candidate in 3x3 cells.  A
 * cluster is drawn at the centroid of its members. */
static void make_clusters(struct layout *l, const struct points *p, size_t n, double radius)
{
	double *lx = xmalloc((n ? n : 1) * sizeof *lx), *ly = xmalloc((n ? n : 1) * sizeof *ly);
	double *sx = xmalloc((n ? n : 1) * sizeof *sx), *sy = xmalloc((n ? n : 1) * sizeof *sy);
	l->items = xcalloc(n ? n : 1, sizeof *l->items);
	struct grid g;
	grid_init(&g, n);
	size_t nc = 0;
	for (size_t i = 0; i < n; i++) {
		double x, y;
		world_px(p, i, l->zoom, &x, &y);
		int64_t cx = (int64_t)floor(x / radius), cy = (int64_t)floor(y / radius);
		int32_t best = -1;
		double best_d = radius * radius;
		for (int64_t dy = -1; dy <= 1; dy++)
			for (int64_t dx = -1; dx <= 1; dx++) {
				int32_t *h = grid_cell(&g, cx + dx, cy + dy, false);
				for (int32_t k = h ? *h : -1; k >= 0; k = g.next[k]) {
					int32_t c = g.val[k];
					double ddx = lx[c] - x, ddy = ly[c] - y, d = ddx * ddx + ddy * ddy;
					if (d < best_d || (d == best_d && best >= 0 && c < best)) {
						best = c;
						best_d = d;
					}
				}
			}
		/* strictly closer than radius joins; d == radius*radius with no
		 * earlier best is outside (best_d starts at the bound). */
		if (best >= 0) {
			l->items[best].count++;
			sx[best] += x;
			sy[best] += y;
			continue;
		}
		lx[nc] = x;
		ly[nc] = y;
		sx[nc] = x;
		sy[nc] = y;
		l->items[nc].site = (uint32_t)i;
		l->items[nc].count = 1;
		grid_add(&g, cx, cy, (int32_t)nc);
		nc++;
	}
	for (size_t c = 0; c < nc; c++) {
		struct item *it = &l->items[c];
		it->x = quantize(it->count == 1 ? lx[c] : sx[c] / it->count);
		it->y = quantize(it->count == 1 ? ly[c] : sy[c] / it->count);
		it->label = -1;
		if (it->count > 1) {
			l->clusters++;
			if (it->count > l->largest)
				l->largest = it->count;
		}
	}
	if (!l->largest && nc)
		l->largest = 1;
	l->nitems = nc;
	grid_free(&g);
	free(lx);
	free(ly);
	free(sx);
	free(sy);
}

static void grid_add_box(struct grid *g, double l, double t, double r, double b, int32_t v)
{
	for (int64_t cy = (int64_t)floor(t / LABEL_CELL); cy <= (int64_t)floor(b / LABEL_CELL); cy++)
		for (int64_t cx = (int64_t)floor(l / LABEL_CELL); cx <= (int64_t)floor(r / LABEL_CELL); cx++)
			grid_add(g, cx, cy, v);
}

/* Box v of boxes: left, top, right, bottom. */
static bool grid_box_free(const struct grid *gc, const double *boxes, double l, double t, double r, double b)
{
	struct grid *g = (struct grid *)gc; /* lookups do not modify */
	for (int64_t cy = (int64_t)floor(t / LABEL_CELL); cy <= (int64_t)floor(b / LABEL_CELL); cy++)
		for (int64_t cx = (int64_t)floor(l / LABEL_CELL); cx <= (int64_t)floor(r / LABEL_CELL); cx++) {
			int32_t *h = grid_cell(g, cx, cy, false);
			for (int32_t k = h ? *h : -1; k >= 0; k = g->next[k]) {
				const double *o = boxes + 4 * (size_t)g->val[k];
				if (l < o[2] && o[0] < r && t < o[3] && o[1] < b)
					return false;
			}
		}
	return true;
}

/* Labels, greedy in id order (the item order): each single-site marker
 * tries above, below, right and left of itself; the first position that
 * overlaps no marker and no label already placed wins, else the site has
 * no label at this zoom — on every tile alike. */
static bool place_labels(struct layout *l, const struct style *st, const struct snapshot *snap, struct glyphs *gl)
{
	size_t cap = l->nitems * 2 + 1, nb = 0;
	double *boxes = xmalloc(cap * 4 * sizeof *boxes);
	struct grid g;
	grid_init(&g, l->nitems * 2);
	for (size_t i = 0; i < l->nitems; i++) {
		const struct item *it = &l->items[i];
		double *b = boxes + 4 * nb;
		b[0] = it->x + it->left;
		b[1] = it->y + it->top;
		b[2] = it->x + it->right;
		b[3] = it->y + it->bottom;
		grid_add_box(&g, b[0], b[1], b[2], b[3], (int32_t)nb);
		nb++;
	}
	l->labels = xmalloc((l->nitems ? l->nitems : 1) * sizeof *l->labels);
	double size = l->label_size, halo = st->label_halo_width > 0 ? st->label_halo_width : 0;
	double gap = st->label_offset;
	for (size_t i = 0; i < l->nitems; i++) {
		struct item *it = &l->items[i];
		const char *name = snap->sites[it->site].field[SITE_NAME_ZH];
		if (it->count != 1 || !name[0])
			continue;
		struct text_box tb;
		glyphs_measure(gl, name, size, &tb);
		double mid = (tb.ascent - tb.descent) / 2;
		double cand[4][2] = {
			{it->x - tb.width / 2, it->y + it->top - gap - tb.descent},
			{it->x - tb.width / 2, it->y + it->bottom + gap + tb.ascent},
			{it->x + it->right + gap, it->y + mid},
			{it->x + it->left - gap - tb.width, it->y + mid},
		};
		for (int c = 0; c < 4; c++) {
			double bx = floor(cand[c][0] + 0.5), by = floor(cand[c][1] + 0.5);
			double bl = bx - halo, bt = by - tb.ascent - halo, br = bx + tb.width + halo,
			       bb = by + tb.descent + halo;
			if (!grid_box_free(&g, boxes, bl, bt, br, bb))
				continue;
			struct label *lb = &l->labels[l->nlabels];
			lb->bx = bx;
			lb->by = by;
			lb->left = bl;
			lb->top = bt;
			lb->right = br;
			lb->bottom = bb;
			it->label = (int32_t)l->nlabels++;
			double *b = boxes + 4 * nb;
			b[0] = bl;
			b[1] = bt;
			b[2] = br;
			b[3] = bb;
			grid_add_box(&g, bl, bt, br, bb, (int32_t)nb);
			nb++;
			break;
		}
	}
	grid_free(&g);
	free(boxes);
	return true;
}

static int cmp_u64_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

static uint64_t query_key(int64_t cx, int64_t cy)
{
	return ((uint64_t)cy << 32) | (uint64_t)(uint32_t)cx;
}

static int64_t clamp_cell(double v, int zoom)
{
	int64_t max = ((int64_t)1 << zoom) - 1; /* cells are tiles */
	double c = floor(v / (double)(1 << QUERY_CELL_SHIFT));
	if (c < 0)
		return 0;
	if (c > (double)max)
		return max;
	return (int64_t)c;
}

/* The window-query index: items sorted by the tile their anchor is in,
 * and the reach of the largest feature around its anchor. */
static void index_items(struct layout *l)
{
	size_t n = l->nitems;
	uint64_t *pairs = xmalloc((n ? n : 1) * 2 * sizeof *pairs);
	double reach = 0;
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &l->items[i];
		pairs[2 * i] = query_key(clamp_cell(it->x, l->zoom), clamp_cell(it->y, l->zoom));
		pairs[2 * i + 1] = i;
		double r = fmax(fmax(-it->left, it->right), fmax(-it->top, it->bottom));
		if (it->label >= 0) {
			const struct label *lb = &l->labels[it->label];
			r = fmax(r, fmax(fmax(it->x - lb->left, lb->right - it->x), fmax(it->y - lb->top, lb->bottom - it->y)));
		}
		reach = fmax(reach, r);
	}
	qsort(pairs, n, 2 * sizeof *pairs, cmp_u64_pair);
	l->keys = xmalloc((n ? n : 1) * sizeof *l->keys);
	l->order = xmalloc((n ? n : 1) * sizeof *l->order);
	for (size_t i = 0; i < n; i++) {
		l->keys[i] = pairs[2 * i];
		l->order[i] = (uint32_t)pairs[2 * i + 1];
	}
	free(pairs);
	l->reach = reach + SLACK_PX;
}

static void *build_layout(struct tile_map *m, struct tile_ctx *ctx, const void *arg, struct ms_error *err)
{
	const struct layout_key *k = arg;
	const struct style *st = &m->styles[k->style];
	const struct points *p = get_points(m, ctx, k->cs, err);
	if (!p)
		return NULL;
	struct glyphs *gl = NULL;
	bool labels = k->zoom >= st->label_minzoom;
	if (labels && !(gl = ctx_glyphs(ctx, st, err)))
		return NULL;

	struct layout *l = xcalloc(1, sizeof *l);
	double z = k->zoom;
	l->zoom = k->zoom;
	l->marker_size = style_eval(&st->marker_size, z);
	l->outline_w = style_eval(&st->marker_outline_width, z);
	l->cluster_size = style_eval(&st->cluster_size, z);
	l->cluster_outline = st->cluster_outline_width;
	l->cluster_text = style_eval(&st->cluster_text_size, z);
	l->label_size = style_eval(&st->label_size, z);

	double radius = COINCIDENT_PX;
	if (st->cluster && k->zoom <= st->cluster_maxzoom && st->cluster_radius > radius)
		radius = st->cluster_radius;
	make_clusters(l, p, m->snap->n, radius);

	for (size_t i = 0; i < l->nitems; i++) {
		struct item *it = &l->items[i];
		double el, et, er, eb;
		if (it->count == 1) {
			enum site_category c = m->snap->sites[it->site].category;
			raster_marker_extent(st->marker_shape[c], l->marker_size, l->outline_w, &el, &et, &er, &eb);
		} else {
			el = et = -(l->cluster_size + l->cluster_outline);
			er = eb = l->cluster_size + l->cluster_outline;
		}
		it->left = (float)el;
		it->top = (float)et;
		it->right = (float)er;
		it->bottom = (float)eb;
	}
	if (labels)
		place_labels(l, st, m->snap, gl);
	index_items(l);
	return l;
}

static const struct layout *get_layout(struct tile_map *m, struct tile_ctx *ctx, const struct style *st,
				       enum coordsys cs, int zoom, struct ms_error *err)
{
	if (!st || st < m->styles || st >= m->styles + m->nstyles) {
		ms_fail(err, MS_EUSAGE, "tile: style is not one of the map's %zu styles", m->nstyles);
		return NULL;
	}
	if ((unsigned)cs >= NCOORDSYS || zoom < 0 || zoom > MAX_ZOOM_LIMIT) {
		ms_fail(err, MS_EUSAGE, "tile: zoom %d or coordsys %d out of range", zoom, (int)cs);
		return NULL;
	}
	struct layout_key k = {(size_t)(st - m->styles), cs, zoom};
	return lazy_get(m, &m->layouts[layout_slot(k.style, cs, zoom)], build_layout, ctx, &k, err);
}

enum ms_status tile_layout_stats(struct tile_map *m, struct tile_ctx *ctx, const struct style *style,
				 enum coordsys cs, int zoom, struct tile_layout_stats *st, struct ms_error *err)
{
	const struct layout *l = get_layout(m, ctx, style, cs, zoom, err);
	if (!l)
		return err ? err->status : MS_EINTERNAL;
	st->markers = l->nitems;
	st->clusters = l->clusters;
	st->labels = l->nlabels;
	st->largest_cluster = l->largest;
	return MS_OK;
}

/* ---------------------------------------------------------------- view */

void tile_view_of_tile(struct tile_view *v, const struct style *style, enum coordsys cs, int z, long long x,
		       long long y, int scale)
{
	v->style = style;
	v->coordsys = cs;
	v->zoom = z;
	v->scale = scale;
	v->origin_x = x * TILE_SIZE * scale;
	v->origin_y = y * TILE_SIZE * scale;
	v->width = v->height = TILE_SIZE * scale;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static size_t lower_bound(const uint64_t *keys, size_t n, uint64_t k)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keys[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Items whose anchor is within reach of the window [x0,x1)x[y0,y1)
 * (world px, scale 1), in item order, into ctx->hits. */
static size_t query_items(struct tile_ctx *ctx, const struct layout *l, double x0, double y0, double x1, double y1)
{
	size_t nh = 0;
	if (!l->nitems)
		return 0;
	int64_t cx0 = clamp_cell(x0 - l->reach, l->zoom), cx1 = clamp_cell(x1 + l->reach, l->zoom);
	int64_t cy0 = clamp_cell(y0 - l->reach, l->zoom), cy1 = clamp_cell(y1 + l->reach, l->zoom);
	for (int64_t cy = cy0; cy <= cy1; cy++) {
		size_t k = lower_bound(l->keys, l->nitems, query_key(cx0, cy));
		uint64_t end = query_key(cx1, cy);
		for (; k < l->nitems && l->keys[k] <= end; k++) {
			if (nh == ctx->hits_cap) {
				ctx->hits_cap = ctx->hits_cap ? ctx->hits_cap * 2 : 256;
				ctx->hits = xrealloc(ctx->hits, ctx->hits_cap * sizeof *ctx->hits);
			}
			ctx->hits[nh++] = l->order[k];
		}
	}
	if (nh > 1)
		qsort(ctx->hits, nh, sizeof *ctx->hits, cmp_u32);
	return nh;
}

static bool touches(double l, double t, double r, double b, double x0, double y0, double x1, double y1)
{
	return l - SLACK_PX < x1 && x0 < r + SLACK_PX && t - SLACK_PX < y1 && y0 < b + SLACK_PX;
}

enum { VIS_MARKER = 1, VIS_LABEL = 2 };

static void draw_cluster(struct canvas *c, struct glyphs *gl, const struct style *st, const struct layout *l,
			 const struct item *it, int scale, long long ox, long long oy)
{
	double s = scale;
	double cx = it->x * s, cy = it->y * s;
	raster_marker(c, SHAPE_CIRCLE, cx - (double)ox, cy - (double)oy, l->cluster_size * s, st->cluster_color,
		      st->cluster_outline, l->cluster_outline * s);
	char text[16];
	if (it->count < 10000)
		snprintf(text, sizeof text, "%u", (unsigned)it->count);
	else
		snprintf(text, sizeof text, "%uk", (unsigned)(it->count / 1000));
	double size = l->cluster_text * s;
	struct text_box tb;
	glyphs_measure(gl, text, size, &tb);
	/* Rounded in world px (scaled), so every window agrees on the pixel. */
	double tx = floor(cx - tb.width / 2 + 0.5), ty = floor(cy + (tb.ascent - tb.descent) / 2 + 0.5);
	struct rgba none = {0, 0, 0, 0};
	glyphs_draw(gl, c, text, tx - (double)ox, ty - (double)oy, size, st->cluster_text_color, none, 0);
}

/* Context vertices nearer than this (canvas px, in each axis) to the last
 * one kept are skipped: a 1:10m border has thousands of points that fall
 * on one pixel at low zooms. */
#define CONTEXT_DECIMATE_PX 0.5
/* How far (world px at zoom 0) GCJ-02 or BD-09 may move a WGS-84
 * position: about 0.04 degrees, well above their offsets of at most
 * about a kilometre. */
#define CONTEXT_SHIFT_MARGIN 0.03

/* Appends ring r of g to the context's scratch as canvas px, decimated.
 * Decisions are made on world px (before the origin is subtracted) so
 * that every window of a zoom keeps the same vertices: stitched tiles
 * stay equal to one large window.  Returns the points kept. */
static int context_ring(struct tile_ctx *ctx, size_t *used, const struct geodata *g, size_t r,
			const struct tile_view *v, double k)
{
	uint32_t p0 = g->ring_start[r], n = g->ring_len[r];
	if (*used + 2 * (size_t)n > ctx->cxy_cap) {
		ctx->cxy_cap = 2 * (*used + 2 * (size_t)n);
		ctx->cxy = xrealloc(ctx->cxy, ctx->cxy_cap * sizeof *ctx->cxy);
	}
	double *out = ctx->cxy + *used;
	double ox = (double)v->origin_x, oy = (double)v->origin_y;
	double lx = 0, ly = 0;
	int kept = 0;
	for (uint32_t i = 0; i < n; i++) {
		double x, y;
		if (v->coordsys == COORDSYS_WGS84) {
			x = g->xy[2 * (p0 + i)];
			y = g->xy[2 * (p0 + i) + 1];
		} else {
			double lat, lon;
			coordsys_from_wgs84(v->coordsys, g->ll[2 * (p0 + i) + 1], g->ll[2 * (p0 + i)], &lat, &lon);
			webmerc_world_px(lon, lat, 0, TILE_SIZE, &x, &y);
		}
		x *= k;
		y *= k;
		if (kept && i + 1 < n && fabs(x - lx) < CONTEXT_DECIMATE_PX && fabs(y - ly) < CONTEXT_DECIMATE_PX)
			continue;
		lx = x;
		ly = y;
		out[2 * kept] = x - ox;
		out[2 * kept + 1] = y - oy;
		kept++;
	}
	return kept;
}

/* The style's fill and line layers, in file order, under everything else. */
static void draw_context(struct tile_ctx *ctx, struct canvas *c, const struct tile_view *v)
{
	const struct style *st = v->style;
	double k = ldexp((double)v->scale, v->zoom); /* world px at zoom 0 -> canvas scale */
	double vx0 = (double)v->origin_x, vy0 = (double)v->origin_y;
	double vx1 = vx0 + v->width, vy1 = vy0 + v->height;
	double shift = v->coordsys == COORDSYS_WGS84 ? 0 : CONTEXT_SHIFT_MARGIN * k;
	for (int li = 0; li < st->ncontext; li++) {
		const struct style_context *cx = &st->context[li];
		if (v->zoom < cx->minzoom || v->zoom >= cx->maxzoom)
			continue;
		bool fill = cx->kind == STYLE_CONTEXT_FILL;
		double width = fill ? 0 : style_eval(&cx->width, v->zoom) * v->scale;
		struct rgba col = cx->color;
		col.a = (uint8_t)lround(col.a * style_eval(&cx->opacity, v->zoom));
		if (col.a == 0 || (!fill && width <= 0))
			continue;
		double margin = width / 2 + SLACK_PX + shift;
		const struct geodata *g = cx->data;
		for (size_t si = 0; si < g->nshapes; si++) {
			const struct geodata_shape *sh = &g->shapes[si];
			if (fill && !sh->polygon)
				continue;
			if (sh->x0 * k - margin > vx1 || sh->x1 * k + margin < vx0 || sh->y0 * k - margin > vy1 ||
			    sh->y1 * k + margin < vy0)
				continue;
			if (sh->nrings > ctx->clen_cap) {
				ctx->clen_cap = 2 * sh->nrings;
				ctx->clen = xrealloc(ctx->clen, ctx->clen_cap * sizeof *ctx->clen);
			}
			size_t used = 0;
			int nr = 0;
			for (uint32_t r = 0; r < sh->nrings; r++) {
				size_t at = used;
				int kept = context_ring(ctx, &used, g, sh->ring0 + r, v, k);
				/* A ring of under a pixel has no area; a line of
				 * one point no length. */
				if (kept < (sh->polygon ? 3 : 2))
					continue;
				if (!fill) {
					raster_stroke_polyline(c, ctx->cxy + at, kept, sh->polygon, width, col);
					continue;
				}
				ctx->clen[nr++] = kept;
				used = at + 2 * (size_t)kept;
			}
			if (fill && nr)
				raster_fill_polygon(c, ctx->cxy, ctx->clen, nr, col);
		}
	}
}

enum ms_status tile_render_view(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
				struct canvas **out, bool *empty, struct ms_error *err)
{
	*out = NULL;
	*empty = false;
	if (v->scale < 1 || v->scale > TILE_MAX_SCALE || v->width < 1 || v->height < 1 ||
	    v->width > TILE_MAX_VIEW_PX || v->height > TILE_MAX_VIEW_PX)
		return ms_fail(err, MS_EUSAGE, "tile: view %dx%d at scale %d out of range", v->width, v->height,
			       v->scale);
	const struct style *st = v->style;
	const struct layout *l = get_layout(m, ctx, st, v->coordsys, v->zoom, err);
	if (!l)
		return err ? err->status : MS_EINTERNAL;

	double s = v->scale;
	double x0 = (double)v->origin_x / s, y0 = (double)v->origin_y / s;
	double x1 = (double)(v->origin_x + v->width) / s, y1 = (double)(v->origin_y + v->height) / s;
	size_t nh = query_items(ctx, l, x0, y0, x1, y1);
	if (nh > ctx->visible_cap) {
		ctx->visible_cap = nh;
		ctx->visible = xrealloc(ctx->visible, nh);
	}
	size_t nvis = 0;
	bool any_cluster = false;
	for (size_t h = 0; h < nh; h++) {
		const struct item *it = &l->items[ctx->hits[h]];
		uint8_t vis = 0;
		if (touches(it->x + it->left, it->y + it->top, it->x + it->right, it->y + it->bottom, x0, y0, x1, y1)) {
			vis |= VIS_MARKER;
			any_cluster |= it->count > 1;
		}
		if (it->label >= 0) {
			const struct label *lb = &l->labels[it->label];
			if (touches(lb->left, lb->top, lb->right, lb->bottom, x0, y0, x1, y1))
				vis |= VIS_LABEL;
		}
		ctx->visible[h] = vis;
		nvis += vis != 0;
	}
	if (!nvis && st->background.a == 0 && st->ncontext == 0) {
		*empty = true;
		return MS_OK;
	}
	struct glyphs *gl = NULL;
	if (nvis && !(gl = ctx_glyphs(ctx, st, err)))
		return err->status;
	(void)any_cluster;

	struct canvas *c = ctx_canvas(ctx, v->width, v->height);
	canvas_clear(c, st->background);
	if (st->ncontext)
		draw_context(ctx, c, v);
	long long ox = v->origin_x, oy = v->origin_y;
	for (size_t h = 0; h < nh; h++) {
		if (!(ctx->visible[h] & VIS_MARKER))
			continue;
		const struct item *it = &l->items[ctx->hits[h]];
		if (it->count > 1) {
			draw_cluster(c, gl, st, l, it, v->scale, ox, oy);
			continue;
		}
		enum site_category cat = m->snap->sites[it->site].category;
		raster_marker(c, st->marker_shape[cat], it->x * s - (double)ox, it->y * s - (double)oy,
			      l->marker_size * s, st->marker_color[cat], st->marker_outline, l->outline_w * s);
	}
	for (size_t h = 0; h < nh; h++) {
		if (!(ctx->visible[h] & VIS_LABEL))
			continue;
		const struct item *it = &l->items[ctx->hits[h]];
		const struct label *lb = &l->labels[it->label];
		glyphs_draw(gl, c, m->snap->sites[it->site].field[SITE_NAME_ZH], lb->bx * s - (double)ox,
			    lb->by * s - (double)oy, l->label_size * s, st->label_color, st->label_halo,
			    st->label_halo_width * s);
	}
	*out = c;
	return MS_OK;
}

/* ----------------------------------------------------------------- PNG */

static struct buf empty_png[TILE_MAX_SCALE + 1];
static pthread_once_t empty_once = PTHREAD_ONCE_INIT;

/* Encoded once for the life of the process: every empty tile of a size is
 * these very bytes, so clients and caches see one ETag for all of them. */
static void make_empty_pngs(void)
{
	for (int s = 1; s <= TILE_MAX_SCALE; s++) {
		struct canvas *c = canvas_new(TILE_SIZE * s, TILE_SIZE * s);
		struct ms_error err;
		if (pngenc_encode(c, &empty_png[s], &err) != MS_OK)
			buf_free(&empty_png[s]);
		canvas_free(c);
	}
}

const struct buf *tile_empty_png(int scale)
{
	if (scale < 1 || scale > TILE_MAX_SCALE)
		return NULL;
	pthread_once(&empty_once, make_empty_pngs);
	return empty_png[scale].len ? &empty_png[scale] : NULL;
}

enum ms_status tile_render_png(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
			       struct buf *png, bool *empty, struct ms_error *err)
{
	struct canvas *c = NULL;
	enum ms_status st = tile_render_view(m, ctx, v, &c, empty, err);
	if (st != MS_OK)
		return st;
	if (!*empty)
		return pngenc_encode(c, png, err);
	const struct buf *e = v->width == v->height ? tile_empty_png(v->width / TILE_SIZE) : NULL;
	if (e && v->width % TILE_SIZE == 0) {
		buf_append(png, e->data, e->len);
		return MS_OK;
	}
	c = ctx_canvas(ctx, v->width, v->height); /* a static map of another size */
	canvas_clear(c, (struct rgba){0, 0, 0, 0});
	return pngenc_encode(c, png, err);
}

/* ------------------------------------------ for overlays (route sheets) */

/* Overlays drawn over a rendered view (the route on a static map) use the
 * same per-thread FreeType face as the view's labels. */
struct glyphs *tile_ctx_glyphs(struct tile_ctx *ctx, const struct style *style, struct ms_error *err)
{
	return ctx_glyphs(ctx, style, err);
}

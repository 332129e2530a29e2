/*
 * tile.c - the tile map (positions and layouts made once, on demand), the
 * view renderer and the shared empty PNGs; see tile.h.
 *
 * Drawing a view: ask the layout of (style, coordsys, zoom) for the items
 * within reach of the window, keep those whose marker or label box
 * touches it, then draw background, context layers, markers and clusters,
 * and labels, each pass in the layout's order.  Every coordinate is the
 * layout's world pixel times the scale minus the window's whole-pixel
 * origin, which is what keeps stitched tiles equal to one large window.
 */
#include "tile.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/webmerc.h"
#include "../util/mem.h"
#include "../util/refcount.h"
#include "context.h"
#include "glyphs.h"
#include "layout.h"
#include "png.h"
#include "raster.h"

#define NCOORDSYS 4
#define NZOOMS (WEBMERC_MAX_ZOOM + 1)
#define MAX_FONTS 4
/* A cluster's count is written in full below this, in thousands ("12k")
 * from it, so the text stays within the disc. */
#define COUNT_IN_THOUSANDS 10000
#define THOUSAND 1000

/* ---------------------------------------------------------------- lazy */

/* A value computed once by the first thread that needs it; the others wait
 * on the map's condition variable.  ptr is published with release order,
 * so a reader that sees it non-NULL sees the whole object. */
struct lazy {
	_Atomic(void *) ptr;
	bool busy; /* guarded by the map's mutex */
};

typedef void *(*lazy_build_fn)(struct tile_map *m, struct tile_ctx *ctx, const void *arg,
                               struct ms_error *err);

/* --------------------------------------------------------------- types */

/* Web Mercator metres of every site in one coordsys (index = site). */
struct points {
	double *mx, *my;
};

struct tile_map {
	struct ms_ref refs;
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
	uint32_t *hits; /* the items a view queries */
	size_t hits_cap;
	uint8_t *visible; /* VIS_* of each hit */
	size_t visible_cap;
	struct context_scratch *context;
};

/* ----------------------------------------------------------- tile_ctx */

struct tile_ctx *tile_ctx_new(struct ms_error *err)
{
	(void)err; /* nothing can fail yet: see tile.h */
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
	context_scratch_free(ctx->context);
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
	ms_ref_init(&m->refs);
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
	ms_ref_get(&m->refs);
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

void tile_map_release(struct tile_map *m)
{
	if (!m || !ms_ref_put(&m->refs))
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

/* Every site in Web Mercator metres (geo/webmerc.h, the one projection),
 * shifted into coordsys first when that is not WGS-84. */
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

enum ms_status tile_site_world_px(struct tile_map *m, struct tile_ctx *ctx, enum coordsys cs, size_t i,
                                  int zoom, double *px, double *py, struct ms_error *err)
{
	if ((unsigned)cs >= NCOORDSYS || zoom < 0 || zoom > WEBMERC_MAX_ZOOM || i >= m->snap->n)
		return ms_fail(err, MS_EUSAGE, "tile_site_world_px: site %zu, zoom %d out of range", i, zoom);
	const struct points *p = get_points(m, ctx, cs, err);
	if (!p)
		return err ? err->status : MS_EINTERNAL;
	webmerc_to_world_px(p->mx[i], p->my[i], zoom, WEBMERC_TILE_SIZE, px, py);
	*px = layout_anchor(*px);
	*py = layout_anchor(*py);
	return MS_OK;
}

/* ------------------------------------------------------------- layouts */

struct layout_key {
	size_t style;
	enum coordsys cs;
	int zoom;
};

static void *build_layout(struct tile_map *m, struct tile_ctx *ctx, const void *arg, struct ms_error *err)
{
	const struct layout_key *k = arg;
	const struct style *st = &m->styles[k->style];
	const struct points *p = get_points(m, ctx, k->cs, err);
	if (!p)
		return NULL;
	struct glyphs *gl = NULL;
	if (k->zoom >= st->label_minzoom && !(gl = ctx_glyphs(ctx, st, err)))
		return NULL;
	struct layout_sites in = {m->snap->sites, p->mx, p->my, m->snap->n};
	return layout_build(st, &in, k->zoom, gl);
}

static const struct layout *get_layout(struct tile_map *m, struct tile_ctx *ctx, const struct style *st,
                                       enum coordsys cs, int zoom, struct ms_error *err)
{
	if (!st || st < m->styles || st >= m->styles + m->nstyles) {
		ms_fail(err, MS_EUSAGE, "tile: style is not one of the map's %zu styles", m->nstyles);
		return NULL;
	}
	if ((unsigned)cs >= NCOORDSYS || zoom < 0 || zoom > WEBMERC_MAX_ZOOM) {
		ms_fail(err, MS_EUSAGE, "tile: zoom %d or coordsys %d out of range", zoom, (int)cs);
		return NULL;
	}
	struct layout_key k = {(size_t)(st - m->styles), cs, zoom};
	return lazy_get(m, &m->layouts[layout_slot(k.style, cs, zoom)], build_layout, ctx, &k, err);
}

enum ms_status tile_layout_stats(struct tile_map *m, struct tile_ctx *ctx, const struct style *style,
                                 enum coordsys cs, int zoom, struct tile_layout_stats *st,
                                 struct ms_error *err)
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
	v->origin_x = x * WEBMERC_TILE_SIZE * scale;
	v->origin_y = y * WEBMERC_TILE_SIZE * scale;
	v->width = v->height = WEBMERC_TILE_SIZE * scale;
}

static bool touches(double l, double t, double r, double b, double x0, double y0, double x1, double y1)
{
	return l - LAYOUT_SLACK_PX < x1 && x0 < r + LAYOUT_SLACK_PX && t - LAYOUT_SLACK_PX < y1 &&
	       y0 < b + LAYOUT_SLACK_PX;
}

enum { VIS_MARKER = 1, VIS_LABEL = 2 };

/* Which of the items near the window [x0,x1)x[y0,y1) (world px, scale 1)
 * draw their marker or label in it: ctx->visible[h] for ctx->hits[h].
 * Returns how many draw anything. */
static size_t visible_items(struct tile_ctx *ctx, const struct layout *l, size_t nh, double x0, double y0,
                            double x1, double y1)
{
	if (nh > ctx->visible_cap) {
		ctx->visible_cap = nh;
		ctx->visible = xrealloc(ctx->visible, nh);
	}
	size_t nvis = 0;
	for (size_t h = 0; h < nh; h++) {
		const struct layout_item *it = &l->items[ctx->hits[h]];
		uint8_t vis = 0;
		if (touches(it->x + it->left, it->y + it->top, it->x + it->right, it->y + it->bottom, x0, y0,
		            x1, y1))
			vis |= VIS_MARKER;
		if (it->label >= 0) {
			const struct layout_label *lb = &l->labels[it->label];
			if (touches(lb->left, lb->top, lb->right, lb->bottom, x0, y0, x1, y1))
				vis |= VIS_LABEL;
		}
		ctx->visible[h] = vis;
		nvis += vis != 0;
	}
	return nvis;
}

static void draw_cluster(struct canvas *c, struct glyphs *gl, const struct style *st, const struct layout *l,
                         const struct layout_item *it, int scale, long long ox, long long oy)
{
	double s = scale;
	double cx = it->x * s, cy = it->y * s;
	raster_marker(c, SHAPE_CIRCLE, cx - (double)ox, cy - (double)oy, l->cluster_size * s,
	              st->cluster_color, st->cluster_outline, l->cluster_outline * s);
	char text[16];
	if (it->count < COUNT_IN_THOUSANDS)
		snprintf(text, sizeof text, "%u", (unsigned)it->count);
	else
		snprintf(text, sizeof text, "%uk", (unsigned)(it->count / THOUSAND));
	double size = l->cluster_text * s;
	struct text_box tb;
	glyphs_measure(gl, text, size, &tb);
	/* Rounded in world px (scaled), so every window agrees on the pixel. */
	double tx = floor(cx - tb.width / 2 + 0.5), ty = floor(cy + (tb.ascent - tb.descent) / 2 + 0.5);
	struct rgba none = {0, 0, 0, 0};
	glyphs_draw(gl, c, text, tx - (double)ox, ty - (double)oy, size, st->cluster_text_color, none, 0);
}

/* Markers and clusters, then labels, of the visible hits. */
static void draw_items(struct tile_map *m, struct tile_ctx *ctx, const struct layout *l, size_t nh,
                       struct glyphs *gl, struct canvas *c, const struct tile_view *v)
{
	const struct style *st = v->style;
	double s = v->scale;
	long long ox = v->origin_x, oy = v->origin_y;
	for (size_t h = 0; h < nh; h++) {
		if (!(ctx->visible[h] & VIS_MARKER))
			continue;
		const struct layout_item *it = &l->items[ctx->hits[h]];
		if (it->count > 1) {
			draw_cluster(c, gl, st, l, it, v->scale, ox, oy);
			continue;
		}
		enum site_category cat = m->snap->sites[it->site].category;
		raster_marker(c, st->marker_shape[cat], it->x * s - (double)ox, it->y * s - (double)oy,
		              l->marker_size * s, st->marker_color[cat], st->marker_outline,
		              l->outline_w * s);
	}
	for (size_t h = 0; h < nh; h++) {
		if (!(ctx->visible[h] & VIS_LABEL))
			continue;
		const struct layout_item *it = &l->items[ctx->hits[h]];
		const struct layout_label *lb = &l->labels[it->label];
		glyphs_draw(gl, c, m->snap->sites[it->site].field[SITE_NAME_ZH], lb->bx * s - (double)ox,
		            lb->by * s - (double)oy, l->label_size * s, st->label_color, st->label_halo,
		            st->label_halo_width * s);
	}
}

enum ms_status tile_render_view(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v,
                                struct canvas **out, bool *empty, struct ms_error *err)
{
	*out = NULL;
	*empty = false;
	if (v->scale < 1 || v->scale > TILE_MAX_SCALE || v->width < 1 || v->height < 1 ||
	    v->width > TILE_MAX_VIEW_PX || v->height > TILE_MAX_VIEW_PX)
		return ms_fail(err, MS_EUSAGE, "tile: view %dx%d at scale %d out of range", v->width,
		               v->height, v->scale);
	const struct style *st = v->style;
	const struct layout *l = get_layout(m, ctx, st, v->coordsys, v->zoom, err);
	if (!l)
		return err ? err->status : MS_EINTERNAL;

	double s = v->scale;
	double x0 = (double)v->origin_x / s, y0 = (double)v->origin_y / s;
	double x1 = (double)(v->origin_x + v->width) / s, y1 = (double)(v->origin_y + v->height) / s;
	size_t nh = layout_query(l, x0, y0, x1, y1, &ctx->hits, &ctx->hits_cap);
	size_t nvis = visible_items(ctx, l, nh, x0, y0, x1, y1);
	if (!nvis && st->background.a == 0 && st->ncontext == 0) {
		*empty = true;
		return MS_OK;
	}
	struct glyphs *gl = NULL;
	if (nvis && !(gl = ctx_glyphs(ctx, st, err)))
		return err->status;

	struct canvas *c = ctx_canvas(ctx, v->width, v->height);
	canvas_clear(c, st->background);
	if (st->ncontext) {
		if (!ctx->context)
			ctx->context = context_scratch_new();
		context_draw(ctx->context, c, st, v->coordsys, v->zoom, v->scale, v->origin_x, v->origin_y);
	}
	draw_items(m, ctx, l, nh, gl, c, v);
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
		struct canvas *c = canvas_new(WEBMERC_TILE_SIZE * s, WEBMERC_TILE_SIZE * s);
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
	const struct buf *e = v->width == v->height ? tile_empty_png(v->width / WEBMERC_TILE_SIZE) : NULL;
	if (e && v->width % WEBMERC_TILE_SIZE == 0) {
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

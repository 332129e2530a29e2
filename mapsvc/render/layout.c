/*
 * layout.c - clusters, labels and the window index of one zoom; see
 * layout.h for why decisions are made once per zoom in world pixels.
 *
 * The cost of a layout is that of the whole dataset (every site is placed
 * at every zoom asked for); a window query then costs what it returns
 * plus a binary search per row of tiles it spans.
 */
#include "layout.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/webmerc.h"
#include "../util/mem.h"
#include "grid.h"
#include "raster.h"

/* Sites nearer than this (px) are one marker at every zoom: coincident
 * sites must stay one cluster even above the style's cluster_maxzoom. */
#define COINCIDENT_PX 0.5
/* Anchors are kept on a 1/256 px grid (see layout.h). */
#define ANCHOR_QUANTUM 256.0
/* Cell of the window index, world px: one tile. */
#define QUERY_CELL_SHIFT 8
/* Cell of the label-collision grid, world px. */
#define LABEL_CELL 64.0
/* Label candidates around a marker: above, below, right, left. */
#define LABEL_CANDIDATES 4
/* First size of a caller's query buffer, items. */
#define QUERY_MIN_HITS 256

double layout_anchor(double v)
{
	return nearbyint(v * ANCHOR_QUANTUM) / ANCHOR_QUANTUM;
}

static void world_px(const struct layout_sites *in, size_t i, int zoom, double *x, double *y)
{
	webmerc_to_world_px(in->mx[i], in->my[i], zoom, WEBMERC_TILE_SIZE, x, y);
}

/* ------------------------------------------------------------ clusters */

/* Greedy clustering in id order: each site joins the nearest existing
 * cluster whose first member lies within radius, else starts one.  The
 * first member never moves, so the outcome depends on the ids only and a
 * grid of radius-sized cells finds every candidate in 3x3 cells.  A
 * cluster is drawn at the centroid of its members. */
static void make_clusters(struct layout *l, const struct layout_sites *in, double radius)
{
	size_t n = in->n;
	double *lx = xmalloc((n ? n : 1) * sizeof *lx), *ly = xmalloc((n ? n : 1) * sizeof *ly);
	double *sx = xmalloc((n ? n : 1) * sizeof *sx), *sy = xmalloc((n ? n : 1) * sizeof *sy);
	l->items = xcalloc(n ? n : 1, sizeof *l->items);
	struct grid g;
	grid_init(&g, n);
	size_t nc = 0;
	for (size_t i = 0; i < n; i++) {
		double x, y;
		world_px(in, i, l->zoom, &x, &y);
		int64_t cx = (int64_t)floor(x / radius), cy = (int64_t)floor(y / radius);
		int32_t best = -1;
		double best_d = radius * radius;
		for (int64_t dy = -1; dy <= 1; dy++)
			for (int64_t dx = -1; dx <= 1; dx++)
				for (int32_t k = grid_first(&g, cx + dx, cy + dy); k >= 0;
				     k = grid_next(&g, k)) {
					int32_t c = grid_value(&g, k);
					double ddx = lx[c] - x, ddy = ly[c] - y, d = ddx * ddx + ddy * ddy;
					if (d < best_d || (d == best_d && best >= 0 && c < best)) {
						best = c;
						best_d = d;
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
		struct layout_item *it = &l->items[c];
		it->x = layout_anchor(it->count == 1 ? lx[c] : sx[c] / it->count);
		it->y = layout_anchor(it->count == 1 ? ly[c] : sy[c] / it->count);
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

/* Each item's marker extent: its category's shape, or a cluster disc. */
static void marker_extents(struct layout *l, const struct style *st, const struct layout_sites *in)
{
	for (size_t i = 0; i < l->nitems; i++) {
		struct layout_item *it = &l->items[i];
		double el, et, er, eb;
		if (it->count == 1) {
			enum site_category c = in->sites[it->site].category;
			raster_marker_extent(st->marker_shape[c], l->marker_size, l->outline_w, &el, &et, &er,
			                     &eb);
		} else {
			el = et = -(l->cluster_size + l->cluster_outline);
			er = eb = l->cluster_size + l->cluster_outline;
		}
		it->left = (float)el;
		it->top = (float)et;
		it->right = (float)er;
		it->bottom = (float)eb;
	}
}

/* -------------------------------------------------------------- labels */

static void grid_add_box(struct grid *g, double l, double t, double r, double b, int32_t v)
{
	for (int64_t cy = (int64_t)floor(t / LABEL_CELL); cy <= (int64_t)floor(b / LABEL_CELL); cy++)
		for (int64_t cx = (int64_t)floor(l / LABEL_CELL); cx <= (int64_t)floor(r / LABEL_CELL); cx++)
			grid_add(g, cx, cy, v);
}

/* Does the box overlap none of the boxes (left, top, right, bottom) the
 * grid holds? */
static bool box_free(const struct grid *g, const double *boxes, double l, double t, double r, double b)
{
	for (int64_t cy = (int64_t)floor(t / LABEL_CELL); cy <= (int64_t)floor(b / LABEL_CELL); cy++)
		for (int64_t cx = (int64_t)floor(l / LABEL_CELL); cx <= (int64_t)floor(r / LABEL_CELL); cx++)
			for (int32_t k = grid_first(g, cx, cy); k >= 0; k = grid_next(g, k)) {
				const double *o = boxes + 4 * (size_t)grid_value(g, k);
				if (l < o[2] && o[0] < r && t < o[3] && o[1] < b)
					return false;
			}
	return true;
}

/* Labels, greedy in id order (the item order): each single-site marker
 * tries above, below, right and left of itself; the first position that
 * overlaps no marker and no label already placed wins, else the site has
 * no label at this zoom — on every tile alike. */
static void place_labels(struct layout *l, const struct style *st, const struct layout_sites *in,
                         struct glyphs *gl)
{
	size_t cap = l->nitems * 2 + 1, nb = 0;
	double *boxes = xmalloc(cap * 4 * sizeof *boxes);
	struct grid g;
	grid_init(&g, l->nitems * 2);
	for (size_t i = 0; i < l->nitems; i++) {
		const struct layout_item *it = &l->items[i];
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
		struct layout_item *it = &l->items[i];
		const char *name = in->sites[it->site].field[SITE_NAME_ZH];
		if (it->count != 1 || !name[0])
			continue;
		struct text_box tb;
		glyphs_measure(gl, name, size, &tb);
		double mid = (tb.ascent - tb.descent) / 2;
		double cand[LABEL_CANDIDATES][2] = {
		    {it->x - tb.width / 2, it->y + it->top - gap - tb.descent},
		    {it->x - tb.width / 2, it->y + it->bottom + gap + tb.ascent},
		    {it->x + it->right + gap, it->y + mid},
		    {it->x + it->left - gap - tb.width, it->y + mid},
		};
		for (int c = 0; c < LABEL_CANDIDATES; c++) {
			double bx = floor(cand[c][0] + 0.5), by = floor(cand[c][1] + 0.5);
			double bl = bx - halo, bt = by - tb.ascent - halo, br = bx + tb.width + halo,
			       bb = by + tb.descent + halo;
			if (!box_free(&g, boxes, bl, bt, br, bb))
				continue;
			struct layout_label *lb = &l->labels[l->nlabels];
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
}

/* -------------------------------------------------------- window index */

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

/* The window index: items sorted by the tile their anchor is in, and the
 * reach of the largest feature around its anchor. */
static void index_items(struct layout *l)
{
	size_t n = l->nitems;
	uint64_t *pairs = xmalloc((n ? n : 1) * 2 * sizeof *pairs);
	double reach = 0;
	for (size_t i = 0; i < n; i++) {
		const struct layout_item *it = &l->items[i];
		pairs[2 * i] = query_key(clamp_cell(it->x, l->zoom), clamp_cell(it->y, l->zoom));
		pairs[2 * i + 1] = i;
		double r = fmax(fmax(-it->left, it->right), fmax(-it->top, it->bottom));
		if (it->label >= 0) {
			const struct layout_label *lb = &l->labels[it->label];
			r = fmax(r, fmax(fmax(it->x - lb->left, lb->right - it->x),
			                 fmax(it->y - lb->top, lb->bottom - it->y)));
		}
		reach = fmax(reach, r);
	}
	qsort(pairs, n, 2 * sizeof *pairs, cmp_u64_pair);
	l->keys_ = xmalloc((n ? n : 1) * sizeof *l->keys_);
	l->order_ = xmalloc((n ? n : 1) * sizeof *l->order_);
	for (size_t i = 0; i < n; i++) {
		l->keys_[i] = pairs[2 * i];
		l->order_[i] = (uint32_t)pairs[2 * i + 1];
	}
	free(pairs);
	l->reach_ = reach + LAYOUT_SLACK_PX;
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

size_t layout_query(const struct layout *l, double x0, double y0, double x1, double y1, uint32_t **hits,
                    size_t *cap)
{
	size_t nh = 0;
	if (!l->nitems)
		return 0;
	int64_t cx0 = clamp_cell(x0 - l->reach_, l->zoom), cx1 = clamp_cell(x1 + l->reach_, l->zoom);
	int64_t cy0 = clamp_cell(y0 - l->reach_, l->zoom), cy1 = clamp_cell(y1 + l->reach_, l->zoom);
	for (int64_t cy = cy0; cy <= cy1; cy++) {
		size_t k = lower_bound(l->keys_, l->nitems, query_key(cx0, cy));
		uint64_t end = query_key(cx1, cy);
		for (; k < l->nitems && l->keys_[k] <= end; k++) {
			if (nh == *cap) {
				*cap = *cap ? *cap * 2 : QUERY_MIN_HITS;
				*hits = xrealloc(*hits, *cap * sizeof **hits);
			}
			(*hits)[nh++] = l->order_[k];
		}
	}
	/* the drawing order is the item order, whatever the window */
	if (nh > 1)
		qsort(*hits, nh, sizeof **hits, cmp_u32);
	return nh;
}

/* -------------------------------------------------------------- layout */

struct layout *layout_build(const struct style *st, const struct layout_sites *in, int zoom,
                            struct glyphs *gl)
{
	struct layout *l = xcalloc(1, sizeof *l);
	double z = zoom;
	l->zoom = zoom;
	l->marker_size = style_eval(&st->marker_size, z);
	l->outline_w = style_eval(&st->marker_outline_width, z);
	l->cluster_size = style_eval(&st->cluster_size, z);
	l->cluster_outline = st->cluster_outline_width;
	l->cluster_text = style_eval(&st->cluster_text_size, z);
	l->label_size = style_eval(&st->label_size, z);

	double radius = COINCIDENT_PX;
	if (st->cluster && zoom <= st->cluster_maxzoom && st->cluster_radius > radius)
		radius = st->cluster_radius;
	make_clusters(l, in, radius);
	marker_extents(l, st, in);
	assert(gl || zoom < st->label_minzoom);
	if (zoom >= st->label_minzoom && gl)
		place_labels(l, st, in, gl);
	index_items(l);
	return l;
}

void layout_free(struct layout *l)
{
	if (!l)
		return;
	free(l->items);
	free(l->labels);
	free(l->keys_);
	free(l->order_);
	free(l);
}

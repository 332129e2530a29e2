/*
 * layout.c - marker extents, uncertainty circles and labels of one view;
 * see layout.h for why every decision is local and so the same in every
 * view.
 *
 * A view costs what it reads: each item's extent and circle is a few
 * operations, each label candidate a measurement of its name (the glyph
 * cache makes that a few hash probes per character) and a placement
 * against its neighbours (render/labels.h).  Names are wrapped into at
 * most LAYOUT_MAX_LINES balanced lines when wider than LAYOUT_WRAP_EMS
 * ems: at the spaces when the name has any, between any two characters
 * otherwise (Chinese names have no spaces).
 */
#include "layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/webmerc.h"
#include "../store/snapshot.h"
#include "../util/mem.h"
#include "../util/utf8.h"
#include "labels.h"
#include "raster.h"

/* Anchors are kept on a 1/256 px grid (see layout.h). */
#define ANCHOR_QUANTUM 256.0
/* A label's line is at most this many ems high (ascent and descent,
 * rounded up); a font whose lines are taller draws no labels, so that the
 * reach of a label stays what layout_zoom_of says. */
#define LINE_EMS_MAX 1.5
/* Candidate boxes: above, below, right and left of the marker. */
enum { POS_ABOVE, POS_BELOW, POS_RIGHT, POS_LEFT, NPOS };
/* First capacity of the item and label arrays. */
#define MIN_CAP 64

double layout_anchor(double v)
{
	return nearbyint(v * ANCHOR_QUANTUM) / ANCHOR_QUANTUM;
}

/* ------------------------------------------------------------ the zoom */

void layout_zoom_of(const struct style *st, int zoom, struct layout_zoom *z)
{
	memset(z, 0, sizeof *z);
	z->zoom = zoom;
	z->marker_size = style_eval(&st->marker_size, zoom);
	z->outline_w = style_eval(&st->marker_outline_width, zoom);
	z->cluster_size = style_eval(&st->cluster_size, zoom);
	z->cluster_outline = st->cluster_outline_width;
	z->cluster_text = style_eval(&st->cluster_text_size, zoom);
	z->label_size = style_eval(&st->label_size, zoom);
	z->labels = zoom >= st->label_minzoom;

	double reach = z->cluster_size + z->cluster_outline;
	for (int c = 0; c < CAT_COUNT; c++) {
		double l, t, r, b;
		raster_marker_extent(st->marker_shape[c], z->marker_size, z->outline_w, &l, &t, &r, &b);
		reach = fmax(reach, fmax(fmax(-l, -t), fmax(r, b)));
	}
	z->marker_reach = reach + LAYOUT_SLACK_PX;
	double margin_x = z->marker_reach, margin_y = z->marker_reach;
	if (st->approx_hole > 0 && (st->uncertainty_fill.a || st->uncertainty_stroke.a)) {
		double circle = STYLE_UNCERTAINTY_MAX_PX + st->uncertainty_stroke_width + LAYOUT_SLACK_PX;
		margin_x = fmax(margin_x, circle);
		margin_y = fmax(margin_y, circle);
	}
	if (z->labels) {
		double halo = fmax(st->label_halo_width, 0);
		z->label_width_max = LAYOUT_WRAP_EMS * z->label_size;
		/* The farthest a box edge can be from the anchor, plus the half
		 * pixel of rounding its origin and the slack of "touches". */
		z->label_reach_x = z->marker_reach + st->label_offset + z->label_width_max + halo + 1;
		z->label_reach_y = z->marker_reach + st->label_offset +
		                   LAYOUT_MAX_LINES * ceil(LINE_EMS_MAX * z->label_size) + 2 * halo + 1;
		double mx, my;
		labels_margin(z->label_reach_x, z->label_reach_y, z->marker_reach, z->marker_reach,
		              LABELS_ROUNDS, &mx, &my);
		margin_x = fmax(margin_x, mx);
		margin_y = fmax(margin_y, my);
	}
	z->margin_x = margin_x;
	z->margin_y = margin_y;
}

/* --------------------------------------------------------- the scratch */

/* A candidate's name as laid out in lines, relative to its text box's
 * top-left corner. */
struct wrapped {
	int nlines;
	double width, height;
	struct layout_line line[LAYOUT_MAX_LINES]; /* bx, by relative */
};

struct layout_scratch {
	struct labels *labels;
	struct label_cand *cand;
	struct wrapped *wrap;
	uint32_t *item; /* the item of each candidate */
	int8_t *chosen;
	size_t cand_cap;
	struct label_box *obst;
	size_t obst_cap;
	double *anchor; /* x, y of the candidates that need their neighbours */
	size_t anchor_cap;
	uint32_t *order, *site_of; /* items to read the sites of, and those sites */
	size_t order_cap;
};

struct layout *layout_new(void)
{
	struct layout *l = xcalloc(1, sizeof *l);
	l->scratch_ = xcalloc(1, sizeof *l->scratch_);
	l->scratch_->labels = labels_new();
	return l;
}

static void free_buffers(struct layout *l)
{
	struct layout_scratch *s = l->scratch_;
	free(l->items);
	free(l->labels);
	l->items = NULL;
	l->labels = NULL;
	l->items_cap_ = l->labels_cap_ = l->nitems = l->nlabels = 0;
	free(s->cand);
	free(s->wrap);
	free(s->item);
	free(s->chosen);
	free(s->obst);
	free(s->anchor);
	free(s->order);
	free(s->site_of);
	s->cand = NULL;
	s->wrap = NULL;
	s->item = NULL;
	s->chosen = NULL;
	s->obst = NULL;
	s->anchor = NULL;
	s->order = s->site_of = NULL;
	s->cand_cap = s->obst_cap = s->anchor_cap = s->order_cap = 0;
	labels_free(s->labels);
	s->labels = labels_new();
}

void layout_free(struct layout *l)
{
	if (!l)
		return;
	free_buffers(l);
	labels_free(l->scratch_->labels);
	free(l->scratch_);
	free(l);
}

size_t layout_memory(const struct layout *l)
{
	if (!l)
		return 0;
	const struct layout_scratch *s = l->scratch_;
	return sizeof *l + sizeof *s + l->items_cap_ * sizeof *l->items + l->labels_cap_ * sizeof *l->labels +
	       s->cand_cap * (sizeof *s->cand + sizeof *s->wrap + sizeof *s->item + sizeof *s->chosen) +
	       s->obst_cap * sizeof *s->obst + s->anchor_cap * 2 * sizeof *s->anchor +
	       s->order_cap * (sizeof *s->order + sizeof *s->site_of) + labels_memory(s->labels);
}

void layout_trim(struct layout *l, size_t keep)
{
	if (layout_memory(l) > keep)
		free_buffers(l);
}

static size_t grown(size_t cap, size_t need)
{
	size_t c = cap ? cap : MIN_CAP;
	while (c < need)
		c *= 2;
	return c;
}

static void reserve_order(struct layout_scratch *s, size_t n)
{
	if (n <= s->order_cap)
		return;
	s->order_cap = grown(s->order_cap, n);
	s->order = xrealloc(s->order, s->order_cap * sizeof *s->order);
	s->site_of = xrealloc(s->site_of, s->order_cap * sizeof *s->site_of);
}

void layout_begin(struct layout *l, const struct style *st, int zoom)
{
	layout_zoom_of(st, zoom, &l->z);
	l->nitems = 0;
	l->nlabels = 0;
	l->measured = 0;
}

struct layout_item *layout_add(struct layout *l)
{
	if (l->nitems == l->items_cap_) {
		l->items_cap_ = grown(l->items_cap_, l->nitems + 1);
		l->items = xrealloc(l->items, l->items_cap_ * sizeof *l->items);
	}
	struct layout_item *it = &l->items[l->nitems++];
	memset(it, 0, sizeof *it);
	it->label = -1;
	return it;
}

/* ------------------------------------------------------ markers, circles */

static void extents(struct layout *l, const struct style *st)
{
	const struct layout_zoom *z = &l->z;
	for (size_t i = 0; i < l->nitems; i++) {
		struct layout_item *it = &l->items[i];
		double el, et, er, eb;
		if (it->count == 1) {
			enum marker_shape shape = st->marker_shape[it->flags & SNAPSHOT_FLAG_CATEGORY];
			raster_marker_extent(shape, z->marker_size, z->outline_w, &el, &et, &er, &eb);
		} else {
			el = et = -(z->cluster_size + z->cluster_outline);
			er = eb = z->cluster_size + z->cluster_outline;
		}
		it->left = (float)el;
		it->top = (float)et;
		it->right = (float)er;
		it->bottom = (float)eb;
	}
}

/* Metres a pixel of zoom spans at latitude lat (Web Mercator's scale
 * factor, 1 / cos(lat), on the sphere of its definition). */
static double metres_per_px(double lat, int zoom)
{
	return 2 * WEBMERC_HALF * cos(lat * M_PI / 180) / ldexp(WEBMERC_TILE_SIZE, zoom);
}

/* Items ahead whose site records, and then texts, are loaded while one
 * is worked on: a crowded view reads a few hundred sites scattered over
 * the whole set, each record and each text a cache miss. */
#define SITE_AHEAD 16
#define TEXT_AHEAD 8
/* (In the loops themselves: GCC drops a helper whose only effect is a
 * prefetch as if it did nothing.) */

/* Whether an item is a single approximate site, which may have a circle. */
static bool approximate_single(const struct layout_item *it)
{
	return it->count == 1 && (it->flags & SNAPSHOT_FLAG_APPROXIMATE);
}

/* An approximate site's circle: from the zoom where its radius is larger
 * than the marker, while it is at most STYLE_UNCERTAINTY_MAX_PX.  The
 * radius is in the site's text when it is not its quality's default. */
static void circles(struct layout *l, const struct style *st, const struct site *sites)
{
	if (!(st->approx_hole > 0 && (st->uncertainty_fill.a || st->uncertainty_stroke.a)))
		return;
	struct layout_scratch *sc = l->scratch_;
	size_t n = 0;
	reserve_order(sc, l->nitems);
	for (size_t i = 0; i < l->nitems; i++)
		if (approximate_single(&l->items[i])) {
			sc->order[n] = (uint32_t)i;
			sc->site_of[n++] = l->items[i].site;
		}
	for (size_t k = 0; k < n; k++) {
		if (k + SITE_AHEAD < n)
			__builtin_prefetch(&sites[sc->site_of[k + SITE_AHEAD]]);
		if (k + TEXT_AHEAD < n) /* its record loaded SITE_AHEAD - TEXT_AHEAD steps ago */
			__builtin_prefetch(sites[sc->site_of[k + TEXT_AHEAD]].text_);
		struct layout_item *it = &l->items[sc->order[k]];
		const struct site *s = &sites[it->site];
		double r = site_uncertainty(s) / metres_per_px(s->lat, l->z.zoom);
		if (r > l->z.marker_size && r <= STYLE_UNCERTAINTY_MAX_PX)
			it->circle = (float)r;
	}
}

/* -------------------------------------------------------------- labels */

/* Measures bytes [start, start + len) of name as one line. */
static void measure_part(struct glyphs *gl, const char *name, size_t start, size_t len, double size,
                         struct text_box *tb)
{
	char buf[LAYOUT_LABEL_MAX_BYTES + 1];
	memcpy(buf, name + start, len);
	buf[len] = '\0';
	glyphs_measure(gl, buf, size, tb);
}

/* The byte offsets of name's code point boundaries (0 .. len), and
 * whether it has spaces. */
static size_t boundaries(const char *name, size_t len, uint16_t *at, bool *spaces)
{
	size_t n = 0;
	*spaces = false;
	for (size_t k = 0; k < len;) {
		at[n++] = (uint16_t)k;
		uint32_t cp;
		int step = utf8_decode(name + k, &cp);
		if (step <= 0)
			step = 1;
		*spaces = *spaces || cp == ' ';
		k += (size_t)step;
	}
	at[n++] = (uint16_t)len;
	return n;
}

/* The boundary nearest to want among at[lo .. hi], a space's when the
 * name has spaces (breaking there drops the space). */
static size_t break_near(const char *name, const uint16_t *at, size_t lo, size_t hi, double want, bool spaces)
{
	size_t best = 0;
	double best_d = INFINITY;
	for (size_t k = lo; k <= hi; k++) {
		if (spaces && name[at[k]] != ' ')
			continue;
		double d = fabs((double)k - want);
		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	return best;
}

/* Lays name out in at most LAYOUT_MAX_LINES lines no wider than maxw;
 * false when it cannot be. */
static bool wrap_name(struct glyphs *gl, const char *name, double size, double maxw, struct wrapped *w)
{
	size_t len = strlen(name);
	if (len == 0 || len > LAYOUT_LABEL_MAX_BYTES)
		return false;
	uint16_t at[LAYOUT_LABEL_MAX_BYTES + 2];
	bool spaces;
	size_t nb = boundaries(name, len, at, &spaces), ncp = nb - 1;
	for (int k = 1; k <= LAYOUT_MAX_LINES; k++) {
		size_t from = 0; /* a boundary index */
		double asc = 0, desc = 0, width = 0, lw[LAYOUT_MAX_LINES];
		bool ok = true;
		for (int j = 0; j < k && ok; j++) {
			size_t to = ncp;
			if (j < k - 1) {
				to = break_near(name, at, from + 1, ncp - 1, (double)ncp * (j + 1) / k,
				                spaces);
				ok = to > from;
			}
			if (!ok)
				break;
			size_t s = at[from], e = at[to];
			struct text_box tb;
			measure_part(gl, name, s, e - s, size, &tb);
			ok = tb.width <= maxw;
			asc = fmax(asc, tb.ascent);
			desc = fmax(desc, tb.descent);
			width = fmax(width, tb.width);
			lw[j] = tb.width;
			w->line[j] = (struct layout_line){0, 0, (uint16_t)s, (uint16_t)(e - s)};
			from = to;
			if (spaces && from < ncp && name[at[from]] == ' ')
				from++; /* the space at the break is not drawn */
		}
		if (!ok)
			continue;
		double line_h = ceil(asc) + ceil(desc);
		if (line_h > ceil(LINE_EMS_MAX * size))
			return false;
		w->nlines = k;
		w->width = ceil(width);
		w->height = line_h * k;
		/* each line centred in the box; baselines on whole pixels */
		for (int j = 0; j < k; j++) {
			w->line[j].bx = floor((w->width - lw[j]) / 2 + 0.5);
			w->line[j].by = ceil(asc) + line_h * j;
		}
		return true;
	}
	return false;
}

static void reserve_cands(struct layout_scratch *s, size_t n)
{
	if (n <= s->cand_cap)
		return;
	s->cand_cap = grown(s->cand_cap, n);
	s->cand = xrealloc(s->cand, s->cand_cap * sizeof *s->cand);
	s->wrap = xrealloc(s->wrap, s->cand_cap * sizeof *s->wrap);
	s->item = xrealloc(s->item, s->cand_cap * sizeof *s->item);
	s->chosen = xrealloc(s->chosen, s->cand_cap * sizeof *s->chosen);
}

/* The candidate boxes of item it whose name is laid out as w. */
static void candidate(const struct layout_item *it, const struct wrapped *w, double gap, double halo,
                      struct label_cand *c)
{
	double tl[NPOS][2] = {
	    [POS_ABOVE] = {it->x - w->width / 2, it->y + it->top - gap - w->height},
	    [POS_BELOW] = {it->x - w->width / 2, it->y + it->bottom + gap},
	    [POS_RIGHT] = {it->x + it->right + gap, it->y - w->height / 2},
	    [POS_LEFT] = {it->x + it->left - gap - w->width, it->y - w->height / 2},
	};
	c->ax = it->x;
	c->ay = it->y;
	c->prio = it->site;
	c->npos = NPOS;
	for (int p = 0; p < NPOS; p++) {
		double x = floor(tl[p][0] + 0.5), y = floor(tl[p][1] + 0.5);
		c->pos[p] = (struct label_box){x - halo, y - halo, x + w->width + halo, y + w->height + halo};
	}
}

/* Could any box of a label of item it be free of markers?  Each real box
 * holds, whatever the text and the rounding of its origin, a box one pixel
 * wide and line_h - 1 high against the marker's side (see candidate), so
 * when all four of those meet a marker the label has no box: no need to
 * measure its name.  Only a shortcut - the boxes are decided exactly by
 * labels_place - but in a crowd it spares nearly every measurement. */
static bool may_fit(const struct labels *lab, const struct layout_item *it, double gap, double line_h)
{
	double top = it->y + it->top - gap, bottom = it->y + it->bottom + gap;
	double right = it->x + it->right + gap, left = it->x + it->left - gap, h = line_h / 2 - 0.5;
	const struct label_box smallest[NPOS] = {
	    [POS_ABOVE] = {it->x - 0.5, top - line_h + 0.5, it->x + 0.5, top - 0.5},
	    [POS_BELOW] = {it->x - 0.5, bottom + 0.5, it->x + 0.5, bottom + line_h - 0.5},
	    [POS_RIGHT] = {right + 0.5, it->y - h, right + 1.5, it->y + h},
	    [POS_LEFT] = {left - 1.5, it->y - h, left - 0.5, it->y + h},
	};
	for (int p = 0; p < NPOS; p++)
		if (labels_box_free(lab, &smallest[p]))
			return true;
	return false;
}

/* Measures the names of the items order[0, n) and appends a candidate for
 * each that fits (LAYOUT_MAX_LINES lines); returns the candidates now. */
static size_t measure(struct layout *l, const struct style *st, const struct site *sites, struct glyphs *gl,
                      size_t n, size_t nc)
{
	struct layout_scratch *s = l->scratch_;
	const struct layout_zoom *z = &l->z;
	double halo = fmax(st->label_halo_width, 0);
	for (size_t k = 0; k < n; k++) {
		if (k + SITE_AHEAD < n)
			__builtin_prefetch(&sites[s->site_of[k + SITE_AHEAD]]);
		if (k + TEXT_AHEAD < n)
			__builtin_prefetch(sites[s->site_of[k + TEXT_AHEAD]].text_);
		size_t i = s->order[k];
		const struct layout_item *it = &l->items[i];
		reserve_cands(s, nc + 1);
		l->measured++;
		if (!wrap_name(gl, site_field(&sites[it->site], SITE_NAME_ZH), z->label_size,
		               z->label_width_max, &s->wrap[nc]))
			continue;
		candidate(it, &s->wrap[nc], st->label_offset, halo, &s->cand[nc]);
		s->item[nc] = (uint32_t)i;
		nc++;
	}
	return nc;
}

static int cmp_x(const void *a, const void *b)
{
	double x = ((const double *)a)[0], y = ((const double *)b)[0];
	return x < y ? -1 : x > y;
}

/* Whether (x, y) is within (dx, dy) of one of the points at[0, n), sorted
 * by x (pairs x, y). */
static bool near_any(const double *at, size_t n, double x, double y, double dx, double dy)
{
	size_t lo = 0, hi = n; /* the first point with x >= x - dx */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (at[2 * mid] < x - dx)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < n && at[2 * k] <= x + dx; k++)
		if (fabs(at[2 * k + 1] - y) <= dy)
			return true;
	return false;
}

/* Gathers in order the items with a single site whose anchor lies inside
 * (in true) or outside (in false) the box [x0, x1) x [y0, y1), around
 * one of at[0, nat) by (nx, ny) when at is given, and which may have a
 * free box.  Returns their number. */
static size_t gather(struct layout *l, const struct style *st, double line_h, bool in, double x0, double y0,
                     double x1, double y1, const double *at, size_t nat, double nx, double ny)
{
	struct layout_scratch *s = l->scratch_;
	size_t n = 0;
	for (size_t i = 0; i < l->nitems; i++) {
		const struct layout_item *it = &l->items[i];
		bool inside = it->x >= x0 && it->x <= x1 && it->y >= y0 && it->y <= y1;
		if (it->count != 1 || inside != in || (at && !near_any(at, nat, it->x, it->y, nx, ny)) ||
		    !may_fit(s->labels, it, st->label_offset, line_h))
			continue;
		s->order[n] = (uint32_t)i;
		s->site_of[n++] = it->site;
	}
	return n;
}

/* The anchors of the candidates c[0, n) with a box free of markers, in
 * s->anchor sorted by x; returns their number. */
static size_t unblocked_anchors(struct layout_scratch *s, size_t n)
{
	if (n > s->anchor_cap) {
		s->anchor_cap = grown(s->anchor_cap, n);
		s->anchor = xrealloc(s->anchor, s->anchor_cap * 2 * sizeof *s->anchor);
	}
	size_t m = 0;
	for (size_t k = 0; k < n; k++)
		if (labels_unblocked(s->labels, &s->cand[k])) {
			s->anchor[2 * m] = s->cand[k].ax;
			s->anchor[2 * m + 1] = s->cand[k].ay;
			m++;
		}
	if (m > 1)
		qsort(s->anchor, m, 2 * sizeof *s->anchor, cmp_x);
	return m;
}

/* The labels of the candidates chosen among the first n. */
static void emit_labels(struct layout *l, double halo, size_t n)
{
	struct layout_scratch *s = l->scratch_;
	for (size_t k = 0; k < n; k++) {
		if (s->chosen[k] < 0)
			continue;
		if (l->nlabels == l->labels_cap_) {
			l->labels_cap_ = grown(l->labels_cap_, l->nlabels + 1);
			l->labels = xrealloc(l->labels, l->labels_cap_ * sizeof *l->labels);
		}
		const struct label_box *b = &s->cand[k].pos[s->chosen[k]];
		const struct wrapped *w = &s->wrap[k];
		struct layout_label *lb = &l->labels[l->nlabels];
		memset(lb, 0, sizeof *lb);
		lb->left = b->l;
		lb->top = b->t;
		lb->right = b->r;
		lb->bottom = b->b;
		lb->nlines = w->nlines;
		for (int j = 0; j < w->nlines; j++) {
			lb->line[j] = w->line[j];
			lb->line[j].bx += b->l + halo;
			lb->line[j].by += b->t + halo;
		}
		l->items[s->item[k]].label = (int32_t)l->nlabels++;
	}
}

/*
 * Labels are decided in two steps, so that a crowded view measures and
 * tests only the names near it.  First the items whose label could touch
 * the view (anchor within a label's reach and the slack of it): their
 * names are measured and their boxes tested against the markers.  Only
 * those with a free box need their neighbours: the items within 2 *
 * LABELS_ROUNDS label reaches of them, the farthest the rounds look
 * (labels.h), which are measured next.  Where markers crowd, hardly a
 * label has a free box and the second step is nearly empty.  The labels
 * of the first step are decided exactly as among all items; those of the
 * second only as far as the first need them, and are not kept.
 */
static void place_labels(struct layout *l, const struct style *st, const struct site *sites,
                         struct glyphs *gl, double x0, double y0, double x1, double y1)
{
	struct layout_scratch *s = l->scratch_;
	const struct layout_zoom *z = &l->z;
	if (l->nitems > s->obst_cap) {
		s->obst_cap = grown(s->obst_cap, l->nitems);
		s->obst = xrealloc(s->obst, s->obst_cap * sizeof *s->obst);
	}
	for (size_t i = 0; i < l->nitems; i++) {
		const struct layout_item *it = &l->items[i];
		s->obst[i] = (struct label_box){it->x + it->left, it->y + it->top, it->x + it->right,
		                                it->y + it->bottom};
	}
	labels_obstacles(s->labels, s->obst, l->nitems);
	/* The font's own line: no label's line is lower (glyphs_measure) */
	struct text_box font;
	glyphs_measure(gl, "", z->label_size, &font);
	double line_h = ceil(font.ascent) + ceil(font.descent);
	double rx = z->label_reach_x + LAYOUT_SLACK_PX, ry = z->label_reach_y + LAYOUT_SLACK_PX;
	double vx0 = x0 - rx, vy0 = y0 - ry, vx1 = x1 + rx, vy1 = y1 + ry;
	reserve_order(s, l->nitems);
	size_t nm = gather(l, st, line_h, true, vx0, vy0, vx1, vy1, NULL, 0, 0, 0);
	size_t first = measure(l, st, sites, gl, nm, 0);
	size_t nat = unblocked_anchors(s, first);
	if (!nat)
		return; /* no label near the view has a box */
	double nx = 2 * LABELS_ROUNDS * z->label_reach_x, ny = 2 * LABELS_ROUNDS * z->label_reach_y;
	nm = gather(l, st, line_h, false, vx0, vy0, vx1, vy1, s->anchor, nat, nx, ny);
	size_t nc = measure(l, st, sites, gl, nm, first);
	labels_place(s->labels, s->cand, nc, LABELS_ROUNDS, s->chosen);
	emit_labels(l, fmax(st->label_halo_width, 0), first);
}

void layout_decide(struct layout *l, const struct style *st, const struct site *sites, struct glyphs *gl,
                   double x0, double y0, double x1, double y1)
{
	extents(l, st);
	circles(l, st, sites);
	if (l->z.labels && gl)
		place_labels(l, st, sites, gl, x0, y0, x1, y1);
}

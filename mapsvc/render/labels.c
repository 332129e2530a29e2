/*
 * labels.c - bounded-reach label placement; see labels.h for the rule and
 * why it is the same on every tile.
 *
 * Each round is one pass over the candidates: for candidate i, the
 * candidates j of higher priority whose boxes can meet i's are found in a
 * grid of cells (each candidate filed under every cell its boxes' union
 * covers, a stamp per candidate so that one met in several cells is looked
 * at once), and i's boxes are tested against the claims j made in the
 * round before.  A claim is a bit mask over a candidate's boxes, so a
 * round costs the candidates times their neighbours, whatever the order
 * they came in.  Obstacles go in a grid of their own, read once for the
 * first claims.
 *
 * The grids are arrays over the cells the boxes of a call cover (a view
 * with its margin: a few thousand cells), each cell's values contiguous
 * (counted, then filed): a lookup reads one run of memory, where a hash
 * of cells with a list per cell chased a pointer per value.  A crowded
 * view tests every marker's label against the obstacles around it, and
 * that was most of its cost.
 */
#include "labels.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

/* Cell of the candidate and obstacle grids, world px: about a label's
 * height, so that a label's union covers a few cells. */
#define LABEL_CELL 32.0
/* The most cells a grid has: boxes spread wider (which a view's never
 * are) get larger cells. */
#define BINS_MAX_CELLS (1u << 20)
/* First capacity of the per-candidate arrays. */
#define LABELS_MIN_CAP 64

/* Values (box indices) by the cells of a grid over the boxes' extent:
 * cell c's are val[start[c], start[c + 1]), increasing. */
struct bins {
	double cell;      /* px a side */
	int64_t cx0, cy0; /* the first cell */
	int64_t ncx, ncy; /* cells per axis (0: empty) */
	uint32_t *start;
	int32_t *val;
	size_t start_cap, val_cap;
};

struct labels {
	struct bins cand, obst; /* candidates by their union's cells; obstacles by theirs */
	uint8_t *valid;         /* U0: boxes overlapping no obstacle */
	uint8_t *claim, *next;  /* the claims of the round before, and of this round */
	uint32_t *stamp;        /* the candidate last looked at this one */
	struct label_box *uni;  /* the union of each candidate's boxes */
	size_t cap;
	const struct label_box *o; /* the obstacles filed */
};

static int64_t cell_of(const struct bins *g, double v)
{
	return (int64_t)floor(v / g->cell);
}

/* The cells of box b within the grid: false when it covers none. */
static bool bins_span(const struct bins *g, const struct label_box *b, int64_t *x0, int64_t *y0, int64_t *x1,
                      int64_t *y1)
{
	if (!(b->l <= b->r && b->t <= b->b) || !isfinite(b->r - b->l) || !isfinite(b->b - b->t))
		return false; /* no box (a candidate without one), or none that meets anything */
	*x0 = cell_of(g, b->l) - g->cx0, *x1 = cell_of(g, b->r) - g->cx0;
	*y0 = cell_of(g, b->t) - g->cy0, *y1 = cell_of(g, b->b) - g->cy0;
	if (*x1 < 0 || *y1 < 0 || *x0 >= g->ncx || *y0 >= g->ncy)
		return false;
	*x0 = *x0 < 0 ? 0 : *x0, *y0 = *y0 < 0 ? 0 : *y0;
	*x1 = *x1 >= g->ncx ? g->ncx - 1 : *x1, *y1 = *y1 >= g->ncy ? g->ncy - 1 : *y1;
	return true;
}

/* Files each box k of b[0, n) under every cell it covers (an empty or
 * unbounded box under none: it meets nothing). */
static void bins_fill(struct bins *g, const struct label_box *b, size_t n)
{
	double l = INFINITY, t = INFINITY, r = -INFINITY, bo = -INFINITY;
	for (size_t k = 0; k < n; k++)
		if (b[k].l <= b[k].r && b[k].t <= b[k].b && isfinite(b[k].r - b[k].l) &&
		    isfinite(b[k].b - b[k].t)) {
			l = fmin(l, b[k].l), t = fmin(t, b[k].t);
			r = fmax(r, b[k].r), bo = fmax(bo, b[k].b);
		}
	g->ncx = g->ncy = 0;
	if (!(l <= r && t <= bo)) /* none */
		return;
	g->cell = LABEL_CELL;
	for (;;) {
		g->cx0 = cell_of(g, l), g->cy0 = cell_of(g, t);
		g->ncx = cell_of(g, r) - g->cx0 + 1, g->ncy = cell_of(g, bo) - g->cy0 + 1;
		if ((double)g->ncx * (double)g->ncy <= BINS_MAX_CELLS)
			break;
		g->cell *= 2;
	}
	size_t ncells = (size_t)(g->ncx * g->ncy), nval = 0;
	if (ncells + 1 > g->start_cap) {
		g->start_cap = ncells + 1;
		free(g->start);
		g->start = xmalloc(g->start_cap * sizeof *g->start);
	}
	memset(g->start, 0, (ncells + 1) * sizeof *g->start);
	int64_t x0, y0, x1, y1;
	for (size_t k = 0; k < n; k++)
		if (bins_span(g, &b[k], &x0, &y0, &x1, &y1))
			for (int64_t cy = y0; cy <= y1; cy++)
				for (int64_t cx = x0; cx <= x1; cx++, nval++)
					g->start[cy * g->ncx + cx]++;
	if (nval > g->val_cap) {
		g->val_cap = nval;
		free(g->val);
		g->val = xmalloc(g->val_cap * sizeof *g->val);
	}
	uint32_t at = 0;
	for (size_t c = 0; c < ncells; c++) {
		uint32_t m = g->start[c];
		g->start[c] = at;
		at += m;
	}
	for (size_t k = 0; k < n; k++)
		if (bins_span(g, &b[k], &x0, &y0, &x1, &y1))
			for (int64_t cy = y0; cy <= y1; cy++)
				for (int64_t cx = x0; cx <= x1; cx++)
					g->val[g->start[cy * g->ncx + cx]++] = (int32_t)k;
	/* each start now holds the next cell's: shift them back */
	memmove(g->start + 1, g->start, ncells * sizeof *g->start);
	g->start[0] = 0;
}

static void bins_free(struct bins *g)
{
	free(g->start);
	free(g->val);
}

static size_t bins_memory(const struct bins *g)
{
	return g->start_cap * sizeof *g->start + g->val_cap * sizeof *g->val;
}

struct labels *labels_new(void)
{
	return xcalloc(1, sizeof(struct labels));
}

void labels_free(struct labels *s)
{
	if (!s)
		return;
	bins_free(&s->cand);
	bins_free(&s->obst);
	free(s->valid);
	free(s->claim);
	free(s->next);
	free(s->stamp);
	free(s->uni);
	free(s);
}

size_t labels_memory(const struct labels *s)
{
	if (!s)
		return 0;
	return sizeof *s + bins_memory(&s->cand) + bins_memory(&s->obst) +
	       s->cap * (3 + sizeof *s->stamp + sizeof *s->uni);
}

void labels_margin(double reach_x, double reach_y, double obst_x, double obst_y, int rounds, double *mx,
                   double *my)
{
	*mx = 2 * reach_x * (rounds + 1) + obst_x;
	*my = 2 * reach_y * (rounds + 1) + obst_y;
}

static void reserve(struct labels *s, size_t n)
{
	if (n <= s->cap)
		return;
	size_t cap = s->cap ? s->cap : LABELS_MIN_CAP;
	while (cap < n)
		cap *= 2;
	s->valid = xrealloc(s->valid, cap);
	s->claim = xrealloc(s->claim, cap);
	s->next = xrealloc(s->next, cap);
	s->stamp = xrealloc(s->stamp, cap * sizeof *s->stamp);
	s->uni = xrealloc(s->uni, cap * sizeof *s->uni);
	s->cap = cap;
}

static bool overlap(const struct label_box *a, const struct label_box *b)
{
	return a->l < b->r && b->l < a->r && a->t < b->b && b->t < a->b;
}

void labels_obstacles(struct labels *s, const struct label_box *obst, size_t n)
{
	bins_fill(&s->obst, obst, n);
	s->o = obst;
}

bool labels_box_free(const struct labels *s, const struct label_box *b)
{
	const struct bins *g = &s->obst;
	int64_t x0, y0, x1, y1;
	if (!bins_span(g, b, &x0, &y0, &x1, &y1))
		return true;
	for (int64_t cy = y0; cy <= y1; cy++)
		for (int64_t cx = x0; cx <= x1; cx++) {
			size_t c = (size_t)(cy * g->ncx + cx);
			for (uint32_t k = g->start[c]; k < g->start[c + 1]; k++)
				if (overlap(b, &s->o[g->val[k]]))
					return false;
		}
	return true;
}

uint8_t labels_unblocked(const struct labels *s, const struct label_cand *c)
{
	uint8_t v = 0;
	for (int p = 0; p < c->npos; p++)
		if (labels_box_free(s, &c->pos[p]))
			v |= (uint8_t)(1u << p);
	return v;
}

/* U0 of every candidate: its boxes that overlap no obstacle. */
static void first_claims(struct labels *s, const struct label_cand *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s->valid[i] = labels_unblocked(s, &c[i]);
}

/* Which boxes of c[i] (among mask) overlap none of the claimed boxes of
 * the candidates of higher priority around it. */
static uint8_t unclaimed(struct labels *s, const struct label_cand *c, size_t i, uint8_t mask)
{
	const struct label_box *u = &s->uni[i];
	const struct bins *g = &s->cand;
	uint32_t me = (uint32_t)i + 1; /* stamps are candidate + 1, 0 for none */
	int64_t x0, y0, x1, y1;
	if (!bins_span(g, u, &x0, &y0, &x1, &y1))
		return mask;
	for (int64_t cy = y0; cy <= y1 && mask; cy++)
		for (int64_t cx = x0; cx <= x1 && mask; cx++) {
			size_t cl = (size_t)(cy * g->ncx + cx);
			for (uint32_t k = g->start[cl]; k < g->start[cl + 1] && mask; k++) {
				size_t j = (size_t)g->val[k];
				if (c[j].prio >= c[i].prio || s->stamp[j] == me || !s->claim[j])
					continue;
				s->stamp[j] = me;
				if (!overlap(u, &s->uni[j]))
					continue;
				for (int p = 0; p < c[i].npos; p++) {
					if (!(mask & (1u << p)))
						continue;
					for (int q = 0; q < c[j].npos; q++)
						if ((s->claim[j] & (1u << q)) &&
						    overlap(&c[i].pos[p], &c[j].pos[q])) {
							mask &= (uint8_t) ~(1u << p);
							break;
						}
				}
			}
		}
	return mask;
}

void labels_place(struct labels *s, const struct label_cand *c, size_t n, int rounds, int8_t *out)
{
	reserve(s, n);
	for (size_t i = 0; i < n; i++) {
		struct label_box u = {INFINITY, INFINITY, -INFINITY, -INFINITY};
		for (int p = 0; p < c[i].npos; p++) {
			u.l = fmin(u.l, c[i].pos[p].l);
			u.t = fmin(u.t, c[i].pos[p].t);
			u.r = fmax(u.r, c[i].pos[p].r);
			u.b = fmax(u.b, c[i].pos[p].b);
		}
		s->uni[i] = u;
	}
	bins_fill(&s->cand, s->uni, n); /* (a candidate without boxes: an empty union) */
	first_claims(s, c, n);
	memcpy(s->claim, s->valid, n);
	for (int r = 1; r <= rounds; r++) {
		memset(s->stamp, 0, n * sizeof *s->stamp);
		for (size_t i = 0; i < n; i++) {
			uint8_t free_boxes = unclaimed(s, c, i, s->valid[i]);
			/* odd rounds take the first box left; even ones keep all */
			s->next[i] = r % 2 ? (uint8_t)(free_boxes & -free_boxes) : free_boxes;
		}
		uint8_t *t = s->claim;
		s->claim = s->next;
		s->next = t;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = -1;
		for (int p = 0; p < c[i].npos && out[i] < 0; p++)
			if (s->claim[i] & (1u << p))
				out[i] = (int8_t)p;
	}
}

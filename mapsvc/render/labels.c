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
 */
#include "labels.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"
#include "grid.h"

/* Cell of the candidate and obstacle grids, world px: about a label's
 * height, so that a label's union covers a few cells. */
#define LABEL_CELL 32.0
/* First capacity of the per-candidate arrays. */
#define LABELS_MIN_CAP 64

struct labels {
	struct grid cand, obst; /* candidates by their union's cells; obstacles by theirs */
	uint8_t *valid;         /* U0: boxes overlapping no obstacle */
	uint8_t *claim, *next;  /* the claims of the round before, and of this round */
	uint32_t *stamp;        /* the candidate last looked at this one */
	struct label_box *uni;  /* the union of each candidate's boxes */
	size_t cap;
	const struct label_box *o; /* the obstacles filed */
};

struct labels *labels_new(void)
{
	struct labels *s = xcalloc(1, sizeof *s);
	grid_init(&s->cand, 0);
	grid_init(&s->obst, 0);
	return s;
}

void labels_free(struct labels *s)
{
	if (!s)
		return;
	grid_free(&s->cand);
	grid_free(&s->obst);
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
	return sizeof *s + grid_memory(&s->cand) + grid_memory(&s->obst) +
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

static int64_t cell(double v)
{
	return (int64_t)floor(v / LABEL_CELL);
}

static void file_box(struct grid *g, const struct label_box *b, int32_t v)
{
	for (int64_t cy = cell(b->t); cy <= cell(b->b); cy++)
		for (int64_t cx = cell(b->l); cx <= cell(b->r); cx++)
			grid_add(g, cx, cy, v);
}

void labels_obstacles(struct labels *s, const struct label_box *obst, size_t n)
{
	grid_clear(&s->obst);
	for (size_t k = 0; k < n; k++)
		file_box(&s->obst, &obst[k], (int32_t)k);
	s->o = obst;
}

bool labels_box_free(const struct labels *s, const struct label_box *b)
{
	for (int64_t cy = cell(b->t); cy <= cell(b->b); cy++)
		for (int64_t cx = cell(b->l); cx <= cell(b->r); cx++)
			for (int32_t k = grid_first(&s->obst, cx, cy); k >= 0; k = grid_next(&s->obst, k))
				if (overlap(b, &s->o[grid_value(&s->obst, k)]))
					return false;
	return true;
}

/* U0 of every candidate: its boxes that overlap no obstacle. */
static void first_claims(struct labels *s, const struct label_cand *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t v = 0;
		for (int p = 0; p < c[i].npos; p++)
			if (labels_box_free(s, &c[i].pos[p]))
				v |= (uint8_t)(1u << p);
		s->valid[i] = v;
	}
}

/* Which boxes of c[i] (among mask) overlap none of the claimed boxes of
 * the candidates of higher priority around it. */
static uint8_t unclaimed(struct labels *s, const struct label_cand *c, size_t i, uint8_t mask)
{
	const struct label_box *u = &s->uni[i];
	uint32_t me = (uint32_t)i + 1; /* stamps are candidate + 1, 0 for none */
	for (int64_t cy = cell(u->t); cy <= cell(u->b) && mask; cy++)
		for (int64_t cx = cell(u->l); cx <= cell(u->r) && mask; cx++)
			for (int32_t k = grid_first(&s->cand, cx, cy); k >= 0 && mask;
			     k = grid_next(&s->cand, k)) {
				size_t j = (size_t)grid_value(&s->cand, k);
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
	return mask;
}

void labels_place(struct labels *s, const struct label_cand *c, size_t n, int rounds, int8_t *out)
{
	reserve(s, n);
	grid_clear(&s->cand);
	for (size_t i = 0; i < n; i++) {
		struct label_box u = {INFINITY, INFINITY, -INFINITY, -INFINITY};
		for (int p = 0; p < c[i].npos; p++) {
			u.l = fmin(u.l, c[i].pos[p].l);
			u.t = fmin(u.t, c[i].pos[p].t);
			u.r = fmax(u.r, c[i].pos[p].r);
			u.b = fmax(u.b, c[i].pos[p].b);
		}
		s->uni[i] = u;
		if (c[i].npos)
			file_box(&s->cand, &u, (int32_t)i);
	}
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

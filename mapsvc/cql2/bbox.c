/*
 * bbox.c - the lon/lat box a filter confines its matches to (cql2_bbox),
 * so that a caller can ask its spatial index for the records there and
 * evaluate only those.
 *
 * The box must be conservative: a record outside it is never TRUE.  So:
 *   - S_INTERSECTS, S_WITHIN, S_TOUCHES, S_EQUALS and S_CONTAINS of the
 *     geometry property and a literal are TRUE only for points on the
 *     literal's closure: its extent, widened by the boundary tolerance;
 *   - S_OVERLAPS and S_CROSSES are never TRUE for a point: nothing;
 *   - AND is TRUE only where all its operands can be: the intersection;
 *   - OR where any can be: the union, as one box (the smallest that holds
 *     both, found on the circle of longitudes so that boxes either side of
 *     the antimeridian join across it rather than around the world);
 *   - NOT S_DISJOINT is S_INTERSECTS; any other NOT, any comparison or
 *     S_DISJOINT leaves the position free.
 * Only the first geometry queryable of the schema counts: it is the one a
 * caller indexes.
 */
#include <math.h>

#include "cql2_int.h"

#define LON_MAX 180.0
#define LAT_MAX 90.0
/* A box's longitudes as at most two ranges within -180..180, and the
 * ranges two of them make when crossed. */
#define PIECES_MAX 4

struct box {
	enum cql2_bbox_kind kind;
	double w, s, e, n;
};

static const struct box ALL = {CQL2_BBOX_ALL, 0, 0, 0, 0};
static const struct box EMPTY = {CQL2_BBOX_EMPTY, 0, 0, 0, 0};

struct pieces {
	double lo[PIECES_MAX], hi[PIECES_MAX];
	int n;
};

static void add_piece(struct pieces *p, double lo, double hi)
{
	p->lo[p->n] = lo;
	p->hi[p->n] = hi;
	p->n++;
}

/* [w, e], or [w, 180] and [-180, e] across the antimeridian. */
static struct pieces pieces_of(const struct box *b)
{
	struct pieces p = {.n = 0};
	if (b->w <= b->e) {
		add_piece(&p, b->w, b->e);
	} else {
		add_piece(&p, b->w, LON_MAX);
		add_piece(&p, -LON_MAX, b->e);
	}
	return p;
}

/* The smallest arc of the longitude circle that holds every piece: all
 * of it but the widest gap between them, which is either the one through
 * the antimeridian (west of the first piece and east of the furthest
 * reach) or one between two pieces (then the arc crosses the
 * antimeridian: west > east). */
static void enclose(struct pieces p, double *w, double *e)
{
	for (int i = 1; i < p.n; i++) /* insertion sort by start: at most 4 */
		for (int j = i; j > 0 && p.lo[j] < p.lo[j - 1]; j--) {
			double t = p.lo[j];
			p.lo[j] = p.lo[j - 1], p.lo[j - 1] = t;
			t = p.hi[j];
			p.hi[j] = p.hi[j - 1], p.hi[j - 1] = t;
		}
	double reach = p.hi[0];
	for (int i = 1; i < p.n; i++)
		reach = fmax(reach, p.hi[i]);
	double best_gap = (p.lo[0] + LON_MAX) + (LON_MAX - reach);
	*w = p.lo[0];
	*e = reach;
	reach = p.hi[0];
	for (int i = 1; i < p.n; i++) {
		double gap = p.lo[i] - reach;
		if (gap > best_gap) {
			best_gap = gap;
			*w = p.lo[i];
			*e = reach;
		}
		reach = fmax(reach, p.hi[i]);
	}
}

static struct box intersect(struct box a, struct box b)
{
	if (a.kind == CQL2_BBOX_EMPTY || b.kind == CQL2_BBOX_EMPTY)
		return EMPTY;
	if (a.kind == CQL2_BBOX_ALL)
		return b;
	if (b.kind == CQL2_BBOX_ALL)
		return a;
	struct box r = {CQL2_BBOX_BOX, 0, fmax(a.s, b.s), 0, fmin(a.n, b.n)};
	if (r.s > r.n)
		return EMPTY;
	struct pieces pa = pieces_of(&a), pb = pieces_of(&b), both = {.n = 0};
	for (int i = 0; i < pa.n; i++)
		for (int j = 0; j < pb.n; j++) {
			double lo = fmax(pa.lo[i], pb.lo[j]), hi = fmin(pa.hi[i], pb.hi[j]);
			if (lo <= hi)
				add_piece(&both, lo, hi);
		}
	if (both.n == 0)
		return EMPTY;
	enclose(both, &r.w, &r.e);
	return r;
}

static struct box unite(struct box a, struct box b)
{
	if (a.kind == CQL2_BBOX_ALL || b.kind == CQL2_BBOX_ALL)
		return ALL;
	if (a.kind == CQL2_BBOX_EMPTY)
		return b;
	if (b.kind == CQL2_BBOX_EMPTY)
		return a;
	struct box r = {CQL2_BBOX_BOX, 0, fmin(a.s, b.s), 0, fmax(a.n, b.n)};
	struct pieces pa = pieces_of(&a), pb = pieces_of(&b);
	for (int j = 0; j < pb.n; j++)
		add_piece(&pa, pb.lo[j], pb.hi[j]);
	enclose(pa, &r.w, &r.e);
	return r;
}

/* A literal's closure, widened by the tolerance of the predicates. */
static struct box literal_box(const struct cq_geom *g)
{
	const double eps = CQL2_GEOM_EPS_DEG;
	struct box r = {CQL2_BBOX_BOX, g->box[0] - eps, fmax(-LAT_MAX, g->box[1] - eps), g->box[2] + eps,
	                fmin(LAT_MAX, g->box[3] + eps)};
	if (g->box[0] <= g->box[2] && (r.w < -LON_MAX || r.e > LON_MAX)) {
		r.w = fmax(-LON_MAX, r.w);
		r.e = fmin(LON_MAX, r.e);
	} else if (g->box[0] > g->box[2]) {
		r.w = fmin(LON_MAX, r.w);
		r.e = fmax(-LON_MAX, r.e);
	}
	return r;
}

static struct box of_spatial(const struct cq_node *n, size_t gq)
{
	if (n->op == SF_OVERLAPS || n->op == SF_CROSSES)
		return EMPTY; /* never TRUE for a point (eval.c) */
	if (n->op == SF_DISJOINT || n->kid[0]->kind != CQ_PROP || n->kid[0]->prop != gq ||
	    n->kid[1]->kind != CQ_GEOM)
		return ALL;
	return literal_box(n->kid[1]->geom);
}

static struct box of(const struct cq_node *n, size_t gq)
{
	switch (n->kind) {
	case CQ_BOOL: return n->b ? ALL : EMPTY;
	case CQ_AND: {
		struct box r = ALL;
		for (size_t i = 0; i < n->nkid && r.kind != CQL2_BBOX_EMPTY; i++)
			r = intersect(r, of(n->kid[i], gq));
		return r;
	}
	case CQ_OR: {
		struct box r = EMPTY;
		for (size_t i = 0; i < n->nkid && r.kind != CQL2_BBOX_ALL; i++)
			r = unite(r, of(n->kid[i], gq));
		return r;
	}
	case CQ_NOT: {
		const struct cq_node *x = n->kid[0];
		if (x->kind == CQ_SPATIAL && x->op == SF_DISJOINT) {
			struct cq_node intersects = *x;
			intersects.op = SF_INTERSECTS;
			return of_spatial(&intersects, gq);
		}
		return ALL;
	}
	case CQ_SPATIAL: return of_spatial(n, gq);
	default: return ALL;
	}
}

void cq_compute_bbox(struct cql2 *f)
{
	size_t gq = SIZE_MAX;
	for (size_t i = 0; i < f->schema->n && gq == SIZE_MAX; i++)
		if (f->schema->q[i].type == CQL2_GEOMETRY)
			gq = i;
	struct box b = of(f->root, gq);
	f->bbox_kind = b.kind;
	f->bbox = (struct cql2_box){b.w, b.s, b.e, b.n};
	if (b.kind != CQL2_BBOX_BOX)
		f->bbox = (struct cql2_box){-LON_MAX, -LAT_MAX, LON_MAX, LAT_MAX};
}

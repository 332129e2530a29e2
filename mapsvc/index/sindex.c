/*
 * sindex.c - the spatial index of sindex.h.
 *
 * One static KD-tree serves both queries.
 *
 * k-nearest.  Points are placed at their 3-D ECEF positions on the WGS-84
 * ellipsoid (height 0).  The straight chord between two surface points is
 * never longer than the geodesic between them, so the Euclidean distance
 * from the query's ECEF position to a point (or to a node's box) is a lower
 * bound of the geodesic distance.  The search is best-first over a single
 * priority queue holding both nodes and points, keyed by that bound; a
 * point's exact geodesic distance (Karney, via geo_inverse) is computed
 * only when it is popped, and the search stops when the smallest bound left
 * exceeds the k-th best geodesic distance found (or max_dist_m).  Nothing
 * not yet popped can then be nearer, so the answer is exact, and because
 * chords do not care about latitude or longitude, the poles and the
 * antimeridian need no special case.  Near a point the chord is shorter
 * than the geodesic only by about s^3/(24 R^2) (4 cm at 10 km), so almost
 * every geodesic computed ends up in the answer: about k + 1 per query.
 *
 * Far from the data the chord alone is a useless bound: it never exceeds
 * the Earth's diameter (12,742 km) while geodesics reach 20,004 km, so a
 * query at the antipode of the data pruned nothing and computed every
 * geodesic (a second for a million points).  So the key is the larger of
 * the chord and a second lower bound, b * theta, where b is the semi-minor
 * axis and theta the angle at the Earth's centre between the two points.
 * Why it holds: every point of the ellipsoid is at least b from the
 * centre, and the radial projection onto the sphere of radius b (the
 * nearest point of the ball, a 1-Lipschitz map outside it) carries a
 * geodesic of length s to a curve between the projected points no longer
 * than s, which cannot be shorter than their great-circle arc b * theta.
 * theta itself is bounded from the chord bound c: with |q| the query's
 * distance from the centre and |p| in [b, a], the law of cosines gives
 * cos theta <= (|q|^2 + |p|^2 - c^2) / (2 |q| |p|), a convex function of
 * |p| whose largest value is at b or at a.  b * theta is within a/b - 1 =
 * 0.34 % of the geodesic at any distance, so the search far from the data
 * computes the geodesics of the points within that margin of the k-th
 * distance: a few times k instead of all of them.  Near the query the
 * chord is the better bound (b * theta < chord below about 1,400 km), so
 * the angle is only worked out beyond ANGLE_BOUND_FROM_M.
 *
 * One more bound beyond that distance, for queries near a pole: no path
 * changes latitude faster than a meridian (ds^2 = M^2 dlat^2 + (N cos lat)^2
 * dlon^2 >= M^2 dlat^2), so the geodesic is at least the meridian arc
 * between the query's latitude and the nearest latitude of the node's (or
 * the point's) lon/lat box.  It is exact from a pole, where b * theta
 * still leaves a band of a few tens of kilometres of equal candidates.
 * The meridian arc is Helmert's series in n = f / (2 - f) to n^4, whose
 * error (order n^5, below a millimetre) MERIDIAN_SLACK_M covers.
 *
 * And one for the far side of the globe, where b * theta still leaves a
 * band of ~0.34 % of 17,000 km (60 km) of near-equal candidates: by the
 * triangle inequality through the query's antipode Q' (on the ellipsoid
 * -q in ECEF), s(q, p) >= s(q, Q') - s(Q', p), with s(q, Q') computed once
 * (a geodesic, only for queries that need it) and s(Q', p) bounded from
 * above.  Scaling z by a/b maps the ellipsoid onto the sphere of radius a,
 * and its inverse shrinks lengths, so the great circle of that sphere
 * between the scaled points, of length a * theta' where theta' is their
 * angle, maps to a path on the ellipsoid: s(Q', p) <= a * theta'.  theta'
 * is bounded above by the largest distance D from the scaled Q' to the
 * scaled box (theta' <= 2 asin(D / 2a)).  The slack is now 0.34 % of the
 * distance to the antipode, not to the query.
 *
 * Bounding boxes.  Each node also carries the lon/lat box of its points; a
 * box query walks the tree pruning nodes whose lon/lat box misses the
 * query box (two boxes when it crosses the antimeridian), takes every
 * point of a node whose box lies inside the query's, and tests the points
 * of the leaves across its edge against the exact double coordinates.
 * The 3-D split keeps nodes compact in lon/lat too, except for nodes that
 * straddle the antimeridian or a pole, which only prune less.  Matches
 * are then put in increasing index order, as sindex.h promises.
 *
 * Memory, per point: ECEF as three floats, the latitude as a float (for
 * the meridian bound) and the original index as uint32, 20 bytes, plus
 * about 6 bytes of node per point (leaves of up to LEAF_MAX points).  The
 * exact coordinates, which the geodesics and the edges of box queries
 * need, are read where the caller keeps them (a snapshot's sites), by
 * original index: a million points cost 12 MB less than with a copy in
 * tree order, for a cache miss per geodesic computed and per point tested
 * at a box's edge.  Float ECEF coordinates (magnitude below 2^23 m) are
 * within 0.25 m of the true ones per axis, so a computed chord is within
 * sqrt(3)*0.25 m of the true one; every bound has BOUND_SLACK_M subtracted
 * to stay a lower bound.  Node boxes are computed from the float
 * coordinates themselves and their lon/lat boxes are rounded outward, so
 * they contain what they claim.
 *
 * The tree is implicit (node i has children 2i+1 and 2i+2, every leaf at
 * the same depth), built by median splits on the widest axis in
 * O(n log n).  Immutable after sindex_build; queries keep their state on
 * the stack (or a private heap block), so concurrent readers are safe.
 */
#include "sindex.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/geo.h"
#include "../util/mem.h"
#include "../util/refcount.h"

/* Points per leaf at most.  Small leaves keep the bounds tight, large
 * ones the nodes few: at a million points, 8 cost 12.6 MB of nodes and 16
 * cost 6.3 MB, for a nearest-5 median no worse (bench_index, three runs
 * each: 8.7 against 9.1-9.8 us) and 5% more time for a nearest-100 at a
 * pole, where more points are tested. */
#define LEAF_MAX 16
/* See the header comment: the largest error of a chord computed from
 * float ECEF coordinates is 0.433 m; 0.5 m is a safe lower-bound slack. */
#define BOUND_SLACK_M 0.5
/* Entries of a query's priority queue kept on the stack before it moves
 * to the heap. */
#define QUEUE_STACK 512
/* WGS-84 semi-minor axis, b = a (1 - f), metres. */
#define WGS84_B (WGS84_A * (1.0 - WGS84_F))
/* Chords shorter than this use the chord alone as the bound; b * theta
 * only overtakes the chord at about 1,400 km (see the top comment). */
#define ANGLE_BOUND_FROM_M 1.0e6
/* Subtracted from b * theta: the double arithmetic of the cosine and acos
 * is good to about 0.1 m near the antipode, where acos is steepest. */
#define ANGLE_SLACK_M 1.0
/* Subtracted from a meridian arc: the series' truncation error and the
 * rounding of a few terms, far below this. */
#define MERIDIAN_SLACK_M 1.0
/* Chords beyond this (geodesics over about 10,000 km, past the middle
 * of the way to the antipode) also try the antipodal bound. */
#define ANTIPODE_BOUND_FROM_M 9.0e6

struct knode {
	float lo[3], hi[3];   /* ECEF box of the node's float positions */
	float lon_lo, lat_lo; /* lon/lat box, rounded outward */
	float lon_hi, lat_hi;
	uint32_t begin, end; /* the node's points: [begin, end) in tree order */
};

/* The tree, shared by every index sindex_rebind made of it. */
struct tree {
	struct ms_ref refs;
	size_t n;
	size_t nnodes; /* 2^(depth+1) - 1, or 0 when n == 0 */
	int depth;     /* depth of the leaves (root at 0) */
	struct knode *node;
	float (*xyz)[3]; /* tree order */
	float *lat;      /* tree order, to the nearest float: for bounds */
	uint32_t *idx;   /* tree order -> original index */
};

struct sindex {
	struct tree *t;
	const char *lat, *lon; /* the caller's: point i's at + i * stride */
	size_t stride;
};

static double lat_of(const struct sindex *ix, uint32_t i)
{
	double v;
	memcpy(&v, ix->lat + (size_t)i * ix->stride, sizeof v);
	return v;
}

static double lon_of(const struct sindex *ix, uint32_t i)
{
	double v;
	memcpy(&v, ix->lon + (size_t)i * ix->stride, sizeof v);
	return v;
}

/* ---- building ---- */

/* A point while building: its float ECEF position (what the queries will
 * see, so node boxes computed from it are exact), its original index and
 * its lon/lat, all in one 32-byte record so that the median splits and box
 * computations stream through memory instead of chasing indices. */
struct bpt {
	float p[3];
	uint32_t i;
	double lat, lon;
};

static void ecef(double lat, double lon, double out[3])
{
	/* Geodetic to ECEF at h = 0: N = a / sqrt(1 - e^2 sin^2 lat). */
	const double e2 = WGS84_F * (2.0 - WGS84_F);
	double sl = sin(lat * (M_PI / 180.0)), cl = cos(lat * (M_PI / 180.0));
	double so = sin(lon * (M_PI / 180.0)), co = cos(lon * (M_PI / 180.0));
	double nrad = WGS84_A / sqrt(1.0 - e2 * sl * sl);
	out[0] = nrad * cl * co;
	out[1] = nrad * cl * so;
	out[2] = nrad * (1.0 - e2) * sl;
}

/* Puts the element of rank k (by coordinate d) of a[lo, hi) at k, smaller
 * or equal ones before it and greater or equal ones after (Hoare). */
static void select_kth(struct bpt *a, size_t lo, size_t hi, size_t k, int d)
{
	while (hi - lo > 1) {
		float x = a[lo].p[d], y = a[lo + (hi - lo) / 2].p[d], z = a[hi - 1].p[d];
		float pv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		size_t i = lo, j = hi - 1;
		for (;;) {
			while (a[i].p[d] < pv)
				i++;
			while (a[j].p[d] > pv)
				j--;
			if (i >= j)
				break;
			struct bpt t = a[i];
			a[i] = a[j];
			a[j] = t;
			i++;
			j--;
		}
		if (i == j) {
			/* a[lo..j) <= a[j] == pv <= a(j..hi): j is in place.  (This
			 * case must not fall through: with two elements it would
			 * leave the range unchanged.) */
			if (k == j)
				return;
			if (k < j)
				hi = j;
			else
				lo = j + 1;
			continue;
		}
		/* Now a[lo..j] <= pv <= a[j+1..hi). */
		if (k <= j)
			hi = j + 1;
		else
			lo = j + 1;
	}
}

static float float_down(double v)
{
	float f = (float)v;
	return (double)f > v ? nextafterf(f, -INFINITY) : f;
}

static float float_up(double v)
{
	float f = (float)v;
	return (double)f < v ? nextafterf(f, INFINITY) : f;
}

struct builder {
	struct tree *ix;
	struct bpt *tmp;
};

/* The tight boxes of a leaf's points. */
static void leaf_box(struct knode *nd, const struct bpt *a, size_t lo, size_t hi)
{
	float flo[3] = {FLT_MAX, FLT_MAX, FLT_MAX}, fhi[3] = {-FLT_MAX, -FLT_MAX, -FLT_MAX};
	double lon_lo = INFINITY, lon_hi = -INFINITY, lat_lo = INFINITY, lat_hi = -INFINITY;
	for (size_t i = lo; i < hi; i++) {
		const struct bpt *p = &a[i];
		for (int d = 0; d < 3; d++) {
			flo[d] = p->p[d] < flo[d] ? p->p[d] : flo[d];
			fhi[d] = p->p[d] > fhi[d] ? p->p[d] : fhi[d];
		}
		lat_lo = p->lat < lat_lo ? p->lat : lat_lo;
		lat_hi = p->lat > lat_hi ? p->lat : lat_hi;
		lon_lo = p->lon < lon_lo ? p->lon : lon_lo;
		lon_hi = p->lon > lon_hi ? p->lon : lon_hi;
	}
	memcpy(nd->lo, flo, sizeof flo);
	memcpy(nd->hi, fhi, sizeof fhi);
	nd->lon_lo = float_down(lon_lo), nd->lon_hi = float_up(lon_hi);
	nd->lat_lo = float_down(lat_lo), nd->lat_hi = float_up(lat_hi);
}

/* Builds node id over tmp[lo, hi).  cell_lo/cell_hi is a box known to hold
 * the node's points (the parent's cell cut at the split value): it chooses
 * the split axis without another pass over the points.  The tight boxes
 * are computed at the leaves and merged upward, so each level of the tree
 * costs one selection pass and nothing more. */
static void build_node(struct builder *b, size_t id, size_t lo, size_t hi, int depth, const float cell_lo[3],
                       const float cell_hi[3])
{
	struct tree *ix = b->ix;
	struct knode *nd = &ix->node[id];
	nd->begin = (uint32_t)lo;
	nd->end = (uint32_t)hi;
	if (depth == ix->depth) {
		leaf_box(nd, b->tmp, lo, hi);
		return;
	}
	int d = 0;
	for (int e = 1; e < 3; e++)
		if (cell_hi[e] - cell_lo[e] > cell_hi[d] - cell_lo[d])
			d = e;
	size_t mid = lo + (hi - lo) / 2;
	if (hi - lo > 1)
		select_kth(b->tmp, lo, hi, mid, d);
	float split = hi > lo ? b->tmp[mid].p[d] : cell_lo[d];
	float lhi[3], rlo[3];
	memcpy(lhi, cell_hi, sizeof lhi);
	memcpy(rlo, cell_lo, sizeof rlo);
	lhi[d] = split;
	rlo[d] = split;
	build_node(b, 2 * id + 1, lo, mid, depth + 1, cell_lo, lhi);
	build_node(b, 2 * id + 2, mid, hi, depth + 1, rlo, cell_hi);
	const struct knode *l = &ix->node[2 * id + 1], *r = &ix->node[2 * id + 2];
	if (l->begin == l->end) {
		*nd = *r;
	} else if (r->begin == r->end) {
		*nd = *l;
	} else {
		for (int e = 0; e < 3; e++) {
			nd->lo[e] = l->lo[e] < r->lo[e] ? l->lo[e] : r->lo[e];
			nd->hi[e] = l->hi[e] > r->hi[e] ? l->hi[e] : r->hi[e];
		}
		nd->lon_lo = l->lon_lo < r->lon_lo ? l->lon_lo : r->lon_lo;
		nd->lon_hi = l->lon_hi > r->lon_hi ? l->lon_hi : r->lon_hi;
		nd->lat_lo = l->lat_lo < r->lat_lo ? l->lat_lo : r->lat_lo;
		nd->lat_hi = l->lat_hi > r->lat_hi ? l->lat_hi : r->lat_hi;
	}
	nd->begin = (uint32_t)lo;
	nd->end = (uint32_t)hi;
}

struct sindex *sindex_build_strided(const double *lat, const double *lon, size_t stride, size_t n,
                                    struct ms_error *err)
{
	if (n >= UINT32_MAX) {
		ms_fail(err, MS_EUSAGE, "spatial index: %zu points is more than it can hold", n);
		return NULL;
	}
	struct sindex *ix = xcalloc(1, sizeof *ix);
	ix->lat = (const char *)lat, ix->lon = (const char *)lon, ix->stride = stride;
	for (size_t i = 0; i < n; i++) {
		double la = lat_of(ix, (uint32_t)i), lo = lon_of(ix, (uint32_t)i);
		if (!(la >= -90 && la <= 90) || !(lo >= -180 && lo <= 180)) {
			ms_fail(err, MS_EDATA,
			        "spatial index: point %zu: latitude %g, longitude %g out of range", i, la,
			        lo);
			free(ix);
			return NULL;
		}
	}
	struct tree *t = ix->t = xcalloc(1, sizeof *t);
	ms_ref_init(&t->refs);
	t->n = n;
	if (n == 0)
		return ix;
	int depth = 0;
	while (((n + ((size_t)1 << depth) - 1) >> depth) > LEAF_MAX)
		depth++;
	t->depth = depth;
	t->nnodes = ((size_t)2 << depth) - 1;
	t->node = xcalloc(t->nnodes, sizeof *t->node);

	struct bpt *tmp = xmalloc(n * sizeof *tmp);
	for (size_t i = 0; i < n; i++) {
		double e[3];
		tmp[i].lat = lat_of(ix, (uint32_t)i);
		tmp[i].lon = lon_of(ix, (uint32_t)i);
		ecef(tmp[i].lat, tmp[i].lon, e);
		for (int d = 0; d < 3; d++)
			tmp[i].p[d] = (float)e[d];
		tmp[i].i = (uint32_t)i;
	}
	struct builder b = {t, tmp};
	struct knode all;
	leaf_box(&all, tmp, 0, n);
	build_node(&b, 0, 0, n, 0, all.lo, all.hi);

	t->xyz = xmalloc(n * sizeof *t->xyz);
	t->lat = xmalloc(n * sizeof *t->lat);
	t->idx = xmalloc(n * sizeof *t->idx);
	for (size_t i = 0; i < n; i++) {
		for (int d = 0; d < 3; d++)
			t->xyz[i][d] = tmp[i].p[d];
		t->lat[i] = (float)tmp[i].lat;
		t->idx[i] = tmp[i].i;
	}
	free(tmp);
	return ix;
}

struct sindex *sindex_build(const double *lat, const double *lon, size_t n, struct ms_error *err)
{
	return sindex_build_strided(lat, lon, sizeof(double), n, err);
}

struct sindex *sindex_rebind(const struct sindex *ix, const double *lat, const double *lon, size_t stride)
{
	struct sindex *r = xcalloc(1, sizeof *r);
	ms_ref_get(&ix->t->refs);
	r->t = ix->t;
	r->lat = (const char *)lat, r->lon = (const char *)lon, r->stride = stride;
	return r;
}

bool sindex_shares(const struct sindex *a, const struct sindex *b)
{
	return a && b && a->t == b->t;
}

void sindex_free(struct sindex *ix)
{
	if (!ix)
		return;
	struct tree *t = ix->t;
	free(ix);
	if (!ms_ref_put(&t->refs))
		return;
	free(t->node);
	free(t->xyz);
	free(t->lat);
	free(t->idx);
	free(t);
}

size_t sindex_size(const struct sindex *ix)
{
	return ix ? ix->t->n : 0;
}

static bool is_leaf(const struct tree *t, size_t id)
{
	return 2 * id + 1 >= t->nnodes;
}

/* ---- patching ---- */

/* Widens node nd's boxes to hold a point at float ECEF p, lat/lon. */
static void widen(struct knode *nd, const float p[3], double lat, double lon)
{
	for (int d = 0; d < 3; d++) {
		nd->lo[d] = p[d] < nd->lo[d] ? p[d] : nd->lo[d];
		nd->hi[d] = p[d] > nd->hi[d] ? p[d] : nd->hi[d];
	}
	float v = float_down(lon);
	nd->lon_lo = v < nd->lon_lo ? v : nd->lon_lo;
	v = float_up(lon);
	nd->lon_hi = v > nd->lon_hi ? v : nd->lon_hi;
	v = float_down(lat);
	nd->lat_lo = v < nd->lat_lo ? v : nd->lat_lo;
	v = float_up(lat);
	nd->lat_hi = v > nd->lat_hi ? v : nd->lat_hi;
}

struct sindex *sindex_patch(const struct sindex *ix, const double *lat, const double *lon, size_t stride,
                            const uint32_t *moved, size_t nmoved, struct ms_error *err)
{
	const struct tree *o = ix->t;
	struct sindex *r = xcalloc(1, sizeof *r);
	r->lat = (const char *)lat, r->lon = (const char *)lon, r->stride = stride;
	for (size_t k = 0; k < nmoved; k++) {
		if (moved[k] >= o->n || (k > 0 && moved[k] <= moved[k - 1])) {
			ms_fail(err, MS_EUSAGE,
			        "spatial index: moved points must be increasing indexes below %zu", o->n);
			free(r);
			return NULL;
		}
		double la = lat_of(r, moved[k]), lo = lon_of(r, moved[k]);
		if (!(la >= -90 && la <= 90) || !(lo >= -180 && lo <= 180)) {
			ms_fail(err, MS_EDATA,
			        "spatial index: point %u: latitude %g, longitude %g out of range", moved[k],
			        la, lo);
			free(r);
			return NULL;
		}
	}
	struct tree *t = r->t = xcalloc(1, sizeof *t);
	ms_ref_init(&t->refs);
	t->n = o->n, t->nnodes = o->nnodes, t->depth = o->depth;
	if (t->n == 0)
		return r;
	t->node = xmalloc(t->nnodes * sizeof *t->node);
	memcpy(t->node, o->node, t->nnodes * sizeof *t->node);
	t->xyz = xmalloc(t->n * sizeof *t->xyz);
	memcpy(t->xyz, o->xyz, t->n * sizeof *t->xyz);
	t->lat = xmalloc(t->n * sizeof *t->lat);
	memcpy(t->lat, o->lat, t->n * sizeof *t->lat);
	t->idx = xmalloc(t->n * sizeof *t->idx);
	memcpy(t->idx, o->idx, t->n * sizeof *t->idx);
	/* where the moved points are in tree order: one pass, a bit a point */
	uint64_t *mark = xcalloc((t->n + 63) / 64, sizeof *mark);
	for (size_t k = 0; k < nmoved; k++)
		mark[moved[k] >> 6] |= (uint64_t)1 << (moved[k] & 63);
	for (size_t slot = 0; slot < t->n; slot++) {
		uint32_t i = t->idx[slot];
		if (!(mark[i >> 6] >> (i & 63) & 1))
			continue;
		double la = lat_of(r, i), lo = lon_of(r, i), e[3];
		ecef(la, lo, e);
		float p[3] = {(float)e[0], (float)e[1], (float)e[2]};
		memcpy(t->xyz[slot], p, sizeof p);
		t->lat[slot] = (float)la;
		for (size_t id = 0;;) { /* the nodes that hold the slot, root to leaf */
			widen(&t->node[id], p, la, lo);
			if (is_leaf(t, id))
				break;
			const struct knode *l = &t->node[2 * id + 1];
			id = slot >= l->begin && slot < l->end ? 2 * id + 1 : 2 * id + 2;
		}
	}
	free(mark);
	return r;
}

/* ---- bounding boxes ---- */

struct bbox_q {
	double w, s, e, n;
	bool wraps; /* west > east: lon >= w or lon <= e */
};

static bool lon_in(const struct bbox_q *q, double lon)
{
	return q->wraps ? (lon >= q->w || lon <= q->e) : (lon >= q->w && lon <= q->e);
}

static bool node_meets(const struct bbox_q *q, const struct knode *nd)
{
	if (nd->lat_hi < q->s || nd->lat_lo > q->n)
		return false;
	if (q->wraps)
		return nd->lon_hi >= q->w || nd->lon_lo <= q->e;
	return nd->lon_hi >= q->w && nd->lon_lo <= q->e;
}

/* True when the node's box, and so each of its points, is inside the
 * query box. */
static bool node_inside(const struct bbox_q *q, const struct knode *nd)
{
	if (nd->lat_lo < q->s || nd->lat_hi > q->n)
		return false;
	if (q->wraps)
		return nd->lon_lo >= q->w || nd->lon_hi <= q->e;
	return nd->lon_lo >= q->w && nd->lon_hi <= q->e;
}

struct hits {
	uint32_t *v;
	size_t n, cap;
};

static void add_hit(struct hits *h, uint32_t i)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 256;
		h->v = xrealloc(h->v, h->cap * sizeof *h->v);
	}
	h->v[h->n++] = i;
}

static void collect(const struct sindex *ix, const struct bbox_q *q, size_t id, struct hits *h)
{
	const struct tree *t = ix->t;
	const struct knode *nd = &t->node[id];
	if (nd->begin >= nd->end || !node_meets(q, nd))
		return;
	if (node_inside(q, nd)) {
		for (uint32_t p = nd->begin; p < nd->end; p++)
			add_hit(h, t->idx[p]);
		return;
	}
	if (!is_leaf(t, id)) {
		collect(ix, q, 2 * id + 1, h);
		collect(ix, q, 2 * id + 2, h);
		return;
	}
	for (uint32_t p = nd->begin; p < nd->end; p++) {
		uint32_t i = t->idx[p];
		double la = lat_of(ix, i);
		if (la >= q->s && la <= q->n && lon_in(q, lon_of(ix, i)))
			add_hit(h, i);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

size_t sindex_bbox(const struct sindex *ix, double west, double south, double east, double north,
                   sindex_visit_fn visit, void *ctx)
{
	if (!ix || ix->t->n == 0 || !(south <= north) || isnan(west) || isnan(east))
		return 0;
	struct bbox_q q = {west, south, east, north, west > east};
	struct hits h = {0};
	collect(ix, &q, 0, &h);
	size_t visited = 0;
	if (h.n < 1024) {
		if (h.n > 1) /* qsort must not see a NULL array */
			qsort(h.v, h.n, sizeof *h.v, cmp_u32);
		for (size_t i = 0; i < h.n; i++) {
			visited++;
			if (visit && !visit(h.v[i], ctx))
				break;
		}
	} else {
		/* Many matches: a bitmap over all indices orders them in O(n/64)
		 * words instead of sorting. */
		size_t nw = (ix->t->n + 63) / 64;
		uint64_t *bits = xcalloc(nw, sizeof *bits);
		for (size_t i = 0; i < h.n; i++)
			bits[h.v[i] >> 6] |= (uint64_t)1 << (h.v[i] & 63);
		bool go = true;
		for (size_t w = 0; w < nw && go; w++) {
			uint64_t x = bits[w];
			while (x) {
				uint32_t i = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(x));
				x &= x - 1;
				visited++;
				if (visit && !visit(i, ctx)) {
					go = false;
					break;
				}
			}
		}
		free(bits);
	}
	free(h.v);
	return visited;
}

/* ---- k nearest ---- */

struct qent {
	double key;  /* lower bound of the geodesic distance */
	uint32_t id; /* node id, or tree position of a point */
	uint32_t point;
};

struct pqueue {
	struct qent *v;
	size_t n, cap;
	struct qent stack[QUEUE_STACK];
};

static void pq_push(struct pqueue *q, struct qent e)
{
	if (q->n == q->cap) {
		size_t cap = q->cap * 2;
		if (q->v == q->stack) {
			q->v = xmalloc(cap * sizeof *q->v);
			memcpy(q->v, q->stack, q->n * sizeof *q->v);
		} else {
			q->v = xrealloc(q->v, cap * sizeof *q->v);
		}
		q->cap = cap;
	}
	size_t i = q->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (q->v[p].key <= e.key)
			break;
		q->v[i] = q->v[p];
		i = p;
	}
	q->v[i] = e;
}

static struct qent pq_pop(struct pqueue *q)
{
	struct qent top = q->v[0], last = q->v[--q->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && q->v[c + 1].key < q->v[c].key)
			c++;
		if (last.key <= q->v[c].key)
			break;
		q->v[i] = q->v[c];
		i = c;
	}
	if (q->n > 0)
		q->v[i] = last;
	return top;
}

/* (dist, index) order of sindex.h. */
static bool hit_less(const struct sindex_hit *a, const struct sindex_hit *b)
{
	return a->dist_m < b->dist_m || (a->dist_m == b->dist_m && a->i < b->i);
}

/* out[0..n) is a max-heap by hit_less. */
static void res_sift_down(struct sindex_hit *h, size_t n, size_t i)
{
	struct sindex_hit x = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && hit_less(&h[c], &h[c + 1]))
			c++;
		if (!hit_less(&x, &h[c]))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void res_push(struct sindex_hit *h, size_t n, struct sindex_hit x)
{
	size_t i = n;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!hit_less(&h[p], &x))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

/* The query point, as the bounds need it. */
struct nquery {
	double xyz[3];
	double r, r2;    /* distance from the Earth's centre, and its square */
	double lat, lon; /* degrees */
	double merid_m;  /* meridian arc from the equator to lat */
	double anti[3];  /* the antipode, z scaled by a/b */
	double half_m;   /* geodesic to the antipode; NAN until needed */
};

/* The meridian arc from the equator to latitude lat (degrees, signed):
 * Helmert's series, as in Karney, "Transverse Mercator with an accuracy
 * of a few nanometers" (2011), eq. 35 with the rectifying radius. */
static double meridian_arc(double lat)
{
	const double n = WGS84_F / (2.0 - WGS84_F), n2 = n * n;
	const double rect = WGS84_A / (1.0 + n) * (1.0 + n2 / 4.0 + n2 * n2 / 64.0);
	const double c2 = -1.5 * n + 9.0 / 16.0 * n2 * n, c4 = 15.0 / 16.0 * n2 - 15.0 / 32.0 * n2 * n2;
	const double c6 = -35.0 / 48.0 * n2 * n, c8 = 315.0 / 512.0 * n2 * n2;
	double phi = lat * (M_PI / 180.0);
	return rect *
	       (phi + c2 * sin(2.0 * phi) + c4 * sin(4.0 * phi) + c6 * sin(6.0 * phi) + c8 * sin(8.0 * phi));
}

/* The largest distance from the scaled antipode to the ECEF box [lo, hi]
 * scaled like it, plus the float slack. */
static double anti_far(const struct nquery *q, const float lo[3], const float hi[3])
{
	double s = 0;
	for (int d = 0; d < 3; d++) {
		double k = d == 2 ? WGS84_A / WGS84_B : 1.0;
		double v = fmax(fabs(q->anti[d] - k * lo[d]), fabs(q->anti[d] - k * hi[d]));
		s += v * v;
	}
	return sqrt(s) + BOUND_SLACK_M * WGS84_A / WGS84_B;
}

/* A lower bound of the geodesic distance from the query to any surface
 * point whose chord from it is at least c, whose latitude is in [lat_lo,
 * lat_hi] and whose ECEF position is in the box [lo, hi] (see the top
 * comment). */
static double geodesic_bound(struct nquery *q, double c, double lat_lo, double lat_hi, const float lo[3],
                             const float hi[3])
{
	if (c < ANGLE_BOUND_FROM_M)
		return c;
	double c2 = c * c;
	double cos_b = (q->r2 + WGS84_B * WGS84_B - c2) / (2.0 * q->r * WGS84_B);
	double cos_a = (q->r2 + WGS84_A * WGS84_A - c2) / (2.0 * q->r * WGS84_A);
	double cos_max = fmin(1.0, fmax(-1.0, fmax(cos_a, cos_b)));
	double bound = fmax(c, WGS84_B * acos(cos_max) - ANGLE_SLACK_M);
	if (q->lat < lat_lo)
		bound = fmax(bound, meridian_arc(lat_lo) - q->merid_m - MERIDIAN_SLACK_M);
	else if (q->lat > lat_hi)
		bound = fmax(bound, q->merid_m - meridian_arc(lat_hi) - MERIDIAN_SLACK_M);
	if (c >= ANTIPODE_BOUND_FROM_M) {
		if (isnan(q->half_m))
			geo_inverse(q->lat, q->lon, -q->lat, q->lon >= 0 ? q->lon - 180.0 : q->lon + 180.0,
			            &q->half_m, NULL);
		double far = anti_far(q, lo, hi);
		double up = 2.0 * WGS84_A * asin(fmin(1.0, far / (2.0 * WGS84_A)));
		bound = fmax(bound, q->half_m - up - ANGLE_SLACK_M);
	}
	return bound;
}

static double box_dist(const struct knode *nd, const double q[3])
{
	double s = 0;
	for (int d = 0; d < 3; d++) {
		double v = 0;
		if (q[d] < nd->lo[d])
			v = nd->lo[d] - q[d];
		else if (q[d] > nd->hi[d])
			v = q[d] - nd->hi[d];
		s += v * v;
	}
	return sqrt(s);
}

size_t sindex_nearest(const struct sindex *ix, double lat, double lon, size_t k, double max_dist_m,
                      sindex_filter_fn filter, void *ctx, struct sindex_hit *out)
{
	struct sindex_stats st;
	return sindex_nearest_stats(ix, lat, lon, k, max_dist_m, filter, ctx, out, &st);
}

size_t sindex_nearest_stats(const struct sindex *ix, double lat, double lon, size_t k, double max_dist_m,
                            sindex_filter_fn filter, void *ctx, struct sindex_hit *out,
                            struct sindex_stats *st)
{
	memset(st, 0, sizeof *st);
	if (!ix || ix->t->n == 0 || k == 0 || !(lat >= -90 && lat <= 90) || !isfinite(lon) ||
	    !(max_dist_m >= 0))
		return 0;
	struct nquery nq;
	ecef(lat, lon, nq.xyz);
	nq.r2 = nq.xyz[0] * nq.xyz[0] + nq.xyz[1] * nq.xyz[1] + nq.xyz[2] * nq.xyz[2];
	nq.r = sqrt(nq.r2);
	nq.lat = lat;
	nq.lon = lon;
	nq.merid_m = meridian_arc(lat);
	for (int d = 0; d < 3; d++)
		nq.anti[d] = -nq.xyz[d] * (d == 2 ? WGS84_A / WGS84_B : 1.0);
	nq.half_m = NAN;
	const double *q = nq.xyz;

	struct pqueue pq;
	pq.v = pq.stack;
	pq.n = 0;
	pq.cap = QUEUE_STACK;
	size_t nres = 0;
	const struct tree *t = ix->t;
	const struct knode *root = &t->node[0];
	pq_push(&pq, (struct qent){geodesic_bound(&nq, box_dist(root, q) - BOUND_SLACK_M, root->lat_lo,
	                                          root->lat_hi, root->lo, root->hi),
	                           0, 0});
	while (pq.n > 0) {
		/* Nothing with a bound above this can enter the answer; equal
		 * bounds may still tie the k-th distance with a smaller index. */
		double limit = nres == k ? fmin(out[0].dist_m, max_dist_m) : max_dist_m;
		struct qent e = pq_pop(&pq);
		if (e.key > limit)
			break;
		if (e.point) {
			uint32_t i = t->idx[e.id];
			if (filter && !filter(i, ctx))
				continue;
			struct sindex_hit h = {i, 0, 0};
			st->geodesics++;
			geo_inverse(lat, lon, lat_of(ix, i), lon_of(ix, i), &h.dist_m, &h.azi_deg);
			if (h.dist_m > max_dist_m)
				continue;
			if (nres < k) {
				res_push(out, nres++, h);
			} else if (hit_less(&h, &out[0])) {
				out[0] = h;
				res_sift_down(out, nres, 0);
			}
			continue;
		}
		const struct knode *nd = &t->node[e.id];
		st->nodes++;
		if (is_leaf(t, e.id)) {
			/* A point's bound takes its latitude as a float, within one
			 * step of the exact one (which is a cache miss away). */
			for (uint32_t p = nd->begin; p < nd->end; p++) {
				double dx = q[0] - t->xyz[p][0], dy = q[1] - t->xyz[p][1],
				       dz = q[2] - t->xyz[p][2];
				double key =
				    geodesic_bound(&nq, sqrt(dx * dx + dy * dy + dz * dz) - BOUND_SLACK_M,
				                   nextafterf(t->lat[p], -INFINITY),
				                   nextafterf(t->lat[p], INFINITY), t->xyz[p], t->xyz[p]);
				if (key <= limit)
					pq_push(&pq, (struct qent){key, p, 1});
			}
		} else {
			for (size_t c = 2 * (size_t)e.id + 1; c <= 2 * (size_t)e.id + 2; c++) {
				const struct knode *cn = &t->node[c];
				if (cn->begin >= cn->end)
					continue;
				double key = geodesic_bound(&nq, box_dist(cn, q) - BOUND_SLACK_M, cn->lat_lo,
				                            cn->lat_hi, cn->lo, cn->hi);
				if (key <= limit)
					pq_push(&pq, (struct qent){key, (uint32_t)c, 0});
			}
		}
	}
	if (pq.v != pq.stack)
		free(pq.v);
	/* Heap sort in place: ascending (dist, index). */
	for (size_t m = nres; m > 1; m--) {
		struct sindex_hit top = out[0];
		out[0] = out[m - 1];
		out[m - 1] = top;
		res_sift_down(out, m - 1, 0);
	}
	return nres;
}

/*
 * cluster.c - the cluster hierarchy of cluster.h.
 *
 * Building, level by level.  The items of a zoom are kept in an array in
 * increasing order of their first site ("rep order"), which is the order
 * supercluster visits them in: the base level (every zoom above max_zoom)
 * is the sites with coincident ones merged, and zoom z is made from zoom
 * z + 1 by taking each item in rep order that is not yet taken as a seed
 * and merging it with every untaken item within the radius of it.  A
 * seed's untaken neighbours all come after it (everything before it is
 * taken), so a new cluster's first site is its seed's, the clusters come
 * out in rep order, and the array is compacted in place.
 *
 * Finding neighbours: items are sorted by their cell in a grid of a power
 * of two units at least the radius (a stable radix sort, so a cell keeps
 * rep order), and a disc of that radius lies within the 3 x 3 cells
 * around its centre.  Items that nothing can reach are left out of that
 * grid: each base item's distance to the nearest other site is measured
 * once, and every cluster's spread (how far from it its sites lie) when
 * it is made; a base item farther from every other site than the radius
 * plus the largest spread has nobody within the radius (quiet_limit).
 * At the top levels, where a register's sites are mostly far apart
 * for the radius, that is most of them.  One sweep over the cells in key order, with
 * cursors in the row above, its own row and the row below, finds each
 * cell's 3 x 3 block while it reads memory in order: an item alone in its
 * block is carried over without being touched again; for the others the
 * sweep lists the items after them in rep order within the radius (or,
 * in a block of more than CROWD_MAX items, where sites crowd at low zooms
 * and listing every pair would cost their square, keeps where to scan),
 * and the rep-order pass reads those lists.  Distances are exact: the
 * radius is kept in 1/256
 * px, so that r = rad256 * 2^(16 - z) units, and dx^2 + dy^2 <= r^2 is
 * compared in 64-bit (or, for a radius past 2^31 units, 128-bit) integers.
 * A cluster's position is the
 * count-weighted mean of what it merged, rounded to the nearest unit
 * (sums in 64 bits), as supercluster places it.
 *
 * Cost: a level costs a radix sort and a sweep of the items it does not
 * leave out, plus the distances within the blocks of its busy ones; at a
 * million sites uniform over China, 24 px, zooms 0-15, 0.9 s of CPU on
 * the machine this was measured on, 0.75 s clustered around a few hundred
 * centres (bench_cluster prints the figures, and a digest of the
 * hierarchy that a faster builder must leave unchanged: a builder that
 * changes it changes cluster_codec.c's CODEC_FORMAT too, so that blocks
 * kept by imports are built again).
 *
 * What is kept.  The clusters form a forest (a cluster's children are
 * what it merged).  Numbered in depth-first preorder with children in rep
 * order, every cluster's sites are a contiguous range of one permutation
 * of the sites, its first site first: members are a pointer into it.  Each
 * cluster is drawn at the zooms [lo, hi]: hi the zoom it was made at, lo
 * one above the zoom it was merged at (or min_zoom).  Each site is single
 * at the zooms >= its own lo (never, for coincident sites).  So:
 *   - per zoom, the ids of the clusters drawn there, in a k-d order;
 *   - per zoom lo, a band of the sites single from that zoom on, with
 *     their positions, in a k-d order: the sites single at zoom Z are the
 *     bands lo <= Z, so a site still single at many zooms is stored once.
 * A k-d order is an implicit tree: a range is split at its median on x,
 * then each half on y, and so on down to KD_LEAF items; a window query
 * descends only where the window reaches, testing the medians on the way
 * (O(log n + k) for windows of tile shape).  It is made from the range
 * sorted by x, partitioned stably at each split on y (kd_order).
 *
 * Zooms below min_zoom show min_zoom's picture; above max_zoom the base
 * level's, as supercluster clamps them.  With max_zoom = min_zoom - 1
 * there is no level to make: the base level is min_zoom's picture, and so
 * every zoom's.
 */
#include "cluster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/webmerc.h"
#include "../util/mem.h"
#include "cluster_int.h"

/* log2(RADIUS_STEPS * 2^(CLUSTER_ZOOM_LIMIT - z)) at z = 0 is the
 * exponent that turns rad256 into units: r = rad256 * 2^(RADIUS_SHIFT - z). */
#define RADIUS_SHIFT (CLUSTER_ZOOM_LIMIT - 8)
/* Items per k-d leaf: 64 rather than 16 spares the lay-out the two
 * deepest splits, 15 % of it (25 ms a hierarchy at a million sites),
 * for a query that tests about 650 items instead of 330 at z16, a few
 * microseconds. */
#define KD_LEAF 64
/* A ref with this bit is a cluster (build node), without a site. */
#define REF_NODE 0x80000000u
/* A site's lo when it is never single (it has coincident sites). */
#define LO_NEVER 0xff
/* Bits per radix sort pass. */
#define RADIX_BITS 11
/* Seeds ahead whose cells are loaded while the current one is searched. */
#define PREFETCH_AHEAD 8

/* ------------------------------------------------------------ positions */

static uint32_t to_unit(double v)
{
	v = floor(v + 0.5);
	if (!(v >= 0))
		return 0;
	if (v > (double)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)v;
}

uint32_t cluster_radius_steps_(double radius_px)
{
	long r = lround(radius_px * RADIUS_STEPS);
	return r < 1 ? 1 : (uint32_t)r;
}

void cluster_position(double lat, double lon, uint32_t *x, uint32_t *y)
{
	double mx, my, px, py;
	webmerc_from_lonlat(lon, lat, &mx, &my);
	webmerc_to_world_px(mx, my, CLUSTER_ZOOM_LIMIT, WEBMERC_TILE_SIZE, &px, &py);
	*x = to_unit(px);
	*y = to_unit(py);
}

void cluster_unit_to_lonlat(uint32_t x, uint32_t y, double *lat, double *lon)
{
	double mx, my;
	webmerc_from_world_px((double)x, (double)y, CLUSTER_ZOOM_LIMIT, WEBMERC_TILE_SIZE, &mx, &my);
	webmerc_to_lonlat(mx, my, lon, lat);
}

static uint32_t clamp_unit(long long v)
{
	return v < 0 ? 0 : v > (long long)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void cluster_tile_window(int z, long long x, long long y, double margin_px, struct cluster_window *w)
{
	if (z < 0)
		z = 0;
	if (z > CLUSTER_ZOOM_LIMIT)
		z = CLUSTER_ZOOM_LIMIT;
	long long unit = 1LL << (CLUSTER_ZOOM_LIMIT - z); /* units per px */
	long long size = unit * WEBMERC_TILE_SIZE;
	long long margin = (long long)ceil(margin_px * (double)unit);
	w->x0 = clamp_unit(x * size - margin);
	w->y0 = clamp_unit(y * size - margin);
	w->x1 = clamp_unit((x + 1) * size - 1 + margin);
	w->y1 = clamp_unit((y + 1) * size - 1 + margin);
}

void cluster_window_unshift(struct cluster_window *w, enum coordsys cs)
{
	if (cs == COORDSYS_WGS84 || cs == COORDSYS_CGCS2000)
		return;
	/* y grows southward: y0 is the north edge. */
	double b[4];
	cluster_unit_to_lonlat(w->x0, w->y0, &b[3], &b[0]);
	cluster_unit_to_lonlat(w->x1, w->y1, &b[1], &b[2]);
	coordsys_wgs84_box(cs, b);
	uint32_t x, y;
	cluster_position(fmin(90, b[3]), fmax(-180, b[0]), &x, &y);
	w->x0 = x, w->y0 = y;
	cluster_position(fmax(-90, b[1]), fmin(180, b[2]), &x, &y);
	w->x1 = x, w->y1 = y;
}

/* ------------------------------------------------------------ k-d order */

static uint32_t kcoord(const struct kpt *p, int axis)
{
	return axis ? p->y : p->x;
}

/* Puts the value of rank k of v[lo, hi) at k (Hoare's selection). */
static void select_u32(uint32_t *v, size_t lo, size_t hi, size_t k)
{
	while (hi - lo > 1) {
		uint32_t x = v[lo], y = v[lo + (hi - lo) / 2], z = v[hi - 1];
		uint32_t pv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		size_t i = lo, j = hi - 1;
		for (;;) {
			while (v[i] < pv)
				i++;
			while (v[j] > pv)
				j--;
			if (i >= j)
				break;
			uint32_t t = v[i];
			v[i] = v[j];
			v[j] = t;
			i++;
			j--;
		}
		if (i == j) {
			if (k == j)
				return;
			if (k < j)
				hi = j;
			else
				lo = j + 1;
			continue;
		}
		if (k <= j)
			hi = j + 1;
		else
			lo = j + 1;
	}
}

/* Scratch for kd_order: a copy of a range's y values and a place to
 * partition into, as long as the longest range. */
struct kd_scratch {
	uint32_t *ys;
	struct kpt *tmp;
};

/* Puts a[lo, hi), sorted by x, in k-d order (the top comment).  A range
 * sorted by x splits at its middle on x as it is; a split on y selects
 * the median y and partitions stably, so that both halves are still
 * sorted by x for the next split on x.  Half the levels cost nothing,
 * the others a selection over 4-byte values and one pass. */
static void kd_order(struct kpt *a, size_t lo, size_t hi, int axis, struct kd_scratch *sc)
{
	if (hi - lo <= KD_LEAF)
		return;
	size_t m = lo + (hi - lo) / 2;
	if (axis) {
		size_t n = hi - lo, k = m - lo;
		for (size_t i = 0; i < n; i++)
			sc->ys[i] = a[lo + i].y;
		select_u32(sc->ys, 0, n, k);
		uint32_t pv = sc->ys[k];
		size_t less = 0;
		for (size_t i = 0; i < n; i++)
			less += sc->ys[i] < pv;
		/* of the items at pv, the first k - less go left, the next one is
		 * the median, the rest go right: each side keeps its x order */
		size_t l = 0, r = k + 1, left_eq = k - less;
		bool median = false;
		for (size_t i = lo; i < hi; i++) {
			uint32_t y = a[i].y;
			if (y < pv || (y == pv && left_eq)) {
				left_eq -= y == pv;
				sc->tmp[l++] = a[i];
			} else if (y == pv && !median) {
				sc->tmp[k] = a[i];
				median = true;
			} else {
				sc->tmp[r++] = a[i];
			}
		}
		memcpy(a + lo, sc->tmp, n * sizeof *a);
	}
	kd_order(a, lo, m, !axis, sc);
	kd_order(a, m + 1, hi, !axis, sc);
}

/* Items below this many are sorted by insertion in kd_sort. */
#define KD_SMALL 64

/* Puts a[lo, hi) in k-d order: sorted by x first (a stable radix sort
 * of 11-bit digits through the scratch), then kd_order. */
static void kd_sort(struct kpt *a, size_t lo, size_t hi, struct kd_scratch *sc)
{
	size_t n = hi - lo;
	if (n <= KD_LEAF)
		return;
	if (n <= KD_SMALL) {
		for (size_t i = lo + 1; i < hi; i++) {
			struct kpt p = a[i];
			size_t j = i;
			for (; j > lo && a[j - 1].x > p.x; j--)
				a[j] = a[j - 1];
			a[j] = p;
		}
	} else {
		struct kpt *src = a + lo, *dst = sc->tmp;
		for (int shift = 0; shift < 32; shift += RADIX_BITS) {
			size_t count[1u << RADIX_BITS] = {0};
			uint32_t mask = (1u << RADIX_BITS) - 1;
			for (size_t i = 0; i < n; i++)
				count[(src[i].x >> shift) & mask]++;
			size_t at = 0;
			for (size_t d = 0; d <= mask; d++) {
				size_t c = count[d];
				count[d] = at;
				at += c;
			}
			for (size_t i = 0; i < n; i++)
				dst[count[(src[i].x >> shift) & mask]++] = src[i];
			struct kpt *t = src;
			src = dst;
			dst = t;
		}
		if (src != a + lo) /* an odd number of passes ends in the scratch */
			memcpy(a + lo, src, n * sizeof *a);
	}
	kd_order(a, lo, hi, 0, sc);
}

/* ------------------------------------------------------------ building */

struct witem {
	uint32_t x, y;
	uint32_t count;
	uint32_t ref; /* a site, or REF_NODE | build node */
	uint32_t rep; /* its first site */
	uint8_t flags;
	uint16_t near; /* a base item's distance to the nearest other site in
	                * NEAR_STEP units, rounded down (measure_near); 0 for a
	                * cluster */
};

/* An item's state at the level being made: merged into a cluster (or a
 * seed already); with somebody in its 3 x 3 cells (only such an item's
 * nbr is set: the sweep writes nothing for the others). */
#define ST_TAKEN 1
#define ST_BUSY 2

/* Where an item of the level being made finds the untaken items within
 * the radius that come after it in rep order, should it be a seed: n of
 * them listed at adj[off, off + n) by the sweep (none: it is carried
 * over untouched), or, when its 3 x 3 cells hold more than CROWD_MAX
 * items (where sites crowd at low zooms, listing every pair would cost
 * their square), n = NBR_CROWDED and crowd[off] says where to scan. */
struct nbr {
	uint32_t off, n;
};
#define NBR_CROWDED UINT32_MAX

/* A crowded item's block: its own place in the sorted pairs, and where
 * the block's parts of the row above, its own row and the row below
 * start (m for a row off the world). */
struct crowd {
	uint32_t at, up, own, down;
};

struct bnode {
	uint32_t x, y, count;
	uint32_t child, nchild; /* children[child, child + nchild), rep order */
	uint32_t spread;        /* its sites are within this many units of it */
	uint8_t flags, lo, hi;
};

/* An item in the grid's sorted order, with its position so that the
 * neighbour search reads memory in order. */
struct pair {
	uint64_t key;
	uint32_t item;
	uint32_t x, y;
};

struct builder {
	const struct cluster_params *p;
	uint32_t rad256;
	uint64_t rlim; /* within's, at the level being made */
	struct witem *it;
	size_t m;
	struct bnode *bn;
	size_t nbn, bncap;
	uint32_t *children;
	size_t nch, chcap;
	uint8_t *site_lo;
	struct pair *pairs, *tmp;
	size_t np;           /* pairs at the level being made: its items not quiet */
	uint64_t spread;     /* the largest of the clusters' spreads so far */
	bool measure_spread; /* while a base item may still be quiet */
	uint16_t near_max;   /* the largest witem.near */
	size_t quiet;        /* items carried over as quiet, over all levels */
	struct nbr *nbr;     /* per item, at the level being made */
	uint32_t *adj;       /* the lists nbr points into */
	size_t nadj, adjcap;
	struct crowd *crowd; /* the blocks of crowded items */
	uint8_t *state;      /* per item, at the level being made: ST_* */
	uint32_t *role;      /* per site, while the base level is made */
};

static uint32_t new_bnode(struct builder *b)
{
	if (b->nbn == b->bncap) {
		b->bncap = b->bncap ? 2 * b->bncap : 1024;
		b->bn = xrealloc(b->bn, b->bncap * sizeof *b->bn);
	}
	return (uint32_t)b->nbn++;
}

static void push_child(struct builder *b, uint32_t ref)
{
	if (b->nch == b->chcap) {
		b->chcap = b->chcap ? 2 * b->chcap : 1024;
		b->children = xrealloc(b->children, b->chcap * sizeof *b->children);
	}
	b->children[b->nch++] = ref;
}

/* True when two positions are within the radius at zoom z.  rlim is
 * the radius in whole units when it is below 2^31 (then a distance
 * within it squares in 64 bits), 0 otherwise. */
static bool within(uint32_t rad256, int z, uint64_t rlim, const struct witem *a, const struct witem *c)
{
	uint64_t dx = a->x > c->x ? a->x - c->x : c->x - a->x;
	uint64_t dy = a->y > c->y ? a->y - c->y : c->y - a->y;
	if (rlim) {
		if (dx > rlim || dy > rlim)
			return false;
		uint64_t d2 = dx * dx + dy * dy, r2 = (uint64_t)rad256 * rad256;
		/* r2 << 2(16 - z) is rlim^2 < 2^62 here. */
		return z <= RADIUS_SHIFT ? d2 <= r2 << 2 * (RADIUS_SHIFT - z)
		                         : d2 << 2 * (z - RADIUS_SHIFT) <= r2;
	}
	unsigned __int128 d2 = (unsigned __int128)dx * dx + (unsigned __int128)dy * dy;
	unsigned __int128 r2 = (unsigned __int128)rad256 * rad256;
	if (z <= RADIUS_SHIFT)
		r2 <<= 2 * (RADIUS_SHIFT - z);
	else
		d2 <<= 2 * (z - RADIUS_SHIFT);
	return d2 <= r2;
}

/* The radius at zoom z in units, rounded up. */
static uint64_t radius_units(uint32_t rad256, int z)
{
	return z <= RADIUS_SHIFT
	           ? (uint64_t)rad256 << (RADIUS_SHIFT - z)
	           : ((uint64_t)rad256 + (1ull << (z - RADIUS_SHIFT)) - 1) >> (z - RADIUS_SHIFT);
}

/* log2 of the smallest power of two units not below r (at most 40). */
static int pow2_shift(uint64_t r)
{
	int k = 0;
	while (k < 40 && (1ull << k) < r)
		k++;
	return k;
}

/* log2 of the grid cell at zoom z: the smallest power of two units not
 * below the radius (32 or more: one cell holds the world). */
static int cell_shift(uint32_t rad256, int z)
{
	return pow2_shift(radius_units(rad256, z));
}

/* Stable LSD radix sort of (*src)[0, m) by key (keybits significant),
 * through *dst: the two are swapped when the result is in the other. */
static void radix_pairs(struct pair **src, struct pair **dst, size_t m, int keybits)
{
	static const size_t buckets = 1u << RADIX_BITS;
	size_t count[1u << RADIX_BITS];
	for (int shift = 0; shift < keybits; shift += RADIX_BITS) {
		memset(count, 0, sizeof count);
		for (size_t i = 0; i < m; i++)
			count[((*src)[i].key >> shift) & (buckets - 1)]++;
		size_t sum = 0;
		for (size_t d = 0; d < buckets; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < m; i++)
			(*dst)[count[((*src)[i].key >> shift) & (buckets - 1)]++] = (*src)[i];
		struct pair *t = *src;
		*src = *dst;
		*dst = t;
	}
}

/* b->pairs[0, m) sorted by key (keybits significant). */
static void radix_sort(struct builder *b, size_t m, int keybits)
{
	radix_pairs(&b->pairs, &b->tmp, m, keybits);
}

/* The grid of one level: cell coordinates have cbits bits per axis. */
struct grid {
	int shift, cbits;
	uint64_t cmax; /* largest cell coordinate */
};

static uint64_t cell_key(const struct grid *g, uint64_t cx, uint64_t cy)
{
	return (cy << g->cbits) | cx;
}

static void push_adj(struct builder *b, uint32_t t)
{
	if (b->nadj == b->adjcap) {
		b->adjcap = b->adjcap ? 2 * b->adjcap : 1024;
		b->adj = xrealloc(b->adj, b->adjcap * sizeof *b->adj);
	}
	b->adj[b->nadj++] = t;
}

/* Items in a 3 x 3 block above which its items scan at merge time
 * rather than have their neighbours listed. */
#define CROWD_MAX 48

/* Moves a cursor of the sorted pairs forward to the first key >= lo. */
static size_t skip_below(const struct pair *pr, size_t m, size_t at, uint64_t lo)
{
	while (at < m && pr[at].key < lo)
		at++;
	return at;
}

/* A sweep over the cells of pairs sorted by key, in key order, finding
 * each cell's 3 x 3 block: its parts of the rows above and below and of
 * its own row, between cursors that only move forward, as the blocks do
 * (memory is read in order). */
struct blocks {
	const struct pair *pr;
	size_t m;
	const struct grid *g;
	size_t ua, ue, oa, oe, da, de; /* cursors: row above, own row, row below */
};

/* The block of the cell pr[a, e): nr ranges lo[r]..hi[r], and where the
 * block's parts of the row above, its own row and the row below start
 * (m for a row off the world).  Returns how many pairs it holds. */
struct block {
	size_t lo[3], hi[3], nr;
	size_t up, own, down;
};

static size_t block_at(struct blocks *c, size_t a, size_t e, struct block *bl)
{
	const struct pair *pr = c->pr;
	const struct grid *g = c->g;
	size_t m = c->m;
	uint64_t mask = (1ull << g->cbits) - 1;
	uint64_t key = pr[a].key, cx = key & mask, cy = key >> g->cbits;
	uint64_t xl = cx ? cx - 1 : 0, xh = cx < g->cmax ? cx + 1 : cx;
	bl->nr = 0;
	c->oa = skip_below(pr, m, c->oa, cell_key(g, xl, cy));
	c->oe = skip_below(pr, m, c->oe > e ? c->oe : e, cell_key(g, xh, cy) + 1);
	bl->own = c->oa;
	bl->lo[bl->nr] = c->oa, bl->hi[bl->nr++] = c->oe;
	bl->up = bl->down = m;
	if (cy > 0) {
		bl->up = c->ua = skip_below(pr, m, c->ua, cell_key(g, xl, cy - 1));
		c->ue = skip_below(pr, m, c->ue > c->ua ? c->ue : c->ua, cell_key(g, xh, cy - 1) + 1);
		bl->lo[bl->nr] = c->ua, bl->hi[bl->nr++] = c->ue;
	}
	if (cy < g->cmax) {
		bl->down = c->da = skip_below(pr, m, c->da, cell_key(g, xl, cy + 1));
		c->de = skip_below(pr, m, c->de > c->da ? c->de : c->da, cell_key(g, xh, cy + 1) + 1);
		bl->lo[bl->nr] = c->da, bl->hi[bl->nr++] = c->de;
	}
	size_t n = 0;
	for (size_t r = 0; r < bl->nr; r++)
		n += bl->hi[r] - bl->lo[r];
	return n;
}

/* The end of the cell that starts at pr[a]. */
static size_t cell_end(const struct pair *pr, size_t m, size_t a)
{
	size_t e = a + 1;
	while (e < m && pr[e].key == pr[a].key)
		e++;
	return e;
}

/* One sweep over the cells finds each cell's 3 x 3 block.  An item alone
 * in its block has nobody near; in a block of at most CROWD_MAX items its
 * neighbours after it in rep order are listed (memory is read in order
 * here, not at merge time); in a larger one, where to scan is kept. */
static void sweep_cells(struct builder *b, const struct grid *g, int z)
{
	const struct pair *pr = b->pairs;
	size_t m = b->np, ncrowd = 0;
	struct blocks c = {.pr = pr, .m = m, .g = g};
	b->nadj = 0;
	for (size_t a = 0, e; a < m; a = e) {
		e = cell_end(pr, m, a);
		struct block bl;
		size_t block = block_at(&c, a, e, &bl);
		if (block == 1)
			continue; /* nobody near: not ST_BUSY */
		for (size_t i = a; i < e; i++) {
			uint32_t item = pr[i].item;
			b->state[item] = ST_BUSY;
			if (block > CROWD_MAX) {
				b->crowd[ncrowd] = (struct crowd){(uint32_t)i, (uint32_t)bl.up,
				                                  (uint32_t)bl.own, (uint32_t)bl.down};
				b->nbr[item] = (struct nbr){(uint32_t)ncrowd++, NBR_CROWDED};
				continue;
			}
			size_t off = b->nadj;
			struct witem self = {.x = pr[i].x, .y = pr[i].y};
			for (size_t r = 0; r < bl.nr; r++)
				for (size_t k = bl.lo[r]; k < bl.hi[r]; k++) {
					struct witem probe = {.x = pr[k].x, .y = pr[k].y};
					if (pr[k].item > item && within(b->rad256, z, b->rlim, &self, &probe))
						push_adj(b, pr[k].item);
				}
			b->nbr[item] = (struct nbr){(uint32_t)off, (uint32_t)(b->nadj - off)};
		}
	}
}

/* Records that ref was merged at zoom z: drawn from z + 1 upward. */
static void merged_at(struct builder *b, uint32_t ref, int z)
{
	if (ref & REF_NODE)
		b->bn[ref & ~REF_NODE].lo = (uint8_t)(z + 1);
	else
		b->site_lo[ref] = (uint8_t)(z + 1);
}

static int cmp_u32(const void *a, const void *c)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)c;
	return (x > y) - (x < y);
}

/* Neighbours are a handful but where sites crowd: insertion below this. */
#define SORT_INSERTION_MAX 24

static void sort_u32(uint32_t *v, size_t n)
{
	if (n > SORT_INSERTION_MAX) {
		qsort(v, n, sizeof *v, cmp_u32);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Appends to nb the untaken items after seed j within the radius among
 * pr[k, ...) while their key is at most hi. */
struct near {
	uint32_t *v;
	size_t n, cap;
};

static void push_near(struct near *nb, uint32_t t)
{
	if (nb->n == nb->cap) {
		nb->cap = nb->cap ? 2 * nb->cap : 64;
		nb->v = xrealloc(nb->v, nb->cap * sizeof *nb->v);
	}
	nb->v[nb->n++] = t;
}

static void scan_cells(struct builder *b, int z, const struct witem *seed, uint32_t j, size_t k, uint64_t hi,
                       struct near *nb)
{
	const struct pair *pr = b->pairs;
	for (; k < b->np && pr[k].key <= hi; k++) {
		uint32_t t = pr[k].item;
		/* Every item before the seed is taken already (and its slot may
		 * hold a compacted item now). */
		if (t <= j)
			continue;
		struct witem probe = {.x = pr[k].x, .y = pr[k].y};
		if (!within(b->rad256, z, b->rlim, seed, &probe) || (b->state[t] & ST_TAKEN))
			continue;
		push_near(nb, t);
		__builtin_prefetch(&b->it[t]); /* read when the cluster is made */
	}
}

/* The near distances are kept in steps of 2^NEAR_SHIFT units, up to
 * UINT16_MAX steps. */
#define NEAR_SHIFT 4
/* The base grid's cell is twice the radius at NEAR_LEVELS levels below
 * max_zoom: the nearest sites are measured to about where they may still
 * be quiet (quiet_limit).  Without levels, cells of 2^BASE_SHIFT units. */
#define NEAR_LEVELS 3
#define BASE_SHIFT 16

/* The cells of the base grid (make_base): twice the radius at the lowest
 * of the NEAR_LEVELS levels below max_zoom where that is within the
 * range of witem.near.  False (and cells of 2^BASE_SHIFT units) when
 * there is no such level: nothing is measured then. */
static bool base_grid(const struct builder *b, struct grid *g)
{
	const struct cluster_params *p = b->p;
	g->shift = BASE_SHIFT;
	bool measure = false;
	for (int z = p->max_zoom - NEAR_LEVELS > p->min_zoom ? p->max_zoom - NEAR_LEVELS : p->min_zoom;
	     z <= p->max_zoom && !measure; z++) {
		uint64_t cell = 2 * radius_units(b->rad256, z);
		if (cell < (uint64_t)UINT16_MAX << NEAR_SHIFT) {
			g->shift = pow2_shift(cell);
			measure = true;
		}
	}
	g->cbits = 32 - g->shift;
	g->cmax = (1ull << g->cbits) - 1;
	return measure;
}

/* Sets near[site] for the sites sorted by the cells of g: the distance to
 * the nearest site at another position, rounded down to NEAR_SHIFT
 * steps, when below a cell; a cell when the site is alone in its 3 x 3
 * block (the others are farther); 0 in a block of more than CROWD_MAX
 * sites (unmeasured). */
static void measure_near(struct builder *b, const struct grid *g, size_t n, uint16_t *near)
{
	const struct pair *pr = b->pairs;
	uint64_t cell = 1ull << g->shift;
	struct blocks c = {.pr = pr, .m = n, .g = g};
	for (size_t a = 0, e; a < n; a = e) {
		e = cell_end(pr, n, a);
		struct block bl;
		bool crowded = block_at(&c, a, e, &bl) > CROWD_MAX;
		for (size_t i = a; i < e; i++) {
			uint64_t best = cell * cell; /* squared */
			for (size_t r = 0; !crowded && r < bl.nr; r++)
				for (size_t k = bl.lo[r]; k < bl.hi[r]; k++) {
					uint64_t dx =
					    pr[i].x > pr[k].x ? pr[i].x - pr[k].x : pr[k].x - pr[i].x;
					uint64_t dy =
					    pr[i].y > pr[k].y ? pr[i].y - pr[k].y : pr[k].y - pr[i].y;
					if (dx >= cell || dy >= cell || (dx | dy) == 0)
						continue;
					if (dx * dx + dy * dy < best)
						best = dx * dx + dy * dy;
				}
			uint64_t d = crowded ? 0 : (uint64_t)sqrt((double)best);
			d = d ? (d - 1) >> NEAR_SHIFT : 0; /* (the square root may round up) */
			near[pr[i].item] = d < UINT16_MAX ? (uint16_t)d : UINT16_MAX;
			if (near[pr[i].item] > b->near_max)
				b->near_max = near[pr[i].item];
		}
	}
}

/* A base item is quiet at zoom z, alone within the radius r, when its
 * near (in NEAR_SHIFT steps) is above this.  Every item of zoom z + 1
 * other than it has its sites within b->spread of it (the largest
 * spread of the clusters made so far: each cluster's is measured when it
 * is made, from what it merged, by reach; a base item's sites are at its
 * position), and those sites are other than the base item's own; so an
 * item within r of it would bring a site within r + spread.  A base
 * item farther than that from every other site is carried over, and,
 * as r and the spread only grow as the zooms go down, it was at every
 * level before. */
static uint64_t quiet_limit(const struct builder *b, int z)
{
	return (radius_units(b->rad256, z) + b->spread) >> NEAR_SHIFT;
}

/* How far from (x, y) an item's sites lie at most: its distance from
 * there, rounded up, and its own spread. */
static uint64_t reach(const struct builder *b, const struct witem *it, uint32_t x, uint32_t y)
{
	double dx = (double)it->x - x, dy = (double)it->y - y;
	uint64_t own = it->ref & REF_NODE ? b->bn[it->ref & ~REF_NODE].spread : 0;
	return (uint64_t)ceil(sqrt(dx * dx + dy * dy)) + 1 + own;
}

/* A cluster's coordinate: the count-weighted mean, rounded to the
 * nearest unit (the same in a build and a patch). */
static uint32_t centre(uint64_t sum, uint64_t count)
{
	return (uint32_t)((sum + count / 2) / count);
}

/* Makes zoom z from the items of zoom z + 1 (see the top comment). */
static void make_level(struct builder *b, int z)
{
	size_t m = b->m;
	b->rlim = 0;
	if (z <= RADIUS_SHIFT && (uint64_t)b->rad256 << (RADIUS_SHIFT - z) < (1ull << 31))
		b->rlim = (uint64_t)b->rad256 << (RADIUS_SHIFT - z);
	struct grid g;
	g.shift = cell_shift(b->rad256, z);
	g.cbits = g.shift >= 32 ? 1 : 32 - g.shift;
	g.cmax = (1ull << g.cbits) - 1;
	/* A quiet item has nobody within the radius: it is carried over
	 * without a place in the grid (see quiet_limit). */
	uint64_t quiet = quiet_limit(b, z);
	b->measure_spread = quiet < b->near_max; /* else nobody is quiet here, nor below */
	size_t np = 0;
	for (size_t i = 0; i < m; i++) {
		const struct witem *it = &b->it[i];
		if (it->near > quiet) {
			b->quiet++;
			continue;
		}
		uint64_t cx = g.shift >= 32 ? 0 : it->x >> g.shift, cy = g.shift >= 32 ? 0 : it->y >> g.shift;
		b->pairs[np++] = (struct pair){cell_key(&g, cx, cy), (uint32_t)i, it->x, it->y};
	}
	b->np = np;
	radix_sort(b, np, 2 * g.cbits);
	memset(b->state, 0, m);
	sweep_cells(b, &g, z);

	uint64_t mask = (1ull << g.cbits) - 1;
	struct near nb = {0};
	size_t w = 0;
	for (size_t j = 0; j < m; j++) {
		if (j + PREFETCH_AHEAD < m) {
			/* Rep order visits the lists (and crowded rows) far apart:
			 * start loading those of an item a few ahead. */
			const struct nbr *ahead = &b->nbr[j + PREFETCH_AHEAD];
			if (!(b->state[j + PREFETCH_AHEAD] & ST_BUSY)) {
				/* nothing to load */
			} else if (ahead->n == NBR_CROWDED) {
				const struct crowd *c = &b->crowd[ahead->off];
				__builtin_prefetch(&b->pairs[c->own]);
				__builtin_prefetch(&b->pairs[c->up < np ? c->up : c->at]);
				__builtin_prefetch(&b->pairs[c->down < np ? c->down : c->at]);
			} else if (ahead->n) {
				__builtin_prefetch(&b->adj[ahead->off]);
			}
		}
		if (b->state[j] & ST_TAKEN)
			continue;
		struct witem seed = b->it[j];
		const struct nbr *near = &b->nbr[j];
		if (!(b->state[j] & ST_BUSY) || near->n == 0) {
			b->it[w++] = seed; /* nobody near: carried over */
			continue;
		}
		nb.n = 0;
		if (near->n != NBR_CROWDED) {
			for (size_t k = near->off; k < near->off + near->n; k++) {
				uint32_t t = b->adj[k];
				if (!(b->state[t] & ST_TAKEN))
					push_near(&nb, t);
				__builtin_prefetch(&b->it[t]); /* read when the cluster is made */
			}
		} else {
			/* Untaken items within the radius, from the 3 x 3 cells. */
			const struct crowd *c = &b->crowd[near->off];
			uint64_t key = b->pairs[c->at].key, cx = key & mask, cy = key >> g.cbits;
			uint64_t xh = cx < g.cmax ? cx + 1 : cx;
			if (cy > 0)
				scan_cells(b, z, &seed, (uint32_t)j, c->up, cell_key(&g, xh, cy - 1), &nb);
			scan_cells(b, z, &seed, (uint32_t)j, c->own, cell_key(&g, xh, cy), &nb);
			if (cy < g.cmax)
				scan_cells(b, z, &seed, (uint32_t)j, c->down, cell_key(&g, xh, cy + 1), &nb);
		}
		b->state[j] = ST_TAKEN;
		if (nb.n == 0) {
			b->it[w++] = seed;
			continue;
		}
		sort_u32(nb.v, nb.n); /* rep order */
		uint32_t id = new_bnode(b);
		/* Every site counts once in a sum, and there are fewer than 2^31
		 * of them (cluster_build): the sums stay below 2^63. */
		uint64_t sx = (uint64_t)seed.x * seed.count, sy = (uint64_t)seed.y * seed.count;
		uint64_t count = seed.count;
		uint8_t flags = seed.flags;
		uint32_t child = (uint32_t)b->nch;
		push_child(b, seed.ref);
		merged_at(b, seed.ref, z);
		for (size_t k = 0; k < nb.n; k++) {
			const struct witem *c = &b->it[nb.v[k]];
			sx += (uint64_t)c->x * c->count;
			sy += (uint64_t)c->y * c->count;
			count += c->count;
			flags |= c->flags;
			b->state[nb.v[k]] = ST_TAKEN;
			push_child(b, c->ref);
			merged_at(b, c->ref, z);
		}
		uint32_t cx = centre(sx, count), cy = centre(sy, count);
		uint64_t spread = 0;
		if (b->measure_spread) {
			spread = reach(b, &seed, cx, cy);
			for (size_t k = 0; k < nb.n; k++) {
				uint64_t r = reach(b, &b->it[nb.v[k]], cx, cy);
				spread = r > spread ? r : spread;
			}
			b->spread = spread > b->spread ? spread : b->spread;
		}
		struct bnode *bn = &b->bn[id];
		*bn = (struct bnode){cx,
		                     cy,
		                     (uint32_t)count,
		                     child,
		                     (uint32_t)nb.n + 1,
		                     spread < UINT32_MAX ? (uint32_t)spread : UINT32_MAX,
		                     flags,
		                     (uint8_t)b->p->min_zoom,
		                     (uint8_t)z};
		b->it[w++] = (struct witem){bn->x, bn->y, bn->count, REF_NODE | id, seed.rep, flags, 0};
	}
	free(nb.v);
	b->m = w;
}

/* Sorts a cell's sites, in index order, by position (y, then x, their
 * offsets in the cell: lowbits bits each), keeping index order among
 * sites at one position: by insertion when they are few, else by a
 * stable radix sort of those offsets through tmp. */
static void sort_cell(struct pair *v, struct pair *tmp, size_t n, int lowbits)
{
	if (n <= SORT_INSERTION_MAX) {
		for (size_t i = 1; i < n; i++) {
			struct pair x = v[i];
			size_t j = i;
			for (; j > 0 && (v[j - 1].y > x.y || (v[j - 1].y == x.y && v[j - 1].x > x.x)); j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	uint64_t key = v[0].key, low = (1ull << lowbits) - 1;
	for (size_t i = 0; i < n; i++)
		v[i].key = ((v[i].y & low) << lowbits) | (v[i].x & low);
	struct pair *src = v, *dst = tmp;
	radix_pairs(&src, &dst, n, 2 * lowbits);
	if (src != v)
		memcpy(v, src, n * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i].key = key;
}

/* Roles of a site in the base level. */
#define BASE_SINGLE UINT32_MAX
#define BASE_MEMBER (UINT32_MAX - 1)

/* The base level: the sites in index order, sites at one position merged
 * into one cluster that is drawn at every zoom, each item with its
 * distance to the nearest other site (measure_near, for quiet_limit).
 * One radix sort by the cells of the base grid, and each cell by position
 * and index, put a position's sites together, the smallest index first. */
static void make_base(struct builder *b, const uint32_t *x, const uint32_t *y, const uint8_t *flags, size_t n)
{
	struct grid g;
	bool measure = base_grid(b, &g);
	for (size_t i = 0; i < n; i++)
		b->pairs[i] =
		    (struct pair){cell_key(&g, x[i] >> g.shift, y[i] >> g.shift), (uint32_t)i, x[i], y[i]};
	radix_sort(b, n, 2 * g.cbits);
	for (size_t a = 0, e; a < n; a = e) {
		e = cell_end(b->pairs, n, a);
		if (e - a > 1)
			sort_cell(b->pairs + a, b->tmp, e - a, g.shift);
	}
	uint16_t *near = xcalloc(n ? n : 1, sizeof *near);
	if (measure)
		measure_near(b, &g, n, near);
	uint32_t *role = b->role; /* BASE_SINGLE, BASE_MEMBER, or its cluster */
	const struct pair *pr = b->pairs;
	for (size_t a = 0, e; a < n; a = e) {
		e = a + 1;
		while (e < n && pr[e].x == pr[a].x && pr[e].y == pr[a].y)
			e++;
		uint32_t first = pr[a].item;
		if (e - a == 1) {
			role[first] = BASE_SINGLE;
			continue;
		}
		uint32_t id = new_bnode(b);
		uint8_t f = 0;
		for (size_t k = a; k < e; k++) {
			uint32_t site = pr[k].item;
			f |= flags ? flags[site] : 0;
			role[site] = BASE_MEMBER;
			b->site_lo[site] = LO_NEVER;
		}
		role[first] = id;
		b->bn[id] = (struct bnode){x[first],
		                           y[first],
		                           (uint32_t)(e - a),
		                           (uint32_t)b->nch,
		                           (uint32_t)(e - a),
		                           0,
		                           f,
		                           (uint8_t)b->p->min_zoom,
		                           (uint8_t)(b->p->max_zoom + 1)};
		for (size_t k = a; k < e; k++)
			push_child(b, pr[k].item);
	}
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t r = role[i];
		if (r == BASE_MEMBER)
			continue;
		if (r == BASE_SINGLE)
			b->it[w++] = (struct witem){
			    x[i], y[i], 1, (uint32_t)i, (uint32_t)i, flags ? flags[i] : 0, near[i]};
		else
			b->it[w++] = (struct witem){x[i],        y[i],           b->bn[r].count, REF_NODE | r,
			                            (uint32_t)i, b->bn[r].flags, near[i]};
	}
	free(near);
	b->m = w;
}

/* Numbers the clusters in preorder, children in rep order, and lays the
 * sites out in members order. */
static void number_nodes(struct cluster_tree *t, const struct builder *b)
{
	struct frame {
		uint32_t bn, next;
	} stack[NLEVELS + 2];
	size_t np = 0, next_id = 0;
	for (size_t r = 0; r < b->m; r++) {
		uint32_t ref = b->it[r].ref;
		if (!(ref & REF_NODE)) {
			t->perm[np++] = ref;
			continue;
		}
		size_t depth = 0;
		for (;;) {
			if (ref != UINT32_MAX) { /* enter a cluster */
				const struct bnode *bn = &b->bn[ref & ~REF_NODE];
				t->node[next_id++] = (struct cnode){
				    bn->x, bn->y, bn->count, (uint32_t)np, bn->flags, bn->lo, bn->hi};
				stack[depth++] = (struct frame){ref & ~REF_NODE, 0};
			}
			struct frame *f = &stack[depth - 1];
			const struct bnode *bn = &b->bn[f->bn];
			if (f->next == bn->nchild) {
				if (--depth == 0)
					break;
				ref = UINT32_MAX; /* back to the parent */
				continue;
			}
			ref = b->children[bn->child + f->next++];
			if (!(ref & REF_NODE)) {
				t->perm[np++] = ref;
				ref = UINT32_MAX;
			}
		}
	}
}

/* What a patch (cluster_patch) keeps of the old hierarchy's lay-out: a
 * band whose sites and positions are all as they were, and a zoom's list
 * whose clusters are all old ones copied whole, are already in a k-d
 * order of the same points.  Kept rather than sorted again, a level may
 * order items of equal x otherwise than a build would, which no window
 * can tell: a window's answer depends on the positions alone. */
struct reuse {
	const struct cluster_tree *old;
	const bool *band_same;    /* per zoom lo */
	const uint32_t *node_new; /* an old cluster's id in the new hierarchy, or CLUSTER_NONE */
};

/* Can zoom z's list of clusters be the old one's, renumbered?  When every
 * cluster of the old list was copied whole and is still drawn at z, and
 * there are as many as the new hierarchy draws there. */
static bool list_same(const struct cluster_tree *t, const struct reuse *r, int z, size_t n)
{
	const struct cluster_tree *o = r->old;
	if (o->list_off[z + 1] - o->list_off[z] != n)
		return false;
	for (size_t i = o->list_off[z]; i < o->list_off[z + 1]; i++) {
		uint32_t k = r->node_new[o->list[i]];
		if (k == CLUSTER_NONE || t->node[k].lo > z || t->node[k].hi < z)
			return false;
	}
	return true;
}

/* The bands of single sites and the per-zoom lists of clusters, each
 * level sorted into its k-d order, or, for a patch (r not NULL), taken
 * from the old hierarchy where it is the same. */
static void lay_out(struct cluster_tree *t, const struct builder *b, const uint32_t *x, const uint32_t *y,
                    const struct reuse *r)
{
	bool keep[NLEVELS] = {0};
	size_t count[NLEVELS + 1] = {0};
	for (size_t i = 0; i < t->n; i++)
		if (b->site_lo[i] != LO_NEVER)
			count[b->site_lo[i]]++;
	size_t at = 0;
	for (int z = 0; z <= NLEVELS; z++) {
		t->band_off[z] = at;
		at += z < NLEVELS ? count[z] : 0;
	}
	t->band = xmalloc((at ? at : 1) * sizeof *t->band);
	for (int z = 0; r && z < NLEVELS; z++)
		if ((keep[z] = r->band_same[z] && count[z] &&
		               count[z] == r->old->band_off[z + 1] - r->old->band_off[z]))
			memcpy(t->band + t->band_off[z], r->old->band + r->old->band_off[z],
			       count[z] * sizeof *t->band);
	size_t fill[NLEVELS];
	memcpy(fill, t->band_off, sizeof fill);
	for (size_t i = 0; i < t->n; i++)
		if (b->site_lo[i] != LO_NEVER && !keep[b->site_lo[i]])
			t->band[fill[b->site_lo[i]]++] = (struct kpt){x[i], y[i], (uint32_t)i};
	size_t longest = 1;
	for (int z = 0; z < NLEVELS; z++)
		if (!keep[z] && t->band_off[z + 1] - t->band_off[z] > longest)
			longest = t->band_off[z + 1] - t->band_off[z];
	struct kd_scratch sc = {xmalloc(longest * sizeof *sc.ys), xmalloc(longest * sizeof *sc.tmp)};
	for (int z = 0; z < NLEVELS; z++)
		if (!keep[z])
			kd_sort(t->band, t->band_off[z], t->band_off[z + 1], &sc);

	memset(count, 0, sizeof count);
	for (size_t k = 0; k < t->nnodes; k++)
		for (int z = t->node[k].lo; z <= t->node[k].hi; z++)
			count[z]++;
	at = 0;
	for (int z = 0; z <= NLEVELS; z++) {
		t->list_off[z] = at;
		at += z < NLEVELS ? count[z] : 0;
	}
	t->list = xmalloc((at ? at : 1) * sizeof *t->list);
	for (int z = 0; z < NLEVELS; z++) {
		keep[z] = r && count[z] && list_same(t, r, z, count[z]);
		for (size_t i = 0; keep[z] && i < count[z]; i++)
			t->list[t->list_off[z] + i] = r->node_new[r->old->list[r->old->list_off[z] + i]];
	}
	struct kpt *tmp = xmalloc((at ? at : 1) * sizeof *tmp);
	memcpy(fill, t->list_off, sizeof fill);
	for (size_t k = 0; k < t->nnodes; k++)
		for (int z = t->node[k].lo; z <= t->node[k].hi; z++)
			if (!keep[z])
				tmp[fill[z]++] = (struct kpt){t->node[k].x, t->node[k].y, (uint32_t)k};
	for (int z = 0; z < NLEVELS; z++) {
		size_t n = t->list_off[z + 1] - t->list_off[z];
		if (!keep[z] && n > longest) {
			longest = n;
			sc.ys = xrealloc(sc.ys, longest * sizeof *sc.ys);
			sc.tmp = xrealloc(sc.tmp, longest * sizeof *sc.tmp);
		}
	}
	for (int z = 0; z < NLEVELS; z++) {
		if (keep[z])
			continue;
		kd_sort(tmp, t->list_off[z], t->list_off[z + 1], &sc);
		for (size_t i = t->list_off[z]; i < t->list_off[z + 1]; i++)
			t->list[i] = tmp[i].v;
	}
	free(sc.ys);
	free(sc.tmp);
	free(tmp);
}

struct cluster_tree *cluster_build(const double *lat, const double *lon, const uint8_t *flags, size_t n,
                                   const struct cluster_params *p, struct ms_error *err)
{
	if (!(p->radius_px > 0 && p->radius_px <= CLUSTER_RADIUS_MAX) || p->min_zoom < 0 ||
	    p->min_zoom > p->max_zoom + 1 || p->max_zoom >= CLUSTER_ZOOM_LIMIT) {
		ms_fail(err, MS_EUSAGE,
		        "clusters: radius %g px, zooms %d..%d: need 0 < radius <= %g and 0 <= min <= max + "
		        "1, max < %d",
		        p->radius_px, p->min_zoom, p->max_zoom, CLUSTER_RADIUS_MAX, CLUSTER_ZOOM_LIMIT);
		return NULL;
	}
	if (n >= REF_NODE) {
		ms_fail(err, MS_EUSAGE, "clusters: %zu sites is more than they can hold", n);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(lat[i] >= -90 && lat[i] <= 90) || !(lon[i] >= -180 && lon[i] <= 180)) {
			ms_fail(err, MS_EDATA, "clusters: site %zu: latitude %g, longitude %g out of range",
			        i, lat[i], lon[i]);
			return NULL;
		}
	}
	struct cluster_tree *t = xcalloc(1, sizeof *t);
	t->p = *p;
	t->rad256 = cluster_radius_steps_(p->radius_px);
	t->p.radius_px = (double)t->rad256 / RADIUS_STEPS;
	t->n = n;
	size_t cap = n ? n : 1;
	uint32_t *x = xmalloc(cap * sizeof *x), *y = xmalloc(cap * sizeof *y);
	for (size_t i = 0; i < n; i++)
		cluster_position(lat[i], lon[i], &x[i], &y[i]);

	struct builder b = {0};
	b.p = &t->p;
	b.rad256 = t->rad256;
	b.it = xmalloc(cap * sizeof *b.it);
	b.pairs = xmalloc(cap * sizeof *b.pairs);
	b.tmp = xmalloc(cap * sizeof *b.tmp);
	b.nbr = xmalloc(cap * sizeof *b.nbr);
	b.crowd = xmalloc(cap * sizeof *b.crowd);
	b.role = xmalloc(cap * sizeof *b.role);
	b.state = xmalloc(cap);
	b.site_lo = xmalloc(cap);
	memset(b.site_lo, p->min_zoom, cap);
	/* The arrays that grow start at about their final sizes (a million
	 * sites: 0.5-0.6 million nodes, 1.5-1.6 million children, up to a
	 * million neighbours at a level).  Reserved, they hold no memory until
	 * written; grown by doubling from 1,024 they were copied and filled
	 * afresh at every step, a fifth of the start-up's page faults. */
	b.bncap = cap;
	b.bn = xmalloc(b.bncap * sizeof *b.bn);
	b.chcap = 2 * cap;
	b.children = xmalloc(b.chcap * sizeof *b.children);
	b.adjcap = cap;
	b.adj = xmalloc(b.adjcap * sizeof *b.adj);
	make_base(&b, x, y, flags, n);
	for (int z = p->max_zoom; z >= p->min_zoom; z--)
		make_level(&b, z);
	free(b.pairs);
	free(b.tmp);
	free(b.nbr);
	free(b.crowd);
	free(b.adj);
	free(b.role);
	free(b.state);

	t->quiet = b.quiet;
	t->nnodes = b.nbn;
	t->node = xmalloc((b.nbn ? b.nbn : 1) * sizeof *t->node);
	t->perm = xmalloc(cap * sizeof *t->perm);
	number_nodes(t, &b);
	t->flags = xcalloc(cap, 1);
	if (flags)
		memcpy(t->flags, flags, n);
	lay_out(t, &b, x, y, NULL);
	free(b.it);
	free(b.bn);
	free(b.children);
	free(b.site_lo);
	free(x);
	free(y);
	return t;
}

void cluster_free(struct cluster_tree *t)
{
	if (!t)
		return;
	if (t->mem_) { /* decoded: every array is in it (cluster_codec.c) */
		free(t->mem_);
		free(t);
		return;
	}
	free(t->node);
	free(t->perm);
	free(t->flags);
	free(t->band);
	free(t->list);
	free(t);
}

size_t cluster_memory(const struct cluster_tree *t)
{
	if (!t)
		return 0;
	return sizeof *t + t->nnodes * sizeof *t->node + t->n * (sizeof *t->perm + sizeof *t->flags) +
	       t->band_off[NLEVELS] * sizeof *t->band + t->list_off[NLEVELS] * sizeof *t->list;
}

struct cluster_params cluster_get_params(const struct cluster_tree *t)
{
	return t->p;
}

bool cluster_params_same(const struct cluster_params *a, const struct cluster_params *b)
{
	bool a_none = a->max_zoom < a->min_zoom, b_none = b->max_zoom < b->min_zoom;
	if (a_none || b_none) /* the radius is never used: only where the single level starts counts */
		return a_none && b_none && a->min_zoom == b->min_zoom;
	return a->min_zoom == b->min_zoom && a->max_zoom == b->max_zoom &&
	       cluster_radius_steps_(a->radius_px) == cluster_radius_steps_(b->radius_px);
}

void cluster_params_key(const struct cluster_params *p, char key[CLUSTER_KEY_MAX])
{
	if (p->max_zoom < p->min_zoom) /* no level: the radius plays no part */
		snprintf(key, CLUSTER_KEY_MAX, "clusters none z%d", p->min_zoom);
	else
		snprintf(key, CLUSTER_KEY_MAX, "clusters r%u/%d z%d-%d", cluster_radius_steps_(p->radius_px),
		         RADIUS_STEPS, p->min_zoom, p->max_zoom);
}

size_t cluster_sites(const struct cluster_tree *t)
{
	return t ? t->n : 0;
}

bool cluster_patchable(const struct cluster_tree *t)
{
	return t && !t->mem_;
}

/* ------------------------------------------------------------ querying */

struct query {
	const struct cluster_tree *t;
	const struct cluster_window *w;
	struct cluster_items *out;
	size_t visited;
};

static bool in_window(const struct cluster_window *w, uint32_t x, uint32_t y)
{
	return x >= w->x0 && x <= w->x1 && y >= w->y0 && y <= w->y1;
}

static void push_item(struct cluster_items *out, struct cluster_item it)
{
	if (out->n == out->cap) {
		out->cap = out->cap ? 2 * out->cap : 64;
		out->v = xrealloc(out->v, out->cap * sizeof *out->v);
		free(out->spare_); /* made again at the new size when needed */
		out->spare_ = NULL;
	}
	out->v[out->n++] = it;
}

static void emit_site(struct query *q, const struct kpt *k)
{
	if (in_window(q->w, k->x, k->y))
		push_item(q->out,
		          (struct cluster_item){k->x, k->y, 1, k->v, CLUSTER_NONE, q->t->flags[k->v]});
}

static void emit_node(struct query *q, uint32_t id)
{
	const struct cnode *c = &q->t->node[id];
	if (in_window(q->w, c->x, c->y))
		push_item(q->out,
		          (struct cluster_item){c->x, c->y, c->count, q->t->perm[c->begin], id, c->flags});
}

static void query_band(struct query *q, const struct kpt *a, size_t lo, size_t hi, int axis)
{
	q->visited++;
	if (hi - lo <= KD_LEAF) {
		for (size_t i = lo; i < hi; i++)
			emit_site(q, &a[i]);
		q->visited += hi - lo;
		return;
	}
	size_t m = lo + (hi - lo) / 2;
	emit_site(q, &a[m]);
	q->visited++;
	uint32_t c = kcoord(&a[m], axis);
	if ((axis ? q->w->y0 : q->w->x0) <= c)
		query_band(q, a, lo, m, !axis);
	if ((axis ? q->w->y1 : q->w->x1) >= c)
		query_band(q, a, m + 1, hi, !axis);
}

static void query_list(struct query *q, const uint32_t *ids, size_t lo, size_t hi, int axis)
{
	q->visited++;
	if (hi - lo <= KD_LEAF) {
		for (size_t i = lo; i < hi; i++)
			emit_node(q, ids[i]);
		q->visited += hi - lo;
		return;
	}
	size_t m = lo + (hi - lo) / 2;
	emit_node(q, ids[m]);
	q->visited++;
	const struct cnode *c = &q->t->node[ids[m]];
	uint32_t v = axis ? c->y : c->x;
	if ((axis ? q->w->y0 : q->w->x0) <= v)
		query_list(q, ids, lo, m, !axis);
	if ((axis ? q->w->y1 : q->w->x1) >= v)
		query_list(q, ids, m + 1, hi, !axis);
}

/* Items below this many are sorted by insertion; above, by radix. */
#define SORT_SMALL 32
/* Bits of first per radix pass: three passes cover 32 bits. */
#define SORT_BITS 11

/* Puts out's items in increasing order of first (all distinct): a crowded
 * window holds a hundred thousand items, whose comparison sort cost more
 * than the query, so three counting passes of 11 bits, stable, through the
 * spare buffer. */
static void sort_by_first(struct cluster_items *out)
{
	size_t n = out->n;
	if (n < SORT_SMALL) {
		for (size_t i = 1; i < n; i++) {
			struct cluster_item it = out->v[i];
			size_t j = i;
			for (; j > 0 && out->v[j - 1].first > it.first; j--)
				out->v[j] = out->v[j - 1];
			out->v[j] = it;
		}
		return;
	}
	if (!out->spare_)
		out->spare_ = xmalloc(out->cap * sizeof *out->spare_);
	struct cluster_item *src = out->v, *dst = out->spare_;
	for (int shift = 0; shift < 32; shift += SORT_BITS) {
		size_t count[1u << SORT_BITS] = {0};
		uint32_t mask = (1u << SORT_BITS) - 1;
		for (size_t i = 0; i < n; i++)
			count[(src[i].first >> shift) & mask]++;
		size_t at = 0;
		for (size_t b = 0; b <= mask; b++) {
			size_t c = count[b];
			count[b] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].first >> shift) & mask]++] = src[i];
		struct cluster_item *t = src;
		src = dst;
		dst = t;
	}
	if (src != out->v) { /* an odd number of passes ends in the spare */
		out->spare_ = out->v;
		out->v = src;
	}
}

/* The level a zoom shows (see the top comment). */
static int level_of(const struct cluster_tree *t, int zoom)
{
	if (zoom < t->p.min_zoom)
		return t->p.min_zoom;
	if (zoom > t->p.max_zoom + 1)
		return t->p.max_zoom + 1;
	return zoom;
}

size_t cluster_query(const struct cluster_tree *t, int zoom, const struct cluster_window *w,
                     struct cluster_items *out, struct cluster_stats *st)
{
	out->n = 0;
	struct query q = {t, w, out, 0};
	if (t && t->n > 0 && w->x0 <= w->x1 && w->y0 <= w->y1) {
		int z = level_of(t, zoom);
		for (int b = t->p.min_zoom; b <= z; b++)
			if (t->band_off[b + 1] > t->band_off[b])
				query_band(&q, t->band, t->band_off[b], t->band_off[b + 1], 0);
		if (t->list_off[z + 1] > t->list_off[z])
			query_list(&q, t->list, t->list_off[z], t->list_off[z + 1], 0);
		if (out->n > 1)
			sort_by_first(out);
	}
	if (st)
		st->visited = q.visited;
	return out->n;
}

size_t cluster_items_memory(const struct cluster_items *items)
{
	return items->cap * sizeof *items->v * (items->spare_ ? 2 : 1);
}

void cluster_items_free(struct cluster_items *items)
{
	free(items->v);
	free(items->spare_);
	memset(items, 0, sizeof *items);
}

size_t cluster_members(const struct cluster_tree *t, uint32_t node, const uint32_t **sites)
{
	if (!t || node >= t->nnodes) {
		*sites = NULL;
		return 0;
	}
	*sites = t->perm + t->node[node].begin;
	return t->node[node].count;
}

int cluster_expansion_zoom(const struct cluster_tree *t, uint32_t node)
{
	if (!t || node >= t->nnodes)
		return -1;
	return t->node[node].hi + 1;
}

void cluster_get_info(const struct cluster_tree *t, struct cluster_info *info)
{
	memset(info, 0, sizeof *info);
	if (!t)
		return;
	info->sites = t->n;
	info->nodes = t->nnodes;
	info->quiet = t->quiet;
	for (int z = 0; z < NLEVELS; z++) {
		int l = level_of(t, z);
		info->alive[z] = t->list_off[l + 1] - t->list_off[l];
		info->single[z] = t->band_off[l + 1] - t->band_off[t->p.min_zoom];
	}
}

/* ------------------------------------------------------------ patching
 *
 * When a few sites move (or change flags) and the others stand still,
 * most of a hierarchy is what it was.  Greedy clustering in rep order has
 * a closed form that says how little: at each level, an item is a seed
 * when no seed before it in rep order is within the radius of it, and
 * otherwise belongs to the first such seed.  So an item's fate depends
 * on the items before it within the radius and on their fates alone, and
 * a change spreads only forward in rep order, from an item whose fate
 * (seed or not) or position changed to the items within the radius of it
 * (at its old and its new position).  A patch visits, level by level,
 * those items in rep order (a heap), deciding each one's fate from its
 * neighbours: the changed ones as just decided, the others as the old
 * hierarchy has them.  The seeds whose clusters gained, lost or changed a
 * member are made anew; they are the changes (delta) of the level below.
 * Neighbours are found with the old hierarchy's own window queries, less
 * the items the delta replaces, plus the delta's new ones.
 *
 * What comes out is the hierarchy cluster_build makes of the new sites:
 * a cluster that none of this touched keeps its whole subtree, copied as
 * a block when the clusters are numbered.  The bands and lists (the k-d
 * orders) that nothing changed are kept, renumbered; the others are laid
 * out anew, which was most of a patch's time when all of them were
 * (lay_out says what a kept level may store otherwise than a build). */

/* An item of a level: ref is a site, or REF_NODE | k, an old cluster when
 * k < the old tree's nnodes (its subtree unchanged), else a new one
 * (builder node k - nnodes). */
struct pitem {
	uint32_t x, y, count, rep, ref;
	uint8_t flags;
};

/* A rep whose item at a level differs from the old hierarchy's: the old
 * item (when there was one) and the new one (when there is one). */
struct pdelta {
	uint32_t rep;
	bool has_old, has_new;
	uint32_t old_ref, ox, oy;
	struct pitem now;
};

/* An item whose fate at the level being made is decided anew. */
struct pcand {
	struct pitem it;        /* in the new level (unless gone) */
	bool gone;              /* a delta rep with no new item: only its old neighbours matter */
	bool in_delta, has_old; /* has_old: old_ref, ox, oy are its old item */
	uint32_t old_ref, ox, oy;
	bool seed;
	uint32_t owner; /* the rep of the seed it belongs to (its own when a seed) */
};

/* A touched seed: its rep and its item's ref in the new level. */
struct ptouch {
	uint32_t rep, ref;
};

struct patcher {
	const struct cluster_tree *old;
	struct builder b;     /* the new clusters: bn[k] is ref REF_NODE | (nn + k) */
	uint32_t nn;          /* old->nnodes */
	uint32_t *x, *y;      /* every site's new position */
	const uint8_t *flags; /* every site's new flags (NULL: none) */
	uint32_t *invperm;    /* old: a site's place in perm */
	uint32_t *parent;     /* old: a cluster's parent, or CLUSTER_NONE */
	uint8_t *lo;          /* new: the old clusters' lo */
	uint32_t *node_new;   /* an old cluster's id in the new hierarchy (renumber) */
	uint32_t *rep;        /* new clusters' reps (repcap) */
	size_t repcap;
	struct pdelta *delta; /* the level above's, in rep order */
	size_t nd, dcap;
	struct pitem *fresh; /* its new items, by x (neighbours) */
	size_t nfresh, freshcap;
	struct pdelta *next; /* the level being made's */
	size_t nnext, nextcap;
	struct pcand *cand;
	size_t nc, ccap;
	uint32_t *slot; /* open addressing: rep + 1 -> candidate + 1 */
	size_t slots;
	uint32_t *heap; /* candidates' reps not yet decided */
	size_t nheap, hcap;
	struct ptouch *touch;
	size_t nt, tcap;
	struct cluster_items q; /* query scratch */
	struct pitem *nb;       /* neighbours scratch */
	size_t nnb, nbcap;
};

static void *grow(void *v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return v;
	*cap = *cap ? 2 * *cap : 64;
	if (*cap < need)
		*cap = need;
	return xrealloc(v, *cap * size);
}

/* The old tree's deepest cluster holding place pos of perm, or
 * CLUSTER_NONE: the last cluster in preorder starting at or before pos
 * is it or one of its descendants (clusters nest). */
static uint32_t old_holder(const struct patcher *pt, uint32_t pos)
{
	const struct cnode *node = pt->old->node;
	size_t lo = 0, hi = pt->nn;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (node[mid].begin <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint32_t k = lo ? (uint32_t)(lo - 1) : CLUSTER_NONE;
	while (k != CLUSTER_NONE && node[k].begin + node[k].count <= pos)
		k = pt->parent[k];
	return k;
}

/* The rep of an old item at level z + 1's owner at level z in the old
 * hierarchy, and (*par) the cluster it was merged into there, or
 * CLUSTER_NONE when it was carried over alone. */
static uint32_t old_owner(const struct patcher *pt, uint32_t ref, int z, uint32_t *par)
{
	const struct cluster_tree *t = pt->old;
	uint32_t p, rep;
	int lo;
	if (ref & REF_NODE) {
		uint32_t k = ref & ~REF_NODE;
		p = pt->parent[k];
		lo = t->node[k].lo;
		rep = t->perm[t->node[k].begin];
	} else {
		p = old_holder(pt, pt->invperm[ref]);
		lo = p == CLUSTER_NONE ? t->p.min_zoom : t->node[p].hi + 1;
		rep = ref;
	}
	if (lo != z + 1) {
		*par = CLUSTER_NONE;
		return rep;
	}
	*par = p;
	return t->perm[t->node[p].begin];
}

/* The first child of old cluster k (its seed at the zoom it was made). */
static uint32_t old_first_child(const struct patcher *pt, uint32_t k)
{
	const struct cnode *node = pt->old->node;
	if (k + 1 < pt->nn && node[k + 1].begin == node[k].begin)
		return REF_NODE | (k + 1);
	return pt->old->perm[node[k].begin];
}

/* The first old cluster after k's subtree in preorder. */
static uint32_t old_subtree_end(const struct patcher *pt, uint32_t k)
{
	const struct cnode *node = pt->old->node;
	uint32_t end = node[k].begin + node[k].count;
	size_t lo = k + 1, hi = pt->nn;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (node[mid].begin < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

/* The item a ref stands for in the new hierarchy (an unchanged old one,
 * or a new one). */
static struct pitem pitem_of(const struct patcher *pt, uint32_t ref)
{
	if (!(ref & REF_NODE))
		return (struct pitem){pt->x[ref], pt->y[ref], 1, ref, ref, pt->flags ? pt->flags[ref] : 0};
	uint32_t k = ref & ~REF_NODE;
	if (k < pt->nn) {
		const struct cnode *c = &pt->old->node[k];
		return (struct pitem){c->x, c->y, c->count, pt->old->perm[c->begin], ref, c->flags};
	}
	const struct bnode *c = &pt->b.bn[k - pt->nn];
	return (struct pitem){c->x, c->y, c->count, pt->rep[k - pt->nn], ref, c->flags};
}

/* A new cluster (builder node) whose first site is rep. */
static uint32_t new_pnode(struct patcher *pt, uint32_t rep)
{
	uint32_t id = new_bnode(&pt->b);
	pt->rep = grow(pt->rep, &pt->repcap, (size_t)id + 1, sizeof *pt->rep);
	pt->rep[id] = rep;
	return id;
}

static void set_lo(struct patcher *pt, uint32_t ref, int lo)
{
	if (!(ref & REF_NODE))
		pt->b.site_lo[ref] = (uint8_t)lo;
	else if ((ref & ~REF_NODE) < pt->nn)
		pt->lo[ref & ~REF_NODE] = (uint8_t)lo;
	else
		pt->b.bn[(ref & ~REF_NODE) - pt->nn].lo = (uint8_t)lo;
}

/* The delta entry of rep at the level above, or NULL. */
static const struct pdelta *delta_of(const struct patcher *pt, uint32_t rep)
{
	size_t lo = 0, hi = pt->nd;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pt->delta[mid].rep < rep)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < pt->nd && pt->delta[lo].rep == rep ? &pt->delta[lo] : NULL;
}

/* The items of the new level z + 1 within the radius of zoom z of
 * (x, y), into pt->nb. */
static void neighbours(struct patcher *pt, int z, uint64_t rlim, uint32_t x, uint32_t y)
{
	uint64_t r = radius_units(pt->b.rad256, z);
	struct cluster_window w = {x > r ? (uint32_t)(x - r) : 0, y > r ? (uint32_t)(y - r) : 0,
	                           (uint64_t)x + r < UINT32_MAX ? (uint32_t)(x + r) : UINT32_MAX,
	                           (uint64_t)y + r < UINT32_MAX ? (uint32_t)(y + r) : UINT32_MAX};
	struct witem at = {.x = x, .y = y};
	pt->nnb = 0;
	cluster_query(pt->old, z + 1, &w, &pt->q, NULL);
	for (size_t i = 0; i < pt->q.n; i++) {
		const struct cluster_item *c = &pt->q.v[i];
		struct witem probe = {.x = c->x, .y = c->y};
		if (delta_of(pt, c->first) || !within(pt->b.rad256, z, rlim, &at, &probe))
			continue;
		pt->nb = grow(pt->nb, &pt->nbcap, pt->nnb + 1, sizeof *pt->nb);
		pt->nb[pt->nnb++] = (struct pitem){c->x,
		                                   c->y,
		                                   c->count,
		                                   c->first,
		                                   c->node == CLUSTER_NONE ? c->first : REF_NODE | c->node,
		                                   c->flags};
	}
	size_t lo = 0, hi = pt->nfresh;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pt->fresh[mid].x < w.x0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < pt->nfresh && pt->fresh[i].x <= w.x1; i++) {
		struct witem probe = {.x = pt->fresh[i].x, .y = pt->fresh[i].y};
		if (!within(pt->b.rad256, z, rlim, &at, &probe))
			continue;
		pt->nb = grow(pt->nb, &pt->nbcap, pt->nnb + 1, sizeof *pt->nb);
		pt->nb[pt->nnb++] = pt->fresh[i];
	}
}

static int cmp_pitem_x(const void *a, const void *c)
{
	const struct pitem *x = a, *y = c;
	if (x->x != y->x)
		return (x->x > y->x) - (x->x < y->x);
	return (x->rep > y->rep) - (x->rep < y->rep);
}

/* The delta's new items by x, for neighbours: a patch of k moves asks
 * about k items' neighbours a level, which must not each scan the k. */
static void index_delta(struct patcher *pt)
{
	pt->nfresh = 0;
	for (size_t i = 0; i < pt->nd; i++)
		if (pt->delta[i].has_new) {
			pt->fresh = grow(pt->fresh, &pt->freshcap, pt->nfresh + 1, sizeof *pt->fresh);
			pt->fresh[pt->nfresh++] = pt->delta[i].now;
		}
	if (pt->nfresh > 1)
		qsort(pt->fresh, pt->nfresh, sizeof *pt->fresh, cmp_pitem_x);
}

/* The candidate of rep, or NULL. */
static struct pcand *cand_of(struct patcher *pt, uint32_t rep)
{
	if (!pt->slots)
		return NULL;
	for (size_t h = (rep * 0x9E3779B1u) & (pt->slots - 1);; h = (h + 1) & (pt->slots - 1)) {
		if (!pt->slot[h])
			return NULL;
		if (pt->cand[pt->slot[h] - 1].it.rep == rep)
			return &pt->cand[pt->slot[h] - 1];
	}
}

static void heap_push(struct patcher *pt, uint32_t rep)
{
	pt->heap = grow(pt->heap, &pt->hcap, pt->nheap + 1, sizeof *pt->heap);
	size_t i = pt->nheap++;
	for (; i > 0 && pt->heap[(i - 1) / 2] > rep; i = (i - 1) / 2)
		pt->heap[i] = pt->heap[(i - 1) / 2];
	pt->heap[i] = rep;
}

static uint32_t heap_pop(struct patcher *pt)
{
	uint32_t top = pt->heap[0], last = pt->heap[--pt->nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= pt->nheap)
			break;
		if (c + 1 < pt->nheap && pt->heap[c + 1] < pt->heap[c])
			c++;
		if (pt->heap[c] >= last)
			break;
		pt->heap[i] = pt->heap[c];
		i = c;
	}
	if (pt->nheap)
		pt->heap[i] = last;
	return top;
}

/* Adds it as a candidate (with c's other fields) unless it is one. */
static void add_cand(struct patcher *pt, const struct pcand *c)
{
	if (cand_of(pt, c->it.rep))
		return;
	if (2 * (pt->nc + 1) > pt->slots) { /* rehash at half full */
		size_t slots = pt->slots ? 2 * pt->slots : 256;
		free(pt->slot);
		pt->slot = xcalloc(slots, sizeof *pt->slot);
		pt->slots = slots;
		for (size_t i = 0; i < pt->nc; i++) {
			size_t h = (pt->cand[i].it.rep * 0x9E3779B1u) & (slots - 1);
			while (pt->slot[h])
				h = (h + 1) & (slots - 1);
			pt->slot[h] = (uint32_t)i + 1;
		}
	}
	pt->cand = grow(pt->cand, &pt->ccap, pt->nc + 1, sizeof *pt->cand);
	pt->cand[pt->nc] = *c;
	size_t h = (c->it.rep * 0x9E3779B1u) & (pt->slots - 1);
	while (pt->slot[h])
		h = (h + 1) & (pt->slots - 1);
	pt->slot[h] = (uint32_t)++pt->nc;
	heap_push(pt, c->it.rep);
}

static void add_touch(struct patcher *pt, uint32_t rep, uint32_t ref)
{
	pt->touch = grow(pt->touch, &pt->tcap, pt->nt + 1, sizeof *pt->touch);
	pt->touch[pt->nt++] = (struct ptouch){rep, ref};
}

/* Pushes the neighbours in pt->nb after rep as candidates. */
static void push_after(struct patcher *pt, uint32_t rep)
{
	for (size_t i = 0; i < pt->nnb; i++)
		if (pt->nb[i].rep > rep)
			add_cand(pt, &(struct pcand){.it = pt->nb[i],
			                             .has_old = true,
			                             .old_ref = pt->nb[i].ref,
			                             .ox = pt->nb[i].x,
			                             .oy = pt->nb[i].y});
}

/* Decides the fate at level z of candidate rep (every candidate before it
 * in rep order decided). */
static void decide(struct patcher *pt, int z, uint64_t rlim, uint32_t rep)
{
	struct pcand *c = cand_of(pt, rep);
	uint32_t opar = CLUSTER_NONE, oo = c->has_old ? old_owner(pt, c->old_ref, z, &opar) : CLUSTER_NONE;
	if (c->gone) { /* its old owner loses it, its old neighbours may be seeds now */
		add_touch(pt, oo, opar == CLUSTER_NONE ? c->old_ref : old_first_child(pt, opar));
		neighbours(pt, z, rlim, c->ox, c->oy);
		push_after(pt, rep);
		return;
	}
	/* Its owner: the first seed before it within the radius. */
	neighbours(pt, z, rlim, c->it.x, c->it.y);
	uint32_t owner = CLUSTER_NONE, owner_ref = 0;
	for (size_t i = 0; i < pt->nnb; i++) {
		const struct pitem *u = &pt->nb[i];
		if (u->rep >= rep || u->rep >= owner)
			continue;
		const struct pcand *cu = cand_of(pt, u->rep);
		uint32_t par;
		bool seed = cu ? cu->seed : old_owner(pt, u->ref, z, &par) == u->rep;
		if (seed)
			owner = u->rep, owner_ref = u->ref;
	}
	c->seed = owner == CLUSTER_NONE;
	c->owner = c->seed ? rep : owner;
	/* The seeds whose clusters change: its old owner's and its new one's. */
	bool oseed = c->has_old && oo == rep;
	if (c->in_delta || !c->has_old || oo != c->owner) {
		if (c->has_old)
			add_touch(pt, oo, opar == CLUSTER_NONE ? c->old_ref : old_first_child(pt, opar));
		add_touch(pt, c->owner, c->seed ? c->it.ref : owner_ref);
	}
	/* Whom it may change: the items after it near where it is, and where
	 * it was (add_cand may move the candidates: c is read first). */
	if (c->in_delta || c->seed != oseed) {
		uint32_t ox = c->ox, oy = c->oy;
		bool moved = c->in_delta && c->has_old;
		push_after(pt, rep);
		if (moved) {
			neighbours(pt, z, rlim, ox, oy);
			push_after(pt, rep);
		}
	}
}

/* Old cluster k's children in rep order, into pt->nb. */
static void old_children(struct patcher *pt, uint32_t k)
{
	const struct cnode *node = pt->old->node;
	uint32_t pos = node[k].begin, end = pos + node[k].count, j = k + 1;
	pt->nnb = 0;
	while (pos < end) {
		uint32_t ref;
		if (j < pt->nn && node[j].begin == pos) {
			ref = REF_NODE | j;
			pos += node[j].count;
			j = old_subtree_end(pt, j);
		} else {
			ref = pt->old->perm[pos++];
		}
		pt->nb = grow(pt->nb, &pt->nbcap, pt->nnb + 1, sizeof *pt->nb);
		pt->nb[pt->nnb++] = pitem_of(pt, ref);
	}
}

static int cmp_touch(const void *a, const void *c)
{
	const struct ptouch *x = a, *y = c;
	return (x->rep > y->rep) - (x->rep < y->rep);
}

static int cmp_pitem_rep(const void *a, const void *c)
{
	const struct pitem *x = a, *y = c;
	return (x->rep > y->rep) - (x->rep < y->rep);
}

/* The cluster (or the carried-over item, without members) of seed s with
 * the members pt->nb[0, pt->nnb) (rep order), made at zoom z. */
static struct pitem make_cluster(struct patcher *pt, const struct pitem *s, int z)
{
	if (pt->nnb == 0) {
		set_lo(pt, s->ref, pt->old->p.min_zoom); /* until merged below */
		return *s;
	}
	uint32_t id = new_pnode(pt, s->rep);
	uint64_t sx = (uint64_t)s->x * s->count, sy = (uint64_t)s->y * s->count, count = s->count;
	uint8_t flags = s->flags;
	uint32_t child = (uint32_t)pt->b.nch;
	push_child(&pt->b, s->ref);
	set_lo(pt, s->ref, z + 1);
	for (size_t k = 0; k < pt->nnb; k++) {
		const struct pitem *c = &pt->nb[k];
		sx += (uint64_t)c->x * c->count;
		sy += (uint64_t)c->y * c->count;
		count += c->count;
		flags |= c->flags;
		push_child(&pt->b, c->ref);
		set_lo(pt, c->ref, z + 1);
	}
	struct bnode *bn = &pt->b.bn[id];
	*bn = (struct bnode){centre(sx, count),
	                     centre(sy, count),
	                     (uint32_t)count,
	                     child,
	                     (uint32_t)pt->nnb + 1,
	                     0,
	                     flags,
	                     (uint8_t)pt->old->p.min_zoom,
	                     (uint8_t)z};
	return (struct pitem){bn->x, bn->y, bn->count, s->rep, REF_NODE | (pt->nn + id), flags};
}

/* Makes the delta of zoom z from that of zoom z + 1. */
static void patch_level(struct patcher *pt, int z)
{
	uint64_t rlim = 0;
	if (z <= RADIUS_SHIFT && (uint64_t)pt->b.rad256 << (RADIUS_SHIFT - z) < (1ull << 31))
		rlim = (uint64_t)pt->b.rad256 << (RADIUS_SHIFT - z);
	pt->nc = pt->nheap = pt->nt = 0;
	if (pt->slots)
		memset(pt->slot, 0, pt->slots * sizeof *pt->slot);
	for (size_t i = 0; i < pt->nd; i++) {
		const struct pdelta *d = &pt->delta[i];
		struct pcand c = {.it = d->now,
		                  .gone = !d->has_new,
		                  .in_delta = true,
		                  .has_old = d->has_old,
		                  .old_ref = d->old_ref,
		                  .ox = d->ox,
		                  .oy = d->oy};
		c.it.rep = d->rep;
		add_cand(pt, &c);
	}
	while (pt->nheap)
		decide(pt, z, rlim, heap_pop(pt));

	/* The members of the touched seeds: the decided candidates by owner. */
	size_t nm = 0;
	for (size_t i = 0; i < pt->nc; i++)
		if (!pt->cand[i].gone && !pt->cand[i].seed)
			nm++;
	struct ptouch *by_owner = xmalloc((nm ? nm : 1) * sizeof *by_owner);
	nm = 0;
	for (size_t i = 0; i < pt->nc; i++)
		if (!pt->cand[i].gone && !pt->cand[i].seed)
			by_owner[nm++] = (struct ptouch){pt->cand[i].owner, (uint32_t)i};
	if (nm > 1)
		qsort(by_owner, nm, sizeof *by_owner, cmp_touch);

	if (pt->nt > 1)
		qsort(pt->touch, pt->nt, sizeof *pt->touch, cmp_touch);
	pt->nnext = 0;
	size_t at = 0;
	for (size_t i = 0; i < pt->nt; i++) {
		if (i > 0 && pt->touch[i].rep == pt->touch[i - 1].rep)
			continue;
		uint32_t s = pt->touch[i].rep;
		const struct pcand *cs = cand_of(pt, s);
		struct pitem item;
		bool new_seed, old_seed = false;
		uint32_t par = CLUSTER_NONE, old_ref = 0, ox = 0, oy = 0;
		if (cs) {
			new_seed = !cs->gone && cs->seed;
			item = cs->it;
			if (cs->has_old) {
				old_seed = old_owner(pt, cs->old_ref, z, &par) == s;
				old_ref = cs->old_ref, ox = cs->ox, oy = cs->oy;
			}
		} else { /* decided as before: a seed then and now */
			item = pitem_of(pt, pt->touch[i].ref);
			old_owner(pt, item.ref, z, &par);
			new_seed = old_seed = true;
			old_ref = item.ref, ox = item.x, oy = item.y;
		}
		struct pdelta d = {.rep = s, .has_old = old_seed, .has_new = new_seed};
		if (old_seed) {
			if (par != CLUSTER_NONE)
				d.old_ref = REF_NODE | par, d.ox = pt->old->node[par].x,
				d.oy = pt->old->node[par].y;
			else
				d.old_ref = old_ref, d.ox = ox, d.oy = oy;
		}
		if (new_seed) {
			/* Its members: the old ones not decided anew, and the
			 * candidates that are its now. */
			if (old_seed && par != CLUSTER_NONE) {
				old_children(pt, par);
				size_t w = 0;
				for (size_t k = 1; k < pt->nnb; k++) /* [0] is the seed */
					if (!cand_of(pt, pt->nb[k].rep))
						pt->nb[w++] = pt->nb[k];
				pt->nnb = w;
			} else {
				pt->nnb = 0;
			}
			while (at < nm && by_owner[at].rep < s)
				at++;
			for (; at < nm && by_owner[at].rep == s; at++) {
				pt->nb = grow(pt->nb, &pt->nbcap, pt->nnb + 1, sizeof *pt->nb);
				pt->nb[pt->nnb++] = pt->cand[by_owner[at].ref].it;
			}
			if (pt->nnb > 1)
				qsort(pt->nb, pt->nnb, sizeof *pt->nb, cmp_pitem_rep);
			d.now = make_cluster(pt, &item, z);
		}
		pt->next = grow(pt->next, &pt->nextcap, pt->nnext + 1, sizeof *pt->next);
		pt->next[pt->nnext++] = d;
	}
	free(by_owner);
	struct pdelta *t = pt->delta;
	size_t cap = pt->dcap;
	pt->delta = pt->next, pt->nd = pt->nnext, pt->dcap = pt->nextcap;
	pt->next = t, pt->nnext = 0, pt->nextcap = cap;
	index_delta(pt);
}

static int cmp_pos(const void *a, const void *c)
{
	const uint64_t *x = a, *y = c;
	return (*x > *y) - (*x < *y);
}

static int cmp_pitem_yx(const void *a, const void *c)
{
	const struct pitem *p = a, *q = c;
	uint64_t x = (uint64_t)p->y << 32 | p->x, y = (uint64_t)q->y << 32 | q->x;
	return (x > y) - (x < y);
}

static int cmp_delta(const void *a, const void *c)
{
	const struct pdelta *x = a, *y = c;
	if (x->rep != y->rep)
		return (x->rep > y->rep) - (x->rep < y->rep);
	return (int)y->has_old - (int)x->has_old; /* the old half first */
}

/* The base level's delta: at every position a changed site left or came
 * to, the old item there and the new one (its sites, coincident ones
 * merged).  changed[] is increasing; (ox, oy) their old positions. */
static void patch_base(struct patcher *pt, const uint32_t *changed, const uint32_t *ox, const uint32_t *oy,
                       size_t nchanged)
{
	const struct cluster_tree *t = pt->old;
	int base = t->p.max_zoom + 1;
	uint64_t *pos = xmalloc((2 * nchanged + 1) * sizeof *pos);
	size_t np = 0;
	for (size_t i = 0; i < nchanged; i++) {
		uint32_t s = changed[i];
		pos[np++] = (uint64_t)oy[i] << 32 | ox[i];
		pos[np++] = (uint64_t)pt->y[s] << 32 | pt->x[s];
	}
	if (np > 1)
		if (np > 1)
			qsort(pos, np, sizeof *pos, cmp_pos);
	/* The changed sites by their new position (the key in the high bits,
	 * the site in the low), to find those that come to a position. */
	uint64_t *arrive = xmalloc((nchanged ? nchanged : 1) * sizeof *arrive);
	uint32_t *arrive_site = xmalloc((nchanged ? nchanged : 1) * sizeof *arrive_site);
	{
		struct pitem *tmp = xmalloc((nchanged ? nchanged : 1) * sizeof *tmp);
		for (size_t i = 0; i < nchanged; i++)
			tmp[i] =
			    (struct pitem){.x = pt->x[changed[i]], .y = pt->y[changed[i]], .rep = changed[i]};
		if (nchanged > 1)
			qsort(tmp, nchanged, sizeof *tmp, cmp_pitem_yx);
		for (size_t i = 0; i < nchanged; i++) {
			arrive[i] = (uint64_t)tmp[i].y << 32 | tmp[i].x;
			arrive_site[i] = tmp[i].rep;
		}
		free(tmp);
	}
	struct pdelta *d = NULL;
	size_t nd = 0, dcap = 0;
	uint32_t *sites = NULL;
	size_t nsites = 0, scap = 0;
	for (size_t i = 0; i < np; i++) {
		if (i > 0 && pos[i] == pos[i - 1])
			continue;
		uint32_t x = (uint32_t)pos[i], y = (uint32_t)(pos[i] >> 32);
		struct cluster_window w = {x, y, x, y};
		cluster_query(t, base, &w, &pt->q, NULL);
		nsites = 0;
		for (size_t k = 0; k < pt->q.n; k++) { /* one item at most: coincident sites are one */
			const struct cluster_item *c = &pt->q.v[k];
			d = grow(d, &dcap, nd + 1, sizeof *d);
			d[nd++] = (struct pdelta){.rep = c->first,
			                          .has_old = true,
			                          .old_ref =
			                              c->node == CLUSTER_NONE ? c->first : REF_NODE | c->node,
			                          .ox = x,
			                          .oy = y};
			size_t m = c->node == CLUSTER_NONE ? 1 : c->count;
			const uint32_t *member =
			    c->node == CLUSTER_NONE ? &c->first : t->perm + t->node[c->node].begin;
			for (size_t j = 0; j < m; j++) {
				if (bsearch(&member[j], changed, nchanged, sizeof *changed, cmp_u32))
					continue; /* it stands where the new positions say */
				sites = grow(sites, &scap, nsites + 1, sizeof *sites);
				sites[nsites++] = member[j];
			}
		}
		size_t lo = 0, hi = nchanged;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (arrive[mid] < pos[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t k = lo; k < nchanged && arrive[k] == pos[i]; k++) {
			sites = grow(sites, &scap, nsites + 1, sizeof *sites);
			sites[nsites++] = arrive_site[k];
		}
		if (nsites == 0)
			continue;
		sort_u32(sites, nsites);
		struct pitem now = pitem_of(pt, sites[0]);
		if (nsites == 1) {
			pt->b.site_lo[sites[0]] = (uint8_t)t->p.min_zoom; /* until merged */
		} else {
			uint32_t id = new_pnode(pt, sites[0]);
			uint8_t f = 0;
			for (size_t k = 0; k < nsites; k++) {
				f |= pt->flags ? pt->flags[sites[k]] : 0;
				pt->b.site_lo[sites[k]] = LO_NEVER;
			}
			pt->b.bn[id] = (struct bnode){
			    x, y, (uint32_t)nsites,       (uint32_t)pt->b.nch, (uint32_t)nsites,
			    0, f, (uint8_t)t->p.min_zoom, (uint8_t)base};
			for (size_t k = 0; k < nsites; k++)
				push_child(&pt->b, sites[k]);
			now = (struct pitem){x, y, (uint32_t)nsites, sites[0], REF_NODE | (pt->nn + id), f};
		}
		d = grow(d, &dcap, nd + 1, sizeof *d);
		d[nd++] = (struct pdelta){.rep = now.rep, .has_new = true, .now = now};
	}
	free(sites);
	free(pos);
	free(arrive);
	free(arrive_site);
	/* One entry a rep: the old half and the new half joined. */
	if (nd > 1)
		qsort(d, nd, sizeof *d, cmp_delta);
	size_t w = 0;
	for (size_t i = 0; i < nd; i++) {
		if (w > 0 && d[w - 1].rep == d[i].rep) {
			if (d[i].has_new)
				d[w - 1].has_new = true, d[w - 1].now = d[i].now;
			continue;
		}
		d[w++] = d[i];
	}
	free(pt->delta);
	pt->delta = d, pt->nd = w, pt->dcap = dcap;
	index_delta(pt);
}

/* Numbers the new hierarchy's clusters in preorder from ref on: an old
 * cluster's subtree is a block of the old numbering and of perm. */
static void renumber(struct patcher *pt, struct cluster_tree *t, uint32_t ref, size_t *nnode, size_t *np)
{
	if (!(ref & REF_NODE)) {
		t->perm[(*np)++] = ref;
		return;
	}
	uint32_t k = ref & ~REF_NODE;
	if (k < pt->nn) {
		const struct cluster_tree *o = pt->old;
		uint32_t end = old_subtree_end(pt, k), from = o->node[k].begin;
		for (uint32_t j = k; j < end; j++) {
			pt->node_new[j] = (uint32_t)*nnode;
			t->node[*nnode] = o->node[j];
			t->node[(*nnode)++].begin = o->node[j].begin - from + (uint32_t)*np;
		}
		t->node[*nnode - (end - k)].lo = pt->lo[k];
		memcpy(t->perm + *np, o->perm + from, o->node[k].count * sizeof *t->perm);
		*np += o->node[k].count;
		return;
	}
	const struct bnode *bn = &pt->b.bn[k - pt->nn];
	t->node[(*nnode)++] =
	    (struct cnode){bn->x, bn->y, bn->count, (uint32_t)*np, bn->flags, bn->lo, bn->hi};
	for (uint32_t c = 0; c < bn->nchild; c++)
		renumber(pt, t, pt->b.children[bn->child + c], nnode, np);
}

struct cluster_tree *cluster_patch(const struct cluster_tree *old, const double *lat, const double *lon,
                                   const uint8_t *flags, size_t n, const uint32_t *changed,
                                   const double *old_lat, const double *old_lon, size_t nchanged,
                                   struct ms_error *err)
{
	if (n != old->n) {
		ms_fail(err, MS_EUSAGE, "clusters: a patch keeps the %zu sites, not %zu", old->n, n);
		return NULL;
	}
	if (!cluster_patchable(old)) {
		ms_fail(err, MS_EUSAGE, "clusters: a decoded hierarchy is not patched (build one)");
		return NULL;
	}
	for (size_t i = 0; i < nchanged; i++) {
		uint32_t s = changed[i];
		if (s >= n || (i > 0 && s <= changed[i - 1])) {
			ms_fail(err, MS_EUSAGE,
			        "clusters: changed sites must be increasing indexes below %zu", n);
			return NULL;
		}
		if (!(lat[s] >= -90 && lat[s] <= 90) || !(lon[s] >= -180 && lon[s] <= 180)) {
			ms_fail(err, MS_EDATA, "clusters: site %u: latitude %g, longitude %g out of range", s,
			        lat[s], lon[s]);
			return NULL;
		}
	}
	size_t cap = n ? n : 1;
	struct patcher pt = {.old = old, .nn = (uint32_t)old->nnodes, .flags = flags};
	pt.b.p = &old->p;
	pt.b.rad256 = old->rad256;
	/* Every site's position and lo, from the old bands and base clusters. */
	pt.x = xmalloc(cap * sizeof *pt.x);
	pt.y = xmalloc(cap * sizeof *pt.y);
	pt.b.site_lo = xmalloc(cap);
	memset(pt.b.site_lo, LO_NEVER, cap);
	for (int z = 0; z < NLEVELS; z++)
		for (size_t i = old->band_off[z]; i < old->band_off[z + 1]; i++) {
			const struct kpt *k = &old->band[i];
			pt.x[k->v] = k->x, pt.y[k->v] = k->y;
			pt.b.site_lo[k->v] = (uint8_t)z;
		}
	for (size_t k = 0; k < old->nnodes; k++)
		if (old->node[k].hi == old->p.max_zoom + 1)
			for (uint32_t j = 0; j < old->node[k].count; j++) {
				uint32_t s = old->perm[old->node[k].begin + j];
				pt.x[s] = old->node[k].x, pt.y[s] = old->node[k].y;
			}
	uint32_t *ox = xmalloc((nchanged ? nchanged : 1) * sizeof *ox);
	uint32_t *oy = xmalloc((nchanged ? nchanged : 1) * sizeof *oy);
	for (size_t i = 0; i < nchanged; i++) {
		cluster_position(old_lat[i], old_lon[i], &ox[i], &oy[i]);
		cluster_position(lat[changed[i]], lon[changed[i]], &pt.x[changed[i]], &pt.y[changed[i]]);
	}
	pt.invperm = xmalloc(cap * sizeof *pt.invperm);
	for (size_t i = 0; i < n; i++)
		pt.invperm[old->perm[i]] = (uint32_t)i;
	pt.parent = xmalloc((old->nnodes ? old->nnodes : 1) * sizeof *pt.parent);
	pt.lo = xmalloc(old->nnodes ? old->nnodes : 1);
	uint32_t stack[NLEVELS + 2];
	size_t depth = 0;
	for (size_t k = 0; k < old->nnodes; k++) {
		const struct cnode *c = &old->node[k];
		while (depth &&
		       old->node[stack[depth - 1]].begin + old->node[stack[depth - 1]].count <= c->begin)
			depth--;
		pt.parent[k] = depth ? stack[depth - 1] : CLUSTER_NONE;
		stack[depth++] = (uint32_t)k;
		pt.lo[k] = c->lo;
	}

	uint8_t *old_lo = xmalloc(cap);
	memcpy(old_lo, pt.b.site_lo, cap);
	patch_base(&pt, changed, ox, oy, nchanged);
	for (int z = old->p.max_zoom; z >= old->p.min_zoom; z--)
		patch_level(&pt, z);
	/* The bands a changed site, or a site now single from another zoom,
	 * left or joined are laid out anew; the others are kept (lay_out). */
	bool band_same[NLEVELS + 1];
	for (int z = 0; z <= NLEVELS; z++)
		band_same[z] = true;
	for (size_t i = 0; i < n; i++)
		if (old_lo[i] != pt.b.site_lo[i]) /* LO_NEVER is past NLEVELS */
			band_same[old_lo[i] < NLEVELS ? old_lo[i] : NLEVELS] =
			    band_same[pt.b.site_lo[i] < NLEVELS ? pt.b.site_lo[i] : NLEVELS] = false;
	for (size_t i = 0; i < nchanged; i++) {
		uint8_t was = old_lo[changed[i]], is = pt.b.site_lo[changed[i]];
		band_same[was < NLEVELS ? was : NLEVELS] = band_same[is < NLEVELS ? is : NLEVELS] = false;
	}
	free(old_lo);

	/* The top level: the old one's items less the delta's, and its new. */
	static const struct cluster_window world = {0, 0, UINT32_MAX, UINT32_MAX};
	cluster_query(old, old->p.min_zoom, &world, &pt.q, NULL);
	size_t ntop = 0;
	struct pitem *top = xmalloc((pt.q.n + pt.nd + 1) * sizeof *top);
	for (size_t i = 0; i < pt.q.n; i++) {
		const struct cluster_item *c = &pt.q.v[i];
		if (!delta_of(&pt, c->first))
			top[ntop++] = (struct pitem){c->x,
			                             c->y,
			                             c->count,
			                             c->first,
			                             c->node == CLUSTER_NONE ? c->first : REF_NODE | c->node,
			                             c->flags};
	}
	for (size_t i = 0; i < pt.nd; i++)
		if (pt.delta[i].has_new)
			top[ntop++] = pt.delta[i].now;
	if (ntop > 1)
		qsort(top, ntop, sizeof *top, cmp_pitem_rep);

	struct cluster_tree *t = xcalloc(1, sizeof *t);
	t->p = old->p;
	t->rad256 = old->rad256;
	t->n = n;
	t->node = xmalloc((old->nnodes + pt.b.nbn + 1) * sizeof *t->node);
	t->perm = xmalloc(cap * sizeof *t->perm);
	size_t nnode = 0, np = 0;
	pt.node_new = xmalloc((old->nnodes ? old->nnodes : 1) * sizeof *pt.node_new);
	for (size_t k = 0; k < old->nnodes; k++)
		pt.node_new[k] = CLUSTER_NONE;
	for (size_t i = 0; i < ntop; i++)
		renumber(&pt, t, top[i].ref, &nnode, &np);
	t->nnodes = nnode;
	t->node = xrealloc(t->node, (nnode ? nnode : 1) * sizeof *t->node);
	t->flags = xcalloc(cap, 1);
	if (flags)
		memcpy(t->flags, flags, n);
	struct reuse r = {old, band_same, pt.node_new};
	lay_out(t, &pt.b, pt.x, pt.y, &r);

	free(top);
	free(ox);
	free(oy);
	free(pt.x);
	free(pt.y);
	free(pt.invperm);
	free(pt.parent);
	free(pt.lo);
	free(pt.node_new);
	free(pt.rep);
	free(pt.delta);
	free(pt.fresh);
	free(pt.next);
	free(pt.cand);
	free(pt.slot);
	free(pt.heap);
	free(pt.touch);
	free(pt.nb);
	cluster_items_free(&pt.q);
	free(pt.b.bn);
	free(pt.b.children);
	free(pt.b.site_lo);
	return t;
}

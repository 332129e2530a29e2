/*
 * test_index_cluster.c - the cluster hierarchy against a brute-force
 * reference clustering.
 *
 * The reference is supercluster's algorithm written the slow way here:
 * every zoom from the highest clustering zoom down, items in order of
 * their first site, each untaken item merged with every untaken item
 * within the radius (all pairs tested), clusters at the rounded
 * count-weighted mean, coincident sites merged first.  At every zoom 0..24
 * the hierarchy's picture of the whole world must be the reference's,
 * item by item (position, count, first site, flags, members); a window's
 * answer must be the world's answer cut to the window; sites at one
 * position must be one item at every zoom; answers must not depend on the
 * build, the thread or the order of queries; the work a window query does
 * is bounded by what it returns; the GCJ-02 rule finds exactly the items
 * whose shifted position is in a GCJ-02 tile; the memory is what the
 * header says; and a hierarchy kept as bytes (cluster_encode) decodes to
 * the same tree, while a block cut, flipped or with arrays that do not
 * form a hierarchy is refused.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "geo/geo.h"
#include "index/cluster.h"
#include "index/cluster_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define BIG_N 20000
#else
#define BIG_N 100000
#endif

static uint64_t rng_state = 0x1405E5A4F9C3B2D1ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double urand(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rng() >> 11) / 9007199254740992.0);
}

static size_t irand(size_t n)
{
	return (size_t)(rng() % n);
}

static double gauss(void)
{
	double u = urand(1e-12, 1), v = urand(0, 1);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* ---- data sets ---- */

enum kind { UNIFORM_SMALL, BLOBS, DUPLICATES, WORLD, CHINA };

static void make_sites(double *lat, double *lon, uint8_t *flags, size_t n, enum kind kind)
{
	double clat[8], clon[8];
	for (int c = 0; c < 8; c++) {
		clat[c] = urand(20, 50);
		clon[c] = urand(75, 130);
	}
	for (size_t i = 0; i < n; i++) {
		flags[i] = irand(7) == 0 ? (uint8_t)(1u << irand(8)) : 0;
		switch (kind) {
		case UNIFORM_SMALL: /* a county: clusters form at zooms 5..15 */
			lat[i] = urand(36.5, 37.0);
			lon[i] = urand(117.9, 118.5);
			break;
		case BLOBS: {
			int c = (int)irand(8);
			double s = irand(2) ? 0.01 : 0.3;
			lat[i] = fmax(-90, fmin(90, clat[c] + s * gauss()));
			lon[i] = fmax(-180, fmin(180, clon[c] + s * gauss()));
			break;
		}
		case DUPLICATES: /* few distinct positions, many sites on each */
			if (i > 0 && irand(3)) {
				size_t j = irand(i);
				lat[i] = lat[j];
				lon[i] = lon[j];
			} else {
				lat[i] = urand(36.7, 36.9);
				lon[i] = urand(118.0, 118.2);
			}
			break;
		case WORLD: /* poles and the antimeridian clamp and wrap nowhere */
			lat[i] = irand(10) ? urand(-90, 90) : (irand(2) ? 90 : -90);
			lon[i] = irand(10) ? urand(-180, 180) : (irand(2) ? 180 : -180);
			break;
		case CHINA:
			lat[i] = urand(18, 53);
			lon[i] = urand(73, 135);
			break;
		}
		if (i > 0 && irand(40) == 0) { /* exact duplicates everywhere */
			lat[i] = lat[i - 1];
			lon[i] = lon[i - 1];
		}
	}
}

/* ---- the reference ---- */

struct ritem {
	uint32_t x, y, count, first;
	uint8_t flags;
	uint32_t *members; /* sorted */
	size_t nm;
	bool cluster;
};

struct rlevel {
	struct ritem *v;
	size_t n;
};

static bool ref_within(const struct ritem *a, const struct ritem *b, double radius, int z)
{
	/* r = radius px = radius * 2^(24 - z) units, radius in 1/256 px */
	uint64_t r256 = (uint64_t)llround(radius * 256);
	if (r256 == 0)
		r256 = 1;
	__int128 dx = (__int128)a->x - b->x, dy = (__int128)a->y - b->y;
	__int128 lhs = (dx * dx + dy * dy) * 65536; /* (d * 256)^2 */
	__int128 r = (__int128)r256 << (24 - z);    /* (r * 256) units */
	return lhs <= r * r;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static struct ritem merge(const struct ritem *parts, const size_t *idx, size_t k)
{
	struct ritem r = {0};
	unsigned __int128 sx = 0, sy = 0;
	for (size_t j = 0; j < k; j++) {
		const struct ritem *p = &parts[idx[j]];
		sx += (unsigned __int128)p->x * p->count;
		sy += (unsigned __int128)p->y * p->count;
		r.count += p->count;
		r.flags |= p->flags;
		r.nm += p->nm;
	}
	r.x = (uint32_t)((sx + r.count / 2) / r.count);
	r.y = (uint32_t)((sy + r.count / 2) / r.count);
	r.first = parts[idx[0]].first;
	r.members = malloc(r.nm * sizeof *r.members);
	size_t at = 0;
	for (size_t j = 0; j < k; j++) {
		memcpy(r.members + at, parts[idx[j]].members, parts[idx[j]].nm * sizeof *r.members);
		at += parts[idx[j]].nm;
	}
	qsort(r.members, r.nm, sizeof *r.members, cmp_u32);
	r.cluster = true;
	return r;
}

/* levels[z] for z in min .. max + 1 */
static void reference(const double *lat, const double *lon, const uint8_t *flags, size_t n,
                      const struct cluster_params *p, struct rlevel *levels, size_t *nclusters)
{
	*nclusters = 0;
	struct ritem *sites = malloc((n + 1) * sizeof *sites);
	for (size_t i = 0; i < n; i++) {
		sites[i] = (struct ritem){0, 0, 1, (uint32_t)i, flags[i], malloc(sizeof(uint32_t)), 1, false};
		sites[i].members[0] = (uint32_t)i;
		cluster_position(lat[i], lon[i], &sites[i].x, &sites[i].y);
	}
	struct rlevel *base = &levels[p->max_zoom + 1];
	base->v = malloc((n + 1) * sizeof *base->v);
	base->n = 0;
	bool *used = calloc(n + 1, 1);
	size_t *idx = malloc((n + 1) * sizeof *idx);
	for (size_t i = 0; i < n; i++) {
		if (used[i])
			continue;
		size_t k = 0;
		for (size_t j = i; j < n; j++)
			if (!used[j] && sites[j].x == sites[i].x && sites[j].y == sites[i].y) {
				used[j] = true;
				idx[k++] = j;
			}
		if (k == 1) {
			base->v[base->n++] = sites[i];
			sites[i].members = NULL;
		} else {
			base->v[base->n++] = merge(sites, idx, k);
			(*nclusters)++;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(sites[i].members);
	free(sites);
	for (int z = p->max_zoom; z >= p->min_zoom; z--) {
		struct rlevel *up = &levels[z + 1], *lv = &levels[z];
		lv->v = malloc((up->n + 1) * sizeof *lv->v);
		lv->n = 0;
		bool *taken = calloc(up->n + 1, 1);
		for (size_t i = 0; i < up->n; i++) {
			if (taken[i])
				continue;
			taken[i] = true;
			size_t k = 0;
			idx[k++] = i;
			for (size_t j = i + 1; j < up->n; j++)
				if (!taken[j] && ref_within(&up->v[i], &up->v[j], p->radius_px, z)) {
					taken[j] = true;
					idx[k++] = j;
				}
			if (k == 1) {
				struct ritem c = up->v[i];
				c.members = malloc(c.nm * sizeof *c.members);
				memcpy(c.members, up->v[i].members, c.nm * sizeof *c.members);
				lv->v[lv->n++] = c;
			} else {
				lv->v[lv->n++] = merge(up->v, idx, k);
				(*nclusters)++;
			}
		}
		free(taken);
	}
	free(used);
	free(idx);
}

static void free_levels(struct rlevel *levels)
{
	for (int z = 0; z <= CLUSTER_ZOOM_LIMIT; z++) {
		for (size_t i = 0; i < levels[z].n; i++)
			free(levels[z].v[i].members);
		free(levels[z].v);
		levels[z].v = NULL;
		levels[z].n = 0;
	}
}

static const struct cluster_window world = {0, 0, UINT32_MAX, UINT32_MAX};

static bool item_eq(const struct cluster_item *a, const struct cluster_item *b)
{
	return a->x == b->x && a->y == b->y && a->count == b->count && a->first == b->first &&
	       a->node == b->node && a->flags == b->flags;
}

static bool items_eq(const struct cluster_items *a, const struct cluster_items *b)
{
	bool same = a->n == b->n;
	for (size_t i = 0; same && i < a->n; i++)
		same = item_eq(&a->v[i], &b->v[i]);
	return same;
}

/* The tile column (or row) at zoom z of a position in units. */
static long long tile_of(uint32_t u, int z)
{
	return (long long)((uint64_t)u >> (32 - z));
}

static int mismatches;

/* The hierarchy's picture at every zoom against the reference's. */
static void check_against_reference(const struct cluster_tree *t, const struct rlevel *levels,
                                    const struct cluster_params *p, size_t nclusters)
{
	struct cluster_items got = {0};
	struct cluster_info info;
	cluster_get_info(t, &info);
	CHECK_INT(info.nodes, nclusters);
	for (int z = 0; z <= CLUSTER_ZOOM_LIMIT; z++) {
		int l = z < p->min_zoom ? p->min_zoom : z > p->max_zoom + 1 ? p->max_zoom + 1 : z;
		const struct rlevel *want = &levels[l];
		cluster_query(t, z, &world, &got, NULL);
		bool same = got.n == want->n;
		for (size_t i = 0; same && i < got.n; i++) {
			const struct cluster_item *g = &got.v[i];
			const struct ritem *w = &want->v[i];
			same = g->x == w->x && g->y == w->y && g->count == w->count && g->first == w->first &&
			       g->flags == w->flags && (g->node != CLUSTER_NONE) == w->cluster;
			if (same && g->node != CLUSTER_NONE) {
				const uint32_t *m;
				size_t nm = cluster_members(t, g->node, &m);
				uint32_t *sorted = malloc(nm * sizeof *sorted);
				memcpy(sorted, m, nm * sizeof *sorted);
				qsort(sorted, nm, sizeof *sorted, cmp_u32);
				same = nm == w->nm && m[0] == g->first &&
				       memcmp(sorted, w->members, nm * sizeof *sorted) == 0;
				free(sorted);
				int ez = cluster_expansion_zoom(t, g->node);
				same = same && ez > l;
			}
		}
		CHECK_INT(info.alive[z] + info.single[z], want->n);
		if (!same && mismatches++ < 5)
			fprintf(stderr, "cluster mismatch at zoom %d (level %d): %zu items, reference %zu\n",
			        z, l, got.n, want->n);
		CHECK(same);
	}
	cluster_items_free(&got);
}

/* A window's answer is the world's answer cut to the window. */
static void check_windows(const struct cluster_tree *t, int nq)
{
	struct cluster_items all = {0}, got = {0};
	for (int k = 0; k < nq; k++) {
		int z = (int)irand(CLUSTER_ZOOM_LIMIT + 1);
		cluster_query(t, z, &world, &all, NULL);
		struct cluster_window w;
		if (all.n > 0 && irand(2)) { /* around an item, edges on items */
			const struct cluster_item *a = &all.v[irand(all.n)], *b = &all.v[irand(all.n)];
			w.x0 = a->x < b->x ? a->x : b->x;
			w.x1 = a->x < b->x ? b->x : a->x;
			w.y0 = a->y < b->y ? a->y : b->y;
			w.y1 = a->y < b->y ? b->y : a->y;
		} else {
			double la = urand(-85, 85), lo = urand(-180, 180);
			uint32_t x, y;
			cluster_position(la, lo, &x, &y);
			cluster_tile_window(z, tile_of(x, z), tile_of(y, z), urand(0, 64), &w);
		}
		cluster_query(t, z, &w, &got, NULL);
		size_t j = 0;
		bool same = true;
		for (size_t i = 0; i < all.n && same; i++) {
			const struct cluster_item *a = &all.v[i];
			if (a->x < w.x0 || a->x > w.x1 || a->y < w.y0 || a->y > w.y1)
				continue;
			same = j < got.n && item_eq(&got.v[j], a);
			j++;
		}
		CHECK(same && j == got.n);
	}
	/* an empty or inverted window */
	struct cluster_window inv = {10, 10, 5, 5};
	CHECK_INT(cluster_query(t, 3, &inv, &got, NULL), 0);
	cluster_items_free(&all);
	cluster_items_free(&got);
}

/* The hierarchy of these sites against the reference; returns its
 * cluster_info.quiet. */
static size_t check_sites(const double *lat, const double *lon, const uint8_t *flags, size_t n,
                          const struct cluster_params *p)
{
	struct ms_error err = {0};
	struct cluster_tree *t = cluster_build(lat, lon, flags, n, p, &err);
	CHECK_MSG(t != NULL, "%s", err.msg);
	if (!t)
		return 0;
	struct cluster_params rounded = cluster_get_params(t);
	struct rlevel levels[CLUSTER_ZOOM_LIMIT + 1] = {{0}};
	size_t nclusters;
	reference(lat, lon, flags, n, &rounded, levels, &nclusters);
	check_against_reference(t, levels, &rounded, nclusters);
	check_windows(t, 40);
	free_levels(levels);
	struct cluster_info info;
	cluster_get_info(t, &info);
	cluster_free(t);
	return info.quiet;
}

static void test_reference(enum kind kind, size_t n, const struct cluster_params *p)
{
	double *lat = malloc((n + 1) * sizeof *lat), *lon = malloc((n + 1) * sizeof *lon);
	uint8_t *flags = malloc(n + 1);
	make_sites(lat, lon, flags, n, kind);
	check_sites(lat, lon, flags, n, p);
	free(lat);
	free(lon);
	free(flags);
}

/* A site alone, whose nearest other site is just outside the radius r of
 * zoom z - 1 (2.02 times the radius of zoom z), has two sites on that
 * side that merge at zoom z, 0.94 of its radius apart, into a cluster
 * within r of it: at zoom z - 1 it must take that cluster, although no
 * site is within r.  Leaving out of the grid the sites whose nearest
 * other site is beyond the radius alone would miss it: the builder
 * counts the clusters' spread too (cluster.c's quiet_limit).  Such
 * trios, one per zoom, far apart, among sites scattered thinly enough
 * that most of them are carried over without a neighbour search at the
 * top levels. */
static void test_quiet_bound(void)
{
	enum { SCATTER = 1200 };
	static const struct cluster_params params[] = {{40, 0, 16}, {24, 3, 15}, {60, 5, 12}};
	for (size_t k = 0; k < sizeof params / sizeof *params; k++) {
		const struct cluster_params *p = &params[k];
		double lat[SCATTER + 3 * CLUSTER_ZOOM_LIMIT], lon[SCATTER + 3 * CLUSTER_ZOOM_LIMIT];
		uint8_t flags[SCATTER + 3 * CLUSTER_ZOOM_LIMIT] = {0};
		size_t n = 0;
		for (int z = p->max_zoom; z > p->min_zoom; z--) {
			double r =
			    p->radius_px * (double)(1u << (CLUSTER_ZOOM_LIMIT - z)); /* units at zoom z */
			/* a spot of its own for each trio: a 40 x 40 grid of the world's middle */
			uint32_t cx = (uint32_t)((0.3 + 0.4 * (double)(z % 40) / 40) * 4294967296.0);
			uint32_t cy = (uint32_t)((0.3 + 0.4 * (double)(z / 40 + k) / 4) * 4294967296.0);
			double ang = 13.5 * M_PI / 180;
			double px[3] = {cx, cx + 2.02 * r * cos(ang), cx + 2.02 * r * cos(ang)};
			double py[3] = {cy, cy + 2.02 * r * sin(ang), cy - 2.02 * r * sin(ang)};
			for (int j = 0; j < 3; j++) {
				cluster_unit_to_lonlat((uint32_t)llround(px[j]), (uint32_t)llround(py[j]),
				                       &lat[n], &lon[n]);
				n++;
			}
		}
		for (size_t i = 0; i < SCATTER; i++) { /* a few km apart in China */
			lat[n] = urand(18, 53);
			lon[n] = urand(73, 135);
			n++;
		}
		size_t quiet = check_sites(lat, lon, flags, n, p);
		CHECK_MSG(quiet > SCATTER, "radius %g: %zu sites carried over quiet", p->radius_px, quiet);
	}
}

static const double *place_lat, *place_lon;

/* Site indices by position, so that coincident sites are neighbours. */
static int cmp_place(const void *a, const void *b)
{
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	if (place_lat[i] != place_lat[j])
		return place_lat[i] < place_lat[j] ? -1 : 1;
	if (place_lon[i] != place_lon[j])
		return place_lon[i] < place_lon[j] ? -1 : 1;
	return (i > j) - (i < j);
}

/* Sites at one position are one item at every zoom, however many. */
static void test_coincident(void)
{
	enum { N = 3000 };
	static double lat[N], lon[N];
	static uint8_t flags[N];
	make_sites(lat, lon, flags, N, DUPLICATES);
	struct cluster_params p = {40, 0, 16};
	struct cluster_tree *t = cluster_build(lat, lon, flags, N, &p, NULL);
	CHECK(t != NULL);
	struct cluster_items got = {0};
	static uint32_t item_of[N], by_place[N];
	for (uint32_t i = 0; i < N; i++)
		by_place[i] = i;
	place_lat = lat, place_lon = lon;
	qsort(by_place, N, sizeof *by_place, cmp_place);
	for (int z = 0; z <= CLUSTER_ZOOM_LIMIT; z++) {
		cluster_query(t, z, &world, &got, NULL);
		size_t total = 0;
		for (size_t i = 0; i < got.n; i++) {
			const struct cluster_item *it = &got.v[i];
			total += it->count;
			if (it->node == CLUSTER_NONE) {
				item_of[it->first] = (uint32_t)i;
				continue;
			}
			const uint32_t *m;
			size_t nm = cluster_members(t, it->node, &m);
			for (size_t k = 0; k < nm; k++)
				item_of[m[k]] = (uint32_t)i;
		}
		CHECK_INT(total, N);
		size_t split = 0;
		for (size_t k = 1; k < N; k++) {
			uint32_t i = by_place[k - 1], j = by_place[k];
			split += lat[i] == lat[j] && lon[i] == lon[j] && item_of[i] != item_of[j];
		}
		CHECK_MSG(split == 0, "zoom %d: %zu coincident pairs split", z, split);
		/* and above the clustering zooms, no two items at one position */
		if (z > p.max_zoom) {
			uint64_t *key = malloc((got.n + 1) * sizeof *key);
			for (size_t i = 0; i < got.n; i++)
				key[i] = (uint64_t)got.v[i].y << 32 | got.v[i].x;
			qsort(key, got.n, sizeof *key, cmp_u64);
			size_t dup = 0;
			for (size_t i = 1; i < got.n; i++)
				dup += key[i] == key[i - 1];
			CHECK_INT(dup, 0);
			free(key);
		}
	}
	cluster_items_free(&got);
	cluster_free(t);
}

/* Two builds, many threads, any order: the same bytes. */
enum { DET_N = 20000, DET_Q = 200, DET_THREADS = 4 };

struct det {
	const struct cluster_tree *t;
	const struct cluster_window *w;
	const int *z;
	struct cluster_items *expect;
	int bad;
	int reverse;
};

static void *det_reader(void *arg)
{
	struct det *d = arg;
	struct cluster_items got = {0};
	for (int k = 0; k < DET_Q; k++) {
		int q = d->reverse ? DET_Q - 1 - k : k;
		cluster_query(d->t, d->z[q], &d->w[q], &got, NULL);
		d->bad += !items_eq(&got, &d->expect[q]);
	}
	cluster_items_free(&got);
	return NULL;
}

static void test_determinism(void)
{
	static double lat[DET_N], lon[DET_N];
	static uint8_t flags[DET_N];
	make_sites(lat, lon, flags, DET_N, BLOBS);
	struct cluster_params p = {50, 2, 15};
	struct cluster_tree *a = cluster_build(lat, lon, flags, DET_N, &p, NULL);
	struct cluster_tree *b = cluster_build(lat, lon, flags, DET_N, &p, NULL);
	CHECK(a && b);
	static struct cluster_window w[DET_Q];
	static int z[DET_Q];
	static struct cluster_items expect[DET_Q];
	for (int q = 0; q < DET_Q; q++) {
		z[q] = (int)irand(CLUSTER_ZOOM_LIMIT + 1);
		uint32_t x, y;
		size_t s = irand(DET_N);
		cluster_position(lat[s], lon[s], &x, &y);
		int zz = z[q];
		cluster_tile_window(zz, tile_of(x, zz), tile_of(y, zz), 16, &w[q]);
		memset(&expect[q], 0, sizeof expect[q]);
		cluster_query(a, z[q], &w[q], &expect[q], NULL);
	}
	struct det d = {b, w, z, expect, 0, 1};
	det_reader(&d); /* the second build, backwards */
	CHECK_INT(d.bad, 0);
	pthread_t th[DET_THREADS];
	struct det dd[DET_THREADS];
	for (int i = 0; i < DET_THREADS; i++) {
		dd[i] = (struct det){a, w, z, expect, 0, i % 2};
		CHECK_INT(pthread_create(&th[i], NULL, det_reader, &dd[i]), 0);
	}
	for (int i = 0; i < DET_THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(dd[i].bad, 0);
	}
	for (int q = 0; q < DET_Q; q++)
		cluster_items_free(&expect[q]);
	cluster_free(a);
	cluster_free(b);
}

/* A tile's query costs about what it returns, at every zoom, on a large
 * set; memory is what the header states and under 40 bytes a site. */
static void test_work_and_memory(enum kind kind)
{
	size_t n = BIG_N;
	double *lat = malloc(n * sizeof *lat), *lon = malloc(n * sizeof *lon);
	uint8_t *flags = malloc(n);
	make_sites(lat, lon, flags, n, kind);
	struct cluster_params p = {40, 0, 16};
	struct cluster_tree *t = cluster_build(lat, lon, flags, n, &p, NULL);
	CHECK(t != NULL);
	struct cluster_info info;
	cluster_get_info(t, &info);
	size_t alive = 0;
	for (int z = p.min_zoom; z <= p.max_zoom + 1; z++)
		alive += info.alive[z];
	/* sites at a position shared with others are in no band */
	size_t stated = 5 * n + 12 * info.single[p.max_zoom + 1] + 20 * info.nodes + 4 * alive;
	size_t mem = cluster_memory(t);
	CHECK_MSG(mem >= stated && mem <= stated + 4096, "memory %zu, stated %zu", mem, stated);
	CHECK_MSG(mem < 40 * n, "%.1f bytes a site", (double)mem / (double)n);

	struct cluster_items got = {0};
	size_t worst = 0;
	for (int k = 0; k < 400; k++) {
		int z = (int)irand(CLUSTER_ZOOM_LIMIT + 1);
		size_t s = irand(n);
		uint32_t x, y;
		cluster_position(lat[s], lon[s], &x, &y);
		struct cluster_window w;
		cluster_tile_window(z, tile_of(x, z), tile_of(y, z), 32, &w);
		struct cluster_stats st;
		cluster_query(t, z, &w, &got, &st);
		/* one k-d range per band of the zoom and one for its clusters;
		 * a tile-shaped window opens a few root-to-leaf paths in each
		 * (a leaf holds 16) and the leaves its items are in */
		int levels = (z < p.max_zoom + 1 ? z : p.max_zoom + 1) - p.min_zoom + 2;
		size_t bound = 4 * got.n + (size_t)levels * (4 * (size_t)log2((double)n) + 2 * 16);
		if (st.visited > bound && worst++ < 3)
			fprintf(stderr, "zoom %d: visited %zu for %zu items\n", z, st.visited, got.n);
		CHECK(st.visited <= bound);
		CHECK(st.visited < n / 4 || got.n > n / 16);
	}
	cluster_items_free(&got);
	cluster_free(t);
	free(lat);
	free(lon);
	free(flags);
}

/* Two hierarchies are the same: every zoom's picture (node ids
 * included), every cluster's members in order and expansion zoom, and
 * the memory they hold. */
static bool same_tree(const struct cluster_tree *a, const struct cluster_tree *b)
{
	struct cluster_items ia = {0}, ib = {0};
	struct cluster_info fa, fb;
	cluster_get_info(a, &fa);
	cluster_get_info(b, &fb);
	bool same = fa.nodes == fb.nodes && cluster_memory(a) == cluster_memory(b);
	for (int z = 0; same && z <= CLUSTER_ZOOM_LIMIT; z++) {
		cluster_query(a, z, &world, &ia, NULL);
		cluster_query(b, z, &world, &ib, NULL);
		same = items_eq(&ia, &ib);
		/* windows around some of the items, a tile's size and larger: a
		 * level kept from an old hierarchy (its k-d order) must be
		 * searched as well as a level sorted anew */
		size_t nw = ia.n < 16 ? ia.n : 16;
		struct cluster_item *at = malloc((nw ? nw : 1) * sizeof *at);
		for (size_t k = 0; k < nw; k++)
			at[k] = ia.v[k * ia.n / nw];
		for (size_t k = 0; same && k < nw; k++) {
			uint64_t half = (uint64_t)1 << (31 - z < 8 ? 8 : 31 - z) >> (k % 4);
			struct cluster_window w = {
			    (uint32_t)(at[k].x > half ? at[k].x - half : 0),
			    (uint32_t)(at[k].y > half ? at[k].y - half : 0),
			    (uint32_t)(at[k].x + half < UINT32_MAX ? at[k].x + half : UINT32_MAX),
			    (uint32_t)(at[k].y + half < UINT32_MAX ? at[k].y + half : UINT32_MAX)};
			cluster_query(a, z, &w, &ia, NULL);
			cluster_query(b, z, &w, &ib, NULL);
			same = ia.n > 0 && items_eq(&ia, &ib);
		}
		free(at);
	}
	for (uint32_t k = 0; same && k < fa.nodes; k++) {
		const uint32_t *ma, *mb;
		size_t na = cluster_members(a, k, &ma), nb = cluster_members(b, k, &mb);
		same = na == nb && !memcmp(ma, mb, na * sizeof *ma) &&
		       cluster_expansion_zoom(a, k) == cluster_expansion_zoom(b, k);
	}
	cluster_items_free(&ia);
	cluster_items_free(&ib);
	return same;
}

/* A patched hierarchy (cluster_patch) is the one cluster_build makes of
 * the new sites, whatever moved: sites moved a little, far, onto another
 * site (coincident), off a coincident group, or only given other flags;
 * and a patch of a patch too.  Its windows answer as a built one's. */
static void test_patch(enum kind kind, size_t n, const struct cluster_params *p, size_t moves)
{
	double *lat = malloc(n * sizeof *lat), *lon = malloc(n * sizeof *lon);
	double *olat = malloc(n * sizeof *olat), *olon = malloc(n * sizeof *olon);
	uint8_t *flags = malloc(n);
	uint32_t *changed = malloc(n * sizeof *changed);
	make_sites(lat, lon, flags, n, kind);
	struct ms_error err = {0};
	struct cluster_tree *t = cluster_build(lat, lon, flags, n, p, &err);
	CHECK_MSG(t != NULL, "%s", err.msg);
	for (int round = 0; round < 3 && t; round++) {
		size_t k = 0;
		for (size_t i = 0; i < n && k < moves; i++)
			if (irand(n) < moves)
				changed[k++] = (uint32_t)i;
		for (size_t i = 0; i < k; i++) {
			uint32_t s = changed[i];
			olat[i] = lat[s], olon[i] = lon[s];
			size_t o = irand(n);
			switch (irand(5)) {
			case 0: /* a little */
				lat[s] = fmax(-90, fmin(90, lat[s] + urand(-0.01, 0.01)));
				lon[s] = fmax(-180, fmin(180, lon[s] + urand(-0.01, 0.01)));
				break;
			case 1: /* onto another site */ lat[s] = lat[o], lon[s] = lon[o]; break;
			case 2: /* far */
				lat[s] = lat[o] + urand(-0.5, 0.5), lon[s] = lon[o] + urand(-0.5, 0.5);
				lat[s] = fmax(-90, fmin(90, lat[s])), lon[s] = fmax(-180, fmin(180, lon[s]));
				break;
			case 3: /* only the flags */ flags[s] ^= (uint8_t)(1u << irand(8)); break;
			default: /* a little, and the flags */
				lat[s] = fmax(-90, fmin(90, lat[s] + urand(-0.001, 0.001)));
				flags[s] ^= 1;
				break;
			}
		}
		struct cluster_tree *patched =
		    cluster_patch(t, lat, lon, flags, n, changed, olat, olon, k, &err);
		struct cluster_tree *built = cluster_build(lat, lon, flags, n, p, &err);
		CHECK_MSG(patched && built, "%s", err.msg);
		if (!patched || !built) {
			cluster_free(patched);
			cluster_free(built);
			break;
		}
		bool same = same_tree(patched, built);
		if (!same && mismatches++ < 5)
			fprintf(stderr,
			        "patch: kind %d, %zu sites, %zu moved, round %d: not the built tree\n",
			        (int)kind, n, k, round);
		CHECK(same);
		check_windows(patched, 20);
		cluster_free(built);
		cluster_free(t);
		t = patched;
	}
	cluster_free(t);
	free(lat);
	free(lon);
	free(olat);
	free(olon);
	free(flags);
	free(changed);
}

/* ---- a hierarchy kept as bytes (cluster_codec.c) ---- */

/* A block of cluster_encode in memory of its own, as a store hands it. */
static void *copy_of(const unsigned char *b, size_t len)
{
	void *c = malloc(len ? len : 1);
	memcpy(c, b, len);
	return c;
}

/* The tree of a copy of block b, or NULL with err. */
static struct cluster_tree *decoded(const unsigned char *b, size_t len, uint64_t *version,
                                    struct ms_error *err)
{
	return cluster_decode(copy_of(b, len), len, version, err);
}

/* Ways a block's arrays can be wrong while its checksum is right (a
 * block written by somebody else): each must be refused. */
static bool break_perm(struct cluster_tree *t)
{
	if (t->n < 2)
		return false;
	t->perm[0] = t->perm[1];
	return true;
}
static bool break_perm_range(struct cluster_tree *t)
{
	if (!t->n)
		return false;
	t->perm[t->n - 1] = (uint32_t)t->n;
	return true;
}
static bool break_band_site(struct cluster_tree *t)
{
	if (!t->band_off[NLEVELS])
		return false;
	t->band[0].v = UINT32_MAX;
	return true;
}
static bool break_band_twice(struct cluster_tree *t)
{
	if (t->band_off[NLEVELS] < 2)
		return false;
	t->band[1].v = t->band[0].v;
	return true;
}
static bool break_list(struct cluster_tree *t)
{
	if (!t->list_off[NLEVELS])
		return false;
	t->list[t->list_off[NLEVELS] - 1] = (uint32_t)t->nnodes;
	return true;
}
static bool break_node_range(struct cluster_tree *t)
{
	if (!t->nnodes)
		return false;
	t->node[t->nnodes - 1].begin = (uint32_t)t->n;
	return true;
}
static bool break_node_zooms(struct cluster_tree *t)
{
	if (!t->nnodes)
		return false;
	t->node[0].lo = (uint8_t)(t->node[0].hi + 1);
	return true;
}
static bool break_nesting(struct cluster_tree *t)
{
	/* a child drawn at its parent's zooms */
	for (size_t k = 1; k < t->nnodes; k++)
		if (t->node[k].begin < t->node[k - 1].begin + t->node[k - 1].count) {
			t->node[k].lo = t->node[k - 1].hi;
			t->node[k].hi = t->node[k].hi > t->node[k].lo ? t->node[k].hi : t->node[k].lo;
			return true;
		}
	return false;
}
static bool break_zero_count(struct cluster_tree *t)
{
	if (!t->nnodes)
		return false;
	t->node[0].count = 0;
	return true;
}
static bool break_band_offsets(struct cluster_tree *t)
{
	for (int z = 1; z < NLEVELS; z++)
		if (t->band_off[z] > 0) {
			t->band_off[z] -= 1; /* a band cut short at its end, ... */
			t->band_off[z - 1] =
			    t->band_off[z] + 1; /* ... and one ending past the next's start */
			return true;
		}
	return false;
}
static bool break_orphan(struct cluster_tree *t)
{
	/* a site left out of every band, as if a cluster of coincident sites held it */
	if (!t->band_off[NLEVELS])
		return false;
	for (int z = NLEVELS - 1; z >= 0; z--)
		if (t->band_off[z + 1] > t->band_off[z]) {
			for (int y = z + 1; y <= NLEVELS; y++)
				t->band_off[y]--;
			return true;
		}
	return false;
}

static bool (*const breakers[])(struct cluster_tree *) = {
    break_perm,       break_perm_range, break_band_site,  break_band_twice,   break_list,  break_node_range,
    break_node_zooms, break_nesting,    break_zero_count, break_band_offsets, break_orphan};
/* How often each breaker found something to break: every one must have. */
static size_t broken[sizeof breakers / sizeof *breakers];

/* Encoded and decoded, a hierarchy is the same tree (every zoom's picture,
 * members, expansion zooms) and encodes to the same bytes; it is not
 * patched; a block that is cut, flipped, of another version or whose
 * arrays are wrong is refused. */
static void test_codec(enum kind kind, size_t n, const struct cluster_params *p)
{
	double *lat = malloc((n ? n : 1) * sizeof *lat), *lon = malloc((n ? n : 1) * sizeof *lon);
	uint8_t *flags = malloc(n ? n : 1);
	make_sites(lat, lon, flags, n, kind);
	struct ms_error err = {0};
	struct cluster_tree *t = cluster_build(lat, lon, flags, n, p, &err);
	CHECK_MSG(t != NULL, "%s", err.msg);
	if (!t)
		goto out;
	unsigned char *b, *b2;
	size_t len, len2;
	uint64_t version = 0;
	cluster_encode(t, 0x5eedf00dcafe1234ULL, &b, &len);
	struct cluster_tree *d = decoded(b, len, &version, &err);
	CHECK_MSG(d != NULL, "kind %d, %zu sites: %s", (int)kind, n, err.msg);
	if (!d) {
		free(b);
		cluster_free(t);
		goto out;
	}
	CHECK(version == 0x5eedf00dcafe1234ULL);
	CHECK(same_tree(t, d));
	cluster_encode(d, 0x5eedf00dcafe1234ULL, &b2, &len2);
	CHECK(len2 == len && !memcmp(b, b2, len));
	free(b2);
	/* a decoded tree answers queries, and is not patched */
	CHECK(cluster_patchable(t) && !cluster_patchable(d));
	if (n >= 2) {
		uint32_t s = (uint32_t)irand(n);
		double olat = lat[s], olon = lon[s];
		lat[s] = fmax(-90, fmin(90, lat[s] + 0.02));
		err = (struct ms_error){0};
		CHECK(cluster_patch(d, lat, lon, flags, n, &s, &olat, &olon, 1, &err) == NULL &&
		      err.status == MS_EUSAGE);
	}
	/* cut anywhere, or grown */
	size_t cuts[] = {0, 7, 100, len / 2, len - 8, len - 1};
	for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
		if (cuts[k] >= len)
			continue;
		err = (struct ms_error){0};
		CHECK(decoded(b, cuts[k], NULL, &err) == NULL && err.status == MS_EDATA);
	}
	unsigned char *longer = calloc(1, len + 8);
	memcpy(longer, b, len);
	CHECK(cluster_decode(longer, len + 8, NULL, &err) == NULL);
	/* any byte flipped: the head (magic, format, sizes) or the arrays */
	for (size_t k = 0; k < 40; k++) {
		size_t at = k < 8 ? k * 9 : irand(len);
		unsigned char *c = copy_of(b, len);
		c[at] ^= (unsigned char)(1u << irand(8));
		err = (struct ms_error){0};
		struct cluster_tree *bad = cluster_decode(c, len, NULL, &err);
		CHECK_MSG(bad == NULL && err.status == MS_EDATA, "byte %zu of %zu flipped: decoded", at, len);
		cluster_free(bad);
	}
	/* arrays that are wrong under a right checksum */
	for (size_t k = 0; k < sizeof breakers / sizeof *breakers; k++) {
		struct cluster_tree *w = decoded(b, len, NULL, &err);
		if (w && breakers[k](w)) {
			broken[k]++;
			unsigned char *wb;
			size_t wlen;
			cluster_encode(w, 1, &wb, &wlen);
			err = (struct ms_error){0};
			struct cluster_tree *bad = decoded(wb, wlen, NULL, &err);
			CHECK_MSG(bad == NULL && err.status == MS_EDATA,
			          "kind %d, %zu sites: breaker %zu not refused", (int)kind, n, k);
			cluster_free(bad);
			free(wb);
		}
		cluster_free(w);
	}
	free(b);
	cluster_free(d);
	cluster_free(t);
out:
	free(lat);
	free(lon);
	free(flags);
}

/* The system test_gcj02 shifts into. */
static enum coordsys shift_cs = COORDSYS_GCJ02;

/* GCJ-02 (and BD-09): the unshifted window holds every item whose shifted
 * position is in a GCJ-02 tile, and so the items a GCJ-02 tile draws are
 * exactly the world's items whose shifted position falls in it; and it is
 * little wider than the tile. */

static void shifted(const struct cluster_item *it, uint32_t *x, uint32_t *y)
{
	double lat, lon, glat, glon;
	cluster_unit_to_lonlat(it->x, it->y, &lat, &lon);
	coordsys_from_wgs84(shift_cs, lat, lon, &glat, &glon);
	cluster_position(glat, glon, x, y);
}

static void test_gcj02(void)
{
	enum { N = 20000 };
	static double lat[N], lon[N];
	static uint8_t flags[N];
	make_sites(lat, lon, flags, N, BLOBS);
	struct cluster_params p = {40, 0, 16};
	struct cluster_tree *t = cluster_build(lat, lon, flags, N, &p, NULL);
	struct cluster_items all = {0}, got = {0};
	int checked = 0;
	for (int k = 0; k < 120; k++) {
		int z = 3 + (int)irand(16);
		size_t s = irand(N);
		double glat, glon;
		coordsys_from_wgs84(shift_cs, lat[s], lon[s], &glat, &glon);
		uint32_t gx, gy;
		cluster_position(glat, glon, &gx, &gy);
		struct cluster_window tile, padded;
		cluster_tile_window(z, tile_of(gx, z), tile_of(gy, z), 8, &tile);
		padded = tile;
		cluster_window_unshift(&padded, shift_cs);
		/* and it asks for little more than the tile: at most 1.5 times
		 * its width (the old fixed pad of 0.02 degrees asked for 8 times
		 * the width of a zoom-16 tile) */
		if (z >= 8)
			CHECK((double)(padded.x1 - padded.x0) <= 1.5 * (double)(tile.x1 - tile.x0));
		cluster_query(t, z, &padded, &got, NULL);
		cluster_query(t, z, &world, &all, NULL);
		size_t a = 0, b = 0;
		bool same = true;
		for (size_t i = 0; i < all.n; i++) {
			uint32_t x, y;
			shifted(&all.v[i], &x, &y);
			if (x < tile.x0 || x > tile.x1 || y < tile.y0 || y > tile.y1)
				continue;
			a++;
			/* it must be among the padded query's items */
			bool found = false;
			for (size_t j = 0; j < got.n && !found; j++)
				found = got.v[j].first == all.v[i].first;
			same = same && found;
		}
		for (size_t j = 0; j < got.n; j++) {
			uint32_t x, y;
			shifted(&got.v[j], &x, &y);
			b += x >= tile.x0 && x <= tile.x1 && y >= tile.y0 && y <= tile.y1;
		}
		checked += a > 0;
		CHECK(same && a == b);
	}
	CHECK(checked > 60);
	cluster_items_free(&all);
	cluster_items_free(&got);
	cluster_free(t);
}

static void test_edges(void)
{
	struct ms_error err = {0};
	double la[] = {36.8, 95}, lo[] = {118, 118};
	struct cluster_params p = {40, 0, 16};
	CHECK(cluster_build(la, lo, NULL, 2, &p, &err) == NULL);
	CHECK_INT(err.status, MS_EDATA);
	CHECK(strstr(err.msg, "site 1") != NULL);
	static const struct cluster_params bad[] = {
	    {0, 0, 16},   {-1, 0, 16}, {600, 0, 16}, {NAN, 0, 16},
	    {40, -1, 16}, {40, 5, 3},  {40, 0, 24},  {40, 0, -2},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECK(cluster_build(la, lo, NULL, 1, &bad[i], &err) == NULL);
		CHECK_INT(err.status, MS_EUSAGE);
	}
	/* parameters that build the same hierarchy are the same */
	static const struct cluster_params same[][2] = {
	    {{40, 0, 16}, {40.001, 0, 16}}, {{40, 0, -1}, {24, 0, -1}}, {{24, 3, 2}, {512, 3, 2}}};
	static const struct cluster_params differ[][2] = {{{40, 0, 16}, {40.01, 0, 16}},
	                                                  {{40, 0, 16}, {40, 0, 15}},
	                                                  {{40, 0, 16}, {40, 1, 16}},
	                                                  {{40, 0, -1}, {40, 0, 0}},
	                                                  {{40, 0, -1}, {40, 1, 0}}};
	for (size_t i = 0; i < sizeof same / sizeof *same; i++)
		CHECK(cluster_params_same(&same[i][0], &same[i][1]) &&
		      cluster_params_same(&same[i][1], &same[i][0]));
	for (size_t i = 0; i < sizeof differ / sizeof *differ; i++)
		CHECK(!cluster_params_same(&differ[i][0], &differ[i][1]) &&
		      !cluster_params_same(&differ[i][1], &differ[i][0]));
	struct cluster_tree *t = cluster_build(NULL, NULL, NULL, 0, &p, &err);
	CHECK(t != NULL);
	struct cluster_items got = {0};
	CHECK_INT(cluster_query(t, 5, &world, &got, NULL), 0);
	const uint32_t *m;
	CHECK_INT(cluster_members(t, 0, &m), 0);
	CHECK_INT(cluster_expansion_zoom(t, 0), -1);
	cluster_free(t);
	cluster_free(NULL);
	/* one site */
	t = cluster_build(la, lo, NULL, 1, &p, &err);
	CHECK_INT(cluster_query(t, 0, &world, &got, NULL), 1);
	CHECK(got.v[0].count == 1 && got.v[0].first == 0 && got.v[0].node == CLUSTER_NONE);
	cluster_free(t);
	/* positions round-trip within a unit, and tile windows tile */
	uint32_t x, y;
	cluster_position(36.8, 118.05, &x, &y);
	double rl, ro;
	cluster_unit_to_lonlat(x, y, &rl, &ro);
	CHECK_NEAR(rl, 36.8, 1e-7);
	CHECK_NEAR(ro, 118.05, 1e-7);
	cluster_position(90, 180, &x, &y);
	CHECK(x == UINT32_MAX && y == 0);
	struct cluster_window a, b;
	cluster_tile_window(10, 5, 7, 0, &a);
	cluster_tile_window(10, 6, 7, 0, &b);
	CHECK(a.x1 + 1 == b.x0 && a.y0 == b.y0 && a.x1 - a.x0 + 1 == 256u << 14);
	cluster_tile_window(0, 0, 0, 100, &a);
	CHECK(a.x0 == 0 && a.y0 == 0 && a.x1 == UINT32_MAX && a.y1 == UINT32_MAX);
	cluster_items_free(&got);
}

int main(void)
{
	test_edges();
	static const struct cluster_params params[] = {
	    {40, 0, 16}, {24, 0, 11}, {80.7, 3, 14}, {1.5, 10, 23}, {512, 0, 5},
	    {50, 7, 7},  {28, 0, 9},  {40, 0, -1},   {12, 6, 5},
	};
	static const enum kind kinds[] = {UNIFORM_SMALL, BLOBS, DUPLICATES, WORLD, CHINA};
	static const size_t sizes[] = {1, 2, 5, 60, 400, 1500};
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
			test_reference(kinds[k], sizes[s],
			               &params[(k + s) % (sizeof params / sizeof *params)]);
	test_quiet_bound();
	test_coincident();
	test_determinism();
	test_gcj02();
	shift_cs = COORDSYS_BD09;
	test_gcj02();
	test_work_and_memory(CHINA);
	test_work_and_memory(BLOBS);
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		for (size_t s = 2; s < sizeof sizes / sizeof *sizes; s++)
			for (size_t m = 1; m <= 16; m *= 4)
				test_patch(kinds[k], sizes[s],
				           &params[(k + s + m) % (sizeof params / sizeof *params)], m);
	test_patch(BLOBS, 20000, &params[0], 10);
	test_patch(DUPLICATES, 5000, &params[1], 30);
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
			test_codec(kinds[k], sizes[s],
			           &params[(k + 2 * s) % (sizeof params / sizeof *params)]);
	test_codec(BLOBS, 0, &params[0]);
	test_codec(DUPLICATES, 20000, &params[1]);
	test_codec(CHINA, BIG_N, &params[0]);
	for (size_t k = 0; k < sizeof breakers / sizeof *breakers; k++)
		CHECK_MSG(broken[k] > 0, "breaker %zu never applied", k);
	return CHECK_DONE();
}

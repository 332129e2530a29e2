/*
 * test_index.c - the spatial index against brute force.
 *
 * Every nearest query is compared with computing every distance
 * (geo_inverse) and sorting by (distance, index); every box query with
 * testing every point.  Data sets mix uniform points on the globe, dense
 * clusters, exact duplicates (ties), points on the poles and on the
 * antimeridian.  MAPSVC_TEST_SCALE (default 1) multiplies the number of
 * queries on the large sets; sanitizer builds use fewer by default.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "geo/geo.h"
#include "index/sindex.h"

#if defined(__SANITIZE_ADDRESS__)
#define DEFAULT_SCALE 0.25
#else
#define DEFAULT_SCALE 1.0
#endif

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rng(void)
{
	/* xorshift64: reproducible everywhere, unlike rand() */
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

/* A random data set of n points, mixing several kinds. */
static void make_points(double *lat, double *lon, size_t n, int kind)
{
	for (size_t i = 0; i < n; i++) {
		int k = kind >= 0 ? kind : (int)irand(6);
		switch (k) {
		case 0: /* uniform on the sphere */
			lat[i] = asin(urand(-1, 1)) * 180 / M_PI;
			lon[i] = urand(-180, 180);
			break;
		case 1: /* China */
			lat[i] = urand(18, 53);
			lon[i] = urand(73, 135);
			break;
		case 2: /* a dense cluster around Zibo (a few km) */
			lat[i] = 36.8 + urand(-0.02, 0.02);
			lon[i] = 118.05 + urand(-0.02, 0.02);
			break;
		case 3: /* near the poles, the poles themselves sometimes */
			lat[i] = (irand(2) ? 1 : -1) * (irand(8) ? urand(89, 90) : 90);
			lon[i] = urand(-180, 180);
			break;
		case 4: /* on and around the antimeridian */
			lat[i] = urand(-60, 60);
			lon[i] = irand(3) == 0 ? (irand(2) ? 180.0 : -180.0)
			                       : (irand(2) ? urand(179.9, 180) : urand(-180, -179.9));
			break;
		default: /* a copy of an earlier point: exact ties */
			if (i > 0) {
				size_t j = irand(i);
				lat[i] = lat[j];
				lon[i] = lon[j];
			} else {
				lat[i] = 0;
				lon[i] = 0;
			}
			break;
		}
	}
}

struct filt {
	unsigned mod, rem;
};

static bool keep_mod(uint32_t i, void *ctx)
{
	const struct filt *f = ctx;
	return i % f->mod == f->rem;
}

static int cmp_hit(const void *a, const void *b)
{
	const struct sindex_hit *x = a, *y = b;
	if (x->dist_m != y->dist_m)
		return x->dist_m < y->dist_m ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

static size_t brute_nearest(const double *lat, const double *lon, size_t n, double qlat, double qlon,
                            size_t k, double maxd, sindex_filter_fn filter, void *ctx, struct sindex_hit *all,
                            struct sindex_hit *out)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (filter && !filter((uint32_t)i, ctx))
			continue;
		struct sindex_hit h = {(uint32_t)i, 0, 0};
		geo_inverse(qlat, qlon, lat[i], lon[i], &h.dist_m, &h.azi_deg);
		if (h.dist_m <= maxd)
			all[m++] = h;
	}
	qsort(all, m, sizeof *all, cmp_hit);
	size_t r = m < k ? m : k;
	for (size_t i = 0; i < r; i++)
		out[i] = all[i];
	return r;
}

/* A query point: random, near a pole, on the antimeridian, on a data
 * point or near its antipode (where the search's far-side bounds work). */
static void make_query(const double *lat, const double *lon, size_t n, double *qlat, double *qlon)
{
	switch (irand(7)) {
	case 6:
		if (n > 0) {
			size_t j = irand(n);
			*qlat = fmax(-90, fmin(90, -lat[j] + (irand(2) ? 0 : urand(-0.5, 0.5))));
			*qlon = lon[j] >= 0 ? lon[j] - 180 : lon[j] + 180;
			break;
		}
		/* fall through */
	case 0:
		*qlat = (irand(2) ? 1 : -1) * urand(89.5, 90);
		*qlon = urand(-180, 180);
		break;
	case 1:
		*qlat = irand(2) ? 90 : -90;
		*qlon = urand(-180, 180);
		break;
	case 2:
		*qlat = urand(-70, 70);
		*qlon = irand(2) ? (irand(2) ? 180 : -180) : urand(179.99, 180) * (irand(2) ? 1 : -1);
		break;
	case 3:
		if (n > 0) {
			size_t j = irand(n);
			*qlat = lat[j];
			*qlon = lon[j];
			break;
		}
		/* fall through */
	case 4:
		*qlat = urand(18, 53);
		*qlon = urand(73, 135);
		break;
	default:
		*qlat = asin(urand(-1, 1)) * 180 / M_PI;
		*qlon = urand(-180, 180);
		break;
	}
}

static int nearest_mismatches;

static void check_nearest_case(const struct sindex *ix, const double *lat, const double *lon, size_t n,
                               double qlat, double qlon, size_t k, double maxd, sindex_filter_fn filter,
                               void *ctx, struct sindex_hit *all, struct sindex_hit *a, struct sindex_hit *b)
{
	size_t na = sindex_nearest(ix, qlat, qlon, k, maxd, filter, ctx, a);
	size_t nb = brute_nearest(lat, lon, n, qlat, qlon, k, maxd, filter, ctx, all, b);
	bool same = na == nb;
	for (size_t i = 0; same && i < na; i++)
		same = a[i].i == b[i].i && a[i].dist_m == b[i].dist_m && a[i].azi_deg == b[i].azi_deg &&
		       a[i].azi_deg >= 0 && a[i].azi_deg < 360;
	if (!same && nearest_mismatches++ < 5)
		fprintf(stderr, "nearest mismatch: n=%zu q=(%.9f, %.9f) k=%zu max=%g: %zu vs %zu hits\n", n,
		        qlat, qlon, k, maxd, na, nb);
	CHECK(same);
}

/* nqueries random nearest queries of ix, over points lat/lon[0, n), each
 * checked against brute force. */
static void run_nearest_queries(const struct sindex *ix, const double *lat, const double *lon, size_t n,
                                int nqueries)
{
	enum { KMAX = 40 };
	struct sindex_hit *all = malloc((n + 1) * sizeof *all);
	struct sindex_hit a[KMAX + 8], b[KMAX + 8];
	for (int qi = 0; qi < nqueries; qi++) {
		double qlat, qlon;
		make_query(lat, lon, n, &qlat, &qlon);
		size_t k = 1 + irand(irand(4) ? 10 : KMAX);
		double maxd = INFINITY;
		switch (irand(4)) {
		case 0: maxd = urand(0, 3e6); break;
		case 1: maxd = urand(0, 20000); break;
		case 2: maxd = 0; break;
		}
		if (irand(3) != 0)
			maxd = INFINITY;
		struct filt f = {1 + (unsigned)irand(5), 0};
		f.rem = (unsigned)irand(f.mod);
		bool use_filter = irand(3) == 0;
		check_nearest_case(ix, lat, lon, n, qlat, qlon, k, maxd, use_filter ? keep_mod : NULL, &f,
		                   all, a, b);
	}
	free(all);
}

static void test_nearest_random(size_t n, int nqueries)
{
	double *lat = malloc((n + 1) * sizeof *lat), *lon = malloc((n + 1) * sizeof *lon);
	make_points(lat, lon, n, -1);
	struct ms_error err = {0};
	struct sindex *ix = sindex_build(lat, lon, n, &err);
	CHECK_MSG(ix != NULL, "%s", err.msg);
	if (ix) {
		CHECK_INT(sindex_size(ix), n);
		run_nearest_queries(ix, lat, lon, n, nqueries);
	}
	sindex_free(ix);
	free(lat);
	free(lon);
}

/* Hand-made cases whose answers are known without brute force. */
static void test_nearest_known(void)
{
	/* Ties: the same point four times and a ring around the north pole. */
	double lat[] = {36.8, 36.8, 10, 36.8, 36.8, 89, 89, 89, 89, -90, 0, 0};
	double lon[] = {118.05, 118.05, 10, 118.05, 118.05, 0, 90, 180, -90, 0, 180, -180};
	size_t n = sizeof lat / sizeof lat[0];
	struct sindex *ix = sindex_build(lat, lon, n, NULL);
	CHECK(ix != NULL);
	struct sindex_hit h[16];
	size_t m = sindex_nearest(ix, 36.8, 118.05, 3, INFINITY, NULL, NULL, h);
	CHECK_INT(m, 3);
	CHECK_INT(h[0].i, 0);
	CHECK_INT(h[1].i, 1);
	CHECK_INT(h[2].i, 3); /* ties broken by the smaller index */
	CHECK(h[0].dist_m == 0 && h[0].azi_deg == 0);
	m = sindex_nearest(ix, 36.8, 118.05, 16, INFINITY, NULL, NULL, h);
	CHECK_INT(m, n);
	CHECK_INT(h[3].i, 4);
	/* from the pole every point at 89 deg is one degree of meridian away:
	 * 111694 m near the pole on WGS-84 (the table of the length of a
	 * degree of latitude in the Wikipedia article "Latitude") */
	m = sindex_nearest(ix, 90, 0, 4, INFINITY, NULL, NULL, h);
	CHECK_INT(m, 4);
	for (size_t i = 0; i < m; i++) {
		CHECK_INT(h[i].i, 5 + i);
		CHECK_NEAR(h[i].dist_m, geo_distance_m(90, 0, 89, 0), 1e-6);
	}
	CHECK_NEAR(h[0].dist_m, 111694, 1);
	/* the antimeridian: lon 180 and -180 are the same place */
	m = sindex_nearest(ix, 0, 179.999, 2, INFINITY, NULL, NULL, h);
	CHECK_INT(m, 2);
	CHECK_INT(h[0].i, 10);
	CHECK_INT(h[1].i, 11);
	CHECK_NEAR(h[0].dist_m, 111.319, 0.001);
	CHECK(h[0].dist_m == h[1].dist_m);
	CHECK_NEAR(h[0].azi_deg, 90, 1e-9);
	/* max distance: nothing within 100 km of the equator at lon 0 */
	CHECK_INT(sindex_nearest(ix, 0, 0, 5, 100e3, NULL, NULL, h), 0);
	/* exactly at the limit is kept */
	m = sindex_nearest(ix, 0, 179.999, 5, h[0].dist_m, NULL, NULL, h);
	CHECK_INT(m, 2);
	/* a filter that keeps nothing */
	struct filt none = {1000, 999};
	CHECK_INT(sindex_nearest(ix, 36.8, 118.05, 5, INFINITY, keep_mod, &none, h), 0);
	/* a filter keeping odd indices */
	struct filt odd = {2, 1};
	m = sindex_nearest(ix, 36.8, 118.05, 2, INFINITY, keep_mod, &odd, h);
	CHECK_INT(m, 2);
	CHECK_INT(h[0].i, 1);
	CHECK_INT(h[1].i, 3);
	/* k = 0, bad query points */
	CHECK_INT(sindex_nearest(ix, 36.8, 118.05, 0, INFINITY, NULL, NULL, h), 0);
	CHECK_INT(sindex_nearest(ix, NAN, 118.05, 3, INFINITY, NULL, NULL, h), 0);
	CHECK_INT(sindex_nearest(ix, 91, 0, 3, INFINITY, NULL, NULL, h), 0);
	CHECK_INT(sindex_nearest(ix, 0, 0, 3, -1, NULL, NULL, h), 0);
	sindex_free(ix);

	/* the empty index */
	ix = sindex_build(NULL, NULL, 0, NULL);
	CHECK(ix != NULL);
	CHECK_INT(sindex_size(ix), 0);
	CHECK_INT(sindex_nearest(ix, 0, 0, 3, INFINITY, NULL, NULL, h), 0);
	CHECK_INT(sindex_bbox(ix, -180, -90, 180, 90, NULL, NULL), 0);
	sindex_free(ix);
	sindex_free(NULL);

	/* bad input is refused with a message naming the point */
	double blat[] = {10, 95}, blon[] = {10, 10};
	struct ms_error err = {0};
	CHECK(sindex_build(blat, blon, 2, &err) == NULL);
	CHECK_INT(err.status, MS_EDATA);
	CHECK(strstr(err.msg, "point 1") != NULL);
	blat[1] = 10, blon[1] = NAN;
	CHECK(sindex_build(blat, blon, 2, &err) == NULL);
}

/* The work of a query far from the data (its antipode, the poles, the
 * antimeridian) is a small multiple of a query's inside it: the bound
 * prunes everywhere.  Before the far-side bounds, the antipode and the
 * south pole computed every geodesic.  Answers are checked too. */
static void test_nearest_far_work(void)
{
	enum { N = 50000, KMAX = 40 };
	static const double far[][2] = {
	    {-35, -65}, {-35, -75}, {90, 0}, {-90, 0}, {0, 180}, {0, -180}, {-89.9, 45}, {-10, -110},
	};
	static const size_t ks[] = {1, 5, 20, KMAX};
	double *lat = malloc(N * sizeof *lat), *lon = malloc(N * sizeof *lon);
	make_points(lat, lon, N, 1); /* uniform over China */
	struct sindex *ix = sindex_build(lat, lon, N, NULL);
	CHECK(ix != NULL);
	struct sindex_hit *all = malloc(N * sizeof *all);
	struct sindex_hit a[KMAX], b[KMAX];
	for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
		size_t k = ks[j];
		struct sindex_stats in;
		CHECK_INT(sindex_nearest_stats(ix, 35, 105, k, INFINITY, NULL, NULL, a, &in), k);
		CHECK(in.geodesics >= k);
		for (size_t f = 0; f < sizeof far / sizeof far[0]; f++) {
			struct sindex_stats st;
			CHECK_INT(
			    sindex_nearest_stats(ix, far[f][0], far[f][1], k, INFINITY, NULL, NULL, a, &st),
			    k);
			/* The additive terms cover a band of near-equal candidates
			 * a few tens of km wide a query just off a pole still sees;
			 * before the far-side bounds the antipode computed all N. */
			CHECK_MSG(st.geodesics <= 4 * in.geodesics + 64 && st.nodes <= 8 * in.nodes + 256,
			          "k=%zu at (%g, %g): %zu geodesics, %zu nodes; inside %zu, %zu", k,
			          far[f][0], far[f][1], st.geodesics, st.nodes, in.geodesics, in.nodes);
			check_nearest_case(ix, lat, lon, N, far[f][0], far[f][1], k, INFINITY, NULL, NULL,
			                   all, a, b);
		}
	}
	free(all);
	sindex_free(ix);
	free(lat);
	free(lon);
}

/* ---- boxes ---- */

struct collect {
	uint32_t *v;
	size_t n, stop_after;
};

static bool collect_visit(uint32_t i, void *ctx)
{
	struct collect *c = ctx;
	c->v[c->n++] = i;
	return c->n < c->stop_after;
}

static bool in_box(double lat, double lon, double w, double s, double e, double n)
{
	if (!(lat >= s && lat <= n))
		return false;
	return w <= e ? (lon >= w && lon <= e) : (lon >= w || lon <= e);
}

static int bbox_mismatches;

static void check_bbox_case(const struct sindex *ix, const double *lat, const double *lon, size_t n, double w,
                            double s, double e, double nn, uint32_t *got)
{
	struct collect c = {got, 0, SIZE_MAX};
	size_t cnt = sindex_bbox(ix, w, s, e, nn, collect_visit, &c);
	bool same = cnt == c.n;
	size_t j = 0;
	for (size_t i = 0; i < n && same; i++) {
		if (in_box(lat[i], lon[i], w, s, e, nn))
			same = j < c.n && got[j++] == i;
	}
	same = same && j == c.n;
	if (!same && bbox_mismatches++ < 5)
		fprintf(stderr, "bbox mismatch: n=%zu box=(%.9g %.9g %.9g %.9g): %zu visited\n", n, w, s, e,
		        nn, c.n);
	CHECK(same);
	/* stopping early visits the first matches only */
	if (c.n > 3) {
		struct collect d = {got + c.n, 0, 3};
		CHECK_INT(sindex_bbox(ix, w, s, e, nn, collect_visit, &d), 3);
		CHECK(got[c.n] == got[0] && got[c.n + 1] == got[1] && got[c.n + 2] == got[2]);
	}
	/* no callback: just the count */
	CHECK_INT(sindex_bbox(ix, w, s, e, nn, NULL, NULL), c.n);
}

/* nqueries random box queries of ix, over points lat/lon[0, n), each
 * checked against brute force. */
static void run_bbox_queries(const struct sindex *ix, const double *lat, const double *lon, size_t n,
                             int nqueries)
{
	uint32_t *got = malloc((2 * n + 8) * sizeof *got);
	for (int qi = 0; qi < nqueries; qi++) {
		double w, s, e, nn;
		switch (irand(5)) {
		case 0: /* crossing the antimeridian */
			w = urand(150, 180);
			e = urand(-180, -150);
			s = urand(-90, 50);
			nn = urand(s, 90);
			break;
		case 1: /* degenerate: one data point's exact coordinates */
			if (n > 0) {
				size_t j = irand(n);
				w = e = lon[j];
				s = nn = lat[j];
				if (irand(2)) /* a line of latitude */
					w = -180, e = 180;
				break;
			}
			/* fall through */
		case 2: /* small boxes in China */
			w = urand(73, 135);
			e = w + urand(0, 3);
			s = urand(18, 53);
			nn = s + urand(0, 3);
			break;
		case 3: /* the world, or a polar cap */
			w = -180, e = 180;
			s = irand(2) ? -90 : urand(80, 90);
			nn = 90;
			break;
		default:
			w = urand(-180, 180);
			e = urand(-180, 180);
			s = urand(-90, 90);
			nn = urand(-90, 90);
			if (s > nn) {
				double t = s;
				s = nn;
				nn = t;
			}
			break;
		}
		check_bbox_case(ix, lat, lon, n, w, s, e, nn, got);
	}
	/* south > north is empty */
	CHECK_INT(sindex_bbox(ix, -180, 10, 180, 0, NULL, NULL), 0);
	free(got);
}

static void test_bbox_random(size_t n, int nqueries)
{
	double *lat = malloc((n + 1) * sizeof *lat), *lon = malloc((n + 1) * sizeof *lon);
	make_points(lat, lon, n, -1);
	struct sindex *ix = sindex_build(lat, lon, n, NULL);
	CHECK(ix != NULL);
	if (ix)
		run_bbox_queries(ix, lat, lon, n, nqueries);
	sindex_free(ix);
	free(lat);
	free(lon);
}

/* sindex_patch: an index whose points moved - a little, far, across the
 * antimeridian, to a pole, onto another point - answers every query as
 * brute force over the new positions does, and so does a patch of a
 * patch; bad moves are refused. */
static void test_patch(size_t n, size_t moves, int nqueries)
{
	double *lat = malloc((n + 1) * sizeof *lat), *lon = malloc((n + 1) * sizeof *lon);
	double *nlat = malloc((n + 1) * sizeof *nlat), *nlon = malloc((n + 1) * sizeof *nlon);
	uint32_t *moved = malloc((n + 1) * sizeof *moved);
	make_points(lat, lon, n, -1);
	struct ms_error err = {0};
	struct sindex *ix = sindex_build(lat, lon, n, &err);
	CHECK_MSG(ix != NULL, "%s", err.msg);
	for (int round = 0; round < 3 && ix; round++) {
		memcpy(nlat, lat, n * sizeof *lat);
		memcpy(nlon, lon, n * sizeof *lon);
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			if (irand(n) >= moves)
				continue;
			moved[m++] = (uint32_t)i;
			switch (irand(5)) {
			case 0: /* a kilometre or so */
				nlat[i] = fmin(90, fmax(-90, lat[i] + urand(-0.01, 0.01)));
				nlon[i] = fmin(180, fmax(-180, lon[i] + urand(-0.01, 0.01)));
				break;
			case 1: /* anywhere */
				nlat[i] = urand(-90, 90);
				nlon[i] = urand(-180, 180);
				break;
			case 2: /* onto the antimeridian */
				nlat[i] = urand(-60, 60);
				nlon[i] = irand(2) ? 180 : -180;
				break;
			case 3: /* a pole */
				nlat[i] = irand(2) ? 90 : -90;
				nlon[i] = urand(-180, 180);
				break;
			default: { /* onto another point */
				size_t j = irand(n);
				nlat[i] = lat[j];
				nlon[i] = lon[j];
			}
			}
		}
		struct sindex *px = sindex_patch(ix, nlat, nlon, sizeof(double), moved, m, &err);
		CHECK_MSG(px != NULL, "%s", err.msg);
		if (!px)
			break;
		CHECK_INT(sindex_size(px), n);
		CHECK(!sindex_shares(px, ix));
		sindex_free(ix); /* the patch holds a copy of the tree */
		ix = px;
		run_nearest_queries(ix, nlat, nlon, n, nqueries);
		run_bbox_queries(ix, nlat, nlon, n, nqueries);
		double *t = lat;
		lat = nlat, nlat = t;
		t = lon;
		lon = nlon, nlon = t;
	}
	if (ix && n >= 2) {
		uint32_t bad[2] = {1, 0};
		CHECK(sindex_patch(ix, lat, lon, sizeof(double), bad, 2, &err) == NULL); /* not increasing */
		bad[0] = (uint32_t)n;
		CHECK(sindex_patch(ix, lat, lon, sizeof(double), bad, 1, &err) == NULL); /* no such point */
		double keep = lat[0];
		lat[0] = NAN;
		bad[0] = 0;
		CHECK(sindex_patch(ix, lat, lon, sizeof(double), bad, 1, &err) == NULL);
		CHECK(err.status == MS_EDATA);
		lat[0] = keep;
	}
	sindex_free(ix);
	free(lat);
	free(lon);
	free(nlat);
	free(nlon);
	free(moved);
}

/* ---- concurrent readers ---- */

enum { CONC_N = 5000, CONC_Q = 300, CONC_K = 7, CONC_THREADS = 4 };

struct conc {
	const struct sindex *ix;
	const double *qlat, *qlon;
	const struct sindex_hit *expect; /* CONC_Q * CONC_K */
	const size_t *expect_n;
	int bad;
};

static void *conc_reader(void *arg)
{
	struct conc *c = arg;
	struct sindex_hit h[CONC_K];
	for (int round = 0; round < 3; round++)
		for (int q = 0; q < CONC_Q; q++) {
			size_t m =
			    sindex_nearest(c->ix, c->qlat[q], c->qlon[q], CONC_K, INFINITY, NULL, NULL, h);
			bool same = m == c->expect_n[q];
			for (size_t j = 0; same && j < m; j++) {
				const struct sindex_hit *e = &c->expect[q * CONC_K + j];
				same =
				    h[j].i == e->i && h[j].dist_m == e->dist_m && h[j].azi_deg == e->azi_deg;
			}
			if (!same)
				c->bad++;
			if (sindex_bbox(c->ix, c->qlon[q] - 1, c->qlat[q] - 1, c->qlon[q] + 1, c->qlat[q] + 1,
			                NULL, NULL) > CONC_N)
				c->bad++;
		}
	return NULL;
}

/* Several threads query one index at once and get the answers a single
 * thread got (run under AddressSanitizer in CI). */
static void test_concurrent_readers(void)
{
	static double lat[CONC_N], lon[CONC_N], qlat[CONC_Q], qlon[CONC_Q];
	static struct sindex_hit expect[CONC_Q * CONC_K];
	static size_t expect_n[CONC_Q];
	make_points(lat, lon, CONC_N, -1);
	for (int q = 0; q < CONC_Q; q++)
		make_query(lat, lon, CONC_N, &qlat[q], &qlon[q]);
	struct sindex *ix = sindex_build(lat, lon, CONC_N, NULL);
	CHECK(ix != NULL);
	for (int q = 0; q < CONC_Q; q++)
		expect_n[q] =
		    sindex_nearest(ix, qlat[q], qlon[q], CONC_K, INFINITY, NULL, NULL, expect + q * CONC_K);
	pthread_t t[CONC_THREADS];
	struct conc c[CONC_THREADS];
	for (int i = 0; i < CONC_THREADS; i++) {
		c[i] = (struct conc){ix, qlat, qlon, expect, expect_n, 0};
		CHECK_INT(pthread_create(&t[i], NULL, conc_reader, &c[i]), 0);
	}
	for (int i = 0; i < CONC_THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(c[i].bad, 0);
	}
	sindex_free(ix);
}

int main(void)
{
	double scale = DEFAULT_SCALE;
	const char *env = getenv("MAPSVC_TEST_SCALE");
	if (env && atof(env) > 0)
		scale = atof(env);
	test_nearest_known();
	test_nearest_far_work();
	test_concurrent_readers();
	const size_t sizes[] = {1, 2, 3, 10, 17, 100, 1000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		test_nearest_random(sizes[i], 300);
		test_bbox_random(sizes[i], 200);
	}
	/* the large set: each brute-force query computes 100000 geodesics */
	int nq = (int)(24 * scale) > 2 ? (int)(24 * scale) : 2;
	test_nearest_random(100000, nq);
	test_bbox_random(100000, nq * 5);
	const size_t psizes[] = {1, 17, 1000};
	for (size_t i = 0; i < sizeof psizes / sizeof psizes[0]; i++)
		test_patch(psizes[i], psizes[i] < 10 ? 1 : psizes[i] / 10, 150);
	test_patch(100000, 30, nq);
	return CHECK_DONE();
}

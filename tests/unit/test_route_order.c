/* test_route_order.c - visiting orders on distance matrices: Held-Karp
 * against brute force, the heuristic against nearest neighbour and the
 * exact optimum, usage errors, compass sectors and time estimates. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "route/route.h"

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

/* Random points in a 20 km square; Euclidean distances (the algorithms
 * only see the matrix). */
static double *random_matrix(size_t n)
{
	size_t m = n + 1;
	double *x = malloc(m * sizeof *x), *y = malloc(m * sizeof *y);
	double *d = malloc(m * m * sizeof *d);
	for (size_t i = 0; i < m; i++) {
		x[i] = rnd() * 20000;
		y[i] = rnd() * 20000;
	}
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < m; j++)
			d[i * m + j] = hypot(x[i] - x[j], y[i] - y[j]);
	free(x);
	free(y);
	return d;
}

/* Heap's algorithm over all orders; returns the shortest length. */
static double brute_force(const double *d, size_t n, bool round_trip)
{
	size_t p[16] = {0}, c[16] = {0};
	for (size_t i = 0; i < n; i++)
		p[i] = i;
	double best = route_tour_length(d, n, p, round_trip);
	size_t i = 1;
	while (i < n) {
		if (c[i] < i) {
			size_t k = i % 2 ? c[i] : 0, t = p[k];
			p[k] = p[i];
			p[i] = t;
			double len = route_tour_length(d, n, p, round_trip);
			if (len < best)
				best = len;
			c[i]++;
			i = 1;
		} else {
			c[i] = 0;
			i++;
		}
	}
	return best;
}

static bool is_permutation(const size_t *order, size_t n)
{
	bool seen[ROUTE_MAX_STOPS] = {false};
	for (size_t i = 0; i < n; i++) {
		if (order[i] >= n || seen[order[i]])
			return false;
		seen[order[i]] = true;
	}
	return true;
}

static void test_exact_vs_brute(void)
{
	for (size_t n = 1; n <= 9; n++) {
		for (int trial = 0; trial < 6; trial++) {
			for (int rt = 0; rt <= 1; rt++) {
				double *d = random_matrix(n);
				size_t order[ROUTE_MAX_STOPS];
				double len = route_order_exact(d, n, rt, order);
				CHECK(is_permutation(order, n));
				CHECK_NEAR(route_tour_length(d, n, order, rt), len, 1e-6);
				CHECK_NEAR(len, brute_force(d, n, rt), 1e-6);
				free(d);
			}
		}
	}
}

static void test_heuristic_vs_nearest(void)
{
	for (size_t n = 13; n <= ROUTE_MAX_STOPS; n++) {
		for (int rt = 0; rt <= 1; rt++) {
			double *d = random_matrix(n);
			size_t o1[ROUTE_MAX_STOPS], o2[ROUTE_MAX_STOPS], o3[ROUTE_MAX_STOPS];
			double nn = route_order_nearest(d, n, rt, o1);
			double h = route_order_heuristic(d, n, rt, o2);
			CHECK(is_permutation(o1, n));
			CHECK(is_permutation(o2, n));
			CHECK_NEAR(route_tour_length(d, n, o1, rt), nn, 1e-6);
			CHECK_NEAR(route_tour_length(d, n, o2, rt), h, 1e-6);
			CHECK_MSG(h <= nn + 1e-6, "n=%zu rt=%d heuristic %.1f > nearest %.1f", n, rt, h, nn);
			/* deterministic: the same input gives the same order */
			double h2 = route_order_heuristic(d, n, rt, o3);
			CHECK(h2 == h && memcmp(o2, o3, n * sizeof *o2) == 0);
			/* route_order switches to the heuristic above the exact limit */
			double via = 0;
			CHECK_INT(route_order(d, n, rt, o3, &via, NULL), MS_OK);
			CHECK(via == h);
			free(d);
		}
	}
}

static void test_heuristic_vs_exact(void)
{
	int total = 0, equal = 0, improved = 0;
	double worst = 0;
	for (size_t n = 10; n <= 12; n++) {
		for (int trial = 0; trial < 10; trial++) {
			for (int rt = 0; rt <= 1; rt++) {
				double *d = random_matrix(n);
				size_t o[ROUTE_MAX_STOPS];
				double ex = route_order_exact(d, n, rt, o);
				double h = route_order_heuristic(d, n, rt, o);
				double nn = route_order_nearest(d, n, rt, o);
				CHECK(h >= ex - 1e-6);
				total++;
				if (h <= ex + 1e-6)
					equal++;
				if (h < nn - 1e-6)
					improved++;
				if (h / ex - 1 > worst)
					worst = h / ex - 1;
				free(d);
			}
		}
	}
	printf("heuristic == optimum on %d of %d instances of 10-12 stops (worst +%.1f%%); better than "
	       "nearest neighbour on %d\n",
	       equal, total, worst * 100, improved);
	CHECK_MSG(equal * 10 >= total * 7, "optimum on only %d of %d", equal, total);
	CHECK(worst < 0.15);
	CHECK(improved > 0); /* the improvement steps actually do something */
}

/* A case small enough to check by hand: stops on a line east of the start
 * at 3, 1, 2 km.  Open path: 1, 2, 3 km in that order. */
static void test_hand_case(void)
{
	double pos[4] = {0, 3000, 1000, 2000};
	double d[16];
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			d[i * 4 + j] = fabs(pos[i] - pos[j]);
	size_t o[3];
	CHECK_NEAR(route_order_exact(d, 3, false, o), 3000, 1e-9);
	CHECK(o[0] == 1 && o[1] == 2 && o[2] == 0);
	CHECK_NEAR(route_order_exact(d, 3, true, o), 6000, 1e-9);
	/* every unimodal order ties at 6 km; the one kept is the first found
	 * by lowest index, out 1, 2, 3 km, the same every run */
	CHECK(o[0] == 1 && o[1] == 2 && o[2] == 0);
	/* the heuristic on the same input finds the same tour */
	CHECK_NEAR(route_order_heuristic(d, 3, false, o), 3000, 1e-9);
	CHECK(o[0] == 1 && o[1] == 2 && o[2] == 0);
}

static void test_usage_errors(void)
{
	struct ms_error err = {0};
	double d[1] = {0};
	size_t o[1];
	CHECK_INT(route_order(d, 0, false, o, NULL, &err), MS_EUSAGE);
	CHECK(strstr(err.msg, "no stops") != NULL);
	double *big = random_matrix(51);
	size_t ob[51];
	CHECK_INT(route_order(big, 51, false, ob, NULL, &err), MS_EUSAGE);
	CHECK(strstr(err.msg, "51") != NULL);
	free(big);
}

static void test_compass(void)
{
	struct {
		double deg;
		const char *zh, *en;
	} cases[] = {
	    {0, "北", "N"},           {22.4999, "北", "N"},     {22.5, "东北", "NE"},  {45, "东北", "NE"},
	    {67.4999, "东北", "NE"},  {67.5, "东", "E"},        {112.5, "东南", "SE"}, {157.5, "南", "S"},
	    {180, "南", "S"},         {202.5, "西南", "SW"},    {247.5, "西", "W"},    {292.5, "西北", "NW"},
	    {337.4999, "西北", "NW"}, {337.5, "北", "N"},       {359.9999, "北", "N"}, {360, "北", "N"},
	    {-22.5, "北", "N"},       {-22.5001, "西北", "NW"}, {720 + 90, "东", "E"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int s = route_compass_sector(cases[i].deg);
		CHECK_MSG(strcmp(route_compass_zh(s), cases[i].zh) == 0 &&
		              strcmp(route_compass_en(s), cases[i].en) == 0,
		          "%g deg -> %s %s, want %s %s", cases[i].deg, route_compass_zh(s),
		          route_compass_en(s), cases[i].zh, cases[i].en);
	}
}

static void test_estimates(void)
{
	/* 4.5 km/h with factor 1.3: 1 km straight is 1.3 km, 17.33 min */
	CHECK_NEAR(route_estimate_minutes(1000, ROUTE_WALK), 1300.0 / 75.0, 1e-9);
	/* 40 km/h with factor 1.4: 10 km straight is 14 km, 21 min */
	CHECK_NEAR(route_estimate_minutes(10000, ROUTE_DRIVE), 21.0, 1e-9);
	CHECK_INT(route_mode_parse("walk"), ROUTE_WALK);
	CHECK_INT(route_mode_parse("drive"), ROUTE_DRIVE);
	CHECK_INT(route_mode_parse("fly"), -1);
	CHECK_STR(route_mode_name(ROUTE_DRIVE), "drive");
}

int main(void)
{
	test_exact_vs_brute();
	test_heuristic_vs_nearest();
	test_heuristic_vs_exact();
	test_hand_case();
	test_usage_errors();
	test_compass();
	test_estimates();
	return CHECK_DONE();
}

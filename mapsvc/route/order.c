/*
 * order.c - visiting orders on a distance matrix; see route.h.
 *
 * The tour is an open path from node 0 (the start) through every stop,
 * optionally closed back to node 0.  Both cases share one trick: the
 * heuristics work on the array t[0..n+1] with t[0] = start and t[n+1] a
 * virtual END node whose distance to any node x is 0 for an open path and
 * dist(x, start) for a round trip.  Then a 2-opt reversal or an Or-opt
 * move is the same edge arithmetic in both cases, and END never moves.
 */
#include <assert.h>
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"
#include "route.h"

/* Moves must gain more than this (metres) to be taken: rounding noise
 * must not make the improvement loop cycle. */
#define MIN_GAIN 1e-7

struct tourctx {
	const double *dist;
	size_t n, stride; /* stride = n + 1 */
	bool round_trip;
};

#define END_NODE SIZE_MAX

static double edge(const struct tourctx *c, size_t a, size_t b)
{
	if (b == END_NODE)
		return c->round_trip ? c->dist[a * c->stride] : 0.0;
	if (a == END_NODE)
		return c->round_trip ? c->dist[b * c->stride] : 0.0;
	return c->dist[a * c->stride + b];
}

double route_tour_length(const double *dist, size_t n, const size_t *order, bool round_trip)
{
	size_t stride = n + 1, prev = 0;
	double len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t node = order[i] + 1;
		len += dist[prev * stride + node];
		prev = node;
	}
	if (round_trip && n)
		len += dist[prev * stride];
	return len;
}

/* Held-Karp: best[mask][j] is the shortest path from the start through the
 * stops in mask, ending at stop j (j in mask).  Ties keep the first
 * (lowest-index) predecessor found, so the result is deterministic. */
double route_order_exact(const double *dist, size_t n, bool round_trip, size_t *order)
{
	assert(n >= 1 && n <= ROUTE_EXACT_MAX);
	size_t stride = n + 1, full = ((size_t)1 << n) - 1;
	double *best = xmalloc(((size_t)1 << n) * n * sizeof *best);
	unsigned char *from = xmalloc(((size_t)1 << n) * n);
	for (size_t m = 0; m <= full; m++)
		for (size_t j = 0; j < n; j++)
			best[m * n + j] = DBL_MAX;
	for (size_t j = 0; j < n; j++) {
		best[((size_t)1 << j) * n + j] = dist[j + 1];
		from[((size_t)1 << j) * n + j] = UINT8_MAX;
	}
	for (size_t m = 1; m <= full; m++) {
		for (size_t j = 0; j < n; j++) {
			if (!(m & ((size_t)1 << j)) || m == ((size_t)1 << j))
				continue;
			size_t pm = m & ~((size_t)1 << j);
			double b = DBL_MAX;
			unsigned char arg = UINT8_MAX;
			for (size_t k = 0; k < n; k++) {
				if (!(pm & ((size_t)1 << k)))
					continue;
				double v = best[pm * n + k] + dist[(k + 1) * stride + j + 1];
				if (v < b) {
					b = v;
					arg = (unsigned char)k;
				}
			}
			best[m * n + j] = b;
			from[m * n + j] = arg;
		}
	}
	double total = DBL_MAX;
	size_t last = 0;
	for (size_t j = 0; j < n; j++) {
		double v = best[full * n + j] + (round_trip ? dist[(j + 1) * stride] : 0.0);
		if (v < total) {
			total = v;
			last = j;
		}
	}
	size_t m = full, j = last;
	for (size_t i = n; i-- > 0;) {
		order[i] = j;
		unsigned char k = from[m * n + j];
		m &= ~((size_t)1 << j);
		j = k;
	}
	assert(m == 0);
	free(best);
	free(from);
	return total;
}

/* Nearest neighbour into t[1..n] (nodes, 1-based). */
static void nearest_fill(const struct tourctx *c, size_t *t)
{
	bool *used = xcalloc(c->n + 1, sizeof *used);
	size_t cur = 0;
	for (size_t i = 1; i <= c->n; i++) {
		size_t pick = 0;
		double b = DBL_MAX;
		for (size_t k = 1; k <= c->n; k++) {
			if (!used[k] && c->dist[cur * c->stride + k] < b) {
				b = c->dist[cur * c->stride + k];
				pick = k;
			}
		}
		assert(pick != 0);
		used[pick] = true;
		t[i] = pick;
		cur = pick;
	}
	free(used);
}

static double tour_len(const struct tourctx *c, const size_t *t)
{
	double len = 0;
	for (size_t i = 0; i <= c->n; i++)
		len += edge(c, t[i], t[i + 1]);
	return len;
}

static void tour_to_order(const struct tourctx *c, const size_t *t, size_t *order)
{
	for (size_t i = 0; i < c->n; i++)
		order[i] = t[i + 1] - 1;
}

double route_order_nearest(const double *dist, size_t n, bool round_trip, size_t *order)
{
	assert(n >= 1 && n <= ROUTE_MAX_STOPS);
	struct tourctx c = {dist, n, n + 1, round_trip};
	size_t *t = xmalloc((n + 2) * sizeof *t);
	t[0] = 0;
	t[n + 1] = END_NODE;
	nearest_fill(&c, t);
	double len = tour_len(&c, t);
	tour_to_order(&c, t, order);
	free(t);
	return len;
}

static void reverse(size_t *t, size_t i, size_t j)
{
	while (i < j) {
		size_t x = t[i];
		t[i++] = t[j];
		t[j--] = x;
	}
}

/* One pass of 2-opt: the first reversal of t[i..j] (1 <= i < j <= n) that
 * gains, in scan order.  True if one was made. */
static bool two_opt_pass(const struct tourctx *c, size_t *t)
{
	for (size_t i = 1; i < c->n; i++) {
		for (size_t j = i + 1; j <= c->n; j++) {
			double before = edge(c, t[i - 1], t[i]) + edge(c, t[j], t[j + 1]);
			double after = edge(c, t[i - 1], t[j]) + edge(c, t[i], t[j + 1]);
			if (after < before - MIN_GAIN) {
				reverse(t, i, j);
				return true;
			}
		}
	}
	return false;
}

/* One pass of Or-opt: the first move, in scan order, of a segment
 * t[i..i+len-1] (len 1..3) to between t[k] and t[k+1], kept or reversed,
 * that gains.  scratch holds n + 2 entries. */
static bool or_opt_pass(const struct tourctx *c, size_t *t, size_t *scratch)
{
	size_t n = c->n;
	for (size_t len = 1; len <= 3 && len < n; len++) {
		for (size_t i = 1; i + len - 1 <= n; i++) {
			size_t a = t[i - 1], s0 = t[i], s1 = t[i + len - 1], b = t[i + len];
			double removed = edge(c, a, s0) + edge(c, s1, b) - edge(c, a, b);
			for (size_t k = 0; k <= n; k++) {
				if (k + 1 >= i && k <= i + len - 1)
					continue; /* inside the segment or its own place */
				size_t x = t[k], y = t[k + 1];
				double base = edge(c, x, y);
				double fwd = edge(c, x, s0) + edge(c, s1, y) - base;
				double rev = edge(c, x, s1) + edge(c, s0, y) - base;
				bool flip = rev < fwd;
				double added = flip ? rev : fwd;
				if (added < removed - MIN_GAIN) {
					/* Rebuild: everything but the segment, with the
					 * segment inserted after position k. */
					size_t w = 0;
					for (size_t p = 0; p <= n + 1; p++) {
						if (p >= i && p < i + len)
							continue;
						scratch[w++] = t[p];
						if (p == k) {
							for (size_t q = 0; q < len; q++)
								scratch[w++] =
								    flip ? t[i + len - 1 - q] : t[i + q];
						}
					}
					assert(w == n + 2);
					memcpy(t, scratch, (n + 2) * sizeof *t);
					return true;
				}
			}
		}
	}
	return false;
}

double route_order_heuristic(const double *dist, size_t n, bool round_trip, size_t *order)
{
	assert(n >= 1 && n <= ROUTE_MAX_STOPS);
	struct tourctx c = {dist, n, n + 1, round_trip};
	size_t *t = xmalloc((n + 2) * sizeof *t);
	size_t *scratch = xmalloc((n + 2) * sizeof *scratch);
	t[0] = 0;
	t[n + 1] = END_NODE;
	nearest_fill(&c, t);
	double nn = tour_len(&c, t);
	/* Every move strictly shortens the tour by more than MIN_GAIN, so the
	 * loop ends; 2-opt first because it fixes crossings, the big wins. */
	for (;;) {
		if (two_opt_pass(&c, t))
			continue;
		if (or_opt_pass(&c, t, scratch))
			continue;
		break;
	}
	double len = tour_len(&c, t);
	assert(t[0] == 0 && t[n + 1] == END_NODE);
	/* Each move gains, so the result cannot be longer than the nearest-
	 * neighbour tour it started from; summing the edges in another order
	 * may differ in the last bits, hence the relative tolerance. */
	assert(len <= nn + 1e-9 * (1.0 + nn));
	(void)nn;
	tour_to_order(&c, t, order);
	free(t);
	free(scratch);
	return len;
}

enum ms_status route_order(const double *dist, size_t n, bool round_trip, size_t *order, double *length,
                           struct ms_error *err)
{
	if (n == 0)
		return ms_fail(err, MS_EUSAGE, "route: no stops given (need 1 to %d)", ROUTE_MAX_STOPS);
	if (n > ROUTE_MAX_STOPS)
		return ms_fail(err, MS_EUSAGE, "route: %zu stops given, at most %d allowed", n,
		               ROUTE_MAX_STOPS);
	double len = n <= ROUTE_EXACT_MAX ? route_order_exact(dist, n, round_trip, order)
	                                  : route_order_heuristic(dist, n, round_trip, order);
	if (length)
		*length = len;
	return MS_OK;
}

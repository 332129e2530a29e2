/*
 * dayplan.c - visiting orders with opening hours; see dayplan.h.
 *
 * Following a sequence.  From the start at start_s, each stop is reached
 * after the travel time; the visit starts at the earliest time t >= arrival
 * such that [t, t + visit] lies inside one window (the first window that
 * still has room, as windows are sorted), and the stop is left at t +
 * visit.  Call that departure dep_k(a) for an arrival a; it is infinite
 * when no window has room.
 *
 * Why the dynamic programme is exact.  dep_k is non-decreasing in a: a
 * window with room after an arrival a' has room after any earlier arrival
 * a <= a' (waiting is allowed), so the first such window comes no later and
 * so does the start of the visit.  By induction the departure from the
 * last stop of a fixed sequence is non-decreasing in the time the sequence
 * is entered.  Now take any feasible sequence; its prefix up to some stop j
 * visits a set S of stops and leaves j at some time T.  The programme keeps,
 * for (S, j), the earliest departure T* <= T over all orders of S ending at
 * j.  Following the rest of the sequence from T* instead of T is feasible
 * (every arrival is no later) and ends no later.  So the best of the
 * programme's states, by the number of stops and then the end, is the best
 * over all sequences: maximal number of visits, then earliest end.  (Without
 * waiting, arriving early could make a visit infeasible and the argument
 * would fail; here it is what makes keeping one number per state enough.)
 * States: 2^n subsets x n last stops; each extends to at most n stops in
 * O(W): O(2^n n^2 W).
 *
 * The heuristic is local search over sequences, judged by simulation.  All
 * moves are evaluated from the first position they change, starting from
 * the departure time kept for the position before (the prefix is
 * unchanged), and taken only if the plan gains a stop or ends more than
 * MIN_GAIN earlier, so it cannot cycle.
 *
 * Ties: every scan goes by increasing stop index and position and takes a
 * candidate only if strictly better, so the lower index wins.
 */
#include "dayplan.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

/* A move must end the day this much earlier (seconds) to count: rounding
 * in the sums must not make the search cycle. */
#define MIN_GAIN 1e-6
#define NO_PRED UINT8_MAX
#define OR_OPT_MAX_LEN 3

_Static_assert(ROUTE_EXACT_MAX < NO_PRED, "predecessors fit a byte");
_Static_assert(ROUTE_EXACT_MAX < 8 * sizeof(size_t), "subsets fit a word");

struct ctx {
	const struct route_day_problem *pb;
	size_t stride; /* n + 1 */
	uint64_t work;
};

/* A sequence and the departure from each of its stops. */
struct tour {
	size_t k;
	size_t seq[ROUTE_MAX_STOPS];
	double dep[ROUTE_MAX_STOPS];
	double end;
};

static double travel(const struct ctx *c, size_t from_node, size_t to_node)
{
	return c->pb->travel[from_node * c->stride + to_node];
}

/* The start of a visit to stop k arriving at a: the earliest moment a
 * window still has room for it, or INFINITY. */
static double visit_start(struct ctx *c, size_t k, double a)
{
	const struct route_day_stop *s = &c->pb->stops[k];
	c->work++;
	if (s->hours_unknown)
		return a;
	for (size_t w = 0; w < s->nwindows; w++) {
		double t = a > s->windows[w].open_s ? a : s->windows[w].open_s;
		if (t + s->visit_s <= s->windows[w].close_s)
			return t;
	}
	return INFINITY;
}

static double depart(struct ctx *c, size_t k, double a)
{
	return visit_start(c, k, a) + c->pb->stops[k].visit_s;
}

/* The end of the day after leaving node at time t. */
static double finish(const struct ctx *c, size_t node, double t)
{
	return c->pb->round_trip ? t + travel(c, node, 0) : t;
}

/* Follows t->seq from position p on, given that t->dep[0..p) is right;
 * fills the rest of dep and end.  False when a stop cannot be visited. */
static bool simulate_from(struct ctx *c, struct tour *t, size_t p)
{
	size_t node = p ? t->seq[p - 1] + 1 : 0;
	double time = p ? t->dep[p - 1] : c->pb->start_s;
	for (size_t i = p; i < t->k; i++) {
		size_t k = t->seq[i];
		time = depart(c, k, time + travel(c, node, k + 1));
		if (isinf(time))
			return false;
		t->dep[i] = time;
		node = k + 1;
	}
	t->end = finish(c, node, time);
	return true;
}

static bool better(const struct tour *a, const struct tour *b)
{
	return a->k > b->k || (a->k == b->k && a->end < b->end - MIN_GAIN);
}

static enum route_day_reason why_missed(struct ctx *c, size_t k)
{
	const struct route_day_stop *s = &c->pb->stops[k];
	if (!s->hours_unknown) {
		if (s->nwindows == 0)
			return ROUTE_DAY_CLOSED;
		bool long_enough = false;
		for (size_t w = 0; w < s->nwindows; w++)
			long_enough |= s->windows[w].close_s - s->windows[w].open_s >= s->visit_s;
		if (!long_enough)
			return ROUTE_DAY_TOO_SHORT;
	}
	if (isinf(visit_start(c, k, c->pb->start_s + travel(c, 0, k + 1))))
		return ROUTE_DAY_CLOSES_FIRST;
	return ROUTE_DAY_NO_ROOM;
}

/* The plan of a feasible tour. */
static void fill_plan(struct ctx *c, const struct tour *t, bool exact, struct route_day_plan *out)
{
	const struct route_day_problem *pb = c->pb;
	memset(out, 0, sizeof *out);
	bool in[ROUTE_MAX_STOPS] = {false};
	size_t node = 0;
	double time = pb->start_s;
	for (size_t i = 0; i < t->k; i++) {
		size_t k = t->seq[i];
		struct route_day_visit *v = &out->visit[i];
		double leg = travel(c, node, k + 1);
		v->stop = k;
		v->arrive_s = time + leg;
		v->start_s = visit_start(c, k, v->arrive_s);
		v->depart_s = v->start_s + pb->stops[k].visit_s;
		assert(!isinf(v->start_s));
		out->travel_s += leg;
		out->wait_s += v->start_s - v->arrive_s;
		time = v->depart_s;
		node = k + 1;
		in[k] = true;
	}
	out->nvisits = t->k;
	if (pb->round_trip)
		out->travel_s += travel(c, node, 0);
	out->end_s = finish(c, node, time);
	for (size_t k = 0; k < pb->n; k++)
		if (!in[k])
			out->missed[out->nmissed++] = (struct route_day_missed){k, why_missed(c, k)};
	out->exact = exact;
	out->work = c->work;
}

/* --- exact ------------------------------------------------------------------ */

void route_day_plan_exact(const struct route_day_problem *pb, struct route_day_plan *out)
{
	size_t n = pb->n;
	assert(n >= 1 && n <= ROUTE_EXACT_MAX);
	struct ctx c = {pb, n + 1, 0};
	size_t full = (size_t)1 << n;
	/* best[mask * n + j]: the earliest departure from stop j having
	 * visited exactly the stops in mask, j last; pred: the stop before. */
	double *best = xmalloc(full * n * sizeof *best);
	unsigned char *pred = xmalloc(full * n);
	for (size_t i = 0; i < full * n; i++)
		best[i] = INFINITY;
	for (size_t j = 0; j < n; j++) {
		size_t idx = ((size_t)1 << j) * n + j;
		best[idx] = depart(&c, j, pb->start_s + travel(&c, 0, j + 1));
		pred[idx] = NO_PRED;
	}
	for (size_t mask = 1; mask < full; mask++) {
		for (size_t j = 0; j < n; j++) {
			double b = best[mask * n + j];
			if (!(mask >> j & 1) || isinf(b))
				continue;
			for (size_t k = 0; k < n; k++) {
				if (mask >> k & 1)
					continue;
				double d = depart(&c, k, b + travel(&c, j + 1, k + 1));
				size_t idx = (mask | (size_t)1 << k) * n + k;
				if (d < best[idx]) {
					best[idx] = d;
					pred[idx] = (unsigned char)j;
				}
			}
		}
	}
	/* The state with the most stops, then the earliest end. */
	size_t best_mask = 0, best_j = 0, best_count = 0;
	double best_end = pb->start_s;
	for (size_t mask = 1; mask < full; mask++) {
		size_t count = (size_t)__builtin_popcountll(mask);
		if (count < best_count)
			continue;
		for (size_t j = 0; j < n; j++) {
			double b = best[mask * n + j];
			if (!(mask >> j & 1) || isinf(b))
				continue;
			double end = finish(&c, j + 1, b);
			if (count > best_count || end < best_end) {
				best_count = count;
				best_end = end;
				best_mask = mask;
				best_j = j;
			}
		}
	}
	struct tour t = {.k = best_count};
	size_t mask = best_mask, j = best_j;
	for (size_t i = best_count; i-- > 0;) {
		t.seq[i] = j;
		unsigned char p = pred[mask * n + j];
		mask &= ~((size_t)1 << j);
		j = p;
	}
	assert(mask == 0);
	free(best);
	free(pred);
	bool ok = simulate_from(&c, &t, 0);
	assert(ok);
	(void)ok;
	fill_plan(&c, &t, true, out);
}

/* --- starts for the heuristic ---------------------------------------------- */

static void nearest_tour(struct ctx *c, struct tour *t)
{
	size_t n = c->pb->n, node = 0;
	bool used[ROUTE_MAX_STOPS] = {false};
	double time = c->pb->start_s;
	t->k = 0;
	for (;;) {
		size_t pick = n;
		double pick_dep = 0, pick_leg = INFINITY;
		for (size_t k = 0; k < n; k++) {
			if (used[k] || travel(c, node, k + 1) >= pick_leg)
				continue;
			double d = depart(c, k, time + travel(c, node, k + 1));
			if (isinf(d))
				continue;
			pick = k;
			pick_leg = travel(c, node, k + 1);
			pick_dep = d;
		}
		if (pick == n)
			break;
		used[pick] = true;
		t->seq[t->k] = pick;
		t->dep[t->k++] = pick_dep;
		time = pick_dep;
		node = pick + 1;
	}
	t->end = finish(c, node, time);
}

/* Inserts stop u at position p of t into out. */
static void with_inserted(const struct tour *t, size_t u, size_t p, struct tour *out)
{
	out->k = t->k + 1;
	memcpy(out->seq, t->seq, p * sizeof *t->seq);
	memcpy(out->dep, t->dep, p * sizeof *t->dep);
	out->seq[p] = u;
	memcpy(out->seq + p + 1, t->seq + p, (t->k - p) * sizeof *t->seq);
}

static void in_tour(const struct tour *t, size_t n, bool *in)
{
	memset(in, 0, n * sizeof *in);
	for (size_t i = 0; i < t->k; i++)
		in[t->seq[i]] = true;
}

/* Cheapest insertion: repeatedly the stop and position that end the day
 * earliest, while some stop still fits. */
static void insertion_tour(struct ctx *c, struct tour *t)
{
	size_t n = c->pb->n;
	bool in[ROUTE_MAX_STOPS];
	struct tour cand, best;
	t->k = 0;
	t->end = finish(c, 0, c->pb->start_s);
	for (;;) {
		in_tour(t, n, in);
		bool found = false;
		for (size_t u = 0; u < n; u++) {
			if (in[u])
				continue;
			for (size_t p = 0; p <= t->k; p++) {
				with_inserted(t, u, p, &cand);
				if (simulate_from(c, &cand, p) && (!found || cand.end < best.end)) {
					best = cand;
					found = true;
				}
			}
		}
		if (!found)
			break;
		*t = best;
	}
}

/* The latest moment a visit to stop k can start (INFINITY when its hours
 * are not known). */
static double latest_start(const struct ctx *c, size_t k)
{
	const struct route_day_stop *s = &c->pb->stops[k];
	double latest = s->hours_unknown ? INFINITY : -INFINITY;
	for (size_t w = 0; w < s->nwindows; w++)
		if (s->windows[w].close_s - s->visit_s >= s->windows[w].open_s &&
		    s->windows[w].close_s - s->visit_s > latest)
			latest = s->windows[w].close_s - s->visit_s;
	return latest;
}

/* Deadline insertion: the stops that must be started soonest first, each
 * at the position where the day ends earliest, if it fits anywhere. */
static void deadline_tour(struct ctx *c, struct tour *t)
{
	size_t n = c->pb->n, by[ROUTE_MAX_STOPS];
	double key[ROUTE_MAX_STOPS];
	for (size_t k = 0; k < n; k++) {
		key[k] = latest_start(c, k);
		/* Insertion sort by key, stable: ties keep the lower index. */
		size_t i = k;
		while (i > 0 && key[by[i - 1]] > key[k]) {
			by[i] = by[i - 1];
			i--;
		}
		by[i] = k;
	}
	struct tour cand, best;
	t->k = 0;
	t->end = finish(c, 0, c->pb->start_s);
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t p = 0; p <= t->k; p++) {
			with_inserted(t, by[i], p, &cand);
			if (simulate_from(c, &cand, p) && (!found || cand.end < best.end)) {
				best = cand;
				found = true;
			}
		}
		if (found)
			*t = best;
	}
}

/* route_order's shortest tour, keeping the stops that fit in its order. */
static void shortest_tour(struct ctx *c, struct tour *t)
{
	size_t n = c->pb->n, order[ROUTE_MAX_STOPS];
	route_order_heuristic(c->pb->travel, n, c->pb->round_trip, order);
	t->k = 0;
	for (size_t i = 0; i < n; i++) {
		t->seq[t->k++] = order[i];
		if (!simulate_from(c, t, t->k - 1))
			t->k--;
	}
	bool ok = simulate_from(c, t, 0); /* every stop kept was checked to fit */
	assert(ok);
	(void)ok;
}

/* --- local search ------------------------------------------------------------ */

static bool try_insert(struct ctx *c, struct tour *t)
{
	bool in[ROUTE_MAX_STOPS];
	struct tour cand, best;
	in_tour(t, c->pb->n, in);
	for (size_t u = 0; u < c->pb->n; u++) {
		if (in[u])
			continue;
		bool found = false;
		for (size_t p = 0; p <= t->k; p++) {
			with_inserted(t, u, p, &cand);
			if (simulate_from(c, &cand, p) && (!found || cand.end < best.end)) {
				best = cand;
				found = true;
			}
		}
		if (found) {
			*t = best;
			return true;
		}
	}
	return false;
}

static bool try_two_opt(struct ctx *c, struct tour *t)
{
	struct tour cand;
	for (size_t i = 0; i + 1 < t->k; i++) {
		for (size_t j = i + 1; j < t->k; j++) {
			cand = *t;
			for (size_t a = i, b = j; a < b; a++, b--) {
				size_t x = cand.seq[a];
				cand.seq[a] = cand.seq[b];
				cand.seq[b] = x;
			}
			if (simulate_from(c, &cand, i) && better(&cand, t)) {
				*t = cand;
				return true;
			}
		}
	}
	return false;
}

/* Moves t->seq[i..i+len) to before what is now position q of the rest
 * (q counts positions with the stretch taken out), kept or reversed. */
static void with_moved(const struct tour *t, size_t i, size_t len, size_t q, bool flip, struct tour *out)
{
	size_t rest[ROUTE_MAX_STOPS], nr = 0;
	for (size_t p = 0; p < t->k; p++)
		if (p < i || p >= i + len)
			rest[nr++] = t->seq[p];
	*out = *t;
	size_t w = 0;
	for (size_t p = 0; p <= nr; p++) {
		if (p == q)
			for (size_t s = 0; s < len; s++)
				out->seq[w++] = t->seq[flip ? i + len - 1 - s : i + s];
		if (p < nr)
			out->seq[w++] = rest[p];
	}
}

static bool try_or_opt(struct ctx *c, struct tour *t)
{
	struct tour cand;
	for (size_t len = 1; len <= OR_OPT_MAX_LEN && len < t->k; len++) {
		for (size_t i = 0; i + len <= t->k; i++) {
			for (size_t q = 0; q <= t->k - len; q++) {
				for (int flip = 0; flip <= (len > 1); flip++) {
					if (q == i && !flip)
						continue; /* the same sequence */
					with_moved(t, i, len, q, flip, &cand);
					size_t from = q < i ? q : i;
					if (simulate_from(c, &cand, from) && better(&cand, t)) {
						*t = cand;
						return true;
					}
				}
			}
		}
	}
	return false;
}

static bool try_swap(struct ctx *c, struct tour *t)
{
	bool in[ROUTE_MAX_STOPS];
	struct tour cand;
	in_tour(t, c->pb->n, in);
	for (size_t i = 0; i < t->k; i++) {
		for (size_t u = 0; u < c->pb->n; u++) {
			if (in[u])
				continue;
			cand = *t;
			cand.seq[i] = u;
			if (simulate_from(c, &cand, i) && better(&cand, t)) {
				*t = cand;
				return true;
			}
		}
	}
	return false;
}

/* Drop one stop and insert up to two missing ones (gaining a stop needs
 * no more; further ones come in by try_insert in the next round): escapes
 * the local optima where no single move gains, e.g. when leaving out one
 * long visit makes room for two short ones. */
#define DROP_REINSERT 2
static bool try_drop(struct ctx *c, struct tour *t)
{
	struct tour cand;
	for (size_t i = 0; i < t->k; i++) {
		cand = *t;
		memmove(cand.seq + i, cand.seq + i + 1, (t->k - i - 1) * sizeof *cand.seq);
		cand.k--;
		bool ok = simulate_from(c, &cand, i);
		assert(ok); /* leaving a stop out only makes the others earlier */
		(void)ok;
		for (int r = 0; r < DROP_REINSERT && try_insert(c, &cand); r++)
			;
		if (better(&cand, t)) {
			*t = cand;
			return true;
		}
	}
	return false;
}

static void improve(struct ctx *c, struct tour *t)
{
	for (int round = 0; round < ROUTE_DAY_MAX_ROUNDS; round++) {
		if (!try_insert(c, t) && !try_two_opt(c, t) && !try_or_opt(c, t) && !try_swap(c, t) &&
		    !try_drop(c, t))
			break;
	}
}

void route_day_plan_nearest(const struct route_day_problem *pb, struct route_day_plan *out)
{
	assert(pb->n >= 1 && pb->n <= ROUTE_MAX_STOPS);
	struct ctx c = {pb, pb->n + 1, 0};
	struct tour t;
	nearest_tour(&c, &t);
	fill_plan(&c, &t, false, out);
}

void route_day_plan_heuristic(const struct route_day_problem *pb, struct route_day_plan *out)
{
	assert(pb->n >= 1 && pb->n <= ROUTE_MAX_STOPS);
	struct ctx c = {pb, pb->n + 1, 0};
	struct tour best, t;
	/* The nearest-neighbour start first: the result is never worse than
	 * it, as every later candidate must be strictly better to replace. */
	nearest_tour(&c, &best);
	struct tour nn = best;
	improve(&c, &best);
	insertion_tour(&c, &t);
	improve(&c, &t);
	if (better(&t, &best))
		best = t;
	shortest_tour(&c, &t);
	improve(&c, &t);
	if (better(&t, &best))
		best = t;
	deadline_tour(&c, &t);
	improve(&c, &t);
	if (better(&t, &best))
		best = t;
	assert(!better(&nn, &best));
	(void)nn;
	fill_plan(&c, &best, false, out);
}

/* --- the public entry ---------------------------------------------------------- */

static enum ms_status check_problem(const struct route_day_problem *pb, struct ms_error *err)
{
	size_t n = pb->n;
	if (n == 0)
		return ms_fail(err, MS_EUSAGE, "day plan: no stops given (need 1 to %d)", ROUTE_MAX_STOPS);
	if (n > ROUTE_MAX_STOPS)
		return ms_fail(err, MS_EUSAGE, "day plan: %zu stops given, at most %d allowed", n,
		               ROUTE_MAX_STOPS);
	if (!isfinite(pb->start_s))
		return ms_fail(err, MS_EUSAGE, "day plan: the start time is not a number");
	for (size_t a = 0; a <= n; a++) {
		for (size_t b = 0; b <= n; b++) {
			double v = pb->travel[a * (n + 1) + b];
			if (!isfinite(v) || v < 0)
				return ms_fail(err, MS_EUSAGE,
				               "day plan: travel time from node %zu to node %zu is %g s", a,
				               b, v);
		}
	}
	for (size_t k = 0; k < n; k++) {
		const struct route_day_stop *s = &pb->stops[k];
		if (!isfinite(s->visit_s) || s->visit_s < 0)
			return ms_fail(err, MS_EUSAGE, "day plan: stop %zu: visit of %g s", k, s->visit_s);
		if (s->hours_unknown)
			continue;
		if (s->nwindows > ROUTE_DAY_MAX_WINDOWS)
			return ms_fail(err, MS_EUSAGE, "day plan: stop %zu: %zu opening windows, at most %d",
			               k, s->nwindows, ROUTE_DAY_MAX_WINDOWS);
		for (size_t w = 0; w < s->nwindows; w++) {
			const struct route_day_window *x = &s->windows[w];
			if (!isfinite(x->open_s) || !isfinite(x->close_s) || x->open_s >= x->close_s)
				return ms_fail(err, MS_EUSAGE,
				               "day plan: stop %zu: window %zu is empty or not numbers", k,
				               w);
			if (w > 0 && x->open_s < s->windows[w - 1].close_s)
				return ms_fail(
				    err, MS_EUSAGE,
				    "day plan: stop %zu: window %zu overlaps or precedes the one before", k,
				    w);
		}
	}
	return MS_OK;
}

enum ms_status route_day_plan(const struct route_day_problem *pb, struct route_day_plan *out,
                              struct ms_error *err)
{
	enum ms_status st = check_problem(pb, err);
	if (st)
		return st;
	if (pb->n <= ROUTE_EXACT_MAX)
		route_day_plan_exact(pb, out);
	else
		route_day_plan_heuristic(pb, out);
	return MS_OK;
}

bool route_day_plan_follow(const struct route_day_problem *pb, const size_t *order, size_t k,
                           struct route_day_plan *out)
{
	assert(k <= pb->n && pb->n <= ROUTE_MAX_STOPS);
	struct ctx c = {pb, pb->n + 1, 0};
	struct tour t = {.k = k};
	memcpy(t.seq, order, k * sizeof *order);
	if (!simulate_from(&c, &t, 0))
		return false;
	fill_plan(&c, &t, false, out);
	return true;
}

int route_day_plan_compare(const struct route_day_plan *a, const struct route_day_plan *b)
{
	if (a->nvisits != b->nvisits)
		return a->nvisits > b->nvisits ? -1 : 1;
	if (a->end_s < b->end_s - MIN_GAIN)
		return -1;
	if (b->end_s < a->end_s - MIN_GAIN)
		return 1;
	return 0;
}

const char *route_day_reason_name(enum route_day_reason r)
{
	switch (r) {
	case ROUTE_DAY_CLOSED: return "closed";
	case ROUTE_DAY_TOO_SHORT: return "too_short";
	case ROUTE_DAY_CLOSES_FIRST: return "closes_first";
	case ROUTE_DAY_NO_ROOM: return "no_room";
	}
	return "";
}

const char *route_day_reason_zh(enum route_day_reason r)
{
	switch (r) {
	case ROUTE_DAY_CLOSED: return "当天闭馆";
	case ROUTE_DAY_TOO_SHORT: return "开放时间不足以参观";
	case ROUTE_DAY_CLOSES_FIRST: return "到达前已闭馆";
	case ROUTE_DAY_NO_ROOM: return "行程内无法安排";
	}
	return "";
}

const char *route_day_reason_en(enum route_day_reason r)
{
	switch (r) {
	case ROUTE_DAY_CLOSED: return "closed that day";
	case ROUTE_DAY_TOO_SHORT: return "not open long enough for the visit";
	case ROUTE_DAY_CLOSES_FIRST: return "closes before it can be reached";
	case ROUTE_DAY_NO_ROOM: return "does not fit in the day with the other stops";
	}
	return "";
}

/* test_route_dayplan.c - day plans with opening hours: the exact planner
 * against brute force over every sequence of stops for every n <= 8 on
 * random seeded instances, its plans re-checked against the windows, the
 * heuristic against nearest neighbour and the exact optimum, the plan with
 * no hours known against route_order, a Monday that avoids a hall closed
 * on Mondays, the reasons for missed stops, and the usage errors. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "route/dayplan.h"

#define HOUR 3600.0
#define MINUTE 60.0
#define MAX_WIN 3
/* Random instances: sites in a square this wide, reached at this speed. */
#define SQUARE_M 30000.0
#define SPEED_M_PER_S (30000.0 / HOUR)

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

struct instance {
	size_t n;
	double travel[(ROUTE_MAX_STOPS + 1) * (ROUTE_MAX_STOPS + 1)];
	struct route_day_stop stops[ROUTE_MAX_STOPS];
	struct route_day_window win[ROUTE_MAX_STOPS][MAX_WIN];
	struct route_day_problem pb;
};

/* Sites at random in a square; the day's hours drawn like real ones: a
 * morning and an afternoon window, or one long one, sometimes closed, now
 * and then not known; visits of 20 minutes to 2 hours. */
static void make_instance(struct instance *in, size_t n, bool round_trip, bool hours)
{
	double x[ROUTE_MAX_STOPS + 1], y[ROUTE_MAX_STOPS + 1];
	in->n = n;
	for (size_t i = 0; i <= n; i++) {
		x[i] = rnd() * SQUARE_M;
		y[i] = rnd() * SQUARE_M;
	}
	for (size_t i = 0; i <= n; i++)
		for (size_t j = 0; j <= n; j++)
			in->travel[i * (n + 1) + j] = hypot(x[i] - x[j], y[i] - y[j]) / SPEED_M_PER_S;
	for (size_t k = 0; k < n; k++) {
		struct route_day_stop *s = &in->stops[k];
		s->visit_s = (20 + rnd() * 100) * MINUTE;
		s->windows = in->win[k];
		s->hours_unknown = !hours;
		s->nwindows = 0;
		if (!hours)
			continue;
		double r = rnd();
		if (r < 0.1) {
			continue; /* closed that day */
		} else if (r < 0.2) {
			s->hours_unknown = true;
		} else if (r < 0.6) {
			in->win[k][0] =
			    (struct route_day_window){(8 + rnd() * 1.5) * HOUR, (11 + rnd() * 1.5) * HOUR};
			in->win[k][1] =
			    (struct route_day_window){(13 + rnd() * 1.5) * HOUR, (16 + rnd() * 2) * HOUR};
			s->nwindows = 2;
		} else {
			in->win[k][0] =
			    (struct route_day_window){(8 + rnd() * 2) * HOUR, (14 + rnd() * 4) * HOUR};
			s->nwindows = 1;
		}
	}
	in->pb = (struct route_day_problem){in->travel, n, in->stops, (8 + rnd() * 2) * HOUR, round_trip};
}

/* The definition, written again: leave stop s after arriving at a, or
 * INFINITY when no window has room for the whole visit. */
static double leave_after(const struct route_day_stop *s, double a)
{
	if (s->hours_unknown)
		return a + s->visit_s;
	double best = INFINITY;
	for (size_t w = 0; w < s->nwindows; w++) {
		double start = a > s->windows[w].open_s ? a : s->windows[w].open_s;
		if (start + s->visit_s <= s->windows[w].close_s && start + s->visit_s < best)
			best = start + s->visit_s;
	}
	return best;
}

struct brute {
	const struct route_day_problem *pb;
	size_t best_count;
	double best_end;
	uint64_t sequences;
};

/* Every sequence of distinct stops, extended one stop at a time. */
static void brute_dfs(struct brute *b, uint32_t used, size_t node, double time, size_t count)
{
	const struct route_day_problem *pb = b->pb;
	size_t m = pb->n + 1;
	double end = pb->round_trip ? time + pb->travel[node * m] : time;
	b->sequences++;
	if (count > b->best_count || (count == b->best_count && end < b->best_end)) {
		b->best_count = count;
		b->best_end = end;
	}
	for (size_t k = 0; k < pb->n; k++) {
		if (used >> k & 1)
			continue;
		double d = leave_after(&pb->stops[k], time + pb->travel[node * m + k + 1]);
		if (d < INFINITY)
			brute_dfs(b, used | 1u << k, k + 1, d, count + 1);
	}
}

/* A plan is what it says: a sequence of distinct stops, each visit inside
 * one window, times adding up from the start, the others reported. */
static bool plan_valid(const struct route_day_problem *pb, const struct route_day_plan *p)
{
	size_t m = pb->n + 1, node = 0;
	double time = pb->start_s, travel = 0, wait = 0;
	bool seen[ROUTE_MAX_STOPS] = {false};
	if (p->nvisits + p->nmissed != pb->n)
		return false;
	for (size_t i = 0; i < p->nvisits; i++) {
		const struct route_day_visit *v = &p->visit[i];
		const struct route_day_stop *s = &pb->stops[v->stop];
		if (v->stop >= pb->n || seen[v->stop])
			return false;
		seen[v->stop] = true;
		double leg = pb->travel[node * m + v->stop + 1];
		if (fabs(v->arrive_s - (time + leg)) > 1e-6 || v->start_s < v->arrive_s - 1e-9 ||
		    fabs(v->depart_s - (v->start_s + s->visit_s)) > 1e-6)
			return false;
		bool inside = s->hours_unknown;
		for (size_t w = 0; w < s->nwindows && !inside; w++)
			inside =
			    v->start_s >= s->windows[w].open_s && v->depart_s <= s->windows[w].close_s + 1e-9;
		if (!inside)
			return false;
		/* No needless waiting: the visit starts when the group arrives
		 * or when a window opens. */
		bool at_opening = fabs(v->start_s - v->arrive_s) < 1e-9;
		for (size_t w = 0; w < s->nwindows && !at_opening; w++)
			at_opening = fabs(v->start_s - s->windows[w].open_s) < 1e-9;
		if (!at_opening)
			return false;
		travel += leg;
		wait += v->start_s - v->arrive_s;
		time = v->depart_s;
		node = v->stop + 1;
	}
	if (pb->round_trip) {
		travel += pb->travel[node * m];
		time += pb->travel[node * m];
	}
	if (fabs(p->end_s - time) > 1e-6 || fabs(p->travel_s - travel) > 1e-6 ||
	    fabs(p->wait_s - wait) > 1e-6)
		return false;
	for (size_t i = 0; i < p->nmissed; i++) {
		if (p->missed[i].stop >= pb->n || seen[p->missed[i].stop])
			return false;
		if (i > 0 && p->missed[i].stop <= p->missed[i - 1].stop)
			return false;
	}
	return true;
}

/* Each missed stop's reason against its definition. */
static void check_reasons(const struct route_day_problem *pb, const struct route_day_plan *p)
{
	for (size_t i = 0; i < p->nmissed; i++) {
		const struct route_day_stop *s = &pb->stops[p->missed[i].stop];
		enum route_day_reason want;
		bool long_enough = s->hours_unknown;
		for (size_t w = 0; w < s->nwindows; w++)
			long_enough |= s->windows[w].close_s - s->windows[w].open_s >= s->visit_s;
		if (!s->hours_unknown && s->nwindows == 0)
			want = ROUTE_DAY_CLOSED;
		else if (!long_enough)
			want = ROUTE_DAY_TOO_SHORT;
		else if (leave_after(s, pb->start_s + pb->travel[p->missed[i].stop + 1]) == INFINITY)
			want = ROUTE_DAY_CLOSES_FIRST;
		else
			want = ROUTE_DAY_NO_ROOM;
		CHECK_MSG(p->missed[i].reason == want, "stop %zu: reason %d, expected %d", p->missed[i].stop,
		          p->missed[i].reason, want);
	}
}

static void test_exact_vs_brute(void)
{
	static struct instance in;
	int instances = 0, partial = 0;
	uint64_t sequences = 0;
	for (size_t n = 1; n <= 8; n++) {
		int trials = n <= 6 ? 60 : 25;
		for (int trial = 0; trial < trials; trial++) {
			for (int rt = 0; rt <= 1; rt++) {
				make_instance(&in, n, rt, true);
				struct route_day_plan p;
				route_day_plan_exact(&in.pb, &p);
				struct brute b = {&in.pb, 0, in.pb.start_s, 0};
				brute_dfs(&b, 0, 0, in.pb.start_s, 0);
				CHECK(p.exact);
				CHECK_MSG(p.nvisits == b.best_count,
				          "n=%zu trial %d rt %d: %zu visits, brute force %zu", n, trial, rt,
				          p.nvisits, b.best_count);
				CHECK_MSG(fabs(p.end_s - b.best_end) < 1e-6,
				          "n=%zu trial %d rt %d: ends %.3f, brute force %.3f", n, trial, rt,
				          p.end_s, b.best_end);
				CHECK_MSG(plan_valid(&in.pb, &p), "n=%zu trial %d rt %d: invalid plan", n,
				          trial, rt);
				check_reasons(&in.pb, &p);
				/* The work is what the header says it is. */
				CHECK(p.work <= ((uint64_t)1 << n) * n * n + 4 * n);
				/* route_day_plan takes the same path for n <= 12. */
				struct route_day_plan q;
				CHECK_INT(route_day_plan(&in.pb, &q, NULL), MS_OK);
				CHECK(memcmp(q.visit, p.visit, sizeof p.visit) == 0 &&
				      q.nvisits == p.nvisits);
				instances++;
				partial += p.nvisits < n;
				sequences += b.sequences;
			}
		}
	}
	printf("exact == brute force on %d instances of 1-8 stops (%d could not visit every stop; %llu "
	       "sequences tried)\n",
	       instances, partial, (unsigned long long)sequences);
	/* The instances must exercise the hours: many days cannot fit all. */
	CHECK(partial * 4 > instances);
}

static void test_heuristic(void)
{
	static struct instance in;
	int total = 0, equal = 0, same_count = 0, improved = 0;
	uint64_t max_work = 0;
	/* Small enough to know the optimum. */
	for (size_t n = 6; n <= ROUTE_EXACT_MAX; n++) {
		for (int trial = 0; trial < 8; trial++) {
			for (int rt = 0; rt <= 1; rt++) {
				make_instance(&in, n, rt, true);
				struct route_day_plan ex, h, nn;
				route_day_plan_exact(&in.pb, &ex);
				route_day_plan_heuristic(&in.pb, &h);
				route_day_plan_nearest(&in.pb, &nn);
				CHECK(plan_valid(&in.pb, &h));
				CHECK(plan_valid(&in.pb, &nn));
				CHECK_MSG(route_day_plan_compare(&ex, &h) <= 0,
				          "n=%zu: heuristic beats the optimum", n);
				CHECK_MSG(route_day_plan_compare(&h, &nn) <= 0,
				          "n=%zu: heuristic worse than nearest", n);
				total++;
				equal += route_day_plan_compare(&ex, &h) == 0;
				same_count += ex.nvisits == h.nvisits;
			}
		}
	}
	printf("heuristic == optimum on %d of %d instances of 6-12 stops, as many visits on %d\n", equal,
	       total, same_count);
	CHECK(equal * 10 >= total * 7);
	CHECK(same_count * 10 >= total * 9);
	/* Beyond the exact limit: never worse than nearest neighbour, and
	 * deterministic. */
	for (size_t n = 13; n <= ROUTE_MAX_STOPS; n++) {
		for (int rt = 0; rt <= 1; rt++) {
			make_instance(&in, n, rt, true);
			struct route_day_plan h, h2, nn, via;
			route_day_plan_heuristic(&in.pb, &h);
			route_day_plan_nearest(&in.pb, &nn);
			CHECK(plan_valid(&in.pb, &h));
			CHECK(plan_valid(&in.pb, &nn));
			check_reasons(&in.pb, &h);
			CHECK_MSG(route_day_plan_compare(&h, &nn) <= 0,
			          "n=%zu rt=%d: heuristic worse than nearest", n, rt);
			improved += route_day_plan_compare(&h, &nn) < 0;
			route_day_plan_heuristic(&in.pb, &h2);
			CHECK(h2.nvisits == h.nvisits && memcmp(h2.visit, h.visit, sizeof h.visit) == 0);
			CHECK_INT(route_day_plan(&in.pb, &via, NULL), MS_OK);
			CHECK(!via.exact && via.nvisits == h.nvisits && via.end_s == h.end_s);
			/* The bound of dayplan.h, four starts and their rounds, with
			 * the constants of dayplan.c's moves (a round's drop move
			 * tries k removals and two insertions of n (k + 1)
			 * positions of k + 1 arrivals; the others add about 9 n^3). */
			uint64_t n4 = (uint64_t)n * n * n * n;
			uint64_t bound = 4 * (n4 + (uint64_t)ROUTE_DAY_MAX_ROUNDS * (3 * n4 + 10 * n4 / n));
			CHECK_MSG(h.work <= bound, "n=%zu: work %llu above %llu", n,
			          (unsigned long long)h.work, (unsigned long long)bound);
			if (h.work > max_work)
				max_work = h.work;
		}
	}
	printf("heuristic better than nearest neighbour on %d of %d instances of 13-%d stops; at most %llu "
	       "arrivals evaluated\n",
	       improved, 2 * (ROUTE_MAX_STOPS - 12), ROUTE_MAX_STOPS, (unsigned long long)max_work);
	CHECK(improved > 0);
}

/* With no hours known the plan is the shortest tour: the same length as
 * route_order's, exact up to 12 stops, never longer beyond. */
static void test_no_hours_is_route_order(void)
{
	static struct instance in;
	int equal_beyond = 0;
	for (size_t n = 1; n <= ROUTE_MAX_STOPS; n++) {
		for (int rt = 0; rt <= 1; rt++) {
			make_instance(&in, n, rt, false);
			size_t order[ROUTE_MAX_STOPS];
			double len = 0;
			CHECK_INT(route_order(in.travel, n, rt, order, &len, NULL), MS_OK);
			struct route_day_plan p;
			CHECK_INT(route_day_plan(&in.pb, &p, NULL), MS_OK);
			CHECK_INT(p.nvisits, n);
			CHECK_INT(p.nmissed, 0);
			CHECK(plan_valid(&in.pb, &p));
			CHECK_NEAR(p.wait_s, 0, 1e-9);
			if (n <= ROUTE_EXACT_MAX) {
				CHECK_MSG(fabs(p.travel_s - len) <= 1e-9 * len + 1e-6,
				          "n=%zu rt=%d: %.6f vs %.6f", n, rt, p.travel_s, len);
			} else {
				CHECK_MSG(p.travel_s <= len + 1e-9 * len + 1e-6,
				          "n=%zu rt=%d: %.6f longer than %.6f", n, rt, p.travel_s, len);
				equal_beyond += fabs(p.travel_s - len) <= 1e-9 * len + 1e-6;
			}
		}
	}
	printf("no hours: equal to route_order up to %d stops, and on %d of %d instances beyond\n",
	       ROUTE_EXACT_MAX, equal_beyond, 2 * (ROUTE_MAX_STOPS - ROUTE_EXACT_MAX));
}

/*
 * A Monday in Zibo: the Heitieshan memorial hall ("Tu-Su 08:30-11:30,
 * 13:30-17:30": no windows on a Monday), a museum open 09:00-17:00 and a
 * former site open 08:30-16:30, all a quarter of an hour apart and a
 * quarter of an hour from the start, an hour's visit each, leaving at
 * 08:00.  The hall is the nearest and would come first in a plan that
 * ignores the hours.
 */
static void test_monday(void)
{
	const double q = 15 * MINUTE;
	double travel[16] = {
	    0,          5 * MINUTE, q, q, /* start: the hall is nearest */
	    5 * MINUTE, 0,          q, q, q, q, 0, q, q, q, q, 0,
	};
	struct route_day_window hall_tuesday[2] = {{8.5 * HOUR, 11.5 * HOUR}, {13.5 * HOUR, 17.5 * HOUR}};
	struct route_day_window museum[1] = {{9 * HOUR, 17 * HOUR}}, former[1] = {{8.5 * HOUR, 16.5 * HOUR}};
	struct route_day_stop stops[3] = {
	    {HOUR, hall_tuesday, 0, false}, /* Monday: closed */
	    {HOUR, museum, 1, false},
	    {HOUR, former, 1, false},
	};
	struct route_day_problem pb = {travel, 3, stops, 8 * HOUR, false};
	size_t order[3];
	CHECK_INT(route_order(travel, 3, false, order, NULL, NULL), MS_OK);
	CHECK_INT(order[0], 0); /* without hours, the hall first */

	struct route_day_plan p;
	CHECK_INT(route_day_plan(&pb, &p, NULL), MS_OK);
	CHECK_INT(p.nvisits, 2);
	CHECK_INT(p.nmissed, 1);
	CHECK_INT(p.missed[0].stop, 0);
	CHECK_INT(p.missed[0].reason, ROUTE_DAY_CLOSED);
	CHECK_STR(route_day_reason_zh(p.missed[0].reason), "当天闭馆");
	CHECK_STR(route_day_reason_en(p.missed[0].reason), "closed that day");
	/* The former site first (it opens at 08:30, the museum at 09:00):
	 * arrive 08:15, wait a quarter of an hour, 08:30-09:30, then the
	 * museum 09:45-10:45. */
	CHECK_INT(p.visit[0].stop, 2);
	CHECK_NEAR(p.visit[0].arrive_s, 8.25 * HOUR, 1e-9);
	CHECK_NEAR(p.visit[0].start_s, 8.5 * HOUR, 1e-9);
	CHECK_INT(p.visit[1].stop, 1);
	CHECK_NEAR(p.visit[1].start_s, 9.75 * HOUR, 1e-9);
	CHECK_NEAR(p.end_s, 10.75 * HOUR, 1e-9);
	CHECK_NEAR(p.wait_s, 0.25 * HOUR, 1e-9);

	/* Tuesday: the hall opens and all three fit in the morning, done at
	 * 12:00 whichever of the equally good orders is kept (no visit can
	 * start before 08:30, and each further one takes 1 h 15 min). */
	stops[0].nwindows = 2;
	CHECK_INT(route_day_plan(&pb, &p, NULL), MS_OK);
	CHECK(plan_valid(&pb, &p));
	CHECK_INT(p.nvisits, 3);
	CHECK_NEAR(p.end_s, 12 * HOUR, 1e-9);
	/* Two-hour visits: the hall's morning (3 h) still fits one, but the
	 * plan must not put a visit across its lunch break. */
	for (int k = 0; k < 3; k++)
		stops[k].visit_s = 2 * HOUR;
	CHECK_INT(route_day_plan(&pb, &p, NULL), MS_OK);
	CHECK(plan_valid(&pb, &p));
	CHECK_INT(p.nvisits, 3);
	for (size_t i = 0; i < p.nvisits; i++) {
		if (p.visit[i].stop == 0)
			CHECK(p.visit[i].depart_s <= 11.5 * HOUR || p.visit[i].start_s >= 13.5 * HOUR);
	}
	/* Following the hours-blind order on a Monday is refused. */
	stops[0].nwindows = 0;
	CHECK(!route_day_plan_follow(&pb, order, 3, &p));
	size_t two[2] = {2, 1};
	CHECK(route_day_plan_follow(&pb, two, 2, &p));
	CHECK_INT(p.nmissed, 1);
	CHECK_INT(p.missed[0].reason, ROUTE_DAY_CLOSED);
}

/* Each reason on a case built for it. */
static void test_reasons(void)
{
	double travel[9] = {0, HOUR, HOUR, HOUR, 0, HOUR, HOUR, HOUR, 0};
	struct route_day_window shortw[1] = {{9 * HOUR, 9.5 * HOUR}}, early[1] = {{7 * HOUR, 8.5 * HOUR}};
	struct route_day_stop stops[2] = {{HOUR, shortw, 1, false}, {HOUR, early, 1, false}};
	struct route_day_problem pb = {travel, 2, stops, 8 * HOUR, false};
	struct route_day_plan p;
	CHECK_INT(route_day_plan(&pb, &p, NULL), MS_OK);
	CHECK_INT(p.nvisits, 0);
	CHECK_INT(p.nmissed, 2);
	CHECK_INT(p.missed[0].reason, ROUTE_DAY_TOO_SHORT);
	CHECK_INT(p.missed[1].reason, ROUTE_DAY_CLOSES_FIRST);
	CHECK_NEAR(p.end_s, 8 * HOUR, 1e-9);
	/* Two stops an hour apart, each open for one hour-long visit at the
	 * same time: one fits, the other has no room. */
	struct route_day_window same[1] = {{10 * HOUR, 11 * HOUR}};
	stops[0] = (struct route_day_stop){HOUR, same, 1, false};
	stops[1] = (struct route_day_stop){HOUR, same, 1, false};
	CHECK_INT(route_day_plan(&pb, &p, NULL), MS_OK);
	CHECK_INT(p.nvisits, 1);
	CHECK_INT(p.visit[0].stop, 0); /* the tie goes to the lower index */
	CHECK_INT(p.missed[0].reason, ROUTE_DAY_NO_ROOM);
	for (int r = ROUTE_DAY_CLOSED; r <= ROUTE_DAY_NO_ROOM; r++)
		CHECK(route_day_reason_zh(r)[0] && route_day_reason_en(r)[0]);
}

static void expect_usage(const struct route_day_problem *pb, const char *part)
{
	struct route_day_plan p;
	struct ms_error err = {0};
	CHECK_INT(route_day_plan(pb, &p, &err), MS_EUSAGE);
	CHECK_MSG(strstr(err.msg, part) != NULL, "got \"%s\", want \"%s\"", err.msg, part);
}

static void test_usage(void)
{
	double travel[4] = {0, 60, 60, 0};
	struct route_day_window w[3] = {
	    {9 * HOUR, 12 * HOUR}, {11 * HOUR, 13 * HOUR}, {14 * HOUR, 14 * HOUR}};
	struct route_day_stop s = {HOUR, w, 1, false};
	struct route_day_problem pb = {travel, 1, &s, 8 * HOUR, false};
	struct route_day_plan p;
	CHECK_INT(route_day_plan(&pb, &p, NULL), MS_OK);
	pb.n = 0;
	expect_usage(&pb, "no stops");
	pb.n = ROUTE_MAX_STOPS + 1;
	expect_usage(&pb, "51 stops");
	pb.n = 1;
	travel[1] = -1;
	expect_usage(&pb, "travel time from node 0 to node 1 is -1 s");
	travel[1] = NAN;
	expect_usage(&pb, "node 0 to node 1");
	travel[1] = 60;
	s.visit_s = INFINITY;
	expect_usage(&pb, "stop 0: visit of inf s");
	s.visit_s = HOUR;
	s.nwindows = 2;
	expect_usage(&pb, "stop 0: window 1 overlaps or precedes the one before");
	s.windows = w + 2;
	s.nwindows = 1;
	expect_usage(&pb, "stop 0: window 0 is empty");
	s.windows = w;
	s.nwindows = ROUTE_DAY_MAX_WINDOWS + 1;
	expect_usage(&pb, "65 opening windows");
	s.nwindows = 1;
	pb.start_s = NAN;
	expect_usage(&pb, "start time");
}

int main(void)
{
	test_exact_vs_brute();
	test_heuristic();
	test_no_hours_is_route_order();
	test_monday();
	test_reasons();
	test_usage();
	return CHECK_DONE();
}

/*
 * dayplan.h - a day's visiting plan: in which order to visit the stops,
 * when to arrive at each and when to leave, given travel times, the time
 * each visit takes and the hours each stop is open that day.
 *
 * Input: a travel-time matrix in seconds between the start (node 0) and n
 * stops (nodes 1..n), (n+1) x (n+1), row-major, zero diagonal, not
 * necessarily symmetric; per stop its visit duration and its open windows
 * that day in seconds since local midnight (from hours_day_spans, say), or
 * a flag that its hours are not known; the time of leaving the start; and
 * whether the day ends back at the start.
 *
 * Objective: visit as many stops as possible; among plans visiting as
 * many, finish earliest (back at the start for a round trip, else leaving
 * the last stop).  Waiting for a stop to open is allowed.  A visit must
 * fit in one window: it starts no earlier than the opening and ends no
 * later than the closing.  A stop whose hours are not known is taken as
 * open all day (the caller flags it on the sheet).  With no hours known at
 * all, every stop is visited and finishing earliest is the shortest tour,
 * so the plan is never worse than route_order's (the tests check it).
 *
 * Stops that cannot be fitted are not dropped silently: each is reported
 * with a reason the sheet can put into words ("周一闭馆 / closed on
 * Mondays" from ROUTE_DAY_CLOSED and the date).
 *
 * Algorithms (work counted in route_day_plan.work, see each function):
 * exact for n <= ROUTE_EXACT_MAX (dynamic programming over subsets), a
 * heuristic beyond, both deterministic (ties go to the lower stop index).
 *
 * No I/O, no shared state: any thread may plan on its own arguments.
 */
#ifndef MS_DAYPLAN_H
#define MS_DAYPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "route.h"

/* At most this many open windows per stop and day (bounds the work;
 * a real day has one to three). */
#define ROUTE_DAY_MAX_WINDOWS 64
/* The heuristic's improvement rounds at most, per start (each round makes
 * one improving move; the tests' random days of up to 50 stops need at
 * most 54, 10 on average, so this only bounds the worst case). */
#define ROUTE_DAY_MAX_ROUNDS 400

/* [open_s, close_s): seconds since local midnight; may run past 86400
 * for hours past midnight. */
struct route_day_window {
	double open_s, close_s;
};

struct route_day_stop {
	double visit_s;                         /* time spent there, >= 0 */
	const struct route_day_window *windows; /* sorted, disjoint; borrowed */
	size_t nwindows;                        /* 0 with hours known: closed that day */
	bool hours_unknown;                     /* no hours known: open all day */
};

struct route_day_problem {
	const double *travel; /* (n+1) x (n+1) seconds; borrowed */
	size_t n;
	const struct route_day_stop *stops; /* n; borrowed */
	double start_s;                     /* leaving the start, seconds since local midnight */
	bool round_trip;                    /* the day ends back at the start */
};

/* Why a stop is not in the plan: enum route_day_reason, in route.h (a
 * plan carries it). */

struct route_day_visit {
	size_t stop;     /* 0-based stop index */
	double arrive_s; /* arrival; the visit starts at start_s, after waiting start_s - arrive_s */
	double start_s;
	double depart_s; /* start_s + the visit */
};

struct route_day_missed {
	size_t stop;
	enum route_day_reason reason;
};

struct route_day_plan {
	size_t nvisits;
	struct route_day_visit visit[ROUTE_MAX_STOPS]; /* in visiting order */
	size_t nmissed;
	struct route_day_missed missed[ROUTE_MAX_STOPS]; /* by stop index */
	double end_s;    /* back at the start (round trip) or leaving the last stop */
	double travel_s; /* all legs, the way back included */
	double wait_s;   /* all waiting for openings */
	bool exact;      /* made by route_day_plan_exact */
	uint64_t work;   /* arrivals at a stop evaluated: the measure of the work done */
};

/* The plan: exact for n <= ROUTE_EXACT_MAX, else the heuristic.
 * MS_EUSAGE (naming the stop or matrix entry) for n == 0 or above
 * ROUTE_MAX_STOPS, a travel time or visit duration that is negative or
 * not finite, windows that are empty, unsorted, overlapping or more than
 * ROUTE_DAY_MAX_WINDOWS, or a start time that is not finite. */
enum ms_status route_day_plan(const struct route_day_problem *pb, struct route_day_plan *out,
                              struct ms_error *err);

/* The algorithms, for tests and benchmarks; the problem must be valid.
 *
 * route_day_plan_exact: 1 <= n <= ROUTE_EXACT_MAX.  O(2^n n^2 W) time for
 *   W windows per stop, 2^n n (double + byte) memory.
 * route_day_plan_nearest: from the start, always on to the nearest stop
 *   (by travel time) that can still be visited; O(n^2 W).
 * route_day_plan_heuristic: the best of four starts (nearest; cheapest
 *   insertion; deadline insertion, the stops that must start soonest
 *   first; route_order's shortest tour with the stops that fit kept in its
 *   order), each improved by local search while a move visits one more
 *   stop or finishes earlier: insert a missing stop, reverse a stretch
 *   (2-opt), move a stretch of 1-3 stops (Or-opt), swap a visited stop for
 *   a missing one, drop one and insert up to two missing ones.  Never
 *   worse than route_day_plan_nearest.  O(n^4 W) for the starts, then at
 *   most ROUTE_DAY_MAX_ROUNDS rounds of O(n^4 W) each (the drop move; the
 *   others are O(n^3 W)). */
void route_day_plan_exact(const struct route_day_problem *pb, struct route_day_plan *out);
void route_day_plan_nearest(const struct route_day_problem *pb, struct route_day_plan *out);
void route_day_plan_heuristic(const struct route_day_problem *pb, struct route_day_plan *out);

/* The plan for a given order (0-based stops, each at most once, k of
 * them): false, with out undefined, when some stop cannot be visited in
 * that order; the stops not in order are reported as missed. */
bool route_day_plan_follow(const struct route_day_problem *pb, const size_t *order, size_t k,
                           struct route_day_plan *out);

/* Negative when a is the better plan (more visits, or as many and an
 * earlier end), positive when b is, 0 when they tie. */
int route_day_plan_compare(const struct route_day_plan *a, const struct route_day_plan *b);

#endif

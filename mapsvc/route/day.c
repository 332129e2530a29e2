/*
 * day.c - the day of a plan: each stop's visit, the order that fits the
 * opening hours of a date (route_day_plan on the plan's distances), and
 * the clock times of arrival and departure; see route.h's route_plan_make.
 *
 * Times are seconds after the day's local midnight (China Standard Time,
 * the hours' own), as route/dayplan.h counts them.  Travel times are the
 * plan's estimates of the recorded distances (route_estimate_minutes), so
 * the times of the day are estimates as well, as every sheet says.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dayplan.h"
#include "route_int.h"

#define SECONDS_PER_MINUTE 60.0

double route_visit_default_min(enum site_category c)
{
	/* route.h says why these */
	static const double minutes[CAT_COUNT] = {
	    [CAT_MEMORIAL_HALL] = 60, [CAT_MUSEUM] = 60,          [CAT_MARTYRS_CEMETERY] = 45,
	    [CAT_FORMER_SITE] = 30,   [CAT_MONUMENT] = 20,        [CAT_EDUCATION_BASE] = 45,
	    [CAT_STUDY_STATION] = 30, [CAT_TRAINING_SCHOOL] = 30,
	};
	return (unsigned)c < CAT_COUNT ? minutes[c] : minutes[CAT_FORMER_SITE];
}

/* Stop k's windows on the day: its open and unknown stretches (an unknown
 * stretch may well be open: a guide checks it; the sheet says which),
 * touching ones joined, since a visit may run from one into the next. */
static size_t windows_of(const struct hours *h, struct hours_date d, struct route_day_window *w)
{
	struct hours_span spans[ROUTE_DAY_MAX_WINDOWS];
	size_t n = hours_day_spans(h, d, spans, ROUTE_DAY_MAX_WINDOWS);
	if (n > ROUTE_DAY_MAX_WINDOWS)
		n = ROUTE_DAY_MAX_WINDOWS; /* a day of more stretches than that is no real day */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double open = spans[i].from_min * SECONDS_PER_MINUTE,
		       close = spans[i].to_min * SECONDS_PER_MINUTE;
		if (k && w[k - 1].close_s >= open)
			w[k - 1].close_s = close;
		else
			w[k++] = (struct route_day_window){open, close};
	}
	return k;
}

enum ms_status route_day_order(const double *dist, const struct site *const *sites, size_t n,
                               const double *visit_min, const struct route_day *day, struct route_plan *p,
                               struct ms_error *err)
{
	size_t m = n + 1;
	double *travel = xmalloc(m * m * sizeof *travel);
	for (size_t i = 0; i < m * m; i++)
		travel[i] = route_estimate_minutes(dist[i], p->opt.mode) * SECONDS_PER_MINUTE;
	struct route_day_stop stops[ROUTE_MAX_STOPS];
	struct route_day_window *windows = xcalloc(n * ROUTE_DAY_MAX_WINDOWS, sizeof *windows);
	for (size_t i = 0; i < n; i++) {
		const struct hours *h = day->hours ? day->hours[i] : NULL;
		stops[i] = (struct route_day_stop){.visit_s = visit_min[i] * SECONDS_PER_MINUTE,
		                                   .windows = windows + i * ROUTE_DAY_MAX_WINDOWS,
		                                   .hours_unknown = h == NULL};
		if (h)
			stops[i].nwindows = windows_of(h, day->date, windows + i * ROUTE_DAY_MAX_WINDOWS);
	}
	int start_min = day->start_min >= 0 ? day->start_min : ROUTE_DAY_DEFAULT_START_MIN;
	struct route_day_problem pb = {.travel = travel,
	                               .n = n,
	                               .stops = stops,
	                               .start_s = start_min * SECONDS_PER_MINUTE,
	                               .round_trip = p->opt.round_trip};
	struct route_day_plan *dp = xmalloc(sizeof *dp);
	enum ms_status st = route_day_plan(&pb, dp, err);
	if (st == MS_OK) {
		p->n = dp->nvisits;
		for (size_t v = 0; v < dp->nvisits; v++) {
			size_t k = dp->visit[v].stop;
			p->stops[v] = sites[k];
			p->times[v] = (struct route_stop_time){visit_min[k], dp->visit[v].arrive_s,
			                                       dp->visit[v].start_s, dp->visit[v].depart_s,
			                                       day->hours ? day->hours[k] : NULL};
		}
		p->nmissed = dp->nmissed;
		for (size_t i = 0; i < dp->nmissed; i++) {
			size_t k = dp->missed[i].stop;
			p->missed[i] = (struct route_missed_stop){sites[k], dp->missed[i].reason,
			                                          day->hours ? day->hours[k] : NULL};
		}
		p->has_date = true;
		p->date = day->date;
		p->has_times = true;
		p->start_s = pb.start_s;
		p->end_s = dp->end_s;
		p->day_exact = dp->exact;
	}
	free(dp);
	free(windows);
	free(travel);
	return st;
}

void route_plan_clock(struct route_plan *p, int start_min)
{
	if (!p->times)
		return;
	p->has_times = true;
	p->start_s = start_min * SECONDS_PER_MINUTE;
	double t = p->start_s;
	for (size_t i = 0; i < p->n; i++) {
		struct route_stop_time *tm = &p->times[i];
		tm->arrive_s = tm->start_s =
		    t + route_estimate_minutes(p->legs[i].distance_m, p->opt.mode) * 60;
		tm->depart_s = tm->start_s + tm->visit_min * SECONDS_PER_MINUTE;
		t = tm->depart_s;
	}
	if (p->has_return)
		t += route_estimate_minutes(p->return_leg.distance_m, p->opt.mode) * SECONDS_PER_MINUTE;
	p->end_s = t;
}

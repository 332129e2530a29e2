/* plan.c - plans: the distance matrix from coordinates, legs, compass words
 * and time estimates; see route.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/geo.h"
#include "../util/mem.h"
#include "route_int.h"

const char route_estimate_note_zh[] =
    "距离为直线（大地线）距离，时间按绕行系数和平均速度估算，未使用道路网络，仅供参考。";
const char route_estimate_note_en[] =
    "Distances are straight-line (geodesic); times are estimates from a detour factor and an average "
    "speed. No road network is used.";

static const char *const compass_zh[8] = {"北", "东北", "东", "东南", "南", "西南", "西", "西北"};
static const char *const compass_en[8] = {"N", "NE", "E", "SE", "S", "SW", "W", "NW"};

int route_compass_sector(double azimuth_deg)
{
	if (!isfinite(azimuth_deg))
		return 0;
	double a = fmod(azimuth_deg, 360.0);
	if (a < 0)
		a += 360.0;
	/* Shift by half a sector so that each sector starts at a multiple of
	 * 45; floor puts a boundary into the sector clockwise of it. */
	int k = (int)floor((a + 22.5) / 45.0);
	return k % 8;
}

const char *route_compass_zh(int sector)
{
	return compass_zh[((sector % 8) + 8) % 8];
}

const char *route_compass_en(int sector)
{
	return compass_en[((sector % 8) + 8) % 8];
}

const char *route_mode_name(enum route_mode m)
{
	return m == ROUTE_DRIVE ? "drive" : "walk";
}

int route_mode_parse(const char *s)
{
	if (s && strcmp(s, "walk") == 0)
		return ROUTE_WALK;
	if (s && strcmp(s, "drive") == 0)
		return ROUTE_DRIVE;
	return -1;
}

double route_estimate_minutes(double distance_m, enum route_mode mode)
{
	double factor = mode == ROUTE_DRIVE ? ROUTE_DRIVE_DETOUR : ROUTE_WALK_DETOUR;
	double kmh = mode == ROUTE_DRIVE ? ROUTE_DRIVE_KMH : ROUTE_WALK_KMH;
	return distance_m * factor / (kmh * 1000.0 / 60.0);
}

static const struct {
	const char *name, *zh, *en;
} leg_qualities[] = {
    [ROUTE_LEG_OK] = {"ok", NULL, NULL},
    [ROUTE_LEG_SAME_PLACE] = {"same_place", "同一地点", "same place"},
    [ROUTE_LEG_UNVERIFIED] = {"unverified", "位置待核实", "position unverified"},
};

#define LEG_QUALITIES (sizeof leg_qualities / sizeof leg_qualities[0])

const char *route_leg_quality_name(enum route_leg_quality q)
{
	return (unsigned)q < LEG_QUALITIES ? leg_qualities[q].name : NULL;
}

const char *route_leg_quality_zh(enum route_leg_quality q)
{
	return (unsigned)q < LEG_QUALITIES ? leg_qualities[q].zh : NULL;
}

const char *route_leg_quality_en(enum route_leg_quality q)
{
	return (unsigned)q < LEG_QUALITIES ? leg_qualities[q].en : NULL;
}

/* One end of a leg: a position and how far the place may be from it. */
struct leg_end {
	double lat, lon, radius_m;
	bool approximate;
};

static struct leg_end start_end(const struct route_plan *p)
{
	return (struct leg_end){p->start_lat, p->start_lon, ROUTE_START_UNCERTAINTY_M, false};
}

static struct leg_end stop_end(const struct site *s)
{
	return (struct leg_end){s->lat, s->lon, site_uncertainty(s), site_quality_approximate(s->quality)};
}

static struct route_leg make_leg(struct leg_end a, struct leg_end b, enum route_mode mode)
{
	struct route_leg l;
	geo_inverse(a.lat, a.lon, b.lat, b.lon, &l.distance_m, &l.bearing_deg);
	l.uncertainty_m = a.radius_m + b.radius_m;
	l.approximate = a.approximate || b.approximate;
	/* Within the radii the two places may lie in any direction of each
	 * other and at any distance up to the radii's sum: a bearing or a time
	 * from the recorded points would be noise. */
	if (l.distance_m < ROUTE_SAME_PLACE_M)
		l.quality = ROUTE_LEG_SAME_PLACE;
	else if (l.distance_m < l.uncertainty_m)
		l.quality = ROUTE_LEG_UNVERIFIED;
	else
		l.quality = ROUTE_LEG_OK;
	if (l.quality == ROUTE_LEG_OK) {
		l.minutes = route_estimate_minutes(l.distance_m, mode);
	} else {
		l.bearing_deg = NAN;
		l.minutes = NAN;
	}
	return l;
}

void route_plan_compute_legs(struct route_plan *p)
{
	struct leg_end from = start_end(p);
	p->total_distance_m = p->total_uncertainty_m = 0;
	p->approximate_stops = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct leg_end to = stop_end(p->stops[i]);
		p->legs[i] = make_leg(from, to, p->opt.mode);
		p->total_distance_m += p->legs[i].distance_m;
		p->total_uncertainty_m += p->legs[i].uncertainty_m;
		p->approximate_stops += to.approximate;
		from = to;
	}
	p->has_return = p->opt.round_trip && p->n > 0;
	memset(&p->return_leg, 0, sizeof p->return_leg);
	if (p->has_return) {
		p->return_leg = make_leg(from, start_end(p), p->opt.mode);
		p->total_distance_m += p->return_leg.distance_m;
		p->total_uncertainty_m += p->return_leg.uncertainty_m;
	}
	/* The estimate is linear in the distance, so this is also the sum of
	 * the legs' estimates, the unusable legs' included: the total must
	 * not drop a leg's length because its direction is unknown. */
	p->total_minutes = route_estimate_minutes(p->total_distance_m, p->opt.mode);
	p->total_uncertainty_minutes = route_estimate_minutes(p->total_uncertainty_m, p->opt.mode);
	p->total_visit_min = 0;
	for (size_t i = 0; p->times && i < p->n; i++)
		p->total_visit_min += p->times[i].visit_min;
}

static int cmp_idx_by_id(const void *a, const void *b, void *ctx)
{
	const struct site *const *sites = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(site_field(sites[i], SITE_ID), site_field(sites[j], SITE_ID));
	return c ? c : (i > j) - (i < j);
}

/* Reports the first duplicate id (in sort order), if any. */
static enum ms_status check_duplicates(const struct site *const *sites, size_t n, struct ms_error *err)
{
	size_t *idx = xmalloc(n * sizeof *idx);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof *idx, cmp_idx_by_id, (void *)sites);
	enum ms_status st = MS_OK;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(site_field(sites[idx[i - 1]], SITE_ID), site_field(sites[idx[i]], SITE_ID)) == 0) {
			st = ms_fail(err, MS_EUSAGE, "route: site \"%s\" is listed twice (stops %zu and %zu)",
			             site_field(sites[idx[i]], SITE_ID), idx[i - 1] + 1, idx[i] + 1);
			break;
		}
	}
	free(idx);
	return st;
}

/* The day's own checks: visits and the start time in range. */
static enum ms_status check_day(const struct site *const *sites, size_t n, const struct route_day *day,
                                struct ms_error *err)
{
	if (day->start_min < -1 || day->start_min >= HOURS_MINUTES_PER_DAY)
		return ms_fail(err, MS_EUSAGE, "start: %d minutes is not a time of day", day->start_min);
	if (day->has_date && !hours_date_valid(day->date))
		return ms_fail(err, MS_EUSAGE, "date: %04d-%02d-%02d is not a date", day->date.year,
		               day->date.month, day->date.day);
	for (size_t i = 0; day->visit_min && i < n; i++)
		if (!(day->visit_min[i] >= 0 && day->visit_min[i] <= ROUTE_VISIT_MAX_MIN))
			return ms_fail(err, MS_EUSAGE, "visit: %g min at '%s' is not in 0..%d",
			               day->visit_min[i], site_field(sites[i], SITE_ID), ROUTE_VISIT_MAX_MIN);
	return MS_OK;
}

enum ms_status route_plan_build(double start_lat, double start_lon, const struct site *const *sites, size_t n,
                                const struct route_options *opt, struct route_plan **out,
                                struct ms_error *err)
{
	return route_plan_make(start_lat, start_lon, sites, n, opt, NULL, out, err);
}

enum ms_status route_plan_make(double start_lat, double start_lon, const struct site *const *sites, size_t n,
                               const struct route_options *opt, const struct route_day *day,
                               struct route_plan **out, struct ms_error *err)
{
	*out = NULL;
	if (n == 0)
		return ms_fail(err, MS_EUSAGE, "route: no stops given (need 1 to %d)", ROUTE_MAX_STOPS);
	if (n > ROUTE_MAX_STOPS)
		return ms_fail(err, MS_EUSAGE, "route: %zu stops given, at most %d allowed", n,
		               ROUTE_MAX_STOPS);
	if (!site_coord_valid(start_lat, start_lon))
		return ms_fail(err, MS_EUSAGE, "route: start %g,%g is not a valid latitude,longitude",
		               start_lat, start_lon);
	for (size_t i = 0; i < n; i++)
		if (!site_coord_valid(sites[i]->lat, sites[i]->lon))
			return ms_fail(err, MS_EDATA, "route: site \"%s\" has an invalid coordinate %g,%g",
			               site_field(sites[i], SITE_ID), sites[i]->lat, sites[i]->lon);
	enum ms_status st = check_duplicates(sites, n, err);
	if (st == MS_OK && day)
		st = check_day(sites, n, day, err);
	if (st != MS_OK)
		return st;

	/* Node 0 is the start.  Each pair is computed once and mirrored: the
	 * heuristics assume a symmetric matrix, and the geodesic distance is
	 * symmetric up to rounding anyway. */
	size_t m = n + 1;
	double *dist = xcalloc(m * m, sizeof *dist);
	for (size_t i = 0; i < m; i++) {
		double lat1 = i ? sites[i - 1]->lat : start_lat, lon1 = i ? sites[i - 1]->lon : start_lon;
		for (size_t j = i + 1; j < m; j++) {
			double d = geo_distance_m(lat1, lon1, sites[j - 1]->lat, sites[j - 1]->lon);
			dist[i * m + j] = dist[j * m + i] = d;
		}
	}
	double *visit = xmalloc(n * sizeof *visit);
	for (size_t i = 0; i < n; i++)
		visit[i] =
		    day && day->visit_min ? day->visit_min[i] : route_visit_default_min(sites[i]->category);
	size_t *order = xmalloc(n * sizeof *order);
	struct route_plan *p = xcalloc(1, sizeof *p);
	p->start_lat = start_lat;
	p->start_lon = start_lon;
	p->opt = *opt;
	p->n = n;
	p->stops = xmalloc(n * sizeof *p->stops);
	p->legs = xcalloc(n, sizeof *p->legs);
	p->times = xcalloc(n, sizeof *p->times);
	p->missed = xcalloc(n, sizeof *p->missed);
	p->start_s = p->end_s = NAN;
	if (day && day->has_date) {
		st = route_day_order(dist, sites, n, visit, day, p, err);
	} else if ((st = route_order(dist, n, opt->round_trip, order, NULL, err)) == MS_OK) {
		for (size_t i = 0; i < n; i++) {
			p->stops[i] = sites[order[i]];
			p->times[i] = (struct route_stop_time){
			    visit[order[i]], NAN, NAN, NAN, day && day->hours ? day->hours[order[i]] : NULL};
		}
	}
	if (st != MS_OK) {
		route_plan_free(p);
		goto done;
	}
	route_plan_compute_legs(p);
	if (!p->has_date && day && day->start_min >= 0)
		route_plan_clock(p, day->start_min);
	*out = p;
done:
	free(order);
	free(visit);
	free(dist);
	return st;
}

void route_plan_free(struct route_plan *p)
{
	if (!p)
		return;
	free(p->stops);
	free(p->legs);
	free(p->times);
	free(p->missed);
	free(p);
}

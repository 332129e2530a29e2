/*
 * route.h - route sheets for tour guides: a visiting order for a start
 * point and up to ROUTE_MAX_STOPS sites, the legs between them, and the
 * sheet written as GeoJSON, GPX 1.1, a printable HTML page or a PDF.
 *
 * Two layers:
 *   - Ordering works on a precomputed distance matrix and knows nothing of
 *     coordinates (route_order_*).  Node 0 is the start, nodes 1..n the
 *     stops; the matrix is (n+1) x (n+1), row-major, symmetric, with a zero
 *     diagonal.  Orders are returned as 0-based stop indices (node - 1).
 *   - A plan (route_plan_build) builds that matrix from WGS-84 geodesic
 *     distances (geo/geo.h), orders the stops and computes each leg's
 *     distance, initial bearing and estimated time.  The writers take a
 *     plan plus a struct route_sheet (title, date, map) and append to a
 *     struct buf.
 *
 * Times are ESTIMATES: no road network is used, only the straight-line
 * (geodesic) distance times a detour factor divided by a speed (see
 * ROUTE_WALK_* / ROUTE_DRIVE_* below).  Every sheet says so.
 *
 * Sheets are honest about positions (site/site.h).  A stop whose position
 * quality is coarser than street is marked approximate ("≈", and
 * "位置为近似（约 ±1 km）/ approximate position (±1 km)").  A leg whose
 * ends share a recorded position reads "同一地点 / same place"; one
 * shorter than its ends' radii together reads "位置待核实 / position
 * unverified": such a leg's bearing and time would be computed from noise,
 * so it has none (NAN in the plan, null in JSON, on paper the note in
 * their place).  The summary says how many stops are approximate and
 * bounds the error of the totals (see struct route_plan).
 *
 * Ownership: a plan borrows the struct site pointers it was built from
 * (they must outlive it, e.g. the snapshot they came from) and owns its
 * arrays; free it with route_plan_free.  Thread-safety: no shared state;
 * every function may be called from any thread on its own arguments
 * (the PDF writer opens its own FreeType face per call).
 */
#ifndef MS_ROUTE_H
#define MS_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../hours/hours.h"
#include "../site/site.h"
#include "../util/buf.h"
#include "../util/ms_error.h"

/* At most this many stops per route (bounds the work: the heuristic is
 * O(n^3) per improvement round, trivial at 50). */
#define ROUTE_MAX_STOPS 50
/* Up to this many stops the order is exact (Held-Karp dynamic programming,
 * O(2^n n^2): 12 stops is 2^12 * 144 = 0.6 M steps and 4096 x 12 doubles
 * = 384 KiB of table, well under a millisecond's budget per request). */
#define ROUTE_EXACT_MAX 12

/* --- Ordering on a distance matrix ------------------------------------ */

/* The length of a tour: start, the stops in order (order[i] are 0-based
 * stop indices), and back to the start when round_trip. */
double route_tour_length(const double *dist, size_t n, const size_t *order, bool round_trip);

/* The shortest order: exact for n <= ROUTE_EXACT_MAX, else the heuristic.
 * Fails with MS_EUSAGE for n == 0 or n > ROUTE_MAX_STOPS.  *length (may be
 * NULL) receives the tour length. */
enum ms_status route_order(const double *dist, size_t n, bool round_trip, size_t *order, double *length,
                           struct ms_error *err);

/* The three algorithms, exposed for tests and benchmarks.  All are
 * deterministic: ties are broken by the lower stop index.
 * route_order_exact: Held-Karp, requires 1 <= n <= ROUTE_EXACT_MAX.
 * route_order_nearest: nearest neighbour from the start.
 * route_order_heuristic: nearest neighbour, then 2-opt and Or-opt (moving
 *   segments of 1-3 stops, either way round) until no move shortens the
 *   tour; never longer than route_order_nearest's tour (asserted).
 * Each returns the tour length; 1 <= n <= ROUTE_MAX_STOPS. */
double route_order_exact(const double *dist, size_t n, bool round_trip, size_t *order);
double route_order_nearest(const double *dist, size_t n, bool round_trip, size_t *order);
double route_order_heuristic(const double *dist, size_t n, bool round_trip, size_t *order);

/* --- Compass and time estimates --------------------------------------- */

/* The 8-point compass sector of an azimuth (degrees clockwise from north,
 * any value; normalised first): 0 = N, 1 = NE, ... 7 = NW.  Sector k
 * covers [k*45 - 22.5, k*45 + 22.5): a boundary (22.5 + k*45) belongs to
 * the sector clockwise of it, so 22.5 is NE and 337.5 is N. */
int route_compass_sector(double azimuth_deg);
/* "北", "东北", "东", "东南", "南", "西南", "西", "西北" and "N", "NE", ... */
const char *route_compass_zh(int sector);
const char *route_compass_en(int sector);

enum route_mode { ROUTE_WALK, ROUTE_DRIVE };

/* "walk"/"drive" and back (-1 when unknown). */
const char *route_mode_name(enum route_mode m);
int route_mode_parse(const char *s);

/*
 * Time estimates: minutes = distance * detour factor / speed.
 *
 * Detour factor (road or path length over straight-line length): on a
 * rectangular street grid at a random angle the mean ratio is 4/pi = 1.27,
 * so 1.3 for walking in towns; rural county and township roads wind more,
 * and measured country-wide circuity factors for road travel run from about
 * 1.1 to 1.4 (Ballou, Rahardja & Sakai, "Selected country circuity factors
 * for road travel distance estimation", Transportation Research A 36
 * (2002)), so 1.4, the upper end, for driving between rural sites.
 *
 * Speeds: 4.5 km/h walking, a little under the 4.8-5 km/h comfortable gait
 * of adults (Bohannon 1997, Age and Ageing 26) because a group with older
 * visitors walks slower; 40 km/h driving, the default limit on roads
 * without a centre line outside cities in China (Regulations for the
 * Implementation of the Road Traffic Safety Law, art. 45), which most
 * village and township roads between the sites are, and which also
 * allows for slowing down through towns on faster roads.
 */
#define ROUTE_WALK_KMH 4.5
#define ROUTE_WALK_DETOUR 1.3
#define ROUTE_DRIVE_KMH 40.0
#define ROUTE_DRIVE_DETOUR 1.4

/* Estimated minutes for a straight-line distance in metres. */
double route_estimate_minutes(double distance_m, enum route_mode mode);

/* --- The day: visits, times of arrival, opening hours ------------------ */

/*
 * How long a group stays at a stop when the request does not say, by
 * category, in minutes: a guided tour of a hall or museum takes about an
 * hour (the Heitieshan memorial's exhibition is 1200 m^2), a cemetery with
 * its ceremony and a base's lesson about 45 min, a former site or a
 * training school's exhibition room half an hour, a monument or a
 * pavilion the time to lay flowers and listen, 20 min.  Planning
 * defaults, not measurements: a guide overrides them per stop or for all.
 */
double route_visit_default_min(enum site_category c);
/* A visit may be set from 0 to this many minutes (a working day). */
#define ROUTE_VISIT_MAX_MIN 480
/* A day plan starts at 09:00 when the request gives a date but no time:
 * the hour most of the halls with published hours are open by. */
#define ROUTE_DAY_DEFAULT_START_MIN (9 * 60)

/* Why a stop is not in the day's plan, from the most to the least
 * definite (route/dayplan.h finds it). */
enum route_day_reason {
	ROUTE_DAY_CLOSED,       /* not open at all that day */
	ROUTE_DAY_TOO_SHORT,    /* open, but never long enough for the visit */
	ROUTE_DAY_CLOSES_FIRST, /* closes before it can be reached, even going there first */
	ROUTE_DAY_NO_ROOM,      /* could be visited alone, but not with as many others */
};
/* "closed", "too_short", "closes_first", "no_room" (the JSON spelling). */
const char *route_day_reason_name(enum route_day_reason r);
/* Words for a reason: "当天闭馆" / "closed that day", ... */
const char *route_day_reason_zh(enum route_day_reason r);
const char *route_day_reason_en(enum route_day_reason r);

/* What a request says about the day, for route_plan_make.  Arrays are per
 * site in the order given to route_plan_make, borrowed. */
struct route_day {
	bool has_date; /* plan with the opening hours of date */
	struct hours_date date;
	int start_min;                    /* leaving the start, minutes after midnight; -1: no time given */
	const double *visit_min;          /* NULL: route_visit_default_min of each site's category */
	const struct hours *const *hours; /* NULL, or a NULL entry: the site's hours are not known */
};

/* A stop's visit in a plan.  Times are seconds after the day's local
 * midnight (past 86400 for a day that runs past midnight), NAN when the
 * plan has no start time. */
struct route_stop_time {
	double visit_min;
	double arrive_s, start_s, depart_s; /* start_s - arrive_s is waiting for the opening */
	const struct hours *hours;          /* the site's opening hours, or NULL; borrowed */
};

/* A stop the day's plan could not fit, with why. */
struct route_missed_stop {
	const struct site *site;
	enum route_day_reason reason;
	const struct hours *hours;
};

/* --- Plans ------------------------------------------------------------- */

struct route_options {
	bool round_trip;      /* back to the start after the last stop */
	enum route_mode mode; /* for the time estimates */
};

/* What a leg's numbers are worth. */
enum route_leg_quality {
	ROUTE_LEG_OK,         /* "ok": longer than its ends' radii together */
	ROUTE_LEG_SAME_PLACE, /* "same_place": both ends at one recorded position */
	ROUTE_LEG_UNVERIFIED, /* "unverified": shorter than its ends' radii together */
};
/* Two recorded positions closer than this are one: every coordinate the
 * service reads or writes has 6 decimals, 0.11 m of latitude. */
#define ROUTE_SAME_PLACE_M 0.1
/* The start is the point the guide gave: it has no uncertainty. */
#define ROUTE_START_UNCERTAINTY_M 0.0

/* "ok", "same_place", "unverified" (the JSON and GPX spelling). */
const char *route_leg_quality_name(enum route_leg_quality q);
/* The words a sheet prints: "同一地点"/"same place", "位置待核实"/"position
 * unverified"; NULL for ROUTE_LEG_OK. */
const char *route_leg_quality_zh(enum route_leg_quality q);
const char *route_leg_quality_en(enum route_leg_quality q);

/* A leg: from the previous point (the start, or the previous stop) to a
 * stop, or from the last stop back to the start. */
struct route_leg {
	double distance_m;  /* geodesic between the recorded positions, WGS-84 */
	double bearing_deg; /* initial azimuth, 0 <= b < 360; NAN unless quality is ok */
	double minutes;     /* estimate (route_estimate_minutes); NAN unless ok */
	enum route_leg_quality quality;
	double uncertainty_m; /* the ends' radii summed: the true length is within this of distance_m */
	bool approximate;     /* an end is an approximate stop (site_quality_approximate) */
};

struct route_plan {
	double start_lat, start_lon; /* WGS-84 */
	struct route_options opt;
	size_t n;                    /* stops */
	const struct site **stops;   /* n, in visiting order; borrowed */
	struct route_leg *legs;      /* legs[i] ends at stops[i] */
	bool has_return;             /* == opt.round_trip */
	struct route_leg return_leg; /* last stop -> start, when has_return */
	double total_distance_m;     /* all legs, return leg included */
	double total_minutes;        /* route_estimate_minutes(total_distance_m) */
	/* Honesty: the stops whose position is approximate, and a bound on
	 * the error of the totals.  Each leg's true length is within its
	 * uncertainty_m of the recorded one (the triangle inequality), so the
	 * true total is within the sum of them, total_uncertainty_m, and the
	 * estimate of time within route_estimate_minutes of that. */
	size_t approximate_stops;
	double total_uncertainty_m;
	double total_uncertainty_minutes;
	/* The day (route_plan_make).  Every plan has times[] (n, visiting
	 * order) with each stop's visit; clock times only with has_times. */
	struct route_stop_time *times;
	double total_visit_min;
	bool has_times;         /* a start time was given (or a date: the default) */
	double start_s, end_s;  /* leaving the start; back at it, or leaving the last stop */
	bool has_date;          /* ordered by the day's opening hours (route_day_plan) */
	struct hours_date date; /* with has_date */
	size_t nmissed;         /* stops the day could not fit, not in stops[] */
	struct route_missed_stop *missed;
	bool day_exact; /* with has_date: the order is optimal (route_day_plan_exact) */
};

/* Orders sites[0..n) from the start point and computes the legs (each
 * stop's radius is its site's uncertainty_m).
 * MS_EUSAGE when n is 0 or above ROUTE_MAX_STOPS, a site appears twice
 * (same id; the message names it), or the start is not a valid WGS-84
 * coordinate; MS_EDATA when a site's coordinate is invalid.  On success
 * *out is a new plan (route_plan_free). */
enum ms_status route_plan_build(double start_lat, double start_lon, const struct site *const *sites, size_t n,
                                const struct route_options *opt, struct route_plan **out,
                                struct ms_error *err);
/* The same with a day (may be NULL: no times, default visits).  With a
 * date the order is route_day_plan's (route/dayplan.h): as many stops as
 * fit in their opening hours that day, finishing earliest, from start_min
 * or ROUTE_DAY_DEFAULT_START_MIN; the others are in missed[] with their
 * reason, never dropped silently.  A stop whose hours are not known is
 * taken as open all day.  Travel times for planning are the legs'
 * estimates (route_estimate_minutes of the recorded distance, 0 between
 * stops at one point).  Without a date the order is the shortest tour, as
 * route_plan_build's, with clock times from start_min when given.  Also
 * MS_EUSAGE for a visit outside 0..ROUTE_VISIT_MAX_MIN or a start time
 * outside the day. */
enum ms_status route_plan_make(double start_lat, double start_lon, const struct site *const *sites, size_t n,
                               const struct route_options *opt, const struct route_day *day,
                               struct route_plan **out, struct ms_error *err);
/* Fills legs, return_leg and totals of a plan whose start, opt, n and
 * stops are set (in visiting order), e.g. one made by hand; with times
 * NULL it gives every stop its default visit and no clock times. */
void route_plan_compute_legs(struct route_plan *p);
void route_plan_free(struct route_plan *p);

/* --- Sheets ------------------------------------------------------------ */

/* What a sheet shows besides the plan.  All borrowed; NULL means the
 * default noted. */
struct route_sheet {
	const char *title;            /* NULL: "红色教育路线 Red-education route" */
	const char *start_label;      /* NULL: "起点 Start" */
	time_t generated;             /* GPX metadata time (UTC) and printed date */
	int utc_offset_min;           /* for the printed date; 480 for China */
	const char *map_url;          /* HTML: the overview map's <img src>; NULL: no map */
	int map_width, map_height;    /* HTML: the map's size in CSS px (0: not given) */
	const unsigned char *map_png; /* PDF: the overview map as PNG bytes; NULL: no map */
	size_t map_png_len;
	const char *font_path; /* PDF: NULL: ROUTE_PDF_FONT */
	/* The sites' permanent pages: a site's is this followed by its id
	 * percent-encoded ("https://host/collections/sites/items/"); NULL: no
	 * links (a sheet made with no server to point to). */
	const char *site_url;
};

#define ROUTE_PDF_FONT "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

/* The note every sheet carries. */
extern const char route_estimate_note_zh[];
extern const char route_estimate_note_en[];

/* GeoJSON (RFC 7946): a FeatureCollection whose first feature is the
 * route LineString (start, stops, and the start again for a round trip)
 * with the summary as its properties: kind "route", title, start, mode,
 * round_trip, stops, the totals, approximate_stops, total_uncertainty_m,
 * total_uncertainty_min, return_leg (round trips), the estimate note and,
 * when the totals are uncertain, the uncertainty note.  Then one Point per
 * stop in visiting order, id = site id, properties kind "stop", seq, id,
 * name_zh, name_en (null when the site has none), position_quality,
 * position_uncertainty_m, approximate (bool), leg_quality ("ok",
 * "same_place", "unverified"), leg_distance_m, leg_uncertainty_m,
 * leg_time_min, bearing_deg, bearing (e.g. "东北 NE"), bearing_zh,
 * bearing_en (the last five null unless leg_quality is "ok"), and for
 * other legs leg_note_zh/leg_note_en (the sheet's words).  The collection
 * itself has no "properties": RFC 7946 §7.1 forbids the member there, and
 * strict validators refuse it. */
void route_write_geojson(const struct route_plan *p, const struct route_sheet *s, struct buf *out);

/* GPX 1.1 (http://www.topografix.com/GPX/1/1): metadata (name, desc,
 * time), one wpt per stop in visiting order named "N. name_zh name_en",
 * and one rte whose rtepts are the start, the stops in order and, for a
 * round trip, the start again.  A stop's wpt and rtept say how far they
 * can be trusted: <desc> in words (approximate position, the arriving
 * leg's "same place"/"position unverified"), <type> the arriving leg's
 * quality ("ok", "same_place", "unverified"), and an <extensions> element
 * in ROUTE_GPX_NS: <mapsvc:position quality="county" uncertainty_m="40000"/>
 * <mapsvc:leg quality="same_place" distance_m="0.0" uncertainty_m="80000"/>. */
/* A namespace name only identifies (Namespaces in XML 1.0 §2.2: it is not
 * meant to be retrieved), and GPX 1.1 lets any foreign namespace into
 * <extensions>; a URN needs no domain of ours. */
#define ROUTE_GPX_NS "urn:mapsvc:gpx:1"

void route_write_gpx(const struct route_plan *p, const struct route_sheet *s, struct buf *out);

/* The day plan as an iCalendar file (RFC 5545): one VEVENT per stop from
 * the start of its visit to its departure, in the Asia/Shanghai time zone
 * (a VTIMEZONE included), with SUMMARY (number and name), LOCATION (name
 * and address), GEO, URL (the site's page, when s->site_url), a
 * DESCRIPTION (arrival, leg, hours that day, position notes, the stops
 * left out, the site's description), a stable UID and DTSTAMP.  Lines
 * are CRLF and folded at 75 octets.  A plan without a date and times
 * gives a calendar with no events. */
void route_write_ics(const struct route_plan *p, const struct route_sheet *s, struct buf *out);

/* A standalone HTML5 page (lang zh-CN) laid out for A4 printing. */
void route_write_html(const struct route_plan *p, const struct route_sheet *s, struct buf *out);

/* The same sheet as an A4 PDF (cairo, text embedded as real text with the
 * font subset).  MS_EIO when the font cannot be opened, MS_EDATA when the
 * map PNG cannot be decoded, MS_EINTERNAL when cairo fails. */
enum ms_status route_write_pdf(const struct route_plan *p, const struct route_sheet *s, struct buf *out,
                               struct ms_error *err);

#endif

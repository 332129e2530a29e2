/*
 * route_int.h - what the sheet writers (export.c, html.c, pdf.c) share:
 * the default title and start label and the date, distance and duration
 * formats, so that the JSON, GPX, HTML and PDF sheets of one route say
 * the same thing (markup is escaped by util/html.h).  Internal to route/: not a
 * public API.
 *
 * Owns nothing: the strings returned are the sheet's own or static
 * constants; text is appended to the caller's buffers.  Threads: pure
 * functions with no shared state (dates through gmtime_r), callable from
 * any thread.
 */
#ifndef MS_ROUTE_INT_H
#define MS_ROUTE_INT_H

#include "../util/html.h" /* html_escape, for the GPX and HTML sheets */
#include "../util/mem.h"
#include "route.h"

/* --- the day (day.c), for route_plan_make --------------------------------- */

/* Orders p's stops by the opening hours of day->date (route_day_plan over
 * the travel times of dist, (n+1)^2 metres): fills p->n, stops, times,
 * missed and the day's fields; p->stops, times and missed have room for n. */
enum ms_status route_day_order(const double *dist, const struct site *const *sites, size_t n,
                               const double *visit_min, const struct route_day *day, struct route_plan *p,
                               struct ms_error *err);
/* Clock times along p's order (its legs computed) from start_min, with no
 * opening hours: arrive, stay, go on. */
void route_plan_clock(struct route_plan *p, int start_min);

#define ROUTE_DEFAULT_TITLE "红色教育路线 Red-education route"
#define ROUTE_DEFAULT_START "起点 Start"

const char *route_sheet_title(const struct route_sheet *s);
const char *route_sheet_start(const struct route_sheet *s);
/* "2024-05-01" in the sheet's UTC offset. */
void route_sheet_date(const struct route_sheet *s, char out[16]);
/* "1.23 km" or "850 m". */
void route_format_distance(double m, char out[32]);
/* "1 h 05 min" or "17 min". */
void route_format_minutes(double min, char out[32]);
/* The leg arriving at stop i; the return leg for i == p->n. */
const struct route_leg *route_leg_at(const struct route_plan *p, size_t i);

/* --- honesty (route.h): the same words on every sheet ------------------ */

#define ROUTE_NOTE_LEN 512
/* "≈ " before the name of a stop whose position is approximate, else "". */
const char *route_approx_mark(const struct site *s);
/* "位置为近似（约 ±1 km）" / "approximate position (±1 km)" for an
 * approximate stop; "" for any other. */
void route_approx_zh(const struct site *s, char out[ROUTE_NOTE_LEN]);
void route_approx_en(const struct site *s, char out[ROUTE_NOTE_LEN]);
/* What an unusable leg says instead of a distance, bearing and time:
 * "同一地点 · 至多相距 80 km" / "same place · at most 80 km apart" (the
 * bound is the recorded distance plus the ends' radii); "" for an ok leg. */
void route_leg_note_zh(const struct route_leg *l, char out[ROUTE_NOTE_LEN]);
void route_leg_note_en(const struct route_leg *l, char out[ROUTE_NOTE_LEN]);
/* The summary's sentence on the totals: how many stops are approximate
 * and the bound on the totals' error (struct route_plan); "" when the
 * plan's total_uncertainty_m is 0. */
void route_uncertainty_zh(const struct route_plan *p, char out[ROUTE_NOTE_LEN]);
void route_uncertainty_en(const struct route_plan *p, char out[ROUTE_NOTE_LEN]);

/* --- the day: the same words on every sheet -------------------------------- */

/* "09:12": seconds after midnight rounded to the minute. */
void route_clock(double s, char out[HOURS_CLOCK_TEXT]);
/* The hours of the plan's date at a stop: "08:30–11:30, 13:30–17:30",
 * "不开放" / "closed" (zh or en by the flag), "" when the plan has no date
 * or the hours are not known. */
void route_hours_on_day(const struct route_plan *p, const struct hours *h, bool en, struct buf *out);
/* Why a stop was left out, in words, with what makes it so: "周一闭馆" /
 * "closed on Mondays", "法定节假日闭馆（劳动节）" / "closed on public
 * holidays (Labour Day)", "到达前已闭馆（当天开放 09:00–11:00）" / "closes
 * before it can be reached (open 09:00–11:00 that day)". */
void route_missed_zh(const struct route_plan *p, const struct route_missed_stop *m, char out[ROUTE_NOTE_LEN]);
void route_missed_en(const struct route_plan *p, const struct route_missed_stop *m, char out[ROUTE_NOTE_LEN]);
/* A stop's time on the sheet: "10:34–11:04" (its visit) when the plan
 * has times, else "". */
void route_stop_when(const struct route_plan *p, size_t i, char out[32]);
/* "参观 30 分钟" / "visit 30 min". */
void route_visit_zh(double min, char out[32]);
void route_visit_en(double min, char out[32]);
/* A stop's opening hours in one line: on the plan's date what they are
 * that day ("当天开放 08:30–11:30, 13:30–17:30" / "open 08:30–11:30, 13:30–
 * 17:30 that day", "当天不开放" / "closed that day"), else the source's
 * words or the OpenStreetMap value ("开放 周二至周日 8:30-11:30" /
 * "hours: Tu-Su 08:30-11:30"), else "开放时间未知" / "hours not known". */
void route_stop_hours_zh(const struct route_plan *p, size_t i, struct buf *out);
void route_stop_hours_en(const struct route_plan *p, size_t i, struct buf *out);
/* At most max characters of a description, cut after a full stop when one
 * is near the end, else with "…": the sheet's summary, the site's page
 * (behind its QR code) has the rest. */
#define ROUTE_SUMMARY_CHARS 60
void route_summary(const char *text, size_t max, struct buf *out);
/* The sheet's totals in one line: stops, distance, travel, visits and,
 * with times, the day from start to end. */
void route_totals_zh(const struct route_plan *p, struct buf *out);
void route_totals_en(const struct route_plan *p, struct buf *out);
/* What the map's signs mean, and where its ground comes from. */
extern const char route_legend_zh[];
extern const char route_legend_en[];
/* The URL of stop i's page (s->site_url and its id), "" without one. */
void route_site_url(const struct route_sheet *s, const struct site *st, struct buf *out);

/* "2025-05-13 周二" / "2025-05-13 (Tuesday)" for the plan's date. */
void route_date_zh(const struct route_plan *p, char out[32]);
void route_date_en(const struct route_plan *p, char out[32]);

#endif

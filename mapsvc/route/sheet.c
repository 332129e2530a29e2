/* sheet.c - what the sheet writers share; see route_int.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "route_int.h"

const char *route_sheet_title(const struct route_sheet *s)
{
	return s && s->title && *s->title ? s->title : ROUTE_DEFAULT_TITLE;
}

const char *route_sheet_start(const struct route_sheet *s)
{
	return s && s->start_label && *s->start_label ? s->start_label : ROUTE_DEFAULT_START;
}

void route_sheet_date(const struct route_sheet *s, char out[16])
{
	time_t t = (s ? s->generated : 0) + (time_t)(s ? s->utc_offset_min : 0) * 60;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

void route_format_distance(double m, char out[32])
{
	if (m < 1000)
		snprintf(out, 32, "%.0f m", m);
	else
		snprintf(out, 32, "%.2f km", m / 1000);
}

void route_format_minutes(double min, char out[32])
{
	long r = lround(min);
	if (r < 1 && min > 0)
		r = 1; /* a few metres still take a moment; "0 min" reads wrong */
	if (r < 60)
		snprintf(out, 32, "%ld min", r);
	else
		snprintf(out, 32, "%ld h %02ld min", r / 60, r % 60);
}

const struct route_leg *route_leg_at(const struct route_plan *p, size_t i)
{
	return i < p->n ? &p->legs[i] : &p->return_leg;
}

const char *route_approx_mark(const struct site *s)
{
	return site_quality_approximate(s->quality) ? "≈ " : "";
}

void route_approx_zh(const struct site *s, char out[ROUTE_NOTE_LEN])
{
	char r[SITE_UNCERTAINTY_TEXT];
	site_format_uncertainty(s->uncertainty_m, r);
	out[0] = '\0';
	if (site_quality_approximate(s->quality))
		snprintf(out, ROUTE_NOTE_LEN, "位置为近似（约 %s）", r);
}

void route_approx_en(const struct site *s, char out[ROUTE_NOTE_LEN])
{
	char r[SITE_UNCERTAINTY_TEXT];
	site_format_uncertainty(s->uncertainty_m, r);
	out[0] = '\0';
	if (site_quality_approximate(s->quality))
		snprintf(out, ROUTE_NOTE_LEN, "approximate position (%s)", r);
}

/* A length without its "±": "80 km", "2.5 km", "500 m". */
static void format_bound(double m, char out[SITE_UNCERTAINTY_TEXT])
{
	char r[SITE_UNCERTAINTY_TEXT];
	site_format_uncertainty(m, r);
	static const char pm[] = "±";
	snprintf(out, SITE_UNCERTAINTY_TEXT, "%s", strncmp(r, pm, strlen(pm)) ? r : r + strlen(pm));
}

void route_leg_note_zh(const struct route_leg *l, char out[ROUTE_NOTE_LEN])
{
	char b[SITE_UNCERTAINTY_TEXT];
	out[0] = '\0';
	if (l->quality == ROUTE_LEG_OK)
		return;
	format_bound(l->distance_m + l->uncertainty_m, b);
	snprintf(out, ROUTE_NOTE_LEN, "%s · 至多相距 %s", route_leg_quality_zh(l->quality), b);
}

void route_leg_note_en(const struct route_leg *l, char out[ROUTE_NOTE_LEN])
{
	char b[SITE_UNCERTAINTY_TEXT];
	out[0] = '\0';
	if (l->quality == ROUTE_LEG_OK)
		return;
	format_bound(l->distance_m + l->uncertainty_m, b);
	snprintf(out, ROUTE_NOTE_LEN, "%s · at most %s apart", route_leg_quality_en(l->quality), b);
}

void route_uncertainty_zh(const struct route_plan *p, char out[ROUTE_NOTE_LEN])
{
	char d[SITE_UNCERTAINTY_TEXT], t[32];
	out[0] = '\0';
	if (!(p->total_uncertainty_m > 0))
		return;
	site_format_uncertainty(p->total_uncertainty_m, d);
	route_format_minutes(p->total_uncertainty_minutes, t);
	snprintf(
	    out, ROUTE_NOTE_LEN,
	    "%zu 站中有 %zu 站位置为近似（≈）；按各站的位置误差，总距离可能相差 %s，总用时可能相差 ±%s。",
	    p->n, p->approximate_stops, d, t);
}

void route_uncertainty_en(const struct route_plan *p, char out[ROUTE_NOTE_LEN])
{
	char d[SITE_UNCERTAINTY_TEXT], t[32];
	out[0] = '\0';
	if (!(p->total_uncertainty_m > 0))
		return;
	site_format_uncertainty(p->total_uncertainty_m, d);
	route_format_minutes(p->total_uncertainty_minutes, t);
	snprintf(out, ROUTE_NOTE_LEN,
	         "%zu of %zu stops have approximate positions (≈); from the stops' position uncertainties, "
	         "the total distance may be off by up to %s and the total time by up to ±%s.",
	         p->approximate_stops, p->n, d, t);
}

/* ------------------------------------------------------------ the day */

static const char *const weekday_zh[7] = {"周一", "周二", "周三", "周四", "周五", "周六", "周日"};
static const char *const weekday_en[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"};

void route_clock(double s, char out[HOURS_CLOCK_TEXT])
{
	hours_format_clock(isfinite(s) ? (int)lround(s / 60) : 0, out);
}

void route_hours_on_day(const struct route_plan *p, const struct hours *h, bool en, struct buf *out)
{
	if (!p->has_date || !h)
		return;
	if (!hours_format_day(h, p->date, out))
		buf_puts(out, en ? "closed" : "不开放");
}

void route_date_zh(const struct route_plan *p, char out[32])
{
	snprintf(out, 32, "%04d-%02d-%02d %s", p->date.year, p->date.month, p->date.day,
	         weekday_zh[hours_weekday(p->date)]);
}

void route_date_en(const struct route_plan *p, char out[32])
{
	snprintf(out, 32, "%04d-%02d-%02d (%s)", p->date.year, p->date.month, p->date.day,
	         weekday_en[hours_weekday(p->date)]);
}

/* The holiday's name in one language: the table holds "劳动节 Labour Day". */
static void holiday_name(const char *both, bool en, char out[64])
{
	const char *space = strchr(both, ' ');
	if (!space)
		snprintf(out, 64, "%s", both);
	else if (en)
		snprintf(out, 64, "%s", space + 1);
	else
		snprintf(out, 64, "%.*s", (int)(space - both), both);
}

/* True (and the holiday's name) when the stop is closed because the date
 * is a public holiday its hours close on. */
static bool closed_for_holiday(const struct route_plan *p, const struct hours *h, const char **name)
{
	return h && hours_uses_ph(h) && hours_cn_day(p->date, name) == HOURS_CN_HOLIDAY && *name;
}

static void missed_words(const struct route_plan *p, const struct route_missed_stop *m, bool en,
                         char out[ROUTE_NOTE_LEN])
{
	const char *holiday = NULL;
	char name[64];
	struct buf day = BUF_INIT;
	route_hours_on_day(p, m->hours, en, &day);
	switch (m->reason) {
	case ROUTE_DAY_CLOSED:
		if (closed_for_holiday(p, m->hours, &holiday)) {
			holiday_name(holiday, en, name);
			snprintf(out, ROUTE_NOTE_LEN,
			         en ? "closed on public holidays (%s)" : "法定节假日闭馆（%s）", name);
		} else {
			int wd = hours_weekday(p->date);
			snprintf(out, ROUTE_NOTE_LEN, en ? "closed on %ss" : "%s闭馆",
			         en ? weekday_en[wd] : weekday_zh[wd]);
		}
		break;
	case ROUTE_DAY_TOO_SHORT:
	case ROUTE_DAY_CLOSES_FIRST:
		snprintf(out, ROUTE_NOTE_LEN, en ? "%s (open %s that day)" : "%s（当天开放 %s）",
		         en ? route_day_reason_en(m->reason) : route_day_reason_zh(m->reason), buf_str(&day));
		break;
	default:
		snprintf(out, ROUTE_NOTE_LEN, "%s",
		         en ? route_day_reason_en(m->reason) : route_day_reason_zh(m->reason));
	}
	buf_free(&day);
}

void route_missed_zh(const struct route_plan *p, const struct route_missed_stop *m, char out[ROUTE_NOTE_LEN])
{
	missed_words(p, m, false, out);
}

void route_missed_en(const struct route_plan *p, const struct route_missed_stop *m, char out[ROUTE_NOTE_LEN])
{
	missed_words(p, m, true, out);
}

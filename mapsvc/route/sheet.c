/* sheet.c - what the sheet writers share; see route_int.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../util/utf8.h"
#include "places.h"
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
	site_format_uncertainty(site_uncertainty(s), r);
	out[0] = '\0';
	if (site_quality_approximate(s->quality))
		snprintf(out, ROUTE_NOTE_LEN, "位置为近似（约 %s）", r);
}

void route_approx_en(const struct site *s, char out[ROUTE_NOTE_LEN])
{
	char r[SITE_UNCERTAINTY_TEXT];
	site_format_uncertainty(site_uncertainty(s), r);
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

/* ------------------------------------------------------------ the sheet's lines */

const char route_legend_zh[] =
    "图例：起＝起点；数字＝站序（位置重合的站共用一个圆）；橙色圈＝位置误差范围；灰色×＝未能安排的站；"
    "地图未含道路。底图与地名 © " ROUTE_PLACES_ATTRIBUTION "。";
const char route_legend_en[] =
    "Legend: 起 = start; numbers = stops in order (stops at one point share a disc); amber circle = "
    "position uncertainty; grey × = a stop not in the plan; no roads on this map. Ground and place "
    "names © " ROUTE_PLACES_ATTRIBUTION ".";

void route_stop_when(const struct route_plan *p, size_t i, char out[32])
{
	out[0] = '\0';
	if (!p->has_times || !p->times || i >= p->n)
		return;
	char a[HOURS_CLOCK_TEXT], b[HOURS_CLOCK_TEXT];
	route_clock(p->times[i].start_s, a);
	route_clock(p->times[i].depart_s, b);
	snprintf(out, 32, "%s–%s", a, b);
}

void route_visit_zh(double min, char out[32])
{
	snprintf(out, 32, "参观 %.0f 分钟", min);
}

void route_visit_en(double min, char out[32])
{
	snprintf(out, 32, "visit %.0f min", min);
}

static void stop_hours(const struct route_plan *p, size_t i, bool en, struct buf *out)
{
	const struct site *st = p->stops[i];
	const struct hours *h = p->times ? p->times[i].hours : NULL;
	if (p->has_date && h) {
		struct buf day = BUF_INIT;
		bool open = hours_format_day(h, p->date, &day) > 0;
		if (!open)
			buf_puts(out, en ? "closed that day" : "当天不开放");
		else if (en)
			buf_printf(out, "open %s that day", buf_str(&day));
		else
			buf_printf(out, "当天开放 %s", buf_str(&day));
		buf_free(&day);
		return;
	}
	const char *text = site_field(st, SITE_OPENING_HOURS_TEXT), *osm = site_field(st, SITE_OPENING_HOURS);
	if (*text && !en)
		buf_printf(out, "开放 %s", text);
	else if (*osm)
		buf_printf(out, en ? "hours: %s" : "开放 %s", osm);
	else if (*text)
		buf_printf(out, "hours: %s", text);
	else
		buf_puts(out, en ? "hours not known" : "开放时间未知");
}

void route_stop_hours_zh(const struct route_plan *p, size_t i, struct buf *out)
{
	stop_hours(p, i, false, out);
}

void route_stop_hours_en(const struct route_plan *p, size_t i, struct buf *out)
{
	stop_hours(p, i, true, out);
}

void route_summary(const char *text, size_t max, struct buf *out)
{
	/* Where to cut: after the last full stop in the second half of the
	 * allowed length, else at the limit with an ellipsis. */
	const char *p = text, *cut = NULL, *sentence = NULL;
	size_t n = 0;
	uint32_t cp;
	while (*p && n < max) {
		p += utf8_decode(p, &cp);
		n++;
		if ((cp == 0x3002 || cp == '.') && n >= max / 2) /* 。 */
			sentence = p;
	}
	if (!*p) {
		buf_puts(out, text);
		return;
	}
	cut = sentence ? sentence : p;
	buf_append(out, text, (size_t)(cut - text));
	if (!sentence)
		buf_puts(out, "…");
}

static void totals(const struct route_plan *p, bool en, struct buf *out)
{
	char dist[32], travel[32], visit[32];
	route_format_distance(p->total_distance_m, dist);
	route_format_minutes(p->total_minutes, travel);
	route_format_minutes(p->total_visit_min, visit);
	const char *approx = p->approximate_stops ? "≈ " : "";
	/* "≈" where a total rests on approximate positions, else "about":
	 * every time is an estimate */
	if (en)
		buf_printf(out, "%zu stop%s%s · %s%s · travel %s %s · visits %s", p->n, p->n == 1 ? "" : "s",
		           p->has_return ? ", round trip" : "", approx, dist, *approx ? "≈" : "about", travel,
		           visit);
	else
		buf_printf(out, "共 %zu 站%s · 路程 %s%s · 路上 %s %s · 参观 %s", p->n,
		           p->has_return ? "，返回起点" : "", approx, dist, *approx ? "≈" : "约", travel,
		           visit);
	if (p->has_times) {
		char a[HOURS_CLOCK_TEXT], b[HOURS_CLOCK_TEXT];
		route_clock(p->start_s, a);
		route_clock(p->end_s, b);
		buf_printf(out, en ? " · %s–%s" : " · %s–%s", a, b);
	}
}

void route_totals_zh(const struct route_plan *p, struct buf *out)
{
	totals(p, false, out);
}

void route_totals_en(const struct route_plan *p, struct buf *out)
{
	totals(p, true, out);
}

void route_site_url(const struct route_sheet *s, const struct site *st, struct buf *out)
{
	if (!s || !s->site_url || !*s->site_url)
		return;
	buf_puts(out, s->site_url);
	html_url_component(out, site_field(st, SITE_ID));
}

/*
 * ics.c - a day plan as an iCalendar file (RFC 5545), for a guide's phone:
 * one VEVENT per visit, in the Asia/Shanghai time zone; see route.h.
 *
 * What the RFC asks, and where it is done here:
 *   - CRLF after every content line (§3.1), lines folded after at most 75
 *     octets with CRLF and one space, never inside a UTF-8 sequence
 *     (§3.1: "a multi-octet character MUST NOT be split"): fold();
 *   - TEXT values with '\', ';', ',' and newlines escaped (§3.3.11):
 *     text(); URI and GEO values are not TEXT and are written as they are;
 *   - DTSTART/DTEND with TZID, and the VTIMEZONE it names in the same
 *     object (§3.2.19, §3.6.5): China Standard Time has been UTC+8 without
 *     daylight saving since 1991, so one STANDARD component says it all;
 *   - UID (§3.8.4.7) stable for the same plan, so that importing a sheet
 *     again updates its events instead of doubling them; DTSTAMP
 *     (§3.8.7.2) the sheet's generation time in UTC.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "route_int.h"

/* RFC 5545 §3.1: "Lines of text SHOULD NOT be longer than 75 octets,
 * excluding the line break." */
#define ICS_LINE_OCTETS 75
#define ICS_TZID "Asia/Shanghai"

/* Appends one content line (name, parameters and value, already escaped)
 * folded at ICS_LINE_OCTETS, with CRLF. */
static void fold(struct buf *out, const char *line)
{
	size_t len = strlen(line), used = 0, col = 0;
	while (used < len) {
		/* the next character's octets: a lead byte and its continuations */
		size_t n = 1;
		while (used + n < len && ((unsigned char)line[used + n] & 0xC0) == 0x80)
			n++;
		/* a folded line starts with the space, which counts */
		if (col + n > ICS_LINE_OCTETS) {
			buf_puts(out, "\r\n ");
			col = 1;
		}
		buf_append(out, line + used, n);
		col += n;
		used += n;
	}
	buf_puts(out, "\r\n");
}

/* A TEXT value escaped (§3.3.11). */
static void text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == ';' || *s == ',')
			buf_putc(b, '\\'), buf_putc(b, *s);
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else if (*s != '\r')
			buf_putc(b, *s);
	}
}

/* A property with a TEXT value. */
static void text_line(struct buf *out, const char *name, const char *value)
{
	struct buf l = BUF_INIT;
	buf_printf(&l, "%s:", name);
	text(&l, value);
	fold(out, buf_str(&l));
	buf_free(&l);
}

/* "20250512T103400": the local time s seconds after the plan's midnight
 * (a day that runs past midnight continues on the next date). */
static void local_time(const struct route_plan *p, double s, char out[32])
{
	time_t t = hours_midnight(p->date) + (time_t)lround(s / 60) * 60;
	struct hours_date d;
	int sec;
	if (!hours_local(t, &d, &sec))
		d = p->date, sec = 0;
	snprintf(out, 32, "%04d%02d%02dT%02d%02d00", d.year, d.month, d.day, sec / 3600, sec / 60 % 60);
}

/* A hash of what makes the plan this plan (date, start, stops in order):
 * the stable part of every UID. */
static unsigned long long plan_key(const struct route_plan *p)
{
	struct buf k = BUF_INIT;
	buf_printf(&k, "%04d-%02d-%02d %.6f,%.6f %.0f", p->date.year, p->date.month, p->date.day,
	           p->start_lat, p->start_lon, p->start_s);
	for (size_t i = 0; i < p->n; i++)
		buf_printf(&k, " %s", site_field(p->stops[i], SITE_ID));
	unsigned long long h = XXH3_64bits(k.data, k.len);
	buf_free(&k);
	return h;
}

static const char vtimezone[] = "BEGIN:VTIMEZONE\r\n"
                                "TZID:" ICS_TZID "\r\n"
                                "BEGIN:STANDARD\r\n"
                                "DTSTART:19700101T000000\r\n"
                                "TZOFFSETFROM:+0800\r\n"
                                "TZOFFSETTO:+0800\r\n"
                                "TZNAME:CST\r\n"
                                "END:STANDARD\r\n"
                                "END:VTIMEZONE\r\n";

/* The event's description: the English name, the arrival when the group
 * waits, the leg there, the hours, how approximate the position is, the
 * stops left out (on the first event), and what the site is. */
static void description(struct buf *d, const struct route_plan *p, size_t i)
{
	const struct site *st = p->stops[i];
	const struct route_stop_time *t = &p->times[i];
	char note[ROUTE_NOTE_LEN], c[HOURS_CLOCK_TEXT];
	if (*site_field(st, SITE_NAME_EN))
		buf_printf(d, "%s\n", site_field(st, SITE_NAME_EN));
	route_clock(t->arrive_s, c);
	buf_printf(d, "到达 Arrive %s", c);
	if (t->start_s - t->arrive_s >= 60) {
		route_clock(t->start_s, c);
		buf_printf(d, "，等候开门至 %s (wait until %s)", c, c);
	}
	buf_putc(d, '\n');
	const struct route_leg *l = &p->legs[i];
	if (l->quality == ROUTE_LEG_OK) {
		char dist[32], mins[32];
		int sec = route_compass_sector(l->bearing_deg);
		route_format_distance(l->distance_m, dist);
		route_format_minutes(l->minutes, mins);
		buf_printf(d, "%s%s %s %s, %s%s\n", l->approximate ? "≈ " : "", dist, route_compass_zh(sec),
		           route_compass_en(sec), l->approximate ? "≈ " : "", mins);
	} else {
		route_leg_note_zh(l, note);
		buf_printf(d, "%s / ", note);
		route_leg_note_en(l, note);
		buf_printf(d, "%s\n", note);
	}
	struct buf day = BUF_INIT;
	route_hours_on_day(p, t->hours, false, &day);
	if (day.len)
		buf_printf(d, "当天开放 Open that day: %s\n", buf_str(&day));
	else if (*site_field(st, SITE_OPENING_HOURS_TEXT))
		buf_printf(d, "开放时间 Opening hours: %s\n", site_field(st, SITE_OPENING_HOURS_TEXT));
	else
		buf_puts(d, "开放时间未知 Opening hours not known\n");
	buf_free(&day);
	if (site_quality_approximate(st->quality)) {
		route_approx_zh(st, note);
		buf_printf(d, "%s / ", note);
		route_approx_en(st, note);
		buf_printf(d, "%s\n", note);
	}
	for (size_t k = 0; i == 0 && k < p->nmissed; k++) {
		route_missed_zh(p, &p->missed[k], note);
		buf_printf(d, "未安排 Not in the plan: %s（%s", site_field(p->missed[k].site, SITE_NAME_ZH),
		           note);
		route_missed_en(p, &p->missed[k], note);
		buf_printf(d, " / %s）\n", note);
	}
	if (*site_field(st, SITE_DESCRIPTION))
		buf_printf(d, "%s\n", site_field(st, SITE_DESCRIPTION));
	buf_puts(d, route_estimate_note_zh);
}

static void event(struct buf *out, const struct route_plan *p, const struct route_sheet *s, size_t i,
                  unsigned long long key, const char *stamp)
{
	const struct site *st = p->stops[i];
	const struct route_stop_time *t = &p->times[i];
	char from[32], to[32];
	local_time(p, t->start_s, from);
	local_time(p, t->depart_s, to);
	struct buf l = BUF_INIT;
	buf_puts(out, "BEGIN:VEVENT\r\n");
	buf_printf(&l, "UID:%016llx-%zu-", key, i + 1);
	text(&l, site_field(st, SITE_ID));
	buf_puts(&l, "@mapsvc");
	fold(out, buf_str(&l));
	buf_printf(out, "DTSTAMP:%s\r\n", stamp);
	buf_printf(out, "DTSTART;TZID=" ICS_TZID ":%s\r\nDTEND;TZID=" ICS_TZID ":%s\r\n", from, to);
	buf_reset(&l);
	buf_printf(&l, "%zu. %s%s", i + 1, route_approx_mark(st), site_field(st, SITE_NAME_ZH));
	text_line(out, "SUMMARY", buf_str(&l));
	buf_reset(&l);
	buf_puts(&l, site_field(st, SITE_NAME_ZH));
	if (*site_field(st, SITE_ADDRESS))
		buf_printf(&l, ", %s", site_field(st, SITE_ADDRESS));
	text_line(out, "LOCATION", buf_str(&l));
	/* §3.8.1.6: latitude;longitude, decimal degrees */
	buf_printf(out, "GEO:%.6f;%.6f\r\n", st->lat, st->lon);
	if (s && s->site_url && *s->site_url) {
		buf_reset(&l);
		buf_printf(&l, "URL:%s", s->site_url);
		html_url_component(&l, site_field(st, SITE_ID));
		fold(out, buf_str(&l));
	}
	buf_reset(&l);
	description(&l, p, i);
	text_line(out, "DESCRIPTION", buf_str(&l));
	buf_puts(out, "TRANSP:OPAQUE\r\nEND:VEVENT\r\n");
	buf_free(&l);
}

void route_write_ics(const struct route_plan *p, const struct route_sheet *s, struct buf *out)
{
	char stamp[20] = "19700101T000000Z";
	struct tm tm;
	time_t now = s ? s->generated : 0;
	if (gmtime_r(&now, &tm))
		strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	buf_puts(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//mapsvc//route sheet//ZH\r\n"
	              "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n");
	text_line(out, "X-WR-CALNAME", route_sheet_title(s));
	buf_puts(out, "X-WR-TIMEZONE:" ICS_TZID "\r\n");
	buf_puts(out, vtimezone);
	if (p->has_date && p->has_times && p->times) {
		unsigned long long key = plan_key(p);
		for (size_t i = 0; i < p->n; i++)
			event(out, p, s, i, key, stamp);
	}
	buf_puts(out, "END:VCALENDAR\r\n");
}

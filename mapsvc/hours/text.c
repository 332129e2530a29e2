/*
 * text.c - the dates and times people write in requests, read for the
 * calendar of hours.h: a date, a time of day, and an instant either in
 * China Standard Time or with its own offset.  Both fronts (the HTTP
 * parameter table and the command line) read them through here, so they
 * accept exactly the same spellings.
 *
 * Strict by design, as ISO 8601's extended format writes them (and RFC
 * 3339 for offsets): fixed digit counts, '-' and ':' separators, 'T'
 * between date and time.  A lenient reader would turn "2025-5-6" or
 * "9:00" into a guess about which day a group is sent out on.
 *
 * And the other way, a day's hours as text for pages and sheets.
 */
#include <stdio.h>
#include <string.h>

#include "hours_int.h"

#define SECONDS_PER_DAY 86400
#define SECONDS_PER_HOUR 3600
#define SECONDS_PER_MINUTE 60
/* RFC 3339 offsets are at most 23:59 either way. */
#define MAX_OFFSET_HOURS 23

/* n decimal digits at s into *v; false unless all n are digits. */
static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* "YYYY-MM-DD" at s (10 bytes, not necessarily terminated there). */
static bool date_at(const char *s, struct hours_date *d)
{
	return digits(s, 4, &d->year) && s[4] == '-' && digits(s + 5, 2, &d->month) && s[7] == '-' &&
	       digits(s + 8, 2, &d->day) && hours_date_valid(*d);
}

/* "HH:MM" at s: 00:00 .. 23:59. */
static bool clock_at(const char *s, int *minutes)
{
	int h, m;
	if (!digits(s, 2, &h) || s[2] != ':' || !digits(s + 3, 2, &m) || h > 23 || m > 59)
		return false;
	*minutes = h * 60 + m;
	return true;
}

bool hours_parse_date(const char *s, struct hours_date *d)
{
	return strlen(s) == 10 && date_at(s, d);
}

bool hours_parse_clock(const char *s, int *minutes)
{
	return strlen(s) == 5 && clock_at(s, minutes);
}

bool hours_parse_instant(const char *s, time_t now, time_t *t)
{
	if (!strcmp(s, "now")) {
		*t = now;
		return true;
	}
	struct hours_date d;
	int minutes, sec = 0;
	size_t n = strlen(s), i = 16;
	if (n < 16 || !date_at(s, &d) || s[10] != 'T' || !clock_at(s + 11, &minutes))
		return false;
	if (i < n && s[i] == ':') {
		if (n < i + 3 || !digits(s + i + 1, 2, &sec) || sec > 59)
			return false; /* no leap second: no opening hours depend on one */
		i += 3;
	}
	/* Without an offset the time is local: China Standard Time. */
	long offset = HOURS_UTC_OFFSET_S;
	if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
		offset = 0;
	} else if (i < n && (s[i] == '+' || s[i] == '-') && i + 6 == n) {
		int oh, om;
		if (!digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || !digits(s + i + 4, 2, &om) ||
		    oh > MAX_OFFSET_HOURS || om > 59)
			return false;
		offset = (s[i] == '-' ? -1 : 1) * ((long)oh * SECONDS_PER_HOUR + om * SECONDS_PER_MINUTE);
	} else if (i != n) {
		return false;
	}
	*t = (time_t)(hours_days_from_civil(d.year, d.month, d.day) * SECONDS_PER_DAY) +
	     (time_t)minutes * SECONDS_PER_MINUTE + sec - offset;
	return true;
}

void hours_format_clock(int minutes, char out[HOURS_CLOCK_TEXT])
{
	/* past midnight (a day plan ending late) stays on the clock face */
	int m = ((minutes % HOURS_MINUTES_PER_DAY) + HOURS_MINUTES_PER_DAY) % HOURS_MINUTES_PER_DAY;
	out[0] = (char)('0' + m / 600);
	out[1] = (char)('0' + m / 60 % 10);
	out[2] = ':';
	out[3] = (char)('0' + m % 60 / 10);
	out[4] = (char)('0' + m % 10);
	out[5] = '\0';
}

size_t hours_format_day(const struct hours *h, struct hours_date d, struct buf *out)
{
	struct hours_span spans[HOURS_DAY_SPANS_MAX];
	size_t n = hours_day_spans(h, d, spans, HOURS_DAY_SPANS_MAX);
	size_t shown = n < HOURS_DAY_SPANS_MAX ? n : HOURS_DAY_SPANS_MAX;
	for (size_t i = 0; i < shown; i++) {
		char a[HOURS_CLOCK_TEXT], b[HOURS_CLOCK_TEXT];
		hours_format_clock(spans[i].from_min, a);
		/* the day's end is 24:00, not 00:00 */
		if (spans[i].to_min == HOURS_MINUTES_PER_DAY)
			snprintf(b, sizeof b, "24:00");
		else
			hours_format_clock(spans[i].to_min, b);
		buf_printf(out, "%s%s–%s%s", i ? ", " : "", a, b,
		           spans[i].state == HOURS_UNKNOWN ? " ?" : "");
	}
	if (shown < n)
		buf_puts(out, ", …");
	return n;
}

/*
 * parse.c - the strict opening_hours parser of hours.h.
 *
 * Recursive descent over the bytes, one function per part of a rule.  A
 * rule's parts must come in the specification's order (years, dates,
 * weeks, weekdays, times, state, comment), each once, one space apart;
 * the kind of a part is known from its first word or digits, so no
 * backtracking is needed.  Every refusal names the character where the
 * problem starts and, where a common mistake is recognisable ("Tue",
 * "8:30", "Mo, Tu"), the form that would have been accepted.
 *
 * Commas are the one subtle point: inside a list (weekdays, dates, times)
 * a comma is followed directly by the next entry, while ", " separates
 * rules.  A ", " directly followed by a time is refused although the
 * grammar allows it: it starts an additional rule that applies on every
 * day, which is almost never what "Mo-Fr 08:00-12:00, 14:00-18:00" meant.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"
#include "hours_int.h"

#define MINUTES_PER_HOUR 60
#define MAX_END_HOUR 48 /* extended times run to 48:00 */
#define MAX_WEEK 53
#define MAX_DAY_OF_MONTH 31
#define YEAR_DIGITS 4
#define MSG_MAX 512

/* The parts of a rule, in the order they must come. */
enum part {
	P_NONE,
	P_ALWAYS,
	P_YEARS,
	P_DATES,
	P_WEEKS,
	P_WDAYS,
	P_TIMES,
	P_STATE,
	P_COMMENT,
};

static const char *const part_names[] = {
    [P_NONE] = "nothing", [P_ALWAYS] = "24/7",     [P_YEARS] = "years",
    [P_DATES] = "dates",  [P_WEEKS] = "weeks",     [P_WDAYS] = "weekdays",
    [P_TIMES] = "times",  [P_STATE] = "the state", [P_COMMENT] = "the comment",
};

/* A rule while it is parsed: room for the longest lists allowed; the
 * finished value is packed by pack(). */
struct build_rule {
	uint8_t sep, mod;
	bool always, ph;
	uint8_t nyears, ndates, nweeks, nwdays, ntimes;
	struct hours_years years[HOURS_MAX_ITEMS];
	struct hours_dates dates[HOURS_MAX_ITEMS];
	struct hours_weeks weeks[HOURS_MAX_ITEMS];
	struct hours_wdays wdays[HOURS_MAX_ITEMS];
	struct hours_time times[HOURS_MAX_ITEMS];
	size_t comment_at, comment_len; /* in the text; comment_len 0: none */
};

struct parser {
	const char *s;
	size_t n, i;
	struct ms_error *err;
};

/* The 1-based character (not byte) position of byte offset at. */
static size_t char_pos(const struct parser *p, size_t at)
{
	size_t c = 1;
	for (size_t k = 0; k < at && k < p->n; k++)
		if (((unsigned char)p->s[k] & 0xC0) != 0x80)
			c++;
	return c;
}

static enum ms_status fail(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum ms_status fail(struct parser *p, size_t at, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return ms_fail(p->err, MS_EDATA, "opening_hours: at character %zu: %s", char_pos(p, at), msg);
}

/* The character at byte offset at as text for a message: itself when it
 * is a printable ASCII character or a complete UTF-8 sequence, else
 * "\\xHH", so that messages stay valid UTF-8. */
static const char *show_char(const struct parser *p, size_t at, char out[8])
{
	unsigned char c = (unsigned char)p->s[at];
	size_t len = c < 0x80             ? 1
	             : (c & 0xE0) == 0xC0 ? 2
	             : (c & 0xF0) == 0xE0 ? 3
	             : (c & 0xF8) == 0xF0 ? 4
	                                  : 0;
	bool ok = len > 0 && at + len <= p->n;
	for (size_t k = 1; ok && k < len; k++)
		ok = ((unsigned char)p->s[at + k] & 0xC0) == 0x80;
	if (ok) {
		memcpy(out, p->s + at, len);
		out[len] = '\0';
	} else {
		snprintf(out, 8, "\\x%02X", c);
	}
	return out;
}

static char peek(const struct parser *p, size_t k)
{
	return p->i + k < p->n ? p->s[p->i + k] : '\0';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Length of the run of letters (or digits) starting k bytes ahead. */
static size_t word_len(const struct parser *p, size_t k)
{
	size_t n = 0;
	while (is_alpha(peek(p, k + n)))
		n++;
	return n;
}

static size_t digit_len(const struct parser *p, size_t k)
{
	size_t n = 0;
	while (is_digit(peek(p, k + n)))
		n++;
	return n;
}

static int digits_value(const struct parser *p, size_t k, size_t len)
{
	int v = 0;
	for (size_t j = 0; j < len; j++)
		v = v * 10 + (peek(p, k + j) - '0');
	return v;
}

static bool word_is(const struct parser *p, size_t k, size_t len, const char *w)
{
	return strlen(w) == len && memcmp(p->s + p->i + k, w, len) == 0;
}

/* Index of the exact name among names[0..count), or -1. */
static int name_index(const struct parser *p, size_t k, size_t len, const char *const *names, int count)
{
	for (int j = 0; j < count; j++)
		if (word_is(p, k, len, names[j]))
			return j;
	return -1;
}

static int weekday_at(const struct parser *p, size_t k)
{
	return name_index(p, k, word_len(p, k), hours_weekday_names, 7);
}

static int month_at(const struct parser *p, size_t k)
{
	return name_index(p, k, word_len(p, k), hours_month_names, 12);
}

/* True if the first n letters of the word at k match name, ignoring case. */
static bool prefix_ci(const struct parser *p, size_t k, size_t len, const char *name, size_t n)
{
	if (len < n)
		return false;
	for (size_t j = 0; j < n; j++)
		if (lower(peek(p, k + j)) != lower(name[j]))
			return false;
	return true;
}

/* The refusal for a word that is not part of the subset, naming what was
 * probably meant. */
static enum ms_status unknown_word(struct parser *p)
{
	size_t len = word_len(p, 0), at = p->i;
	int shown = len > 40 ? 40 : (int)len;
	const char *w = p->s + p->i;
	static const char *const variable[] = {"sunrise", "sunset", "dawn", "dusk"};
	for (size_t j = 0; j < sizeof variable / sizeof variable[0]; j++)
		if (word_is(p, 0, len, variable[j]))
			return fail(p, at, "variable times ('%s') are not supported: give clock times",
			            variable[j]);
	if (word_is(p, 0, len, "SH"))
		return fail(p, at, "school holidays (SH) are not supported: they differ by province");
	if (word_is(p, 0, len, "easter"))
		return fail(p, at, "movable dates ('easter') are not supported");
	if (word_is(p, 0, len, "week") || word_is(p, 0, len, "PH"))
		return fail(p, at, "'%.*s' is out of place here", shown, w);
	for (int j = 0; j < 7; j++)
		if (prefix_ci(p, 0, len, hours_weekday_names[j], 2) && len <= strlen("wednesday"))
			return fail(p, at, "unknown weekday '%.*s' (use Mo Tu We Th Fr Sa Su)", shown, w);
	for (int j = 0; j < 12; j++)
		if (prefix_ci(p, 0, len, hours_month_names[j], 3) && len <= strlen("september"))
			return fail(
			    p, at,
			    "unknown month '%.*s' (use Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec)",
			    shown, w);
	if (prefix_ci(p, 0, len, "PH", 2) && len == 2)
		return fail(p, at, "unknown word '%.*s' (public holidays are 'PH')", shown, w);
	return fail(p, at, "unknown word '%.*s'", shown, w);
}

/* --- years ---------------------------------------------------------------- */

static enum ms_status parse_year_value(struct parser *p, int *out)
{
	size_t at = p->i, len = digit_len(p, 0);
	if (len != YEAR_DIGITS)
		return fail(p, at, "a year has four digits");
	int y = digits_value(p, 0, len);
	if (y < HOURS_MIN_YEAR || y > HOURS_MAX_YEAR)
		return fail(p, at, "year %d is outside %d-%d", y, HOURS_MIN_YEAR, HOURS_MAX_YEAR);
	p->i += len;
	*out = y;
	return MS_OK;
}

static enum ms_status parse_years(struct parser *p, struct build_rule *r)
{
	for (;;) {
		size_t at = p->i;
		if (r->nyears == HOURS_MAX_ITEMS)
			return fail(p, at, "more than %d years in one rule", HOURS_MAX_ITEMS);
		int from, to;
		enum ms_status st = parse_year_value(p, &from);
		if (st)
			return st;
		to = from;
		bool plus = false;
		if (peek(p, 0) == '-' && is_digit(peek(p, 1))) {
			p->i++;
			size_t to_at = p->i;
			if ((st = parse_year_value(p, &to)))
				return st;
			if (to <= from)
				return fail(p, to_at, "the year range ends (%d) before it starts (%d)", to,
				            from);
		} else if (peek(p, 0) == '+') {
			p->i++;
			to = HOURS_MAX_YEAR;
			plus = true;
		}
		r->years[r->nyears++] = (struct hours_years){(uint16_t)from, (uint16_t)to, plus};
		if (peek(p, 0) == ',' && is_digit(peek(p, 1))) {
			p->i++;
			continue;
		}
		return MS_OK;
	}
}

/* --- dates ------------------------------------------------------------------ */

/* A two-digit day of month m at the cursor. */
static enum ms_status parse_day(struct parser *p, int m, int *out)
{
	size_t at = p->i, len = digit_len(p, 0);
	if (len == YEAR_DIGITS)
		return fail(p, at,
		            "the year goes before the dates, and not inside a date range "
		            "('2025 Dec 24-26')");
	if (len != 2)
		return fail(p, at, "a day of the month has two digits ('05')");
	int d = digits_value(p, 0, len);
	/* Feb 29 is a valid date in leap years, so months are checked with
	 * their longest length. */
	static const int max_day[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (d < 1 || d > max_day[m - 1])
		return fail(p, at, "%s has no day %d", hours_month_names[m - 1], d);
	p->i += len;
	*out = d;
	return MS_OK;
}

/* Whether the digits k bytes ahead are the hours of a time ("10:00"), not
 * a day or a year followed by the readability colon ("Dec 31: ..."). */
static bool clock_at(const struct parser *p, size_t k)
{
	size_t len = digit_len(p, k);
	return len > 0 && peek(p, k + len) == ':' && is_digit(peek(p, k + len + 1));
}

/* After a month name: " DD" is a day unless the digits are the hours of a
 * time ("Jan 10:00-12:00"). */
static bool day_follows(const struct parser *p)
{
	return peek(p, 0) == ' ' && is_digit(peek(p, 1)) && !clock_at(p, 1);
}

static enum ms_status parse_date_item(struct parser *p, struct hours_dates *out)
{
	int m1 = month_at(p, 0) + 1, m2 = m1, d1 = 0, d2 = 0;
	enum ms_status st;
	p->i += 3;
	if (day_follows(p)) {
		p->i++;
		if ((st = parse_day(p, m1, &d1)))
			return st;
		d2 = d1;
		if (peek(p, 0) == '-') {
			p->i++;
			size_t to_at = p->i;
			if (is_digit(peek(p, 0))) {
				if ((st = parse_day(p, m1, &d2)))
					return st;
				if (d2 <= d1)
					return fail(p, to_at,
					            "the date range ends before it starts (%s %02d-%02d)",
					            hours_month_names[m1 - 1], d1, d2);
			} else if (month_at(p, 0) >= 0) {
				m2 = month_at(p, 0) + 1;
				p->i += 3;
				if (!day_follows(p))
					return fail(p, to_at,
					            "a range from a date ends at a date ('%s %02d-%s 31')",
					            hours_month_names[m1 - 1], d1, hours_month_names[m2 - 1]);
				p->i++;
				if ((st = parse_day(p, m2, &d2)))
					return st;
				if (m2 == m1 && d2 <= d1)
					return fail(p, to_at, "the date range ends before it starts");
			} else {
				return fail(p, to_at, "expected a day or a date after '-'");
			}
		}
	} else if (peek(p, 0) == '-') {
		p->i++;
		size_t to_at = p->i;
		if (month_at(p, 0) < 0) {
			if (is_alpha(peek(p, 0)))
				return unknown_word(p);
			return fail(p, to_at, "expected a month after '-'");
		}
		m2 = month_at(p, 0) + 1;
		if (m2 == m1)
			return fail(p, to_at, "a range from a month to itself: write '%s'",
			            hours_month_names[m1 - 1]);
		p->i += 3;
		if (day_follows(p) && digit_len(p, 1) == YEAR_DIGITS)
			return fail(p, p->i + 1, "the year goes before the dates ('2025 Jan-Mar')");
		if (day_follows(p))
			return fail(p, p->i + 1, "a month range cannot end with a day: write '%s 01-%s 15'",
			            hours_month_names[m1 - 1], hours_month_names[m2 - 1]);
	}
	*out = (struct hours_dates){(uint8_t)m1, (uint8_t)d1, (uint8_t)m2, (uint8_t)d2};
	return MS_OK;
}

static bool dates_wrap(const struct hours_dates *d)
{
	return d->m1 * (MAX_DAY_OF_MONTH + 1) + d->d1 > d->m2 * (MAX_DAY_OF_MONTH + 1) + d->d2;
}

static enum ms_status parse_dates(struct parser *p, struct build_rule *r)
{
	for (;;) {
		size_t at = p->i;
		if (r->ndates == HOURS_MAX_ITEMS)
			return fail(p, at, "more than %d dates in one rule", HOURS_MAX_ITEMS);
		struct hours_dates d;
		enum ms_status st = parse_date_item(p, &d);
		if (st)
			return st;
		/* A year selector and a range across the new year would mean the
		 * end of one year and the start of the same year, not the
		 * specification's one stretch into the next: refused, not
		 * guessed. */
		if (r->nyears && dates_wrap(&d))
			return fail(p, at,
			            "a date range across the new year cannot follow a year selector "
			            "(not supported)");
		r->dates[r->ndates++] = d;
		if (peek(p, 0) == ',' && month_at(p, 1) >= 0) {
			p->i++;
			continue;
		}
		if (peek(p, 0) == ',' && is_digit(peek(p, 1)))
			return fail(p, p->i + 1, "each date of a list names its month ('Dec 24,Dec 31')");
		return MS_OK;
	}
}

/* --- weeks ------------------------------------------------------------------ */

static enum ms_status parse_week_number(struct parser *p, int *out)
{
	size_t at = p->i, len = digit_len(p, 0);
	if (len != 2)
		return fail(p, at, "a week number has two digits ('01')");
	int w = digits_value(p, 0, len);
	if (w < 1 || w > MAX_WEEK)
		return fail(p, at, "week %d is outside 01-%d", w, MAX_WEEK);
	p->i += len;
	*out = w;
	return MS_OK;
}

static enum ms_status parse_weeks(struct parser *p, struct build_rule *r)
{
	p->i += strlen("week");
	if (peek(p, 0) != ' ' || !is_digit(peek(p, 1)))
		return fail(p, p->i, "'week' is followed by a space and week numbers ('week 01-10')");
	p->i++;
	for (;;) {
		size_t at = p->i;
		if (r->nweeks == HOURS_MAX_ITEMS)
			return fail(p, at, "more than %d week ranges in one rule", HOURS_MAX_ITEMS);
		int from, to, step = 1;
		enum ms_status st = parse_week_number(p, &from);
		if (st)
			return st;
		to = from;
		if (peek(p, 0) == '-') {
			p->i++;
			size_t to_at = p->i;
			if ((st = parse_week_number(p, &to)))
				return st;
			if (to <= from)
				return fail(p, to_at,
				            "the week range ends before it starts (ranges do not wrap)");
			if (peek(p, 0) == '/') {
				p->i++;
				size_t step_at = p->i, len = digit_len(p, 0);
				step = len >= 1 && len <= 2 ? digits_value(p, 0, len) : 0;
				if (step < 1 || step >= MAX_WEEK)
					return fail(p, step_at, "expected a step of 1-%d weeks after '/'",
					            MAX_WEEK - 1);
				p->i += len;
			}
		}
		r->weeks[r->nweeks++] = (struct hours_weeks){(uint8_t)from, (uint8_t)to, (uint8_t)step};
		if (peek(p, 0) == ',' && is_digit(peek(p, 1))) {
			p->i++;
			continue;
		}
		return MS_OK;
	}
}

/* --- weekdays ---------------------------------------------------------------- */

/* "[1]", "[-1]", "[1,3]", "[1-2]" after a single weekday. */
static enum ms_status parse_nth(struct parser *p, uint16_t *mask)
{
	p->i++; /* '[' */
	*mask = 0;
	for (;;) {
		size_t at = p->i;
		bool neg = peek(p, 0) == '-';
		if (neg)
			p->i++;
		if (!is_digit(peek(p, 0)) || is_digit(peek(p, 1)))
			return fail(p, at, "expected 1-%d or -1 to -%d inside '[...]'", HOURS_NTH_MAX,
			            HOURS_NTH_MAX);
		int a = peek(p, 0) - '0', b = a;
		if (a < 1 || a > HOURS_NTH_MAX)
			return fail(p, at, "expected 1-%d or -1 to -%d inside '[...]'", HOURS_NTH_MAX,
			            HOURS_NTH_MAX);
		p->i++;
		if (!neg && peek(p, 0) == '-' && is_digit(peek(p, 1)) && !is_digit(peek(p, 2))) {
			b = peek(p, 1) - '0';
			if (b <= a || b > HOURS_NTH_MAX)
				return fail(p, p->i + 1, "expected a range like [1-2] inside '[...]'");
			p->i += 2;
		}
		for (int k = a; k <= b; k++)
			*mask |= (uint16_t)(1u << (neg ? HOURS_NTH_LAST + k - 1 : k - 1));
		if (peek(p, 0) == ',') {
			p->i++;
			continue;
		}
		if (peek(p, 0) != ']')
			return fail(p, p->i, "expected ']' or ','");
		p->i++;
		return MS_OK;
	}
}

static enum ms_status parse_wdays(struct parser *p, struct build_rule *r)
{
	for (;;) {
		size_t at = p->i;
		if (word_is(p, 0, word_len(p, 0), "PH")) {
			if (r->ph)
				return fail(p, at, "PH is listed twice");
			r->ph = true;
			p->i += 2;
			if (peek(p, 0) == ' ' && (peek(p, 1) == '+' || peek(p, 1) == '-'))
				return fail(p, p->i + 1, "day offsets ('PH +1 day') are not supported");
		} else {
			int wd = weekday_at(p, 0);
			if (wd < 0)
				return unknown_word(p);
			if (r->nwdays == HOURS_MAX_ITEMS)
				return fail(p, at, "more than %d weekday entries in one rule",
				            HOURS_MAX_ITEMS);
			struct hours_wdays w = {(uint8_t)wd, (uint8_t)wd, 0};
			p->i += 2;
			if (peek(p, 0) == '-') {
				p->i++;
				int to = weekday_at(p, 0);
				if (to < 0) {
					if (is_alpha(peek(p, 0)))
						return unknown_word(p);
					return fail(p, p->i, "expected a weekday after '-'");
				}
				if (to == wd)
					return fail(p, p->i, "a range from a day to itself: write '%s'",
					            hours_weekday_names[wd]);
				w.to = (uint8_t)to;
				p->i += 2;
				if (peek(p, 0) == '[')
					return fail(
					    p, p->i,
					    "'[...]' follows a single weekday ('Su[1]'), not a range");
			} else if (peek(p, 0) == '[') {
				enum ms_status st = parse_nth(p, &w.nth);
				if (st)
					return st;
			}
			if (peek(p, 0) == ' ' && (peek(p, 1) == '+' || peek(p, 1) == '-'))
				return fail(p, p->i + 1, "day offsets ('Su[-1] -1 day') are not supported");
			r->wdays[r->nwdays++] = w;
		}
		if (peek(p, 0) == ',' && is_alpha(peek(p, 1))) {
			p->i++;
			continue;
		}
		if (peek(p, 0) == ',' && peek(p, 1) != ' ')
			return fail(p, p->i + 1, "expected a weekday or PH after ','");
		return MS_OK;
	}
}

/* --- times ------------------------------------------------------------------- */

/* HH:MM at the cursor, hours up to max_hour (and then :00 only). */
static enum ms_status parse_clock(struct parser *p, int max_hour, int *out)
{
	size_t at = p->i;
	if (is_alpha(peek(p, 0)))
		return unknown_word(p);
	if (peek(p, 0) == '(')
		return fail(p, at, "variable times ('(sunset-01:00)') are not supported: give clock times");
	size_t len = digit_len(p, 0);
	if (len == 0)
		return fail(p, at, "expected a time ('08:30')");
	if (len == 1 && peek(p, 1) == ':' && digit_len(p, 2) == 2)
		return fail(p, at, "hours have two digits ('0%c:%c%c')", peek(p, 0), peek(p, 2), peek(p, 3));
	if (len != 2)
		return fail(p, at, "hours have two digits ('08:30')");
	if (peek(p, 2) == '.')
		return fail(p, at + 2, "use ':' between hours and minutes ('08:30')");
	if (peek(p, 2) != ':')
		return fail(p, at, "a time has hours and minutes ('%c%c:00')", peek(p, 0), peek(p, 1));
	if (digit_len(p, 3) != 2)
		return fail(p, at + 3, "minutes have two digits ('08:30')");
	int h = digits_value(p, 0, 2), m = digits_value(p, 3, 2);
	if (m >= MINUTES_PER_HOUR)
		return fail(p, at + 3, "minute %d is not 00-59", m);
	if (h > max_hour || (h == max_hour && m > 0))
		return fail(p, at, "%02d:%02d is after %02d:00", h, m, max_hour);
	p->i += 5;
	*out = h * MINUTES_PER_HOUR + m;
	return MS_OK;
}

static enum ms_status parse_times(struct parser *p, struct build_rule *r)
{
	for (;;) {
		size_t at = p->i;
		if (r->ntimes == HOURS_MAX_ITEMS)
			return fail(p, at, "more than %d time spans in one rule", HOURS_MAX_ITEMS);
		int from, to = 0;
		enum hours_time_kind kind = HOURS_TIME_SPAN;
		/* A span starts before midnight; 24:00 only ends one. */
		enum ms_status st = parse_clock(p, HOURS_MINUTES_PER_DAY / MINUTES_PER_HOUR, &from);
		if (st)
			return st;
		if (from == HOURS_MINUTES_PER_DAY)
			return fail(p, at, "a span cannot start at 24:00 (write 00:00)");
		if (peek(p, 0) == '+') {
			p->i++;
			kind = HOURS_TIME_OPEN_END;
		} else if (peek(p, 0) == '-') {
			p->i++;
			size_t to_at = p->i;
			if ((st = parse_clock(p, MAX_END_HOUR, &to)))
				return st;
			if (to == from)
				return fail(p, to_at, "the span is empty (it ends when it starts)");
			/* "22:00-02:00": the end is on the next day.  (An end
			 * written past 24:00 is always after the start, which is
			 * before 24:00.) */
			if (to < from)
				to += HOURS_MINUTES_PER_DAY;
			if (peek(p, 0) == '+') {
				p->i++;
				kind = HOURS_TIME_SPAN_OPEN_END;
			}
			if (peek(p, 0) == '/')
				return fail(p, p->i, "repeating times ('/') are not supported");
		} else {
			return fail(p, p->i,
			            "a time alone is not a span: write '%02d:%02d-..' or '%02d:%02d+'",
			            from / MINUTES_PER_HOUR, from % MINUTES_PER_HOUR, from / MINUTES_PER_HOUR,
			            from % MINUTES_PER_HOUR);
		}
		r->times[r->ntimes++] = (struct hours_time){(uint16_t)from, (uint16_t)to, (uint8_t)kind};
		if (peek(p, 0) == ',' && peek(p, 1) != ' ') {
			p->i++;
			if (!is_digit(peek(p, 0)))
				return fail(p, p->i,
				            "expected a time after ',' (a new rule after ',' needs a space: "
				            "', Tu 10:00-12:00')");
			continue;
		}
		return MS_OK;
	}
}

/* --- state and comment -------------------------------------------------------- */

static enum ms_status parse_comment(struct parser *p, struct build_rule *r)
{
	size_t at = p->i;
	p->i++;
	size_t start = p->i;
	while (p->i < p->n && p->s[p->i] != '"')
		p->i++;
	if (p->i >= p->n)
		return fail(p, at, "the comment is not closed with '\"'");
	if (p->i == start)
		return fail(p, at, "the comment is empty");
	r->comment_at = start;
	r->comment_len = p->i - start;
	p->i++;
	return MS_OK;
}

/* --- rules ---------------------------------------------------------------------- */

/* What part starts at the cursor, or P_NONE after having filled err. */
static enum part classify(struct parser *p, enum ms_status *st)
{
	char c = peek(p, 0), shown[8];
	*st = MS_OK;
	if (c == '2' && peek(p, 1) == '4' && peek(p, 2) == '/' && peek(p, 3) == '7')
		return P_ALWAYS;
	if (is_digit(c))
		return digit_len(p, 0) == YEAR_DIGITS && !clock_at(p, 0) ? P_YEARS : P_TIMES;
	if (c == '"')
		return P_COMMENT;
	if (c == '(') {
		*st = fail(p, p->i, "variable times ('(sunrise+01:00)') are not supported: give clock times");
		return P_NONE;
	}
	if (is_alpha(c)) {
		size_t len = word_len(p, 0);
		if (weekday_at(p, 0) >= 0 || word_is(p, 0, len, "PH"))
			return P_WDAYS;
		if (month_at(p, 0) >= 0)
			return P_DATES;
		if (word_is(p, 0, len, "week"))
			return P_WEEKS;
		if (word_is(p, 0, len, "open") || word_is(p, 0, len, "closed") || word_is(p, 0, len, "off") ||
		    word_is(p, 0, len, "unknown"))
			return P_STATE;
		*st = unknown_word(p);
		return P_NONE;
	}
	if (c == ' ')
		*st = fail(p, p->i, "one space only between the parts of a rule");
	else if (c == '\0')
		*st = fail(p, p->i, "the value ends where a rule part was expected");
	else if ((unsigned char)c >= 0x80)
		*st = fail(p, p->i, "unexpected '%s' (outside a comment only ASCII is allowed)",
		           show_char(p, p->i, shown));
	else
		*st = fail(p, p->i, "unexpected '%c'", c);
	return P_NONE;
}

static enum ms_status parse_state(struct parser *p, struct build_rule *r)
{
	size_t len = word_len(p, 0);
	if (word_is(p, 0, len, "open"))
		r->mod = HOURS_MOD_OPEN;
	else if (word_is(p, 0, len, "unknown"))
		r->mod = HOURS_MOD_UNKNOWN;
	else
		r->mod = HOURS_MOD_CLOSED;
	p->i += len;
	return MS_OK;
}

static bool is_wide(enum part k)
{
	return k == P_YEARS || k == P_DATES || k == P_WEEKS;
}

/* One rule, up to (not including) its separator or the end.  *last gets
 * the kind of its last part. */
static enum ms_status parse_rule(struct parser *p, struct build_rule *r, enum part *last)
{
	enum part stage = P_NONE;
	bool state_given = false;
	for (;;) {
		size_t at = p->i;
		enum ms_status st;
		enum part k = classify(p, &st);
		if (st)
			return st;
		if (k == stage && k >= P_YEARS && k <= P_TIMES)
			return fail(p, at, "%s given twice in one rule (one list, joined with ',': 'Sa,Su')",
			            part_names[k]);
		if (k == stage)
			return fail(p, at, "%s given twice in one rule", part_names[k]);
		if (stage == P_ALWAYS && k < P_STATE)
			return fail(p, at, "24/7 stands alone (for whole days write 00:00-24:00)");
		if (k < stage)
			return fail(p, at,
			            "%s cannot come after %s (the order is: years, dates, weeks, weekdays, "
			            "times, state, comment)",
			            part_names[k], part_names[stage]);
		switch (k) {
		case P_ALWAYS:
			r->always = true;
			p->i += 4;
			st = MS_OK;
			break;
		case P_YEARS: st = parse_years(p, r); break;
		case P_DATES: st = parse_dates(p, r); break;
		case P_WEEKS: st = parse_weeks(p, r); break;
		case P_WDAYS: st = parse_wdays(p, r); break;
		case P_TIMES: st = parse_times(p, r); break;
		case P_STATE:
			state_given = true;
			st = parse_state(p, r);
			break;
		case P_COMMENT: st = parse_comment(p, r); break;
		case P_NONE: st = MS_EINTERNAL; break;
		}
		if (st)
			return st;
		stage = k;
		/* The readability colon: "Dec 24,Dec 31: 10:00-14:00". */
		if (peek(p, 0) == ':' && is_wide(stage)) {
			p->i++;
			if (peek(p, 0) != ' ' || peek(p, 1) == '\0')
				return fail(
				    p, p->i - 1,
				    "':' after dates is followed by one space and the rest of the rule");
		}
		char c = peek(p, 0);
		if (c == '\0' || c == ';' || c == ',')
			break;
		if (c == ' ') {
			if (peek(p, 1) == '|')
				break;
			if (peek(p, 1) == '\0')
				return fail(p, p->i, "space at the end of the value");
			if (peek(p, 1) == ' ')
				return fail(p, p->i + 1, "one space only between the parts of a rule");
			p->i++;
			continue;
		}
		if (c == '|')
			return fail(p, p->i, "a fallback rule is separated by ' || '");
		char shown[8];
		return fail(p, p->i, "expected a space, '; ', ', ' or ' || ' after %s, not '%s'",
		            part_names[stage], show_char(p, p->i, shown));
	}
	/* A comment alone means the state is unknown (specification: rule
	 * modifier). */
	if (!state_given && r->comment_len)
		r->mod = HOURS_MOD_UNKNOWN;
	*last = stage;
	return MS_OK;
}

/* Checks the ", " at the cursor may start an additional rule after a rule
 * whose last part was last. */
static enum ms_status check_additional(struct parser *p, enum part last)
{
	size_t next = p->i + 2;
	struct parser q = *p;
	q.i = next;
	if (last == P_WDAYS && (weekday_at(&q, 0) >= 0 || word_is(&q, 0, word_len(&q, 0), "PH")))
		return fail(p, p->i + 1, "no space after ',' inside a list of weekdays ('Mo,Tu')");
	if (last == P_DATES && month_at(&q, 0) >= 0)
		return fail(p, p->i + 1, "no space after ',' inside a list of dates ('Jan,Feb')");
	if (last == P_TIMES && is_digit(peek(&q, 0)) && digit_len(&q, 0) != YEAR_DIGITS)
		return fail(p, p->i + 1,
		            "', ' before a time starts a rule for every day: write the times of one "
		            "rule without a space ('08:00-12:00,14:00-18:00')");
	if (last != P_TIMES && last != P_STATE && last != P_COMMENT && last != P_ALWAYS)
		return fail(p, p->i, "', ' (an additional rule) must follow times, a state or a comment");
	return MS_OK;
}

/* Offsets inside the packed block, aligned for any type. */
#define ALIGN_UP(x) (((x) + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1))

/* Copies the parsed rules into one block sized to what they hold. */
static struct hours *pack(const struct build_rule *b, size_t nrules, const char *text)
{
	size_t ny = 0, nd = 0, nw = 0, nwd = 0, nt = 0, nc = 0;
	for (size_t i = 0; i < nrules; i++) {
		ny += b[i].nyears;
		nd += b[i].ndates;
		nw += b[i].nweeks;
		nwd += b[i].nwdays;
		nt += b[i].ntimes;
		nc += b[i].comment_len ? b[i].comment_len + 1 : 0;
	}
	size_t off_rules = ALIGN_UP(sizeof(struct hours));
	size_t off_years = ALIGN_UP(off_rules + nrules * sizeof(struct hours_rule));
	size_t off_dates = ALIGN_UP(off_years + ny * sizeof(struct hours_years));
	size_t off_weeks = ALIGN_UP(off_dates + nd * sizeof(struct hours_dates));
	size_t off_wdays = ALIGN_UP(off_weeks + nw * sizeof(struct hours_weeks));
	size_t off_times = ALIGN_UP(off_wdays + nwd * sizeof(struct hours_wdays));
	size_t off_text = off_times + nt * sizeof(struct hours_time);
	char *block = xcalloc(1, off_text + nc);
	struct hours *h = (struct hours *)block;
	struct hours_years *years = (struct hours_years *)(block + off_years);
	struct hours_dates *dates = (struct hours_dates *)(block + off_dates);
	struct hours_weeks *weeks = (struct hours_weeks *)(block + off_weeks);
	struct hours_wdays *wdays = (struct hours_wdays *)(block + off_wdays);
	struct hours_time *times = (struct hours_time *)(block + off_times);
	char *comments = block + off_text;
	h->nrules = nrules;
	h->rule = (struct hours_rule *)(block + off_rules);
	for (size_t i = 0; i < nrules; i++) {
		const struct build_rule *s = &b[i];
		struct hours_rule *r = &h->rule[i];
		*r = (struct hours_rule){.sep = s->sep,
		                         .mod = s->mod,
		                         .always = s->always,
		                         .ph = s->ph,
		                         .nyears = s->nyears,
		                         .ndates = s->ndates,
		                         .nweeks = s->nweeks,
		                         .nwdays = s->nwdays,
		                         .ntimes = s->ntimes};
		r->years = memcpy(years, s->years, s->nyears * sizeof *years);
		r->dates = memcpy(dates, s->dates, s->ndates * sizeof *dates);
		r->weeks = memcpy(weeks, s->weeks, s->nweeks * sizeof *weeks);
		r->wdays = memcpy(wdays, s->wdays, s->nwdays * sizeof *wdays);
		r->times = memcpy(times, s->times, s->ntimes * sizeof *times);
		years += s->nyears;
		dates += s->ndates;
		weeks += s->nweeks;
		wdays += s->nwdays;
		times += s->ntimes;
		if (s->comment_len) {
			memcpy(comments, text + s->comment_at, s->comment_len);
			comments[s->comment_len] = '\0';
			r->comment = comments;
			comments += s->comment_len + 1;
		}
		if (s->ph)
			h->uses_ph = true;
	}
	return h;
}

enum ms_status hours_parse(const char *text, size_t len, struct hours **out, struct ms_error *err)
{
	*out = NULL;
	struct parser p = {text, len, 0, err};
	if (len == 0)
		return fail(&p, 0, "the value is empty");
	if (len > HOURS_MAX_LEN)
		return fail(&p, HOURS_MAX_LEN, "the value is longer than %d bytes", HOURS_MAX_LEN);
	for (size_t k = 0; k < len; k++) {
		unsigned char c = (unsigned char)text[k];
		if (c < 0x20 || c == 0x7F)
			return fail(&p, k, "control character 0x%02X", c);
	}
	if (text[0] == ' ')
		return fail(&p, 0, "space at the start of the value");

	struct build_rule *b = xcalloc(HOURS_MAX_RULES, sizeof *b);
	size_t nrules = 0;
	enum ms_status st = MS_OK;
	enum hours_sep sep = HOURS_SEP_NORMAL;
	for (;;) {
		if (nrules == HOURS_MAX_RULES) {
			st = fail(&p, p.i, "more than %d rules", HOURS_MAX_RULES);
			goto done;
		}
		struct build_rule *r = &b[nrules++];
		r->sep = (uint8_t)sep;
		enum part last = P_NONE;
		if ((st = parse_rule(&p, r, &last)))
			goto done;
		if (p.i == p.n)
			break;
		size_t at = p.i;
		if (text[at] == ';') {
			if (peek(&p, 1) != ' ') {
				st = fail(&p, at, "';' is followed by one space");
				goto done;
			}
			sep = HOURS_SEP_NORMAL;
			p.i += 2;
		} else if (text[at] == ',') {
			if (peek(&p, 1) != ' ') {
				st = fail(&p, at, "unexpected ',' after %s", part_names[last]);
				goto done;
			}
			if ((st = check_additional(&p, last)))
				goto done;
			sep = HOURS_SEP_ADDITIONAL;
			p.i += 2;
		} else if (peek(&p, 1) == '|' && peek(&p, 2) == '|' && peek(&p, 3) == ' ') {
			sep = HOURS_SEP_FALLBACK;
			p.i += 4;
		} else {
			st = fail(&p, at, "a fallback rule is separated by ' || '");
			goto done;
		}
		if (p.i == p.n) {
			st = fail(&p, at, "a rule must follow '%s'",
			          sep == HOURS_SEP_FALLBACK ? "||"
			          : text[at] == ';'         ? ";"
			                                    : ",");
			goto done;
		}
		if (text[p.i] == ' ') {
			st = fail(&p, p.i, "one space only after a rule separator");
			goto done;
		}
	}
	*out = pack(b, nrules, text);
done:
	free(b);
	return st;
}

void hours_free(struct hours *h)
{
	free(h);
}

size_t hours_rule_count(const struct hours *h)
{
	return h->nrules;
}

const char *hours_rule_comment(const struct hours *h, size_t i)
{
	return i < h->nrules ? h->rule[i].comment : NULL;
}

bool hours_uses_ph(const struct hours *h)
{
	return h->uses_ph;
}

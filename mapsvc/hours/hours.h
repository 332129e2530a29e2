/*
 * hours.h - opening hours as data: a strict parser, a canonical printer
 * and an evaluator of OpenStreetMap's opening_hours syntax
 * (https://wiki.openstreetmap.org/wiki/Key:opening_hours/specification),
 * in China Standard Time, with China's public holidays built in.
 *
 * The subset accepted (docs/opening_hours.md has it with examples):
 *   value     = "24/7" [" " state] | rule { separator rule }
 *   separator = "; " (normal) | ", " (additional) | " || " (fallback)
 *   rule      = [years] [dates] [weeks] [":"] [weekdays] [times] [state] [comment]
 *               (at least one part; parts separated by one space)
 *   years     = 2024 | 2024-2026 | 2024+ , comma-separated
 *   dates     = Jan | Jan-Mar | Dec 25 | Dec 24-26 | Oct 01-Oct 07 | Dec 25-Jan 05,
 *               comma-separated; month ranges and dates may wrap over the new year
 *   weeks     = "week " 01 | 01-10 | 01-53/2 , comma-separated (ISO 8601 weeks)
 *   weekdays  = Mo | Mo-Fr | Fr-Mo | Su[1] | Su[-1] | Mo[1,3] | Mo[1-2] | PH,
 *               comma-separated, PH (public holiday) at most once
 *   times     = 08:30-11:30 | 22:00-02:00 | 10:00-26:00 | 08:00+ | 17:00-20:00+,
 *               comma-separated; two-digit hours, ends up to 48:00
 *   state     = open | closed | off | unknown
 *   comment   = '"' text '"' (a comment without a state means unknown)
 * Everything else (school holidays, easter, sunrise and other variable
 * times, day offsets, points in time, repeating times, years inside date
 * ranges, lower-case or long names) is refused with the character where
 * it starts: "opening_hours: at character 9: unknown weekday 'Tue' (use
 * Mo Tu We Th Fr Sa Su)".
 *
 * Evaluation follows the specification and its reference implementation
 * opening_hours.js: rules apply in order; a normal rule that selects a day
 * and is not closed replaces everything earlier rules said about that
 * calendar day; closed rules and additional rules only paint their times
 * over it; a fallback rule fills only the times no earlier rule matched.
 * A time span past midnight continues on the next calendar day whenever
 * its rule selects the day it starts on.  "08:00+" (open end) is unknown
 * from 08:00 to midnight.  All of it is documented with examples in
 * docs/opening_hours.md.
 *
 * Public holidays are those of the State Council's yearly notices, kept as
 * one table (hours_cn_day).  PH matches every day of a holiday break, the
 * weekend days the notice joins to it included; the make-up working days
 * (调休上班) are in the table but do not change what Sa or Su match.  For a
 * date whose notice is not in the table PH is not known: where the answer
 * depends on it, the state is HOURS_UNKNOWN, never a guess.
 *
 * Times are China Standard Time, UTC+8 all year (no daylight saving since
 * 1991), resolved to the minute.  Dates outside HOURS_MIN_YEAR..
 * HOURS_MAX_YEAR evaluate as HOURS_UNKNOWN.
 *
 * Text must be UTF-8 (the readers check their input); the parser reads
 * only ASCII structure and keeps comment bytes as they are.
 *
 * Ownership and threads: a struct hours is immutable once parsed and owns
 * its memory (hours_free).  Every function keeps its state on the stack,
 * so any number of threads may evaluate one struct hours at once.  No I/O.
 */
#ifndef MS_HOURS_H
#define MS_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../util/buf.h"
#include "../util/ms_error.h"

/* Bounds that keep parsing and evaluation work small whatever the input:
 * OSM caps a tag value at 255 characters, so these leave ample room. */
#define HOURS_MAX_LEN 1024 /* bytes of text */
#define HOURS_MAX_RULES 32 /* rules in one value */
#define HOURS_MAX_ITEMS 16 /* entries of one list (years, dates, weeks, weekdays, times) */

#define HOURS_MIN_YEAR 1900
#define HOURS_MAX_YEAR 9999
/* China Standard Time. */
#define HOURS_UTC_OFFSET_S (8 * 3600)
#define HOURS_MINUTES_PER_DAY 1440
/* hours_next_change looks this many days ahead: a yearly rule ("Dec 25
 * off") changes within 366 days, a year selector at most a year later. */
#define HOURS_LOOKAHEAD_DAYS 800

struct hours;

enum hours_state {
	HOURS_CLOSED = 0,
	HOURS_OPEN = 1,
	HOURS_UNKNOWN = 2,
};

/* "closed", "open", "unknown". */
const char *hours_state_name(enum hours_state s);

/* Parses text[0..len).  MS_EDATA with "opening_hours: at character N:
 * reason" (N counts UTF-8 characters from 1) when the text is outside the
 * subset above.  On success *out is a new struct hours (hours_free). */
enum ms_status hours_parse(const char *text, size_t len, struct hours **out, struct ms_error *err);
void hours_free(struct hours *h);

/* Appends the canonical text: one space between parts, "off" for closed,
 * a state word before every comment, PH first among weekdays, dates as
 * "Oct 01-07", spans past midnight as "22:00-02:00".  Parsing it gives the
 * same canonical text again. */
void hours_to_text(const struct hours *h, struct buf *out);

size_t hours_rule_count(const struct hours *h);
/* Rule i's comment, NUL-terminated, or NULL when it has none; borrowed
 * from h. */
const char *hours_rule_comment(const struct hours *h, size_t i);
/* True if some rule selects PH (its answers may then be unknown for dates
 * whose holidays are not in the table). */
bool hours_uses_ph(const struct hours *h);

/* --- Calendar, China Standard Time ------------------------------------ */

struct hours_date {
	int year, month, day; /* month 1-12, day 1-31 */
};

bool hours_date_valid(struct hours_date d);
/* 0 = Monday ... 6 = Sunday (ISO 8601 order, as Mo..Su). */
int hours_weekday(struct hours_date d);
/* The CST date and the seconds since its midnight (0..86399) of instant
 * t; false when the date is outside HOURS_MIN_YEAR..HOURS_MAX_YEAR. */
bool hours_local(time_t t, struct hours_date *d, int *sec_of_day);
/* The instant of midnight CST starting date d (which must be valid). */
time_t hours_midnight(struct hours_date d);

/* --- Dates and times as requests write them (ISO 8601 extended) ------- */

/* "2025-05-06", a valid date in HOURS_MIN_YEAR..HOURS_MAX_YEAR. */
bool hours_parse_date(const char *s, struct hours_date *d);
/* "08:30": 00:00..23:59 into minutes since midnight. */
bool hours_parse_clock(const char *s, int *minutes);
/* An instant: "now" (the caller's now), a local date and time in China
 * Standard Time ("2025-05-06T10:00", seconds optional), or one with an
 * RFC 3339 offset ("2025-05-06T02:00:00Z", "...+08:00"). */
bool hours_parse_instant(const char *s, time_t now, time_t *t);
/* "08:30" for minutes since midnight (taken modulo a day). */
#define HOURS_CLOCK_TEXT 6
void hours_format_clock(int minutes, char out[HOURS_CLOCK_TEXT]);

/* --- Evaluation --------------------------------------------------------- */

/* The state at instant t. */
enum hours_state hours_is_open(const struct hours *h, time_t t);

/* The first instant after t at which the state differs from the state at
 * t, looking at most HOURS_LOOKAHEAD_DAYS ahead.  False when there is none
 * in that time (24/7, or t out of range). */
bool hours_next_change(const struct hours *h, time_t t, time_t *next);

/* A stretch of a calendar day that is open or unknown, in minutes since
 * midnight: [from_min, to_min), 0 <= from_min < to_min <= 1440.  rule is
 * the index of the rule that decided it, or -1 when it is unknown only
 * because PH is not known for the date. */
struct hours_span {
	int from_min, to_min;
	enum hours_state state; /* HOURS_OPEN or HOURS_UNKNOWN */
	int rule;
};

/* The open and unknown stretches of date d in time order, adjacent ones
 * merged when state and rule agree; the rest of the day is closed.
 * Writes at most cap spans and returns how many there are (call again
 * with more room if that is larger than cap).  An invalid date, or one
 * outside the years handled, is one unknown span over the whole day. */
size_t hours_day_spans(const struct hours *h, struct hours_date d, struct hours_span *out, size_t cap);

/* Date d's open stretches as text: "08:30–11:30, 13:30–17:30" (en dashes),
 * a stretch whose state is unknown followed by " ?", at most
 * HOURS_DAY_SPANS_MAX of them (then ", …"); nothing when it is closed all
 * day.  Returns the number of stretches (0: closed all day). */
#define HOURS_DAY_SPANS_MAX 8
size_t hours_format_day(const struct hours *h, struct hours_date d, struct buf *out);

/* --- China's public holidays -------------------------------------------- */

enum hours_cn_day {
	HOURS_CN_UNKNOWN, /* the year's notice is not in the table */
	HOURS_CN_REGULAR, /* an ordinary working day or weekend */
	HOURS_CN_HOLIDAY, /* a day of a holiday break (PH) */
	HOURS_CN_WORKDAY, /* a weekend day worked to make up for a break (调休上班) */
};

/* What the State Council's notice makes of date d.  *name (may be NULL)
 * gets the holiday's name ("春节 Spring Festival") for a break day or a
 * make-up working day, else NULL. */
enum hours_cn_day hours_cn_day(struct hours_date d, const char **name);
/* The first and last year whose notice is in the table. */
void hours_cn_years(int *first, int *last);

#endif

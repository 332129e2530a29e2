/*
 * hours_int.h - the parsed form of an opening_hours value, shared by the
 * parser, the printer and the evaluator; not a public API.
 *
 * A value is a sequence of rules; each rule holds its selectors as short
 * lists (at most HOURS_MAX_ITEMS entries each), all in one allocation.
 */
#ifndef MS_HOURS_INT_H
#define MS_HOURS_INT_H

#include <stdint.h>

#include "hours.h"

enum hours_sep {
	HOURS_SEP_NORMAL,     /* first rule, or after "; " */
	HOURS_SEP_ADDITIONAL, /* after ", " */
	HOURS_SEP_FALLBACK,   /* after " || " */
};

enum hours_mod {
	HOURS_MOD_OPEN,
	HOURS_MOD_CLOSED,
	HOURS_MOD_UNKNOWN,
};

/* "2024+" is stored with to = HOURS_MAX_YEAR and plus set. */
struct hours_years {
	uint16_t from, to;
	bool plus;
};

/* d1 == 0: the months m1..m2 (m1 == m2: one month; m1 > m2 wraps over
 * the new year).  Otherwise the dates m1/d1..m2/d2, which may wrap too. */
struct hours_dates {
	uint8_t m1, d1, m2, d2;
};

/* ISO weeks from..to, every step-th one counted from from. */
struct hours_weeks {
	uint8_t from, to, step;
};

/* Weekdays from..to (0 = Mo; from > to wraps over the weekend).  nth, for a
 * single weekday only: bit k-1 selects the k-th one of the month ([k]),
 * bit HOURS_NTH_LAST + k - 1 the k-th from the end ([-k]); 0 = every one. */
#define HOURS_NTH_MAX 5
#define HOURS_NTH_LAST HOURS_NTH_MAX
struct hours_wdays {
	uint8_t from, to;
	uint16_t nth;
};

enum hours_time_kind {
	HOURS_TIME_SPAN,          /* from-to */
	HOURS_TIME_OPEN_END,      /* from+ */
	HOURS_TIME_SPAN_OPEN_END, /* from-to+ */
};

/* Minutes since midnight; to > HOURS_MINUTES_PER_DAY continues on the next
 * day (to is at most twice that).  to is unused for HOURS_TIME_OPEN_END. */
struct hours_time {
	uint16_t from, to;
	uint8_t kind;
};

/* A rule as evaluated: its lists point into the hours' own block. */
struct hours_rule {
	uint8_t sep; /* enum hours_sep */
	uint8_t mod; /* enum hours_mod */
	bool always; /* 24/7 */
	bool ph;     /* PH is one of the weekday selectors */
	uint8_t nyears, ndates, nweeks, nwdays, ntimes;
	const struct hours_years *years;
	const struct hours_dates *dates;
	const struct hours_weeks *weeks;
	const struct hours_wdays *wdays;
	const struct hours_time *times;
	const char *comment; /* NUL-terminated, or NULL */
};

/* One allocation: this header, the rules, then every list and comment
 * (a typical value takes about a hundred bytes, so a parsed value per
 * site costs little even for a million sites). */
struct hours {
	size_t nrules;
	bool uses_ph;
	struct hours_rule *rule;
};

/* --- calendar.c ----------------------------------------------------------- */

/* Days since 1970-01-01 of a valid proleptic Gregorian date, and back. */
int64_t hours_days_from_civil(int y, int m, int d);
struct hours_date hours_civil_from_days(int64_t days);
int hours_days_in_month(int y, int m);
/* The ISO 8601 week number (1-53) of a valid date. */
int hours_iso_week(struct hours_date d);

extern const char *const hours_weekday_names[7]; /* "Mo" ... "Su" */
extern const char *const hours_month_names[12];  /* "Jan" ... "Dec" */

#endif

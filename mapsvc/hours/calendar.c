/*
 * calendar.c - dates in China Standard Time for the opening-hours
 * evaluator: days since the epoch and back, weekdays, ISO weeks.
 *
 * Dates are proleptic Gregorian.  Converting through a day count (rather
 * than gmtime/mktime) keeps the module free of the C library's time zone
 * state, which is process-global and not thread-safe to change, and makes
 * CST a constant offset: China has kept UTC+8 without daylight saving
 * since 1991.
 */
#include <stdint.h>

#include "hours_int.h"

#define SECONDS_PER_DAY 86400
#define DAYS_PER_WEEK 7
/* A 400-year Gregorian cycle has exactly this many days (97 leap years). */
#define DAYS_PER_ERA 146097
#define YEARS_PER_ERA 400
/* Days from 0000-03-01 (the start of the shifted calendar below) to
 * 1970-01-01. */
#define EPOCH_FROM_MARCH_0 719468
/* 1970-01-01 was a Thursday: weekday 3 counting Monday as 0. */
#define EPOCH_WEEKDAY 3

const char *const hours_weekday_names[7] = {"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"};
const char *const hours_month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int hours_days_in_month(int y, int m)
{
	static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

bool hours_date_valid(struct hours_date d)
{
	return d.year >= HOURS_MIN_YEAR && d.year <= HOURS_MAX_YEAR && d.month >= 1 && d.month <= 12 &&
	       d.day >= 1 && d.day <= hours_days_in_month(d.year, d.month);
}

/* The year is counted from March, so that February, with its leap day, is
 * the last month: then the days before a month are (153 * mp + 2) / 5 for
 * mp = 0 (March) .. 11 (February), whatever the year, and leap days only
 * change where a year ends. */
int64_t hours_days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - (YEARS_PER_ERA - 1)) / YEARS_PER_ERA;
	int64_t yoe = yy - era * YEARS_PER_ERA;              /* 0..399 */
	int64_t mp = (m + 9) % 12;                           /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
	return era * DAYS_PER_ERA + doe - EPOCH_FROM_MARCH_0;
}

struct hours_date hours_civil_from_days(int64_t z)
{
	z += EPOCH_FROM_MARCH_0;
	int64_t era = (z >= 0 ? z : z - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
	int64_t doe = z - era * DAYS_PER_ERA;
	/* Undo the leap-day pattern: every 4th, not every 100th, every 400th. */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / (DAYS_PER_ERA - 1)) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	int64_t y = yoe + era * YEARS_PER_ERA + (m <= 2);
	return (struct hours_date){(int)y, m, d};
}

static int weekday_of_days(int64_t days)
{
	int64_t w = (days + EPOCH_WEEKDAY) % DAYS_PER_WEEK;
	return (int)(w < 0 ? w + DAYS_PER_WEEK : w);
}

int hours_weekday(struct hours_date d)
{
	return weekday_of_days(hours_days_from_civil(d.year, d.month, d.day));
}

/* ISO 8601: week 1 is the week (Monday to Sunday) holding the year's first
 * Thursday; a year has 53 weeks when it starts on a Thursday, or on a
 * Wednesday in a leap year. */
static int iso_weeks_in_year(int y)
{
	int jan1 = weekday_of_days(hours_days_from_civil(y, 1, 1));
	return jan1 == 3 || (jan1 == 2 && is_leap(y)) ? 53 : 52;
}

int hours_iso_week(struct hours_date d)
{
	int64_t days = hours_days_from_civil(d.year, d.month, d.day);
	int ordinal = (int)(days - hours_days_from_civil(d.year, 1, 1)) + 1;
	int wd = weekday_of_days(days) + 1; /* 1 = Monday */
	int week = (ordinal - wd + 10) / DAYS_PER_WEEK;
	if (week < 1)
		return iso_weeks_in_year(d.year - 1);
	if (week > iso_weeks_in_year(d.year))
		return 1;
	return week;
}

bool hours_local(time_t t, struct hours_date *d, int *sec_of_day)
{
	int64_t v = (int64_t)t;
	if (v > INT64_MAX - HOURS_UTC_OFFSET_S)
		return false;
	v += HOURS_UTC_OFFSET_S;
	int64_t days = v / SECONDS_PER_DAY, sec = v % SECONDS_PER_DAY;
	if (sec < 0) {
		sec += SECONDS_PER_DAY;
		days--;
	}
	if (days < hours_days_from_civil(HOURS_MIN_YEAR, 1, 1) ||
	    days > hours_days_from_civil(HOURS_MAX_YEAR, 12, 31))
		return false;
	*d = hours_civil_from_days(days);
	*sec_of_day = (int)sec;
	return true;
}

time_t hours_midnight(struct hours_date d)
{
	return (time_t)(hours_days_from_civil(d.year, d.month, d.day) * SECONDS_PER_DAY - HOURS_UTC_OFFSET_S);
}

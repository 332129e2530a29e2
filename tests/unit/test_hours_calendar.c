/* test_hours_calendar.c - the calendar under the opening-hours evaluator:
 * dates, weekdays, ISO weeks and CST instants against the C library's own
 * (timegm, gmtime_r, strftime %V, which nobody here wrote), and the table
 * of China's public holidays against what the State Council's notices
 * say and against itself. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "hours/hours.h"

#define CST (8 * 3600)

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Instants from 1901 to 9998 against gmtime_r of the same instant plus
 * eight hours. */
static void test_local_vs_libc(void)
{
	const int64_t lo = -2145916800LL, hi = 253370764800LL; /* 1902-01-01, 9999-01-01 UTC */
	for (int i = 0; i < 200000; i++) {
		time_t t = (time_t)(lo + (int64_t)(rnd() % (uint64_t)(hi - lo)));
		if (i < 1000)
			t = (time_t)(1700000000LL +
			             (int64_t)(rnd() % 400000000ULL)); /* around now, densely */
		struct hours_date d;
		int sec;
		time_t shifted = t + CST;
		struct tm tm;
		CHECK(gmtime_r(&shifted, &tm) != NULL);
		bool ok = hours_local(t, &d, &sec);
		CHECK(ok);
		if (!ok)
			continue;
		CHECK_MSG(d.year == tm.tm_year + 1900 && d.month == tm.tm_mon + 1 && d.day == tm.tm_mday &&
		              sec == tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec,
		          "t=%lld: %d-%d-%d +%d vs libc %d-%d-%d %02d:%02d:%02d", (long long)t, d.year,
		          d.month, d.day, sec, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		          tm.tm_min, tm.tm_sec);
		CHECK_INT(hours_weekday(d), (tm.tm_wday + 6) % 7);
		CHECK_INT(hours_midnight(d), t - sec);
	}
}

/* hours_midnight against timegm for every day of a few years, and the
 * known instant of one midnight. */
static void test_midnight(void)
{
	struct hours_date d2024 = {2024, 1, 1};
	/* 2024-01-01T00:00+08:00 = 2023-12-31T16:00Z */
	CHECK_INT(hours_midnight(d2024), 1704038400LL);
	int days = 0;
	for (int y = 1999; y <= 2031; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int dd = 1; dd <= 31; dd++) {
				struct hours_date d = {y, m, dd};
				struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = dd};
				time_t utc = timegm(&tm);
				bool libc_valid = tm.tm_mday == dd && tm.tm_mon == m - 1;
				CHECK_MSG(hours_date_valid(d) == libc_valid, "%d-%02d-%02d", y, m, dd);
				if (!libc_valid)
					continue;
				CHECK_INT(hours_midnight(d), utc - CST);
				days++;
			}
		}
	}
	CHECK_INT(days, 33 * 365 + 8); /* 1999-2031: 8 leap years */
	struct hours_date bad[] = {{2023, 2, 29}, {1900, 2, 29},  {2000, 2, 30}, {2024, 13, 1},
	                           {2024, 0, 1},  {1899, 12, 31}, {10000, 1, 1}, {2024, 4, 31}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!hours_date_valid(bad[i]));
	struct hours_date good[] = {{2000, 2, 29}, {1900, 1, 1}, {9999, 12, 31}, {2024, 2, 29}};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		CHECK(hours_date_valid(good[i]));
}

/* ISO weeks, through "week NN" selectors, against strftime("%V"). */
static void test_iso_week(void)
{
	struct hours *wk[54] = {NULL};
	for (int w = 1; w <= 53; w++) {
		char text[32];
		snprintf(text, sizeof text, "week %02d", w);
		struct ms_error err = {0};
		CHECK_INT(hours_parse(text, strlen(text), &wk[w], &err), MS_OK);
	}
	int checked = 0;
	for (int y = 2000; y <= 2040; y++) {
		for (int doy = 0; doy < 366; doy += 3) {
			struct tm tm = {.tm_year = y - 1900, .tm_mon = 0, .tm_mday = 1 + doy, .tm_hour = 12};
			time_t utc = timegm(&tm); /* normalises tm */
			if (tm.tm_year != y - 1900)
				continue;
			char v[8];
			strftime(v, sizeof v, "%V", &tm);
			int want = atoi(v);
			time_t t = utc - CST; /* 12:00 CST of that date */
			for (int w = 1; w <= 53; w++)
				if (wk[w] &&
				    hours_is_open(wk[w], t) != (w == want ? HOURS_OPEN : HOURS_CLOSED))
					CHECK_MSG(false, "%d-%02d-%02d: week %d selector, libc says week %d",
					          y, tm.tm_mon + 1, tm.tm_mday, w, want);
			checked++;
		}
	}
	CHECK(checked > 4900);
	for (int w = 1; w <= 53; w++)
		hours_free(wk[w]);
}

/* Out of the years handled: unknown, and no change found. */
static void test_out_of_range(void)
{
	struct hours *h = NULL;
	struct ms_error err = {0};
	CHECK_INT(hours_parse("24/7", 4, &h, &err), MS_OK);
	if (!h)
		return;
	struct hours_date first = {HOURS_MIN_YEAR, 1, 1}, last = {HOURS_MAX_YEAR, 12, 31};
	CHECK_INT(hours_is_open(h, hours_midnight(first)), HOURS_OPEN);
	CHECK_INT(hours_is_open(h, hours_midnight(first) - 1), HOURS_UNKNOWN);
	CHECK_INT(hours_is_open(h, hours_midnight(last) + 86399), HOURS_OPEN);
	CHECK_INT(hours_is_open(h, hours_midnight(last) + 86400), HOURS_UNKNOWN);
	time_t next;
	CHECK(!hours_next_change(h, hours_midnight(first) - 1, &next));
	struct hours_date d;
	int sec;
	CHECK(!hours_local((time_t)INT64_MAX, &d, &sec));
	CHECK(!hours_local((time_t)INT64_MIN, &d, &sec));
	CHECK_INT(hours_is_open(h, (time_t)INT64_MAX), HOURS_UNKNOWN);
	hours_free(h);
	/* A rule painting the last evening past midnight must not step out of
	 * the calendar. */
	CHECK_INT(hours_parse("Fr 22:00-02:00", 14, &h, &err), MS_OK);
	if (h) {
		CHECK_INT(hours_is_open(h, hours_midnight(last) + 3600), HOURS_CLOSED); /* a Friday */
		CHECK(!hours_next_change(h, hours_midnight(last) + 23 * 3600, &next));
		hours_free(h);
	}
}

/* The notices, as published (see holidays.c): every break and every
 * make-up working day, and the days around them. */
static void test_notices(void)
{
	static const struct {
		int y, m, d;
		enum hours_cn_day kind;
	} cases[] = {
	    /* 2024 */
	    {2024, 1, 1, HOURS_CN_HOLIDAY},
	    {2024, 1, 2, HOURS_CN_REGULAR},
	    {2024, 2, 4, HOURS_CN_WORKDAY},
	    {2024, 2, 9, HOURS_CN_REGULAR}, /* New Year's Eve: only encouraged */
	    {2024, 2, 10, HOURS_CN_HOLIDAY},
	    {2024, 2, 17, HOURS_CN_HOLIDAY},
	    {2024, 2, 18, HOURS_CN_WORKDAY},
	    {2024, 4, 4, HOURS_CN_HOLIDAY},
	    {2024, 4, 6, HOURS_CN_HOLIDAY},
	    {2024, 4, 7, HOURS_CN_WORKDAY},
	    {2024, 4, 28, HOURS_CN_WORKDAY},
	    {2024, 5, 1, HOURS_CN_HOLIDAY},
	    {2024, 5, 5, HOURS_CN_HOLIDAY},
	    {2024, 5, 6, HOURS_CN_REGULAR},
	    {2024, 5, 11, HOURS_CN_WORKDAY},
	    {2024, 6, 8, HOURS_CN_HOLIDAY},
	    {2024, 6, 10, HOURS_CN_HOLIDAY},
	    {2024, 6, 11, HOURS_CN_REGULAR},
	    {2024, 9, 14, HOURS_CN_WORKDAY},
	    {2024, 9, 15, HOURS_CN_HOLIDAY},
	    {2024, 9, 17, HOURS_CN_HOLIDAY},
	    {2024, 9, 29, HOURS_CN_WORKDAY},
	    {2024, 10, 1, HOURS_CN_HOLIDAY},
	    {2024, 10, 7, HOURS_CN_HOLIDAY},
	    {2024, 10, 12, HOURS_CN_WORKDAY},
	    {2024, 12, 31, HOURS_CN_REGULAR},
	    /* 2025 */
	    {2025, 1, 1, HOURS_CN_HOLIDAY},
	    {2025, 1, 2, HOURS_CN_REGULAR},
	    {2025, 1, 26, HOURS_CN_WORKDAY},
	    {2025, 1, 28, HOURS_CN_HOLIDAY},
	    {2025, 2, 4, HOURS_CN_HOLIDAY},
	    {2025, 2, 5, HOURS_CN_REGULAR},
	    {2025, 2, 8, HOURS_CN_WORKDAY},
	    {2025, 4, 4, HOURS_CN_HOLIDAY},
	    {2025, 4, 6, HOURS_CN_HOLIDAY},
	    {2025, 4, 27, HOURS_CN_WORKDAY},
	    {2025, 5, 1, HOURS_CN_HOLIDAY},
	    {2025, 5, 5, HOURS_CN_HOLIDAY},
	    {2025, 5, 31, HOURS_CN_HOLIDAY},
	    {2025, 6, 2, HOURS_CN_HOLIDAY},
	    {2025, 9, 28, HOURS_CN_WORKDAY},
	    {2025, 10, 1, HOURS_CN_HOLIDAY},
	    {2025, 10, 8, HOURS_CN_HOLIDAY},
	    {2025, 10, 9, HOURS_CN_REGULAR},
	    {2025, 10, 11, HOURS_CN_WORKDAY},
	    {2025, 12, 31, HOURS_CN_REGULAR},
	    /* 2026 */
	    {2026, 1, 1, HOURS_CN_HOLIDAY},
	    {2026, 1, 3, HOURS_CN_HOLIDAY},
	    {2026, 1, 4, HOURS_CN_WORKDAY},
	    {2026, 2, 14, HOURS_CN_WORKDAY},
	    {2026, 2, 15, HOURS_CN_HOLIDAY},
	    {2026, 2, 23, HOURS_CN_HOLIDAY},
	    {2026, 2, 24, HOURS_CN_REGULAR},
	    {2026, 2, 28, HOURS_CN_WORKDAY},
	    {2026, 4, 4, HOURS_CN_HOLIDAY},
	    {2026, 4, 6, HOURS_CN_HOLIDAY},
	    {2026, 5, 1, HOURS_CN_HOLIDAY},
	    {2026, 5, 5, HOURS_CN_HOLIDAY},
	    {2026, 5, 9, HOURS_CN_WORKDAY},
	    {2026, 6, 19, HOURS_CN_HOLIDAY},
	    {2026, 6, 21, HOURS_CN_HOLIDAY},
	    {2026, 9, 20, HOURS_CN_WORKDAY},
	    {2026, 9, 25, HOURS_CN_HOLIDAY},
	    {2026, 9, 27, HOURS_CN_HOLIDAY},
	    {2026, 10, 1, HOURS_CN_HOLIDAY},
	    {2026, 10, 7, HOURS_CN_HOLIDAY},
	    {2026, 10, 10, HOURS_CN_WORKDAY},
	    {2026, 12, 24, HOURS_CN_REGULAR},
	    /* Not published (in the table): unknown, never a guess.  The end
	     * of December waits for the next year's notice. */
	    {2026, 12, 25, HOURS_CN_UNKNOWN},
	    {2026, 12, 31, HOURS_CN_UNKNOWN},
	    {2027, 1, 1, HOURS_CN_UNKNOWN},
	    {2023, 12, 31, HOURS_CN_UNKNOWN},
	    {2023, 10, 1, HOURS_CN_UNKNOWN},
	    {2024, 2, 30, HOURS_CN_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hours_date d = {cases[i].y, cases[i].m, cases[i].d};
		const char *name = "x";
		enum hours_cn_day k = hours_cn_day(d, &name);
		CHECK_MSG(k == cases[i].kind, "%d-%02d-%02d: kind %d, expected %d", d.year, d.month, d.day, k,
		          cases[i].kind);
		CHECK((k == HOURS_CN_HOLIDAY || k == HOURS_CN_WORKDAY) == (name != NULL));
	}
	struct hours_date sf = {2025, 1, 29};
	const char *name = NULL;
	hours_cn_day(sf, &name);
	CHECK(name && strstr(name, "春节") && strstr(name, "Spring Festival"));
	int first = 0, last = 0;
	hours_cn_years(&first, &last);
	CHECK_INT(first, 2024);
	CHECK_INT(last, 2026);
}

/* The table against the calendar and itself: every make-up working day
 * is a Saturday or a Sunday; no break contains one; the days off per
 * year are what the notices add up to. */
static void test_table_consistency(void)
{
	int first, last;
	hours_cn_years(&first, &last);
	/* Days off in each year's breaks, by the notices: 2024: 1 + 8 + 3 + 5
	 * + 3 + 3 + 7 = 30 (31 December 2023 and 30 December are 2023's);
	 * 2025: 1 + 8 + 3 + 5 + 3 + 8 = 28; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7 =
	 * 33.  Make-up days: 2024 8, 2025 5, 2026 6. */
	static const int want_off[] = {30, 28, 33}, want_work[] = {8, 5, 6};
	for (int y = first; y <= last; y++) {
		int off = 0, work = 0;
		for (int m = 1; m <= 12; m++) {
			for (int dd = 1; dd <= 31; dd++) {
				struct hours_date d = {y, m, dd};
				if (!hours_date_valid(d))
					continue;
				enum hours_cn_day k = hours_cn_day(d, NULL);
				if (k == HOURS_CN_WORKDAY) {
					work++;
					CHECK_MSG(hours_weekday(d) >= 5,
					          "%d-%02d-%02d worked but not a weekend day", y, m, dd);
				}
				if (k == HOURS_CN_HOLIDAY)
					off++;
				if (y < last || m < 12 || dd < 25)
					CHECK_MSG(k != HOURS_CN_UNKNOWN, "%d-%02d-%02d unknown", y, m, dd);
			}
		}
		CHECK_MSG(off == want_off[y - first], "%d: %d days off", y, off);
		CHECK_MSG(work == want_work[y - first], "%d: %d make-up days", y, work);
	}
}

int main(void)
{
	test_local_vs_libc();
	test_midnight();
	test_iso_week();
	test_out_of_range();
	test_notices();
	test_table_consistency();
	return CHECK_DONE();
}

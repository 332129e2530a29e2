/* test_hours_text.c - the dates, times of day and instants requests write
 * (hours_parse_date, _clock, _instant, hours_format_clock): the table of
 * tests/data/hours/instants.txt, and dates and clocks against the C
 * library's timegm for every day of a few years. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "hours/hours.h"

#define NOW 1700000000

static void test_instants_table(void)
{
	FILE *f = fopen("data/hours/instants.txt", "r");
	CHECK_MSG(f != NULL, "cannot open data/hours/instants.txt");
	if (!f)
		return;
	char line[256];
	int rows = 0, good = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		CHECK_MSG(tab != NULL, "no TAB in '%s'", line);
		if (!tab)
			continue;
		*tab = '\0';
		rows++;
		time_t t = 0;
		bool ok = hours_parse_instant(line, NOW, &t);
		if (!strcmp(tab + 1, "bad")) {
			CHECK_MSG(!ok, "'%s' read as %lld", line, (long long)t);
			good += !ok;
		} else {
			long long want = atoll(tab + 1);
			CHECK_MSG(ok && (long long)t == want, "'%s': %lld, want %lld", line, (long long)t,
			          want);
			good += ok && (long long)t == want;
		}
	}
	fclose(f);
	CHECK_MSG(rows >= 25 && good == rows, "%d rows, %d right", rows, good);
}

/* Every day of 2023-2026 written out and read back, against timegm. */
static void test_dates_vs_libc(void)
{
	for (time_t t = 1672531200; t < 1798761600; t += 86400) { /* 2023-01-01 .. 2027-01-01 UTC */
		struct tm tm;
		gmtime_r(&t, &tm);
		char s[16];
		strftime(s, sizeof s, "%Y-%m-%d", &tm);
		struct hours_date d;
		CHECK_MSG(hours_parse_date(s, &d) && d.year == tm.tm_year + 1900 &&
		              d.month == tm.tm_mon + 1 && d.day == tm.tm_mday,
		          "%s", s);
		char inst[32];
		strftime(inst, sizeof inst, "%Y-%m-%dT%H:%M:%SZ", &tm);
		time_t back;
		CHECK_MSG(hours_parse_instant(inst, 0, &back) && back == t, "%s", inst);
		/* local midnight is 16:00 the day before in UTC */
		strftime(inst, sizeof inst, "%Y-%m-%dT00:00", &tm);
		CHECK_MSG(hours_parse_instant(inst, 0, &back) && back == t - 8 * 3600, "%s", inst);
	}
	struct hours_date d;
	CHECK(!hours_parse_date("2025-02-29", &d));
	CHECK(hours_parse_date("2024-02-29", &d));
	CHECK(!hours_parse_date("2025-05-06T", &d));
	CHECK(!hours_parse_date("20250506", &d));
	CHECK(!hours_parse_date("2025-05-6", &d));
}

static void test_clock(void)
{
	for (int m = 0; m < 1440; m++) {
		char s[HOURS_CLOCK_TEXT];
		hours_format_clock(m, s);
		int back = -1;
		CHECK_MSG(hours_parse_clock(s, &back) && back == m, "%d: %s", m, s);
	}
	char s[HOURS_CLOCK_TEXT];
	hours_format_clock(1440 + 75, s);
	CHECK_STR(s, "01:15");
	int m;
	static const char *const bad[] = {"24:00", "8:30", "08:3", "08:60", "0830", "08:30 ", "", "-1:00"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_MSG(!hours_parse_clock(bad[i], &m), "'%s' read as %d", bad[i], m);
}

/* A day's hours as text. */
static void test_format_day(void)
{
	static const struct {
		const char *value;
		struct hours_date d;
		const char *want;
		size_t spans;
	} cases[] = {
	    {"Tu-Su 08:30-11:30,13:30-17:30", {2025, 5, 13}, "08:30–11:30, 13:30–17:30", 2},
	    {"Tu-Su 08:30-11:30,13:30-17:30", {2025, 5, 12}, "", 0},
	    {"24/7", {2025, 5, 12}, "00:00–24:00", 1},
	    {"Mo-Fr 17:00+", {2025, 5, 12}, "17:00–24:00 ?", 1},
	    /* 2025-05-05 is a day of the Labour Day break */
	    {"Tu-Su,PH 09:00-17:00", {2025, 5, 5}, "09:00–17:00", 1},
	    {"Mo 10:00-12:00 \"by appointment\"", {2025, 5, 12}, "10:00–12:00 ?", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hours *h = NULL;
		struct ms_error err = {0};
		CHECK_MSG(hours_parse(cases[i].value, strlen(cases[i].value), &h, &err) == MS_OK, "%s: %s",
		          cases[i].value, err.msg);
		if (!h)
			continue;
		struct buf b = BUF_INIT;
		size_t n = hours_format_day(h, cases[i].d, &b);
		CHECK_MSG(n == cases[i].spans && !strcmp(buf_str(&b), cases[i].want), "%s: '%s' (%zu)",
		          cases[i].value, buf_str(&b), n);
		buf_free(&b);
		hours_free(h);
	}
}

int main(void)
{
	test_instants_table();
	test_dates_vs_libc();
	test_clock();
	test_format_day();
	return CHECK_DONE();
}

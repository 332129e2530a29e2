/* test_hours.c - opening_hours values: the tables of tests/data/hours/
 * (states at instants, canonical texts, refusals with their exact
 * messages), then next_change and day spans checked against minute-by-
 * minute evaluation, comments and the size limits. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "hours/hours.h"

#define LINE_MAX_LEN 2048
#define MIN_EVAL_CHECKS 180
#define MIN_CANONICAL 40
#define MIN_BAD 80

static struct hours *parse_ok(const char *text)
{
	struct hours *h = NULL;
	struct ms_error err = {0};
	enum ms_status st = hours_parse(text, strlen(text), &h, &err);
	CHECK_MSG(st == MS_OK, "\"%s\": %s", text, err.msg);
	return h;
}

static char *canonical(const struct hours *h)
{
	struct buf b = BUF_INIT;
	hours_to_text(h, &b);
	if (!b.data)
		buf_puts(&b, "");
	return buf_detach(&b, NULL);
}

/* "YYYY-MM-DD HH:MM" in China Standard Time. */
static bool parse_instant(const char *s, time_t *t)
{
	struct hours_date d;
	int hh, mm;
	if (sscanf(s, "%d-%d-%d %d:%d", &d.year, &d.month, &d.day, &hh, &mm) != 5 || !hours_date_valid(d))
		return false;
	*t = hours_midnight(d) + (time_t)(hh * 60 + mm) * 60;
	return true;
}

static int state_parse(const char *s)
{
	for (int st = HOURS_CLOSED; st <= HOURS_UNKNOWN; st++)
		if (strcmp(s, hours_state_name(st)) == 0)
			return st;
	return -1;
}

static void chomp(char *line)
{
	line[strcspn(line, "\r\n")] = '\0';
}

/* tests/data/hours/eval.txt: every check, on the value and on its
 * canonical text (printing must not change the meaning). */
static void test_eval_table(void)
{
	FILE *f = fopen("data/hours/eval.txt", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[LINE_MAX_LEN], value[LINE_MAX_LEN] = "";
	struct hours *h = NULL, *h2 = NULL;
	int checks = 0, lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		chomp(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] == '=' && line[1] == ' ') {
			hours_free(h);
			hours_free(h2);
			h2 = NULL;
			snprintf(value, sizeof value, "%s", line + 2);
			h = parse_ok(value);
			if (h) {
				char *c = canonical(h);
				h2 = parse_ok(c);
				free(c);
			}
			continue;
		}
		char day[16], clock[8], state[16], when[32];
		time_t t = 0;
		int want;
		if (sscanf(line, "%15[0-9-] %7[0-9:] %15s", day, clock, state) != 3) {
			CHECK_MSG(false, "eval.txt:%d: cannot read \"%s\"", lineno, line);
			continue;
		}
		snprintf(when, sizeof when, "%s %s", day, clock);
		want = state_parse(state);
		bool ok = parse_instant(when, &t) && want >= 0;
		CHECK_MSG(ok, "eval.txt:%d: bad check \"%s\"", lineno, line);
		if (!h || !ok)
			continue;
		enum hours_state got = hours_is_open(h, t);
		CHECK_MSG((int)got == want, "eval.txt:%d: \"%s\" at %s: %s, expected %s", lineno, value, when,
		          hours_state_name(got), state);
		if (h2)
			CHECK_MSG((int)hours_is_open(h2, t) == want,
			          "eval.txt:%d: canonical text of \"%s\" differs", lineno, value);
		checks++;
	}
	fclose(f);
	hours_free(h);
	hours_free(h2);
	printf("eval.txt: %d checks\n", checks);
	CHECK(checks >= MIN_EVAL_CHECKS);
}

static void test_canonical_table(void)
{
	FILE *f = fopen("data/hours/canonical.txt", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[LINE_MAX_LEN];
	int cases = 0;
	while (fgets(line, sizeof line, f)) {
		chomp(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *tab = strchr(line, '\t');
		CHECK_MSG(tab != NULL, "canonical.txt: no tab in \"%s\"", line);
		if (!tab)
			continue;
		*tab = '\0';
		const char *want = tab + 1;
		struct hours *h = parse_ok(line);
		if (!h)
			continue;
		char *c = canonical(h);
		CHECK_STR(c, want);
		struct hours *again = parse_ok(c);
		if (again) {
			char *c2 = canonical(again);
			CHECK_STR(c2, c);
			free(c2);
			hours_free(again);
		}
		free(c);
		hours_free(h);
		cases++;
	}
	fclose(f);
	CHECK(cases >= MIN_CANONICAL);
}

/* \t, \\ and \xHH in a table's value column; "(empty)" is "". */
static size_t unescape(const char *in, char *out)
{
	size_t n = 0;
	if (strcmp(in, "(empty)") == 0)
		return 0;
	for (const char *p = in; *p; p++) {
		if (p[0] == '\\' && p[1] == 't') {
			out[n++] = '\t';
			p++;
		} else if (p[0] == '\\' && p[1] == '\\') {
			out[n++] = '\\';
			p++;
		} else if (p[0] == '\\' && p[1] == 'x' && p[2] && p[3]) {
			char hex[3] = {p[2], p[3], 0};
			out[n++] = (char)strtol(hex, NULL, 16);
			p += 3;
		} else {
			out[n++] = *p;
		}
	}
	return n;
}

static void test_bad_table(void)
{
	FILE *f = fopen("data/hours/bad.txt", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[LINE_MAX_LEN], value[LINE_MAX_LEN];
	int cases = 0;
	while (fgets(line, sizeof line, f)) {
		chomp(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *tab = strchr(line, '\t');
		CHECK_MSG(tab != NULL, "bad.txt: no tab in \"%s\"", line);
		if (!tab)
			continue;
		*tab = '\0';
		size_t len = unescape(line, value);
		struct hours *h = NULL;
		struct ms_error err = {0};
		enum ms_status st = hours_parse(value, len, &h, &err);
		CHECK_MSG(st == MS_EDATA && h == NULL, "\"%s\" was accepted", line);
		CHECK_MSG(strcmp(err.msg, tab + 1) == 0, "\"%s\":\n   got  %s\n   want %s", line, err.msg,
		          tab + 1);
		hours_free(h);
		cases++;
	}
	fclose(f);
	CHECK(cases >= MIN_BAD);
}

/* Values the brute-force checks below run over. */
static const char *const sample_values[] = {
    "Tu-Su 08:30-11:30,13:30-17:30; PH off",
    "Mo-Sa 22:00-02:00",
    "22:00-02:00; Th 12:00-14:00",
    "Mo-Fr 08:00-12:00 || \"by appointment\"",
    "Mo-Su 09:00-17:00; Dec 25-Jan 05 off",
    "PH 22:00-02:00",
    "17:00+; Su off",
    "week 01-53/2 Fr 10:00-12:00",
    "Su[-1] 10:00-12:00, Mo 08:00-09:00",
};

/* next_change against stepping minute by minute over two weeks. */
static void test_next_change_brute(void)
{
	struct hours_date starts[] = {{2024, 6, 3}, {2024, 12, 20}, {2025, 1, 25}, {2030, 6, 1}};
	int compared = 0;
	for (size_t v = 0; v < sizeof sample_values / sizeof sample_values[0]; v++) {
		struct hours *h = parse_ok(sample_values[v]);
		if (!h)
			continue;
		for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
			/* Start at odd seconds: changes happen on whole minutes. */
			time_t t = hours_midnight(starts[s]) + 7 * 3600 + 17;
			time_t end = t + 14 * 86400;
			while (t < end) {
				enum hours_state now = hours_is_open(h, t);
				time_t next = 0;
				bool found = hours_next_change(h, t, &next);
				time_t m = t - t % 60 + 60;
				while (m < end && hours_is_open(h, m) == now)
					m += 60;
				if (m < end) {
					CHECK_MSG(found && next == m,
					          "\"%s\" from %lld: next %lld, stepping gives %lld",
					          sample_values[v], (long long)t,
					          found ? (long long)next : -1LL, (long long)m);
				} else {
					CHECK_MSG(!found || next >= end,
					          "\"%s\": change %lld not seen by stepping",
					          sample_values[v], (long long)next);
				}
				compared++;
				if (!found || next >= end)
					break;
				t = next + 17;
			}
		}
		hours_free(h);
	}
	CHECK(compared > 100);
}

static void test_next_change_cases(void)
{
	struct hours *h = parse_ok("Mo-Fr 08:30-20:00");
	struct hours_date fri = {2024, 6, 7}, mon = {2024, 6, 10};
	time_t next;
	if (h) {
		CHECK(hours_next_change(h, hours_midnight(fri) + 19 * 3600, &next));
		CHECK_INT(next, hours_midnight(fri) + 20 * 3600);
		CHECK(hours_next_change(h, hours_midnight(fri) + 21 * 3600, &next));
		CHECK_INT(next, hours_midnight(mon) + 8 * 3600 + 30 * 60);
		hours_free(h);
	}
	/* Never changes: nothing found, and no endless walk. */
	const char *constant[] = {"24/7", "off", "unknown", "Mo-Su 00:00-24:00"};
	for (size_t i = 0; i < sizeof constant / sizeof constant[0]; i++) {
		h = parse_ok(constant[i]);
		if (h) {
			CHECK_MSG(!hours_next_change(h, hours_midnight(fri), &next), "%s", constant[i]);
			hours_free(h);
		}
	}
	/* A yearly change more than a few weeks ahead. */
	h = parse_ok("Mo-Su 09:00-17:00; Dec 25 off");
	if (h) {
		struct hours_date d24 = {2024, 12, 24}, d26 = {2024, 12, 26};
		CHECK(hours_next_change(h, hours_midnight(d24) + 17 * 3600, &next));
		CHECK_INT(next, hours_midnight(d26) + 9 * 3600);
		hours_free(h);
	}
	h = parse_ok("2030 Jun 01 10:00-11:00");
	if (h) {
		struct hours_date from = {2029, 3, 1}, want = {2030, 6, 1};
		CHECK(hours_next_change(h, hours_midnight(from), &next));
		CHECK_INT(next, hours_midnight(want) + 10 * 3600);
		struct hours_date too_early = {2027, 1, 1};
		CHECK(!hours_next_change(h, hours_midnight(too_early), &next)); /* beyond the look-ahead */
		hours_free(h);
	}
	/* Where PH is not known, the change is into "unknown". */
	h = parse_ok("Tu-Su 09:00-17:00; PH off");
	if (h) {
		struct hours_date tue = {2030, 6, 4};
		CHECK(hours_next_change(h, hours_midnight(tue) + 8 * 3600, &next));
		CHECK_INT(next, hours_midnight(tue) + 9 * 3600);
		CHECK_INT(hours_is_open(h, next), HOURS_UNKNOWN);
		hours_free(h);
	}
}

/* Spans against hours_is_open minute by minute, and a few by hand. */
static void test_day_spans(void)
{
	struct hours_span sp[64];
	struct hours *h = parse_ok("Tu-Su 08:30-11:30,13:30-17:30; PH off");
	if (h) {
		struct hours_date tue = {2024, 6, 4}, mon = {2024, 6, 3}, holiday = {2024, 10, 2},
		                  future = {2030, 6, 4};
		CHECK_INT(hours_day_spans(h, tue, sp, 64), 2);
		CHECK(sp[0].from_min == 510 && sp[0].to_min == 690 && sp[0].state == HOURS_OPEN &&
		      sp[0].rule == 0);
		CHECK(sp[1].from_min == 810 && sp[1].to_min == 1050 && sp[1].rule == 0);
		CHECK_INT(hours_day_spans(h, mon, sp, 64), 0);
		CHECK_INT(hours_day_spans(h, holiday, sp, 64), 0);
		CHECK_INT(hours_day_spans(h, future, sp, 64), 2);
		CHECK(sp[0].state == HOURS_UNKNOWN && sp[0].rule == -1);
		/* Too little room: the count is still the whole. */
		CHECK_INT(hours_day_spans(h, tue, sp, 1), 2);
		CHECK_INT(sp[0].from_min, 510);
		struct hours_date bad = {2024, 2, 30};
		CHECK_INT(hours_day_spans(h, bad, sp, 64), 1);
		CHECK(sp[0].state == HOURS_UNKNOWN && sp[0].from_min == 0 && sp[0].to_min == 1440);
		hours_free(h);
	}
	int days = 0;
	for (size_t v = 0; v < sizeof sample_values / sizeof sample_values[0]; v++) {
		h = parse_ok(sample_values[v]);
		if (!h)
			continue;
		for (int k = 0; k < 10; k++) {
			struct hours_date d = {2024 + k % 7, 1 + (k * 5) % 12, 1 + (k * 7) % 28};
			size_t n = hours_day_spans(h, d, sp, 64);
			CHECK(n <= 64);
			time_t mid = hours_midnight(d);
			size_t j = 0;
			for (int m = 0; m < 1440; m++) {
				while (j < n && sp[j].to_min <= m)
					j++;
				enum hours_state want =
				    j < n && sp[j].from_min <= m ? sp[j].state : HOURS_CLOSED;
				CHECK_MSG(hours_is_open(h, mid + m * 60) == want,
				          "\"%s\" %d-%02d-%02d minute %d", sample_values[v], d.year, d.month,
				          d.day, m);
			}
			days++;
		}
		hours_free(h);
	}
	CHECK(days > 50);
}

static void test_comments(void)
{
	struct hours *h = parse_ok("Mo-Fr 09:00-17:00; Sa unknown \"call ahead\"; PH off \"春节闭馆\"");
	if (!h)
		return;
	CHECK_INT(hours_rule_count(h), 3);
	CHECK(hours_rule_comment(h, 0) == NULL);
	CHECK_STR(hours_rule_comment(h, 1), "call ahead");
	CHECK_STR(hours_rule_comment(h, 2), "春节闭馆");
	CHECK(hours_rule_comment(h, 3) == NULL);
	CHECK(hours_uses_ph(h));
	struct hours_span sp[4];
	struct hours_date sat = {2024, 6, 1};
	CHECK_INT(hours_day_spans(h, sat, sp, 4), 1);
	CHECK(sp[0].state == HOURS_UNKNOWN && sp[0].rule == 1);
	hours_free(h);
	h = parse_ok("Mo-Fr 09:00-17:00");
	if (h) {
		CHECK(!hours_uses_ph(h));
		hours_free(h);
	}
}

static void expect_refused(const char *text, size_t len, const char *msg_part)
{
	struct hours *h = NULL;
	struct ms_error err = {0};
	CHECK_INT(hours_parse(text, len, &h, &err), MS_EDATA);
	CHECK(h == NULL);
	CHECK_MSG(strstr(err.msg, msg_part) != NULL, "got \"%s\", want \"%s\"", err.msg, msg_part);
}

static void test_limits(void)
{
	struct buf b = BUF_INIT;
	/* HOURS_MAX_RULES rules parse, one more does not. */
	for (int i = 0; i < HOURS_MAX_RULES; i++)
		buf_printf(&b, "%sMo %02d:00-%02d:30", i ? "; " : "", i % 24, i % 24);
	struct hours *h = parse_ok(buf_str(&b));
	if (h) {
		CHECK_INT(hours_rule_count(h), HOURS_MAX_RULES);
		hours_free(h);
	}
	buf_puts(&b, "; Tu off");
	expect_refused(b.data, b.len, "more than 32 rules");
	buf_reset(&b);
	/* HOURS_MAX_ITEMS time spans, then one more. */
	buf_puts(&b, "Mo ");
	for (int i = 0; i < HOURS_MAX_ITEMS; i++)
		buf_printf(&b, "%s%02d:00-%02d:30", i ? "," : "", i, i);
	h = parse_ok(buf_str(&b));
	hours_free(h);
	buf_puts(&b, ",20:00-21:00");
	expect_refused(b.data, b.len, "more than 16 time spans in one rule");
	buf_reset(&b);
	buf_puts(&b, "Mo");
	for (int i = 0; i < HOURS_MAX_ITEMS; i++)
		buf_puts(&b, ",Tu");
	buf_puts(&b, " off");
	expect_refused(b.data, b.len, "more than 16 weekday entries in one rule");
	buf_reset(&b);
	/* Longer than HOURS_MAX_LEN: refused before anything is read. */
	buf_puts(&b, "Mo 10:00-12:00 \"");
	while (b.len < HOURS_MAX_LEN)
		buf_putc(&b, 'x');
	buf_putc(&b, '"');
	expect_refused(b.data, b.len, "longer than 1024 bytes");
	/* A NUL inside the text is a control character, not an end. */
	expect_refused("Mo 10:00-12:00\0 junk", 20, "control character 0x00");
	buf_free(&b);
}

int main(void)
{
	test_eval_table();
	test_canonical_table();
	test_bad_table();
	test_next_change_brute();
	test_next_change_cases();
	test_day_spans();
	test_comments();
	test_limits();
	return CHECK_DONE();
}

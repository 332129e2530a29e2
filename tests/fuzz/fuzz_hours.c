/*
 * fuzz_hours.c - hours_parse on arbitrary bytes.  A value either parses or
 * is refused with MS_EDATA and "opening_hours: at character N: ..." (N
 * within the text).  A parsed value must print canonically (print, parse,
 * print gives the same text), mean the same after printing (the same state
 * at every instant tried), and evaluate without breaking the contracts of
 * hours.h: a state is one of the three, the next change is the first
 * instant the state differs, a day's spans are ordered, inside the day and
 * agree with the state at each minute.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hours/hours.h"

#define H "fuzz_hours"
#define MAX_SPANS 64
#define SECONDS_PER_MINUTE 60
#define SPAN_CHECK_STEP 7 /* minutes between the checks of a day's spans */

static char *print(const struct hours *h)
{
	struct buf b = BUF_INIT;
	hours_to_text(h, &b);
	if (!b.data)
		fuzz_fail(H, "empty canonical text");
	return buf_detach(&b, NULL);
}

static size_t utf8_chars(const uint8_t *data, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < size; i++)
		n += (data[i] & 0xC0) != 0x80;
	return n;
}

static void check_refusal(const uint8_t *data, size_t size, const struct ms_error *err)
{
	static const char prefix[] = "opening_hours: at character ";
	if (strncmp(err->msg, prefix, sizeof prefix - 1) != 0)
		fuzz_fail(H, "message without its prefix: %s", err->msg);
	char *end;
	long at = strtol(err->msg + sizeof prefix - 1, &end, 10);
	if (at < 1 || (size_t)at > utf8_chars(data, size) + 1 || strncmp(end, ": ", 2) != 0 || !end[2])
		fuzz_fail(H, "bad position in: %s", err->msg);
}

/* Instants: fixed ones (a holiday, a day PH is not known, the ends of the
 * calendar) and a few drawn from the input. */
static size_t instants(const uint8_t *data, size_t size, time_t *out)
{
	struct hours_date fixed[] = {{2024, 6, 3}, {2025, 1, 29},          {2026, 12, 31},
	                             {2030, 6, 4}, {HOURS_MIN_YEAR, 1, 1}, {HOURS_MAX_YEAR, 12, 31}};
	size_t n = 0;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		out[n++] = hours_midnight(fixed[i]) + (time_t)(i * 4111 % 86400);
	uint64_t x = 1469598103934665603ull; /* FNV-1a over the input */
	for (size_t i = 0; i < size; i++)
		x = (x ^ data[i]) * 1099511628211ull;
	struct hours_date base = {2024, 1, 1};
	for (int k = 0; k < 3; k++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		out[n++] = hours_midnight(base) + (time_t)((x >> 20) % (4ull * 365 * 86400));
	}
	return n;
}

static void check_next_change(const struct hours *h, time_t t)
{
	enum hours_state now = hours_is_open(h, t);
	time_t next;
	if (!hours_next_change(h, t, &next))
		return;
	if (next <= t || next % SECONDS_PER_MINUTE != 0)
		fuzz_fail(H, "next change %lld not a whole minute after %lld", (long long)next, (long long)t);
	if (hours_is_open(h, next) == now)
		fuzz_fail(H, "no change at the next change %lld", (long long)next);
	if (next - 1 > t && hours_is_open(h, next - 1) != now)
		fuzz_fail(H, "a change before the next change %lld", (long long)next);
}

static void check_spans(const struct hours *h, time_t t)
{
	struct hours_date d;
	int sec;
	if (!hours_local(t, &d, &sec))
		return;
	struct hours_span sp[MAX_SPANS];
	size_t n = hours_day_spans(h, d, sp, MAX_SPANS);
	if (hours_day_spans(h, d, NULL, 0) != n)
		fuzz_fail(H, "the span count depends on the room given");
	size_t shown = n < MAX_SPANS ? n : MAX_SPANS;
	for (size_t i = 0; i < shown; i++) {
		if (sp[i].from_min < 0 || sp[i].to_min > HOURS_MINUTES_PER_DAY ||
		    sp[i].from_min >= sp[i].to_min || (i > 0 && sp[i].from_min < sp[i - 1].to_min) ||
		    (sp[i].state != HOURS_OPEN && sp[i].state != HOURS_UNKNOWN) || sp[i].rule < -1 ||
		    sp[i].rule >= (int)hours_rule_count(h))
			fuzz_fail(H, "span %zu is malformed", i);
	}
	if (n > MAX_SPANS)
		return;
	time_t mid = hours_midnight(d);
	size_t j = 0;
	for (int m = 0; m < HOURS_MINUTES_PER_DAY; m += SPAN_CHECK_STEP) {
		while (j < n && sp[j].to_min <= m)
			j++;
		enum hours_state want = j < n && sp[j].from_min <= m ? sp[j].state : HOURS_CLOSED;
		if (hours_is_open(h, mid + (time_t)m * SECONDS_PER_MINUTE) != want)
			fuzz_fail(H, "spans and state disagree at minute %d", m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hours *h = NULL, *again = NULL;
	struct ms_error err = {0};
	enum ms_status st = hours_parse((const char *)data, size, &h, &err);
	if (st != MS_OK) {
		if (st != MS_EDATA || h)
			fuzz_fail(H, "status %s: %s", ms_status_str(st), err.msg);
		check_refusal(data, size, &err);
		return 0;
	}
	char *text = print(h);
	if (hours_parse(text, strlen(text), &again, &err) != MS_OK)
		fuzz_fail(H, "the canonical text \"%s\" does not parse: %s", text, err.msg);
	char *text2 = print(again);
	if (strcmp(text, text2) != 0)
		fuzz_fail(H, "canonical text not stable: \"%s\" then \"%s\"", text, text2);
	time_t t[16];
	size_t nt = instants(data, size, t);
	for (size_t i = 0; i < nt; i++) {
		enum hours_state s = hours_is_open(h, t[i]);
		if (s != HOURS_OPEN && s != HOURS_CLOSED && s != HOURS_UNKNOWN)
			fuzz_fail(H, "state %d", (int)s);
		if (hours_is_open(again, t[i]) != s)
			fuzz_fail(H, "\"%s\" means something else than its input at %lld", text,
			          (long long)t[i]);
		check_next_change(h, t[i]);
		check_spans(h, t[i]);
	}
	free(text);
	free(text2);
	hours_free(h);
	hours_free(again);
	return 0;
}

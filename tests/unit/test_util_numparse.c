/*
 * test_util_numparse.c - the integer and decimal grammars of
 * util/numparse.h, from the table of accepted and refused strings in
 * tests/data/util/numparse.txt (one case per line, so adding a case is
 * adding a line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/numparse.h"

#define CASES "data/util/numparse.txt"

/* Reads "TEXT" (with \xHH escapes) at *p into out; its length, or -1. */
static long read_quoted(char **p, char *out, size_t size)
{
	char *s = *p;
	while (*s == ' ')
		s++;
	if (*s++ != '"')
		return -1;
	size_t n = 0;
	while (*s && *s != '"') {
		unsigned v;
		if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1) {
			s += 4;
		} else {
			v = (unsigned char)*s++;
		}
		if (n + 1 >= size)
			return -1;
		out[n++] = (char)v;
	}
	if (*s != '"')
		return -1;
	out[n] = '\0';
	*p = s + 1;
	return (long)n;
}

static void check_int(const char *where, const char *text, size_t n, char *rest)
{
	long long min, max, want = 0, got = 12345;
	char expect[16];
	int k = sscanf(rest, "%lld %lld %15s %lld", &min, &max, expect, &want);
	CHECK_MSG(k >= 3, "%s: malformed case", where);
	if (k < 3)
		return;
	enum ms_parse_result r = ms_parse_int(text, n, min, max, &got);
	if (!strcmp(expect, "syntax")) {
		CHECK_MSG(r == MS_PARSE_SYNTAX, "%s: want a syntax error, got %d (%lld)", where, r, got);
		CHECK_MSG(got == 12345, "%s: *out written on a syntax error", where);
	} else if (!strcmp(expect, "ok") || !strcmp(expect, "range")) {
		enum ms_parse_result w = expect[0] == 'o' ? MS_PARSE_OK : MS_PARSE_RANGE;
		CHECK_MSG(k == 4, "%s: no value", where);
		CHECK_MSG(r == w && got == want, "%s: want %s %lld, got %d %lld", where, expect, want, r,
		          got);
	} else {
		CHECK_MSG(0, "%s: unknown expectation '%s'", where, expect);
	}
}

static void check_decimal(const char *where, const char *text, size_t n, char *rest)
{
	char expect[16];
	double want = 0, got = 12345;
	int k = sscanf(rest, "%15s %lf", expect, &want);
	CHECK_MSG(k >= 1, "%s: malformed case", where);
	if (k < 1)
		return;
	bool ok = ms_parse_decimal(text, n, &got);
	if (!strcmp(expect, "syntax")) {
		CHECK_MSG(!ok, "%s: accepted as %g", where, got);
	} else {
		CHECK_MSG(k == 2 && !strcmp(expect, "ok"), "%s: malformed case", where);
		CHECK_MSG(ok && got == want, "%s: want %g, got %s %g", where, want, ok ? "ok" : "refused",
		          got);
	}
	/* The NUL-terminated form agrees wherever the text has no NUL. */
	if (strlen(text) == n) {
		double again = 0;
		CHECK_MSG(ms_parse_decimal_str(text, &again) == ok && (!ok || again == got),
		          "%s: _str differs", where);
	}
}

static void run_table(void)
{
	FILE *f = fopen(CASES, "r");
	CHECK_MSG(f != NULL, "cannot open %s (run from tests/)", CASES);
	if (!f)
		return;
	char line[512], text[256], where[64];
	int lineno = 0, ints = 0, decimals = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		snprintf(where, sizeof where, "%s:%d", CASES, lineno);
		char *p = line + strcspn(line, " ");
		long n = read_quoted(&p, text, sizeof text);
		CHECK_MSG(n >= 0, "%s: malformed text", where);
		if (n < 0)
			continue;
		if (!strncmp(line, "int ", 4)) {
			check_int(where, text, (size_t)n, p);
			ints++;
		} else if (!strncmp(line, "decimal ", 8)) {
			check_decimal(where, text, (size_t)n, p);
			decimals++;
		} else {
			CHECK_MSG(0, "%s: unknown function", where);
		}
	}
	fclose(f);
	/* The table was read, not silently skipped. */
	CHECK(ints >= 40);
	CHECK(decimals >= 20);
}

static void test_str_forms(void)
{
	long long v = 0;
	CHECK_INT(ms_parse_int_str(NULL, 0, 10, &v), MS_PARSE_SYNTAX);
	CHECK_INT(ms_parse_int_str("42", 0, 100, &v), MS_PARSE_OK);
	CHECK_INT(v, 42);
	/* The length bounds the text: "12" of "123". */
	CHECK_INT(ms_parse_int("123", 2, 0, 100, &v), MS_PARSE_OK);
	CHECK_INT(v, 12);
	double d = 0;
	CHECK(!ms_parse_decimal_str(NULL, &d));
}

int main(void)
{
	run_table();
	test_str_forms();
	return CHECK_DONE();
}

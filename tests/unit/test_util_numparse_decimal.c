/* test_util_numparse_decimal.c - util/numparse's decimal grammar: an
 * optional sign, digits with an optional point, an optional exponent, and
 * nothing else (no blanks, no nan/inf, no hex), by length or as a C
 * string. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/numparse.h"

/* ms_parse_decimal copies into a buffer of this many bytes, NUL
 * included: longer inputs are refused without being read. */
#define NUMPARSE_MAX 128

static void test_accepted(void)
{
	static const char *const good[] = {
	    "0",
	    "-1",
	    "+1",
	    "1.5",
	    ".5",
	    "5.",
	    "-.5",
	    "1e3",
	    "1E-3",
	    "2.5e+2",
	    "-0.0",
	    "118.160735",
	    "36.8032",
	    "007",
	    "1e308",
	    "90",
	    "-180",
	    "0.0000000001",
	    "1.7976931348623157e308",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		double v = -12345.0;
		bool ok = ms_parse_decimal(good[i], strlen(good[i]), &v);
		CHECK_MSG(ok, "\"%s\" refused", good[i]);
		/* Same value as the C library reads, to the last bit. */
		CHECK_MSG(!ok || v == strtod(good[i], NULL), "\"%s\" read as %.17g", good[i], v);
		double w = -12345.0;
		CHECK_MSG(ms_parse_decimal_str(good[i], &w) && w == v, "\"%s\" as a C string", good[i]);
	}
}

static void test_refused(void)
{
	static const char *const bad[] = {
	    "",       "+",     "-",     ".",    "+.",    "e5",    "1e",  "1e+",   "1e-",
	    " 1",     "1 ",    "\t1",   "1\n",  "nan",   "NaN",   "inf", "-inf",  "Infinity",
	    "0x10",   "0x1p3", "1,5",   "1..2", "1.2.3", "--1",   "+-1", "1e5.5", "1e400",
	    "-1e400", "１",    "1_000", "12a",  "a12",   "1e2e3", "e",   "1ee3",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		double v = -12345.0;
		CHECK_MSG(!ms_parse_decimal(bad[i], strlen(bad[i]), &v), "\"%s\" accepted as %.17g", bad[i],
		          v);
		CHECK_MSG(v == -12345.0, "\"%s\": *out written on failure", bad[i]);
		CHECK_MSG(!ms_parse_decimal_str(bad[i], &v), "\"%s\" accepted as a C string", bad[i]);
	}
	double v = 0;
	CHECK(!ms_parse_decimal(NULL, 3, &v));
	CHECK(!ms_parse_decimal_str(NULL, &v));
}

static void test_bounded(void)
{
	/* By length: the bytes after n are not looked at. */
	double v = 0;
	CHECK(ms_parse_decimal("12abc", 2, &v) && v == 12.0);
	CHECK(ms_parse_decimal("36.5,118.2", 4, &v) && v == 36.5);
	CHECK(!ms_parse_decimal("12", 0, &v));
	/* A NUL inside the counted bytes is junk, not an end. */
	CHECK(!ms_parse_decimal("1\0"
	                        "2",
	                        3, &v));

	/* Long inputs: up to the buffer's size less the NUL, then refused. */
	char digits[NUMPARSE_MAX + 1];
	memset(digits, '0', sizeof digits);
	digits[0] = '1';
	CHECK(ms_parse_decimal(digits, NUMPARSE_MAX - 1, &v) && v == strtod("1e126", NULL));
	CHECK(!ms_parse_decimal(digits, NUMPARSE_MAX, &v));
}

int main(void)
{
	test_accepted();
	test_refused();
	test_bounded();
	return CHECK_DONE();
}

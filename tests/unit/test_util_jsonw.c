/* test_util_jsonw.c - util/jsonw: commas and nesting, string escaping
 * (RFC 8259 §7), fixed decimals, integers and the raw splices. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "util/jsonw.h"

static void test_nesting(void)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	jw_init(&w, &b);
	jw_object_begin(&w);
	jw_key(&w, "type");
	jw_string(&w, "FeatureCollection");
	jw_key(&w, "features");
	jw_array_begin(&w);
	jw_object_begin(&w);
	jw_key(&w, "id");
	jw_int(&w, 1);
	jw_key(&w, "c");
	jw_array_begin(&w);
	jw_fixed(&w, 118.1607351, 6);
	jw_fixed(&w, 36.8, 6);
	jw_array_end(&w);
	jw_object_end(&w);
	jw_object_begin(&w);
	jw_object_end(&w);
	jw_array_begin(&w);
	jw_array_end(&w);
	jw_array_end(&w);
	jw_key(&w, "ok");
	jw_bool(&w, true);
	jw_key(&w, "no");
	jw_bool(&w, false);
	jw_key(&w, "none");
	jw_null(&w);
	jw_key(&w, "raw");
	jw_raw(&w, "[1,2]");
	jw_object_end(&w);
	CHECK_STR(buf_str(&b),
	          "{\"type\":\"FeatureCollection\",\"features\":[{\"id\":1,\"c\":[118.160735,36.8]},"
	          "{},[]],\"ok\":true,\"no\":false,\"none\":null,\"raw\":[1,2]}");
	CHECK_INT(w.depth, 0);
	buf_free(&b);
}

static void test_escape(void)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	jw_init(&w, &b);
	jw_array_begin(&w);
	jw_string(&w, "a\"b\\c/d");
	jw_string(&w, "\n\r\t\b\x01\x1f ");
	jw_string(&w, "纪念馆 é"); /* UTF-8 is written as it is */
	jw_stringn(&w, "x\0y", 3); /* a NUL inside a counted string */
	jw_array_end(&w);
	CHECK_STR(buf_str(&b),
	          "[\"a\\\"b\\\\c/d\",\"\\n\\r\\t\\u0008\\u0001\\u001f \",\"纪念馆 é\",\"x\\u0000y\"]");
	buf_free(&b);

	/* Keys are escaped the same way. */
	jw_init(&w, &b);
	jw_object_begin(&w);
	jw_key(&w, "k\"1");
	jw_int(&w, 1);
	jw_object_end(&w);
	CHECK_STR(buf_str(&b), "{\"k\\\"1\":1}");
	buf_free(&b);
}

/* One jw_fixed value alone, as text. */
static void fixed(double v, int decimals, const char *want)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	jw_init(&w, &b);
	jw_fixed(&w, v, decimals);
	CHECK_MSG(strcmp(buf_str(&b), want) == 0, "%.17g with %d decimals: \"%s\", not \"%s\"", v, decimals,
	          buf_str(&b), want);
	buf_free(&b);
}

static void test_numbers(void)
{
	fixed(118.160735, 6, "118.160735");
	fixed(12.5, 6, "12.5");
	fixed(3.0, 6, "3");
	fixed(-36.0000004, 6, "-36");
	fixed(0.0000004, 6, "0");
	fixed(-0.0000001, 6, "0"); /* never "-0" */
	fixed(100.0, 0, "100");    /* no decimal point: the zeros are digits */
	fixed(1234.5678, 2, "1234.57");
	fixed(NAN, 6, "null");
	fixed(INFINITY, 6, "null");
	fixed(-INFINITY, 6, "null");

	/* Too many digits for the fixed form: all of them, still a number
	 * that reads back as the same double. */
	struct buf b = BUF_INIT;
	struct jsonw w;
	jw_init(&w, &b);
	jw_fixed(&w, DBL_MAX, 6);
	CHECK(strtod(buf_str(&b), NULL) == DBL_MAX);
	buf_free(&b);

	jw_init(&w, &b);
	jw_array_begin(&w);
	jw_int(&w, INT64_MIN);
	jw_int(&w, INT64_MAX);
	jw_int(&w, 0);
	jw_array_end(&w);
	CHECK_STR(buf_str(&b), "[-9223372036854775808,9223372036854775807,0]");
	buf_free(&b);
}

/* An object with a, the members of extra spliced in, then z. */
static void members(const char *extra, const char *want)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	jw_init(&w, &b);
	jw_object_begin(&w);
	jw_key(&w, "a");
	jw_int(&w, 1);
	jw_object_members(&w, extra);
	jw_key(&w, "z");
	jw_int(&w, 2);
	jw_object_end(&w);
	CHECK_MSG(strcmp(buf_str(&b), want) == 0, "extra %s: %s", extra ? extra : "NULL", buf_str(&b));
	buf_free(&b);
}

static void test_members(void)
{
	members("{\"b\":[1,2],\"c\":\"x\"}", "{\"a\":1,\"b\":[1,2],\"c\":\"x\",\"z\":2}");
	members("{ \"b\":1 }", "{\"a\":1,\"b\":1 ,\"z\":2}");
	members("{}", "{\"a\":1,\"z\":2}");
	members("{ \n\t}", "{\"a\":1,\"z\":2}");
	members("", "{\"a\":1,\"z\":2}");
	members(NULL, "{\"a\":1,\"z\":2}");

	/* First in an object: no comma before. */
	struct buf b = BUF_INIT;
	struct jsonw w;
	jw_init(&w, &b);
	jw_object_begin(&w);
	jw_object_members(&w, "{\"b\":1}");
	jw_key(&w, "c");
	jw_int(&w, 2);
	jw_object_end(&w);
	CHECK_STR(buf_str(&b), "{\"b\":1,\"c\":2}");
	buf_free(&b);

	/* json_escape on its own appends the body of a string. */
	buf_puts(&b, "<");
	json_escape(&b, "q\"\x7f", 3);
	CHECK_STR(buf_str(&b), "<q\\\"\x7f"); /* DEL is not a control character in JSON */
	buf_free(&b);
}

int main(void)
{
	test_nesting();
	test_escape();
	test_numbers();
	test_members();
	return CHECK_DONE();
}

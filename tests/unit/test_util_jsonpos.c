/* test_util_jsonpos.c - the JSON locator: members and elements found by
 * path at the byte where they start, the deepest container when a path is
 * not in the text, line and column of an offset, paths deeper than kept,
 * and the "FILE:LINE: reason" of a failure. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/jsonpos.h"

static const char doc[] = "{\n"
                          "  \"version\": 8,\n"
                          "  \"sources\": {\"a\": {\"data\": \"x,]}\"}, \"b\": [1, 2]},\n"
                          "  \"layers\": [\n"
                          "    {\"id\": \"bg\", \"paint\": {\"c\": \"#fff\"}},\n"
                          "    {\n"
                          "      \"id\": \"m\",\n"
                          "      \"pa\\u0069nt\": {\"c\": [\"match\", \"{[\", 1]}\n"
                          "    }\n"
                          "  ]\n"
                          "}\n";

#define K(s)                                                                                                 \
	{                                                                                                    \
		s, 0                                                                                         \
	}
#define I(i)                                                                                                 \
	{                                                                                                    \
		NULL, i                                                                                      \
	}

/* The offset of the first occurrence of needle at or after from. */
static size_t at(const char *needle, size_t from)
{
	const char *p = strstr(doc + from, needle);
	return p ? (size_t)(p - doc) : (size_t)-1;
}

static void test_locate(void)
{
	size_t n = strlen(doc);
	struct jsonpos_seg version[] = {K("version")};
	CHECK_INT(jsonpos_locate(doc, n, version, 1), at("\"version\"", 0));
	CHECK_INT(jsonpos_locate(doc, n, version, 0), 0); /* the top-level value */

	/* a key after a string holding brackets and a comma */
	struct jsonpos_seg b1[] = {K("sources"), K("b"), I(1)};
	CHECK_INT(jsonpos_locate(doc, n, b1, 2), at("\"b\"", 0));
	CHECK_INT(jsonpos_locate(doc, n, b1, 3), at("2]", 0));

	/* the second layer is found after the first whole */
	struct jsonpos_seg path[] = {K("layers"), I(1), K("id")};
	CHECK_INT(jsonpos_locate(doc, n, path, 2), at("{\n      \"id\"", 0));
	CHECK_INT(jsonpos_locate(doc, n, path, 3), at("\"id\": \"m\"", 0));

	/* not there: the deepest container found */
	struct jsonpos_seg missing[] = {K("layers"), I(0), K("nope")};
	CHECK_INT(jsonpos_locate(doc, n, missing, 3), at("{\"id\": \"bg\"", 0));
	struct jsonpos_seg past[] = {K("layers"), I(7)};
	CHECK_INT(jsonpos_locate(doc, n, past, 2), at("[\n    {", 0));
	/* a key is not an index and the other way round */
	struct jsonpos_seg wrong[] = {K("layers"), K("0")};
	CHECK_INT(jsonpos_locate(doc, n, wrong, 2), at("[\n    {", 0));
	struct jsonpos_seg wrong2[] = {I(0)};
	CHECK_INT(jsonpos_locate(doc, n, wrong2, 1), 0);
	/* a key written with an escape is compared raw: its object answers */
	struct jsonpos_seg esc[] = {K("layers"), I(1), K("paint"), K("c")};
	CHECK_INT(jsonpos_locate(doc, n, esc, 4), at("{\n      \"id\": \"m\"", 0));

	/* a path longer than kept is located as far as it is kept */
	struct jsonpos_seg deep[JSONPOS_MAX_DEPTH + 3];
	for (int i = 0; i < JSONPOS_MAX_DEPTH + 3; i++)
		deep[i] = (struct jsonpos_seg)I(0);
	const char *nest = "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]";
	CHECK_INT(jsonpos_locate(nest, strlen(nest), deep, JSONPOS_MAX_DEPTH + 3), JSONPOS_MAX_DEPTH);
}

/* Text that is not JSON, cut short or empty: the walk ends inside it. */
static void test_broken_text(void)
{
	struct jsonpos_seg p[] = {K("a"), I(3), K("b")};
	const char *cases[] = {"",
	                       "{",
	                       "{\"a\"",
	                       "{\"a\": [1, 2",
	                       "{\"a\": [1 2 3]}",
	                       "{\"a\": [\"\\",
	                       "[",
	                       "  ",
	                       "{\"a\": [{}, {}, {}, {\"b\""};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = strlen(cases[i]);
		size_t off = jsonpos_locate(cases[i], len, p, 3);
		CHECK_MSG(off <= len, "case %zu: offset %zu past %zu", i, off, len);
	}
	const char *last = "{\"a\": [{}, {}, {}, {\"b\": 1}]}";
	CHECK_INT(jsonpos_locate(last, strlen(last), p, 3), strstr(last, "\"b\"") - last);
	/* a bounded length: nothing after it is read */
	const char *cut = "{\"a\": 1}{\"b\": 2}";
	struct jsonpos_seg b[] = {K("b")};
	CHECK_INT(jsonpos_locate(cut, 8, b, 1), 0);
}

static void test_line_col(void)
{
	size_t n = strlen(doc);
	int line, col;
	jsonpos_line_col(doc, n, 0, &line, &col);
	CHECK(line == 1 && col == 1);
	jsonpos_line_col(doc, n, at("\"version\"", 0), &line, &col);
	CHECK(line == 2 && col == 3);
	jsonpos_line_col(doc, n, at("\"id\": \"m\"", 0), &line, &col);
	CHECK(line == 7 && col == 7);
	jsonpos_line_col(doc, n, n + 100, &line, &col); /* clamped */
	CHECK(line == 12 && col == 1);
	jsonpos_line_col("a\r\nb", 4, 3, &line, NULL); /* CRLF is one line break */
	CHECK_INT(line, 2);
	jsonpos_line_col("ab", 2, 2, NULL, &col);
	CHECK_INT(col, 3);
}

static void test_path_and_fail(void)
{
	struct ms_error err = {0};
	struct jsonpos p;
	jsonpos_init(&p, "styles/x.json", doc, strlen(doc), &err);
	CHECK_INT(jsonpos_line(&p), 1);
	jsonpos_push_key(&p, "layers");
	jsonpos_push_index(&p, 1);
	jsonpos_push_key(&p, "id");
	CHECK_INT(jsonpos_line(&p), 7);
	CHECK(!jsonpos_fail(&p, "layer id \"%s\" is used twice", "m"));
	CHECK_INT(err.status, MS_EDATA);
	CHECK_STR(err.msg, "styles/x.json:7: layer id \"m\" is used twice");
	jsonpos_pop(&p);
	CHECK_INT(jsonpos_line(&p), 6);
	jsonpos_pop(&p);
	jsonpos_pop(&p);
	jsonpos_pop(&p); /* one too many is harmless */
	CHECK_INT(p.depth, 0);
	/* deeper than kept: reported at the deepest kept segment */
	for (int i = 0; i < JSONPOS_MAX_DEPTH + 5; i++)
		jsonpos_push_key(&p, i == 0 ? "layers" : "x");
	CHECK_INT(p.depth, JSONPOS_MAX_DEPTH + 5);
	CHECK_INT(jsonpos_line(&p), 4);
	for (int i = 0; i < JSONPOS_MAX_DEPTH + 5; i++)
		jsonpos_pop(&p);
	CHECK_INT(jsonpos_line(&p), 1);
	/* a long name is cut, the message still holds the line and reason */
	char name[400];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = 0;
	p.name = name;
	jsonpos_fail(&p, "why");
	CHECK(strlen(err.msg) < 220 && strstr(err.msg, ":1: why") != NULL);
}

/* jansson drops a raw NUL between tokens; every reader refuses one first. */
static void test_refuse_nul(void)
{
	struct ms_error err = {0};
	CHECK(jsonpos_refuse_nul("s.json", doc, strlen(doc), &err));
	CHECK_INT(err.status, MS_OK);
	static const char bad[] = "{\n  \"a\": [1\0, 2]}";
	CHECK(!jsonpos_refuse_nul("s.json", bad, sizeof bad - 1, &err));
	CHECK_INT(err.status, MS_EDATA);
	CHECK_STR(err.msg, "s.json:2: a NUL byte at column 10; JSON text holds none");
	CHECK(jsonpos_refuse_nul("s.json", "", 0, &err)); /* empty is jansson's to refuse */
}

int main(void)
{
	test_locate();
	test_broken_text();
	test_line_col();
	test_path_and_fail();
	test_refuse_nul();
	return CHECK_DONE();
}

/*
 * test_util_etag.c - If-None-Match matching (RFC 9110 §13.1.2): the list,
 * weak comparison, "*", and malformed fields, as a table.
 */
#include <stddef.h>

#include "check.h"
#include "util/etag.h"

struct etag_case {
	const char *field, *etag;
	bool match;
};

static const struct etag_case cases[] = {
    /* one tag, weak comparison either way */
    {"\"abc\"", "\"abc\"", true},
    {"W/\"abc\"", "\"abc\"", true},
    {"\"abc\"", "W/\"abc\"", true},
    {"W/\"abc\"", "W/\"abc\"", true},
    {"\"abd\"", "\"abc\"", false},
    /* the opaque part is compared whole: no prefix, substring or case match */
    {"\"abcd\"", "\"abc\"", false},
    {"\"ab\"", "\"abc\"", false},
    {"\"xabcx\"", "\"abc\"", false},
    {"\"ABC\"", "\"abc\"", false},
    {"abc", "\"abc\"", false},
    {"\"abc\"x", "\"abc\"", true},
    /* a list, with blanks */
    {"\"x\", \"abc\"", "\"abc\"", true},
    {"\"x\",\"y\" ,\t\"abc\" ", "\"abc\"", true},
    {"\"x\", W/\"abc\"", "\"abc\"", true},
    {"\"x\", \"y\"", "\"abc\"", false},
    {"\"a,b\", \"abc\"", "\"abc\"", true},
    {"\"a,b\"", "\"b\"", false},
    /* "*" alone matches any current representation */
    {"*", "\"abc\"", true},
    {" * ", "\"abc\"", true},
    {"*, \"x\"", "\"abc\"", false},
    {"\"*\"", "\"abc\"", false},
    /* malformed members match nothing and hide nothing after them */
    {"junk, \"abc\"", "\"abc\"", true},
    {"\"unclosed", "\"abc\"", false},
    {"\"abc", "\"abc\"", false},
    {"W/abc", "\"abc\"", false},
    {",,,", "\"abc\"", false},
    {"", "\"abc\"", false},
    {"\"\"", "\"\"", true},
    /* a malformed entity tag of ours never matches */
    {"\"abc\"", "abc", false},
    {"*", "abc", false},
};

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct etag_case *c = &cases[i];
		CHECK_MSG(etag_list_matches(c->field, c->etag) == c->match,
		          "If-None-Match: %s against %s: want %s", c->field, c->etag,
		          c->match ? "a match" : "none");
	}
	CHECK(!etag_list_matches(NULL, "\"abc\""));
	CHECK(!etag_list_matches("*", NULL));
	return CHECK_DONE();
}

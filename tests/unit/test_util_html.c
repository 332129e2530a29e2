/*
 * test_util_html.c - util/html: escaping of text and attributes, JSON in
 * a script data block, and the template filler.
 */
#include <string.h>

#include "check.h"
#include "util/html.h"

static const char *escaped(struct buf *b, const char *s)
{
	buf_reset(b);
	html_escape(b, s);
	return buf_str(b);
}

static void test_escape(void)
{
	struct buf b = BUF_INIT;
	CHECK_STR(escaped(&b, ""), "");
	CHECK_STR(escaped(&b, "纪念馆 Hall"), "纪念馆 Hall");
	CHECK_STR(escaped(&b, "<a href=\"x\">'&'</a>"),
	          "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
	/* XML 1.0 forbids the C0 controls but tab, LF and CR: they are dropped */
	CHECK_STR(escaped(&b, "a\x01"
	                      "b\x1f"
	                      "c\td\ne\rf\x7f"),
	          "abc\td\ne\rf\x7f");
	buf_reset(&b);
	html_escape_n(&b, "<b>bold</b>", 3);
	CHECK_STR(buf_str(&b), "&lt;b&gt;");
	buf_free(&b);
}

static void test_script_json(void)
{
	struct buf b = BUF_INIT;
	const char *json = "{\"name\":\"</script><script>alert(1)</script>\",\"c\":\"<!--\"}";
	html_script_json(&b, json, strlen(json));
	CHECK(strstr(buf_str(&b), "</script") == NULL);
	CHECK(strstr(buf_str(&b), "<!--") == NULL);
	CHECK(strchr(buf_str(&b), '<') == NULL);
	CHECK_STR(buf_str(&b),
	          "{\"name\":\"\\u003c/script>\\u003cscript>alert(1)\\u003c/script>\",\"c\":\"\\u003c!--\"}");
	buf_free(&b);
}

static void test_fill(void)
{
	struct buf b = BUF_INIT;
	struct html_var v[] = {{"title", "A & B"}, {"body", "<p>ok</p>"}, {"none", NULL}};
	html_fill(&b, "<h1>{{title}}</h1>{{&body}}[{{none}}]{{title}}", v, 3);
	CHECK_STR(buf_str(&b), "<h1>A &amp; B</h1><p>ok</p>[]A &amp; B");
	buf_reset(&b);
	/* text without slots, and an unclosed "{{", are copied as they are */
	html_fill(&b, "a {b} {{ c", v, 3);
	CHECK_STR(buf_str(&b), "a {b} {{ c");
	buf_free(&b);
}

/* URL components: unreserved bytes kept, all else percent-encoded,
 * multi-byte UTF-8 byte by byte. */
static void test_url_component(void)
{
	struct buf b = BUF_INIT;
	html_url_component(&b, "zb-heitieshan_memorial.1~");
	CHECK_STR(buf_str(&b), "zb-heitieshan_memorial.1~");
	buf_reset(&b);
	html_url_component(&b, "a b/c?d&e=f#%+纪");
	CHECK_STR(buf_str(&b), "a%20b%2Fc%3Fd%26e%3Df%23%25%2B%E7%BA%AA");
	buf_free(&b);
}

int main(void)
{
	test_url_component();
	test_escape();
	test_script_json();
	test_fill();
	return CHECK_DONE();
}

/* test_util_buf.c - util/buf: appending, the trailing NUL, growth, printf
 * past the first reservation, reset and detach. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/buf.h"

/* More than buf_vprintf's first reservation (64 bytes), so that the
 * second vsnprintf pass runs. */
#define LONG_TEXT 1000
/* Enough appends for many doublings of the capacity. */
#define MANY_APPENDS 100000

static void test_empty(void)
{
	struct buf b = BUF_INIT;
	CHECK(b.data == NULL);
	CHECK_STR(buf_str(&b), "");
	buf_reset(&b); /* no allocation yet: nothing to clear */
	CHECK(b.data == NULL && b.len == 0);
	/* Once allocated, even with nothing in it, the data is a C string. */
	buf_reserve(&b, 10);
	CHECK(b.data != NULL && b.cap >= 11);
	CHECK_STR(b.data, "");
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void test_append(void)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "红色");
	buf_putc(&b, '-');
	buf_append(&b, "map!", 3);
	buf_printf(&b, "/%d/%s", 14, "x");
	CHECK_STR(buf_str(&b), "红色-map/14/x");
	CHECK_INT(b.len, strlen("红色-map/14/x"));
	CHECK(b.cap > b.len);
	CHECK_INT(b.data[b.len], '\0');
	/* Bytes, NULs included, count as they are. */
	buf_append(&b, "a\0b", 3);
	CHECK_INT(b.len, strlen("红色-map/14/x") + 3);
	CHECK(memcmp(b.data + b.len - 3, "a\0b", 3) == 0);
	CHECK_INT(b.data[b.len], '\0');
	buf_append(&b, NULL, 0); /* appending nothing is fine */
	CHECK_INT(b.len, strlen("红色-map/14/x") + 3);
	buf_free(&b);
}

static void test_growth(void)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < MANY_APPENDS; i++)
		buf_putc(&b, (char)('a' + i % 26));
	CHECK_INT(b.len, MANY_APPENDS);
	size_t wrong = 0;
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] != (char)('a' + i % 26))
			wrong++;
	CHECK_INT(wrong, 0);
	CHECK_INT(b.data[b.len], '\0');
	/* reserve makes room for the bytes and the NUL, and moves nothing
	 * when there is room already. */
	buf_reserve(&b, 10);
	CHECK(b.cap >= b.len + 11);
	char *before = b.data;
	buf_append(&b, "0123456789", 10);
	CHECK(b.data == before);
	buf_free(&b);
}

static void test_long_printf(void)
{
	char text[LONG_TEXT + 1];
	memset(text, 'x', LONG_TEXT);
	text[LONG_TEXT] = '\0';
	struct buf b = BUF_INIT;
	buf_puts(&b, "<");
	buf_printf(&b, "%s>%d", text, 7);
	CHECK_INT(b.len, 1 + LONG_TEXT + 2);
	CHECK(b.data[0] == '<' && b.data[LONG_TEXT] == 'x');
	CHECK_STR(b.data + 1 + LONG_TEXT, ">7");
	buf_free(&b);
}

static void test_reset_detach(void)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "hello");
	char *mem = b.data;
	size_t cap = b.cap;
	buf_reset(&b);
	CHECK(b.len == 0 && b.data == mem && b.cap == cap); /* the allocation stays */
	CHECK_STR(buf_str(&b), "");
	buf_puts(&b, "again");
	size_t len = 0;
	char *out = buf_detach(&b, &len);
	CHECK(out == mem);
	CHECK_INT(len, 5);
	CHECK_STR(out, "again");
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	free(out);

	/* An empty buffer still hands over a string the caller can free. */
	struct buf e = BUF_INIT;
	out = buf_detach(&e, NULL);
	CHECK(out != NULL);
	CHECK_STR(out, "");
	free(out);
}

int main(void)
{
	test_empty();
	test_append();
	test_growth();
	test_long_printf();
	test_reset_detach();
	return CHECK_DONE();
}

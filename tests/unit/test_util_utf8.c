/*
 * test_util_utf8.c - util/utf8: the cases of tests/data/util/utf8_decode.txt,
 * every scalar value and every surrogate round-tripped, and validation of
 * bounded buffers (cut short by their length, NUL inside, no read past).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/utf8.h"

#define CASES_FILE "data/util/utf8_decode.txt"
#define MAX_BYTES 64
#define MAX_STEPS 32
#define LAST_SCALAR 0x10FFFFu
#define SURROGATE_FIRST 0xD800u
#define SURROGATE_LAST 0xDFFFu

/* The test's own encoder (RFC 3629 §3), so that decoding is checked
 * against something it does not share code with. */
static size_t encode(uint32_t cp, char *out)
{
	unsigned char *b = (unsigned char *)out;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (unsigned char)(0xF0 | cp >> 18);
	b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	b[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

struct utf8_case {
	char bytes[MAX_BYTES + 1];
	size_t nbytes;
	uint32_t cp[MAX_STEPS];
	int len[MAX_STEPS];
	int nsteps;
	size_t valid;
};

/* Parses "BYTES | STEPS | VALID"; false on a malformed line. */
static int parse_case(char *line, struct utf8_case *c)
{
	char *bar1 = strchr(line, '|');
	char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
	if (!bar2)
		return 0;
	*bar1 = *bar2 = '\0';
	memset(c, 0, sizeof *c);
	char *end;
	for (char *p = line;;) {
		unsigned long b = strtoul(p, &end, 16);
		if (end == p)
			break;
		if (b == 0 || b > 0xFF || c->nbytes == MAX_BYTES)
			return 0;
		c->bytes[c->nbytes++] = (char)b;
		p = end;
	}
	for (char *p = bar1 + 1;;) {
		unsigned long cp = strtoul(p, &end, 16);
		if (end == p)
			break;
		if (*end != '/' || c->nsteps == MAX_STEPS)
			return 0;
		c->cp[c->nsteps] = (uint32_t)cp;
		p = end + 1;
		c->len[c->nsteps++] = (int)strtol(p, &end, 10);
		if (end == p)
			return 0;
		p = end;
	}
	c->valid = (size_t)strtoul(bar2 + 1, &end, 10);
	return end != bar2 + 1 && c->nsteps > 0;
}

static void check_case(const struct utf8_case *c, int line)
{
	const char *s = c->bytes;
	int k = 0;
	uint32_t cp;
	for (int n; (n = utf8_decode(s, &cp)) > 0; s += n, k++) {
		if (k >= c->nsteps)
			break;
		CHECK_MSG(cp == c->cp[k], "line %d step %d: U+%04X, not U+%04X", line, k, (unsigned)cp,
		          (unsigned)c->cp[k]);
		CHECK_MSG(n == c->len[k], "line %d step %d: %d bytes, not %d", line, k, n, c->len[k]);
	}
	CHECK_MSG(k == c->nsteps, "line %d: %d steps, not %d", line, k, c->nsteps);
	CHECK_MSG(*s == '\0', "line %d: decoding stopped before the end", line);
	CHECK_MSG(cp == 0, "line %d: the NUL decodes as U+%04X", line, (unsigned)cp);

	/* The validator, on exactly the bytes (no NUL after them). */
	char *exact = malloc(c->nbytes ? c->nbytes : 1);
	memcpy(exact, c->bytes, c->nbytes);
	size_t v = utf8_valid_len(exact, c->nbytes);
	CHECK_MSG(v == c->valid, "line %d: valid prefix %zu, not %zu", line, v, c->valid);
	CHECK_MSG(utf8_valid(exact, c->nbytes) == (c->valid == c->nbytes), "line %d: utf8_valid", line);
	free(exact);
}

static void test_cases_file(void)
{
	FILE *f = fopen(CASES_FILE, "r");
	CHECK_MSG(f != NULL, "cannot open %s", CASES_FILE);
	if (!f)
		return;
	char line[512];
	int lineno = 0, cases = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		struct utf8_case c;
		int ok = parse_case(line, &c);
		CHECK_MSG(ok, "%s:%d: malformed case", CASES_FILE, lineno);
		if (ok) {
			check_case(&c, lineno);
			cases++;
		}
	}
	fclose(f);
	CHECK_MSG(cases >= 30, "only %d cases read from %s", cases, CASES_FILE);
}

/* Every scalar value decodes to itself with its encoded length and is
 * valid; every surrogate, encoded the same way, is three ill-formed
 * bytes (ED is followed by A0..BF, outside its 80..9F). */
static void test_every_code_point(void)
{
	size_t wrong = 0, surrogates = 0;
	for (uint32_t v = 1; v <= LAST_SCALAR; v++) {
		char b[UTF8_MAX_SEQ + 1] = {0};
		size_t n = encode(v, b);
		uint32_t cp;
		int got = utf8_decode(b, &cp);
		if (v >= SURROGATE_FIRST && v <= SURROGATE_LAST) {
			surrogates++;
			if (got != 1 || cp != UTF8_REPLACEMENT || utf8_valid_len(b, n) != 0)
				wrong++;
		} else if (got != (int)n || cp != v || !utf8_valid(b, n)) {
			wrong++;
		}
	}
	CHECK_INT(surrogates, SURROGATE_LAST - SURROGATE_FIRST + 1);
	CHECK_MSG(wrong == 0, "%zu code points decoded wrongly", wrong);
}

static void test_bounded(void)
{
	/* A NUL is U+0000 to the validator, which reads by length. */
	CHECK_INT(utf8_valid_len("a\0b", 3), 3);
	CHECK(utf8_valid("", 0));
	CHECK_INT(utf8_valid_len("", 0), 0);
	/* "中" cut short by the length, not by a byte. */
	CHECK_INT(utf8_valid_len("\xE4\xB8\xAD", 2), 0);
	CHECK_INT(utf8_valid_len("a\xE4\xB8\xAD", 3), 1);
	CHECK_INT(utf8_valid_len("a\xE4\xB8\xAD", 4), 4);
	CHECK(!utf8_valid("\xF0\x9F\x98\x80", 3));

	/* Every cut of a well-formed string ends the valid prefix at the last
	 * whole character, and never reads past the cut (AddressSanitizer
	 * checks the exact-size copies). */
	static const char text[] = "红色 map \xF0\x9F\x98\x80 é";
	size_t whole[sizeof text] = {0}, last = 0;
	for (size_t i = 0, n; i < sizeof text - 1; i += n) {
		uint32_t cp;
		n = (size_t)utf8_decode(text + i, &cp);
		for (size_t k = i + 1; k < i + n; k++)
			whole[k] = last;
		last = whole[i + n] = i + n;
	}
	for (size_t cut = 0; cut < sizeof text; cut++) {
		char *exact = malloc(cut ? cut : 1);
		memcpy(exact, text, cut);
		CHECK_MSG(utf8_valid_len(exact, cut) == whole[cut], "cut %zu", cut);
		free(exact);
	}

	/* A NUL ends a C string even inside a sequence: the bytes before it
	 * are one maximal subpart, and the NUL is decoded next. */
	uint32_t cp = 1;
	CHECK_INT(utf8_decode("\xE4\xB8", &cp), 2);
	CHECK_INT(cp, UTF8_REPLACEMENT);
	CHECK_INT(utf8_decode("", &cp), 0);
	CHECK_INT(cp, 0);
}

int main(void)
{
	test_cases_file();
	test_every_code_point();
	test_bounded();
	return CHECK_DONE();
}

/*
 * fuzz_utf8.c - util/utf8 against an independent oracle, then the same
 * bytes measured and drawn as a label.
 *
 * The oracle is built once by encoding every Unicode scalar value: the
 * set of well-formed sequences and of their proper prefixes.  Unicode 15
 * §3.9 then says exactly what the decoder must do at each position:
 *   - a well-formed sequence gives its code point and its length;
 *   - otherwise U+FFFD for the maximal subpart: the longest prefix of a
 *     well-formed sequence found there, or one byte when the byte cannot
 *     start one.
 * It must also stop (return 0) at the NUL and never step over it.  The
 * validator, utf8_valid_len, must then agree with the decoder: over the
 * whole input, NULs included (U+0000 is well-formed), its answer is the
 * offset of the first ill-formed subpart the decoder met, and it reads
 * libFuzzer's buffer, which has no NUL after it, by length only.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "render/canvas.h"
#include "render/glyphs.h"
#include "util/utf8.h"

#define H "fuzz_utf8"

/* Proper prefixes of well-formed sequences, by length (1, 2, 3 bytes). */
static bool prefix1[256];
static uint8_t *prefix2; /* 1 << 16 flags */
static uint8_t *prefix3; /* 1 << 24 bits */
static struct glyphs *glyphs;
static struct canvas *canvas;

static int encode(uint32_t cp, unsigned char *b)
{
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
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (unsigned char)(0xF0 | cp >> 18);
	b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

static void teardown(void)
{
	free(prefix2);
	free(prefix3);
	glyphs_free(glyphs);
	canvas_free(canvas);
}

static void setup(void)
{
	prefix2 = calloc(1u << 16, 1);
	prefix3 = calloc(1u << 21, 1);
	if (!prefix2 || !prefix3)
		abort();
	for (uint32_t cp = 0x80; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue; /* surrogates are not scalar values */
		unsigned char b[4];
		int n = encode(cp, b);
		prefix1[b[0]] = true;
		if (n >= 3)
			prefix2[b[0] << 8 | b[1]] = 1;
		if (n == 4) {
			uint32_t k = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
			prefix3[k >> 3] |= (uint8_t)(1u << (k & 7));
		}
	}
	struct ms_error err = {0};
	glyphs = glyphs_new(NULL, &err);
	if (!glyphs)
		fuzz_fail(H, "glyphs_new: %s", err.msg);
	canvas = canvas_new(96, 32);
	atexit(teardown);
}

/* True when s[0..n) (n <= 3, no NUL) is a proper prefix of a well-formed
 * multi-byte sequence. */
static bool is_prefix(const unsigned char *s, int n)
{
	if (n == 1)
		return prefix1[s[0]];
	if (n == 2)
		return prefix2[s[0] << 8 | s[1]];
	uint32_t k = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
	return prefix3[k >> 3] & (1u << (k & 7));
}

/* The code point when s[0..n) is a well-formed sequence, else -1. */
static long complete(const unsigned char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!s[i])
			return -1;
	/* Decode loosely, then demand that re-encoding gives the same bytes:
	 * that rules out overlongs, surrogates and values past U+10FFFF. */
	uint32_t v = n == 1 ? s[0] : n == 2 ? s[0] & 0x1Fu : n == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
	for (int i = 1; i < n; i++)
		v = v << 6 | (s[i] & 0x3Fu);
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return -1;
	unsigned char b[4];
	if (encode(v, b) != n || memcmp(b, s, (size_t)n) != 0)
		return -1;
	return (long)v;
}

/* Decodes the C string str (strlen len) to its end, checking every step;
 * returns the offset of the first ill-formed subpart, len when none. */
static size_t check_decoder(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t pos = 0, first_bad = len;
	for (;;) {
		uint32_t cp = 0xDEADBEEF;
		int n = utf8_decode(str + pos, &cp);
		if (pos == len) {
			if (n != 0 || cp != 0)
				fuzz_fail(H, "at the NUL: returned %d, cp U+%04X", n, (unsigned)cp);
			return first_bad;
		}
		if (n < 1 || n > 4 || pos + (size_t)n > len)
			fuzz_fail(H, "offset %zu: returned %d of %zu bytes left", pos, n, len - pos);
		long want = complete(s + pos, n);
		if (want >= 0) {
			if (cp != (uint32_t)want)
				fuzz_fail(H, "offset %zu: U+%04lX decoded as U+%04X", pos, want,
				          (unsigned)cp);
			/* a well-formed sequence is never shortened */
		} else {
			if (first_bad == len)
				first_bad = pos;
			if (cp != UTF8_REPLACEMENT)
				fuzz_fail(H, "offset %zu: %d ill-formed bytes gave U+%04X", pos, n,
				          (unsigned)cp);
			/* Maximal subpart: s[pos..pos+n) is a proper prefix (or a
			 * single byte that starts nothing), and one more byte would
			 * be neither a prefix nor a whole sequence. */
			bool head_ok = is_prefix(s + pos, n) || (n == 1 && !prefix1[s[pos]]);
			if (!head_ok)
				fuzz_fail(H, "offset %zu: %d bytes replaced, not a maximal subpart", pos, n);
			if (n < 4 && is_prefix(s + pos, n) && pos + (size_t)n < len &&
			    ((n < 3 && is_prefix(s + pos, n + 1)) || complete(s + pos, n + 1) >= 0))
				fuzz_fail(H, "offset %zu: replaced %d bytes, but the subpart goes on", pos,
				          n);
		}
		/* A whole sequence that the decoder cut short would show as a
		 * U+FFFD over one of its proper prefixes, caught above. */
		pos += (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!prefix2)
		setup();
	/* The decoder reads C strings: the input's NULs split it into several,
	 * decoded in turn from a NUL-terminated copy. */
	char *str = malloc(size + 1);
	if (!str)
		abort();
	memcpy(str, data, size);
	str[size] = 0;
	size_t want = size;
	for (size_t pos = 0; pos <= size && want == size;) {
		size_t seg = strlen(str + pos), bad = check_decoder(str + pos, seg);
		if (bad < seg)
			want = pos + bad;
		pos += seg + 1;
	}
	size_t got = utf8_valid_len((const char *)data, size);
	if (got != want)
		fuzz_fail(H, "utf8_valid_len %zu, but the first ill-formed byte is at %zu of %zu", got, want,
		          size);
	if (utf8_valid((const char *)data, size) != (want == size))
		fuzz_fail(H, "utf8_valid disagrees with utf8_valid_len");

	/* The label: the input up to its first NUL. */
	if (strlen(str) <= 256) {
		struct text_box box;
		glyphs_measure(glyphs, str, 14, &box);
		if (!(box.width >= 0) || !(box.ascent >= 0) || !(box.descent >= 0))
			fuzz_fail(H, "text box %g x (%g + %g)", box.width, box.ascent, box.descent);
		glyphs_draw(glyphs, canvas, str, 2, 24, 14, (struct rgba){0, 0, 0, 255},
		            (struct rgba){255, 255, 255, 255}, 1.5);
	}
	free(str);
	return 0;
}

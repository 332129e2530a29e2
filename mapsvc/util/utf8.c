/*
 * utf8.c - UTF-8 decoding and validation; see utf8.h.
 *
 * One routine, decode_seq, reads one sequence straight from Unicode's
 * Table 3-7.  The lead byte fixes how many continuation bytes follow and
 * the range the *first* of them must fall in: that range is what excludes
 * overlongs (E0 needs A0..BF, F0 needs 90..BF), surrogates (ED needs
 * 80..9F) and values past U+10FFFF (F4 needs 80..8F), so no decoded value
 * has to be checked afterwards.  Any byte outside the expected range ends
 * a maximal subpart at that byte, which then starts the next sequence: a
 * NUL is never a continuation byte, so a C string is never read past its
 * end, and a bounded buffer is never read past n.
 *
 * Text of sites is mostly ASCII or CJK (three bytes per character), and
 * whole site files are checked, so utf8_valid_len steps over ASCII bytes
 * without the call.
 */
#include "utf8.h"

/* Lead bytes: the first of each multi-byte form and the last that may
 * start one (RFC 3629 §4: C0, C1 and F5..FF appear in no sequence). */
#define LEAD2_MIN 0xC2u
#define LEAD2_MAX 0xDFu
#define LEAD3_MIN 0xE0u
#define LEAD3_MAX 0xEFu
#define LEAD4_MIN 0xF0u
#define LEAD4_MAX 0xF4u
/* The continuation byte range, 10xxxxxx, and the payload bits in it. */
#define CONT_MIN 0x80u
#define CONT_MAX 0xBFu
#define CONT_BITS 0x3Fu
#define ASCII_END 0x80u

/* Decodes the sequence at s[0..n) (n >= 1, s[0] not necessarily ASCII)
 * into *cp; returns the bytes it spans and sets *ok to whether they are a
 * well-formed sequence.  An ill-formed maximal subpart gives
 * UTF8_REPLACEMENT.  Reads s[i] only for i < n and only after s[1..i)
 * were continuation bytes. */
static size_t decode_seq(const unsigned char *s, size_t n, uint32_t *cp, bool *ok)
{
	unsigned b = s[0];
	if (b < ASCII_END) {
		*cp = b;
		*ok = true;
		return 1;
	}
	size_t more;
	uint32_t v;
	unsigned lo = CONT_MIN, hi = CONT_MAX; /* the next byte's range */
	if (b >= LEAD2_MIN && b <= LEAD2_MAX) {
		more = 1;
		v = b & 0x1Fu;
	} else if (b >= LEAD3_MIN && b <= LEAD3_MAX) {
		more = 2;
		v = b & 0x0Fu;
		if (b == 0xE0)
			lo = 0xA0; /* below: an overlong of U+0000..U+07FF */
		else if (b == 0xED)
			hi = 0x9F; /* above: the surrogates U+D800..U+DFFF */
	} else if (b >= LEAD4_MIN && b <= LEAD4_MAX) {
		more = 3;
		v = b & 0x07u;
		if (b == 0xF0)
			lo = 0x90; /* below: an overlong of U+0000..U+FFFF */
		else if (b == 0xF4)
			hi = 0x8F; /* above: past U+10FFFF */
	} else {
		/* C0, C1, F5..FF or a continuation byte with no lead */
		*cp = UTF8_REPLACEMENT;
		*ok = false;
		return 1;
	}
	for (size_t i = 1; i <= more; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			/* The maximal subpart is s[0..i); s[i] starts the next
			 * sequence (or the bytes ended). */
			*cp = UTF8_REPLACEMENT;
			*ok = false;
			return i;
		}
		v = v << 6 | (s[i] & CONT_BITS);
		lo = CONT_MIN;
		hi = CONT_MAX;
	}
	*cp = v;
	*ok = true;
	return more + 1;
}

int utf8_decode(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] == 0) {
		*cp = 0;
		return 0;
	}
	/* UTF8_MAX_SEQ bounds the reads; the NUL, never a continuation byte,
	 * stops them first in a shorter string. */
	bool ok;
	return (int)decode_seq(u, UTF8_MAX_SEQ, cp, &ok);
}

size_t utf8_valid_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		if (u[i] < ASCII_END) {
			i++;
			continue;
		}
		uint32_t cp;
		bool ok;
		size_t len = decode_seq(u + i, n - i, &cp, &ok);
		if (!ok)
			return i;
		i += len;
	}
	return n;
}

bool utf8_valid(const char *s, size_t n)
{
	return utf8_valid_len(s, n) == n;
}

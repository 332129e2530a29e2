/*
 * utf8.h - the one UTF-8 decoder and validator of mapsvc.
 *
 * Every check or decoding of UTF-8 that mapsvc does itself (CSV site
 * files, the q search text, labels drawn on tiles, route sheets, problem
 * details; jansson checks JSON text on its own) goes through these
 * functions, so they all agree on what UTF-8 is: RFC 3629 §4's grammar,
 * which is Unicode 15 §3.9 Table 3-7 ("Well-Formed UTF-8 Byte Sequences"):
 * no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
 * U+10FFFF, no bytes C0, C1 or F5..FF.  Noncharacters such as U+FFFF are
 * well-formed.  U+0000 is well-formed too; callers that refuse NUL bytes
 * say so themselves.
 *
 * Ill-formed input is decoded, never refused, by utf8_decode: each maximal
 * subpart (the longest prefix of a well-formed sequence found there, or
 * one byte when the byte starts none) becomes one U+FFFD, the practice
 * Unicode §3.9 calls "U+FFFD Substitution of Maximal Subparts" and the
 * WHATWG Encoding Standard requires.  Decoding therefore always moves
 * forward, and never reads past a NUL or past the bytes it is given.
 *
 * Owns nothing; pure and thread-safe.
 */
#ifndef MS_UTF8_H
#define MS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an ill-formed subpart decodes to (Unicode §3.9, D93b). */
#define UTF8_REPLACEMENT 0xFFFDu
/* The longest well-formed sequence, in bytes (RFC 3629 §3). */
#define UTF8_MAX_SEQ 4

/* Decodes the code point at the start of the NUL-terminated string s into
 * *cp and returns the bytes it spans: 1 to 4, or 0 (and *cp = 0) at the
 * terminating NUL.  A maximal ill-formed subpart gives *cp =
 * UTF8_REPLACEMENT and its own length, so a NUL cutting a sequence short
 * ends that subpart and is returned by the next call. */
int utf8_decode(const char *s, uint32_t *cp);

/* The length of the longest prefix of s[0..n) that is well-formed UTF-8
 * (s need not be NUL-terminated; a NUL byte is U+0000): n when all of it
 * is, else the offset of the first byte of the first ill-formed subpart,
 * a sequence cut short by the end of the bytes included. */
size_t utf8_valid_len(const char *s, size_t n);

/* True when s[0..n) is well-formed UTF-8 as a whole. */
bool utf8_valid(const char *s, size_t n);

#endif

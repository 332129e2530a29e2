/*
 * numparse.h - reading the numbers people type: coordinates, distances,
 * sizes in query strings, CSV fields and command lines.
 *
 * Two grammars, each the same everywhere (HTTP parameters, the command
 * line, data files), so that a value one front accepts the other accepts
 * too:
 *
 *  - a decimal: an optional sign, digits with an optional decimal point,
 *    an optional exponent, and nothing else.  strtod alone would also take
 *    "nan", "inf", hex floats and leading blanks, none of which a client
 *    means as a coordinate.
 *  - an integer: an optional '-', then one or more ASCII digits, and
 *    nothing else.  No blanks, no exponent ("1e2" is a decimal, not an
 *    integer), no hex, no '+': in a form-encoded query '+' is a space, so
 *    "+5" arrives as " 5", and no client's number formatting writes one.
 *    Leading zeros are accepted ("007" is 7): they change no value.
 *
 * Pure and thread-safe.
 */
#ifndef MS_NUMPARSE_H
#define MS_NUMPARSE_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is exactly one finite number of that grammar (s need
 * not be NUL-terminated); *out is then its value. */
bool ms_parse_decimal(const char *s, size_t n, double *out);
/* The same for a NUL-terminated string. */
bool ms_parse_decimal_str(const char *s, double *out);

/* What ms_parse_int found.  MS_PARSE_OK is 0, as MS_OK is. */
enum ms_parse_result {
	MS_PARSE_OK = 0,
	MS_PARSE_SYNTAX, /* not an integer of the grammar above */
	MS_PARSE_RANGE,  /* an integer outside [min, max]; *out is the bound it passed */
};

/* Reads s[0..n) (need not be NUL-terminated) as an integer in [min, max]
 * into *out.  An integer too large for any type is MS_PARSE_RANGE like any
 * other, so a caller that clamps (OGC API - Features' limit) takes *out
 * whatever the number of digits.  *out is untouched on MS_PARSE_SYNTAX. */
enum ms_parse_result ms_parse_int(const char *s, size_t n, long long min, long long max, long long *out);
/* The same for a NUL-terminated string (NULL is MS_PARSE_SYNTAX). */
enum ms_parse_result ms_parse_int_str(const char *s, long long min, long long max, long long *out);

#endif

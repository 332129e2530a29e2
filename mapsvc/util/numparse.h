/*
 * numparse.h - reading the numbers people type: coordinates, distances,
 * sizes in query strings, CSV fields and command lines.
 *
 * One grammar everywhere: an optional sign, digits with an optional
 * decimal point, an optional exponent, and nothing else.  strtod alone
 * would also take "nan", "inf", hex floats and leading blanks, none of
 * which a client means as a coordinate.  Pure and thread-safe.
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

#endif

/* numparse.c - strict decimal numbers and integers; see numparse.h. */
#include "numparse.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t skip_digits(const char *s, size_t i, size_t n)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

bool ms_parse_decimal(const char *s, size_t n, double *out)
{
	char tmp[128]; /* longer than any number worth its digits */
	if (!s || n == 0 || n >= sizeof tmp)
		return false;
	size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
	size_t int_end = skip_digits(s, i, n), digits = int_end - i;
	i = int_end;
	if (i < n && s[i] == '.') {
		size_t frac_end = skip_digits(s, i + 1, n);
		digits += frac_end - (i + 1);
		i = frac_end;
	}
	if (digits == 0)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t exp_end = skip_digits(s, i, n);
		if (exp_end == i)
			return false;
		i = exp_end;
	}
	if (i != n)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	double v = strtod(tmp, NULL);
	if (errno == ERANGE || !isfinite(v))
		return false;
	*out = v;
	return true;
}

bool ms_parse_decimal_str(const char *s, double *out)
{
	return s && ms_parse_decimal(s, strlen(s), out);
}

enum ms_parse_result ms_parse_int(const char *s, size_t n, long long min, long long max, long long *out)
{
	assert(min <= max);
	if (!s || n == 0)
		return MS_PARSE_SYNTAX;
	bool neg = s[0] == '-';
	size_t i = neg ? 1 : 0;
	if (i == n)
		return MS_PARSE_SYNTAX;
	/* The magnitude, saturated just past the largest one a long long can
	 * take (LLONG_MAX + 1 for a negative number): every digit is still
	 * read, so a long run of digits is a range error, not a syntax one. */
	const unsigned long long limit =
	    neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	unsigned long long mag = 0;
	bool over = false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return MS_PARSE_SYNTAX;
		unsigned d = (unsigned)(s[i] - '0');
		if (!over && mag > (limit - d) / 10)
			over = true;
		else if (!over)
			mag = mag * 10 + d;
	}
	long long v;
	if (over)
		v = neg ? LLONG_MIN : LLONG_MAX;
	else if (neg)
		v = mag == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)mag;
	else
		v = (long long)mag;
	if (over || v < min || v > max) {
		*out = (over ? neg : v < min) ? min : max;
		return MS_PARSE_RANGE;
	}
	*out = v;
	return MS_PARSE_OK;
}

enum ms_parse_result ms_parse_int_str(const char *s, long long min, long long max, long long *out)
{
	return s ? ms_parse_int(s, strlen(s), min, max, out) : MS_PARSE_SYNTAX;
}

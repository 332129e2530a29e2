/* numparse.c - strict decimal numbers; see numparse.h. */
#include "numparse.h"

#include <errno.h>
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

/*
 * strfn.c - the string and time work of CQL2: CASEI() and ACCENTI(), LIKE
 * patterns, RFC 3339 times, and numbers written so they read back.
 *
 * Case folding and normalisation are Unicode's, through libunistring:
 * CASEI is the full case folding the standard names (CaseFolding.txt
 * lines C and F, so "Straße" and "STRASSE" fold alike), and ACCENTI is
 * the canonical decomposition (NFD) without its non-spacing marks (general
 * category Mn), recomposed (NFC) - except the Japanese voicing marks
 * U+3099 and U+309A, which CQL2 recommends keeping because they change the
 * letter, not its accent.  Letters with a stroke rather than a combining
 * accent (ø, ł, đ) have no decomposition and are kept.
 *
 * LIKE matches code points: '%' any run of them, '_' exactly one, '\' makes
 * the next one literal.  The matcher is the classic one with a single
 * backtracking point (the last '%'): a later '%' makes every earlier
 * choice final, so remembering one is enough; worst case it is linear in
 * the pattern times the value, which both are bounded.
 *
 * Times are integers of microseconds since 1970-01-01T00:00:00Z, from the
 * proleptic Gregorian calendar (CQL2 says all times are Gregorian), years
 * 0000 to 9999 as RFC 3339 writes them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "cql2_int.h"

#define US_PER_SECOND INT64_C(1000000)
#define SECONDS_PER_DAY INT64_C(86400)
#define US_PER_DAY (SECONDS_PER_DAY * US_PER_SECOND)
/* Days from 0000-03-01 to 1970-01-01 in the civil-date arithmetic below. */
#define EPOCH_SHIFT_DAYS 719468
#define DAYS_PER_ERA 146097 /* 400 Gregorian years */
/* The Japanese dakuten and handakuten (combining), kept by ACCENTI. */
#define CP_DAKUTEN 0x3099
#define CP_HANDAKUTEN 0x309A
/* RFC 3339 writes four-digit years. */
#define YEAR_MIN 0
#define YEAR_MAX 9999
/* Digits that make a double read back exactly (DBL_DECIMAL_DIG). */
#define DOUBLE_DIGITS_MAX 17
/* Exponents (of ten) whose numbers are written without one: 0.00001 to
 * 999999999999999, as a person writes them. */
#define PLAIN_EXP_MIN (-5)
#define PLAIN_EXP_MAX 14

/* ---- CASEI and ACCENTI ---- */

/* libunistring returns NULL only for bad input (checked before) or when
 * out of memory, which mapsvc treats as fatal (mem.h). */
static char *must(uint8_t *p)
{
	if (!p)
		abort();
	return (char *)p;
}

bool cq_casefold(const char *s, size_t n, char **out, size_t *outn)
{
	if (u8_check((const uint8_t *)s, n))
		return false;
	if (n == 0) {
		*out = xmalloc(1);
		*outn = 0;
		return true;
	}
	*out = must(u8_casefold((const uint8_t *)s, n, NULL, NULL, NULL, outn));
	return true;
}

bool cq_accentfold(const char *s, size_t n, char **out, size_t *outn)
{
	if (u8_check((const uint8_t *)s, n))
		return false;
	if (n == 0) {
		*out = xmalloc(1);
		*outn = 0;
		return true;
	}
	size_t dn;
	uint8_t *d = (uint8_t *)must(u8_normalize(UNINORM_NFD, (const uint8_t *)s, n, NULL, &dn));
	size_t w = 0;
	for (size_t i = 0; i < dn;) {
		ucs4_t uc;
		int len = u8_mbtouc(&uc, d + i, dn - i);
		bool mark =
		    uc_is_general_category(uc, UC_CATEGORY_Mn) && uc != CP_DAKUTEN && uc != CP_HANDAKUTEN;
		if (!mark) {
			memmove(d + w, d + i, (size_t)len);
			w += (size_t)len;
		}
		i += (size_t)len;
	}
	if (w == 0) { /* all marks: u8_normalize wants something to work on */
		free(d);
		*out = xmalloc(1);
		*outn = 0;
		return true;
	}
	*out = must(u8_normalize(UNINORM_NFC, d, w, NULL, outn));
	free(d);
	return true;
}

/* ---- LIKE ---- */

const char *cq_like_check(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\') {
			if (i + 1 == n)
				return "it ends with the escape character '\\' (write '\\\\' for a "
				       "backslash)";
			i++;
		}
	}
	return NULL;
}

/* Bytes of the code point at s[i] (1 for a byte that does not start a
 * valid sequence, so that any input makes progress). */
static size_t cp_len(const char *s, size_t i, size_t n)
{
	ucs4_t uc;
	int len = u8_mbtouc(&uc, (const uint8_t *)s + i, n - i);
	return len > 0 ? (size_t)len : 1;
}

bool cq_like_match(const char *s, size_t sn, const char *p, size_t pn)
{
	size_t si = 0, pi = 0;
	size_t star_pi = SIZE_MAX, star_si = 0; /* just after the last '%', and where it started to match */
	while (si < sn) {
		if (pi < pn && p[pi] == '%') {
			star_pi = ++pi;
			star_si = si;
			continue;
		}
		if (pi < pn) {
			size_t sl = cp_len(s, si, sn);
			if (p[pi] == '_') {
				pi++;
				si += sl;
				continue;
			}
			size_t lit = p[pi] == '\\' ? pi + 1 : pi; /* cq_like_check: never past the end */
			size_t pl = cp_len(p, lit, pn);
			if (pl == sl && !memcmp(p + lit, s + si, sl)) {
				pi = lit + pl;
				si += sl;
				continue;
			}
		}
		if (star_pi == SIZE_MAX)
			return false;
		/* Let the last '%' take one more code point and retry. */
		star_si += cp_len(s, star_si, sn);
		si = star_si;
		pi = star_pi;
	}
	while (pi < pn && p[pi] == '%')
		pi++;
	return pi == pn;
}

/* ---- times ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at s. */
static bool read_digits(const char *s, int n, int *v)
{
	int r = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		r = r * 10 + (s[i] - '0');
	}
	*v = r;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a Gregorian date: counted in 400-year eras
 * from a year that starts on 1 March, so that the leap day is the last
 * day of its year and the month lengths before it follow a fixed rule
 * (153 days per 5 months). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * DAYS_PER_ERA + doe - EPOCH_SHIFT_DAYS;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += EPOCH_SHIFT_DAYS;
	int64_t era = (z >= 0 ? z : z - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
	int64_t doe = z - era * DAYS_PER_ERA;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / (DAYS_PER_ERA - 1)) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* The first and last instants that read back as four-digit years. */
static int64_t time_min(void)
{
	return days_from_civil(YEAR_MIN, 1, 1) * US_PER_DAY;
}

static int64_t time_max(void)
{
	return days_from_civil(YEAR_MAX, 12, 31) * US_PER_DAY + US_PER_DAY - 1;
}

bool cql2_parse_time(const char *s, size_t n, int64_t *time_us, bool *is_date)
{
	int y, mo, d;
	if (n < 10 || !read_digits(s, 4, &y) || s[4] != '-' || !read_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !read_digits(s + 8, 2, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return false;
	int64_t days = days_from_civil(y, mo, d);
	if (n == 10) {
		*time_us = days * US_PER_DAY;
		*is_date = true;
		return true;
	}
	int h, mi, sec;
	if (n < 20 || (s[10] != 'T' && s[10] != 't') || !read_digits(s + 11, 2, &h) || s[13] != ':' ||
	    !read_digits(s + 14, 2, &mi) || s[16] != ':' || !read_digits(s + 17, 2, &sec))
		return false;
	if (h > 23 || mi > 59 || sec > 59)
		return false;
	size_t i = 19;
	int64_t frac = 0;
	if (s[i] == '.') {
		size_t start = ++i;
		int64_t scale = US_PER_SECOND / 10;
		for (; i < n && is_digit(s[i]); i++) {
			frac += (s[i] - '0') * scale; /* digits past microseconds add 0 */
			scale /= 10;
		}
		if (i == start)
			return false;
	}
	int64_t offset_s = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 <= n && (s[i] == '+' || s[i] == '-')) {
		int oh, om;
		if (!read_digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || !read_digits(s + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return false;
		offset_s = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		i += 6;
	} else {
		return false;
	}
	if (i != n)
		return false;
	int64_t t = days * US_PER_DAY + ((int64_t)h * 3600 + mi * 60 + sec - offset_s) * US_PER_SECOND + frac;
	if (t < time_min() || t > time_max())
		return false; /* an offset pushed it out of the years RFC 3339 writes */
	*time_us = t;
	*is_date = false;
	return true;
}

void cq_time_format(struct buf *out, int64_t t, bool is_date)
{
	int64_t days = t / US_PER_DAY, rem = t % US_PER_DAY;
	if (rem < 0) { /* floor, for times before 1970 */
		rem += US_PER_DAY;
		days--;
	}
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	buf_printf(out, "%04d-%02d-%02d", y, m, d);
	if (is_date)
		return;
	int64_t secs = rem / US_PER_SECOND, us = rem % US_PER_SECOND;
	buf_printf(out, "T%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	if (us) {
		char frac[8];
		snprintf(frac, sizeof frac, "%06d", (int)us);
		size_t len = strlen(frac);
		while (frac[len - 1] == '0') /* us != 0: stops at a digit */
			len--;
		buf_printf(out, ".%.*s", (int)len, frac);
	}
	buf_putc(out, 'Z');
}

/* ---- numbers ---- */

void cq_num_format(struct buf *out, double v)
{
	char tmp[40];
	if (v == 0) {
		buf_putc(out, '0');
		return;
	}
	int prec = 1;
	for (; prec <= DOUBLE_DIGITS_MAX; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* %g writes 100 as 1e+02 (fewer digits than the exponent): within the
	 * range where plain decimals are short, write those digits plainly. */
	char *e = strchr(tmp, 'e');
	if (e) {
		int exp10 = atoi(e + 1);
		if (exp10 >= PLAIN_EXP_MIN && exp10 <= PLAIN_EXP_MAX) {
			int decimals = prec - 1 - exp10;
			snprintf(tmp, sizeof tmp, "%.*f", decimals > 0 ? decimals : 0, v);
		}
	}
	for (char *c = tmp; *c; c++)
		if (*c == 'e')
			*c = 'E'; /* CQL2's spelling of the exponent */
	buf_puts(out, tmp);
}

/*
 * colour.c - parsing CSS colours; see colour.h.
 *
 * The functional forms follow CSS Color 4's legacy comma syntax, as
 * MapLibre's examples write it: r, g and b are whole numbers 0..255 and
 * alpha a number 0..1, stored as round(a * 255).  Percentages, hsl() and
 * the space-separated syntax are not accepted: a style that needs them is
 * told so at start-up rather than drawn in a colour nobody chose.
 */
#include "colour.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL_MAX 255
/* "#" and at most eight hex digits (#rrggbbaa) */
#define HEX_MAX_DIGITS 8
#define HEX_BASE 16
/* #rgb doubles each digit: 0xa -> 0xaa, i.e. times 17 */
#define HEX_DOUBLE 17

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The CSS named colours the styles are likely to use (CSS Color 4 §6.1
 * gives the values); "transparent" is rgba(0, 0, 0, 0). */
static const struct {
	const char *name;
	struct rgba c;
} css_names[] = {
    {"transparent", {0, 0, 0, 0}},  {"black", {0, 0, 0, 255}},      {"white", {255, 255, 255, 255}},
    {"red", {255, 0, 0, 255}},      {"green", {0, 128, 0, 255}},    {"blue", {0, 0, 255, 255}},
    {"gray", {128, 128, 128, 255}}, {"grey", {128, 128, 128, 255}}, {"silver", {192, 192, 192, 255}},
    {"maroon", {128, 0, 0, 255}},   {"orange", {255, 165, 0, 255}}, {"yellow", {255, 255, 0, 255}},
    {"purple", {128, 0, 128, 255}}, {"navy", {0, 0, 128, 255}},     {"teal", {0, 128, 128, 255}},
    {"gold", {255, 215, 0, 255}},   {"darkred", {139, 0, 0, 255}},  {"crimson", {220, 20, 60, 255}},
};

/* "rgb(r, g, b)" / "rgba(r, g, b, a)". */
static bool parse_rgb_func(const char *s, struct rgba *out)
{
	static const char rgba_open[] = "rgba(", rgb_open[] = "rgb(";
	bool alpha = strncmp(s, rgba_open, sizeof rgba_open - 1) == 0;
	if (!alpha && strncmp(s, rgb_open, sizeof rgb_open - 1) != 0)
		return false;
	s += alpha ? sizeof rgba_open - 1 : sizeof rgb_open - 1;
	double v[4] = {0, 0, 0, 1};
	int n = alpha ? 4 : 3;
	for (int i = 0; i < n; i++) {
		while (*s == ' ')
			s++;
		char *end;
		errno = 0;
		v[i] = strtod(s, &end);
		if (end == s || errno)
			return false;
		s = end;
		while (*s == ' ')
			s++;
		if (*s != (i == n - 1 ? ')' : ','))
			return false;
		s++;
		if (i < 3 && !(v[i] >= 0 && v[i] <= CHANNEL_MAX && v[i] == floor(v[i])))
			return false;
		if (i == 3 && !(v[i] >= 0 && v[i] <= 1))
			return false;
	}
	if (*s)
		return false;
	*out =
	    (struct rgba){(uint8_t)v[0], (uint8_t)v[1], (uint8_t)v[2], (uint8_t)lround(v[3] * CHANNEL_MAX)};
	return true;
}

/* "#rgb" (each digit doubled, as CSS says), "#rrggbb", "#rrggbbaa". */
static bool parse_hex(const char *s, struct rgba *out)
{
	size_t n = strlen(s);
	int h[HEX_MAX_DIGITS];
	if (n < 2 || n > HEX_MAX_DIGITS + 1)
		return false;
	for (size_t i = 1; i < n; i++)
		if ((h[i - 1] = hexval((unsigned char)s[i])) < 0)
			return false;
	if (n == 4) {
		*out = (struct rgba){(uint8_t)(h[0] * HEX_DOUBLE), (uint8_t)(h[1] * HEX_DOUBLE),
		                     (uint8_t)(h[2] * HEX_DOUBLE), CHANNEL_MAX};
		return true;
	}
	if (n == 7 || n == 9) {
		*out = (struct rgba){(uint8_t)(h[0] * HEX_BASE + h[1]), (uint8_t)(h[2] * HEX_BASE + h[3]),
		                     (uint8_t)(h[4] * HEX_BASE + h[5]),
		                     (uint8_t)(n == 9 ? h[6] * HEX_BASE + h[7] : CHANNEL_MAX)};
		return true;
	}
	return false;
}

bool colour_parse(const char *text, struct rgba *out)
{
	if (text[0] == '#')
		return parse_hex(text, out);
	if (parse_rgb_func(text, out))
		return true;
	for (size_t i = 0; i < sizeof css_names / sizeof css_names[0]; i++)
		if (strcmp(text, css_names[i].name) == 0) {
			*out = css_names[i].c;
			return true;
		}
	return false;
}

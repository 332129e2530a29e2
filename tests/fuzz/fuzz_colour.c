/*
 * fuzz_colour.c - colour_parse on arbitrary text.  A refused text leaves
 * the output alone; an accepted one is of a documented form and survives
 * a round trip: written back as "#rrggbbaa" (or "rgba(r, g, b, a)" when
 * that form can hold the alpha exactly) it parses to the same colour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "render/colour.h"

#define H "fuzz_colour"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0'; /* the text ends at its first NUL, as a C string */
	const struct rgba mark = {1, 2, 3, 4};
	struct rgba c = mark;
	if (!colour_parse(text, &c)) {
		if (memcmp(&c, &mark, sizeof c) != 0)
			fuzz_fail(H, "a refused text changed the output");
		free(text);
		return 0;
	}
	size_t n = strlen(text);
	bool hex = text[0] == '#', func = strncmp(text, "rgb", 3) == 0;
	if (hex && n != 4 && n != 7 && n != 9)
		fuzz_fail(H, "\"%s\": a hex colour of %zu characters", text, n - 1);
	if (hex && n != 9 && c.a != 255)
		fuzz_fail(H, "\"%s\": alpha %d without an alpha digit pair", text, c.a);
	if (strncmp(text, "rgb(", 4) == 0 && c.a != 255)
		fuzz_fail(H, "\"%s\": rgb() with alpha %d", text, c.a);
	if (!hex && !func && strspn(text, "abcdefghijklmnopqrstuvwxyz") != n)
		fuzz_fail(H, "\"%s\": accepted as a name", text);
	char back[64];
	snprintf(back, sizeof back, "#%02x%02x%02x%02x", c.r, c.g, c.b, c.a);
	struct rgba d = mark;
	if (!colour_parse(back, &d) || memcmp(&c, &d, sizeof c) != 0)
		fuzz_fail(H, "\"%s\" -> %s does not read back", text, back);
	if (c.a == 0 || c.a == 255) {
		snprintf(back, sizeof back, "rgba(%d, %d, %d, %d)", c.r, c.g, c.b, c.a / 255);
		d = mark;
		if (!colour_parse(back, &d) || memcmp(&c, &d, sizeof c) != 0)
			fuzz_fail(H, "\"%s\" -> %s does not read back", text, back);
	}
	free(text);
	return 0;
}

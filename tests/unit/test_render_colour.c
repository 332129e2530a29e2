/* test_render_colour.c - CSS colours: the table of texts in
 * tests/data/colour/cases.txt (accepted ones with their value, refused
 * ones), and a refused text leaves the output alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/colour.h"

static int run_table(const char *path)
{
	FILE *f = fopen(path, "r");
	CHECK_MSG(f != NULL, "cannot open %s", path);
	if (!f)
		return 0;
	char line[256];
	int cases = 0, bad = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' && strchr(line, '\t') == NULL)
			continue; /* a comment: every case has a tab */
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = 0;
		const char *text = line, *want = tab + 1;
		struct rgba got = {1, 2, 3, 4};
		bool ok = colour_parse(text, &got);
		if (strcmp(want, "bad") == 0) {
			CHECK_MSG(!ok, "\"%s\" was accepted as %d %d %d %d", text, got.r, got.g, got.b,
			          got.a);
			CHECK_MSG(got.r == 1 && got.g == 2 && got.b == 3 && got.a == 4,
			          "\"%s\": output changed", text);
			bad++;
		} else {
			int r, g, b, a;
			CHECK_MSG(sscanf(want, "%d %d %d %d", &r, &g, &b, &a) == 4, "bad table line \"%s\"",
			          want);
			CHECK_MSG(ok, "\"%s\" was refused", text);
			CHECK_MSG(got.r == r && got.g == g && got.b == b && got.a == a,
			          "\"%s\": %d %d %d %d, want %s", text, got.r, got.g, got.b, got.a, want);
		}
		cases++;
	}
	fclose(f);
	CHECK(bad >= 20 && cases - bad >= 15);
	return cases;
}

/* Every 8-bit value survives #rrggbbaa, and #rgb doubles its digits. */
static void test_hex_roundtrip(void)
{
	int wrong = 0;
	for (int v = 0; v < 256; v++) {
		char text[16];
		snprintf(text, sizeof text, "#%02x%02X%02x%02x", v, 255 - v, v, v);
		struct rgba c;
		wrong += !colour_parse(text, &c) || c.r != v || c.g != 255 - v || c.b != v || c.a != v;
	}
	CHECK_INT(wrong, 0);
	struct rgba c;
	CHECK(colour_parse("#a5f", &c) && c.r == 0xaa && c.g == 0x55 && c.b == 0xff && c.a == 255);
}

int main(void)
{
	CHECK(run_table("data/colour/cases.txt") > 40);
	test_hex_roundtrip();
	return CHECK_DONE();
}

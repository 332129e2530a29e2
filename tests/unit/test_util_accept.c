/*
 * test_util_accept.c - util/accept: the negotiation cases of
 * tests/data/util/accept.txt (JSON or HTML for an Accept field, zh or en
 * for an Accept-Language field), then the weights and kinds of match
 * themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/accept.h"

#define CASES_FILE "data/util/accept.txt"
#define LINE_MAX_BYTES 1024

static const char *const langs[] = {"zh", "en"};

static void test_cases(void)
{
	FILE *f = fopen(CASES_FILE, "r");
	CHECK_MSG(f != NULL, "cannot open %s", CASES_FILE);
	if (!f)
		return;
	char line[LINE_MAX_BYTES];
	int lineno = 0, cases = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		CHECK_MSG(tab != NULL, "%s:%d: no tab", CASES_FILE, lineno);
		if (!tab)
			continue;
		*tab = '\0';
		const char *what = line, *field = tab + 1;
		if (!strcmp(field, "-"))
			field = NULL;
		cases++;
		if (!strcmp(what, "html") || !strcmp(what, "json")) {
			bool html = accept_prefers_html(field, "application/geo+json");
			CHECK_MSG(html == !strcmp(what, "html"), "%s:%d: Accept '%s' gives %s", CASES_FILE,
			          lineno, field ? field : "(none)", html ? "html" : "json");
		} else {
			size_t i = accept_pick_language(field, langs, 2);
			CHECK_MSG(!strcmp(langs[i], what), "%s:%d: Accept-Language '%s' gives %s", CASES_FILE,
			          lineno, field ? field : "(none)", langs[i]);
		}
	}
	fclose(f);
	CHECK(cases >= 60);
}

static void test_weights(void)
{
	enum accept_match how;
	CHECK_NEAR(accept_media_quality(NULL, "text/html", &how), 1, 0);
	CHECK_INT(how, ACCEPT_ANY);
	CHECK_NEAR(accept_media_quality("image/png", "text/html", &how), -1, 0);
	CHECK_INT(how, ACCEPT_NONE);
	CHECK_NEAR(accept_media_quality("text/*;q=0.25, text/html;q=0.5", "text/html", &how), 0.5, 0);
	CHECK_INT(how, ACCEPT_EXACT);
	CHECK_NEAR(accept_media_quality("text/*;q=0.25, */*;q=0.5", "text/csv", &how), 0.25, 0);
	CHECK_INT(how, ACCEPT_MAJOR);
	CHECK_NEAR(accept_media_quality("*/*;q=0.125", "image/png", &how), 0.125, 0);
	CHECK_INT(how, ACCEPT_ANY);
	CHECK_NEAR(accept_media_quality("text/html;Q=0.3", "text/html", NULL), 0.3, 1e-12);
	/* no json_type: application/json alone */
	CHECK(accept_prefers_html("text/html, application/geo+json", NULL));
	CHECK(!accept_prefers_html("text/html, application/geo+json", "application/geo+json"));

	CHECK_NEAR(accept_language_quality("en-US,en;q=0.9,zh;q=0.5", "en"), 1, 0);
	CHECK_NEAR(accept_language_quality("en-US;q=0.3,en;q=0.9", "en"), 0.9, 1e-12);
	CHECK_NEAR(accept_language_quality("de, *;q=0.2", "zh"), 0.2, 1e-12);
	CHECK_NEAR(accept_language_quality("de", "zh"), -1, 0);
	CHECK_NEAR(accept_language_quality(NULL, "zh"), -1, 0);
	static const char *const three[] = {"zh", "en", "ja"};
	CHECK_INT(accept_pick_language("ja, en;q=0.5", three, 3), 2);
	CHECK_INT(accept_pick_language("ja;q=0", three, 3), 0);
}

int main(void)
{
	test_cases();
	test_weights();
	return CHECK_DONE();
}

/*
 * fuzz_accept.c - util/accept on any header text.
 *
 * The first byte chooses the field (even: Accept, odd: Accept-Language);
 * the rest, up to a NUL, is its value.  Besides not crashing or reading
 * past the text, every answer must keep the contract of accept.h:
 *   - a weight is -1 exactly when no range matched, else in 0..1;
 *   - HTML is preferred only when text/html is named, exactly or by the
 *     text wildcard, with a weight above 0 and above JSON's;
 *   - a field with no exact text/html range, extended by "text/html;q=0",
 *     never prefers HTML (that range is then the most specific one);
 *   - the language picked is one of those offered, and another than the
 *     first only when it weighs more than the first and more than 0.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/accept.h"
#include "util/mem.h"

#define H "fuzz_accept"
#define MAX_FIELD 4096

static void check_media(const char *field)
{
	static const char *const types[] = {"text/html", "application/json", "application/geo+json",
	                                    "text/csv"};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		enum accept_match how;
		double q = accept_media_quality(field, types[i], &how);
		if ((how == ACCEPT_NONE) != (q == -1) || (how != ACCEPT_NONE && !(q >= 0 && q <= 1)))
			fuzz_fail(H, "'%s': %s weighs %g with match %d", field, types[i], q, (int)how);
	}
	enum accept_match how;
	double html = accept_media_quality(field, "text/html", &how);
	double json = accept_media_quality(field, "application/json", NULL);
	if (accept_prefers_html(field, NULL) && (how < ACCEPT_MAJOR || html <= 0 || html <= json))
		fuzz_fail(H, "'%s': HTML preferred at %g (match %d) over JSON at %g", field, html, (int)how,
		          json);
	if (how != ACCEPT_EXACT) {
		size_t n = strlen(field);
		char *more = xmalloc(n + 32);
		memcpy(more, field, n);
		strcpy(more + n, ",text/html;q=0");
		if (accept_prefers_html(more, "application/geo+json"))
			fuzz_fail(H, "'%s': HTML preferred though refused", more);
		free(more);
	}
}

static void check_language(const char *field)
{
	static const char *const langs[] = {"zh", "en", "ja"};
	size_t i = accept_pick_language(field, langs, 3);
	if (i >= 3)
		fuzz_fail(H, "'%s': language %zu of 3", field, i);
	double first = accept_language_quality(field, langs[0]),
	       mine = accept_language_quality(field, langs[i]);
	if (i != 0 && !(mine > first && mine > 0))
		fuzz_fail(H, "'%s': %s (%g) picked over %s (%g)", field, langs[i], mine, langs[0], first);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > MAX_FIELD)
		return 0;
	char *field = xstrndup((const char *)data + 1, size - 1); /* stops at a NUL, as a header does */
	if (data[0] % 2 == 0)
		check_media(field);
	else
		check_language(field);
	free(field);
	return 0;
}

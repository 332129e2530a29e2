/*
 * ingest_check.h - the contract both ingest harnesses check (ingest.h):
 * an input either loads, adding only valid sites, or fails with MS_EDATA
 * and a message that says where ("NAME:LINE: ..." or "NAME: ..."), and
 * leaves the set exactly as it was.  Header-only so that each harness
 * stays one translation unit; static functions, nothing exported.
 */
#ifndef MS_FUZZ_INGEST_CHECK_H
#define MS_FUZZ_INGEST_CHECK_H

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "site/site.h"
#include "fuzz.h"
#include "geo/geo.h"
#include "ingest/ingest.h"

typedef enum ms_status (*ingest_fn)(const char *name, const char *data, size_t len, enum coordsys cs,
                                    struct site_set *into, struct ms_error *err);

/* A set that already holds one site, so that "unchanged on failure" and
 * "duplicate of an existing id" are both exercised. */
static struct site_set *fuzz_existing_set(void)
{
	struct site_set *set = site_set_new();
	struct site_draft s = {.lat = 36.8,
	                       .lon = 118.0,
	                       .category = CAT_MUSEUM,
	                       .quality = SITE_QUALITY_STREET,
	                       .uncertainty_m = 100};
	s.field[SITE_ID] = "existing";
	s.field[SITE_NAME_ZH] = "已有";
	s.field[SITE_CATEGORY] = "museum";
	site_set_add(set, &s);
	return set;
}

static size_t fuzz_count_lines(const char *data, size_t len)
{
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += data[i] == '\n';
	return n;
}

/* with_line: the message must be "NAME:LINE: ..." with 1 <= LINE <= lines
 * of the input; otherwise "NAME:LINE: ..." or "NAME: ...". */
static void fuzz_check_message(const char *harness, const char *name, const struct ms_error *err,
                               size_t lines, int require_line)
{
	size_t nl = strlen(name);
	if (strncmp(err->msg, name, nl) != 0 || err->msg[nl] != ':')
		fuzz_fail(harness, "message does not start with '%s:': %s", name, err->msg);
	const char *p = err->msg + nl + 1;
	if (isdigit((unsigned char)*p)) {
		char *end;
		unsigned long long line = strtoull(p, &end, 10);
		if (*end != ':' || line < 1 || line > lines)
			fuzz_fail(harness, "line number outside 1..%zu: %s", lines, err->msg);
	} else if (require_line || *p != ' ') {
		fuzz_fail(harness, "no line number: %s", err->msg);
	}
	if (strlen(err->msg) == nl + 1)
		fuzz_fail(harness, "empty reason: %s", err->msg);
}

static void fuzz_check_site(const char *harness, const struct site *s)
{
	for (int f = 0; f < SITE_NFIELDS; f++)
		if (!site_field(s, f))
			fuzz_fail(harness, "field %d is NULL", f);
	if (!site_field(s, SITE_ID)[0] || !site_field(s, SITE_NAME_ZH)[0])
		fuzz_fail(harness, "a site without id or name_zh was accepted");
	if (!site_coord_valid(s->lat, s->lon))
		fuzz_fail(harness, "site '%s' has coordinates %g, %g", site_field(s, SITE_ID), s->lat,
		          s->lon);
	const char *cat = site_field(s, SITE_CATEGORY);
	if ((int)s->category != site_category_parse(cat, strlen(cat)))
		fuzz_fail(harness, "site '%s': category %d disagrees with '%s'", site_field(s, SITE_ID),
		          s->category, cat);
	if (!site_extra(s) || site_extra(s)[0] != '{')
		fuzz_fail(harness, "site '%s': extra is not a JSON object text", site_field(s, SITE_ID));
	if (!site_uncertainty_valid(s->quality, site_uncertainty(s)))
		fuzz_fail(harness, "site '%s': position %d with radius %g was accepted",
		          site_field(s, SITE_ID), (int)s->quality, site_uncertainty(s));
}

static int fuzz_cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Runs fn over data in each input coordinate system and checks the
 * contract.  The copy is exactly size bytes with no NUL after it: the
 * readers take a length and must not look further. */
static void fuzz_ingest(const char *harness, ingest_fn fn, const char *name, int require_line,
                        const uint8_t *data, size_t size)
{
	static const enum coordsys systems[] = {COORDSYS_WGS84, COORDSYS_GCJ02, COORDSYS_BD09};
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	size_t lines = fuzz_count_lines(text, size);
	for (size_t k = 0; k < sizeof systems / sizeof systems[0]; k++) {
		struct site_set *set = fuzz_existing_set();
		const struct site before = set->v[0]; /* its text stays in the set */
		struct ms_error err = {0};
		enum ms_status st = fn(name, text, size, systems[k], set, &err);
		if (st == MS_OK) {
			if (set->n < 1)
				fuzz_fail(harness, "the existing site vanished");
			const char **ids = malloc(set->n * sizeof *ids);
			if (!ids)
				abort();
			for (size_t i = 0; i < set->n; i++) {
				fuzz_check_site(harness, &set->v[i]);
				ids[i] = site_field(&set->v[i], SITE_ID);
			}
			qsort(ids, set->n, sizeof *ids, fuzz_cmp_id);
			for (size_t i = 1; i < set->n; i++)
				if (!strcmp(ids[i - 1], ids[i]))
					fuzz_fail(harness, "id '%s' accepted twice", ids[i]);
			free(ids);
		} else if (st == MS_EDATA) {
			fuzz_check_message(harness, name, &err, lines, require_line);
			if (set->n != 1 ||
			    strcmp(site_field(&set->v[0], SITE_ID), site_field(&before, SITE_ID)) ||
			    set->v[0].lat != before.lat || set->v[0].lon != before.lon)
				fuzz_fail(harness, "the set changed on failure (%zu sites): %s", set->n,
				          err.msg);
		} else {
			fuzz_fail(harness, "status %d (%s), expected MS_OK or MS_EDATA: %s", (int)st,
			          ms_status_str(st), err.msg);
		}
		site_set_free(set);
	}
	free(text);
}

#endif

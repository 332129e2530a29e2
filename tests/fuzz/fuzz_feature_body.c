/* fuzz_feature_body.c - the Part 4 body parser (ingest_feature_body): the
 * first byte picks a merge patch (even) or a whole Feature (odd), the rest
 * is the body, applied to one fixed site.  Any bytes either give exactly
 * one site that import would take (id kept, position, category, quality
 * and radius valid) and that reads back from its own export to the same
 * site, or fail with MS_EUSAGE / MS_EDATA, a message, and nothing added. */
#include <string.h>

#include "../../mapsvc/ingest/ingest.h"
#include "fuzz.h"

#define H "fuzz_feature_body"
#define ID "fz-1"

static const struct site_draft before_draft = {
    .field = {[SITE_ID] = ID,
              [SITE_NAME_ZH] = "纪念馆",
              [SITE_NAME_EN] = "Memorial",
              [SITE_CATEGORY] = "memorial_hall",
              [SITE_COUNTY] = "高台县",
              [SITE_TOWN] = "",
              [SITE_ADDRESS] = "",
              [SITE_DESCRIPTION] = "",
              [SITE_OPENING_HOURS] = "Mo-Su 09:00-17:00",
              [SITE_OPENING_HOURS_TEXT] = "",
              [SITE_COORD_SOURCE] = "",
              [SITE_CONFIDENCE] = "",
              [SITE_SOURCE_URL] = ""},
    .lat = 39.38,
    .lon = 99.83,
    .category = CAT_MEMORIAL_HALL,
    .quality = SITE_QUALITY_COUNTY,
    .uncertainty_m = 30000,
    .extra = "{\"x\":[1,2]}",
};

static void check_site(const struct site *s)
{
	if (strcmp(site_field(s, SITE_ID), ID) != 0)
		fuzz_fail(H, "id '%s' is not the item's", site_field(s, SITE_ID));
	if (!site_coord_valid(s->lat, s->lon) || !site_uncertainty_valid(s->quality, site_uncertainty(s)) ||
	    (unsigned)s->category >= CAT_COUNT || !site_field(s, SITE_NAME_ZH)[0])
		fuzz_fail(H, "an invalid site was accepted");
	/* its export reads back to the same site */
	struct buf b = BUF_INIT;
	struct ms_error err;
	if (ingest_export_feature(s, &b, &err) != MS_OK)
		fuzz_fail(H, "accepted site does not export: %s", err.msg);
	struct site_set *again = site_set_new();
	const struct site *t;
	if (ingest_feature_body(b.data, b.len, INGEST_BODY_FEATURE, ID, NULL, COORDSYS_WGS84, again, &t,
	                        &err) != MS_OK)
		fuzz_fail(H, "its export is refused: %s", err.msg);
	if (site_hash(t) != site_hash(s))
		fuzz_fail(H, "its export reads back to another site");
	site_set_free(again);
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum ingest_body_kind kind = data[0] & 1 ? INGEST_BODY_FEATURE : INGEST_BODY_MERGE_PATCH;
	struct site_set *held = site_set_new();
	const struct site *before = site_set_add(held, &before_draft);
	struct site_set *set = site_set_new();
	const struct site *out = NULL;
	struct ms_error err = {0};
	enum ms_status st = ingest_feature_body((const char *)data + 1, size - 1, kind, ID, before,
	                                        COORDSYS_WGS84, set, &out, &err);
	if (st == MS_OK) {
		if (!out || set->n != 1)
			fuzz_fail(H, "success without exactly one site");
		check_site(out);
	} else {
		if (st != MS_EUSAGE && st != MS_EDATA)
			fuzz_fail(H, "status %d", (int)st);
		if (out || set->n || !err.msg[0])
			fuzz_fail(H, "a failure added a site or said nothing");
	}
	site_set_free(set);
	site_set_free(held);
	return 0;
}

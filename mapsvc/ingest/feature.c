/*
 * feature.c - the bodies of OGC API - Features Part 4 writes: a GeoJSON
 * Feature (create, replace) or a JSON merge patch of one (update, RFC
 * 7396), turned into one validated site; see ingest.h.
 *
 * A body is what a client sends over the network, so it is read at least
 * as strictly as a file: bounded before parsing, no raw NUL (jansson
 * would skip one between tokens), no duplicate member (which of two
 * "name_zh" would win is a guess), and UTF-8 checked (jansson refuses
 * ill-formed text and encoded surrogates).  What the body means is then
 * decided by the code every import uses: the GeoJSON reader's feature
 * rules (ingest_feature_row) and ingest_row_validate, so that an edit
 * can never store a site an import would refuse.
 *
 * A merge patch is applied to the Feature the export writes of the site
 * before the change, so "what a property is called" is the same in an
 * export, a GET and a patch.  One rule is added to RFC 7396's: a patch
 * that sets position_quality but not position_uncertainty_m drops the
 * old radius, so the new quality gets its default one, as an import row
 * with a quality and no radius does: otherwise raising an approximate
 * site to "surveyed" would keep its kilometres of radius and be refused.
 */
#include "ingest_int.h"

#include <stdlib.h>
#include <string.h>

#include "../util/jsonpos.h"

/* RFC 7396 §2: the patched value (a new reference; target is consumed). */
static json_t *merge_patch(json_t *target, json_t *patch)
{
	if (!json_is_object(patch)) {
		json_decref(target);
		return json_incref(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	const char *key;
	json_t *v;
	json_object_foreach(patch, key, v)
	{
		if (json_is_null(v)) {
			json_object_del(target, key);
			continue;
		}
		json_t *old = json_incref(json_object_get(target, key));
		json_object_set_new(target, key, merge_patch(old, v));
	}
	return target;
}

/* The radius rule of the top comment. */
static void drop_stale_radius(json_t *result, const json_t *patch)
{
	const json_t *pp = json_object_get(patch, "properties");
	if (json_is_object(pp) && json_object_get(pp, SITE_COLUMN_QUALITY) &&
	    !json_object_get(pp, SITE_COLUMN_UNCERTAINTY))
		json_object_del(json_object_get(result, "properties"), SITE_COLUMN_UNCERTAINTY);
}

/* The Feature of before, parsed back (a new reference). */
static json_t *before_feature(const struct site *before, struct ms_error *err)
{
	struct buf b = BUF_INIT;
	json_t *f = NULL;
	if (ingest_export_feature(before, &b, err) == MS_OK) {
		f = json_loadb(b.data, b.len, 0, NULL);
		if (!f)
			ms_fail(err, MS_EINTERNAL, "site '%s': its own feature does not read back",
			        site_field(before, SITE_ID));
	}
	buf_free(&b);
	return f;
}

/* The Feature the body stands for (a new reference), or NULL with err. */
static json_t *body_feature(json_t *body, enum ingest_body_kind kind, const struct site *before,
                            struct ms_error *err)
{
	if (kind == INGEST_BODY_FEATURE)
		return json_incref(body);
	if (!before) {
		ms_fail(err, MS_EINTERNAL, "a merge patch needs the site it patches");
		return NULL;
	}
	json_t *f = before_feature(before, err);
	if (!f)
		return NULL;
	f = merge_patch(f, body);
	drop_stale_radius(f, body);
	return f;
}

enum ms_status ingest_feature_body(const char *data, size_t len, enum ingest_body_kind kind, const char *id,
                                   const struct site *before, enum coordsys cs, struct site_set *into,
                                   const struct site **out, struct ms_error *err)
{
	*out = NULL;
	if (len > INGEST_BODY_MAX)
		return ms_fail(err, MS_EUSAGE, "body: %zu bytes, more than %zu", len, INGEST_BODY_MAX);
	if (!jsonpos_refuse_nul("body", data, len, err))
		return MS_EUSAGE;
	json_error_t jerr;
	json_t *body = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr), *f = NULL;
	char *extra = NULL;
	enum ms_status st = MS_OK;
	if (!body) {
		st = ms_fail(err, MS_EUSAGE, "body:%d:%d: JSON: %s", jerr.line, jerr.column, jerr.text);
		goto done;
	}
	if (!json_is_object(body)) {
		st = ms_fail(err, MS_EUSAGE, "body: not a JSON object");
		goto done;
	}
	if (!(f = body_feature(body, kind, before, err))) {
		st = err->status;
		goto done;
	}
	/* The item's id is the URL's: a body may leave it out. */
	const json_t *props = json_object_get(f, "properties");
	if (id && !json_object_get(f, "id") && !json_object_get(props, "id"))
		json_object_set_new(f, "id", json_string(id));
	struct ingest_row row;
	char fid[INGEST_ID_BUF];
	if ((st = ingest_feature_row(f, &row, fid, &extra, err)) != MS_OK ||
	    (st = ingest_row_validate(&row, cs, err)) != MS_OK) {
		ms_error_prefix(err, "body: ");
		goto done;
	}
	if (id && strcmp(fid, id) != 0) {
		st = ms_fail(err, MS_EDATA, "body: id '%s' is not the id of the item written, '%s'", fid, id);
		goto done;
	}
	*out = site_set_add(into, &row.site);
done:
	free(extra);
	json_decref(f);
	json_decref(body);
	return st;
}

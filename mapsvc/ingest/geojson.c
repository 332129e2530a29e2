/*
 * geojson.c - the GeoJSON reader (RFC 7946): a FeatureCollection of Point
 * features, parsed with jansson.
 *
 * A feature's id is its "id" member (RFC 7946 §3.2: string or number) or,
 * failing that, properties.id; both present and different is an error.
 * Properties named like fields of the model must be strings (or null),
 * position_uncertainty_m a number (or null); every other property is kept
 * as given, any JSON, in site.extra.
 * Positions are [lon, lat] with an optional altitude, which is dropped.
 *
 * Errors say "NAME:LINE: feature N: reason": jansson keeps no positions,
 * so the line of the failing feature is found afterwards, by walking the
 * text along its path (util/jsonpos.h); the good path pays nothing.
 */
#include "ingest_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/jsonpos.h"
#include "../util/mem.h"

/* An id as text: a string as it is, an integer in decimal.  Returns false
 * for any other JSON type. */
static bool id_text(const json_t *v, char *out, size_t size)
{
	if (json_is_string(v)) {
		snprintf(out, size, "%s", json_string_value(v));
		return strlen(json_string_value(v)) < size;
	}
	if (json_is_integer(v)) {
		snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return true;
	}
	return false;
}

enum ms_status ingest_feature_row(const json_t *f, struct ingest_row *row, char id[INGEST_ID_BUF],
                                  char **extra_text, struct ms_error *err)
{
	*extra_text = NULL;
	memset(row, 0, sizeof *row);
	if (!json_is_object(f))
		return ms_fail(err, MS_EDATA, "not a JSON object");
	const char *type = json_string_value(json_object_get(f, "type"));
	if (!type || strcmp(type, "Feature") != 0)
		return ms_fail(err, MS_EDATA, "type is %s%s%s, not \"Feature\"", type ? "\"" : "",
		               type ? type : "missing", type ? "\"" : "");

	const json_t *geom = json_object_get(f, "geometry");
	if (!json_is_object(geom))
		return ms_fail(err, MS_EDATA, "geometry is %s",
		               geom && !json_is_null(geom) ? "not an object" : "missing or null");
	const char *gtype = json_string_value(json_object_get(geom, "type"));
	if (!gtype || strcmp(gtype, "Point") != 0)
		return ms_fail(err, MS_EDATA, "geometry type is %s%s%s, not \"Point\"", gtype ? "\"" : "",
		               gtype ? gtype : "missing", gtype ? "\"" : "");
	const json_t *coords = json_object_get(geom, "coordinates");
	size_t nc = json_array_size(coords);
	if (!json_is_array(coords) || nc < 2 || nc > 3)
		return ms_fail(err, MS_EDATA, "coordinates must be an array [lon, lat] or [lon, lat, alt]");
	for (size_t i = 0; i < nc; i++)
		if (!json_is_number(json_array_get(coords, i)))
			return ms_fail(err, MS_EDATA, "coordinates[%zu] is not a number", i);

	const json_t *props = json_object_get(f, "properties");
	if (props && !json_is_null(props) && !json_is_object(props))
		return ms_fail(err, MS_EDATA, "properties is not an object");

	char pid[INGEST_ID_BUF] = "";
	id[0] = '\0';
	const json_t *fid = json_object_get(f, "id"), *ppid = json_object_get(props, "id");
	if (fid && !id_text(fid, id, INGEST_ID_BUF))
		return ms_fail(err, MS_EDATA, "id must be a string or an integer of at most %d bytes",
		               INGEST_MAX_ID);
	if (ppid && !json_is_null(ppid) && !id_text(ppid, pid, sizeof pid))
		return ms_fail(err, MS_EDATA,
		               "properties.id must be a string or an integer of at most %d bytes",
		               INGEST_MAX_ID);
	if (!fid && (!ppid || json_is_null(ppid)))
		return ms_fail(err, MS_EDATA, "no id (neither the feature's \"id\" nor properties.id)");
	if (fid && ppid && !json_is_null(ppid) && strcmp(id, pid) != 0)
		return ms_fail(err, MS_EDATA, "id '%s' and properties.id '%s' differ", id, pid);
	if (!fid)
		memcpy(id, pid, sizeof pid);

	struct site_draft *s = &row->site;
	s->field[SITE_ID] = id;
	s->lon = json_number_value(json_array_get(coords, 0));
	s->lat = json_number_value(json_array_get(coords, 1));

	json_t *extra = json_object();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)props, key, v)
	{
		int fi = site_field_parse(key);
		if (fi == SITE_ID)
			continue; /* handled above */
		if (strcmp(key, SITE_COLUMN_UNCERTAINTY) == 0) {
			if (json_is_null(v))
				continue;
			if (!json_is_number(v)) {
				json_decref(extra);
				return ms_fail(err, MS_EDATA, "property %s must be a number", key);
			}
			row->has_uncertainty = true;
			row->uncertainty_m = json_number_value(v);
			continue;
		}
		if (fi >= 0 || strcmp(key, SITE_COLUMN_QUALITY) == 0) {
			if (json_is_null(v))
				continue;
			if (!json_is_string(v)) {
				json_decref(extra);
				return ms_fail(err, MS_EDATA, "property %s must be a string", key);
			}
			if (json_string_length(v) > INGEST_MAX_FIELD ||
			    strlen(json_string_value(v)) != json_string_length(v)) {
				json_decref(extra);
				return ms_fail(err, MS_EDATA,
				               "property %s is longer than %zu bytes or holds a NUL", key,
				               INGEST_MAX_FIELD);
			}
			if (fi >= 0)
				s->field[fi] = json_string_value(v);
			else
				row->quality = json_string_value(v);
		} else if (strcmp(key, "lat") != 0 && strcmp(key, "lon") != 0) {
			/* lat/lon are the model's coordinates: the geometry gives them. */
			json_object_set(extra, key, v);
		}
	}
	/* Keys sorted, as the export writes them: a feature and its export
	 * read back to the same site (and the same site_hash, the ETag). */
	*extra_text = json_dumps(extra, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(extra);
	s->extra = *extra_text;
	return MS_OK;
}

static enum ms_status read_feature(struct ingest_batch *b, const json_t *f, size_t n, struct ms_error *err)
{
	struct ingest_row row;
	char id[INGEST_ID_BUF], *extra_text;
	enum ms_status st = ingest_feature_row(f, &row, id, &extra_text, err);
	if (st == MS_OK)
		st = ingest_batch_add(b, &row, n + 1, err);
	free(extra_text);
	return st;
}

/* The line where the value at path[0..n) starts in the text. */
static int line_of(const char *data, size_t len, const struct jsonpos_seg *path, int n)
{
	int line;
	jsonpos_line_col(data, len, jsonpos_locate(data, len, path, n), &line, NULL);
	return line;
}

enum ms_status ingest_geojson(const char *name, const char *data, size_t len, enum coordsys cs,
                              struct site_set *into, struct ms_error *err)
{
	if (len > INGEST_MAX_FILE)
		return ms_fail(err, MS_EDATA, "%s: %zu bytes, more than the %zu a site file may have", name,
		               len, INGEST_MAX_FILE);
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) /* RFC 8259 §8.1: a parser MAY ignore a BOM */
		data += 3, len -= 3;
	if (!jsonpos_refuse_nul(name, data, len, err))
		return MS_EDATA;
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ms_fail(err, MS_EDATA, "%s:%d: JSON: %s", name, jerr.line, jerr.text);

	enum ms_status st = MS_OK;
	const char *type = json_string_value(json_object_get(root, "type"));
	const json_t *features = json_object_get(root, "features");
	struct jsonpos_seg at[] = {{"features", 0}, {NULL, 0}};
	if (!json_is_object(root) || !type || strcmp(type, "FeatureCollection") != 0) {
		st = ms_fail(err, MS_EDATA, "%s:%d: not a GeoJSON FeatureCollection", name,
		             line_of(data, len, at, 0));
	} else if (!json_is_array(features)) {
		st = ms_fail(err, MS_EDATA, "%s:%d: \"features\" is not an array", name,
		             line_of(data, len, at, 1));
	} else {
		struct ingest_batch b;
		ingest_batch_init(&b, cs, INGEST_FEATURE, into);
		for (size_t i = 0; i < json_array_size(features) && st == MS_OK; i++) {
			st = read_feature(&b, json_array_get(features, i), i, err);
			at[1].index = i;
			if (st != MS_OK)
				ms_error_prefix(err, "%s:%d: feature %zu: ", name, line_of(data, len, at, 2),
				                i);
		}
		if (st == MS_OK)
			ingest_batch_commit(&b, into);
		ingest_batch_free(&b);
	}
	json_decref(root);
	return st;
}

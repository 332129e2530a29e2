/*
 * export.c - the export writers: a set of sites as CSV or GeoJSON that the
 * readers of this folder read back into equal sites; see ingest.h.
 *
 * What "equal" takes:
 *   - numbers: coordinates and radii are doubles, and six decimals would
 *     round a GCJ-02 conversion's 1e-9 degrees away, so each is written
 *     with the fewest decimals that parse back to the same double
 *     (fixed notation, which every GIS tool reads; %.17g only for the
 *     rare value fixed notation cannot hold);
 *   - extra properties: every key of every site becomes a CSV column, so
 *     the header is the sorted union of keys; the GeoJSON writes each
 *     site's own keys, sorted too, so that a second export of a first
 *     export's import is the same bytes whatever order an input used;
 *   - what CSV cannot say is refused rather than lost silently: an
 *     extra key that is empty or a field the reader would refuse (too
 *     long, too many columns).
 * The writers need the whole export in memory (a buf), as the readers
 * need the whole input: a million sites are a few hundred megabytes.
 */
#include "ingest_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/jsonw.h"
#include "../util/mem.h"
#include "../util/numparse.h"

/* Enough for "%.17g" of any double and for any fixed notation this file
 * accepts (coordinates, radii up to SITE_UNCERTAINTY_MAX_M). */
#define NUM_TEXT 64
/* A double needs at most 17 significant digits to be read back exactly
 * (IEEE 754-2008 §5.12.2). */
#define DOUBLE_DIGITS 17

/* The shortest fixed-notation text of v that reads back as v. */
static void format_number(double v, char out[NUM_TEXT])
{
	double back;
	if (fabs(v) < 1e21) { /* above, %f prints more digits than a double has */
		for (int d = 0; d <= DOUBLE_DIGITS; d++) {
			snprintf(out, NUM_TEXT, "%.*f", d, v);
			if (ms_parse_decimal_str(out, &back) && back == v)
				return;
		}
	}
	snprintf(out, NUM_TEXT, "%.*g", DOUBLE_DIGITS, v);
}

/* The extra properties of s, parsed; NULL with MS_EDATA when they are not
 * a JSON object. */
static json_t *parse_extra(const struct site *s, struct ms_error *err)
{
	json_t *o = json_loads(site_extra(s), JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		ms_fail(err, MS_EDATA, "site '%s': its extra properties are not a JSON object",
		        site_field(s, SITE_ID));
		return NULL;
	}
	return o;
}

/* A key the model owns: an extra by that name would be read back as the
 * column (or refused twice over), so the writers refuse it. */
static enum ms_status check_key(const struct site *s, const char *key, struct ms_error *err)
{
	for (int c = 0; c < SITE_NCOLUMNS; c++)
		if (strcmp(key, site_columns[c].name) == 0)
			return ms_fail(err, MS_EDATA,
			               "site '%s': extra property '%s' has the name of a column",
			               site_field(s, SITE_ID), key);
	return MS_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of o, sorted bytewise; free the array (the strings are o's). */
static const char **sorted_keys(json_t *o, size_t *n)
{
	*n = json_object_size(o);
	const char **keys = xmalloc((*n ? *n : 1) * sizeof *keys);
	size_t i = 0;
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, *n, sizeof *keys, cmp_str);
	return keys;
}

/* --- CSV ---------------------------------------------------------------- */

/* A sorted set of the extra keys of all sites (owned copies). */
struct keyset {
	char **v;
	size_t n, cap;
};

static void keyset_add(struct keyset *ks, const char *k)
{
	size_t lo = 0, hi = ks->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ks->v[mid], k);
		if (c == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 16;
		ks->v = xrealloc(ks->v, ks->cap * sizeof *ks->v);
	}
	memmove(ks->v + lo + 1, ks->v + lo, (ks->n - lo) * sizeof *ks->v);
	ks->v[lo] = xstrdup(k);
	ks->n++;
}

static void keyset_free(struct keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->v[i]);
	free(ks->v);
}

/* Appends one field, quoted when RFC 4180 §2 requires it (a comma, a
 * quote, CR or LF), quotes doubled. */
static void csv_field(struct buf *out, const char *s, size_t n)
{
	if (!memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\r', n) && !memchr(s, '\n', n)) {
		buf_append(out, s, n);
		return;
	}
	buf_putc(out, '"');
	for (const char *p = s, *end = s + n; p < end;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		size_t run = q ? (size_t)(q - p) + 1 : (size_t)(end - p);
		buf_append(out, p, run);
		if (q)
			buf_putc(out, '"');
		p += run;
	}
	buf_putc(out, '"');
}

/* The text of an extra value in a CSV cell: a string as it is, null as
 * nothing, anything else as its JSON. */
static enum ms_status csv_extra(struct buf *out, const struct site *s, const char *key, json_t *v,
                                struct ms_error *err)
{
	char *dumped = NULL;
	const char *text = "";
	size_t n = 0;
	if (json_is_string(v)) {
		text = json_string_value(v);
		n = json_string_length(v);
	} else if (v && !json_is_null(v)) {
		dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		text = dumped;
		n = strlen(dumped);
	}
	enum ms_status st = MS_OK;
	if (n > INGEST_MAX_FIELD)
		st = ms_fail(err, MS_EDATA,
		             "site '%s': property '%s' is %zu bytes, more than the %zu of a CSV field",
		             site_field(s, SITE_ID), key, n, INGEST_MAX_FIELD);
	else
		csv_field(out, text, n);
	free(dumped);
	return st;
}

/* Site i of a selection: sites[idx[i]], or sites[i] without idx. */
static const struct site *nth(const struct site *sites, const uint32_t *idx, size_t i)
{
	return &sites[idx ? idx[i] : i];
}

enum ms_status ingest_export_csv_sites(const struct site *sites, const uint32_t *idx, size_t n,
                                       struct buf *out, struct ms_error *err)
{
	struct keyset keys = {0};
	enum ms_status st = MS_OK;
	for (size_t i = 0; i < n && st == MS_OK; i++) {
		const struct site *s = nth(sites, idx, i);
		if (strcmp(site_extra(s), "{}") == 0)
			continue;
		json_t *o = parse_extra(s, err);
		if (!o) {
			st = MS_EDATA;
			break;
		}
		const char *k;
		json_t *v;
		json_object_foreach(o, k, v)
		{
			(void)v;
			if (st != MS_OK)
				break;
			if (!k[0])
				st = ms_fail(
				    err, MS_EDATA,
				    "site '%s': an extra property with an empty name cannot be a CSV column "
				    "(export as GeoJSON)",
				    site_field(s, SITE_ID));
			else
				st = check_key(s, k, err);
			keyset_add(&keys, k);
		}
		json_decref(o);
	}
	if (st == MS_OK && SITE_NCOLUMNS + keys.n > INGEST_MAX_COLUMNS)
		st = ms_fail(err, MS_EDATA, "%zu columns, more than the %d a CSV file of sites may have",
		             SITE_NCOLUMNS + keys.n, INGEST_MAX_COLUMNS);
	if (st != MS_OK)
		goto done;

	for (int c = 0; c < SITE_NCOLUMNS; c++) {
		if (c)
			buf_putc(out, ',');
		buf_puts(out, site_columns[c].name);
	}
	for (size_t k = 0; k < keys.n; k++) {
		buf_putc(out, ',');
		csv_field(out, keys.v[k], strlen(keys.v[k]));
	}
	buf_puts(out, "\r\n");

	for (size_t i = 0; i < n && st == MS_OK; i++) {
		const struct site *s = nth(sites, idx, i);
		char num[NUM_TEXT];
		for (int c = 0; c < SITE_NCOLUMNS; c++) {
			if (c)
				buf_putc(out, ',');
			switch (site_columns[c].kind) {
			case SITE_COL_TEXT: {
				const char *t = site_field(s, site_columns[c].field);
				csv_field(out, t, strlen(t));
				break;
			}
			case SITE_COL_LAT: format_number(s->lat, num), buf_puts(out, num); break;
			case SITE_COL_LON: format_number(s->lon, num), buf_puts(out, num); break;
			case SITE_COL_QUALITY: buf_puts(out, site_quality_name(s->quality)); break;
			case SITE_COL_UNCERTAINTY:
				format_number(site_uncertainty(s), num), buf_puts(out, num);
				break;
			}
		}
		if (keys.n) {
			json_t *o = strcmp(site_extra(s), "{}") ? parse_extra(s, err) : json_object();
			if (!o) {
				st = MS_EDATA;
				break;
			}
			for (size_t k = 0; k < keys.n && st == MS_OK; k++) {
				buf_putc(out, ',');
				st = csv_extra(out, s, keys.v[k], json_object_get(o, keys.v[k]), err);
			}
			json_decref(o);
		}
		buf_puts(out, "\r\n");
	}
done:
	keyset_free(&keys);
	return st;
}

enum ms_status ingest_export_csv(const struct site_set *set, struct buf *out, struct ms_error *err)
{
	return ingest_export_csv_sites(set->v, NULL, set->n, out, err);
}

/* --- GeoJSON ------------------------------------------------------------ */

static void json_number(struct jsonw *w, double v)
{
	char num[NUM_TEXT];
	format_number(v, num);
	jw_raw(w, num);
}

static enum ms_status geojson_feature(struct jsonw *w, const struct site *s, struct ms_error *err)
{
	json_t *o = parse_extra(s, err);
	if (!o)
		return MS_EDATA;
	jw_object_begin(w);
	jw_key(w, "type");
	jw_string(w, "Feature");
	jw_key(w, "id");
	jw_string(w, site_field(s, SITE_ID));
	jw_key(w, "geometry");
	jw_object_begin(w);
	jw_key(w, "type");
	jw_string(w, "Point");
	jw_key(w, "coordinates");
	jw_array_begin(w);
	json_number(w, s->lon);
	json_number(w, s->lat);
	jw_array_end(w);
	jw_object_end(w);
	jw_key(w, "properties");
	jw_object_begin(w);
	for (int c = 0; c < SITE_NCOLUMNS; c++) {
		switch (site_columns[c].kind) {
		case SITE_COL_TEXT:
			jw_key(w, site_columns[c].name);
			jw_string(w, site_field(s, site_columns[c].field));
			break;
		case SITE_COL_LAT:
		case SITE_COL_LON: break; /* the geometry holds them */
		case SITE_COL_QUALITY:
			jw_key(w, site_columns[c].name);
			jw_string(w, site_quality_name(s->quality));
			break;
		case SITE_COL_UNCERTAINTY:
			jw_key(w, site_columns[c].name);
			json_number(w, site_uncertainty(s));
			break;
		}
	}
	size_t n;
	const char **keys = sorted_keys(o, &n);
	enum ms_status st = MS_OK;
	for (size_t k = 0; k < n && st == MS_OK; k++) {
		if ((st = check_key(s, keys[k], err)) != MS_OK)
			break;
		char *v = json_dumps(json_object_get(o, keys[k]),
		                     JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		jw_key(w, keys[k]);
		jw_raw(w, v);
		free(v);
	}
	free(keys);
	jw_object_end(w);
	jw_object_end(w);
	json_decref(o);
	return st;
}

enum ms_status ingest_export_feature(const struct site *s, struct buf *out, struct ms_error *err)
{
	struct jsonw w;
	jw_init(&w, out);
	return geojson_feature(&w, s, err);
}

enum ms_status ingest_export_geojson(const struct site_set *set, struct buf *out, struct ms_error *err)
{
	/* One feature a line: diffs of two exports show the sites that changed. */
	buf_puts(out, "{\"type\":\"FeatureCollection\",\"features\":[\n");
	for (size_t i = 0; i < set->n; i++) {
		struct jsonw w;
		jw_init(&w, out);
		if (geojson_feature(&w, &set->v[i], err) != MS_OK)
			return MS_EDATA;
		buf_puts(out, i + 1 < set->n ? ",\n" : "\n");
	}
	buf_puts(out, "]}\n");
	return MS_OK;
}

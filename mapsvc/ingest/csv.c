/*
 * csv.c - the CSV reader (RFC 4180) on top of libcsv in strict mode.
 *
 * libcsv does the quoting; this file adds what it does not know: physical
 * line numbers, the header, and the data model.  libcsv reports a field
 * only when it ends and a record only when its terminator arrives, so to
 * know on which line a record *starts* (quoted fields may span lines) the
 * input is fed one physical line at a time: a record starts on the first
 * non-empty line fed while no record is open, and ends at the record
 * callback.  Blank lines between records are skipped, as libcsv does.
 */
#include "ingest_int.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/numparse.h"
#include "../util/mem.h"
#include "../util/utf8.h"

/* What a column holds: a text field of the model, a coordinate, one of
 * the position columns, or an extra property. */
enum { COL_LAT = SITE_NFIELDS, COL_LON, COL_QUALITY, COL_UNCERTAINTY, COL_EXTRA };

struct csv_reader {
	const char *name;
	struct ms_error *err;
	enum ms_status st;

	size_t line;     /* physical line being fed (1-based) */
	size_t rec_line; /* line where the open record started */
	bool in_record;

	/* The open record: NUL-terminated field texts back to back. */
	struct buf text;
	size_t *off, *len;
	size_t nf;

	/* The header. */
	bool have_header;
	size_t ncols;
	int *col_kind;
	char **col_name;
	bool has_extra;

	struct ingest_batch batch;
};

static void fail(struct csv_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first error as "FILE:LINE: reason"; later ones are ignored
 * (libcsv keeps calling back until the fed chunk is done). */
static void fail(struct csv_reader *r, const char *fmt, ...)
{
	if (r->st != MS_OK)
		return;
	char reason[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	r->st = ms_fail(r->err, MS_EDATA, "%s:%zu: %s", r->name, r->rec_line, reason);
}

/* Never treat spaces as padding: RFC 4180 §2 makes them part of a field. */
static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void on_field(void *data, size_t len, void *ctx)
{
	struct csv_reader *r = ctx;
	if (r->st != MS_OK)
		return;
	if (!r->in_record) { /* a record resumed after a bare CR mid-line */
		r->in_record = true;
		r->rec_line = r->line;
	}
	if (r->nf == INGEST_MAX_COLUMNS) {
		fail(r, "more than %d fields", INGEST_MAX_COLUMNS);
		return;
	}
	if (len > INGEST_MAX_FIELD) {
		fail(r, "field %zu%s%s is %zu bytes, more than %zu", r->nf + 1,
		     r->have_header && r->nf < r->ncols ? " " : "",
		     r->have_header && r->nf < r->ncols ? r->col_name[r->nf] : "", len, INGEST_MAX_FIELD);
		return;
	}
	if (r->nf == 0)
		buf_reset(&r->text);
	r->off[r->nf] = r->text.len;
	r->len[r->nf] = len;
	buf_append(&r->text, data ? data : "", len);
	buf_putc(&r->text, '\0');
	r->nf++;
}

static const char *field(const struct csv_reader *r, size_t i)
{
	return r->text.data + r->off[i];
}

static void read_header(struct csv_reader *r)
{
	r->ncols = r->nf;
	r->col_kind = xcalloc(r->ncols, sizeof *r->col_kind);
	r->col_name = xcalloc(r->ncols, sizeof *r->col_name);
	for (size_t i = 0; i < r->ncols; i++) {
		const char *name = field(r, i);
		r->col_name[i] = xstrdup(name);
		if (!name[0]) {
			fail(r, "header: column %zu has an empty name", i + 1);
			return;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(r->col_name[j], name) == 0) {
				fail(r, "header: column '%s' appears twice (columns %zu and %zu)", name,
				     j + 1, i + 1);
				return;
			}
		}
		int f = site_field_parse(name);
		if (f >= 0)
			r->col_kind[i] = f;
		else if (strcmp(name, "lat") == 0)
			r->col_kind[i] = COL_LAT;
		else if (strcmp(name, "lon") == 0)
			r->col_kind[i] = COL_LON;
		else if (strcmp(name, SITE_COLUMN_QUALITY) == 0)
			r->col_kind[i] = COL_QUALITY;
		else if (strcmp(name, SITE_COLUMN_UNCERTAINTY) == 0)
			r->col_kind[i] = COL_UNCERTAINTY;
		else
			r->col_kind[i] = COL_EXTRA, r->has_extra = true;
	}
	static const char *const required[] = {"id", "name_zh", "category", "lat", "lon"};
	for (size_t k = 0; k < sizeof required / sizeof *required; k++) {
		size_t i = 0;
		while (i < r->ncols && strcmp(r->col_name[i], required[k]) != 0)
			i++;
		if (i == r->ncols) {
			fail(r,
			     "header: required column '%s' is missing (required: id, name_zh, category, lat, "
			     "lon)",
			     required[k]);
			return;
		}
	}
	r->have_header = true;
}

static void read_row(struct csv_reader *r)
{
	if (r->nf != r->ncols) {
		fail(r, "%zu field%s, but the header has %zu", r->nf, r->nf == 1 ? "" : "s", r->ncols);
		return;
	}
	struct ingest_row row = {0};
	struct site_draft *s = &row.site;
	bool have_lat = false, have_lon = false;
	json_t *extra = r->has_extra ? json_object() : NULL;
	for (size_t i = 0; i < r->ncols; i++) {
		const char *v = field(r, i);
		int kind = r->col_kind[i];
		if (kind < SITE_NFIELDS) {
			s->field[kind] = v;
		} else if (kind == COL_QUALITY) {
			row.quality = v; /* empty: absent */
		} else if (kind == COL_UNCERTAINTY) {
			if (!v[0])
				continue; /* absent */
			if (!ms_parse_decimal_str(v, &row.uncertainty_m)) {
				fail(r, "%s '%.60s' is not a decimal number", r->col_name[i], v);
				goto done;
			}
			row.has_uncertainty = true;
		} else if (kind == COL_LAT || kind == COL_LON) {
			double *d = kind == COL_LAT ? &s->lat : &s->lon;
			if (!v[0]) {
				fail(r, "%s is empty", r->col_name[i]);
				goto done;
			}
			if (!ms_parse_decimal_str(v, d)) {
				fail(r, "%s '%.60s' is not a decimal number", r->col_name[i], v);
				goto done;
			}
			*(kind == COL_LAT ? &have_lat : &have_lon) = true;
		} else {
			json_object_set_new(extra, r->col_name[i], json_stringn(v, r->len[i]));
		}
	}
	assert(have_lat && have_lon); /* read_header insists on both columns */
	char *extra_text = extra ? json_dumps(extra, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	s->extra = extra_text;
	struct ms_error why;
	if (ingest_batch_add(&r->batch, &row, r->rec_line, &why) != MS_OK)
		fail(r, "%s", why.msg);
	free(extra_text);
done:
	json_decref(extra);
}

static void on_record(int term, void *ctx)
{
	struct csv_reader *r = ctx;
	(void)term;
	if (r->st == MS_OK && r->nf > 0) {
		if (!r->have_header)
			read_header(r);
		else
			read_row(r);
	}
	r->nf = 0;
	r->in_record = false;
}

enum ms_status ingest_csv(const char *name, const char *data, size_t len, enum coordsys cs,
                          struct site_set *into, struct ms_error *err)
{
	if (len > INGEST_MAX_FILE)
		return ms_fail(err, MS_EDATA, "%s: %zu bytes, more than the %zu a site file may have", name,
		               len, INGEST_MAX_FILE);
	/* A UTF-8 byte order mark is allowed and means nothing (RFC 3629 §6). */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		data += 3, len -= 3;
	/* The first byte that is not well-formed UTF-8, or a NUL before it
	 * (U+0000 is well-formed, but no text field of a site holds one). */
	size_t bad = utf8_valid_len(data, len);
	const char *nul = memchr(data, 0, bad);
	if (nul)
		bad = (size_t)(nul - data);
	if (bad < len)
		return ms_fail(err, MS_EDATA, "%s:%zu: %s (byte 0x%02X)", name, ingest_line_of(data, bad),
		               data[bad] ? "invalid UTF-8" : "NUL byte", (unsigned char)data[bad]);

	struct csv_reader r = {.name = name, .err = err, .st = MS_OK};
	r.off = xmalloc(INGEST_MAX_COLUMNS * sizeof *r.off);
	r.len = xmalloc(INGEST_MAX_COLUMNS * sizeof *r.len);
	ingest_batch_init(&r.batch, cs, INGEST_LINE, into);

	struct csv_parser p;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		r.st = ms_fail(err, MS_EINTERNAL, "%s: cannot initialise the CSV parser", name);
		goto done;
	}
	csv_set_space_func(&p, no_space);
	csv_set_realloc_func(&p, xrealloc);

	const char *pos = data, *end = data + len;
	r.line = 0;
	while (pos < end && r.st == MS_OK) {
		const char *nl = memchr(pos, '\n', (size_t)(end - pos));
		size_t n = nl ? (size_t)(nl - pos) + 1 : (size_t)(end - pos);
		r.line++;
		bool blank = (n == 1 && pos[0] == '\n') || (n == 2 && pos[0] == '\r' && pos[1] == '\n');
		if (!r.in_record && !blank) {
			r.in_record = true;
			r.rec_line = r.line;
		}
		if (csv_parse(&p, pos, n, on_field, on_record, &r) != n && r.st == MS_OK) {
			if (r.line != r.rec_line)
				fail(&r,
				     "malformed quoting on line %zu (RFC 4180: a field holding a quote must "
				     "be "
				     "quoted and its quotes doubled)",
				     r.line);
			else
				fail(&r, "malformed quoting (RFC 4180: a field holding a quote must be "
				         "quoted and its "
				         "quotes doubled)");
		}
		/* An unclosed quote swallows the rest of the file into one field;
		 * stop as soon as it is clearly not a field any more. */
		if (r.st == MS_OK && csv_get_buffer_size(&p) > INGEST_MAX_FIELD + 1024)
			fail(&r, "a field longer than %zu bytes (an unclosed quote?)", INGEST_MAX_FIELD);
		pos += n;
	}
	if (r.st == MS_OK && csv_fini(&p, on_field, on_record, &r) != 0)
		fail(&r, "unclosed quote at the end of the file");
	csv_free(&p);
	if (r.st == MS_OK && !r.have_header)
		r.st =
		    ms_fail(err, MS_EDATA,
		            "%s:1: no header row (required columns: id, name_zh, category, lat, lon)", name);
	if (r.st == MS_OK)
		ingest_batch_commit(&r.batch, into);
done:
	ingest_batch_free(&r.batch);
	buf_free(&r.text);
	free(r.off);
	free(r.len);
	for (size_t i = 0; r.col_name && i < r.ncols; i++)
		free(r.col_name[i]);
	free(r.col_name);
	free(r.col_kind);
	return r.st;
}

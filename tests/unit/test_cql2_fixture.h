/*
 * test_cql2_fixture.h - what the CQL2 unit tests share: the queryables and
 * records of tests/data/cql2/fixture.json as a cql2 schema and a get
 * callback, the tables of cases (tab-separated lines), and helpers that
 * parse a filter and say which records it selects.
 *
 * Included by one test program each, so everything is static (and marked
 * unused: not every test calls every helper).
 */
#ifndef MS_TEST_CQL2_FIXTURE_H
#define MS_TEST_CQL2_FIXTURE_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cql2/cql2.h"
#include "util/buf.h"

#define FX_UNUSED __attribute__((unused))
#define FX_PATH "data/cql2/fixture.json"
#define FX_MAX_FIELDS 6
#define FX_LINE_MAX 16384

struct fixture {
	json_t *doc;
	struct cql2_queryable *q;
	size_t nq;
	struct cql2_schema schema;
	json_t **rec; /* the records' objects, borrowed from doc */
	const char **label;
	size_t nrec;
};

static struct fixture fx;

/* One record for the callback. */
struct fx_rec {
	json_t *obj;
};

FX_UNUSED static void fx_load(void)
{
	json_error_t je;
	fx.doc = json_load_file(FX_PATH, 0, &je);
	if (!fx.doc) {
		fprintf(stderr, "%s:%d: %s\n", FX_PATH, je.line, je.text);
		exit(1);
	}
	json_t *qs = json_object_get(fx.doc, "queryables"), *recs = json_object_get(fx.doc, "records");
	fx.nq = json_array_size(qs);
	fx.q = calloc(fx.nq, sizeof *fx.q);
	for (size_t i = 0; i < fx.nq; i++) {
		json_t *q = json_array_get(qs, i);
		const char *type = json_string_value(json_object_get(q, "type"));
		fx.q[i].name = json_string_value(json_object_get(q, "name"));
		static const char *const types[] = {"string", "number",    "integer", "boolean",
		                                    "date",   "timestamp", "geometry"};
		for (int t = 0; t < 7; t++)
			if (!strcmp(type, types[t]))
				fx.q[i].type = (enum cql2_type)t;
		json_t *en = json_object_get(q, "enum");
		if (en) {
			const char **v = calloc(json_array_size(en), sizeof *v);
			for (size_t k = 0; k < json_array_size(en); k++)
				v[k] = json_string_value(json_array_get(en, k));
			fx.q[i].enum_values = v;
			fx.q[i].n_enum = json_array_size(en);
		}
	}
	fx.schema.q = fx.q;
	fx.schema.n = fx.nq;
	fx.nrec = json_array_size(recs);
	fx.rec = calloc(fx.nrec, sizeof *fx.rec);
	fx.label = calloc(fx.nrec, sizeof *fx.label);
	for (size_t i = 0; i < fx.nrec; i++) {
		fx.rec[i] = json_array_get(recs, i);
		fx.label[i] = json_string_value(json_object_get(fx.rec[i], "_"));
	}
}

FX_UNUSED static void fx_free(void)
{
	for (size_t i = 0; i < fx.nq; i++)
		free((void *)fx.q[i].enum_values);
	free(fx.q);
	free(fx.rec);
	free(fx.label);
	json_decref(fx.doc);
}

/* The cql2_get_fn over a fixture record (a json_t object). */
FX_UNUSED static void fx_get(const void *rec, size_t qi, struct cql2_value *out)
{
	json_t *v = json_object_get((json_t *)rec, fx.q[qi].name);
	out->type = CQL2_VNULL;
	if (!v || json_is_null(v))
		return;
	bool is_date;
	switch (fx.q[qi].type) {
	case CQL2_STRING:
		out->type = CQL2_VSTRING;
		out->str = json_string_value(v);
		out->len = json_string_length(v);
		return;
	case CQL2_NUMBER:
	case CQL2_INTEGER:
		out->type = CQL2_VNUMBER;
		out->num = json_number_value(v);
		return;
	case CQL2_BOOLEAN:
		out->type = CQL2_VBOOL;
		out->b = json_is_true(v);
		return;
	case CQL2_DATE:
	case CQL2_TIMESTAMP:
		if (cql2_parse_time(json_string_value(v), json_string_length(v), &out->time_us, &is_date))
			out->type = CQL2_VTIME;
		return;
	case CQL2_GEOMETRY:
		out->type = CQL2_VPOINT;
		out->lon = json_number_value(json_array_get(v, 0));
		out->lat = json_number_value(json_array_get(v, 1));
		return;
	}
}

FX_UNUSED static struct cql2_opts fx_opts(enum cql2_lang lang)
{
	struct cql2_opts o = {.schema = &fx.schema, .lang = lang};
	return o;
}

/* Parses s; NULL with the message in err when it fails. */
static struct cql2 *fx_parse(const char *s, enum cql2_lang lang, struct ms_error *err)
{
	struct cql2_opts o = fx_opts(lang);
	struct cql2 *f = NULL;
	enum ms_status rc = cql2_parse(s, strlen(s), &o, &f, err);
	if (rc != MS_OK && f)
		CHECK_MSG(false, "a failed parse returned a filter");
	return rc == MS_OK ? f : NULL;
}

/* The labels of the records for which f is `want`, comma-joined ("-" for
 * none), into out. */
FX_UNUSED static void fx_select(const struct cql2 *f, enum cql2_truth want, struct buf *out)
{
	buf_reset(out);
	for (size_t i = 0; i < fx.nrec; i++)
		if (cql2_eval(f, fx_get, fx.rec[i]) == want)
			buf_printf(out, "%s%s", out->len ? "," : "", fx.label[i]);
	if (!out->len)
		buf_puts(out, "-");
}

/* A table: lines of tab-separated fields; '#' lines and blank lines are
 * skipped.  Calls fn(fields, n, where) for each, where = "FILE:LINE". */
typedef void (*fx_row_fn)(char **fields, int n, const char *where);

FX_UNUSED static int fx_table(const char *path, fx_row_fn fn)
{
	FILE *in = fopen(path, "r");
	CHECK_MSG(in != NULL, "cannot open %s", path);
	if (!in)
		return 0;
	static char line[FX_LINE_MAX];
	int lineno = 0, rows = 0;
	while (fgets(line, sizeof line, in)) {
		lineno++;
		size_t len = strlen(line);
		CHECK_MSG(len < sizeof line - 1, "%s:%d: line too long", path, lineno);
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		char *fields[FX_MAX_FIELDS];
		int n = 0;
		for (char *p = line; n < FX_MAX_FIELDS;) {
			fields[n++] = p;
			char *tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		char where[512];
		snprintf(where, sizeof where, "%s:%d", path, lineno);
		fn(fields, n, where);
		rows++;
	}
	fclose(in);
	return rows;
}

#endif

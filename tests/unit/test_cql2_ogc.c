/* test_cql2_ogc.c - the examples of the CQL2 standard (OGC 21-065), in both
 * encodings: each cql2-text example parses to the canonical text of
 * data/cql2/ogc_examples.txt (or fails with its message), selects the
 * records stated there, and reads back from its canonical text unchanged;
 * each cql2-json twin (data/cql2/ogc_examples_json.txt) gives the same
 * canonical text as its cql2-text example. */
#include "test_cql2_fixture.h"

#define TEXT_TABLE "data/cql2/ogc_examples.txt"
#define JSON_TABLE "data/cql2/ogc_examples_json.txt"
/* The tables hold 120 text examples and 115 JSON ones: fewer rows read
 * means a table was cut short. */
#define TEXT_ROWS_MIN 120
#define JSON_ROWS_MIN 109
#define JSON_SAME_MIN 85
#define NAMES_MAX 200

/* The canonical text (or error) of each text example, for the JSON twins. */
static struct {
	char name[32];
	char *text; /* NULL when the example is an error */
} seen[NAMES_MAX];
static int nseen, parsed_ok, json_same;

static const char *canonical_of(const char *name, bool *found)
{
	for (int i = 0; i < nseen; i++)
		if (!strcmp(seen[i].name, name)) {
			*found = true;
			return seen[i].text;
		}
	*found = false;
	return NULL;
}

/* The filter selects `want_true` and is unknown for `want_null`. */
static void check_selection(const struct cql2 *f, const char *want_true, const char *want_null,
                            const char *where)
{
	struct buf got = BUF_INIT;
	fx_select(f, CQL2_TRUE, &got);
	CHECK_MSG(!strcmp(buf_str(&got), want_true), "%s: TRUE for %s, expected %s", where, buf_str(&got),
	          want_true);
	fx_select(f, CQL2_UNKNOWN, &got);
	CHECK_MSG(!strcmp(buf_str(&got), want_null), "%s: NULL for %s, expected %s", where, buf_str(&got),
	          want_null);
	buf_free(&got);
}

static void text_row(char **fld, int n, const char *where)
{
	CHECK_MSG(n == 3 || n == 5, "%s: %d fields", where, n);
	if (n != 3 && n != 5)
		return;
	struct ms_error err = {0};
	struct cql2 *f = fx_parse(fld[1], CQL2_TEXT, &err);
	CHECK_MSG(nseen < NAMES_MAX, "%s: too many examples", where);
	if (nseen >= NAMES_MAX)
		return;
	snprintf(seen[nseen].name, sizeof seen[nseen].name, "%s", fld[0]);
	if (!strncmp(fld[2], "error: ", 7)) {
		CHECK_MSG(f == NULL, "%s: parsed as %s, expected %s", where, f ? cql2_to_text(f) : "",
		          fld[2]);
		CHECK_MSG(err.status == MS_EUSAGE, "%s: status %s", where, ms_status_str(err.status));
		CHECK_MSG(!strcmp(err.msg, fld[2] + 7), "%s:\n  got      %s\n  expected %s", where, err.msg,
		          fld[2] + 7);
		nseen++;
		cql2_free(f);
		return;
	}
	CHECK_MSG(f != NULL, "%s: %s", where, err.msg);
	if (!f)
		return;
	parsed_ok++;
	const char *canon = cql2_to_text(f);
	CHECK_MSG(!strcmp(canon, fld[2]), "%s:\n  got      %s\n  expected %s", where, canon, fld[2]);
	seen[nseen++].text = strdup(canon);
	check_selection(f, fld[3], fld[4], where);
	/* The canonical text is itself a filter that reads back the same. */
	struct cql2 *again = fx_parse(canon, CQL2_TEXT, &err);
	CHECK_MSG(again && !strcmp(cql2_to_text(again), canon), "%s: canonical text does not read back: %s",
	          where, again ? cql2_to_text(again) : err.msg);
	if (again)
		check_selection(again, fld[3], fld[4], where);
	cql2_free(again);
	cql2_free(f);
}

static void json_row(char **fld, int n, const char *where)
{
	CHECK_MSG(n == 3, "%s: %d fields", where, n);
	if (n != 3)
		return;
	struct ms_error err = {0};
	struct cql2 *f = fx_parse(fld[1], CQL2_JSON, &err);
	if (!strncmp(fld[2], "error: ", 7)) {
		CHECK_MSG(f == NULL && err.status == MS_EUSAGE, "%s: parsed, expected %s", where, fld[2]);
		CHECK_MSG(!strcmp(err.msg, fld[2] + 7), "%s:\n  got      %s\n  expected %s", where, err.msg,
		          fld[2] + 7);
		cql2_free(f);
		return;
	}
	CHECK_MSG(!strcmp(fld[2], "same"), "%s: expected is \"same\" or an error", where);
	bool found;
	const char *text = canonical_of(fld[0], &found);
	CHECK_MSG(found && text, "%s: no valid cql2-text example %s", where, fld[0]);
	CHECK_MSG(f != NULL, "%s: %s", where, err.msg);
	if (f && text) {
		CHECK_MSG(!strcmp(cql2_to_text(f), text), "%s:\n  json %s\n  text %s", where, cql2_to_text(f),
		          text);
		json_same += !strcmp(cql2_to_text(f), text);
	}
	cql2_free(f);
}

int main(void)
{
	fx_load();
	int rows = fx_table(TEXT_TABLE, text_row);
	CHECK_MSG(rows >= TEXT_ROWS_MIN, "%s: %d examples", TEXT_TABLE, rows);
	int jrows = fx_table(JSON_TABLE, json_row);
	CHECK_MSG(jrows >= JSON_ROWS_MIN, "%s: %d examples", JSON_TABLE, jrows);
	CHECK_MSG(json_same >= JSON_SAME_MIN, "%d cql2-json twins equal their text", json_same);
	printf("%d text examples (%d parsed, the others refused as stated), %d json (%d equal to their text "
	       "twin)\n",
	       rows, parsed_ok, jrows, json_same);
	for (int i = 0; i < nseen; i++)
		free(seen[i].text);
	fx_free();
	return CHECK_DONE();
}

/* test_cql2_parse.c - parsing CQL2: the tables of valid filters and their
 * canonical text and of refused ones and their messages (both encodings),
 * every bound exceeded by one, filter-crs axis order and conversion,
 * UTF-8, and the small public helpers. */
#include <unistr.h>

#include "test_cql2_fixture.h"

#define ERR_PREFIX "filter: "

static int canon_rows, bad_rows;

/* Every message of the module starts "filter: " and is valid UTF-8 (it
 * goes into a problem+json answer as it is). */
static void check_message(const struct ms_error *err, const char *where)
{
	CHECK_MSG(!strncmp(err->msg, ERR_PREFIX, strlen(ERR_PREFIX)), "%s: message %s", where, err->msg);
	CHECK_MSG(u8_check((const uint8_t *)err->msg, strlen(err->msg)) == NULL, "%s: message not UTF-8",
	          where);
	CHECK_MSG(err->status == MS_EUSAGE, "%s: status %s", where, ms_status_str(err->status));
}

static void valid_row(char **fld, int n, const char *where)
{
	CHECK_MSG(n == 2, "%s: %d fields", where, n);
	if (n != 2)
		return;
	struct ms_error err = {0};
	struct cql2 *f = fx_parse(fld[0], CQL2_TEXT, &err);
	CHECK_MSG(f != NULL, "%s: %s", where, err.msg);
	if (!f)
		return;
	CHECK_MSG(!strcmp(cql2_to_text(f), fld[1]), "%s:\n  got      %s\n  expected %s", where,
	          cql2_to_text(f), fld[1]);
	struct cql2 *again = fx_parse(cql2_to_text(f), CQL2_TEXT, &err);
	CHECK_MSG(again && !strcmp(cql2_to_text(again), cql2_to_text(f)), "%s: does not read back: %s", where,
	          again ? cql2_to_text(again) : err.msg);
	cql2_free(again);
	cql2_free(f);
	canon_rows++;
}

static enum cql2_lang bad_lang;

static void invalid_row(char **fld, int n, const char *where)
{
	CHECK_MSG(n == 2, "%s: %d fields", where, n);
	if (n != 2)
		return;
	struct ms_error err = {0};
	struct cql2 *f = fx_parse(fld[0], bad_lang, &err);
	CHECK_MSG(f == NULL, "%s: accepted as %s", where, f ? cql2_to_text(f) : "");
	cql2_free(f);
	if (f)
		return;
	check_message(&err, where);
	CHECK_MSG(strstr(err.msg, fld[1]) != NULL, "%s:\n  got      %s\n  expected %s", where, err.msg,
	          fld[1]);
	bad_rows++;
}

/* Parses s[0..n) as lang; returns the status and leaves the message. */
static enum ms_status try_parse(const char *s, size_t n, enum cql2_lang lang, struct ms_error *err)
{
	struct cql2_opts o = fx_opts(lang);
	struct cql2 *f = NULL;
	enum ms_status rc = cql2_parse(s, n, &o, &f, err);
	CHECK((rc == MS_OK) == (f != NULL));
	cql2_free(f);
	return rc;
}

static void expect_refused(const char *s, size_t n, enum cql2_lang lang, const char *text, const char *what)
{
	struct ms_error err = {0};
	enum ms_status rc = try_parse(s, n, lang, &err);
	CHECK_MSG(rc == MS_EUSAGE, "%s: accepted", what);
	if (rc != MS_OK)
		check_message(&err, what);
	CHECK_MSG(strstr(err.msg, text) != NULL, "%s: message %s (expected %s)", what, err.msg, text);
}

static void expect_ok(const char *s, size_t n, enum cql2_lang lang, const char *what)
{
	struct ms_error err = {0};
	CHECK_MSG(try_parse(s, n, lang, &err) == MS_OK, "%s: %s", what, err.msg);
}

/* s repeated k times, then tail. */
static char *repeat(const char *head, const char *s, int k, const char *tail)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, head);
	for (int i = 0; i < k; i++)
		buf_puts(&b, s);
	buf_puts(&b, tail);
	return buf_detach(&b, NULL);
}

static void test_depth(void)
{
	/* CQL2_MAX_DEPTH levels are fine, one more is refused - for each way
	 * of nesting, in both encodings. */
	struct {
		const char *head, *unit, *tail_unit, *tail;
	} shapes[] = {
	    {"", "NOT ", "", "TRUE"},
	    {"", "(", ")", "TRUE"},
	    {"name = ", "CASEI(", ")", "'x'"},
	    {"", "NOT (", ")", "TRUE"},
	};
	for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
		for (int d = CQL2_MAX_DEPTH; d <= CQL2_MAX_DEPTH + 1; d++) {
			char *open = repeat(shapes[k].head, shapes[k].unit, d, shapes[k].tail);
			char *s = repeat(open, shapes[k].tail_unit, d, "");
			char what[64];
			snprintf(what, sizeof what, "%s x %d", shapes[k].unit, d);
			/* NOT ( counts twice per level */
			bool over = d > CQL2_MAX_DEPTH || (k == 3 && 2 * d > CQL2_MAX_DEPTH);
			if (over)
				expect_refused(s, strlen(s), CQL2_TEXT, "nested deeper than", what);
			else
				expect_ok(s, strlen(s), CQL2_TEXT, what);
			free(open);
			free(s);
		}
	}
	/* Far deeper than the stack would take, refused at the bound. */
	char *deep = repeat("", "(", CQL2_MAX_INPUT - 8, "");
	expect_refused(deep, strlen(deep), CQL2_TEXT, "nested deeper than 32 levels", "65528 parentheses");
	free(deep);
	char *iv = repeat("T_AFTER(built, ", "INTERVAL(", CQL2_MAX_DEPTH + 1, "");
	expect_refused(iv, strlen(iv), CQL2_TEXT, "nested deeper than", "INTERVAL(INTERVAL(...");
	free(iv);

	for (int d = CQL2_MAX_DEPTH - 1; d <= CQL2_MAX_DEPTH; d++) {
		/* JSON: the predicate itself is one level, each "not" one more. */
		char *open = repeat("", "{\"op\":\"not\",\"args\":[", d, "true");
		char *s = repeat(open, "]}", d, "");
		if (d + 1 > CQL2_MAX_DEPTH)
			expect_refused(s, strlen(s), CQL2_JSON, "nested deeper than", "json not x 32");
		else
			expect_ok(s, strlen(s), CQL2_JSON, "json not x 31");
		free(open);
		free(s);
	}
	char *arrays = repeat("", "[", 30000, "");
	expect_refused(arrays, strlen(arrays), CQL2_JSON, "not valid JSON", "30000 brackets");
	free(arrays);
}

static void test_bounds(void)
{
	/* Input length. */
	char *big = repeat("name = '", "x", CQL2_MAX_INPUT, "'");
	expect_refused(big, strlen(big), CQL2_TEXT, "longer than 65536 bytes", "long input");
	expect_refused(big, strlen(big), CQL2_JSON, "longer than 65536 bytes", "long json input");
	free(big);

	/* Terms: each comparison is 3 nodes (itself, a property, a literal),
	 * the OR one more. */
	int fits = (CQL2_MAX_TERMS - 1) / 3;
	char *many = repeat("value = 1", " OR value = 1", fits - 1, "");
	expect_ok(many, strlen(many), CQL2_TEXT, "terms at the bound");
	free(many);
	many = repeat("value = 1", " OR value = 1", fits, "");
	expect_refused(many, strlen(many), CQL2_TEXT, "more than 2048 terms", "terms over the bound");
	free(many);

	/* IN list. */
	for (int n = CQL2_MAX_LIST; n <= CQL2_MAX_LIST + 1; n++) {
		char *list = repeat("value IN (0", ", 1", n - 1, ")");
		if (n > CQL2_MAX_LIST)
			expect_refused(list, strlen(list), CQL2_TEXT, "more than 256 values in an IN list",
			               "long list");
		else
			expect_ok(list, strlen(list), CQL2_TEXT, "list at the bound");
		free(list);
		list = repeat("{\"op\":\"in\",\"args\":[{\"property\":\"value\"},[0", ",1", n - 1, "]]}");
		if (n > CQL2_MAX_LIST)
			expect_refused(list, strlen(list), CQL2_JSON, "more than 256 values",
			               "long json list");
		else
			expect_ok(list, strlen(list), CQL2_JSON, "json list at the bound");
		free(list);
	}

	/* Vertices, over all literals of a filter. */
	for (int n = CQL2_MAX_VERTICES; n <= CQL2_MAX_VERTICES + 1; n++) {
		char *line = repeat("S_INTERSECTS(geometry, LINESTRING(0 0", ", 1 1", n - 1, "))");
		char *json = repeat("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"geometry\"},"
		                    "{\"type\":\"LineString\",\"coordinates\":[[0,0]",
		                    ",[1,1]", n - 1, "]}]}");
		if (n > CQL2_MAX_VERTICES) {
			expect_refused(line, strlen(line), CQL2_TEXT, "more than 8192 positions",
			               "long line");
			expect_refused(json, strlen(json), CQL2_JSON, "more than 8192 positions",
			               "long json line");
		} else {
			expect_ok(line, strlen(line), CQL2_TEXT, "line at the bound");
			expect_ok(json, strlen(json), CQL2_JSON, "json line at the bound");
		}
		free(line);
		free(json);
	}
	char *two = repeat("S_INTERSECTS(geometry, MULTIPOINT(0 0", ", 1 1", CQL2_MAX_VERTICES / 2 - 1,
	                   ")) OR S_INTERSECTS(geometry, MULTIPOINT(0 0");
	char *both = repeat(two, ", 2 2", CQL2_MAX_VERTICES / 2, "))");
	expect_refused(both, strlen(both), CQL2_TEXT, "more than 8192 positions",
	               "two literals over the bound");
	free(two);
	free(both);
}

/* filter-crs: EPSG:4326 literals are lat lon; the canonical text is CRS84. */
static void test_axis_order(void)
{
	struct cql2_opts o = fx_opts(CQL2_TEXT);
	o.lat_first = true;
	struct ms_error err = {0};
	struct cql2 *f = NULL;
	const char *s =
	    "S_INTERSECTS(geometry, POINT(36.8 118.1)) OR S_WITHIN(geometry, BBOX(36, 118, 37, 119))";
	CHECK_MSG(cql2_parse(s, strlen(s), &o, &f, &err) == MS_OK, "%s", err.msg);
	if (f)
		CHECK_STR(cql2_to_text(f), "S_INTERSECTS(\"geometry\", POINT(118.1 36.8)) OR "
		                           "S_WITHIN(\"geometry\", BBOX(118, 36, 119, 37))");
	cql2_free(f);
	f = NULL;
	const char *j = "{\"op\":\"s_intersects\",\"args\":[{\"property\":\"geometry\"},"
	                "{\"type\":\"Point\",\"coordinates\":[36.8,118.1]}]}";
	o.lang = CQL2_JSON;
	CHECK_MSG(cql2_parse(j, strlen(j), &o, &f, &err) == MS_OK, "%s", err.msg);
	if (f)
		CHECK_STR(cql2_to_text(f), "S_INTERSECTS(\"geometry\", POINT(118.1 36.8))");
	cql2_free(f);
	f = NULL;
	/* Longitude first by mistake: the latitude is out of range, and the
	 * message says why. */
	o.lang = CQL2_TEXT;
	s = "S_INTERSECTS(geometry, POINT(118.1 36.8))";
	CHECK(cql2_parse(s, strlen(s), &o, &f, &err) == MS_EUSAGE);
	CHECK_MSG(
	    strstr(err.msg, "latitude 118.1 is outside -90..90 (filter-crs EPSG:4326 puts latitude first)"),
	    "%s", err.msg);
}

/* A converter moves every literal position (as coordsys=gcj02 will). */
static int converted;
static void shift_east(void *ctx, double *lon, double *lat)
{
	(void)lat;
	*lon += *(const double *)ctx;
	converted++;
}

static void test_converter(void)
{
	double by = 0.5;
	struct cql2_opts o = fx_opts(CQL2_TEXT);
	o.to_wgs84 = shift_east;
	o.to_wgs84_ctx = &by;
	struct ms_error err = {0};
	struct cql2 *f = NULL;
	const char *s =
	    "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0))) AND S_WITHIN(geometry, BBOX(0, 0, 1, 1))";
	CHECK_MSG(cql2_parse(s, strlen(s), &o, &f, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(converted, 6);
	if (f)
		CHECK_STR(cql2_to_text(f),
		          "S_INTERSECTS(\"geometry\", POLYGON((0.5 0, 1.5 0, 1.5 1, 0.5 0))) AND "
		          "S_WITHIN(\"geometry\", BBOX(0.5, 0, 1.5, 1))");
	cql2_free(f);
}

static void test_input_forms(void)
{
	expect_refused("", 0, CQL2_TEXT, "filter: empty", "empty");
	expect_refused(" \t\n", 3, CQL2_TEXT, "filter: empty", "blank");
	expect_refused("", 0, CQL2_JSON, "not valid JSON", "empty json");
	/* Not NUL-terminated: only the n bytes count. */
	expect_ok("name = 'a' garbage", 10, CQL2_TEXT, "prefix");
	expect_refused("name = 'a'\0", 11, CQL2_TEXT, "at character 11: unexpected character NUL", "NUL");
	expect_refused("name = '\xff'", 10, CQL2_TEXT, "at character 9: not valid UTF-8", "bad UTF-8");
	expect_refused("名称 = '\xe7\xba'", 12, CQL2_TEXT, "at character 7: not valid UTF-8", "cut UTF-8");
	expect_refused("{\"op\":\"=\",\"args\":[{\"property\":\"name\"},\"\xff\"]}", 43, CQL2_JSON,
	               "not valid JSON", "json bad UTF-8");
	/* No ms_error: still refused, nothing written. */
	struct cql2_opts o = fx_opts(CQL2_TEXT);
	struct cql2 *f = NULL;
	CHECK(cql2_parse("x =", 3, &o, &f, NULL) == MS_EUSAGE && f == NULL);
}

static void test_helpers(void)
{
	enum cql2_lang l = CQL2_JSON;
	CHECK(cql2_lang_parse("cql2-text", &l) && l == CQL2_TEXT);
	CHECK(cql2_lang_parse("cql2-json", &l) && l == CQL2_JSON);
	CHECK(!cql2_lang_parse("cql-text", &l));
	CHECK(!cql2_lang_parse("CQL2-TEXT", &l));
	CHECK_STR(cql2_type_name(CQL2_TIMESTAMP), "timestamp");
	CHECK_STR(cql2_type_name(CQL2_GEOMETRY), "geometry");
	int n = 0;
	for (const char *const *c = cql2_conformance_classes; *c; c++, n++)
		CHECK_MSG(!strncmp(*c, "http://www.opengis.net/spec/cql2/1.0/conf/", 42), "%s", *c);
	CHECK_INT(n, 10);
	CHECK_STR(cql2_conformance_classes[0], CQL2_CONF_BASIC);

	/* Times: the epoch, before it, leap days, offsets, the ends of the
	 * years RFC 3339 writes, resolution. */
	int64_t t;
	bool is_date;
	CHECK(cql2_parse_time("1970-01-01T00:00:00Z", 20, &t, &is_date) && t == 0 && !is_date);
	CHECK(cql2_parse_time("1970-01-01T08:00:00+08:00", 25, &t, &is_date) && t == 0);
	CHECK(cql2_parse_time("1969-12-31T23:59:59Z", 20, &t, &is_date) && t == -1000000);
	CHECK(cql2_parse_time("1969-12-31T19:00:00-05:00", 25, &t, &is_date) && t == 0);
	CHECK(cql2_parse_time("2000-01-01T00:00:00.123456789Z", 30, &t, &is_date) &&
	      t == INT64_C(946684800123456));
	CHECK(cql2_parse_time("2024-02-29", 10, &t, &is_date) && is_date && t == INT64_C(1709164800000000));
	CHECK(cql2_parse_time("0000-01-01", 10, &t, &is_date) && t == INT64_C(-62167219200) * 1000000);
	CHECK(cql2_parse_time("9999-12-31T23:59:59.999999Z", 27, &t, &is_date) &&
	      t == INT64_C(253402300799999999));
	CHECK(!cql2_parse_time("9999-12-31T23:59:59-00:01", 25, &t, &is_date)); /* year 10000 */
	CHECK(!cql2_parse_time("2023-02-29", 10, &t, &is_date));
	CHECK(!cql2_parse_time("1900-02-29", 10, &t, &is_date));
	CHECK(cql2_parse_time("2000-02-29", 10, &t, &is_date));
	CHECK(!cql2_parse_time("2000-04-31", 10, &t, &is_date));
	CHECK(!cql2_parse_time("2000-01-01T00:00:60Z", 20, &t, &is_date));
	CHECK(!cql2_parse_time("2000-01-01T00:00:00.Z", 21, &t, &is_date));
	CHECK(!cql2_parse_time("2000-01-01 00:00:00Z", 20, &t, &is_date));
	CHECK(!cql2_parse_time("2000-01-01T00:00:00+0800", 24, &t, &is_date));
	CHECK(!cql2_parse_time("2000-1-01", 9, &t, &is_date));
	CHECK(!cql2_parse_time("2000-01-01T00:00:00Zjunk", 24, &t, &is_date));
}

int main(void)
{
	fx_load();
	int rows = fx_table("data/cql2/valid.txt", valid_row);
	CHECK_MSG(rows >= 80 && canon_rows == rows, "valid.txt: %d rows, %d right", rows, canon_rows);
	bad_lang = CQL2_TEXT;
	rows = fx_table("data/cql2/invalid.txt", invalid_row);
	CHECK_MSG(rows >= 80 && bad_rows == rows, "invalid.txt: %d rows, %d right", rows, bad_rows);
	bad_lang = CQL2_JSON;
	bad_rows = 0;
	rows = fx_table("data/cql2/invalid_json.txt", invalid_row);
	CHECK_MSG(rows >= 40 && bad_rows == rows, "invalid_json.txt: %d rows, %d right", rows, bad_rows);
	test_depth();
	test_bounds();
	test_axis_order();
	test_converter();
	test_input_forms();
	test_helpers();
	fx_free();
	return CHECK_DONE();
}

/* test_cql2_eval.c - evaluating CQL2: the table of filters and the records
 * each makes TRUE or NULL (three-valued logic, LIKE, CASEI and ACCENTI,
 * times, every spatial function on points, lines, polygons with holes and
 * boxes across the antimeridian), the bounding boxes derived from filters
 * (and that no point outside one is ever selected), and a record callback
 * that breaks its contract. */
#include <math.h>

#include "test_cql2_fixture.h"

#define EVAL_TABLE "data/cql2/eval.txt"
#define BBOX_TABLE "data/cql2/bbox.txt"
#define BOX_TOLERANCE 1e-6
/* The grid of points every derived box is checked against: whole degrees
 * over the world, which hits the literals' corners and edges. */
#define GRID_STEP 1.0

static int eval_rows, box_rows;
static long grid_points;

static void eval_row(char **fld, int n, const char *where)
{
	CHECK_MSG(n == 3, "%s: %d fields", where, n);
	if (n != 3)
		return;
	struct ms_error err = {0};
	struct cql2 *f = fx_parse(fld[0], CQL2_TEXT, &err);
	CHECK_MSG(f != NULL, "%s: %s", where, err.msg);
	if (!f)
		return;
	struct buf got = BUF_INIT;
	fx_select(f, CQL2_TRUE, &got);
	bool ok = !strcmp(buf_str(&got), fld[1]);
	CHECK_MSG(ok, "%s: TRUE for %s, expected %s", where, buf_str(&got), fld[1]);
	fx_select(f, CQL2_UNKNOWN, &got);
	CHECK_MSG(!strcmp(buf_str(&got), fld[2]), "%s: NULL for %s, expected %s", where, buf_str(&got),
	          fld[2]);
	ok = ok && !strcmp(buf_str(&got), fld[2]);
	/* cql2_matches is "TRUE", nothing else. */
	for (size_t i = 0; i < fx.nrec; i++)
		CHECK(cql2_matches(f, fx_get, fx.rec[i]) == (cql2_eval(f, fx_get, fx.rec[i]) == CQL2_TRUE));
	buf_free(&got);
	cql2_free(f);
	eval_rows += ok;
}

/* A record that is only a point, for the grid. */
struct point_rec {
	size_t geometry; /* the queryable */
	double lon, lat;
};

static void point_get(const void *rec, size_t qi, struct cql2_value *out)
{
	const struct point_rec *p = rec;
	if (qi != p->geometry)
		return; /* NULL */
	out->type = CQL2_VPOINT;
	out->lon = p->lon;
	out->lat = p->lat;
}

static bool in_box(const struct cql2_box *b, double lon, double lat)
{
	if (lat < b->south || lat > b->north)
		return false;
	return b->west <= b->east ? lon >= b->west && lon <= b->east : lon >= b->west || lon <= b->east;
}

/* No point outside the derived box is selected (the box is conservative). */
static void check_conservative(const struct cql2 *f, const char *where)
{
	size_t gq = 0;
	while (gq < fx.nq && fx.q[gq].type != CQL2_GEOMETRY)
		gq++;
	struct cql2_box box;
	enum cql2_bbox_kind kind = cql2_bbox(f, &box);
	int wrong = 0;
	for (double lat = -90; lat <= 90; lat += GRID_STEP)
		for (double lon = -180; lon <= 180; lon += GRID_STEP) {
			struct point_rec r = {gq, lon, lat};
			bool match = cql2_matches(f, point_get, &r);
			grid_points++;
			if (match &&
			    (kind == CQL2_BBOX_EMPTY || (kind == CQL2_BBOX_BOX && !in_box(&box, lon, lat))))
				wrong++;
		}
	CHECK_MSG(wrong == 0, "%s: %d points outside the box are selected", where, wrong);
}

static void bbox_row(char **fld, int n, const char *where)
{
	CHECK_MSG(n == 2, "%s: %d fields", where, n);
	if (n != 2)
		return;
	struct ms_error err = {0};
	struct cql2 *f = fx_parse(fld[0], CQL2_TEXT, &err);
	CHECK_MSG(f != NULL, "%s: %s", where, err.msg);
	if (!f)
		return;
	struct cql2_box b;
	enum cql2_bbox_kind kind = cql2_bbox(f, &b);
	if (!strcmp(fld[1], "ALL")) {
		CHECK_MSG(kind == CQL2_BBOX_ALL, "%s: kind %d, expected ALL", where, (int)kind);
	} else if (!strcmp(fld[1], "EMPTY")) {
		CHECK_MSG(kind == CQL2_BBOX_EMPTY, "%s: kind %d, expected EMPTY", where, (int)kind);
	} else {
		double w[4];
		CHECK_MSG(sscanf(fld[1], "%lf,%lf,%lf,%lf", &w[0], &w[1], &w[2], &w[3]) == 4, "%s: bad box",
		          where);
		CHECK_MSG(kind == CQL2_BBOX_BOX && fabs(b.west - w[0]) <= BOX_TOLERANCE &&
		              fabs(b.south - w[1]) <= BOX_TOLERANCE && fabs(b.east - w[2]) <= BOX_TOLERANCE &&
		              fabs(b.north - w[3]) <= BOX_TOLERANCE,
		          "%s: kind %d box %.9g,%.9g,%.9g,%.9g, expected %s", where, (int)kind, b.west,
		          b.south, b.east, b.north, fld[1]);
	}
	check_conservative(f, where);
	cql2_free(f);
	box_rows++;
}

/* The eval table's filters are checked against the grid too. */
static void eval_grid_row(char **fld, int n, const char *where)
{
	(void)n;
	struct ms_error err = {0};
	struct cql2 *f = fx_parse(fld[0], CQL2_TEXT, &err);
	if (f)
		check_conservative(f, where);
	cql2_free(f);
}

/* A callback that gives values of the wrong type, non-finite numbers or a
 * NULL string: they count as NULL, they never crash. */
enum lie { LIE_TYPE, LIE_NAN, LIE_NULL_STR, LIE_BAD_UTF8 };

static void liar_get(const void *rec, size_t qi, struct cql2_value *out)
{
	enum lie how = *(const enum lie *)rec;
	switch (how) {
	case LIE_TYPE: /* a string for everything */
		out->type = CQL2_VSTRING, out->str = "1", out->len = 1;
		return;
	case LIE_NAN:
		out->type = fx.q[qi].type == CQL2_GEOMETRY ? CQL2_VPOINT : CQL2_VNUMBER;
		out->num = out->lon = out->lat = NAN;
		return;
	case LIE_NULL_STR: out->type = CQL2_VSTRING, out->str = NULL, out->len = 5; return;
	case LIE_BAD_UTF8: out->type = CQL2_VSTRING, out->str = "a\xff\xfe", out->len = 3; return;
	}
}

static void test_contract(void)
{
	static const struct {
		const char *filter;
		enum lie how;
		enum cql2_truth want;
	} cases[] = {
	    {"value = 1", LIE_TYPE, CQL2_UNKNOWN},
	    {"value IS NULL", LIE_TYPE, CQL2_TRUE},
	    {"swimming_pool = TRUE", LIE_TYPE, CQL2_UNKNOWN},
	    {"name = '1'", LIE_TYPE, CQL2_TRUE}, /* a string is right for name */
	    {"value = 1", LIE_NAN, CQL2_UNKNOWN},
	    {"S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90))", LIE_NAN, CQL2_UNKNOWN},
	    {"name LIKE '%'", LIE_NULL_STR, CQL2_UNKNOWN},
	    {"CASEI(name) = 'a'", LIE_BAD_UTF8, CQL2_UNKNOWN},
	    {"ACCENTI(name) = 'a'", LIE_BAD_UTF8, CQL2_UNKNOWN},
	    {"name LIKE 'a__'", LIE_BAD_UTF8, CQL2_TRUE}, /* a stray byte is one character */
	    {"name LIKE 'a_'", LIE_BAD_UTF8, CQL2_FALSE},
	    {"name > 'a'", LIE_BAD_UTF8, CQL2_TRUE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ms_error err = {0};
		struct cql2 *f = fx_parse(cases[i].filter, CQL2_TEXT, &err);
		CHECK_MSG(f != NULL, "%s: %s", cases[i].filter, err.msg);
		if (!f)
			continue;
		enum cql2_truth t = cql2_eval(f, liar_get, &cases[i].how);
		CHECK_MSG(t == cases[i].want, "%s (lie %d): %d, expected %d", cases[i].filter,
		          (int)cases[i].how, (int)t, (int)cases[i].want);
		cql2_free(f);
	}
}

/* The same filter in cql2-json selects the same records as in cql2-text,
 * for filters whose JSON is not among the standard's examples. */
static void test_json_equivalents(void)
{
	static const char *const pairs[][2] = {
	    {"name LIKE 'foo\\%'", "{\"op\":\"like\",\"args\":[{\"property\":\"name\"},\"foo\\\\%\"]}"},
	    {"value NOT IN (10, 20)",
	     "{\"op\":\"not\",\"args\":[{\"op\":\"in\",\"args\":[{\"property\":\"value\"},[20,10,20]]}]}"},
	    {"T_DISJOINT(built, INTERVAL('..', '2014-12-31'))",
	     "{\"op\":\"t_disjoint\",\"args\":[{\"property\":\"built\"},{\"interval\":[\"..\",\"2014-12-31\"]"
	     "}]}"},
	    {"S_WITHIN(geometry, MULTILINESTRING((-5 1, 0 0), (0 0, 5 1)))",
	     "{\"op\":\"s_within\",\"args\":[{\"property\":\"geometry\"},{\"type\":\"MultiLineString\","
	     "\"coordinates\":[[[-5,1],[0,0]],[[0,0],[5,1]]]}]}"},
	    {"S_INTERSECTS(geometry, BBOX(170, -20, -170, -10))",
	     "{\"op\":\"s_intersects\",\"args\":[{\"property\":\"geometry\"},{\"bbox\":[170,-20,-170,-10]}]"
	     "}"},
	    {"ACCENTI(CASEI(etat_vol)) = 'debarquer'", "{\"op\":\"=\",\"args\":[{\"op\":\"accenti\",\"args\":"
	                                               "[{\"op\":\"casei\",\"args\":[{\"property\":"
	                                               "\"etat_vol\"}]}]},\"debarquer\"]}"},
	    {"swimming_pool = TRUE OR TRUE",
	     "{\"op\":\"or\",\"args\":[true,{\"op\":\"=\",\"args\":[{\"property\":"
	     "\"swimming_pool\"},true]}]}"},
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		struct ms_error et = {0}, ej = {0};
		struct cql2 *t = fx_parse(pairs[i][0], CQL2_TEXT, &et),
		            *j = fx_parse(pairs[i][1], CQL2_JSON, &ej);
		CHECK_MSG(t && j, "%s: %s / %s", pairs[i][0], et.msg, ej.msg);
		if (t && j) {
			CHECK_STR(cql2_to_text(j), cql2_to_text(t));
			for (size_t r = 0; r < fx.nrec; r++)
				CHECK(cql2_eval(t, fx_get, fx.rec[r]) == cql2_eval(j, fx_get, fx.rec[r]));
		}
		cql2_free(t);
		cql2_free(j);
	}
}

int main(void)
{
	fx_load();
	int rows = fx_table(EVAL_TABLE, eval_row);
	CHECK_MSG(rows >= 60 && eval_rows == rows, "%s: %d rows, %d right", EVAL_TABLE, rows, eval_rows);
	rows = fx_table(BBOX_TABLE, bbox_row);
	CHECK_MSG(rows >= 30 && box_rows == rows, "%s: %d rows, %d right", BBOX_TABLE, rows, box_rows);
	fx_table(EVAL_TABLE, eval_grid_row);
	test_contract();
	test_json_equivalents();
	printf("%d filters evaluated, %d boxes, %ld grid points\n", eval_rows, box_rows, grid_points);
	fx_free();
	return CHECK_DONE();
}

/* test_render_style_expr.c - property values and the expression subset:
 * numbers in range, zoom interpolation, per-category "match", colour and
 * shape leaves, text fields; every refusal with its message and the line
 * of the offending element. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "site/site.h"
#include "render/canvas.h"
#include "render/raster.h"
#include "render/style_expr.h"

/* One value parsed from text, read under the path "v" of {"v": ...}. */
struct doc {
	json_t *root;
	const json_t *v;
	struct jsonpos pos;
	struct ms_error err;
};

static void doc_open(struct doc *d, const char *text)
{
	memset(d, 0, sizeof *d);
	json_error_t je;
	d->root = json_loads(text, 0, &je);
	CHECK_MSG(d->root != NULL, "test JSON: %s", je.text);
	d->v = json_object_get(d->root, "v");
	jsonpos_init(&d->pos, "t.json", text, strlen(text), &d->err);
	jsonpos_push_key(&d->pos, "v");
}

static void doc_close(struct doc *d)
{
	CHECK_INT(d->pos.depth, 1); /* every push popped */
	json_decref(d->root);
}

/* The number reader and the zoom reader on text, expecting msg ("" for
 * success). */
static void zoom_case(const char *text, const char *msg, struct style_num *out)
{
	struct doc d;
	doc_open(&d, text);
	bool ok = style_expr_zoom_num(&d.pos, d.v, "r", 0, 100, out);
	if (!msg[0])
		CHECK_MSG(ok, "%s: %s", text, d.err.msg);
	else
		CHECK_MSG(!ok && strcmp(d.err.msg, msg) == 0, "%s: got \"%s\", want \"%s\"", text, d.err.msg,
		          msg);
	doc_close(&d);
}

static void test_numbers(void)
{
	struct doc d;
	double x = -1;
	doc_open(&d, "{\"v\": 2.5}");
	CHECK(style_expr_number(&d.pos, d.v, "w", 0, 3, &x) && x == 2.5);
	CHECK(!style_expr_number(&d.pos, d.v, "w", 0, 2, &x) && x == 2.5);
	CHECK_STR(d.err.msg, "t.json:1: w: 2.5 is out of range [0, 2]");
	doc_close(&d);
	doc_open(&d, "{\n\"v\": \"2\"}");
	CHECK(!style_expr_number(&d.pos, d.v, "w", 0, 3, &x));
	CHECK_STR(d.err.msg, "t.json:2: w: expected a number, got a string");
	doc_close(&d);

	struct style_num n;
	zoom_case("{\"v\": 7}", "", &n);
	CHECK(n.n == 1 && n.v[0] == 7);
	zoom_case("{\"v\": [\"interpolate\", [\"linear\"], [\"zoom\"], 4, 1, 10, 5]}", "", &n);
	CHECK(n.n == 2 && n.z[0] == 4 && n.v[0] == 1 && n.z[1] == 10 && n.v[1] == 5);
	zoom_case("{\"v\": true}",
	          "t.json:1: r: expected a number or [\"interpolate\", [\"linear\"], [\"zoom\"], ...], got a "
	          "boolean",
	          &n);
	zoom_case("{\"v\": [\"step\", [\"zoom\"], 1, 5, 2]}",
	          "t.json:1: r: expression \"step\" is not supported here (only \"interpolate\")", &n);
	zoom_case("{\"v\": [\"interpolate\",\n [\"exponential\", 2], [\"zoom\"], 1, 1, 2, 2]}",
	          "t.json:2: r: only [\"linear\"] interpolation is supported", &n);
	zoom_case("{\"v\": [\"interpolate\", [\"linear\"],\n\n [\"get\", \"x\"], 1, 1, 2, 2]}",
	          "t.json:3: r: only [\"zoom\"] can be interpolated over", &n);
	zoom_case("{\"v\": [\"interpolate\", [\"linear\"], [\"zoom\"], 1]}",
	          "t.json:1: r: \"interpolate\" needs zoom/value pairs after [\"zoom\"]", &n);
	zoom_case("{\"v\": [\"interpolate\", [\"linear\"], [\"zoom\"], 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, "
	          "7, 7, 8, 8, "
	          "9, 9]}",
	          "t.json:1: r: more than 8 zoom stops", &n);
	zoom_case("{\"v\": [\"interpolate\", [\"linear\"], [\"zoom\"],\n 10, 1,\n 10, 2]}",
	          "t.json:3: r: zoom stop 10 is out of order (must be above 10)", &n);
	zoom_case("{\"v\": [\"interpolate\", [\"linear\"], [\"zoom\"], 1, 1,\n 25, 2]}",
	          "t.json:2: zoom stop: 25 is out of range [0, 24]", &n);
	zoom_case("{\"v\": [\"interpolate\", [\"linear\"], [\"zoom\"], 1, 1, 2,\n 101]}",
	          "t.json:2: r: 101 is out of range [0, 100]", &n);
	zoom_case("{\"v\": [\"interpolate\", [\"linear\"], [\"zoom\"], 1, 1, 2, \"x\"]}",
	          "t.json:1: r: expected a number, got a string", &n);
}

static void test_leaves(void)
{
	struct doc d;
	struct rgba c = {0, 0, 0, 0};
	doc_open(&d, "{\"v\": \"#102030\"}");
	CHECK(style_expr_colour(&d.pos, d.v, "k", &c) && c.r == 0x10 && c.g == 0x20 && c.b == 0x30 &&
	      c.a == 255);
	doc_close(&d);
	doc_open(&d, "{\"v\": \"#1234\"}");
	CHECK(!style_expr_colour(&d.pos, d.v, "k", &c));
	CHECK_STR(d.err.msg,
	          "t.json:1: k: bad colour \"#1234\" (use #rgb, #rrggbb, rgb(), rgba() or a CSS name)");
	doc_close(&d);
	doc_open(&d, "{\"v\": [1]}");
	CHECK(!style_expr_colour(&d.pos, d.v, "k", &c));
	CHECK_STR(d.err.msg, "t.json:1: k: expected a colour string, got an array");
	doc_close(&d);

	enum marker_shape s = SHAPE_CIRCLE;
	doc_open(&d, "{\"v\": \"diamond\"}");
	CHECK(style_expr_shape(&d.pos, d.v, "m", &s) && s == SHAPE_DIAMOND);
	doc_close(&d);
	doc_open(&d, "{\"v\": \"star\"}");
	CHECK(!style_expr_shape(&d.pos, d.v, "m", &s) && s == SHAPE_DIAMOND);
	CHECK_STR(d.err.msg,
	          "t.json:1: m: unknown marker shape \"star\" (circle, pin, square, diamond or triangle)");
	doc_close(&d);
	doc_open(&d, "{\"v\": null}");
	CHECK(!style_expr_shape(&d.pos, d.v, "m", &s));
	CHECK_STR(d.err.msg, "t.json:1: m: expected a marker shape string, got null");
	doc_close(&d);
}

static void match_case(const char *text, const char *msg)
{
	struct doc d;
	struct rgba c[CAT_COUNT];
	doc_open(&d, text);
	bool ok = style_expr_by_category(&d.pos, d.v, "circle-color", style_expr_colour, c, sizeof c[0]);
	CHECK_MSG(!ok && strcmp(d.err.msg, msg) == 0, "%s: got \"%s\", want \"%s\"", text, d.err.msg, msg);
	doc_close(&d);
}

static void test_match(void)
{
	struct doc d;
	struct rgba c[CAT_COUNT];
	/* a constant fills every category */
	doc_open(&d, "{\"v\": \"red\"}");
	CHECK(style_expr_by_category(&d.pos, d.v, "k", style_expr_colour, c, sizeof c[0]));
	for (int k = 0; k < CAT_COUNT; k++)
		CHECK(c[k].r == 255 && c[k].g == 0 && c[k].a == 255);
	doc_close(&d);
	/* labels, lists of labels, the fallback */
	doc_open(&d, "{\"v\": [\"match\", [\"get\", \"category\"], \"museum\", \"blue\", [\"monument\", "
	             "\"former_site\"], \"#0f0\", \"black\"]}");
	CHECK(style_expr_by_category(&d.pos, d.v, "k", style_expr_colour, c, sizeof c[0]));
	CHECK(c[CAT_MUSEUM].b == 255 && c[CAT_MUSEUM].r == 0);
	CHECK(c[CAT_MONUMENT].g == 255 && c[CAT_FORMER_SITE].g == 255);
	CHECK(c[CAT_MEMORIAL_HALL].r == 0 && c[CAT_MEMORIAL_HALL].g == 0 && c[CAT_MEMORIAL_HALL].a == 255);
	doc_close(&d);
	/* shapes through the same expression */
	enum marker_shape sh[CAT_COUNT];
	doc_open(&d, "{\"v\": [\"match\", [\"get\", \"category\"], \"museum\", \"square\", \"pin\"]}");
	CHECK(style_expr_by_category(&d.pos, d.v, "k", style_expr_shape, sh, sizeof sh[0]));
	CHECK(sh[CAT_MUSEUM] == SHAPE_SQUARE && sh[CAT_MONUMENT] == SHAPE_PIN);
	doc_close(&d);

	match_case("{\"v\": [\"case\", true, \"red\", \"blue\"]}",
	           "t.json:1: circle-color: only a constant or [\"match\", [\"get\", \"category\"], ...] is "
	           "supported");
	match_case("{\"v\": [\"match\",\n [\"get\", \"county\"], \"x\", \"red\", \"blue\"]}",
	           "t.json:2: circle-color: \"match\" must test [\"get\", \"category\"]");
	match_case("{\"v\": [\"match\", [\"get\", \"category\"], \"museum\", \"red\"]}",
	           "t.json:1: circle-color: \"match\" needs label/value pairs and a fallback value");
	match_case(
	    "{\"v\": [\"match\", [\"get\", \"category\"], \"museum\", \"red\",\n \"nope\"]}",
	    "t.json:2: circle-color: bad colour \"nope\" (use #rgb, #rrggbb, rgb(), rgba() or a CSS name)");
	match_case("{\"v\": [\"match\", [\"get\", \"category\"],\n \"memorial\", \"red\", \"blue\"]}",
	           "t.json:2: circle-color: unknown category \"memorial\" in \"match\"");
	match_case(
	    "{\"v\": [\"match\", [\"get\", \"category\"], \"museum\", \"red\",\n [\"museum\"], \"blue\", "
	    "\"black\"]}",
	    "t.json:2: circle-color: category \"museum\" appears twice in \"match\"");
	match_case("{\"v\": [\"match\", [\"get\", \"category\"],\n [], \"red\", \"blue\"]}",
	           "t.json:2: circle-color: an empty label list in \"match\"");
	match_case("{\"v\": [\"match\", [\"get\", \"category\"], 3, \"red\", \"blue\"]}",
	           "t.json:1: circle-color: a \"match\" label must be a category name, got a number");
	match_case("{\"v\": [\"match\", [\"get\", \"category\"], \"museum\",\n\n 5, \"blue\"]}",
	           "t.json:3: circle-color: expected a colour string, got a number");
}

static void test_forms(void)
{
	json_t *v =
	    json_loads("[[\"get\", \"name_zh\"], \"{name_zh}\", \"{name_zh}x\", \"{name_z}\", [\"get\"], "
	               "[\"zoom\"], [\"zoom\", 1], [\"get\", 7]]",
	               0, NULL);
	CHECK(v != NULL);
	if (!v)
		return;
	CHECK(style_expr_text_field_is(json_array_get(v, 0), "name_zh"));
	CHECK(style_expr_text_field_is(json_array_get(v, 1), "name_zh"));
	CHECK(!style_expr_text_field_is(json_array_get(v, 2), "name_zh"));
	CHECK(!style_expr_text_field_is(json_array_get(v, 3), "name_zh"));
	CHECK(!style_expr_text_field_is(json_array_get(v, 4), "name_zh"));
	CHECK(style_expr_is(json_array_get(v, 5), "zoom", NULL));
	CHECK(!style_expr_is(json_array_get(v, 6), "zoom", NULL));
	CHECK(!style_expr_is(json_array_get(v, 7), "get", "7"));
	CHECK(!style_expr_is(json_array_get(v, 0), "get", NULL));
	CHECK_STR(style_expr_type_name(json_array_get(v, 0)), "an array");
	CHECK_STR(style_expr_type_name(json_array_get(v, 1)), "a string");
	json_decref(v);
}

int main(void)
{
	test_numbers();
	test_leaves();
	test_match();
	test_forms();
	return CHECK_DONE();
}

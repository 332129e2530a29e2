/*
 * style_expr.c - reading property values and the expression subset; see
 * style_expr.h.
 *
 * The subset is what mapsvc's fixed picture can use: sizes that change
 * with the zoom (MapLibre's "interpolate" with "linear" over "zoom") and
 * colours or shapes that change with the category ("match" on "get"
 * "category").  Both are evaluated once, when the style is read, into
 * plain data (struct style_num, one value per category), so drawing a
 * tile never interprets JSON.
 */
#include "style_expr.h"

#include <assert.h>
#include <string.h>

#include "../site/site.h"
#include "colour.h"
#include "raster.h"

/* The leading elements of ["interpolate", ["linear"], ["zoom"], ...] and
 * of ["match", ["get", "category"], ...] before their pairs. */
#define INTERPOLATE_HEAD 3
#define MATCH_HEAD 2

const char *style_expr_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "something else";
}

bool style_expr_is(const json_t *v, const char *op, const char *arg)
{
	if (!json_is_array(v) || json_array_size(v) != (arg ? 2u : 1u))
		return false;
	const json_t *o = json_array_get(v, 0);
	if (!json_is_string(o) || strcmp(json_string_value(o), op) != 0)
		return false;
	return !arg || (json_is_string(json_array_get(v, 1)) &&
	                strcmp(json_string_value(json_array_get(v, 1)), arg) == 0);
}

bool style_expr_text_field_is(const json_t *v, const char *field)
{
	if (style_expr_is(v, "get", field))
		return true;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = strlen(field);
		return s[0] == '{' && strncmp(s + 1, field, n) == 0 && s[n + 1] == '}' && s[n + 2] == 0;
	}
	return false;
}

bool style_expr_number(struct jsonpos *pos, const json_t *v, const char *what, double lo, double hi,
                       double *out)
{
	if (!json_is_number(v))
		return jsonpos_fail(pos, "%s: expected a number, got %s", what, style_expr_type_name(v));
	double d = json_number_value(v);
	if (!(d >= lo && d <= hi))
		return jsonpos_fail(pos, "%s: %g is out of range [%g, %g]", what, d, lo, hi);
	*out = d;
	return true;
}

/* Element i of v, read by fn-like checks with the element's path pushed. */
static bool element_is(struct jsonpos *pos, const json_t *v, size_t i, const char *op, const char *arg,
                       const char *fmt, const char *what)
{
	if (style_expr_is(json_array_get(v, i), op, arg))
		return true;
	jsonpos_push_index(pos, i);
	jsonpos_fail(pos, fmt, what);
	jsonpos_pop(pos);
	return false;
}

bool style_expr_zoom_num(struct jsonpos *pos, const json_t *v, const char *what, double lo, double hi,
                         struct style_num *out)
{
	if (json_is_number(v)) {
		out->n = 1;
		out->z[0] = 0;
		return style_expr_number(pos, v, what, lo, hi, &out->v[0]);
	}
	if (!json_is_array(v) || !json_is_string(json_array_get(v, 0)))
		return jsonpos_fail(
		    pos, "%s: expected a number or [\"interpolate\", [\"linear\"], [\"zoom\"], ...], got %s",
		    what, style_expr_type_name(v));
	const char *op = json_string_value(json_array_get(v, 0));
	if (strcmp(op, "interpolate") != 0)
		return jsonpos_fail(pos, "%s: expression \"%s\" is not supported here (only \"interpolate\")",
		                    what, op);
	if (!element_is(pos, v, 1, "linear", NULL, "%s: only [\"linear\"] interpolation is supported",
	                what) ||
	    !element_is(pos, v, 2, "zoom", NULL, "%s: only [\"zoom\"] can be interpolated over", what))
		return false;
	size_t n = json_array_size(v);
	if (n < INTERPOLATE_HEAD + 2 || (n - INTERPOLATE_HEAD) % 2 != 0)
		return jsonpos_fail(pos, "%s: \"interpolate\" needs zoom/value pairs after [\"zoom\"]", what);
	if ((n - INTERPOLATE_HEAD) / 2 > STYLE_MAX_STOPS)
		return jsonpos_fail(pos, "%s: more than %d zoom stops", what, STYLE_MAX_STOPS);
	out->n = (int)((n - INTERPOLATE_HEAD) / 2);
	bool ok = true;
	for (int i = 0; i < out->n && ok; i++) {
		size_t iz = INTERPOLATE_HEAD + 2 * (size_t)i;
		jsonpos_push_index(pos, iz);
		ok =
		    style_expr_number(pos, json_array_get(v, iz), "zoom stop", 0, STYLE_MAX_ZOOM, &out->z[i]);
		if (ok && i > 0 && !(out->z[i] > out->z[i - 1]))
			ok = jsonpos_fail(pos, "%s: zoom stop %g is out of order (must be above %g)", what,
			                  out->z[i], out->z[i - 1]);
		jsonpos_pop(pos);
		if (!ok)
			break;
		jsonpos_push_index(pos, iz + 1);
		ok = style_expr_number(pos, json_array_get(v, iz + 1), what, lo, hi, &out->v[i]);
		jsonpos_pop(pos);
	}
	return ok;
}

bool style_expr_colour(struct jsonpos *pos, const json_t *v, const char *what, void *out)
{
	if (!json_is_string(v))
		return jsonpos_fail(pos, "%s: expected a colour string, got %s", what,
		                    style_expr_type_name(v));
	if (!colour_parse(json_string_value(v), out))
		return jsonpos_fail(pos,
		                    "%s: bad colour \"%s\" (use #rgb, #rrggbb, rgb(), rgba() or a CSS name)",
		                    what, json_string_value(v));
	return true;
}

bool style_expr_shape(struct jsonpos *pos, const json_t *v, const char *what, void *out)
{
	if (!json_is_string(v))
		return jsonpos_fail(pos, "%s: expected a marker shape string, got %s", what,
		                    style_expr_type_name(v));
	int shape = marker_shape_parse(json_string_value(v));
	if (shape < 0)
		return jsonpos_fail(
		    pos, "%s: unknown marker shape \"%s\" (circle, pin, square, diamond or triangle)", what,
		    json_string_value(v));
	*(enum marker_shape *)out = (enum marker_shape)shape;
	return true;
}

/* The categories a "match" label names (one name or an array of them) get
 * value; each category may be named once in the whole expression. */
static bool match_label(struct jsonpos *pos, const json_t *lab, const char *what, bool seen[CAT_COUNT],
                        char *out, const void *value, size_t elem)
{
	size_t nl = json_is_array(lab) ? json_array_size(lab) : 1;
	if (nl == 0)
		return jsonpos_fail(pos, "%s: an empty label list in \"match\"", what);
	for (size_t j = 0; j < nl; j++) {
		const json_t *name = json_is_array(lab) ? json_array_get(lab, j) : lab;
		if (!json_is_string(name))
			return jsonpos_fail(pos, "%s: a \"match\" label must be a category name, got %s",
			                    what, style_expr_type_name(name));
		const char *s = json_string_value(name);
		int cat = site_category_parse(s, strlen(s));
		if (cat < 0)
			return jsonpos_fail(pos, "%s: unknown category \"%s\" in \"match\"", what, s);
		if (seen[cat])
			return jsonpos_fail(pos, "%s: category \"%s\" appears twice in \"match\"", what, s);
		seen[cat] = true;
		memcpy(out + (size_t)cat * elem, value, elem);
	}
	return true;
}

bool style_expr_by_category(struct jsonpos *pos, const json_t *v, const char *what, style_expr_leaf_fn leaf,
                            void *out, size_t elem)
{
	char *o = out;
	if (!json_is_array(v)) {
		if (!leaf(pos, v, what, o))
			return false;
		for (int k = 1; k < CAT_COUNT; k++)
			memcpy(o + (size_t)k * elem, o, elem);
		return true;
	}
	const json_t *op = json_array_get(v, 0);
	if (!json_is_string(op) || strcmp(json_string_value(op), "match") != 0)
		return jsonpos_fail(
		    pos, "%s: only a constant or [\"match\", [\"get\", \"category\"], ...] is supported",
		    what);
	if (!element_is(pos, v, 1, "get", "category", "%s: \"match\" must test [\"get\", \"category\"]",
	                what))
		return false;
	size_t n = json_array_size(v);
	if (n < MATCH_HEAD + 3 || n % 2 != 1)
		return jsonpos_fail(pos, "%s: \"match\" needs label/value pairs and a fallback value", what);
	/* Aligned for any leaf type. */
	union leafbuf {
		struct rgba colour;
		enum marker_shape shape;
		double d;
	} fallback, value;
	assert(elem <= sizeof value);
	jsonpos_push_index(pos, n - 1);
	bool ok = leaf(pos, json_array_get(v, n - 1), what, &fallback);
	jsonpos_pop(pos);
	if (!ok)
		return false;
	for (int k = 0; k < CAT_COUNT; k++)
		memcpy(o + (size_t)k * elem, &fallback, elem);
	bool seen[CAT_COUNT] = {false};
	for (size_t i = MATCH_HEAD; i + 1 < n; i += 2) {
		jsonpos_push_index(pos, i + 1);
		ok = leaf(pos, json_array_get(v, i + 1), what, &value);
		jsonpos_pop(pos);
		if (!ok)
			return false;
		jsonpos_push_index(pos, i);
		ok = match_label(pos, json_array_get(v, i), what, seen, o, &value, elem);
		jsonpos_pop(pos);
		if (!ok)
			return false;
	}
	return true;
}

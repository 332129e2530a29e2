/*
 * style.c - reading styles/NAME.json into a struct style; see style.h and
 * styles/README.md, which documents the accepted subset of the MapLibre GL
 * style specification (https://maplibre.org/maplibre-style-spec/).
 *
 * jansson parses the text and reports the line of a syntax error.  It does
 * not keep positions of values, so for a semantic error (a bad colour, an
 * unknown property) the reader keeps the JSON path of what it is reading
 * (layers[2].paint.circle-color) in a struct jsonpos, which finds the line
 * of that member only when reading fails (util/jsonpos.h).
 *
 * Roles: MapLibre layers are generic; mapsvc draws a fixed picture
 * (background, site markers, clusters, their counts, labels), so each layer
 * is given a role by its type and filter, and each role may appear once.
 */
#include "style.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xxhash.h>

#include "../util/jsonpos.h"
#include "../util/mem.h"
#include "geodata.h"

/* A style file is a few kilobytes; refuse anything absurd before reading. */
#define STYLE_MAX_BYTES (1 << 20)
#define STYLE_MAX_ZOOM 24.0

/* ---- the reading context ------------------------------------------- */

struct ctx {
	struct jsonpos pos; /* the file, its text, the path being read, the error */
	/* context sources declared so far (names borrowed from the JSON) */
	const char *src_name[STYLE_MAX_CONTEXT];
	const struct geodata *src_data[STYLE_MAX_CONTEXT];
	int nsrc;
};

static void push_key(struct ctx *c, const char *key)
{
	jsonpos_push_key(&c->pos, key);
}

static void push_index(struct ctx *c, size_t i)
{
	jsonpos_push_index(&c->pos, i);
}

static void pop(struct ctx *c)
{
	jsonpos_pop(&c->pos);
}

/* Fails with "FILE:LINE: reason", LINE being that of the current path. */
#define fail(c, ...) jsonpos_fail(&(c)->pos, __VA_ARGS__)

/* ---- leaf values ---------------------------------------------------- */

static const char *type_name(const json_t *v)
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

static bool get_number(struct ctx *c, const json_t *v, const char *what, double lo, double hi, double *out)
{
	if (!json_is_number(v))
		return fail(c, "%s: expected a number, got %s", what, type_name(v));
	double d = json_number_value(v);
	if (!(d >= lo && d <= hi))
		return fail(c, "%s: %g is out of range [%g, %g]", what, d, lo, hi);
	*out = d;
	return true;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static const struct {
	const char *name;
	struct rgba c;
} css_names[] = {
	{"transparent", {0, 0, 0, 0}},     {"black", {0, 0, 0, 255}},       {"white", {255, 255, 255, 255}},
	{"red", {255, 0, 0, 255}},         {"green", {0, 128, 0, 255}},     {"blue", {0, 0, 255, 255}},
	{"gray", {128, 128, 128, 255}},    {"grey", {128, 128, 128, 255}},  {"silver", {192, 192, 192, 255}},
	{"maroon", {128, 0, 0, 255}},      {"orange", {255, 165, 0, 255}},  {"yellow", {255, 255, 0, 255}},
	{"purple", {128, 0, 128, 255}},    {"navy", {0, 0, 128, 255}},      {"teal", {0, 128, 128, 255}},
	{"gold", {255, 215, 0, 255}},      {"darkred", {139, 0, 0, 255}},   {"crimson", {220, 20, 60, 255}},
};

/* "rgb(r, g, b)" / "rgba(r, g, b, a)": r, g, b integers 0..255, a 0..1
 * (CSS Color 4's legacy comma syntax, as MapLibre's examples write it). */
static bool parse_rgb_func(const char *s, struct rgba *out)
{
	bool alpha = strncmp(s, "rgba(", 5) == 0;
	if (!alpha && strncmp(s, "rgb(", 4) != 0)
		return false;
	s += alpha ? 5 : 4;
	double v[4] = {0, 0, 0, 1};
	int n = alpha ? 4 : 3;
	for (int i = 0; i < n; i++) {
		while (*s == ' ')
			s++;
		char *end;
		errno = 0;
		v[i] = strtod(s, &end);
		if (end == s || errno)
			return false;
		s = end;
		while (*s == ' ')
			s++;
		if (*s != (i == n - 1 ? ')' : ','))
			return false;
		s++;
		if (i < 3 && !(v[i] >= 0 && v[i] <= 255 && v[i] == floor(v[i])))
			return false;
		if (i == 3 && !(v[i] >= 0 && v[i] <= 1))
			return false;
	}
	if (*s)
		return false;
	*out = (struct rgba){(uint8_t)v[0], (uint8_t)v[1], (uint8_t)v[2], (uint8_t)lround(v[3] * 255)};
	return true;
}

/* #rgb, #rrggbb, #rrggbbaa, rgb(), rgba() or a CSS name. */
static bool parse_colour_text(const char *s, struct rgba *out)
{
	size_t n = strlen(s);
	if (s[0] == '#') {
		int h[8];
		for (size_t i = 1; i < n; i++)
			if (i > 8 || (h[i - 1] = hexval((unsigned char)s[i])) < 0)
				return false;
		if (n == 4) {
			*out = (struct rgba){(uint8_t)(h[0] * 17), (uint8_t)(h[1] * 17), (uint8_t)(h[2] * 17), 255};
			return true;
		}
		if (n == 7 || n == 9) {
			*out = (struct rgba){(uint8_t)(h[0] * 16 + h[1]), (uint8_t)(h[2] * 16 + h[3]),
					     (uint8_t)(h[4] * 16 + h[5]), (uint8_t)(n == 9 ? h[6] * 16 + h[7] : 255)};
			return true;
		}
		return false;
	}
	if (parse_rgb_func(s, out))
		return true;
	for (size_t i = 0; i < sizeof css_names / sizeof css_names[0]; i++)
		if (strcmp(s, css_names[i].name) == 0) {
			*out = css_names[i].c;
			return true;
		}
	return false;
}

static bool get_colour(struct ctx *c, const json_t *v, const char *what, void *out)
{
	if (!json_is_string(v))
		return fail(c, "%s: expected a colour string, got %s", what, type_name(v));
	if (!parse_colour_text(json_string_value(v), out))
		return fail(c, "%s: bad colour \"%s\" (use #rgb, #rrggbb, rgb(), rgba() or a CSS name)", what,
			    json_string_value(v));
	return true;
}

/* Spellings of enum marker_shape, in its order (raster.h).  Kept here so
 * that reading a style needs no rasterizer. */
static const char *const shape_names[SHAPE_COUNT] = {"circle", "pin", "square", "diamond", "triangle"};

static bool get_shape(struct ctx *c, const json_t *v, const char *what, void *out)
{
	if (json_is_string(v))
		for (int i = 0; i < SHAPE_COUNT; i++)
			if (strcmp(json_string_value(v), shape_names[i]) == 0) {
				*(enum marker_shape *)out = (enum marker_shape)i;
				return true;
			}
	if (json_is_string(v))
		return fail(c, "%s: unknown marker shape \"%s\" (circle, pin, square, diamond or triangle)", what,
			    json_string_value(v));
	return fail(c, "%s: expected a marker shape string, got %s", what, type_name(v));
}

/* ---- expressions ---------------------------------------------------- */

/* Is v the expression [op] or [op, arg]? */
static bool is_expr(const json_t *v, const char *op, const char *arg)
{
	if (!json_is_array(v) || json_array_size(v) != (arg ? 2u : 1u))
		return false;
	const json_t *o = json_array_get(v, 0);
	if (!json_is_string(o) || strcmp(json_string_value(o), op) != 0)
		return false;
	return !arg || (json_is_string(json_array_get(v, 1)) && strcmp(json_string_value(json_array_get(v, 1)), arg) == 0);
}

/* A number or ["interpolate", ["linear"], ["zoom"], z0, v0, z1, v1, ...]. */
static bool get_num(struct ctx *c, const json_t *v, const char *what, double lo, double hi, struct style_num *out)
{
	if (json_is_number(v)) {
		out->n = 1;
		out->z[0] = 0;
		return get_number(c, v, what, lo, hi, &out->v[0]);
	}
	if (!json_is_array(v) || !json_is_string(json_array_get(v, 0)))
		return fail(c, "%s: expected a number or [\"interpolate\", [\"linear\"], [\"zoom\"], ...], got %s", what,
			    type_name(v));
	const char *op = json_string_value(json_array_get(v, 0));
	if (strcmp(op, "interpolate") != 0)
		return fail(c, "%s: expression \"%s\" is not supported here (only \"interpolate\")", what, op);
	size_t n = json_array_size(v);
	bool ok = true;
	push_index(c, 1);
	if (!is_expr(json_array_get(v, 1), "linear", NULL))
		ok = fail(c, "%s: only [\"linear\"] interpolation is supported", what);
	pop(c);
	if (!ok)
		return false;
	push_index(c, 2);
	if (!is_expr(json_array_get(v, 2), "zoom", NULL))
		ok = fail(c, "%s: only [\"zoom\"] can be interpolated over", what);
	pop(c);
	if (!ok)
		return false;
	if (n < 5 || (n - 3) % 2 != 0)
		return fail(c, "%s: \"interpolate\" needs zoom/value pairs after [\"zoom\"]", what);
	if ((n - 3) / 2 > STYLE_MAX_STOPS)
		return fail(c, "%s: more than %d zoom stops", what, STYLE_MAX_STOPS);
	out->n = (int)((n - 3) / 2);
	for (int i = 0; i < out->n && ok; i++) {
		size_t iz = 3 + 2 * (size_t)i;
		push_index(c, iz);
		ok = get_number(c, json_array_get(v, iz), "zoom stop", 0, STYLE_MAX_ZOOM, &out->z[i]);
		if (ok && i > 0 && !(out->z[i] > out->z[i - 1]))
			ok = fail(c, "%s: zoom stop %g is out of order (must be above %g)", what, out->z[i],
				  out->z[i - 1]);
		pop(c);
		if (!ok)
			break;
		push_index(c, iz + 1);
		ok = get_number(c, json_array_get(v, iz + 1), what, lo, hi, &out->v[i]);
		pop(c);
	}
	return ok;
}

typedef bool (*leaf_fn)(struct ctx *c, const json_t *v, const char *what, void *out);

/* A leaf value for every category, or ["match", ["get", "category"],
 * label, value, ..., fallback] where a label is a category name or an
 * array of them. */
static bool get_by_category(struct ctx *c, const json_t *v, const char *what, leaf_fn leaf, void *out, size_t elem)
{
	char *o = out;
	if (!json_is_array(v)) {
		if (!leaf(c, v, what, o))
			return false;
		for (int k = 1; k < CAT_COUNT; k++)
			memcpy(o + (size_t)k * elem, o, elem);
		return true;
	}
	const json_t *op = json_array_get(v, 0);
	if (!json_is_string(op) || strcmp(json_string_value(op), "match") != 0)
		return fail(c, "%s: only a constant or [\"match\", [\"get\", \"category\"], ...] is supported", what);
	size_t n = json_array_size(v);
	bool ok = true;
	push_index(c, 1);
	if (!is_expr(json_array_get(v, 1), "get", "category"))
		ok = fail(c, "%s: \"match\" must test [\"get\", \"category\"]", what);
	pop(c);
	if (!ok)
		return false;
	if (n < 5 || n % 2 != 1)
		return fail(c, "%s: \"match\" needs label/value pairs and a fallback value", what);
	bool seen[CAT_COUNT] = {false};
	/* Aligned for any leaf type. */
	union leafbuf {
		struct rgba colour;
		enum marker_shape shape;
		double d;
	} fallback, value;
	assert(elem <= sizeof value);
	push_index(c, n - 1);
	ok = leaf(c, json_array_get(v, n - 1), what, &fallback);
	pop(c);
	if (!ok)
		return false;
	for (int k = 0; k < CAT_COUNT; k++)
		memcpy(o + (size_t)k * elem, &fallback, elem);
	for (size_t i = 2; i + 1 < n; i += 2) {
		const json_t *lab = json_array_get(v, i);
		size_t nl = json_is_array(lab) ? json_array_size(lab) : 1;
		push_index(c, i + 1);
		ok = leaf(c, json_array_get(v, i + 1), what, &value);
		pop(c);
		if (!ok)
			return false;
		push_index(c, i);
		if (nl == 0)
			ok = fail(c, "%s: an empty label list in \"match\"", what);
		for (size_t j = 0; j < nl && ok; j++) {
			const json_t *name = json_is_array(lab) ? json_array_get(lab, j) : lab;
			if (!json_is_string(name)) {
				ok = fail(c, "%s: a \"match\" label must be a category name, got %s", what,
					  type_name(name));
				break;
			}
			const char *s = json_string_value(name);
			int cat = site_category_parse(s, strlen(s));
			if (cat < 0)
				ok = fail(c, "%s: unknown category \"%s\" in \"match\"", what, s);
			else if (seen[cat])
				ok = fail(c, "%s: category \"%s\" appears twice in \"match\"", what, s);
			else {
				seen[cat] = true;
				memcpy(o + (size_t)cat * elem, &value, elem);
			}
		}
		pop(c);
		if (!ok)
			return false;
	}
	return true;
}

/* text-field: ["get", FIELD] or the legacy "{FIELD}" token string. */
static bool text_field_is(const json_t *v, const char *field)
{
	if (is_expr(v, "get", field))
		return true;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = strlen(field);
		return s[0] == '{' && strncmp(s + 1, field, n) == 0 && s[n + 1] == '}' && s[n + 2] == 0;
	}
	return false;
}

/* text-font: a list of font names, or the vendor "mapsvc:font-file". */
static bool get_font_list(struct ctx *c, const json_t *v)
{
	if (!json_is_array(v) || json_array_size(v) == 0)
		return fail(c, "text-font: expected an array of font names");
	size_t i;
	const json_t *name;
	json_array_foreach(v, i, name) {
		if (!json_is_string(name))
			return fail(c, "text-font: expected font names, got %s", type_name(name));
		const char *s = json_string_value(name);
		/* The bundled font, which glyphs.c opens by default: nothing
		 * to record ("mapsvc:font-file" names another one). */
		if (strcmp(s, "WenQuanYi Micro Hei") == 0 || strcmp(s, "WenQuanYi Micro Hei Regular") == 0)
			return true;
	}
	return fail(c, "text-font: no known font in the list (use \"WenQuanYi Micro Hei\" or layout "
		       "\"mapsvc:font-file\")");
}

/* ---- layers --------------------------------------------------------- */

enum role {
	ROLE_BACKGROUND,
	ROLE_SITES,
	ROLE_CLUSTERS,
	ROLE_CLUSTER_COUNT,
	ROLE_LABELS,
	ROLE_FILL, /* context: any number of these */
	ROLE_LINE,
	ROLE_COUNT
};
static const char *const role_names[ROLE_COUNT] = {"background", "site markers", "clusters", "cluster counts",
						   "labels", "fill", "line"};

/* One known property: where it may appear and how it is read. */
struct prop {
	const char *name;
	bool layout; /* in "layout", else "paint" */
	unsigned roles; /* 1 << role */
};

#define R(x) (1u << (x))
static const struct prop props[] = {
	{"visibility", true,
	 R(ROLE_BACKGROUND) | R(ROLE_SITES) | R(ROLE_CLUSTERS) | R(ROLE_CLUSTER_COUNT) | R(ROLE_LABELS) | R(ROLE_FILL) |
		 R(ROLE_LINE)},
	{"fill-color", false, R(ROLE_FILL)},
	{"fill-opacity", false, R(ROLE_FILL)},
	{"line-color", false, R(ROLE_LINE)},
	{"line-width", false, R(ROLE_LINE)},
	{"line-opacity", false, R(ROLE_LINE)},
	{"background-color", false, R(ROLE_BACKGROUND)},
	{"circle-radius", false, R(ROLE_SITES) | R(ROLE_CLUSTERS)},
	{"circle-color", false, R(ROLE_SITES) | R(ROLE_CLUSTERS)},
	{"circle-stroke-color", false, R(ROLE_SITES) | R(ROLE_CLUSTERS)},
	{"circle-stroke-width", false, R(ROLE_SITES) | R(ROLE_CLUSTERS)},
	{"mapsvc:marker-shape", true, R(ROLE_SITES)},
	{"text-field", true, R(ROLE_CLUSTER_COUNT) | R(ROLE_LABELS)},
	{"text-size", true, R(ROLE_CLUSTER_COUNT) | R(ROLE_LABELS)},
	{"text-font", true, R(ROLE_CLUSTER_COUNT) | R(ROLE_LABELS)},
	{"mapsvc:font-file", true, R(ROLE_CLUSTER_COUNT) | R(ROLE_LABELS)},
	{"text-anchor", true, R(ROLE_LABELS)},
	{"mapsvc:text-gap", true, R(ROLE_LABELS)},
	{"text-color", false, R(ROLE_CLUSTER_COUNT) | R(ROLE_LABELS)},
	{"text-halo-color", false, R(ROLE_LABELS)},
	{"text-halo-width", false, R(ROLE_LABELS)},
};

/* Every member of obj ("layout" or "paint") must be a property known for
 * this role. */
static bool check_props(struct ctx *c, const json_t *obj, bool layout, enum role r)
{
	const char *key;
	const json_t *val;
	json_object_foreach((json_t *)obj, key, val) {
		bool known = false, elsewhere = false;
		for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
			if (strcmp(props[i].name, key) != 0)
				continue;
			if (props[i].layout == layout && (props[i].roles & R(r)))
				known = true;
			else
				elsewhere = true;
		}
		if (!known) {
			push_key(c, key);
			bool ok = elsewhere ? fail(c, "\"%s\" is not supported in %s of a %s layer", key,
						   layout ? "layout" : "paint", role_names[r])
					    : fail(c, "unknown %s property \"%s\"", layout ? "layout" : "paint", key);
			pop(c);
			return ok;
		}
	}
	return true;
}

/* The value of a "layout"/"paint" member, path pushed while reading. */
struct section {
	const json_t *obj;
	const char *name; /* "layout" or "paint" */
};

static bool sec_get(struct ctx *c, const struct section *s, const char *key, const json_t **v)
{
	*v = s->obj ? json_object_get(s->obj, key) : NULL;
	if (*v) {
		push_key(c, s->name);
		push_key(c, key);
	}
	return *v != NULL;
}

static void sec_done(struct ctx *c)
{
	pop(c);
	pop(c);
}

#define READ(sec, key, call)                          \
	do {                                          \
		const json_t *v_;                     \
		if (sec_get(c, &(sec), key, &v_)) {   \
			const json_t *v = v_;         \
			bool ok_ = (call);            \
			sec_done(c);                  \
			if (!ok_)                     \
				return false;         \
		}                                     \
	} while (0)

static void num_const(struct style_num *n, double v)
{
	n->n = 1;
	n->z[0] = 0;
	n->v[0] = v;
}

static const struct rgba BLACK = {0, 0, 0, 255}, CLEAR = {0, 0, 0, 0};

/* Reads the paint and layout of a layer of role r into st. */
static bool read_role(struct ctx *c, enum role r, const struct section *layout, const struct section *paint,
		      struct style *st)
{
	switch (r) {
	case ROLE_BACKGROUND:
		st->background = BLACK; /* MapLibre's default */
		READ(*paint, "background-color", get_colour(c, v, "background-color", &st->background));
		return true;
	case ROLE_SITES:
		num_const(&st->marker_size, 5);
		num_const(&st->marker_outline_width, 0);
		st->marker_outline = BLACK;
		for (int k = 0; k < CAT_COUNT; k++) {
			st->marker_color[k] = BLACK;
			st->marker_shape[k] = SHAPE_CIRCLE;
		}
		READ(*paint, "circle-radius", get_num(c, v, "circle-radius", 0, 100, &st->marker_size));
		READ(*paint, "circle-color",
		     get_by_category(c, v, "circle-color", get_colour, st->marker_color, sizeof st->marker_color[0]));
		READ(*paint, "circle-stroke-color", get_colour(c, v, "circle-stroke-color", &st->marker_outline));
		READ(*paint, "circle-stroke-width",
		     get_num(c, v, "circle-stroke-width", 0, 20, &st->marker_outline_width));
		READ(*layout, "mapsvc:marker-shape",
		     get_by_category(c, v, "mapsvc:marker-shape", get_shape, st->marker_shape,
				     sizeof st->marker_shape[0]));
		return true;
	case ROLE_CLUSTERS:
		num_const(&st->cluster_size, 5);
		st->cluster_color = BLACK;
		st->cluster_outline = BLACK;
		st->cluster_outline_width = 0;
		READ(*paint, "circle-radius", get_num(c, v, "circle-radius", 0, 100, &st->cluster_size));
		READ(*paint, "circle-color", get_colour(c, v, "circle-color", &st->cluster_color));
		READ(*paint, "circle-stroke-color", get_colour(c, v, "circle-stroke-color", &st->cluster_outline));
		READ(*paint, "circle-stroke-width",
		     get_number(c, v, "circle-stroke-width", 0, 20, &st->cluster_outline_width));
		return true;
	case ROLE_CLUSTER_COUNT:
	case ROLE_LABELS: {
		bool labels = r == ROLE_LABELS;
		struct style_num *size = labels ? &st->label_size : &st->cluster_text_size;
		struct rgba *colour = labels ? &st->label_color : &st->cluster_text_color;
		num_const(size, 16);
		*colour = BLACK;
		const json_t *tf = layout->obj ? json_object_get(layout->obj, "text-field") : NULL;
		if (!tf) {
			push_key(c, layout->obj ? "layout" : "type");
			bool ok = fail(c, "a %s layer needs layout \"text-field\"", role_names[r]);
			pop(c);
			return ok;
		}
		READ(*layout, "text-field",
		     labels ? (text_field_is(v, "name_zh") ||
			       fail(c, "text-field: labels show [\"get\", \"name_zh\"] (the only field supported)"))
			    : (text_field_is(v, "point_count_abbreviated") || text_field_is(v, "point_count") ||
			       fail(c, "text-field: cluster counts show [\"get\", \"point_count_abbreviated\"]")));
		READ(*layout, "text-size", get_num(c, v, "text-size", 1, 128, size));
		READ(*layout, "text-font", get_font_list(c, v));
		READ(*layout, "mapsvc:font-file",
		     (json_is_string(v) && strlen(json_string_value(v)) < sizeof st->font &&
		      json_string_value(v)[0])
			     ? (snprintf(st->font, sizeof st->font, "%s", json_string_value(v)), true)
			     : fail(c, "mapsvc:font-file: expected a font file path"));
		READ(*paint, "text-color", get_colour(c, v, "text-color", colour));
		if (!labels)
			return true;
		st->label_halo = CLEAR;
		st->label_halo_width = 0;
		st->label_offset = 2;
		READ(*layout, "text-anchor",
		     (json_is_string(v) && strcmp(json_string_value(v), "bottom") == 0) ||
			     fail(c, "text-anchor: labels sit above their marker: only \"bottom\" is supported"));
		READ(*layout, "mapsvc:text-gap", get_number(c, v, "mapsvc:text-gap", 0, 64, &st->label_offset));
		READ(*paint, "text-halo-color", get_colour(c, v, "text-halo-color", &st->label_halo));
		READ(*paint, "text-halo-width", get_number(c, v, "text-halo-width", 0, 16, &st->label_halo_width));
		return true;
	}
	case ROLE_FILL:
	case ROLE_LINE:
	case ROLE_COUNT: break;
	}
	return true;
}

/* A fill or line layer over a context source: one more entry of
 * st->context, in file order (the drawing order). */
static bool read_context_layer(struct ctx *c, enum role r, const struct geodata *data, double zmin, double zmax,
			       const struct section *layout, const struct section *paint, struct style *st)
{
	(void)layout;
	if (st->ncontext == STYLE_MAX_CONTEXT)
		return fail(c, "more than %d fill and line layers", STYLE_MAX_CONTEXT);
	struct style_context *cx = &st->context[st->ncontext];
	*cx = (struct style_context){.kind = r == ROLE_FILL ? STYLE_CONTEXT_FILL : STYLE_CONTEXT_LINE,
				     .data = data, .minzoom = zmin, .maxzoom = zmax, .color = BLACK};
	/* MapLibre's defaults: opacity 1, line-width 1 */
	num_const(&cx->opacity, 1);
	num_const(&cx->width, 1);
	if (r == ROLE_FILL) {
		READ(*paint, "fill-color", get_colour(c, v, "fill-color", &cx->color));
		READ(*paint, "fill-opacity", get_num(c, v, "fill-opacity", 0, 1, &cx->opacity));
	} else {
		READ(*paint, "line-color", get_colour(c, v, "line-color", &cx->color));
		READ(*paint, "line-width", get_num(c, v, "line-width", 0, 64, &cx->width));
		READ(*paint, "line-opacity", get_num(c, v, "line-opacity", 0, 1, &cx->opacity));
	}
	st->ncontext++;
	return true;
}

/* The role of a circle or symbol layer from its filter: ["has",
 * "point_count"] selects clusters, no filter or ["!", ["has",
 * "point_count"]] the single sites. */
static bool layer_filter(struct ctx *c, const json_t *layer, bool *clusters)
{
	const json_t *f = json_object_get(layer, "filter");
	*clusters = false;
	if (!f)
		return true;
	if (is_expr(f, "has", "point_count")) {
		*clusters = true;
		return true;
	}
	if (json_is_array(f) && json_array_size(f) == 2 && json_is_string(json_array_get(f, 0)) &&
	    strcmp(json_string_value(json_array_get(f, 0)), "!") == 0 &&
	    is_expr(json_array_get(f, 1), "has", "point_count"))
		return true;
	push_key(c, "filter");
	fail(c, "only [\"has\", \"point_count\"] and [\"!\", [\"has\", \"point_count\"]] filters are supported");
	pop(c);
	return false;
}

static const char *const layer_members[] = {"id", "type", "source", "source-layer", "filter", "minzoom",
					    "maxzoom", "layout", "paint", "metadata"};

static bool read_layer(struct ctx *c, const json_t *layer, bool seen[ROLE_COUNT], const char **ids, size_t idx,
		       struct style *st)
{
	if (!json_is_object(layer))
		return fail(c, "a layer must be an object, got %s", type_name(layer));
	const char *key;
	const json_t *val;
	json_object_foreach((json_t *)layer, key, val) {
		bool known = false;
		for (size_t i = 0; i < sizeof layer_members / sizeof layer_members[0]; i++)
			known |= strcmp(key, layer_members[i]) == 0;
		if (!known) {
			push_key(c, key);
			fail(c, "unknown layer member \"%s\"", key);
			pop(c);
			return false;
		}
	}
	const json_t *id = json_object_get(layer, "id");
	if (!json_is_string(id)) {
		push_key(c, id ? "id" : "type");
		bool ok = fail(c, "a layer needs a string \"id\"");
		pop(c);
		return ok;
	}
	ids[idx] = json_string_value(id);
	for (size_t i = 0; i < idx; i++)
		if (strcmp(ids[i], ids[idx]) == 0) {
			push_key(c, "id");
			fail(c, "layer id \"%s\" is used twice", ids[idx]);
			pop(c);
			return false;
		}
	const json_t *type = json_object_get(layer, "type");
	push_key(c, type ? "type" : "id");
	if (!json_is_string(type)) {
		fail(c, "layer \"%s\" needs a string \"type\"", ids[idx]);
		pop(c);
		return false;
	}
	const char *t = json_string_value(type);
	enum role r;
	bool clusters = false;
	if (strcmp(t, "background") == 0)
		r = ROLE_BACKGROUND;
	else if (strcmp(t, "fill") == 0)
		r = ROLE_FILL;
	else if (strcmp(t, "line") == 0)
		r = ROLE_LINE;
	else if (strcmp(t, "circle") == 0 || strcmp(t, "symbol") == 0) {
		pop(c);
		if (!layer_filter(c, layer, &clusters))
			return false;
		push_key(c, "type");
		r = t[0] == 'c' ? (clusters ? ROLE_CLUSTERS : ROLE_SITES) : (clusters ? ROLE_CLUSTER_COUNT : ROLE_LABELS);
	} else {
		fail(c, "unknown layer type \"%s\" (background, fill, line, circle or symbol)", t);
		pop(c);
		return false;
	}
	bool context = r == ROLE_FILL || r == ROLE_LINE;
	if (seen[r] && !context) {
		fail(c, "layer \"%s\": a second %s layer (only one is supported)", ids[idx], role_names[r]);
		pop(c);
		return false;
	}
	pop(c);
	seen[r] = true;

	const json_t *src = json_object_get(layer, "source");
	const struct geodata *data = NULL;
	if (context) {
		for (int i = 0; i < c->nsrc && json_is_string(src); i++)
			if (strcmp(c->src_name[i], json_string_value(src)) == 0)
				data = c->src_data[i];
		if (!data) {
			push_key(c, src ? "source" : "type");
			fail(c, "a %s layer needs a \"source\" naming a GeoJSON file source of \"sources\" (not \"sites\")",
			     t);
			pop(c);
			return false;
		}
	} else if (src && (r == ROLE_BACKGROUND || !json_is_string(src) || strcmp(json_string_value(src), "sites") != 0)) {
		push_key(c, "source");
		fail(c, r == ROLE_BACKGROUND ? "a background layer has no source" : "the only source is \"sites\"");
		pop(c);
		return false;
	}
	const json_t *zmin = json_object_get(layer, "minzoom"), *zmax = json_object_get(layer, "maxzoom");
	double cz[2] = {0, STYLE_MAX_ZOOM + 1}; /* a context layer's minzoom, maxzoom */
	for (int i = 0; i < 2 && context; i++) {
		const json_t *z = i ? zmax : zmin;
		if (!z)
			continue;
		push_key(c, i ? "maxzoom" : "minzoom");
		bool ok = get_number(c, z, i ? "maxzoom" : "minzoom", 0, STYLE_MAX_ZOOM, &cz[i]);
		pop(c);
		if (!ok)
			return false;
	}
	if (!context && (zmax || (zmin && r != ROLE_LABELS))) {
		push_key(c, zmax ? "maxzoom" : "minzoom");
		fail(c, "\"%s\" is only supported as the labels layer's minzoom (clusters end at the source's "
			"clusterMaxZoom)",
		     zmax ? "maxzoom" : "minzoom");
		pop(c);
		return false;
	}
	struct section layout = {json_object_get(layer, "layout"), "layout"};
	struct section paint = {json_object_get(layer, "paint"), "paint"};
	const struct section *secs[2] = {&layout, &paint};
	for (int i = 0; i < 2; i++) {
		if (!secs[i]->obj)
			continue;
		push_key(c, secs[i]->name);
		bool ok = json_is_object(secs[i]->obj) ? check_props(c, secs[i]->obj, i == 0, r)
						       : fail(c, "\"%s\" must be an object", secs[i]->name);
		pop(c);
		if (!ok)
			return false;
	}
	/* "visibility": "none" keeps the layer in the file but out of the
	 * picture, as in MapLibre. */
	const json_t *vis = layout.obj ? json_object_get(layout.obj, "visibility") : NULL;
	if (vis) {
		push_key(c, "layout");
		push_key(c, "visibility");
		bool none = json_is_string(vis) && strcmp(json_string_value(vis), "none") == 0;
		bool ok = none || (json_is_string(vis) && strcmp(json_string_value(vis), "visible") == 0) ||
			  fail(c, "visibility: \"visible\" or \"none\"");
		pop(c);
		pop(c);
		if (!ok)
			return false;
		if (none)
			return true;
	}
	if (r == ROLE_LABELS) {
		double z = 0;
		if (zmin) {
			push_key(c, "minzoom");
			bool ok = get_number(c, zmin, "minzoom", 0, STYLE_MAX_ZOOM, &z);
			pop(c);
			if (!ok)
				return false;
		}
		st->label_minzoom = (int)ceil(z);
	}
	if (context)
		return read_context_layer(c, r, data, cz[0], cz[1], &layout, &paint, st);
	return read_role(c, r, &layout, &paint, st);
}

/* ---- the file ------------------------------------------------------- */

/* Values for everything a style leaves out: an absent layer draws nothing
 * (see styles/README.md). */
static void style_defaults(struct style *st)
{
	memset(st, 0, sizeof *st);
	st->background = CLEAR;
	num_const(&st->marker_size, 0);
	num_const(&st->marker_outline_width, 0);
	for (int k = 0; k < CAT_COUNT; k++) {
		st->marker_color[k] = CLEAR;
		st->marker_shape[k] = SHAPE_CIRCLE;
	}
	st->marker_outline = CLEAR;
	st->cluster = false;
	st->cluster_maxzoom = 17; /* MapLibre: one below the source's default maxzoom 18 */
	st->cluster_radius = 50;  /* MapLibre's default clusterRadius */
	num_const(&st->cluster_size, 0);
	st->cluster_color = st->cluster_outline = st->cluster_text_color = CLEAR;
	st->cluster_outline_width = 0;
	num_const(&st->cluster_text_size, 12);
	st->label_minzoom = STYLE_ZOOM_NEVER;
	num_const(&st->label_size, 12);
	st->label_color = st->label_halo = CLEAR;
	st->label_halo_width = 0;
	st->label_offset = 2;
	st->font[0] = '\0';
}

/* The file a context source's "data" names: beside the styles folder
 * (an installed share/mapsvc, or a build folder), else in the data/
 * folder beside it (the source tree). */
static bool resolve_data(struct ctx *c, const char *rel, char *out, size_t size)
{
	const char *slash = strrchr(c->pos.name, '/');
	int dn = slash ? (int)(slash - c->pos.name) : 1;
	const char *dir = slash ? c->pos.name : ".";
	const char *tries[2] = {"", "data/"};
	for (int i = 0; i < 2; i++) {
		int n = snprintf(out, size, "%.*s/../%s%s", dn, dir, tries[i], rel);
		if (n < 0 || (size_t)n >= size)
			return fail(c, "data: path too long");
		FILE *f = fopen(out, "rb");
		if (f) {
			fclose(f);
			return true;
		}
	}
	return fail(c, "data: \"%s\" not found beside the styles folder (%.*s/../%s) nor in its data/ folder", rel,
		    dn, dir, rel);
}

/* A context source: {"type": "geojson", "data": "basemap/NAME.geojson"},
 * loaded now so that a broken file stops start-up. */
static bool read_file_source(struct ctx *c, const char *name, const json_t *src)
{
	if (!json_is_object(src))
		return fail(c, "source \"%s\" must be an object", name);
	if (c->nsrc == STYLE_MAX_CONTEXT)
		return fail(c, "more than %d GeoJSON file sources", STYLE_MAX_CONTEXT);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)src, k, v) {
		bool ok = true;
		push_key(c, k);
		if (strcmp(k, "type") == 0)
			ok = (json_is_string(v) && strcmp(json_string_value(v), "geojson") == 0) ||
			     fail(c, "source \"%s\": only \"geojson\" sources are supported", name);
		else if (strcmp(k, "data") == 0)
			ok = (json_is_string(v) && json_string_value(v)[0] && json_string_value(v)[0] != '/' &&
			      !strstr(json_string_value(v), "://")) ||
			     fail(c, "source \"%s\": \"data\" must be a relative file path such as "
				     "\"basemap/provinces.geojson\"",
				  name);
		else if (strcmp(k, "attribution") != 0)
			ok = fail(c, "unknown member \"%s\" of a GeoJSON file source", k);
		pop(c);
		if (!ok)
			return false;
	}
	const json_t *type = json_object_get(src, "type"), *data = json_object_get(src, "data");
	if (!type || !data)
		return fail(c, "source \"%s\" needs \"type\": \"geojson\" and \"data\"", name);
	push_key(c, "data");
	char path[4096];
	if (!resolve_data(c, json_string_value(data), path, sizeof path))
		return false;
	const struct geodata *g;
	if (geodata_load(path, &g, c->pos.err) != MS_OK) {
		char reason[600];
		snprintf(reason, sizeof reason, "%.500s", c->pos.err->msg);
		return fail(c, "source \"%s\": %s", name, reason);
	}
	pop(c);
	c->src_name[c->nsrc] = name;
	c->src_data[c->nsrc] = g;
	c->nsrc++;
	return true;
}

static bool read_sources(struct ctx *c, const json_t *sources, struct style *st)
{
	if (!json_is_object(sources))
		return fail(c, "\"sources\" must be an object");
	const char *key;
	const json_t *src;
	json_object_foreach((json_t *)sources, key, src) {
		push_key(c, key);
		if (strcmp(key, "sites") != 0) {
			if (!read_file_source(c, key, src))
				return false;
			pop(c);
			continue;
		}
		if (!json_is_object(src))
			return fail(c, "source \"sites\" must be an object");
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)src, k, v) {
			push_key(c, k);
			bool ok = true;
			double d;
			if (strcmp(k, "type") == 0)
				ok = (json_is_string(v) && strcmp(json_string_value(v), "geojson") == 0) ||
				     fail(c, "the sites source is of type \"geojson\"");
			else if (strcmp(k, "cluster") == 0) {
				ok = json_is_boolean(v) || fail(c, "cluster: expected true or false");
				st->cluster = json_is_true(v);
			} else if (strcmp(k, "clusterMaxZoom") == 0) {
				ok = get_number(c, v, "clusterMaxZoom", 0, STYLE_MAX_ZOOM, &d);
				if (ok && d != floor(d))
					ok = fail(c, "clusterMaxZoom: expected a whole zoom level");
				st->cluster_maxzoom = (int)d;
			} else if (strcmp(k, "clusterRadius") == 0) {
				ok = get_number(c, v, "clusterRadius", 0, 512, &d);
				st->cluster_radius = d;
			} else if (strcmp(k, "data") != 0 && strcmp(k, "attribution") != 0)
				ok = fail(c, "unknown member \"%s\" of the sites source", k);
			pop(c);
			if (!ok)
				return false;
		}
		pop(c);
	}
	return true;
}

/* Top-level members MapLibre defines that mapsvc accepts and ignores (they
 * concern an interactive map's camera and resources). */
static const char *const ignored_top[] = {"metadata", "center", "zoom", "bearing", "pitch", "sprite", "glyphs",
					  "transition"};

static bool read_style(struct ctx *c, const json_t *root, struct style *st)
{
	if (!json_is_object(root))
		return fail(c, "a style is a JSON object");
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)root, key, v) {
		bool known = strcmp(key, "version") == 0 || strcmp(key, "name") == 0 || strcmp(key, "sources") == 0 ||
			     strcmp(key, "layers") == 0;
		for (size_t i = 0; i < sizeof ignored_top / sizeof ignored_top[0]; i++)
			known |= strcmp(key, ignored_top[i]) == 0;
		if (!known) {
			push_key(c, key);
			return fail(c, "unknown top-level member \"%s\"", key);
		}
	}
	v = json_object_get(root, "version");
	push_key(c, "version");
	if (!v || !json_is_integer(v) || json_integer_value(v) != 8)
		return fail(c, v ? "\"version\" must be 8" : "missing \"version\": 8");
	pop(c);
	v = json_object_get(root, "name");
	if (v) {
		push_key(c, "name");
		if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof st->title)
			return fail(c, "\"name\" must be a string under %zu bytes", sizeof st->title);
		snprintf(st->title, sizeof st->title, "%s", json_string_value(v));
		pop(c);
	}
	v = json_object_get(root, "sources");
	if (v) {
		push_key(c, "sources");
		if (!read_sources(c, v, st))
			return false;
		pop(c);
	}
	const json_t *layers = json_object_get(root, "layers");
	push_key(c, "layers");
	if (!json_is_array(layers))
		return fail(c, layers ? "\"layers\" must be an array" : "missing \"layers\"");
	size_t nl = json_array_size(layers);
	const char **ids = xcalloc(nl + 1, sizeof *ids);
	bool seen[ROLE_COUNT] = {false};
	bool ok = true;
	for (size_t i = 0; i < nl && ok; i++) {
		push_index(c, i);
		ok = read_layer(c, json_array_get(layers, i), seen, ids, i, st);
		pop(c);
	}
	free(ids);
	pop(c);
	return ok;
}

/* The file name without directory and ".json"; it names the style in
 * URLs (/tiles/{style}/...), so only URL-safe characters. */
static bool style_name_from_path(struct ctx *c, const char *path, struct style *st)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".json") == 0)
		n -= 5;
	if (n == 0 || n >= sizeof st->name) {
		c->pos.depth = 0;
		return fail(c, "a style's file name must be 1 to %zu characters before .json", sizeof st->name - 1);
	}
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)base[i]) && base[i] != '-' && base[i] != '_') {
			c->pos.depth = 0;
			return fail(c, "a style's file name may hold only letters, digits, '-' and '_'");
		}
	memcpy(st->name, base, n);
	st->name[n] = 0;
	return true;
}

enum ms_status style_load(const char *path, struct style *out, struct ms_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return ms_fail(err, MS_EIO, "%s: cannot open: %s", path, strerror(errno));
	char *text = xmalloc(STYLE_MAX_BYTES + 1);
	size_t len = fread(text, 1, STYLE_MAX_BYTES + 1, f);
	bool rerr = ferror(f);
	fclose(f);
	if (rerr) {
		free(text);
		return ms_fail(err, MS_EIO, "%s: read error", path);
	}
	if (len > STYLE_MAX_BYTES) {
		free(text);
		return ms_fail(err, MS_EDATA, "%s:1: larger than %d bytes", path, STYLE_MAX_BYTES);
	}
	text[len] = 0;

	struct style st;
	style_defaults(&st);
	struct ctx c = {.nsrc = 0};
	jsonpos_init(&c.pos, path, text, len, err);
	enum ms_status rc = MS_OK;
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		rc = ms_fail(err, MS_EDATA, "%s:%d: %s", path, je.line > 0 ? je.line : 1, je.text);
	else if (!style_name_from_path(&c, path, &st) || !read_style(&c, root, &st))
		rc = MS_EDATA;
	if (rc == MS_OK) {
		if (!st.title[0])
			snprintf(st.title, sizeof st.title, "%s", st.name);
		/* The data files are part of the look: their hashes seed the
		 * style's, so a changed basemap changes every ETag. */
		uint64_t seed = 0;
		for (int i = 0; i < c.nsrc; i++)
			seed = seed * 0x9E3779B97F4A7C15ull + c.src_data[i]->hash;
		st.version = XXH3_64bits_withSeed(text, len, seed);
		*out = st;
	}
	json_decref(root);
	free(text);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum ms_status style_load_dir(const char *dir, struct style **out, size_t *n, struct ms_error *err)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return ms_fail(err, MS_EIO, "%s: cannot open the styles directory: %s", dir, strerror(errno));
	char **names = NULL;
	size_t nn = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		if (nn == cap) {
			cap = cap ? cap * 2 : 8;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[nn++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (nn)
		qsort(names, nn, sizeof *names, cmp_names);
	struct style *v = nn ? xcalloc(nn, sizeof *v) : NULL;
	enum ms_status rc = MS_OK;
	for (size_t i = 0; i < nn && rc == MS_OK; i++) {
		size_t pl = strlen(dir) + strlen(names[i]) + 2;
		char *p = xmalloc(pl);
		snprintf(p, pl, "%s/%s", dir, names[i]);
		rc = style_load(p, &v[i], err);
		free(p);
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	if (rc != MS_OK) {
		free(v);
		return rc;
	}
	*out = v;
	*n = nn;
	return MS_OK;
}

const struct style *style_find(const struct style *styles, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(styles[i].name, name) == 0)
			return &styles[i];
	return NULL;
}

double style_eval(const struct style_num *num, double zoom)
{
	if (num->n <= 0)
		return 0;
	if (num->n == 1 || zoom <= num->z[0])
		return num->v[0];
	for (int i = 1; i < num->n; i++)
		if (zoom <= num->z[i]) {
			double t = (zoom - num->z[i - 1]) / (num->z[i] - num->z[i - 1]);
			return num->v[i - 1] + t * (num->v[i] - num->v[i - 1]);
		}
	return num->v[num->n - 1];
}

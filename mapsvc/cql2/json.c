/*
 * json.c - the cql2-json encoding (OGC 21-065 8.3 and its JSON Schema,
 * cql2.json): jansson reads the JSON, this file walks it and calls the
 * builder, so a cql2-json filter becomes the same tree as its cql2-text
 * twin and prints the same canonical text.
 *
 * Predicates are {"op": ..., "args": [...]} (or true / false); values are
 * strings, numbers, booleans, {"property": name}, {"date": ...},
 * {"timestamp": ...}, {"interval": [start, end]}, {"bbox": [...]}, GeoJSON
 * geometry objects, and {"op": "casei" | "accenti", "args": [value]}.
 * Operator names are matched without regard to case ("isNull",
 * "t_finishedBy").  Members a filter does not use are ignored, as GeoJSON
 * allows foreign members.
 *
 * Errors say where as a JSON pointer ("at /args/1/coordinates/0").
 * jansson refuses duplicate keys, and its own nesting limit keeps the
 * reading bounded; this walk counts its own depth against
 * CQL2_MAX_DEPTH.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/utf8.h"
#include "cql2_int.h"

/* How much of an unknown function's name a message quotes, in bytes. */
#define SHOW_OP_MAX 40

/* RFC 7946 type names, in enum cq_gtype order (no BBOX: {"bbox": ...}). */
static const char *const geojson_types[] = {"Point",   "MultiPoint",   "LineString",        "MultiLineString",
                                            "Polygon", "MultiPolygon", "GeometryCollection"};
#define POS_MAX_AXES 3
#define BBOX_MAX_NUMBERS 6

struct jp {
	struct cq_build *b;
	char path[CQ_WHERE_MAX - 16]; /* room for "at " before it */
	size_t len;
	int depth;
};

static const char *where(struct jp *J, char *w)
{
	snprintf(w, CQ_WHERE_MAX, "at %s", J->len ? J->path : "the top");
	return w;
}

static void *jfail(struct jp *J, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void *jfail(struct jp *J, const char *fmt, ...)
{
	char w[CQ_WHERE_MAX], msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cq_fail(J->b, where(J, w), "%s", msg);
}

/* Descends into the path suffix fmt (a JSON pointer step such as
 * "/args/1"); returns the old length, to give back to up(). */
static size_t down(struct jp *J, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t down(struct jp *J, const char *fmt, ...)
{
	size_t old = J->len;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(J->path + old, sizeof J->path - old, fmt, ap);
	va_end(ap);
	/* A path too long for the buffer is cut: it only feeds messages. */
	J->len = w < 0 ? old : old + (size_t)w >= sizeof J->path ? sizeof J->path - 1 : old + (size_t)w;
	return old;
}

static void up(struct jp *J, size_t old)
{
	J->len = old;
	J->path[old] = '\0';
}

static bool enter(struct jp *J)
{
	if (++J->depth > CQL2_MAX_DEPTH) {
		jfail(J, "nested deeper than %d levels", CQL2_MAX_DEPTH);
		return false;
	}
	return true;
}

static bool op_is(const char *op, const char *name)
{
	return cq_keyword(op, strlen(op), name);
}

/* The "args" array of an operation, with min..max items. */
static json_t *args_of(struct jp *J, json_t *v, const char *op, size_t min, size_t max)
{
	json_t *args = json_object_get(v, "args");
	if (!json_is_array(args))
		return jfail(J, "\"%s\" needs \"args\", an array", op);
	size_t n = json_array_size(args);
	if (n < min || n > max) {
		if (min == max)
			return jfail(J, "\"%s\" takes %zu argument%s, not %zu", op, min, min == 1 ? "" : "s",
			             n);
		return jfail(J, "\"%s\" takes at least %zu arguments, not %zu", op, min, n);
	}
	return args;
}

static struct cq_node *j_pred(struct jp *J, json_t *v);
static struct cq_node *j_value(struct jp *J, json_t *v);

/* args[i] as a value (or a predicate), with the path kept right. */
static struct cq_node *arg(struct jp *J, json_t *args, size_t i, bool pred)
{
	size_t old = down(J, "/args/%zu", i);
	struct cq_node *n = pred ? j_pred(J, json_array_get(args, i)) : j_value(J, json_array_get(args, i));
	up(J, old);
	return n;
}

/* ---- geometry ---- */

static bool j_position(struct jp *J, json_t *p, struct cq_geom *g)
{
	size_t n = json_array_size(p);
	if (!json_is_array(p) || n < 2 || n > POS_MAX_AXES) {
		jfail(J, "a position is an array of 2 (or 3) numbers");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!json_is_number(json_array_get(p, i))) {
			jfail(J, "a position is an array of 2 (or 3) numbers");
			return false;
		}
	}
	char w[CQ_WHERE_MAX];
	return cq_geom_pos(J->b, where(J, w), g, json_number_value(json_array_get(p, 0)),
	                   json_number_value(json_array_get(p, 1)));
}

/* An array of positions: one line or ring. */
static bool j_path(struct jp *J, json_t *a, struct cq_geom *g, bool ring)
{
	if (!json_is_array(a)) {
		jfail(J, "expected an array of positions");
		return false;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		size_t old = down(J, "/%zu", i);
		bool ok = j_position(J, json_array_get(a, i), g);
		up(J, old);
		if (!ok)
			return false;
	}
	char w[CQ_WHERE_MAX];
	return cq_geom_end_part(J->b, where(J, w), g, ring);
}

static bool j_polygon(struct jp *J, json_t *a, struct cq_geom *g)
{
	if (!json_is_array(a)) {
		jfail(J, "expected an array of rings");
		return false;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		size_t old = down(J, "/%zu", i);
		bool ok = j_path(J, json_array_get(a, i), g, true);
		up(J, old);
		if (!ok)
			return false;
	}
	char w[CQ_WHERE_MAX];
	return cq_geom_end_poly(J->b, where(J, w), g);
}

/* Calls each(J, a[i], g) for every item of the array a. */
static bool j_each(struct jp *J, json_t *a, struct cq_geom *g,
                   bool (*each)(struct jp *, json_t *, struct cq_geom *))
{
	if (!json_is_array(a)) {
		jfail(J, "expected an array");
		return false;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		size_t old = down(J, "/%zu", i);
		bool ok = each(J, json_array_get(a, i), g);
		up(J, old);
		if (!ok)
			return false;
	}
	return true;
}

static bool j_line(struct jp *J, json_t *a, struct cq_geom *g)
{
	return j_path(J, a, g, false);
}

static struct cq_geom *j_geometry(struct jp *J, json_t *v, bool member)
{
	const char *type = json_string_value(json_object_get(v, "type"));
	int t = -1;
	for (int i = 0; type && i < (int)(sizeof geojson_types / sizeof *geojson_types); i++)
		if (!strcmp(type, geojson_types[i]))
			t = i;
	if (t < 0)
		return jfail(
		    J, "\"type\": expected a GeoJSON geometry type (Point, LineString, Polygon, MultiPoint, "
		       "MultiLineString, MultiPolygon, GeometryCollection)");
	if (member && t == G_COLLECTION)
		return jfail(J, "a GeometryCollection cannot hold a GeometryCollection");
	struct cq_geom *g = cq_geom_new(J->b, (enum cq_gtype)t);
	bool ok;
	if (t == G_COLLECTION) {
		json_t *ms = json_object_get(v, "geometries");
		size_t old = down(J, "/geometries");
		ok = json_is_array(ms);
		if (!ok)
			jfail(J, "a GeometryCollection needs \"geometries\", an array");
		for (size_t i = 0; ok && i < json_array_size(ms); i++) {
			size_t o2 = down(J, "/%zu", i);
			struct cq_geom *m = j_geometry(J, json_array_get(ms, i), true);
			char w[CQ_WHERE_MAX];
			ok = m && cq_geom_add_member(J->b, where(J, w), g, m);
			up(J, o2);
		}
		up(J, old);
	} else {
		json_t *c = json_object_get(v, "coordinates");
		size_t old = down(J, "/coordinates");
		switch ((enum cq_gtype)t) {
		case G_POINT: ok = j_position(J, c, g); break;
		case G_MULTIPOINT: ok = j_each(J, c, g, j_position); break;
		case G_LINESTRING: ok = j_path(J, c, g, false); break;
		case G_MULTILINESTRING: ok = j_each(J, c, g, j_line); break;
		case G_POLYGON: ok = j_polygon(J, c, g); break;
		case G_MULTIPOLYGON: ok = j_each(J, c, g, j_polygon); break;
		default: ok = false; break;
		}
		up(J, old);
	}
	char w[CQ_WHERE_MAX];
	return ok && cq_geom_finish(J->b, where(J, w), g) ? g : NULL;
}

static struct cq_geom *j_bbox(struct jp *J, json_t *a)
{
	double v[BBOX_MAX_NUMBERS];
	size_t n = json_array_size(a);
	size_t old = down(J, "/bbox");
	struct cq_geom *g = NULL;
	if (!json_is_array(a) || n > BBOX_MAX_NUMBERS) {
		jfail(J, "a bbox is an array of 4 (or 6) numbers");
	} else {
		bool ok = true;
		for (size_t i = 0; i < n && ok; i++) {
			ok = json_is_number(json_array_get(a, i));
			v[i] = json_number_value(json_array_get(a, i));
		}
		char w[CQ_WHERE_MAX];
		g = ok ? cq_geom_bbox(J->b, where(J, w), v, n)
		       : jfail(J, "a bbox is an array of 4 (or 6) numbers");
	}
	up(J, old);
	return g;
}

/* ---- values ---- */

static struct cq_node *j_interval_end(struct jp *J, json_t *e)
{
	char w[CQ_WHERE_MAX];
	if (json_is_string(e)) {
		const char *s = json_string_value(e);
		if (!strcmp(s, ".."))
			return cq_unbounded(J->b, where(J, w));
		return cq_time(J->b, where(J, w), s, json_string_length(e), WANT_EITHER);
	}
	return j_value(J, e);
}

static struct cq_node *j_interval(struct jp *J, json_t *a)
{
	char w[CQ_WHERE_MAX];
	where(J, w);
	if (!json_is_array(a) || json_array_size(a) != 2) {
		size_t old = down(J, "/interval");
		jfail(J, "an interval is an array of 2 instants (or \"..\")");
		up(J, old);
		return NULL;
	}
	struct cq_node *ends[2];
	for (size_t i = 0; i < 2; i++) {
		size_t old = down(J, "/interval/%zu", i);
		ends[i] = j_interval_end(J, json_array_get(a, i));
		up(J, old);
		if (!ends[i])
			return NULL;
	}
	return cq_interval(J->b, w, ends[0], ends[1]);
}

/* An "op" object where a value belongs: CASEI and ACCENTI make values;
 * anything else is refused with the reason. */
static struct cq_node *j_op_value(struct jp *J, json_t *v, const char *op)
{
	if (op_is(op, "casei") || op_is(op, "accenti")) {
		json_t *args = args_of(J, v, op, 1, 1);
		struct cq_node *a = args ? arg(J, args, 0, false) : NULL;
		char w[CQ_WHERE_MAX];
		return a ? cq_fold(J->b, where(J, w), op_is(op, "casei") ? CQ_CASEI : CQ_ACCENTI, a) : NULL;
	}
	static const char *const preds[] = {"and", "or", "not",  "=",       "<>", "<",     ">",
	                                    "<=",  ">=", "like", "between", "in", "isNull"};
	for (size_t i = 0; i < sizeof preds / sizeof *preds; i++)
		if (op_is(op, preds[i]))
			return jfail(J, "\"%s\" is a predicate, not a value", op);
	if (cq_lookup(op, strlen(op), cq_sfn_names, SF_COUNT) >= 0 ||
	    cq_lookup(op, strlen(op), cq_tfn_names, TF_COUNT) >= 0)
		return jfail(J, "\"%s\" is a predicate, not a value", op);
	static const char *const arith[] = {"+", "-", "*", "/", "^", "%", "div"};
	for (size_t i = 0; i < sizeof arith / sizeof *arith; i++)
		if (op_is(op, arith[i]))
			return jfail(J, "arithmetic (\"%s\") is not supported", op);
	/* A long name is cut, at a character's start: the message stays UTF-8. */
	int shown = (int)utf8_valid_len(op, strnlen(op, SHOW_OP_MAX));
	if (!strncmp(op, "a_", 2) || !strncmp(op, "A_", 2))
		return jfail(J, "array functions (\"%.*s\") are not supported", shown, op);
	return jfail(J, "unknown function \"%.*s\" (the functions are casei and accenti)", shown, op);
}

static struct cq_node *j_value(struct jp *J, json_t *v)
{
	if (!enter(J))
		return NULL;
	char w[CQ_WHERE_MAX];
	where(J, w);
	struct cq_node *n = NULL;
	json_t *m;
	if (json_is_string(v)) {
		n = cq_str(J->b, w, json_string_value(v), json_string_length(v));
	} else if (json_is_number(v)) {
		n = cq_num(J->b, w, json_number_value(v));
	} else if (json_is_boolean(v)) {
		n = cq_bool(J->b, w, json_is_true(v));
	} else if (json_is_null(v)) {
		jfail(J, "null is not a value (test for nulls with \"isNull\")");
	} else if (json_is_array(v)) {
		jfail(J, "arrays are not supported as values (array functions)");
	} else if ((m = json_object_get(v, "property"))) {
		if (!json_is_string(m))
			jfail(J, "\"property\" must be a string");
		else
			n = cq_prop(J->b, w, json_string_value(m), json_string_length(m));
	} else if ((m = json_object_get(v, "date")) || (m = json_object_get(v, "timestamp"))) {
		bool date = json_object_get(v, "date") != NULL;
		if (!json_is_string(m))
			jfail(J, "\"%s\" must be a string", date ? "date" : "timestamp");
		else
			n = cq_time(J->b, w, json_string_value(m), json_string_length(m),
			            date ? WANT_DATE : WANT_TIMESTAMP);
	} else if ((m = json_object_get(v, "interval"))) {
		n = j_interval(J, m);
	} else if (json_object_get(v, "type")) {
		struct cq_geom *g = j_geometry(J, v, false);
		n = g ? cq_geom_node(J->b, w, g) : NULL;
	} else if ((m = json_object_get(v, "bbox"))) {
		struct cq_geom *g = j_bbox(J, m);
		n = g ? cq_geom_node(J->b, w, g) : NULL;
	} else if (json_is_string(json_object_get(v, "op"))) {
		n = j_op_value(J, v, json_string_value(json_object_get(v, "op")));
	} else {
		jfail(J, "expected a value: a string, a number, a boolean, or an object with \"property\", "
		         "\"date\", "
		         "\"timestamp\", \"interval\", \"bbox\", a GeoJSON \"type\" or \"op\"");
	}
	J->depth--;
	return n;
}

/* ---- predicates ---- */

static struct cq_node *j_logic(struct jp *J, json_t *args, enum cq_kind kind)
{
	size_t n = json_array_size(args);
	struct cq_node **kids = arena_alloc(J->b->f->arena, n * sizeof *kids);
	for (size_t i = 0; i < n; i++)
		if (!(kids[i] = arg(J, args, i, true)))
			return NULL;
	char w[CQ_WHERE_MAX];
	return cq_logic(J->b, where(J, w), kind, kids, n);
}

static struct cq_node *j_in(struct jp *J, json_t *args)
{
	struct cq_node *v = arg(J, args, 0, false);
	if (!v)
		return NULL;
	json_t *list = json_array_get(args, 1);
	size_t old = down(J, "/args/1");
	struct cq_node **items = NULL;
	size_t n = json_array_size(list);
	if (!json_is_array(list)) {
		jfail(J, "the second argument of \"in\" is an array of values");
	} else {
		items = arena_alloc(J->b->f->arena, (n ? n : 1) * sizeof *items);
		for (size_t i = 0; i < n && items; i++) {
			size_t o2 = down(J, "/%zu", i);
			items[i] = j_value(J, json_array_get(list, i));
			up(J, o2);
			if (!items[i])
				items = NULL;
		}
	}
	up(J, old);
	char w[CQ_WHERE_MAX];
	return items ? cq_in(J->b, where(J, w), v, items, n) : NULL;
}

static struct cq_node *j_op(struct jp *J, json_t *v, const char *op)
{
	char w[CQ_WHERE_MAX];
	json_t *args;
	where(J, w);
	if (op_is(op, "and") || op_is(op, "or"))
		return (args = args_of(J, v, op, 2, SIZE_MAX))
		           ? j_logic(J, args, op_is(op, "and") ? CQ_AND : CQ_OR)
		           : NULL;
	if (op_is(op, "not")) {
		struct cq_node *x = (args = args_of(J, v, op, 1, 1)) ? arg(J, args, 0, true) : NULL;
		return x ? cq_not(J->b, w, x) : NULL;
	}
	int cmp = cq_lookup(op, strlen(op), cq_cmp_names, CMP_COUNT);
	int sfn = cq_lookup(op, strlen(op), cq_sfn_names, SF_COUNT);
	int tfn = cq_lookup(op, strlen(op), cq_tfn_names, TF_COUNT);
	if (cmp >= 0 || sfn >= 0 || tfn >= 0 || op_is(op, "like")) {
		if (!(args = args_of(J, v, op, 2, 2)))
			return NULL;
		struct cq_node *a = arg(J, args, 0, false), *c = a ? arg(J, args, 1, false) : NULL;
		if (!c)
			return NULL;
		if (cmp >= 0)
			return cq_cmp(J->b, w, (enum cq_cmp)cmp, a, c);
		if (sfn >= 0)
			return cq_spatial(J->b, w, (enum cq_sfn)sfn, a, c);
		if (tfn >= 0)
			return cq_temporal(J->b, w, (enum cq_tfn)tfn, a, c);
		return cq_like(J->b, w, a, c);
	}
	if (op_is(op, "between")) {
		if (!(args = args_of(J, v, op, 3, 3)))
			return NULL;
		struct cq_node *k[3];
		for (size_t i = 0; i < 3; i++)
			if (!(k[i] = arg(J, args, i, false)))
				return NULL;
		return cq_between(J->b, w, k[0], k[1], k[2]);
	}
	if (op_is(op, "in"))
		return (args = args_of(J, v, op, 2, 2)) ? j_in(J, args) : NULL;
	if (op_is(op, "isNull")) {
		struct cq_node *x = (args = args_of(J, v, op, 1, 1)) ? arg(J, args, 0, false) : NULL;
		return x ? cq_isnull(J->b, w, x) : NULL;
	}
	if (op_is(op, "casei") || op_is(op, "accenti"))
		return jfail(J, "\"%s\" makes a value, not a predicate", op);
	return j_op_value(J, v, op); /* says why not */
}

static struct cq_node *j_pred(struct jp *J, json_t *v)
{
	if (!enter(J))
		return NULL;
	char w[CQ_WHERE_MAX];
	struct cq_node *n = NULL;
	const char *op = json_string_value(json_object_get(v, "op"));
	if (json_is_boolean(v))
		n = cq_bool(J->b, where(J, w), json_is_true(v));
	else if (op)
		n = j_op(J, v, op);
	else
		jfail(J, "expected a predicate: true, false, or an object with \"op\" and \"args\"");
	J->depth--;
	return n;
}

struct cq_node *cq_parse_json(struct cq_build *b, const char *s, size_t n)
{
	/* jansson drops a raw NUL between tokens ("[1\0]" reads as [1]). */
	const char *nul = memchr(s, '\0', n);
	if (nul)
		return cq_fail(b, NULL, "a NUL byte at offset %zu; JSON text holds none", (size_t)(nul - s));
	json_error_t je;
	json_t *doc =
	    json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je);
	if (!doc) {
		/* jansson may quote the bad input; keep the message ASCII so it
		 * is valid UTF-8 whatever the input was. */
		for (char *c = je.text; *c; c++)
			if ((unsigned char)*c >= 0x80 || (unsigned char)*c < 0x20)
				*c = '?';
		return cq_fail(b, NULL, "not valid JSON at line %d, column %d: %s", je.line, je.column,
		               je.text);
	}
	struct jp J = {.b = b};
	struct cq_node *root = j_pred(&J, doc);
	json_decref(doc);
	return root;
}

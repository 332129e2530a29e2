/*
 * build.c - the checked construction of a CQL2 tree, and the module's
 * entry points (cql2_parse and friends); see cql2.h and cql2_int.h.
 *
 * Both parsers only recognise syntax and call the builder for every node,
 * so the type rules, the bounds and the normal form live here once:
 *   - the node bound (CQL2_MAX_TERMS) is counted at each allocation, so no
 *     input can build more than that, whatever its shape;
 *   - types are checked as nodes are made, against the schema's
 *     queryables, with the operands named in the message;
 *   - the tree is put in a normal form as it is built (AND in AND and OR in
 *     OR flattened, NOT NOT dropped, a property before a literal with the
 *     operator mirrored), which the canonical text and the evaluator rely
 *     on: CQ_SPATIAL's first operand is always a point.
 */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cql2_int.h"

const char *const cql2_conformance_classes[] = {
    CQL2_CONF_BASIC,
    CQL2_CONF_ADVANCED,
    CQL2_CONF_CASEI,
    CQL2_CONF_ACCENTI,
    CQL2_CONF_BASIC_SPATIAL,
    CQL2_CONF_BASIC_SPATIAL_PLUS,
    CQL2_CONF_SPATIAL,
    CQL2_CONF_TEMPORAL,
    CQL2_CONF_TEXT,
    CQL2_CONF_JSON,
    NULL,
};

const char *const cq_cmp_names[CMP_COUNT] = {"=", "<>", "<", ">", "<=", ">="};
const char *const cq_sfn_names[SF_COUNT] = {"S_INTERSECTS", "S_EQUALS",   "S_DISJOINT", "S_TOUCHES",
                                            "S_WITHIN",     "S_OVERLAPS", "S_CROSSES",  "S_CONTAINS"};
const char *const cq_tfn_names[TF_COUNT] = {"T_AFTER",      "T_BEFORE",    "T_CONTAINS",   "T_DISJOINT",
                                            "T_DURING",     "T_EQUALS",    "T_FINISHEDBY", "T_FINISHES",
                                            "T_INTERSECTS", "T_MEETS",     "T_METBY",      "T_OVERLAPPEDBY",
                                            "T_OVERLAPS",   "T_STARTEDBY", "T_STARTS"};

/* The operator that says the same with its operands swapped. */
static const enum cq_cmp cmp_mirror[CMP_COUNT] = {CMP_EQ, CMP_NE, CMP_GT, CMP_LT, CMP_GE, CMP_LE};
static const enum cq_sfn sfn_mirror[SF_COUNT] = {SF_INTERSECTS, SF_EQUALS,   SF_DISJOINT, SF_TOUCHES,
                                                 SF_CONTAINS,   SF_OVERLAPS, SF_CROSSES,  SF_WITHIN};
static const enum cq_tfn tfn_mirror[TF_COUNT] = {
    TF_BEFORE,     TF_AFTER, TF_DURING, TF_DISJOINT, TF_CONTAINS,     TF_EQUALS, TF_FINISHES, TF_FINISHEDBY,
    TF_INTERSECTS, TF_METBY, TF_MEETS,  TF_OVERLAPS, TF_OVERLAPPEDBY, TF_STARTS, TF_STARTEDBY};

/* Shown in messages: how much of a string literal, and of the list of
 * queryables, before "...". */
#define SHOW_STRING_MAX 40
#define SHOW_QUERYABLES_MAX 400

const char *cql2_type_name(enum cql2_type t)
{
	switch (t) {
	case CQL2_STRING: return "string";
	case CQL2_NUMBER: return "number";
	case CQL2_INTEGER: return "integer";
	case CQL2_BOOLEAN: return "boolean";
	case CQL2_DATE: return "date";
	case CQL2_TIMESTAMP: return "timestamp";
	case CQL2_GEOMETRY: return "geometry";
	}
	return "unknown";
}

bool cql2_lang_parse(const char *s, enum cql2_lang *out)
{
	if (!strcmp(s, "cql2-text"))
		*out = CQL2_TEXT;
	else if (!strcmp(s, "cql2-json"))
		*out = CQL2_JSON;
	else
		return false;
	return true;
}

void *cq_fail(struct cq_build *b, const char *where, const char *fmt, ...)
{
	char msg[sizeof b->err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (where && *where)
		ms_fail(b->err, MS_EUSAGE, "filter: %s: %s", where, msg);
	else
		ms_fail(b->err, MS_EUSAGE, "filter: %s", msg);
	return NULL;
}

void *cq_push(struct arena *a, void *vec, size_t *n, size_t *cap, size_t size, const void *item)
{
	char *v = vec;
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 4;
		char *bigger = arena_alloc(a, ncap * size);
		if (*n)
			memcpy(bigger, v, *n * size);
		v = bigger;
		*cap = ncap;
	}
	memcpy(v + *n * size, item, size);
	(*n)++;
	return v;
}

bool cq_keyword(const char *s, size_t n, const char *kw)
{
	size_t i = 0;
	for (; i < n && kw[i]; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		char k = kw[i];
		if (k >= 'a' && k <= 'z')
			k = (char)(k - 'a' + 'A');
		if (c != k)
			return false;
	}
	return i == n && !kw[i];
}

int cq_lookup(const char *s, size_t n, const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if (cq_keyword(s, n, names[i]))
			return i;
	return -1;
}

/* ---- nodes ---- */

static struct cq_node *node(struct cq_build *b, const char *where, enum cq_kind kind, enum cq_vt vt,
                            size_t nkid)
{
	/* Kids were counted when they were made; nkid only sizes the array. */
	if (b->nodes + 1 > CQL2_MAX_TERMS)
		return cq_fail(b, where, "more than %d terms (predicates and values)", CQL2_MAX_TERMS);
	b->nodes++;
	struct cq_node *n = arena_alloc(b->f->arena, sizeof *n);
	n->kind = kind;
	n->vt = vt;
	if (nkid) {
		n->kid = arena_alloc(b->f->arena, nkid * sizeof *n->kid);
		n->nkid = nkid;
	}
	return n;
}

struct cq_node *cq_bool(struct cq_build *b, const char *where, bool v)
{
	struct cq_node *n = node(b, where, CQ_BOOL, VT_BOOL, 0);
	if (n)
		n->b = v;
	return n;
}

struct cq_node *cq_num(struct cq_build *b, const char *where, double v)
{
	/* Subnormal numbers lose digits; the text encoding refuses them
	 * (numparse.h), so the JSON one does too and both agree. */
	if (!isfinite(v) || (v != 0 && fabs(v) < DBL_MIN))
		return cq_fail(b, where, "the number %g is out of range", v);
	struct cq_node *n = node(b, where, CQ_NUM, VT_NUMBER, 0);
	if (n)
		n->num = v == 0 ? 0 : v; /* -0 and 0 are one number */
	return n;
}

struct cq_node *cq_str(struct cq_build *b, const char *where, const char *s, size_t len)
{
	struct cq_node *n = node(b, where, CQ_STR, VT_STRING, 0);
	if (n) {
		n->str = arena_strndup(b->f->arena, s, len);
		n->len = len;
	}
	return n;
}

/* A string for a message: quoted, cut after SHOW_STRING_MAX bytes at a
 * character boundary (the message must stay valid UTF-8). */
static void show_string(char *out, size_t cap, const char *s, size_t n)
{
	size_t keep = n;
	if (keep > SHOW_STRING_MAX) {
		keep = SHOW_STRING_MAX;
		while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep--;
	}
	snprintf(out, cap, "'%.*s%s'", (int)keep, s, keep < n ? "..." : "");
}

struct cq_node *cq_time(struct cq_build *b, const char *where, const char *s, size_t len, enum cq_want want)
{
	int64_t t;
	bool is_date;
	char shown[SHOW_STRING_MAX + 8];
	show_string(shown, sizeof shown, s, len);
	if (!cql2_parse_time(s, len, &t, &is_date)) {
		const char *form = want == WANT_DATE        ? "a date (YYYY-MM-DD)"
		                   : want == WANT_TIMESTAMP ? "a timestamp (YYYY-MM-DDTHH:MM:SSZ)"
		                                            : "a date or a timestamp";
		return cq_fail(b, where, "%s is not %s", shown, form);
	}
	if (want == WANT_DATE && !is_date)
		return cq_fail(b, where,
		               "DATE(%s): a timestamp where a date (YYYY-MM-DD) belongs; use TIMESTAMP()",
		               shown);
	if (want == WANT_TIMESTAMP && is_date)
		return cq_fail(b, where, "TIMESTAMP(%s): a date where a timestamp belongs; use DATE()",
		               shown);
	struct cq_node *n = node(b, where, is_date ? CQ_DATE : CQ_TIMESTAMP, VT_INSTANT, 0);
	if (n)
		n->t = t;
	return n;
}

static enum cq_vt vt_of_type(enum cql2_type t)
{
	switch (t) {
	case CQL2_STRING: return VT_STRING;
	case CQL2_NUMBER:
	case CQL2_INTEGER: return VT_NUMBER;
	case CQL2_BOOLEAN: return VT_BOOL;
	case CQL2_DATE:
	case CQL2_TIMESTAMP: return VT_INSTANT;
	case CQL2_GEOMETRY: return VT_GEOMETRY;
	}
	return VT_STRING;
}

struct cq_node *cq_prop(struct cq_build *b, const char *where, const char *name, size_t len)
{
	const struct cql2_schema *sc = b->o->schema;
	for (size_t i = 0; i < sc->n; i++) {
		if (strlen(sc->q[i].name) == len && !memcmp(sc->q[i].name, name, len)) {
			struct cq_node *n = node(b, where, CQ_PROP, vt_of_type(sc->q[i].type), 0);
			if (n)
				n->prop = i;
			return n;
		}
	}
	/* Name the queryables, so that the client sees what it can use. */
	struct buf list = BUF_INIT;
	for (size_t i = 0; i < sc->n && list.len < SHOW_QUERYABLES_MAX; i++)
		buf_printf(&list, "%s%s", i ? ", " : "", sc->q[i].name);
	char shown[SHOW_STRING_MAX + 8];
	show_string(shown, sizeof shown, name, len);
	shown[0] = shown[strlen(shown) - 1] = '"';
	cq_fail(b, where, "unknown property %s (the queryables are: %s%s)", shown, buf_str(&list),
	        list.len >= SHOW_QUERYABLES_MAX ? ", ..." : "");
	buf_free(&list);
	return NULL;
}

struct cq_node *cq_unbounded(struct cq_build *b, const char *where)
{
	return node(b, where, CQ_UNBOUNDED, VT_INSTANT, 0);
}

/* True when n's value is known without a record. */
static bool is_const(const struct cq_node *n)
{
	switch (n->kind) {
	case CQ_BOOL:
	case CQ_STR:
	case CQ_NUM:
	case CQ_DATE:
	case CQ_TIMESTAMP:
	case CQ_GEOM:
	case CQ_UNBOUNDED: return true;
	case CQ_CASEI:
	case CQ_ACCENTI: return n->konst;
	case CQ_INTERVAL: return is_const(n->kid[0]) && is_const(n->kid[1]);
	default: return false;
	}
}

/* True when n reads a property (the side a canonical operation puts
 * first). */
static bool has_prop(const struct cq_node *n)
{
	return !is_const(n);
}

/* What a value is, for a message: "floors" (integer), 'five' (string). */
static void describe(struct cq_build *b, const struct cq_node *n, char *out, size_t cap)
{
	static const char *const vt_words[] = {"a boolean",           "a string",   "a number",
	                                       "a date or timestamp", "a geometry", "an interval"};
	switch (n->kind) {
	case CQ_PROP: {
		const struct cql2_queryable *q = &b->o->schema->q[n->prop];
		snprintf(out, cap, "\"%s\" (%s)", q->name, cql2_type_name(q->type));
		return;
	}
	case CQ_STR: {
		char s[SHOW_STRING_MAX + 8];
		show_string(s, sizeof s, n->str, n->len);
		snprintf(out, cap, "%s (string)", s);
		return;
	}
	case CQ_NUM: {
		struct buf t = BUF_INIT;
		cq_num_format(&t, n->num);
		snprintf(out, cap, "%s (number)", buf_str(&t));
		buf_free(&t);
		return;
	}
	case CQ_BOOL: snprintf(out, cap, "%s (boolean)", n->b ? "TRUE" : "FALSE"); return;
	case CQ_GEOM: snprintf(out, cap, "a %s", cq_gtype_names[n->geom->type]); return;
	default: snprintf(out, cap, "%s", vt_words[n->vt]); return;
	}
}

struct cq_node *cq_interval(struct cq_build *b, const char *where, struct cq_node *start, struct cq_node *end)
{
	struct cq_node *ends[2] = {start, end};
	for (int i = 0; i < 2; i++) {
		if (ends[i]->vt != VT_INSTANT) {
			char d[128];
			describe(b, ends[i], d, sizeof d);
			return cq_fail(b, where, "INTERVAL: its %s is %s, not a date, a timestamp or '..'",
			               i ? "end" : "start", d);
		}
	}
	if (start->kind != CQ_UNBOUNDED && end->kind != CQ_UNBOUNDED && is_const(start) && is_const(end) &&
	    start->t > end->t)
		return cq_fail(b, where, "INTERVAL: it ends before it starts");
	struct cq_node *n = node(b, where, CQ_INTERVAL, VT_INTERVAL, 2);
	if (n) {
		n->kid[0] = start;
		n->kid[1] = end;
	}
	return n;
}

struct cq_node *cq_fold(struct cq_build *b, const char *where, enum cq_kind kind, struct cq_node *arg)
{
	const char *fn = kind == CQ_CASEI ? "CASEI" : "ACCENTI";
	if (arg->vt != VT_STRING) {
		char d[128];
		describe(b, arg, d, sizeof d);
		return cq_fail(b, where, "%s() takes a string, not %s", fn, d);
	}
	struct cq_node *n = node(b, where, kind, VT_STRING, 1);
	if (!n)
		return NULL;
	n->kid[0] = arg;
	if (is_const(arg)) {
		/* Fold the literal once, here, rather than for every record. */
		char *folded;
		size_t len;
		bool ok = kind == CQ_CASEI ? cq_casefold(arg->str, arg->len, &folded, &len)
		                           : cq_accentfold(arg->str, arg->len, &folded, &len);
		if (!ok)
			return cq_fail(b, where, "%s(): the string is not valid UTF-8", fn);
		n->konst = true;
		n->str = arena_strndup(b->f->arena, folded, len);
		n->len = len;
		free(folded);
	}
	return n;
}

struct cq_node *cq_geom_node(struct cq_build *b, const char *where, struct cq_geom *g)
{
	struct cq_node *n = node(b, where, CQ_GEOM, VT_GEOMETRY, 0);
	if (n)
		n->geom = g;
	return n;
}

/* ---- predicates ---- */

struct cq_node *cq_logic(struct cq_build *b, const char *where, enum cq_kind kind, struct cq_node **kids,
                         size_t n)
{
	assert(kind == CQ_AND || kind == CQ_OR);
	assert(n >= 1);
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += kids[i]->kind == kind ? kids[i]->nkid : 1;
	struct cq_node *r = node(b, where, kind, VT_BOOL, total);
	if (!r)
		return NULL;
	/* (a AND b) AND c is a AND b AND c: one level, whatever the
	 * parentheses, so that the canonical order sorts all of them. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (kids[i]->kind == kind) {
			memcpy(r->kid + k, kids[i]->kid, kids[i]->nkid * sizeof *r->kid);
			k += kids[i]->nkid;
		} else {
			r->kid[k++] = kids[i];
		}
	}
	return r;
}

struct cq_node *cq_not(struct cq_build *b, const char *where, struct cq_node *x)
{
	if (x->kind == CQ_NOT) /* NOT NOT x is x, in three-valued logic too */
		return x->kid[0];
	struct cq_node *n = node(b, where, CQ_NOT, VT_BOOL, 1);
	if (n)
		n->kid[0] = x;
	return n;
}

/* Whether l and r may be compared with op (and why not, in the message). */
static bool comparable(struct cq_build *b, const char *where, const char *opname, bool ordered,
                       const struct cq_node *l, const struct cq_node *r)
{
	char dl[128], dr[128];
	describe(b, l, dl, sizeof dl);
	describe(b, r, dr, sizeof dr);
	const struct cq_node *odd = l->vt == VT_GEOMETRY || l->vt == VT_INTERVAL ? l : r;
	if (odd->vt == VT_GEOMETRY) {
		cq_fail(b, where,
		        "'%s' does not compare geometries (%s): use S_EQUALS or another spatial function",
		        opname, odd == l ? dl : dr);
		return false;
	}
	if (odd->vt == VT_INTERVAL) {
		cq_fail(b, where,
		        "'%s' does not compare intervals: use T_EQUALS or another temporal function", opname);
		return false;
	}
	if (l->vt != r->vt) {
		cq_fail(b, where, "cannot compare %s with %s: they are of different types", dl, dr);
		return false;
	}
	if (ordered && l->vt == VT_BOOL) {
		cq_fail(b, where, "'%s' does not order booleans (%s, %s): use = or <>", opname, dl, dr);
		return false;
	}
	return true;
}

struct cq_node *cq_cmp(struct cq_build *b, const char *where, enum cq_cmp op, struct cq_node *l,
                       struct cq_node *r)
{
	if (!comparable(b, where, cq_cmp_names[op], op >= CMP_LT, l, r))
		return NULL;
	if (!has_prop(l) && has_prop(r)) { /* 5 < "floors" is "floors" > 5 */
		struct cq_node *t = l;
		l = r;
		r = t;
		op = cmp_mirror[op];
	}
	struct cq_node *n = node(b, where, CQ_CMP, VT_BOOL, 2);
	if (n) {
		n->op = op;
		n->kid[0] = l;
		n->kid[1] = r;
	}
	return n;
}

struct cq_node *cq_like(struct cq_build *b, const char *where, struct cq_node *v, struct cq_node *pattern)
{
	char d[128];
	if (v->vt != VT_STRING) {
		describe(b, v, d, sizeof d);
		return cq_fail(b, where, "LIKE applies to strings, not to %s", d);
	}
	if (pattern->vt != VT_STRING || !is_const(pattern)) {
		describe(b, pattern, d, sizeof d);
		return cq_fail(
		    b, where,
		    "the pattern of LIKE must be a string literal (maybe in CASEI() or ACCENTI()), "
		    "not %s",
		    d);
	}
	const char *why = cq_like_check(pattern->str, pattern->len);
	if (why)
		return cq_fail(b, where, "LIKE pattern: %s", why);
	struct cq_node *n = node(b, where, CQ_LIKE, VT_BOOL, 2);
	if (n) {
		n->kid[0] = v;
		n->kid[1] = pattern;
	}
	return n;
}

struct cq_node *cq_between(struct cq_build *b, const char *where, struct cq_node *v, struct cq_node *lo,
                           struct cq_node *hi)
{
	struct cq_node *k[3] = {v, lo, hi};
	for (int i = 0; i < 3; i++) {
		if (k[i]->vt != VT_NUMBER) {
			char d[128];
			describe(b, k[i], d, sizeof d);
			return cq_fail(b, where, "BETWEEN compares numbers, not %s", d);
		}
	}
	struct cq_node *n = node(b, where, CQ_BETWEEN, VT_BOOL, 3);
	if (n)
		memcpy(n->kid, k, sizeof k);
	return n;
}

struct cq_node *cq_in(struct cq_build *b, const char *where, struct cq_node *v, struct cq_node **list,
                      size_t len)
{
	if (len == 0)
		return cq_fail(b, where, "IN needs at least one value in its list");
	if (len > CQL2_MAX_LIST)
		return cq_fail(b, where, "more than %d values in an IN list", CQL2_MAX_LIST);
	for (size_t i = 0; i < len; i++)
		if (!comparable(b, where, "IN", false, v, list[i]))
			return NULL;
	struct cq_node *n = node(b, where, CQ_IN, VT_BOOL, 1 + len);
	if (n) {
		n->kid[0] = v;
		memcpy(n->kid + 1, list, len * sizeof *list);
	}
	return n;
}

struct cq_node *cq_isnull(struct cq_build *b, const char *where, struct cq_node *v)
{
	struct cq_node *n = node(b, where, CQ_ISNULL, VT_BOOL, 1);
	if (n)
		n->kid[0] = v;
	return n;
}

static bool is_point(const struct cq_node *n)
{
	return n->kind == CQ_PROP || (n->kind == CQ_GEOM && n->geom->type == G_POINT);
}

struct cq_node *cq_spatial(struct cq_build *b, const char *where, enum cq_sfn fn, struct cq_node *a,
                           struct cq_node *c)
{
	struct cq_node *k[2] = {a, c};
	for (int i = 0; i < 2; i++) {
		if (k[i]->vt != VT_GEOMETRY) {
			char d[128];
			describe(b, k[i], d, sizeof d);
			return cq_fail(b, where, "%s compares geometries, not %s", cq_sfn_names[fn], d);
		}
	}
	/* The property first (the canonical order), else a POINT first: the
	 * evaluator locates the first operand, a point, in the second. */
	if ((a->kind != CQ_PROP && c->kind == CQ_PROP) || (!is_point(a) && is_point(c))) {
		struct cq_node *t = a;
		a = c;
		c = t;
		fn = sfn_mirror[fn];
	}
	if (!is_point(a))
		return cq_fail(
		    b, where,
		    "%s of a %s and a %s: one argument must be a point (a geometry property or a POINT)",
		    cq_sfn_names[fn], cq_gtype_names[a->geom->type], cq_gtype_names[c->geom->type]);
	struct cq_node *n = node(b, where, CQ_SPATIAL, VT_BOOL, 2);
	if (n) {
		n->op = fn;
		n->kid[0] = a;
		n->kid[1] = c;
	}
	return n;
}

/* T_AFTER, T_BEFORE, T_DISJOINT, T_EQUALS and T_INTERSECTS take instants
 * too; the others only intervals (CQL2 7.12, tables 6 and 7). */
static bool tfn_takes_instants(enum cq_tfn fn)
{
	return fn == TF_AFTER || fn == TF_BEFORE || fn == TF_DISJOINT || fn == TF_EQUALS ||
	       fn == TF_INTERSECTS;
}

struct cq_node *cq_temporal(struct cq_build *b, const char *where, enum cq_tfn fn, struct cq_node *a,
                            struct cq_node *c)
{
	struct cq_node *k[2] = {a, c};
	for (int i = 0; i < 2; i++) {
		char d[128];
		describe(b, k[i], d, sizeof d);
		if (k[i]->vt != VT_INSTANT && k[i]->vt != VT_INTERVAL)
			return cq_fail(b, where, "%s compares dates, timestamps and intervals, not %s",
			               cq_tfn_names[fn], d);
		if (k[i]->kind == CQ_UNBOUNDED)
			return cq_fail(b, where, "'..' belongs in an INTERVAL");
		if (k[i]->vt == VT_INSTANT && !tfn_takes_instants(fn))
			return cq_fail(b, where,
			               "%s compares intervals, and %s is an instant (only T_AFTER, T_BEFORE, "
			               "T_DISJOINT, T_EQUALS and T_INTERSECTS take instants)",
			               cq_tfn_names[fn], d);
	}
	if (!has_prop(a) && has_prop(c)) {
		struct cq_node *t = a;
		a = c;
		c = t;
		fn = tfn_mirror[fn];
	}
	struct cq_node *n = node(b, where, CQ_TEMPORAL, VT_BOOL, 2);
	if (n) {
		n->op = fn;
		n->kid[0] = a;
		n->kid[1] = c;
	}
	return n;
}

/* ---- the module's entry points ---- */

enum ms_status cql2_parse(const char *s, size_t n, const struct cql2_opts *o, struct cql2 **out,
                          struct ms_error *err)
{
	assert(o && o->schema);
	struct ms_error local;
	if (!err) /* the parsers read the status back */
		err = &local;
	ms_error_clear(err);
	*out = NULL;
	if (n > CQL2_MAX_INPUT)
		return ms_fail(err, MS_EUSAGE, "filter: longer than %d bytes", CQL2_MAX_INPUT);
	struct cql2 *f = xcalloc(1, sizeof *f);
	f->arena = arena_new();
	f->schema = o->schema;
	struct cq_build b = {.f = f, .o = o, .err = err};
	f->root = o->lang == CQL2_JSON ? cq_parse_json(&b, s, n) : cq_parse_text(&b, s, n);
	if (!f->root) {
		cql2_free(f);
		return MS_EUSAGE;
	}
	assert(f->root->vt == VT_BOOL);
	cq_canonicalize(f);
	cq_compute_bbox(f);
	*out = f;
	return MS_OK;
}

void cql2_free(struct cql2 *f)
{
	if (!f)
		return;
	arena_free(f->arena);
	free(f);
}

const char *cql2_to_text(const struct cql2 *f)
{
	return f->text;
}

enum cql2_bbox_kind cql2_bbox(const struct cql2 *f, struct cql2_box *box)
{
	*box = f->bbox;
	return f->bbox_kind;
}

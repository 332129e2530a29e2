/*
 * eval.c - a parsed filter's value for one record (cql2_eval).
 *
 * A walk over the tree, values fetched through the caller's callback as
 * they are needed.  Three-valued logic per Basic CQL2: NULL (unknown)
 * from any comparison with a NULL operand, AND is FALSE as soon as one
 * operand is FALSE (and stops there), OR TRUE as soon as one is TRUE, NOT
 * keeps NULL; IS NULL is never NULL itself.  IN follows SQL: TRUE on a
 * match, else NULL if the value or an item was NULL, else FALSE.
 *
 * The builder guaranteed the types, so a comparison only meets operands
 * of one type or NULLs; a callback that breaks its contract (a value of
 * another type than its queryable's) gets NULL, never a crash.  Nothing is
 * allocated except the result of CASEI() or ACCENTI() on a property,
 * freed before the predicate returns.  The walk is as deep as the tree,
 * which the parsers bounded.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cql2_int.h"

struct ev {
	const struct cql2 *f;
	cql2_get_fn get;
	const void *rec;
};

/* A value while evaluating: the caller's, a literal's, or a folded
 * string this file owns. */
struct val {
	struct cql2_value v;
	char *owned;
};

/* What each queryable type's values must be. */
static enum cql2_vtype vtype_of(enum cql2_type t)
{
	switch (t) {
	case CQL2_STRING: return CQL2_VSTRING;
	case CQL2_NUMBER:
	case CQL2_INTEGER: return CQL2_VNUMBER;
	case CQL2_BOOLEAN: return CQL2_VBOOL;
	case CQL2_DATE:
	case CQL2_TIMESTAMP: return CQL2_VTIME;
	case CQL2_GEOMETRY: return CQL2_VPOINT;
	}
	return CQL2_VNULL;
}

static void get_prop(const struct ev *e, size_t qi, struct cql2_value *out)
{
	memset(out, 0, sizeof *out);
	out->type = CQL2_VNULL;
	e->get(e->rec, qi, out);
	bool ok = out->type == vtype_of(e->f->schema->q[qi].type);
	if (ok && out->type == CQL2_VNUMBER)
		ok = isfinite(out->num);
	if (ok && out->type == CQL2_VPOINT)
		ok = isfinite(out->lon) && isfinite(out->lat);
	if (ok && out->type == CQL2_VSTRING)
		ok = out->str != NULL;
	if (!ok)
		out->type = CQL2_VNULL;
}

static void value(const struct ev *e, const struct cq_node *n, struct val *out)
{
	memset(out, 0, sizeof *out);
	struct cql2_value *v = &out->v;
	v->type = CQL2_VNULL;
	switch (n->kind) {
	case CQ_PROP: get_prop(e, n->prop, v); return;
	case CQ_STR: v->type = CQL2_VSTRING, v->str = n->str, v->len = n->len; return;
	case CQ_NUM: v->type = CQL2_VNUMBER, v->num = n->num; return;
	case CQ_BOOL: v->type = CQL2_VBOOL, v->b = n->b; return;
	case CQ_DATE:
	case CQ_TIMESTAMP: v->type = CQL2_VTIME, v->time_us = n->t; return;
	case CQ_CASEI:
	case CQ_ACCENTI: {
		if (n->konst) {
			v->type = CQL2_VSTRING, v->str = n->str, v->len = n->len;
			return;
		}
		struct val arg;
		value(e, n->kid[0], &arg);
		size_t len;
		char *folded;
		if (arg.v.type == CQL2_VSTRING &&
		    (n->kind == CQ_CASEI ? cq_casefold(arg.v.str, arg.v.len, &folded, &len)
		                         : cq_accentfold(arg.v.str, arg.v.len, &folded, &len))) {
			v->type = CQL2_VSTRING, v->str = folded, v->len = len;
			out->owned = folded;
		}
		free(arg.owned); /* a record's string that is not UTF-8 folds to NULL */
		return;
	}
	default: return; /* geometries and intervals are read where they are used */
	}
}

static enum cql2_truth truth(bool x)
{
	return x ? CQL2_TRUE : CQL2_FALSE;
}

/* <0, 0, >0 for two non-NULL values of one type (strings by code point,
 * which is byte order in UTF-8). */
static int compare(const struct cql2_value *a, const struct cql2_value *b)
{
	switch (a->type) {
	case CQL2_VSTRING: {
		size_t n = a->len < b->len ? a->len : b->len;
		int c = memcmp(a->str, b->str, n);
		return c ? c : (a->len > b->len) - (a->len < b->len);
	}
	case CQL2_VNUMBER: return (a->num > b->num) - (a->num < b->num);
	case CQL2_VBOOL: return (int)a->b - (int)b->b;
	case CQL2_VTIME: return (a->time_us > b->time_us) - (a->time_us < b->time_us);
	default: return 0;
	}
}

static bool comparable(const struct cql2_value *a, const struct cql2_value *b)
{
	return a->type != CQL2_VNULL && a->type == b->type;
}

static enum cql2_truth eval_cmp(const struct ev *e, const struct cq_node *n)
{
	struct val l, r;
	value(e, n->kid[0], &l);
	value(e, n->kid[1], &r);
	enum cql2_truth t = CQL2_UNKNOWN;
	if (comparable(&l.v, &r.v)) {
		int c = compare(&l.v, &r.v);
		switch ((enum cq_cmp)n->op) {
		case CMP_EQ: t = truth(c == 0); break;
		case CMP_NE: t = truth(c != 0); break;
		case CMP_LT: t = truth(c < 0); break;
		case CMP_GT: t = truth(c > 0); break;
		case CMP_LE: t = truth(c <= 0); break;
		case CMP_GE: t = truth(c >= 0); break;
		case CMP_COUNT: break;
		}
	}
	free(l.owned);
	free(r.owned);
	return t;
}

static enum cql2_truth eval_like(const struct ev *e, const struct cq_node *n)
{
	struct val v, p;
	value(e, n->kid[0], &v);
	value(e, n->kid[1], &p); /* a constant: never owned */
	enum cql2_truth t = CQL2_UNKNOWN;
	if (v.v.type == CQL2_VSTRING && p.v.type == CQL2_VSTRING)
		t = truth(cq_like_match(v.v.str, v.v.len, p.v.str, p.v.len));
	free(v.owned);
	return t;
}

static enum cql2_truth eval_between(const struct ev *e, const struct cq_node *n)
{
	struct val k[3];
	bool known = true;
	for (int i = 0; i < 3; i++) {
		value(e, n->kid[i], &k[i]);
		known = known && k[i].v.type == CQL2_VNUMBER;
	}
	if (!known)
		return CQL2_UNKNOWN;
	return truth(k[1].v.num <= k[0].v.num && k[0].v.num <= k[2].v.num);
}

static enum cql2_truth eval_in(const struct ev *e, const struct cq_node *n)
{
	struct val v;
	value(e, n->kid[0], &v);
	if (v.v.type == CQL2_VNULL)
		return CQL2_UNKNOWN;
	bool match = false, saw_null = false;
	for (size_t i = 1; i < n->nkid && !match; i++) {
		struct val item;
		value(e, n->kid[i], &item);
		if (item.v.type == CQL2_VNULL)
			saw_null = true;
		else
			match = comparable(&v.v, &item.v) && compare(&v.v, &item.v) == 0;
		free(item.owned);
	}
	free(v.owned);
	return match ? CQL2_TRUE : saw_null ? CQL2_UNKNOWN : CQL2_FALSE;
}

static enum cql2_truth eval_isnull(const struct ev *e, const struct cq_node *n)
{
	const struct cq_node *x = n->kid[0];
	if (x->kind == CQ_GEOM || x->kind == CQ_INTERVAL)
		return CQL2_FALSE; /* literals, never NULL */
	struct val v;
	value(e, x, &v);
	free(v.owned);
	return truth(v.v.type == CQL2_VNULL);
}

/* A point operand (a property or a POINT literal); false for NULL. */
static bool point_of(const struct ev *e, const struct cq_node *n, double xy[2])
{
	if (n->kind == CQ_GEOM) {
		xy[0] = n->geom->xy[0], xy[1] = n->geom->xy[1];
		return true;
	}
	struct cql2_value v;
	get_prop(e, n->prop, &v);
	xy[0] = v.lon, xy[1] = v.lat;
	return v.type == CQL2_VPOINT;
}

static enum cql2_truth eval_spatial(const struct ev *e, const struct cq_node *n)
{
	double p[2], q[2];
	if (!point_of(e, n->kid[0], p))
		return CQL2_UNKNOWN;
	const struct cq_geom *g = n->kid[1]->kind == CQ_GEOM ? n->kid[1]->geom : NULL;
	struct cq_geom other; /* a point property as a one-point literal */
	if (!g) {
		if (!point_of(e, n->kid[1], q))
			return CQL2_UNKNOWN;
		memset(&other, 0, sizeof other);
		other.type = G_POINT;
		other.xy = q;
		other.npos = 1;
		other.box[0] = other.box[2] = q[0];
		other.box[1] = other.box[3] = q[1];
		g = &other;
	}
	switch ((enum cq_sfn)n->op) {
	case SF_INTERSECTS: return truth(cq_geom_locate(g, p[0], p[1]) != LOC_EXTERIOR);
	case SF_DISJOINT: return truth(cq_geom_locate(g, p[0], p[1]) == LOC_EXTERIOR);
	case SF_WITHIN: return truth(cq_geom_locate(g, p[0], p[1]) == LOC_INTERIOR);
	case SF_TOUCHES: return truth(cq_geom_locate(g, p[0], p[1]) == LOC_BOUNDARY);
	/* A point contains, or equals, only what is all at the point. */
	case SF_CONTAINS:
	case SF_EQUALS: return truth(cq_geom_all_at(g, p[0], p[1]));
	/* Overlapping needs two shapes of one dimension each with a part
	 * outside the other, crossing an interior meeting that is not all of
	 * either: a single point can do neither. */
	case SF_OVERLAPS:
	case SF_CROSSES: return CQL2_FALSE;
	case SF_COUNT: break;
	}
	return CQL2_UNKNOWN;
}

/* One end of a temporal operand; false for NULL. */
static bool instant_of(const struct ev *e, const struct cq_node *n, bool start, int64_t *t)
{
	if (n->kind == CQ_UNBOUNDED) {
		*t = start ? INT64_MIN : INT64_MAX;
		return true;
	}
	struct val v;
	value(e, n, &v);
	*t = v.v.time_us;
	return v.v.type == CQL2_VTIME;
}

/* The operand as [b, e]: an instant is [t, t]. */
static bool span_of(const struct ev *e, const struct cq_node *n, int64_t *b, int64_t *end)
{
	if (n->kind != CQ_INTERVAL) {
		if (!instant_of(e, n, true, b))
			return false;
		*end = *b;
		return true;
	}
	return instant_of(e, n->kid[0], true, b) && instant_of(e, n->kid[1], false, end);
}

/* The relations of the W3C/OGC Time Ontology (CQL2 7.12), on closed
 * intervals [b1, e1] and [b2, e2]. */
static enum cql2_truth eval_temporal(const struct ev *e, const struct cq_node *n)
{
	int64_t b1, e1, b2, e2;
	if (!span_of(e, n->kid[0], &b1, &e1) || !span_of(e, n->kid[1], &b2, &e2))
		return CQL2_UNKNOWN;
	switch ((enum cq_tfn)n->op) {
	case TF_AFTER: return truth(b1 > e2);
	case TF_BEFORE: return truth(e1 < b2);
	case TF_DISJOINT: return truth(b1 > e2 || e1 < b2);
	case TF_INTERSECTS: return truth(!(b1 > e2 || e1 < b2));
	case TF_EQUALS: return truth(b1 == b2 && e1 == e2);
	case TF_CONTAINS: return truth(b1 < b2 && e2 < e1);
	case TF_DURING: return truth(b2 < b1 && e1 < e2);
	case TF_FINISHEDBY: return truth(b1 < b2 && e1 == e2);
	case TF_FINISHES: return truth(b2 < b1 && e1 == e2);
	case TF_MEETS: return truth(e1 == b2);
	case TF_METBY: return truth(b1 == e2);
	case TF_OVERLAPPEDBY: return truth(b2 < b1 && b1 < e2 && e2 < e1);
	case TF_OVERLAPS: return truth(b1 < b2 && b2 < e1 && e1 < e2);
	case TF_STARTEDBY: return truth(b1 == b2 && e2 < e1);
	case TF_STARTS: return truth(b1 == b2 && e1 < e2);
	case TF_COUNT: break;
	}
	return CQL2_UNKNOWN;
}

static enum cql2_truth eval(const struct ev *e, const struct cq_node *n)
{
	switch (n->kind) {
	case CQ_AND:
	case CQ_OR: {
		/* The value that decides (FALSE for AND, TRUE for OR) ends the
		 * walk; otherwise NULL wins over the other value. */
		enum cql2_truth decide = n->kind == CQ_AND ? CQL2_FALSE : CQL2_TRUE;
		enum cql2_truth r = n->kind == CQ_AND ? CQL2_TRUE : CQL2_FALSE;
		for (size_t i = 0; i < n->nkid; i++) {
			enum cql2_truth t = eval(e, n->kid[i]);
			if (t == decide)
				return t;
			if (t == CQL2_UNKNOWN)
				r = CQL2_UNKNOWN;
		}
		return r;
	}
	case CQ_NOT: {
		enum cql2_truth t = eval(e, n->kid[0]);
		return t == CQL2_UNKNOWN ? t : truth(t == CQL2_FALSE);
	}
	case CQ_CMP: return eval_cmp(e, n);
	case CQ_LIKE: return eval_like(e, n);
	case CQ_BETWEEN: return eval_between(e, n);
	case CQ_IN: return eval_in(e, n);
	case CQ_ISNULL: return eval_isnull(e, n);
	case CQ_SPATIAL: return eval_spatial(e, n);
	case CQ_TEMPORAL: return eval_temporal(e, n);
	case CQ_BOOL: return truth(n->b);
	default: return CQL2_UNKNOWN; /* not a predicate: the builder never roots one here */
	}
}

enum cql2_truth cql2_eval(const struct cql2 *f, cql2_get_fn get, const void *rec)
{
	struct ev e = {f, get, rec};
	return eval(&e, f->root);
}

bool cql2_matches(const struct cql2 *f, cql2_get_fn get, const void *rec)
{
	return cql2_eval(f, get, rec) == CQL2_TRUE;
}

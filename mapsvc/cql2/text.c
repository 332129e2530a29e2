/*
 * text.c - the cql2-text encoding: a lexer and a recursive-descent parser
 * of the BNF of OGC 21-065 Annex B, reduced to what the module implements
 * (cql2.h) and calling the builder (build.c) for every node.
 *
 * The grammar, as parsed (keywords in any case):
 *   or      = and {OR and}
 *   and     = not {AND not}
 *   not     = NOT not | primary
 *   primary = "(" or ")" | S_fn "(" value "," value ")"
 *           | T_fn "(" value "," value ")" | predicate
 *   predicate = value ( cmpop value | [NOT] LIKE value
 *           | [NOT] BETWEEN value AND value | [NOT] IN "(" value {"," value} ")"
 *           | IS [NOT] NULL )  |  TRUE | FALSE
 *   value   = 'string' | [sign] number | TRUE | FALSE | property | "property"
 *           | CASEI "(" value ")" | ACCENTI "(" value ")"
 *           | DATE "(" 'date' ")" | TIMESTAMP "(" 'timestamp' ")"
 *           | INTERVAL "(" end "," end ")" | WKT geometry | BBOX "(" numbers ")"
 * The BETWEEN ... AND is read as part of the predicate, so it never
 * competes with the logical AND.  Every recursion (parentheses, NOT,
 * CASEI in CASEI) counts against CQL2_MAX_DEPTH; everything else is a loop,
 * so the stack is bounded whatever the input.  One token of look-ahead,
 * plus a peek at the next character for "name(" (a function) and at the
 * next token for "POINT Z (".
 *
 * Positions in messages count characters (code points) from 1, as a
 * person reading the filter counts them.
 */
#include <stdio.h>
#include <string.h>
#include <unistr.h>

#include "../util/numparse.h"
#include "cql2_int.h"

/* How much of a token a message quotes. */
#define SHOW_TOKEN_MAX 30

enum tk {
	TK_EOF,
	TK_LPAREN,
	TK_RPAREN,
	TK_COMMA,
	TK_CMP,    /* op: enum cq_cmp */
	TK_ARITH,  /* + - * / % ^ */
	TK_NUMBER, /* unsigned */
	TK_STRING, /* '...', quotes included */
	TK_IDENT,  /* a name or a keyword */
	TK_QIDENT, /* "...", quotes included */
};

struct tok {
	enum tk kind;
	size_t off, len;
	int op;
};

struct tp {
	struct cq_build *b;
	const char *s;
	size_t n;
	size_t pos;      /* where the lexer goes on */
	size_t prev_end; /* end of the token before t */
	struct tok t;    /* the current token */
	int depth;
};

/* ---- characters ---- */

/* CQL2's whitespace (BNF rule whitespace). */
static bool is_space(ucs4_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	       c == 0x3000;
}

/* BNF rule identifierStart. */
static bool ident_start(ucs4_t c)
{
	return c == ':' || c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff) ||
	       (c >= 0x370 && c <= 0x37d) || (c >= 0x37f && c <= 0x1ffe) || (c >= 0x200c && c <= 0x200d) ||
	       (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) || (c >= 0x3001 && c <= 0xd7ff) ||
	       (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff);
}

/* BNF rule identifierPart. */
static bool ident_part(ucs4_t c)
{
	return ident_start(c) || c == '.' || (c >= '0' && c <= '9') || (c >= 0x300 && c <= 0x36f) ||
	       (c >= 0x203f && c <= 0x2040);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The code point at s[i] and its length (the input is valid UTF-8). */
static ucs4_t cp_at(const struct tp *P, size_t i, size_t *len)
{
	ucs4_t c;
	int l = u8_mbtouc(&c, (const uint8_t *)P->s + i, P->n - i);
	*len = l > 0 ? (size_t)l : 1;
	return c;
}

static size_t skip_space(const struct tp *P, size_t i)
{
	while (i < P->n) {
		size_t len;
		if (!is_space(cp_at(P, i, &len)))
			break;
		i += len;
	}
	return i;
}

/* "at character N" for byte offset off. */
static void at(const struct tp *P, size_t off, char *w)
{
	size_t chars = 1;
	for (size_t i = 0; i < off && i < P->n; i++)
		chars += ((unsigned char)P->s[i] & 0xc0) != 0x80;
	snprintf(w, CQ_WHERE_MAX, "at character %zu", chars);
}

/* Quotes s[off, off+len) for a message, cut at a character boundary. */
static void show(const struct tp *P, size_t off, size_t len, char *out, size_t cap)
{
	size_t keep = len;
	if (keep > SHOW_TOKEN_MAX) {
		keep = SHOW_TOKEN_MAX;
		while (keep > 0 && ((unsigned char)P->s[off + keep] & 0xc0) == 0x80)
			keep--;
	}
	snprintf(out, cap, "'%.*s%s'", (int)keep, P->s + off, keep < len ? "..." : "");
}

static void show_tok(const struct tp *P, char *out, size_t cap)
{
	if (P->t.kind == TK_EOF)
		snprintf(out, cap, "the end of the filter");
	else
		show(P, P->t.off, P->t.len, out, cap);
}

/* Fails at the current token: "at character N: <what>, found <token>". */
static void *fail_found(struct tp *P, const char *what)
{
	char w[CQ_WHERE_MAX], found[SHOW_TOKEN_MAX + 16];
	at(P, P->t.off, w);
	show_tok(P, found, sizeof found);
	return cq_fail(P->b, w, "%s, found %s", what, found);
}

/* ---- the lexer ---- */

static bool lex_number(struct tp *P, size_t i)
{
	while (i < P->n && is_digit(P->s[i]))
		i++;
	if (i < P->n && P->s[i] == '.')
		for (i++; i < P->n && is_digit(P->s[i]);)
			i++;
	if (i < P->n && (P->s[i] == 'e' || P->s[i] == 'E')) {
		size_t j = i + 1;
		if (j < P->n && (P->s[j] == '+' || P->s[j] == '-'))
			j++;
		if (j < P->n && is_digit(P->s[j])) { /* else the E is not part of the number */
			while (j < P->n && is_digit(P->s[j]))
				j++;
			i = j;
		}
	}
	P->t.kind = TK_NUMBER;
	P->t.len = i - P->t.off;
	return true;
}

static bool lex_quoted(struct tp *P, size_t i, char quote)
{
	size_t open = i++;
	while (i < P->n) {
		if (P->s[i] == quote) {
			if (quote == '\'' && i + 1 < P->n && P->s[i + 1] == '\'') { /* '' is a quote */
				i += 2;
				continue;
			}
			P->t.kind = quote == '\'' ? TK_STRING : TK_QIDENT;
			P->t.len = i + 1 - open;
			return true;
		}
		if (quote == '\'' && P->s[i] == '\\' && i + 1 < P->n)
			i++; /* the escaped character cannot end the string */
		i++;
	}
	char w[CQ_WHERE_MAX];
	at(P, open, w);
	cq_fail(P->b, w, "%s opened here is never closed",
	        quote == '\'' ? "the string" : "the quoted property name");
	return false;
}

/* Reads the token at P->pos into P->t. */
static bool next(struct tp *P)
{
	P->prev_end = P->t.off + P->t.len;
	size_t i = skip_space(P, P->pos);
	P->t = (struct tok){.kind = TK_EOF, .off = i, .len = 0};
	bool ok = true;
	if (i >= P->n) {
		P->pos = i;
		return true;
	}
	char c = P->s[i];
	P->t.len = 1;
	switch (c) {
	case '(': P->t.kind = TK_LPAREN; break;
	case ')': P->t.kind = TK_RPAREN; break;
	case ',': P->t.kind = TK_COMMA; break;
	case '=': P->t.kind = TK_CMP, P->t.op = CMP_EQ; break;
	case '<':
		P->t.kind = TK_CMP, P->t.op = CMP_LT;
		if (i + 1 < P->n && (P->s[i + 1] == '>' || P->s[i + 1] == '=')) {
			P->t.op = P->s[i + 1] == '>' ? CMP_NE : CMP_LE;
			P->t.len = 2;
		}
		break;
	case '>':
		P->t.kind = TK_CMP, P->t.op = CMP_GT;
		if (i + 1 < P->n && P->s[i + 1] == '=') {
			P->t.op = CMP_GE;
			P->t.len = 2;
		}
		break;
	case '+':
	case '-':
	case '*':
	case '/':
	case '%':
	case '^': P->t.kind = TK_ARITH; break;
	case '\'':
	case '"': ok = lex_quoted(P, i, c); break;
	default:
		if (is_digit(c) || (c == '.' && i + 1 < P->n && is_digit(P->s[i + 1]))) {
			ok = lex_number(P, i);
		} else {
			size_t len;
			ucs4_t cp = cp_at(P, i, &len);
			if (!ident_start(cp)) {
				char w[CQ_WHERE_MAX], shown[SHOW_TOKEN_MAX + 16];
				at(P, i, w);
				show(P, i, len, shown, sizeof shown);
				if (cp == 0)
					snprintf(shown, sizeof shown, "NUL");
				cq_fail(P->b, w, "unexpected character %s", shown);
				return false;
			}
			size_t j = i + len;
			while (j < P->n && ident_part(cp_at(P, j, &len)))
				j += len;
			P->t.kind = TK_IDENT;
			P->t.len = j - i;
		}
	}
	P->pos = P->t.off + P->t.len;
	return ok;
}

static bool is_kw(const struct tp *P, const char *kw)
{
	return P->t.kind == TK_IDENT && cq_keyword(P->s + P->t.off, P->t.len, kw);
}

/* Is the next character after the current token "(" (a function call)? */
static bool peek_lparen(const struct tp *P)
{
	size_t i = skip_space(P, P->pos);
	return i < P->n && P->s[i] == '(';
}

static bool expect(struct tp *P, enum tk kind, const char *what)
{
	if (P->t.kind != kind) {
		fail_found(P, what);
		return false;
	}
	return next(P);
}

static bool enter(struct tp *P)
{
	if (++P->depth > CQL2_MAX_DEPTH) {
		char w[CQ_WHERE_MAX];
		at(P, P->t.off, w);
		cq_fail(P->b, w, "nested deeper than %d levels", CQL2_MAX_DEPTH);
		return false;
	}
	return true;
}

/* The decoded value of the current TK_STRING, in the filter's arena:
 * '' and \' are a quote, \\ a backslash, \a \b \t \n \v \f \r the control
 * characters (cql2-text escaping); any other \x stays as it is, so that
 * LIKE sees its own escapes (\% \_). */
static char *string_value(struct tp *P, size_t *len)
{
	const char *s = P->s + P->t.off + 1;
	size_t n = P->t.len - 2;
	char *out = arena_alloc(P->b->f->arena, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\'' && i + 1 < n && s[i + 1] == '\'') {
			*o++ = '\'';
			i++;
		} else if (c == '\\' && i + 1 < n) {
			const char *from = "'\\abtnvfr", *to = "'\\\a\b\t\n\v\f\r";
			const char *hit = strchr(from, s[i + 1]);
			if (hit && s[i + 1]) {
				*o++ = to[hit - from];
				i++;
			} else {
				*o++ = c;
			}
		} else {
			*o++ = c;
		}
	}
	*len = (size_t)(o - out);
	return out;
}

/* ---- the parser ---- */

static struct cq_node *p_or(struct tp *P);
static struct cq_node *p_value(struct tp *P);

/* [sign] number, for geometry positions and BBOX. */
static bool p_signed(struct tp *P, double *v)
{
	size_t off = P->t.off;
	double sign = 1;
	if (P->t.kind == TK_ARITH && (P->s[off] == '-' || P->s[off] == '+')) {
		sign = P->s[off] == '-' ? -1 : 1;
		if (!next(P))
			return false;
	}
	if (P->t.kind != TK_NUMBER) {
		fail_found(P, "expected a number");
		return false;
	}
	if (!ms_parse_decimal(P->s + P->t.off, P->t.len, v)) {
		fail_found(P, "a number out of range");
		return false;
	}
	*v *= sign;
	return next(P);
}

/* x y [z]: a position (a height is read and dropped: records are 2-D). */
static bool p_position(struct tp *P, struct cq_geom *g)
{
	char w[CQ_WHERE_MAX];
	at(P, P->t.off, w);
	double x, y, z;
	if (!p_signed(P, &x) || !p_signed(P, &y))
		return false;
	if ((P->t.kind == TK_NUMBER || P->t.kind == TK_ARITH) && !p_signed(P, &z))
		return false;
	return cq_geom_pos(P->b, w, g, x, y);
}

/* "(" position {"," position} ")", ended as a line or a ring. */
static bool p_path(struct tp *P, struct cq_geom *g, bool ring)
{
	char w[CQ_WHERE_MAX];
	at(P, P->t.off, w);
	if (!expect(P, TK_LPAREN,
	            ring ? "expected '(' to open a polygon ring" : "expected '(' to open a line"))
		return false;
	do {
		if (!p_position(P, g))
			return false;
	} while (P->t.kind == TK_COMMA && next(P));
	return expect(P, TK_RPAREN, "expected ',' or ')' after a position") &&
	       cq_geom_end_part(P->b, w, g, ring);
}

static bool p_polygon(struct tp *P, struct cq_geom *g)
{
	char w[CQ_WHERE_MAX];
	at(P, P->t.off, w);
	if (!expect(P, TK_LPAREN, "expected '(' to open a polygon"))
		return false;
	do {
		if (!p_path(P, g, true))
			return false;
	} while (P->t.kind == TK_COMMA && next(P));
	return expect(P, TK_RPAREN, "expected ',' or ')' after a polygon ring") &&
	       cq_geom_end_poly(P->b, w, g);
}

static bool p_multipoint(struct tp *P, struct cq_geom *g)
{
	if (!expect(P, TK_LPAREN, "expected '(' to open the points"))
		return false;
	do { /* both MULTIPOINT((1 2), (3 4)) and the older MULTIPOINT(1 2, 3 4) */
		bool paren = P->t.kind == TK_LPAREN;
		if ((paren && !next(P)) || !p_position(P, g))
			return false;
		if (paren && !expect(P, TK_RPAREN, "expected ')' after a point"))
			return false;
	} while (P->t.kind == TK_COMMA && next(P));
	return expect(P, TK_RPAREN, "expected ',' or ')' after a point");
}

static struct cq_geom *p_geometry(struct tp *P, bool member);

static bool p_members(struct tp *P, struct cq_geom *g)
{
	if (!expect(P, TK_LPAREN, "expected '(' to open the collection"))
		return false;
	do {
		char w[CQ_WHERE_MAX];
		at(P, P->t.off, w);
		struct cq_geom *m = p_geometry(P, true);
		if (!m || !cq_geom_add_member(P->b, w, g, m))
			return false;
	} while (P->t.kind == TK_COMMA && next(P));
	return expect(P, TK_RPAREN, "expected ',' or ')' after a member of the collection");
}

static struct cq_geom *p_bbox(struct tp *P, const char *w)
{
	double v[7];
	size_t n = 0;
	if (!expect(P, TK_LPAREN, "expected '(' after BBOX"))
		return NULL;
	do {
		if (n == sizeof v / sizeof v[0])
			return cq_fail(P->b, w, "BBOX takes 4 numbers (or 6 with heights), not more");
		if (!p_signed(P, &v[n++]))
			return NULL;
	} while (P->t.kind == TK_COMMA && next(P));
	if (!expect(P, TK_RPAREN, "expected ',' or ')' in BBOX"))
		return NULL;
	return cq_geom_bbox(P->b, w, v, n);
}

/* A WKT geometry or a BBOX; the current token is its keyword. */
static struct cq_geom *p_geometry(struct tp *P, bool member)
{
	char w[CQ_WHERE_MAX];
	at(P, P->t.off, w);
	int type = P->t.kind == TK_IDENT ? cq_lookup(P->s + P->t.off, P->t.len, cq_gtype_names, G_COUNT) : -1;
	if (type < 0)
		return fail_found(
		    P, "expected a geometry (POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, "
		       "MULTIPOLYGON)");
	if (member && (type == G_COLLECTION || type == G_BBOX))
		return cq_fail(P->b, w, "a GEOMETRYCOLLECTION cannot hold a %s", cq_gtype_names[type]);
	if (!next(P))
		return NULL;
	if (type == G_BBOX)
		return p_bbox(P, w);
	if (is_kw(P, "Z") && !next(P))
		return NULL;
	if (is_kw(P, "EMPTY"))
		return fail_found(P, "EMPTY geometries are not supported (they match nothing)");
	if (is_kw(P, "M") || is_kw(P, "ZM"))
		return fail_found(P, "measures (M) are not supported");
	struct cq_geom *g = cq_geom_new(P->b, (enum cq_gtype)type);
	bool ok = false;
	switch ((enum cq_gtype)type) {
	case G_POINT:
		ok = expect(P, TK_LPAREN, "expected '(' after POINT") && p_position(P, g) &&
		     expect(P, TK_RPAREN, "expected ')' after the position of a POINT");
		break;
	case G_MULTIPOINT: ok = p_multipoint(P, g); break;
	case G_LINESTRING: ok = p_path(P, g, false); break;
	case G_MULTILINESTRING:
		ok = expect(P, TK_LPAREN, "expected '(' to open the lines");
		while (ok) {
			ok = p_path(P, g, false);
			if (!ok || P->t.kind != TK_COMMA)
				break;
			ok = next(P);
		}
		ok = ok && expect(P, TK_RPAREN, "expected ',' or ')' after a line");
		break;
	case G_POLYGON: ok = p_polygon(P, g); break;
	case G_MULTIPOLYGON:
		ok = expect(P, TK_LPAREN, "expected '(' to open the polygons");
		while (ok) {
			ok = p_polygon(P, g);
			if (!ok || P->t.kind != TK_COMMA)
				break;
			ok = next(P);
		}
		ok = ok && expect(P, TK_RPAREN, "expected ',' or ')' after a polygon");
		break;
	case G_COLLECTION: ok = p_members(P, g); break;
	case G_BBOX:
	case G_COUNT: break;
	}
	return ok && cq_geom_finish(P->b, w, g) ? g : NULL;
}

/* Words that are never a property name when unquoted. */
static bool reserved(const struct tp *P)
{
	static const char *const words[] = {"AND", "OR",   "NOT", "LIKE", "BETWEEN", "IN",
	                                    "IS",  "NULL", "DIV", "TRUE", "FALSE"};
	return cq_lookup(P->s + P->t.off, P->t.len, words, (int)(sizeof words / sizeof words[0])) >= 0;
}

/* Is the current identifier a geometry keyword starting a literal
 * ("POINT(", "POINT Z (", "POLYGON EMPTY"), rather than a property? */
static bool at_geometry(struct tp *P)
{
	if (cq_lookup(P->s + P->t.off, P->t.len, cq_gtype_names, G_COUNT) < 0)
		return false;
	if (peek_lparen(P))
		return true;
	struct tp save = *P;
	bool yes = next(P) && (is_kw(P, "Z") || is_kw(P, "M") || is_kw(P, "ZM") || is_kw(P, "EMPTY"));
	struct cq_build *b = P->b;
	*P = save;
	ms_error_clear(b->err); /* a lexing error there is reported when parsed for real */
	return yes;
}

/* An end of an INTERVAL: a date or timestamp string, '..', or a value. */
static struct cq_node *p_interval_end(struct tp *P)
{
	if (P->t.kind != TK_STRING)
		return p_value(P);
	char w[CQ_WHERE_MAX];
	at(P, P->t.off, w);
	size_t len;
	char *s = string_value(P, &len);
	if (!next(P))
		return NULL;
	if (len == 2 && !memcmp(s, "..", 2))
		return cq_unbounded(P->b, w);
	return cq_time(P->b, w, s, len, WANT_EITHER);
}

/* NAME "(" ...: the functions that make values. */
static struct cq_node *p_call(struct tp *P, const char *w)
{
	const char *name = P->s + P->t.off;
	size_t len = P->t.len;
	if (cq_keyword(name, len, "CASEI") || cq_keyword(name, len, "ACCENTI")) {
		enum cq_kind kind = cq_keyword(name, len, "CASEI") ? CQ_CASEI : CQ_ACCENTI;
		if (!next(P) || !expect(P, TK_LPAREN, "expected '('") || !enter(P))
			return NULL;
		struct cq_node *arg = p_value(P);
		P->depth--;
		if (!arg || !expect(P, TK_RPAREN, "expected ')' to close the function"))
			return NULL;
		return cq_fold(P->b, w, kind, arg);
	}
	if (cq_keyword(name, len, "DATE") || cq_keyword(name, len, "TIMESTAMP")) {
		bool date = cq_keyword(name, len, "DATE");
		if (!next(P) || !expect(P, TK_LPAREN, "expected '('"))
			return NULL;
		if (P->t.kind != TK_STRING)
			return fail_found(P, date ? "expected a date string ('YYYY-MM-DD')"
			                          : "expected a timestamp string ('YYYY-MM-DDTHH:MM:SSZ')");
		size_t n;
		char *s = string_value(P, &n);
		if (!next(P) || !expect(P, TK_RPAREN, "expected ')' after the string"))
			return NULL;
		return cq_time(P->b, w, s, n, date ? WANT_DATE : WANT_TIMESTAMP);
	}
	if (cq_keyword(name, len, "INTERVAL")) {
		/* Its ends are values, so INTERVAL(INTERVAL(... recurses: count it. */
		if (!next(P) || !expect(P, TK_LPAREN, "expected '('") || !enter(P))
			return NULL;
		struct cq_node *a = p_interval_end(P), *c = NULL;
		if (a && expect(P, TK_COMMA, "expected ',' between the ends of INTERVAL"))
			c = p_interval_end(P);
		P->depth--;
		if (!c || !expect(P, TK_RPAREN, "expected ')' after the end of INTERVAL"))
			return NULL;
		return cq_interval(P->b, w, a, c);
	}
	char shown[SHOW_TOKEN_MAX + 16];
	show(P, P->t.off, len, shown, sizeof shown);
	if (cq_lookup(name, len, cq_sfn_names, SF_COUNT) >= 0 ||
	    cq_lookup(name, len, cq_tfn_names, TF_COUNT) >= 0)
		return cq_fail(P->b, w, "%s is a predicate, not a value", shown);
	static const char *const arrays[] = {"A_EQUALS", "A_CONTAINS", "A_CONTAINEDBY", "A_OVERLAPS"};
	if (cq_lookup(name, len, arrays, (int)(sizeof arrays / sizeof *arrays)) >= 0)
		return cq_fail(P->b, w, "array functions (%s) are not supported", shown);
	return cq_fail(P->b, w, "unknown function %s (the functions are CASEI and ACCENTI)", shown);
}

static struct cq_node *p_value(struct tp *P)
{
	char w[CQ_WHERE_MAX];
	at(P, P->t.off, w);
	switch (P->t.kind) {
	case TK_STRING: {
		size_t len;
		char *s = string_value(P, &len);
		return next(P) ? cq_str(P->b, w, s, len) : NULL;
	}
	case TK_NUMBER:
	case TK_ARITH: {
		if (P->t.kind == TK_ARITH && P->s[P->t.off] != '-' && P->s[P->t.off] != '+')
			break;
		double v;
		if (P->t.kind == TK_ARITH) { /* a sign: only before a number */
			size_t i = skip_space(P, P->pos);
			if (i >= P->n || !(is_digit(P->s[i]) || P->s[i] == '.'))
				return fail_found(
				    P, "a sign belongs before a number (arithmetic is not supported)");
		}
		return p_signed(P, &v) ? cq_num(P->b, w, v) : NULL;
	}
	case TK_QIDENT:
		if (P->t.len == 2)
			return fail_found(P, "expected a property name between the double quotes");
		{
			struct cq_node *n = cq_prop(P->b, w, P->s + P->t.off + 1, P->t.len - 2);
			return n && next(P) ? n : NULL;
		}
	case TK_IDENT:
		if (is_kw(P, "TRUE") || is_kw(P, "FALSE")) {
			bool v = is_kw(P, "TRUE");
			return next(P) ? cq_bool(P->b, w, v) : NULL;
		}
		if (at_geometry(P)) {
			struct cq_geom *g = p_geometry(P, false);
			return g ? cq_geom_node(P->b, w, g) : NULL;
		}
		if (peek_lparen(P))
			return p_call(P, w);
		if (reserved(P))
			return fail_found(P, "expected a value");
		{
			struct cq_node *n = cq_prop(P->b, w, P->s + P->t.off, P->t.len);
			return n && next(P) ? n : NULL;
		}
	case TK_LPAREN:
		return fail_found(P,
		                  "expected a value (parenthesised arithmetic and arrays are not supported)");
	default: break;
	}
	return fail_found(P, "expected a value");
}

static struct cq_node *p_in_list(struct tp *P, const char *w, struct cq_node *v)
{
	if (!expect(P, TK_LPAREN, "expected '(' to open the list of IN"))
		return NULL;
	struct cq_node **list = NULL;
	size_t n = 0, cap = 0;
	do {
		struct cq_node *item = p_value(P);
		if (!item)
			return NULL;
		list = cq_push(P->b->f->arena, list, &n, &cap, sizeof item, &item);
	} while (P->t.kind == TK_COMMA && next(P));
	if (!expect(P, TK_RPAREN, "expected ',' or ')' in the list of IN"))
		return NULL;
	return cq_in(P->b, w, v, list, n);
}

static struct cq_node *p_predicate(struct tp *P)
{
	size_t off = P->t.off;
	char w[CQ_WHERE_MAX];
	at(P, off, w);
	struct cq_node *l = p_value(P);
	if (!l)
		return NULL;
	if (P->t.kind == TK_CMP) {
		enum cq_cmp op = (enum cq_cmp)P->t.op;
		if (!next(P))
			return NULL;
		struct cq_node *r = p_value(P);
		return r ? cq_cmp(P->b, w, op, l, r) : NULL;
	}
	bool negate = is_kw(P, "NOT");
	if (negate && (!next(P) || !(is_kw(P, "LIKE") || is_kw(P, "BETWEEN") || is_kw(P, "IN"))))
		return P->b->err->status ? NULL : fail_found(P, "expected LIKE, BETWEEN or IN after NOT");
	struct cq_node *n;
	if (is_kw(P, "LIKE")) {
		if (!next(P))
			return NULL;
		struct cq_node *pattern = p_value(P);
		n = pattern ? cq_like(P->b, w, l, pattern) : NULL;
	} else if (is_kw(P, "BETWEEN")) {
		if (!next(P))
			return NULL;
		struct cq_node *lo = p_value(P), *hi;
		if (!lo)
			return NULL;
		if (!is_kw(P, "AND"))
			return fail_found(P, "expected AND between the bounds of BETWEEN");
		if (!next(P) || !(hi = p_value(P)))
			return NULL;
		n = cq_between(P->b, w, l, lo, hi);
	} else if (is_kw(P, "IN")) {
		n = next(P) ? p_in_list(P, w, l) : NULL;
	} else if (is_kw(P, "IS")) {
		if (!next(P))
			return NULL;
		bool isnot = is_kw(P, "NOT");
		if (isnot && !next(P))
			return NULL;
		if (!is_kw(P, "NULL"))
			return fail_found(P, isnot ? "expected NULL after IS NOT"
			                           : "expected NULL or NOT NULL after IS");
		if (!next(P))
			return NULL;
		n = cq_isnull(P->b, w, l);
		negate = isnot;
	} else if (P->t.kind == TK_ARITH || is_kw(P, "DIV")) {
		return fail_found(P, "arithmetic (+ - * / % ^ div) is not supported");
	} else if (l->kind == CQ_BOOL) {
		return l; /* TRUE or FALSE, a whole predicate */
	} else {
		char what[SHOW_TOKEN_MAX + 160], shown[SHOW_TOKEN_MAX + 16];
		show(P, off, P->prev_end - off, shown, sizeof shown);
		snprintf(what, sizeof what,
		         "expected a comparison (= <> < > <= >=), LIKE, BETWEEN, IN or IS NULL after %s",
		         shown);
		return fail_found(P, what);
	}
	return n && negate ? cq_not(P->b, w, n) : n;
}

static struct cq_node *p_function_predicate(struct tp *P, bool spatial, int fn)
{
	char w[CQ_WHERE_MAX];
	at(P, P->t.off, w);
	if (!next(P) || !expect(P, TK_LPAREN, "expected '('"))
		return NULL;
	struct cq_node *a = p_value(P);
	if (!a || !expect(P, TK_COMMA, "expected ',' between the two arguments"))
		return NULL;
	struct cq_node *c = p_value(P);
	if (!c || !expect(P, TK_RPAREN, "expected ')' after the second argument"))
		return NULL;
	return spatial ? cq_spatial(P->b, w, (enum cq_sfn)fn, a, c)
	               : cq_temporal(P->b, w, (enum cq_tfn)fn, a, c);
}

static struct cq_node *p_primary(struct tp *P)
{
	if (P->t.kind == TK_LPAREN) {
		char w[CQ_WHERE_MAX], what[CQ_WHERE_MAX + 64];
		at(P, P->t.off, w);
		if (!next(P) || !enter(P))
			return NULL;
		struct cq_node *x = p_or(P);
		P->depth--;
		snprintf(what, sizeof what, "expected ')' to close the '(' %s", w);
		return x && expect(P, TK_RPAREN, what) ? x : NULL;
	}
	if (P->t.kind == TK_IDENT && peek_lparen(P)) {
		int fn = cq_lookup(P->s + P->t.off, P->t.len, cq_sfn_names, SF_COUNT);
		if (fn >= 0)
			return p_function_predicate(P, true, fn);
		fn = cq_lookup(P->s + P->t.off, P->t.len, cq_tfn_names, TF_COUNT);
		if (fn >= 0)
			return p_function_predicate(P, false, fn);
	}
	return p_predicate(P);
}

static struct cq_node *p_not(struct tp *P)
{
	if (!is_kw(P, "NOT"))
		return p_primary(P);
	char w[CQ_WHERE_MAX];
	at(P, P->t.off, w);
	if (!next(P) || !enter(P))
		return NULL;
	struct cq_node *x = p_not(P);
	P->depth--;
	return x ? cq_not(P->b, w, x) : NULL;
}

/* kw-separated list of sub, as one AND or OR node. */
static struct cq_node *p_chain(struct tp *P, const char *kw, enum cq_kind kind,
                               struct cq_node *(*sub)(struct tp *))
{
	char w[CQ_WHERE_MAX];
	at(P, P->t.off, w);
	struct cq_node *first = sub(P);
	if (!first || !is_kw(P, kw))
		return first;
	struct cq_node **kids = NULL;
	size_t n = 0, cap = 0;
	kids = cq_push(P->b->f->arena, kids, &n, &cap, sizeof first, &first);
	while (is_kw(P, kw)) {
		if (!next(P))
			return NULL;
		struct cq_node *k = sub(P);
		if (!k)
			return NULL;
		kids = cq_push(P->b->f->arena, kids, &n, &cap, sizeof k, &k);
	}
	return cq_logic(P->b, w, kind, kids, n);
}

static struct cq_node *p_and(struct tp *P)
{
	return p_chain(P, "AND", CQ_AND, p_not);
}

static struct cq_node *p_or(struct tp *P)
{
	return p_chain(P, "OR", CQ_OR, p_and);
}

struct cq_node *cq_parse_text(struct cq_build *b, const char *s, size_t n)
{
	const uint8_t *bad = u8_check((const uint8_t *)s, n);
	struct tp P = {.b = b, .s = s, .n = n};
	if (bad) {
		char w[CQ_WHERE_MAX];
		at(&P, (size_t)(bad - (const uint8_t *)s), w);
		return cq_fail(b, w, "not valid UTF-8");
	}
	/* A NUL would end the strings it is copied into (and no CQL2
	 * character is NUL), so it is refused wherever it is, strings too. */
	const char *nul = memchr(s, '\0', n);
	if (nul) {
		char w[CQ_WHERE_MAX];
		at(&P, (size_t)(nul - s), w);
		return cq_fail(b, w, "unexpected character NUL");
	}
	if (!next(&P))
		return NULL;
	if (P.t.kind == TK_EOF)
		return cq_fail(b, NULL, "empty");
	struct cq_node *root = p_or(&P);
	if (root && P.t.kind != TK_EOF)
		return fail_found(&P, "expected AND, OR or the end of the filter");
	return root;
}

/*
 * cql2_int.h - what the files of the CQL2 module share: the tree both
 * parsers build, the builder that checks it (so that cql2-text and
 * cql2-json accept exactly the same filters and say the same things about
 * the bad ones), geometry literals, and the string and time helpers.
 *
 * Every node, string and coordinate of a filter lives in the filter's one
 * arena, freed at once by cql2_free; nothing points outside it but the
 * schema, which the caller keeps alive.
 */
#ifndef MS_CQL2_INT_H
#define MS_CQL2_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/buf.h"
#include "../util/mem.h"
#include "cql2.h"

/* What a node is.  The first group are predicates (their value is a
 * truth), the second values; CQ_BOOL is both (TRUE alone is a filter). */
enum cq_kind {
	CQ_AND,       /* kid[0..nkid), nkid >= 1 (flattened: no AND kid) */
	CQ_OR,        /* likewise */
	CQ_NOT,       /* kid[0], never a NOT */
	CQ_CMP,       /* kid[0] op kid[1], op an enum cq_cmp */
	CQ_LIKE,      /* kid[0] LIKE kid[1] (a constant string: CQ_STR or a konst CASEI/ACCENTI) */
	CQ_BETWEEN,   /* kid[0] BETWEEN kid[1] AND kid[2] */
	CQ_IN,        /* kid[0] IN (kid[1..nkid)) */
	CQ_ISNULL,    /* kid[0] IS NULL */
	CQ_SPATIAL,   /* op (enum cq_sfn) of kid[0], kid[1]; kid[0] is a point (a property or a POINT) */
	CQ_TEMPORAL,  /* op (enum cq_tfn) of kid[0], kid[1] */
	CQ_BOOL,      /* b */
	CQ_PROP,      /* queryable number prop */
	CQ_STR,       /* str[0..len) */
	CQ_NUM,       /* num */
	CQ_DATE,      /* t (a date's midnight) */
	CQ_TIMESTAMP, /* t */
	CQ_GEOM,      /* geom */
	CQ_INTERVAL,  /* kid[0] .. kid[1]: each a CQ_DATE, CQ_TIMESTAMP, CQ_PROP or CQ_UNBOUNDED */
	CQ_UNBOUNDED, /* '..' at one end of an interval */
	CQ_CASEI,     /* CASEI(kid[0]); konst: kid[0] is constant and str/len is the result */
	CQ_ACCENTI,   /* ACCENTI(kid[0]); likewise */
};

/* The type of a value node, for the checks. */
enum cq_vt { VT_BOOL, VT_STRING, VT_NUMBER, VT_INSTANT, VT_GEOMETRY, VT_INTERVAL };

enum cq_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_GT, CMP_LE, CMP_GE, CMP_COUNT };
extern const char *const cq_cmp_names[CMP_COUNT];

enum cq_sfn {
	SF_INTERSECTS,
	SF_EQUALS,
	SF_DISJOINT,
	SF_TOUCHES,
	SF_WITHIN,
	SF_OVERLAPS,
	SF_CROSSES,
	SF_CONTAINS,
	SF_COUNT
};
extern const char *const cq_sfn_names[SF_COUNT]; /* "S_INTERSECTS", ... */

enum cq_tfn {
	TF_AFTER,
	TF_BEFORE,
	TF_CONTAINS,
	TF_DISJOINT,
	TF_DURING,
	TF_EQUALS,
	TF_FINISHEDBY,
	TF_FINISHES,
	TF_INTERSECTS,
	TF_MEETS,
	TF_METBY,
	TF_OVERLAPPEDBY,
	TF_OVERLAPS,
	TF_STARTEDBY,
	TF_STARTS,
	TF_COUNT
};
extern const char *const cq_tfn_names[TF_COUNT]; /* "T_AFTER", ... */

/* ---- geometry literals ---- */

enum cq_gtype {
	G_POINT,
	G_MULTIPOINT,
	G_LINESTRING,
	G_MULTILINESTRING,
	G_POLYGON,
	G_MULTIPOLYGON,
	G_COLLECTION,
	G_BBOX,
	G_COUNT
};
extern const char *const cq_gtype_names[G_COUNT]; /* WKT: "POINT", ... */

/* One literal.  Positions are WGS-84 lon, lat pairs in xy.  Lines (of a
 * LINESTRING or MULTILINESTRING) and rings (of polygons) are the position
 * ranges [part[i], part[i+1]); a polygon is the ring range [poly[j],
 * poly[j+1]) whose first ring is the shell.  A collection has members and
 * no positions of its own. */
struct cq_geom {
	enum cq_gtype type;
	double *xy;
	size_t npos, cap_pos;
	size_t *part; /* nparts + 1 entries once finished */
	size_t nparts, cap_part;
	size_t *poly; /* npolys + 1 entries once finished */
	size_t npolys, cap_poly;
	struct cq_geom **member;
	size_t nmembers, cap_member;
	/* west, south, east, north: a BBOX's own (west > east crossing the
	 * antimeridian), else the extent of the positions. */
	double box[4];
};

/* ---- the tree ---- */

struct cq_node {
	enum cq_kind kind;
	enum cq_vt vt;
	int op;
	struct cq_node **kid;
	size_t nkid;
	size_t prop;     /* CQ_PROP */
	const char *str; /* CQ_STR; konst CQ_CASEI / CQ_ACCENTI: the folded text */
	size_t len;
	bool konst;
	bool b;
	double num;
	int64_t t;
	struct cq_geom *geom;
};

struct cql2 {
	struct arena *arena;
	const struct cql2_schema *schema;
	struct cq_node *root;
	char *text; /* canonical, in the arena */
	enum cql2_bbox_kind bbox_kind;
	struct cql2_box bbox;
};

/* ---- the builder: checked construction, shared by both parsers ---- */

/* Where the parser is, for messages: "at character 17" or "at /args/1". */
/* Room for a JSON pointer CQL2_MAX_DEPTH levels deep into a geometry. */
#define CQ_WHERE_MAX 512

struct cq_build {
	struct cql2 *f;
	const struct cql2_opts *o;
	struct ms_error *err;
	size_t nodes;    /* against CQL2_MAX_TERMS */
	size_t vertices; /* against CQL2_MAX_VERTICES */
};

/* Records "filter: WHERE: message" and returns NULL, for
 * `return cq_fail(...)` in functions returning a node. */
void *cq_fail(struct cq_build *b, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Each returns the new node, or NULL with the error recorded. */
struct cq_node *cq_bool(struct cq_build *b, const char *where, bool v);
struct cq_node *cq_num(struct cq_build *b, const char *where, double v);
struct cq_node *cq_str(struct cq_build *b, const char *where, const char *s, size_t n);
/* A DATE or TIMESTAMP literal from its text: want is what the filter
 * asked for (DATE() needs a date, TIMESTAMP() a date-time; an interval's
 * end may be either). */
enum cq_want { WANT_DATE, WANT_TIMESTAMP, WANT_EITHER };
struct cq_node *cq_time(struct cq_build *b, const char *where, const char *s, size_t n, enum cq_want want);
/* The queryable called name[0..n), or an error naming the queryables. */
struct cq_node *cq_prop(struct cq_build *b, const char *where, const char *name, size_t n);
struct cq_node *cq_unbounded(struct cq_build *b, const char *where);
struct cq_node *cq_interval(struct cq_build *b, const char *where, struct cq_node *start,
                            struct cq_node *end);
struct cq_node *cq_fold(struct cq_build *b, const char *where, enum cq_kind casei_or_accenti,
                        struct cq_node *arg);
struct cq_node *cq_geom_node(struct cq_build *b, const char *where, struct cq_geom *g);

/* Logic: AND/OR flatten nested ones; NOT NOT x is x. */
struct cq_node *cq_logic(struct cq_build *b, const char *where, enum cq_kind and_or, struct cq_node **kids,
                         size_t n);
struct cq_node *cq_not(struct cq_build *b, const char *where, struct cq_node *x);

struct cq_node *cq_cmp(struct cq_build *b, const char *where, enum cq_cmp op, struct cq_node *l,
                       struct cq_node *r);
struct cq_node *cq_like(struct cq_build *b, const char *where, struct cq_node *v, struct cq_node *pattern);
struct cq_node *cq_between(struct cq_build *b, const char *where, struct cq_node *v, struct cq_node *lo,
                           struct cq_node *hi);
struct cq_node *cq_in(struct cq_build *b, const char *where, struct cq_node *v, struct cq_node **list,
                      size_t n);
struct cq_node *cq_isnull(struct cq_build *b, const char *where, struct cq_node *v);
struct cq_node *cq_spatial(struct cq_build *b, const char *where, enum cq_sfn fn, struct cq_node *a,
                           struct cq_node *c);
struct cq_node *cq_temporal(struct cq_build *b, const char *where, enum cq_tfn fn, struct cq_node *a,
                            struct cq_node *c);

/* Appends item to the arena vector vec of *n items (room for *cap) and
 * returns the vector, moved when it had to grow: it doubles, and the arena
 * keeps the old copies, at most as much again. */
void *cq_push(struct arena *a, void *vec, size_t *n, size_t *cap, size_t size, const void *item);

/* Case-insensitive comparison of s[0..n) with the NUL-terminated ASCII
 * keyword kw (keywords are ASCII; s may be anything). */
bool cq_keyword(const char *s, size_t n, const char *kw);

/* Index of name in names[0..count) ignoring ASCII case, or -1. */
int cq_lookup(const char *s, size_t n, const char *const *names, int count);

/* ---- geometry (geom.c) ---- */

struct cq_geom *cq_geom_new(struct cq_build *b, enum cq_gtype type);
/* Adds one position as the filter wrote it: axis order, range check,
 * conversion to WGS-84, the vertex bound. */
bool cq_geom_pos(struct cq_build *b, const char *where, struct cq_geom *g, double x, double y);
/* Ends a line or ring (all positions since the previous one): checks the
 * count, and for a ring that it is closed. */
bool cq_geom_end_part(struct cq_build *b, const char *where, struct cq_geom *g, bool ring);
/* Ends a polygon (all rings since the previous one). */
bool cq_geom_end_poly(struct cq_build *b, const char *where, struct cq_geom *g);
bool cq_geom_add_member(struct cq_build *b, const char *where, struct cq_geom *coll, struct cq_geom *m);
/* A BBOX from 4 or 6 numbers as written (axis order applied here). */
struct cq_geom *cq_geom_bbox(struct cq_build *b, const char *where, const double *v, size_t n);
/* Checks the counts of a finished literal and computes its extent. */
bool cq_geom_finish(struct cq_build *b, const char *where, struct cq_geom *g);

/* Where point (x, y) lies relative to g (DE-9IM). */
enum cq_loc { LOC_EXTERIOR, LOC_BOUNDARY, LOC_INTERIOR };
enum cq_loc cq_geom_locate(const struct cq_geom *g, double x, double y);
/* True when every position of g is (x, y): g is a point or points, all
 * there. */
bool cq_geom_all_at(const struct cq_geom *g, double x, double y);
/* The canonical WKT of g. */
void cq_geom_wkt(struct buf *out, const struct cq_geom *g);

/* ---- strings and times (strfn.c) ---- */

/* CASEI() and ACCENTI() of s[0..n): a new malloc'd string in *out, *outn
 * bytes (not NUL-terminated), or false when s is not valid UTF-8. */
bool cq_casefold(const char *s, size_t n, char **out, size_t *outn);
bool cq_accentfold(const char *s, size_t n, char **out, size_t *outn);
/* NULL when p[0..n) is a valid LIKE pattern, else what is wrong. */
const char *cq_like_check(const char *p, size_t n);
bool cq_like_match(const char *s, size_t sn, const char *p, size_t pn);
/* Writes t (from cql2_parse_time) as it reads back: "YYYY-MM-DD" for a
 * date, "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" for a timestamp. */
void cq_time_format(struct buf *out, int64_t t, bool is_date);
/* A number in the shortest form that reads back exactly. */
void cq_num_format(struct buf *out, double v);

/* ---- the two encodings (text.c, json.c) ---- */

/* The filter's predicate, or NULL with the error recorded. */
struct cq_node *cq_parse_text(struct cq_build *b, const char *s, size_t n);
struct cq_node *cq_parse_json(struct cq_build *b, const char *s, size_t n);

/* ---- after parsing ---- */

/* Puts AND, OR and IN operands in canonical order and writes f->text. */
void cq_canonicalize(struct cql2 *f);
/* Computes f->bbox_kind and f->bbox. */
void cq_compute_bbox(struct cql2 *f);

#endif

/*
 * cql2.h - filters in OGC CQL2, the Common Query Language (OGC 21-065)
 * that OGC API - Features Part 3 takes in `filter=`: both encodings
 * (cql2-text and cql2-json) parsed into one checked, bounded tree, that
 * tree evaluated against records, and its canonical text.
 *
 * The module is generic: the caller describes its records by a schema of
 * queryables (name, type, optional enum) and hands each record to
 * cql2_eval through a callback that yields a property's value.  It knows
 * nothing of sites, SQL or HTTP and does no I/O.  No Debian package parses
 * CQL2 in C, so the parsers are written here; JSON syntax is jansson's job
 * and Unicode case folding and normalisation are libunistring's.
 *
 * What a filter may use (the classes of cql2_conformance_classes):
 *   Basic CQL2: = <> < > <= >=, AND, OR, NOT, IS [NOT] NULL, properties,
 *     string, number and boolean literals, DATE('...'), TIMESTAMP('...'),
 *     TRUE and FALSE as whole predicates.  Either side of a comparison may
 *     be a property or a literal.
 *   Advanced comparison: [NOT] LIKE ('%' any run, '_' one character, '\'
 *     escapes), [NOT] BETWEEN (numbers, inclusive), [NOT] IN (...).
 *   CASEI() and ACCENTI(): Unicode full case folding, and accents
 *     stripped (canonical decomposition without its non-spacing marks,
 *     Japanese voicing marks kept) - both libunistring (Unicode 14).
 *   Spatial: S_INTERSECTS, S_EQUALS, S_DISJOINT, S_TOUCHES, S_WITHIN,
 *     S_OVERLAPS, S_CROSSES, S_CONTAINS (DE-9IM, OGC 06-103r4 6.1.15) with
 *     POINT, LINESTRING, POLYGON (holes allowed), MULTIPOINT,
 *     MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION and BBOX literals
 *     (WKT in text, GeoJSON and {"bbox": [...]} in JSON).  A record's
 *     geometry is a point, and one side of every spatial predicate must be
 *     a point (a property or a POINT literal): what a point-set relation
 *     between two other literals means is of no use to a record filter.
 *   Temporal: all fifteen T_ functions on dates, timestamps and
 *     INTERVAL(start, end) with literal, property or '..' ends.
 * Not implemented, each refused with a message naming it: arithmetic,
 * array functions (A_*), and functions other than CASEI and ACCENTI.
 *
 * Semantics stated here, where the standard leaves a choice:
 *   - Three-valued logic (Basic CQL2): a comparison with a NULL operand is
 *     NULL (unknown); NOT NULL is NULL; FALSE AND NULL is FALSE; TRUE OR
 *     NULL is TRUE.  A record matches only when the filter is TRUE.
 *   - Types are checked once, when parsing: an unknown property, or a
 *     comparison that can never be true because of the operands' types
 *     ("floors" = 'five'), is an error.  A value outside a queryable's
 *     enum is not: it is valid and simply matches nothing.
 *   - Strings compare by code point (bytewise UTF-8); numbers as doubles;
 *     DATE('d') is the instant d T00:00:00Z, so dates and timestamps mix.
 *     Time has microsecond resolution (finer digits are dropped).
 *   - Geometry: positions are WGS-84 longitude, latitude; edges are
 *     straight lines in those degrees (RFC 7946 3.1.1); ring orientation
 *     does not matter (even-odd rule; the first ring is the shell, the
 *     others its holes).  A shape that crosses the antimeridian must be
 *     split into parts on either side of it (RFC 7946 3.1.9) - except a
 *     BBOX, whose west > east means "crosses the antimeridian", as CQL2
 *     says.  A point within CQL2_GEOM_EPS_DEG of a boundary or of another
 *     point is on it.  A point's interior is the point itself; a
 *     GEOMETRYCOLLECTION's interior is taken as the union of its members'.
 *   - filter-crs: literals are converted to WGS-84 lon/lat when parsing
 *     (EPSG:4326 axis order swapped, then the caller's converter if any),
 *     so evaluation, the canonical text and the bbox are always CRS84.
 *
 * Bounds (each exceeded one is an error naming it): CQL2_MAX_INPUT bytes
 * of input, CQL2_MAX_DEPTH levels of nesting, CQL2_MAX_TERMS nodes,
 * CQL2_MAX_LIST values in one IN list, CQL2_MAX_VERTICES positions in all
 * geometry literals.  Parsing and canonicalising are O(n log n) in the
 * input; evaluating one record is linear in the tree and the vertices
 * (LIKE: in the pattern times the value).
 *
 * Errors are MS_EUSAGE with a message that starts "filter: " and says
 * where: "filter: at character 17: ..." (characters, not bytes, counted
 * from 1) for cql2-text, "filter: at /args/1: ..." (a JSON pointer) for
 * cql2-json.
 *
 * Thread-safety: parsing is reentrant; a parsed struct cql2 is immutable,
 * so any number of threads may evaluate it at once.
 */
#ifndef MS_CQL2_H
#define MS_CQL2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ms_error.h"

/* Longer than any filter a URL carries, shorter than would let one request
 * make the parser work for long. */
#define CQL2_MAX_INPUT 65536
/* Parentheses, NOT, CASEI()... inside one another: each level is a stack
 * frame of the parsers, the evaluator and the printer. */
#define CQL2_MAX_DEPTH 32
/* Nodes of the tree: predicates and the values in them. */
#define CQL2_MAX_TERMS 2048
/* Values in one IN (...) list. */
#define CQL2_MAX_LIST 256
/* Positions in all geometry literals together: each record's evaluation
 * may visit every one of them. */
#define CQL2_MAX_VERTICES 8192
/* Tolerance of "on a boundary" and "the same point", in degrees (about
 * 0.1 mm): positions computed through a coordinate conversion still land
 * on what they were computed from. */
#define CQL2_GEOM_EPS_DEG 1e-9

/* The conformance classes implemented, as OGC API - Features Part 3 asks
 * a server to declare them (/conformance); NULL-terminated. */
#define CQL2_CONF_BASIC "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2"
#define CQL2_CONF_ADVANCED "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators"
#define CQL2_CONF_CASEI "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison"
#define CQL2_CONF_ACCENTI "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison"
#define CQL2_CONF_BASIC_SPATIAL "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions"
#define CQL2_CONF_BASIC_SPATIAL_PLUS "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus"
#define CQL2_CONF_SPATIAL "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions"
#define CQL2_CONF_TEMPORAL "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions"
#define CQL2_CONF_TEXT "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text"
#define CQL2_CONF_JSON "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json"
extern const char *const cql2_conformance_classes[];

/* The type of a queryable (the "type"/"format" of its JSON Schema in a
 * queryables document). */
enum cql2_type {
	CQL2_STRING,
	CQL2_NUMBER,
	CQL2_INTEGER,
	CQL2_BOOLEAN,
	CQL2_DATE,
	CQL2_TIMESTAMP,
	CQL2_GEOMETRY, /* a point per record */
};

/* "string", "number", "integer", "boolean", "date", "timestamp",
 * "geometry". */
const char *cql2_type_name(enum cql2_type t);

struct cql2_queryable {
	const char *name; /* as a filter spells it (case matters) */
	enum cql2_type type;
	const char *const *enum_values; /* string queryables: the values it takes, or NULL */
	size_t n_enum;
};

/* Borrowed by the parser for the call, and by a parsed filter for its
 * lifetime (error messages and the canonical text name queryables). */
struct cql2_schema {
	const struct cql2_queryable *q;
	size_t n;
};

enum cql2_lang { CQL2_TEXT, CQL2_JSON };

/* "cql2-text" or "cql2-json" (the filter-lang values of Part 3). */
bool cql2_lang_parse(const char *s, enum cql2_lang *out);

/* Converts a literal position, already in lon/lat order, into WGS-84 in
 * place (for filters written in GCJ-02 and the like). */
typedef void (*cql2_to_wgs84_fn)(void *ctx, double *lon, double *lat);

struct cql2_opts {
	const struct cql2_schema *schema;
	enum cql2_lang lang;
	/* filter-crs EPSG:4326 (or 4490): positions are "lat lon" and a BBOX
	 * is (south, west, north, east).  false: CRS84, "lon lat". */
	bool lat_first;
	cql2_to_wgs84_fn to_wgs84; /* NULL when positions are WGS-84 */
	void *to_wgs84_ctx;
};

struct cql2;

/* Parses s[0..n) (it need not be NUL-terminated) into *out; free it with
 * cql2_free.  MS_EUSAGE with "filter: at ...: reason" when the filter is
 * malformed, refers to what the schema does not have, mixes types, uses
 * a part of CQL2 this engine does not support, or exceeds a bound. */
enum ms_status cql2_parse(const char *s, size_t n, const struct cql2_opts *o, struct cql2 **out,
                          struct ms_error *err);
void cql2_free(struct cql2 *f);

/* The canonical cql2-text of the filter, borrowed until cql2_free: equal
 * filters give equal strings, whichever encoding, axis order or spelling
 * they came in (keywords in capitals, properties quoted, numbers in their
 * shortest exact form, times in UTC, positions in CRS84, the operands of
 * AND, OR and IN sorted and without repeats, NOT NOT removed, a property
 * put before a literal).  It parses back to itself. */
const char *cql2_to_text(const struct cql2 *f);

/* What the filter implies about where the first geometry queryable of the
 * schema can be. */
enum cql2_bbox_kind {
	CQL2_BBOX_ALL,   /* nothing: any position may match */
	CQL2_BBOX_BOX,   /* only positions within *box can match */
	CQL2_BBOX_EMPTY, /* no record can match (e.g. FALSE, or two disjoint boxes) */
};

struct cql2_box {
	double west, south, east, north; /* WGS-84 degrees; west > east crosses the antimeridian */
};

/* Conservative: every record that evaluates TRUE has its point in *box
 * (boundary tolerance included), so the caller may visit only the records
 * a spatial index finds there. */
enum cql2_bbox_kind cql2_bbox(const struct cql2 *f, struct cql2_box *box);

/* A property's value for one record, as the caller's callback yields it. */
enum cql2_vtype {
	CQL2_VNULL,   /* absent or null */
	CQL2_VSTRING, /* str[0..len), UTF-8, borrowed until the callback's next call */
	CQL2_VNUMBER, /* num (finite) */
	CQL2_VBOOL,   /* b */
	CQL2_VTIME,   /* time_us: microseconds since 1970-01-01T00:00:00Z; a date is its midnight */
	CQL2_VPOINT,  /* lon, lat: WGS-84 degrees */
};

struct cql2_value {
	enum cql2_vtype type;
	const char *str;
	size_t len;
	double num;
	bool b;
	int64_t time_us;
	double lon, lat;
};

/* Sets *out to the value of queryable number qi (an index into the
 * schema) of record rec.  The value must be of the queryable's type
 * (VSTRING for string, VNUMBER for number and integer, VBOOL, VTIME for
 * date and timestamp, VPOINT for geometry) or VNULL; a value of another
 * type counts as NULL. */
typedef void (*cql2_get_fn)(const void *rec, size_t qi, struct cql2_value *out);

enum cql2_truth { CQL2_FALSE, CQL2_TRUE, CQL2_UNKNOWN };

/* The filter's value for one record. */
enum cql2_truth cql2_eval(const struct cql2 *f, cql2_get_fn get, const void *rec);

/* True when the filter is TRUE for the record (the records a filter
 * selects). */
bool cql2_matches(const struct cql2 *f, cql2_get_fn get, const void *rec);

/* Reads an RFC 3339 full-date ("2024-05-01") or date-time
 * ("2024-05-01T08:30:00Z", "...T08:30:00.25+08:00") of s[0..n) into
 * *time_us (as CQL2_VTIME holds it); *is_date tells which it was.  For
 * adapters whose records keep times as text.  false when s is neither. */
bool cql2_parse_time(const char *s, size_t n, int64_t *time_us, bool *is_date);

#endif

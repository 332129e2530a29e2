/*
 * params.h - request parameters, declared once per route.
 *
 * Every route of routes.c points to one table of its parameters: for each
 * its name, whether it is in the path or the query, its type, its range
 * or values, whether it is required, its default and a description.  That
 * one table drives everything a parameter touches, so none of it can
 * disagree with the rest:
 *  - the refusal of an unknown or repeated query parameter (a 400 naming
 *    it; OGC API - Features Part 1 §7.15.2 asks it of the OGC routes, and
 *    mapsvc asks it of every route);
 *  - the parsing into typed values (struct http_arg) that the handler reads
 *    with http_arg(): no handler parses a number itself;
 *  - the problem+json detail of a bad value: which parameter, what was
 *    given, what is allowed (a path parameter that does not parse is a 404:
 *    that URL names no resource);
 *  - the OpenAPI 3.0 parameter objects of /api (http_params_openapi).
 *
 * Numbers follow util/numparse.h (one integer grammar, one decimal
 * grammar, the command line's too); composite types reuse the engine's
 * parsers (feat_parse_bbox, route_parse_point) so that both fronts accept
 * the same spellings.  Cross-parameter rules ("sites or nearest, not
 * both") stay in the handler that knows them.
 *
 * Tables are static and read-only; parsing writes only into the request's
 * struct http_ctx, so any number of threads parse at once.
 */
#ifndef MS_HTTP_PARAMS_H
#define MS_HTTP_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/jsonw.h"

enum http_pin {
	HTTP_IN_QUERY = 0, /* the default of a designated initializer */
	HTTP_IN_PATH,      /* a {name} segment of the route's pattern, in pattern order */
};

enum http_ptype {
	HTTP_T_INT,       /* util/numparse.h's integer, in [min, max] -> i */
	HTTP_T_NUMBER,    /* util/numparse.h's decimal, finite, in [min, max] -> num */
	HTTP_T_STRING,    /* any text -> text */
	HTTP_T_ENUM,      /* one of values -> i, its index */
	HTTP_T_BOOL,      /* "0" or "1" -> i */
	HTTP_T_LATLON,    /* "LAT,LON": latitude in [min, max], longitude in -180..180 -> v[0], v[1] */
	HTTP_T_BBOX,      /* "W,S,E,N": four finite numbers (feat_parse_bbox) -> v[0..3] */
	HTTP_T_LIST,      /* comma-separated non-empty items, min..max of them -> n (and text) */
	HTTP_T_ENUM_LIST, /* comma-separated values, min..max of them, a set -> mask, bit k for values[k] */
	HTTP_T_POINTS,    /* "LAT,LON|LAT,LON|...", min..max points, WGS-84 ranges -> n, pts */
	/* Sort keys ("+name_zh,-category"): min..max comma-separated keys,
	 * each one of values with an optional '+' (ascending, the default) or
	 * '-' (descending) before it, none twice -> n, sort.  A '+' written
	 * unencoded in a query string arrives as a space (form encoding), so a
	 * leading space is a '+'. */
	HTTP_T_SORT,
	/* OGC API - Features Part 1 §7.15.4's datetime: an RFC 3339 date-time
	 * (or full-date), or an interval START/END of two, either end ".." or
	 * empty for open but not both, START <= END -> v[0], v[1], seconds
	 * since 1970 (an instant is both; an open end is -INFINITY or
	 * INFINITY). */
	HTTP_T_DATETIME,
	/* An instant for opening hours (hours.h's hours_parse_instant):
	 * "now", a local time in China Standard Time ("2025-05-06T10:00",
	 * seconds optional) or one with an offset ("...Z", "...+08:00") ->
	 * v[0], seconds since 1970. */
	HTTP_T_INSTANT,
	/* A date, "2025-05-06" (hours_parse_date) -> v[0..2]: year, month, day. */
	HTTP_T_DATE,
	/* A time of day, "08:30" (hours_parse_clock) -> i, minutes since midnight. */
	HTTP_T_CLOCK,
};

/* spec flags */
#define HTTP_PF_CLAMP 1u    /* an integer above max is taken as max, not refused */
#define HTTP_PF_MAX_ZOOM 2u /* the upper bound is also the server's --max-zoom */
/* ENUM_LIST: an item that is not one of values is taken, not refused, and
 * sets bit n (n the number of values), which no value has: a filter on a
 * name that does not exist matches nothing, as a typo in a filter should. */
#define HTTP_PF_OPEN 4u

/* The most points a HTTP_T_POINTS parameter holds (a route sheet's stops). */
#define HTTP_MAX_POINTS 50
/* The most parameters (path and query) a route declares. */
#define HTTP_MAX_ROUTE_PARAMS 24
/* The most keys a HTTP_T_SORT parameter holds. */
#define HTTP_MAX_SORT_KEYS 8

/* One parameter.  Unused members stay zero.  A ranged type always has
 * both ends written, and an end that is no bound is INFINITY or -INFINITY,
 * so a table says "0..INFINITY" rather than leaving a reader to guess. */
struct http_pspec {
	const char *name;
	enum http_pin in;
	enum http_ptype type;
	bool required;
	/* INT, NUMBER: the value; LATLON: the latitude; LIST, ENUM_LIST,
	 * POINTS, SORT: the count (and POINTS' latitudes are -90..90) */
	double min, max;
	const char *const *values; /* ENUM, ENUM_LIST, SORT: NULL-terminated */
	/* ENUM, ENUM_LIST, SORT: other spellings (case, CURIEs): the index in
	 * values of s, or -1.  NULL: exact match only. */
	int (*match)(const char *s);
	const char *def;  /* the default as a client would write it ("5"), or NULL */
	unsigned flags;   /* HTTP_PF_* */
	const char *desc; /* one sentence for /api */
};

/* A route's table. */
struct http_params {
	const struct http_pspec *v;
	size_t n;
};
#define HTTP_PARAMS(specs)                                                                                   \
	{                                                                                                    \
		(specs), sizeof(specs) / sizeof((specs)[0])                                                  \
	}
/* For a stringified default: HTTP_STR(FEAT_NEAREST_DEFAULT) is "5". */
#define HTTP_STR_(x) #x
#define HTTP_STR(x) HTTP_STR_(x)

/* A parsed parameter.  A parameter absent from the request has its
 * default's value (set, not given) or none (neither). */
struct http_arg {
	bool given;              /* the request had it */
	bool set;                /* given or defaulted: the members below hold its value */
	const char *text;        /* as given (percent-decoded), or the default */
	long long i;             /* INT; BOOL 0/1; ENUM: the index in values */
	double num;              /* NUMBER */
	unsigned long long mask; /* ENUM_LIST */
	double v[4]; /* LATLON: lat, lon; BBOX: W, S, E, N; DATETIME: start, end; INSTANT: t; DATE: y, m, d */
	size_t n;    /* LIST, POINTS, SORT: how many */
	const double (*pts)[2]; /* POINTS: n (lat, lon), in the request's storage */
	struct {
		unsigned char key; /* the index in values */
		bool desc;
	} sort[HTTP_MAX_SORT_KEYS]; /* SORT: n keys, the most significant first */
};

struct http_ctx;
struct http_response;
struct http_config;

/* Parses c's path captures and query parameters by table p into c->args
 * (c->spec = p).  Refuses, filling r with the problem and returning false:
 * a path parameter that does not parse (404), an unknown or repeated query
 * parameter, a missing required one, a value that does not parse (400). */
bool http_params_parse(const struct http_params *p, struct http_ctx *c, struct http_response *r);

/* The parsed value of parameter name, which the route's table declares
 * (asserted: reading an undeclared name is a programming error). */
const struct http_arg *http_arg(const struct http_ctx *c, const char *name);

/* Writes p's parameters as a JSON array of OpenAPI 3.0 parameter objects
 * (name, in, description, required, style, schema with type, range, enum
 * and default).  cfg (may be NULL) gives HTTP_PF_MAX_ZOOM's bound. */
void http_params_openapi(struct jsonw *w, const struct http_params *p, const struct http_config *cfg);
/* The same objects, into an array the caller has begun (and may add to). */
void http_params_openapi_items(struct jsonw *w, const struct http_params *p, const struct http_config *cfg);

#endif

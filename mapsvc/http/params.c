/*
 * params.c - parsing, refusing and documenting request parameters from
 * the routes' declarative tables; see params.h.
 *
 * One function per concern, each driven by the same struct http_pspec:
 * parse_value turns text into a struct http_arg, describe says in words
 * what a spec allows (for every problem detail, so a refusal always tells
 * the client what to send instead), write_schema says the same in
 * OpenAPI.  A new type is a case in each of the three, and the unit test
 * (tests/unit/test_http_params.c) walks every route's table through all
 * three.
 */
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../cql2/cql2.h"
#include "../hours/hours.h"
#include "../features/features.h"
#include "../route/overlay.h"
#include "../util/numparse.h"
#include "../util/utf8.h"
#include "handlers.h"

/* A value is quoted in a detail up to this many bytes. */
#define QUOTE_MAX 100
/* The longest enum value matched (a CRS URI is about 45 bytes). */
#define ENUM_VALUE_MAX 128
/* WGS-84 degrees; a HTTP_T_LATLON may narrow the latitudes (a Web
 * Mercator map's centre), never the longitudes. */
#define LAT_LIMIT 90.0
#define LON_LIMIT 180.0

/* The upper bound of s under cfg (may be NULL): HTTP_PF_MAX_ZOOM lowers
 * it to the server's --max-zoom. */
static double http_pspec_max(const struct http_pspec *s, const struct http_config *cfg)
{
	if ((s->flags & HTTP_PF_MAX_ZOOM) && cfg && cfg->max_zoom < s->max)
		return cfg->max_zoom;
	return s->max;
}

static size_t count_values(const char *const *values)
{
	size_t n = 0;
	while (values && values[n])
		n++;
	return n;
}

/* The index in s->values of text[0..n), or -1. */
static int enum_index(const struct http_pspec *s, const char *text, size_t n)
{
	char tmp[ENUM_VALUE_MAX];
	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, text, n);
	tmp[n] = '\0';
	int k = -1;
	if (s->match) {
		k = s->match(tmp);
	} else {
		for (int i = 0; s->values[i]; i++)
			if (!strcmp(s->values[i], tmp))
				k = i;
	}
	return k >= 0 && (size_t)k < count_values(s->values) ? k : -1;
}

static bool in_range(double v, double lo, double hi)
{
	return v >= lo && v <= hi;
}

/* "LAT,LON" of text[0..n), latitude in [lat_min, lat_max]. */
static bool parse_point(const char *text, size_t n, double lat_min, double lat_max, double *lat, double *lon)
{
	char tmp[ENUM_VALUE_MAX];
	if (n >= sizeof tmp)
		return false;
	memcpy(tmp, text, n);
	tmp[n] = '\0';
	return route_parse_point(tmp, lat, lon) && in_range(*lat, lat_min, lat_max) &&
	       in_range(*lon, -LON_LIMIT, LON_LIMIT);
}

static bool parse_int(const struct http_pspec *s, const struct http_config *cfg, const char *text,
                      struct http_arg *a)
{
	double max = http_pspec_max(s, cfg);
	long long lo = isfinite(s->min) ? (long long)s->min : LLONG_MIN;
	long long hi = isfinite(max) ? (long long)max : LLONG_MAX;
	enum ms_parse_result r = ms_parse_int_str(text, lo, hi, &a->i);
	/* OGC API - Features Part 1 §7.15.4: a limit above the maximum is
	 * served as the maximum; ms_parse_int left that bound in a->i. */
	return r == MS_PARSE_OK ||
	       (r == MS_PARSE_RANGE && (s->flags & HTTP_PF_CLAMP) && a->i == hi && lo < hi);
}

/* One sort key of text[0..len): a sign, then one of s's values; false
 * when it is none, or a key given before. */
static bool parse_sort_key(const struct http_pspec *s, const char *p, size_t len, struct http_arg *a)
{
	bool desc = len > 0 && p[0] == '-';
	if (len > 0 && (p[0] == '+' || p[0] == '-' || p[0] == ' '))
		p++, len--;
	int k = len ? enum_index(s, p, len) : -1;
	if (k < 0)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->sort[i].key == k)
			return false;
	a->sort[a->n].key = (unsigned char)k;
	a->sort[a->n].desc = desc;
	a->n++;
	return true;
}

/* Items separated by sep: each must be non-empty and pass item(); their
 * count must be in the spec's range.  *bad, *badlen name a failing item. */
static bool parse_items(const struct http_pspec *s, struct http_ctx *c, const char *text, char sep,
                        struct http_arg *a, const char **bad, size_t *badlen)
{
	size_t count = 0;
	for (const char *p = text;; p++) {
		size_t len = strcspn(p, (char[]){sep, '\0'});
		*bad = p;
		*badlen = len;
		if (len == 0 || count + 1 > s->max ||
		    (s->type == HTTP_T_POINTS && count == HTTP_MAX_POINTS) ||
		    (s->type == HTTP_T_SORT && count == HTTP_MAX_SORT_KEYS))
			return false;
		if (s->type == HTTP_T_ENUM_LIST) {
			int k = enum_index(s, p, len);
			if (k < 0 && !(s->flags & HTTP_PF_OPEN))
				return false;
			a->mask |= 1ull << (k < 0 ? (int)count_values(s->values) : k);
		} else if (s->type == HTTP_T_SORT) {
			if (!parse_sort_key(s, p, len, a))
				return false;
		} else if (s->type == HTTP_T_POINTS &&
		           !parse_point(p, len, -LAT_LIMIT, LAT_LIMIT, &c->points[count][0],
		                        &c->points[count][1])) {
			return false;
		}
		count++;
		p += len;
		if (!*p)
			break;
	}
	*bad = NULL;
	a->n = count;
	a->pts = s->type == HTTP_T_POINTS ? (const double(*)[2])c->points : NULL;
	return count >= s->min;
}

/* One end of a datetime interval, text[0..n): an instant in seconds, or
 * the open end (".." or empty) as open_value. */
static bool parse_instant(const char *text, size_t n, double open_value, double *out)
{
	if (n == 0 || (n == 2 && text[0] == '.' && text[1] == '.')) {
		*out = open_value;
		return true;
	}
	int64_t us;
	bool is_date;
	if (!cql2_parse_time(text, n, &us, &is_date))
		return false;
	*out = (double)us / 1e6;
	return true;
}

static bool parse_datetime(const char *text, struct http_arg *a)
{
	const char *slash = strchr(text, '/');
	if (!slash) {
		/* an instant is both ends of the interval, and is never open */
		if (!parse_instant(text, strlen(text), NAN, &a->v[0]) || isnan(a->v[0]))
			return false;
		a->v[1] = a->v[0];
		return true;
	}
	if (strchr(slash + 1, '/'))
		return false;
	size_t n0 = (size_t)(slash - text), n1 = strlen(slash + 1);
	return parse_instant(text, n0, -INFINITY, &a->v[0]) &&
	       parse_instant(slash + 1, n1, INFINITY, &a->v[1]) && (isfinite(a->v[0]) || isfinite(a->v[1])) &&
	       a->v[0] <= a->v[1];
}

/* Parses text by s into a; on failure *bad (when set) is the item at fault. */
static bool parse_value(const struct http_pspec *s, struct http_ctx *c, const char *text, struct http_arg *a,
                        const char **bad, size_t *badlen)
{
	struct ms_error err = {0};
	a->text = text;
	a->set = true;
	*bad = NULL;
	switch (s->type) {
	case HTTP_T_INT: return parse_int(s, c->cfg, text, a);
	case HTTP_T_NUMBER:
		return ms_parse_decimal_str(text, &a->num) &&
		       in_range(a->num, s->min, http_pspec_max(s, c->cfg));
	case HTTP_T_STRING: return true;
	case HTTP_T_ENUM: return (a->i = enum_index(s, text, strlen(text))) >= 0;
	case HTTP_T_BOOL: a->i = text[0] == '1'; return (text[0] == '0' || text[0] == '1') && !text[1];
	case HTTP_T_LATLON: return parse_point(text, strlen(text), s->min, s->max, &a->v[0], &a->v[1]);
	case HTTP_T_BBOX: return feat_parse_bbox(text, a->v, &err) == MS_OK;
	case HTTP_T_LIST: return parse_items(s, c, text, ',', a, bad, badlen);
	case HTTP_T_ENUM_LIST: return parse_items(s, c, text, ',', a, bad, badlen);
	case HTTP_T_POINTS: return parse_items(s, c, text, '|', a, bad, badlen);
	case HTTP_T_SORT: return parse_items(s, c, text, ',', a, bad, badlen);
	case HTTP_T_DATETIME: return parse_datetime(text, a);
	case HTTP_T_INSTANT: {
		time_t t;
		if (!hours_parse_instant(text, time(NULL), &t))
			return false;
		a->v[0] = (double)t;
		return true;
	}
	case HTTP_T_DATE: {
		struct hours_date d;
		if (!hours_parse_date(text, &d))
			return false;
		a->v[0] = d.year, a->v[1] = d.month, a->v[2] = d.day;
		return true;
	}
	case HTTP_T_CLOCK: {
		int m;
		if (!hours_parse_clock(text, &m))
			return false;
		a->i = m;
		return true;
	}
	}
	return false;
}

static void describe_range(struct buf *b, double lo, double hi)
{
	if (isfinite(lo) && isfinite(hi))
		buf_printf(b, " in %.10g..%.10g", lo, hi);
	else if (isfinite(lo))
		buf_printf(b, " >= %.10g", lo);
	else if (isfinite(hi))
		buf_printf(b, " <= %.10g", hi);
}

static void describe_values(struct buf *b, const char *const *values)
{
	for (size_t i = 0; values[i]; i++)
		buf_printf(b, "%s%s", i ? ", " : "", values[i]);
}

/* What s allows, in words: "an integer in 1..100". */
static void describe(struct buf *b, const struct http_pspec *s, const struct http_config *cfg)
{
	double max = http_pspec_max(s, cfg);
	switch (s->type) {
	case HTTP_T_INT:
		buf_puts(b, "an integer");
		describe_range(b, s->min, s->flags & HTTP_PF_CLAMP ? INFINITY : max);
		if (s->flags & HTTP_PF_CLAMP)
			buf_printf(b, " (above %.10g it is taken as %.10g)", max, max);
		break;
	case HTTP_T_NUMBER:
		buf_puts(b, "a number");
		describe_range(b, s->min, max);
		break;
	case HTTP_T_STRING: buf_puts(b, "a text"); break;
	case HTTP_T_ENUM:
		buf_puts(b, "one of ");
		describe_values(b, s->values);
		break;
	case HTTP_T_BOOL: buf_puts(b, "0 or 1"); break;
	case HTTP_T_LATLON:
		buf_printf(b, "LAT,LON with latitude in %.10g..%.10g and longitude in -180..180", s->min,
		           s->max);
		break;
	case HTTP_T_BBOX: buf_puts(b, "W,S,E,N: four comma-separated numbers"); break;
	case HTTP_T_LIST:
		buf_printf(b, "a comma-separated list of %.10g..%.10g non-empty items", s->min, s->max);
		break;
	case HTTP_T_ENUM_LIST:
		buf_puts(b, "a comma-separated list of ");
		describe_values(b, s->values);
		if (s->flags & HTTP_PF_OPEN)
			buf_puts(b, " (another name matches nothing)");
		if (isfinite(s->max))
			buf_printf(b, " (at most %.10g)", s->max);
		break;
	case HTTP_T_SORT:
		buf_printf(b, "a comma-separated list of %.10g..%.10g sort keys, each one of ", s->min,
		           fmin(s->max, HTTP_MAX_SORT_KEYS));
		describe_values(b, s->values);
		buf_puts(b, " with + (ascending, the default) or - (descending) before it, none twice");
		break;
	case HTTP_T_DATETIME:
		buf_puts(b,
		         "an RFC 3339 date-time, or an interval START/END of two with '..' for an open end "
		         "(START <= END)");
		break;
	case HTTP_T_INSTANT:
		buf_puts(
		    b, "now, a local date and time in China Standard Time (2025-05-06T10:00), or one with an "
		       "offset (2025-05-06T02:00:00Z)");
		break;
	case HTTP_T_DATE: buf_puts(b, "a date YYYY-MM-DD"); break;
	case HTTP_T_CLOCK: buf_puts(b, "a time of day HH:MM, 00:00..23:59"); break;
	case HTTP_T_POINTS:
		buf_printf(
		    b,
		    "%.10g..%.10g points LAT,LON separated by '|', with latitude in -90..90 and longitude in "
		    "-180..180",
		    s->min, s->max);
		break;
	}
}

/* The problem for a value that did not parse: which parameter, what was
 * given (the item at fault too, in a list), what is allowed. */
static void refuse_value(struct http_response *r, int status, const struct http_ctx *c,
                         const struct http_pspec *s, const char *text, const char *bad, size_t badlen)
{
	struct buf allowed = BUF_INIT, given = BUF_INIT;
	describe(&allowed, s, c->cfg);
	size_t n = strlen(text);
	buf_printf(&given, "'%.*s%s'", (int)(n > QUOTE_MAX ? QUOTE_MAX : n), text,
	           n > QUOTE_MAX ? "..." : "");
	if (bad && badlen == 0 && n > 0)
		buf_puts(&given, " (an empty item)");
	else if (bad && badlen > 0 && badlen < n)
		buf_printf(&given, " (at '%.*s%s')", (int)(badlen > QUOTE_MAX ? QUOTE_MAX : badlen), bad,
		           badlen > QUOTE_MAX ? "..." : "");
	if (status == 404) /* a path that does not parse names no resource */
		http_problem(r, 404, "no resource at '%.200s': %s %s is not %s", c->path, s->name,
		             buf_str(&given), buf_str(&allowed));
	else
		http_problem(r, status, "%s: %s is not %s", s->name, buf_str(&given), buf_str(&allowed));
	buf_free(&allowed);
	buf_free(&given);
}

/* Every query parameter is declared and given once. */
static bool check_names(const struct http_params *p, const struct http_ctx *c, struct http_response *r)
{
	for (int i = 0; i < c->nparams; i++) {
		const char *k = c->params[i].key;
		bool known = false;
		for (size_t j = 0; j < p->n && !known; j++)
			known = p->v[j].in == HTTP_IN_QUERY && !strcmp(p->v[j].name, k);
		if (!known) {
			struct buf names = BUF_INIT;
			for (size_t j = 0; j < p->n; j++)
				if (p->v[j].in == HTTP_IN_QUERY)
					buf_printf(&names, "%s%s", names.len ? ", " : "", p->v[j].name);
			http_problem(r, 400, "unknown query parameter '%.100s' for %.100s (%s%s)", k, c->path,
			             names.len ? "it takes: " : "it takes no query parameters",
			             buf_str(&names));
			buf_free(&names);
			return false;
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(c->params[j].key, k)) {
				http_problem(r, 400, "query parameter '%.100s' given more than once", k);
				return false;
			}
	}
	return true;
}

/* The value of query parameter key, or NULL. */
static const char *query_value(const struct http_ctx *c, const char *key)
{
	for (int i = 0; i < c->nparams; i++)
		if (!strcmp(c->params[i].key, key))
			return c->params[i].value;
	return NULL;
}

bool http_params_parse(const struct http_params *p, struct http_ctx *c, struct http_response *r)
{
	assert(p->n <= HTTP_MAX_ROUTE_PARAMS);
	c->spec = p;
	memset(c->args, 0, sizeof c->args);
	const char *bad;
	size_t badlen;
	int ncap = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct http_pspec *s = &p->v[i];
		if (s->in != HTTP_IN_PATH)
			continue;
		assert(ncap < c->ncaptures); /* the table and the pattern agree (unit test) */
		const char *text = c->captures[ncap++];
		c->args[i].given = true;
		if (!parse_value(s, c, text, &c->args[i], &bad, &badlen)) {
			refuse_value(r, 404, c, s, text, bad, badlen);
			return false;
		}
	}
	if (!check_names(p, c, r))
		return false;
	for (size_t i = 0; i < p->n; i++) {
		const struct http_pspec *s = &p->v[i];
		if (s->in != HTTP_IN_QUERY)
			continue;
		const char *text = query_value(c, s->name);
		if (!text && s->required) {
			struct buf allowed = BUF_INIT;
			describe(&allowed, s, c->cfg);
			http_problem(r, 400, "%s: required, %s", s->name, buf_str(&allowed));
			buf_free(&allowed);
			return false;
		}
		if (!text && !s->def)
			continue;
		c->args[i].given = text != NULL;
		/* Every value is UTF-8 text (RFC 3986 §2.5): anything else would
		 * reach JSON, XML and PDF answers as bytes none of them can hold. */
		if (text && !utf8_valid(text, strlen(text))) {
			http_problem(r, 400,
			             "%s: the value is not UTF-8 (byte 0x%02x at %zu); percent-encode UTF-8",
			             s->name, (unsigned char)text[utf8_valid_len(text, strlen(text))],
			             utf8_valid_len(text, strlen(text)));
			return false;
		}
		if (!text)
			text = s->def;
		if (!parse_value(s, c, text, &c->args[i], &bad, &badlen)) {
			assert(c->args[i].given); /* every default parses (unit test) */
			refuse_value(r, 400, c, s, text, bad, badlen);
			return false;
		}
	}
	return true;
}

const struct http_arg *http_arg(const struct http_ctx *c, const char *name)
{
	static const struct http_arg none;
	if (c->spec)
		for (size_t i = 0; i < c->spec->n; i++)
			if (!strcmp(c->spec->v[i].name, name))
				return &c->args[i];
	assert(!"http_arg: the route's table does not declare this parameter");
	return &none;
}

/* --- OpenAPI 3.0 ------------------------------------------------------ */

static void write_bound(struct jsonw *w, const char *key, double v, bool integer)
{
	if (!isfinite(v))
		return;
	jw_key(w, key);
	if (integer)
		jw_int(w, (int64_t)v);
	else
		jw_fixed(w, v, 10);
}

static void write_enum(struct jsonw *w, const char *const *values)
{
	jw_key(w, "enum");
	jw_array_begin(w);
	for (size_t i = 0; values[i]; i++)
		jw_string(w, values[i]);
	jw_array_end(w);
}

/* An array of count items of one JSON type (a point, a box). */
static void write_tuple(struct jsonw *w, int count, const char *item_type)
{
	jw_key(w, "type");
	jw_string(w, "array");
	jw_key(w, "minItems");
	jw_int(w, count);
	jw_key(w, "maxItems");
	jw_int(w, count);
	jw_key(w, "items");
	jw_object_begin(w);
	jw_key(w, "type");
	jw_string(w, item_type);
	jw_object_end(w);
}

static void write_schema(struct jsonw *w, const struct http_pspec *s, const struct http_config *cfg)
{
	double max = http_pspec_max(s, cfg);
	jw_object_begin(w);
	switch (s->type) {
	case HTTP_T_INT:
	case HTTP_T_NUMBER:
		jw_key(w, "type");
		jw_string(w, s->type == HTTP_T_INT ? "integer" : "number");
		write_bound(w, "minimum", s->min, s->type == HTTP_T_INT);
		/* a clamped maximum is no bound: larger values are served */
		write_bound(w, "maximum", s->flags & HTTP_PF_CLAMP ? INFINITY : max, s->type == HTTP_T_INT);
		break;
	case HTTP_T_STRING:
	case HTTP_T_POINTS:   /* pairs separated by '|': no OpenAPI style says that */
	case HTTP_T_DATETIME: /* an instant or an interval: one string either way */
	case HTTP_T_INSTANT:  /* "now" or a local time: no OpenAPI format says either */
	case HTTP_T_CLOCK:
		jw_key(w, "type");
		jw_string(w, "string");
		break;
	case HTTP_T_DATE:
		jw_key(w, "type");
		jw_string(w, "string");
		jw_key(w, "format");
		jw_string(w, "date");
		break;
	case HTTP_T_ENUM:
		jw_key(w, "type");
		jw_string(w, "string");
		write_enum(w, s->values);
		break;
	case HTTP_T_BOOL:
		jw_key(w, "type");
		jw_string(w, "integer");
		jw_key(w, "enum");
		jw_raw(w, "[0,1]");
		break;
	case HTTP_T_LATLON: write_tuple(w, 2, "number"); break;
	case HTTP_T_BBOX: write_tuple(w, 4, "number"); break;
	case HTTP_T_LIST:
	case HTTP_T_ENUM_LIST:
		jw_key(w, "type");
		jw_string(w, "array");
		write_bound(w, "minItems", s->min, true);
		write_bound(w, "maxItems", s->max, true);
		jw_key(w, "items");
		jw_object_begin(w);
		jw_key(w, "type");
		jw_string(w, "string");
		/* an open list takes other names too: its values are no enum */
		if (s->type == HTTP_T_ENUM_LIST && !(s->flags & HTTP_PF_OPEN))
			write_enum(w, s->values);
		jw_object_end(w);
		break;
	case HTTP_T_SORT: {
		jw_key(w, "type");
		jw_string(w, "array");
		write_bound(w, "minItems", s->min, true);
		write_bound(w, "maxItems", fmin(s->max, HTTP_MAX_SORT_KEYS), true);
		jw_key(w, "items");
		jw_object_begin(w);
		jw_key(w, "type");
		jw_string(w, "string");
		struct buf pattern = BUF_INIT;
		buf_puts(&pattern, "^[+-]?(");
		for (size_t i = 0; s->values[i]; i++)
			buf_printf(&pattern, "%s%s", i ? "|" : "", s->values[i]);
		buf_puts(&pattern, ")$");
		jw_key(w, "pattern");
		jw_string(w, buf_str(&pattern));
		buf_free(&pattern);
		jw_object_end(w);
		break;
	}
	}
	if (s->def) {
		jw_key(w, "default");
		if (s->type == HTTP_T_INT || s->type == HTTP_T_NUMBER || s->type == HTTP_T_BOOL)
			jw_raw(w, s->def); /* a number as a client writes it is a JSON number */
		else
			jw_string(w, s->def);
	}
	jw_object_end(w);
}

void http_params_openapi(struct jsonw *w, const struct http_params *p, const struct http_config *cfg)
{
	jw_array_begin(w);
	http_params_openapi_items(w, p, cfg);
	jw_array_end(w);
}

void http_params_openapi_items(struct jsonw *w, const struct http_params *p, const struct http_config *cfg)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct http_pspec *s = &p->v[i];
		jw_object_begin(w);
		jw_key(w, "name");
		jw_string(w, s->name);
		jw_key(w, "in");
		jw_string(w, s->in == HTTP_IN_PATH ? "path" : "query");
		jw_key(w, "description");
		jw_string(w, s->desc);
		jw_key(w, "required");
		jw_bool(w, s->required || s->in == HTTP_IN_PATH); /* OpenAPI 3.0: path parameters are */
		if (s->in == HTTP_IN_QUERY) {
			/* "a,b,c" for arrays, as every list here is written */
			jw_key(w, "style");
			jw_string(w, "form");
			jw_key(w, "explode");
			jw_bool(w, false);
		}
		jw_key(w, "schema");
		write_schema(w, s, cfg);
		jw_object_end(w);
	}
}

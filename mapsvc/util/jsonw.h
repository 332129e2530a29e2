/*
 * jsonw.h - a small streaming JSON writer over a struct buf.
 *
 * Parsing JSON is jansson's job; writing it is done here because the
 * answers need exact control over number formatting (coordinates with 6
 * decimals, RFC 7946 §11.2) and splicing of pre-validated JSON (a site's
 * extra properties), and because it is on the hot path of every features
 * request.  The writer tracks commas itself: call jw_key before each value
 * inside an object.  Strings must be UTF-8; they are escaped per RFC 8259 §7.
 * Not thread-safe; one writer per answer.
 */
#ifndef MS_JSONW_H
#define MS_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JW_MAX_DEPTH 32

struct jsonw {
	struct buf *out;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
	bool after_key;
};

void jw_init(struct jsonw *w, struct buf *out);
void jw_object_begin(struct jsonw *w);
void jw_object_end(struct jsonw *w);
void jw_array_begin(struct jsonw *w);
void jw_array_end(struct jsonw *w);
void jw_key(struct jsonw *w, const char *key);
void jw_string(struct jsonw *w, const char *s);
void jw_stringn(struct jsonw *w, const char *s, size_t n);
/* A number with a fixed count of decimals, trailing zeros trimmed
 * ("118.160735", "12.5", "3").  NaN and infinities are written as null:
 * JSON has no spelling for them. */
void jw_fixed(struct jsonw *w, double v, int decimals);
void jw_int(struct jsonw *w, int64_t v);
void jw_bool(struct jsonw *w, bool v);
void jw_null(struct jsonw *w);
/* A complete JSON value written as it is (the caller vouches for it). */
void jw_raw(struct jsonw *w, const char *json);
/* The members of a JSON object text ("{...}") spliced into the object being
 * written, without its braces.  "{}" and "" add nothing. */
void jw_object_members(struct jsonw *w, const char *object_json);

/* Appends s, escaped for a JSON string body (no quotes), to b. */
void json_escape(struct buf *b, const char *s, size_t n);

#endif

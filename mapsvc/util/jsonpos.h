/*
 * jsonpos.h - where a value sits in a JSON text, so that a reader of JSON
 * data can fail with "FILE:LINE: reason" (a style, a GeoJSON file).
 *
 * Why a locator: jansson parses a text into values that carry no position,
 * and keeping positions for every value would cost memory and time on the
 * good path.  So a reader keeps the path of what it is reading (a stack of
 * object keys and array indices: layers[2].paint.circle-color) in a
 * struct jsonpos, which costs a few stores per member; only when it fails
 * is the text walked once more, along that path, to the byte where the
 * member's key (or the array element) starts.
 *
 * The walk assumes the text is JSON that a parser has accepted; on any
 * other text it still ends, never reads outside [text, text + len), and
 * answers the deepest container it could follow.  Keys are compared as
 * raw bytes, so a key written with escapes ("\u0061") is not found and its
 * object's position is answered instead.
 *
 * Ownership and threads: a struct jsonpos borrows the text, the name, the
 * keys pushed and the error, and belongs to one reader; the functions keep
 * no state, so any number of threads may use their own.
 */
#ifndef MS_JSONPOS_H
#define MS_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

#include "ms_error.h"

/* Deeper paths are counted but not kept: a failure there is reported at
 * the line of the deepest kept segment. */
#define JSONPOS_MAX_DEPTH 12

/* One step of a path: an object member (key != NULL) or an array element. */
struct jsonpos_seg {
	const char *key; /* borrowed; NULL for an array index */
	size_t index;
};

struct jsonpos {
	const char *name; /* names the text in messages, e.g. its path */
	const char *text;
	size_t len;
	struct ms_error *err; /* where jsonpos_fail writes; may be NULL */
	struct jsonpos_seg path[JSONPOS_MAX_DEPTH];
	int depth; /* segments pushed (may exceed JSONPOS_MAX_DEPTH) */
};

/* An empty path over text[0..len), reporting as name into err. */
void jsonpos_init(struct jsonpos *p, const char *name, const char *text, size_t len, struct ms_error *err);
void jsonpos_push_key(struct jsonpos *p, const char *key);
void jsonpos_push_index(struct jsonpos *p, size_t index);
void jsonpos_pop(struct jsonpos *p);

/* The byte offset of what path[0..n) names, walked from the top-level
 * value: the opening quote of a member's key, the first byte of an array
 * element, the top-level value itself for n == 0.  When the text does not
 * hold the path, the offset of the deepest container that was found. */
size_t jsonpos_locate(const char *text, size_t len, const struct jsonpos_seg *path, int n);
/* The line and column (both from 1; the column counts bytes) of a byte
 * offset (clamped to len).  Either out pointer may be NULL. */
void jsonpos_line_col(const char *text, size_t len, size_t offset, int *line, int *col);
/* Refuses a text holding a NUL byte: records MS_EDATA with
 * "NAME:LINE: a NUL byte at column COL; JSON text holds none" in err and
 * returns false.  Why: RFC 8259 allows a NUL only escaped inside a string,
 * but jansson's reader drops a raw one between tokens ("[1\0]" reads as
 * [1]), so a reader that trusted it would accept a corrupt file silently.
 * Every reader of JSON text calls this before jansson. */
bool jsonpos_refuse_nul(const char *name, const char *text, size_t len, struct ms_error *err);
/* The line of the current path. */
int jsonpos_line(const struct jsonpos *p);

/* Records MS_EDATA with "NAME:LINE: reason" (LINE of the current path) in
 * p->err and returns false, so a reader can write `return jsonpos_fail(...)`. */
bool jsonpos_fail(struct jsonpos *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

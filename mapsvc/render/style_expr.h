/*
 * style_expr.h - the values a style property takes (styles/README.md):
 * numbers in a range, colours, marker shapes, and the subset of MapLibre
 * expressions mapsvc evaluates:
 *   ["interpolate", ["linear"], ["zoom"], z0, v0, z1, v1, ...]  a number by zoom
 *   ["match", ["get", "category"], label, value, ..., fallback]  a value by category
 *   ["get", FIELD] (or the legacy "{FIELD}")                      text-field
 * Anything else is refused with a message saying what is supported.
 *
 * Every reader takes the struct jsonpos of the file being read, whose path
 * names the value (the caller pushed it), and on a bad value fails with
 * "FILE:LINE: what: reason" through it; sub-values (a zoom stop, a match
 * label) are pushed and popped here, so their own line is reported.
 *
 * Pure and thread-safe: nothing is kept between calls.
 */
#ifndef MS_STYLE_EXPR_H
#define MS_STYLE_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "../util/jsonpos.h"
#include "style.h"

/* "an object", "a number", ...: the JSON type of v, for messages. */
const char *style_expr_type_name(const json_t *v);
/* Is v the expression [op] or [op, arg] (arg a string; NULL for none)? */
bool style_expr_is(const json_t *v, const char *op, const char *arg);
/* Is v ["get", field] or the legacy token string "{field}"? */
bool style_expr_text_field_is(const json_t *v, const char *field);

/* A number with lo <= v <= hi. */
bool style_expr_number(struct jsonpos *pos, const json_t *v, const char *what, double lo, double hi,
                       double *out);
/* A number in [lo, hi], or an "interpolate" over zoom whose stops rise
 * strictly within [0, STYLE_MAX_ZOOM] and whose values are in [lo, hi]. */
bool style_expr_zoom_num(struct jsonpos *pos, const json_t *v, const char *what, double lo, double hi,
                         struct style_num *out);

/* Leaf readers for style_expr_by_category: out is a struct rgba
 * (render/canvas.h) or an enum marker_shape (render/raster.h). */
typedef bool (*style_expr_leaf_fn)(struct jsonpos *pos, const json_t *v, const char *what, void *out);
bool style_expr_colour(struct jsonpos *pos, const json_t *v, const char *what, void *out);
bool style_expr_shape(struct jsonpos *pos, const json_t *v, const char *what, void *out);

/* One leaf value for every site category: out is an array of CAT_COUNT
 * elements of elem bytes.  A plain leaf fills all of them; a "match" on
 * ["get", "category"] fills the categories its labels name (a category
 * name or an array of them, each at most once) and the fallback the rest. */
bool style_expr_by_category(struct jsonpos *pos, const json_t *v, const char *what, style_expr_leaf_fn leaf,
                            void *out, size_t elem);

#endif

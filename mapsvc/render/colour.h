/*
 * colour.h - CSS colours as styles write them: "#rgb", "#rrggbb",
 * "#rrggbbaa", "rgb(r, g, b)", "rgba(r, g, b, a)" and a few CSS names
 * (the subset styles/README.md documents).
 *
 * Pure and thread-safe: no state, no allocation.
 */
#ifndef MS_COLOUR_H
#define MS_COLOUR_H

#include <stdbool.h>

#include "canvas.h"

/* Parses the whole NUL-terminated text into *out (straight alpha); false,
 * leaving *out alone, for anything else (trailing text, out-of-range
 * components, an unknown name). */
bool colour_parse(const char *text, struct rgba *out);

#endif

/*
 * glyphs.h - text for map labels: FreeType with a CJK font (WenQuanYi
 * Micro Hei by default), UTF-8 in, antialiased glyphs with a halo out.
 *
 * A struct glyphs owns a FreeType library, a face and a cache of rendered
 * glyph bitmaps per (code point, pixel size).  FreeType objects are not
 * thread-safe, so create one struct glyphs per thread.  Missing glyphs are
 * drawn as the font's .notdef box, never skipped silently; invalid UTF-8
 * is drawn as U+FFFD, one per maximal subpart (util/utf8.h decodes).  Positions are rounded to whole pixels
 * so a label cut by two tiles is drawn identically on both.
 */
#ifndef MS_GLYPHS_H
#define MS_GLYPHS_H

#include <stddef.h>
#include <stdint.h>

#include "../util/ms_error.h"
#include "canvas.h"

/* The font used when none is configured. */
#define GLYPHS_DEFAULT_FONT "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

struct glyphs;

struct glyphs *glyphs_new(const char *font_path, struct ms_error *err);
void glyphs_free(struct glyphs *g);

struct text_box {
	double width;   /* advance width in px */
	double ascent;  /* above the baseline, px (positive) */
	double descent; /* below the baseline, px (positive) */
};

/* Measures utf8 at size_px (the font's em size in px). */
void glyphs_measure(struct glyphs *g, const char *utf8, double size_px, struct text_box *box);
/* Draws utf8 with its baseline's left end at (x, y) (rounded to whole px),
 * first a halo of halo_px around every glyph (skipped if 0 or transparent),
 * then the glyphs in fill. */
void glyphs_draw(struct glyphs *g, struct canvas *c, const char *utf8, double x, double y, double size_px,
                 struct rgba fill, struct rgba halo, double halo_px);

/* Glyph bitmaps currently cached (plain and haloed ones count apart). */
size_t glyphs_cache_count(const struct glyphs *g);

#endif

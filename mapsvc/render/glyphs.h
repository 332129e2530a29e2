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

/* Bitmaps a struct glyphs keeps at most; when its cache is full it is
 * emptied as a whole. */
#define GLYPH_CACHE_MAX 4096

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
/* Bytes the cache holds: its table and its bitmaps. */
size_t glyphs_cache_bytes(const struct glyphs *g);

/*
 * Glyphs drawn ahead.  A label's glyphs are rendered the first time a
 * thread draws them (a CJK glyph about 17 us, its halo about 45 us), so
 * the first tiles with labels paid for every character at once.  A
 * struct glyphs filled ahead with glyphs_prepare and then no longer
 * changed can be read by any number of threads' own through
 * glyphs_share, without a lock.
 */

/* Renders cps[0..n) at size_px, and their halos of halo_px when it is
 * above 0, into g's cache (as glyphs_draw would), and returns how many
 * it took: fewer than n once the cache holds GLYPH_CACHE_MAX bitmaps
 * (it is never emptied here). */
size_t glyphs_prepare(struct glyphs *g, const uint32_t *cps, size_t n, double size_px, double halo_px);
/* Makes g read-only for good: its bitmaps move to one block and its font
 * is closed (a face holds a megabyte or so).  A frozen g can only be
 * shared, counted and freed: never drawn or measured with. */
void glyphs_freeze(struct glyphs *g);
/* g reads ahead's bitmaps (a frozen struct glyphs of the same font)
 * before rendering its own; NULL: none.  ahead must outlive g's drawing
 * with it. */
void glyphs_share(struct glyphs *g, const struct glyphs *ahead);

#endif

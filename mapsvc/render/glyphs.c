/*
 * glyphs.c - map labels with FreeType; see glyphs.h.
 *
 * Every glyph is rendered once per (code point, size, halo width) into an
 * 8-bit coverage bitmap and kept in a small open-addressing hash table, so
 * after the first tile a label costs a few hash probes and the blending.
 * The table is bounded (GLYPH_CACHE_MAX bitmaps); when it is full it is
 * emptied as a whole, which is simpler than an LRU and, with a label set of
 * a few hundred distinct characters at two or three sizes, rare.
 *
 * Geometry: glyphs are rendered unhinted at their own origin, and a label's
 * pen advances in 26.6 fixed point from the label's start rounded to a
 * whole pixel.  Each glyph's origin is then rounded to a whole pixel, so a
 * label drawn at (x, y) on one canvas and at (x - 256, y) on its neighbour
 * gets the same bitmaps at the same relative places: the two tiles agree
 * pixel for pixel where the label crosses the seam.
 *
 * The halo is FreeType's stroker run over the glyph outline with round
 * joins and caps, radius halo_px, merged (per pixel maximum) with the
 * glyph's own coverage so that wide stems have no hole in the middle.  That
 * is how Mapnik's default ("full") halo rasterizer draws text halos, so our
 * labels look like the reference renderer's.  All halos of a label are
 * drawn before any fill, so one glyph's halo never covers its neighbour.
 */
#include "glyphs.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_GLYPH_H
#include FT_STROKER_H

#include "../util/mem.h"
#include "../util/utf8.h"

/* The table has at least twice as many slots as entries (at most
 * GLYPH_CACHE_MAX, glyphs.h) so probes stay short.  It starts small and doubles: a new
 * thread's first tile zeroed 450 KB of slots, a fifth of its time where
 * page faults are slow. */
#define GLYPH_FIRST_SLOTS 512
/* Sizes below or above this (px) are clamped: nothing useful is drawn at
 * 1 px, and a huge size would make a huge bitmap. */
#define GLYPH_MIN_PX 1.0
#define GLYPH_MAX_PX 256.0
#define GLYPH_MAX_HALO_PX 16.0

struct glyph {
	bool used;
	uint32_t cp;
	int32_t size26; /* em size, 26.6 px */
	int32_t halo26; /* 0: the plain glyph; else the halo of that radius */
	uint32_t gindex;
	int32_t adv26; /* horizontal advance, 26.6 px */
	int left, top; /* bitmap offset from the origin (top is upwards) */
	int w, h;      /* bitmap size; rows are w bytes */
	uint8_t *bits; /* NULL when w or h is 0 (a space) */
};

struct glyphs {
	FT_Library lib;
	FT_Face face;
	FT_Stroker stroker;
	int32_t cur_size26; /* size last set on face, 0 for none */
	int32_t cur_halo26; /* radius last set on stroker */
	bool kerning;
	struct glyph *slots; /* nslots, a power of two */
	size_t nslots, count;
	const struct glyphs *ahead; /* glyphs_share: read before drawing */
	uint8_t *frozen;            /* glyphs_freeze: every bitmap, no font */
};

static const char *ft_error_text(FT_Error e)
{
	/* FT_Error_String needs FT_CONFIG_OPTION_ERROR_STRINGS, which Debian's
	 * build does not enable; the common cases are enough for a message. */
	switch (e) {
	case FT_Err_Cannot_Open_Resource: return "cannot open the file";
	case FT_Err_Unknown_File_Format: return "not a font file";
	case FT_Err_Invalid_File_Format: return "broken font file";
	case FT_Err_Out_Of_Memory: return "out of memory";
	default: return "FreeType error";
	}
}

struct glyphs *glyphs_new(const char *font_path, struct ms_error *err)
{
	if (!font_path || !*font_path)
		font_path = GLYPHS_DEFAULT_FONT;
	struct glyphs *g = xcalloc(1, sizeof *g);
	FT_Error e = FT_Init_FreeType(&g->lib);
	if (e) {
		free(g);
		ms_fail(err, MS_EINTERNAL, "FreeType: cannot initialise (error %d)", e);
		return NULL;
	}
	e = FT_New_Face(g->lib, font_path, 0, &g->face);
	if (e) {
		ms_fail(err, MS_EIO, "%s: %s (FreeType error %d)", font_path, ft_error_text(e), e);
		FT_Done_FreeType(g->lib);
		free(g);
		return NULL;
	}
	if (!FT_IS_SCALABLE(g->face) || FT_Select_Charmap(g->face, FT_ENCODING_UNICODE)) {
		ms_fail(err, MS_EDATA, "%s: not a scalable font with a Unicode character map", font_path);
		FT_Done_Face(g->face);
		FT_Done_FreeType(g->lib);
		free(g);
		return NULL;
	}
	e = FT_Stroker_New(g->lib, &g->stroker);
	if (e) {
		ms_fail(err, MS_EINTERNAL, "FreeType: cannot create a stroker (error %d)", e);
		FT_Done_Face(g->face);
		FT_Done_FreeType(g->lib);
		free(g);
		return NULL;
	}
	g->kerning = FT_HAS_KERNING(g->face);
	g->nslots = GLYPH_FIRST_SLOTS;
	g->slots = xcalloc(g->nslots, sizeof *g->slots);
	return g;
}

static void cache_clear(struct glyphs *g)
{
	for (size_t i = 0; i < g->nslots && !g->frozen; i++) {
		if (g->slots[i].used)
			free(g->slots[i].bits);
		g->slots[i].used = false;
		g->slots[i].bits = NULL;
	}
	g->count = 0;
}

/* Closes g's font (glyphs_free, glyphs_freeze); its cache stays. */
static void close_font(struct glyphs *g)
{
	if (!g->lib)
		return;
	FT_Stroker_Done(g->stroker);
	FT_Done_Face(g->face);
	FT_Done_FreeType(g->lib);
	g->stroker = NULL;
	g->face = NULL;
	g->lib = NULL;
}

void glyphs_free(struct glyphs *g)
{
	if (!g)
		return;
	cache_clear(g);
	free(g->slots);
	free(g->frozen);
	close_font(g);
	free(g);
}

size_t glyphs_cache_count(const struct glyphs *g)
{
	return g->count;
}

size_t glyphs_cache_bytes(const struct glyphs *g)
{
	size_t n = g->nslots * sizeof *g->slots;
	for (size_t i = 0; i < g->nslots; i++)
		if (g->slots[i].used && g->slots[i].bits)
			n += (size_t)g->slots[i].w * (size_t)g->slots[i].h;
	return n;
}

/* ---- the cache ------------------------------------------------------ */

static size_t slot_hash(const struct glyphs *g, uint32_t cp, int32_t size26, int32_t halo26)
{
	uint64_t h = (uint64_t)cp * 0x9E3779B97F4A7C15u;
	h ^= ((uint64_t)(uint32_t)size26 << 20) ^ (uint64_t)(uint32_t)halo26;
	h *= 0xC2B2AE3D27D4EB4Fu;
	return (size_t)(h >> 40) & (g->nslots - 1);
}

/* Doubles the table, its entries moved (their bitmaps stay put). */
static void grow_slots(struct glyphs *g)
{
	struct glyph *old = g->slots;
	size_t n = g->nslots;
	g->nslots *= 2;
	g->slots = xcalloc(g->nslots, sizeof *g->slots);
	for (size_t k = 0; k < n; k++) {
		if (!old[k].used)
			continue;
		size_t i = slot_hash(g, old[k].cp, old[k].size26, old[k].halo26);
		while (g->slots[i].used)
			i = (i + 1) & (g->nslots - 1);
		g->slots[i] = old[k];
	}
	free(old);
}

static bool set_size(struct glyphs *g, int32_t size26)
{
	if (g->cur_size26 == size26)
		return true;
	if (FT_Set_Char_Size(g->face, 0, size26, 72, 72))
		return false;
	g->cur_size26 = size26;
	return true;
}

/* Copies a FreeType bitmap (any pitch sign) into rows of w bytes. */
static void copy_bitmap(struct glyph *e, const FT_Bitmap *bm, int left, int top)
{
	e->left = left;
	e->top = top;
	e->w = (int)bm->width;
	e->h = (int)bm->rows;
	e->bits = NULL;
	if (e->w <= 0 || e->h <= 0 || !bm->buffer) {
		e->w = e->h = 0;
		return;
	}
	e->bits = xmalloc((size_t)e->w * (size_t)e->h);
	for (int r = 0; r < e->h; r++) {
		const unsigned char *src = bm->pitch >= 0
		                               ? bm->buffer + (size_t)r * (size_t)bm->pitch
		                               : bm->buffer + (size_t)(e->h - 1 - r) * (size_t)(-bm->pitch);
		memcpy(e->bits + (size_t)r * (size_t)e->w, src, (size_t)e->w);
	}
}

/* Renders the plain glyph of cp into e; false when FreeType fails (the
 * entry then stays an empty glyph with no advance). */
static bool render_plain(struct glyphs *g, struct glyph *e)
{
	if (!set_size(g, e->size26))
		return false;
	e->gindex = FT_Get_Char_Index(g->face, e->cp); /* 0 is .notdef: drawn as its box */
	if (FT_Load_Glyph(g->face, e->gindex, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP))
		return false;
	FT_GlyphSlot slot = g->face->glyph;
	e->adv26 = (int32_t)slot->advance.x;
	if (FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL))
		return false;
	copy_bitmap(e, &slot->bitmap, slot->bitmap_left, slot->bitmap_top);
	return true;
}

/* Renders the halo of plain glyph p (radius e->halo26) into e: the stroked
 * outline, merged with p's own coverage. */
static bool render_halo(struct glyphs *g, const struct glyph *p, struct glyph *e)
{
	e->gindex = p->gindex;
	e->adv26 = p->adv26;
	if (!set_size(g, e->size26))
		return false;
	if (FT_Load_Glyph(g->face, p->gindex, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP))
		return false;
	if (g->face->glyph->format != FT_GLYPH_FORMAT_OUTLINE || g->face->glyph->outline.n_points == 0) {
		e->w = e->h = 0; /* nothing to surround */
		return true;
	}
	if (g->cur_halo26 != e->halo26) {
		FT_Stroker_Set(g->stroker, e->halo26, FT_STROKER_LINECAP_ROUND, FT_STROKER_LINEJOIN_ROUND, 0);
		g->cur_halo26 = e->halo26;
	}
	FT_Glyph glyph;
	if (FT_Get_Glyph(g->face->glyph, &glyph))
		return false;
	if (FT_Glyph_Stroke(&glyph, g->stroker, 1) ||
	    FT_Glyph_To_Bitmap(&glyph, FT_RENDER_MODE_NORMAL, NULL, 1)) {
		FT_Done_Glyph(glyph);
		return false;
	}
	FT_BitmapGlyph bg = (FT_BitmapGlyph)glyph;
	copy_bitmap(e, &bg->bitmap, bg->left, bg->top);
	FT_Done_Glyph(glyph);
	/* The stroke covers a band either side of the outline; fill its inside
	 * with the glyph's coverage.  The stroke's box contains the glyph's. */
	for (int r = 0; r < p->h; r++) {
		int y = r + (e->top - p->top);
		if (y < 0 || y >= e->h)
			continue;
		for (int c = 0; c < p->w; c++) {
			int x = c + (p->left - e->left);
			if (x < 0 || x >= e->w)
				continue;
			uint8_t v = p->bits[(size_t)r * (size_t)p->w + (size_t)c];
			uint8_t *d = &e->bits[(size_t)y * (size_t)e->w + (size_t)x];
			if (v > *d)
				*d = v;
		}
	}
	return true;
}

/* The entry of g's own cache for the key, or NULL. */
static const struct glyph *probe(const struct glyphs *g, uint32_t cp, int32_t size26, int32_t halo26)
{
	for (size_t i = slot_hash(g, cp, size26, halo26); g->slots[i].used; i = (i + 1) & (g->nslots - 1)) {
		const struct glyph *e = &g->slots[i];
		if (e->cp == cp && e->size26 == size26 && e->halo26 == halo26)
			return e;
	}
	return NULL;
}

static const struct glyph *lookup(struct glyphs *g, uint32_t cp, int32_t size26, int32_t halo26)
{
	const struct glyph *found = probe(g, cp, size26, halo26);
	if (!found && g->ahead)
		found = probe(g->ahead, cp, size26, halo26);
	if (found)
		return found;
	/* A halo entry needs its plain glyph first, which may flush the
	 * cache; get it before choosing a slot. */
	const struct glyph *plain = NULL;
	struct glyph pcopy;
	if (halo26) {
		plain = lookup(g, cp, size26, 0);
		pcopy = *plain; /* the pointer may move if the cache is flushed below */
		pcopy.bits = NULL;
		if (plain->bits) {
			size_t n = (size_t)plain->w * (size_t)plain->h;
			pcopy.bits = xmalloc(n);
			memcpy(pcopy.bits, plain->bits, n);
		}
		plain = &pcopy;
	}
	if (g->count >= GLYPH_CACHE_MAX)
		cache_clear(g);
	else if (2 * (g->count + 1) > g->nslots)
		grow_slots(g);
	size_t i = slot_hash(g, cp, size26, halo26);
	while (g->slots[i].used)
		i = (i + 1) & (g->nslots - 1);
	struct glyph *e = &g->slots[i];
	memset(e, 0, sizeof *e);
	e->used = true;
	e->cp = cp;
	e->size26 = size26;
	e->halo26 = halo26;
	bool ok = halo26 ? render_halo(g, plain, e) : render_plain(g, e);
	if (!ok) {
		/* Keep the failure cached as an empty glyph: retrying on every
		 * tile would not help. */
		free(e->bits);
		e->bits = NULL;
		e->w = e->h = 0;
	}
	if (plain)
		free(pcopy.bits);
	g->count++;
	return e;
}

/* ---- layout --------------------------------------------------------- */

static int32_t to26(double px, double lo, double hi)
{
	if (!(px >= lo)) /* NaN too */
		px = lo;
	if (px > hi)
		px = hi;
	return (int32_t)lround(px * 64.0);
}

static int32_t kern26(struct glyphs *g, uint32_t prev, uint32_t cur, int32_t size26)
{
	if (!g->kerning || !prev || !set_size(g, size26))
		return 0;
	FT_Vector k;
	if (FT_Get_Kerning(g->face, prev, cur, FT_KERNING_UNFITTED, &k))
		return 0;
	return (int32_t)k.x;
}

void glyphs_measure(struct glyphs *g, const char *utf8, double size_px, struct text_box *box)
{
	int32_t size26 = to26(size_px, GLYPH_MIN_PX, GLYPH_MAX_PX);
	if (!set_size(g, size26)) {
		box->width = box->ascent = box->descent = 0;
		return;
	}
	/* The font's line metrics, widened by any glyph that reaches beyond
	 * them, so the box holds every drawn pixel. */
	double asc = g->face->size->metrics.ascender / 64.0;
	double desc = -g->face->size->metrics.descender / 64.0;
	int32_t pen = 0;
	uint32_t prev = 0, cp;
	const char *s = utf8 ? utf8 : "";
	for (int n; (n = utf8_decode(s, &cp)) > 0; s += n) {
		const struct glyph *e = lookup(g, cp, size26, 0);
		pen += kern26(g, prev, e->gindex, size26);
		prev = e->gindex;
		pen += e->adv26;
		if (e->h > 0) {
			if (e->top > asc)
				asc = e->top;
			if (e->h - e->top > desc)
				desc = e->h - e->top;
		}
	}
	box->width = ((pen + 32) >> 6);
	box->ascent = asc;
	box->descent = desc;
}

static void draw_pass(struct glyphs *g, struct canvas *c, const char *utf8, int ox, int oy, int32_t size26,
                      int32_t halo26, struct rgba colour)
{
	int32_t pen = 0;
	uint32_t prev = 0, cp;
	for (int n; (n = utf8_decode(utf8, &cp)) > 0; utf8 += n) {
		const struct glyph *e = lookup(g, cp, size26, halo26);
		pen += kern26(g, prev, e->gindex, size26);
		prev = e->gindex;
		if (e->bits) {
			int gx = ox + ((pen + 32) >> 6) + e->left;
			int gy = oy - e->top;
			if (gx < c->width && gy < c->height && gx + e->w > 0 && gy + e->h > 0)
				canvas_blend_mask(c, gx, gy, e->bits, e->w, e->h, e->w, colour);
		}
		pen += e->adv26;
	}
}

void glyphs_draw(struct glyphs *g, struct canvas *c, const char *utf8, double x, double y, double size_px,
                 struct rgba fill, struct rgba halo, double halo_px)
{
	if (!utf8 || !*utf8 || !isfinite(x) || !isfinite(y))
		return;
	/* Far-off labels would overflow int; nothing of them can be seen. */
	if (fabs(x) > 1e6 || fabs(y) > 1e6)
		return;
	int32_t size26 = to26(size_px, GLYPH_MIN_PX, GLYPH_MAX_PX);
	/* floor(v + 0.5), not lround: lround rounds halves away from zero,
	 * which would put 240.5 and 240.5 - 256 on different pixels. */
	int ox = (int)floor(x + 0.5), oy = (int)floor(y + 0.5);
	if (halo.a && halo_px > 0) {
		int32_t halo26 = to26(halo_px, 1.0 / 64, GLYPH_MAX_HALO_PX);
		draw_pass(g, c, utf8, ox, oy, size26, halo26, halo);
	}
	if (fill.a)
		draw_pass(g, c, utf8, ox, oy, size26, 0, fill);
}

/* ---- drawn ahead ---------------------------------------------------- */

void glyphs_share(struct glyphs *g, const struct glyphs *ahead)
{
	g->ahead = ahead != g ? ahead : NULL;
}

void glyphs_freeze(struct glyphs *g)
{
	if (g->frozen)
		return;
	size_t total = 0;
	for (size_t i = 0; i < g->nslots; i++)
		if (g->slots[i].used && g->slots[i].bits)
			total += (size_t)g->slots[i].w * (size_t)g->slots[i].h;
	g->frozen = xmalloc(total ? total : 1);
	uint8_t *at = g->frozen;
	for (size_t i = 0; i < g->nslots; i++) {
		struct glyph *e = &g->slots[i];
		if (!e->used || !e->bits)
			continue;
		size_t n = (size_t)e->w * (size_t)e->h;
		memcpy(at, e->bits, n);
		free(e->bits);
		e->bits = at;
		at += n;
	}
	close_font(g);
}

size_t glyphs_prepare(struct glyphs *g, const uint32_t *cps, size_t n, double size_px, double halo_px)
{
	int32_t size26 = to26(size_px, GLYPH_MIN_PX, GLYPH_MAX_PX);
	int32_t halo26 = halo_px > 0 ? to26(halo_px, 1.0 / 64, GLYPH_MAX_HALO_PX) : 0;
	size_t k = 0;
	/* a halo takes its plain glyph too: room for both, so that the cache
	 * is never emptied here */
	for (; k < n && g->count + 2 <= GLYPH_CACHE_MAX; k++) {
		lookup(g, cps[k], size26, 0);
		if (halo26)
			lookup(g, cps[k], size26, halo26);
	}
	return k;
}

/*
 * ahead.h - the glyphs of a set of styles drawn ahead, off the serving
 * path, so that the first tiles with labels do not render them.
 *
 * A thread renders its glyphs the first time it draws them: a CJK glyph
 * about 17 us and its halo about 45 us, so the first labelled tiles of a
 * server (z12 of the bundled style, at 1x and again @2x) took 5-6 ms
 * where the next ones take 1-3.  A struct tile_ahead renders, on a thread
 * of its own, for each font of the styles:
 *   - the digits and letters of cluster counts at every zoom's count size;
 *   - the characters of the sites' names, most frequent first (counted on
 *     at most AHEAD_SAMPLE names spread evenly over the set), at every
 *     zoom's label size with its halo,
 * each at scale 1 and 2, up to GLYPH_CACHE_MAX bitmaps a font (a few
 * megabytes).  Once drawn, the glyphs are published (release order) and
 * read by every thread's own struct glyphs (glyphs_share) without a lock.
 * What is drawn depends only on the styles and the sites, so every tile
 * is the same bytes whether the glyphs were drawn ahead or not.
 *
 * Ownership and threads: the thread holds a reference to the snapshot
 * until it is done and borrows the styles, which must outlive the struct
 * (tile_ahead_free joins the thread).  Reading is thread-safe.
 */
#ifndef MS_AHEAD_H
#define MS_AHEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "../store/snapshot.h"
#include "glyphs.h"
#include "style.h"

/* Names whose characters are counted, at most. */
#define AHEAD_SAMPLE 65536

struct tile_ahead;

/* Starts drawing ahead for styles[0..nstyles) and snap's names (on the
 * caller's thread when no thread can start). */
struct tile_ahead *tile_ahead_start(struct snapshot *snap, const struct style *styles, size_t nstyles);
/* Waits until everything is drawn (the owner's thread only). */
void tile_ahead_wait(struct tile_ahead *a);
/* Stops the drawing (at the next glyph), then frees everything.
 * NULL is fine. */
void tile_ahead_free(struct tile_ahead *a);
/* The glyphs drawn ahead for the font a style names (its `font`, "" for
 * the default); NULL while they are being drawn, or when that font could
 * not be opened. */
const struct glyphs *tile_ahead_font(const struct tile_ahead *a, const char *font);
/* True once everything is drawn; *bitmaps and *bytes (each if not NULL)
 * are then the bitmaps held over all fonts, and their bytes with their
 * tables'. */
bool tile_ahead_ready(const struct tile_ahead *a, size_t *bitmaps, size_t *bytes);

#endif

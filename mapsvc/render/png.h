/*
 * png.h - a canvas to PNG bytes and back, over libpng.
 *
 * Encoding un-premultiplies the canvas (straight = round(255 * p / a), and
 * a fully transparent pixel becomes 0,0,0,0), then picks the smallest fit:
 * an image of at most 256 distinct RGBA colours is written as an indexed
 * PNG (PLTE + tRNS) of 1, 2, 4 or 8 bits per pixel, anything else as 8-bit
 * RGBA.  Map overlay tiles are mostly transparent with a few markers and
 * labels, so nearly all of them take the indexed path.  No ancillary
 * chunks (time, text, gamma) are written: the same canvas always gives the
 * same bytes, which ETags and the tile cache rely on.
 *
 * Decoding (for tests and tools) gives a new canvas, premultiplied with
 * round(s * a / 255), the rule of canvas.c.  With these two roundings a
 * canvas of valid premultiplied pixels (each channel <= alpha) survives
 * encode + decode unchanged, byte for byte.
 *
 * Neither function keeps state: thread-safe for distinct canvases.  libpng
 * warnings are not printed; errors come back in struct ms_error.
 */
#ifndef MS_PNGENC_H
#define MS_PNGENC_H

#include <stddef.h>

#include "../util/buf.h"
#include "../util/ms_error.h"
#include "canvas.h"

/* Appends the PNG of c to out.  Its bytes depend on c alone: not on the
 * thread, on what it encoded before, or on where its memory lies (tiles
 * are compared by their bytes: ETags, replicas behind one cache). */
enum ms_status pngenc_encode(const struct canvas *c, struct buf *out, struct ms_error *err);

/* pngenc_encode working in the caller's scratch, pngenc_scratch_bytes()
 * long and 16-byte aligned, instead of the calling thread's own (which
 * it keeps from image to image). */
size_t pngenc_scratch_bytes(void);
enum ms_status pngenc_encode_in(const struct canvas *c, void *scratch, struct buf *out, struct ms_error *err);

/* Decodes a PNG of any colour type into a new canvas (*out; canvas_free
 * it).  Bad or truncated data gives MS_EDATA. */
enum ms_status pngenc_decode(const void *data, size_t len, struct canvas **out, struct ms_error *err);

#endif

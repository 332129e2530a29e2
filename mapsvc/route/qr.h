/*
 * qr.h - QR codes for the route sheet: each stop's code holds the address
 * of the site's own page, so that a visitor scans it and reads about the
 * site on a phone.  The symbol is made by libqrencode (Debian
 * libqrencode-dev); the sheets draw its modules themselves (vector
 * squares in the PDF, an inline SVG path in the HTML), so the code prints
 * sharp at any size and needs no image file.
 *
 * Error correction level M (about 15% of the symbol may be lost): a
 * printed sheet gets creased and smudged.  Byte mode: a URL is ASCII.
 * Ownership: a struct route_qr owns its modules (route_qr_free).
 * Thread-safety: libqrencode is thread-safe when built with pthreads, as
 * Debian builds it; nothing here is shared.
 */
#ifndef MS_ROUTE_QR_H
#define MS_ROUTE_QR_H

#include <stdbool.h>

#include "../util/ms_error.h"

/* ISO/IEC 18004 asks for a light margin of four modules around the symbol. */
#define ROUTE_QR_QUIET 4

struct route_qr {
	int width;              /* modules per side, without the quiet zone */
	unsigned char *modules; /* width * width, row by row: 1 dark, 0 light */
};

/* The symbol of text (NUL-terminated).  MS_EUSAGE when the text is too
 * long for any version at level M, MS_EINTERNAL for a libqrencode failure. */
enum ms_status route_qr_encode(const char *text, struct route_qr *out, struct ms_error *err);
void route_qr_free(struct route_qr *q);
/* Module (x, y) is dark; false outside the symbol (the quiet zone). */
bool route_qr_dark(const struct route_qr *q, int x, int y);

#endif

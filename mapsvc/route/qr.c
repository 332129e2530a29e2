/* qr.c - QR codes of the sites' pages; see qr.h. */
#include "qr.h"

#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

enum ms_status route_qr_encode(const char *text, struct route_qr *out, struct ms_error *err)
{
	out->width = 0;
	out->modules = NULL;
	/* version 0: the smallest that holds the text; case-sensitive */
	errno = 0;
	QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (!q)
		return errno == ERANGE
		           ? ms_fail(err, MS_EUSAGE, "QR code: '%.60s...' is too long for one symbol", text)
		           : ms_fail(err, MS_EINTERNAL, "QR code: libqrencode failed (%s)", strerror(errno));
	size_t n = (size_t)q->width * (size_t)q->width;
	out->width = q->width;
	out->modules = xmalloc(n);
	/* libqrencode's byte per module: bit 0 is the colour (1 dark) */
	for (size_t i = 0; i < n; i++)
		out->modules[i] = q->data[i] & 1;
	QRcode_free(q);
	return MS_OK;
}

void route_qr_free(struct route_qr *q)
{
	if (!q)
		return;
	free(q->modules);
	q->modules = NULL;
	q->width = 0;
}

bool route_qr_dark(const struct route_qr *q, int x, int y)
{
	return x >= 0 && y >= 0 && x < q->width && y < q->width && q->modules[(size_t)y * q->width + x];
}

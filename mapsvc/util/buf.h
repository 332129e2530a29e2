/*
 * buf.h - a growable byte buffer, the one way mapsvc builds text and bytes
 * (JSON bodies, GPX, HTML, PNG streams).  Always NUL-terminated after its
 * data, so buf.data can be used as a C string when the content is text.
 * Not thread-safe; owned by whoever initialised it.
 */
#ifndef MS_BUF_H
#define MS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
};

#define BUF_INIT                                                                                             \
	{                                                                                                    \
		NULL, 0, 0                                                                                   \
	}

void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* keeps the allocation */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Hands the bytes to the caller (free() them); the buffer is left empty. */
char *buf_detach(struct buf *b, size_t *len);
/* The content as a C string ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);

#endif

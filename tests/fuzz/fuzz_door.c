/*
 * fuzz_door.c - the door's scanner of first request heads
 * (http_door_scan, door.h), on whatever a client may send first.
 *
 * Small limits (a 200-byte line, a 400-byte head) so that every branch
 * is near.  Contracts checked, beyond "no crash, no read past the bytes":
 *   - a refusal is 400, 413, 414, 431 or 505, with a detail;
 *   - an accepted head has, after at most a few empty lines, a request
 *     line no longer than the limit that ends in "HTTP/1.d", at most
 *     MAX_FIELDS header lines and an empty line after them;
 *   - "more" is never said of a buffer as long as the head limit (the
 *     door would wait for bytes that cannot be peeked);
 *   - scanning grows monotonically: every prefix of an accepted head is
 *     "more" or accepted, never refused.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "http/door.h"

#define H "fuzz_door"
#define MAX_LINE 200
#define MAX_HEAD 400
#define MAX_FIELDS 5
#define DETAIL 256

static enum door_scan scan(const char *buf, size_t n, int *status, char *detail)
{
	detail[0] = '\0';
	*status = 0;
	return http_door_scan(buf, n, MAX_LINE, MAX_HEAD, MAX_FIELDS, status, detail, DETAIL);
}

static void check_ok(const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n;
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || (size_t)(nl - p) > MAX_LINE)
		fuzz_fail(H, "accepted without a request line within the limit");
	const char *le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	while (le > p && le[-1] == ' ')
		le--;
	if (le - p < 8 || memcmp(le - 8, "HTTP/1.", 7) != 0 || le[-1] < '0' || le[-1] > '9')
		fuzz_fail(H, "accepted a request line that does not end in HTTP/1.d: '%.*s'", (int)(le - p),
		          p);
	const char *e2 = memmem(nl, (size_t)(end - nl), "\n\n", 2),
	           *e3 = memmem(nl, (size_t)(end - nl), "\n\r\n", 3);
	const char *stop = !e2 ? e3 : !e3 ? e2 : e2 < e3 ? e2 : e3;
	if (!stop)
		fuzz_fail(H, "accepted a head without its empty line");
	size_t fields = 0; /* the newlines after the request line's, up to the head's end */
	for (const char *q = nl + 1; q <= stop; q++)
		fields += *q == '\n';
	if (fields > MAX_FIELDS)
		fuzz_fail(H, "accepted %zu header lines", fields);
	/* and every Content-Length in it is a number of at most 64 bits;
	 * stop is a '\n', so every line up to it ends in one */
	for (const char *l = nl + 1; l <= stop;) {
		const char *le2 = memchr(l, '\n', (size_t)(stop + 1 - l));
		if ((size_t)(le2 - l) >= 15 && strncasecmp(l, "content-length:", 15) == 0) {
			unsigned long long v = 0;
			const char *d = l + 15;
			while (*d == ' ' || *d == '\t')
				d++;
			bool got = false;
			while (*d >= '0' && *d <= '9') {
				if (v > (~0ull - (unsigned)(*d - '0')) / 10)
					fuzz_fail(H, "accepted a Content-Length above 64 bits");
				v = v * 10 + (unsigned)(*d++ - '0');
				got = true;
			}
			while (*d == ' ' || *d == '\t' || *d == '\r')
				d++;
			if (!got || d != le2)
				fuzz_fail(H, "accepted a Content-Length that is not a number");
		}
		l = le2 + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * MAX_HEAD)
		return 0;
	const char *buf = (const char *)data;
	size_t n = size < MAX_HEAD ? size : MAX_HEAD; /* the door peeks at most max_head bytes */
	int status;
	char detail[DETAIL];
	enum door_scan v = scan(buf, n, &status, detail);
	switch (v) {
	case DOOR_BAD:
		if ((status != 400 && status != 413 && status != 414 && status != 431 && status != 505) ||
		    !detail[0])
			fuzz_fail(H, "refused with status %d, detail '%s'", status, detail);
		break;
	case DOOR_MORE:
		if (n >= MAX_HEAD)
			fuzz_fail(H, "waits for more with %zu bytes, the head limit being %d", n, MAX_HEAD);
		break;
	case DOOR_OK:
		check_ok(buf, n);
		for (size_t k = 0; k < n; k++)
			if (scan(buf, k, &status, detail) == DOOR_BAD)
				fuzz_fail(H, "a prefix of %zu bytes of an accepted head is refused (%d: %s)",
				          k, status, detail);
		break;
	default: fuzz_fail(H, "verdict %d", (int)v);
	}
	return 0;
}

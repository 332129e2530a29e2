/*
 * fuzz_accesslog.c - the access log's formatting (http/accesslog.h) on
 * whatever a client can send: the input is the request target, and after
 * its first '\n' the User-Agent, after a second the Referer.
 *
 * Contracts checked, beyond "no crash, no leak":
 *   - a line, in either format, ends with its only '\n';
 *   - a JSON line is well-formed UTF-8, and a combined one printable ASCII;
 *   - redaction is idempotent, and leaves no value of a secret-looking
 *     parameter but REDACTED.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/accesslog.h"
#include "util/mem.h"
#include "util/utf8.h"

#define H "fuzz_accesslog"
#define MAX_INPUT 4096

static void check_line(const struct buf *b, bool json)
{
	if (!b->len || b->data[b->len - 1] != '\n' || memchr(b->data, '\n', b->len - 1))
		fuzz_fail(H, "a line that is not one line: %.*s", (int)b->len, b->data);
	if (json && !utf8_valid(b->data, b->len))
		fuzz_fail(H, "a JSON line with ill-formed UTF-8");
	for (size_t i = 0; !json && i + 1 < b->len; i++)
		if ((unsigned char)b->data[i] < 0x20 || (unsigned char)b->data[i] >= 0x7f)
			fuzz_fail(H, "byte %02x at %zu of a combined line", (unsigned char)b->data[i], i);
}

/* Every secret parameter of a redacted query has the value REDACTED. */
static void check_redacted(const char *r)
{
	const char *q = strchr(r, '?');
	for (const char *p = q ? q + 1 : NULL; p;) {
		size_t n = strcspn(p, "&;"), kn = strcspn(p, "=&;");
		if (kn < n && http_log_secret_key(p, kn) &&
		    (n - kn - 1 != strlen(HTTP_LOG_REDACTED) ||
		     memcmp(p + kn + 1, HTTP_LOG_REDACTED, n - kn - 1)))
			fuzz_fail(H, "a secret left in %s", r);
		p = p[n] ? p + n + 1 : NULL;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *ua = strchr(text, '\n'), *ref = NULL;
	if (ua) {
		*ua++ = '\0';
		if ((ref = strchr(ua, '\n')))
			*ref++ = '\0';
	}
	struct buf once = BUF_INIT, twice = BUF_INIT, line = BUF_INIT;
	http_log_redact(text, &once);
	http_log_redact(buf_str(&once), &twice);
	if (strcmp(buf_str(&once), buf_str(&twice)))
		fuzz_fail(H, "redacting twice changes %s", buf_str(&once));
	check_redacted(buf_str(&once));
	struct http_log_entry e = {.client = "192.0.2.1",
	                           .method = "GET",
	                           .target = text,
	                           .protocol = "HTTP/1.1",
	                           .status = 200,
	                           .user_agent = ua,
	                           .referer = ref,
	                           .cache = "hit"};
	http_log_format(HTTP_LOG_COMBINED, &e, &line);
	check_line(&line, false);
	buf_reset(&line);
	http_log_format(HTTP_LOG_JSON, &e, &line);
	check_line(&line, true);
	buf_free(&once);
	buf_free(&twice);
	buf_free(&line);
	free(text);
	return 0;
}

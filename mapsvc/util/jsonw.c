/* jsonw.c - streaming JSON writer; see jsonw.h. */
#include "jsonw.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void jw_init(struct jsonw *w, struct buf *out)
{
	memset(w, 0, sizeof *w);
	w->out = out;
}

/* Every value goes through here: a comma if a sibling came before. */
static void before_value(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		buf_putc(w->out, ',');
	w->need_comma[w->depth] = true;
}

static void open(struct jsonw *w, char c)
{
	before_value(w);
	buf_putc(w->out, c);
	assert(w->depth + 1 < JW_MAX_DEPTH);
	w->need_comma[++w->depth] = false;
}

static void close(struct jsonw *w, char c)
{
	assert(w->depth > 0 && !w->after_key);
	w->depth--;
	buf_putc(w->out, c);
}

void jw_object_begin(struct jsonw *w)
{
	open(w, '{');
}
void jw_object_end(struct jsonw *w)
{
	close(w, '}');
}
void jw_array_begin(struct jsonw *w)
{
	open(w, '[');
}
void jw_array_end(struct jsonw *w)
{
	close(w, ']');
}

void json_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_append(b, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			buf_append(b, u, 6);
		}
		}
	}
	buf_append(b, s + start, n - start);
}

void jw_key(struct jsonw *w, const char *key)
{
	assert(!w->after_key);
	before_value(w);
	buf_putc(w->out, '"');
	json_escape(w->out, key, strlen(key));
	buf_puts(w->out, "\":");
	w->after_key = true;
}

void jw_stringn(struct jsonw *w, const char *s, size_t n)
{
	before_value(w);
	buf_putc(w->out, '"');
	json_escape(w->out, s, n);
	buf_putc(w->out, '"');
}

void jw_string(struct jsonw *w, const char *s)
{
	jw_stringn(w, s, strlen(s));
}

void jw_fixed(struct jsonw *w, double v, int decimals)
{
	before_value(w);
	if (!isfinite(v)) {
		buf_puts(w->out, "null");
		return;
	}
	char tmp[64];
	int n = snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
	if (n <= 0 || (size_t)n >= sizeof tmp) { /* absurdly large: keep all digits */
		buf_printf(w->out, "%.17g", v);
		return;
	}
	if (memchr(tmp, '.', (size_t)n)) {
		while (tmp[n - 1] == '0')
			n--;
		if (tmp[n - 1] == '.')
			n--;
	}
	tmp[n] = '\0';
	if (strcmp(tmp, "-0") == 0) /* -0.0000001 rounds to "-0": say 0 */
		strcpy(tmp, "0");
	buf_puts(w->out, tmp);
}

void jw_int(struct jsonw *w, int64_t v)
{
	before_value(w);
	buf_printf(w->out, "%" PRId64, v);
}

void jw_bool(struct jsonw *w, bool v)
{
	before_value(w);
	buf_puts(w->out, v ? "true" : "false");
}

void jw_null(struct jsonw *w)
{
	before_value(w);
	buf_puts(w->out, "null");
}

void jw_raw(struct jsonw *w, const char *json)
{
	before_value(w);
	buf_puts(w->out, json);
}

void jw_object_members(struct jsonw *w, const char *object_json)
{
	assert(!w->after_key);
	if (!object_json)
		return;
	const char *a = strchr(object_json, '{');
	const char *z = strrchr(object_json, '}');
	if (!a || !z || z <= a)
		return;
	a++;
	while (a < z && (*a == ' ' || *a == '\n' || *a == '\t' || *a == '\r'))
		a++;
	if (a == z)
		return;
	if (w->need_comma[w->depth])
		buf_putc(w->out, ',');
	w->need_comma[w->depth] = true;
	buf_append(w->out, a, (size_t)(z - a));
}

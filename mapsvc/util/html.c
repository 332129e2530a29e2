/* html.c - escaping and template filling for markup; see html.h. */
#include "html.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#define SLOT_OPEN "{{"
#define SLOT_CLOSE "}}"

void html_escape_n(struct buf *b, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				rep = "";
		}
		if (!rep)
			continue;
		buf_append(b, s + start, i - start);
		buf_puts(b, rep);
		start = i + 1;
	}
	buf_append(b, s + start, n - start);
}

void html_escape(struct buf *b, const char *s)
{
	html_escape_n(b, s, strlen(s));
}

void html_script_json(struct buf *b, const char *json, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (json[i] != '<')
			continue;
		buf_append(b, json + start, i - start);
		buf_puts(b, "\\u003c");
		start = i + 1;
	}
	buf_append(b, json + start, n - start);
}

static const struct html_var *find_var(const struct html_var *vars, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return &vars[i];
	return NULL;
}

void html_fill(struct buf *out, const char *tpl, const struct html_var *vars, size_t n)
{
	const char *p = tpl;
	for (;;) {
		const char *open = strstr(p, SLOT_OPEN);
		const char *close = open ? strstr(open + 2, SLOT_CLOSE) : NULL;
		if (!close) {
			buf_puts(out, p);
			return;
		}
		buf_append(out, p, (size_t)(open - p));
		const char *name = open + 2;
		bool raw = *name == '&';
		if (raw)
			name++;
		const struct html_var *v = find_var(vars, n, name, (size_t)(close - name));
		assert(v); /* every slot of a template is filled */
		if (v && v->value) {
			if (raw)
				buf_puts(out, v->value);
			else
				html_escape(out, v->value);
		}
		p = close + 2;
	}
}

void html_url_component(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p)) {
			buf_putc(b, (char)*p);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			buf_append(b, e, 3);
		}
	}
}

/*
 * jsonpos.c - finding a member of a JSON text by its path; see jsonpos.h.
 *
 * The walk is a skimming scanner, not a parser: it knows strings (so that
 * brackets and commas inside them do not count), containers (skipped by
 * counting brackets) and everything else (skipped to the next delimiter).
 * That is enough for text a parser has accepted, and it stays safe on any
 * other: every step moves forward and checks the end first.  Recursion is
 * bounded by the path's length (at most JSONPOS_MAX_DEPTH).
 */
#include "jsonpos.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The longest name and reason a message holds: together with the line they
 * fit the 1 KiB of struct ms_error's message. */
#define NAME_MAX_CHARS 200
#define REASON_BYTES 768

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

/* At a '"': moves past the closing quote; *start, *n: the raw content. */
static void skip_string(struct scan *s, const char **start, size_t *n)
{
	s->p++;
	*start = s->p;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\' && s->p + 1 < s->end)
			s->p++;
		s->p++;
	}
	*n = (size_t)(s->p - *start);
	if (s->p < s->end)
		s->p++;
}

static void skip_value(struct scan *s)
{
	const char *a;
	size_t n;
	if (s->p >= s->end)
		return;
	if (*s->p == '"') {
		skip_string(s, &a, &n);
		return;
	}
	if (*s->p == '{' || *s->p == '[') {
		int depth = 0;
		while (s->p < s->end) {
			char ch = *s->p;
			if (ch == '"') {
				skip_string(s, &a, &n);
				continue;
			}
			s->p++;
			if (ch == '{' || ch == '[')
				depth++;
			else if ((ch == '}' || ch == ']') && --depth == 0)
				return;
		}
		return;
	}
	/* A number or a literal ends at a delimiter; a NUL (sizeof counts
	 * the terminator) ends it too, as no JSON token holds one. */
	static const char delims[] = ",]} \t\r\n";
	while (s->p < s->end && !memchr(delims, *s->p, sizeof delims))
		s->p++;
}

/* Moves past a ',' after a value; false at anything else (the end of the
 * container, or text that is not JSON). */
static bool next_item(struct scan *s)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == ',') {
		s->p++;
		return true;
	}
	return false;
}

static const char *locate(struct scan *s, const struct jsonpos_seg *path, int n)
{
	skip_ws(s);
	if (n == 0 || s->p >= s->end)
		return s->p;
	const char *here = s->p;
	if (*s->p == '{' && path[0].key) {
		size_t want = strlen(path[0].key);
		s->p++;
		for (;;) {
			skip_ws(s);
			if (s->p >= s->end || *s->p != '"')
				return here;
			const char *key_at = s->p, *k;
			size_t kn;
			skip_string(s, &k, &kn);
			skip_ws(s);
			if (s->p < s->end && *s->p == ':')
				s->p++;
			if (kn == want && memcmp(k, path[0].key, kn) == 0)
				return n == 1 ? key_at : locate(s, path + 1, n - 1);
			skip_ws(s);
			skip_value(s);
			if (!next_item(s))
				return here;
		}
	}
	if (*s->p == '[' && !path[0].key) {
		s->p++;
		for (size_t i = 0;; i++) {
			skip_ws(s);
			if (s->p >= s->end || *s->p == ']')
				return here;
			if (i == path[0].index)
				return n == 1 ? s->p : locate(s, path + 1, n - 1);
			skip_value(s);
			if (!next_item(s))
				return here;
		}
	}
	return here;
}

size_t jsonpos_locate(const char *text, size_t len, const struct jsonpos_seg *path, int n)
{
	struct scan s = {text, text + len};
	if (n > JSONPOS_MAX_DEPTH)
		n = JSONPOS_MAX_DEPTH;
	return (size_t)(locate(&s, path, n < 0 ? 0 : n) - text);
}

void jsonpos_line_col(const char *text, size_t len, size_t offset, int *line, int *col)
{
	if (offset > len)
		offset = len;
	int l = 1;
	size_t line_start = 0;
	for (size_t i = 0; i < offset; i++)
		if (text[i] == '\n') {
			l++;
			line_start = i + 1;
		}
	if (line)
		*line = l;
	if (col)
		*col = (int)(offset - line_start) + 1;
}

void jsonpos_init(struct jsonpos *p, const char *name, const char *text, size_t len, struct ms_error *err)
{
	memset(p, 0, sizeof *p);
	p->name = name;
	p->text = text;
	p->len = len;
	p->err = err;
}

void jsonpos_push_key(struct jsonpos *p, const char *key)
{
	if (p->depth < JSONPOS_MAX_DEPTH)
		p->path[p->depth] = (struct jsonpos_seg){key, 0};
	p->depth++;
}

void jsonpos_push_index(struct jsonpos *p, size_t index)
{
	if (p->depth < JSONPOS_MAX_DEPTH)
		p->path[p->depth] = (struct jsonpos_seg){NULL, index};
	p->depth++;
}

void jsonpos_pop(struct jsonpos *p)
{
	if (p->depth > 0)
		p->depth--;
}

int jsonpos_line(const struct jsonpos *p)
{
	int line;
	jsonpos_line_col(p->text, p->len, jsonpos_locate(p->text, p->len, p->path, p->depth), &line, NULL);
	return line;
}

bool jsonpos_fail(struct jsonpos *p, const char *fmt, ...)
{
	char reason[REASON_BYTES];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	ms_fail(p->err, MS_EDATA, "%.*s:%d: %s", NAME_MAX_CHARS, p->name, jsonpos_line(p), reason);
	return false;
}

bool jsonpos_refuse_nul(const char *name, const char *text, size_t len, struct ms_error *err)
{
	const char *nul = memchr(text, '\0', len);
	if (!nul)
		return true;
	int line, col;
	jsonpos_line_col(text, len, (size_t)(nul - text), &line, &col);
	ms_fail(err, MS_EDATA, "%.200s:%d: a NUL byte at column %d; JSON text holds none", name, line, col);
	return false;
}

/*
 * html.h - writing HTML and XML text safely: escaping of text and
 * attribute values, JSON inside a <script> data block, and a small
 * template filler with {{name}} slots, and the one percent-encoder of
 * URL components.  Shared by every writer of markup:
 * the route sheets (HTML, GPX) and the pages of the OGC resources.
 *
 * Owns nothing: text is appended to the caller's buffer.  Pure functions,
 * callable from any thread.
 */
#ifndef MS_HTML_H
#define MS_HTML_H

#include <stddef.h>

#include "buf.h"

/* Appends s escaped for HTML and XML text and attribute values (& < > "
 * and ' as entities), dropping the control characters that XML 1.0 §2.2
 * does not allow (all below U+0020 but tab, LF and CR). */
void html_escape(struct buf *b, const char *s);
void html_escape_n(struct buf *b, const char *s, size_t n);

/* Appends json (n bytes of a complete JSON text) so that it can sit inside
 * <script type="application/ld+json">: every '<' becomes \u003c, so
 * neither "</script" nor "<!--" can occur in it (HTML's restrictions on
 * the contents of script elements).  In JSON '<' occurs only inside
 * strings, where \u003c is the same character: a JSON parser reads the
 * same value. */
void html_script_json(struct buf *b, const char *json, size_t n);

/* Appends s as one URL path segment or query value (RFC 3986 §2.3: the
 * unreserved characters A-Z a-z 0-9 - . _ ~ as they are, every other byte
 * percent-encoded), so that a site id makes a link that resolves to it. */
void html_url_component(struct buf *b, const char *s);

/* A value for a template slot. */
struct html_var {
	const char *name;
	const char *value; /* NULL writes nothing */
};

/* Appends tpl with its slots filled from vars (n of them): {{name}} is the
 * value escaped (html_escape), {{&name}} the value as it is (markup the
 * caller wrote).  A slot naming no var is a programming error (asserted)
 * and writes nothing; text outside slots is copied as it is. */
void html_fill(struct buf *out, const char *tpl, const struct html_var *vars, size_t n);

#endif

/* util.c - what handlers share: parameters, headers, problem+json, links. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "../util/jsonw.h"
#include "../util/mem.h"
#include "../util/utf8.h"
#include "handlers.h"

const char *http_param(const struct http_ctx *c, const char *key)
{
	for (int i = 0; i < c->nparams; i++)
		if (!strcmp(c->params[i].key, key))
			return c->params[i].value;
	return NULL;
}

const char *http_header(const struct http_ctx *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn_, MHD_HEADER_KIND, name);
}

bool http_check_params(const struct http_ctx *c, struct http_response *r, const char *const *allowed)
{
	for (int i = 0; i < c->nparams; i++) {
		const char *k = c->params[i].key;
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, k);
		if (!ok) {
			/* OGC API - Features Part 1 §7.15.2: unknown parameters are an error. */
			http_problem(r, 400, "unknown query parameter '%.100s' for %.100s", k, c->path);
			return false;
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(c->params[j].key, k)) {
				http_problem(r, 400, "query parameter '%.100s' given more than once", k);
				return false;
			}
	}
	return true;
}

void http_add_header(struct http_response *r, const char *name, const char *value)
{
	if (r->nheaders == HTTP_MAX_EXTRA_HEADERS)
		return; /* a programming error; the table is sized for every route */
	r->headers[r->nheaders].name = xstrdup(name);
	r->headers[r->nheaders].value = xstrdup(value);
	r->nheaders++;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

void http_problem(struct http_response *r, int status, const char *fmt, ...)
{
	char detail[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	r->status = status;
	r->content_type = "application/problem+json";
	r->cacheable = false;
	buf_reset(&r->body);
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "type");
	jw_string(&w, "about:blank");
	jw_key(&w, "title");
	jw_string(&w, http_reason(status));
	jw_key(&w, "status");
	jw_int(&w, status);
	jw_key(&w, "detail");
	/* Details quote client input, which need not be UTF-8 (RFC 8259 §8.1
	 * requires it of JSON text): keep well-formed UTF-8 as it is, so a
	 * Chinese value reads back, and turn every byte of an ill-formed
	 * subpart, and every control character, into '?'.  A decoded
	 * U+FFFD is ill-formed input unless the bytes really spell it. */
	for (char *p = detail; *p;) {
		uint32_t cp;
		int n = utf8_decode(p, &cp);
		if (cp < 0x20 || cp == 0x7f || (cp == UTF8_REPLACEMENT && !utf8_valid(p, (size_t)n)))
			memset(p, '?', (size_t)n);
		p += n;
	}
	jw_string(&w, detail);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
}

void http_problem_from_error(struct http_response *r, const struct ms_error *err)
{
	int st = err->status == MS_ENOTFOUND ? 404 : err->status == MS_EUSAGE || err->status == MS_EDATA ? 400 : 500;
	http_problem(r, st, "%s", err->msg);
}

void http_url_encode(struct buf *b, const char *s)
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

void http_query_with(const struct http_ctx *c, struct buf *b, const char *key, const char *value)
{
	bool first = true;
	for (int i = 0; i < c->nparams; i++) {
		if (!strcmp(c->params[i].key, key))
			continue;
		buf_putc(b, first ? '?' : '&');
		first = false;
		http_url_encode(b, c->params[i].key);
		buf_putc(b, '=');
		http_url_encode(b, c->params[i].value);
	}
	if (value) {
		buf_putc(b, first ? '?' : '&');
		http_url_encode(b, key);
		buf_putc(b, '=');
		http_url_encode(b, value);
	}
}

const char *ogc_crs_lookup(const char *value, bool *lat_first)
{
	static const struct {
		const char *uri, *curie;
		bool lat_first;
	} crs[] = {
		{CRS_CRS84, "[OGC:CRS84]", false},
		{CRS_EPSG4326, "[EPSG:4326]", true},
		/* CGCS2000 differs from WGS-84 by centimetres (geo.h), and its
		 * EPSG definition, like 4326's, puts latitude first. */
		{CRS_EPSG4490, "[EPSG:4490]", true},
	};
	for (size_t i = 0; i < sizeof crs / sizeof crs[0]; i++) {
		if (!strcmp(value, crs[i].uri) || !strcasecmp(value, crs[i].curie)) {
			*lat_first = crs[i].lat_first;
			return crs[i].uri;
		}
	}
	return NULL;
}

/* util.c - what handlers share: headers, problem+json, links, and the
 * values of parameters several routes declare. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "../util/html.h"
#include "../util/jsonw.h"
#include "../util/mem.h"
#include "../util/utf8.h"
#include "handlers.h"

const char *http_header(const struct http_ctx *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn_, MHD_HEADER_KIND, name);
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
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 421: return "Misdirected Request";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
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

int http_status_of(enum ms_status st)
{
	switch (st) {
	case MS_OK: return 200;
	case MS_EUSAGE: return 400;
	case MS_ENOTFOUND: return 400; /* see http.h: a query parameter named it */
	case MS_EDATA: return 500;
	case MS_EIO: return 500;
	case MS_EINTERNAL: return 500;
	}
	return 500;
}

void http_problem_from_error(struct http_response *r, const struct ms_error *err)
{
	assert(err->status != MS_OK); /* only a failure becomes a problem */
	http_problem(r, http_status_of(err->status), "%s", err->msg);
}

int http_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void http_url_encode(struct buf *b, const char *s)
{
	html_url_component(b, s); /* one encoder for the pages, the sheets and here */
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

static const struct {
	const char *uri, *curie;
	bool lat_first;
} crs_table[] = {
    {CRS_CRS84, "[OGC:CRS84]", false},
    {CRS_EPSG4326, "[EPSG:4326]", true},
    /* CGCS2000 differs from WGS-84 by centimetres (geo.h), and its
     * EPSG definition, like 4326's, puts latitude first. */
    {CRS_EPSG4490, "[EPSG:4490]", true},
};
#define NCRS (sizeof crs_table / sizeof crs_table[0])

const char *const http_crs_values[] = {CRS_CRS84, CRS_EPSG4326, CRS_EPSG4490, NULL};

int http_crs_match(const char *value)
{
	for (size_t i = 0; i < NCRS; i++)
		if (!strcmp(value, crs_table[i].uri) || !strcasecmp(value, crs_table[i].curie))
			return (int)i;
	return -1;
}

const char *ogc_crs_lookup(const char *value, bool *lat_first)
{
	int i = http_crs_match(value);
	if (i < 0)
		return NULL;
	*lat_first = crs_table[i].lat_first;
	return crs_table[i].uri;
}

/* In enum coordsys order: coordsys_parse is the match of their specs. */
const char *const http_coordsys_values[] = {"wgs84", "gcj02", "bd09", "cgcs2000", NULL};
/* In enum site_category order (the unit test compares them with
 * site_category_name), so a category list's mask is a feat_catmask. */
const char *const http_category_values[] = {"memorial_hall", "museum",          "martyrs_cemetery",
                                            "former_site",   "monument",        "education_base",
                                            "study_station", "training_school", NULL};
const char *const http_collection_values[] = {SITES_COLLECTION, NULL};
const char *const http_f_json_values[] = {"json", NULL};
const char *const http_f_geojson_values[] = {"json", "geojson", NULL};
const char *const http_f_doc_values[] = {"json", "html", NULL};
const char *const http_f_item_values[] = {"json", "geojson", "html", NULL};
const char *const http_f_items_values[] = {"json", "geojson", "html", "csv", NULL};
const char *const http_filter_lang_values[] = {"cql2-text", "cql2-json", "cql-text", NULL};
/* The first two of enum coordsys: the parsed index is the enum. */
const char *const http_map_coordsys_values[] = {"wgs84", "gcj02", NULL};

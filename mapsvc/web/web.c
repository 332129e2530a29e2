/* web.c - lookup of the embedded page assets and the HTTP negotiation
 * rules that serving them needs; see web.h. */
#include "web.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/etag.h"
#include "web_embedded.h"

static int compare_path(const void *key, const void *elem)
{
	const struct web_asset *a = elem;
	return strcmp(key, a->path);
}

const struct web_asset *web_asset_find(const char *path)
{
	if (!path)
		return NULL;
	return bsearch(path, web_embedded_assets, web_embedded_count, sizeof web_embedded_assets[0],
	               compare_path);
}

const struct web_asset *web_page(void)
{
	const struct web_asset *a = web_asset_find("/index.html");
	assert(a); /* assets.txt always lists the page */
	return a;
}

size_t web_asset_count(void)
{
	return web_embedded_count;
}

const struct web_asset *web_asset_at(size_t i)
{
	return i < web_embedded_count ? &web_embedded_assets[i] : NULL;
}

static const char *skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

bool web_etag_matches(const struct web_asset *a, const char *inm)
{
	return a && etag_list_matches(inm, a->etag);
}

bool web_asset_versioned(const struct web_asset *a, const char *v)
{
	if (!a || !v)
		return false;
	size_t taglen = strlen(a->etag) - 2;
	return strlen(v) == taglen && memcmp(v, a->etag + 1, taglen) == 0;
}

/* Specificity of a media range for a type, or -1 when it does not match:
 * 2 exact, 1 "type/" wildcard, 0 full wildcard. */
static int range_match(const char *range, size_t n, const char *type)
{
	const char *slash = strchr(type, '/');
	size_t major = (size_t)(slash - type);
	if (n == strlen(type) && strncasecmp(range, type, n) == 0)
		return 2;
	if (n == major + 2 && strncasecmp(range, type, major + 1) == 0 && range[major + 1] == '*')
		return 1;
	if (n == 3 && memcmp(range, "*/*", 3) == 0)
		return 0;
	return -1;
}

/* The q parameter of one media range's parameters ("; q=0.5; x=y"),
 * 1 when absent; parsing stops at the element's end. */
static double range_quality(const char *p, const char *end)
{
	for (;;) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		if (!semi)
			return 1;
		p = skip_ows(semi + 1);
		if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			char *stop;
			double q = strtod(p + 2, &stop);
			if (stop == p + 2 || !(q >= 0 && q <= 1))
				return 1; /* a malformed weight counts as absent */
			return q;
		}
	}
}

/* The quality an Accept header gives to type (-1 when no range matches). */
static double accept_quality(const char *accept, const char *type)
{
	int best_spec = -1;
	double best_q = -1;
	const char *s = accept;
	while (*s) {
		s = skip_ows(s);
		const char *elem_end = s + strcspn(s, ",");
		size_t n = strcspn(s, " \t;,");
		int spec = range_match(s, n, type);
		if (spec > best_spec) {
			best_spec = spec;
			best_q = range_quality(s + n, elem_end);
		}
		s = *elem_end ? elem_end + 1 : elem_end;
	}
	return best_q;
}

bool web_accept_prefers_json(const char *accept)
{
	if (!accept || !*skip_ows(accept))
		return false;
	return accept_quality(accept, "application/json") > accept_quality(accept, "text/html");
}

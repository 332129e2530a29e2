/* etag.c - If-None-Match against an entity tag; see etag.h. */
#include "etag.h"

#include <string.h>

/* RFC 9110 §5.6.3: optional whitespace is spaces and tabs. */
static const char *skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The opaque part of an entity tag (between its quotes, W/ skipped) into
 * *tag and *len; false when s does not start with one. */
static bool opaque_tag(const char *s, const char **tag, size_t *len, const char **end)
{
	if (s[0] == 'W' && s[1] == '/')
		s += 2; /* weak comparison: the weakness indicator does not count */
	if (*s != '"')
		return false;
	const char *close = strchr(s + 1, '"');
	if (!close)
		return false;
	*tag = s + 1;
	*len = (size_t)(close - s - 1);
	*end = close + 1;
	return true;
}

bool etag_list_matches(const char *field, const char *etag)
{
	const char *want, *after;
	size_t wlen;
	if (!field || !etag || !opaque_tag(etag, &want, &wlen, &after))
		return false;
	const char *s = skip_ows(field);
	if (s[0] == '*' && *skip_ows(s + 1) == '\0')
		return true;
	while (*s) {
		s = skip_ows(s);
		const char *tag, *end;
		size_t len;
		if (opaque_tag(s, &tag, &len, &end)) {
			if (len == wlen && memcmp(tag, want, len) == 0)
				return true;
			s = end; /* past the closing quote: an opaque tag may hold commas */
		}
		/* On to the next member (also past any junk in this one). */
		s += strcspn(s, ",");
		if (*s == ',')
			s++;
	}
	return false;
}

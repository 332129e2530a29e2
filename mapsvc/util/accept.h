/*
 * accept.h - proactive negotiation (RFC 9110 §12): how much a client's
 * Accept field wants a media type, which representation of a resource to
 * send, and which of the offered languages its Accept-Language prefers.
 *
 * One parser for both fields, used by every negotiated answer: "/" (the
 * map page or the landing page), the OGC resources (JSON or their HTML
 * pages) and the pages' language.
 *
 * Pure functions over the field's text: no allocation, no shared state,
 * callable from any thread.  A field that does not parse is read as far
 * as it makes sense; nothing here fails.
 */
#ifndef MS_ACCEPT_H
#define MS_ACCEPT_H

#include <stdbool.h>
#include <stddef.h>

/* How a media range matched a type, from the least to the most specific. */
enum accept_match {
	ACCEPT_NONE = -1, /* no range matches the type */
	ACCEPT_ANY = 0,   /* the full wildcard */
	ACCEPT_MAJOR = 1, /* "text/" and a star: the type's major wildcard */
	ACCEPT_EXACT = 2, /* the type itself (case-insensitive; parameters other than q ignored) */
};

/* The weight (q, 0..1) that Accept gives to the media type `type`
 * ("text/html"): that of the most specific range matching it (RFC 9110
 * §12.5.1), *how (may be NULL) telling which kind that was; -1 and
 * ACCEPT_NONE when no range matches.  A NULL or blank field accepts
 * everything: 1, ACCEPT_ANY.  A malformed weight counts as absent (1). */
double accept_media_quality(const char *accept, const char *type, enum accept_match *how);

/* True when the client prefers HTML to JSON: text/html is named, exactly
 * or by the text wildcard, with a weight above 0 and above that of
 * application/json and of json_type (the resource's own JSON type, such as
 * "application/geo+json"; may be NULL).  The full wildcard is no preference
 * for HTML: OWSLib, curl and fetch() send it and want data, while every
 * browser names text/html.  A tie is JSON. */
bool accept_prefers_html(const char *accept, const char *json_type);

/* The weight Accept-Language gives to the primary language subtag lang
 * ("zh", "en"): the highest q among the ranges whose primary subtag is
 * lang ("en", "en-GB"; case-insensitive), else that of "*", else -1.
 * Matching by the primary subtag is RFC 4647 §3.4's lookup applied to
 * each range: a page offered in "en" serves a client asking for "en-GB". */
double accept_language_quality(const char *accept_language, const char *lang);

/* The index in langs (n primary subtags, the default first) of the one
 * Accept-Language prefers: the highest weight above 0, the earliest on a
 * tie, 0 when the field is NULL, blank or names none of them. */
size_t accept_pick_language(const char *accept_language, const char *const *langs, size_t n);

#endif

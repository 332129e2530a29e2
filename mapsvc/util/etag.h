/*
 * etag.h - matching an If-None-Match field against an entity tag
 * (RFC 9110 §13.1.2), for every answer that can be a 304: the server's
 * hashed and versioned ETags (http/server.c) and the map page's embedded
 * assets (web/web.c) use this one matcher.
 *
 * Pure and thread-safe; owns nothing.
 */
#ifndef MS_ETAG_H
#define MS_ETAG_H

#include <stdbool.h>

/* True when field, an If-None-Match value, matches etag, an entity tag as
 * sent in ETag (quotes included; W/ allowed).  The field is "*" (any
 * current representation: the caller has one, since it has an ETag) or a
 * comma-separated list of entity tags, compared weakly as §13.1.2 asks:
 * W/ is ignored on both sides and the opaque parts must be equal byte for
 * byte.  Blanks around members are skipped; a malformed member matches
 * nothing but does not hide the members after it.  A NULL field (no
 * header) or a malformed etag never matches. */
bool etag_list_matches(const char *field, const char *etag);

#endif

/*
 * ogc.h - what the OGC API handlers share (h_ogc.c, h_items.c, h_api.c,
 * h_ogctiles.c): choosing a resource's representation (f= beside content
 * negotiation), what an HTML page of a request needs (its language, the
 * URLs of its JSON and of its other language), link objects with
 * absolute hrefs built from the request's base URL, and the conformance
 * classes.  Internal to http/.
 *
 * Owns nothing: each helper reads the request context it is given and
 * writes into the response or JSON writer it is given (a failed check
 * leaves a problem+json answer in it).  Threads: no shared state; request
 * threads call them on their own requests.
 */
#ifndef MS_HTTP_OGC_H
#define MS_HTTP_OGC_H

#include "../pages/pages.h"
#include "../util/jsonw.h"
#include "handlers.h"

#define OGC_OPENAPI_TYPE "application/vnd.oai.openapi+json;version=3.0"
#define OGC_HTML_TYPE "text/html; charset=utf-8"

/* Writes a link object; href is base_url + path. */
void ogc_link(struct jsonw *w, const struct http_ctx *c, const char *path, const char *rel, const char *type,
              const char *title);

/* Every conformance class the service declares (/conformance): OGC API -
 * Features Parts 1, 2 and 3 (filter, features-filter, queryables), then
 * exactly the classes of cql2_conformance_classes, sorting, OGC API -
 * Tiles Part 1 and the JSON tile matrix sets, and when editing, OGC API -
 * Features Part 4.  Fills out and returns how many. */
#define OGC_MAX_CLASSES 48
size_t ogc_conformance(const char *out[OGC_MAX_CLASSES], bool editing);

/* The representations of the OGC resources. */
enum ogc_repr { OGC_JSON, OGC_HTML, OGC_CSV };

/* The representation to answer c with: f= when the route has it and the
 * request gives it ("html", "csv", anything else JSON), else HTML when the
 * client prefers it to application/json and to json_type (the resource's
 * own JSON type, may be NULL: util/accept.h's accept_prefers_html), else
 * JSON.  The answer varies with Accept, so r gets "Vary: Accept" (and
 * Accept-Language too for HTML chosen without lang=). */
enum ogc_repr ogc_negotiate(const struct http_ctx *c, struct http_response *r, const char *json_type);

/* What a request's HTML page needs: its pages_ctx, whose URLs live in the
 * buffers here until ogc_page_free.  The language is lang= when the route
 * has it and the request gives it, else Accept-Language's choice between
 * the pages' languages (zh-CN first). */
struct ogc_page {
	struct pages_ctx pc;
	struct buf json_url, other_url, css_url;
};
void ogc_page_init(struct ogc_page *p, const struct http_ctx *c, const char *json_type);
void ogc_page_free(struct ogc_page *p);

/* Appends base_url + c's path and its query with every parameter named
 * in drop (a NULL-terminated list) removed, then key=value when key is
 * not NULL (percent-encoded, '?' or '&' as needed). */
void ogc_self_url(const struct http_ctx *c, struct buf *b, const char *const *drop, const char *key,
                  const char *value);

/* The filter of a route with HTTP_SPEC_FILTER's three parameters: NULL
 * in *out when there is none, the parsed filter (cql2_free it) when it
 * parses, else false with r a 400 naming where it went wrong.  cs is the
 * coordsys vendor parameter, the system of the filter's positions. */
struct cql2;
bool ogc_filter(const struct http_ctx *c, struct http_response *r, enum coordsys cs, struct cql2 **out);

/* The pages' stylesheet's versioned URL (cacheable for good). */
void ogc_css_url(const struct http_ctx *c, struct buf *b);

#endif

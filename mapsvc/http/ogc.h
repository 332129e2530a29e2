/*
 * ogc.h - what the OGC API handlers share (h_ogc.c, h_items.c, h_api.c):
 * the f= format parameter that OGC APIs accept beside content
 * negotiation, link objects with absolute hrefs built from the request's
 * base URL, and the check that a {collectionId} names the one collection.
 * Internal to http/.
 *
 * Owns nothing: each helper reads the request context it is given and
 * writes into the response or JSON writer it is given (a failed check
 * leaves a problem+json answer in it).  Threads: no shared state; request
 * threads call them on their own requests.
 */
#ifndef MS_HTTP_OGC_H
#define MS_HTTP_OGC_H

#include "../util/jsonw.h"
#include "handlers.h"

#define OGC_OPENAPI_TYPE "application/vnd.oai.openapi+json;version=3.0"

/* Writes a link object; href is base_url + path. */
void ogc_link(struct jsonw *w, const struct http_ctx *c, const char *path, const char *rel, const char *type,
              const char *title);

#endif

/* ogc.h - helpers shared by the OGC API handlers (internal to http/). */
#ifndef MS_HTTP_OGC_H
#define MS_HTTP_OGC_H

#include "../util/jsonw.h"
#include "handlers.h"

#define OGC_OPENAPI_TYPE "application/vnd.oai.openapi+json;version=3.0"

/* Writes a link object; href is base_url + path. */
void ogc_link(struct jsonw *w, const struct http_ctx *c, const char *path, const char *rel, const char *type,
	      const char *title);

#endif

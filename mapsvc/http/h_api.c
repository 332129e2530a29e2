/*
 * h_api.c - GET /api: the OpenAPI 3.0 description of every route
 * (OGC API - Features Part 1 §7.3 and the oas30 conformance class).  The
 * document is generated from the route table (routes.c: the path, the
 * operation, the answer's type) and each route's parameter table
 * (params.h), the same tables that check and parse requests, so the
 * document cannot list a parameter a route refuses or miss one it takes.
 */
#include <string.h>

#include "../util/jsonw.h"
#include "handlers.h"
#include "ogc.h"

static const struct http_pspec api_specs[] = {HTTP_SPEC_F_JSON};
const struct http_params h_api_params = HTTP_PARAMS(api_specs);

static void write_responses(struct jsonw *w, const struct http_route *rt)
{
	jw_key(w, "responses");
	jw_object_begin(w);
	jw_key(w, "200");
	jw_object_begin(w);
	jw_key(w, "description");
	jw_string(w, rt->summary);
	jw_key(w, "content");
	jw_object_begin(w);
	jw_key(w, rt->media_type);
	jw_raw(w, "{\"schema\":{\"type\":\"string\"}}");
	jw_object_end(w);
	jw_object_end(w);
	static const char *const errors[][2] = {{"400", "A parameter is malformed or unknown"},
	                                        {"404", "No such resource"}};
	for (size_t i = 0; i < 2; i++) {
		jw_key(w, errors[i][0]);
		jw_object_begin(w);
		jw_key(w, "description");
		jw_string(w, errors[i][1]);
		jw_key(w, "content");
		jw_raw(w, "{\"application/problem+json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
		          "Problem\"}}}");
		jw_object_end(w);
	}
	jw_object_end(w);
}

void h_api(struct http_ctx *c, struct http_response *r)
{
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "openapi");
	jw_string(&w, "3.0.3");
	jw_key(&w, "info");
	jw_object_begin(&w);
	jw_key(&w, "title");
	jw_string(&w, "mapsvc");
	jw_key(&w, "description");
	jw_string(&w,
	          "Red-resource (Party-history education) sites: OGC API - Features, nearest search, tiles.");
	jw_key(&w, "version");
	jw_string(&w, "1.0");
	jw_object_end(&w);
	jw_key(&w, "servers");
	jw_array_begin(&w);
	jw_object_begin(&w);
	jw_key(&w, "url");
	jw_string(&w, c->base_url);
	jw_object_end(&w);
	jw_array_end(&w);
	jw_key(&w, "paths");
	jw_object_begin(&w);
	for (size_t i = 0; i < http_nroutes; i++) {
		const struct http_route *rt = &http_routes[i];
		if (!rt->op_id)
			continue;
		jw_key(&w, rt->pattern);
		jw_object_begin(&w);
		jw_key(&w, "get");
		jw_object_begin(&w);
		jw_key(&w, "operationId");
		jw_string(&w, rt->op_id);
		jw_key(&w, "summary");
		jw_string(&w, rt->summary);
		jw_key(&w, "parameters");
		http_params_openapi(&w, rt->params, c->cfg);
		write_responses(&w, rt);
		jw_object_end(&w);
		jw_object_end(&w);
	}
	jw_object_end(&w);
	jw_key(&w, "components");
	jw_raw(&w,
	       "{\"schemas\":{\"Problem\":{\"type\":\"object\",\"description\":\"RFC 9457 problem details\","
	       "\"properties\":{\"type\":{\"type\":\"string\"},\"title\":{\"type\":\"string\"},"
	       "\"status\":{\"type\":\"integer\"},\"detail\":{\"type\":\"string\"}}}}}");
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->content_type = OGC_OPENAPI_TYPE;
	r->cacheable = true;
}

/*
 * h_api.c - GET /api: the OpenAPI 3.0 description of every route
 * (OGC API - Features Part 1 §7.3 and the oas30 conformance class).  The
 * document is generated from the route table (routes.c: the path, the
 * operation, the answer's type) and each route's parameter table
 * (params.h), the same tables that check and parse requests, so the
 * document cannot list a parameter a route refuses or miss one it takes.
 *
 * With serve --edit the writes of OGC API - Features Part 4 join the
 * paths they share with the reads: POST on items, PUT, PATCH and DELETE
 * on an item, each with its body's media type, If-Match where h_edit.c
 * requires it, the bearer key (a security scheme) and every answer
 * h_edit.c gives.  Without --edit they answer 405 and are not listed.
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

/* One Part 4 operation: its method, id, summary, request body's media
 * type (NULL for none; application/json is taken too), success status
 * and what it says. */
struct write_op {
	const char *method, *op_id, *summary, *body_type, *ok, *ok_what;
};

static const struct write_op write_ops[] = {
    {"POST", "createSite", "Add a site (a GeoJSON Feature; serve --edit)", "application/geo+json", "201",
     "Created: Location and ETag name the new site"},
    {"PUT", "replaceSite", "Replace a site (a GeoJSON Feature; serve --edit)", "application/geo+json", "200",
     "The site as stored, with its new ETag"},
    {"PATCH", "updateSite", "Change some of a site's members (JSON merge patch, RFC 7396; serve --edit)",
     "application/merge-patch+json", "200", "The site as stored, with its new ETag"},
    {"DELETE", "deleteSite", "Remove a site (serve --edit)", NULL, "204", "Removed"},
};

/* The refusals of a write (h_edit.c), as problem+json. */
static const char *const write_errors[][2] = {
    {"400", "The body is not a JSON object, or a parameter is malformed"},
    {"401", "No key, or an unknown one"},
    {"403", "A read-only key"},
    {"404", "No such site"},
    {"409", "A site with that id exists already"},
    {"412", "The site changed since the If-Match tag was given"},
    {"413", "The body is larger than 64 KiB"},
    {"415", "The body is not of the media type the operation takes"},
    {"422", "The body is not a valid site"},
    {"428", "If-Match is missing"},
    {"429", "Too many failed keys from this address"},
};

static void write_problem_refs(struct jsonw *w, const struct write_op *op)
{
	for (size_t i = 0; i < sizeof write_errors / sizeof write_errors[0]; i++) {
		const char *code = write_errors[i][0];
		/* a create has no If-Match and no site to miss; only a create conflicts */
		bool create = !strcmp(op->method, "POST");
		if ((create && (!strcmp(code, "404") || !strcmp(code, "412") || !strcmp(code, "428"))) ||
		    (!create && !strcmp(code, "409")) ||
		    (!op->body_type &&
		     (!strcmp(code, "413") || !strcmp(code, "415") || !strcmp(code, "422"))))
			continue;
		jw_key(w, code);
		jw_object_begin(w);
		jw_key(w, "description");
		jw_string(w, write_errors[i][1]);
		jw_key(w, "content");
		jw_raw(w, "{\"application/problem+json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
		          "Problem\"}}}");
		jw_object_end(w);
	}
}

/* The Part 4 operations of the write route rt that its methods list. */
static void write_write_ops(struct jsonw *w, const struct http_route *rt, const struct http_config *cfg)
{
	for (size_t k = 0; k < sizeof write_ops / sizeof write_ops[0]; k++) {
		const struct write_op *op = &write_ops[k];
		if (!strstr(rt->methods, op->method))
			continue;
		char lower[8];
		size_t n = strlen(op->method);
		for (size_t i = 0; i <= n; i++)
			lower[i] = (char)(op->method[i] | (op->method[i] ? 0x20 : 0));
		jw_key(w, lower);
		jw_object_begin(w);
		jw_key(w, "operationId");
		jw_string(w, op->op_id);
		jw_key(w, "summary");
		jw_string(w, op->summary);
		jw_key(w, "security");
		jw_raw(w, "[{\"editKey\":[]}]");
		jw_key(w, "parameters");
		jw_array_begin(w);
		http_params_openapi_items(w, rt->params, cfg);
		if (strcmp(op->method, "POST")) /* h_edit.c: every write but a create needs the item's tag */
			jw_raw(w, "{\"name\":\"If-Match\",\"in\":\"header\",\"required\":true,"
			          "\"description\":\"The ETag the site was read with.\",\"schema\":{\"type\":"
			          "\"string\"}}");
		jw_array_end(w);
		if (op->body_type) {
			jw_key(w, "requestBody");
			jw_object_begin(w);
			jw_key(w, "required");
			jw_bool(w, true);
			jw_key(w, "content");
			jw_object_begin(w);
			jw_key(w, op->body_type);
			jw_raw(w, "{\"schema\":{\"type\":\"object\"}}");
			jw_key(w, "application/json");
			jw_raw(w, "{\"schema\":{\"type\":\"object\"}}");
			jw_object_end(w);
			jw_object_end(w);
		}
		jw_key(w, "responses");
		jw_object_begin(w);
		jw_key(w, op->ok);
		jw_object_begin(w);
		jw_key(w, "description");
		jw_string(w, op->ok_what);
		if (strcmp(op->ok, "204")) {
			jw_key(w, "content");
			jw_raw(w, "{\"application/geo+json\":{\"schema\":{\"type\":\"object\"}}}");
		}
		jw_object_end(w);
		write_problem_refs(w, op);
		jw_object_end(w);
		jw_object_end(w);
	}
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
		/* the writes on the same path, when they are served */
		for (size_t j = 0; c->cfg->editor && j < http_nroutes; j++)
			if ((http_route_traits_of(&http_routes[j])->flags & HTTP_RF_WRITE) &&
			    !strcmp(http_routes[j].pattern, rt->pattern))
				write_write_ops(&w, &http_routes[j], c->cfg);
		jw_object_end(&w);
	}
	jw_object_end(&w);
	jw_key(&w, "components");
	jw_object_begin(&w);
	jw_key(&w, "schemas");
	jw_raw(&w, "{\"Problem\":{\"type\":\"object\",\"description\":\"RFC 9457 problem details\","
	           "\"properties\":{\"type\":{\"type\":\"string\"},\"title\":{\"type\":\"string\"},"
	           "\"status\":{\"type\":\"integer\"},\"detail\":{\"type\":\"string\"}}}}");
	if (c->cfg->editor) {
		jw_key(&w, "securitySchemes");
		jw_raw(&w, "{\"editKey\":{\"type\":\"http\",\"scheme\":\"bearer\","
		           "\"description\":\"A key from mapsvc keys add\"}}");
	}
	jw_object_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->content_type = OGC_OPENAPI_TYPE;
	r->cacheable = true;
}

/*
 * h_ogc.c - the OGC API - Features documents: landing page, conformance,
 * collections, the sites collection and its queryables (Part 1 Core §7.2
 * to §7.14, Part 2 for the crs list, Part 3 for queryables).
 */
#include <string.h>

#include "../features/features.h"
#include "../util/jsonw.h"
#include "handlers.h"
#include "ogc.h"

static const char *const f_json_html[] = {"json", "html", NULL};

static const struct http_pspec landing_specs[] = {
    {.name = "f",
     .type = HTTP_T_ENUM,
     .values = f_json_html,
     .desc = "json: this landing page; html: the map page (the default when Accept prefers HTML)."},
};
static const struct http_pspec doc_specs[] = {
    HTTP_SPEC_F_JSON,
};
static const struct http_pspec collection_specs[] = {
    HTTP_SPEC_COLLECTION,
    HTTP_SPEC_F_JSON,
};
const struct http_params h_landing_params = HTTP_PARAMS(landing_specs);
const struct http_params h_doc_params = HTTP_PARAMS(doc_specs);
const struct http_params h_collection_params = HTTP_PARAMS(collection_specs);

void ogc_link(struct jsonw *w, const struct http_ctx *c, const char *path, const char *rel, const char *type,
              const char *title)
{
	jw_object_begin(w);
	jw_key(w, "href");
	struct buf href = BUF_INIT;
	buf_puts(&href, c->base_url);
	buf_puts(&href, path);
	jw_string(w, buf_str(&href));
	buf_free(&href);
	jw_key(w, "rel");
	jw_string(w, rel);
	if (type) {
		jw_key(w, "type");
		jw_string(w, type);
	}
	if (title) {
		jw_key(w, "title");
		jw_string(w, title);
	}
	jw_object_end(w);
}

void h_landing(struct http_ctx *c, struct http_response *r)
{
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "title");
	jw_string(&w, "mapsvc: red-resource sites");
	jw_key(&w, "description");
	jw_string(&w, "Party-history education sites (memorial halls, museums, martyrs' cemeteries, former "
	              "revolutionary sites, study stations): OGC API - Features, nearest-site search and map "
	              "tiles.");
	jw_key(&w, "links");
	jw_array_begin(&w);
	ogc_link(&w, c, "/?f=json", "self", "application/json", "This document");
	ogc_link(&w, c, "/api", "service-desc", OGC_OPENAPI_TYPE, "The API definition (OpenAPI 3.0)");
	ogc_link(&w, c, "/", "service-doc", "text/html", "The map page");
	ogc_link(&w, c, "/conformance", "conformance", "application/json", "Conformance classes");
	ogc_link(&w, c, "/collections", "data", "application/json", "Collections");
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->cacheable = true;
}

void h_conformance(struct http_ctx *c, struct http_response *r)
{
	(void)c; /* its table has checked f */
	static const char *const classes[] = {
	    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	};
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "conformsTo");
	jw_array_begin(&w);
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		jw_string(&w, classes[i]);
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->cacheable = true;
}

/* The sites collection's description, shared by /collections and
 * /collections/sites. */
static void write_collection(struct jsonw *w, const struct http_ctx *c)
{
	const struct snapshot *snap = c->snap;
	jw_object_begin(w);
	jw_key(w, "id");
	jw_string(w, SITES_COLLECTION);
	jw_key(w, "title");
	jw_string(w, "Red-resource sites");
	jw_key(w, "description");
	jw_string(w, "Memorial halls, museums, martyrs' cemeteries, former revolutionary sites, monuments, "
	             "education bases, study stations and training schools, as points.");
	jw_key(w, "itemType");
	jw_string(w, "feature");
	jw_key(w, "extent");
	jw_object_begin(w);
	jw_key(w, "spatial");
	jw_object_begin(w);
	jw_key(w, "bbox");
	jw_array_begin(w);
	jw_array_begin(w);
	jw_fixed(w, snap->west, 6);
	jw_fixed(w, snap->south, 6);
	jw_fixed(w, snap->east, 6);
	jw_fixed(w, snap->north, 6);
	jw_array_end(w);
	jw_array_end(w);
	jw_key(w, "crs");
	jw_string(w, CRS_CRS84);
	jw_object_end(w);
	jw_object_end(w);
	jw_key(w, "crs");
	jw_array_begin(w);
	jw_string(w, CRS_CRS84);
	jw_string(w, CRS_EPSG4326);
	jw_string(w, CRS_EPSG4490);
	jw_array_end(w);
	jw_key(w, "storageCrs");
	jw_string(w, CRS_CRS84);
	jw_key(w, "links");
	jw_array_begin(w);
	ogc_link(w, c, "/collections/" SITES_COLLECTION, "self", "application/json", "This collection");
	ogc_link(w, c, "/collections/" SITES_COLLECTION "/items", "items", "application/geo+json",
	         "The sites");
	ogc_link(w, c, "/collections/" SITES_COLLECTION "/queryables",
	         "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json",
	         "Properties that can be filtered on");
	jw_array_end(w);
	jw_object_end(w);
}

void h_collections(struct http_ctx *c, struct http_response *r)
{
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "links");
	jw_array_begin(&w);
	ogc_link(&w, c, "/collections", "self", "application/json", "This document");
	jw_array_end(&w);
	jw_key(&w, "collections");
	jw_array_begin(&w);
	write_collection(&w, c);
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->cacheable = true;
}

void h_collection(struct http_ctx *c, struct http_response *r)
{
	struct jsonw w;
	jw_init(&w, &r->body);
	write_collection(&w, c);
	buf_putc(&r->body, '\n');
	r->cacheable = true;
}

void h_queryables(struct http_ctx *c, struct http_response *r)
{
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "$schema");
	jw_string(&w, "https://json-schema.org/draft/2019-09/schema");
	struct buf id = BUF_INIT;
	buf_printf(&id, "%s/collections/" SITES_COLLECTION "/queryables", c->base_url);
	jw_key(&w, "$id");
	jw_string(&w, buf_str(&id));
	buf_free(&id);
	jw_key(&w, "type");
	jw_string(&w, "object");
	jw_key(&w, "title");
	jw_string(&w, "Red-resource sites");
	jw_key(&w, "properties");
	jw_object_begin(&w);
	jw_key(&w, "geometry");
	jw_object_begin(&w);
	jw_key(&w, "format");
	jw_string(&w, "geometry-point");
	jw_key(&w, "description");
	jw_string(&w, "Filter with bbox (and bbox-crs).");
	jw_object_end(&w);
	jw_key(&w, "category");
	jw_object_begin(&w);
	jw_key(&w, "type");
	jw_string(&w, "string");
	jw_key(&w, "description");
	jw_string(&w, "Filter with category=NAME or a comma-separated list.");
	jw_key(&w, "enum");
	jw_array_begin(&w);
	for (int k = 0; k < CAT_COUNT; k++)
		jw_string(&w, site_category_name((enum site_category)k));
	jw_array_end(&w);
	jw_object_end(&w);
	static const int names[] = {SITE_NAME_ZH, SITE_NAME_EN};
	for (int i = 0; i < 2; i++) {
		jw_key(&w, site_field_names[names[i]]);
		jw_object_begin(&w);
		jw_key(&w, "type");
		jw_string(&w, "string");
		jw_key(&w, "description");
		jw_string(&w,
		          "Filter with q=TEXT: a substring of name_zh or name_en (ASCII case-insensitive).");
		jw_object_end(&w);
	}
	feat_write_position_queryables(&w);
	jw_object_end(&w);
	jw_key(&w, "additionalProperties");
	jw_bool(&w, false);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->content_type = "application/schema+json";
	r->cacheable = true;
}

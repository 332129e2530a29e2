/*
 * h_ogc.c - the OGC API - Features documents: landing page, conformance,
 * collections, the sites collection, its queryables and sortables (Part 1
 * Core §7.2 to §7.14, Part 2 for the crs list, Part 3 for queryables,
 * Part 8 (draft) for sortables).  Conformance, collections and the
 * collection answer JSON or their HTML page (ogc_negotiate); the landing
 * page's HTML is the map page (h_web.c).
 */
#include <string.h>

#include "../features/features.h"
#include "../features/filter.h"
#include "../util/jsonw.h"
#include "handlers.h"
#include "ogc.h"

#define GPKG_TYPE "application/geopackage+sqlite3"
#define REL_QUERYABLES "http://www.opengis.net/def/rel/ogc/1.0/queryables"
#define REL_SORTABLES "http://www.opengis.net/def/rel/ogc/1.0/sortables"
#define REL_TILESETS_MAP "http://www.opengis.net/def/rel/ogc/1.0/tilesets-map"
#define REL_TILING_SCHEMES "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
#define COLLECTION_PATH "/collections/" SITES_COLLECTION

static const struct http_pspec landing_specs[] = {
    {.name = "f",
     .type = HTTP_T_ENUM,
     .values = http_f_doc_values,
     .desc = "json: this landing page; html: the map page.  Without it, the map page when Accept prefers "
             "text/html, else JSON."},
};
static const struct http_pspec doc_specs[] = {
    HTTP_SPEC_F_DOC,
    HTTP_SPEC_LANG,
};
static const struct http_pspec collection_specs[] = {
    HTTP_SPEC_COLLECTION,
    HTTP_SPEC_F_DOC,
    HTTP_SPEC_LANG,
};
static const struct http_pspec schema_specs[] = {
    HTTP_SPEC_COLLECTION,
    HTTP_SPEC_F_JSON,
};
const struct http_params h_landing_params = HTTP_PARAMS(landing_specs);
const struct http_params h_doc_params = HTTP_PARAMS(doc_specs);
const struct http_params h_collection_params = HTTP_PARAMS(collection_specs);
const struct http_params h_schema_params = HTTP_PARAMS(schema_specs);

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

/* Finishes a negotiated answer: the page, or the JSON written to r. */
static void send_page(struct http_response *r, struct buf *page)
{
	buf_reset(&r->body);
	buf_append(&r->body, page->data, page->len);
	buf_free(page);
	r->content_type = OGC_HTML_TYPE;
	r->cacheable = true;
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
	ogc_link(&w, c, "/?f=html", "alternate", "text/html", "The map page");
	ogc_link(&w, c, "/api", "service-desc", OGC_OPENAPI_TYPE, "The API definition (OpenAPI 3.0)");
	ogc_link(&w, c, "/?f=html", "service-doc", "text/html", "The map page");
	ogc_link(&w, c, "/conformance", "conformance", "application/json", "Conformance classes");
	ogc_link(&w, c, "/collections", "data", "application/json", "Collections");
	ogc_link(&w, c, "/tileMatrixSets", REL_TILING_SCHEMES, "application/json", "Tile matrix sets");
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->cacheable = true;
}

void h_conformance(struct http_ctx *c, struct http_response *r)
{
	const char *classes[OGC_MAX_CLASSES];
	size_t n = ogc_conformance(classes, c->cfg->editor != NULL);
	if (ogc_negotiate(c, r, NULL) == OGC_HTML) {
		struct ogc_page p;
		struct buf page = BUF_INIT;
		ogc_page_init(&p, c, "application/json");
		pages_conformance(&page, &p.pc, classes, n);
		ogc_page_free(&p);
		send_page(r, &page);
		return;
	}
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "conformsTo");
	jw_array_begin(&w);
	for (size_t i = 0; i < n; i++)
		jw_string(&w, classes[i]);
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->cacheable = true;
}

static const char collection_title[] = "Red-resource sites";
static const char collection_description[] =
    "Memorial halls, museums, martyrs' cemeteries, former revolutionary sites, monuments, education bases, "
    "study stations and training schools, as points.";

/* The sites collection's description, shared by /collections and
 * /collections/sites. */
static void write_collection(struct jsonw *w, const struct http_ctx *c)
{
	const struct snapshot *snap = c->snap;
	jw_object_begin(w);
	jw_key(w, "id");
	jw_string(w, SITES_COLLECTION);
	jw_key(w, "title");
	jw_string(w, collection_title);
	jw_key(w, "description");
	jw_string(w, collection_description);
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
	ogc_link(w, c, COLLECTION_PATH, "self", "application/json", "This collection");
	ogc_link(w, c, COLLECTION_PATH "?f=html", "alternate", "text/html", "This collection as a page");
	ogc_link(w, c, COLLECTION_PATH "/items", "items", "application/geo+json", "The sites");
	ogc_link(w, c, COLLECTION_PATH "/items?f=html", "items", "text/html", "The sites as a page");
	ogc_link(w, c, COLLECTION_PATH "/items?f=csv", "items", "text/csv", "The sites as CSV");
	ogc_link(w, c, COLLECTION_PATH "/download.gpkg", "enclosure", GPKG_TYPE,
	         "The whole collection as a GeoPackage");
	ogc_link(w, c, COLLECTION_PATH "/queryables", REL_QUERYABLES, "application/schema+json",
	         "Properties that can be filtered on");
	ogc_link(w, c, COLLECTION_PATH "/sortables", REL_SORTABLES, "application/schema+json",
	         "Properties that can be sorted by");
	ogc_link(w, c, COLLECTION_PATH "/map/tiles", REL_TILESETS_MAP, "application/json",
	         "Map tiles (OGC API - Tiles)");
	jw_array_end(w);
	jw_object_end(w);
}

/* The links of the collection's page: paths under the collection. */
static const struct {
	const char *path, *zh, *en, *type;
} page_links[] = {
    {"/items?f=html", "地点列表", "The sites", "text/html"},
    {"/items", "地点（GeoJSON）", "The sites (GeoJSON)", "application/geo+json"},
    {"/items?f=csv&limit=" HTTP_STR(FEAT_LIMIT_MAX), "地点（CSV 表格）", "The sites (CSV)", "text/csv"},
    {"/download.gpkg", "整个数据集（GeoPackage）", "The whole collection (GeoPackage)", GPKG_TYPE},
    {"/queryables", "可筛选的属性", "Queryable properties", "application/schema+json"},
    {"/sortables", "可排序的属性", "Sortable properties", "application/schema+json"},
    {"/map/tiles", "地图瓦片（OGC API - Tiles）", "Map tiles (OGC API - Tiles)", "application/json"},
    {"/map/tiles/WebMercatorQuad", "瓦片集 WebMercatorQuad", "Tileset WebMercatorQuad", "application/json"},
};
#define NPAGE_LINKS (sizeof page_links / sizeof page_links[0])

/* /collections and /collections/sites as pages. */
static void collection_page(struct http_ctx *c, struct http_response *r, bool list)
{
	struct buf urls[NPAGE_LINKS], self = BUF_INIT, page = BUF_INIT;
	struct pages_link links[NPAGE_LINKS];
	for (size_t i = 0; i < NPAGE_LINKS; i++) {
		urls[i] = (struct buf)BUF_INIT;
		buf_printf(&urls[i], "%s" COLLECTION_PATH "%s", c->base_url, page_links[i].path);
		links[i] = (struct pages_link){buf_str(&urls[i]), page_links[i].zh, page_links[i].en,
		                               page_links[i].type};
	}
	buf_printf(&self, "%s" COLLECTION_PATH "?f=html", c->base_url);
	const struct snapshot *s = c->snap;
	struct pages_collection coll = {
	    .id = SITES_COLLECTION,
	    .title = collection_title,
	    .description = collection_description,
	    .url = buf_str(&self),
	    .count = s->n,
	    .has_extent = s->n > 0,
	    .west = s->west,
	    .south = s->south,
	    .east = s->east,
	    .north = s->north,
	    .links = links,
	    .nlinks = NPAGE_LINKS,
	};
	struct ogc_page p;
	ogc_page_init(&p, c, "application/json");
	if (list)
		pages_collections(&page, &p.pc, &coll, 1);
	else
		pages_collection(&page, &p.pc, &coll);
	ogc_page_free(&p);
	for (size_t i = 0; i < NPAGE_LINKS; i++)
		buf_free(&urls[i]);
	buf_free(&self);
	send_page(r, &page);
}

void h_collections(struct http_ctx *c, struct http_response *r)
{
	if (ogc_negotiate(c, r, NULL) == OGC_HTML) {
		collection_page(c, r, true);
		return;
	}
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "links");
	jw_array_begin(&w);
	ogc_link(&w, c, "/collections", "self", "application/json", "This document");
	ogc_link(&w, c, "/collections?f=html", "alternate", "text/html", "This document as a page");
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
	if (ogc_negotiate(c, r, NULL) == OGC_HTML) {
		collection_page(c, r, false);
		return;
	}
	struct jsonw w;
	jw_init(&w, &r->body);
	write_collection(&w, c);
	buf_putc(&r->body, '\n');
	r->cacheable = true;
}

/* A JSON Schema document of the collection's properties (Part 3's
 * queryables, Part 8's sortables): members writes its properties. */
static void schema_doc(struct http_ctx *c, struct http_response *r, const char *what, const char *title,
                       void (*members)(struct jsonw *))
{
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "$schema");
	jw_string(&w, "https://json-schema.org/draft/2019-09/schema");
	struct buf id = BUF_INIT;
	buf_printf(&id, "%s" COLLECTION_PATH "/%s", c->base_url, what);
	jw_key(&w, "$id");
	jw_string(&w, buf_str(&id));
	buf_free(&id);
	jw_key(&w, "type");
	jw_string(&w, "object");
	jw_key(&w, "title");
	jw_string(&w, title);
	jw_key(&w, "properties");
	jw_object_begin(&w);
	members(&w);
	jw_object_end(&w);
	jw_key(&w, "additionalProperties");
	jw_bool(&w, false);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->content_type = "application/schema+json";
	r->cacheable = true;
}

void h_queryables(struct http_ctx *c, struct http_response *r)
{
	schema_doc(c, r, "queryables", "Red-resource sites: queryables", feat_write_queryables);
}

void h_sortables(struct http_ctx *c, struct http_response *r)
{
	schema_doc(c, r, "sortables", "Red-resource sites: sortables", feat_write_sortables);
}

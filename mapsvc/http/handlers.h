/*
 * handlers.h - the route handlers, one file per area, each with the
 * parameter tables of its routes (params.h), and the values and specs
 * several tables share.  Internal to http/: the table in routes.c is the
 * only caller, through http_route_handle, so a handler runs only after
 * its table has checked and parsed the request.  A handler finds all it
 * needs in its struct http_ctx (the config and its map service, the
 * request's generation, the counters), never in the server.
 */
#ifndef MS_HTTP_HANDLERS_H
#define MS_HTTP_HANDLERS_H

#include <math.h> /* INFINITY, for the tables */

#include "../geo/geo.h"
#include "../pages/pages.h"
#include "http.h"

/* h_ogc.c: OGC API - Features documents (Parts 1 to 3), each in JSON or
 * as an HTML page */
extern const struct http_params h_landing_params, h_doc_params, h_collection_params, h_schema_params;
void h_landing(struct http_ctx *c, struct http_response *r);
void h_conformance(struct http_ctx *c, struct http_response *r);
void h_collections(struct http_ctx *c, struct http_response *r);
void h_collection(struct http_ctx *c, struct http_response *r);
void h_queryables(struct http_ctx *c, struct http_response *r);
void h_sortables(struct http_ctx *c, struct http_response *r);
/* h_download.c: the whole collection as a GeoPackage file */
extern const struct http_params h_gpkg_params;
void h_gpkg(struct http_ctx *c, struct http_response *r);
/* h_ogctiles.c: OGC API - Tiles Part 1 over the tiles of h_tiles.c */
extern const struct http_params h_tms_list_params, h_tms_params, h_tilesets_params, h_style_tilesets_params,
    h_tileset_params, h_style_tileset_params, h_ogc_tile_params, h_style_ogc_tile_params;
void h_tms_list(struct http_ctx *c, struct http_response *r); /* /tileMatrixSets */
void h_tms(struct http_ctx *c, struct http_response *r);      /* /tileMatrixSets/{tileMatrixSetId} */
void h_tilesets(struct http_ctx *c, struct http_response *r); /* .../map/tiles */
void h_tileset(struct http_ctx *c, struct http_response *r);  /* .../map/tiles/{tileMatrixSetId} */
void h_ogc_tile(struct http_ctx *c, struct http_response *r); /* .../{tileMatrix}/{tileRow}/{tileCol} */
/* h_api.c: the OpenAPI 3.0 description, from the route table */
extern const struct http_params h_api_params;
void h_api(struct http_ctx *c, struct http_response *r);
/* h_items.c */
extern const struct http_params h_items_params, h_item_params;
void h_items(struct http_ctx *c, struct http_response *r);
void h_item(struct http_ctx *c, struct http_response *r);
/* h_edit.c: OGC API - Features Part 4 (create, replace, update, delete) */
extern const struct http_params h_create_params, h_write_params;
void h_item_create(struct http_ctx *c, struct http_response *r); /* POST .../items */
void h_item_write(struct http_ctx *c, struct http_response *r);  /* PUT, PATCH, DELETE .../items/{id} */
/* The strong ETag of an item's representation (the answer's body so
 * far) into r->etag: the site's version (site_hash) and the body's hash,
 * so that every representation has its own tag and any of them tells a
 * write's If-Match which version of the site the client saw. */
void h_item_etag(struct http_response *r, const struct site *s);
/* The site version an If-Match value names: true for one strong tag
 * made by h_item_etag (*any false), or for "*" (*any true). */
bool h_item_if_match(const char *value, uint64_t *version, bool *any);

/* h_nearest.c */
extern const struct http_params h_nearest_params;
void h_nearest(struct http_ctx *c, struct http_response *r);
/* h_web.c: the map page (issue 6) */
extern const struct http_params h_root_params, h_static_params, h_static2_params, h_config_params;
void h_root(struct http_ctx *c, struct http_response *r);   /* the page, or h_landing for JSON */
void h_static(struct http_ctx *c, struct http_response *r); /* /static/...: the page's assets */
void h_config(struct http_ctx *c, struct http_response *r); /* /config.json: the page's settings */
/* h_ops.c: operations */
extern const struct http_params h_ops_params; /* none */
void h_healthz(struct http_ctx *c, struct http_response *r);
void h_readyz(struct http_ctx *c, struct http_response *r);
void h_metrics(struct http_ctx *c, struct http_response *r);

/* h_tiles.c: XYZ tiles and TileJSON, from the map service (cfg->maps) */
extern const struct http_params h_tile_params, h_tile_style_params, h_tile_versioned_params,
    h_tilejson_params, h_tilejson_style_params;
void h_tile(struct http_ctx *c, struct http_response *r);          /* /tiles/{z}/{x}/{y}.png */
void h_tile_2x(struct http_ctx *c, struct http_response *r);       /* /tiles/{z}/{x}/{y}@2x.png */
void h_tile_style(struct http_ctx *c, struct http_response *r);    /* /tiles/{style}/{z}/{x}/{y}.png */
void h_tile_style_2x(struct http_ctx *c, struct http_response *r); /* /tiles/{style}/{z}/{x}/{y}@2x.png */
void h_tilejson(struct http_ctx *c, struct http_response *r);      /* /tiles.json, /tiles/{style}.json */
/* /tiles/{style}/{version}/{z}/{x}/{y}[@2x].png: immutable */
void h_tile_versioned(struct http_ctx *c, struct http_response *r);
void h_tile_versioned_2x(struct http_ctx *c, struct http_response *r);
/* For the OGC API - Tiles routes (h_ogctiles.c): tile z/x/y of style st
 * (NULL: the generation's default) drawn in cs, 256 px, answered exactly
 * as /tiles/... answers it (the same cache entry, bytes, ETag and
 * headers). */
void h_tiles_serve(struct http_ctx *c, struct http_response *r, const struct style *st, int z, long long x,
                   long long y, enum coordsys cs, bool immutable);
/* The versions a versioned tile URL holds: the data's (0 for a style
 * that draws no sites) and the style's, "%016x-%016x" (h_tiles.c's top
 * comment). */
#define HTTP_TILES_VERSION_LEN 34
void h_tiles_version(const struct http_ctx *c, const struct style *st, char out[HTTP_TILES_VERSION_LEN]);
/* Checks a versioned tile URL's version given against the current one of
 * st: 1 when it is current (serve it immutable); 0 after a 302 to the
 * current version, cacheable briefly - Location: the base URL, before,
 * the version, after and the query unchanged; or, with a query_key, the
 * base URL, before, after and the query with query_key's value the
 * version -; -1 after a 404
 * when given is not a version at all. */
int h_tiles_check_version(struct http_ctx *c, struct http_response *r, const struct style *st,
                          const char *given, const char *before, const char *after, const char *query_key);

/* h_staticmap.c: GET /staticmap.png; h_route.c: GET /route (issue 5) */
extern const struct http_params h_staticmap_params, h_route_params;
void h_staticmap(struct http_ctx *c, struct http_response *r);
void h_route(struct http_ctx *c, struct http_response *r);
bool h_route_costly(const struct http_ctx *c); /* a PDF sheet renders its map */

/* The OGC CRS URIs (Part 2) and what they mean for axis order. */
#define CRS_CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#define CRS_EPSG4326 "http://www.opengis.net/def/crs/EPSG/0/4326"
#define CRS_EPSG4490 "http://www.opengis.net/def/crs/EPSG/0/4490"
/* Maps a crs / bbox-crs value (URI or [EPSG:n] safe CURIE) to its URI and
 * axis order; NULL when unsupported. */
const char *ogc_crs_lookup(const char *value, bool *lat_first);

/* Names of the collection's id (for links and documents). */
#define SITES_COLLECTION "sites"

/* Values and specs that several routes' tables share (util.c).  Each
 * value list's order is an engine enum's, so a parsed index is that enum
 * (the unit test checks them against the engine's names). */
extern const char *const http_crs_values[];        /* ogc_crs_lookup's URIs */
extern const char *const http_coordsys_values[];   /* enum coordsys */
extern const char *const http_category_values[];   /* enum site_category: a list's mask is a feat_catmask */
extern const char *const http_collection_values[]; /* SITES_COLLECTION */
extern const char *const http_f_json_values[];     /* json */
extern const char *const http_f_geojson_values[];  /* json, geojson */
extern const char *const http_f_doc_values[];      /* json, html */
extern const char *const http_f_item_values[];     /* json, geojson, html */
extern const char *const http_f_items_values[];    /* json, geojson, html, csv */
/* cql2-text, cql2-json, and cql-text: older drafts of Part 3 called
 * cql2-text that, and GDAL 3.6's OGC API - Features driver sends it */
extern const char *const http_filter_lang_values[];
#define HTTP_FILTER_LANG_JSON 1
extern const char *const http_map_coordsys_values[]; /* wgs84, gcj02: what tiles are drawn in */
/* A CRS URI or its safe CURIE ("[EPSG:4326]") -> its index, or -1. */
int http_crs_match(const char *value);

#define HTTP_SPEC_COLLECTION                                                                                 \
	{                                                                                                    \
		.name = "collectionId", .in = HTTP_IN_PATH, .type = HTTP_T_ENUM, .required = true,           \
		.values = http_collection_values, .desc = "The collection: " SITES_COLLECTION "."            \
	}
#define HTTP_SPEC_CRS(name_, desc_)                                                                          \
	{                                                                                                    \
		.name = name_, .type = HTTP_T_ENUM, .values = http_crs_values, .match = http_crs_match,      \
		.def = CRS_CRS84, .desc = desc_                                                              \
	}
/* The vendor parameter of DESIGN.md: query and answer in this system. */
#define HTTP_SPEC_COORDSYS                                                                                   \
	{                                                                                                    \
		.name = "coordsys", .type = HTTP_T_ENUM, .values = http_coordsys_values,                     \
		.match = coordsys_parse, .def = "wgs84",                                                     \
		.desc = "Vendor parameter: query and answer coordinates in this system (GCJ-02 for "         \
		        "AMap/Tencent, "                                                                     \
		        "BD-09 for Baidu)."                                                                  \
	}
/* f, the OGC output format: JSON documents, GeoJSON features. */
#define HTTP_SPEC_F_JSON                                                                                     \
	{                                                                                                    \
		.name = "f", .type = HTTP_T_ENUM, .values = http_f_json_values, .def = "json",               \
		.desc = "Output format."                                                                     \
	}
#define HTTP_SPEC_F_GEOJSON                                                                                  \
	{                                                                                                    \
		.name = "f", .type = HTTP_T_ENUM, .values = http_f_geojson_values, .def = "json",            \
		.desc = "Output format (GeoJSON)."                                                           \
	}
/* The system a map is drawn in: WGS-84, or shifted onto GCJ-02 basemaps. */
#define HTTP_SPEC_MAP_COORDSYS(desc_)                                                                        \
	{                                                                                                    \
		.name = "coordsys", .type = HTTP_T_ENUM, .values = http_map_coordsys_values,                 \
		.match = coordsys_parse, .def = "wgs84", .desc = desc_                                       \
	}
/* A name that is no category selects nothing (a filter, not an error). */
#define HTTP_SPEC_CATEGORY                                                                                   \
	{                                                                                                    \
		.name = "category", .type = HTTP_T_ENUM_LIST, .min = 1, .max = INFINITY,                     \
		.values = http_category_values, .flags = HTTP_PF_OPEN,                                       \
		.desc =                                                                                      \
		    "One category or a comma-separated list of memorial_hall, museum, martyrs_cemetery, "    \
		    "former_site, monument, education_base, study_station, training_school; another name "   \
		    "matches "                                                                               \
		    "nothing."                                                                               \
	}
/* A CQL2 filter (OGC API - Features Part 3) and how to read it (ogc.h:
 * ogc_filter). */
/* open_at on the routes that select sites (items, nearest): only the
 * sites open at that moment by their opening_hours (feat_open_at). */
#define HTTP_SPEC_OPEN_AT                                                                                    \
	{                                                                                                    \
		.name = "open_at", .type = HTTP_T_INSTANT,                                                   \
		.desc =                                                                                      \
		    "Only sites open then by their opening_hours: now, a local time in China Standard Time " \
		    "(2025-05-06T10:00) or an instant with an offset.  Sites whose hours are not known, or " \
		    "unknown at that moment, are left out."                                                  \
	}

#define HTTP_SPEC_FILTER                                                                                     \
	{.name = "filter",                                                                                   \
	 .type = HTTP_T_STRING,                                                                              \
	 .desc = "A CQL2 filter on the queryables (OGC API - Features Part 3); an error says where."},       \
	    {.name = "filter-lang",                                                                          \
	     .type = HTTP_T_ENUM,                                                                            \
	     .values = http_filter_lang_values,                                                              \
	     .def = "cql2-text",                                                                             \
	     .desc = "The filter's encoding: cql2-text or cql2-json (cql-text is cql2-text)."},              \
	    HTTP_SPEC_CRS("filter-crs",                                                                      \
	                  "CRS of the filter's geometry literals; EPSG:4326 and 4490 put latitude "          \
	                  "first.")
/* f of a resource that also has an HTML page, and the page's language. */
#define HTTP_SPEC_F_DOC                                                                                      \
	{                                                                                                    \
		.name = "f", .type = HTTP_T_ENUM, .values = http_f_doc_values,                               \
		.desc = "Output format; without it, HTML when Accept prefers text/html, else JSON."          \
	}
#define HTTP_SPEC_LANG                                                                                       \
	{                                                                                                    \
		.name = "lang", .type = HTTP_T_ENUM, .values = pages_lang_tags, .match = pages_lang_match,   \
		.desc = "The HTML page's language: zh-CN or en; without it, Accept-Language chooses (zh-CN " \
		        "first)."                                                                            \
	}

/* The value of a hexadecimal digit, or -1 (util.c): percent-decoding's. */
int http_hex_digit(char c);

#endif

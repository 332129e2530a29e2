/*
 * routes.c - the route table and the matcher.
 *
 * One line per route: its pattern (also its path in /api), methods,
 * handler, metrics name, parameter table and, for the API's routes, what
 * /api says of it.  Patterns are literal text and {name} for one
 * non-empty segment, or for the part of a segment before the literal text
 * that follows it ("{y}@2x.png"); the handler reads the parsed segment as
 * a path parameter.  The table is searched in order and is short, so a
 * linear scan costs less than hashing the path would; where two patterns
 * match one path the first wins ("{y}@2x.png" before "{y}.png").
 */
#include <string.h>

#include "handlers.h"
#include "ogc.h"

#define GH "GET, HEAD"

const struct http_route http_routes[] = {
    {"/", GH, h_root, "landing", &h_landing_params, "getLandingPage",
     "Landing page (the map page for browsers)", "application/json"},
    {"/config.json", GH, h_config, "config", &h_config_params, NULL, NULL, NULL},
    {"/static/{file}", GH, h_static, "static", &h_static_params, NULL, NULL, NULL},
    {"/static/{dir}/{file}", GH, h_static, "static", &h_static2_params, NULL, NULL, NULL},
    {"/conformance", GH, h_conformance, "conformance", &h_doc_params, "getConformanceDeclaration",
     "Conformance classes", "application/json"},
    {"/api", GH, h_api, "api", &h_api_params, "getAPIDescription", "This OpenAPI document", OGC_OPENAPI_TYPE},
    {"/collections", GH, h_collections, "collections", &h_doc_params, "getCollections", "The collections",
     "application/json"},
    {"/collections/{collectionId}", GH, h_collection, "collection", &h_collection_params,
     "describeCollection", "The sites collection", "application/json"},
    {"/collections/{collectionId}/queryables", GH, h_queryables, "queryables", &h_schema_params,
     "getQueryables", "Filterable properties", "application/schema+json"},
    {"/collections/{collectionId}/sortables", GH, h_sortables, "sortables", &h_schema_params, "getSortables",
     "Sortable properties", "application/schema+json"},
    {"/collections/{collectionId}/download.gpkg", GH, h_gpkg, "download", &h_gpkg_params, "getGeoPackage",
     "The whole collection as a GeoPackage", "application/geopackage+sqlite3"},
    {"/collections/{collectionId}/items", GH, h_items, "items", &h_items_params, "getFeatures",
     "Sites, filtered and paged", "application/geo+json"},
    {"/collections/{collectionId}/items/{featureId}", GH, h_item, "item", &h_item_params, "getFeature",
     "One site", "application/geo+json"},
    {"/tileMatrixSets", GH, h_tms_list, "tilematrixsets", &h_tms_list_params, "getTileMatrixSetsList",
     "Tile matrix sets", "application/json"},
    {"/tileMatrixSets/{tileMatrixSetId}", GH, h_tms, "tilematrixsets", &h_tms_params, "getTileMatrixSet",
     "A tile matrix set", "application/json"},
    {"/collections/{collectionId}/map/tiles", GH, h_tilesets, "ogc_tilesets", &h_tilesets_params,
     "getCollectionMapTilesets", "The collection's map tilesets (OGC API - Tiles)", "application/json"},
    {"/collections/{collectionId}/map/tiles/{tileMatrixSetId}", GH, h_tileset, "ogc_tilesets",
     &h_tileset_params, "getCollectionMapTileset", "A map tileset of the default style", "application/json"},
    {"/collections/{collectionId}/map/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", GH,
     h_ogc_tile, "ogc_tiles", &h_ogc_tile_params, "getCollectionMapTile",
     "A 256 px map tile of the default style", "image/png"},
    {"/collections/{collectionId}/styles/{styleId}/map/tiles", GH, h_tilesets, "ogc_tilesets",
     &h_style_tilesets_params, "getCollectionStyleMapTilesets", "A style's map tilesets", "application/json"},
    {"/collections/{collectionId}/styles/{styleId}/map/tiles/{tileMatrixSetId}", GH, h_tileset,
     "ogc_tilesets", &h_style_tileset_params, "getCollectionStyleMapTileset", "A map tileset of a style",
     "application/json"},
    {"/collections/{collectionId}/styles/{styleId}/map/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/"
     "{tileCol}",
     GH, h_ogc_tile, "ogc_tiles", &h_style_ogc_tile_params, "getCollectionStyleMapTile",
     "A 256 px map tile of a style", "image/png"},
    {"/nearest", GH, h_nearest, "nearest", &h_nearest_params, "getNearest",
     "Sites nearest a point, by geodesic distance, with distance_m and bearing_deg", "application/geo+json"},
    {"/tiles.json", GH, h_tilejson, "tilejson", &h_tilejson_params, "getTileJSON",
     "TileJSON 3.0.0 of the default style", "application/json"},
    {"/tiles/{style}.json", GH, h_tilejson, "tilejson", &h_tilejson_style_params, "getStyleTileJSON",
     "TileJSON 3.0.0 of a style", "application/json"},
    {"/tiles/{z}/{x}/{y}@2x.png", GH, h_tile_2x, "tiles", &h_tile_params, "getTile2x",
     "A 512 px tile of the default style", "image/png"},
    {"/tiles/{z}/{x}/{y}.png", GH, h_tile, "tiles", &h_tile_params, "getTile",
     "A 256 px tile of the default style", "image/png"},
    {"/tiles/{style}/{z}/{x}/{y}@2x.png", GH, h_tile_style_2x, "tiles", &h_tile_style_params,
     "getStyleTile2x", "A 512 px tile of a style", "image/png"},
    {"/tiles/{style}/{z}/{x}/{y}.png", GH, h_tile_style, "tiles", &h_tile_style_params, "getStyleTile",
     "A 256 px tile of a style", "image/png"},
    {"/staticmap.png", GH, h_staticmap, "staticmap", &h_staticmap_params, "getStaticMap",
     "A map image of any size, for printing", "image/png"},
    {"/route", GH, h_route, "route", &h_route_params, "getRoute", "An ordered tour of sites and its sheet",
     "application/json"},
    {"/healthz", GH, h_healthz, "healthz", &h_ops_params, "getHealth", "Liveness and readiness",
     "application/json"},
    {"/metrics", GH, h_metrics, "metrics", &h_ops_params, "getMetrics", "Prometheus metrics", "text/plain"},
};
const size_t http_nroutes = sizeof http_routes / sizeof http_routes[0];

/* Matches one pattern against path, copying captured segments into
 * capbuf (NUL-separated).  Returns true on a match. */
static bool match_one(const char *pat, const char *path, const char **captures, char *capbuf,
                      size_t capbuf_size, int *ncaptures)
{
	size_t used = 0;
	int nc = 0;
	while (*pat && *path) {
		if (*pat == '{') {
			/* {name} and the literal rest of its segment ("@2x.png") */
			const char *close = strchr(pat, '}');
			if (!close)
				return false;
			const char *tail = close + 1;
			size_t tlen = strcspn(tail, "/"), seg = strcspn(path, "/");
			if (seg <= tlen || memcmp(path + seg - tlen, tail, tlen) != 0)
				return false;
			size_t n = seg - tlen;
			if (nc == HTTP_MAX_CAPTURES || used + n + 1 > capbuf_size)
				return false;
			memcpy(capbuf + used, path, n);
			capbuf[used + n] = '\0';
			captures[nc++] = capbuf + used;
			used += n + 1;
			path += seg;
			pat = tail + tlen;
		} else if (*pat == *path) {
			pat++, path++;
		} else {
			return false;
		}
	}
	if (*pat || *path)
		return false;
	*ncaptures = nc;
	return true;
}

int http_route_match(const char *path, const char **captures, char *capbuf, size_t capbuf_size,
                     int *ncaptures)
{
	for (size_t i = 0; i < http_nroutes; i++)
		if (match_one(http_routes[i].pattern, path, captures, capbuf, capbuf_size, ncaptures))
			return (int)i;
	*ncaptures = 0;
	return -1;
}

void http_route_handle(const struct http_route *rt, struct http_ctx *c, struct http_response *r)
{
	if (http_params_parse(rt->params, c, r))
		rt->handler(c, r);
}

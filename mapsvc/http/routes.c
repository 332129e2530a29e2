/*
 * routes.c - the route table and the matcher.
 *
 * One line per route: its pattern (also its path in /api), methods,
 * handler, metrics name (its own: two routes never share a series), parameter table and, for the API's
 * routes, what /api says of it.  A few routes are special to the server (expensive, or for operators): a line
 * of the `special` table, by handler. Patterns are literal text and {name} for one non-empty segment, or for
 * the part of a segment between literal text around it in the pattern
 * ("{y}@2x.png"); the handler reads the parsed segment as a path
 * parameter.  The table is searched in order and is short, so a linear
 * scan costs less than hashing the path would; where two patterns match
 * one path the first wins ("{y}@2x.png" before "{y}.png").
 *
 * Matching is on the path as the client sent it, split at '/' first and
 * each segment percent-decoded after (RFC 3986 §2.2: an encoded
 * delimiter is data, not a delimiter), so any site id round-trips,
 * '/' included, and an encoded letter still matches a literal.
 */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "ogc.h"

#define GH "GET, HEAD"

const struct http_route http_routes[] = {
    {"/", GH, h_root, "landing", &h_landing_params, "getLandingPage",
     "Landing page (the map page for browsers)", "application/json"},
    {"/config.json", GH, h_config, "config", &h_config_params, NULL, NULL, NULL},
    {"/static/{file}", GH, h_static, "static", &h_static_params, NULL, NULL, NULL},
    {"/static/{dir}/{file}", GH, h_static, "static_dir", &h_static2_params, NULL, NULL, NULL},
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
    /* OGC API - Features Part 4, with serve --edit (h_edit.c) */
    {"/collections/{collectionId}/items", "POST", h_item_create, "items_write", &h_create_params, NULL, NULL,
     NULL},
    {"/collections/{collectionId}/items/{featureId}", "PUT, PATCH, DELETE", h_item_write, "item_write",
     &h_write_params, NULL, NULL, NULL},
    {"/tileMatrixSets", GH, h_tms_list, "tilematrixsets", &h_tms_list_params, "getTileMatrixSetsList",
     "Tile matrix sets", "application/json"},
    {"/tileMatrixSets/{tileMatrixSetId}", GH, h_tms, "tilematrixset", &h_tms_params, "getTileMatrixSet",
     "A tile matrix set", "application/json"},
    {"/collections/{collectionId}/map/tiles", GH, h_tilesets, "ogc_tilesets", &h_tilesets_params,
     "getCollectionMapTilesets", "The collection's map tilesets (OGC API - Tiles)", "application/json"},
    {"/collections/{collectionId}/map/tiles/{tileMatrixSetId}", GH, h_tileset, "ogc_tileset",
     &h_tileset_params, "getCollectionMapTileset", "A map tileset of the default style", "application/json"},
    {"/collections/{collectionId}/map/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", GH,
     h_ogc_tile, "ogc_tile", &h_ogc_tile_params, "getCollectionMapTile",
     "A 256 px map tile of the default style", "image/png"},
    {"/collections/{collectionId}/styles/{styleId}/map/tiles", GH, h_tilesets, "ogc_style_tilesets",
     &h_style_tilesets_params, "getCollectionStyleMapTilesets", "A style's map tilesets", "application/json"},
    {"/collections/{collectionId}/styles/{styleId}/map/tiles/{tileMatrixSetId}", GH, h_tileset,
     "ogc_style_tileset", &h_style_tileset_params, "getCollectionStyleMapTileset", "A map tileset of a style",
     "application/json"},
    {"/collections/{collectionId}/styles/{styleId}/map/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/"
     "{tileCol}",
     GH, h_ogc_tile, "ogc_style_tile", &h_style_ogc_tile_params, "getCollectionStyleMapTile",
     "A 256 px map tile of a style", "image/png"},
    {"/nearest", GH, h_nearest, "nearest", &h_nearest_params, "getNearest",
     "Sites nearest a point, by geodesic distance, with distance_m and bearing_deg", "application/geo+json"},
    {"/tiles.json", GH, h_tilejson, "tilejson", &h_tilejson_params, "getTileJSON",
     "TileJSON 3.0.0 of the default style", "application/json"},
    {"/tiles/{style}.json", GH, h_tilejson, "tilejson_style", &h_tilejson_style_params, "getStyleTileJSON",
     "TileJSON 3.0.0 of a style", "application/json"},
    {"/tiles/{z}/{x}/{y}@2x.png", GH, h_tile_2x, "tile_2x", &h_tile_params, "getTile2x",
     "A 512 px tile of the default style", "image/png"},
    {"/tiles/{z}/{x}/{y}.png", GH, h_tile, "tile", &h_tile_params, "getTile",
     "A 256 px tile of the default style", "image/png"},
    {"/tiles/{style}/{version}/{z}/{x}/{y}@2x.png", GH, h_tile_versioned_2x, "tile_versioned_2x",
     &h_tile_versioned_params, "getVersionedTile2x",
     "A 512 px tile of a style and data version (as TileJSON names it): immutable", "image/png"},
    {"/tiles/{style}/{version}/{z}/{x}/{y}.png", GH, h_tile_versioned, "tile_versioned",
     &h_tile_versioned_params, "getVersionedTile",
     "A 256 px tile of a style and data version (as TileJSON names it): immutable", "image/png"},
    {"/tiles/{style}/{z}/{x}/{y}@2x.png", GH, h_tile_style_2x, "tile_style_2x", &h_tile_style_params,
     "getStyleTile2x", "A 512 px tile of a style", "image/png"},
    {"/tiles/{style}/{z}/{x}/{y}.png", GH, h_tile_style, "tile_style", &h_tile_style_params, "getStyleTile",
     "A 256 px tile of a style", "image/png"},
    {"/staticmap.png", GH, h_staticmap, "staticmap", &h_staticmap_params, "getStaticMap",
     "A map image of any size, for printing", "image/png"},
    {"/route", GH, h_route, "route", &h_route_params, "getRoute", "An ordered tour of sites and its sheet",
     "application/json"},
    {"/healthz", GH, h_healthz, "healthz", &h_ops_params, "getHealth", "Liveness", "application/json"},
    {"/readyz", GH, h_readyz, "readyz", &h_ops_params, "getReadiness",
     "Readiness: 200 while serving, 503 once stopping", "application/json"},
    {"/metrics", GH, h_metrics, "metrics", &h_ops_params, "getMetrics", "Prometheus metrics", "text/plain"},
};
const size_t http_nroutes = sizeof http_routes / sizeof http_routes[0];

/* The routes the server treats specially, by handler: expensive ones
 * (run on the bounded pool) and operations (also on the metrics
 * listener; /metrics only there when there is one, and never CORS). */
static const struct {
	http_handler_fn handler;
	struct http_route_traits traits;
} special[] = {
    {h_staticmap, {0, http_always_costly}},
    {h_route, {0, h_route_costly}},
    {h_gpkg, {0, http_always_costly}}, /* the whole collection, written as a file */
    {h_healthz, {HTTP_RF_OPS, NULL}},
    {h_readyz, {HTTP_RF_OPS, NULL}},
    {h_metrics, {HTTP_RF_OPS | HTTP_RF_PRIVATE, NULL}},
    {h_item_create, {HTTP_RF_WRITE, NULL}},
    {h_item_write, {HTTP_RF_WRITE, NULL}},
};

const struct http_route_traits *http_route_traits_of(const struct http_route *rt)
{
	static const struct http_route_traits plain;
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
		if (special[i].handler == rt->handler)
			return &special[i].traits;
	return &plain;
}

/* Whether the list "GET, HEAD" names method. */
static bool names_method(const char *list, const char *method)
{
	size_t n = strlen(method);
	for (const char *p = list; *p;) {
		p += strspn(p, ", ");
		size_t k = strcspn(p, ",");
		if (k == n && !memcmp(p, method, n))
			return true;
		p += k;
	}
	return false;
}

int http_route_for_method(int route, const char *method, bool editing, char *allow, size_t allow_size)
{
	const char *pattern = http_routes[route].pattern;
	const char *m = strcmp(method, "HEAD") ? method : "GET";
	int found = -1;
	size_t used = 0;
	allow[0] = '\0';
	for (size_t i = (size_t)route; i < http_nroutes; i++) {
		const struct http_route *rt = &http_routes[i];
		if (strcmp(rt->pattern, pattern) != 0)
			continue;
		if (!editing && (http_route_traits_of(rt)->flags & HTTP_RF_WRITE))
			continue;
		if (found < 0 && names_method(rt->methods, m))
			found = (int)i;
		int w = snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", rt->methods);
		if (w > 0 && (size_t)w < allow_size - used)
			used += (size_t)w;
	}
	return found;
}

bool http_always_costly(const struct http_ctx *c)
{
	(void)c;
	return true;
}

/* Percent-decodes s[0..n) into out (RFC 3986 §2.1); a '%' without two hex
 * digits after it stays as it is, as libmicrohttpd leaves it.  Returns the
 * decoded length, or -1 when a byte decodes to NUL (a C string would end
 * there, and the rest be silently ignored). */
static long decode_segment(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = http_hex_digit(s[i + 1])) >= 0 &&
		    (lo = http_hex_digit(s[i + 2])) >= 0) {
			out[o] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o] = s[i];
		}
		if (out[o++] == '\0')
			return -1;
	}
	return (long)o;
}

/* A path's segments, decoded (into the caller's capbuf). */
struct segments {
	int n;
	char *v[HTTP_MAX_SEGMENTS];
	size_t len[HTTP_MAX_SEGMENTS];
};

/* Matches pattern against the segments; on success the captures' starts
 * and lengths are in cap/caplen (not yet cut out of their segments). */
static bool match_one(const char *pat, const struct segments *sg, char **cap, size_t *caplen, int *ncaptures)
{
	int k = 0, nc = 0;
	const char *pp = pat + 1; /* patterns start with '/' */
	for (;;) {
		size_t pn = strcspn(pp, "/");
		if (k == sg->n)
			return false;
		const char *seg = sg->v[k];
		size_t sn = sg->len[k];
		const char *brace = memchr(pp, '{', pn);
		if (!brace) {
			if (pn != sn || memcmp(pp, seg, pn) != 0)
				return false;
		} else {
			size_t pre = (size_t)(brace - pp);
			const char *close = memchr(brace, '}', pn - pre);
			if (!close)
				return false;
			const char *tail = close + 1;
			size_t tlen = (size_t)(pp + pn - tail);
			/* the captured part is not empty */
			if (sn <= pre + tlen || memcmp(seg, pp, pre) != 0 ||
			    memcmp(seg + sn - tlen, tail, tlen) != 0 || nc == HTTP_MAX_CAPTURES)
				return false;
			cap[nc] = sg->v[k] + pre;
			caplen[nc] = sn - pre - tlen;
			nc++;
		}
		k++;
		if (!pp[pn])
			break;
		pp += pn + 1;
	}
	if (k != sg->n)
		return false;
	*ncaptures = nc;
	return true;
}

int http_route_match(const char *path, const char **captures, char *capbuf, size_t capbuf_size,
                     int *ncaptures)
{
	*ncaptures = 0;
	if (path[0] != '/')
		return -1;
	struct segments sg = {0};
	size_t used = 0;
	for (const char *p = path + 1;;) {
		size_t n = strcspn(p, "/");
		if (sg.n == HTTP_MAX_SEGMENTS || used + n + 1 > capbuf_size)
			return -1;
		long dn = decode_segment(p, n, capbuf + used);
		if (dn < 0)
			return -1;
		capbuf[used + (size_t)dn] = '\0';
		sg.v[sg.n] = capbuf + used;
		sg.len[sg.n++] = (size_t)dn;
		used += (size_t)dn + 1;
		if (!p[n])
			break;
		p += n + 1;
	}
	char *cap[HTTP_MAX_CAPTURES];
	size_t caplen[HTTP_MAX_CAPTURES];
	for (size_t i = 0; i < http_nroutes; i++) {
		int nc;
		if (!match_one(http_routes[i].pattern, &sg, cap, caplen, &nc))
			continue;
		for (int j = 0; j < nc; j++) {
			cap[j][caplen[j]] = '\0'; /* cut the literal tail ("@2x.png") off */
			captures[j] = cap[j];
		}
		*ncaptures = nc;
		return (int)i;
	}
	return -1;
}

void http_route_handle(const struct http_route *rt, struct http_ctx *c, struct http_response *r)
{
	if (http_params_parse(rt->params, c, r))
		rt->handler(c, r);
}

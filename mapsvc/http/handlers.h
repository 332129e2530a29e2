/*
 * handlers.h - the route handlers, one file per area, and the few things
 * of the server they share.  Internal to http/: the table in routes.c is
 * the only caller.
 */
#ifndef MS_HTTP_HANDLERS_H
#define MS_HTTP_HANDLERS_H

#include "http.h"

/* h_ogc.c: OGC API - Features Part 1 and 2 documents */
void h_landing(struct http_ctx *c, struct http_response *r);
void h_conformance(struct http_ctx *c, struct http_response *r);
void h_collections(struct http_ctx *c, struct http_response *r);
void h_collection(struct http_ctx *c, struct http_response *r);
void h_queryables(struct http_ctx *c, struct http_response *r);
/* h_api.c: the OpenAPI 3.0 description */
void h_api(struct http_ctx *c, struct http_response *r);
/* h_items.c */
void h_items(struct http_ctx *c, struct http_response *r);
void h_item(struct http_ctx *c, struct http_response *r);
/* h_nearest.c */
void h_nearest(struct http_ctx *c, struct http_response *r);
/* h_web.c: the map page (issue 6) */
void h_root(struct http_ctx *c, struct http_response *r);   /* the page, or h_landing for JSON */
void h_static(struct http_ctx *c, struct http_response *r); /* /static/...: the page's assets */
void h_config(struct http_ctx *c, struct http_response *r); /* /config.json: the page's settings */
/* h_ops.c: operations */
void h_healthz(struct http_ctx *c, struct http_response *r);
void h_metrics(struct http_ctx *c, struct http_response *r);

/* h_tiles.c: XYZ tiles and TileJSON.  Their state (styles, layouts of
 * the current snapshot, the tile cache, per-thread render contexts) lives
 * as long as the server: created before it listens, freed after it stops. */
struct h_tiles;
struct h_tiles *h_tiles_new(const struct http_config *cfg, struct ms_error *err);
void h_tiles_free(struct h_tiles *t);
struct h_tiles *http_tiles(const struct http_ctx *c); /* server.c */
void h_tile(struct http_ctx *c, struct http_response *r);       /* /tiles/{z}/{x}/{y}[@2x].png */
void h_tile_style(struct http_ctx *c, struct http_response *r); /* /tiles/{style}/{z}/{x}/{y}[@2x].png */
void h_tilejson(struct http_ctx *c, struct http_response *r);   /* /tiles.json, /tiles/{style}.json */
/* For windows of the same layouts (static maps, route sheets): a style by
 * name (NULL when none), the map of snap (retained: tile_map_release it)
 * and this thread's render context (borrowed). */
struct tile_map;
struct tile_ctx;
struct style;
const struct style *h_tiles_style(struct h_tiles *t, const char *name);
struct tile_map *h_tiles_map(struct h_tiles *t, const struct snapshot *snap);
struct tile_ctx *h_tiles_ctx(struct h_tiles *t, struct ms_error *err);

/* h_staticmap.c: GET /staticmap.png; h_route.c: GET /route (issue 5) */
void h_staticmap(struct http_ctx *c, struct http_response *r);
void h_route(struct http_ctx *c, struct http_response *r);

/* The OGC CRS URIs (Part 2) and what they mean for axis order. */
#define CRS_CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#define CRS_EPSG4326 "http://www.opengis.net/def/crs/EPSG/0/4326"
#define CRS_EPSG4490 "http://www.opengis.net/def/crs/EPSG/0/4490"
/* Maps a crs / bbox-crs value (URI or [EPSG:n] safe CURIE) to its URI and
 * axis order; NULL when unsupported. */
const char *ogc_crs_lookup(const char *value, bool *lat_first);

/* Names of the collection's id (for links and documents). */
#define SITES_COLLECTION "sites"

/* Writes the Prometheus text of the server's counters (server.c). */
void http_metrics_write(const struct http_ctx *c, struct buf *out);

#endif

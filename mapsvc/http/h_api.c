/*
 * h_api.c - GET /api: the OpenAPI 3.0 description of every route
 * (OGC API - Features Part 1 §7.3 and the oas30 conformance class).  The
 * document is generated from the tables below, so adding a route here is
 * a line or two: a path, its parameters, its answer type.
 */
#include <string.h>

#include "../features/features.h"
#include "../util/jsonw.h"
#include "handlers.h"
#include "ogc.h"

struct api_param {
	const char *name, *in, *type, *desc;
	bool required;
	const char *const *enum_vals; /* NULL-terminated, or NULL */
	int min, max;                 /* for integers; max 0 = none */
};

struct api_path {
	const char *path, *op_id, *summary, *type;
	const struct api_param *const *params; /* NULL-terminated */
};

static const char *const crs_list[] = {CRS_CRS84, CRS_EPSG4326, CRS_EPSG4490, NULL};
static const char *const coordsys_list[] = {"wgs84", "gcj02", "bd09", "cgcs2000", NULL};
static const char *const f_json[] = {"json", NULL};
static const char *const f_geojson[] = {"json", "geojson", NULL};

static const struct api_param p_f = {"f", "query", "string", "Output format.", false, f_json, 0, 0};
static const struct api_param p_fg = {"f", "query", "string", "Output format (GeoJSON).", false, f_geojson, 0, 0};
static const struct api_param p_coll = {"collectionId", "path", "string", "The collection: sites.", true, NULL, 0, 0};
static const struct api_param p_fid = {"featureId", "path", "string", "A site id.", true, NULL, 0, 0};
static const struct api_param p_bbox = {"bbox", "query", "bbox",
	"minx,miny,maxx,maxy in bbox-crs axis order (CRS84: lon,lat).", false, NULL, 0, 0};
static const struct api_param p_bbox_crs = {"bbox-crs", "query", "string", "CRS of bbox (OGC API - Features Part 2).",
	false, crs_list, 0, 0};
static const struct api_param p_crs = {"crs", "query", "string",
	"CRS of the answer; EPSG:4326 and 4490 give [lat, lon] positions.", false, crs_list, 0, 0};
static const struct api_param p_limit = {"limit", "query", "integer",
	"Page size; values above 1000 are clamped.", false, NULL, 1, 0};
static const struct api_param p_offset = {"offset", "query", "integer", "Matches to skip.", false, NULL, 0, 0};
static const struct api_param p_cat = {"category", "query", "string",
	"One category or a comma-separated list (memorial_hall, museum, martyrs_cemetery, former_site, monument, "
	"education_base, study_station, training_school).", false, NULL, 0, 0};
static const struct api_param p_q = {"q", "query", "string",
	"Substring of name_zh or name_en (ASCII case-insensitive).", false, NULL, 0, 0};
static const struct api_param p_cs = {"coordsys", "query", "string",
	"Vendor parameter: query and answer coordinates in this system (GCJ-02 for AMap/Tencent, BD-09 for Baidu).",
	false, coordsys_list, 0, 0};
static const struct api_param p_lat = {"lat", "query", "number", "Latitude of the query point.", true, NULL, 0, 0};
static const struct api_param p_lon = {"lon", "query", "number", "Longitude of the query point.", true, NULL, 0, 0};
static const struct api_param p_nlimit = {"limit", "query", "integer", "How many sites (default 5).", false, NULL, 1,
					  FEAT_NEAREST_MAX};
static const struct api_param p_within = {"within_km", "query", "number", "Only sites at most this far (km).", false,
					  NULL, 0, 0};

static const char *const tile_cs[] = {"wgs84", "gcj02", NULL};
static const char *const modes[] = {"walk", "drive", NULL};
static const char *const formats[] = {"json", "gpx", "html", "pdf", NULL};
static const struct api_param p_z = {"z", "path", "integer", "Zoom level.", true, NULL, 0, 24};
static const struct api_param p_x = {"x", "path", "integer", "Tile column.", true, NULL, 0, 0};
static const struct api_param p_y = {"y", "path", "integer", "Tile row, 0 at the north (XYZ).", true, NULL, 0, 0};
static const struct api_param p_style = {"style", "path", "string", "A style in the styles folder.", true, NULL, 0, 0};
static const struct api_param p_tcs = {"coordsys", "query", "string",
	"Vendor parameter: gcj02 aligns the tile with GCJ-02 basemaps (AMap, Tencent).", false, tile_cs, 0, 0};
static const struct api_param p_from = {"from", "query", "string", "Start point LAT,LON.", true, NULL, 0, 0};
static const struct api_param p_sites = {"sites", "query", "string", "Site ids to visit, comma-separated.", false,
					 NULL, 0, 0};
static const struct api_param p_rnear = {"nearest", "query", "integer", "Visit the N sites nearest the start.",
					 false, NULL, 1, 0};
static const struct api_param p_ret = {"return", "query", "integer", "1: come back to the start.", false, NULL, 0, 1};
static const struct api_param p_mode = {"mode", "query", "string", "Travel mode.", false, modes, 0, 0};
static const struct api_param p_fmt = {"format", "query", "string", "The sheet's format.", false, formats, 0, 0};
static const struct api_param p_sbbox = {"bbox", "query", "bbox", "W,S,E,N of the map (or center and zoom).", false,
					 NULL, 0, 0};
static const struct api_param p_center = {"center", "query", "string", "LAT,LON of the map's centre.", false, NULL,
					  0, 0};
static const struct api_param p_szoom = {"zoom", "query", "integer", "Zoom level, with center.", false, NULL, 0, 24};
static const struct api_param p_w = {"width", "query", "integer", "Image width, px.", false, NULL, 1, 0};
static const struct api_param p_h = {"height", "query", "integer", "Image height, px.", false, NULL, 1, 0};

static const struct api_param *const ps_tile[] = {&p_z, &p_x, &p_y, &p_tcs, NULL};
static const struct api_param *const ps_tile_style[] = {&p_style, &p_z, &p_x, &p_y, &p_tcs, NULL};
static const struct api_param *const ps_tilejson_style[] = {&p_style, NULL};
static const struct api_param *const ps_route[] = {&p_from, &p_sites, &p_rnear, &p_ret, &p_mode, &p_fmt, NULL};
static const struct api_param *const ps_staticmap[] = {&p_sbbox, &p_center, &p_szoom, &p_w, &p_h, NULL};
static const struct api_param *const ps_f[] = {&p_f, NULL};
static const struct api_param *const ps_none[] = {NULL};
static const struct api_param *const ps_coll[] = {&p_coll, &p_f, NULL};
static const struct api_param *const ps_items[] = {&p_coll, &p_bbox, &p_bbox_crs, &p_limit, &p_offset, &p_cat,
						   &p_q,    &p_crs,  &p_cs,       &p_fg,    NULL};
static const struct api_param *const ps_item[] = {&p_coll, &p_fid, &p_crs, &p_cs, &p_fg, NULL};
static const struct api_param *const ps_nearest[] = {&p_lat, &p_lon, &p_nlimit, &p_within, &p_cat, &p_cs, &p_fg, NULL};

static const struct api_path paths[] = {
	{"/", "getLandingPage", "Landing page", "application/json", ps_f},
	{"/conformance", "getConformanceDeclaration", "Conformance classes", "application/json", ps_f},
	{"/api", "getAPIDescription", "This OpenAPI document", OGC_OPENAPI_TYPE, ps_none},
	{"/collections", "getCollections", "The collections", "application/json", ps_f},
	{"/collections/{collectionId}", "describeCollection", "The sites collection", "application/json", ps_coll},
	{"/collections/{collectionId}/queryables", "getQueryables", "Filterable properties", "application/schema+json",
	 ps_coll},
	{"/collections/{collectionId}/items", "getFeatures", "Sites, filtered and paged", "application/geo+json",
	 ps_items},
	{"/collections/{collectionId}/items/{featureId}", "getFeature", "One site", "application/geo+json", ps_item},
	{"/nearest", "getNearest", "Sites nearest a point, by geodesic distance, with distance_m and bearing_deg",
	 "application/geo+json", ps_nearest},
	{"/tiles.json", "getTileJSON", "TileJSON 3.0.0 of the default style", "application/json", ps_none},
	{"/tiles/{style}.json", "getStyleTileJSON", "TileJSON 3.0.0 of a style", "application/json", ps_tilejson_style},
	{"/tiles/{z}/{x}/{y}.png", "getTile", "A 256 px tile of the default style", "image/png", ps_tile},
	{"/tiles/{z}/{x}/{y}@2x.png", "getTile2x", "A 512 px tile of the default style", "image/png", ps_tile},
	{"/tiles/{style}/{z}/{x}/{y}.png", "getStyleTile", "A 256 px tile of a style", "image/png", ps_tile_style},
	{"/tiles/{style}/{z}/{x}/{y}@2x.png", "getStyleTile2x", "A 512 px tile of a style", "image/png",
	 ps_tile_style},
	{"/route", "getRoute", "An ordered tour of sites and its sheet", "application/json", ps_route},
	{"/staticmap.png", "getStaticMap", "A map image of any size, for printing", "image/png", ps_staticmap},
	{"/healthz", "getHealth", "Liveness and readiness", "application/json", ps_none},
	{"/metrics", "getMetrics", "Prometheus metrics", "text/plain", ps_none},
};

static void write_param(struct jsonw *w, const struct api_param *p)
{
	jw_object_begin(w);
	jw_key(w, "name");
	jw_string(w, p->name);
	jw_key(w, "in");
	jw_string(w, p->in);
	jw_key(w, "description");
	jw_string(w, p->desc);
	jw_key(w, "required");
	jw_bool(w, p->required);
	if (!strcmp(p->in, "query")) {
		jw_key(w, "style");
		jw_string(w, "form");
		jw_key(w, "explode");
		jw_bool(w, false);
	}
	jw_key(w, "schema");
	jw_object_begin(w);
	if (!strcmp(p->type, "bbox")) {
		jw_key(w, "type");
		jw_string(w, "array");
		jw_key(w, "minItems");
		jw_int(w, 4);
		jw_key(w, "maxItems");
		jw_int(w, 4);
		jw_key(w, "items");
		jw_raw(w, "{\"type\":\"number\"}");
	} else {
		jw_key(w, "type");
		jw_string(w, p->type);
		if (!strcmp(p->type, "integer")) {
			jw_key(w, "minimum");
			jw_int(w, p->min);
			if (p->max) {
				jw_key(w, "maximum");
				jw_int(w, p->max);
			}
		}
		if (p->enum_vals) {
			jw_key(w, "enum");
			jw_array_begin(w);
			for (const char *const *e = p->enum_vals; *e; e++)
				jw_string(w, *e);
			jw_array_end(w);
		}
	}
	jw_object_end(w);
	jw_object_end(w);
}

static void write_responses(struct jsonw *w, const struct api_path *ap)
{
	jw_key(w, "responses");
	jw_object_begin(w);
	jw_key(w, "200");
	jw_object_begin(w);
	jw_key(w, "description");
	jw_string(w, ap->summary);
	jw_key(w, "content");
	jw_object_begin(w);
	jw_key(w, ap->type);
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
		jw_raw(w, "{\"application/problem+json\":{\"schema\":{\"$ref\":\"#/components/schemas/Problem\"}}}");
		jw_object_end(w);
	}
	jw_object_end(w);
}

void h_api(struct http_ctx *c, struct http_response *r)
{
	static const char *const allowed[] = {"f", NULL};
	if (!http_check_params(c, r, allowed) || !ogc_check_f(c, r, NULL))
		return;
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
	jw_string(&w, "Red-resource (Party-history education) sites: OGC API - Features, nearest search, tiles.");
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
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		const struct api_path *ap = &paths[i];
		jw_key(&w, ap->path);
		jw_object_begin(&w);
		jw_key(&w, "get");
		jw_object_begin(&w);
		jw_key(&w, "operationId");
		jw_string(&w, ap->op_id);
		jw_key(&w, "summary");
		jw_string(&w, ap->summary);
		jw_key(&w, "parameters");
		jw_array_begin(&w);
		for (const struct api_param *const *p = ap->params; *p; p++)
			write_param(&w, *p);
		jw_array_end(&w);
		write_responses(&w, ap);
		jw_object_end(&w);
		jw_object_end(&w);
	}
	jw_object_end(&w);
	jw_key(&w, "components");
	jw_raw(&w, "{\"schemas\":{\"Problem\":{\"type\":\"object\",\"description\":\"RFC 9457 problem details\","
		   "\"properties\":{\"type\":{\"type\":\"string\"},\"title\":{\"type\":\"string\"},"
		   "\"status\":{\"type\":\"integer\"},\"detail\":{\"type\":\"string\"}}}}}");
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->content_type = OGC_OPENAPI_TYPE;
	r->cacheable = true;
}

/*
 * h_ogctiles.c - OGC API - Tiles Part 1 (OGC 20-057) over the PNG tiles
 * of h_tiles.c: the tile matrix sets, the collection's map tilesets (one
 * per style and tile matrix set), each tileset's metadata and its tiles.
 *
 * Two tile matrix sets: WebMercatorQuad (OGC 17-083r4 Annex D, the XYZ
 * grid of /tiles/: y = 0 at the north, 256 px) and GCJ02WebMercatorQuad,
 * the same grid over GCJ-02 coordinates: the tiles that ?coordsys=gcj02
 * draws to sit on AMap or Tencent basemaps.  GCJ-02 is an obfuscated
 * datum with no EPSG code, so that set says so in words instead of naming
 * a CRS a client would trust.  A tile here is the same request as its
 * /tiles/ twin (h_tiles_serve): the same cache entry, bytes and ETag.
 *
 * The tile matrix set documents carry both JSON encodings, OGC 17-083r4's
 * (TMS 2.0: id, crs, tileMatrices, pointOfOrigin) and 17-083r2's (TMS 1.0:
 * identifier, supportedCRS, tileMatrix, topLeftCorner), member for member:
 * GDAL 3.6's OGC API driver reads only the older one, newer clients the
 * newer, and neither objects to the other's members.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../geo/webmerc.h"
#include "../render/style.h"
#include "../util/jsonw.h"
#include "handlers.h"
#include "ogc.h"

/* OGC 17-083r4 §6.1.1: a standardised rendering pixel is 0.28 mm. */
#define STANDARD_PIXEL_M 0.00028
#define CRS_EPSG3857 "http://www.opengis.net/def/crs/EPSG/0/3857"
#define REL_TILING_SCHEME "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
#define REL_GEODATA "http://www.opengis.net/def/rel/ogc/1.0/geodata"
#define TILES_PATH "/collections/" SITES_COLLECTION

/* The tile matrix sets, in enum coordsys order (WGS-84, GCJ-02), so that a
 * set's index is the system its tiles are drawn in. */
static const char *const tms_ids[] = {"WebMercatorQuad", "GCJ02WebMercatorQuad", NULL};
enum { TMS_WEBMERC, TMS_GCJ02, TMS_COUNT };
_Static_assert((int)TMS_WEBMERC == (int)COORDSYS_WGS84 && (int)TMS_GCJ02 == (int)COORDSYS_GCJ02,
               "a set's index is its coordsys");

#define SPEC_TMS                                                                                             \
	{                                                                                                    \
		.name = "tileMatrixSetId", .in = HTTP_IN_PATH, .type = HTTP_T_ENUM, .required = true,        \
		.values = tms_ids,                                                                           \
		.desc =                                                                                      \
		    "WebMercatorQuad, or GCJ02WebMercatorQuad: the same grid over GCJ-02 (AMap, Tencent)."   \
	}
#define SPEC_STYLE                                                                                           \
	{                                                                                                    \
		.name = "styleId", .in = HTTP_IN_PATH, .type = HTTP_T_STRING, .required = true,              \
		.desc = "A style of the styles folder."                                                      \
	}
#define SPEC_TILE                                                                                            \
	{.name = "tileMatrix",                                                                               \
	 .in = HTTP_IN_PATH,                                                                                 \
	 .type = HTTP_T_INT,                                                                                 \
	 .required = true,                                                                                   \
	 .min = 0,                                                                                           \
	 .max = WEBMERC_MAX_ZOOM,                                                                            \
	 .flags = HTTP_PF_MAX_ZOOM,                                                                          \
	 .desc = "The tile matrix: the zoom level."},                                                        \
	    {.name = "tileRow",                                                                              \
	     .in = HTTP_IN_PATH,                                                                             \
	     .type = HTTP_T_INT,                                                                             \
	     .required = true,                                                                               \
	     .min = 0,                                                                                       \
	     .max = (1 << WEBMERC_MAX_ZOOM) - 1,                                                             \
	     .desc = "Row, 0 at the north."},                                                                \
	{                                                                                                    \
		.name = "tileCol", .in = HTTP_IN_PATH, .type = HTTP_T_INT, .required = true, .min = 0,       \
		.max = (1 << WEBMERC_MAX_ZOOM) - 1, .desc = "Column, 0 at the west."                         \
	}

static const struct http_pspec tms_list_specs[] = {HTTP_SPEC_F_JSON};
static const struct http_pspec tms_specs[] = {SPEC_TMS, HTTP_SPEC_F_JSON};
static const struct http_pspec tilesets_specs[] = {HTTP_SPEC_COLLECTION, HTTP_SPEC_F_JSON};
static const struct http_pspec style_tilesets_specs[] = {HTTP_SPEC_COLLECTION, SPEC_STYLE, HTTP_SPEC_F_JSON};
static const struct http_pspec tileset_specs[] = {HTTP_SPEC_COLLECTION, SPEC_TMS, HTTP_SPEC_F_JSON};
static const struct http_pspec style_tileset_specs[] = {HTTP_SPEC_COLLECTION, SPEC_STYLE, SPEC_TMS,
                                                        HTTP_SPEC_F_JSON};
/* The versions of the tileset's template (h_tiles.c): immutable tiles. */
#define SPEC_V                                                                                               \
	{                                                                                                    \
		.name = "v", .type = HTTP_T_STRING,                                                          \
		.desc = "The data and style versions the tileset's template names: such a tile is "          \
		        "immutable; an old version redirects to the current one."                            \
	}
static const struct http_pspec tile_specs[] = {HTTP_SPEC_COLLECTION, SPEC_TMS, SPEC_TILE, SPEC_V};
static const struct http_pspec style_tile_specs[] = {HTTP_SPEC_COLLECTION, SPEC_STYLE, SPEC_TMS, SPEC_TILE,
                                                     SPEC_V};
const struct http_params h_tms_list_params = HTTP_PARAMS(tms_list_specs);
const struct http_params h_tms_params = HTTP_PARAMS(tms_specs);
const struct http_params h_tilesets_params = HTTP_PARAMS(tilesets_specs);
const struct http_params h_style_tilesets_params = HTTP_PARAMS(style_tilesets_specs);
const struct http_params h_tileset_params = HTTP_PARAMS(tileset_specs);
const struct http_params h_style_tileset_params = HTTP_PARAMS(style_tileset_specs);
const struct http_params h_ogc_tile_params = HTTP_PARAMS(tile_specs);
const struct http_params h_style_ogc_tile_params = HTTP_PARAMS(style_tile_specs);

static const char *const tms_titles[TMS_COUNT] = {
    "Google Maps Compatible for the World (Web Mercator)",
    "Web Mercator over GCJ-02 (AMap, Tencent): not an EPSG CRS",
};

/* The set's URI: OGC's register for WebMercatorQuad, this server's
 * document for the GCJ-02 one, which no register holds. */
static void tms_uri(const struct http_ctx *c, struct buf *b, int tms)
{
	if (tms == TMS_WEBMERC)
		buf_puts(b, "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad");
	else
		buf_printf(b, "%s/tileMatrixSets/%s", c->base_url, tms_ids[tms]);
}

/* A TMS's or tileset's crs: EPSG:3857's URI, or for GCJ-02 a reference
 * system described in words (OGC 17-083r4's crs may be an object with a
 * "referenceSystem"), so that no client mistakes it for EPSG:3857. */
static void write_crs(struct jsonw *w, int tms)
{
	if (tms == TMS_WEBMERC) {
		jw_string(w, CRS_EPSG3857);
		return;
	}
	jw_object_begin(w);
	jw_key(w, "referenceSystem");
	jw_object_begin(w);
	jw_key(w, "name");
	jw_string(w, "Web Mercator of GCJ-02 coordinates");
	jw_key(w, "description");
	jw_string(w,
	          "GCJ-02 is the datum of AMap and Tencent maps: WGS-84 shifted by a published "
	          "obfuscation of up to about 700 m.  It has no EPSG code.  Tiles of this set line up with "
	          "GCJ-02 basemaps, and are off by that shift on WGS-84 ones.");
	jw_object_end(w);
	jw_object_end(w);
}

static void link_obj(struct jsonw *w, const char *href, const char *rel, const char *type, bool templated)
{
	jw_object_begin(w);
	jw_key(w, "href");
	jw_string(w, href);
	jw_key(w, "rel");
	jw_string(w, rel);
	jw_key(w, "type");
	jw_string(w, type);
	if (templated) {
		jw_key(w, "templated");
		jw_bool(w, true);
	}
	jw_object_end(w);
}

void h_tms_list(struct http_ctx *c, struct http_response *r)
{
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "links");
	jw_array_begin(&w);
	ogc_link(&w, c, "/tileMatrixSets", "self", "application/json", "The tile matrix sets");
	jw_array_end(&w);
	jw_key(&w, "tileMatrixSets");
	jw_array_begin(&w);
	for (int t = 0; t < TMS_COUNT; t++) {
		struct buf b = BUF_INIT;
		jw_object_begin(&w);
		jw_key(&w, "id");
		jw_string(&w, tms_ids[t]);
		jw_key(&w, "title");
		jw_string(&w, tms_titles[t]);
		jw_key(&w, "uri");
		tms_uri(c, &b, t);
		jw_string(&w, buf_str(&b));
		jw_key(&w, "links");
		jw_array_begin(&w);
		buf_reset(&b);
		buf_printf(&b, "%s/tileMatrixSets/%s", c->base_url, tms_ids[t]);
		link_obj(&w, buf_str(&b), "self", "application/json", false);
		jw_array_end(&w);
		jw_object_end(&w);
		buf_free(&b);
	}
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->cacheable = true;
}

/* One tile matrix: zoom z of the Web Mercator grid, in both encodings. */
static void write_matrix(struct jsonw *w, int z)
{
	double cell = 2 * WEBMERC_HALF / WEBMERC_TILE_SIZE / ldexp(1, z); /* metres per pixel */
	char id[16];
	snprintf(id, sizeof id, "%d", z);
	jw_object_begin(w);
	jw_key(w, "id");
	jw_string(w, id);
	jw_key(w, "identifier");
	jw_string(w, id);
	jw_key(w, "type");
	jw_string(w, "TileMatrixType");
	jw_key(w, "scaleDenominator");
	jw_fixed(w, cell / STANDARD_PIXEL_M, 10);
	jw_key(w, "cellSize");
	jw_fixed(w, cell, 12);
	jw_key(w, "cornerOfOrigin");
	jw_string(w, "topLeft");
	for (int k = 0; k < 2; k++) {
		jw_key(w, k ? "topLeftCorner" : "pointOfOrigin");
		jw_array_begin(w);
		jw_fixed(w, -WEBMERC_HALF, 9);
		jw_fixed(w, WEBMERC_HALF, 9);
		jw_array_end(w);
	}
	jw_key(w, "tileWidth");
	jw_int(w, WEBMERC_TILE_SIZE);
	jw_key(w, "tileHeight");
	jw_int(w, WEBMERC_TILE_SIZE);
	jw_key(w, "matrixWidth");
	jw_int(w, (int64_t)1 << z);
	jw_key(w, "matrixHeight");
	jw_int(w, (int64_t)1 << z);
	jw_object_end(w);
}

void h_tms(struct http_ctx *c, struct http_response *r)
{
	int t = (int)http_arg(c, "tileMatrixSetId")->i;
	struct buf uri = BUF_INIT;
	tms_uri(c, &uri, t);
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "id");
	jw_string(&w, tms_ids[t]);
	jw_key(&w, "identifier");
	jw_string(&w, tms_ids[t]);
	jw_key(&w, "type");
	jw_string(&w, "TileMatrixSetType");
	jw_key(&w, "title");
	jw_string(&w, tms_titles[t]);
	jw_key(&w, "uri");
	jw_string(&w, buf_str(&uri));
	jw_key(&w, "crs");
	write_crs(&w, t);
	if (t == TMS_WEBMERC) { /* TMS 1.0 has no words for the other */
		jw_key(&w, "supportedCRS");
		jw_string(&w, CRS_EPSG3857);
	}
	jw_key(&w, "orderedAxes");
	jw_raw(&w, "[\"E\",\"N\"]");
	jw_key(&w, "wellKnownScaleSet");
	jw_string(&w, "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible");
	for (int k = 0; k < 2; k++) {
		jw_key(&w, k ? "tileMatrix" : "tileMatrices");
		jw_array_begin(&w);
		/* the whole registered set; a tileset's limits say which
		 * matrices this server draws (its --max-zoom) */
		for (int z = 0; z <= WEBMERC_MAX_ZOOM; z++)
			write_matrix(&w, z);
		jw_array_end(&w);
	}
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	buf_free(&uri);
	r->cacheable = true;
}

/* The style a styled route names (NULL after a 404), or the default. */
static const struct style *route_style(struct http_ctx *c, struct http_response *r, bool styled)
{
	if (!styled)
		return c->gen->def;
	const char *name = http_arg(c, "styleId")->text;
	const struct style *st = mapservice_style(c->gen, name);
	if (!st)
		http_problem(r, 404,
		             "styleId: no style '%.100s' (see /collections/" SITES_COLLECTION "/map/tiles)",
		             name);
	return st;
}

/* The path of a tileset: the default style's has no style in it. */
static void tileset_path(struct buf *b, const struct http_ctx *c, const struct style *st, bool default_style,
                         int tms)
{
	buf_puts(b, c->base_url);
	buf_puts(b, TILES_PATH);
	if (!default_style) {
		buf_puts(b, "/styles/");
		http_url_encode(b, st->name);
	}
	buf_printf(b, "/map/tiles/%s", tms_ids[tms]);
}

static void tileset_title(struct buf *b, const struct style *st, int tms)
{
	buf_printf(b, "Red-resource sites, style %s, %s", st->title[0] ? st->title : st->name,
	           tms == TMS_WEBMERC ? "Web Mercator (WGS-84)"
	                              : "Web Mercator over GCJ-02 (AMap, Tencent basemaps)");
}

/* The members a tileset's entry in a list and its own document share. */
static void tileset_members(struct jsonw *w, const struct http_ctx *c, const struct style *st, int tms)
{
	struct buf b = BUF_INIT;
	jw_key(w, "title");
	tileset_title(&b, st, tms);
	jw_string(w, buf_str(&b));
	jw_key(w, "dataType");
	jw_string(w, "map");
	jw_key(w, "crs");
	write_crs(w, tms);
	jw_key(w, "tileMatrixSetURI");
	buf_reset(&b);
	tms_uri(c, &b, tms);
	jw_string(w, buf_str(&b));
	jw_key(w, "styleId");
	jw_string(w, st->name);
	buf_free(&b);
}

static void write_tileset_entry(struct jsonw *w, const struct http_ctx *c, const struct style *st, bool def,
                                int tms)
{
	struct buf b = BUF_INIT;
	jw_object_begin(w);
	tileset_members(w, c, st, tms);
	jw_key(w, "links");
	jw_array_begin(w);
	tileset_path(&b, c, st, def, tms);
	link_obj(w, buf_str(&b), "self", "application/json", false);
	buf_reset(&b);
	buf_printf(&b, "%s/tileMatrixSets/%s", c->base_url, tms_ids[tms]);
	link_obj(w, buf_str(&b), REL_TILING_SCHEME, "application/json", false);
	jw_array_end(w);
	jw_object_end(w);
	buf_free(&b);
}

static void tilesets(struct http_ctx *c, struct http_response *r, bool styled)
{
	const struct style *st = route_style(c, r, styled);
	if (!st)
		return;
	/* The request's generation: its styles, with the default among them. */
	size_t n = c->gen->nstyles;
	const struct style *def = c->gen->def, *all = c->gen->styles;
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "links");
	jw_array_begin(&w);
	struct buf self = BUF_INIT;
	ogc_self_url(c, &self, NULL, NULL, NULL);
	link_obj(&w, buf_str(&self), "self", "application/json", false);
	buf_free(&self);
	ogc_link(&w, c, TILES_PATH, REL_GEODATA, "application/json", "The collection");
	jw_array_end(&w);
	jw_key(&w, "tilesets");
	jw_array_begin(&w);
	/* The style's tilesets first (WebMercatorQuad first of all: a client
	 * that takes the first map tileset gets the WGS-84 one); the list of
	 * the collection itself goes on with every other style's. */
	for (int t = 0; t < TMS_COUNT; t++)
		write_tileset_entry(&w, c, st, !styled, t);
	for (size_t i = 0; !styled && i < n; i++)
		for (int t = 0; t < TMS_COUNT && &all[i] != def; t++)
			write_tileset_entry(&w, c, &all[i], false, t);
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	r->cacheable = true;
}

void h_tilesets(struct http_ctx *c, struct http_response *r)
{
	tilesets(c, r, c->spec == &h_style_tilesets_params);
}

void h_tileset(struct http_ctx *c, struct http_response *r)
{
	bool styled = c->spec == &h_style_tileset_params;
	const struct style *st = route_style(c, r, styled);
	if (!st)
		return;
	int tms = (int)http_arg(c, "tileMatrixSetId")->i;
	const struct snapshot *s = c->snap;
	struct buf b = BUF_INIT;
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	tileset_members(&w, c, st, tms);
	jw_key(&w, "description");
	jw_string(&w, st->sites
	                  ? "Markers by category, clusters and names of the red-resource sites, 256 px PNG "
	                    "tiles with transparency, for an overlay; the same tiles as /tiles/."
	                  : "The style's background and context layers, no sites, 256 px PNG tiles; the "
	                    "same tiles as /tiles/.");
	if (s->n && st->sites) {
		/* where the sites are, in CRS84 (OGC 20-057 §6.2's boundingBox) */
		jw_key(&w, "boundingBox");
		jw_object_begin(&w);
		jw_key(&w, "lowerLeft");
		jw_array_begin(&w);
		jw_fixed(&w, s->west, 6);
		jw_fixed(&w, s->south, 6);
		jw_array_end(&w);
		jw_key(&w, "upperRight");
		jw_array_begin(&w);
		jw_fixed(&w, s->east, 6);
		jw_fixed(&w, s->north, 6);
		jw_array_end(&w);
		jw_key(&w, "crs");
		jw_string(&w, CRS_CRS84);
		jw_object_end(&w);
	}
	/* the matrices drawn: every tile of zoom 0 to --max-zoom (an empty one
	 * is the shared transparent PNG) */
	jw_key(&w, "tileMatrixSetLimits");
	jw_array_begin(&w);
	for (int z = 0; z <= (int)c->cfg->max_zoom; z++) {
		char id[16];
		snprintf(id, sizeof id, "%d", z);
		jw_object_begin(&w);
		jw_key(&w, "tileMatrix");
		jw_string(&w, id);
		jw_key(&w, "minTileRow");
		jw_int(&w, 0);
		jw_key(&w, "maxTileRow");
		jw_int(&w, ((int64_t)1 << z) - 1);
		jw_key(&w, "minTileCol");
		jw_int(&w, 0);
		jw_key(&w, "maxTileCol");
		jw_int(&w, ((int64_t)1 << z) - 1);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_key(&w, "links");
	jw_array_begin(&w);
	tileset_path(&b, c, st, !styled, tms);
	link_obj(&w, buf_str(&b), "self", "application/json", false);
	/* versioned, as TileJSON's: cached for good, changed by a reload */
	char ver[HTTP_TILES_VERSION_LEN];
	h_tiles_version(c, st, ver);
	buf_printf(&b, "/{tileMatrix}/{tileRow}/{tileCol}?v=%s", ver);
	link_obj(&w, buf_str(&b), "item", "image/png", true);
	buf_reset(&b);
	buf_printf(&b, "%s/tileMatrixSets/%s", c->base_url, tms_ids[tms]);
	link_obj(&w, buf_str(&b), REL_TILING_SCHEME, "application/json", false);
	buf_reset(&b);
	buf_printf(&b, "%s" TILES_PATH, c->base_url);
	link_obj(&w, buf_str(&b), REL_GEODATA, "application/json", false);
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
	buf_free(&b);
	r->cacheable = true;
}

void h_ogc_tile(struct http_ctx *c, struct http_response *r)
{
	bool styled = c->spec == &h_style_ogc_tile_params;
	const struct style *st = route_style(c, r, styled);
	if (!st)
		return;
	int tms = (int)http_arg(c, "tileMatrixSetId")->i;
	long long z = http_arg(c, "tileMatrix")->i, row = http_arg(c, "tileRow")->i,
	          col = http_arg(c, "tileCol")->i;
	const struct http_arg *v = http_arg(c, "v");
	if (v->given) {
		struct buf path = BUF_INIT;
		tileset_path(&path, c, st, !styled, tms);
		buf_printf(&path, "/%lld/%lld/%lld", z, row, col);
		/* tileset_path starts with the base URL, which the check adds */
		int ok =
		    h_tiles_check_version(c, r, st, v->text, buf_str(&path) + strlen(c->base_url), "", "v");
		buf_free(&path);
		if (ok <= 0)
			return;
	}
	h_tiles_serve(c, r, st, (int)z, col, row, (enum coordsys)tms, v->given);
}

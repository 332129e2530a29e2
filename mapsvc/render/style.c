/*
 * style.c - parsing the text of styles/NAME.json into a struct style; see
 * style.h and styles/README.md, which documents the accepted subset of the
 * MapLibre GL style specification (https://maplibre.org/maplibre-style-spec/).
 *
 * jansson parses the text and reports the line of a syntax error.  It does
 * not keep positions of values, so for a semantic error (a bad colour, an
 * unknown property) the reader keeps the JSON path of what it is reading
 * (layers[2].paint.circle-color) in a struct jsonpos, which finds the line
 * of that member only when reading fails (util/jsonpos.h).
 *
 * This file holds the style's structure: the top-level members, the
 * sources, the layers and what each role reads into struct style.  The
 * values and expressions are read by style_expr.c, the roles and the
 * properties each may set are tabled in style_props.c, and the geometry
 * of context sources comes from the caller's resolver: nothing here opens
 * a file.
 */
#include "style.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xxhash.h>

#include "../util/jsonpos.h"
#include "../util/mem.h"
#include "geodata.h"
#include "style_expr.h"
#include "style_props.h"

/* MapLibre's defaults for the sites source: clusters end one zoom below
 * the source's default maxzoom of 18, and merge within 50 px. */
#define CLUSTER_MAXZOOM_DEFAULT 17
#define CLUSTER_RADIUS_DEFAULT 50.0
#define CLUSTER_RADIUS_MAX 512.0
/* Ranges styles/README.md documents for each size, px. */
#define CIRCLE_RADIUS_MAX 100.0
#define STROKE_WIDTH_MAX 20.0
#define TEXT_SIZE_MAX 128.0
#define TEXT_GAP_MAX 64.0
#define HALO_WIDTH_MAX 16.0
#define LINE_WIDTH_MAX 64.0
/* Sizes a present layer starts from when its paint leaves them out. */
#define CIRCLE_RADIUS_MAPLIBRE 5.0 /* MapLibre's default circle-radius */
#define TEXT_SIZE_MAPLIBRE 16.0    /* MapLibre's default text-size */
#define TEXT_SIZE_ABSENT 12.0      /* text of an absent layer (not drawn) */
#define LABEL_GAP_DEFAULT 2.0
/* Approximate sites when a style says nothing of them: a hole of half the
 * radius in white, a grey circle line that shows on light and dark maps
 * (no fill: a disc hundreds of pixels wide costs its area in every tile
 * it covers, a line only its length), and "~" before a cluster's count. */
#define APPROX_HOLE_DEFAULT 0.5
#define UNCERTAINTY_STROKE_WIDTH_DEFAULT 1.0
#define UNCERTAINTY_STROKE_WIDTH_MAX 8.0
#define APPROX_PREFIX_DEFAULT "~"
/* The only "version" of the style specification there is. */
#define STYLE_SPEC_VERSION 8
/* Mixes the context files' hashes into one seed for the style's version. */
#define HASH_MIX 0x9E3779B97F4A7C15ull

/* The reading context: where in the text, and the context sources
 * declared so far (names borrowed from the JSON). */
struct reader {
	struct jsonpos pos;
	const struct style_resolver *resolver;
	const char *src_name[STYLE_MAX_CONTEXT];
	const struct geodata *src_data[STYLE_MAX_CONTEXT];
	int nsrc;
};

static const struct rgba BLACK = {0, 0, 0, 255}, CLEAR = {0, 0, 0, 0}, WHITE = {255, 255, 255, 255};
static const struct rgba UNCERTAINTY_FILL_DEFAULT = {0, 0, 0, 0},
                         UNCERTAINTY_STROKE_DEFAULT = {96, 96, 96, 140};

static void num_const(struct style_num *n, double v)
{
	n->n = 1;
	n->z[0] = 0;
	n->v[0] = v;
}

/* Fails at the member key of the current path. */
static bool fail_at(struct jsonpos *p, const char *key, const char *reason)
{
	jsonpos_push_key(p, key);
	jsonpos_fail(p, "%s", reason);
	jsonpos_pop(p);
	return false;
}

/* ---- properties of one layer ---------------------------------------- */

/* Every member of obj ("layout" or "paint") must be a property known for
 * this role. */
static bool check_props(struct jsonpos *p, const json_t *obj, bool layout, enum style_role r)
{
	const char *key;
	const json_t *val;
	json_object_foreach((json_t *)obj, key, val)
	{
		enum style_props_fit fit = style_props_check(r, layout, key);
		if (fit == STYLE_PROP_OK)
			continue;
		jsonpos_push_key(p, key);
		if (fit == STYLE_PROP_ELSEWHERE)
			jsonpos_fail(p, "\"%s\" is not supported in %s of a %s layer", key,
			             layout ? "layout" : "paint", style_props_role_name(r));
		else
			jsonpos_fail(p, "unknown %s property \"%s\"", layout ? "layout" : "paint", key);
		jsonpos_pop(p);
		return false;
	}
	return true;
}

/* A layer's "layout" or "paint" object. */
struct section {
	const json_t *obj;
	const char *name; /* "layout" or "paint" */
};

/* The value of key in section s, with its path pushed while it is read. */
static const json_t *sec_get(struct jsonpos *p, const struct section *s, const char *key)
{
	const json_t *v = s->obj ? json_object_get(s->obj, key) : NULL;
	if (v) {
		jsonpos_push_key(p, s->name);
		jsonpos_push_key(p, key);
	}
	return v;
}

static void sec_done(struct jsonpos *p)
{
	jsonpos_pop(p);
	jsonpos_pop(p);
}

/* Reads property key of section sec, if present, with call (which sees
 * the value as v), and returns false from the enclosing function when the
 * value is bad. */
#define READ(p, sec, key, call)                                                                              \
	do {                                                                                                 \
		const json_t *v = sec_get((p), &(sec), key);                                                 \
		if (v) {                                                                                     \
			bool ok_ = (call);                                                                   \
			sec_done(p);                                                                         \
			if (!ok_)                                                                            \
				return false;                                                                \
		}                                                                                            \
	} while (0)

/* text-font: a list of font names, or the vendor "mapsvc:font-file". */
static bool get_font_list(struct jsonpos *p, const json_t *v)
{
	if (!json_is_array(v) || json_array_size(v) == 0)
		return jsonpos_fail(p, "text-font: expected an array of font names");
	size_t i;
	const json_t *name;
	json_array_foreach(v, i, name)
	{
		if (!json_is_string(name))
			return jsonpos_fail(p, "text-font: expected font names, got %s",
			                    style_expr_type_name(name));
		const char *s = json_string_value(name);
		/* The bundled font, which glyphs.c opens by default: nothing
		 * to record ("mapsvc:font-file" names another one). */
		if (strcmp(s, "WenQuanYi Micro Hei") == 0 || strcmp(s, "WenQuanYi Micro Hei Regular") == 0)
			return true;
	}
	return jsonpos_fail(p, "text-font: no known font in the list (use \"WenQuanYi Micro Hei\" or layout "
	                       "\"mapsvc:font-file\")");
}

static bool get_font_file(struct jsonpos *p, const json_t *v, struct style *st)
{
	if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof st->font || !json_string_value(v)[0])
		return jsonpos_fail(p, "mapsvc:font-file: expected a font file path");
	snprintf(st->font, sizeof st->font, "%s", json_string_value(v));
	return true;
}

static bool read_markers(struct jsonpos *p, const struct section *layout, const struct section *paint,
                         struct style *st)
{
	num_const(&st->marker_size, CIRCLE_RADIUS_MAPLIBRE);
	num_const(&st->marker_outline_width, 0);
	st->marker_outline = BLACK;
	for (int k = 0; k < CAT_COUNT; k++) {
		st->marker_color[k] = BLACK;
		st->marker_shape[k] = SHAPE_CIRCLE;
	}
	READ(p, *paint, "circle-radius",
	     style_expr_zoom_num(p, v, "circle-radius", 0, CIRCLE_RADIUS_MAX, &st->marker_size));
	READ(p, *paint, "circle-color",
	     style_expr_by_category(p, v, "circle-color", style_expr_colour, st->marker_color,
	                            sizeof st->marker_color[0]));
	READ(p, *paint, "circle-stroke-color",
	     style_expr_colour(p, v, "circle-stroke-color", &st->marker_outline));
	READ(
	    p, *paint, "circle-stroke-width",
	    style_expr_zoom_num(p, v, "circle-stroke-width", 0, STROKE_WIDTH_MAX, &st->marker_outline_width));
	READ(p, *layout, "mapsvc:marker-shape",
	     style_expr_by_category(p, v, "mapsvc:marker-shape", style_expr_shape, st->marker_shape,
	                            sizeof st->marker_shape[0]));
	st->approx_hole = APPROX_HOLE_DEFAULT;
	st->approx_fill = WHITE;
	st->uncertainty_fill = UNCERTAINTY_FILL_DEFAULT;
	st->uncertainty_stroke = UNCERTAINTY_STROKE_DEFAULT;
	st->uncertainty_stroke_width = UNCERTAINTY_STROKE_WIDTH_DEFAULT;
	READ(p, *paint, "mapsvc:approximate-hole",
	     style_expr_number(p, v, "mapsvc:approximate-hole", 0, STYLE_APPROX_HOLE_MAX, &st->approx_hole));
	READ(p, *paint, "mapsvc:approximate-fill-color",
	     style_expr_colour(p, v, "mapsvc:approximate-fill-color", &st->approx_fill));
	READ(p, *paint, "mapsvc:uncertainty-color",
	     style_expr_colour(p, v, "mapsvc:uncertainty-color", &st->uncertainty_fill));
	READ(p, *paint, "mapsvc:uncertainty-stroke-color",
	     style_expr_colour(p, v, "mapsvc:uncertainty-stroke-color", &st->uncertainty_stroke));
	READ(p, *paint, "mapsvc:uncertainty-stroke-width",
	     style_expr_number(p, v, "mapsvc:uncertainty-stroke-width", 0, UNCERTAINTY_STROKE_WIDTH_MAX,
	                       &st->uncertainty_stroke_width));
	return true;
}

/* mapsvc:approximate-prefix: a short text ("" for none). */
static bool get_prefix(struct jsonpos *p, const json_t *v, struct style *st)
{
	if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof st->approx_prefix)
		return jsonpos_fail(p, "mapsvc:approximate-prefix: expected a text of at most %zu bytes",
		                    sizeof st->approx_prefix - 1);
	snprintf(st->approx_prefix, sizeof st->approx_prefix, "%s", json_string_value(v));
	return true;
}

static bool read_clusters(struct jsonpos *p, const struct section *paint, struct style *st)
{
	num_const(&st->cluster_size, CIRCLE_RADIUS_MAPLIBRE);
	st->cluster_color = BLACK;
	st->cluster_outline = BLACK;
	st->cluster_outline_width = 0;
	READ(p, *paint, "circle-radius",
	     style_expr_zoom_num(p, v, "circle-radius", 0, CIRCLE_RADIUS_MAX, &st->cluster_size));
	READ(p, *paint, "circle-color", style_expr_colour(p, v, "circle-color", &st->cluster_color));
	READ(p, *paint, "circle-stroke-color",
	     style_expr_colour(p, v, "circle-stroke-color", &st->cluster_outline));
	READ(p, *paint, "circle-stroke-width",
	     style_expr_number(p, v, "circle-stroke-width", 0, STROKE_WIDTH_MAX, &st->cluster_outline_width));
	return true;
}

/* A symbol layer: the cluster counts or the labels (r). */
static bool read_text(struct jsonpos *p, enum style_role r, const struct section *layout,
                      const struct section *paint, struct style *st)
{
	bool labels = r == STYLE_ROLE_LABELS;
	struct style_num *size = labels ? &st->label_size : &st->cluster_text_size;
	struct rgba *colour = labels ? &st->label_color : &st->cluster_text_color;
	num_const(size, TEXT_SIZE_MAPLIBRE);
	*colour = BLACK;
	const json_t *tf = layout->obj ? json_object_get(layout->obj, "text-field") : NULL;
	if (!tf) {
		jsonpos_push_key(p, layout->obj ? "layout" : "type");
		jsonpos_fail(p, "a %s layer needs layout \"text-field\"", style_props_role_name(r));
		jsonpos_pop(p);
		return false;
	}
	READ(p, *layout, "text-field",
	     labels ? (style_expr_text_field_is(v, "name_zh") ||
	               jsonpos_fail(
	                   p, "text-field: labels show [\"get\", \"name_zh\"] (the only field supported)"))
	            : (style_expr_text_field_is(v, "point_count_abbreviated") ||
	               style_expr_text_field_is(v, "point_count") ||
	               jsonpos_fail(
	                   p, "text-field: cluster counts show [\"get\", \"point_count_abbreviated\"]")));
	READ(p, *layout, "text-size", style_expr_zoom_num(p, v, "text-size", 1, TEXT_SIZE_MAX, size));
	READ(p, *layout, "text-font", get_font_list(p, v));
	READ(p, *layout, "mapsvc:font-file", get_font_file(p, v, st));
	READ(p, *paint, "text-color", style_expr_colour(p, v, "text-color", colour));
	if (!labels) {
		snprintf(st->approx_prefix, sizeof st->approx_prefix, "%s", APPROX_PREFIX_DEFAULT);
		READ(p, *layout, "mapsvc:approximate-prefix", get_prefix(p, v, st));
		return true;
	}
	st->label_halo = CLEAR;
	st->label_halo_width = 0;
	st->label_offset = LABEL_GAP_DEFAULT;
	READ(p, *layout, "text-anchor",
	     (json_is_string(v) && strcmp(json_string_value(v), "bottom") == 0) ||
	         jsonpos_fail(p, "text-anchor: labels sit above their marker: only \"bottom\" is supported"));
	READ(p, *layout, "mapsvc:text-gap",
	     style_expr_number(p, v, "mapsvc:text-gap", 0, TEXT_GAP_MAX, &st->label_offset));
	READ(p, *paint, "text-halo-color", style_expr_colour(p, v, "text-halo-color", &st->label_halo));
	READ(p, *paint, "text-halo-width",
	     style_expr_number(p, v, "text-halo-width", 0, HALO_WIDTH_MAX, &st->label_halo_width));
	return true;
}

/* Reads the paint and layout of a layer of role r (not a context role). */
static bool read_role(struct jsonpos *p, enum style_role r, const struct section *layout,
                      const struct section *paint, struct style *st)
{
	switch (r) {
	case STYLE_ROLE_BACKGROUND:
		st->background = BLACK; /* MapLibre's default */
		READ(p, *paint, "background-color",
		     style_expr_colour(p, v, "background-color", &st->background));
		return true;
	case STYLE_ROLE_SITES: return read_markers(p, layout, paint, st);
	case STYLE_ROLE_CLUSTERS: return read_clusters(p, paint, st);
	case STYLE_ROLE_CLUSTER_COUNT:
	case STYLE_ROLE_LABELS: return read_text(p, r, layout, paint, st);
	case STYLE_ROLE_FILL:
	case STYLE_ROLE_LINE:
	case STYLE_ROLE_COUNT: break;
	}
	return true;
}

/* A fill or line layer over a context source: one more entry of
 * st->context, in file order (the drawing order). */
static bool read_context_layer(struct jsonpos *p, enum style_role r, const struct geodata *data,
                               const double zoom[2], const struct section *paint, struct style *st)
{
	if (st->ncontext == STYLE_MAX_CONTEXT)
		return jsonpos_fail(p, "more than %d fill and line layers", STYLE_MAX_CONTEXT);
	struct style_context *cx = &st->context[st->ncontext];
	*cx = (struct style_context){.kind = r == STYLE_ROLE_FILL ? STYLE_CONTEXT_FILL : STYLE_CONTEXT_LINE,
	                             .data = data,
	                             .minzoom = zoom[0],
	                             .maxzoom = zoom[1],
	                             .color = BLACK};
	/* MapLibre's defaults: opacity 1, line-width 1 */
	num_const(&cx->opacity, 1);
	num_const(&cx->width, 1);
	if (r == STYLE_ROLE_FILL) {
		READ(p, *paint, "fill-color", style_expr_colour(p, v, "fill-color", &cx->color));
		READ(p, *paint, "fill-opacity",
		     style_expr_zoom_num(p, v, "fill-opacity", 0, 1, &cx->opacity));
	} else {
		READ(p, *paint, "line-color", style_expr_colour(p, v, "line-color", &cx->color));
		READ(p, *paint, "line-width",
		     style_expr_zoom_num(p, v, "line-width", 0, LINE_WIDTH_MAX, &cx->width));
		READ(p, *paint, "line-opacity",
		     style_expr_zoom_num(p, v, "line-opacity", 0, 1, &cx->opacity));
	}
	st->ncontext++;
	return true;
}

/* ---- one layer ------------------------------------------------------ */

/* Every member known, a string "id" used once: ids[idx] is set. */
static bool layer_id(struct jsonpos *p, const json_t *layer, const char **ids, size_t idx)
{
	const char *key;
	const json_t *val;
	json_object_foreach((json_t *)layer, key, val)
	{
		if (!style_props_layer_member(key)) {
			jsonpos_push_key(p, key);
			jsonpos_fail(p, "unknown layer member \"%s\"", key);
			jsonpos_pop(p);
			return false;
		}
	}
	const json_t *id = json_object_get(layer, "id");
	if (!json_is_string(id))
		return fail_at(p, id ? "id" : "type", "a layer needs a string \"id\"");
	ids[idx] = json_string_value(id);
	for (size_t i = 0; i < idx; i++)
		if (strcmp(ids[i], ids[idx]) == 0) {
			jsonpos_push_key(p, "id");
			jsonpos_fail(p, "layer id \"%s\" is used twice", ids[idx]);
			jsonpos_pop(p);
			return false;
		}
	return true;
}

/* The layer's role from its type and filter, once per role but context. */
static bool layer_role(struct jsonpos *p, const json_t *layer, const char *id, bool seen[STYLE_ROLE_COUNT],
                       enum style_role *r)
{
	const json_t *type = json_object_get(layer, "type");
	if (!json_is_string(type)) {
		jsonpos_push_key(p, type ? "type" : "id");
		jsonpos_fail(p, "layer \"%s\" needs a string \"type\"", id);
		jsonpos_pop(p);
		return false;
	}
	const char *t = json_string_value(type);
	bool clusters = false;
	if ((strcmp(t, "circle") == 0 || strcmp(t, "symbol") == 0) &&
	    !style_props_filter(json_object_get(layer, "filter"), &clusters))
		return fail_at(
		    p, "filter",
		    "only [\"has\", \"point_count\"] and [\"!\", [\"has\", \"point_count\"]] filters are "
		    "supported");
	jsonpos_push_key(p, "type");
	bool ok = true;
	if (!style_props_role_of(t, clusters, r))
		ok = jsonpos_fail(p, "unknown layer type \"%s\" (background, fill, line, circle or symbol)",
		                  t);
	else if (seen[*r] && !style_props_is_context(*r))
		ok = jsonpos_fail(p, "layer \"%s\": a second %s layer (only one is supported)", id,
		                  style_props_role_name(*r));
	jsonpos_pop(p);
	if (ok)
		seen[*r] = true;
	return ok;
}

/* A context layer's geometry: the file source its "source" names; other
 * layers may only name "sites" (and a background none). */
static bool layer_source(struct reader *rd, const json_t *layer, enum style_role r,
                         const struct geodata **data)
{
	struct jsonpos *p = &rd->pos;
	const json_t *src = json_object_get(layer, "source");
	*data = NULL;
	if (style_props_is_context(r)) {
		for (int i = 0; i < rd->nsrc && json_is_string(src); i++)
			if (strcmp(rd->src_name[i], json_string_value(src)) == 0)
				*data = rd->src_data[i];
		if (*data)
			return true;
		jsonpos_push_key(p, src ? "source" : "type");
		jsonpos_fail(p,
		             "a %s layer needs a \"source\" naming a GeoJSON file source of \"sources\" (not "
		             "\"sites\")",
		             style_props_role_name(r));
		jsonpos_pop(p);
		return false;
	}
	if (src && (r == STYLE_ROLE_BACKGROUND || !json_is_string(src) ||
	            strcmp(json_string_value(src), "sites") != 0))
		return fail_at(p, "source",
		               r == STYLE_ROLE_BACKGROUND ? "a background layer has no source"
		                                          : "the only source is \"sites\"");
	return true;
}

/* "minzoom"/"maxzoom" of member i (0 or 1) of a layer, into *z. */
static bool layer_zoom(struct jsonpos *p, const json_t *layer, int i, double *z)
{
	static const char *const names[2] = {"minzoom", "maxzoom"};
	const json_t *v = json_object_get(layer, names[i]);
	if (!v)
		return true;
	jsonpos_push_key(p, names[i]);
	bool ok = style_expr_number(p, v, names[i], 0, STYLE_MAX_ZOOM, z);
	jsonpos_pop(p);
	return ok;
}

/* A context layer's zoom range; elsewhere only the labels' minzoom is
 * allowed (read once the layer is known to be drawn). */
static bool layer_zooms(struct jsonpos *p, const json_t *layer, enum style_role r, double zoom[2])
{
	zoom[0] = 0;
	zoom[1] = STYLE_MAX_ZOOM + 1;
	if (style_props_is_context(r))
		return layer_zoom(p, layer, 0, &zoom[0]) && layer_zoom(p, layer, 1, &zoom[1]);
	const json_t *zmin = json_object_get(layer, "minzoom"), *zmax = json_object_get(layer, "maxzoom");
	if (zmax || (zmin && r != STYLE_ROLE_LABELS)) {
		const char *name = zmax ? "maxzoom" : "minzoom";
		jsonpos_push_key(p, name);
		jsonpos_fail(
		    p,
		    "\"%s\" is only supported as the labels layer's minzoom (clusters end at the source's "
		    "clusterMaxZoom)",
		    name);
		jsonpos_pop(p);
		return false;
	}
	return true;
}

/* "visibility": "none" keeps the layer in the file but out of the
 * picture, as in MapLibre. */
static bool layer_visible(struct jsonpos *p, const struct section *layout, bool *visible)
{
	const json_t *vis = layout->obj ? json_object_get(layout->obj, "visibility") : NULL;
	*visible = true;
	if (!vis)
		return true;
	jsonpos_push_key(p, "layout");
	jsonpos_push_key(p, "visibility");
	bool none = json_is_string(vis) && strcmp(json_string_value(vis), "none") == 0;
	bool ok = none || (json_is_string(vis) && strcmp(json_string_value(vis), "visible") == 0) ||
	          jsonpos_fail(p, "visibility: \"visible\" or \"none\"");
	jsonpos_pop(p);
	jsonpos_pop(p);
	*visible = !none;
	return ok;
}

static bool read_layer(struct reader *rd, const json_t *layer, bool seen[STYLE_ROLE_COUNT], const char **ids,
                       size_t idx, struct style *st)
{
	struct jsonpos *p = &rd->pos;
	if (!json_is_object(layer))
		return jsonpos_fail(p, "a layer must be an object, got %s", style_expr_type_name(layer));
	enum style_role r;
	const struct geodata *data;
	double zoom[2];
	if (!layer_id(p, layer, ids, idx) || !layer_role(p, layer, ids[idx], seen, &r) ||
	    !layer_source(rd, layer, r, &data) || !layer_zooms(p, layer, r, zoom))
		return false;
	struct section layout = {json_object_get(layer, "layout"), "layout"};
	struct section paint = {json_object_get(layer, "paint"), "paint"};
	const struct section *secs[2] = {&layout, &paint};
	for (int i = 0; i < 2; i++) {
		if (!secs[i]->obj)
			continue;
		jsonpos_push_key(p, secs[i]->name);
		bool ok = json_is_object(secs[i]->obj)
		              ? check_props(p, secs[i]->obj, i == 0, r)
		              : jsonpos_fail(p, "\"%s\" must be an object", secs[i]->name);
		jsonpos_pop(p);
		if (!ok)
			return false;
	}
	bool visible;
	if (!layer_visible(p, &layout, &visible))
		return false;
	if (!visible)
		return true;
	if (r != STYLE_ROLE_BACKGROUND && !style_props_is_context(r))
		st->sites = true;
	if (r == STYLE_ROLE_LABELS) {
		if (!layer_zoom(p, layer, 0, &zoom[0]))
			return false;
		st->label_minzoom = (int)ceil(zoom[0]);
	}
	if (style_props_is_context(r))
		return read_context_layer(p, r, data, zoom, &paint, st);
	return read_role(p, r, &layout, &paint, st);
}

/* ---- sources -------------------------------------------------------- */

/* Whether s holds a control character (an attribution is one line of
 * text). */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Adds a file source's attribution to the style's, once: "A, B" for two
 * sources that say A and B.  False when they no longer fit. */
static bool add_attribution(struct style *st, const char *text)
{
	size_t n = strlen(text), have = strlen(st->attribution);
	if (n == 0)
		return true;
	for (const char *at = st->attribution; (at = strstr(at, text)) != NULL; at += n)
		if ((at == st->attribution || (at - st->attribution >= 2 && !strncmp(at - 2, ", ", 2))) &&
		    (at[n] == '\0' || !strncmp(at + n, ", ", 2)))
			return true; /* said already */
	if (have + (have ? 2 : 0) + n >= sizeof st->attribution)
		return false;
	snprintf(st->attribution + have, sizeof st->attribution - have, "%s%s", have ? ", " : "", text);
	return true;
}

/* A context source: {"type": "geojson", "data": "basemap/NAME.geojson"},
 * resolved now so that a missing or broken file stops start-up; its
 * "attribution" goes to st's. */
static bool read_file_source(struct reader *rd, const char *name, const json_t *src, struct style *st)
{
	struct jsonpos *p = &rd->pos;
	if (!json_is_object(src))
		return jsonpos_fail(p, "source \"%s\" must be an object", name);
	if (rd->nsrc == STYLE_MAX_CONTEXT)
		return jsonpos_fail(p, "more than %d GeoJSON file sources", STYLE_MAX_CONTEXT);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)src, k, v)
	{
		bool ok = true;
		jsonpos_push_key(p, k);
		if (strcmp(k, "type") == 0)
			ok = (json_is_string(v) && strcmp(json_string_value(v), "geojson") == 0) ||
			     jsonpos_fail(p, "source \"%s\": only \"geojson\" sources are supported", name);
		else if (strcmp(k, "data") == 0)
			ok = (json_is_string(v) && json_string_value(v)[0] &&
			      json_string_value(v)[0] != '/' && !strstr(json_string_value(v), "://")) ||
			     jsonpos_fail(p,
			                  "source \"%s\": \"data\" must be a relative file path such as "
			                  "\"basemap/provinces.geojson\"",
			                  name);
		else if (strcmp(k, "attribution") == 0)
			ok = (json_is_string(v) && !has_control(json_string_value(v)) &&
			      add_attribution(st, json_string_value(v))) ||
			     jsonpos_fail(
			         p,
			         "source \"%s\": \"attribution\" must be text, and the sources' together "
			         "under %zu bytes",
			         name, sizeof st->attribution);
		else
			ok = jsonpos_fail(p, "unknown member \"%s\" of a GeoJSON file source", k);
		jsonpos_pop(p);
		if (!ok)
			return false;
	}
	const json_t *type = json_object_get(src, "type"), *data = json_object_get(src, "data");
	if (!type || !data)
		return jsonpos_fail(p, "source \"%s\" needs \"type\": \"geojson\" and \"data\"", name);
	jsonpos_push_key(p, "data");
	if (!rd->resolver || !rd->resolver->resolve)
		return jsonpos_fail(p, "source \"%s\": GeoJSON file sources cannot be read here (no loader)",
		                    name);
	/* The resolver's own error: its reason goes after this FILE:LINE. */
	struct ms_error rerr = {0};
	const struct geodata *g = NULL;
	if (rd->resolver->resolve(rd->resolver->arg, name, json_string_value(data), &g, &rerr) != MS_OK || !g)
		return jsonpos_fail(p, "%s", rerr.msg[0] ? rerr.msg : "cannot be read");
	jsonpos_pop(p);
	rd->src_name[rd->nsrc] = name;
	rd->src_data[rd->nsrc] = g;
	rd->nsrc++;
	return true;
}

/* The sites source: clustering parameters (its "data" is the server's). */
static bool read_sites_source(struct jsonpos *p, const json_t *src, struct style *st)
{
	if (!json_is_object(src))
		return jsonpos_fail(p, "source \"sites\" must be an object");
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)src, k, v)
	{
		jsonpos_push_key(p, k);
		bool ok = true;
		double d;
		if (strcmp(k, "type") == 0)
			ok = (json_is_string(v) && strcmp(json_string_value(v), "geojson") == 0) ||
			     jsonpos_fail(p, "the sites source is of type \"geojson\"");
		else if (strcmp(k, "cluster") == 0) {
			ok = json_is_boolean(v) || jsonpos_fail(p, "cluster: expected true or false");
			st->cluster = json_is_true(v);
		} else if (strcmp(k, "clusterMaxZoom") == 0) {
			ok = style_expr_number(p, v, "clusterMaxZoom", 0, STYLE_MAX_ZOOM, &d);
			if (ok && d != floor(d))
				ok = jsonpos_fail(p, "clusterMaxZoom: expected a whole zoom level");
			if (ok)
				st->cluster_maxzoom = (int)d;
		} else if (strcmp(k, "clusterRadius") == 0) {
			ok = style_expr_number(p, v, "clusterRadius", 0, CLUSTER_RADIUS_MAX, &d);
			if (ok)
				st->cluster_radius = d;
		} else if (strcmp(k, "data") != 0 && strcmp(k, "attribution") != 0)
			ok = jsonpos_fail(p, "unknown member \"%s\" of the sites source", k);
		jsonpos_pop(p);
		if (!ok)
			return false;
	}
	return true;
}

static bool read_sources(struct reader *rd, const json_t *sources, struct style *st)
{
	struct jsonpos *p = &rd->pos;
	if (!json_is_object(sources))
		return jsonpos_fail(p, "\"sources\" must be an object");
	const char *key;
	const json_t *src;
	json_object_foreach((json_t *)sources, key, src)
	{
		jsonpos_push_key(p, key);
		bool ok = strcmp(key, "sites") == 0 ? read_sites_source(p, src, st)
		                                    : read_file_source(rd, key, src, st);
		if (!ok)
			return false;
		jsonpos_pop(p);
	}
	return true;
}

/* ---- the file ------------------------------------------------------- */

/* Values for everything a style leaves out: an absent layer draws nothing
 * (see styles/README.md). */
static void style_defaults(struct style *st)
{
	memset(st, 0, sizeof *st);
	st->background = CLEAR;
	num_const(&st->marker_size, 0);
	num_const(&st->marker_outline_width, 0);
	for (int k = 0; k < CAT_COUNT; k++) {
		st->marker_color[k] = CLEAR;
		st->marker_shape[k] = SHAPE_CIRCLE;
	}
	st->marker_outline = CLEAR;
	st->cluster = false;
	st->cluster_maxzoom = CLUSTER_MAXZOOM_DEFAULT;
	st->cluster_radius = CLUSTER_RADIUS_DEFAULT;
	num_const(&st->cluster_size, 0);
	st->cluster_color = st->cluster_outline = st->cluster_text_color = CLEAR;
	st->cluster_outline_width = 0;
	num_const(&st->cluster_text_size, TEXT_SIZE_ABSENT);
	st->label_minzoom = STYLE_ZOOM_NEVER;
	num_const(&st->label_size, TEXT_SIZE_ABSENT);
	st->label_color = st->label_halo = CLEAR;
	st->label_halo_width = 0;
	st->label_offset = LABEL_GAP_DEFAULT;
	st->font[0] = '\0';
}

static bool read_layers(struct reader *rd, const json_t *layers, struct style *st)
{
	struct jsonpos *p = &rd->pos;
	if (!json_is_array(layers))
		return jsonpos_fail(p, layers ? "\"layers\" must be an array" : "missing \"layers\"");
	size_t nl = json_array_size(layers);
	const char **ids = xcalloc(nl + 1, sizeof *ids);
	bool seen[STYLE_ROLE_COUNT] = {false};
	bool ok = true;
	for (size_t i = 0; i < nl && ok; i++) {
		jsonpos_push_index(p, i);
		ok = read_layer(rd, json_array_get(layers, i), seen, ids, i, st);
		jsonpos_pop(p);
	}
	free(ids);
	return ok;
}

static bool read_style(struct reader *rd, const json_t *root, struct style *st)
{
	struct jsonpos *p = &rd->pos;
	if (!json_is_object(root))
		return jsonpos_fail(p, "a style is a JSON object");
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)root, key, v)
	{
		if (!style_props_top_member(key)) {
			jsonpos_push_key(p, key);
			return jsonpos_fail(p, "unknown top-level member \"%s\"", key);
		}
	}
	v = json_object_get(root, "version");
	jsonpos_push_key(p, "version");
	if (!v || !json_is_integer(v) || json_integer_value(v) != STYLE_SPEC_VERSION)
		return jsonpos_fail(p, v ? "\"version\" must be 8" : "missing \"version\": 8");
	jsonpos_pop(p);
	v = json_object_get(root, "name");
	if (v) {
		jsonpos_push_key(p, "name");
		if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof st->title)
			return jsonpos_fail(p, "\"name\" must be a string under %zu bytes", sizeof st->title);
		snprintf(st->title, sizeof st->title, "%s", json_string_value(v));
		jsonpos_pop(p);
	}
	v = json_object_get(root, "sources");
	if (v) {
		jsonpos_push_key(p, "sources");
		if (!read_sources(rd, v, st))
			return false;
		jsonpos_pop(p);
	}
	jsonpos_push_key(p, "layers");
	bool ok = read_layers(rd, json_object_get(root, "layers"), st);
	jsonpos_pop(p);
	return ok;
}

/* The file name without directory and ".json"; it names the style in
 * URLs (/tiles/{style}/...), so only URL-safe characters.  Failures are
 * reported at line 1. */
static bool style_name_from_file(struct jsonpos *p, const char *file, struct style *st)
{
	static const char ext[] = ".json";
	const size_t el = sizeof ext - 1;
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t n = strlen(base);
	if (n > el && strcmp(base + n - el, ext) == 0)
		n -= el;
	if (n == 0 || n >= sizeof st->name)
		return jsonpos_fail(p, "a style's file name must be 1 to %zu characters before .json",
		                    sizeof st->name - 1);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)base[i]) && base[i] != '-' && base[i] != '_')
			return jsonpos_fail(p,
			                    "a style's file name may hold only letters, digits, '-' and '_'");
	memcpy(st->name, base, n);
	st->name[n] = 0;
	return true;
}

enum ms_status style_parse(const char *file, const char *text, size_t len,
                           const struct style_resolver *resolver, struct style *out, struct ms_error *err)
{
	if (len > STYLE_MAX_BYTES)
		return ms_fail(err, MS_EDATA, "%s:1: larger than %d bytes", file, STYLE_MAX_BYTES);
	struct style st;
	style_defaults(&st);
	struct reader rd = {.resolver = resolver};
	jsonpos_init(&rd.pos, file, text, len, err);
	enum ms_status rc = MS_OK;
	json_error_t je;
	json_t *root = NULL;
	if (!jsonpos_refuse_nul(file, text, len, err))
		rc = MS_EDATA;
	else if (!(root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)))
		rc = ms_fail(err, MS_EDATA, "%s:%d: %s", file, je.line > 0 ? je.line : 1, je.text);
	else if (!style_name_from_file(&rd.pos, file, &st) || !read_style(&rd, root, &st))
		rc = MS_EDATA;
	if (rc == MS_OK) {
		if (!st.title[0])
			snprintf(st.title, sizeof st.title, "%s", st.name);
		/* The data files are part of the look: their hashes seed the
		 * style's, so a changed basemap changes every ETag. */
		uint64_t seed = 0;
		for (int i = 0; i < rd.nsrc; i++)
			seed = seed * HASH_MIX + rd.src_data[i]->hash;
		st.version = XXH3_64bits_withSeed(text, len, seed);
		*out = st;
	}
	json_decref(root);
	return rc;
}

const struct style *style_find(const struct style *styles, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(styles[i].name, name) == 0)
			return &styles[i];
	return NULL;
}

double style_eval(const struct style_num *num, double zoom)
{
	if (num->n <= 0)
		return 0;
	if (num->n == 1 || zoom <= num->z[0])
		return num->v[0];
	for (int i = 1; i < num->n; i++)
		if (zoom <= num->z[i]) {
			double t = (zoom - num->z[i - 1]) / (num->z[i] - num->z[i - 1]);
			return num->v[i - 1] + t * (num->v[i] - num->v[i - 1]);
		}
	return num->v[num->n - 1];
}

/*
 * style.h - how the map looks: a style file (styles/NAME.json, a small
 * documented subset of the MapLibre GL style spec, see styles/README.md)
 * read into a struct style that the tile renderer follows.
 *
 * A style is plain data, immutable once loaded, shared by all threads.
 * Sizes are in CSS pixels at scale 1 (an @2x tile multiplies them by 2).
 */
#ifndef MS_STYLE_H
#define MS_STYLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/site.h"
#include "../util/ms_error.h"
#include "canvas.h"
#include "raster.h"

#define STYLE_MAX_STOPS 8
/* label_minzoom of a style without a (visible) labels layer. */
#define STYLE_ZOOM_NEVER 99

/* A number that may depend on the zoom: linear interpolation between
 * stops, constant beyond the first and last ("interpolate", "linear",
 * "zoom" in MapLibre terms).  n == 1 is a constant. */
struct style_num {
	int n;
	double z[STYLE_MAX_STOPS];
	double v[STYLE_MAX_STOPS];
};

double style_eval(const struct style_num *num, double zoom);

/* Context layers (styles/README.md): "fill" and "line" layers over a
 * GeoJSON file source, drawn in file order under the site markers. */
#define STYLE_MAX_CONTEXT 16
enum style_context_kind { STYLE_CONTEXT_FILL, STYLE_CONTEXT_LINE };
struct geodata;
struct style_context {
	enum style_context_kind kind;
	const struct geodata *data; /* borrowed, valid until exit (geodata.h) */
	double minzoom, maxzoom;    /* drawn at minzoom <= zoom < maxzoom */
	struct rgba color;          /* fill-color / line-color */
	struct style_num opacity;   /* fill-opacity / line-opacity, 0..1 */
	struct style_num width;     /* line-width, px */
};

struct style {
	char name[64];    /* the file name without .json */
	char title[128];  /* the style's "name" member */
	uint64_t version; /* hash of the file's bytes: part of every ETag */
	struct rgba background; /* transparent for an overlay */

	/* site markers */
	struct style_num marker_size; /* radius, px */
	struct rgba marker_color[CAT_COUNT];
	enum marker_shape marker_shape[CAT_COUNT];
	struct rgba marker_outline;
	struct style_num marker_outline_width;

	/* clusters: markers that would overlap at zooms <= cluster_maxzoom merge */
	bool cluster;
	int cluster_maxzoom;
	double cluster_radius;           /* px: markers closer than this merge */
	struct style_num cluster_size;   /* radius of a cluster marker, px */
	struct rgba cluster_color, cluster_outline, cluster_text_color;
	double cluster_outline_width;
	struct style_num cluster_text_size;

	/* labels (name_zh) from label_minzoom on */
	int label_minzoom;
	struct style_num label_size;
	struct rgba label_color, label_halo;
	double label_halo_width;
	double label_offset; /* gap between the marker's top and the text, px */
	char font[256];      /* font file; "" for GLYPHS_DEFAULT_FONT */

	/* context layers under the markers; none in an overlay style */
	int ncontext;
	struct style_context context[STYLE_MAX_CONTEXT];
};

/* Reads one style file.  A broken file gives MS_EDATA with
 * "FILE:LINE: reason" (a broken GeoJSON source file adds its own
 * "FILE:LINE:" or "FILE:" and reason).  A source's "data" is a path
 * relative to the folder above the style's folder (share/mapsvc holds
 * styles/ and basemap/), else to its data/ subfolder (the source tree). */
enum ms_status style_load(const char *path, struct style *out, struct ms_error *err);
/* Every *.json in dir, sorted by name; *out is malloc'ed (free() it). */
enum ms_status style_load_dir(const char *dir, struct style **out, size_t *n, struct ms_error *err);
/* The style called name among n, or NULL. */
const struct style *style_find(const struct style *styles, size_t n, const char *name);

#endif

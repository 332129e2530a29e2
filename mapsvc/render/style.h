/*
 * style.h - how the map looks: the text of a style file (styles/NAME.json,
 * a small documented subset of the MapLibre GL style spec, see
 * styles/README.md) parsed into a struct style that the tile renderer
 * follows.
 *
 * Parsing is pure: it reads no file and no directory.  A style's context
 * sources (GeoJSON files its fill and line layers draw) are obtained
 * through a resolver the caller gives (struct style_resolver): the loader
 * (styleset/) reads and keeps them, tests may hand over geometry from
 * memory.  The parts live in their own modules: the JSON locator
 * (util/jsonpos.h), colours (colour.h), values and expressions
 * (style_expr.h), roles and properties (style_props.h).
 *
 * A style is plain data, immutable once parsed, shared by all threads; its
 * context layers borrow geometry from whoever resolved it (the styleset
 * owns both and frees them together).  Sizes are in CSS pixels at scale 1
 * (an @2x tile multiplies them by 2).
 */
#ifndef MS_STYLE_H
#define MS_STYLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../site/site.h"
#include "../util/ms_error.h"
#include "canvas.h"
#include "raster.h"

#define STYLE_MAX_STOPS 8
/* The highest zoom a stop, a minzoom or a maxzoom may name. */
#define STYLE_MAX_ZOOM 24.0
/* label_minzoom of a style without a (visible) labels layer. */
#define STYLE_ZOOM_NEVER 99
/* A style file is a few kilobytes; anything this large is refused. */
#define STYLE_MAX_BYTES (1 << 20)
/* An approximate site's hole is at most this part of its marker's radius,
 * so a ring of its category's colour always shows. */
#define STYLE_APPROX_HOLE_MAX 0.8
/* Uncertainty circles are drawn up to this radius (px at scale 1); a
 * larger one is wider than the view, and a tile would have to read sites
 * that far away to draw it. */
#define STYLE_UNCERTAINTY_MAX_PX 256.0

/* A number that may depend on the zoom: linear interpolation between
 * stops, constant beyond the first and last ("interpolate", "linear",
 * "zoom" in MapLibre terms, read by style_expr.h).  n == 1 is a constant. */
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
	const struct geodata *data; /* borrowed from the style's resolver */
	double minzoom, maxzoom;    /* drawn at minzoom <= zoom < maxzoom */
	struct rgba color;          /* fill-color / line-color */
	struct style_num opacity;   /* fill-opacity / line-opacity, 0..1 */
	struct style_num width;     /* line-width, px */
};

struct style {
	char name[64];          /* the file name without .json */
	char title[128];        /* the style's "name" member */
	uint64_t version;       /* hash of the file's bytes and its context files': part of every ETag */
	struct rgba background; /* transparent for an overlay */

	/* site markers */
	struct style_num marker_size; /* radius, px */
	struct rgba marker_color[CAT_COUNT];
	enum marker_shape marker_shape[CAT_COUNT];
	struct rgba marker_outline;
	struct style_num marker_outline_width;

	/* approximate positions (site_quality_approximate): a hollow marker,
	 * its inside (from approx_hole times the radius in) drawn in
	 * approx_fill; and from the zoom where the uncertainty radius is larger
	 * than the marker (up to STYLE_UNCERTAINTY_MAX_PX), a faint circle of
	 * the true radius */
	double approx_hole; /* 0..STYLE_APPROX_HOLE_MAX; 0 draws them as exact ones */
	struct rgba approx_fill;
	struct rgba uncertainty_fill, uncertainty_stroke;
	double uncertainty_stroke_width;

	/* clusters: markers that would overlap at zooms <= cluster_maxzoom merge */
	bool cluster;
	int cluster_maxzoom;
	double cluster_radius;         /* px: markers closer than this merge */
	struct style_num cluster_size; /* radius of a cluster marker, px */
	struct rgba cluster_color, cluster_outline, cluster_text_color;
	double cluster_outline_width;
	struct style_num cluster_text_size;
	char approx_prefix[8]; /* before the count of a cluster holding approximate sites */

	/* labels (name_zh) from label_minzoom on */
	int label_minzoom;
	struct style_num label_size;
	struct rgba label_color, label_halo;
	double label_halo_width;
	double label_offset; /* gap between the marker's top and the text, px */
	char font[256];      /* font file; "" for GLYPHS_DEFAULT_FONT */

	/* whether a layer draws sites (markers, clusters, counts or labels):
	 * a style of background and context layers only needs no hierarchy,
	 * and its tiles read no site */
	bool sites;

	/* the GeoJSON file sources' "attribution"s, each once, joined by ", "
	 * ("" for none): TileJSON credits them */
	char attribution[256];

	/* context layers under the markers; none in an overlay style */
	int ncontext;
	struct style_context context[STYLE_MAX_CONTEXT];
};

/* How style_parse obtains the geometry of a context source without any
 * I/O of its own.  resolve is called once per GeoJSON file source, in
 * file order, with the source's name and its "data" (a relative path,
 * already checked to be one); it returns MS_OK with *out set (borrowed:
 * it must outlive the style), or fails with a reason in err, which
 * style_parse reports as "FILE:LINE: reason" at the source's "data"
 * member.  Parsing stops at the first failure. */
typedef enum ms_status (*style_resolve_fn)(void *arg, const char *source, const char *data,
                                           const struct geodata **out, struct ms_error *err);
struct style_resolver {
	style_resolve_fn resolve;
	void *arg;
};

/* Parses a style from text[0..len) (not necessarily NUL-terminated).
 * file names the text in messages and gives the style its name (the base
 * name without ".json", which appears in URLs).  resolver may be NULL for
 * a style without GeoJSON file sources.  A broken style gives MS_EDATA and
 * "FILE:LINE: reason"; *out is written only on success. */
enum ms_status style_parse(const char *file, const char *text, size_t len,
                           const struct style_resolver *resolver, struct style *out, struct ms_error *err);
/* The style called name among n, or NULL. */
const struct style *style_find(const struct style *styles, size_t n, const char *name);

#endif

/*
 * layout.h - what the map shows at one zoom of one style: where each site
 * marker, cluster and label goes, in world pixels, and which of them a
 * window must draw.
 *
 * Why layouts: a marker, a cluster or a label that crosses a tile edge
 * must be drawn whole and identically on both tiles, and a cluster must
 * never split or double at an edge.  So nothing is decided per tile: for
 * a (style, coordsys, zoom) the layout is computed once, in GLOBAL world
 * pixels at scale 1 (geo/webmerc.h): every site's position, then the
 * clusters (greedy in id order over a grid), then the labels (greedy in
 * id order, a few candidate positions, a grid for collisions).  A tile is
 * then only a window onto that picture (render/tile.h).
 *
 * Determinism across windows rests on three rules kept here: anchors are
 * rounded to 1/256 px and label origins to whole world pixels (so moving
 * a window by whole pixels shifts every coordinate by an exact integer);
 * what a window draws is chosen by each feature's whole extent; and it is
 * drawn in the layout's global order (items by id), whatever the window.
 *
 * Ownership and threads: layout_build returns a new layout owned by the
 * caller (the tile map, which publishes it once); it is immutable and may
 * be queried by any number of threads.  Building borrows its inputs.
 */
#ifndef MS_LAYOUT_H
#define MS_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "../site/site.h"
#include "glyphs.h"
#include "style.h"

/* Extra px around features when deciding whether they touch a window:
 * antialiasing fringes and glyph overhangs beyond the advance box. */
#define LAYOUT_SLACK_PX 2.0

/* One drawn marker: a site, or a cluster of count sites whose first (by
 * id) is site. */
struct layout_item {
	double x, y; /* world px at scale 1, on the anchor grid */
	uint32_t site;
	uint32_t count;
	int32_t label;                  /* index into labels, -1 for none */
	float left, top, right, bottom; /* marker extent around (x, y) */
};

struct layout_label {
	double bx, by;                   /* baseline origin, whole world px */
	double left, top, right, bottom; /* box incl. halo, world px */
};

struct layout {
	int zoom;
	/* the style's zoom-dependent sizes, evaluated at this zoom */
	double marker_size, outline_w, cluster_size, cluster_outline, cluster_text, label_size;
	struct layout_item *items; /* in drawing order: by first site id */
	size_t nitems;
	struct layout_label *labels;
	size_t nlabels;
	size_t clusters, largest; /* items with count > 1; the largest count */
	/* private: the window index (items by the tile their anchor is in) */
	uint64_t *keys_;
	uint32_t *order_;
	double reach_; /* farthest any feature extends from its anchor, px */
};

/* The sites to lay out: n sites of a snapshot (for categories and names)
 * and their Web Mercator metres in the coordsys drawn. */
struct layout_sites {
	const struct site *sites;
	const double *mx, *my;
	size_t n;
};

/* Lays out the sites at zoom with style st.  Labels are placed when zoom
 * >= st->label_minzoom, measured with gl (which may be NULL below it). */
struct layout *layout_build(const struct style *st, const struct layout_sites *in, int zoom,
                            struct glyphs *gl);
void layout_free(struct layout *l);

/* The items whose features may touch the window [x0,x1) x [y0,y1) (world
 * px at scale 1): indices into l->items, in item order, in (*hits)[0..n)
 * (a buffer of *cap entries the caller keeps and this call grows). */
size_t layout_query(const struct layout *l, double x0, double y0, double x1, double y1, uint32_t **hits,
                    size_t *cap);

/* A world-pixel coordinate rounded to the anchor grid (1/256 px). */
double layout_anchor(double v);

#endif

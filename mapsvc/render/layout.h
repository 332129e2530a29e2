/*
 * layout.h - what one view of the map shows: the items a window of a
 * cluster hierarchy holds (sites and clusters, index/cluster.h), with
 * their marker extents, the uncertainty circles of approximate sites and
 * the labels, in world pixels of the view's zoom at scale 1.
 *
 * Why per view and still seamless: a marker, a circle or a label that
 * crosses a tile edge must be drawn whole and identically on every tile
 * it touches, and nothing may be decided for the whole world (a million
 * sites would make every first tile of a zoom pay for all of them).  So
 * every decision here depends on a bounded neighbourhood of the feature
 * only: the hierarchy decides the clusters once (the same items in every
 * window), an item's anchor is a function of its position alone, and a
 * label is placed by render/labels.h's rule, whose reach is bounded
 * because a label is at most LAYOUT_WRAP_EMS ems wide (longer names wrap,
 * up to LAYOUT_MAX_LINES lines) and an uncertainty circle at most
 * STYLE_UNCERTAINTY_MAX_PX.  A view that reads every item within
 * struct layout_zoom's margin of itself therefore draws what any other
 * view draws there.
 *
 * Determinism across windows rests on three more rules kept here and in
 * tile.c: anchors are rounded to 1/256 px and label origins to whole world
 * pixels (so moving a window by whole pixels shifts every coordinate by an
 * exact integer); what a window draws is chosen by each feature's whole
 * extent; and it is drawn in one global order (items by their first
 * site), whatever the window.
 *
 * Ownership and threads: a struct layout is per-thread scratch, reused
 * from view to view (layout_trim gives back what a crowded view made it
 * take).  Deciding reads the style and the sites and writes only the
 * layout.
 */
#ifndef MS_LAYOUT_H
#define MS_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../site/site.h"
#include "glyphs.h"
#include "style.h"

/* Extra px around features when deciding whether they touch a window:
 * antialiasing fringes and glyph overhangs beyond the advance box. */
#define LAYOUT_SLACK_PX 2.0
/* A label wider than this many ems (of its size) wraps, as MapLibre's
 * text-max-width does by default; one that needs more lines than
 * LAYOUT_MAX_LINES is not drawn. */
#define LAYOUT_WRAP_EMS 10.0
#define LAYOUT_MAX_LINES 3
/* A name longer than this (bytes) is not drawn as a label. */
#define LAYOUT_LABEL_MAX_BYTES 192

/* The style's sizes at one zoom, and how far features reach. */
struct layout_zoom {
	int zoom;
	double marker_size, outline_w, cluster_size, cluster_outline, cluster_text, label_size;
	bool labels;                         /* labels are drawn at this zoom */
	double marker_reach;                 /* farthest a marker or cluster reaches from its anchor */
	double label_reach_x, label_reach_y; /* farthest a label box may reach from its anchor */
	double label_width_max;              /* px: wider lines wrap */
	/* What a view must read around itself: every item whose anchor lies
	 * within (margin_x, margin_y) of it. */
	double margin_x, margin_y;
};

void layout_zoom_of(const struct style *st, int zoom, struct layout_zoom *z);

/* One item of a view: a site or a cluster, drawn in item order. */
struct layout_item {
	double x, y;   /* anchor, world px at scale 1, on the anchor grid */
	uint32_t site; /* its first site (the snapshot's index) */
	uint32_t count;
	uint8_t flags;                  /* SNAPSHOT_FLAG_* of the hierarchy */
	float left, top, right, bottom; /* marker extent around (x, y) */
	float circle;                   /* uncertainty circle radius, px; 0 for none */
	int32_t label;                  /* index into labels, -1 for none */
};

struct layout_line {
	double bx, by;       /* baseline origin, whole world px */
	uint16_t start, len; /* bytes of the site's name */
};

struct layout_label {
	double left, top, right, bottom; /* box with the halo, world px */
	int nlines;
	struct layout_line line[LAYOUT_MAX_LINES];
};

struct layout_scratch;

struct layout {
	struct layout_zoom z;
	struct layout_item *items; /* in drawing order; filled by the caller */
	size_t nitems;
	struct layout_label *labels;
	size_t nlabels;
	size_t measured; /* names the last layout_decide measured: its work */
	/* private */
	size_t items_cap_, labels_cap_;
	struct layout_scratch *scratch_;
};

struct layout *layout_new(void);
void layout_free(struct layout *l);
/* Bytes held. */
size_t layout_memory(const struct layout *l);
/* Frees the buffers when they hold more than keep bytes. */
void layout_trim(struct layout *l, size_t keep);

/* Starts a view at zoom with style st: no items yet. */
void layout_begin(struct layout *l, const struct style *st, int zoom);
/* Room for one more item (its fields to be set by the caller). */
struct layout_item *layout_add(struct layout *l);

/* Decides what the items need besides their anchors: marker extents,
 * uncertainty circles and labels, measured with gl (NULL when z.labels is
 * false).  A label is decided for every item whose label could touch the
 * view [x0, x1) x [y0, y1), world px at scale 1, exactly as among all
 * items (given every item within the margin); farther items get none.
 * sites are the snapshot's, for names, latitudes and radii. */
void layout_decide(struct layout *l, const struct style *st, const struct site *sites, struct glyphs *gl,
                   double x0, double y0, double x1, double y1);

/* A world-pixel coordinate rounded to the anchor grid (1/256 px). */
double layout_anchor(double v);

#endif

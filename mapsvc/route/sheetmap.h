/*
 * sheetmap.h - the route sheet's map: a picture a guide can read on paper.
 *
 * What it shows, drawn in this order:
 *   - the ground: the print style's context layers (towns' built-up
 *     areas, lakes, rivers, borders: Natural Earth) in a window fitted to
 *     the start, the stops, the stops left out and the uncertainty circles
 *     that fit on a town's scale, never narrower than ROUTE_SHEET_MIN_SPAN_M
 *     (stops that share one point, as in Gaotai, still get their town);
 *   - each approximate stop's uncertainty circle (amber);
 *   - the route line, start - stops - (start);
 *   - the stops left out of a day plan (grey discs with a cross);
 *   - the stops: numbered discs, one disc for stops that share a point
 *     ("1–3"), and the start square "起";
 *   - the labels, placed last, around everything above: each stop's name
 *     (a merged disc lists its stops by number and name), the names of the
 *     places in view, or, when none is, the nearest one as a pointer at
 *     the edge ("张掖 Zhangye 70 km ↗").  A label goes beside its marker
 *     when there is room, else further away with a leader line; it never
 *     covers the route line, a marker or another label (the unit test
 *     checks the pixels);
 *   - a scale bar, a north arrow and the attribution.
 * No roads: nothing open and available offline holds them here (Natural
 * Earth's roads are not among the bundled layers nor in any Debian
 * package); the sheet says so in its legend.
 *
 * The site markers and labels of the tiles are not drawn: on a sheet only
 * the route's stops matter, and a tile label cannot move out of the
 * route's way.  So the map is the context of the style (context_draw), not
 * a tile window, and needs no tile map.
 *
 * Sizes are logical px times the scale.  Thread-safety: the glyphs are
 * the caller's (per thread); nothing else is shared.
 */
#ifndef MS_ROUTE_SHEETMAP_H
#define MS_ROUTE_SHEETMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "../render/canvas.h"
#include "../render/glyphs.h"
#include "../render/style.h"
#include "places.h"
#include "route.h"

/* A map never spans less than this, so that the town around stops at one
 * point shows (2 km: a county seat's centre). */
#define ROUTE_SHEET_MIN_SPAN_M 2000.0
/* Uncertainty circles up to this radius are fitted into the map; larger
 * ones (a county-level position) would make every stop one dot. */
#define ROUTE_SHEET_CIRCLE_FIT_M 5000.0
/* Logical px kept free on every side of the fitted points, for markers
 * and the start of labels. */
#define ROUTE_SHEET_PAD_PX 40

enum route_label_kind { ROUTE_LABEL_STOP, ROUTE_LABEL_GROUP, ROUTE_LABEL_MISSED, ROUTE_LABEL_PLACE };

/* A label's box in canvas px, and the leader drawn to it (when leader). */
struct route_label_box {
	double x0, y0, x1, y1;
	enum route_label_kind kind;
	bool leader;
	double lx0, ly0, lx1, ly1;
};

#define ROUTE_SHEET_MAX_LABELS (2 * ROUTE_MAX_STOPS + 64)

/* The map drawn, and what the tests and the sheet need to know of it. */
struct route_sheet_map {
	struct canvas *canvas; /* owned: route_sheet_map_free */
	int zoom, scale;
	double m_per_px; /* ground metres per canvas px at the map's centre */
	/* the route line as drawn: canvas px, x0,y0,x1,y1,... */
	double line[2 * (ROUTE_MAX_STOPS + 2)];
	int nline;
	double line_w; /* its width, px */
	struct route_label_box labels[ROUTE_SHEET_MAX_LABELS];
	size_t nlabels;
	size_t places_shown; /* place names in view (not the pointer) */
	bool place_pointer;  /* the nearest place named at the edge */
	double scale_bar_m;  /* the scale bar's length on the ground */
};

/* The map's size in logical px for a plan: the sheet's text width (190
 * mm: 900 px is 0.21 mm a px, text of 12 px prints at 7 pt), and a height
 * that follows the shape of the route, at least ROUTE_SHEET_MAP_MIN_H and
 * at most what leaves room for the plan's rows: a sheet of ten stops
 * fits one A4 page (html.c, pdf.c: a row is 15-18 mm). */
#define ROUTE_SHEET_MAP_W 900
#define ROUTE_SHEET_MAP_MIN_H 240
void route_sheet_map_size(const struct route_plan *p, int *width, int *height);

/* Draws the plan's map of width x height logical px at scale (1..
 * ROUTE_MAP_MAX_SCALE) with style's background and context layers, gl
 * for the text (the style's font), places (may be NULL) for place names.
 * MS_EUSAGE for a size or scale out of range. */
enum ms_status route_sheet_map_draw(const struct route_plan *p, const struct style *style, struct glyphs *gl,
                                    const struct route_places *places, int width, int height, int scale,
                                    struct route_sheet_map *out, struct ms_error *err);
void route_sheet_map_free(struct route_sheet_map *m);

#endif

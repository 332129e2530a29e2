/*
 * context.c - context layers drawn into a window; see context.h.
 *
 * Every decision is made on world pixels, before the window's origin is
 * subtracted: which shapes touch the window (by their bounding boxes) and
 * which vertices are kept (a vertex within half a pixel of the last one
 * kept is dropped).  So every window of a zoom keeps the same vertices and
 * stitched tiles stay equal to one large window.
 */
#include "context.h"

#include <math.h>
#include <stdlib.h>

#include "../geo/webmerc.h"
#include "../util/mem.h"
#include "geodata.h"
#include "raster.h"

/* Context vertices nearer than this (canvas px, in each axis) to the last
 * one kept are skipped: a 1:10m border has thousands of points that fall
 * on one pixel at low zooms. */
#define CONTEXT_DECIMATE_PX 0.5
/* How far (world px at zoom 0) GCJ-02 or BD-09 may move a WGS-84
 * position: about 0.04 degrees, well above their offsets of at most
 * about a kilometre. */
#define CONTEXT_SHIFT_MARGIN 0.03
/* Extra px around a shape when deciding whether it touches the window:
 * the antialiased fringe of its edges. */
#define CONTEXT_SLACK_PX 2.0

struct context_scratch {
	double *xy; /* the shape's rings in canvas px */
	size_t xy_cap;
	int *ring_len;
	size_t ring_cap;
};

struct context_scratch *context_scratch_new(void)
{
	return xcalloc(1, sizeof(struct context_scratch));
}

void context_scratch_free(struct context_scratch *s)
{
	if (!s)
		return;
	free(s->xy);
	free(s->ring_len);
	free(s);
}

/* The window being drawn. */
struct window {
	enum coordsys cs;
	double k;      /* world px at zoom 0 -> canvas scale */
	double ox, oy; /* the canvas's origin, in those px */
};

/* Appends ring r of g to the scratch as canvas px, decimated.  Returns
 * the points kept. */
static int project_ring(struct context_scratch *s, size_t *used, const struct geodata *g, size_t r,
                        const struct window *w)
{
	uint32_t p0 = g->ring_start[r], n = g->ring_len[r];
	if (*used + 2 * (size_t)n > s->xy_cap) {
		s->xy_cap = 2 * (*used + 2 * (size_t)n);
		s->xy = xrealloc(s->xy, s->xy_cap * sizeof *s->xy);
	}
	double *out = s->xy + *used;
	double lx = 0, ly = 0;
	int kept = 0;
	for (uint32_t i = 0; i < n; i++) {
		double x, y;
		if (w->cs == COORDSYS_WGS84) {
			x = g->xy[2 * (p0 + i)];
			y = g->xy[2 * (p0 + i) + 1];
		} else {
			double lat, lon;
			coordsys_from_wgs84(w->cs, g->ll[2 * (p0 + i) + 1], g->ll[2 * (p0 + i)], &lat, &lon);
			webmerc_world_px(lon, lat, 0, WEBMERC_TILE_SIZE, &x, &y);
		}
		x *= w->k;
		y *= w->k;
		if (kept && i + 1 < n && fabs(x - lx) < CONTEXT_DECIMATE_PX &&
		    fabs(y - ly) < CONTEXT_DECIMATE_PX)
			continue;
		lx = x;
		ly = y;
		out[2 * kept] = x - w->ox;
		out[2 * kept + 1] = y - w->oy;
		kept++;
	}
	return kept;
}

/* One shape: its rings filled together (holes by the non-zero rule), or
 * each stroked. */
static void draw_shape(struct context_scratch *s, struct canvas *c, const struct geodata *g,
                       const struct geodata_shape *sh, const struct window *w, bool fill, double width,
                       struct rgba col)
{
	if (sh->nrings > s->ring_cap) {
		s->ring_cap = 2 * sh->nrings;
		s->ring_len = xrealloc(s->ring_len, s->ring_cap * sizeof *s->ring_len);
	}
	size_t used = 0;
	int nr = 0;
	for (uint32_t r = 0; r < sh->nrings; r++) {
		size_t at = used;
		int kept = project_ring(s, &used, g, sh->ring0 + r, w);
		/* A ring of under a pixel has no area; a line of one point no
		 * length. */
		if (kept < (sh->polygon ? 3 : 2))
			continue;
		if (!fill) {
			raster_stroke_polyline(c, s->xy + at, kept, sh->polygon, width, col);
			continue;
		}
		s->ring_len[nr++] = kept;
		used = at + 2 * (size_t)kept;
	}
	if (fill && nr)
		raster_fill_polygon(c, s->xy, s->ring_len, nr, col);
}

void context_draw(struct context_scratch *s, struct canvas *c, const struct style *st, enum coordsys cs,
                  int zoom, int scale, long long origin_x, long long origin_y)
{
	struct window w = {cs, ldexp((double)scale, zoom), (double)origin_x, (double)origin_y};
	double vx1 = w.ox + c->width, vy1 = w.oy + c->height;
	double shift = cs == COORDSYS_WGS84 ? 0 : CONTEXT_SHIFT_MARGIN * w.k;
	for (int li = 0; li < st->ncontext; li++) {
		const struct style_context *cx = &st->context[li];
		if (zoom < cx->minzoom || zoom >= cx->maxzoom)
			continue;
		bool fill = cx->kind == STYLE_CONTEXT_FILL;
		double width = fill ? 0 : style_eval(&cx->width, zoom) * scale;
		struct rgba col = cx->color;
		col.a = (uint8_t)lround(col.a * style_eval(&cx->opacity, zoom));
		if (col.a == 0 || (!fill && width <= 0))
			continue;
		double margin = width / 2 + CONTEXT_SLACK_PX + shift;
		const struct geodata *g = cx->data;
		for (size_t si = 0; si < g->nshapes; si++) {
			const struct geodata_shape *sh = &g->shapes[si];
			if (fill && !sh->polygon)
				continue;
			if (sh->x0 * w.k - margin > vx1 || sh->x1 * w.k + margin < w.ox ||
			    sh->y0 * w.k - margin > vy1 || sh->y1 * w.k + margin < w.oy)
				continue;
			draw_shape(s, c, g, sh, &w, fill, width, col);
		}
	}
}

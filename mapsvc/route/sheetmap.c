/*
 * sheetmap.c - the route sheet's map; see sheetmap.h.
 *
 * Label placement.  Everything that must stay visible is drawn first and
 * becomes an obstacle: the route line (each segment, widened by half the
 * line and a gap), the markers (discs), the start square and the map's
 * furniture (scale bar, north arrow, attribution).  Then each label, in
 * priority order (the stops in visiting order, the stops left out, the
 * places), tries candidate boxes until one is free of every obstacle and
 * of the labels placed before it, and inside the map:
 *   - ring 0: beside its marker, in eight positions (east first, the
 *     reading direction, then west, the diagonals, north, south);
 *   - rings 1..: further out, in sixteen directions, with a leader line
 *     from the marker to the box (a leader may cross the route; it may not
 *     cross a marker or another label).
 * The first free candidate wins, so the result is deterministic.  A place
 * name only tries ring 0 and is dropped when nothing is free: the stops
 * come first.  Work is bounded: at most RINGS * 16 candidates per label,
 * each tested against O(stops + labels) obstacles.
 *
 * Geometry is in canvas px; the map is a Web Mercator window of the
 * style's context at an integer zoom, as tiles are, so the ground under
 * the route is exactly the tiles' ground.
 */
#include "sheetmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/geo.h"
#include "../geo/webmerc.h"
#include "../render/context.h"
#include "../render/raster.h"
#include "../util/mem.h"
#include "overlay.h"
#include "route_int.h"

/* Metres per degree of latitude, near enough to size a margin (the map's
 * extent is padded with it, never measured). */
#define M_PER_DEG_LAT 111320.0
#define DEG (M_PI / 180)

/* Logical px. */
#define MARKER_R ROUTE_MARKER_R
#define MISSED_R 7.0
#define LABEL_PX 12.0
#define GROUP_PX 11.0
#define PLACE_PX 11.0
#define SMALL_PX 9.0
#define LINE_GAP 1.25 /* line spacing of a multi-line label, times the size */
#define HALO_PX 2.0
#define LABEL_PAD 2.0  /* around a label's text: its halo */
#define LABEL_GAP 4.0  /* between a marker and a label beside it */
#define LINE_CLEAR 3.0 /* between the route line's edge and any label */
#define RING_STEP 16.0 /* how much further each ring of candidates is */
#define RINGS 14
#define EDGE 6.0           /* labels keep this far from the map's edge */
#define SCALE_BAR_MAX 0.22 /* of the map's width */
#define PLACE_DOT_R 2.5
/* Places labelled: those a web map would label at this many zooms out. */
#define PLACE_ZOOM_SLACK 1.0

static const struct rgba white = {0xff, 0xff, 0xff, 0xff};
static const struct rgba casing = {0xff, 0xff, 0xff, 0xd9};
static const struct rgba ink = {0x1a, 0x1a, 0x1a, 0xff};
static const struct rgba grey = {0x55, 0x55, 0x55, 0xff};
static const struct rgba leader_grey = {0x66, 0x66, 0x66, 0xff};
static const struct rgba missed_grey = {0x8a, 0x8a, 0x8a, 0xff};
/* the sheets' amber (html.c, pdf.c): what is uncertain */
static const struct rgba amber_fill = {0xc7, 0x77, 0x00, 0x1f};
static const struct rgba amber_line = {0xc7, 0x77, 0x00, 0x99};

struct box {
	double x0, y0, x1, y1;
};

/* The window: zoom, scale and the canvas's top-left corner in world px of
 * the zoom times the scale. */
struct win {
	int zoom, scale, w, h;
	long long ox, oy;
};

static void to_px(const struct win *v, double lat, double lon, double *x, double *y)
{
	webmerc_world_px(lon, lat, v->zoom, WEBMERC_TILE_SIZE * v->scale, x, y);
	*x -= (double)v->ox;
	*y -= (double)v->oy;
}

/* ------------------------------------------------------------ extent */

static void grow(double box[4], double lat, double lon)
{
	box[0] = fmin(box[0], lon), box[2] = fmax(box[2], lon);
	box[1] = fmin(box[1], lat), box[3] = fmax(box[3], lat);
}

/* The point and, when it fits on a town's scale, its uncertainty circle. */
static void grow_site(double box[4], const struct site *s)
{
	grow(box, s->lat, s->lon);
	if (!site_quality_approximate(s->quality) || site_uncertainty(s) > ROUTE_SHEET_CIRCLE_FIT_M)
		return;
	double dlat = site_uncertainty(s) / M_PER_DEG_LAT;
	double dlon = dlat / fmax(cos(s->lat * DEG), 0.01);
	grow(box, s->lat - dlat, s->lon - dlon);
	grow(box, s->lat + dlat, s->lon + dlon);
}

static void extent(const struct route_plan *p, double box[4])
{
	box[0] = box[1] = INFINITY, box[2] = box[3] = -INFINITY;
	grow(box, p->start_lat, p->start_lon);
	for (size_t i = 0; i < p->n; i++)
		grow_site(box, p->stops[i]);
	for (size_t i = 0; i < p->nmissed; i++)
		grow_site(box, p->missed[i].site);
	double mid = (box[1] + box[3]) / 2;
	double half_lat = ROUTE_SHEET_MIN_SPAN_M / 2 / M_PER_DEG_LAT;
	double half_lon = half_lat / fmax(cos(mid * DEG), 0.01);
	if (box[3] - box[1] < 2 * half_lat)
		box[1] = mid - half_lat, box[3] = mid + half_lat;
	double cx = (box[0] + box[2]) / 2;
	if (box[2] - box[0] < 2 * half_lon)
		box[0] = cx - half_lon, box[2] = cx + half_lon;
	box[0] = fmax(box[0], -180), box[2] = fmin(box[2], 180);
	box[1] = fmax(box[1], -WEBMERC_MAX_LAT), box[3] = fmin(box[3], WEBMERC_MAX_LAT);
}

void route_sheet_map_size(const struct route_plan *p, int *width, int *height)
{
	double box[4];
	extent(p, box);
	double w0, s0, e0, n0;
	webmerc_from_lonlat(box[0], box[1], &w0, &s0);
	webmerc_from_lonlat(box[2], box[3], &e0, &n0);
	double aspect = (n0 - s0) / fmax(e0 - w0, 1);
	*width = ROUTE_SHEET_MAP_W;
	/* the tallest map, by the rows to fit beside it on page one: 100,
	 * 88, 72, 53 mm for up to 4, 6, 8, 10 stops; a longer sheet takes
	 * two pages anyway and gets 88 mm */
	static const struct {
		size_t stops;
		int height;
	} tallest[] = {{4, 474}, {6, 417}, {8, 341}, {10, 250}};
	int max_h = 417;
	for (size_t i = sizeof tallest / sizeof tallest[0]; i-- > 0;)
		if (p->n + p->nmissed <= tallest[i].stops)
			max_h = tallest[i].height;
	double h = ROUTE_SHEET_MAP_W * aspect;
	*height = (int)fmin(max_h, fmax(ROUTE_SHEET_MAP_MIN_H, h));
}

/* ------------------------------------------------------------ obstacles */

#define OBSTACLE_CIRCLES 512
struct obstacles {
	struct box boxes[ROUTE_SHEET_MAX_LABELS + 8];
	size_t nboxes;
	/* discs, the stops left out, and pills as rows of discs */
	double cx[OBSTACLE_CIRCLES], cy[OBSTACLE_CIRCLES], cr[OBSTACLE_CIRCLES];
	size_t ncircles;
	const double *line; /* the route: npts points */
	int npts;
	double line_clear; /* half the line's width plus the gap */
	double w, h, edge;
};

static void add_box(struct obstacles *o, struct box b)
{
	if (o->nboxes < sizeof o->boxes / sizeof o->boxes[0])
		o->boxes[o->nboxes++] = b;
}

static void add_circle(struct obstacles *o, double x, double y, double r)
{
	if (o->ncircles < sizeof o->cx / sizeof o->cx[0]) {
		o->cx[o->ncircles] = x, o->cy[o->ncircles] = y, o->cr[o->ncircles] = r;
		o->ncircles++;
	}
}

static bool boxes_overlap(struct box a, struct box b)
{
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/* Liang-Barsky: does the segment (x0,y0)-(x1,y1) enter the box? */
static bool segment_hits_box(double x0, double y0, double x1, double y1, struct box b)
{
	double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
	const double p[4] = {-dx, dx, -dy, dy}, q[4] = {x0 - b.x0, b.x1 - x0, y0 - b.y0, b.y1 - y0};
	for (int i = 0; i < 4; i++) {
		if (p[i] == 0) {
			if (q[i] < 0)
				return false;
			continue;
		}
		double t = q[i] / p[i];
		if (p[i] < 0)
			t0 = fmax(t0, t);
		else
			t1 = fmin(t1, t);
		if (t0 > t1)
			return false;
	}
	return true;
}

static bool circle_hits_box(double x, double y, double r, struct box b)
{
	double dx = x - fmax(b.x0, fmin(x, b.x1)), dy = y - fmax(b.y0, fmin(y, b.y1));
	return dx * dx + dy * dy < r * r;
}

static bool line_hits_box(const struct obstacles *o, struct box b)
{
	struct box g = {b.x0 - o->line_clear, b.y0 - o->line_clear, b.x1 + o->line_clear,
	                b.y1 + o->line_clear};
	for (int i = 0; i + 1 < o->npts; i++)
		if (segment_hits_box(o->line[2 * i], o->line[2 * i + 1], o->line[2 * i + 2],
		                     o->line[2 * i + 3], g))
			return true;
	return false;
}

/* A label's box is free: inside the map, off the line, the markers and
 * every box placed. */
static bool box_free(const struct obstacles *o, struct box b)
{
	if (b.x0 < o->edge || b.y0 < o->edge || b.x1 > o->w - o->edge || b.y1 > o->h - o->edge)
		return false;
	for (size_t i = 0; i < o->nboxes; i++)
		if (boxes_overlap(b, o->boxes[i]))
			return false;
	for (size_t i = 0; i < o->ncircles; i++)
		if (circle_hits_box(o->cx[i], o->cy[i], o->cr[i], b))
			return false;
	return !line_hits_box(o, b);
}

/* A leader may cross the route, not a label or another marker: the
 * markers at its own point (its own disc or pill, from ax - hw to ax + hw,
 * and a disc covering a stop left out there) are where it starts, so they
 * do not count. */
static bool leader_free(const struct obstacles *o, double x0, double y0, double x1, double y1, double ax,
                        double ay, double hw)
{
	for (size_t i = 0; i < o->nboxes; i++)
		if (segment_hits_box(x0, y0, x1, y1, o->boxes[i]))
			return false;
	for (size_t i = 0; i < o->ncircles; i++) {
		double nearest_x = fmax(ax - hw, fmin(o->cx[i], ax + hw));
		if (hypot(o->cx[i] - nearest_x, o->cy[i] - ay) < o->cr[i])
			continue;
		struct box c = {o->cx[i] - o->cr[i], o->cy[i] - o->cr[i], o->cx[i] + o->cr[i],
		                o->cy[i] + o->cr[i]};
		if (segment_hits_box(x0, y0, x1, y1, c))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ placing */

/* The box of a w x h label whose near side touches the point at distance
 * d from (ax, ay) in direction (dx, dy): beside, above or below it. */
static struct box box_toward(double ax, double ay, double dx, double dy, double d, double w, double h)
{
	/* cos 67.5 degrees: within that of the vertical, the box is centred */
	const double side = 0.383;
	double px = ax + dx * d, py = ay + dy * d;
	double x0 = dx > side ? px : dx < -side ? px - w : px - w / 2;
	double y0 = dy > side ? py : dy < -side ? py - h : py - h / 2;
	return (struct box){x0, y0, x0 + w, y0 + h};
}

/* Ring 0's directions: east, west, NE, NW, SE, SW, north, south. */
static const double ring0[8][2] = {{1, 0},           {-1, 0},           {0.7071, -0.7071}, {-0.7071, -0.7071},
                                   {0.7071, 0.7071}, {-0.7071, 0.7071}, {0, -1},           {0, 1}};

/* Finds a free box of w x h for a label of the marker at (ax, ay) of
 * radius ar (a pill: its ends' discs hw either side), up to rings of
 * candidates; false when none is free. */
static bool place(const struct obstacles *o, double ax, double ay, double hw, double ar, double w, double h,
                  double s, int rings, struct route_label_box *out)
{
	const double side = 0.383; /* as box_toward's */
	double cx = ax;
	for (int ring = 0; ring <= rings; ring++) {
		double d = ar + LABEL_GAP * s + ring * RING_STEP * s;
		int ndir = ring ? 16 : 8;
		for (int k = 0; k < ndir; k++) {
			double dx, dy;
			if (!ring) {
				dx = ring0[k][0], dy = ring0[k][1];
			} else {
				/* east first, then alternately either side of it */
				int step = (k + 1) / 2, sign = k % 2 ? -1 : 1;
				double a = sign * step * (M_PI / 8);
				dx = cos(a), dy = sin(a);
			}
			/* from the end of a pill that faces the label */
			ax = cx + (dx > side ? hw : dx < -side ? -hw : dx / side * hw);
			struct box b = box_toward(ax, ay, dx, dy, d, w, h);
			if (!box_free(o, b))
				continue;
			*out = (struct route_label_box){b.x0,  b.y0, b.x1, b.y1, ROUTE_LABEL_STOP,
			                                false, 0,    0,    0,    0};
			if (!ring)
				return true;
			/* the leader: from the marker's rim to the box's nearest point */
			double nx = fmax(b.x0, fmin(ax, b.x1)), ny = fmax(b.y0, fmin(ay, b.y1));
			double len = hypot(nx - ax, ny - ay);
			if (len <= ar)
				return true;
			double sx = ax + (nx - ax) / len * ar, sy = ay + (ny - ay) / len * ar;
			if (!leader_free(o, sx, sy, nx, ny, cx, ay, hw))
				continue;
			out->leader = true;
			out->lx0 = sx, out->ly0 = sy, out->lx1 = nx, out->ly1 = ny;
			return true;
		}
	}
	return false;
}

/* A label's lines, measured. */
#define LABEL_MAX_LINES ROUTE_MAX_STOPS
/* A label of more lines than this is set in two columns: a tall list
 * finds no room on a wide, low map. */
#define COLUMN_LINES 6
#define COLUMN_GAP 10.0
struct text_block {
	const char *line[LABEL_MAX_LINES];
	char *own; /* the lines' storage */
	int n, rows;
	double size, w, h, ascent;
	double col_x[2]; /* each column's left edge, from the box's */
};

static void measure_block(struct glyphs *gl, struct text_block *t, double size, double s)
{
	t->size = size;
	t->rows = t->n > COLUMN_LINES ? (t->n + 1) / 2 : t->n;
	double asc = 0, desc = 0, colw[2] = {0, 0};
	for (int i = 0; i < t->n; i++) {
		struct text_box tb;
		glyphs_measure(gl, t->line[i], size, &tb);
		colw[i / t->rows] = fmax(colw[i / t->rows], tb.width);
		asc = fmax(asc, tb.ascent), desc = fmax(desc, tb.descent);
	}
	t->ascent = asc;
	t->h = asc + desc + (t->rows - 1) * size * LINE_GAP + 2 * LABEL_PAD * s;
	t->col_x[0] = LABEL_PAD * s;
	t->col_x[1] = t->col_x[0] + colw[0] + COLUMN_GAP * s;
	t->w = colw[0] + (colw[1] > 0 ? COLUMN_GAP * s + colw[1] : 0) + 2 * LABEL_PAD * s;
}

static void draw_block(struct canvas *c, struct glyphs *gl, const struct text_block *t,
                       const struct route_label_box *b, struct rgba fill, double s)
{
	for (int i = 0; i < t->n; i++)
		glyphs_draw(
		    gl, c, t->line[i], floor(b->x0 + t->col_x[i / t->rows] + 0.5),
		    floor(b->y0 + LABEL_PAD * s + t->ascent + (i % t->rows) * t->size * LINE_GAP + 0.5),
		    t->size, fill, white, HALO_PX * s);
}

/* ------------------------------------------------------------ drawing */

struct group {
	double x, y;
	size_t first, last, count;
	size_t member[ROUTE_MAX_STOPS];
	char text[ROUTE_MAX_STOPS * 4];
	bool run; /* consecutive numbers */
};

/* Stops whose discs would overlap share one: "1–3" for a run, "2,5"
 * otherwise (route.h's overlay rule, with the names listed beside). */
static size_t group_stops(const double *x, const double *y, size_t n, double r, struct group *g)
{
	size_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < ng && hypot(g[k].x - x[i], g[k].y - y[i]) >= r)
			k++;
		if (k == ng)
			g[ng++] = (struct group){.x = x[i], .y = y[i], .first = i, .run = true};
		g[k].run = g[k].run && (g[k].count == 0 || g[k].last + 1 == i);
		g[k].member[g[k].count++] = i;
		g[k].last = i;
	}
	for (size_t k = 0; k < ng; k++) {
		struct group *q = &g[k];
		if (q->count == 1 || q->run) {
			snprintf(q->text, sizeof q->text, q->count == 1 ? "%zu" : "%zu–%zu", q->first + 1,
			         q->last + 1);
			continue;
		}
		size_t len = 0;
		for (size_t m = 0; m < q->count && len + 8 < sizeof q->text; m++)
			len += (size_t)snprintf(q->text + len, sizeof q->text - len, "%s%zu", m ? "," : "",
			                        q->member[m] + 1);
	}
	return ng;
}

static void centred_text(struct canvas *c, struct glyphs *gl, const char *text, double x, double y,
                         double size)
{
	struct text_box tb;
	glyphs_measure(gl, text, size, &tb);
	glyphs_draw(gl, c, text, floor(x - tb.width / 2 + 0.5), floor(y + (tb.ascent - tb.descent) / 2 + 0.5),
	            size, white, (struct rgba){0, 0, 0, 0}, 0);
}

/* A disc, or a pill wide enough for a group's numbers: returns how far
 * its end discs' centres are from its middle (0 for a disc). */
static double draw_disc(struct canvas *c, struct glyphs *gl, const struct group *g, double s)
{
	double r = MARKER_R * s, ow = ROUTE_MARKER_OUTLINE * s;
	double size = (g->count == 1 && g->first < 9 ? 12.0 : 11.0) * s;
	struct text_box tb;
	glyphs_measure(gl, g->text, size, &tb);
	double h = fmax(0, (tb.width + 8 * s) / 2 - r);
	if (h == 0) {
		raster_marker(c, SHAPE_CIRCLE, g->x, g->y, r, ROUTE_MARKER_COLOUR, white, ow);
	} else {
		double seg[4] = {g->x - h, g->y, g->x + h, g->y};
		raster_stroke_polyline(c, seg, 2, false, 2 * (r + ow), white);
		raster_stroke_polyline(c, seg, 2, false, 2 * r, ROUTE_MARKER_COLOUR);
	}
	centred_text(c, gl, g->text, g->x, g->y, size);
	return h;
}

/* A nice length for the scale bar: 1, 2 or 5 times a power of ten metres,
 * the longest not over max_m. */
static double nice_length(double max_m)
{
	double p = pow(10, floor(log10(max_m)));
	return max_m >= 5 * p ? 5 * p : max_m >= 2 * p ? 2 * p : p;
}

static void format_length(double m, char out[32])
{
	if (m >= 1000)
		snprintf(out, 32, "%g km", m / 1000);
	else
		snprintf(out, 32, "%g m", m);
}

/* The scale bar at the bottom left: a black and white bar and its
 * length; its box is an obstacle. */
static void scale_bar(struct canvas *c, struct glyphs *gl, struct obstacles *o, struct route_sheet_map *m,
                      double s)
{
	double len_m = nice_length(c->width * SCALE_BAR_MAX * m->m_per_px);
	double len = len_m / m->m_per_px, x0 = 10 * s, y = c->height - 12 * s, bh = 4 * s;
	char text[32];
	format_length(len_m, text);
	struct text_box tb;
	glyphs_measure(gl, text, SMALL_PX * s, &tb);
	double back[8] = {x0 - 3 * s,
	                  y - tb.ascent - 6 * s,
	                  x0 + fmax(len, tb.width) + 3 * s,
	                  y - tb.ascent - 6 * s,
	                  x0 + fmax(len, tb.width) + 3 * s,
	                  y + bh + 3 * s,
	                  x0 - 3 * s,
	                  y + bh + 3 * s};
	int four = 4;
	raster_fill_polygon(c, back, &four, 1, casing);
	double black[8] = {x0, y, x0 + len / 2, y, x0 + len / 2, y + bh, x0, y + bh};
	double light[8] = {x0 + len / 2, y, x0 + len, y, x0 + len, y + bh, x0 + len / 2, y + bh};
	raster_fill_polygon(c, black, &four, 1, ink);
	raster_fill_polygon(c, light, &four, 1, white);
	raster_stroke_polyline(c, (double[]){x0, y, x0 + len, y, x0 + len, y + bh, x0, y + bh}, 4, true,
	                       1 * s, ink);
	glyphs_draw(gl, c, text, floor(x0 + 0.5), floor(y - 3 * s + 0.5), SMALL_PX * s, ink, white,
	            HALO_PX * s);
	add_box(o, (struct box){back[0], back[1], back[4], back[5]});
	m->scale_bar_m = len_m;
}

/* The north arrow at the top right: Web Mercator keeps north up. */
static void north_arrow(struct canvas *c, struct glyphs *gl, struct obstacles *o, double s)
{
	double x = c->width - 18 * s, y = 10 * s, h = 22 * s, w = 7 * s;
	double left[6] = {x, y, x - w, y + h, x, y + h * 0.72};
	double right[6] = {x, y, x + w, y + h, x, y + h * 0.72};
	int three = 3;
	raster_fill_polygon(c, left, &three, 1, ink);
	raster_fill_polygon(c, right, &three, 1, white);
	raster_stroke_polyline(c, (double[]){x, y, x + w, y + h, x, y + h * 0.72, x - w, y + h}, 4, true,
	                       1 * s, ink);
	struct text_box tb;
	glyphs_measure(gl, "N 北", SMALL_PX * s, &tb);
	glyphs_draw(gl, c, "N 北", floor(x - tb.width / 2 + 0.5), floor(y + h + tb.ascent + 3 * s + 0.5),
	            SMALL_PX * s, ink, white, HALO_PX * s);
	add_box(o, (struct box){x - fmax(w, tb.width / 2) - 3 * s, y - 3 * s,
	                        x + fmax(w, tb.width / 2) + 3 * s, y + h + tb.ascent + tb.descent + 6 * s});
}

static void attribution(struct canvas *c, struct glyphs *gl, struct obstacles *o, double s)
{
	const char *text = "© " ROUTE_PLACES_ATTRIBUTION;
	struct text_box tb;
	glyphs_measure(gl, text, SMALL_PX * s, &tb);
	double x = c->width - tb.width - 6 * s, y = c->height - 6 * s;
	glyphs_draw(gl, c, text, floor(x + 0.5), floor(y + 0.5), SMALL_PX * s, grey, white, HALO_PX * s);
	add_box(o,
	        (struct box){x - 2 * s, y - tb.ascent - 2 * s, x + tb.width + 2 * s, y + tb.descent + 2 * s});
}

/* Approximate stops' uncertainty circles, each drawn once however many
 * stops share it. */
static void circles(struct canvas *c, const struct win *v, const struct route_plan *p, double s)
{
	double done[2 * ROUTE_MAX_STOPS][3];
	size_t nd = 0;
	double diag = hypot(c->width, c->height);
	for (size_t i = 0; i < p->n + p->nmissed; i++) {
		const struct site *st = i < p->n ? p->stops[i] : p->missed[i - p->n].site;
		if (!site_quality_approximate(st->quality))
			continue;
		double x, y;
		to_px(v, st->lat, st->lon, &x, &y);
		double m_per_px = 2 * WEBMERC_HALF * cos(st->lat * DEG) /
		                  (WEBMERC_TILE_SIZE * ldexp(1, v->zoom) * v->scale);
		double r = site_uncertainty(st) / m_per_px;
		bool seen = false;
		for (size_t k = 0; k < nd && !seen; k++)
			seen = fabs(done[k][0] - x) < 0.5 && fabs(done[k][1] - y) < 0.5 &&
			       fabs(done[k][2] - r) < 0.5;
		if (seen || r < 1)
			continue;
		done[nd][0] = x, done[nd][1] = y, done[nd][2] = r;
		nd++;
		/* a circle larger than the map would only tint all of it */
		if (r < diag)
			raster_fill_circle(c, x, y, r, amber_fill);
		raster_stroke_circle(c, x, y, r, 1.2 * s, amber_line);
	}
}

/* "≈ " and the name, with the numbers of a group's members, and the
 * radius of a position whose circle is larger than the map shows
 * (beyond_m): "≈ 红军营 ±40 km". */
static void stop_lines(const struct route_plan *p, const struct group *g, double beyond_m,
                       struct text_block *t)
{
	struct buf b = BUF_INIT;
	size_t *off = xcalloc(g->count, sizeof *off);
	for (size_t m = 0; m < g->count; m++) {
		const struct site *st = p->stops[g->member[m]];
		off[m] = b.len;
		if (g->count > 1)
			buf_printf(&b, "%zu ", g->member[m] + 1);
		buf_printf(&b, "%s%s", route_approx_mark(st), site_field(st, SITE_NAME_ZH));
		if (site_quality_approximate(st->quality) && site_uncertainty(st) > beyond_m) {
			char r[SITE_UNCERTAINTY_TEXT];
			site_format_uncertainty(site_uncertainty(st), r);
			buf_printf(&b, " %s", r);
		}
		buf_putc(&b, '\0');
	}
	t->own = buf_detach(&b, NULL);
	t->n = (int)g->count;
	for (size_t m = 0; m < g->count; m++)
		t->line[m] = t->own + off[m];
	free(off);
}

struct drawing {
	struct canvas *c;
	struct glyphs *gl;
	const struct route_plan *p;
	struct win v;
	struct obstacles *o;
	struct route_sheet_map *m;
	double s;
	/* labels placed, drawn after all are placed (leaders first) */
	struct text_block text[ROUTE_SHEET_MAX_LABELS];
	struct rgba fill[ROUTE_SHEET_MAX_LABELS];
};

/* Keeps a placed label: its box becomes an obstacle. */
static void keep(struct drawing *d, struct route_label_box b, enum route_label_kind kind,
                 struct text_block *t, struct rgba fill)
{
	struct route_sheet_map *m = d->m;
	if (m->nlabels == ROUTE_SHEET_MAX_LABELS) {
		free(t->own);
		return;
	}
	b.kind = kind;
	m->labels[m->nlabels] = b;
	d->text[m->nlabels] = *t;
	d->fill[m->nlabels] = fill;
	m->nlabels++;
	add_box(d->o, (struct box){b.x0, b.y0, b.x1, b.y1});
}

static void place_stop_labels(struct drawing *d, const struct group *g, size_t ng, const double *hw)
{
	for (size_t k = 0; k < ng; k++) {
		struct text_block t = {0};
		stop_lines(d->p, &g[k], d->m->m_per_px * hypot(d->c->width, d->c->height) / 2, &t);
		measure_block(d->gl, &t, (g[k].count > 1 ? GROUP_PX : LABEL_PX) * d->s, d->s);
		struct route_label_box b;
		if (place(d->o, g[k].x, g[k].y, hw[k], (MARKER_R + ROUTE_MARKER_OUTLINE) * d->s, t.w, t.h,
		          d->s, RINGS, &b))
			keep(d, b, g[k].count > 1 ? ROUTE_LABEL_GROUP : ROUTE_LABEL_STOP, &t, ink);
		else
			free(t.own);
	}
}

static void place_missed_labels(struct drawing *d, const double *mx, const double *my)
{
	const struct route_plan *p = d->p;
	for (size_t i = 0; i < p->nmissed; i++) {
		char why[ROUTE_NOTE_LEN];
		route_missed_zh(p, &p->missed[i], why);
		struct buf b = BUF_INIT;
		buf_printf(&b, "× %s（%s）", site_field(p->missed[i].site, SITE_NAME_ZH), why);
		struct text_block t = {.n = 1};
		t.own = buf_detach(&b, NULL);
		t.line[0] = t.own;
		measure_block(d->gl, &t, GROUP_PX * d->s, d->s);
		struct route_label_box lb;
		if (place(d->o, mx[i], my[i], 0, MISSED_R * d->s, t.w, t.h, d->s, RINGS, &lb))
			keep(d, lb, ROUTE_LABEL_MISSED, &t, grey);
		else
			free(t.own);
	}
}

/* A town's name without its dot, as an area is named: centred on the
 * point, else beside it.  For a town whose point the route or a marker
 * covers: a tour through a city passes its centre, and the city is the
 * one name a reader most needs.  At the sheet's zooms a town Natural
 * Earth lists spans more than its name, so the name stays on it. */
static bool place_area_name(struct drawing *d, double x, double y, const struct text_block *t,
                            struct route_label_box *b)
{
	struct box c = {x - t->w / 2, y - t->h / 2, x + t->w / 2, y + t->h / 2};
	if (box_free(d->o, c)) {
		*b = (struct route_label_box){c.x0, c.y0, c.x1, c.y1, ROUTE_LABEL_PLACE, false, 0, 0, 0, 0};
		return true;
	}
	return place(d->o, x, y, 0, PLACE_DOT_R * d->s, t->w, t->h, d->s, 0, b);
}

/* The places in view, by the file's priority, where there is room. */
static void place_places(struct drawing *d, const struct route_places *places)
{
	for (size_t i = 0; places && i < places->n; i++) {
		const struct route_place *pl = &places->v[i];
		if (pl->min_zoom > d->v.zoom + PLACE_ZOOM_SLACK)
			continue;
		double x, y;
		to_px(&d->v, pl->lat, pl->lon, &x, &y);
		if (x < 0 || y < 0 || x > d->c->width || y > d->c->height)
			continue;
		double r = PLACE_DOT_R * d->s;
		struct box dot = {x - r, y - r, x + r, y + r};
		struct text_block t = {.n = 1, .line = {route_place_label(pl)}};
		measure_block(d->gl, &t, PLACE_PX * d->s, d->s);
		struct route_label_box b;
		if (!box_free(d->o, dot)) {
			if (!place_area_name(d, x, y, &t, &b))
				continue;
		} else {
			if (!place(d->o, x, y, 0, r, t.w, t.h, d->s, 0, &b))
				continue;
			raster_fill_circle(d->c, x, y, r, grey);
			raster_stroke_circle(d->c, x, y, r, 1 * d->s, white);
			add_box(d->o, dot);
		}
		keep(d, b, ROUTE_LABEL_PLACE, &t, grey);
		d->m->places_shown++;
	}
}

/* With no place in view, the nearest one as a pointer at the map's edge:
 * "张掖 Zhangye 70 km ↗", so that a reader knows where the map is. */
static void place_pointer(struct drawing *d, const struct route_places *places)
{
	if (!places || !places->n || d->m->places_shown)
		return;
	double clat, clon;
	double cx = (double)d->v.ox + d->c->width / 2.0, cy = (double)d->v.oy + d->c->height / 2.0;
	double mx, my;
	webmerc_from_world_px(cx, cy, d->v.zoom, WEBMERC_TILE_SIZE * d->v.scale, &mx, &my);
	webmerc_to_lonlat(mx, my, &clon, &clat);
	size_t best = 0;
	double best_d = INFINITY, best_az = 0;
	for (size_t i = 0; i < places->n; i++) {
		double x, y, dist, az;
		to_px(&d->v, places->v[i].lat, places->v[i].lon, &x, &y);
		if (x >= 0 && y >= 0 && x <= d->c->width && y <= d->c->height)
			continue; /* in view, though no room for its name: no pointer to it */
		geo_inverse(clat, clon, places->v[i].lat, places->v[i].lon, &dist, &az);
		if (dist < best_d)
			best = i, best_d = dist, best_az = az;
	}
	if (isinf(best_d))
		return;
	static const char *const arrows[8] = {"↑", "↗", "→", "↘", "↓", "↙", "←", "↖"};
	const struct route_place *pl = &places->v[best];
	char text[160];
	/* whole kilometres: the pointer orients, it does not measure */
	snprintf(text, sizeof text, "%s %.0f km %s", route_place_label(pl), fmax(1, round(best_d / 1000)),
	         arrows[route_compass_sector(best_az)]);
	struct text_block t = {.n = 1, .line = {text}};
	measure_block(d->gl, &t, PLACE_PX * d->s, d->s);
	double dx = sin(best_az * DEG), dy = -cos(best_az * DEG);
	/* from the edge toward the centre, the first free spot */
	double reach =
	    fmin(fabs(dx) > 1e-9 ? (d->c->width / 2.0 - t.w / 2 - EDGE * d->s) / fabs(dx) : INFINITY,
	         fabs(dy) > 1e-9 ? (d->c->height / 2.0 - t.h / 2 - EDGE * d->s) / fabs(dy) : INFINITY);
	for (double f = reach; f > 0; f -= RING_STEP * d->s) {
		double x = d->c->width / 2.0 + dx * f, y = d->c->height / 2.0 + dy * f;
		struct box b = {x - t.w / 2, y - t.h / 2, x + t.w / 2, y + t.h / 2};
		if (!box_free(d->o, b))
			continue;
		t.own = xstrdup(text);
		t.line[0] = t.own;
		keep(d,
		     (struct route_label_box){b.x0, b.y0, b.x1, b.y1, ROUTE_LABEL_PLACE, false, 0, 0, 0, 0},
		     ROUTE_LABEL_PLACE, &t, grey);
		d->m->place_pointer = true;
		return;
	}
}

static void draw_labels(struct drawing *d)
{
	struct route_sheet_map *m = d->m;
	for (size_t i = 0; i < m->nlabels; i++)
		if (m->labels[i].leader) {
			double seg[4] = {m->labels[i].lx0, m->labels[i].ly0, m->labels[i].lx1,
			                 m->labels[i].ly1};
			raster_stroke_polyline(d->c, seg, 2, false, 2.6 * d->s, casing);
			raster_stroke_polyline(d->c, seg, 2, false, 1 * d->s, leader_grey);
		}
	for (size_t i = 0; i < m->nlabels; i++) {
		draw_block(d->c, d->gl, &d->text[i], &m->labels[i], d->fill[i], d->s);
		free(d->text[i].own);
	}
}

/* The route line: start, stops, start again. */
static void route_line(struct drawing *d)
{
	struct route_sheet_map *m = d->m;
	const struct route_plan *p = d->p;
	int np = 0;
	to_px(&d->v, p->start_lat, p->start_lon, &m->line[0], &m->line[1]);
	np++;
	for (size_t i = 0; i < p->n; i++, np++)
		to_px(&d->v, p->stops[i]->lat, p->stops[i]->lon, &m->line[2 * np], &m->line[2 * np + 1]);
	if (p->has_return) {
		m->line[2 * np] = m->line[0], m->line[2 * np + 1] = m->line[1];
		np++;
	}
	m->nline = np;
	m->line_w = ROUTE_LINE_W * d->s;
	if (np >= 2) {
		raster_stroke_polyline(d->c, m->line, np, false, m->line_w + 2 * d->s, casing);
		raster_stroke_polyline(d->c, m->line, np, false, m->line_w, ROUTE_LINE_COLOUR);
	}
	d->o->line = m->line;
	d->o->npts = np;
	d->o->line_clear = m->line_w / 2 + LINE_CLEAR * d->s;
}

/* Every marker, and the labels placed around them. */
static void markers_and_labels(struct drawing *d, const struct route_places *places)
{
	const struct route_plan *p = d->p;
	double s = d->s;
	double x[ROUTE_MAX_STOPS], y[ROUTE_MAX_STOPS], mx[ROUTE_MAX_STOPS], my[ROUTE_MAX_STOPS];
	for (size_t i = 0; i < p->n; i++)
		to_px(&d->v, p->stops[i]->lat, p->stops[i]->lon, &x[i], &y[i]);
	struct group *g = xcalloc(p->n ? p->n : 1, sizeof *g);
	size_t ng = group_stops(x, y, p->n, MARKER_R * s, g);
	/* the stops left out, under the others, grey with a cross */
	for (size_t i = 0; i < p->nmissed; i++) {
		to_px(&d->v, p->missed[i].site->lat, p->missed[i].site->lon, &mx[i], &my[i]);
		raster_marker(d->c, SHAPE_CIRCLE, mx[i], my[i], MISSED_R * s, missed_grey, white, 1.5 * s);
		centred_text(d->c, d->gl, "×", mx[i], my[i], 11 * s);
	}
	double hw[ROUTE_MAX_STOPS], r = (MARKER_R + ROUTE_MARKER_OUTLINE) * s;
	for (size_t k = ng; k-- > 0;) /* the first stops on top */
		hw[k] = draw_disc(d->c, d->gl, &g[k], s);
	for (size_t k = 0; k < ng; k++) {
		/* a pill as discs along it, no further apart than half a radius */
		int steps = (int)ceil(2 * hw[k] / (r / 2));
		for (int j = 0; j <= steps; j++)
			add_circle(d->o, g[k].x - hw[k] + (steps ? 2 * hw[k] * j / steps : 0), g[k].y,
			           r + 1 * s);
	}
	for (size_t i = 0; i < p->nmissed; i++)
		add_circle(d->o, mx[i], my[i], (MISSED_R + 1.5) * s);
	double sx, sy, half = ROUTE_MARKER_R * 0.9 * s + ROUTE_MARKER_OUTLINE * s;
	to_px(&d->v, p->start_lat, p->start_lon, &sx, &sy);
	raster_marker(d->c, SHAPE_SQUARE, sx, sy, ROUTE_MARKER_R * 0.9 * s, ROUTE_START_COLOUR, white,
	              ROUTE_MARKER_OUTLINE * s);
	centred_text(d->c, d->gl, "起", sx, sy, 12 * s);
	add_box(d->o, (struct box){sx - half, sy - half, sx + half, sy + half});
	place_stop_labels(d, g, ng, hw);
	place_missed_labels(d, mx, my);
	place_places(d, places);
	place_pointer(d, places);
	draw_labels(d);
	free(g);
}

enum ms_status route_sheet_map_draw(const struct route_plan *p, const struct style *style, struct glyphs *gl,
                                    const struct route_places *places, int width, int height, int scale,
                                    struct route_sheet_map *out, struct ms_error *err)
{
	memset(out, 0, sizeof *out);
	if (width < 1 || height < 1 || width > ROUTE_MAP_MAX_PX || height > ROUTE_MAP_MAX_PX || scale < 1 ||
	    scale > ROUTE_MAP_MAX_SCALE)
		return ms_fail(err, MS_EUSAGE, "route map: %dx%d at scale %d out of range", width, height,
		               scale);
	double box[4];
	extent(p, box);
	int zoom;
	enum ms_status st = route_map_fit_zoom(box[0], box[1], box[2], box[3], width, height,
	                                       ROUTE_SHEET_PAD_PX, ROUTE_MAP_FIT_MAX_ZOOM, &zoom, err);
	if (st != MS_OK)
		return st;
	struct tile_view tv;
	route_map_view_box(&tv, style, COORDSYS_WGS84, box[0], box[1], box[2], box[3], zoom, width, height,
	                   scale);
	struct win v = {zoom, scale, tv.width, tv.height, tv.origin_x, tv.origin_y};
	struct canvas *c = canvas_new(v.w, v.h);
	canvas_clear(c, style->background.a ? style->background : white);
	if (style->ncontext) {
		struct context_scratch *cs = context_scratch_new();
		context_draw(cs, c, style, COORDSYS_WGS84, zoom, scale, v.ox, v.oy);
		context_scratch_free(cs);
	}
	out->canvas = c;
	out->zoom = zoom;
	out->scale = scale;
	double clat = (box[1] + box[3]) / 2;
	out->m_per_px = 2 * WEBMERC_HALF * cos(clat * DEG) / (WEBMERC_TILE_SIZE * ldexp(1, zoom) * scale);
	struct obstacles *o = xcalloc(1, sizeof *o);
	o->w = v.w, o->h = v.h, o->edge = EDGE * scale;
	struct drawing *d = xcalloc(1, sizeof *d);
	*d = (struct drawing){.c = c, .gl = gl, .p = p, .v = v, .o = o, .m = out, .s = scale};
	circles(c, &v, p, scale);
	route_line(d);
	scale_bar(c, gl, o, out, scale);
	north_arrow(c, gl, o, scale);
	attribution(c, gl, o, scale);
	markers_and_labels(d, places);
	free(d);
	free(o);
	return MS_OK;
}

void route_sheet_map_free(struct route_sheet_map *m)
{
	if (m)
		canvas_free(m->canvas);
}

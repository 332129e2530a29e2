/*
 * raster.c - exact-area scanline rasterizer; see raster.h.
 *
 * How a shape becomes pixels:
 *
 *  1. Every input coordinate is snapped to 1/256 px.  All later geometry is
 *     done relative to a per-shape origin (the floor of its anchor or of its
 *     bounding box), so the arithmetic for a shape moved by whole pixels is
 *     the same bit for bit: that is what makes a marker cut by two tiles
 *     draw identical pixels on both.
 *
 *  2. Each edge is cut at pixel rows, and each row piece at pixel columns.
 *     A piece inside cell (x, y) that descends dy (in 1/65536 of a row)
 *     with mean x offset f inside the cell covers dy * (1 - f) of that cell
 *     and the full dy of every cell to its right; we add the first part to
 *     acc[x] and the rest to acc[x+1], so a running sum along the row is the
 *     signed, winding-weighted area of every cell (the accumulation scheme of
 *     font rasterizers such as FreeType's "smooth" one).
 *
 *  3. The crossing heights are rounded to integers *cumulatively*, so the
 *     pieces of one row telescope to the exact row height and the sums are
 *     exact integers: the result does not depend on the order of edges nor
 *     on where the canvas clips.  Cells left of the canvas are folded into
 *     the first visible cell (only their total matters), cells right of it
 *     are dropped.
 *
 *  4. Coverage is min(1, |sum|): the non-zero rule applied to each cell's
 *     area, as FreeType does.  It is exact for polygons whose edges do not
 *     overlap inside one pixel; where sub-paths of a single fill overlap
 *     with partial coverage the cell over-counts, which is why strokes are
 *     not drawn as overlapping capsules in one fill but combined by max().
 *
 * Curves are flattened with a sagitta under 1/16 px, and their vertices are
 * pushed out so that the polygon has the area of the true circle (an
 * inscribed polygon would lose ~1% of a small marker's area).
 */
#include "raster.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

#define SNAP 256.0          /* input grid: 1/256 px */
#define ONE 65536           /* fixed-point area of one whole pixel */
#define FLAT_TOL (1.0 / 16) /* max distance of a flattened curve from the true one, px */
#define GUARD 16777216.0    /* |coordinate| beyond this (px) is clipped away first */
#define STACK_CELLS 8192    /* accumulation cells kept on the stack */
#define MAX_ARC_PTS 1024    /* points of one flattened full circle, at most */
#define COVER_LEVELS 64     /* distinct partial coverages, see rast_cover_row */

/* The pin: its head's centre is this many sizes above the tip. */
#define PIN_HEAD_RISE 2.4

static const char *const shape_names[SHAPE_COUNT] = {"circle", "pin", "square", "diamond", "triangle"};

const char *marker_shape_name(enum marker_shape s)
{
	return (unsigned)s < SHAPE_COUNT ? shape_names[s] : NULL;
}

int marker_shape_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < SHAPE_COUNT; i++)
		if (strcmp(name, shape_names[i]) == 0)
			return i;
	return -1;
}

/* ---- the accumulation buffer ------------------------------------------- */

struct rast {
	double oq_x, oq_y;  /* the shape's origin in snapped units (a whole pixel) */
	int ox, oy;         /* the same in canvas pixels */
	int wl, wt, wr, wb; /* window of cells [wl, wr) x [wt, wb), shape-local px */
	int stride;         /* wr - wl + 1: one spare cell takes the last carry */
	int32_t *acc;       /* (wb - wt) rows of stride cells, zero between uses */
	int32_t *span;      /* per row: first and one past the last cell written */
};

static inline int32_t round_i32(double v)
{
	return (int32_t)floor(v + 0.5);
}

static inline void add_cell(int32_t *row, int i, int32_t dy, double f)
{
	int32_t a = round_i32((double)dy * (1.0 - f));
	row[i] += a;
	row[i + 1] += dy - a;
}

/* The height where a row piece crosses x, clamped to the piece's own
 * range in double before the conversion: for a piece almost vertical
 * the slope m is huge, and the unclamped value need not fit an int. */
static inline int32_t y_at(int32_t Ya, double xa, double m, double x, int32_t ylo, int32_t yhi)
{
	double y = Ya + (x - xa) * m;
	if (!(y >= ylo)) /* also NaN, from 0 * inf */
		y = ylo;
	else if (y > yhi)
		y = yhi;
	return round_i32(y);
}

/* One edge piece inside row r, from (xa, Ya) to (xb, Yb), Y in 1/65536 of
 * the row from its top; sign is +1 for a downward edge, -1 upward. */
static void row_piece(struct rast *R, int r, double xa, int32_t Ya, double xb, int32_t Yb, int sign)
{
	int32_t *row = R->acc + (size_t)(r - R->wt) * (size_t)R->stride;
	int32_t *span = R->span + 2 * (size_t)(r - R->wt);
	double xl = xa < xb ? xa : xb, xr = xa < xb ? xb : xa;
	if (xr <= R->wl) { /* wholly left of the window: only its height counts */
		row[0] += sign * (Yb - Ya);
		span[0] = 0;
		span[1] = span[1] > 1 ? span[1] : 1;
		return;
	}
	if (xl >= R->wr)
		return;
	/* the cells this piece writes: from its left end's, or the carry
	 * cell 0, to one past its right end's */
	int lo = xl <= R->wl ? 0 : (int)floor(xl) - R->wl;
	int hi = xr >= R->wr ? R->stride : (int)floor(xr) - R->wl + 2;
	span[0] = lo < span[0] ? lo : span[0];
	span[1] = hi > span[1] ? hi : span[1];
	if (xa == xb) {
		int c = (int)floor(xa);
		add_cell(row, c - R->wl, sign * (Yb - Ya), xa - c);
		return;
	}
	/* Walk left to right; dir makes each cell's dy follow the edge. */
	int dir = xa < xb ? sign : -sign;
	double m = (double)(Yb - Ya) / (xb - xa);
	int32_t ylo = Ya < Yb ? Ya : Yb, yhi = Ya < Yb ? Yb : Ya;
	int32_t yL = xa < xb ? Ya : Yb, yEnd = xa < xb ? Yb : Ya;
	double xL = xl;
	if (xl < R->wl) {
		int32_t y = y_at(Ya, xa, m, R->wl, ylo, yhi);
		row[0] += dir * (y - yL);
		xL = R->wl;
		yL = y;
	}
	int c = (int)floor(xL);
	for (;;) {
		double xn = c + 1;
		if (xn >= xr) {
			add_cell(row, c - R->wl, dir * (yEnd - yL), (xL + xr) * 0.5 - c);
			return;
		}
		int32_t y = y_at(Ya, xa, m, xn, ylo, yhi);
		add_cell(row, c - R->wl, dir * (y - yL), (xL + xn) * 0.5 - c);
		xL = xn;
		yL = y;
		if (++c >= R->wr)
			return;
	}
}

/* Adds the edge (x0,y0)-(x1,y1), in shape-local pixels. */
static void rast_edge_local(struct rast *R, double x0, double y0, double x1, double y1)
{
	int sign = 1;
	if (y0 == y1)
		return;
	if (y0 > y1) {
		double t = x0;
		x0 = x1;
		x1 = t;
		t = y0;
		y0 = y1;
		y1 = t;
		sign = -1;
	}
	if (y1 <= R->wt || y0 >= R->wb || (x0 >= R->wr && x1 >= R->wr))
		return;
	double dxdy = (x1 - x0) / (y1 - y0);
	int r0 = y0 < R->wt ? R->wt : (int)floor(y0);
	int r1 = y1 > R->wb ? R->wb : (int)ceil(y1);
	for (int r = r0; r < r1; r++) {
		double ya = y0 > r ? y0 : r, yb = y1 < r + 1 ? y1 : r + 1;
		if (ya >= yb)
			continue;
		/* Each row's ends come from the edge's own endpoints, never from
		 * the previous row, so clipping rows away changes nothing. */
		double xa = ya == y0 ? x0 : x0 + (ya - y0) * dxdy;
		double xb = yb == y1 ? x1 : x0 + (yb - y0) * dxdy;
		row_piece(R, r, xa, round_i32((ya - r) * ONE), xb, round_i32((yb - r) * ONE), sign);
	}
}

/* Adds an edge given in snapped units (absolute). */
static inline void rast_edge(struct rast *R, double qx0, double qy0, double qx1, double qy1)
{
	rast_edge_local(R, (qx0 - R->oq_x) / SNAP, (qy0 - R->oq_y) / SNAP, (qx1 - R->oq_x) / SNAP,
	                (qy1 - R->oq_y) / SNAP);
}

static inline double snap(double v)
{
	return nearbyint(v * SNAP);
}

/* Sets up R for a shape whose origin is the whole pixel (ox, oy) and whose
 * extent is the canvas-pixel box [bx0, bx1) x [by0, by1), clipped to the
 * canvas.  Returns false when nothing of it is visible. */
static bool rast_window(struct rast *R, const struct canvas *c, int ox, int oy, double bx0, double by0,
                        double bx1, double by1)
{
	if (!(bx0 < c->width && by0 < c->height && bx1 > 0 && by1 > 0))
		return false; /* also false for NaN */
	int x0 = bx0 < 0 ? 0 : (int)floor(bx0), y0 = by0 < 0 ? 0 : (int)floor(by0);
	int x1 = bx1 > c->width ? c->width : (int)ceil(bx1),
	    y1 = by1 > c->height ? c->height : (int)ceil(by1);
	if (x0 >= x1 || y0 >= y1)
		return false;
	R->ox = ox;
	R->oy = oy;
	R->oq_x = ox * SNAP;
	R->oq_y = oy * SNAP;
	R->wl = x0 - ox;
	R->wr = x1 - ox;
	R->wt = y0 - oy;
	R->wb = y1 - oy;
	R->stride = R->wr - R->wl + 1;
	return true;
}

static size_t rast_cells(const struct rast *R)
{
	return (size_t)(R->wb - R->wt) * (size_t)R->stride;
}

/* Turns row i of the window into 8-bit coverage and clears it for reuse.
 *
 * Coverage is rounded to 1/COVER_LEVELS steps.  64 levels are more than the
 * eye separates on an edge (4x4 supersampling gives 17), and they keep a
 * tile of several antialiased markers under 256 distinct colours, so that
 * it is written as an indexed PNG about half the size of the RGBA one
 * (measured: 6 markers of 3 colours, 310 colours and 3.8 KB at 256 levels,
 * 169 colours and 1.9 KB at 64). */
static inline uint8_t cover8(int32_t s)
{
	int32_t v = s < 0 ? -s : s;
	if (v >= ONE)
		return 255;
	int32_t q = (v * COVER_LEVELS + ONE / 2) >> 16;
	return (uint8_t)((q * 255 + COVER_LEVELS / 2) / COVER_LEVELS);
}

/* Only the cells edges wrote to are read: before the first the sum is 0,
 * after the last it stays what it was (non-zero when the shape runs on
 * past the window's right side).  Writes out[*a .. *b) and nothing else,
 * and leaves the row and its span cleared. */
static void rast_cover_row(struct rast *R, int i, uint8_t *out, int *a, int *b)
{
	int32_t *row = R->acc + (size_t)i * (size_t)R->stride;
	int32_t *span = R->span + 2 * (size_t)i;
	int n = R->stride - 1, lo = span[0], hi = span[1] < n ? span[1] : n;
	span[0] = INT32_MAX;
	span[1] = 0;
	if (lo >= hi) { /* nothing written to this row */
		*a = *b = 0;
		return;
	}
	int32_t s = 0;
	for (int x = lo; x < hi; x++) {
		s += row[x];
		row[x] = 0;
		out[x] = cover8(s);
	}
	row[n] = 0;
	*a = lo;
	*b = hi;
	if (s) {
		memset(out + hi, cover8(s), (size_t)(n - hi));
		*b = n;
	}
}

/* Blends the whole window in colour and leaves the buffer zeroed.  As
 * rast_cover_row, but a row is blended run by run: where the running sum
 * is 0 and no edge wrote a cell, nothing is covered, and the cells are
 * passed over without a coverage or a blend each.  A ring (a stroked
 * circle, an uncertainty radius across a tile) covers a thin band of its
 * rows' spans: the span's cells cost what the band does. */
static void rast_blend(struct rast *R, struct canvas *c, struct rgba colour, uint8_t *line)
{
	int n = R->stride - 1;
	for (int i = 0; i < R->wb - R->wt; i++) {
		int32_t *row = R->acc + (size_t)i * (size_t)R->stride;
		int32_t *span = R->span + 2 * (size_t)i;
		int lo = span[0], hi = span[1] < n ? span[1] : n;
		span[0] = INT32_MAX;
		span[1] = 0;
		int32_t s = 0;
		for (int x = lo; x < hi;) {
			if (!s && !row[x]) {
				x++;
				continue;
			}
			int a = x;
			do {
				s += row[x];
				row[x] = 0;
				line[x] = cover8(s);
				x++;
			} while (x < hi && (s || row[x]));
			int b = x;
			while (a < b && !line[a])
				a++;
			while (b > a && !line[b - 1])
				b--;
			if (a < b)
				canvas_blend_span(c, R->wl + R->ox + a, R->wl + R->ox + b, R->wt + R->oy + i,
				                  line + a, colour);
		}
		row[n] = 0;
		if (s && hi < n) { /* the shape runs on past the window's right side */
			memset(line + hi, cover8(s), (size_t)(n - hi));
			if (line[hi])
				canvas_blend_span(c, R->wl + R->ox + hi, R->wl + R->ox + n, R->wt + R->oy + i,
				                  line + hi, colour);
		}
	}
}

/* Scratch memory: on the stack for small shapes, else one allocation. */
struct scratch {
	int32_t cells[STACK_CELLS];
	uint8_t line[STACK_CELLS];
	int32_t *heap_cells;
	uint8_t *heap_bytes;
};

static void scratch_take(struct scratch *s, struct rast *R, size_t cells, uint8_t **line, size_t bytes)
{
	size_t rows = (size_t)(R->wb - R->wt);
	s->heap_cells = NULL;
	s->heap_bytes = NULL;
	cells += 2 * rows; /* the spans, after the cells */
	if (cells <= STACK_CELLS) {
		R->acc = s->cells;
		memset(R->acc, 0, cells * sizeof *R->acc);
	} else {
		R->acc = s->heap_cells = xcalloc(cells, sizeof *R->acc);
	}
	R->span = R->acc + (cells - 2 * rows);
	for (size_t i = 0; i < rows; i++) {
		R->span[2 * i] = INT32_MAX;
		R->span[2 * i + 1] = 0;
	}
	if (bytes <= STACK_CELLS) {
		*line = s->line;
		memset(*line, 0, bytes);
	} else {
		*line = s->heap_bytes = xcalloc(bytes, 1);
	}
}

static void scratch_drop(struct scratch *s)
{
	free(s->heap_cells);
	free(s->heap_bytes);
}

/* ---- curves -------------------------------------------------------------- */

/* Segments for a full turn of radius r (px) with sagitta < FLAT_TOL, a
 * multiple of 4 so circles are symmetric about both axes. */
static int circle_steps(double r)
{
	if (!(r > FLAT_TOL))
		return 8;
	double n = M_PI / acos(1.0 - FLAT_TOL / r);
	int k = (int)ceil(n / 4.0) * 4;
	if (k < 8)
		k = 8;
	if (k > MAX_ARC_PTS)
		k = MAX_ARC_PTS;
	return k;
}

/* Radius to put the vertices of an n-gon on so that its area is pi r^2. */
static double area_radius(double r, int n)
{
	double t = 2.0 * M_PI / n;
	return r * sqrt(t / sin(t));
}

/* Adds a full circle (snapped centre qx, qy; radius r px) to R; dir +1 or
 * -1 picks the orientation (a hole runs the other way). */
static void rast_circle(struct rast *R, double qx, double qy, double r, int dir)
{
	int n = circle_steps(r);
	double rr = area_radius(r, n);
	double px = qx + snap(rr), py = qy;
	for (int i = 1; i <= n; i++) {
		double t = 2.0 * M_PI * (i % n) / n * dir;
		double nx = qx + snap(rr * cos(t)), ny = qy + snap(rr * sin(t));
		rast_edge(R, px, py, nx, ny);
		px = nx;
		py = ny;
	}
}

/* ---- convex hulls of circles (markers, capsules) ------------------------ */

/* A convex outline as the hull of circles (centre offsets in px, radius),
 * listed clockwise on screen.  A radius of 0 is a sharp corner. */
struct hull {
	int n;
	double x[4], y[4], r[4];
};

/* Emits the hull's outline as snapped offsets into pts (pairs), returning
 * the count; at most max points. */
static int hull_points(const struct hull *h, double *pts, int max)
{
	int n = 0;
	if (h->n == 1) {
		int k = circle_steps(h->r[0]);
		double rr = area_radius(h->r[0], k);
		for (int i = 0; i < k && n < max; i++, n++) {
			double t = 2.0 * M_PI * i / k;
			pts[2 * n] = snap(h->x[0] + rr * cos(t));
			pts[2 * n + 1] = snap(h->y[0] + rr * sin(t));
		}
		return n;
	}
	/* Outward normal angle of the tangent from circle i to circle i+1. */
	double ang[4];
	for (int i = 0; i < h->n; i++) {
		int j = (i + 1) % h->n;
		double dx = h->x[j] - h->x[i], dy = h->y[j] - h->y[i];
		double len = hypot(dx, dy);
		if (!(len > 1.0 / SNAP)) {
			/* Centres closer than the input grid (a marker of almost no
			 * size): the hull is, to the grid, the largest circle. */
			struct hull one = {1, {h->x[0]}, {h->y[0]}, {h->r[0]}};
			for (int k = 1; k < h->n; k++)
				one.r[0] = fmax(one.r[0], h->r[k]);
			return hull_points(&one, pts, max);
		}
		double ux = dx / len, uy = dy / len;
		double a = (h->r[i] - h->r[j]) / len; /* n.u: tangency of both circles */
		a = a > 1 ? 1 : a < -1 ? -1 : a;
		double b = sqrt(1.0 - a * a);
		/* clockwise on screen: outward is u rotated by -90 degrees */
		ang[i] = atan2(a * uy - b * ux, a * ux + b * uy);
	}
	for (int i = 0; i < h->n; i++) {
		double a0 = ang[(i + h->n - 1) % h->n], a1 = ang[i];
		double sweep = a1 - a0;
		while (sweep < 0)
			sweep += 2.0 * M_PI;
		while (sweep >= 2.0 * M_PI)
			sweep -= 2.0 * M_PI;
		if (h->r[i] <= 0 || sweep < 1e-9) {
			if (n < max) {
				pts[2 * n] = snap(h->x[i] + h->r[i] * cos(a0));
				pts[2 * n + 1] = snap(h->y[i] + h->r[i] * sin(a0));
				n++;
			}
			continue;
		}
		int full = circle_steps(h->r[i]);
		int k = (int)ceil(sweep / (2.0 * M_PI) * full);
		if (k < 1)
			k = 1;
		/* Like area_radius, but for this arc's own step. */
		double step = sweep / k;
		double rr = h->r[i] * sqrt(step / sin(step));
		for (int s = 0; s <= k && n < max; s++, n++) {
			double t = a0 + step * s;
			double rad = (s == 0 || s == k) ? h->r[i] : rr;
			pts[2 * n] = snap(h->x[i] + rad * cos(t));
			pts[2 * n + 1] = snap(h->y[i] + rad * sin(t));
		}
	}
	return n;
}

/* The marker's fill outline grown by e px, as a hull around the anchor. */
static void marker_hull(enum marker_shape shape, double s, double e, struct hull *h)
{
	switch (shape) {
	case SHAPE_PIN:
		/* the tip, then the head: the tangents make the teardrop */
		*h = (struct hull){2, {0, 0}, {0, -PIN_HEAD_RISE * s}, {e, s + e}};
		break;
	case SHAPE_SQUARE: *h = (struct hull){4, {-s, s, s, -s}, {-s, -s, s, s}, {e, e, e, e}}; break;
	case SHAPE_DIAMOND: *h = (struct hull){4, {0, s, 0, -s}, {-s, 0, s, 0}, {e, e, e, e}}; break;
	case SHAPE_TRIANGLE: {
		/* equilateral, 2s wide, centroid on the anchor */
		double ht = s * sqrt(3.0);
		*h = (struct hull){3, {0, s, -s}, {-2.0 * ht / 3.0, ht / 3.0, ht / 3.0}, {e, e, e}};
		break;
	}
	case SHAPE_CIRCLE:
	default: *h = (struct hull){1, {0}, {0}, {s + e}}; break;
	}
}

void raster_marker_hole(struct canvas *c, enum marker_shape shape, double x, double y, double size,
                        double frac, struct rgba colour)
{
	static const struct rgba none = {0, 0, 0, 0};
	if (!(frac > 0) || !(size > 0))
		return;
	if (shape == SHAPE_PIN)
		raster_fill_circle(c, x, y - PIN_HEAD_RISE * size, frac * size, colour);
	else
		raster_marker(c, shape, x, y, frac * size, colour, none, 0);
}

void raster_marker_extent(enum marker_shape shape, double size, double outline_w, double *left, double *top,
                          double *right, double *bottom)
{
	double s = size > 0 ? size : 0, e = outline_w > 0 ? outline_w : 0;
	double l = -(s + e), t = -(s + e), r = s + e, b = s + e;
	if (shape == SHAPE_PIN) {
		t = -(PIN_HEAD_RISE * s + s + e);
		b = e;
	} else if (shape == SHAPE_TRIANGLE) {
		double ht = s * sqrt(3.0);
		t = -(2.0 * ht / 3.0 + e);
		b = ht / 3.0 + e;
	}
	*left = l;
	*top = t;
	*right = r;
	*bottom = b;
}

/* ---- public drawing -------------------------------------------------------- */

static bool finite2(double x, double y)
{
	return isfinite(x) && isfinite(y);
}

/* Adds a ring of snapped points, closing it. */
static void rast_ring_q(struct rast *R, double ax, double ay, const double *pts, int n)
{
	for (int i = 0; i < n; i++) {
		int j = i + 1 == n ? 0 : i + 1;
		rast_edge(R, ax + pts[2 * i], ay + pts[2 * i + 1], ax + pts[2 * j], ay + pts[2 * j + 1]);
	}
}

void raster_marker(struct canvas *c, enum marker_shape shape, double x, double y, double size,
                   struct rgba fill, struct rgba outline, double outline_w)
{
	if (!finite2(x, y) || !isfinite(size) || !isfinite(outline_w) || size <= 0 ||
	    (unsigned)shape >= SHAPE_COUNT)
		return;
	double e = (outline.a && outline_w > 0) ? outline_w : 0;
	if (size > GUARD || e > GUARD || fabs(x) > GUARD || fabs(y) > GUARD)
		return; /* nowhere near any canvas */
	if (!fill.a && !e)
		return;
	double l, t, r, b;
	raster_marker_extent(shape, size, e, &l, &t, &r, &b);
	double qx = snap(x), qy = snap(y);
	int ox = (int)floor(qx / SNAP), oy = (int)floor(qy / SNAP);
	struct rast R;
	/* one pixel of margin for the snapped, area-corrected vertices */
	if (!rast_window(&R, c, ox, oy, x + l - 1, y + t - 1, x + r + 1, y + b + 1))
		return;

	static const int maxp = MAX_ARC_PTS + 16;
	double pts[2 * (MAX_ARC_PTS + 16)];
	struct hull h;
	struct scratch sc;
	int w = R.stride - 1, rows = R.wb - R.wt;
	uint8_t *mem;
	scratch_take(&sc, &R, rast_cells(&R), &mem, (size_t)w * (size_t)(e ? rows + 1 : 1));

	if (!e) {
		marker_hull(shape, size, 0, &h);
		rast_ring_q(&R, qx, qy, pts, hull_points(&h, pts, maxp));
		rast_blend(&R, c, fill, mem);
		scratch_drop(&sc);
		return;
	}
	/* The outer shape's coverage first, kept per pixel ... */
	uint8_t *cout = mem, *cin = mem + (size_t)w * (size_t)rows;
	marker_hull(shape, size, e, &h);
	rast_ring_q(&R, qx, qy, pts, hull_points(&h, pts, maxp));
	for (int i = 0; i < rows; i++) {
		int a0, b0; /* cout starts zeroed: the span is all there is to write */
		rast_cover_row(&R, i, cout + (size_t)i * (size_t)w, &a0, &b0);
	}
	/* ... then the fill's, and the two composited as disjoint areas of each
	 * pixel: the outline owns (cout - cin) of it and the fill cin.  Drawing
	 * the outline with k = (cout - cin) / (1 - fill.a * cin) and the fill
	 * over it with cin gives exactly that (expand both "over"s), also for
	 * translucent fills, with no seam of background between the two. */
	marker_hull(shape, size, 0, &h);
	rast_ring_q(&R, qx, qy, pts, hull_points(&h, pts, maxp));
	for (int i = 0; i < rows; i++) {
		uint8_t *co = cout + (size_t)i * (size_t)w;
		int a, bnd;
		memset(cin, 0, (size_t)w);
		rast_cover_row(&R, i, cin, &a, &bnd);
		a = 0;
		bnd = w;
		while (a < bnd && !co[a])
			a++;
		while (bnd > a && !co[bnd - 1])
			bnd--;
		if (a == bnd)
			continue;
		for (int j = a; j < bnd; j++) {
			int o = co[j], f = cin[j];
			int num = o > f ? (o - f) * 65025 : 0;
			int den = 65025 - fill.a * f;
			int k = den > 0 ? (num + den / 2) / den : 0;
			co[j] = (uint8_t)(k > 255 ? 255 : k);
		}
		int px = R.wl + R.ox, py = R.wt + R.oy + i;
		canvas_blend_span(c, px + a, px + bnd, py, co + a, outline);
		canvas_blend_span(c, px + a, px + bnd, py, cin + a, fill);
	}
	scratch_drop(&sc);
}

void raster_fill_circle(struct canvas *c, double cx, double cy, double r, struct rgba colour)
{
	if (!finite2(cx, cy) || !(r > 0) || !colour.a || r > GUARD || fabs(cx) > GUARD || fabs(cy) > GUARD)
		return;
	double qx = snap(cx), qy = snap(cy);
	struct rast R;
	if (!rast_window(&R, c, (int)floor(qx / SNAP), (int)floor(qy / SNAP), cx - r - 1, cy - r - 1,
	                 cx + r + 1, cy + r + 1))
		return;
	struct scratch sc;
	uint8_t *line;
	scratch_take(&sc, &R, rast_cells(&R), &line, (size_t)R.stride);
	rast_circle(&R, qx, qy, r, 1);
	rast_blend(&R, c, colour, line);
	scratch_drop(&sc);
}

/* Pixels of a ring's row handed to canvas_blend_span at a time. */
#define RING_RUN 256

/* The coverage of a pixel whose centre is d px from the centre of the
 * ring [ri, ro], ri >= 1/2: the part of the ring's cross-section that
 * falls within half a pixel of d, along the radius.  Integrated over the
 * plane this is the ring's area exactly, pi (ro^2 - ri^2). */
static inline uint8_t ring_cover(double d, double ro, double ri)
{
	double o = ro + 0.5 - d, i = ri + 0.5 - d;
	o = o < 0 ? 0 : o > 1 ? 1 : o;
	i = i < 0 ? 0 : i > 1 ? 1 : i;
	return cover8(round_i32((o - i) * ONE));
}

/* Blends the pixels [a, b) of canvas row y (shape-local offsets from the
 * centre fx, dy) of the ring. */
static void ring_run(struct canvas *c, int ox, int y, int a, int b, double fx, double dy, double ro,
                     double ri, struct rgba colour)
{
	uint8_t line[RING_RUN];
	while (a < b) {
		int n = b - a < RING_RUN ? b - a : RING_RUN;
		for (int k = 0; k < n; k++) {
			double dx = (a + k) + 0.5 - fx;
			line[k] = ring_cover(sqrt(dx * dx + dy * dy), ro, ri);
		}
		canvas_blend_span(c, ox + a, ox + a + n, y, line, colour);
		a += n;
	}
}

/*
 * A ring is drawn row by row from each pixel's distance to its centre
 * (ring_cover), over the two runs of the row that the ring's band can
 * reach, not by the accumulation buffer: that one costs a cell for every
 * pixel of the ring's bounding box, and an uncertainty ring hundreds of
 * pixels across (a site known to a village, at zoom 12 @2x) costs the
 * area of the tile, where the band is a few thousand pixels.  Distances
 * are taken from the centre's place within its pixel (a multiple of
 * 1/256), so that the ring moved by whole pixels draws the same pixels.
 */
void raster_stroke_circle(struct canvas *c, double cx, double cy, double r, double width, struct rgba colour)
{
	if (!(width > 0) || !isfinite(r) || !isfinite(width))
		return;
	double ro = r + width / 2, ri = r - width / 2;
	if (ri < 0.5) { /* no hole worth the name: a disc */
		raster_fill_circle(c, cx, cy, ro, colour);
		return;
	}
	if (!finite2(cx, cy) || !colour.a || ro > GUARD || fabs(cx) > GUARD || fabs(cy) > GUARD)
		return;
	double qx = snap(cx), qy = snap(cy);
	int ox = (int)floor(qx / SNAP), oy = (int)floor(qy / SNAP);
	double fx = (qx - ox * SNAP) / SNAP, fy = (qy - oy * SNAP) / SNAP; /* in [0, 1) */
	double reach = ro + 0.5, hole = ri - 0.5;                          /* cover > 0 between */
	int j0 = (int)floor(fy - reach), j1 = (int)ceil(fy + reach);
	if (j0 < -oy)
		j0 = -oy;
	if (j1 > c->height - oy)
		j1 = c->height - oy;
	for (int j = j0; j < j1; j++) {
		double dy = j + 0.5 - fy;
		if (fabs(dy) >= reach)
			continue;
		double xo = sqrt(reach * reach - dy * dy);
		/* pixels whose centre is within xo of fx, and not within xi
		 * (those in the hole: none when the row passes beside it) */
		int lo = (int)floor(fx - xo - 0.5), hi = (int)ceil(fx + xo - 0.5) + 1, il = 0, ir = 0;
		if (fabs(dy) < hole) {
			double xi = sqrt(hole * hole - dy * dy);
			il = (int)ceil(fx - xi - 0.5);
			ir = (int)floor(fx + xi - 0.5) + 1;
		}
		if (lo < -ox)
			lo = -ox;
		if (hi > c->width - ox)
			hi = c->width - ox;
		if (il >= ir) { /* no pixel inside the hole: one run */
			ring_run(c, ox, oy + j, lo, hi, fx, dy, ro, ri, colour);
			continue;
		}
		ring_run(c, ox, oy + j, lo, il < hi ? il : hi, fx, dy, ro, ri, colour);
		ring_run(c, ox, oy + j, ir > lo ? ir : lo, hi, fx, dy, ro, ri, colour);
	}
}

/* Sutherland-Hodgman against one side of the guard box; returns the count. */
static int clip_side(const double *in, int n, double *out, int axis, double lim, int keep_below)
{
	int m = 0;
	for (int i = 0; i < n; i++) {
		const double *p = in + 2 * i, *q = in + 2 * ((i + 1) % n);
		double pv = p[axis], qv = q[axis];
		bool pin = keep_below ? pv <= lim : pv >= lim, qin = keep_below ? qv <= lim : qv >= lim;
		if (pin) {
			out[2 * m] = p[0];
			out[2 * m + 1] = p[1];
			m++;
		}
		if (pin != qin) {
			double t = (lim - pv) / (qv - pv);
			out[2 * m + axis] = lim;
			/* Not p + t * (q - p): q - p overflows to infinity for far
			 * ends of opposite signs, and 0 * inf is NaN.  The weighted
			 * sum stays within the ends (but for rounding at DBL_MAX,
			 * hence the clamp). */
			double v = p[1 - axis] * (1 - t) + q[1 - axis] * t;
			out[2 * m + 1 - axis] = fmin(fmax(v, -DBL_MAX), DBL_MAX);
			m++;
		}
	}
	return m;
}

/* Clips a ring to the guard box, so that coordinates far outside every
 * canvas keep the shape's geometry near it while the arithmetic stays in
 * range.  *out is malloc'ed; returns the new count. */
static int clip_guard(const double *xy, int n, double **out)
{
	size_t cap = 2 * ((size_t)n + 8) * 2;
	double *a = xmalloc(cap * sizeof *a), *b = xmalloc(cap * sizeof *b);
	memcpy(a, xy, (size_t)n * 2 * sizeof *a);
	n = clip_side(a, n, b, 0, -GUARD, 0);
	n = clip_side(b, n, a, 0, GUARD, 1);
	n = clip_side(a, n, b, 1, -GUARD, 0);
	n = clip_side(b, n, a, 1, GUARD, 1);
	free(b);
	*out = a;
	return n;
}

void raster_fill_polygon(struct canvas *c, const double *xy, const int *ring_len, int nrings,
                         struct rgba colour)
{
	if (!xy || !ring_len || nrings <= 0 || !colour.a)
		return;
	double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
	size_t total = 0;
	for (int r = 0; r < nrings; r++) {
		if (ring_len[r] < 0)
			return;
		total += (size_t)ring_len[r];
	}
	for (size_t i = 0; i < total; i++) {
		double x = xy[2 * i], y = xy[2 * i + 1];
		if (!finite2(x, y))
			return; /* a broken coordinate: the shape is undefined */
		x0 = fmin(x0, x);
		x1 = fmax(x1, x);
		y0 = fmin(y0, y);
		y1 = fmax(y1, y);
	}
	if (total == 0)
		return; /* only empty rings: the bounds below would stay infinite */
	bool guard = x0 < -GUARD || y0 < -GUARD || x1 > GUARD || y1 > GUARD;
	/* Clamped both ways: they become the int origin of the window, and a
	 * shape wholly beyond the guard box is then simply off the canvas. */
	double gx0 = fmin(fmax(x0, -GUARD), GUARD), gy0 = fmin(fmax(y0, -GUARD), GUARD);
	struct rast R;
	if (!rast_window(&R, c, (int)floor(gx0), (int)floor(gy0), gx0, gy0, fmin(x1, GUARD) + 1,
	                 fmin(y1, GUARD) + 1))
		return;
	struct scratch sc;
	uint8_t *line;
	scratch_take(&sc, &R, rast_cells(&R), &line, (size_t)R.stride);
	const double *ring = xy;
	for (int r = 0; r < nrings; r++) {
		int n = ring_len[r];
		const double *p = ring;
		double *clipped = NULL;
		if (guard)
			p = clipped, n = clip_guard(ring, n, &clipped), p = clipped;
		for (int i = 0; i < n; i++) {
			int j = i + 1 == n ? 0 : i + 1;
			rast_edge(&R, snap(p[2 * i]), snap(p[2 * i + 1]), snap(p[2 * j]), snap(p[2 * j + 1]));
		}
		free(clipped);
		ring += 2 * (size_t)ring_len[r];
	}
	rast_blend(&R, c, colour, line);
	scratch_drop(&sc);
}

/* v rounded toward lo..hi and converted, whatever its size (NaN gives lo). */
static int clamp_int(double v, int lo, int hi)
{
	return !(v > lo) ? lo : v >= hi ? hi : (int)v;
}

/* ---- strokes ----------------------------------------------------------- */

/* Strokes are the union of one capsule per segment.  Adding the capsules to
 * one fill would count twice the pixels where two capsules' edges coincide
 * (the round join of every vertex), so each capsule is rasterized alone and
 * the coverages are merged with max(), exact wherever one capsule's edge
 * lies inside or on the other's. */
void raster_stroke_polyline(struct canvas *c, const double *xy, int npts, bool closed, double width,
                            struct rgba colour)
{
	if (!xy || npts <= 0 || !(width > 0) || !isfinite(width) || !colour.a || width > GUARD)
		return;
	double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
	for (int i = 0; i < npts; i++) {
		double x = xy[2 * i], y = xy[2 * i + 1];
		if (!finite2(x, y))
			return;
		x0 = fmin(x0, x);
		x1 = fmax(x1, x);
		y0 = fmin(y0, y);
		y1 = fmax(y1, y);
	}
	double hw = width / 2;
	/* Clamped both ways, as they become the int origin of the window. */
	double gx0 = fmin(fmax(x0 - hw, -2 * GUARD), 2 * GUARD),
	       gy0 = fmin(fmax(y0 - hw, -2 * GUARD), 2 * GUARD);
	struct rast W; /* the whole stroke's window */
	if (!rast_window(&W, c, (int)floor(gx0), (int)floor(gy0), gx0 - 1, gy0 - 1,
	                 fmin(x1 + hw + 1, 2 * GUARD), fmin(y1 + hw + 1, 2 * GUARD)))
		return;
	int w = W.stride - 1, rows = W.wb - W.wt;
	struct scratch sc;
	uint8_t *mask;
	scratch_take(&sc, &W, rast_cells(&W), &mask, (size_t)w * (size_t)(rows + 1));
	uint8_t *line = mask + (size_t)w * (size_t)rows;
	double pts[2 * (MAX_ARC_PTS + 16)];
	int nseg = closed && npts > 2 ? npts : (npts > 1 ? npts - 1 : 1);
	for (int s = 0; s < nseg; s++) {
		int j = (s + 1) % npts;
		double ax = xy[2 * s], ay = xy[2 * s + 1], bx = xy[2 * j], by = xy[2 * j + 1];
		if (fmax(fabs(ax), fabs(ay)) > GUARD || fmax(fabs(bx), fabs(by)) > GUARD) {
			/* Pull a far end in along the segment (Liang-Barsky): the
			 * part beyond the guard is nowhere near a canvas, and the
			 * direction stays.  Halves throughout, since bx - ax may
			 * overflow a double when the ends are far apart; a cut end
			 * takes the boundary's value exactly on its own axis. */
			double d[2] = {bx * 0.5 - ax * 0.5, by * 0.5 - ay * 0.5}, a[2] = {ax, ay};
			double t0 = 0, t1 = 1;
			int k0 = -1, k1 = -1; /* the side that cut each end */
			for (int k = 0; k < 4; k++) {
				double lim = k & 1 ? GUARD : -GUARD;
				double p = k & 1 ? d[k >> 1] : -d[k >> 1];
				double q = k & 1 ? 0.5 * lim - 0.5 * a[k >> 1] : 0.5 * a[k >> 1] - 0.5 * lim;
				if (p == 0) {
					if (q < 0)
						t0 = 2;
				} else if (p < 0 && q / p > t0) {
					t0 = q / p;
					k0 = k;
				} else if (p > 0 && q / p < t1) {
					t1 = q / p;
					k1 = k;
				}
			}
			if (!(t0 <= t1))
				continue;
			double na[2], nb[2];
			for (int ax_i = 0; ax_i < 2; ax_i++) {
				na[ax_i] = a[ax_i] + 2 * (t0 * d[ax_i]);
				nb[ax_i] = a[ax_i] + 2 * (t1 * d[ax_i]);
			}
			if (k0 >= 0)
				na[k0 >> 1] = k0 & 1 ? GUARD : -GUARD;
			if (k1 >= 0)
				nb[k1 >> 1] = k1 & 1 ? GUARD : -GUARD;
			if (k1 < 0) {
				nb[0] = bx;
				nb[1] = by;
			}
			if (!finite2(na[0], na[1]) || !finite2(nb[0], nb[1]))
				continue;
			ax = fmin(fmax(na[0], -GUARD), GUARD);
			ay = fmin(fmax(na[1], -GUARD), GUARD);
			bx = fmin(fmax(nb[0], -GUARD), GUARD);
			by = fmin(fmax(nb[1], -GUARD), GUARD);
		}
		/* This capsule's own window, a part of W's: same origin. */
		struct rast R = W;
		double lx = fmin(ax, bx) - hw - 1, ly = fmin(ay, by) - hw - 1;
		double hx = fmax(ax, bx) + hw + 1, hy = fmax(ay, by) + hw + 1;
		int cx0 = clamp_int(floor(lx) - W.ox, W.wl, W.wr),
		    cx1 = clamp_int(ceil(hx) - W.ox, W.wl, W.wr);
		int cy0 = clamp_int(floor(ly) - W.oy, W.wt, W.wb),
		    cy1 = clamp_int(ceil(hy) - W.oy, W.wt, W.wb);
		if (cx0 >= cx1 || cy0 >= cy1)
			continue;
		R.wl = cx0;
		R.wr = cx1;
		R.wt = cy0;
		R.wb = cy1;
		R.stride = cx1 - cx0 + 1;
		double qax = snap(ax), qay = snap(ay), qbx = snap(bx), qby = snap(by);
		struct hull h;
		double len = hypot(qbx - qax, qby - qay) / SNAP;
		if (len < 1.0 / SNAP) {
			h = (struct hull){1, {0}, {0}, {hw}};
		} else {
			/* clockwise: from a to b along one side, back along the other */
			h = (struct hull){2, {0, (qbx - qax) / SNAP}, {0, (qby - qay) / SNAP}, {hw, hw}};
		}
		rast_ring_q(&R, qax, qay, pts, hull_points(&h, pts, MAX_ARC_PTS + 16));
		for (int i = 0; i < cy1 - cy0; i++) {
			uint8_t *m = mask + (size_t)(cy0 - W.wt + i) * (size_t)w + (cx0 - W.wl);
			int a, b;
			rast_cover_row(&R, i, line, &a, &b);
			for (int k = a; k < b; k++)
				if (line[k] > m[k])
					m[k] = line[k];
		}
	}
	for (int i = 0; i < rows; i++) {
		uint8_t *m = mask + (size_t)i * (size_t)w;
		int a = 0, b = w;
		while (a < b && !m[a])
			a++;
		while (b > a && !m[b - 1])
			b--;
		if (a < b)
			canvas_blend_span(c, W.wl + W.ox + a, W.wl + W.ox + b, W.wt + W.oy + i, m + a,
			                  colour);
	}
	scratch_drop(&sc);
}

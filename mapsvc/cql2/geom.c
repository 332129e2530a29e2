/*
 * geom.c - the geometry literals of CQL2 filters: building them from
 * either encoding (axis order, ranges and bounds checked once, here), where
 * a point lies relative to one, and their canonical WKT.
 *
 * Records are points, so every spatial predicate comes down to locating a
 * point in a literal, in DE-9IM terms: in its interior, on its boundary,
 * or outside it (the evaluator maps those onto the eight functions).
 *   - A point's or multipoint's interior is its points; no boundary.
 *   - A line's boundary is its two ends unless it is closed; for several
 *     lines, the "mod 2" rule of OGC 06-103r4 6.1.6.1 (an end shared by
 *     an even number of lines is interior); the rest of a line is
 *     interior.
 *   - A polygon's boundary is its rings; inside the shell and outside
 *     every hole is interior (even-odd crossing number, so orientation
 *     does not matter).  A multipolygon's parts meet at most at points.
 *   - A BBOX is a rectangle in lon/lat; west > east wraps across the
 *     antimeridian.
 * All in planar lon/lat degrees (cql2.h), with CQL2_GEOM_EPS_DEG as the
 * width of a boundary.  Each literal's extent is tested first, so a record
 * far from a large polygon costs four comparisons.
 */
#include <math.h>
#include <string.h>

#include "cql2_int.h"

#define EPS CQL2_GEOM_EPS_DEG
#define LON_MAX 180.0
#define LAT_MAX 90.0
/* A ring's fewest positions: a triangle and its closing position. */
#define RING_MIN 4
#define BBOX_2D 4
#define BBOX_3D 6

const char *const cq_gtype_names[G_COUNT] = {
    "POINT",   "MULTIPOINT",   "LINESTRING",         "MULTILINESTRING",
    "POLYGON", "MULTIPOLYGON", "GEOMETRYCOLLECTION", "BBOX"};

static size_t *push_index(struct arena *a, size_t *v, size_t *nentries, size_t *cap, size_t value)
{
	return cq_push(a, v, nentries, cap, sizeof value, &value);
}

struct cq_geom *cq_geom_new(struct cq_build *b, enum cq_gtype type)
{
	struct cq_geom *g = arena_alloc(b->f->arena, sizeof *g);
	g->type = type;
	/* part[] and poly[] start with the 0 that begins the first range. */
	size_t n = 0;
	g->part = push_index(b->f->arena, g->part, &n, &g->cap_part, 0);
	n = 0;
	g->poly = push_index(b->f->arena, g->poly, &n, &g->cap_poly, 0);
	return g;
}

static bool count_vertices(struct cq_build *b, const char *where, size_t n)
{
	b->vertices += n;
	if (b->vertices > CQL2_MAX_VERTICES) {
		cq_fail(b, where, "more than %d positions in geometry literals", CQL2_MAX_VERTICES);
		return false;
	}
	return true;
}

/* The position as the filter wrote it, into WGS-84 lon/lat. */
static bool to_lonlat(struct cq_build *b, const char *where, double x, double y, double *lon, double *lat)
{
	*lon = b->o->lat_first ? y : x;
	*lat = b->o->lat_first ? x : y;
	const char *order = b->o->lat_first ? " (filter-crs EPSG:4326 puts latitude first)" : "";
	if (!(*lon >= -LON_MAX && *lon <= LON_MAX)) {
		cq_fail(b, where, "longitude %.10g is outside -180..180%s", *lon, order);
		return false;
	}
	if (!(*lat >= -LAT_MAX && *lat <= LAT_MAX)) {
		cq_fail(b, where, "latitude %.10g is outside -90..90%s", *lat, order);
		return false;
	}
	if (b->o->to_wgs84)
		b->o->to_wgs84(b->o->to_wgs84_ctx, lon, lat);
	return true;
}

bool cq_geom_pos(struct cq_build *b, const char *where, struct cq_geom *g, double x, double y)
{
	double p[2];
	if (!count_vertices(b, where, 1) || !to_lonlat(b, where, x, y, &p[0], &p[1]))
		return false;
	g->xy = cq_push(b->f->arena, g->xy, &g->npos, &g->cap_pos, sizeof p, p);
	return true;
}

bool cq_geom_end_part(struct cq_build *b, const char *where, struct cq_geom *g, bool ring)
{
	size_t start = g->part[g->nparts], count = g->npos - start;
	if (ring) {
		if (count < RING_MIN) {
			cq_fail(b, where, "a polygon ring needs at least %d positions, this one has %zu",
			        RING_MIN, count);
			return false;
		}
		const double *first = g->xy + 2 * start, *last = g->xy + 2 * (g->npos - 1);
		if (first[0] != last[0] || first[1] != last[1]) {
			cq_fail(b, where,
			        "a polygon ring must end where it starts (%.10g %.10g, not %.10g %.10g)",
			        first[0], first[1], last[0], last[1]);
			return false;
		}
	} else if (count < 2) {
		cq_fail(b, where, "a line needs at least 2 positions, this one has %zu", count);
		return false;
	}
	size_t n = g->nparts + 1;
	g->part = push_index(b->f->arena, g->part, &n, &g->cap_part, g->npos);
	g->nparts = n - 1;
	return true;
}

bool cq_geom_end_poly(struct cq_build *b, const char *where, struct cq_geom *g)
{
	if (g->nparts == g->poly[g->npolys]) {
		cq_fail(b, where, "a polygon needs at least its outer ring");
		return false;
	}
	size_t n = g->npolys + 1;
	g->poly = push_index(b->f->arena, g->poly, &n, &g->cap_poly, g->nparts);
	g->npolys = n - 1;
	return true;
}

bool cq_geom_add_member(struct cq_build *b, const char *where, struct cq_geom *coll, struct cq_geom *m)
{
	if (m->type == G_COLLECTION || m->type == G_BBOX) {
		cq_fail(b, where, "a GEOMETRYCOLLECTION cannot hold a %s", cq_gtype_names[m->type]);
		return false;
	}
	coll->member = cq_push(b->f->arena, coll->member, &coll->nmembers, &coll->cap_member, sizeof m, &m);
	return true;
}

struct cq_geom *cq_geom_bbox(struct cq_build *b, const char *where, const double *v, size_t n)
{
	if (n != BBOX_2D && n != BBOX_3D)
		return cq_fail(b, where, "BBOX takes 4 numbers (or 6 with heights), not %zu", n);
	/* Corners as written: the lower one first, heights (dropped) after
	 * each corner's two axes when there are 6. */
	size_t hi = n == BBOX_3D ? 3 : 2;
	double w, s, e, nn;
	if (!count_vertices(b, where, 2) || !to_lonlat(b, where, v[0], v[1], &w, &s) ||
	    !to_lonlat(b, where, v[hi], v[hi + 1], &e, &nn))
		return NULL;
	if (s > nn)
		return cq_fail(b, where, "BBOX: its south %.10g is north of its north %.10g", s, nn);
	struct cq_geom *g = cq_geom_new(b, G_BBOX);
	g->box[0] = w, g->box[1] = s, g->box[2] = e, g->box[3] = nn;
	return g;
}

static void extent(struct cq_geom *g)
{
	double *bx = g->box;
	if (g->type == G_COLLECTION) {
		bx[0] = bx[1] = INFINITY, bx[2] = bx[3] = -INFINITY;
		for (size_t i = 0; i < g->nmembers; i++) {
			const double *m = g->member[i]->box;
			bx[0] = fmin(bx[0], m[0]), bx[1] = fmin(bx[1], m[1]);
			bx[2] = fmax(bx[2], m[2]), bx[3] = fmax(bx[3], m[3]);
		}
		return;
	}
	bx[0] = bx[2] = g->xy[0], bx[1] = bx[3] = g->xy[1];
	for (size_t i = 1; i < g->npos; i++) {
		bx[0] = fmin(bx[0], g->xy[2 * i]), bx[2] = fmax(bx[2], g->xy[2 * i]);
		bx[1] = fmin(bx[1], g->xy[2 * i + 1]), bx[3] = fmax(bx[3], g->xy[2 * i + 1]);
	}
}

bool cq_geom_finish(struct cq_build *b, const char *where, struct cq_geom *g)
{
	const char *name = cq_gtype_names[g->type];
	switch (g->type) {
	case G_BBOX: return true;
	case G_POINT:
		if (g->npos != 1) {
			cq_fail(b, where, "a POINT has one position, not %zu", g->npos);
			return false;
		}
		break;
	case G_COLLECTION:
		if (g->nmembers == 0) {
			cq_fail(b, where, "an empty GEOMETRYCOLLECTION");
			return false;
		}
		break;
	case G_MULTIPOINT:
	case G_LINESTRING:
	case G_MULTILINESTRING:
	case G_POLYGON:
	case G_MULTIPOLYGON:
		if (g->npos == 0) {
			cq_fail(b, where,
			        "an empty %s (EMPTY geometries match nothing; leave the predicate out)",
			        name);
			return false;
		}
		if ((g->type == G_LINESTRING && g->nparts != 1) || (g->type == G_POLYGON && g->npolys != 1)) {
			cq_fail(b, where, "a %s has exactly one %s", name,
			        g->type == G_POLYGON ? "shell" : "line");
			return false;
		}
		break;
	case G_COUNT: break;
	}
	extent(g);
	return true;
}

/* ---- locating a point ---- */

static bool near_point(const double *p, double x, double y)
{
	return fabs(p[0] - x) <= EPS && fabs(p[1] - y) <= EPS;
}

/* Within EPS of the segment a-b (its nearest point, not its line). */
static bool on_segment(const double *a, const double *b, double x, double y)
{
	if (x < fmin(a[0], b[0]) - EPS || x > fmax(a[0], b[0]) + EPS || y < fmin(a[1], b[1]) - EPS ||
	    y > fmax(a[1], b[1]) + EPS)
		return false;
	double dx = b[0] - a[0], dy = b[1] - a[1], len2 = dx * dx + dy * dy;
	if (len2 == 0)
		return near_point(a, x, y);
	double t = ((x - a[0]) * dx + (y - a[1]) * dy) / len2;
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	double px = a[0] + t * dx - x, py = a[1] + t * dy - y;
	return px * px + py * py <= EPS * EPS;
}

static bool on_path(const double *xy, size_t from, size_t to, double x, double y)
{
	for (size_t i = from; i + 1 < to; i++)
		if (on_segment(xy + 2 * i, xy + 2 * (i + 1), x, y))
			return true;
	return false;
}

/* Even-odd: does the horizontal ray from (x, y) to the east cross the
 * ring an odd number of times?  (Only called off the boundary.) */
static bool ring_contains(const double *xy, size_t from, size_t to, double x, double y)
{
	bool in = false;
	for (size_t i = from; i + 1 < to; i++) {
		const double *a = xy + 2 * i, *c = xy + 2 * (i + 1);
		if ((a[1] > y) != (c[1] > y) && x < (c[0] - a[0]) * (y - a[1]) / (c[1] - a[1]) + a[0])
			in = !in;
	}
	return in;
}

static enum cq_loc locate_polygons(const struct cq_geom *g, double x, double y)
{
	for (size_t pg = 0; pg < g->npolys; pg++) {
		size_t r0 = g->poly[pg], r1 = g->poly[pg + 1];
		for (size_t r = r0; r < r1; r++)
			if (on_path(g->xy, g->part[r], g->part[r + 1], x, y))
				return LOC_BOUNDARY;
		if (!ring_contains(g->xy, g->part[r0], g->part[r0 + 1], x, y))
			continue;
		bool in_hole = false;
		for (size_t r = r0 + 1; r < r1 && !in_hole; r++)
			in_hole = ring_contains(g->xy, g->part[r], g->part[r + 1], x, y);
		if (!in_hole)
			return LOC_INTERIOR;
	}
	return LOC_EXTERIOR;
}

static enum cq_loc locate_lines(const struct cq_geom *g, double x, double y)
{
	size_t ends = 0;
	bool on = false;
	for (size_t k = 0; k < g->nparts; k++) {
		const double *first = g->xy + 2 * g->part[k], *last = g->xy + 2 * (g->part[k + 1] - 1);
		if (first[0] != last[0] || first[1] != last[1]) /* a closed line has no ends */
			ends += near_point(first, x, y) + near_point(last, x, y);
		if (!on)
			on = on_path(g->xy, g->part[k], g->part[k + 1], x, y);
	}
	if (ends % 2)
		return LOC_BOUNDARY;
	return on ? LOC_INTERIOR : LOC_EXTERIOR;
}

static bool lon_in(double x, double w, double e)
{
	return w <= e ? x >= w - EPS && x <= e + EPS : x >= w - EPS || x <= e + EPS;
}

static enum cq_loc locate_bbox(const double *bx, double x, double y)
{
	if (y < bx[1] - EPS || y > bx[3] + EPS || !lon_in(x, bx[0], bx[2]))
		return LOC_EXTERIOR;
	if (fabs(y - bx[1]) <= EPS || fabs(y - bx[3]) <= EPS || fabs(x - bx[0]) <= EPS ||
	    fabs(x - bx[2]) <= EPS)
		return LOC_BOUNDARY;
	return LOC_INTERIOR;
}

enum cq_loc cq_geom_locate(const struct cq_geom *g, double x, double y)
{
	if (g->type == G_BBOX)
		return locate_bbox(g->box, x, y);
	const double *bx = g->box;
	if (x < bx[0] - EPS || x > bx[2] + EPS || y < bx[1] - EPS || y > bx[3] + EPS)
		return LOC_EXTERIOR;
	switch (g->type) {
	case G_POINT:
	case G_MULTIPOINT:
		for (size_t i = 0; i < g->npos; i++)
			if (near_point(g->xy + 2 * i, x, y))
				return LOC_INTERIOR;
		return LOC_EXTERIOR;
	case G_LINESTRING:
	case G_MULTILINESTRING: return locate_lines(g, x, y);
	case G_POLYGON:
	case G_MULTIPOLYGON: return locate_polygons(g, x, y);
	case G_COLLECTION: {
		enum cq_loc best = LOC_EXTERIOR;
		for (size_t i = 0; i < g->nmembers && best != LOC_INTERIOR; i++) {
			enum cq_loc l = cq_geom_locate(g->member[i], x, y);
			best = l > best ? l : best;
		}
		return best;
	}
	case G_BBOX:
	case G_COUNT: break;
	}
	return LOC_EXTERIOR;
}

bool cq_geom_all_at(const struct cq_geom *g, double x, double y)
{
	switch (g->type) {
	case G_POINT:
	case G_MULTIPOINT:
		for (size_t i = 0; i < g->npos; i++)
			if (!near_point(g->xy + 2 * i, x, y))
				return false;
		return true;
	case G_COLLECTION:
		for (size_t i = 0; i < g->nmembers; i++)
			if (!cq_geom_all_at(g->member[i], x, y))
				return false;
		return true;
	default: return false;
	}
}

/* ---- canonical WKT ---- */

static void wkt_pos(struct buf *o, const double *p)
{
	cq_num_format(o, p[0]);
	buf_putc(o, ' ');
	cq_num_format(o, p[1]);
}

static void wkt_path(struct buf *o, const double *xy, size_t from, size_t to)
{
	buf_putc(o, '(');
	for (size_t i = from; i < to; i++) {
		if (i > from)
			buf_puts(o, ", ");
		wkt_pos(o, xy + 2 * i);
	}
	buf_putc(o, ')');
}

static void wkt_polygon(struct buf *o, const struct cq_geom *g, size_t pg)
{
	buf_putc(o, '(');
	for (size_t r = g->poly[pg]; r < g->poly[pg + 1]; r++) {
		if (r > g->poly[pg])
			buf_puts(o, ", ");
		wkt_path(o, g->xy, g->part[r], g->part[r + 1]);
	}
	buf_putc(o, ')');
}

void cq_geom_wkt(struct buf *o, const struct cq_geom *g)
{
	buf_puts(o, cq_gtype_names[g->type]);
	switch (g->type) {
	case G_POINT: wkt_path(o, g->xy, 0, 1); return;
	case G_MULTIPOINT:
		buf_putc(o, '(');
		for (size_t i = 0; i < g->npos; i++) {
			buf_puts(o, i ? ", " : "");
			wkt_path(o, g->xy, i, i + 1);
		}
		buf_putc(o, ')');
		return;
	case G_LINESTRING: wkt_path(o, g->xy, g->part[0], g->part[1]); return;
	case G_MULTILINESTRING:
		buf_putc(o, '(');
		for (size_t k = 0; k < g->nparts; k++) {
			buf_puts(o, k ? ", " : "");
			wkt_path(o, g->xy, g->part[k], g->part[k + 1]);
		}
		buf_putc(o, ')');
		return;
	case G_POLYGON: wkt_polygon(o, g, 0); return;
	case G_MULTIPOLYGON:
		buf_putc(o, '(');
		for (size_t pg = 0; pg < g->npolys; pg++) {
			buf_puts(o, pg ? ", " : "");
			wkt_polygon(o, g, pg);
		}
		buf_putc(o, ')');
		return;
	case G_COLLECTION:
		buf_putc(o, '(');
		for (size_t i = 0; i < g->nmembers; i++) {
			buf_puts(o, i ? ", " : "");
			cq_geom_wkt(o, g->member[i]);
		}
		buf_putc(o, ')');
		return;
	case G_BBOX:
		buf_putc(o, '(');
		for (int i = 0; i < BBOX_2D; i++) {
			buf_puts(o, i ? ", " : "");
			cq_num_format(o, g->box[i]);
		}
		buf_putc(o, ')');
		return;
	case G_COUNT: return;
	}
}

/*
 * webmerc.c - Web Mercator (EPSG:3857) and the XYZ tile grid; see
 * webmerc.h.
 *
 * The closed formulas are those of EPSG's "Popular Visualisation Pseudo
 * Mercator" (method 1024, IOGP Guidance Note 7-2 §3.5.2.1): spherical
 * Mercator on a sphere of radius WGS84_A, fed with WGS-84 latitudes.
 *
 * Why the forward formula is written as it is: y = a * asinh(tan(phi)) is
 * the textbook a * ln(tan(pi/4 + phi/2)) rewritten, and x = a * (lon *
 * pi/180) converts to radians first.  That is the order of operations of
 * PROJ's own "webmerc" (unit conversion, then the projection), so on a
 * given libm the two give the same doubles, not merely the same
 * millimetres (the unit test checks a grid against PROJ's EPSG:4326 ->
 * EPSG:3857).  Rendering once went through PROJ; keeping its exact values
 * kept every tile's bytes when the closed form replaced it, and a marker
 * anchor rounded to 1/256 px cannot flip on a last-bit difference.
 */
#include "webmerc.h"

#include <math.h>

#include "geo.h"

#define DEG2RAD (M_PI / 180.0)
#define RAD2DEG (180.0 / M_PI)

bool webmerc_tile_valid(int z, long long x, long long y, int max_zoom)
{
	/* z < 63 keeps the shift below defined whatever max_zoom says. */
	if (z < 0 || z > max_zoom || z >= 63)
		return false;
	long long n = 1LL << z;
	return x >= 0 && x < n && y >= 0 && y < n;
}

static double clamp_lat(double lat)
{
	if (lat > WEBMERC_MAX_LAT)
		return WEBMERC_MAX_LAT;
	if (lat < -WEBMERC_MAX_LAT)
		return -WEBMERC_MAX_LAT;
	return lat;
}

void webmerc_from_lonlat(double lon, double lat, double *mx, double *my)
{
	lat = clamp_lat(lat);
	*mx = WGS84_A * (lon * DEG2RAD);
	*my = WGS84_A * asinh(tan(lat * DEG2RAD));
}

void webmerc_to_lonlat(double mx, double my, double *lon, double *lat)
{
	*lon = mx / WGS84_A * RAD2DEG;
	*lat = (2.0 * atan(exp(my / WGS84_A)) - M_PI / 2.0) * RAD2DEG;
}

static double world_size_px(int z, int tile_px)
{
	return ldexp((double)tile_px, z);
}

void webmerc_to_world_px(double mx, double my, int z, int tile_px, double *px, double *py)
{
	double size = world_size_px(z, tile_px);
	*px = (mx + WEBMERC_HALF) / (2.0 * WEBMERC_HALF) * size;
	*py = (WEBMERC_HALF - my) / (2.0 * WEBMERC_HALF) * size;
}

void webmerc_world_px(double lon, double lat, int z, int tile_px, double *px, double *py)
{
	double mx, my;
	webmerc_from_lonlat(lon, lat, &mx, &my);
	webmerc_to_world_px(mx, my, z, tile_px, px, py);
}

void webmerc_from_world_px(double px, double py, int z, int tile_px, double *mx, double *my)
{
	double size = world_size_px(z, tile_px);
	*mx = px / size * (2.0 * WEBMERC_HALF) - WEBMERC_HALF;
	*my = WEBMERC_HALF - py / size * (2.0 * WEBMERC_HALF);
}

/* Latitude of the tile-grid row boundary y (of 2^z rows), y = 0 north. */
static double grid_lat(double y, int z)
{
	double t = M_PI * (1.0 - 2.0 * y / ldexp(1.0, z));
	return atan(sinh(t)) * RAD2DEG;
}

void webmerc_tile_bounds_lonlat(int z, int x, int y, double *w, double *s, double *e, double *n)
{
	double tiles = ldexp(1.0, z);
	*w = x / tiles * 360.0 - 180.0;
	*e = (x + 1) / tiles * 360.0 - 180.0;
	*n = grid_lat(y, z);
	*s = grid_lat(y + 1.0, z);
}

void webmerc_tile_from_lonlat(double lon, double lat, int z, int *x, int *y)
{
	double px, py;
	webmerc_world_px(lon, lat, z, 1, &px, &py);
	long long max = (1LL << z) - 1;
	long long tx = (long long)floor(px), ty = (long long)floor(py);
	if (!(px >= 0)) /* also NaN */
		tx = 0;
	if (!(py >= 0))
		ty = 0;
	*x = (int)(tx > max ? max : tx);
	*y = (int)(ty > max ? max : ty);
}

void webmerc_tile_range(const double box[4], int z, struct webmerc_range *r)
{
	/* XYZ rows grow southward: the north-west corner gives the first */
	webmerc_tile_from_lonlat(box[0], box[3], z, &r->x0, &r->y0);
	webmerc_tile_from_lonlat(box[2], box[1], z, &r->x1, &r->y1);
}

long long webmerc_tile_count(const double box[4], int zmin, int zmax)
{
	long long n = 0;
	for (int z = zmin; z <= zmax; z++) {
		struct webmerc_range r;
		webmerc_tile_range(box, z, &r);
		n += (long long)(r.x1 - r.x0 + 1) * (r.y1 - r.y0 + 1);
	}
	return n;
}

/* Why these numbers: 1024 px is the map of a laptop browser or a phone
 * held sideways, the view a client opens first; zoom 14 shows a town's
 * streets, closer than which one site alone fills the screen and nothing
 * around it says where it is. */
int webmerc_fit_zoom(double west, double south, double east, double north, int zmin, int zmax)
{
	double mw, ms, me, mn;
	webmerc_from_lonlat(west, south, &mw, &ms);
	webmerc_from_lonlat(east, north, &me, &mn);
	double span = fmax(me - mw, mn - ms); /* metres */
	int z = WEBMERC_FIT_MAX_ZOOM;
	if (span > 0) {
		double fit =
		    floor(log2((double)WEBMERC_FIT_VIEW_PX / WEBMERC_TILE_SIZE * 2 * WEBMERC_HALF / span));
		if (fit < z)
			z = (int)fit;
	}
	if (z < zmin)
		z = zmin;
	if (z > zmax)
		z = zmax;
	return z;
}

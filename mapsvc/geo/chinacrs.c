/*
 * chinacrs.c - GCJ-02 and BD-09, the offset coordinate systems that
 * Chinese web maps (AMap, Tencent: GCJ-02; Baidu: BD-09) and phones using
 * their location services report.  See geo.h.
 *
 * GCJ-02 is WGS-84 plus a smooth, deliberately obscure offset of a few
 * hundred metres.  The offset formula below is the one every open
 * implementation uses (it was recovered from leaked code around 2010):
 * polynomial-plus-sine terms in (lon - 105, lat - 35) giving an offset in
 * metres, turned into degrees on the Krasovsky 1940 ellipsoid.  It applies
 * only inside a rough rectangle around mainland China; outside it GCJ-02
 * is WGS-84.  No closed inverse exists; the offset varies slowly (its
 * derivative is small next to 1), so a fixed-point iteration converges
 * quickly, to 1e-9 degrees in a handful of steps.
 *
 * BD-09 is GCJ-02 with a further small rotation and scaling in "polar"
 * form; its published inverse is only approximate (errors of a few
 * centimetres to decimetres), so it is refined by the same iteration.
 *
 * Pure functions, no state: thread-safe.
 */
#include "geo.h"

#include <math.h>
#include <string.h>
#include <strings.h>

/* Krasovsky 1940: semi-major axis and first eccentricity squared. */
#define KRASOVSKY_A 6378245.0
#define KRASOVSKY_EE 0.00669342162296594323

/* BD-09's angular factor: pi * 3000 / 180. */
#define BD_X_PI (M_PI * 3000.0 / 180.0)

/* Convergence target of the inverses (geo.h promises 1e-9 degrees), and
 * a cap on iterations so that a pathological input cannot spin. */
#define INVERSE_TOL_DEG 1e-10
#define INVERSE_MAX_ITER 30

bool gcj02_applies(double wgs_lat, double wgs_lon)
{
	/* The rectangle all published implementations use. */
	return wgs_lon >= 72.004 && wgs_lon <= 137.8347 && wgs_lat >= 0.8293 && wgs_lat <= 55.8271;
}

/* The offset's two components, in metres-like units on the Krasovsky
 * ellipsoid, of x = lon - 105, y = lat - 35. */
static double offset_lat(double x, double y)
{
	double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
	r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
	r += (20.0 * sin(y * M_PI) + 40.0 * sin(y / 3.0 * M_PI)) * 2.0 / 3.0;
	r += (160.0 * sin(y / 12.0 * M_PI) + 320.0 * sin(y * M_PI / 30.0)) * 2.0 / 3.0;
	return r;
}

static double offset_lon(double x, double y)
{
	double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
	r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
	r += (20.0 * sin(x * M_PI) + 40.0 * sin(x / 3.0 * M_PI)) * 2.0 / 3.0;
	r += (150.0 * sin(x / 12.0 * M_PI) + 300.0 * sin(x / 30.0 * M_PI)) * 2.0 / 3.0;
	return r;
}

void wgs84_to_gcj02(double lat, double lon, double *glat, double *glon)
{
	if (!gcj02_applies(lat, lon)) {
		*glat = lat;
		*glon = lon;
		return;
	}
	double dlat = offset_lat(lon - 105.0, lat - 35.0);
	double dlon = offset_lon(lon - 105.0, lat - 35.0);
	/* Metres to degrees on Krasovsky: meridian radius of curvature
	 * M = a(1-e^2)/W^3 and prime-vertical N = a/W, W = sqrt(1-e^2 sin^2). */
	double rad = lat / 180.0 * M_PI;
	double s = sin(rad);
	double w2 = 1.0 - KRASOVSKY_EE * s * s;
	double w = sqrt(w2);
	dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (w2 * w) * M_PI);
	dlon = (dlon * 180.0) / (KRASOVSKY_A / w * cos(rad) * M_PI);
	*glat = lat + dlat;
	*glon = lon + dlon;
}

void gcj02_to_wgs84(double glat, double glon, double *lat, double *lon)
{
	/* Solve f(w) = g by w <- w - (f(w) - g), starting from w = g. */
	double wl = glat, wn = glon;
	for (int it = 0; it < INVERSE_MAX_ITER; it++) {
		double fl, fn;
		wgs84_to_gcj02(wl, wn, &fl, &fn);
		double el = fl - glat, en = fn - glon;
		wl -= el;
		wn -= en;
		if (fabs(el) < INVERSE_TOL_DEG && fabs(en) < INVERSE_TOL_DEG)
			break;
	}
	*lat = wl;
	*lon = wn;
}

void gcj02_to_bd09(double glat, double glon, double *blat, double *blon)
{
	double x = glon, y = glat;
	double z = sqrt(x * x + y * y) + 0.00002 * sin(y * BD_X_PI);
	double theta = atan2(y, x) + 0.000003 * cos(x * BD_X_PI);
	*blon = z * cos(theta) + 0.0065;
	*blat = z * sin(theta) + 0.006;
}

void bd09_to_gcj02(double blat, double blon, double *glat, double *glon)
{
	/* The published approximate inverse as a starting point ... */
	double x = blon - 0.0065, y = blat - 0.006;
	double z = sqrt(x * x + y * y) - 0.00002 * sin(y * BD_X_PI);
	double theta = atan2(y, x) - 0.000003 * cos(x * BD_X_PI);
	double gl = z * sin(theta), gn = z * cos(theta);
	/* ... refined against the exact forward transform. */
	for (int it = 0; it < INVERSE_MAX_ITER; it++) {
		double fl, fn;
		gcj02_to_bd09(gl, gn, &fl, &fn);
		double el = fl - blat, en = fn - blon;
		gl -= el;
		gn -= en;
		if (fabs(el) < INVERSE_TOL_DEG && fabs(en) < INVERSE_TOL_DEG)
			break;
	}
	*glat = gl;
	*glon = gn;
}

int coordsys_parse(const char *s)
{
	static const char *const names[] = {"wgs84", "gcj02", "bd09", "cgcs2000"};
	if (!s)
		return -1;
	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *coordsys_name(enum coordsys cs)
{
	switch (cs) {
	case COORDSYS_WGS84: return "wgs84";
	case COORDSYS_GCJ02: return "gcj02";
	case COORDSYS_BD09: return "bd09";
	case COORDSYS_CGCS2000: return "cgcs2000";
	}
	return "unknown";
}

void coordsys_to_wgs84(enum coordsys cs, double lat, double lon, double *wlat, double *wlon)
{
	double gl, gn;
	switch (cs) {
	case COORDSYS_GCJ02: gcj02_to_wgs84(lat, lon, wlat, wlon); return;
	case COORDSYS_BD09:
		bd09_to_gcj02(lat, lon, &gl, &gn);
		gcj02_to_wgs84(gl, gn, wlat, wlon);
		return;
	case COORDSYS_WGS84:
	case COORDSYS_CGCS2000: break;
	}
	*wlat = lat;
	*wlon = lon;
}

/* How fast the shifts vary: on either axis, at most this many degrees per
 * degree of displacement along either axis.  Measured over mainland
 * China on a 0.0137-degree grid (tests/unit/test_geo.c samples it too):
 * 0.0072 for GCJ-02 and 0.024 for BD-09; twice the worst, for margin. */
#define SHIFT_SLOPE 0.05
/* What the inverse's iteration leaves, and then some (geo.h: 1e-9). */
#define BOX_EPS_DEG 1e-7

void coordsys_wgs84_box(enum coordsys cs, double b[4])
{
	if (cs == COORDSYS_WGS84 || cs == COORDSYS_CGCS2000)
		return;
	const double m = COORDSYS_SHIFT_MAX_DEG;
	double flat[4] = {b[0] - m, b[1] - m, b[2] + m, b[3] + m};
	/* Every point whose shift lands in the box is within flat.  Where all
	 * of flat is inside GCJ-02's rectangle the shift d is smooth there,
	 * |d(p) - d(p0)| <= L |p - p0| (max norm, L = 2 SHIFT_SLOPE), and
	 * with p0 the point shifted to the box's centre c and H its larger
	 * half-size: p - p0 = (q - c) - (d(p) - d(p0)) for q = p + d(p) in
	 * the box, so |p - p0| <= H / (1 - L), and p is within the box moved
	 * back by d(p0), grown by L H / (1 - L). */
	if (!gcj02_applies(flat[1], flat[0]) || !gcj02_applies(flat[3], flat[2])) {
		memcpy(b, flat, sizeof flat);
		return;
	}
	double clat = (b[1] + b[3]) / 2, clon = (b[0] + b[2]) / 2, plat, plon;
	coordsys_to_wgs84(cs, clat, clon, &plat, &plon);
	double dlat = clat - plat, dlon = clon - plon;
	const double L = 2 * SHIFT_SLOPE;
	double h = fmax(b[2] - b[0], b[3] - b[1]) / 2, pad = L * h / (1 - L) + BOX_EPS_DEG;
	double tight[4] = {b[0] - dlon - pad, b[1] - dlat - pad, b[2] - dlon + pad, b[3] - dlat + pad};
	b[0] = fmax(flat[0], tight[0]);
	b[1] = fmax(flat[1], tight[1]);
	b[2] = fmin(flat[2], tight[2]);
	b[3] = fmin(flat[3], tight[3]);
}

void coordsys_from_wgs84(enum coordsys cs, double wlat, double wlon, double *lat, double *lon)
{
	double gl, gn;
	switch (cs) {
	case COORDSYS_GCJ02: wgs84_to_gcj02(wlat, wlon, lat, lon); return;
	case COORDSYS_BD09:
		wgs84_to_gcj02(wlat, wlon, &gl, &gn);
		gcj02_to_bd09(gl, gn, lat, lon);
		return;
	case COORDSYS_WGS84:
	case COORDSYS_CGCS2000: break;
	}
	*lat = wlat;
	*lon = wlon;
}

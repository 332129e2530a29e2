/*
 * geo.c - geodesics on the WGS-84 ellipsoid; see geo.h.
 *
 * A thin layer over PROJ's geodesic.h (C. F. F. Karney, "Algorithms for
 * geodesics", J. Geodesy 87, 43-55, 2013), which is accurate to about
 * 15 nm for any pair of points, nearly antipodal ones included.  The
 * ellipsoid object is filled once (pthread_once) and only read afterwards,
 * so every function here may be called from any thread.
 */
#include "geo.h"

#include <geodesic.h>
#include <math.h>
#include <pthread.h>

static struct geod_geodesic wgs84;
static pthread_once_t wgs84_once = PTHREAD_ONCE_INIT;

static void wgs84_init(void)
{
	geod_init(&wgs84, WGS84_A, WGS84_F);
}

static const struct geod_geodesic *ellipsoid(void)
{
	pthread_once(&wgs84_once, wgs84_init);
	return &wgs84;
}

/* Maps an azimuth in [-180, 180] (what geodesic.h returns) to [0, 360).
 * -0.0 and tiny negatives that round up to 360 must both end at 0. */
static double azi_normalise(double a)
{
	if (!isfinite(a))
		return 0;
	a = fmod(a, 360.0);
	if (a < 0)
		a += 360.0;
	if (a >= 360.0 || a == 0)
		a = 0; /* also turns -0.0 into +0.0 */
	return a;
}

void geo_inverse(double lat1, double lon1, double lat2, double lon2, double *dist_m, double *azi_deg)
{
	double s12 = 0, azi1 = 0, azi2 = 0;
	geod_inverse(ellipsoid(), lat1, lon1, lat2, lon2, &s12, &azi1, &azi2);
	/* geodesic.h gives an azimuth even for coincident points (the limit
	 * along the meridian); the contract promises 0 there. */
	if (s12 == 0)
		azi1 = 0;
	if (dist_m)
		*dist_m = s12;
	if (azi_deg)
		*azi_deg = azi_normalise(azi1);
}

double geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
	double s12 = 0;
	geod_inverse(ellipsoid(), lat1, lon1, lat2, lon2, &s12, NULL, NULL);
	return s12;
}

void geo_direct(double lat1, double lon1, double azi_deg, double dist_m, double *lat2, double *lon2)
{
	double la = lat1, lo = lon1;
	geod_direct(ellipsoid(), lat1, lon1, azi_deg, dist_m, &la, &lo, NULL);
	if (lat2)
		*lat2 = la;
	if (lon2)
		*lon2 = lo;
}

/*
 * geo.h - geodesy for mapsvc: distances and bearings on the WGS-84
 * ellipsoid (PROJ's geodesic routines, Karney's algorithm, accurate to
 * nanometres), the Chinese coordinate systems GCJ-02 and BD-09, and
 * Web Mercator tile math.
 *
 * Everything here is pure and thread-safe: the ellipsoid is immutable
 * after the first call (pthread_once), and no function keeps state.
 */
#ifndef MS_GEO_H
#define MS_GEO_H

#include <stdbool.h>

/* WGS-84 semi-major axis and flattening (NIMA TR8350.2). */
#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)

/* Geodesic distance (metres) and initial azimuth from point 1 to point 2
 * (degrees clockwise from north, 0 <= azi < 360).  Either out pointer may
 * be NULL.  Coincident points give 0 m and azimuth 0. */
void geo_inverse(double lat1, double lon1, double lat2, double lon2, double *dist_m, double *azi_deg);
double geo_distance_m(double lat1, double lon1, double lat2, double lon2);
/* The point dist_m from (lat1, lon1) along initial azimuth azi_deg. */
void geo_direct(double lat1, double lon1, double azi_deg, double dist_m, double *lat2, double *lon2);

/* Coordinate systems accepted on input (import --coordsys, the coordsys
 * query parameter).  CGCS2000 differs from WGS-84 by centimetres, far
 * below what a site's coordinate can claim, so it is taken as WGS-84. */
enum coordsys { COORDSYS_WGS84, COORDSYS_GCJ02, COORDSYS_BD09, COORDSYS_CGCS2000 };

/* "wgs84", "gcj02", "bd09", "cgcs2000" (case-insensitive) or -1. */
int coordsys_parse(const char *s);
const char *coordsys_name(enum coordsys cs);

/* True where the GCJ-02 offset is applied: mainland China's rough
 * rectangle, as every published implementation of the transform uses.
 * Outside it GCJ-02 equals WGS-84. */
bool gcj02_applies(double wgs_lat, double wgs_lon);

void wgs84_to_gcj02(double lat, double lon, double *glat, double *glon);
/* Iterative inverse: error below 1e-9 degrees (about 0.1 mm). */
void gcj02_to_wgs84(double glat, double glon, double *lat, double *lon);
void gcj02_to_bd09(double glat, double glon, double *blat, double *blon);
void bd09_to_gcj02(double blat, double blon, double *glat, double *glon);

/* Convert between WGS-84 and any coordsys. */
void coordsys_to_wgs84(enum coordsys cs, double lat, double lon, double *wlat, double *wlon);
void coordsys_from_wgs84(enum coordsys cs, double wlat, double wlon, double *lat, double *lon);

/* The most the GCJ-02 and BD-09 shifts move a point, in degrees of
 * latitude or longitude, anywhere (about 0.011 and 0.017). */
#define COORDSYS_SHIFT_MAX_DEG 0.02

/* box (west, south, east, north in degrees of cs) becomes a WGS-84 box
 * holding every point whose position in cs falls in it: the box moved
 * back by the shift at its centre and grown by what the shift can vary
 * across it (a few percent of its size), or, where the shift is not
 * smooth (near the edge of the rectangle where GCJ-02 applies), grown by
 * COORDSYS_SHIFT_MAX_DEG.  So a small box (a tile at zoom 16, 0.005
 * degrees) asks for little more than itself, not for ten times its width.
 * WGS-84 and CGCS2000 leave it as it is. */
void coordsys_wgs84_box(enum coordsys cs, double box[4]);

#endif

/*
 * webmerc.h - the XYZ tile scheme over Web Mercator (EPSG:3857).
 *
 * "World pixels" at zoom z are the pixel coordinates of the whole world
 * drawn as 2^z x 2^z tiles of WEBMERC_TILE_SIZE px, origin at the north-west corner
 * (y grows southward, as in the XYZ scheme).  Rendering works in world
 * pixels so that clusters and labels are decided once per zoom and every
 * tile cuts the same picture.
 *
 * This is mapsvc's one Web Mercator: tiles, site markers, context layers,
 * static maps and tile ranges all project through the closed formulas
 * here, which agree with PROJ's EPSG:4326 -> EPSG:3857 to the last bit on
 * glibc and within a micrometre anywhere (tests/unit/test_geo_webmerc.c
 * checks a grid).  Pure and thread-safe: no state, no allocation.
 */
#ifndef MS_WEBMERC_H
#define MS_WEBMERC_H

#include <stdbool.h>

#define WEBMERC_TILE_SIZE 256
#define WEBMERC_MAX_ZOOM 24
/* Web Mercator's latitude limit: the world is square at +-85.0511 deg. */
#define WEBMERC_MAX_LAT 85.05112877980659
/* Half the extent of the projected world in metres (pi * WGS84_A). */
#define WEBMERC_HALF 20037508.342789244

/* True when 0 <= z <= max_zoom and 0 <= x, y < 2^z. */
bool webmerc_tile_valid(int z, long long x, long long y, int max_zoom);
/* Web Mercator metres of a lon/lat (lat clamped to the Mercator limit). */
void webmerc_from_lonlat(double lon, double lat, double *mx, double *my);
void webmerc_to_lonlat(double mx, double my, double *lon, double *lat);
/* World pixels of Web Mercator metres at zoom z and tile size tile_px. */
void webmerc_to_world_px(double mx, double my, int z, int tile_px, double *px, double *py);
void webmerc_from_world_px(double px, double py, int z, int tile_px, double *mx, double *my);
/* World pixels of a lon/lat: webmerc_from_lonlat, then webmerc_to_world_px. */
void webmerc_world_px(double lon, double lat, int z, int tile_px, double *px, double *py);
/* The tile's bounds in lon/lat (west, south, east, north). */
void webmerc_tile_bounds_lonlat(int z, int x, int y, double *w, double *s, double *e, double *n);
/* The tile containing lon/lat at zoom z (clamped into the grid). */
void webmerc_tile_from_lonlat(double lon, double lat, int z, int *x, int *y);

/* The tiles of zoom z that a lon/lat box (west, south, east, north)
 * touches: columns x0..x1 and rows y0..y1 (XYZ, inclusive, clamped into
 * the grid). */
struct webmerc_range {
	int x0, y0, x1, y1;
};
void webmerc_tile_range(const double box[4], int z, struct webmerc_range *r);
/* How many tiles the box touches over zooms zmin..zmax. */
long long webmerc_tile_count(const double box[4], int zmin, int zmax);

/* The zoom a viewer opens a box at (TileJSON's and MBTiles' `center`):
 * the largest at which the box's wider Web Mercator side spans at most
 * WEBMERC_FIT_VIEW_PX, never above WEBMERC_FIT_MAX_ZOOM, then clamped
 * into [zmin, zmax].  A box of one point (or none) gets
 * WEBMERC_FIT_MAX_ZOOM. */
#define WEBMERC_FIT_VIEW_PX 1024
#define WEBMERC_FIT_MAX_ZOOM 14
int webmerc_fit_zoom(double west, double south, double east, double north, int zmin, int zmax);

#endif

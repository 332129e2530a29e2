/*
 * tilemath.h - the XYZ tile scheme over Web Mercator (EPSG:3857).
 *
 * "World pixels" at zoom z are the pixel coordinates of the whole world
 * drawn as 2^z x 2^z tiles of TILE_SIZE px, origin at the north-west corner
 * (y grows southward, as in the XYZ scheme).  Rendering works in world
 * pixels so that clusters and labels are decided once per zoom and every
 * tile cuts the same picture.
 *
 * The per-point projection for rendering goes through PROJ (struct
 * geo_merc, one per thread: PROJ contexts must not be shared); the closed
 * formulas here serve tile arithmetic and tests.  Pure and thread-safe.
 */
#ifndef MS_TILEMATH_H
#define MS_TILEMATH_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/ms_error.h"

#define TILE_SIZE 256
#define MAX_ZOOM_LIMIT 24
/* Web Mercator's latitude limit: the world is square at +-85.0511 deg. */
#define WEBMERC_MAX_LAT 85.05112877980659
/* Half the extent of the projected world in metres (pi * WGS84_A). */
#define WEBMERC_HALF 20037508.342789244

/* True when 0 <= z <= max_zoom and 0 <= x, y < 2^z. */
bool tile_valid(int z, long long x, long long y, int max_zoom);
/* Web Mercator metres of a lon/lat (lat clamped to the Mercator limit). */
void webmerc_from_lonlat(double lon, double lat, double *mx, double *my);
void webmerc_to_lonlat(double mx, double my, double *lon, double *lat);
/* World pixels of Web Mercator metres at zoom z and tile size tile_px. */
void webmerc_to_world_px(double mx, double my, int z, int tile_px, double *px, double *py);
void world_px_to_webmerc(double px, double py, int z, int tile_px, double *mx, double *my);
/* The tile's bounds in lon/lat (west, south, east, north). */
void tile_bounds_lonlat(int z, int x, int y, double *w, double *s, double *e, double *n);
/* The tile containing lon/lat at zoom z (clamped into the grid). */
void tile_from_lonlat(double lon, double lat, int z, int *x, int *y);

/* PROJ's EPSG:4326 -> EPSG:3857 transform with its own context.  Create
 * one per thread; it is not thread-safe. */
struct geo_merc;
struct geo_merc *geo_merc_new(struct ms_error *err);
void geo_merc_free(struct geo_merc *m);
/* Projects n points in place: lon[]/lat[] in degrees in, metres out
 * (lat clamped to the Mercator limit first). */
enum ms_status geo_merc_forward(struct geo_merc *m, double *lon_x, double *lat_y, size_t n, struct ms_error *err);

#endif

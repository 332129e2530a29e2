/*
 * geodata.h - context geometry (province borders, rivers, lakes, towns)
 * read from GeoJSON files that a style names as sources, to be drawn under
 * the site markers (styles/README.md, "Context layers").
 *
 * A file is read once, projected to Web Mercator world pixels at zoom 0
 * (the world is 256 x 256, y southward; tilemath.h) in doubles, and cut
 * into shapes (one polygon with its holes, or one line) each with its
 * bounding box, so a window draws only what it touches.
 *
 * Ownership and threads: loaded files are interned for the life of the
 * process, keyed by path and content hash, because struct style is plain
 * data that callers copy and free() without a destructor; loading the
 * same unchanged file again returns the same object.  A geodata is
 * immutable once returned and shared by any number of threads; loading is
 * serialised by a mutex.
 */
#ifndef MS_GEODATA_H
#define MS_GEODATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ms_error.h"

/* One polygon (rings[0] the exterior, then holes) or one line. */
struct geodata_shape {
	double x0, y0, x1, y1; /* bounding box, world px at zoom 0 */
	uint32_t ring0, nrings; /* into geodata.ring_start/ring_len */
	bool polygon;
};

struct geodata {
	char *path;
	uint64_t hash; /* XXH3-64 of the file's bytes */
	struct geodata_shape *shapes;
	size_t nshapes;
	uint32_t *ring_start, *ring_len; /* ring r: points ring_start[r] .. + ring_len[r] */
	size_t nrings;
	double *xy; /* x0,y0,x1,y1,...: world px at zoom 0 (WGS-84 positions) */
	double *ll; /* lon0,lat0,...: the positions as read, for other coordsys */
	size_t npts;
};

/* Reads (or finds already read) the GeoJSON FeatureCollection at path.
 * Polygon, MultiPolygon, LineString and MultiLineString geometries are
 * kept; points and null geometries are skipped.  *out is borrowed until
 * exit.  Errors: MS_EIO "PATH: cannot open: ...", MS_EDATA
 * "PATH:LINE: syntax error" or "PATH: feature N: reason". */
enum ms_status geodata_load(const char *path, const struct geodata **out, struct ms_error *err);

#endif

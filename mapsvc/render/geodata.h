/*
 * geodata.h - context geometry (province borders, rivers, lakes, towns)
 * parsed from the GeoJSON text of files a style names as sources, to be
 * drawn under the site markers (styles/README.md, "Context layers").
 *
 * The text is parsed once, projected to Web Mercator world pixels at zoom
 * 0 (the world is 256 x 256, y southward; geo/webmerc.h) in doubles, and
 * cut into shapes (one polygon with its holes, or one line) each with its
 * bounding box, so a window draws only what it touches.  Parsing does no
 * I/O: the loader (styleset/) reads the files.
 *
 * Ownership and threads: geodata_parse returns a new object owned by the
 * caller (the styleset, which frees it with the styles that borrow it).
 * It is immutable once returned and may be read by any number of threads.
 */
#ifndef MS_GEODATA_H
#define MS_GEODATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ms_error.h"

/* One polygon (rings[0] the exterior, then holes) or one line. */
struct geodata_shape {
	double x0, y0, x1, y1;  /* bounding box, world px at zoom 0 */
	uint32_t ring0, nrings; /* into geodata.ring_start/ring_len */
	bool polygon;
};

struct geodata {
	char *name;    /* the file it was read from, for messages */
	uint64_t hash; /* XXH3-64 of the file's bytes */
	struct geodata_shape *shapes;
	size_t nshapes;
	uint32_t *ring_start, *ring_len; /* ring r: points ring_start[r] .. + ring_len[r] */
	size_t nrings;
	double *xy; /* x0,y0,x1,y1,...: world px at zoom 0 (WGS-84 positions) */
	double *ll; /* lon0,lat0,...: the positions as read, for other coordsys */
	size_t npts;
};

/* The bundled layers are a few hundred kilobytes each; a text larger
 * than this could not be a context layer and is refused before reading. */
#define GEODATA_MAX_BYTES (64 << 20)

/* Parses a GeoJSON FeatureCollection from text[0..len) (not necessarily
 * NUL-terminated); name labels messages.  Polygon, MultiPolygon,
 * LineString and MultiLineString geometries are kept; points and null
 * geometries are skipped.  *out is new (geodata_free it).  Errors are
 * MS_EDATA: "NAME:LINE: syntax error", "NAME: expected a GeoJSON
 * FeatureCollection ..." or "NAME: feature N: reason". */
enum ms_status geodata_parse(const char *name, const char *text, size_t len, struct geodata **out,
                             struct ms_error *err);
void geodata_free(struct geodata *g);

#endif

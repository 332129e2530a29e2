/*
 * rtree_load.h - bulk loading of an SQLite R*Tree of 2-D points, for the
 * import transaction of store.c (internal to store/).
 *
 * SQLite's rtree module has no bulk load: every INSERT descends the tree,
 * rewrites whole node blobs and sometimes splits or reinserts, about 10 us
 * a point, three quarters of a million-row import (SpatiaLite's
 * CreateSpatialIndex pays the same).  This module writes the R*Tree's
 * three shadow tables directly with a packed tree built in memory (as
 * GDAL's GeoPackage driver does for its R*Trees), then asks SQLite's own
 * rtreecheck() to verify the result before the transaction may commit.
 *
 * Works on the caller's connection inside its open transaction; not
 * thread-safe (neither is the connection).
 */
#ifndef MS_STORE_RTREE_LOAD_H
#define MS_STORE_RTREE_LOAD_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ms_error.h"

/* One point: its rowid in the indexed table and its position. */
struct rtree_point {
	int64_t id;
	double x, y;
};

/* The box SQLite's rtree stores for a double coordinate d: the float
 * nearest d rounded outward, by rtree.c's own rule (exposed for tests). */
float store_rtree_down(double d);
float store_rtree_up(double d);

/* Replaces the whole content of the 2-D R*Tree `table` with pts[0..n),
 * and, with keep_existing, the entries it already holds whose id is below
 * every id of pts (an entry left under a reused id is dropped, as
 * SpatiaLite's insert trigger drops it).  The result holds the same
 * entries, with the same float boxes, as inserting them one by one would.
 * MS_EUSAGE when `table` is not a plain 2-D float R*Tree this module knows
 * how to write (nothing has been changed: the caller then inserts row by
 * row); MS_EIO on an SQLite failure; MS_EINTERNAL when rtreecheck()
 * refuses the result.  On any other failure the caller rolls back. */
enum ms_status store_rtree_load(sqlite3 *db, const char *table, const struct rtree_point *pts, size_t n,
                                bool keep_existing, struct ms_error *err);

#endif

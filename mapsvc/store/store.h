/*
 * store.h - the SpatiaLite database: schema, the import transaction, and
 * reading all sites back.
 *
 * The file is a proper SpatiaLite database (spatial metadata initialised,
 * a POINT geometry column `geom` in SRID 4326 registered on table `sites`,
 * an R*Tree spatial index), so the spatialite shell, GDAL and QGIS open it
 * as it is.  An import is all or nothing: on any failure the file is left
 * byte-for-byte as it was (and a file the import created is removed).
 * Functions open and close their own connections; safe to call from any
 * thread, though SQLite serialises writers.
 */
#ifndef MS_STORE_H
#define MS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../site/site.h"
#include "../util/ms_error.h"

/* Writes sites into db_path (creating it if needed).  With replace, all
 * existing sites are removed first; otherwise an id already in the
 * database is an error.  On success *imported (if not NULL) is the count. */
enum ms_status store_import(const char *db_path, const struct site_set *sites, bool replace, size_t *imported,
                            struct ms_error *err);

/* Reads every site (opened read-only).  *out is a new set sorted by id. */
enum ms_status store_load(const char *db_path, struct site_set **out, struct ms_error *err);

/* Releases SpatiaLite's process-wide state, once, when a process that
 * imported is done with the store (a leak checker sees it otherwise). */
void store_shutdown(void);

/*
 * The sites (n of them, in that order) as a GeoPackage file (OGC 12-128,
 * version 1.2), built in memory: one features table "sites" with a column
 * per column of the data model (site_columns; lat and lon only in the
 * geometry), a missing text as NULL, the extra properties as one JSON
 * text column "extra", and a POINT geometry "geom" in EPSG:4326,
 * registered and indexed (the R-tree extension); gpkg_contents holds the
 * sites' bounds.  GDAL and QGIS open it as it is.  *data (free it with
 * store_gpkg_free) is the whole file, *len bytes.  Measured: 150 KB for
 * the 25 bundled sites (mostly the GeoPackage's own tables), 21 MB and
 * 6 s for 100,000 short rows, most of the time the R-tree's inserts.
 */
enum ms_status store_export_gpkg(const struct site *sites, size_t n, unsigned char **data, size_t *len,
                                 struct ms_error *err);
void store_gpkg_free(unsigned char *data);

#endif

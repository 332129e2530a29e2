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

#endif

/*
 * ingest.h - reading sites from CSV (RFC 4180) and GeoJSON (RFC 7946).
 *
 * Readers validate every record and either append all of them to the set
 * or none: on the first bad record they return MS_EDATA with
 * "FILE:LINE: reason" (CSV; LINE is the physical line where the record
 * starts) or "FILE: feature N: reason" (GeoJSON, N from 0) and leave the
 * set as it was.  Input coordinates in GCJ-02 or BD-09 are converted to
 * WGS-84.  Columns and properties that are not fields of the data model
 * are kept, as strings (CSV) or as given (GeoJSON), in site.extra.
 * Thread-safe: no shared state.
 */
#ifndef MS_INGEST_H
#define MS_INGEST_H

#include <stddef.h>

#include "../core/site.h"
#include "../geo/geo.h"
#include "../util/ms_error.h"

/* Format chosen by extension: .csv, .geojson/.json; MS_EUSAGE otherwise. */
enum ms_status ingest_file(const char *path, enum coordsys cs, struct site_set *into, struct ms_error *err);
/* name is used in messages only. */
enum ms_status ingest_csv(const char *name, const char *data, size_t len, enum coordsys cs,
			  struct site_set *into, struct ms_error *err);
enum ms_status ingest_geojson(const char *name, const char *data, size_t len, enum coordsys cs,
			      struct site_set *into, struct ms_error *err);

#endif

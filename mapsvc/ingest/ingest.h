/*
 * ingest.h - reading sites from CSV (RFC 4180) and GeoJSON (RFC 7946), and
 * writing them back in the same two formats (`mapsvc export`).
 *
 * Readers validate every record and either append all of them to the set
 * or none: on the first bad record they return MS_EDATA with
 * "FILE:LINE: reason" (CSV; LINE is the physical line where the record
 * starts) or "FILE: feature N: reason" (GeoJSON, N from 0) and leave the
 * set as it was.  Input coordinates in GCJ-02 or BD-09 are converted to
 * WGS-84.  Columns and properties that are not fields of the data model
 * are kept, as strings (CSV) or as given (GeoJSON), in site.extra.
 * Every record goes through ingest_row_validate, the one place that says
 * what a valid site is.
 *
 * The writers are the readers' inverse: what they write, the readers read
 * back into equal sites, and writing those again gives the same bytes.
 * Thread-safe: no shared state.
 */
#ifndef MS_INGEST_H
#define MS_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../site/site.h"
#include "../geo/geo.h"
#include "../util/buf.h"
#include "../util/ms_error.h"

/* One record as an input states it, before validation. */
struct ingest_row {
	struct site_draft site; /* text fields borrowed; lat/lon in the input's system */
	const char *quality;    /* position_quality as written; NULL or "" when absent */
	bool has_uncertainty;
	double uncertainty_m; /* position_uncertainty_m, when has_uncertainty */
};

/*
 * Validates one record as every import does and completes row->site: the
 * id (not empty, no control characters), name_zh (not empty), the
 * category (one of the eight), the length of the id and of every text
 * field (the limits of ingest_int.h), the position (in range in the input's
 * system cs, then converted to WGS-84) and the position quality and
 * radius:
 *   - both given: the quality must be one of site.h's names and the
 *     radius valid for it (site_uncertainty_valid);
 *   - the quality alone: the radius is the quality's default;
 *   - neither: both are derived from the confidence field
 *     (site_quality_from_confidence) with that quality's default radius;
 *   - the radius alone is refused: a number without its meaning.
 * Sets site.category, .quality, .uncertainty_m, .lat and .lon.  On
 * failure returns MS_EDATA with only the reason in err ("category 'park'
 * is not one of: ..."); the caller adds FILE:LINE.  Checks no duplicates:
 * that needs the other records (ingest_int.h's batch).
 */
enum ms_status ingest_row_validate(struct ingest_row *row, enum coordsys cs, struct ms_error *err);

/* Format chosen by extension: .csv, .geojson/.json; MS_EUSAGE otherwise. */
enum ms_status ingest_file(const char *path, enum coordsys cs, struct site_set *into, struct ms_error *err);
/* name is used in messages only. */
enum ms_status ingest_csv(const char *name, const char *data, size_t len, enum coordsys cs,
                          struct site_set *into, struct ms_error *err);
enum ms_status ingest_geojson(const char *name, const char *data, size_t len, enum coordsys cs,
                              struct site_set *into, struct ms_error *err);

/*
 * The export: every site of set (in its order; a loaded set is in id
 * order) with every column.  Columns and properties come in the order of
 * site_columns, then the extra properties' keys sorted bytewise: in the
 * CSV as one column each over all sites (empty where a site has none), in
 * the GeoJSON as the members each site has.
 *   CSV: RFC 4180, UTF-8 without a byte order mark, CRLF line ends as in
 *   data/sites.csv, fields quoted only when they hold a comma, a quote, CR
 *   or LF.  An extra property that is not a string is written as its JSON
 *   text (CSV has only text: import it back and it is that text).
 *   GeoJSON: a FeatureCollection of Points, the site id as the feature's
 *   "id" and as properties.id; lat/lon only in the geometry.
 * Coordinates and radii are written with the fewest digits that read back
 * to the same double, so a round trip loses nothing.  MS_EDATA when a
 * site's extra is not a JSON object text (a damaged database), naming the
 * site; out then holds part of the export.
 */
enum ms_status ingest_export_csv(const struct site_set *set, struct buf *out, struct ms_error *err);
/* The same CSV of a selection: sites[idx[0]], ..., sites[idx[n-1]] in
 * that order (idx NULL: sites[0..n)), with the extra columns they have. */
enum ms_status ingest_export_csv_sites(const struct site *sites, const uint32_t *idx, size_t n,
                                       struct buf *out, struct ms_error *err);
enum ms_status ingest_export_geojson(const struct site_set *set, struct buf *out, struct ms_error *err);

/* One site as one GeoJSON Feature, exactly as ingest_export_geojson
 * writes each (the audit log's before and after, the base of a merge
 * patch). */
enum ms_status ingest_export_feature(const struct site *s, struct buf *out, struct ms_error *err);

/*
 * The bodies of OGC API - Features Part 4 writes (feature.c), parsed as
 * strictly as a file: at most INGEST_BODY_MAX bytes, UTF-8 (jansson
 * refuses ill-formed text), no NUL, no duplicate member.
 *   INGEST_BODY_FEATURE: a GeoJSON Feature (create, replace), read as the
 *   GeoJSON reader reads a feature;
 *   INGEST_BODY_MERGE_PATCH: a JSON merge patch (RFC 7396) applied to
 *   the Feature ingest_export_feature writes of *before: members set to
 *   null are removed (a field of the model becomes empty, the position
 *   quality and radius derived again), objects merged, anything else
 *   replaced (so a position is a whole "coordinates" array).
 * The result is validated by ingest_row_validate with positions in cs,
 * the one rule of what a site is.  When id is not NULL (replace, update)
 * the result must have that id (a body may leave it out).  On success the
 * site is added to into (its strings copied there) and *out points at
 * it.  Errors: MS_EUSAGE when the body is not JSON of the right shape
 * (not an object, not UTF-8, a duplicate member, too large), MS_EDATA
 * when it is but is no valid site; the message says why and where (a
 * JSON error's line and column, or the property).
 */
#define INGEST_BODY_MAX ((size_t)64 * 1024)
enum ingest_body_kind { INGEST_BODY_FEATURE, INGEST_BODY_MERGE_PATCH };
enum ms_status ingest_feature_body(const char *data, size_t len, enum ingest_body_kind kind, const char *id,
                                   const struct site *before, enum coordsys cs, struct site_set *into,
                                   const struct site **out, struct ms_error *err);

#endif

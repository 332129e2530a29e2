/*
 * gpkg.c - sites as a GeoPackage file, built in memory; see store.h.
 *
 * SpatiaLite writes the GeoPackage's own tables (gpkgCreateBaseTables:
 * the SRS, contents and geometry-columns tables with their triggers),
 * registers the geometry column and builds the R-tree index extension;
 * SQLite holds the database in memory and hands its bytes back
 * (sqlite3_serialize), so a download never touches the disk and leaves no
 * file behind.  The index is built after the rows are in, in one pass,
 * rather than by its triggers row by row.
 */
#include <sqlite3.h>
/* after sqlite3.h: spatialite.h uses its types without including it */
#include <spatialite.h>
#include <stdio.h>
#include <string.h>

#include "../util/buf.h"
#include "store.h"

/* GeoPackage 1.2 (OGC 12-128r15 §1.1.1.1.1): application_id "GPKG" and
 * user_version 10200.  gpkgCreateBaseTables writes 1.0's "GP10". */
#define GPKG_APPLICATION_ID 0x47504B47
#define GPKG_USER_VERSION 10200
#define GPKG_SRID 4326
#define GPKG_SRID_TEXT "4326"
#define GPKG_TABLE "sites"

static enum ms_status fail(struct ms_error *err, sqlite3 *db, const char *what)
{
	return ms_fail(err, MS_EIO, "GeoPackage: %s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static bool exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* CREATE TABLE with a column per site_columns entry but lat and lon (the
 * geometry holds them) and the extras; gpkgAddGeometryColumn adds the
 * geometry. */
static void table_sql(struct buf *b)
{
	buf_puts(b, "CREATE TABLE " GPKG_TABLE " (fid INTEGER PRIMARY KEY AUTOINCREMENT");
	for (int c = 0; c < SITE_NCOLUMNS; c++) {
		switch (site_columns[c].kind) {
		case SITE_COL_TEXT: buf_printf(b, ", \"%s\" TEXT", site_columns[c].name); break;
		case SITE_COL_QUALITY: buf_printf(b, ", \"%s\" TEXT NOT NULL", site_columns[c].name); break;
		case SITE_COL_UNCERTAINTY:
			buf_printf(b, ", \"%s\" REAL NOT NULL", site_columns[c].name);
			break;
		case SITE_COL_LAT:
		case SITE_COL_LON: break;
		}
	}
	buf_puts(b, ", extra TEXT)");
}

/* The INSERT matching table_sql: one parameter per column, the point last. */
static void insert_sql(struct buf *b)
{
	buf_puts(b, "INSERT INTO " GPKG_TABLE " (");
	struct buf values = BUF_INIT;
	for (int c = 0; c < SITE_NCOLUMNS; c++) {
		if (site_columns[c].kind == SITE_COL_LAT || site_columns[c].kind == SITE_COL_LON)
			continue;
		buf_printf(b, "\"%s\", ", site_columns[c].name);
		buf_puts(&values, "?, ");
	}
	buf_printf(b, "extra, geom) VALUES (%s?, gpkgMakePoint(?, ?, %d))", buf_str(&values), GPKG_SRID);
	buf_free(&values);
}

static enum ms_status insert_sites(sqlite3 *db, const struct site *sites, size_t n, struct ms_error *err)
{
	struct buf sql = BUF_INIT;
	insert_sql(&sql);
	sqlite3_stmt *st = NULL;
	enum ms_status rs = MS_OK;
	if (sqlite3_prepare_v2(db, buf_str(&sql), -1, &st, NULL) != SQLITE_OK) {
		rs = fail(err, db, "cannot prepare the rows");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const struct site *s = &sites[i];
		int k = 1;
		sqlite3_reset(st);
		for (int c = 0; c < SITE_NCOLUMNS; c++) {
			switch (site_columns[c].kind) {
			case SITE_COL_TEXT: {
				/* "" is the data model's missing attribute: NULL, as GIS
				 * tools show none */
				const char *t = site_field(s, site_columns[c].field);
				if (*t)
					sqlite3_bind_text(st, k++, t, -1, SQLITE_STATIC);
				else
					sqlite3_bind_null(st, k++);
				break;
			}
			case SITE_COL_QUALITY:
				sqlite3_bind_text(st, k++, site_quality_name(s->quality), -1, SQLITE_STATIC);
				break;
			case SITE_COL_UNCERTAINTY: sqlite3_bind_double(st, k++, site_uncertainty(s)); break;
			case SITE_COL_LAT:
			case SITE_COL_LON: break;
			}
		}
		if (strcmp(site_extra(s), "{}") != 0)
			sqlite3_bind_text(st, k++, site_extra(s), -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, k++);
		sqlite3_bind_double(st, k++, s->lon);
		sqlite3_bind_double(st, k++, s->lat);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rs = fail(err, db, "cannot insert a site");
			goto done;
		}
	}
done:
	sqlite3_finalize(st);
	buf_free(&sql);
	return rs;
}

/* The contents row: what the table is and the sites' bounds. */
static enum ms_status add_contents(sqlite3 *db, const struct site *sites, size_t n, struct ms_error *err)
{
	double w = 0, s = 0, e = 0, nn = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || sites[i].lon < w)
			w = sites[i].lon;
		if (i == 0 || sites[i].lon > e)
			e = sites[i].lon;
		if (i == 0 || sites[i].lat < s)
			s = sites[i].lat;
		if (i == 0 || sites[i].lat > nn)
			nn = sites[i].lat;
	}
	sqlite3_stmt *st = NULL;
	enum ms_status rs = MS_OK;
	static const char sql[] =
	    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
	    "srs_id, min_x, min_y, max_x, max_y) VALUES ('" GPKG_TABLE "', 'features', "
	    "'" GPKG_TABLE "', 'Red-resource sites (mapsvc)', ?, ?, ?, ?, ?)";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		rs = fail(err, db, "cannot prepare the contents");
		goto done;
	}
	sqlite3_bind_int(st, 1, GPKG_SRID);
	sqlite3_bind_double(st, 2, w);
	sqlite3_bind_double(st, 3, s);
	sqlite3_bind_double(st, 4, e);
	sqlite3_bind_double(st, 5, nn);
	if (sqlite3_step(st) != SQLITE_DONE)
		rs = fail(err, db, "cannot register the table");
done:
	sqlite3_finalize(st);
	return rs;
}

enum ms_status store_export_gpkg(const struct site *sites, size_t n, unsigned char **data, size_t *len,
                                 struct ms_error *err)
{
	*data = NULL;
	*len = 0;
	sqlite3 *db = NULL;
	void *cache = spatialite_alloc_connection();
	struct buf create = BUF_INIT;
	enum ms_status rs = MS_OK;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rs = fail(err, db, "cannot open a database in memory");
		goto done;
	}
	spatialite_init_ex(db, cache, 0);
	table_sql(&create);
	char version[128];
	snprintf(version, sizeof version, "PRAGMA application_id = %d; PRAGMA user_version = %d",
	         GPKG_APPLICATION_ID, GPKG_USER_VERSION);
	/* the base tables hold EPSG:4326 already, as the standard asks */
	if (!exec(db, "SELECT gpkgCreateBaseTables()") || !exec(db, version)) {
		rs = fail(err, db, "cannot create the GeoPackage tables");
		goto done;
	}
	if (!exec(db, buf_str(&create)) || (rs = add_contents(db, sites, n, err)) != MS_OK ||
	    !exec(db, "SELECT gpkgAddGeometryColumn('" GPKG_TABLE "', 'geom', 'POINT', 0, 0, " GPKG_SRID_TEXT
	              ")")) {
		if (rs == MS_OK)
			rs = fail(err, db, "cannot create the sites table");
		goto done;
	}
	if (!exec(db, "BEGIN") || (rs = insert_sites(db, sites, n, err)) != MS_OK || !exec(db, "COMMIT")) {
		if (rs == MS_OK)
			rs = fail(err, db, "cannot write the sites");
		goto done;
	}
	/* gpkgAddSpatialIndex indexes rows inserted after it: the ones already
	 * in are indexed in one pass here */
	if (!exec(db, "SELECT gpkgAddSpatialIndex('" GPKG_TABLE "', 'geom')") ||
	    !exec(db, "INSERT INTO rtree_" GPKG_TABLE "_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), "
	              "ST_MinY(geom), ST_MaxY(geom) FROM " GPKG_TABLE)) {
		rs = fail(err, db, "cannot index the sites");
		goto done;
	}
	sqlite3_int64 size = 0;
	*data = sqlite3_serialize(db, "main", &size, 0);
	if (!*data) {
		rs = fail(err, db, "cannot serialise the database");
		goto done;
	}
	*len = (size_t)size;
done:
	sqlite3_close(db);
	spatialite_cleanup_ex(cache);
	buf_free(&create);
	return rs;
}

void store_gpkg_free(unsigned char *data)
{
	sqlite3_free(data);
}

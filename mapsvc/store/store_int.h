/*
 * store_int.h - what store.c shares with columns.c (private to
 * mapsvc/store/): the position columns of table sites, added to databases
 * that lack them, and reading one row of the table into a struct site.
 *
 * Owns nothing beyond what each function says.  Threads: each function
 * works on the connection it is given; one thread per connection, as
 * SQLite's default threading mode requires of prepared statements.
 */
#ifndef MS_STORE_INT_H
#define MS_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "../site/site.h"
#include "../util/ms_error.h"

/* The columns of table sites a version of mapsvc before the position
 * columns wrote (text fields in site_field_names order, then lat, lon,
 * extra), and the ones after: the one column list that the schema check,
 * INSERT and SELECT share. */
#define STORE_LEGACY_COLUMNS                                                                                 \
	"id, name_zh, name_en, category, county, town, address, description, opening_hours, coord_source, "  \
	"confidence, source_url, lat, lon, extra"
#define STORE_COLUMNS STORE_LEGACY_COLUMNS ", " SITE_COLUMN_QUALITY ", " SITE_COLUMN_UNCERTAINTY

/* 1 when table sites has both position columns, 0 when it has neither (a
 * database of an earlier version; also when the query fails, and then so
 * will the caller's next query of the table, with the reason), -1 when it
 * has one only. */
int store_position_columns(sqlite3 *db);

/* Adds the two position columns, with CHECK constraints that hold the
 * rules of site/site.h (a known quality, a radius valid for it), to a
 * table sites that has neither, and fills them for the rows it already
 * holds as store_read_row reads such rows.  Runs inside the caller's
 * transaction; path is for messages. */
enum ms_status store_add_position_columns(sqlite3 *db, const char *path, struct ms_error *err);

/*
 * Reads the current row of q, a "SELECT " STORE_COLUMNS (or, with legacy,
 * STORE_LEGACY_COLUMNS) " FROM sites" statement, into *s, checked: a
 * known category, a valid coordinate, a known quality with a valid
 * radius.  Strings are borrowed from q until its next step, except the
 * extras of a legacy row that held the position columns (below): those
 * are *owned (free it; NULL otherwise).
 *
 * A legacy row gets its position as an import would read it now: an
 * earlier version kept the unknown columns position_quality and
 * position_uncertainty_m of its input among the extras, so when they are
 * there they are taken out and used; otherwise, and for every site an
 * input gave neither, the position is derived from `confidence`
 * (ingest_row_validate's rule, the same code).
 */
enum ms_status store_read_row(sqlite3_stmt *q, bool legacy, const char *path, struct site *s, char **owned,
                              struct ms_error *err);

#endif

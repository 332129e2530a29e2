/*
 * columns.c - the position columns of table sites and reading a row; see
 * store_int.h.
 *
 * Why the columns are added by ALTER TABLE even to a new table: a database
 * written before they existed must keep working (serve reads it, import
 * adds to it), so there has to be a migration; making the creation of a
 * table "the old schema, then the migration" leaves one path to test, and
 * a new and a migrated database with the same schema.
 *
 * The CHECK constraints are built from site/site.h's table, so the rules
 * live in one place and a GIS tool editing the file (QGIS, the spatialite
 * shell) cannot store a quality the service does not know or a surveyed
 * point with a 5 km radius.  The DEFAULTs only exist because SQLite's ADD
 * COLUMN needs one for NOT NULL; they are the worst quality and its
 * radius, so a row some other tool inserts without the columns claims
 * nothing.  50000.0 is written as a real: typeof() of an integer default
 * would fail the CHECK on rows added before it.
 */
#include "store_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hours/hours.h"
#include "../ingest/ingest.h"
#include "../util/buf.h"
#include "../util/mem.h"
#include "../util/numparse.h"

/* Result columns of store_select_columns. */
enum { COL_LAT = SITE_NFIELDS, COL_LON, COL_EXTRA, COL_QUALITY, COL_UNCERTAINTY };

void store_select_columns(struct buf *b, unsigned have)
{
	for (int f = 0; f < SITE_NFIELDS; f++) {
		if (f == SITE_OPENING_HOURS_TEXT && !(have & STORE_HAS_HOURS_TEXT))
			buf_puts(b, "'' AS ");
		buf_printf(b, "%s, ", site_field_names[f]);
	}
	buf_puts(b, "lat, lon, extra");
	if (have & STORE_HAS_POSITION)
		buf_puts(b, ", " SITE_COLUMN_QUALITY ", " SITE_COLUMN_UNCERTAINTY);
}

/* How many of the named columns table sites has (0 when the query fails). */
static int count_columns(sqlite3 *db, const char *names)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('sites') WHERE name IN (%s)",
	         names);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return n;
}

int store_columns_present(sqlite3 *db)
{
	int pos = count_columns(db, "'" SITE_COLUMN_QUALITY "', '" SITE_COLUMN_UNCERTAINTY "'");
	if (pos == 1)
		return -1;
	return (pos == 2 ? STORE_HAS_POSITION : 0) |
	       (count_columns(db, "'opening_hours_text'") ? STORE_HAS_HOURS_TEXT : 0);
}

/* The two ALTER TABLE statements, with their CHECKs from site/site. */
static void add_columns_sql(struct buf *quality, struct buf *radius)
{
	enum site_quality worst = SITE_QUALITY_UNKNOWN;
	buf_printf(quality,
	           "ALTER TABLE sites ADD COLUMN " SITE_COLUMN_QUALITY " TEXT NOT NULL DEFAULT '%s' CHECK "
	           "(" SITE_COLUMN_QUALITY " IN (",
	           site_quality_name(worst));
	buf_printf(radius,
	           "ALTER TABLE sites ADD COLUMN " SITE_COLUMN_UNCERTAINTY
	           " REAL NOT NULL DEFAULT %.1f CHECK "
	           "(typeof(" SITE_COLUMN_UNCERTAINTY ") = 'real' AND " SITE_COLUMN_UNCERTAINTY
	           " > 0 AND " SITE_COLUMN_UNCERTAINTY " <= CASE " SITE_COLUMN_QUALITY,
	           site_quality_default_m(worst));
	for (int q = 0; q < SITE_QUALITY_COUNT; q++) {
		const char *name = site_quality_name((enum site_quality)q);
		buf_printf(quality, "%s'%s'", q ? ", " : "", name);
		buf_printf(radius, " WHEN '%s' THEN %.17g", name, site_quality_max_m((enum site_quality)q));
	}
	buf_puts(quality, "))");
	buf_puts(radius, " END)");
}

enum ms_status store_add_position_columns(sqlite3 *db, const char *path, struct ms_error *err)
{
	struct buf qsql = BUF_INIT, rsql = BUF_INIT;
	struct site_set *rows = site_set_new();
	sqlite3_stmt *sel = NULL, *upd = NULL;
	enum ms_status rs = MS_OK;
	add_columns_sql(&qsql, &rsql);
	if (sqlite3_exec(db, buf_str(&qsql), NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, buf_str(&rsql), NULL, NULL, NULL) != SQLITE_OK) {
		rs =
		    ms_fail(err, MS_EIO, "%s: cannot add the position columns: %s", path, sqlite3_errmsg(db));
		goto done;
	}
	/* Read every row first, as a legacy row, then write: updating the
	 * table a statement is still walking could visit a row twice. */
	struct buf select = BUF_INIT;
	buf_puts(&select, "SELECT ");
	store_select_columns(&select, 0);
	buf_puts(&select, " FROM sites");
	int prc = sqlite3_prepare_v2(db, buf_str(&select), -1, &sel, NULL);
	buf_free(&select);
	if (prc != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "UPDATE sites SET " SITE_COLUMN_QUALITY " = ?1, " SITE_COLUMN_UNCERTAINTY
	                       " = ?2, extra = ?3 WHERE id = ?4",
	                       -1, &upd, NULL) != SQLITE_OK) {
		rs = ms_fail(err, MS_EIO, "%s: cannot prepare the position columns: %s", path,
		             sqlite3_errmsg(db));
		goto done;
	}
	int rc;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct site_draft s;
		char *owned = NULL;
		rs = store_read_row(sel, 0, path, &s, &owned, err);
		if (rs == MS_OK)
			site_set_add(rows, &s);
		free(owned);
		if (rs != MS_OK)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		rs = ms_fail(err, MS_EIO, "%s: cannot read the sites: %s", path, sqlite3_errmsg(db));
		goto done;
	}
	for (size_t i = 0; i < rows->n; i++) {
		const struct site *s = &rows->v[i];
		sqlite3_bind_text(upd, 1, site_quality_name(s->quality), -1, SQLITE_STATIC);
		sqlite3_bind_double(upd, 2, site_uncertainty(s));
		sqlite3_bind_text(upd, 3, site_extra(s), -1, SQLITE_STATIC);
		sqlite3_bind_text(upd, 4, site_field(s, SITE_ID), -1, SQLITE_STATIC);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			rs = ms_fail(err, MS_EIO, "%s: site '%s': cannot fill the position columns: %s", path,
			             site_field(s, SITE_ID), sqlite3_errmsg(db));
			goto done;
		}
		sqlite3_reset(upd);
	}
done:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	site_set_free(rows);
	buf_free(&qsql);
	buf_free(&rsql);
	return rs;
}

/* The text of opening_hours is OpenStreetMap's syntax (or empty). */
static bool hours_valid(const char *text, struct ms_error *err)
{
	struct hours *h = NULL;
	bool ok = !*text || hours_parse(text, strlen(text), &h, err) == MS_OK;
	hours_free(h);
	return ok;
}

enum ms_status store_add_hours_column(sqlite3 *db, const char *path, struct ms_error *err)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	struct site_set *moved = site_set_new(); /* id and the text to move, in two fields */
	enum ms_status rs = MS_OK;
	if (sqlite3_exec(db, "ALTER TABLE sites ADD COLUMN opening_hours_text TEXT NOT NULL DEFAULT ''", NULL,
	                 NULL, NULL) != SQLITE_OK) {
		rs = ms_fail(err, MS_EIO, "%s: cannot add opening_hours_text: %s", path, sqlite3_errmsg(db));
		goto done;
	}
	if (sqlite3_prepare_v2(db, "SELECT id, opening_hours FROM sites WHERE opening_hours <> ''", -1, &sel,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "UPDATE sites SET opening_hours_text = opening_hours, opening_hours = '' "
	                       "WHERE id = ?1",
	                       -1, &upd, NULL) != SQLITE_OK) {
		rs = ms_fail(err, MS_EIO, "%s: cannot prepare the move of opening_hours: %s", path,
		             sqlite3_errmsg(db));
		goto done;
	}
	/* Read first, then write (as store_add_position_columns does). */
	int rc;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct ms_error ignored = {0};
		const char *text = (const char *)sqlite3_column_text(sel, 1);
		if (text && !hours_valid(text, &ignored)) {
			struct site_draft s = {
			    .field = {[SITE_ID] = (const char *)sqlite3_column_text(sel, 0)}};
			site_set_add(moved, &s);
		}
	}
	if (rc != SQLITE_DONE) {
		rs = ms_fail(err, MS_EIO, "%s: cannot read opening_hours: %s", path, sqlite3_errmsg(db));
		goto done;
	}
	for (size_t i = 0; i < moved->n; i++) {
		sqlite3_bind_text(upd, 1, site_field(&moved->v[i], SITE_ID), -1, SQLITE_STATIC);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			rs = ms_fail(err, MS_EIO, "%s: site '%s': cannot move opening_hours: %s", path,
			             site_field(&moved->v[i], SITE_ID), sqlite3_errmsg(db));
			goto done;
		}
		sqlite3_reset(upd);
	}
done:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	site_set_free(moved);
	return rs;
}

/* The position of a legacy row; see store_int.h. */
static enum ms_status legacy_position(struct site_draft *s, char **owned, struct ms_error *err)
{
	struct ingest_row row = {.site = *s};
	char *quality = NULL;
	json_t *extra = NULL;
	enum ms_status st = MS_OK;
	/* Only rows that mention the columns pay for parsing their extras
	 * (jansson never escapes '_' or letters, so the text is exact). */
	if (strstr(s->extra, "\"" SITE_COLUMN_QUALITY "\"") ||
	    strstr(s->extra, "\"" SITE_COLUMN_UNCERTAINTY "\"")) {
		extra = json_loads(s->extra, 0, NULL);
		if (!json_is_object(extra)) {
			st = ms_fail(err, MS_EDATA, "its extra properties are not a JSON object");
			goto done;
		}
		json_t *q = json_object_get(extra, SITE_COLUMN_QUALITY);
		json_t *u = json_object_get(extra, SITE_COLUMN_UNCERTAINTY);
		if (q && !json_is_null(q) && !json_is_string(q)) {
			st = ms_fail(err, MS_EDATA, SITE_COLUMN_QUALITY " (an extra property) is not a text");
			goto done;
		}
		if (json_is_string(q))
			row.quality = quality = xstrdup(json_string_value(q));
		if (json_is_number(u)) {
			row.has_uncertainty = true;
			row.uncertainty_m = json_number_value(u);
		} else if (json_is_string(u) && json_string_value(u)[0]) {
			row.has_uncertainty = true;
			if (!ms_parse_decimal_str(json_string_value(u), &row.uncertainty_m)) {
				st = ms_fail(err, MS_EDATA,
				             SITE_COLUMN_UNCERTAINTY
				             " '%.60s' (an extra property) is not a decimal number",
				             json_string_value(u));
				goto done;
			}
		} else if (u && !json_is_null(u) && !json_is_string(u)) {
			st = ms_fail(err, MS_EDATA,
			             SITE_COLUMN_UNCERTAINTY " (an extra property) is not a number");
			goto done;
		}
		json_object_del(extra, SITE_COLUMN_QUALITY);
		json_object_del(extra, SITE_COLUMN_UNCERTAINTY);
		*owned = json_dumps(extra, JSON_COMPACT | JSON_PRESERVE_ORDER);
		row.site.extra = *owned;
	}
	/* The whole row is checked as an import would check it; an earlier
	 * import did the same checks but the position's. */
	if ((st = ingest_row_validate(&row, COORDSYS_WGS84, err)) == MS_OK)
		*s = row.site;
done:
	free(quality);
	json_decref(extra);
	return st;
}

enum ms_status store_read_row(sqlite3_stmt *q, unsigned have, const char *path, struct site_draft *s,
                              char **owned, struct ms_error *err)
{
	*owned = NULL;
	memset(s, 0, sizeof *s);
	for (int f = 0; f < SITE_NFIELDS; f++) {
		const char *t = (const char *)sqlite3_column_text(q, f);
		s->field[f] = t ? t : "";
	}
	s->lat = sqlite3_column_double(q, COL_LAT);
	s->lon = sqlite3_column_double(q, COL_LON);
	const char *extra = (const char *)sqlite3_column_text(q, COL_EXTRA);
	s->extra = extra && extra[0] ? extra : "{}";
	const char *id = s->field[SITE_ID], *cat = s->field[SITE_CATEGORY];
	int c = site_category_parse(cat, strlen(cat));
	if (c < 0)
		return ms_fail(err, MS_EDATA, "%s: site '%s': unknown category '%s'", path, id, cat);
	s->category = (enum site_category)c;
	if (!site_coord_valid(s->lat, s->lon) || sqlite3_column_type(q, COL_LAT) == SQLITE_NULL ||
	    sqlite3_column_type(q, COL_LON) == SQLITE_NULL)
		return ms_fail(err, MS_EDATA, "%s: site '%s': invalid coordinate", path, id);
	if (!(have & STORE_HAS_HOURS_TEXT)) {
		/* the free text of a database before the column (store_int.h) */
		struct ms_error ignored = {0};
		if (!hours_valid(s->field[SITE_OPENING_HOURS], &ignored)) {
			s->field[SITE_OPENING_HOURS_TEXT] = s->field[SITE_OPENING_HOURS];
			s->field[SITE_OPENING_HOURS] = "";
		}
	} else if (!hours_valid(s->field[SITE_OPENING_HOURS], err)) {
		ms_error_prefix(err, "%s: site '%s': ", path, id);
		return MS_EDATA;
	}
	if (!(have & STORE_HAS_POSITION)) {
		enum ms_status st = legacy_position(s, owned, err);
		if (st != MS_OK) {
			ms_error_prefix(err, "%s: site '%s': ", path, id);
			free(*owned);
			*owned = NULL;
		}
		return st;
	}
	const char *qname = (const char *)sqlite3_column_text(q, COL_QUALITY);
	int qv = qname ? site_quality_parse(qname, strlen(qname)) : -1;
	if (qv < 0)
		return ms_fail(err, MS_EDATA, "%s: site '%s': unknown " SITE_COLUMN_QUALITY " '%s'", path, id,
		               qname ? qname : "NULL");
	s->quality = (enum site_quality)qv;
	s->uncertainty_m = sqlite3_column_double(q, COL_UNCERTAINTY);
	if (sqlite3_column_type(q, COL_UNCERTAINTY) == SQLITE_NULL ||
	    !site_uncertainty_valid(s->quality, s->uncertainty_m))
		return ms_fail(err, MS_EDATA,
		               "%s: site '%s': " SITE_COLUMN_UNCERTAINTY
		               " %g is not valid for a '%s' position",
		               path, id, s->uncertainty_m, qname);
	return MS_OK;
}

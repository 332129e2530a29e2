/*
 * store_pg.c - the PostGIS backend of the store (store_backend.h), over
 * libpq.  docs/postgis.md describes the schema for other readers (QGIS,
 * GDAL, pg_featureserv).
 *
 * The schema mirrors the SpatiaLite file's: table sites with the same
 * columns (the text fields, lat and lon, extra, the two position columns
 * with the CHECKs built from site/site.h's table) and a geometry(Point,
 * 4326) column geom with a GiST index.  lat/lon and geom say the same
 * thing twice, as in SpatiaLite, so a trigger keeps them together whoever
 * writes: geom follows lat/lon, except when an UPDATE moves geom alone (a
 * GIS tool dragging a point), when lat/lon follow geom.
 *
 * How replicas learn of changes.  A version row (mapsvc_meta.data_version)
 * counts committed writes to sites: statement-level triggers bump it once
 * per statement, record each touched id with that version in a change log
 * (mapsvc_changes: id, version, deleted) from the statement's transition
 * tables, and NOTIFY mapsvc_sites with the version.  The version row's
 * lock orders concurrent writers, so versions commit in increasing order
 * and a reader asking "ids logged after V" in one snapshot never misses a
 * change that commits later with a smaller number.  The log holds one row
 * per id (the last version that touched it), so it never outgrows the
 * table.  A bulk import (SET LOCAL mapsvc.bulk) and TRUNCATE log nothing
 * per row: they empty the log and move reset_version up, which tells a
 * reader behind it to load everything.  The payload of a NOTIFY is only a
 * hint; readers ask the log.
 *
 * Why a cursor and not one result for loading: libpq keeps a whole result
 * in memory, a second copy of a million sites; FETCH in batches keeps one
 * batch, and reading text values avoids a binary-format parser.  Floats
 * read back exactly: PostgreSQL 12 and later print a double's shortest
 * round-trip form.
 *
 * Passwords: libpq's messages may quote what they were given, so every
 * message from it passes through scrub(), which blanks the password.
 */
#include "store_backend.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ingest/ingest.h"
#include "../util/buf.h"
#include "../util/mem.h"
#include "store_int.h"

/* The schema this code writes and reads (mapsvc_meta.schema_version). */
#define PG_SCHEMA_VERSION 1
/* The channel of change notices; docs/postgis.md names it. */
#define PG_CHANNEL "mapsvc_sites"
/* Rows per FETCH: large enough that round trips do not count, small
 * enough that a batch is a few megabytes. */
#define PG_FETCH_ROWS 10000
/* Bytes of COPY text sent per PQputCopyData. */
#define PG_COPY_CHUNK (1 << 20)
/* One import at a time per database: the key of the advisory lock an
 * import holds for its transaction ("mapsvc" in ASCII). */
#define PG_IMPORT_LOCK 0x6d6170737663LL
/* Connection defaults a --db value may override: a dead server is found
 * within seconds, not the kernel's hours (TCP keepalives). */
#define PG_CONNECT_TIMEOUT_S "5"
#define PG_KEEPALIVE_IDLE_S "10"
#define PG_KEEPALIVE_INTERVAL_S "5"
#define PG_KEEPALIVE_COUNT "3"
#define PG_PASSWORD_MASK "********"

struct pg {
	PGconn *conn;
	char *password; /* from the connection string, for scrub(); NULL if none */
};

/* ---- messages ---------------------------------------------------------- */

/* msg with every occurrence of password replaced, and its trailing
 * newlines cut, into out. */
static void scrub(const char *msg, const char *password, char *out, size_t size)
{
	struct buf b = BUF_INIT;
	size_t pl = password ? strlen(password) : 0;
	for (const char *p = msg ? msg : ""; *p;) {
		if (pl && !strncmp(p, password, pl)) {
			buf_puts(&b, PG_PASSWORD_MASK);
			p += pl;
		} else {
			buf_putc(&b, *p++);
		}
	}
	size_t n = b.len;
	while (n && (b.data[n - 1] == '\n' || b.data[n - 1] == ' '))
		n--;
	snprintf(out, size, "%.*s", (int)n, n ? b.data : "");
	buf_free(&b);
}

/* Fails with "LABEL: what: libpq's reason". */
static enum ms_status pg_fail(struct store *st, struct ms_error *err, enum ms_status code, const char *what,
                              const char *reason)
{
	const struct pg *pg = st->impl;
	char clean[sizeof err->msg];
	scrub(reason, pg ? pg->password : NULL, clean, sizeof clean);
	return ms_fail(err, code, "%s: %s: %s", st->label, what, clean);
}

static enum ms_status conn_fail(struct store *st, struct ms_error *err, const char *what)
{
	const struct pg *pg = st->impl;
	return pg_fail(st, err, MS_EIO, what, PQerrorMessage(pg->conn));
}

/* Runs sql (no parameters); MS_OK when it succeeded. */
static enum ms_status run(struct store *st, const char *sql, const char *what, struct ms_error *err)
{
	struct pg *pg = st->impl;
	PGresult *r = PQexec(pg->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	enum ms_status rs = MS_OK;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		rs = pg_fail(st, err, PQstatus(pg->conn) == CONNECTION_OK ? MS_EDATA : MS_EIO, what,
		             PQresultErrorMessage(r));
	PQclear(r);
	return rs;
}

/* The one value of a one-row query as a 64-bit integer; -1 when there is
 * no row.  MS_OK or the failure. */
static enum ms_status query_i64(struct store *st, const char *sql, long long *out, struct ms_error *err)
{
	struct pg *pg = st->impl;
	PGresult *r = PQexec(pg->conn, sql);
	enum ms_status rs = MS_OK;
	*out = -1;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		rs = pg_fail(st, err, PQstatus(pg->conn) == CONNECTION_OK ? MS_EDATA : MS_EIO, "cannot query",
		             PQresultErrorMessage(r));
	else if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rs;
}

/* ---- connecting --------------------------------------------------------- */

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static enum ms_status edit_prepare(struct store *st, struct ms_error *err);

static enum ms_status pg_open(struct store *st, struct ms_error *err)
{
	struct pg *pg = xcalloc(1, sizeof *pg);
	st->impl = pg;
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(st->target, &perr);
	PQfreemem(perr); /* it may quote the string, password and all */
	if (!opts)
		return ms_fail(err, MS_EUSAGE, "%s: not a valid PostgreSQL connection string", st->label);
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && o->val[0])
			pg->password = xstrdup(o->val);
	PQconninfoFree(opts);
	/* Ours first, the --db value last: later ones win (expand_dbname). */
	const char *const keys[] = {"connect_timeout",     "keepalives",       "keepalives_idle",
	                            "keepalives_interval", "keepalives_count", "application_name",
	                            "client_encoding",     "dbname",           NULL};
	const char *const vals[] = {PG_CONNECT_TIMEOUT_S,
	                            "1",
	                            PG_KEEPALIVE_IDLE_S,
	                            PG_KEEPALIVE_INTERVAL_S,
	                            PG_KEEPALIVE_COUNT,
	                            "mapsvc",
	                            "UTF8",
	                            st->target,
	                            NULL};
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn)
		return ms_fail(err, MS_EIO, "%s: cannot connect: out of memory", st->label);
	if (PQstatus(pg->conn) != CONNECTION_OK)
		return conn_fail(st, err, "cannot connect");
	/* The engine never prints: libpq's default prints notices on stderr. */
	PQsetNoticeProcessor(pg->conn, ignore_notice, NULL);
	/* Values of float8 columns printed exactly, dates never parsed. */
	enum ms_status rs = run(st, "SET extra_float_digits = 1", "cannot set up the session", err);
	if (rs == MS_OK && st->mode == STORE_WATCH)
		rs = run(st, "LISTEN " PG_CHANNEL, "cannot listen for changes", err);
	if (rs == MS_OK && st->mode == STORE_EDIT)
		rs = edit_prepare(st, err);
	return rs;
}

static void pg_close(struct store *st)
{
	struct pg *pg = st->impl;
	if (!pg)
		return;
	PQfinish(pg->conn);
	free(pg->password);
	free(pg);
	st->impl = NULL;
}

/* ---- the schema ---------------------------------------------------------- */

/* The schema, made by the first import (inside its transaction). */
static void schema_sql(struct buf *b)
{
	buf_printf(b,
	           "CREATE TABLE mapsvc_meta ("
	           " singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),"
	           " schema_version integer NOT NULL,"
	           " data_version bigint NOT NULL DEFAULT 0,"
	           " reset_version bigint NOT NULL DEFAULT 0);"
	           "INSERT INTO mapsvc_meta (schema_version) VALUES (%d);"
	           "CREATE TABLE mapsvc_changes ("
	           " id text PRIMARY KEY, version bigint NOT NULL, deleted boolean NOT NULL);"
	           "CREATE INDEX mapsvc_changes_version ON mapsvc_changes (version);",
	           PG_SCHEMA_VERSION);
	buf_puts(b, "CREATE TABLE sites ("
	            " id text PRIMARY KEY,"
	            " name_zh text NOT NULL, name_en text NOT NULL DEFAULT '',");
	/* Other tools write this table while replicas serve it: a category
	 * the service does not know would stop every replica's next update,
	 * so the database refuses it (SpatiaLite's readers check it). */
	buf_puts(b, " category text NOT NULL CHECK (category IN (");
	for (int c = 0; c < CAT_COUNT; c++)
		buf_printf(b, "%s'%s'", c ? ", " : "", site_category_name((enum site_category)c));
	buf_puts(b, ")),"
	            " county text NOT NULL DEFAULT '', town text NOT NULL DEFAULT '',"
	            " address text NOT NULL DEFAULT '', description text NOT NULL DEFAULT '',"
	            " opening_hours text NOT NULL DEFAULT '', opening_hours_text text NOT NULL DEFAULT '',"
	            " coord_source text NOT NULL DEFAULT '',"
	            " confidence text NOT NULL DEFAULT '', source_url text NOT NULL DEFAULT '',"
	            " lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),"
	            " lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),"
	            " extra text NOT NULL DEFAULT '{}',");
	/* The position columns' CHECKs, from site/site.h as in columns.c. */
	enum site_quality worst = SITE_QUALITY_UNKNOWN;
	buf_printf(b,
	           " " SITE_COLUMN_QUALITY " text NOT NULL DEFAULT '%s' CHECK (" SITE_COLUMN_QUALITY " IN (",
	           site_quality_name(worst));
	for (int q = 0; q < SITE_QUALITY_COUNT; q++)
		buf_printf(b, "%s'%s'", q ? ", " : "", site_quality_name((enum site_quality)q));
	buf_printf(b,
	           ")), " SITE_COLUMN_UNCERTAINTY " double precision NOT NULL DEFAULT %.1f CHECK "
	           "(" SITE_COLUMN_UNCERTAINTY " > 0 AND " SITE_COLUMN_UNCERTAINTY
	           " <= CASE " SITE_COLUMN_QUALITY,
	           site_quality_default_m(worst));
	for (int q = 0; q < SITE_QUALITY_COUNT; q++)
		buf_printf(b, " WHEN '%s' THEN %.17g", site_quality_name((enum site_quality)q),
		           site_quality_max_m((enum site_quality)q));
	buf_puts(b, " END),"
	            " geom geometry(Point, 4326) NOT NULL);"
	            "CREATE INDEX sites_geom_idx ON sites USING gist (geom);");
	/* lat/lon and geom kept together (see the top of this file). */
	buf_puts(b,
	         "CREATE FUNCTION mapsvc_sites_geom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	         " IF (TG_OP = 'UPDATE' AND NEW.geom IS DISTINCT FROM OLD.geom"
	         "     AND NEW.lat IS NOT DISTINCT FROM OLD.lat AND NEW.lon IS NOT DISTINCT FROM OLD.lon)"
	         "    OR (TG_OP = 'INSERT' AND (NEW.lat IS NULL OR NEW.lon IS NULL) AND NEW.geom IS NOT NULL)"
	         " THEN NEW.lon := ST_X(NEW.geom); NEW.lat := ST_Y(NEW.geom);"
	         " ELSE NEW.geom := ST_SetSRID(ST_MakePoint(NEW.lon, NEW.lat), 4326);"
	         " END IF; RETURN NEW; END $$;"
	         "CREATE TRIGGER sites_geom BEFORE INSERT OR UPDATE ON sites"
	         " FOR EACH ROW EXECUTE FUNCTION mapsvc_sites_geom();");
	/* The version, the log and the notice (see the top of this file). */
	buf_puts(b,
	         "CREATE FUNCTION mapsvc_sites_changed() RETURNS trigger LANGUAGE plpgsql AS $$"
	         " DECLARE v bigint; BEGIN"
	         " UPDATE mapsvc_meta SET data_version = data_version + 1 RETURNING data_version INTO v;"
	         " IF TG_OP = 'TRUNCATE' OR current_setting('mapsvc.bulk', true) = 'on' THEN"
	         "  UPDATE mapsvc_meta SET reset_version = v; DELETE FROM mapsvc_changes;"
	         " ELSE"
	         "  IF TG_OP <> 'INSERT' THEN INSERT INTO mapsvc_changes SELECT id, v, true FROM old_rows"
	         "   ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, deleted = true; END IF;"
	         "  IF TG_OP <> 'DELETE' THEN INSERT INTO mapsvc_changes SELECT id, v, false FROM new_rows"
	         "   ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, deleted = false; END IF;"
	         " END IF;"
	         " PERFORM pg_notify('" PG_CHANNEL "', v::text); RETURN NULL; END $$;"
	         "CREATE TRIGGER sites_changed_insert AFTER INSERT ON sites REFERENCING NEW TABLE AS new_rows"
	         " FOR EACH STATEMENT EXECUTE FUNCTION mapsvc_sites_changed();"
	         "CREATE TRIGGER sites_changed_update AFTER UPDATE ON sites"
	         " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
	         " FOR EACH STATEMENT EXECUTE FUNCTION mapsvc_sites_changed();"
	         "CREATE TRIGGER sites_changed_delete AFTER DELETE ON sites REFERENCING OLD TABLE AS old_rows"
	         " FOR EACH STATEMENT EXECUTE FUNCTION mapsvc_sites_changed();"
	         "CREATE TRIGGER sites_changed_truncate AFTER TRUNCATE ON sites"
	         " FOR EACH STATEMENT EXECUTE FUNCTION mapsvc_sites_changed();");
}

/* Creates the schema unless the database has it; refuses a sites table
 * that is not ours and a schema of another version.  In the import's
 * transaction, under its lock. */
static enum ms_status ensure_schema(struct store *st, struct ms_error *err)
{
	long long meta, sites;
	enum ms_status rs;
	if ((rs = query_i64(st,
	                    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND"
	                    " tablename = 'mapsvc_meta'",
	                    &meta, err)) != MS_OK ||
	    (rs = query_i64(st,
	                    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND"
	                    " tablename = 'sites'",
	                    &sites, err)) != MS_OK)
		return rs;
	if (meta > 0) {
		long long v;
		if ((rs = query_i64(st, "SELECT schema_version FROM mapsvc_meta", &v, err)) != MS_OK)
			return rs;
		if (v != PG_SCHEMA_VERSION)
			return ms_fail(err, MS_EDATA,
			               "%s: schema version %lld, not %d: written by another mapsvc",
			               st->label, v, PG_SCHEMA_VERSION);
		return MS_OK;
	}
	if (sites > 0)
		return ms_fail(err, MS_EDATA, "%s: table sites is not a mapsvc sites table (no mapsvc_meta)",
		               st->label);
	struct buf sql = BUF_INIT;
	schema_sql(&sql);
	rs = run(st, buf_str(&sql), "cannot create the schema", err);
	buf_free(&sql);
	return rs;
}

/* PostGIS must be there before the schema can use its types; creating it
 * needs a privileged role, so a failure says what to run. */
static enum ms_status ensure_postgis(struct store *st, struct ms_error *err)
{
	long long n;
	enum ms_status rs =
	    query_i64(st, "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'", &n, err);
	if (rs != MS_OK || n > 0)
		return rs;
	rs = run(st, "CREATE EXTENSION IF NOT EXISTS postgis", "PostGIS is not installed in this database",
	         err);
	if (rs != MS_OK)
		ms_error_prefix(err, "(run CREATE EXTENSION postgis as its owner) ");
	return rs;
}

/* ---- the import ------------------------------------------------------------ */

/* s into COPY's text format: backslash, tab and line ends escaped. */
static void copy_text(struct buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '\\': buf_puts(b, "\\\\"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		default: buf_putc(b, *p);
		}
	}
}

/* The point (lon, lat) in SRID 4326 as hex EWKB, what PostGIS reads for a
 * geometry in COPY text: little-endian (01), type Point with the SRID flag
 * (0x20000001), the SRID, then x and y as IEEE-754 doubles, each byte
 * written from the value so that the host's byte order does not matter.
 * The same point as ST_SetSRID(ST_MakePoint(lon, lat), 4326). */
static void copy_ewkb_point(struct buf *b, double lon, double lat)
{
	static const char hex[] = "0123456789ABCDEF";
	buf_puts(b, "0101000020E6100000");
	const double xy[2] = {lon, lat};
	for (int k = 0; k < 2; k++) {
		uint64_t bits;
		memcpy(&bits, &xy[k], sizeof bits);
		for (int i = 0; i < (int)sizeof bits; i++) {
			unsigned byte = (unsigned)(bits >> (8 * i)) & 0xffu;
			buf_putc(b, hex[byte >> 4]);
			buf_putc(b, hex[byte & 0xf]);
		}
	}
}

/* The columns of table sites as the store reads and writes them (the
 * text fields in site_field_names order, lat, lon, extra, the position
 * columns: store_int.h), after prefix, into b. */
static void put_columns(struct buf *b, const char *prefix)
{
	buf_puts(b, prefix);
	store_select_columns(b, STORE_HAS_ALL);
}

/* One site as a line of COPY text: put_columns' columns, then geom. */
static void copy_row(struct buf *b, const struct site *s)
{
	for (int f = 0; f < SITE_NFIELDS; f++) {
		copy_text(b, site_field(s, f) ? site_field(s, f) : "");
		buf_putc(b, '\t');
	}
	/* %.17g reads back as the same double */
	buf_printf(b, "%.17g\t%.17g\t", s->lat, s->lon);
	copy_text(b, site_extra(s) && site_extra(s)[0] ? site_extra(s) : "{}");
	buf_printf(b, "\t%s\t%.17g\t", site_quality_name(s->quality), site_uncertainty(s));
	copy_ewkb_point(b, s->lon, s->lat);
	buf_putc(b, '\n');
}

/* The site a COPY error is about: its CONTEXT says "COPY sites, line N",
 * the line of the COPY stream, which holds sites->v[N - 1]. */
static enum ms_status copy_fail(struct store *st, const struct site_set *sites, PGresult *r,
                                struct ms_error *err)
{
	static const char marker[] = "COPY sites, line ";
	const struct pg *pg = st->impl;
	const char *ctx = PQresultErrorField(r, PG_DIAG_CONTEXT);
	const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	const char *at = ctx ? strstr(ctx, marker) : NULL;
	unsigned long line = at ? strtoul(at + strlen(marker), NULL, 10) : 0;
	struct buf why = BUF_INIT;
	buf_puts(&why, primary ? primary : PQresultErrorMessage(r));
	/* "Key (id)=(x) already exists." helps; "Failing row contains (...)"
	 * only repeats the row. */
	if (detail && !strncmp(detail, "Key ", strlen("Key ")))
		buf_printf(&why, " (%s)", detail);
	char reason[sizeof err->msg];
	scrub(buf_str(&why), pg->password, reason, sizeof reason);
	buf_free(&why);
	if (line >= 1 && line <= sites->n)
		return ms_fail(err, MS_EDATA, "%s: COPY sites:%lu: site '%s': %s; nothing was imported",
		               st->label, line, site_field(&sites->v[line - 1], SITE_ID), reason);
	return ms_fail(err, MS_EDATA, "%s: cannot import: %s; nothing was imported", st->label, reason);
}

/* Streams every site into COPY sites; the caller's transaction. */
static enum ms_status copy_sites(struct store *st, const struct site_set *sites, struct ms_error *err)
{
	struct pg *pg = st->impl;
	struct buf sql = BUF_INIT;
	put_columns(&sql, "COPY sites (");
	buf_puts(&sql, ", geom) FROM STDIN");
	PGresult *r = PQexec(pg->conn, buf_str(&sql));
	buf_free(&sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		enum ms_status rs =
		    pg_fail(st, err, MS_EIO, "cannot start the COPY", PQresultErrorMessage(r));
		PQclear(r);
		return rs;
	}
	PQclear(r);
	struct buf b = BUF_INIT;
	bool sent = true;
	for (size_t i = 0; i < sites->n && sent; i++) {
		if (!site_coord_valid(sites->v[i].lat, sites->v[i].lon)) {
			buf_free(&b);
			PQputCopyEnd(pg->conn, "invalid coordinate");
			PQclear(PQgetResult(pg->conn));
			return ms_fail(err, MS_EDATA, "site '%s': invalid coordinate %g, %g",
			               site_field(&sites->v[i], SITE_ID), sites->v[i].lat, sites->v[i].lon);
		}
		copy_row(&b, &sites->v[i]);
		if (b.len >= PG_COPY_CHUNK) {
			sent = PQputCopyData(pg->conn, b.data, (int)b.len) == 1;
			buf_reset(&b);
		}
	}
	if (sent && b.len)
		sent = PQputCopyData(pg->conn, b.data, (int)b.len) == 1;
	buf_free(&b);
	if (!sent || PQputCopyEnd(pg->conn, NULL) != 1)
		return conn_fail(st, err, "cannot send the sites");
	enum ms_status rs = MS_OK;
	while ((r = PQgetResult(pg->conn))) {
		if (rs == MS_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
			rs = PQstatus(pg->conn) == CONNECTION_OK
			         ? copy_fail(st, sites, r, err)
			         : pg_fail(st, err, MS_EIO, "cannot import", PQresultErrorMessage(r));
		PQclear(r);
	}
	return rs;
}

/*
 * A replacing import of a table this role owns loads it as a restore
 * would: with the per-row triggers off (COPY brings geom itself, and the
 * TRUNCATE trigger has already reset the log) and the GiST index built
 * once after the rows, sorted, instead of one insertion per row.  Measured
 * at 1,000,000 sites: 23.3 s instead of 31.6 s the plain way.  Both take
 * the table's ACCESS EXCLUSIVE lock, which TRUNCATE holds anyway, and both
 * are undone by the rollback of a failed import.
 */
static const char bulk_begin_sql[] =
    "ALTER TABLE sites DISABLE TRIGGER sites_geom, DISABLE TRIGGER sites_changed_insert;"
    "DROP INDEX sites_geom_idx";
static const char bulk_end_sql[] =
    "CREATE INDEX sites_geom_idx ON sites USING gist (geom);"
    "ALTER TABLE sites ENABLE TRIGGER sites_geom, ENABLE TRIGGER sites_changed_insert";

/* True when this role owns table sites (it may then switch its triggers). */
static enum ms_status owns_sites(struct store *st, bool *owner, struct ms_error *err)
{
	long long n;
	enum ms_status rs = query_i64(st,
	                              "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND"
	                              " tablename = 'sites' AND tableowner = current_user",
	                              &n, err);
	*owner = n > 0;
	return rs;
}

static enum ms_status pg_import(struct store *st, const struct site_set *sites, bool replace,
                                size_t *imported, struct ms_error *err)
{
	enum ms_status rs = ensure_postgis(st, err);
	if (rs != MS_OK)
		return rs;
	char lock[96];
	snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%lld)", PG_IMPORT_LOCK);
	/* The triggers log nothing per row in a bulk import (top of file). */
	if ((rs = run(st, "BEGIN", "cannot start the import", err)) != MS_OK)
		return rs;
	bool bulk = false;
	if ((rs = run(st, lock, "cannot lock the import", err)) != MS_OK ||
	    (rs = ensure_schema(st, err)) != MS_OK ||
	    (replace && (rs = owns_sites(st, &bulk, err)) != MS_OK) ||
	    (rs = run(st, "SET LOCAL mapsvc.bulk = 'on'", "cannot start the import", err)) != MS_OK ||
	    (replace && (rs = run(st, "TRUNCATE sites", "cannot remove the old sites", err)) != MS_OK) ||
	    (bulk && (rs = run(st, bulk_begin_sql, "cannot prepare the bulk load", err)) != MS_OK) ||
	    (sites->n && (rs = copy_sites(st, sites, err)) != MS_OK) ||
	    (bulk && (rs = run(st, bulk_end_sql, "cannot index the sites", err)) != MS_OK) ||
	    (rs = run(st, "COMMIT", "cannot commit the import", err)) != MS_OK) {
		struct pg *pg = st->impl;
		PQclear(PQexec(pg->conn, "ROLLBACK"));
		return rs;
	}
	if (imported)
		*imported = sites->n;
	return MS_OK;
}

/* ---- reading ------------------------------------------------------------------ */

/* Result columns of put_columns (as columns.c numbers them). */
enum { PCOL_LAT = SITE_NFIELDS, PCOL_LON, PCOL_EXTRA, PCOL_QUALITY, PCOL_UNCERTAINTY, PCOL_COUNT };

/* A float8 column's text ("1e-05" included, which numparse.h's decimal
 * grammar refuses: PostgreSQL prints exponents). */
static bool parse_f8(const char *s, double *out)
{
	char *end;
	if (!*s)
		return false;
	*out = strtod(s, &end);
	return *end == '\0';
}

/* Row i of r (put_columns' columns from column first on) into *s, checked as
 * store_read_row checks a SpatiaLite row; strings borrowed from r. */
static enum ms_status read_row(const struct store *st, PGresult *r, int i, int first, struct site_draft *s,
                               struct ms_error *err)
{
	memset(s, 0, sizeof *s);
	for (int f = 0; f < SITE_NFIELDS; f++)
		s->field[f] = PQgetvalue(r, i, first + f);
	const char *id = s->field[SITE_ID], *cat = s->field[SITE_CATEGORY];
	int c = site_category_parse(cat, strlen(cat));
	if (c < 0)
		return ms_fail(err, MS_EDATA, "%s: site '%s': unknown category '%s'", st->label, id, cat);
	s->category = (enum site_category)c;
	if (!parse_f8(PQgetvalue(r, i, first + PCOL_LAT), &s->lat) ||
	    !parse_f8(PQgetvalue(r, i, first + PCOL_LON), &s->lon) || !site_coord_valid(s->lat, s->lon))
		return ms_fail(err, MS_EDATA, "%s: site '%s': invalid coordinate", st->label, id);
	const char *extra = PQgetvalue(r, i, first + PCOL_EXTRA);
	s->extra = extra[0] ? extra : "{}";
	const char *qname = PQgetvalue(r, i, first + PCOL_QUALITY);
	int q = site_quality_parse(qname, strlen(qname));
	if (q < 0)
		return ms_fail(err, MS_EDATA, "%s: site '%s': unknown " SITE_COLUMN_QUALITY " '%s'",
		               st->label, id, qname);
	s->quality = (enum site_quality)q;
	if (!parse_f8(PQgetvalue(r, i, first + PCOL_UNCERTAINTY), &s->uncertainty_m) ||
	    !site_uncertainty_valid(s->quality, s->uncertainty_m))
		return ms_fail(err, MS_EDATA,
		               "%s: site '%s': " SITE_COLUMN_UNCERTAINTY
		               " %s is not valid for a '%s' position",
		               st->label, id, PQgetvalue(r, i, first + PCOL_UNCERTAINTY), qname);
	return MS_OK;
}

/* Runs query through a cursor, adding each row to *sites or, when first
 * is not 0 and the row's column 0 is NULL (a logged id whose row is gone),
 * its column 1 to gone.  first: where put_columns' columns begin.  In the caller's transaction. */
static enum ms_status fetch_rows(struct store *st, const char *query, int first, struct site_set *sites,
                                 struct store_changes *gone, struct ms_error *err)
{
	struct pg *pg = st->impl;
	struct buf decl = BUF_INIT;
	buf_printf(&decl, "DECLARE mapsvc_rows NO SCROLL CURSOR FOR %s", query);
	enum ms_status rs = run(st, buf_str(&decl), "cannot read the sites", err);
	buf_free(&decl);
	char fetch[64];
	snprintf(fetch, sizeof fetch, "FETCH FORWARD %d FROM mapsvc_rows", PG_FETCH_ROWS);
	size_t cap = 0;
	while (rs == MS_OK) {
		PGresult *r = PQexec(pg->conn, fetch);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQnfields(r) != first + PCOL_COUNT) {
			rs = pg_fail(st, err, PQstatus(pg->conn) == CONNECTION_OK ? MS_EDATA : MS_EIO,
			             "cannot read the sites", PQresultErrorMessage(r));
			PQclear(r);
			break;
		}
		int n = PQntuples(r);
		for (int i = 0; i < n && rs == MS_OK; i++) {
			if (first && PQgetisnull(r, i, 0)) {
				if (gone->ngone == cap)
					gone->gone = xrealloc(gone->gone, (cap = cap ? 2 * cap : 16) *
					                                      sizeof *gone->gone);
				gone->gone[gone->ngone++] = xstrdup(PQgetvalue(r, i, 1));
				continue;
			}
			struct site_draft s;
			if ((rs = read_row(st, r, i, first, &s, err)) == MS_OK)
				site_set_add(sites, &s);
		}
		PQclear(r);
		if (n < PG_FETCH_ROWS)
			break;
	}
	if (rs == MS_OK)
		rs = run(st, "CLOSE mapsvc_rows", "cannot read the sites", err);
	return rs;
}

/* The version row: data_version and reset_version. */
static enum ms_status read_meta(struct store *st, uint64_t *version, uint64_t *reset, struct ms_error *err)
{
	struct pg *pg = st->impl;
	PGresult *r = PQexec(pg->conn, "SELECT data_version, reset_version FROM mapsvc_meta");
	enum ms_status rs = MS_OK;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		rs = pg_fail(st, err, PQstatus(pg->conn) == CONNECTION_OK ? MS_EDATA : MS_EIO,
		             "not a mapsvc database (import into it first)", PQresultErrorMessage(r));
	else if (PQntuples(r) != 1)
		rs = ms_fail(err, MS_EDATA, "%s: mapsvc_meta has %d rows, not one", st->label, PQntuples(r));
	else {
		*version = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
		*reset = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	}
	PQclear(r);
	return rs;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Everything (since == NULL) or what changed after *since, in one
 * read-only snapshot of the database. */
static enum ms_status read_view(struct store *st, const uint64_t *since, struct store_changes *ch,
                                struct ms_error *err)
{
	struct pg *pg = st->impl;
	enum ms_status rs = run(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "cannot read", err);
	if (rs != MS_OK)
		return rs;
	uint64_t version = 0, reset = 0;
	if ((rs = read_meta(st, &version, &reset, err)) != MS_OK)
		goto done;
	ch->version = version;
	/* Behind a reset, or ahead of the database (another one under the same
	 * name): only everything is right. */
	ch->full = !since || *since < reset || *since > version;
	ch->sites = site_set_new();
	if (ch->full) {
		long long count;
		if ((rs = query_i64(st, "SELECT count(*) FROM sites", &count, err)) != MS_OK)
			goto done;
		if (count > 0) /* one allocation for a million sites, not twenty */
			site_set_reserve(ch->sites, (size_t)count);
		struct buf q = BUF_INIT;
		put_columns(&q, "SELECT ");
		buf_puts(&q, " FROM sites");
		rs = fetch_rows(st, buf_str(&q), 0, ch->sites, ch, err);
		buf_free(&q);
	} else {
		struct buf q = BUF_INIT;
		put_columns(&q, "SELECT s.id, c.id, s.* FROM mapsvc_changes c LEFT JOIN (SELECT ");
		buf_printf(&q, " FROM sites) s ON s.id = c.id WHERE c.version > %llu",
		           (unsigned long long)*since);
		rs = fetch_rows(st, buf_str(&q), 2, ch->sites, ch, err);
		buf_free(&q);
	}
	if (rs != MS_OK)
		goto done;
	rs = run(st, "COMMIT", "cannot read", err);
done:
	if (rs != MS_OK)
		PQclear(PQexec(pg->conn, "ROLLBACK"));
	if (ch->sites)
		site_set_sort_by_id(ch->sites);
	if (ch->ngone)
		qsort(ch->gone, ch->ngone, sizeof *ch->gone, cmp_str);
	return rs;
}

static enum ms_status pg_load(struct store *st, struct site_set **out, uint64_t *version,
                              struct ms_error *err)
{
	struct store_changes ch = {0};
	enum ms_status rs = read_view(st, NULL, &ch, err);
	if (rs == MS_OK) {
		*out = ch.sites;
		ch.sites = NULL;
		if (version)
			*version = ch.version;
	}
	site_set_free(ch.sites);
	return rs;
}

static enum ms_status pg_version(struct store *st, uint64_t *version, struct ms_error *err)
{
	uint64_t reset;
	return read_meta(st, version, &reset, err);
}

static enum ms_status pg_changes(struct store *st, uint64_t since, struct store_changes **out,
                                 struct ms_error *err)
{
	struct store_changes *ch = xcalloc(1, sizeof *ch);
	enum ms_status rs = read_view(st, &since, ch, err);
	if (rs != MS_OK) {
		store_changes_free(ch);
		return rs;
	}
	*out = ch;
	return MS_OK;
}

/* ---- watching ------------------------------------------------------------------ */

static int pg_watch_fd(const struct store *st)
{
	const struct pg *pg = st->impl;
	return PQsocket(pg->conn);
}

static enum ms_status pg_watch_take(struct store *st, bool *announced, struct ms_error *err)
{
	struct pg *pg = st->impl;
	if (!PQconsumeInput(pg->conn) || PQstatus(pg->conn) != CONNECTION_OK)
		return conn_fail(st, err, "lost the connection");
	for (PGnotify *n; (n = PQnotifies(pg->conn));) {
		*announced = true;
		PQfreemem(n);
	}
	return MS_OK;
}

/* ---- editing ------------------------------------------------------------------- */

/* Edits through every replica take turns on this lock for their one
 * transaction ("mapedit" in ASCII), as SpatiaLite's edits take the
 * import lock: a create's "is the id free?" and its insert cannot
 * interleave with another replica's create of the same id. */
#define PG_EDIT_LOCK 0x6d617065646974LL
/* UTC times as the SpatiaLite tables write them (ISO 8601, 'Z'). */
#define PG_NOW_MS "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define PG_NOW_S "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* The SQLSTATE of a missing table: an audit no one has written. */
#define PG_UNDEFINED_TABLE "42P01"

/* The keys and audit tables, the SpatiaLite file's (edit.c) in
 * PostgreSQL's types: made by the first STORE_EDIT open. */
static const char edit_tables_sql[] = "CREATE TABLE IF NOT EXISTS keys ("
                                      " name text PRIMARY KEY,"
                                      " role text NOT NULL CHECK (role IN ('read', 'edit')),"
                                      " hash bytea NOT NULL CHECK (length(hash) = 32),"
                                      " created text NOT NULL, revoked text);"
                                      "CREATE TABLE IF NOT EXISTS audit ("
                                      " seq bigserial PRIMARY KEY,"
                                      " time text NOT NULL, key_name text NOT NULL, site_id text NOT NULL,"
                                      " op text NOT NULL CHECK (op IN ('create', 'replace', 'delete')),"
                                      " before text, after text);"
                                      "CREATE INDEX IF NOT EXISTS audit_time ON audit (time);";

/* A STORE_EDIT open: the schema must be an import's; the editing tables
 * are made when missing, under the import lock so that replicas starting
 * together do not race to create them. */
static enum ms_status edit_prepare(struct store *st, struct ms_error *err)
{
	long long meta;
	enum ms_status rs = query_i64(st,
	                              "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND"
	                              " tablename = 'mapsvc_meta'",
	                              &meta, err);
	if (rs != MS_OK)
		return rs;
	if (meta <= 0)
		return ms_fail(err, MS_EDATA, "%s: not a mapsvc database (import into it first)", st->label);
	char lock[96];
	snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%lld)", PG_IMPORT_LOCK);
	if ((rs = run(st, "BEGIN", "cannot make the editing tables", err)) != MS_OK)
		return rs;
	if ((rs = run(st, lock, "cannot lock the schema", err)) != MS_OK ||
	    (rs = run(st, edit_tables_sql, "cannot make the editing tables", err)) != MS_OK ||
	    (rs = run(st, "COMMIT", "cannot make the editing tables", err)) != MS_OK) {
		struct pg *pg = st->impl;
		PQclear(PQexec(pg->conn, "ROLLBACK"));
	}
	return rs;
}

/* A failed statement's status: MS_EIO when the connection went, MS_EDATA
 * when the database refused it. */
static enum ms_status stmt_fail(struct store *st, PGresult *r, const char *what, struct ms_error *err)
{
	struct pg *pg = st->impl;
	return pg_fail(st, err, PQstatus(pg->conn) == CONNECTION_OK ? MS_EDATA : MS_EIO, what,
	               PQresultErrorMessage(r));
}

/* store_change_io's read: the row of id, locked until the commit. */
static enum ms_status edit_read(void *ctx, const char *id, struct site_set *into, const struct site **s,
                                struct ms_error *err)
{
	struct store *st = ctx;
	struct pg *pg = st->impl;
	*s = NULL;
	struct buf sql = BUF_INIT;
	put_columns(&sql, "SELECT ");
	buf_puts(&sql, " FROM sites WHERE id = $1 FOR UPDATE");
	const char *v[1] = {id};
	PGresult *r = PQexecParams(pg->conn, buf_str(&sql), 1, NULL, v, NULL, NULL, 0);
	buf_free(&sql);
	enum ms_status rs = MS_OK;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rs = stmt_fail(st, r, "cannot read a site", err);
	} else if (PQntuples(r) > 0) {
		struct site_draft row;
		if ((rs = read_row(st, r, 0, 0, &row, err)) == MS_OK)
			*s = site_set_add(into, &row); /* copies the strings out of r */
	}
	PQclear(r);
	return rs;
}

/* The number text of a site's row parameters. */
#define NUM_TEXT 32

/* store_change_io's write: after inserted or updated (geom follows
 * lat/lon by the sites_geom trigger), or id deleted. */
static enum ms_status edit_write(void *ctx, enum store_op op, const char *id, const struct site *after,
                                 struct ms_error *err)
{
	struct store *st = ctx;
	struct pg *pg = st->impl;
	struct buf sql = BUF_INIT;
	const char *v[PCOL_COUNT];
	char lat[NUM_TEXT], lon[NUM_TEXT], unc[NUM_TEXT];
	int nparams = 1;
	v[0] = id;
	if (op == STORE_DELETE) {
		buf_puts(&sql, "DELETE FROM sites WHERE id = $1");
	} else {
		for (int f = 0; f < SITE_NFIELDS; f++)
			v[f] = site_field(after, f) ? site_field(after, f) : "";
		/* %.17g reads back as the same double */
		snprintf(lat, sizeof lat, "%.17g", after->lat);
		snprintf(lon, sizeof lon, "%.17g", after->lon);
		snprintf(unc, sizeof unc, "%.17g", site_uncertainty(after));
		v[PCOL_LAT] = lat;
		v[PCOL_LON] = lon;
		v[PCOL_EXTRA] = site_extra(after) && site_extra(after)[0] ? site_extra(after) : "{}";
		v[PCOL_QUALITY] = site_quality_name(after->quality);
		v[PCOL_UNCERTAINTY] = unc;
		nparams = PCOL_COUNT;
		if (op == STORE_CREATE) {
			put_columns(&sql, "INSERT INTO sites (");
			buf_puts(&sql, ") VALUES (");
			for (int i = 1; i <= PCOL_COUNT; i++)
				buf_printf(&sql, "%s$%d", i > 1 ? ", " : "", i);
			buf_putc(&sql, ')');
		} else {
			/* every column but id, from the column list so that none is
			 * forgotten: "id, name_zh, ..." */
			buf_puts(&sql, "UPDATE sites SET ");
			struct buf cols = BUF_INIT;
			store_select_columns(&cols, STORE_HAS_ALL);
			const char *p = strchr(buf_str(&cols), ',');
			for (int i = 2; p; i++) {
				p += strspn(p, ", ");
				size_t n = strcspn(p, ",");
				buf_printf(&sql, "%s%.*s = $%d", i > 2 ? ", " : "", (int)n, p, i);
				p = strchr(p, ',');
			}
			buf_free(&cols);
			buf_puts(&sql, " WHERE id = $1");
		}
	}
	PGresult *r = PQexecParams(pg->conn, buf_str(&sql), nparams, NULL, v, NULL, NULL, 0);
	buf_free(&sql);
	enum ms_status rs = MS_OK;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rs = stmt_fail(st, r, "cannot write the site", err);
		ms_error_prefix(err, "site '%s': ", id);
	} else if (strcmp(PQcmdTuples(r), "1") != 0) {
		rs = ms_fail(err, MS_EIO, "%s: site '%s': the change wrote %s rows, not one", st->label, id,
		             PQcmdTuples(r));
	}
	PQclear(r);
	return rs;
}

/* store_change_io's audit: the row, numbered by its sequence. */
static enum ms_status edit_audit(void *ctx, const char *who, const char *op, const char *id,
                                 const char *before, const char *after, long long *seq, struct ms_error *err)
{
	struct store *st = ctx;
	struct pg *pg = st->impl;
	const char *v[5] = {who, id, op, before, after};
	PGresult *r = PQexecParams(pg->conn,
	                           "INSERT INTO audit (time, key_name, site_id, op, before, after) VALUES"
	                           " (" PG_NOW_MS ", $1, $2, $3, $4, $5) RETURNING seq",
	                           5, NULL, v, NULL, NULL, 0);
	enum ms_status rs = MS_OK;
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		rs = stmt_fail(st, r, "cannot write the audit", err);
	else
		*seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rs;
}

static enum ms_status pg_apply(struct store *st, const struct store_change *c, struct store_applied *out,
                               struct ms_error *err)
{
	struct pg *pg = st->impl;
	char lock[96];
	snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%lld)", PG_EDIT_LOCK);
	enum ms_status rs = run(st, "BEGIN", "cannot start a change", err);
	if (rs != MS_OK)
		return rs;
	struct store_change_io io = {st, edit_read, edit_write, edit_audit};
	uint64_t reset;
	if ((rs = run(st, lock, "cannot lock the change", err)) == MS_OK &&
	    (rs = store_change_run(&io, c, out, err)) == MS_OK && out->outcome == STORE_DONE &&
	    /* the version row is locked by the triggers until the commit: this
	     * is the version the commit makes, what the replicas will announce */
	    (rs = read_meta(st, &out->version, &reset, err)) == MS_OK)
		rs = run(st, "COMMIT", "cannot commit the change", err);
	else if (rs == MS_OK)
		rs = run(st, "ROLLBACK", "cannot end the change", err); /* nothing was written */
	if (rs != MS_OK)
		PQclear(PQexec(pg->conn, "ROLLBACK"));
	return rs;
}

static enum ms_status pg_key_put(struct store *st, const char *name, enum store_role role,
                                 const unsigned char hash[STORE_KEY_HASH_BYTES], struct ms_error *err)
{
	struct pg *pg = st->impl;
	const char *v[3] = {name, store_role_name(role), (const char *)hash};
	const int len[3] = {0, 0, STORE_KEY_HASH_BYTES}, fmt[3] = {0, 0, 1};
	/* a revoked key's name may be reused; one in use may not */
	PGresult *r =
	    PQexecParams(pg->conn,
	                 "INSERT INTO keys (name, role, hash, created) VALUES ($1, $2, $3, " PG_NOW_S
	                 ") ON CONFLICT (name) DO UPDATE SET role = $2, hash = $3, created = " PG_NOW_S
	                 ", revoked = NULL WHERE keys.revoked IS NOT NULL",
	                 3, NULL, v, len, fmt, 0);
	enum ms_status rs = MS_OK;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rs = stmt_fail(st, r, "cannot store the key", err);
	else if (strcmp(PQcmdTuples(r), "1") != 0)
		rs = ms_fail(err, MS_EDATA, "%s: a key called '%s' is in use (revoke it first)", st->label,
		             name);
	PQclear(r);
	return rs;
}

static enum ms_status pg_key_revoke(struct store *st, const char *name, struct ms_error *err)
{
	struct pg *pg = st->impl;
	const char *v[1] = {name};
	PGresult *r = PQexecParams(
	    pg->conn, "UPDATE keys SET revoked = " PG_NOW_S " WHERE name = $1 AND revoked IS NULL", 1, NULL,
	    v, NULL, NULL, 0);
	enum ms_status rs = MS_OK;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rs = stmt_fail(st, r, "cannot revoke the key", err);
	else if (strcmp(PQcmdTuples(r), "1") != 0)
		rs = ms_fail(err, MS_ENOTFOUND, "%s: no key in use is called '%.80s'", st->label, name);
	PQclear(r);
	return rs;
}

static enum ms_status pg_key_list(struct store *st, struct store_key_info **out, size_t *n,
                                  struct ms_error *err)
{
	struct pg *pg = st->impl;
	/* bytewise order, as SQLite sorts */
	PGresult *r = PQexec(pg->conn, "SELECT name, role, created, coalesce(revoked, '') FROM keys"
	                               " ORDER BY name COLLATE \"C\"");
	enum ms_status rs = MS_OK;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rs = stmt_fail(st, r, "cannot read the keys", err);
	} else if (PQntuples(r) > 0) {
		*n = (size_t)PQntuples(r);
		*out = xcalloc(*n, sizeof **out);
		for (int i = 0; i < PQntuples(r); i++) {
			struct store_key_info *k = &(*out)[i];
			snprintf(k->name, sizeof k->name, "%s", PQgetvalue(r, i, 0));
			k->role = store_role_or_read(PQgetvalue(r, i, 1));
			snprintf(k->created, sizeof k->created, "%s", PQgetvalue(r, i, 2));
			snprintf(k->revoked, sizeof k->revoked, "%s", PQgetvalue(r, i, 3));
		}
	}
	PQclear(r);
	return rs;
}

static enum ms_status pg_key_scan(struct store *st, store_key_scan_fn fn, void *arg, struct ms_error *err)
{
	struct pg *pg = st->impl;
	/* the hash as bytes: binary results (text values are their bytes then,
	 * and libpq ends every value with a NUL) */
	PGresult *r = PQexecParams(pg->conn, "SELECT name, role, hash FROM keys WHERE revoked IS NULL", 0,
	                           NULL, NULL, NULL, NULL, 1);
	enum ms_status rs = MS_OK;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		rs = stmt_fail(st, r, "cannot read the keys", err);
	else
		for (int i = 0; i < PQntuples(r); i++)
			fn(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			   (size_t)PQgetlength(r, i, 2));
	PQclear(r);
	return rs;
}

/* A text column that may be NULL. */
static const char *value_or_null(PGresult *r, int i, int col)
{
	return PQgetisnull(r, i, col) ? NULL : PQgetvalue(r, i, col);
}

static enum ms_status pg_audit_list(struct store *st, const char *since, store_audit_fn fn, void *arg,
                                    struct ms_error *err)
{
	struct pg *pg = st->impl;
	const char *v[1] = {since};
	PGresult *r = PQexecParams(pg->conn,
	                           "SELECT seq, time, key_name, op, site_id, before, after FROM audit"
	                           " WHERE $1::text IS NULL OR time >= $1 ORDER BY seq",
	                           1, NULL, v, NULL, NULL, 0);
	enum ms_status rs = MS_OK;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		/* a database no one has edited has no audit table: no changes */
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (!state || strcmp(state, PG_UNDEFINED_TABLE) != 0)
			rs = stmt_fail(st, r, "cannot read the audit", err);
	} else {
		for (int i = 0; i < PQntuples(r); i++) {
			struct store_audit_entry e = {strtoll(PQgetvalue(r, i, 0), NULL, 10),
			                              PQgetvalue(r, i, 1),
			                              PQgetvalue(r, i, 2),
			                              PQgetvalue(r, i, 3),
			                              PQgetvalue(r, i, 4),
			                              value_or_null(r, i, 5),
			                              value_or_null(r, i, 6)};
			fn(arg, &e);
		}
	}
	PQclear(r);
	return rs;
}

const struct store_ops store_postgis_ops = {
    .name = "postgis",
    .open = pg_open,
    .close = pg_close,
    .import = pg_import,
    .load = pg_load,
    .version = pg_version,
    .changes = pg_changes,
    .watch_fd = pg_watch_fd,
    .watch_take = pg_watch_take,
    .apply = pg_apply,
    .key_put = pg_key_put,
    .key_revoke = pg_key_revoke,
    .key_list = pg_key_list,
    .key_scan = pg_key_scan,
    .audit_list = pg_audit_list,
};

/*
 * cmd_export.c - `mapsvc export`: every site of the database, with every
 * column, as CSV or GeoJSON that `mapsvc import` reads back into the same
 * database (ingest.h describes the two formats).
 *
 * The front parses options and writes the file; reading the database is
 * store_load's job and the formats are ingest/'s, so nothing here knows
 * SQL or quoting rules.  The export is built in memory and written only
 * when complete, so a failure never leaves half a file behind.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../ingest/ingest.h"
#include "../store/store.h"
#include "cli.h"

static const char usage_text[] =
    "usage: mapsvc export [--db FILE|URL] --format csv|geojson [-o FILE]\n"
    "\n"
    "Writes every site of the database with every column, in id order, so that\n"
    "'mapsvc import' of the file gives the same database again:\n"
    "  csv      RFC 4180, UTF-8, CRLF; the data model's columns in data/sites.csv's\n"
    "           order, then one column per extra property, sorted by name\n"
    "  geojson  an RFC 7946 FeatureCollection of Points (WGS-84), the same properties\n"
    "Coordinates are WGS-84 with every digit they have.  Extra properties that are not\n"
    "text are written to CSV as their JSON (and read back as that text): use geojson to\n"
    "keep their types.\n"
    "\n"
    "  --db FILE|URL    SpatiaLite database or PostGIS connection string, as for import\n"
    "                   (default: the bundled dataset)\n"
    "  --format F       csv or geojson\n"
    "  -o FILE          where to write (default, or -: standard output)\n";

enum fmt { FMT_CSV, FMT_GEOJSON };

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"format", required_argument, NULL, 'F'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = cli_default_db(), *out = "-";
	int format = -1;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'F':
			if (!strcmp(optarg, "csv"))
				format = FMT_CSV;
			else if (!strcmp(optarg, "geojson"))
				format = FMT_GEOJSON;
			else
				return cli_usage_error("export", "--format: '%s' is not csv or geojson",
				                       optarg);
			break;
		case 'o': out = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':': return cli_usage_error("export", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("export", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (format < 0)
		return cli_usage_error("export", "--format csv|geojson is required");

	struct ms_error err = {0};
	struct site_set *sites = NULL;
	struct buf doc = BUF_INIT;
	int rc = EXIT_FAIL;
	if (store_load(db, &sites, &err) != MS_OK ||
	    (format == FMT_CSV ? ingest_export_csv(sites, &doc, &err)
	                       : ingest_export_geojson(sites, &doc, &err)) != MS_OK) {
		fprintf(stderr, "mapsvc export: %s\n", err.msg);
		goto done;
	}
	rc = cli_write_file("export", out, &doc);
done:
	buf_free(&doc);
	site_set_free(sites);
	return rc;
}

/*
 * cmd_nearest.c - `mapsvc nearest`: the sites nearest a point, printed as
 * the same GeoJSON FeatureCollection GET /nearest answers with.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../features/features.h"
#include "cli.h"

static const char usage_text[] =
    "usage: mapsvc nearest [--db FILE] --lat LAT --lon LON [--limit N] [--within-km KM]\n"
    "                      [--category C[,C...]] [--open-at TIME]\n"
    "                      [--coordsys wgs84|gcj02|bd09|cgcs2000]\n"
    "\n"
    "Prints the sites nearest a point, sorted by geodesic distance (WGS-84), as GeoJSON\n"
    "with distance_m and bearing_deg - the same document as GET /nearest.\n"
    "\n"
    "  --db FILE        SpatiaLite database (default: the bundled dataset)\n"
    "  --lat, --lon     the point, decimal degrees (in --coordsys)\n"
    "  --limit N        how many sites, 1..100 (default 5)\n"
    "  --within-km KM   only sites at most this far\n"
    "  --category C     only these categories (comma-separated)\n"
    "  --open-at TIME   only sites open then by their opening_hours: now, a local time\n"
    "                   in China Standard Time (2025-05-06T10:00) or one with an offset\n"
    "  --coordsys CS    system of the point and of the printed coordinates (default wgs84)\n";

/* The command line into *db and q.  EXIT_OK to search, -1 after --help,
 * else the usage error's status. */
static int parse_options(int argc, char **argv, const char **db, struct feat_nearest_query *q)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"lat", required_argument, NULL, 'a'},
	    {"lon", required_argument, NULL, 'o'},
	    {"limit", required_argument, NULL, 'n'},
	    {"within-km", required_argument, NULL, 'w'},
	    {"category", required_argument, NULL, 'c'},
	    {"coordsys", required_argument, NULL, 's'},
	    {"open-at", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool have_lat = false, have_lon = false;
	struct ms_error err = {0};
	long v;
	double d;
	int ch, cs;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': *db = optarg; break;
		case 'a':
			if (!cli_parse_double(optarg, &q->lat) || q->lat < -90 || q->lat > 90)
				return cli_usage_error("nearest", "--lat: '%s' is not a latitude in -90..90",
				                       optarg);
			have_lat = true;
			break;
		case 'o':
			if (!cli_parse_double(optarg, &q->lon) || q->lon < -180 || q->lon > 180)
				return cli_usage_error("nearest",
				                       "--lon: '%s' is not a longitude in -180..180", optarg);
			have_lon = true;
			break;
		case 'n':
			if (!cli_parse_int(optarg, 1, FEAT_NEAREST_MAX, &v))
				return cli_usage_error("nearest", "--limit: '%s' is not a number in 1..%d",
				                       optarg, FEAT_NEAREST_MAX);
			q->limit = (size_t)v;
			break;
		case 'w':
			if (!cli_parse_double(optarg, &d) || d < 0)
				return cli_usage_error("nearest", "--within-km: '%s' is not a distance >= 0",
				                       optarg);
			q->within_m = d * 1000;
			break;
		case 'c':
			if (feat_parse_categories(optarg, &q->categories, &err))
				return cli_usage_error("nearest", "--%s", err.msg);
			break;
		case 's':
			if ((cs = coordsys_parse(optarg)) < 0)
				return cli_usage_error("nearest", "--coordsys: unknown '%s'", optarg);
			q->cs = (enum coordsys)cs;
			break;
		case 't':
			if (!hours_parse_instant(optarg, time(NULL), &q->open_at))
				return cli_usage_error("nearest",
				                       "--open-at: '%s' is not now, YYYY-MM-DDTHH:MM (China "
				                       "Standard Time) or a time with an offset",
				                       optarg);
			q->has_open_at = true;
			break;
		case 'h': fputs(usage_text, stdout); return -1;
		case ':': return cli_usage_error("nearest", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("nearest", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("nearest", "unexpected argument '%s'", argv[optind]);
	if (!have_lat || !have_lon)
		return cli_usage_error("nearest", "--lat and --lon are required");
	return EXIT_OK;
}

int cmd_nearest(int argc, char **argv)
{
	const char *db = cli_default_db();
	struct feat_nearest_query q = {.limit = FEAT_NEAREST_DEFAULT, .within_m = INFINITY};
	int rc = parse_options(argc, argv, &db, &q);
	if (rc != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	struct ms_error err = {0};
	struct snapshot *snap = snapshot_load(db, &err);
	if (!snap) {
		fprintf(stderr, "mapsvc nearest: %s\n", err.msg);
		return EXIT_FAIL;
	}
	struct sindex_hit *hits;
	size_t n;
	if (feat_nearest(snap, &q, &hits, &n, &err)) {
		fprintf(stderr, "mapsvc nearest: %s\n", err.msg);
		rc = err.status == MS_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
	} else {
		struct buf out = BUF_INIT;
		struct feat_write_opts o = {.cs = q.cs};
		feat_write_nearest(&out, snap, hits, n, &o);
		fwrite(out.data, 1, out.len, stdout);
		buf_free(&out);
		free(hits);
		if (fflush(stdout) != 0)
			rc = EXIT_FAIL;
	}
	snapshot_release(snap);
	return rc;
}

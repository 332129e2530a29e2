/*
 * cmd_seed.c - `mapsvc seed`: pre-renders every tile of a zoom range over a
 * box into a tile store (MBTiles 1.3), for hosting the overlay without a
 * running mapsvc (a CDN, an offline phone app, QGIS, GDAL).
 *
 * Each tile is drawn exactly as GET /tiles and `mapsvc render` draw it
 * (tile_view_of_tile + tile_render_png on one tile_map), so the stored
 * bytes are the served bytes.  How they are stored is tilestore/'s: the
 * format by --format or the file's extension, the file written beside the
 * target and published whole at the end, so the target is never half a
 * file; an interrupt (SIGINT, SIGTERM) stops the loop and the unfinished
 * store is removed.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../features/features.h"
#include "../geo/webmerc.h"
#include "../mapservice/mapservice.h"
#include "../tilestore/tilestore.h"
#include "cli.h"

/* More tiles than this is almost surely a typo (--zoom 0-24 over the
 * world is 3.7e14 tiles); 10 million empty-dominated tiles take minutes. */
#define SEED_MAX_TILES 10000000LL

static const char usage_text[] =
    "usage: mapsvc seed [--db FILE] [--styles DIR] [--style NAME] [--scale 1|2]\n"
    "                   [--coordsys wgs84|gcj02] --zoom MIN-MAX [--bbox W,S,E,N]\n"
    "                   [--format mbtiles] [--force] -o FILE.mbtiles\n"
    "\n"
    "Pre-renders every XYZ tile of the zoom range that intersects the box into a\n"
    "tile store, each byte for byte what GET /tiles serves: an MBTiles 1.3 file\n"
    "(SQLite) whose empty tiles are stored once (an images table keyed by content\n"
    "hash and a tiles view).\n"
    "\n"
    "  --db FILE        SpatiaLite database (default: the bundled dataset)\n"
    "  --styles DIR     folder of style files (default: the bundled styles)\n"
    "  --style NAME     style file NAME.json in it (default: default)\n"
    "  --scale 1|2      2 stores 512 px @2x tiles (default 1)\n"
    "  --coordsys CS    wgs84, or gcj02 to align with AMap/Tencent basemaps (default\n"
    "                   wgs84); the box is in the same system\n"
    "  --zoom MIN-MAX   zoom levels, 0 <= MIN <= MAX <= 24 (or one level: --zoom N)\n"
    "  --bbox W,S,E,N   box in degrees (default: the bounds of the data)\n"
    "  --format NAME    the store's format: mbtiles (default: by FILE's extension,\n"
    "                   else mbtiles)\n"
    "  --force          replace FILE if it exists (otherwise an existing FILE is refused)\n"
    "  -o FILE          the file to write\n"
    "\n"
    "At most 10000000 tiles per run.  Progress goes to standard error.\n";

/* Where the map comes from. */
struct seed_sources {
	const char *db, *styles_dir, *style;
	bool force;
};

/* Set by SIGINT/SIGTERM: the seed stops, its unfinished store is removed
 * and the command exits 1 instead of leaving it behind. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* "MIN-MAX" or "N". */
static bool parse_zooms(const char *s, int *zmin, int *zmax)
{
	const char *dash = strchr(s, '-');
	long a, b;
	if (!dash) {
		if (!cli_parse_int(s, 0, WEBMERC_MAX_ZOOM, &a))
			return false;
		*zmin = *zmax = (int)a;
		return true;
	}
	char lo[16];
	size_t n = (size_t)(dash - s);
	if (n == 0 || n >= sizeof lo)
		return false;
	memcpy(lo, s, n);
	lo[n] = '\0';
	if (!cli_parse_int(lo, 0, WEBMERC_MAX_ZOOM, &a) ||
	    !cli_parse_int(dash + 1, 0, WEBMERC_MAX_ZOOM, &b) || a > b)
		return false;
	*zmin = (int)a;
	*zmax = (int)b;
	return true;
}

/* ------------------------------------------------------------- the seed */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct progress {
	double t0, last;
};

/* Progress on standard error at most once a second; false (stop) after
 * SIGINT or SIGTERM. */
static bool report(void *arg, long long done, long long total, int zoom)
{
	struct progress *p = arg;
	if (interrupted)
		return false;
	double t = now_s();
	if (t - p->last >= 1.0) {
		p->last = t;
		fprintf(stderr, "mapsvc seed: %lld/%lld tiles (%.0f%%), zoom %d, %.0f s\n", done, total,
		        100.0 * done / total, zoom, t - p->t0);
	}
	return true;
}

/* Runs the job; the store replaces job->path when complete. */
static int seed_run(const struct cli_map *cm, struct mapservice_seed *job)
{
	struct progress p = {now_s(), now_s()};
	job->progress = report;
	job->arg = &p;
	struct sigaction sa = {0}, old_int, old_term;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	struct tilestore_stats stats = {0};
	struct ms_error err = {0};
	enum ms_status st = mapservice_seed(cm->maps, cm->gen, job, &stats, &err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (st != MS_OK) {
		fprintf(stderr, "mapsvc seed: %s\n", err.msg);
		return EXIT_FAIL;
	}
	struct stat sb;
	long long bytes = stat(job->path, &sb) == 0 ? (long long)sb.st_size : -1;
	fprintf(stderr, "mapsvc seed: wrote %s: %lld tiles, %lld unique images, %lld bytes, %.1f s\n",
	        job->path, stats.tiles, stats.images, bytes, now_s() - p.t0);
	return EXIT_OK;
}

/* The box: the --bbox given (snap may then be NULL), else the data's
 * bounds in the tiles' system; latitudes clamped to Web Mercator. */
static int resolve_bbox(const char *bbox_arg, const struct snapshot *snap, enum coordsys cs, double b[4])
{
	if (bbox_arg) {
		struct ms_error err = {0};
		if (feat_parse_bbox(bbox_arg, b, &err))
			return cli_usage_error("seed", "--%s", err.msg);
		if (b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90)
			return cli_usage_error("seed", "--bbox: '%s' is outside -180..180, -90..90",
			                       bbox_arg);
		if (b[0] > b[2] || b[1] > b[3])
			return cli_usage_error("seed", "--bbox: '%s' needs W <= E and S <= N (W,S,E,N)",
			                       bbox_arg);
	} else {
		if (!snapshot_bounds(snap, cs, b)) {
			fprintf(stderr, "mapsvc seed: the database has no sites; give --bbox W,S,E,N\n");
			return EXIT_FAIL;
		}
	}
	b[1] = fmax(b[1], -WEBMERC_MAX_LAT);
	b[3] = fmin(b[3], WEBMERC_MAX_LAT);
	if (b[1] > b[3])
		return cli_usage_error("seed", "--bbox: '%s' lies beyond Web Mercator's +-%.4f latitude",
		                       bbox_arg, WEBMERC_MAX_LAT);
	return EXIT_OK;
}

/* The command line into job and the map's sources; EXIT_OK to seed, -1
 * after --help, else the usage error's status. */
static int parse_options(int argc, char **argv, struct mapservice_seed *job, const char **bbox_arg,
                         struct seed_sources *src)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},       {"styles", required_argument, NULL, 'S'},
	    {"style", required_argument, NULL, 's'},    {"scale", required_argument, NULL, 'x'},
	    {"coordsys", required_argument, NULL, 'c'}, {"zoom", required_argument, NULL, 'z'},
	    {"bbox", required_argument, NULL, 'b'},     {"force", no_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},   {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	long scale;
	int ch, c;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': src->db = optarg; break;
		case 'S': src->styles_dir = optarg; break;
		case 's': src->style = optarg; break;
		case 'x':
			if (!cli_parse_int(optarg, 1, 2, &scale))
				return cli_usage_error("seed", "--scale: '%s' is not 1 or 2", optarg);
			job->scale = (int)scale;
			break;
		case 'c':
			if ((c = coordsys_parse(optarg)) != COORDSYS_WGS84 && c != COORDSYS_GCJ02)
				return cli_usage_error("seed", "--coordsys: '%s' is not wgs84 or gcj02",
				                       optarg);
			job->cs = (enum coordsys)c;
			break;
		case 'z':
			if (!parse_zooms(optarg, &job->zmin, &job->zmax))
				return cli_usage_error(
				    "seed", "--zoom: '%s' is not MIN-MAX with 0 <= MIN <= MAX <= %d", optarg,
				    WEBMERC_MAX_ZOOM);
			break;
		case 'b': *bbox_arg = optarg; break;
		case 'f': src->force = true; break;
		case 'F':
			if (!tilestore_backend_named(optarg))
				return cli_usage_error("seed", "--format: '%s' is not mbtiles", optarg);
			job->format = optarg;
			break;
		case 'o': job->path = optarg; break;
		case 'h': fputs(usage_text, stdout); return -1;
		case ':': return cli_usage_error("seed", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("seed", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("seed", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

/* What the options ask for besides the job, checked before any work. */
static int check_job(const struct mapservice_seed *job, const char *bbox_arg, const struct seed_sources *src)
{
	if (job->zmin < 0)
		return cli_usage_error("seed", "--zoom MIN-MAX is required");
	if (!job->path)
		return cli_usage_error("seed", "-o FILE.mbtiles is required");
	if (!strcmp(job->path, "-"))
		return cli_usage_error("seed", "-o: a tile store cannot go to standard output");
	if (!src->force && access(job->path, F_OK) == 0)
		return cli_usage_error("seed", "%s exists; --force replaces it", job->path);
	double box[4];
	return bbox_arg ? resolve_bbox(bbox_arg, NULL, job->cs, box) : EXIT_OK;
}

int cmd_seed(int argc, char **argv)
{
	struct mapservice_seed job = {.cs = COORDSYS_WGS84, .scale = 1, .zmin = -1};
	struct seed_sources src = {cli_default_db(), cli_default_styles(), "default", false};
	const char *bbox_arg = NULL;
	int rc = parse_options(argc, argv, &job, &bbox_arg, &src);
	if (rc == EXIT_OK)
		rc = check_job(&job, bbox_arg, &src);
	if (rc != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	/* The format mapsvc seed has always written, for a name that says none. */
	if (!job.format && !tilestore_backend_for_path(job.path))
		job.format = "mbtiles";

	struct cli_map cm;
	if ((rc = cli_map_open("seed", src.db, src.styles_dir, src.style, &cm)) != EXIT_OK)
		return rc;
	job.style = cm.style;
	rc = resolve_bbox(bbox_arg, cm.gen->snap, job.cs, job.box);
	long long total = rc == EXIT_OK ? webmerc_tile_count(job.box, job.zmin, job.zmax) : 0;
	if (total > SEED_MAX_TILES)
		rc = cli_usage_error(
		    "seed",
		    "%lld tiles for zooms %d-%d over %.6f,%.6f,%.6f,%.6f: more than the limit of %lld; "
		    "narrow --zoom or --bbox",
		    total, job.zmin, job.zmax, job.box[0], job.box[1], job.box[2], job.box[3],
		    SEED_MAX_TILES);
	if (rc == EXIT_OK)
		rc = seed_run(&cm, &job);
	cli_map_close(&cm);
	return rc;
}

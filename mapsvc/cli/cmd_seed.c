/*
 * cmd_seed.c - `mapsvc seed`: pre-renders every tile of a zoom range over a
 * box into a tile store (MBTiles 1.3 or PMTiles v3), for hosting the
 * overlay without a running mapsvc (a CDN or an object store serving a
 * PMTiles file by range requests, an offline phone app, QGIS, GDAL), or
 * for `mapsvc serve --tiles-from`.
 *
 * Each tile is drawn exactly as GET /tiles and `mapsvc render` draw it
 * (mapservice_seed), so the stored bytes are the served bytes.  How they
 * are stored is tilestore/'s: the format by --format or the file's
 * extension, the tiles first in FILE.partial and the store published
 * whole at the end, so the target is never half a file.  A run stopped by
 * SIGINT or SIGTERM, by --max-tiles, by a failure or by a kill leaves
 * FILE.partial behind; --resume continues it (when it was made for the
 * same style, data, scale, coordsys, zooms and box), --force starts over.
 *
 * Without --bbox the box is the data's extent, grown at each zoom by the
 * style's largest marker, so a site at the edge is drawn whole and the
 * store's bounds hold it (GDAL and QGIS cut the picture at the bounds).
 *
 * Progress goes to standard error: a bar redrawn in place on a terminal,
 * a plain line every PROGRESS_STEP_PCT percent otherwise (logs, CI).
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
/* Progress: plain lines every this many percent; a terminal's bar redrawn
 * at most this often, this wide. */
#define PROGRESS_STEP_PCT 5
#define BAR_REDRAW_S 0.1
#define BAR_WIDTH 30

static const char usage_text[] =
    "usage: mapsvc seed [--db FILE] [--styles DIR] [--style NAME] [--scale 1|2]\n"
    "                   [--coordsys wgs84|gcj02] --zoom MIN-MAX [--bbox W,S,E,N]\n"
    "                   [--format mbtiles|pmtiles] [--resume] [--max-tiles N] [--force]\n"
    "                   -o FILE.mbtiles|FILE.pmtiles\n"
    "\n"
    "Pre-renders every XYZ tile of the zoom range that intersects the box into a\n"
    "tile store, each byte for byte what GET /tiles serves: an MBTiles 1.3 file\n"
    "(SQLite; empty tiles stored once) or a PMTiles v3 archive (one file for HTTP\n"
    "range requests from any static host; identical tiles stored once).\n"
    "\n"
    "  --db FILE        SpatiaLite database (default: the bundled dataset)\n"
    "  --styles DIR     folder of style files (default: the bundled styles)\n"
    "  --style NAME     style file NAME.json in it (default: default)\n"
    "  --scale 1|2      2 stores 512 px @2x tiles (default 1)\n"
    "  --coordsys CS    wgs84, or gcj02 to align with AMap/Tencent basemaps (default\n"
    "                   wgs84); the box is in the same system\n"
    "  --zoom MIN-MAX   zoom levels, 0 <= MIN <= MAX <= 24 (or one level: --zoom N)\n"
    "  --bbox W,S,E,N   box in degrees (default: the bounds of the data, grown by the\n"
    "                   style's largest marker so that no site at the edge is cut)\n"
    "  --format NAME    mbtiles or pmtiles (default: by FILE's extension, else mbtiles)\n"
    "  --resume         continue the tiles FILE.partial holds, left by a run that was\n"
    "                   stopped (^C, --max-tiles, a kill) with the same options\n"
    "  --max-tiles N    render at most N tiles in this run, then stop as if\n"
    "                   interrupted (a large seed in slices, with --resume)\n"
    "  --force          replace FILE if it exists, and start over instead of\n"
    "                   resuming FILE.partial (without --resume)\n"
    "  -o FILE          the file to write\n"
    "\n"
    "Tiles go to FILE.partial as they are drawn; FILE appears, whole, at the end.\n"
    "At most 10000000 tiles per seed.  Progress goes to standard error: a bar on a\n"
    "terminal, a line every 5% otherwise.  Exit status: 0 when FILE is written, 1\n"
    "when the run stopped or failed (FILE.partial keeps the tiles done), 2 on a\n"
    "usage error.\n";

/* Where the map comes from, and what to do with files already there. */
struct seed_sources {
	const char *db, *styles_dir, *style;
	bool force, resume;
};

/* Set by SIGINT/SIGTERM: the seed stops, its partial file is kept for a
 * --resume, and the command exits 1. */
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

/* ---------------------------------------------------------- progress */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct progress {
	bool tty;
	double t0, last;      /* start; last redraw of the bar */
	long long start_done; /* tiles done when this run began (a resume's) */
	int next_pct;         /* plain lines: the next percentage to report */
	bool started;         /* the first tile of this run was reported */
	bool drawn;           /* a bar is on the terminal's current line */
	const char *path;     /* the store's, for messages */
};

/* "[#########.........]  45%  12345/27000 tiles  zoom 12  3 s  ETA 4 s" */
static void draw_bar(struct progress *p, long long done, long long total, int zoom, double t)
{
	int fill = (int)(BAR_WIDTH * done / total);
	char bar[BAR_WIDTH + 1];
	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	double rate = (done - p->start_done) / fmax(t - p->t0, 1e-3);
	char eta[32] = "";
	if (done > p->start_done && done < total)
		snprintf(eta, sizeof eta, "  ETA %.0f s", (total - done) / rate);
	/* \r and the line's clearing: the bar is redrawn in place */
	fprintf(stderr, "\r[%s] %3d%%  %lld/%lld tiles  zoom %d  %.0f s%s\033[K", bar,
	        (int)(100 * done / total), done, total, zoom, t - p->t0, eta);
	p->drawn = true;
	if (done == total) {
		fputc('\n', stderr);
		p->drawn = false;
	}
}

/* Progress on standard error; false (stop) after SIGINT or SIGTERM. */
static bool report(void *arg, long long done, long long total, int zoom)
{
	struct progress *p = arg;
	if (interrupted)
		return false;
	if (!p->started) { /* after the first tile this run drew */
		p->started = true;
		p->start_done = done - 1;
		if (p->start_done)
			fprintf(stderr, "mapsvc seed: resuming %s%s: %lld of %lld tiles are there\n", p->path,
			        TILESTORE_PARTIAL_SUFFIX, p->start_done, total);
	}
	double t = now_s();
	if (p->tty) {
		if (t - p->last >= BAR_REDRAW_S || done == total) {
			p->last = t;
			draw_bar(p, done, total, zoom, t);
		}
		return true;
	}
	int pct = (int)(100 * done / total);
	if (pct >= p->next_pct) {
		fprintf(stderr, "mapsvc seed: %d%% (%lld/%lld tiles), zoom %d, %.1f s\n", pct, done, total,
		        zoom, t - p->t0);
		p->next_pct = pct - pct % PROGRESS_STEP_PCT + PROGRESS_STEP_PCT;
	}
	return true;
}

/* ---------------------------------------------------------- the seed */

/* What a run that did not publish says, and its status. */
static int stopped(const struct mapservice_seed *job, const struct mapservice_seed_result *res)
{
	long long done = res->resumed + res->rendered;
	if (interrupted)
		fprintf(stderr, "mapsvc seed: interrupted after %lld of %lld tiles", done, res->total);
	else
		fprintf(stderr,
		        "mapsvc seed: stopped after rendering %lld tiles (--max-tiles), %lld of %lld done",
		        res->rendered, done, res->total);
	fprintf(stderr, "; %s%s keeps them: the same command with --resume continues\n", job->path,
	        TILESTORE_PARTIAL_SUFFIX);
	return EXIT_FAIL;
}

/* Runs the job; the store replaces job->path when complete. */
static int seed_run(const struct cli_map *cm, struct mapservice_seed *job)
{
	struct progress p = {.tty = isatty(STDERR_FILENO) == 1,
	                     .t0 = now_s(),
	                     .next_pct = PROGRESS_STEP_PCT,
	                     .path = job->path};
	p.last = p.t0 - BAR_REDRAW_S;
	job->progress = report;
	job->arg = &p;
	struct sigaction sa = {0}, old_int, old_term;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	struct mapservice_seed_result res;
	struct ms_error err = {0};
	enum ms_status st = mapservice_seed(cm->maps, cm->gen, job, &res, &err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (p.drawn)
		fputc('\n', stderr);
	if (st != MS_OK) {
		fprintf(stderr, "mapsvc seed: %s\n", err.msg);
		return st == MS_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
	}
	if (!res.finished)
		return stopped(job, &res);
	struct stat sb;
	long long bytes = stat(job->path, &sb) == 0 ? (long long)sb.st_size : -1;
	double secs = now_s() - p.t0;
	fprintf(stderr,
	        "mapsvc seed: wrote %s: %lld tiles, %lld unique images, %lld bytes, %.1f s "
	        "(%lld rendered, %.0f tiles/s)\n",
	        job->path, res.stats.tiles, res.stats.images, bytes, secs, res.rendered,
	        res.rendered / fmax(secs, 1e-3));
	return EXIT_OK;
}

/* The box: the --bbox given (snap may then be NULL), else the data's
 * bounds in the tiles' system (*pad set); latitudes clamped to Web
 * Mercator. */
static int resolve_bbox(const char *bbox_arg, const struct snapshot *snap, enum coordsys cs, double b[4],
                        bool *pad)
{
	*pad = !bbox_arg;
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

/* One option into job or src; EXIT_OK or the usage error's status. */
static int take_option(int ch, const char *v, struct mapservice_seed *job, const char **bbox_arg,
                       struct seed_sources *src)
{
	long n;
	int c;
	switch (ch) {
	case 'd': src->db = v; return EXIT_OK;
	case 'S': src->styles_dir = v; return EXIT_OK;
	case 's': src->style = v; return EXIT_OK;
	case 'x':
		if (!cli_parse_int(v, 1, 2, &n))
			return cli_usage_error("seed", "--scale: '%s' is not 1 or 2", v);
		job->scale = (int)n;
		return EXIT_OK;
	case 'c':
		if ((c = coordsys_parse(v)) != COORDSYS_WGS84 && c != COORDSYS_GCJ02)
			return cli_usage_error("seed", "--coordsys: '%s' is not wgs84 or gcj02", v);
		job->cs = (enum coordsys)c;
		return EXIT_OK;
	case 'z':
		if (!parse_zooms(v, &job->zmin, &job->zmax))
			return cli_usage_error("seed",
			                       "--zoom: '%s' is not MIN-MAX with 0 <= MIN <= MAX <= %d", v,
			                       WEBMERC_MAX_ZOOM);
		return EXIT_OK;
	case 'b': *bbox_arg = v; return EXIT_OK;
	case 'f': src->force = true; return EXIT_OK;
	case 'r': src->resume = true; return EXIT_OK;
	case 'm':
		if (!cli_parse_int(v, 1, SEED_MAX_TILES, &n))
			return cli_usage_error("seed", "--max-tiles: '%s' is not a number in 1..%lld", v,
			                       SEED_MAX_TILES);
		job->max_tiles = n;
		return EXIT_OK;
	case 'F':
		if (!tilestore_backend_named(v))
			return cli_usage_error("seed", "--format: '%s' is not %s", v, "mbtiles or pmtiles");
		job->format = v;
		return EXIT_OK;
	case 'o': job->path = v; return EXIT_OK;
	}
	return cli_usage_error("seed", "unknown option"); /* getopt's table and this switch disagree */
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
	    {"resume", no_argument, NULL, 'r'},         {"max-tiles", required_argument, NULL, 'm'},
	    {"output", required_argument, NULL, 'o'},   {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	int ch, rc;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		if (ch == 'h')
			return fputs(usage_text, stdout), -1;
		if (ch == ':')
			return cli_usage_error("seed", "%s needs a value", argv[optind - 1]);
		if (ch == '?')
			return cli_usage_error("seed", "unknown option '%s'", argv[optind - 1]);
		if ((rc = take_option(ch, optarg, job, bbox_arg, src)) != EXIT_OK)
			return rc;
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
		return cli_usage_error("seed", "-o FILE.mbtiles or -o FILE.pmtiles is required");
	if (!strcmp(job->path, "-"))
		return cli_usage_error("seed", "-o: a tile store cannot go to standard output");
	if (!src->force && access(job->path, F_OK) == 0)
		return cli_usage_error("seed", "%s exists; --force replaces it", job->path);
	double box[4];
	bool pad;
	return bbox_arg ? resolve_bbox(bbox_arg, NULL, job->cs, box, &pad) : EXIT_OK;
}

int cmd_seed(int argc, char **argv)
{
	struct mapservice_seed job = {.cs = COORDSYS_WGS84, .scale = 1, .zmin = -1};
	struct seed_sources src = {cli_default_db(), cli_default_styles(), "default", false, false};
	const char *bbox_arg = NULL;
	int rc = parse_options(argc, argv, &job, &bbox_arg, &src);
	if (rc == EXIT_OK)
		rc = check_job(&job, bbox_arg, &src);
	if (rc != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	/* The format mapsvc seed has always written, for a name that says none. */
	if (!job.format && !tilestore_backend_for_path(job.path))
		job.format = "mbtiles";
	job.partial = src.resume ? TILESTORE_RESUME : src.force ? TILESTORE_RESTART : TILESTORE_FRESH;

	struct cli_map cm;
	if ((rc = cli_map_open("seed", src.db, src.styles_dir, src.style, &cm)) != EXIT_OK)
		return rc;
	job.style = cm.style;
	rc = resolve_bbox(bbox_arg, cm.gen->snap, job.cs, job.box, &job.pad);
	long long total = rc == EXIT_OK ? mapservice_seed_count(&job) : 0;
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

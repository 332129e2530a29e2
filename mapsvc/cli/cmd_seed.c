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
#include "../geo/tilemath.h"
#include "../render/tile.h"
#include "../styleset/styleset.h"
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

/* Set by SIGINT/SIGTERM: the loop stops, removes the temporary file and
 * exits 1 instead of leaving it behind. */
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
		if (!cli_parse_int(s, 0, MAX_ZOOM_LIMIT, &a))
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
	if (!cli_parse_int(lo, 0, MAX_ZOOM_LIMIT, &a) || !cli_parse_int(dash + 1, 0, MAX_ZOOM_LIMIT, &b) || a > b)
		return false;
	*zmin = (int)a;
	*zmax = (int)b;
	return true;
}

/* ------------------------------------------------------------- the seed */

struct seed_job {
	const struct style *style;
	enum coordsys cs;
	int scale, zmin, zmax;
	double bbox[4]; /* west, south, east, north in cs */
	long long total;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What the store says about the job's tiles. */
static void metadata_of(const struct seed_job *j, struct tilestore_meta *md, const char *extra[][2])
{
	extra[0][0] = "coordsys", extra[0][1] = coordsys_name(j->cs);
	extra[1][0] = "scale", extra[1][1] = j->scale == 2 ? "2" : "1";
	*md = (struct tilestore_meta){
		.name = j->style->title[0] ? j->style->title : j->style->name,
		.format = "png",
		.attribution = "Sites: mapsvc red-resource data (sources per site in /collections/sites/items)",
		.description = "Party-history education sites: markers by category, clusters and Chinese names",
		.type = "overlay",
		.version = "1.0.0",
		.bounds = {j->bbox[0], j->bbox[1], j->bbox[2], j->bbox[3]},
		.center_lon = (j->bbox[0] + j->bbox[2]) / 2,
		.center_lat = (j->bbox[1] + j->bbox[3]) / 2,
		.center_zoom = webmerc_fit_zoom(j->bbox[0], j->bbox[1], j->bbox[2], j->bbox[3], j->zmin, j->zmax),
		.minzoom = j->zmin,
		.maxzoom = j->zmax,
		.extra = (const char *const(*)[2])extra,
		.nextra = 2,
	};
}

/* Renders and stores every tile of the job; prints progress at most once a
 * second. */
static enum ms_status seed_tiles(struct tilestore *ts, struct tile_map *map, const struct seed_job *j,
				 struct ms_error *err)
{
	struct tile_ctx *ctx = tile_ctx_new(err);
	if (!ctx)
		return err->status ? err->status : MS_EINTERNAL;
	enum ms_status st = MS_OK;
	struct buf png = BUF_INIT;
	long long done = 0;
	double t0 = now_s(), last = t0;
	for (int z = j->zmin; z <= j->zmax && !st; z++) {
		struct webmerc_range r;
		webmerc_tile_range(j->bbox, z, &r);
		for (int x = r.x0; x <= r.x1 && !st; x++) {
			for (int y = r.y0; y <= r.y1 && !st; y++) {
				if (interrupted) {
					st = ms_fail(err, MS_EIO, "interrupted after %lld of %lld tiles", done, j->total);
					break;
				}
				struct tile_view v;
				tile_view_of_tile(&v, j->style, j->cs, z, x, y, j->scale);
				bool empty;
				buf_reset(&png);
				if ((st = tile_render_png(map, ctx, &v, &png, &empty, err)))
					break;
				if ((st = tilestore_put(ts, z, x, y, png.data, png.len, err)))
					break;
				done++;
				double t = now_s();
				if (t - last >= 1.0) {
					last = t;
					fprintf(stderr, "mapsvc seed: %lld/%lld tiles (%.0f%%), zoom %d, %.0f s\n", done,
						j->total, 100.0 * done / j->total, z, t - t0);
				}
			}
		}
	}
	buf_free(&png);
	tile_ctx_free(ctx);
	return st;
}

/* Runs the job into a new store that replaces out when complete. */
static int seed_run(struct tile_map *map, const struct seed_job *j, const char *out, const char *format)
{
	struct ms_error err = {0};
	struct tilestore *ts = NULL;
	struct tilestore_meta md;
	const char *extra[2][2];
	metadata_of(j, &md, extra);
	double t0 = now_s();
	enum ms_status st = tilestore_create(out, format, &md, &ts, &err);
	if (!st)
		st = seed_tiles(ts, map, j, &err);
	if (!st)
		st = tilestore_finish(ts, &err);
	struct tilestore_stats stats = {0};
	if (ts)
		tilestore_stats(ts, &stats);
	tilestore_close(ts); /* an unfinished store is removed */
	if (st) {
		fprintf(stderr, "mapsvc seed: %s\n", err.msg);
		return EXIT_FAIL;
	}
	struct stat sb;
	long long bytes = stat(out, &sb) == 0 ? (long long)sb.st_size : -1;
	fprintf(stderr, "mapsvc seed: wrote %s: %lld tiles, %lld unique images, %lld bytes, %.1f s\n", out,
		stats.tiles, stats.images, bytes, now_s() - t0);
	return EXIT_OK;
}

/* The box: the --bbox given, else the data's bounds (moved to GCJ-02 like
 * the TileJSON's when the tiles are); latitudes clamped to Web Mercator. */
static int resolve_bbox(const char *bbox_arg, const struct snapshot *snap, enum coordsys cs, double b[4])
{
	if (bbox_arg) {
		struct ms_error err = {0};
		if (feat_parse_bbox(bbox_arg, b, &err))
			return cli_usage_error("seed", "--%s", err.msg);
		if (b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90)
			return cli_usage_error("seed", "--bbox: '%s' is outside -180..180, -90..90", bbox_arg);
		if (b[0] > b[2] || b[1] > b[3])
			return cli_usage_error("seed", "--bbox: '%s' needs W <= E and S <= N (W,S,E,N)", bbox_arg);
	} else {
		if (!snapshot_bounds(snap, cs, b)) {
			fprintf(stderr, "mapsvc seed: the database has no sites; give --bbox W,S,E,N\n");
			return EXIT_FAIL;
		}
	}
	b[1] = fmax(b[1], -WEBMERC_MAX_LAT);
	b[3] = fmin(b[3], WEBMERC_MAX_LAT);
	if (b[1] > b[3])
		return cli_usage_error("seed", "--bbox: '%s' lies beyond Web Mercator's +-%.4f latitude", bbox_arg,
				       WEBMERC_MAX_LAT);
	return EXIT_OK;
}

int cmd_seed(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},	  {"styles", required_argument, NULL, 'S'},
		{"style", required_argument, NULL, 's'},	  {"scale", required_argument, NULL, 'x'},
		{"coordsys", required_argument, NULL, 'c'}, {"zoom", required_argument, NULL, 'z'},
		{"bbox", required_argument, NULL, 'b'},	  {"force", no_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},	  {"format", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},		  {NULL, 0, NULL, 0},
	};
	struct seed_job job = {.cs = COORDSYS_WGS84, .scale = 1, .zmin = -1};
	const char *db = cli_default_db(), *styles_dir = cli_default_styles(), *style_name = "default";
	const char *out = NULL, *bbox_arg = NULL, *format = NULL;
	bool force = false;
	long scale = 1;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'S': styles_dir = optarg; break;
		case 's': style_name = optarg; break;
		case 'x':
			if (!cli_parse_int(optarg, 1, 2, &scale))
				return cli_usage_error("seed", "--scale: '%s' is not 1 or 2", optarg);
			job.scale = (int)scale;
			break;
		case 'c': {
			int c = coordsys_parse(optarg);
			if (c != COORDSYS_WGS84 && c != COORDSYS_GCJ02)
				return cli_usage_error("seed", "--coordsys: '%s' is not wgs84 or gcj02", optarg);
			job.cs = (enum coordsys)c;
			break;
		}
		case 'z':
			if (!parse_zooms(optarg, &job.zmin, &job.zmax))
				return cli_usage_error("seed", "--zoom: '%s' is not MIN-MAX with 0 <= MIN <= MAX <= %d",
						       optarg, MAX_ZOOM_LIMIT);
			break;
		case 'b': bbox_arg = optarg; break;
		case 'f': force = true; break;
		case 'F':
			if (!tilestore_backend_named(optarg))
				return cli_usage_error("seed", "--format: '%s' is not mbtiles", optarg);
			format = optarg;
			break;
		case 'o': out = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':': return cli_usage_error("seed", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("seed", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("seed", "unexpected argument '%s'", argv[optind]);
	if (job.zmin < 0)
		return cli_usage_error("seed", "--zoom MIN-MAX is required");
	if (!out)
		return cli_usage_error("seed", "-o FILE.mbtiles is required");
	if (!strcmp(out, "-"))
		return cli_usage_error("seed", "-o: a tile store cannot go to standard output");
	/* The format mapsvc seed has always written, for a name that says none. */
	if (!format && !tilestore_backend_for_path(out))
		format = "mbtiles";
	if (!force && access(out, F_OK) == 0)
		return cli_usage_error("seed", "%s exists; --force replaces it", out);
	/* The box given is checked before anything is loaded. */
	double early[4];
	if (bbox_arg) {
		struct snapshot none = {0};
		int rc = resolve_bbox(bbox_arg, &none, job.cs, early);
		if (rc)
			return rc;
	}

	struct cli_map cm;
	int rc = cli_map_open("seed", db, styles_dir, style_name, &cm);
	if (rc != EXIT_OK)
		return rc;
	job.style = cm.style;
	struct snapshot *snap = cm.snap;
	const struct style *styles = cm.styles;
	size_t nstyles = cm.nstyles;
	rc = resolve_bbox(bbox_arg, snap, job.cs, job.bbox);
	if (!rc) {
		job.total = webmerc_tile_count(job.bbox, job.zmin, job.zmax);
		if (job.total > SEED_MAX_TILES)
			rc = cli_usage_error("seed",
					     "%lld tiles for zooms %d-%d over %.6f,%.6f,%.6f,%.6f: more than the limit "
					     "of %lld; narrow --zoom or --bbox",
					     job.total, job.zmin, job.zmax, job.bbox[0], job.bbox[1], job.bbox[2],
					     job.bbox[3], SEED_MAX_TILES);
	}
	if (rc) {
		snapshot_release(snap);
		styleset_free(cm.set);
		return rc;
	}
	struct tile_map *map = tile_map_new(snap, styles, nstyles);
	snapshot_release(snap);

	struct sigaction sa = {0}, old_int, old_term;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = seed_run(map, &job, out, format);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	tile_map_release(map);
	styleset_free(cm.set);
	return rc;
}

/*
 * cmd_route.c - `mapsvc route`: a route sheet for a tour guide written to
 * a file, the same content GET /route answers with.
 *
 * The one difference is the HTML sheet's overview map.  The server's page
 * points its <img> at /staticmap.png; a file has no server behind it, so
 * here the map is rendered in-process and embedded as a data: URI PNG
 * (RFC 2397), and the .html file stands alone (mail it, open it offline,
 * print it).  The PDF embeds the same map.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../render/tile.h"
#include "../route/overlay.h"
#include "../route/route.h"
#include "../styleset/styleset.h"
#include "cli.h"

static const char usage_text[] =
	"usage: mapsvc route [--db FILE] --from LAT,LON (--sites ID,... | --nearest N) [--return]\n"
	"                    [--mode walk|drive] --format json|gpx|html|pdf [--title TEXT]\n"
	"                    [--styles DIR] -o FILE\n"
	"\n"
	"Orders the stops into the shortest tour from the start (exact up to 12 stops) and\n"
	"writes the guide's sheet: legs with distance, compass bearing and estimated time\n"
	"(straight-line distance times a detour factor; no road network is used).\n"
	"\n"
	"  --db FILE          SpatiaLite database (default: the bundled dataset)\n"
	"  --from LAT,LON     the start point, WGS-84 decimal degrees\n"
	"  --sites ID,...     the stops, by site id (at most 50)\n"
	"  --nearest N        or the N sites nearest the start (1..50)\n"
	"  --return           a round trip, back to the start\n"
	"  --mode walk|drive  for the time estimates (default walk)\n"
	"  --format F         json (GeoJSON), gpx (GPX 1.1), html (A4 sheet with the map\n"
	"                     embedded as a data: URI), pdf (A4 sheet with the map)\n"
	"  --title TEXT       the sheet's title\n"
	"  --styles DIR       folder of style files; the map uses print.json\n"
	"  -o FILE            where to write (- for standard output)\n";

enum fmt { FMT_JSON, FMT_GPX, FMT_HTML, FMT_PDF };

/* The overview map of a sheet: 720 x 480 CSS px drawn at 2x, about
 * 190 dpi across the 186 mm of an A4 page's text width. */
#define SHEET_MAP_W 720
#define SHEET_MAP_H 480
#define SHEET_MAP_SCALE 2

static int parse_format(const char *s)
{
	static const char *const names[] = {"json", "gpx", "html", "pdf"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* RFC 4648 base64, for the data: URI. */
static void base64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	buf_reserve(out, (n + 2) / 3 * 4 + 1);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		buf_putc(out, tab[v >> 18 & 63]);
		buf_putc(out, tab[v >> 12 & 63]);
		buf_putc(out, i + 1 < n ? tab[v >> 6 & 63] : '=');
		buf_putc(out, i + 2 < n ? tab[v & 63] : '=');
	}
}

/* The overview map PNG of the plan, drawn with the print style. */
static enum ms_status render_map(struct snapshot *snap, const char *styles_dir, const struct route_plan *plan,
				 struct buf *png, struct ms_error *err)
{
	struct styleset *set = NULL;
	enum ms_status st = styleset_load_dir(styles_dir, &set, err);
	if (st != MS_OK)
		return st;
	const struct style *print = styleset_find(set, "print");
	if (!print) {
		styleset_free(set);
		return ms_fail(err, MS_ENOTFOUND, "%s: no print.json style for the sheet's map", styles_dir);
	}
	size_t nstyles;
	const struct style *styles = styleset_styles(set, &nstyles);
	struct tile_map *map = tile_map_new(snap, styles, nstyles);
	struct tile_ctx *ctx = tile_ctx_new(err);
	st = ctx ? route_map_plan_png(map, ctx, print, plan, SHEET_MAP_W, SHEET_MAP_H, SHEET_MAP_SCALE, png, err)
		 : err->status;
	tile_ctx_free(ctx);
	tile_map_release(map);
	styleset_free(set);
	return st;
}

int cmd_route(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},	  {"from", required_argument, NULL, 'f'},
		{"sites", required_argument, NULL, 's'},	  {"nearest", required_argument, NULL, 'n'},
		{"return", no_argument, NULL, 'r'},		  {"mode", required_argument, NULL, 'm'},
		{"format", required_argument, NULL, 'F'},	  {"title", required_argument, NULL, 't'},
		{"styles", required_argument, NULL, 'S'},	  {"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},		  {NULL, 0, NULL, 0},
	};
	const char *db = cli_default_db(), *styles_dir = cli_default_styles();
	const char *sites = NULL, *out = NULL, *title = NULL;
	double lat = 0, lon = 0;
	bool have_from = false;
	long nearest = 0;
	int format = -1;
	struct route_options opt = {false, ROUTE_WALK};
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'S': styles_dir = optarg; break;
		case 'f':
			if (!route_parse_point(optarg, &lat, &lon) || !site_coord_valid(lat, lon))
				return cli_usage_error("route", "--from: '%s' is not LAT,LON in -90..90, -180..180",
						       optarg);
			have_from = true;
			break;
		case 's': sites = optarg; break;
		case 'n':
			if (!cli_parse_int(optarg, 1, ROUTE_MAX_STOPS, &nearest))
				return cli_usage_error("route", "--nearest: '%s' is not a number in 1..%d", optarg,
						       ROUTE_MAX_STOPS);
			break;
		case 'r': opt.round_trip = true; break;
		case 'm': {
			int m = route_mode_parse(optarg);
			if (m < 0)
				return cli_usage_error("route", "--mode: '%s' is not walk or drive", optarg);
			opt.mode = (enum route_mode)m;
			break;
		}
		case 'F':
			if ((format = parse_format(optarg)) < 0)
				return cli_usage_error("route", "--format: '%s' is not json, gpx, html or pdf", optarg);
			break;
		case 't': title = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':': return cli_usage_error("route", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("route", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("route", "unexpected argument '%s'", argv[optind]);
	if (!have_from)
		return cli_usage_error("route", "--from LAT,LON is required");
	if (!sites == !nearest)
		return cli_usage_error("route", "give either --sites ID,... or --nearest N");
	if (format < 0)
		return cli_usage_error("route", "--format json|gpx|html|pdf is required");
	if (!out)
		return cli_usage_error("route", "-o FILE is required");

	struct ms_error err = {0};
	struct snapshot *snap = snapshot_load(db, &err);
	if (!snap) {
		fprintf(stderr, "mapsvc route: %s\n", err.msg);
		return EXIT_FAIL;
	}
	int rc = EXIT_FAIL;
	const struct site *stops[ROUTE_MAX_STOPS];
	size_t n = 0;
	struct route_plan *plan = NULL;
	struct buf doc = BUF_INIT, png = BUF_INIT, url = BUF_INIT;
	enum ms_status st = sites ? route_select_ids(snap, sites, stops, &n, &err)
				  : route_select_nearest(snap, lat, lon, nearest, stops, &n, &err);
	if (st == MS_OK)
		st = route_plan_build(lat, lon, stops, n, &opt, &plan, &err);
	if (st != MS_OK) {
		fprintf(stderr, "mapsvc route: %s\n", err.msg);
		/* a wrong id or list is the caller's mistake, like a bad option */
		rc = st == MS_EUSAGE || st == MS_ENOTFOUND ? EXIT_USAGE : EXIT_FAIL;
		goto done;
	}
	struct route_sheet sheet = {.title = title, .generated = time(NULL), .utc_offset_min = 480};
	if ((format == FMT_HTML || format == FMT_PDF) &&
	    render_map(snap, styles_dir, plan, &png, &err) != MS_OK) {
		fprintf(stderr, "mapsvc route: map: %s\n", err.msg);
		goto done;
	}
	switch (format) {
	case FMT_JSON: route_write_geojson(plan, &sheet, &doc); break;
	case FMT_GPX: route_write_gpx(plan, &sheet, &doc); break;
	case FMT_HTML:
		buf_puts(&url, "data:image/png;base64,");
		base64(&url, (const unsigned char *)png.data, png.len);
		sheet.map_url = buf_str(&url);
		route_write_html(plan, &sheet, &doc);
		break;
	case FMT_PDF:
		sheet.map_png = (const unsigned char *)png.data;
		sheet.map_png_len = png.len;
		if (route_write_pdf(plan, &sheet, &doc, &err) != MS_OK) {
			fprintf(stderr, "mapsvc route: %s\n", err.msg);
			goto done;
		}
		break;
	}
	rc = cli_write_file("route", out, &doc);
done:
	buf_free(&doc);
	buf_free(&png);
	buf_free(&url);
	route_plan_free(plan);
	snapshot_release(snap);
	return rc;
}

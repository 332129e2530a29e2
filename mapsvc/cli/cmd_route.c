/*
 * cmd_route.c - `mapsvc route`: a route sheet for a tour guide written to
 * a file, the same content GET /route answers with: both call
 * route_sheet_make (route/pipeline.h).
 *
 * The one difference is the HTML sheet's overview map: a file has no
 * server behind it, so no map link is given, and the pipeline embeds the
 * map as a data: URI PNG; the .html file stands alone (mail it, open it
 * offline, print it).  The styles are loaded only for a format that
 * draws a map, so a JSON or GPX sheet needs no styles folder.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../mapservice/mapservice.h"
#include "../route/overlay.h"
#include "../route/pipeline.h"
#include "../web/web.h"
#include "cli.h"

static const char usage_text[] =
    "usage: mapsvc route [--db FILE] --from LAT,LON (--sites ID,... | --nearest N) [--return]\n"
    "                    [--mode walk|drive] [--date YYYY-MM-DD] [--start HH:MM]\n"
    "                    [--visit MIN] [--visits ID:MIN,...]\n"
    "                    --format json|gpx|html|pdf|ics [--title TEXT] [--public-url URL]\n"
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
    "  --date DATE        plan that day (China Standard Time) with the opening hours:\n"
    "                     the order fits them; stops that cannot fit are listed with why\n"
    "  --start HH:MM      leaving the start then (with --date: 09:00 if not given);\n"
    "                     gives each stop's arrival and departure\n"
    "  --visit MIN        minutes at every stop (default: by category)\n"
    "  --visits ID:MIN,.. minutes at some stops\n"
    "  --format F         json (GeoJSON), gpx (GPX 1.1), html (A4 sheet with the map\n"
    "                     embedded as a data: URI), pdf (A4 sheet with the map)\n"
    "                     ics (a calendar of the day: needs --date)\n"
    "  --title TEXT       the sheet's title\n"
    "  --public-url URL   the server the sheet links to: each stop's page is\n"
    "                     URL/collections/sites/items/ID (QR codes, calendar links);\n"
    "                     without it the sheet has no links\n"
    "  --styles DIR       folder of style files; the map uses print.json\n"
    "  -o FILE            where to write (- for standard output)\n";

/* What every sheet needs: a start, the stops, a format, a file. */
static int required_options(const struct route_request *rq, bool have_from, bool have_format, const char *out)
{
	if (!have_from)
		return cli_usage_error("route", "--from LAT,LON is required");
	if (!rq->sites == !rq->nearest)
		return cli_usage_error("route", "give either --sites ID,... or --nearest N");
	if (!have_format)
		return cli_usage_error("route", "--format json|gpx|html|pdf|ics is required");
	if (!out)
		return cli_usage_error("route", "-o FILE is required");
	return EXIT_OK;
}

/* One of the day's options (--date, --start, --visit, --visits) into rq. */
static int day_option(int ch, const char *arg, struct route_request *rq)
{
	long m;
	switch (ch) {
	case 'D':
		if (!hours_parse_date(arg, &rq->date))
			return cli_usage_error("route", "--date: '%s' is not a date YYYY-MM-DD", arg);
		rq->has_date = true;
		break;
	case 'T':
		if (!hours_parse_clock(arg, &rq->start_min))
			return cli_usage_error("route", "--start: '%s' is not a time HH:MM", arg);
		rq->has_start = true;
		break;
	case 'v':
		if (!cli_parse_int(arg, 0, ROUTE_VISIT_MAX_MIN, &m))
			return cli_usage_error("route", "--visit: '%s' is not 0..%d minutes", arg,
			                       ROUTE_VISIT_MAX_MIN);
		rq->visit_min = (int)m;
		rq->has_visit = true;
		break;
	default: rq->visits = arg;
	}
	return EXIT_OK;
}

/* The command line into rq, *db, *styles_dir and *out.  EXIT_OK to make
 * the sheet, -1 after --help, else the usage error's status. */
static int parse_options(int argc, char **argv, struct route_request *rq, const char **db,
                         const char **styles_dir, const char **out, const char **public_url)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"from", required_argument, NULL, 'f'},
	    {"sites", required_argument, NULL, 's'},
	    {"nearest", required_argument, NULL, 'n'},
	    {"return", no_argument, NULL, 'r'},
	    {"mode", required_argument, NULL, 'm'},
	    {"format", required_argument, NULL, 'F'},
	    {"title", required_argument, NULL, 't'},
	    {"styles", required_argument, NULL, 'S'},
	    {"output", required_argument, NULL, 'o'},
	    {"date", required_argument, NULL, 'D'},
	    {"start", required_argument, NULL, 'T'},
	    {"visit", required_argument, NULL, 'v'},
	    {"visits", required_argument, NULL, 'V'},
	    {"public-url", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool have_from = false;
	int ch, mode, rc, format = -1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': *db = optarg; break;
		case 'S': *styles_dir = optarg; break;
		case 'f':
			if (!route_parse_point(optarg, &rq->from_lat, &rq->from_lon) ||
			    !site_coord_valid(rq->from_lat, rq->from_lon))
				return cli_usage_error(
				    "route", "--from: '%s' is not LAT,LON in -90..90, -180..180", optarg);
			have_from = true;
			break;
		case 's': rq->sites = optarg; break;
		case 'n':
			if (!cli_parse_int(optarg, 1, ROUTE_MAX_STOPS, &rq->nearest))
				return cli_usage_error("route", "--nearest: '%s' is not a number in 1..%d",
				                       optarg, ROUTE_MAX_STOPS);
			break;
		case 'r': rq->opt.round_trip = true; break;
		case 'm':
			if ((mode = route_mode_parse(optarg)) < 0)
				return cli_usage_error("route", "--mode: '%s' is not walk or drive", optarg);
			rq->opt.mode = (enum route_mode)mode;
			break;
		case 'F':
			if ((format = route_format_parse(optarg)) < 0)
				return cli_usage_error(
				    "route", "--format: '%s' is not json, gpx, html, pdf or ics", optarg);
			rq->format = (enum route_format)format;
			break;
		case 't': rq->title = optarg; break;
		case 'u': *public_url = optarg; break;
		case 'D':
		case 'T':
		case 'v':
		case 'V':
			if ((rc = day_option(ch, optarg, rq)) != EXIT_OK)
				return rc;
			break;
		case 'o': *out = optarg; break;
		case 'h': fputs(usage_text, stdout); return -1;
		case ':': return cli_usage_error("route", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("route", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("route", "unexpected argument '%s'", argv[optind]);
	return required_options(rq, have_from, format >= 0, *out);
}

int cmd_route(int argc, char **argv)
{
	const char *db = cli_default_db(), *styles_dir = cli_default_styles(), *out = NULL,
	           *public_url = NULL;
	struct route_request rq = {.opt = {false, ROUTE_WALK}, .generated = time(NULL)};
	int rc = parse_options(argc, argv, &rq, &db, &styles_dir, &out, &public_url);
	if (rc != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	/* the pages of the sites, as the server names them */
	struct buf site_url = BUF_INIT;
	if (public_url) {
		size_t n = strlen(public_url);
		while (n && public_url[n - 1] == '/')
			n--;
		buf_printf(&site_url, "%.*s/collections/sites/items/", (int)n, public_url);
		rq.site_url = buf_str(&site_url);
	}
	/* The styles only for a format that draws a map here. */
	bool draws = route_request_draws(&rq);
	struct cli_map cm;
	if ((rc = cli_map_open("route", db, draws ? styles_dir : NULL, NULL, &cm)) != EXIT_OK) {
		buf_free(&site_url);
		return rc;
	}
	struct ms_error err = {0};
	struct route_drawing draw = {cm.gen->map, NULL, cm.gen->styles, cm.gen->nstyles, web_places()};
	struct route_output doc = {.body = BUF_INIT};
	enum ms_status st = draws && !(draw.ctx = mapservice_ctx(cm.maps, &err))
	                        ? err.status
	                        : route_sheet_make(cm.gen->snap, &rq, &draw, &doc, &err);
	if (st == MS_OK) {
		rc = cli_write_file("route", out, &doc.body);
	} else {
		fprintf(stderr, "mapsvc route: %s\n", err.msg);
		/* a wrong id or list is the caller's mistake, like a bad option */
		rc = st == MS_EUSAGE || st == MS_ENOTFOUND ? EXIT_USAGE : EXIT_FAIL;
	}
	buf_free(&doc.body);
	buf_free(&site_url);
	cli_map_close(&cm);
	return rc;
}

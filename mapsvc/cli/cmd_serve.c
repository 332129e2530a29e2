/*
 * cmd_serve.c - `mapsvc serve`: build the map service (the database's
 * sites and the styles folder, mapservice/mapservice.h), run the HTTP
 * server over it until SIGINT or SIGTERM, and reload data and styles
 * together on SIGHUP.
 *
 * Signals are blocked before the server's threads start (they inherit the
 * mask) and taken synchronously here with sigwait, so no work happens in
 * a signal handler and a reload runs on this thread while requests go on:
 * the new generation is loaded beside the one serving and swapped in only
 * when whole, so a broken database or style file is logged here and the
 * service keeps what it had.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../geo/webmerc.h"
#include "../http/http.h"
#include "../mapservice/mapservice.h"
#include "cli.h"

#define MIB (1024 * 1024)
/* Defaults (DESIGN.md): 127.0.0.1:8080, zoom up to 20, a 64 MiB cache. */
#define DEFAULT_PORT 8080
#define DEFAULT_MAX_ZOOM 20
#define DEFAULT_CACHE_MB 64
/* Bounds of the options' values: beyond them a value is a typo. */
#define MAX_THREADS 256
#define MAX_CACHE_MB (1 << 20)
#define MAX_AGE_S 31536000 /* a year, RFC 9111's longest meaningful max-age */
#define MAX_PUBLIC_URL 200 /* leaves room in HTTP_BASE_URL_MAX */
#define MAX_BASEMAP_TEXT 1000

static const char usage_text[] =
    "usage: mapsvc serve [--db FILE] [--listen HOST:PORT] [--public-url URL] [--styles DIR]\n"
    "                    [--threads N] [--cache-mb N] [--max-zoom N] [--max-age S] [--cors ORIGIN]\n"
    "                    [--basemap URL [--basemap-attribution TEXT] [--basemap-crs wgs84|gcj02]]\n"
    "                    [--tiles-from FILE.mbtiles|FILE.pmtiles]\n"
    "\n"
    "Serves map tiles, OGC API - Features and nearest-site search over HTTP.\n"
    "\n"
    "  --db FILE          SpatiaLite database (default: the bundled dataset)\n"
    "  --listen HOST:PORT numeric address and port (default 127.0.0.1:8080; [::1]:PORT for IPv6;\n"
    "                     port 0 picks a free one, printed at start-up)\n"
    "  --public-url URL   base of absolute links when behind a proxy (default: from the Host header)\n"
    "  --styles DIR       folder of tile styles (default: the bundled styles)\n"
    "  --threads N        worker threads (default: the number of cores, at least 2)\n"
    "  --cache-mb N       tile cache budget in MiB (default 64)\n"
    "  --max-zoom N       highest zoom level served (default 20)\n"
    "  --max-age S        Cache-Control max-age of tiles, seconds (default 3600)\n"
    "  --cors ORIGIN      Access-Control-Allow-Origin value (default '*'; '' for none)\n"
    "  --basemap URL      XYZ tile URL template ({z}, {x}, {y}; {s} and {r} as in Leaflet) of a\n"
    "                     basemap that the map page at / shows under mapsvc's tiles (default: none)\n"
    "  --basemap-attribution TEXT  the basemap's credit line, shown on the map page\n"
    "  --basemap-crs wgs84|gcj02   the basemap's system (default wgs84; gcj02 for AMap or Tencent:\n"
    "                     the page then asks for GCJ-02 overlay tiles and positions)\n"
    "  --tiles-from FILE  serve the tiles a `mapsvc seed` wrote to FILE (MBTiles or PMTiles) from it,\n"
    "                     rendering only those it lacks; used only while the file matches the data\n"
    "                     and the style it was seeded from (the start-up line says), re-read on SIGHUP\n"
    "\n"
    "Signals: SIGHUP reloads the database and the styles without dropping requests (a broken\n"
    "file keeps the current ones serving); SIGINT or SIGTERM stop.\n";

/* Splits "host:port" or "[v6]:port". */
static bool parse_listen(char *s, const char **host, unsigned *port)
{
	char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return false;
	long p;
	if (!cli_parse_int(colon + 1, 0, 65535, &p))
		return false;
	*colon = '\0';
	if (s[0] == '[') {
		size_t n = strlen(s);
		if (n < 3 || s[n - 1] != ']')
			return false;
		s[n - 1] = '\0';
		s++;
	}
	*host = s;
	*port = (unsigned)p;
	return true;
}

/* What the options of `serve` set. */
struct serve_options {
	struct http_config http;
	struct mapservice_config maps;
	char listen[300]; /* --listen's copy, split in place into host and port */
};

/* An http(s) URL of at most max bytes for option name; false after the
 * usage message. */
static bool url_ok(const char *name, const char *v, size_t max)
{
	if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
		return cli_usage_error("serve", "--%s: '%s' is not an http(s) URL", name, v), false;
	if (strlen(v) > max)
		return cli_usage_error("serve", "--%s: longer than %zu characters", name, max), false;
	return true;
}

/* Numbers of the options: a usage message for a bad one. */
static bool number_ok(const char *name, const char *v, long min, long max, long *out)
{
	if (cli_parse_int(v, min, max, out))
		return true;
	cli_usage_error("serve", "--%s: '%s' is not a number in %ld..%ld", name, v, min, max);
	return false;
}

/* One option into o; EXIT_OK or the usage error's status. */
static int take_option(int ch, const char *v, struct serve_options *o)
{
	long n;
	switch (ch) {
	case 'd': o->maps.db_path = v; return EXIT_OK;
	case 's': o->maps.styles_dir = v; return EXIT_OK;
	case 'l':
		snprintf(o->listen, sizeof o->listen, "%s", v);
		if (!parse_listen(o->listen, &o->http.host, &o->http.port))
			return cli_usage_error("serve", "--listen: '%s' is not HOST:PORT", v);
		return EXIT_OK;
	case 'u':
		if (!url_ok("public-url", v, MAX_PUBLIC_URL))
			return EXIT_USAGE;
		o->http.public_url = v;
		return EXIT_OK;
	case 't':
		if (!number_ok("threads", v, 1, MAX_THREADS, &n))
			return EXIT_USAGE;
		/* A single epoll thread stalls under many keep-alive clients. */
		o->http.threads = n < 2 ? 2 : (unsigned)n;
		return EXIT_OK;
	case 'c':
		if (!number_ok("cache-mb", v, 0, MAX_CACHE_MB, &n))
			return EXIT_USAGE;
		o->maps.cache_bytes = (size_t)n * MIB;
		return EXIT_OK;
	case 'z':
		if (!number_ok("max-zoom", v, 0, WEBMERC_MAX_ZOOM, &n))
			return EXIT_USAGE;
		o->http.max_zoom = (unsigned)n;
		return EXIT_OK;
	case 'm':
		if (!number_ok("max-age", v, 1, MAX_AGE_S, &n))
			return EXIT_USAGE;
		o->http.tile_max_age = (unsigned)n;
		return EXIT_OK;
	case 'o': o->http.cors = *v ? v : NULL; return EXIT_OK;
	case 'T': o->maps.tiles_from = v; return EXIT_OK;
	case 'B':
		if (!url_ok("basemap", v, MAX_BASEMAP_TEXT))
			return EXIT_USAGE;
		if (!strstr(v, "{z}") || !strstr(v, "{x}") || !strstr(v, "{y}"))
			return cli_usage_error("serve", "--basemap: '%s' lacks {z}, {x} or {y}", v);
		o->http.basemap_url = v;
		return EXIT_OK;
	case 'A':
		if (strlen(v) > MAX_BASEMAP_TEXT)
			return cli_usage_error("serve", "--basemap-attribution: longer than %d characters",
			                       MAX_BASEMAP_TEXT);
		o->http.basemap_attribution = v;
		return EXIT_OK;
	case 'C':
		if (strcmp(v, "wgs84") && strcmp(v, "gcj02"))
			return cli_usage_error("serve", "--basemap-crs: '%s' is not wgs84 or gcj02", v);
		o->http.basemap_gcj02 = !strcmp(v, "gcj02");
		return EXIT_OK;
	}
	return cli_usage_error("serve", "unknown option"); /* getopt's table and this switch disagree */
}

/* The command line into o.  EXIT_OK to serve, -1 after --help, else the
 * usage error's status. */
static int parse_options(int argc, char **argv, struct serve_options *o)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"listen", required_argument, NULL, 'l'},
	    {"public-url", required_argument, NULL, 'u'},
	    {"styles", required_argument, NULL, 's'},
	    {"threads", required_argument, NULL, 't'},
	    {"cache-mb", required_argument, NULL, 'c'},
	    {"max-zoom", required_argument, NULL, 'z'},
	    {"cors", required_argument, NULL, 'o'},
	    {"basemap", required_argument, NULL, 'B'},
	    {"basemap-attribution", required_argument, NULL, 'A'},
	    {"basemap-crs", required_argument, NULL, 'C'},
	    {"max-age", required_argument, NULL, 'm'},
	    {"tiles-from", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o->http = (struct http_config){
	    .host = "127.0.0.1",
	    .port = DEFAULT_PORT,
	    .threads = ncpu > 2 ? (unsigned)ncpu : 2,
	    .max_zoom = DEFAULT_MAX_ZOOM,
	    .cors = "*",
	};
	o->maps = (struct mapservice_config){.db_path = cli_default_db(),
	                                     .styles_dir = cli_default_styles(),
	                                     .cache_bytes = DEFAULT_CACHE_MB * MIB};
	optind = 1;
	opterr = 0;
	int ch, rc;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			return fputs(usage_text, stdout), -1;
		if (ch == ':')
			return cli_usage_error("serve", "%s needs a value", argv[optind - 1]);
		if (ch == '?')
			return cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
		if ((rc = take_option(ch, optarg, o)) != EXIT_OK)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

/* Takes the signals of set until SIGINT or SIGTERM; SIGHUP reloads the
 * data and the styles, keeping the current ones when either is broken. */
static void serve_until_stopped(struct mapservice *maps, const sigset_t *set)
{
	for (;;) {
		int sig;
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			return;
		struct ms_error err = {0};
		if (mapservice_load(maps, &err) != MS_OK) {
			/* A bad file must not take the service down. */
			fprintf(stderr,
			        "mapsvc serve: reload failed, keeping the current data and styles: %s\n",
			        err.msg);
			continue;
		}
		struct mapservice_gen *g = mapservice_acquire(maps);
		printf("mapsvc serve: reloaded %zu sites (version %016llx) and %zu styles\n", g->snap->n,
		       (unsigned long long)g->snap->version, g->nstyles);
		if (mapservice_tiles_from(g))
			printf("mapsvc serve: tiles from %s\n", mapservice_tiles_from(g));
		fflush(stdout);
		mapservice_release(g);
	}
}

int cmd_serve(int argc, char **argv)
{
	struct serve_options o;
	int rc = parse_options(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	struct ms_error err = {0};
	struct mapservice *maps = mapservice_new(&o.maps);
	struct http_server *srv = NULL;
	rc = EXIT_FAIL;
	if (mapservice_load(maps, &err) != MS_OK) {
		fprintf(stderr, "mapsvc serve: %s\n", err.msg);
		goto done;
	}
	/* Blocked before the server's threads start, which inherit the mask:
	 * the signals then reach only the sigwait below. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* A client that hangs up mid-answer must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	o.http.maps = maps;
	if (!(srv = http_server_start(&o.http, &err))) {
		fprintf(stderr, "mapsvc serve: %s\n", err.msg);
		goto done;
	}
	struct mapservice_gen *g = mapservice_acquire(maps);
	bool v6 = strchr(o.http.host, ':') != NULL;
	printf("mapsvc serve: listening on http://%s%s%s:%u with %zu sites from %s\n", v6 ? "[" : "",
	       o.http.host, v6 ? "]" : "", http_server_port(srv), g->snap->n, o.maps.db_path);
	if (mapservice_tiles_from(g))
		printf("mapsvc serve: tiles from %s\n", mapservice_tiles_from(g));
	fflush(stdout);
	mapservice_release(g);
	serve_until_stopped(maps, &set);
	rc = EXIT_OK;
done:
	http_server_stop(srv); /* running requests finish first */
	mapservice_free(maps);
	if (rc == EXIT_OK)
		printf("mapsvc serve: stopped\n");
	return rc;
}

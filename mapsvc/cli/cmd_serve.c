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
 * service keeps what it had.  SIGINT and SIGTERM stop gracefully: the
 * server drains (http.h) - it turns unready, stops accepting, answers what
 * it has received within --drain-timeout - and then the process exits 0.
 *
 * A PostGIS --db is also followed (follow.h): a change committed to the
 * database by anyone reaches this replica without a signal.
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
#include "../store/store.h"
#include "cli.h"
#include "follow.h"

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
#define CONNECTIONS_MAX 1000000
#define TIMEOUT_MAX_S 3600
#define WORKERS_MAX 256
#define QUEUE_MAX 10000
#define FRAME_ANCESTORS_MAX 1000
#define MS_PER_S 1000u

/* The help; the defaults of the limits are filled in from http.h by
 * print_usage, so that they cannot disagree. */
static const char usage_text[] =
    "usage: mapsvc serve [--db FILE|URL] [--listen HOST:PORT] [--public-url URL] [--styles DIR]\n"
    "                    [--threads N] [--cache-mb N] [--max-zoom N] [--max-age S] [--cors ORIGIN]\n"
    "                    [--basemap URL [--basemap-attribution TEXT] [--basemap-crs wgs84|gcj02]]\n"
    "                    [--tiles-from FILE.mbtiles|FILE.pmtiles]\n"
    "                    [connection, expensive-request, link and header options below]\n"
    "\n"
    "Serves map tiles, OGC API - Features and nearest-site search over HTTP.\n"
    "\n"
    "  --db FILE          SpatiaLite database (default: the bundled dataset)\n"
    "  --db URL           PostGIS database (postgresql://... or postgres:KEY=VALUE...); changes\n"
    "                     committed to it are served within a second, without a signal\n"
    "  --listen HOST:PORT numeric address and port (default 127.0.0.1:8080; [::1]:PORT for IPv6;\n"
    "                     port 0 picks a free one, printed at start-up)\n"
    "  --public-url URL   base of absolute links when behind a proxy (default: from the Host\n"
    "                     header, when it is one of --allowed-hosts)\n"
    "  --styles DIR       folder of tile styles (default: the bundled styles)\n"
    "  --threads N        worker threads (default: the number of cores, at least 2)\n"
    "  --cache-mb N       tile cache budget in MiB (default 64)\n"
    "  --max-zoom N       highest zoom level served (default 20)\n"
    "  --max-age S        Cache-Control max-age of tiles, seconds (default 3600)\n"
    "  --cors ORIGIN      Access-Control-Allow-Origin value (default '*'; '' for none; never on\n"
    "                     /metrics)\n"
    "  --basemap URL      XYZ tile URL template ({z}, {x}, {y}; {s} and {r} as in Leaflet) of a\n"
    "                     basemap that the map page at / shows under mapsvc's tiles (default: none)\n"
    "  --basemap-attribution TEXT  the basemap's credit line, shown on the map page\n"
    "  --basemap-crs wgs84|gcj02   the basemap's system (default wgs84; gcj02 for AMap or Tencent:\n"
    "                     the page then asks for GCJ-02 overlay tiles and positions)\n"
    "  --tiles-from FILE  serve the tiles a `mapsvc seed` wrote to FILE (MBTiles or PMTiles) from it,\n"
    "                     rendering only those it lacks; used only while the file matches the data\n"
    "                     and the style it was seeded from (the start-up line says), re-read on SIGHUP\n"
    "\n"
    "Connections:\n"
    "  --max-connections N         connections open at once (default %u); near it, idle\n"
    "                              keep-alive connections are closed first\n"
    "  --max-client-connections N  per client address, an IPv6 /64 counting as one (default %u)\n"
    "  --head-timeout S    each request head must be complete within S seconds of the accept or of\n"
    "                      the previous answer, however slowly it comes (default %u)\n"
    "  --idle-timeout S    a connection with no byte moving for S seconds is closed (default %u)\n"
    "  --trusted-proxy LIST  addresses or CIDR blocks (comma-separated) of proxies whose\n"
    "                      X-Forwarded-For is believed and whose connections are not counted per\n"
    "                      client (default: none)\n"
    "Expensive requests (static maps, PDF route sheets) run on their own threads, at a lower\n"
    "priority:\n"
    "  --expensive-workers N   threads (default: the number of cores minus one, at least 1)\n"
    "  --expensive-queue N     requests that may wait for one; more get 503 (default %u)\n"
    "  --expensive-per-client N  running or waiting per client (default %u)\n"
    "Links and headers:\n"
    "  --allowed-hosts LIST  hosts (host or host:port, comma-separated) whose Host header may go\n"
    "                      into absolute links without --public-url; other hosts get relative links\n"
    "                      (default: the listen address, localhost, 127.0.0.1, [::1])\n"
    "  --frame-ancestors SOURCES  CSP frame-ancestors of HTML pages, e.g.\n"
    "                      \"'self' https://a.example\" (default 'self')\n"
    "  --metrics-listen HOST:PORT  serve /metrics (with /healthz and /readyz) there instead of on\n"
    "                      --listen (default: on --listen)\n"
    "Stopping:\n"
    "  --drain-timeout S   on SIGTERM or SIGINT, time to answer the requests in flight before\n"
    "                      stopping (default %u)\n"
    "\n"
    "Signals: SIGHUP reloads the database and the styles without dropping requests (a broken\n"
    "file keeps the current ones serving); SIGTERM or SIGINT stop: /readyz turns 503, no new\n"
    "connection is taken, the requests received are answered, and the process exits 0.\n";

static void print_usage(void)
{
	printf(usage_text, HTTP_DEFAULT_MAX_CONNECTIONS, HTTP_DEFAULT_CLIENT_CONNECTIONS,
	       HTTP_DEFAULT_HEAD_TIMEOUT_S, HTTP_DEFAULT_IDLE_TIMEOUT_S, HTTP_DEFAULT_EXPENSIVE_QUEUE,
	       HTTP_DEFAULT_EXPENSIVE_PER_CLIENT, HTTP_DEFAULT_DRAIN_TIMEOUT_S);
}

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
	char listen[300];  /* --listen's copy, split in place into host and port */
	char metrics[300]; /* --metrics-listen's, the same way */
	unsigned drain_timeout_s;
	/* --trusted-proxy's and --allowed-hosts' lists (owned) */
	struct netaddr_set *trusted;
	struct netaddr_hosts *hosts;
};

/* Long-only options. */
enum {
	OPT_MAX_CONNECTIONS = 256,
	OPT_CLIENT_CONNECTIONS,
	OPT_HEAD_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_TRUSTED_PROXY,
	OPT_EXPENSIVE_WORKERS,
	OPT_EXPENSIVE_QUEUE,
	OPT_EXPENSIVE_PER_CLIENT,
	OPT_DRAIN_TIMEOUT,
	OPT_ALLOWED_HOSTS,
	OPT_FRAME_ANCESTORS,
	OPT_METRICS_LISTEN,
};

/* A CSP source list goes into a header: no separator of the policy
 * (';', ','), no control character, nothing outside ASCII. */
static bool csp_sources_ok(const char *s)
{
	if (!*s || strlen(s) > FRAME_ANCESTORS_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == ';' || *p == ',')
			return false;
	return true;
}

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

/* The options of the limits (admit.h, door.h, pool.h) and the drain: a
 * number into its field; EXIT_OK or the usage error's status. */
static int take_limit(int ch, const char *v, struct serve_options *o)
{
	static const struct {
		int id;
		const char *name;
		long min, max;
	} limits[] = {
	    {OPT_MAX_CONNECTIONS, "max-connections", 1, CONNECTIONS_MAX},
	    {OPT_CLIENT_CONNECTIONS, "max-client-connections", 1, CONNECTIONS_MAX},
	    {OPT_HEAD_TIMEOUT, "head-timeout", 1, TIMEOUT_MAX_S},
	    {OPT_IDLE_TIMEOUT, "idle-timeout", 1, TIMEOUT_MAX_S},
	    {OPT_EXPENSIVE_WORKERS, "expensive-workers", 1, WORKERS_MAX},
	    {OPT_EXPENSIVE_QUEUE, "expensive-queue", 1, QUEUE_MAX},
	    {OPT_EXPENSIVE_PER_CLIENT, "expensive-per-client", 1, QUEUE_MAX},
	    {OPT_DRAIN_TIMEOUT, "drain-timeout", 0, TIMEOUT_MAX_S},
	};
	unsigned *target[] = {&o->http.max_connections,      &o->http.max_client_connections,
	                      &o->http.head_timeout_s,       &o->http.idle_timeout_s,
	                      &o->http.expensive_workers,    &o->http.expensive_queue,
	                      &o->http.expensive_per_client, &o->drain_timeout_s};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		long n;
		if (limits[i].id != ch)
			continue;
		if (!number_ok(limits[i].name, v, limits[i].min, limits[i].max, &n))
			return EXIT_USAGE;
		*target[i] = (unsigned)n;
		return EXIT_OK;
	}
	return cli_usage_error("serve", "unknown option"); /* getopt's table and this one disagree */
}

/* The options of who a client is, links and headers; EXIT_OK or the
 * usage error's status. */
static int take_security_option(int ch, const char *v, struct serve_options *o)
{
	struct ms_error err = {0};
	switch (ch) {
	case OPT_TRUSTED_PROXY:
		netaddr_set_free(o->trusted);
		if (netaddr_set_parse(v, &o->trusted, &err) != MS_OK)
			return cli_usage_error("serve", "--trusted-proxy: %s", err.msg);
		o->http.trusted_proxies = o->trusted;
		return EXIT_OK;
	case OPT_ALLOWED_HOSTS:
		netaddr_hosts_free(o->hosts);
		if (netaddr_hosts_parse(v, &o->hosts, &err) != MS_OK)
			return cli_usage_error("serve", "--allowed-hosts: %s", err.msg);
		o->http.allowed_hosts = o->hosts;
		return EXIT_OK;
	case OPT_FRAME_ANCESTORS:
		if (!csp_sources_ok(v))
			return cli_usage_error(
			    "serve",
			    "--frame-ancestors: '%s' is not a CSP source list (no ';', ',' or "
			    "control characters; at most %d bytes)",
			    v, FRAME_ANCESTORS_MAX);
		o->http.frame_ancestors = v;
		return EXIT_OK;
	case OPT_METRICS_LISTEN:
		snprintf(o->metrics, sizeof o->metrics, "%s", v);
		if (!parse_listen(o->metrics, &o->http.metrics_host, &o->http.metrics_port))
			return cli_usage_error("serve", "--metrics-listen: '%s' is not HOST:PORT", v);
		return EXIT_OK;
	}
	return take_limit(ch, v, o);
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
		/* A single libmicrohttpd thread stalls under many keep-alive clients. */
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
	return take_security_option(ch, v, o);
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
	    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
	    {"max-client-connections", required_argument, NULL, OPT_CLIENT_CONNECTIONS},
	    {"head-timeout", required_argument, NULL, OPT_HEAD_TIMEOUT},
	    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
	    {"trusted-proxy", required_argument, NULL, OPT_TRUSTED_PROXY},
	    {"expensive-workers", required_argument, NULL, OPT_EXPENSIVE_WORKERS},
	    {"expensive-queue", required_argument, NULL, OPT_EXPENSIVE_QUEUE},
	    {"expensive-per-client", required_argument, NULL, OPT_EXPENSIVE_PER_CLIENT},
	    {"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
	    {"allowed-hosts", required_argument, NULL, OPT_ALLOWED_HOSTS},
	    {"frame-ancestors", required_argument, NULL, OPT_FRAME_ANCESTORS},
	    {"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
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
	o->drain_timeout_s = HTTP_DEFAULT_DRAIN_TIMEOUT_S;
	o->trusted = NULL;
	o->hosts = NULL;
	optind = 1;
	opterr = 0;
	int ch, rc;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			return print_usage(), -1;
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

/* Takes the signals of set until SIGINT or SIGTERM, and returns which;
 * SIGHUP reloads the data and the styles, keeping the current ones when
 * either is broken. */
static int serve_until_stopped(struct mapservice *maps, const sigset_t *set)
{
	for (;;) {
		int sig;
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			return sig;
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
	if (rc != EXIT_OK) {
		netaddr_set_free(o.trusted);
		netaddr_hosts_free(o.hosts);
		return rc < 0 ? EXIT_OK : rc;
	}
	struct ms_error err = {0};
	struct mapservice *maps = mapservice_new(&o.maps);
	struct http_server *srv = NULL;
	struct follow *follow = NULL;
	rc = EXIT_FAIL;
	/* Following starts first, so that nothing committed between the load
	 * and the follower's first version is missed (follow.h). */
	if (follow_start(o.maps.db_path, maps, &follow, &err) != MS_OK ||
	    mapservice_load(maps, &err) != MS_OK) {
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
	char db_name[STORE_REDACTED_MAX]; /* never a password in the log */
	store_redact(o.maps.db_path, db_name);
	printf("mapsvc serve: listening on http://%s%s%s:%u with %zu sites from %s\n", v6 ? "[" : "",
	       o.http.host, v6 ? "]" : "", http_server_port(srv), g->snap->n, db_name);
	if (o.http.metrics_host) {
		bool m6 = strchr(o.http.metrics_host, ':') != NULL;
		printf("mapsvc serve: metrics on http://%s%s%s:%u/metrics\n", m6 ? "[" : "",
		       o.http.metrics_host, m6 ? "]" : "", http_server_metrics_port(srv));
	}
	if (mapservice_tiles_from(g))
		printf("mapsvc serve: tiles from %s\n", mapservice_tiles_from(g));
	fflush(stdout);
	mapservice_release(g);
	int sig = serve_until_stopped(maps, &set);
	printf("mapsvc serve: %s: draining (at most %u s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
	       o.drain_timeout_s);
	fflush(stdout);
	struct http_drain_report rep;
	http_server_drain(srv, o.drain_timeout_s * MS_PER_S, &rep);
	printf("mapsvc serve: stopped after %llu ms: %u requests in flight, %u answered, %u refused (503), "
	       "%u cut, %u idle connections closed\n",
	       (unsigned long long)rep.ms, rep.in_flight, rep.answered, rep.refused, rep.cut,
	       rep.idle_closed);
	rc = EXIT_OK;
done:
	http_server_stop(srv);
	follow_stop(follow); /* before the service it installs into */
	mapservice_free(maps);
	netaddr_set_free(o.trusted);
	netaddr_hosts_free(o.hosts);
	return rc;
}

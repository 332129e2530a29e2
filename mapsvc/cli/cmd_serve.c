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
 * SIGUSR1 reopens the access log (logrotate renames the file, then
 * signals).
 *
 * Options come from one table (serve_opts): getopt's list, the
 * environment variables (MAPSVC_ and the option's name in capitals, '-'
 * as '_', derived from the table so that none is forgotten) and
 * --print-config's listing are all made from it.  The environment is read
 * first and the command line after it, so a flag wins.
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
#include "../http/accesslog.h"
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
    "                    [connection, expensive-request, link, header and logging options below]\n"
    "       mapsvc serve [OPTIONS] --print-config\n"
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
    "  --edit              take writes: OGC API - Features Part 4 on /collections/sites/items\n"
    "                      for holders of an edit key ('mapsvc keys'); without it every write\n"
    "                      answers 405 and the database is opened read-only (MAPSVC_EDIT=on)\n"
    "  --metrics-listen HOST:PORT  serve /metrics (with /healthz and /readyz) there instead of on\n"
    "                      --listen (default: on --listen)\n"
    "Stopping:\n"
    "  --drain-timeout S   on SIGTERM or SIGINT, time to answer the requests in flight before\n"
    "                      stopping (default %u)\n"
    "Logging:\n"
    "  --access-log FILE|-  one line per request to FILE (appended) or standard output (default:\n"
    "                      none); SIGUSR1 reopens FILE, for logrotate; a query value whose name\n"
    "                      looks like a key or token is written as REDACTED\n"
    "  --log-format combined|json  the combined log format plus duration and tile cache hit or\n"
    "                      miss, or one JSON object a line (default combined)\n"
    "\n"
    "Every option is also an environment variable: MAPSVC_ and its name in capitals, '-' as '_'\n"
    "(MAPSVC_LISTEN, MAPSVC_DB, MAPSVC_MAX_AGE, ...); a flag wins over the variable.\n"
    "  --print-config      print each option's effective value and where it came from (default,\n"
    "                      env or flag), and exit\n"
    "\n"
    "Signals: SIGHUP reloads the database and the styles without dropping requests (a broken\n"
    "file keeps the current ones serving); SIGTERM or SIGINT stop: /readyz turns 503, no new\n"
    "connection is taken, the requests received are answered, and the process exits 0;\n"
    "SIGUSR1 reopens the access log.\n";

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
	OPT_ACCESS_LOG,
	OPT_LOG_FORMAT,
	OPT_PRINT_CONFIG,
	OPT_EDIT,
};

/* Every option of serve that takes a value: its name, its getopt value,
 * and its default as --print-config shows it (NULL: none, or computed at
 * run time: default_text). */
static const struct serve_opt {
	const char *name;
	int id;
	const char *def;
} serve_opts[] = {
    {"db", 'd', NULL},
    {"listen", 'l', "127.0.0.1:" HTTP_STR(DEFAULT_PORT)},
    {"public-url", 'u', NULL},
    {"styles", 's', NULL},
    {"threads", 't', NULL},
    {"cache-mb", 'c', HTTP_STR(DEFAULT_CACHE_MB)},
    {"max-zoom", 'z', HTTP_STR(DEFAULT_MAX_ZOOM)},
    {"max-age", 'm', HTTP_STR(HTTP_TILE_MAX_AGE)},
    {"cors", 'o', "*"},
    {"basemap", 'B', NULL},
    {"basemap-attribution", 'A', NULL},
    {"basemap-crs", 'C', "wgs84"},
    {"max-connections", OPT_MAX_CONNECTIONS, HTTP_STR(HTTP_DEFAULT_MAX_CONNECTIONS)},
    {"max-client-connections", OPT_CLIENT_CONNECTIONS, HTTP_STR(HTTP_DEFAULT_CLIENT_CONNECTIONS)},
    {"head-timeout", OPT_HEAD_TIMEOUT, HTTP_STR(HTTP_DEFAULT_HEAD_TIMEOUT_S)},
    {"idle-timeout", OPT_IDLE_TIMEOUT, HTTP_STR(HTTP_DEFAULT_IDLE_TIMEOUT_S)},
    {"trusted-proxy", OPT_TRUSTED_PROXY, NULL},
    {"expensive-workers", OPT_EXPENSIVE_WORKERS, NULL},
    {"expensive-queue", OPT_EXPENSIVE_QUEUE, HTTP_STR(HTTP_DEFAULT_EXPENSIVE_QUEUE)},
    {"expensive-per-client", OPT_EXPENSIVE_PER_CLIENT, HTTP_STR(HTTP_DEFAULT_EXPENSIVE_PER_CLIENT)},
    {"drain-timeout", OPT_DRAIN_TIMEOUT, HTTP_STR(HTTP_DEFAULT_DRAIN_TIMEOUT_S)},
    {"allowed-hosts", OPT_ALLOWED_HOSTS, NULL},
    {"frame-ancestors", OPT_FRAME_ANCESTORS, "'self'"},
    {"metrics-listen", OPT_METRICS_LISTEN, NULL},
    {"access-log", OPT_ACCESS_LOG, NULL},
    {"log-format", OPT_LOG_FORMAT, "combined"},
    {"tiles-from", 'T', NULL},
    {"edit", OPT_EDIT, "off"}, /* a flag: --edit; MAPSVC_EDIT=on|off */
};
#define SERVE_NOPTS (sizeof serve_opts / sizeof serve_opts[0])
/* The prefix of the options' environment variables. */
#define ENV_PREFIX "MAPSVC_"
#define ENV_NAME_MAX 64

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
	const char *access_log; /* path or "-", or NULL */
	enum http_log_format log_format;
	bool print_config;
	bool edit; /* --edit: take writes (OGC API - Features Part 4) */
	/* Where each option of serve_opts got its value: its text and origin. */
	const char *given[SERVE_NOPTS];
	enum origin { ORIGIN_DEFAULT, ORIGIN_ENV, ORIGIN_FLAG } origin[SERVE_NOPTS];
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
	case OPT_ACCESS_LOG:
		if (!*v)
			return cli_usage_error("serve",
			                       "--access-log: needs a file name, or - for standard output");
		o->access_log = v;
		return EXIT_OK;
	case OPT_LOG_FORMAT:
		if (!http_log_format_parse(v, &o->log_format))
			return cli_usage_error("serve", "--log-format: '%s' is not combined or json", v);
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
	case OPT_EDIT:
		if (strcmp(v, "on") && strcmp(v, "off"))
			return cli_usage_error("serve", "--edit: '%s' is not on or off", v);
		o->edit = !strcmp(v, "on");
		return EXIT_OK;
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

/* The environment variable of option opt: MAPSVC_MAX_AGE for max-age. */
static void env_name(const struct serve_opt *opt, char out[ENV_NAME_MAX])
{
	size_t n = (size_t)snprintf(out, ENV_NAME_MAX, "%s", ENV_PREFIX);
	for (const char *p = opt->name; *p && n + 1 < ENV_NAME_MAX; p++)
		out[n++] = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - ('a' - 'A') : *p);
	out[n] = '\0';
}

static void set_defaults(struct serve_options *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	memset(o, 0, sizeof *o);
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
	o->log_format = HTTP_LOG_COMBINED;
}

/* Takes opt's value v from origin into o; EXIT_OK or the usage error's
 * status (which says, for a variable, which one it was). */
static int take_from(const struct serve_opt *opt, const char *v, enum origin origin, struct serve_options *o)
{
	int rc = take_option(opt->id, v, o);
	if (rc != EXIT_OK && origin == ORIGIN_ENV) {
		char env[ENV_NAME_MAX];
		env_name(opt, env);
		fprintf(stderr, "mapsvc serve: (that value came from the environment variable %s)\n", env);
	}
	size_t i = (size_t)(opt - serve_opts);
	o->given[i] = v;
	o->origin[i] = origin;
	return rc;
}

/* Every option's variable that is set; EXIT_OK or a usage error's status. */
static int parse_environment(struct serve_options *o)
{
	for (size_t i = 0; i < SERVE_NOPTS; i++) {
		char env[ENV_NAME_MAX];
		env_name(&serve_opts[i], env);
		const char *v = getenv(env);
		int rc = v ? take_from(&serve_opts[i], v, ORIGIN_ENV, o) : EXIT_OK;
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

/* The command line into o, after the environment.  EXIT_OK to serve, -1
 * after --help, else the usage error's status. */
static int parse_options(int argc, char **argv, struct serve_options *o)
{
	static struct option opts[SERVE_NOPTS + 3];
	for (size_t i = 0; i < SERVE_NOPTS; i++)
		opts[i] = (struct option){serve_opts[i].name,
		                          serve_opts[i].id == OPT_EDIT ? no_argument : required_argument,
		                          NULL, serve_opts[i].id};
	opts[SERVE_NOPTS] = (struct option){"print-config", no_argument, NULL, OPT_PRINT_CONFIG};
	opts[SERVE_NOPTS + 1] = (struct option){"help", no_argument, NULL, 'h'};
	opts[SERVE_NOPTS + 2] = (struct option){NULL, 0, NULL, 0};
	set_defaults(o);
	int ch, rc, at;
	if ((rc = parse_environment(o)) != EXIT_OK)
		return rc;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, &at)) != -1) {
		if (ch == 'h')
			return print_usage(), -1;
		if (ch == ':')
			return cli_usage_error("serve", "%s needs a value", argv[optind - 1]);
		if (ch == '?')
			return cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
		if (ch == OPT_PRINT_CONFIG) {
			o->print_config = true;
			continue;
		}
		if (ch == OPT_EDIT)
			optarg = "on";
		if ((rc = take_from(&serve_opts[at], optarg, ORIGIN_FLAG, o)) != EXIT_OK)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

/* An option's default as --print-config shows it. */
static const char *default_text(const struct serve_opt *opt, const struct serve_options *o, char *tmp,
                                size_t size)
{
	switch (opt->id) {
	case 'd': return cli_default_db();
	case 's': return cli_default_styles();
	case 't': snprintf(tmp, size, "%u", o->http.threads); return tmp;
	case OPT_EXPENSIVE_WORKERS: return "(the number of cores minus one, at least 1)";
	}
	return opt->def ? opt->def : "(none)";
}

/* --print-config: one line an option, "NAME ORIGIN VALUE", in the
 * table's order. */
static void print_config(const struct serve_options *o)
{
	printf("# mapsvc serve: effective configuration (option, origin, value); flags win over the "
	       "environment\n");
	for (size_t i = 0; i < SERVE_NOPTS; i++) {
		char env[ENV_NAME_MAX], tmp[32], origin[ENV_NAME_MAX + 8];
		env_name(&serve_opts[i], env);
		if (o->origin[i] == ORIGIN_ENV)
			snprintf(origin, sizeof origin, "env:%s", env);
		else
			snprintf(origin, sizeof origin, "%s",
			         o->origin[i] == ORIGIN_FLAG ? "flag" : "default");
		const char *v = o->origin[i] == ORIGIN_DEFAULT
		                    ? default_text(&serve_opts[i], o, tmp, sizeof tmp)
		                    : o->given[i];
		printf("%-24s %-32s %s\n", serve_opts[i].name, origin, v);
	}
}

/* Blocks the signals serve_until_stopped takes, which set then holds.
 * Called before any thread starts (the follower, the load's build
 * threads and those working after it: the name index, the glyphs drawn
 * ahead), as every thread inherits the mask: the signals then reach only
 * the sigwait.  A thread that did not block them took a SIGHUP sent
 * while it ran, and its default action ended the process.  One that
 * comes during the load waits for it. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

/* Takes the signals of set until SIGINT or SIGTERM, and returns which;
 * SIGHUP reloads the data and the styles, keeping the current ones when
 * either is broken (with edits, once every change is live: editor.h);
 * SIGUSR1 reopens the access log (log may be NULL). */
static int serve_until_stopped(struct mapservice *maps, struct editor *ed, struct http_log *log,
                               const sigset_t *set)
{
	for (;;) {
		int sig;
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGUSR1) {
			if (log)
				http_log_reopen(log);
			continue;
		}
		if (sig != SIGHUP)
			return sig;
		struct ms_error err = {0};
		/* with edits, once every change is live (editor.h) */
		if ((ed ? editor_reload(ed, &err) : mapservice_load(maps, &err)) != MS_OK) {
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

/* The start-up lines: where it listens, with what, and from where. */
static void announce(const struct serve_options *o, struct http_server *srv, struct mapservice *maps,
                     bool editing)
{
	struct mapservice_gen *g = mapservice_acquire(maps);
	bool v6 = strchr(o->http.host, ':') != NULL;
	char db_name[STORE_REDACTED_MAX]; /* never a password in the log */
	store_redact(o->maps.db_path, db_name);
	printf("mapsvc serve: listening on http://%s%s%s:%u with %zu sites from %s%s\n", v6 ? "[" : "",
	       o->http.host, v6 ? "]" : "", http_server_port(srv), g->snap->n, db_name,
	       editing ? " (editing with keys)" : "");
	if (o->http.metrics_host) {
		bool m6 = strchr(o->http.metrics_host, ':') != NULL;
		printf("mapsvc serve: metrics on http://%s%s%s:%u/metrics\n", m6 ? "[" : "",
		       o->http.metrics_host, m6 ? "]" : "", http_server_metrics_port(srv));
	}
	if (mapservice_tiles_from(g))
		printf("mapsvc serve: tiles from %s\n", mapservice_tiles_from(g));
	fflush(stdout);
	mapservice_release(g);
}

int cmd_serve(int argc, char **argv)
{
	struct serve_options o;
	int rc = parse_options(argc, argv, &o);
	if (rc != EXIT_OK || o.print_config) {
		if (rc == EXIT_OK)
			print_config(&o);
		netaddr_set_free(o.trusted);
		netaddr_hosts_free(o.hosts);
		return rc < 0 ? EXIT_OK : rc;
	}
	sigset_t set;
	block_signals(&set);
	struct ms_error err = {0};
	struct mapservice *maps = mapservice_new(&o.maps);
	struct http_server *srv = NULL;
	struct http_log *log = NULL;
	struct editor *ed = NULL;
	struct follow *follow = NULL;
	rc = EXIT_FAIL;
	/* Following starts first, so that nothing committed between the load
	 * and the follower's first version is missed (follow.h). */
	if (follow_start(o.maps.db_path, maps, &follow, &err) != MS_OK ||
	    mapservice_load(maps, &err) != MS_OK) {
		fprintf(stderr, "mapsvc serve: %s\n", err.msg);
		goto done;
	}
	/* Without --edit the database is only ever opened read-only. */
	struct editor_config ec = {o.maps.db_path, maps};
	if (o.edit && editor_new(&ec, &ed, &err) != MS_OK) {
		fprintf(stderr, "mapsvc serve: --edit: %s\n", err.msg);
		goto done;
	}
	/* A client that hangs up mid-answer must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	/* The log's writer is a thread too: it must not take a signal. */
	if (o.access_log && http_log_open(o.access_log, o.log_format, 0, &log, &err) != MS_OK) {
		fprintf(stderr, "mapsvc serve: %s\n", err.msg);
		goto done;
	}
	o.http.maps = maps;
	o.http.access_log = log;
	o.http.version = MAPSVC_VERSION;
	o.http.editor = ed;
	if (!(srv = http_server_start(&o.http, &err))) {
		fprintf(stderr, "mapsvc serve: %s\n", err.msg);
		goto done;
	}
	/* a context for each thread, ready before its first crowded tile */
	mapservice_warm(maps, o.http.threads);
	announce(&o, srv, maps, ed != NULL);
	int sig = serve_until_stopped(maps, ed, log, &set);
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
	http_log_close(log); /* after the server: no request writes any more */
	follow_stop(follow); /* before the editor that waits for it and the service it installs into */
	editor_free(ed);
	mapservice_free(maps);
	netaddr_set_free(o.trusted);
	netaddr_hosts_free(o.hosts);
	return rc;
}

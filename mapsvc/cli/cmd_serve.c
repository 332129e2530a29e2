/*
 * cmd_serve.c - `mapsvc serve`: load the database into a snapshot, run the
 * HTTP server until SIGINT or SIGTERM, and reload the data on SIGHUP.
 *
 * Signals are blocked before the server's threads start (they inherit the
 * mask) and taken synchronously here with sigwait, so no work happens in
 * a signal handler and a reload runs on this thread while requests go on.
 * SIGINT and SIGTERM stop gracefully: the server drains (http.h) - it
 * turns unready, stops accepting, answers what it has received within
 * --drain-timeout - and then the process exits 0.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../http/http.h"
#include "cli.h"

static const char usage_text[] =
	"usage: mapsvc serve [--db FILE] [--listen HOST:PORT] [--public-url URL] [--styles DIR]\n"
	"                    [--threads N] [--cache-mb N] [--max-zoom N] [--max-age S] [--cors ORIGIN]\n"
	"                    [--basemap URL [--basemap-attribution TEXT] [--basemap-crs wgs84|gcj02]]\n"
	"                    [connection, expensive-request, link and header options below]\n"
	"\n"
	"Serves map tiles, OGC API - Features and nearest-site search over HTTP.\n"
	"\n"
	"  --db FILE          SpatiaLite database (default: the bundled dataset)\n"
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
	"\n"
	"Connections:\n"
	"  --max-connections N         connections open at once (default "
	HTTP_STR(HTTP_DEFAULT_MAX_CONNECTIONS) ");\n"
	"                              near it, idle keep-alive connections are closed first\n"
	"  --max-client-connections N  per client address, an IPv6 /64 counting as one (default "
	HTTP_STR(HTTP_DEFAULT_CLIENT_CONNECTIONS) ")\n"
	"  --head-timeout S    each request head must be complete within S seconds of the accept or of\n"
	"                      the previous answer, however slowly it comes (default "
	HTTP_STR(HTTP_DEFAULT_HEAD_TIMEOUT_S) ")\n"
	"  --idle-timeout S    a connection with no byte moving for S seconds is closed (default "
	HTTP_STR(HTTP_DEFAULT_IDLE_TIMEOUT_S) ")\n"
	"  --trusted-proxy LIST  addresses or CIDR blocks (comma-separated) of proxies whose\n"
	"                      X-Forwarded-For is believed and whose connections are not counted per\n"
	"                      client (default: none)\n"
	"Expensive requests (static maps, PDF route sheets) run on their own threads, at a lower\n"
	"priority:\n"
	"  --expensive-workers N   threads (default: the number of cores minus one, at least 1)\n"
	"  --expensive-queue N     requests that may wait for one; more get 503 (default "
	HTTP_STR(HTTP_DEFAULT_EXPENSIVE_QUEUE) ")\n"
	"  --expensive-per-client N  running or waiting per client (default "
	HTTP_STR(HTTP_DEFAULT_EXPENSIVE_PER_CLIENT) ")\n"
	"Links and headers:\n"
	"  --allowed-hosts LIST  hosts (host or host:port, comma-separated) whose Host header may go\n"
	"                      into absolute links without --public-url; other hosts get relative links\n"
	"                      (default: the listen address, localhost, 127.0.0.1, [::1])\n"
	"  --frame-ancestors SOURCES  CSP frame-ancestors of HTML pages, e.g.\n"
	"                      \"'self' https://a.example\"\n"
	"                      (default 'self')\n"
	"  --metrics-listen HOST:PORT  serve /metrics (with /healthz and /readyz) there instead of on\n"
	"                      --listen (default: on --listen)\n"
	"Stopping:\n"
	"  --drain-timeout S   on SIGTERM or SIGINT, time to answer the requests in flight before\n"
	"                      stopping (default " HTTP_STR(HTTP_DEFAULT_DRAIN_TIMEOUT_S) ")\n"
	"\n"
	"Signals: SIGHUP reloads the database without dropping requests; SIGTERM or SIGINT stop:\n"
	"/readyz turns 503, no new connection is taken, the requests received are answered, and the\n"
	"process exits 0.\n";

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
};

/* Bounds of the numeric options. */
#define CONNECTIONS_MAX 1000000
#define TIMEOUT_MAX_S 3600
#define WORKERS_MAX 256
#define QUEUE_MAX 10000
#define FRAME_ANCESTORS_MAX 1000

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

/* The numeric options of the limits: name and range. */
struct numeric_option {
	int id;
	const char *name;
	long min, max;
};
static const struct numeric_option numeric_options[] = {
	{OPT_MAX_CONNECTIONS, "max-connections", 1, CONNECTIONS_MAX},
	{OPT_CLIENT_CONNECTIONS, "max-client-connections", 1, CONNECTIONS_MAX},
	{OPT_HEAD_TIMEOUT, "head-timeout", 1, TIMEOUT_MAX_S},
	{OPT_IDLE_TIMEOUT, "idle-timeout", 1, TIMEOUT_MAX_S},
	{OPT_EXPENSIVE_WORKERS, "expensive-workers", 1, WORKERS_MAX},
	{OPT_EXPENSIVE_QUEUE, "expensive-queue", 1, QUEUE_MAX},
	{OPT_EXPENSIVE_PER_CLIENT, "expensive-per-client", 1, QUEUE_MAX},
	{OPT_DRAIN_TIMEOUT, "drain-timeout", 0, TIMEOUT_MAX_S},
};

static const struct numeric_option *numeric_option(int id)
{
	size_t i = 0;
	while (i + 1 < sizeof numeric_options / sizeof numeric_options[0] && numeric_options[i].id != id)
		i++;
	return &numeric_options[i];
}

/* Where a numeric option's value goes. */
static unsigned *numeric_target(struct http_config *cfg, unsigned *drain_timeout_s, int id)
{
	switch (id) {
	case OPT_MAX_CONNECTIONS: return &cfg->max_connections;
	case OPT_CLIENT_CONNECTIONS: return &cfg->max_client_connections;
	case OPT_HEAD_TIMEOUT: return &cfg->head_timeout_s;
	case OPT_IDLE_TIMEOUT: return &cfg->idle_timeout_s;
	case OPT_EXPENSIVE_WORKERS: return &cfg->expensive_workers;
	case OPT_EXPENSIVE_QUEUE: return &cfg->expensive_queue;
	case OPT_EXPENSIVE_PER_CLIENT: return &cfg->expensive_per_client;
	default: return drain_timeout_s;
	}
}

/* The lists options parse into: file-scope, so that a usage error
 * returning early leaves them reachable, not leaked. */
static struct netaddr_set *trusted;
static struct netaddr_hosts *hosts;

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},	    {"listen", required_argument, NULL, 'l'},
		{"public-url", required_argument, NULL, 'u'}, {"styles", required_argument, NULL, 's'},
		{"threads", required_argument, NULL, 't'},    {"cache-mb", required_argument, NULL, 'c'},
		{"max-zoom", required_argument, NULL, 'z'},   {"cors", required_argument, NULL, 'o'},
		{"basemap", required_argument, NULL, 'B'},   {"basemap-attribution", required_argument, NULL, 'A'},
		{"basemap-crs", required_argument, NULL, 'C'}, {"max-age", required_argument, NULL, 'm'},
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
		{"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct http_config cfg = {
		.host = "127.0.0.1",
		.port = 8080,
		.db_path = cli_default_db(),
		.styles_dir = cli_default_styles(),
		.threads = ncpu > 2 ? (unsigned)ncpu : 2,
		.cache_mb = 64,
		.max_zoom = 20,
		.cors = "*",
	};
	unsigned drain_timeout_s = HTTP_DEFAULT_DRAIN_TIMEOUT_S;
	char listen_buf[300], metrics_buf[300];
	struct ms_error err = {0};
	long v;
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': cfg.db_path = optarg; break;
		case 'l':
			snprintf(listen_buf, sizeof listen_buf, "%s", optarg);
			if (!parse_listen(listen_buf, &cfg.host, &cfg.port))
				return cli_usage_error("serve", "--listen: '%s' is not HOST:PORT", optarg);
			break;
		case 'u':
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
				return cli_usage_error("serve", "--public-url: '%s' is not an http(s) URL", optarg);
			if (strlen(optarg) > 200)
				return cli_usage_error("serve", "--public-url: longer than 200 characters");
			cfg.public_url = optarg;
			break;
		case 's': cfg.styles_dir = optarg; break;
		case 't':
			if (!cli_parse_int(optarg, 1, 256, &v))
				return cli_usage_error("serve", "--threads: '%s' is not a number in 1..256", optarg);
			/* A single libmicrohttpd thread stalls under many keep-alive clients. */
			cfg.threads = v < 2 ? 2 : (unsigned)v;
			break;
		case 'c':
			if (!cli_parse_int(optarg, 0, 1 << 20, &v))
				return cli_usage_error("serve", "--cache-mb: '%s' is not a number in 0..1048576", optarg);
			cfg.cache_mb = (unsigned)v;
			break;
		case 'z':
			if (!cli_parse_int(optarg, 0, 24, &v))
				return cli_usage_error("serve", "--max-zoom: '%s' is not a number in 0..24", optarg);
			cfg.max_zoom = (unsigned)v;
			break;
		case 'm':
			if (!cli_parse_int(optarg, 1, 31536000, &v))
				return cli_usage_error("serve", "--max-age: '%s' is not a number of seconds in 1..31536000",
						       optarg);
			cfg.tile_max_age = (unsigned)v;
			break;
		case 'o': cfg.cors = *optarg ? optarg : NULL; break;
		case 'B':
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
				return cli_usage_error("serve", "--basemap: '%s' is not an http(s) URL", optarg);
			if (!strstr(optarg, "{z}") || !strstr(optarg, "{x}") || !strstr(optarg, "{y}"))
				return cli_usage_error("serve", "--basemap: '%s' lacks {z}, {x} or {y}", optarg);
			if (strlen(optarg) > 1000)
				return cli_usage_error("serve", "--basemap: longer than 1000 characters");
			cfg.basemap_url = optarg;
			break;
		case 'A':
			if (strlen(optarg) > 1000)
				return cli_usage_error("serve", "--basemap-attribution: longer than 1000 characters");
			cfg.basemap_attribution = optarg;
			break;
		case 'C':
			if (strcmp(optarg, "wgs84") && strcmp(optarg, "gcj02"))
				return cli_usage_error("serve", "--basemap-crs: '%s' is not wgs84 or gcj02", optarg);
			cfg.basemap_gcj02 = !strcmp(optarg, "gcj02");
			break;
		case OPT_MAX_CONNECTIONS:
		case OPT_CLIENT_CONNECTIONS:
		case OPT_HEAD_TIMEOUT:
		case OPT_IDLE_TIMEOUT:
		case OPT_EXPENSIVE_WORKERS:
		case OPT_EXPENSIVE_QUEUE:
		case OPT_EXPENSIVE_PER_CLIENT:
		case OPT_DRAIN_TIMEOUT: {
			const struct numeric_option *no = numeric_option(ch);
			if (!cli_parse_int(optarg, no->min, no->max, &v))
				return cli_usage_error("serve", "--%s: '%s' is not a number in %ld..%ld", no->name,
						       optarg, no->min, no->max);
			*numeric_target(&cfg, &drain_timeout_s, ch) = (unsigned)v;
			break;
		}
		case OPT_TRUSTED_PROXY:
			netaddr_set_free(trusted);
			if (netaddr_set_parse(optarg, &trusted, &err) != MS_OK)
				return cli_usage_error("serve", "--trusted-proxy: %s", err.msg);
			cfg.trusted_proxies = trusted;
			break;
		case OPT_ALLOWED_HOSTS:
			netaddr_hosts_free(hosts);
			if (netaddr_hosts_parse(optarg, &hosts, &err) != MS_OK)
				return cli_usage_error("serve", "--allowed-hosts: %s", err.msg);
			cfg.allowed_hosts = hosts;
			break;
		case OPT_FRAME_ANCESTORS:
			if (!csp_sources_ok(optarg))
				return cli_usage_error("serve",
						       "--frame-ancestors: '%s' is not a CSP source list (no ';', ',' or "
						       "control characters; at most %d bytes)",
						       optarg, FRAME_ANCESTORS_MAX);
			cfg.frame_ancestors = optarg;
			break;
		case OPT_METRICS_LISTEN:
			snprintf(metrics_buf, sizeof metrics_buf, "%s", optarg);
			if (!parse_listen(metrics_buf, &cfg.metrics_host, &cfg.metrics_port))
				return cli_usage_error("serve", "--metrics-listen: '%s' is not HOST:PORT", optarg);
			break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':': return cli_usage_error("serve", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);

	struct snapshot *snap = snapshot_load(cfg.db_path, &err);
	if (!snap) {
		fprintf(stderr, "mapsvc serve: %s\n", err.msg);
		return EXIT_FAIL;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* A client that hangs up mid-answer must not kill the process. */
	signal(SIGPIPE, SIG_IGN);

	struct http_server *srv = http_server_start(&cfg, snap, &err);
	size_t nsites = snap->n;
	snapshot_release(snap); /* the server holds its own reference */
	if (!srv) {
		fprintf(stderr, "mapsvc serve: %s\n", err.msg);
		return EXIT_FAIL;
	}
	printf("mapsvc serve: listening on http://%s%s%s:%u with %zu sites from %s\n", strchr(cfg.host, ':') ? "[" : "",
	       cfg.host, strchr(cfg.host, ':') ? "]" : "", http_server_port(srv), nsites, cfg.db_path);
	if (cfg.metrics_host)
		printf("mapsvc serve: metrics on http://%s%s%s:%u/metrics\n", strchr(cfg.metrics_host, ':') ? "[" : "",
		       cfg.metrics_host, strchr(cfg.metrics_host, ':') ? "]" : "", http_server_metrics_port(srv));
	fflush(stdout);

	int sig = 0;
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		struct snapshot *fresh = snapshot_load(cfg.db_path, &err);
		if (!fresh) {
			/* Keep serving the old data: a bad file must not take the service down. */
			fprintf(stderr, "mapsvc serve: reload failed, keeping the current data: %s\n", err.msg);
			continue;
		}
		http_server_set_snapshot(srv, fresh);
		printf("mapsvc serve: reloaded %zu sites (version %016llx)\n", fresh->n,
		       (unsigned long long)fresh->version);
		fflush(stdout);
		snapshot_release(fresh);
	}
	printf("mapsvc serve: %s: draining (at most %u s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM", drain_timeout_s);
	fflush(stdout);
	struct http_drain_report rep;
	http_server_drain(srv, drain_timeout_s * 1000u, &rep);
	http_server_stop(srv);
	netaddr_set_free(trusted);
	netaddr_hosts_free(hosts);
	printf("mapsvc serve: stopped after %llu ms: %u requests in flight, %u answered, %u refused (503), "
	       "%u cut, %u idle connections closed\n",
	       (unsigned long long)rep.ms, rep.in_flight, rep.answered, rep.refused, rep.cut, rep.idle_closed);
	return EXIT_OK;
}

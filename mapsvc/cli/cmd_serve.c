/*
 * cmd_serve.c - `mapsvc serve`: load the database into a snapshot, run the
 * HTTP server until SIGINT or SIGTERM, and reload the data on SIGHUP.
 *
 * Signals are blocked before the server's threads start (they inherit the
 * mask) and taken synchronously here with sigwait, so no work happens in
 * a signal handler and a reload runs on this thread while requests go on.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../http/http.h"
#include "../render/tile.h"
#include "../styleset/styleset.h"
#include "../util/mem.h"
#include "cli.h"

static const char usage_text[] =
	"usage: mapsvc serve [--db FILE] [--listen HOST:PORT] [--public-url URL] [--styles DIR]\n"
	"                    [--threads N] [--cache-mb N] [--max-zoom N] [--max-age S] [--cors ORIGIN]\n"
	"                    [--basemap URL [--basemap-attribution TEXT] [--basemap-crs wgs84|gcj02]]\n"
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
	"\n"
	"Signals: SIGHUP reloads the database without dropping requests; SIGINT or SIGTERM stop.\n";

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

/* The database as a snapshot, with the cluster hierarchies of the styles
 * folder's styles built alongside its indexes, so that neither the first
 * request nor the first after a reload waits for one.  A folder that does
 * not load leaves them to the tile map (built on first use); the server
 * reports a broken folder at start-up itself. */
static struct snapshot *load_snapshot(const struct http_config *cfg, struct ms_error *err)
{
	struct styleset *set = NULL;
	struct ms_error style_err = {0};
	struct snapshot_opts o = {NULL, 0};
	struct cluster_params *params = NULL;
	if (styleset_load_dir(cfg->styles_dir, &set, &style_err) == MS_OK) {
		size_t n = 0;
		const struct style *styles = styleset_styles(set, &n);
		params = xcalloc(n ? n : 1, sizeof *params);
		size_t k = tile_styles_cluster_params(styles, n, params);
		/* more distinct sets than a snapshot builds: the rest on first use */
		o = (struct snapshot_opts){params, k < SNAPSHOT_MAX_CLUSTERS ? k : SNAPSHOT_MAX_CLUSTERS};
	}
	struct snapshot *snap = snapshot_load_with(cfg->db_path, &o, err);
	free(params);
	styleset_free(set);
	return snap;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},	    {"listen", required_argument, NULL, 'l'},
		{"public-url", required_argument, NULL, 'u'}, {"styles", required_argument, NULL, 's'},
		{"threads", required_argument, NULL, 't'},    {"cache-mb", required_argument, NULL, 'c'},
		{"max-zoom", required_argument, NULL, 'z'},   {"cors", required_argument, NULL, 'o'},
		{"basemap", required_argument, NULL, 'B'},   {"basemap-attribution", required_argument, NULL, 'A'},
		{"basemap-crs", required_argument, NULL, 'C'}, {"max-age", required_argument, NULL, 'm'},
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
	char listen_buf[300];
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
			/* A single epoll thread stalls under many keep-alive clients. */
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
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':': return cli_usage_error("serve", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);

	struct ms_error err = {0};
	struct snapshot *snap = load_snapshot(&cfg, &err);
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
	fflush(stdout);

	for (;;) {
		int sig;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		struct snapshot *fresh = load_snapshot(&cfg, &err);
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
	http_server_stop(srv);
	printf("mapsvc serve: stopped\n");
	return EXIT_OK;
}

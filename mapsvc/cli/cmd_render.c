/*
 * cmd_render.c - `mapsvc render`: one tile to a PNG file, the very bytes
 * GET /tiles/{style}/{z}/{x}/{y}[@2x].png answers with: both ask the map
 * service (mapservice_tile), so layout, renderer, encoder and the shared
 * empty tile are the same.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/webmerc.h"
#include "../mapservice/mapservice.h"
#include "../util/numparse.h"
#include "cli.h"

static const char usage_text[] =
    "usage: mapsvc render [--db FILE] [--styles DIR] [--style NAME] [--scale 1|2]\n"
    "                     [--coordsys wgs84|gcj02] Z/X/Y -o FILE.png\n"
    "\n"
    "Renders one XYZ tile (y = 0 at the north) of the sites overlay to a PNG file,\n"
    "byte for byte what GET /tiles/NAME/Z/X/Y.png serves.\n"
    "\n"
    "  --db FILE        SpatiaLite database (default: the bundled dataset)\n"
    "  --styles DIR     folder of style files (default: the bundled styles)\n"
    "  --style NAME     style file NAME.json in it (default: default)\n"
    "  --scale 1|2      2 draws a 512 px @2x tile (default 1)\n"
    "  --coordsys CS    wgs84, or gcj02 to align with AMap/Tencent basemaps (default wgs84)\n"
    "  -o FILE          where to write the PNG (- for standard output)\n";

/* "Z/X/Y", each part an integer of util/numparse.h's grammar, and the
 * tile in the grid. */
static bool parse_address(const char *s, int *z, long long *x, long long *y)
{
	long long part[3];
	for (int i = 0; i < 3; i++) {
		size_t n = strcspn(s, "/");
		if ((s[n] == '/') != (i < 2) ||
		    ms_parse_int(s, n, 0, (1LL << WEBMERC_MAX_ZOOM) - 1, &part[i]))
			return false;
		s += n + (i < 2);
	}
	if (part[0] > WEBMERC_MAX_ZOOM)
		return false;
	*z = (int)part[0];
	*x = part[1];
	*y = part[2];
	return webmerc_tile_valid(*z, *x, *y, WEBMERC_MAX_ZOOM);
}

int cmd_render(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},       {"styles", required_argument, NULL, 'S'},
	    {"style", required_argument, NULL, 's'},    {"scale", required_argument, NULL, 'x'},
	    {"coordsys", required_argument, NULL, 'c'}, {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	const char *db = cli_default_db(), *styles_dir = cli_default_styles(), *style_name = "default";
	const char *out = NULL, *addr = NULL;
	enum coordsys cs = COORDSYS_WGS84;
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
				return cli_usage_error("render", "--scale: '%s' is not 1 or 2", optarg);
			break;
		case 'c': {
			int c = coordsys_parse(optarg);
			if (c != COORDSYS_WGS84 && c != COORDSYS_GCJ02)
				return cli_usage_error("render", "--coordsys: '%s' is not wgs84 or gcj02",
				                       optarg);
			cs = (enum coordsys)c;
			break;
		}
		case 'o': out = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':': return cli_usage_error("render", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("render", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		addr = argv[optind++];
	if (optind < argc)
		return cli_usage_error("render", "unexpected argument '%s'", argv[optind]);
	if (!addr)
		return cli_usage_error("render", "which tile? give Z/X/Y");
	int z;
	long long x, y;
	if (!parse_address(addr, &z, &x, &y))
		return cli_usage_error("render",
		                       "'%s' is not a tile Z/X/Y with 0 <= Z <= %d and 0 <= X, Y < 2^Z", addr,
		                       WEBMERC_MAX_ZOOM);
	if (!out)
		return cli_usage_error("render", "-o FILE.png is required");

	struct cli_map cm;
	int rc = cli_map_open("render", db, styles_dir, style_name, &cm);
	if (rc != EXIT_OK)
		return rc;
	/* The tile as GET /tiles answers it: the service's bytes. */
	const struct mapservice_tile t = {cm.style, cs, z, x, y, (int)scale, NULL, NULL, NULL};
	struct tcache_blob *blob = NULL;
	uint64_t tag;
	struct ms_error err = {0};
	if (mapservice_tile(cm.maps, cm.gen, &t, &blob, &tag, &err) == MS_OK) {
		struct buf png = BUF_INIT;
		buf_append(&png, blob->data, blob->len);
		rc = cli_write_file("render", out, &png);
		buf_free(&png);
		tcache_blob_release(blob);
	} else {
		fprintf(stderr, "mapsvc render: %s\n", err.msg);
		rc = EXIT_FAIL;
	}
	cli_map_close(&cm);
	return rc;
}

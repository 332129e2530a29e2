/* main.c - mapsvc's entry point: command dispatch only. */
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__ /* defined by the headers above */
#include <malloc.h>
#endif

#include "cli/cli.h"
#include "util/mem.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
    /* one line per implemented subcommand, in DESIGN.md's order */
    {"import", cmd_import, "load sites from CSV or GeoJSON into the database"},
    {"serve", cmd_serve, "serve tiles, OGC API - Features and nearest search over HTTP"},
    {"render", cmd_render, "render one map tile to a PNG file"},
    {"nearest", cmd_nearest, "print the sites nearest a point as GeoJSON"},
    {"route", cmd_route, "write a tour guide's route sheet (GeoJSON, GPX, HTML or PDF)"},
    {"seed", cmd_seed, "pre-render the tiles of a zoom range and box into an MBTiles file"},
    {"export", cmd_export, "write every site with every column as CSV or GeoJSON (import reads it back)"},
    {"health", cmd_health, "exit 0 only if a running server answers ready (for HEALTHCHECK)"},
    {"keys", cmd_keys, "add, list or revoke the keys that may edit sites (serve --edit)"},
    {"audit", cmd_audit, "print who changed which site when, through serve --edit"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mapsvc COMMAND [OPTIONS]\n\n"
	           "A red-resource map tile and POI service.\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fprintf(f, "\n'mapsvc COMMAND --help' describes a command; 'mapsvc --version' prints the version.\n"
	           "With no --db, every command uses the bundled dataset.\n");
}

int main(int argc, char **argv)
{
#ifdef __GLIBC__
	/* A snapshot's large arrays (a million sites' indexes, and the scratch
	 * of building them on several threads) are mapped and given back
	 * whole when freed.  glibc's own threshold rises with each such free,
	 * after which the next large array lands in a thread's heap that keeps
	 * what it freed: a million sites' server then held 25 to 35 MB more
	 * from one start to the next. */
	mallopt(M_MMAP_THRESHOLD, MS_MMAP_THRESHOLD);
#endif
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("mapsvc %s\n", MAPSVC_VERSION);
		return EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "mapsvc: unknown command '%s'\n", name);
	usage(stderr);
	return EXIT_USAGE;
}

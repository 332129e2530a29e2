/*
 * cmd_import.c - `mapsvc import`: load sites from CSV or GeoJSON files into
 * the database (a SpatiaLite file or PostGIS, store.h), all files in one
 * all-or-nothing import.
 *
 * Without --replace the ids already in the database are read first and
 * the readers check the new files against them, so that a clash is
 * reported as FILE:LINE like any other bad row instead of as a bare id
 * from the database afterwards.
 *
 * A SpatiaLite import also keeps the cluster hierarchies of the styles
 * (--styles, the bundled ones by default) with the sites, in the same
 * transaction (store_import_keeping): a server started on the database
 * reads them instead of building them, a second of CPU per style at a
 * million sites.  It builds them from every site the database will hold
 * (the ones already there too), which the import knows before writing,
 * on a thread of its own while SQLite writes the sites on this one.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../ingest/ingest.h"
#include "../render/tile.h"
#include "../store/snapshot.h"
#include "../store/store.h"
#include "../styleset/styleset.h"
#include "../util/mem.h"
#include "cli.h"

static const char usage_text[] =
    "usage: mapsvc import [--db FILE|URL] [--coordsys wgs84|gcj02|bd09|cgcs2000] [--replace]\n"
    "                     [--styles DIR] FILE...\n"
    "\n"
    "Loads sites from CSV (RFC 4180, UTF-8, header row) and GeoJSON (a FeatureCollection\n"
    "of Points) files into the database, all files in one transaction: if any row is bad,\n"
    "nothing is imported and the database stays as it was.\n"
    "\n"
    "  --db FILE        SpatiaLite database, created if needed (default: the bundled one)\n"
    "  --db URL         PostGIS database: postgresql://USER:PASSWORD@HOST:PORT/DBNAME or\n"
    "                   postgres:KEY=VALUE... (libpq's); the schema is created if needed\n"
    "  --coordsys CS    system of the input coordinates, converted to WGS-84 (default wgs84)\n"
    "  --replace        remove every site already in the database first\n"
    "  --styles DIR     keep the cluster hierarchies of these tile styles with the sites, so\n"
    "                   that serve starts without building them (SpatiaLite; default: the\n"
    "                   bundled styles)\n"
    "\n"
    "CSV columns: id, name_zh, category, lat, lon (required); name_en, county, town,\n"
    "address, description, opening_hours (OpenStreetMap syntax, checked),\n"
    "opening_hours_text (the source's words), coord_source, confidence, source_url;\n"
    "any other column is kept as a property.  Categories: memorial_hall, museum,\n"
    "martyrs_cemetery, former_site, monument, education_base, study_station,\n"
    "training_school.\n";

/* The blocks to keep with the sites of set (snapshot_blocks) for the
 * styles of dir, made on a thread while the sites are written; none,
 * with a warning, when the styles cannot be read. */
struct blocks_job {
	const char *dir;
	struct site_set *set;
	struct store_block *v;
	size_t n;
	pthread_t th;
	bool started, joined;
};

static void blocks_for(const char *dir, struct site_set *set, struct store_block **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	struct styleset *styles;
	struct ms_error err = {0};
	if (styleset_load_dir(dir, &styles, &err) != MS_OK) {
		fprintf(stderr, "mapsvc import: %s: the clusters are not kept (serve builds them)\n",
		        err.msg);
		return;
	}
	size_t ns;
	const struct style *v_styles = styleset_styles(styles, &ns);
	struct cluster_params *params = xcalloc(ns ? ns : 1, sizeof *params);
	size_t k = tile_styles_cluster_params(v_styles, ns, params);
	if (k > SNAPSHOT_MAX_CLUSTERS) /* as serve: the rest are built on first use */
		k = SNAPSHOT_MAX_CLUSTERS;
	if (snapshot_blocks(set, params, k, v, n, &err) != MS_OK)
		fprintf(stderr, "mapsvc import: %s: the clusters are not kept (serve builds them)\n",
		        err.msg);
	free(params);
	styleset_free(styles);
}

static void *make_blocks(void *arg)
{
	struct blocks_job *j = arg;
	blocks_for(j->dir, j->set, &j->v, &j->n);
	return NULL;
}

static void start_blocks(struct blocks_job *j)
{
	j->started = pthread_create(&j->th, NULL, make_blocks, j) == 0;
	if (!j->started) /* made here, then */
		make_blocks(j);
}

static void join_blocks(struct blocks_job *j)
{
	if (j->started && !j->joined)
		pthread_join(j->th, NULL);
	j->joined = true;
}

/* store_keeper.blocks: the job's, once made. */
static void job_blocks(void *arg, const struct store_block **v, size_t *n)
{
	struct blocks_job *j = arg;
	join_blocks(j);
	*v = j->v;
	*n = j->n;
}

/* store_import_keeping of fresh, with the hierarchies of the styles of
 * dir (none when NULL) made from every site the database will hold: the
 * fresh ones (sorted, which the job only reads while the import does),
 * or all (which the job sorts: the import does not read them). */
static enum ms_status import_keeping(const char *db, const char *dir, struct site_set *fresh,
                                     struct site_set *all, bool replace, size_t *n, struct ms_error *err)
{
	struct blocks_job job = {.dir = dir, .set = all};
	struct store_keeper keeper = {job_blocks, &job};
	bool keep = dir && store_kind_of(db) == STORE_SPATIALITE;
	if (keep)
		start_blocks(&job);
	enum ms_status rs = store_import_keeping(db, fresh, replace, keep ? &keeper : NULL, n, err);
	join_blocks(&job);
	snapshot_blocks_free(job.v, job.n);
	return rs;
}

static int fail(const struct ms_error *err)
{
	fprintf(stderr, "mapsvc import: %s\n", err->msg);
	return err->status == MS_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'}, {"coordsys", required_argument, NULL, 's'},
	    {"replace", no_argument, NULL, 'r'},  {"styles", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *styles = NULL;
	enum coordsys cs = COORDSYS_WGS84;
	bool replace = false;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 's': {
			int c = coordsys_parse(optarg);
			if (c < 0)
				return cli_usage_error(
				    "import", "--coordsys: unknown '%s' (wgs84, gcj02, bd09 or cgcs2000)",
				    optarg);
			cs = (enum coordsys)c;
			break;
		}
		case 'r': replace = true; break;
		case 't': styles = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':': return cli_usage_error("import", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("import", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("import", "no input FILE");
	if (!db)
		db = cli_default_db();
	if (!styles)
		styles = cli_default_styles();

	struct ms_error err = {0};
	struct site_set *all = NULL, *fresh = site_set_new();
	int rc = EXIT_FAIL;
	struct stat st;
	bool there = store_kind_of(db) == STORE_POSTGIS || stat(db, &st) == 0;
	if (!replace && there && store_load(db, &all, &err) != MS_OK) {
		/* Not (yet) a sites database: store_import decides what to do
		 * with it, and still refuses ids it already holds. */
		all = NULL;
	}
	if (!all)
		all = site_set_new();
	size_t existing = all->n;
	for (int i = optind; i < argc; i++) {
		if (ingest_file(argv[i], cs, all, &err) != MS_OK) {
			rc = fail(&err);
			goto done;
		}
	}
	for (size_t i = existing; i < all->n; i++)
		site_set_copy(fresh, &all->v[i]);
	/* Written in id order, a database reads back already sorted, which
	 * saves serve a sort of every site at start-up. */
	site_set_sort_by_id(fresh);
	size_t n = 0;
	if (import_keeping(db, styles, fresh, replace ? fresh : all, replace, &n, &err) != MS_OK) {
		rc = fail(&err);
		goto done;
	}
	char name[STORE_REDACTED_MAX]; /* never a password on the screen */
	store_redact(db, name);
	printf("imported %zu site%s into %s\n", n, n == 1 ? "" : "s", name);
	rc = EXIT_OK;
done:
	site_set_free(all);
	site_set_free(fresh);
	store_shutdown(); /* the library's global state, once per process */
	return rc;
}

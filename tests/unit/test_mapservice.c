/* test_mapservice.c - the map service: a generation is loaded whole (the
 * styles, then the sites) or not at all; a broken style or database keeps
 * the current generation serving, with the error's FILE:LINE; a request
 * holding an old generation reads it intact after a reload (AddressSanitizer
 * watches); readers racing reloads always see a whole generation; tiles
 * come from the cache with tags that change with data and style; each
 * thread has its own context; a seed writes every tile of its range, grown
 * by the style's largest marker, and a seed stopped and resumed twice
 * writes the very bytes of one run, in both formats; a tiles_from store
 * answers what it holds with the renderer's bytes and tags, and only
 * while it matches the generation. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "geo/webmerc.h"
#include "ingest/ingest.h"
#include "mapservice/mapservice.h"
#include "render/tile.h"
#include "store/store.h"

static char dir[512], styles[600], db[600];

/* Two sites of Zibo, or five, placed from a street address (exact points:
 * an approximate one has a circle that reaches into neighbouring tiles). */
static const char csv_two[] = "id,name_zh,category,lat,lon,position_quality\n"
                              "a,甲纪念馆,memorial_hall,36.8131,118.0549,street\n"
                              "b,乙旧址,former_site,36.7900,118.1000,street\n";
static const char csv_five[] = "id,name_zh,category,lat,lon,position_quality\n"
                               "a,甲纪念馆,memorial_hall,36.8131,118.0549,street\n"
                               "b,乙旧址,former_site,36.7900,118.1000,street\n"
                               "c,丙驿站,study_station,36.8500,118.0200,street\n"
                               "d,丁碑,monument,36.7000,117.9000,street\n"
                               "e,戊馆,museum,36.9000,118.2000,street\n";

static void write_file(const char *name, const char *text)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s", styles, name);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void import(const char *csv)
{
	struct ms_error err = {0};
	struct site_set *set = site_set_new();
	CHECK_MSG(ingest_csv("sites.csv", csv, strlen(csv), COORDSYS_WGS84, set, &err) == MS_OK, "%s",
	          err.msg);
	CHECK_MSG(store_import(db, set, true, NULL, &err) == MS_OK, "%s", err.msg);
	site_set_free(set);
}

/* Markers on a transparent ground, titled A or B. */
#define STYLE_A                                                                                              \
	"{\"version\": 8, \"name\": \"A\", \"layers\": [{\"id\": \"m\", \"type\": \"circle\", \"paint\": "   \
	"{\"circle-color\": \"#c00\"}}]}\n"
#define STYLE_B                                                                                              \
	"{\"version\": 8, \"name\": \"B\", \"layers\": [{\"id\": \"m\", \"type\": \"circle\", \"paint\": "   \
	"{\"circle-color\": \"#00c\"}}]}\n"
/* A layer type no style may have, on line 2. */
#define STYLE_BROKEN "{\"version\": 8,\n \"layers\": [{\"id\": \"m\", \"type\": \"hexagon\"}]}\n"

static const struct mapservice_config config = {.db_path = db, .styles_dir = styles, .cache_bytes = 1 << 20};

static void test_load_and_refusals(void)
{
	struct ms_error err = {0};
	struct mapservice *ms = mapservice_new(&config);
	CHECK(mapservice_acquire(ms) == NULL); /* nothing loaded yet */
	/* an empty styles folder, then a missing database: nothing current */
	CHECK(mapservice_load(ms, &err) == MS_EDATA);
	CHECK_MSG(strstr(err.msg, "no style files") != NULL, "%s", err.msg);
	write_file("default.json", STYLE_A);
	write_file("other.json", STYLE_A);
	unlink(db);
	CHECK(mapservice_load(ms, &err) != MS_OK);
	CHECK_MSG(strstr(err.msg, "sites.sqlite") != NULL, "%s", err.msg);
	CHECK(mapservice_acquire(ms) == NULL);

	import(csv_two);
	CHECK_MSG(mapservice_load(ms, &err) == MS_OK, "%s", err.msg);
	struct mapservice_gen *g = mapservice_acquire(ms);
	CHECK(g != NULL);
	if (g) {
		CHECK_INT(g->serial, 1);
		CHECK_INT(g->snap->n, 2);
		CHECK_INT(g->nstyles, 2);
		CHECK(g->def == mapservice_style(g, "default"));
		CHECK(mapservice_style(g, "other") != NULL && mapservice_style(g, "nope") == NULL);
		CHECK(tile_map_snapshot(g->map) == g->snap);
		mapservice_release(g);
	}
	struct mapservice_stats st;
	mapservice_stats(ms, &st);
	CHECK_INT(st.reloads, 0);
	mapservice_free(ms);
	mapservice_free(NULL);

	/* No styles folder: a generation of sites alone (JSON route sheets). */
	const struct mapservice_config bare = {.db_path = db};
	ms = mapservice_new(&bare);
	CHECK(mapservice_load(ms, &err) == MS_OK);
	g = mapservice_acquire(ms);
	CHECK(g && g->nstyles == 0 && g->def == NULL && g->snap->n == 2);
	mapservice_release(g);
	mapservice_free(ms);
}

static void test_reload_keeps_old_generation(void)
{
	struct ms_error err = {0};
	struct mapservice *ms = mapservice_new(&config);
	CHECK(mapservice_load(ms, &err) == MS_OK);
	struct mapservice_gen *old = mapservice_acquire(ms); /* a request in flight */
	if (!old) {
		mapservice_free(ms);
		return;
	}
	uint64_t old_version = old->snap->version, old_style = old->def->version;

	/* A broken style: the error names its file and line; nothing changes. */
	write_file("broken.json", STYLE_BROKEN);
	import(csv_five);
	CHECK(mapservice_load(ms, &err) == MS_EDATA);
	CHECK_MSG(strstr(err.msg, "broken.json:2:") != NULL, "%s", err.msg);
	struct mapservice_gen *g = mapservice_acquire(ms);
	CHECK(g == old && g->serial == 1 && g->snap->n == 2);
	mapservice_release(g);

	/* A broken database, with good styles again: nothing changes. */
	char broken_style[700];
	snprintf(broken_style, sizeof broken_style, "%s/broken.json", styles);
	unlink(broken_style);
	write_file("default.json", STYLE_B);
	FILE *f = fopen(db, "w");
	if (f) {
		fputs("not a database", f);
		fclose(f);
	}
	CHECK(mapservice_load(ms, &err) != MS_OK);
	g = mapservice_acquire(ms);
	CHECK(g == old);
	mapservice_release(g);

	/* Both good: the new data and the new styles arrive together. */
	unlink(db);
	import(csv_five);
	CHECK_MSG(mapservice_load(ms, &err) == MS_OK, "%s", err.msg);
	g = mapservice_acquire(ms);
	CHECK(g != old && g->serial == 2 && g->snap->n == 5);
	CHECK(g->snap->version != old_version && g->def->version != old_style);
	CHECK_STR(g->def->title, "B");
	/* The request that started before still reads its whole generation. */
	CHECK(old->snap->n == 2 && old->snap->version == old_version && !strcmp(old->def->title, "A"));
	CHECK(tile_map_snapshot(old->map) == old->snap);
	struct mapservice_stats st;
	mapservice_stats(ms, &st);
	CHECK_INT(st.reloads, 1);
	CHECK_INT(st.gens_reaped, 0); /* a request still holds it */
	/* The request's last reference hands the old generation to the
	 * reaper thread, which frees it: not this thread. */
	mapservice_release(old);
	for (int i = 0; i < 2000 && st.gens_reaped == 0; i++) {
		usleep(1000);
		mapservice_stats(ms, &st);
	}
	CHECK_INT(st.gens_reaped, 1);
	mapservice_release(g);
	/* the current one goes with the service, on this thread */
	mapservice_free(ms);
}

static void test_tiles(void)
{
	struct ms_error err = {0};
	struct mapservice *ms = mapservice_new(&config);
	CHECK(mapservice_load(ms, &err) == MS_OK);
	struct mapservice_gen *g = mapservice_acquire(ms);
	if (!g) {
		mapservice_free(ms);
		return;
	}
	int x, y;
	webmerc_tile_from_lonlat(118.0549, 36.8131, 12, &x, &y);
	struct mapservice_tile t = {g->def, COORDSYS_WGS84, 12, x, y, 1, NULL, NULL, NULL};
	struct tcache_blob *a = NULL, *b = NULL;
	uint64_t ta, tb;
	CHECK(mapservice_tile(ms, g, &t, &a, &ta, &err) == MS_OK);
	CHECK(mapservice_tile(ms, g, &t, &b, &tb, &err) == MS_OK);
	CHECK(a && b && a == b && ta == tb); /* the cache's one blob */
	CHECK(a && a->len > 8 && !memcmp(a->data, "\x89PNG", 4) && !a->empty);
	struct mapservice_stats st;
	mapservice_stats(ms, &st);
	CHECK_INT(st.cache.misses, 1);
	CHECK_INT(st.cache.hits, 1);
	tcache_blob_release(a);
	tcache_blob_release(b);
	/* Another scale, system or style: another tag. */
	uint64_t tags[3];
	struct mapservice_tile v[3] = {t, t, t};
	v[0].scale = 2;
	v[1].cs = COORDSYS_GCJ02;
	v[2].style = mapservice_style(g, "other");
	for (int i = 0; i < 3; i++) {
		CHECK(mapservice_tile(ms, g, &v[i], &a, &tags[i], &err) == MS_OK);
		CHECK(tags[i] != ta);
		tcache_blob_release(a);
	}
	/* Far from every site: the shared empty tile. */
	struct mapservice_tile far = {g->def, COORDSYS_WGS84, 12, 0, 0, 1, NULL, NULL, NULL};
	CHECK(mapservice_tile(ms, g, &far, &a, &tb, &err) == MS_OK && a->empty);
	tcache_blob_release(a);
	struct mapservice_tile bad = {g->def, COORDSYS_WGS84, 3, 8, 0, 1, NULL, NULL, NULL};
	CHECK(mapservice_tile(ms, g, &bad, &a, &tb, &err) == MS_EUSAGE && a == NULL);
	mapservice_release(g);
	mapservice_free(ms);
}

/* ------------------------------------------------ readers and reloads */

struct reader {
	struct mapservice *ms;
	int rounds;
	int mixed, renders_failed;
	struct tile_ctx *ctx;
};

/* Readers stay alive, their contexts with them, from the first barrier
 * (all done) to the second (main has compared the contexts). */
static pthread_barrier_t done_reading, compared;

/* A request's view of a generation: its map draws its snapshot, and its
 * default style is one of its styles. */
static void *read_loop(void *arg)
{
	struct reader *r = arg;
	struct ms_error err = {0};
	r->ctx = mapservice_ctx(r->ms, &err);
	for (int i = 0; i < r->rounds; i++) {
		struct mapservice_gen *g = mapservice_acquire(r->ms);
		if (tile_map_snapshot(g->map) != g->snap || g->def < g->styles ||
		    g->def >= g->styles + g->nstyles)
			r->mixed++;
		struct mapservice_tile t = {g->def, COORDSYS_WGS84, 10,   843 + i % 4, 388,
		                            1,      NULL,           NULL, NULL};
		struct tcache_blob *b = NULL;
		uint64_t tag;
		if (mapservice_tile(r->ms, g, &t, &b, &tag, &err) != MS_OK)
			r->renders_failed++;
		tcache_blob_release(b);
		mapservice_release(g);
	}
	pthread_barrier_wait(&done_reading);
	pthread_barrier_wait(&compared);
	return NULL;
}

#define READERS 3
#define RELOADS 8

static void test_readers_during_reloads(void)
{
	struct ms_error err = {0};
	struct mapservice *ms = mapservice_new(&config);
	CHECK(mapservice_load(ms, &err) == MS_OK);
	struct reader r[READERS];
	pthread_t th[READERS];
	pthread_barrier_init(&done_reading, NULL, READERS + 1);
	pthread_barrier_init(&compared, NULL, READERS + 1);
	for (int i = 0; i < READERS; i++) {
		r[i] = (struct reader){.ms = ms, .rounds = 200};
		pthread_create(&th[i], NULL, read_loop, &r[i]);
	}
	int loaded = 0;
	for (int i = 0; i < RELOADS; i++) {
		write_file("default.json", i % 2 ? STYLE_A : STYLE_B);
		loaded += mapservice_load(ms, &err) == MS_OK;
	}
	pthread_barrier_wait(&done_reading);
	for (int i = 0; i < READERS; i++)
		for (int j = 0; j < i; j++)
			CHECK(r[i].ctx != r[j].ctx); /* one context a thread */
	pthread_barrier_wait(&compared);
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&done_reading);
	pthread_barrier_destroy(&compared);
	CHECK_INT(loaded, RELOADS);
	struct mapservice_stats st;
	mapservice_stats(ms, &st);
	CHECK_INT(st.reloads, RELOADS);
	for (int i = 0; i < READERS; i++) {
		CHECK_INT(r[i].mixed, 0);
		CHECK_INT(r[i].renders_failed, 0);
		CHECK(r[i].ctx != NULL);
	}
	/* this thread's context: made once */
	struct tile_ctx *mine = mapservice_ctx(ms, &err);
	CHECK(mine != NULL && mapservice_ctx(ms, &err) == mine);
	mapservice_free(ms); /* frees main's context too (ASan: no leak) */
}

/* ---------------------------------------------------------------- seed */

struct stop_at {
	long long after, calls;
};

static bool stop_after(void *arg, long long done, long long total, int zoom)
{
	(void)total, (void)zoom;
	struct stop_at *s = arg;
	s->calls++;
	return done < s->after;
}

static struct buf file_bytes(const char *path)
{
	struct buf b = BUF_INIT;
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	if (f)
		fclose(f);
	return b;
}

static bool same_file(const char *a, const char *b)
{
	struct buf x = file_bytes(a), y = file_bytes(b);
	bool same = x.len > 0 && x.len == y.len && !memcmp(x.data, y.data, x.len);
	buf_free(&x);
	buf_free(&y);
	return same;
}

/* The box a padded seed covers: larger at every zoom, by the marker's
 * reach in pixels, and the bounds are the union (the lowest zoom's). */
static void test_seed_box(const struct mapservice_gen *g)
{
	struct mapservice_seed job = {.style = g->def, .zmin = 5, .zmax = 9, .pad = false};
	CHECK(snapshot_bounds(g->snap, COORDSYS_WGS84, job.box));
	double plain[4], padded[4];
	mapservice_seed_box(&job, 5, plain);
	CHECK(!memcmp(plain, job.box, sizeof plain));
	job.pad = true;
	double reach = mapservice_marker_reach(g->def, 5);
	CHECK(reach > style_eval(&g->def->marker_size, 5) && reach < 64);
	for (int z = 5; z <= 9; z++) {
		mapservice_seed_box(&job, z, padded);
		double px0, py0, px1, py1;
		webmerc_world_px(padded[0], padded[3], z, 256, &px0, &py0);
		webmerc_world_px(job.box[0], job.box[3], z, 256, &px1, &py1);
		double r = mapservice_marker_reach(g->def, z);
		CHECK_MSG(fabs(px1 - px0 - r) < 1e-6 && fabs(py1 - py0 - r) < 1e-6,
		          "zoom %d: %.9f %.9f, reach %.3f", z, px1 - px0, py1 - py0, r);
	}
	double bounds[4], low[4];
	mapservice_seed_bounds(&job, bounds);
	mapservice_seed_box(&job, 5, low);
	CHECK(bounds[0] <= low[0] && bounds[1] <= low[1] && bounds[2] >= low[2] && bounds[3] >= low[3]);
	CHECK(bounds[0] < job.box[0] && bounds[3] > job.box[3]);
	long long n = 0;
	for (int z = 5; z <= 9; z++) {
		double b[4];
		mapservice_seed_box(&job, z, b);
		n += webmerc_tile_count(b, z, z);
	}
	CHECK_INT(mapservice_seed_count(&job), n);
}

/* One seed of g into out; the result. */
static struct mapservice_seed_result seed(struct mapservice *ms, const struct mapservice_gen *g,
                                          const char *out, enum tilestore_partial partial,
                                          long long max_tiles, struct stop_at *stop)
{
	struct mapservice_seed job = {.style = g->def,
	                              .cs = COORDSYS_WGS84,
	                              .scale = 1,
	                              .zmin = 0,
	                              .zmax = 9,
	                              .pad = true,
	                              .path = out,
	                              .partial = partial,
	                              .max_tiles = max_tiles};
	CHECK(snapshot_bounds(g->snap, COORDSYS_WGS84, job.box));
	if (stop) {
		job.progress = stop_after;
		job.arg = stop;
	}
	struct mapservice_seed_result res;
	struct ms_error err = {0};
	CHECK_MSG(mapservice_seed(ms, g, &job, &res, &err) == MS_OK, "%s", err.msg);
	return res;
}

static void test_seed(void)
{
	struct ms_error err = {0};
	struct mapservice *ms = mapservice_new(&config);
	CHECK(mapservice_load(ms, &err) == MS_OK);
	struct mapservice_gen *g = mapservice_acquire(ms);
	if (!g) {
		mapservice_free(ms);
		return;
	}
	test_seed_box(g);
	for (int f = 0; f < 2; f++) {
		const char *ext = f ? "pmtiles" : "mbtiles";
		char once[700], runs[700], partial[800];
		snprintf(once, sizeof once, "%s/once.%s", dir, ext);
		snprintf(runs, sizeof runs, "%s/runs.%s", dir, ext);
		snprintf(partial, sizeof partial, "%s.partial", runs);
		struct mapservice_seed_result r = seed(ms, g, once, TILESTORE_FRESH, 0, NULL);
		CHECK(r.finished && r.resumed == 0 && r.rendered == r.total && r.stats.tiles == r.total);
		CHECK(r.stats.images >= 2 && r.stats.images < r.stats.tiles);

		/* Stopped after 3 tiles: kept in the partial file, no store yet. */
		struct stop_at stop = {3, 0};
		r = seed(ms, g, runs, TILESTORE_FRESH, 0, &stop);
		CHECK(!r.finished && r.rendered == 3 && stop.calls == 3);
		CHECK(access(runs, F_OK) != 0 && access(partial, F_OK) == 0);
		/* Not without a word about the partial file. */
		struct mapservice_seed job = {
		    .style = g->def, .scale = 1, .zmax = 9, .pad = true, .path = runs};
		CHECK(snapshot_bounds(g->snap, COORDSYS_WGS84, job.box));
		CHECK(mapservice_seed(ms, g, &job, &r, &err) == MS_EUSAGE);
		CHECK_MSG(strstr(err.msg, "--resume continues it") != NULL, "%s", err.msg);
		/* Nor for another seed. */
		job.scale = 2;
		job.partial = TILESTORE_RESUME;
		CHECK(mapservice_seed(ms, g, &job, &r, &err) == MS_EUSAGE);
		CHECK_MSG(strstr(err.msg, "its 'scale' is '1', this seed's is '2'") != NULL, "%s", err.msg);
		/* Five more, then the rest: the store seeded at once. */
		r = seed(ms, g, runs, TILESTORE_RESUME, 5, NULL);
		CHECK(!r.finished && r.resumed == 3 && r.rendered == 5 && r.stats.tiles == 8);
		r = seed(ms, g, runs, TILESTORE_RESUME, 0, NULL);
		CHECK(r.finished && r.resumed == 8 && r.rendered == r.total - 8);
		CHECK(access(partial, F_OK) != 0);
		CHECK_MSG(same_file(once, runs), "%s: resumed store differs", ext);

		/* Every tile is the bytes the service serves; the edge sites'
		 * markers are whole: the tile just beyond the westmost one's
		 * reach is in the store. */
		struct tilestore *ts = NULL;
		CHECK(tilestore_open(once, NULL, &ts, &err) == MS_OK);
		double box[4];
		CHECK(snapshot_bounds(g->snap, COORDSYS_WGS84, box));
		int bad = 0;
		for (int z = 0; ts && z <= 9; z++) {
			double px, py;
			webmerc_world_px(box[0], (box[1] + box[3]) / 2, z, 256, &px, &py);
			long long x = (long long)floor((px - mapservice_marker_reach(g->def, z) + 0.5) / 256);
			long long y = (long long)floor(py / 256);
			struct buf png = BUF_INIT;
			bool found = false;
			CHECK(tilestore_get(ts, z, (int)x, (int)y, &png, &found, &err) == MS_OK && found);
			struct mapservice_tile t = {g->def, COORDSYS_WGS84, z, x, y, 1, NULL, NULL, NULL};
			struct tcache_blob *b = NULL;
			uint64_t tag;
			CHECK(mapservice_tile(ms, g, &t, &b, &tag, &err) == MS_OK);
			bad += !b || b->len != png.len || memcmp(b->data, png.data, png.len);
			tcache_blob_release(b);
			buf_free(&png);
		}
		CHECK_INT(bad, 0);
		tilestore_close(ts);
		unlink(runs);
	}
	mapservice_release(g);
	mapservice_free(ms);
}

/* serve --tiles-from: the store answers the misses it holds, with the
 * bytes and tags the renderer gives; everything else is rendered; a store
 * of other data or styles is not used, and says why. */
static void test_tiles_from(void)
{
	struct ms_error err = {0};
	write_file("other.json", STYLE_B); /* a style of its own version, not the seeded one */
	struct mapservice *plain = mapservice_new(&config);
	CHECK(mapservice_load(plain, &err) == MS_OK);
	struct mapservice_gen *pg = mapservice_acquire(plain);
	if (!pg) {
		mapservice_free(plain);
		return;
	}
	for (int f = 0; f < 2; f++) {
		char path[700];
		snprintf(path, sizeof path, "%s/once.%s", dir, f ? "pmtiles" : "mbtiles");
		struct mapservice_config cfg = config;
		cfg.tiles_from = path;
		struct mapservice *ms = mapservice_new(&cfg);
		CHECK_MSG(mapservice_load(ms, &err) == MS_OK, "%s", err.msg);
		struct mapservice_gen *g = mapservice_acquire(ms);
		if (!g)
			break;
		const char *note = mapservice_tiles_from(g);
		CHECK_MSG(note && strstr(note, "tiles of style default, wgs84, @1x, zooms 0-9"), "%s",
		          note ? note : "");
		int x, y;
		webmerc_tile_from_lonlat(118.0549, 36.8131, 9, &x, &y);
		struct mapservice_tile in[] = {
		    {g->def, COORDSYS_WGS84, 9, x, y, 1, NULL, NULL, NULL}, /* a site's */
		    {g->def, COORDSYS_WGS84, 0, 0, 0, 1, NULL, NULL, NULL},
		    {g->def, COORDSYS_WGS84, 8, x / 2, y / 2, 1, NULL, NULL, NULL},
		};
		struct mapservice_tile out[] = {
		    {g->def, COORDSYS_WGS84, 10, 2 * x, 2 * y, 1, NULL, NULL, NULL}, /* beyond the zooms */
		    {g->def, COORDSYS_WGS84, 9, 0, 0, 1, NULL, NULL, NULL},          /* beyond the box */
		    {mapservice_style(g, "other"), COORDSYS_WGS84, 9, x, y, 1, NULL, NULL,
		     NULL},                                                 /* another style */
		    {g->def, COORDSYS_WGS84, 9, x, y, 2, NULL, NULL, NULL}, /* another scale */
		    {g->def, COORDSYS_GCJ02, 9, x, y, 1, NULL, NULL, NULL}, /* another system */
		};
		struct mapservice_stats st;
		for (int k = 0; k < 2; k++) {
			const struct mapservice_tile *set = k ? out : in;
			size_t n = k ? sizeof out / sizeof out[0] : sizeof in / sizeof in[0];
			for (size_t i = 0; i < n; i++) {
				struct tcache_blob *a = NULL, *b = NULL;
				uint64_t ta = 0, tb = 1;
				struct mapservice_tile pt = set[i];
				pt.style = mapservice_style(pg, set[i].style->name);
				CHECK(mapservice_tile(ms, g, &set[i], &a, &ta, &err) == MS_OK);
				CHECK(mapservice_tile(plain, pg, &pt, &b, &tb, &err) == MS_OK);
				CHECK_MSG(a && b && a->len == b->len && !memcmp(a->data, b->data, a->len) &&
				              ta == tb,
				          "%s tile %zu", k ? "rendered" : "stored", i);
				tcache_blob_release(a);
				tcache_blob_release(b);
			}
			mapservice_stats(ms, &st);
			CHECK_INT(st.tiles_from_store, 3);
			CHECK_INT(st.tiles_rendered, k ? 5 : 0);
		}
		CHECK_INT(st.store_errors, 0);
		mapservice_release(g);
		mapservice_free(ms);
	}
	char path[700];
	snprintf(path, sizeof path, "%s/once.pmtiles", dir);
	struct mapservice_config cfg = config;
	cfg.tiles_from = path;
	/* other data: loaded, not used, and why */
	import(csv_two);
	struct mapservice *ms = mapservice_new(&cfg);
	CHECK_MSG(mapservice_load(ms, &err) == MS_OK, "%s", err.msg);
	struct mapservice_gen *g = mapservice_acquire(ms);
	const char *note = g ? mapservice_tiles_from(g) : NULL;
	CHECK_MSG(note && strstr(note, "once.pmtiles: not used: seeded from other data (version "), "%s",
	          note ? note : "");
	mapservice_release(g);
	mapservice_free(ms);
	/* a file that is not there: the load fails and says which */
	snprintf(path, sizeof path, "%s/none.pmtiles", dir);
	ms = mapservice_new(&cfg);
	CHECK(mapservice_load(ms, &err) == MS_EIO);
	CHECK_MSG(strstr(err.msg, "none.pmtiles: cannot open") != NULL, "%s", err.msg);
	CHECK(mapservice_acquire(ms) == NULL);
	mapservice_free(ms);
	/* no tiles_from: no note */
	CHECK(mapservice_tiles_from(pg) == NULL);
	mapservice_release(pg);
	mapservice_free(plain);
}

/* mapservice_sites_fn of test_update_sites: the sites of a CSV, nothing
 * (csv NULL), or a failure. */
struct update_arg {
	const char *csv;
	bool fail;
	size_t saw; /* the current snapshot's size when called */
};

static enum ms_status sites_from_csv(void *arg, const struct snapshot *cur, struct site_set **set,
                                     struct ms_error *err)
{
	struct update_arg *u = arg;
	u->saw = cur ? cur->n : 0;
	if (u->fail)
		return ms_fail(err, MS_EIO, "the store is away");
	if (!u->csv)
		return MS_OK;
	*set = site_set_new();
	return ingest_csv("u.csv", u->csv, strlen(u->csv), COORDSYS_WGS84, *set, err);
}

/* A change of the sites alone keeps the styles, shared by the two
 * generations; nothing changed installs nothing; a failure keeps the
 * current one; the link's reconnects are counted. */
static void test_update_sites(void)
{
	struct ms_error err = {0};
	import(csv_two);
	write_file("a.json", STYLE_A);
	struct mapservice *ms = mapservice_new(&config);
	CHECK_MSG(mapservice_load(ms, &err) == MS_OK, "%s", err.msg);
	struct mapservice_gen *g0 = mapservice_acquire(ms);
	struct update_arg u = {csv_five, false, 0};
	CHECK_MSG(mapservice_update_sites(ms, sites_from_csv, &u, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(u.saw, 2);
	struct mapservice_gen *g1 = mapservice_acquire(ms);
	CHECK(g1 != g0 && g1->snap->n == 5 && g1->serial == g0->serial + 1);
	CHECK(g1->styles == g0->styles && g1->nstyles == g0->nstyles && g1->nstyles > 0);
	CHECK(g1->snap->version != g0->snap->version);

	u = (struct update_arg){NULL, false, 0};
	CHECK(mapservice_update_sites(ms, sites_from_csv, &u, &err) == MS_OK);
	u = (struct update_arg){csv_two, true, 0};
	CHECK_INT(mapservice_update_sites(ms, sites_from_csv, &u, &err), MS_EIO);
	struct mapservice_gen *g2 = mapservice_acquire(ms);
	CHECK(g2 == g1);
	mapservice_release(g2);

	/* the old generation still draws with the shared styles */
	CHECK(g0->snap->n == 2 && mapservice_style(g0, g0->styles[0].name) == &g0->styles[0]);
	mapservice_release(g0);
	mapservice_release(g1);

	struct mapservice_stats st;
	mapservice_stats(ms, &st);
	CHECK(st.updates == 1 && st.reloads == 1 && st.link == MAPSERVICE_LINK_NONE);
	mapservice_set_link(ms, MAPSERVICE_LINK_UP);
	mapservice_set_link(ms, MAPSERVICE_LINK_DOWN);
	mapservice_set_link(ms, MAPSERVICE_LINK_UP);
	mapservice_stats(ms, &st);
	CHECK(st.link == MAPSERVICE_LINK_UP && st.reconnects == 1);
	mapservice_free(ms);
}

/* The store version a follower records, and an edit's wait for it. */
struct version_setter {
	struct mapservice *ms;
	uint64_t version;
};

static void *set_later(void *arg)
{
	struct version_setter *v = arg;
	usleep(20 * 1000); /* the waiter is waiting by then, or finds it set */
	mapservice_set_store_version(v->ms, v->version);
	return NULL;
}

static void test_store_version_wait(void)
{
	struct mapservice *ms = mapservice_new(&config);
	/* nothing recorded: version 0 is reached, 1 is not (the wait times out) */
	CHECK(mapservice_wait_store_version(ms, 0, 0));
	CHECK(!mapservice_wait_store_version(ms, 1, 10));
	mapservice_set_store_version(ms, 5);
	CHECK(mapservice_wait_store_version(ms, 5, 0));
	CHECK(mapservice_wait_store_version(ms, 3, 0));
	/* it only grows: an older version recorded late changes nothing */
	mapservice_set_store_version(ms, 4);
	CHECK(mapservice_wait_store_version(ms, 5, 0));
	/* a waiter is woken by the version it waits for, well before its limit */
	struct version_setter v = {ms, 7};
	pthread_t t;
	CHECK(pthread_create(&t, NULL, set_later, &v) == 0);
	CHECK(mapservice_wait_store_version(ms, 7, 60 * 1000));
	pthread_join(t, NULL);
	mapservice_free(ms);
}

/* --------------------------------------------------------------- warming */

#define CROWD 400
#define WARM_WAIT_MS 60000

/* Waits until the service has warmed n contexts. */
static bool warmed_at_least(struct mapservice *ms, size_t n)
{
	for (int i = 0; i < WARM_WAIT_MS; i++) {
		size_t warmed, taken;
		mapservice_warm_stats(ms, &warmed, &taken);
		if (warmed >= n)
			return true;
		usleep(1000);
	}
	return false;
}

static void *take_one(void *arg)
{
	struct ms_error err = {0};
	return mapservice_ctx(arg, &err); /* freed when this thread ends */
}

/* Tile z/x/y at scale drawn with ctx: its bytes (caller frees), and
 * whether ctx's scratch grew for it. */
static struct buf draw(struct mapservice_gen *g, struct tile_ctx *ctx, int z, int x, int y, int scale,
                       bool *grew)
{
	struct tile_view v;
	tile_view_of_tile(&v, g->def, COORDSYS_WGS84, z, x, y, scale);
	struct buf png = BUF_INIT;
	bool empty = false;
	struct ms_error err = {0};
	size_t before = tile_ctx_grew(ctx);
	CHECK_MSG(tile_render_png(g->map, ctx, &v, &png, &empty, &err) == MS_OK, "%s", err.msg);
	CHECK(!empty);
	*grew = tile_ctx_grew(ctx) != before;
	return png;
}

/* Four hundred sites inside one zoom-16 tile and two far away: the
 * context a thread takes from warming was drawn where they crowd, so
 * that tile needs no new memory in it, where a new context grows; both
 * draw the same bytes.  A thread that had a context before warming
 * swaps it for a warm one; the threads after the last warm one make
 * their own; the service stops warming when freed mid-way. */
static void test_warm(void)
{
	const double lat = 36.8131, lon = 118.0549;
	int tx, ty;
	webmerc_tile_from_lonlat(lon, lat, 16, &tx, &ty);
	double w, s, e, n;
	webmerc_tile_bounds_lonlat(16, tx, ty, &w, &s, &e, &n);
	struct buf csv = BUF_INIT;
	buf_printf(&csv, "id,name_zh,category,lat,lon,position_quality\n");
	for (int i = 0; i < CROWD; i++) /* a 20 x 20 grid in the tile's middle half */
		buf_printf(&csv, "c%d,馆%d,museum,%.7f,%.7f,street\n", i, i,
		           s + (n - s) * (0.25 + 0.025 * (i / 20)), w + (e - w) * (0.25 + 0.025 * (i % 20)));
	buf_printf(&csv, "far1,远一,monument,30.0,110.0,street\nfar2,远二,monument,40.0,100.0,street\n");
	buf_append(&csv, "", 1);
	import((const char *)csv.data);
	buf_free(&csv);
	write_file("default.json", STYLE_A);

	struct ms_error err = {0};
	struct mapservice *ms = mapservice_new(&config);
	CHECK(mapservice_load(ms, &err) == MS_OK);
	struct tile_ctx *cold = mapservice_ctx(ms, &err); /* before warming: made here */
	CHECK(cold != NULL && mapservice_ctx(ms, &err) == cold);
	mapservice_warm(ms, 2);
	CHECK(warmed_at_least(ms, 1));
	struct tile_ctx *warm = mapservice_ctx(ms, &err); /* swapped for the warm one */
	CHECK(warm != NULL && warm != cold && mapservice_ctx(ms, &err) == warm);
	size_t warmed, taken;
	mapservice_warm_stats(ms, &warmed, &taken);
	CHECK_INT(taken, 1);

	struct mapservice_gen *g = mapservice_acquire(ms);
	for (int scale = 1; scale <= 2; scale++) {
		struct tile_ctx *fresh = tile_ctx_new(&err);
		bool grew_warm, grew_fresh;
		struct buf a = draw(g, warm, 16, tx, ty, scale, &grew_warm);
		struct buf b = draw(g, fresh, 16, tx, ty, scale, &grew_fresh);
		CHECK_MSG(!grew_warm, "the warm context grew for the crowded tile @%dx", scale);
		CHECK(grew_fresh);
		CHECK(a.len > 0 && a.len == b.len && !memcmp(a.data, b.data, a.len));
		buf_free(&a);
		buf_free(&b);
		tile_ctx_free(fresh);
	}
	mapservice_release(g);

	/* the second warm context goes to the next thread; the one after it
	 * makes its own */
	CHECK(warmed_at_least(ms, 2));
	pthread_t th;
	void *other = NULL;
	pthread_create(&th, NULL, take_one, ms);
	pthread_join(th, &other);
	CHECK(other != NULL);
	mapservice_warm_stats(ms, &warmed, &taken);
	CHECK_INT(taken, 2);
	pthread_create(&th, NULL, take_one, ms);
	pthread_join(th, &other);
	mapservice_warm_stats(ms, &warmed, &taken);
	CHECK_INT(warmed, 2);
	CHECK_INT(taken, 2);
	mapservice_free(ms); /* the cold context, swapped out, is freed too (ASan: no leak) */

	/* freed while warming: it stops and frees what it made */
	ms = mapservice_new(&config);
	CHECK(mapservice_load(ms, &err) == MS_OK);
	mapservice_warm(ms, 4);
	mapservice_free(ms);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/mapservice-test-XXXXXX", t && *t ? t : P_tmpdir);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(styles, sizeof styles, "%s/styles", dir);
	snprintf(db, sizeof db, "%s/sites.sqlite", dir);
	mkdir(styles, 0755);
	test_load_and_refusals();
	test_reload_keeps_old_generation();
	test_tiles();
	test_readers_during_reloads();
	test_seed();
	test_tiles_from();
	test_update_sites();
	test_store_version_wait();
	test_warm();
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}

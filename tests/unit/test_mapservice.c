/* test_mapservice.c - the map service: a generation is loaded whole (the
 * styles, then the sites) or not at all; a broken style or database keeps
 * the current generation serving, with the error's FILE:LINE; a request
 * holding an old generation reads it intact after a reload (AddressSanitizer
 * watches); readers racing reloads always see a whole generation; tiles
 * come from the cache with tags that change with data and style; each
 * thread has its own context; a seed writes every tile of its range and
 * leaves nothing when stopped. */
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

static const struct mapservice_config config = {db, styles, 1 << 20};

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
	const struct mapservice_config bare = {db, NULL, 0};
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
	mapservice_release(old); /* the last reference: freed here */
	mapservice_release(g);
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
	char out[700];
	snprintf(out, sizeof out, "%s/seed.mbtiles", dir);
	struct mapservice_seed job = {
	    .style = g->def, .cs = COORDSYS_WGS84, .scale = 1, .zmin = 0, .zmax = 9, .path = out};
	CHECK(snapshot_bounds(g->snap, COORDSYS_WGS84, job.box));
	/* a degree around the sites: empty tiles, stored once */
	job.box[0] -= 1, job.box[1] -= 1, job.box[2] += 1, job.box[3] += 1;
	struct tilestore_stats st = {0};
	CHECK_MSG(mapservice_seed(ms, g, &job, &st, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(st.tiles, webmerc_tile_count(job.box, 0, 9));
	CHECK_MSG(st.images >= 2 && st.images < st.tiles, "%lld images, %lld tiles", (long long)st.images,
	          (long long)st.tiles);
	struct tilestore *ts = NULL;
	CHECK(tilestore_open(out, NULL, &ts, &err) == MS_OK);
	int x, y;
	webmerc_tile_from_lonlat(118.0549, 36.8131, 9, &x, &y);
	struct buf png = BUF_INIT;
	bool found = false;
	CHECK(ts && tilestore_get(ts, 9, x, y, &png, &found, &err) == MS_OK && found);
	/* the bytes the service serves */
	struct mapservice_tile t = {g->def, COORDSYS_WGS84, 9, x, y, 1, NULL, NULL, NULL};
	struct tcache_blob *b = NULL;
	uint64_t tag;
	CHECK(mapservice_tile(ms, g, &t, &b, &tag, &err) == MS_OK);
	CHECK(b && b->len == png.len && !memcmp(b->data, png.data, png.len));
	tcache_blob_release(b);
	buf_free(&png);
	tilestore_close(ts);
	unlink(out);

	/* Stopped after 3 tiles: the error says so, and no file is left. */
	struct stop_at stop = {3, 0};
	job.progress = stop_after;
	job.arg = &stop;
	CHECK(mapservice_seed(ms, g, &job, NULL, &err) == MS_EIO);
	CHECK_MSG(strstr(err.msg, "interrupted after 3 of") != NULL, "%s", err.msg);
	CHECK_INT(stop.calls, 3);
	CHECK(access(out, F_OK) != 0);
	mapservice_release(g);
	mapservice_free(ms);
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
	test_update_sites();
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}

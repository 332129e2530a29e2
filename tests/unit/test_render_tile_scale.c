/* test_render_tile_scale.c - the tile composer on a clustered dataset of
 * 24,000 sites with the bundled styles: 2x2 stitched tiles equal one large
 * window, at scale 1 and 2, at zooms where clusters, labels and circles
 * cross tile edges, in WGS-84 and GCJ-02; tiles rendered in another order
 * and on several threads (over a fresh map, whose hierarchies are built by
 * whichever thread comes first) are byte for byte the same; sites at one
 * position stay one cluster at every zoom; the layout memory, asked
 * every zoom of every style and system twice over, stays within its bound
 * and does not grow with visits; and styles that cluster alike share one
 * hierarchy, in both systems. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "geo/webmerc.h"
#include "render/png.h"
#include "render/tile.h"
#include "style_files.h"
#include "util/mem.h"

#if defined(__SANITIZE_ADDRESS__)
#define NSITES 20000
#else
#define NSITES 24000
#endif
#define NCENTRES 40
/* Groups of sites at one position, and how many sites in each. */
#define NGROUPS 6
#define GROUP 4
#define NTHREADS 4

static uint64_t rng_state = 0x853C49E6748FEA9BULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double urand(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rng() >> 11) / 9007199254740992.0);
}

static double gauss(void)
{
	double u = urand(1e-12, 1), v = urand(0, 1);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static const char *const names[] = {"红色纪念馆",
                                    "革命旧址",
                                    "烈士陵园",
                                    "党史学习教育站",
                                    "爱国主义教育基地",
                                    "高台干部学院（张掖市红色基因传承基地）",
                                    "中国工农红军西路军纪念馆",
                                    "学习站"};

static double group_lat[NGROUPS], group_lon[NGROUPS];

/* Sites around NCENTRES centres over eastern China, sigma 1 to 30 km,
 * weighted 1/k as real registers crowd around cities; every ninth site
 * approximate; NGROUPS groups of GROUP sites at one position. */
static struct snapshot *make_snapshot(const struct snapshot_opts *o)
{
	double clat[NCENTRES], clon[NCENTRES], sigma[NCENTRES], cum[NCENTRES], total = 0;
	for (int c = 0; c < NCENTRES; c++) {
		clat[c] = urand(22, 42);
		clon[c] = urand(100, 122);
		sigma[c] = urand(1, 30) / 111.0;
		total += 1.0 / (c + 1);
		cum[c] = total;
	}
	struct site_set *set = site_set_new();
	for (int i = 0; i < NSITES; i++) {
		char id[16];
		snprintf(id, sizeof id, "s%06d", i);
		struct site_draft s = {0};
		s.field[SITE_ID] = id;
		s.field[SITE_NAME_ZH] = names[rng() % (sizeof names / sizeof names[0])];
		s.category = (enum site_category)(rng() % CAT_COUNT);
		s.field[SITE_CATEGORY] = site_category_name(s.category);
		int g = i / GROUP;
		if (g < NGROUPS) { /* the groups first */
			if (i % GROUP == 0) {
				group_lat[g] = urand(25, 40);
				group_lon[g] = urand(105, 120);
			}
			s.lat = group_lat[g];
			s.lon = group_lon[g];
		} else {
			double r = urand(0, total);
			int c = 0;
			while (cum[c] < r)
				c++;
			s.lat = clat[c] + sigma[c] * gauss();
			s.lon = clon[c] + sigma[c] * gauss() / cos(clat[c] * M_PI / 180);
		}
		s.quality =
		    i % 9 == 0 ? (i % 2 ? SITE_QUALITY_VILLAGE : SITE_QUALITY_TOWN) : SITE_QUALITY_STREET;
		s.uncertainty_m = site_quality_default_m(s.quality);
		site_set_add(set, &s);
	}
	struct ms_error err;
	struct snapshot *snap = snapshot_new_with(set, o, &err);
	if (!snap)
		fprintf(stderr, "snapshot_new_with: %s\n", err.msg);
	return snap;
}

static struct style styles[2];
static struct snapshot *snap;

/* The tile of zoom z holding site i, in WGS-84. */
static void tile_of(size_t i, int z, long long *x, long long *y)
{
	const struct site *s = &snap->sites[i];
	double n = ldexp(1, z), phi = s->lat * M_PI / 180;
	*x = (long long)((s->lon + 180) / 360 * n);
	*y = (long long)((1 - asinh(tan(phi)) / M_PI) / 2 * n);
}

static struct canvas *render_copy(struct tile_map *m, struct tile_ctx *ctx, const struct tile_view *v)
{
	struct canvas *out;
	bool empty;
	struct ms_error err;
	if (tile_render_view(m, ctx, v, &out, &empty, &err) != MS_OK) {
		fprintf(stderr, "render: %s\n", err.msg);
		return NULL;
	}
	struct canvas *c = canvas_new(v->width, v->height);
	if (!empty)
		memcpy(c->px, out->px, (size_t)v->width * (size_t)v->height * 4);
	return c;
}

/* Rows of the four tiles of a 2x2 block that differ from the window. */
static int stitched_diff(struct tile_map *m, struct tile_ctx *ctx, const struct style *st, enum coordsys cs,
                         int z, long long tx, long long ty, int scale, size_t *drawn)
{
	int T = 256 * scale;
	struct tile_view big = {st, cs, z, scale, tx * T, ty * T, 2 * T, 2 * T, NULL};
	struct canvas *whole = render_copy(m, ctx, &big);
	if (!whole)
		return -1;
	struct tile_view_stats vs;
	tile_ctx_stats(ctx, &vs);
	*drawn = vs.drawn;
	int diff = 0;
	for (int j = 0; j < 2; j++)
		for (int i = 0; i < 2; i++) {
			struct tile_view v;
			tile_view_of_tile(&v, st, cs, z, tx + i, ty + j, scale);
			struct canvas *t = render_copy(m, ctx, &v);
			if (!t) {
				canvas_free(whole);
				return -1;
			}
			for (int y = 0; y < T; y++)
				diff +=
				    memcmp(t->px + (size_t)y * T * 4,
				           whole->px + (((size_t)(j * T + y) * 2 * T) + (size_t)(i * T)) * 4,
				           (size_t)T * 4) != 0;
			canvas_free(t);
		}
	canvas_free(whole);
	return diff;
}

static void test_stitch(struct tile_map *m, struct tile_ctx *ctx)
{
	static const int zooms[] = {4, 7, 9, 11, 12, 13, 15};
	size_t blocks = 0, busy = 0;
	for (size_t k = 0; k < sizeof zooms / sizeof zooms[0]; k++) {
		int z = zooms[k];
		for (int r = 0; r < 3; r++) {
			size_t i = rng() % snap->n;
			long long tx, ty;
			tile_of(i, z, &tx, &ty);
			tx -= rng() % 2; /* the site's tile in any of the block's corners */
			ty -= rng() % 2;
			for (int s = 0; s < 2; s++) {
				const struct style *st = &styles[(r + s) % 2];
				enum coordsys cs = r == 2 ? COORDSYS_GCJ02 : COORDSYS_WGS84;
				size_t drawn = 0;
				int d = stitched_diff(m, ctx, st, cs, z, tx, ty, s + 1, &drawn);
				CHECK_MSG(d == 0, "z%d %lld/%lld %s scale %d %s: %d rows differ", z, tx, ty,
				          st->name, s + 1, cs == COORDSYS_GCJ02 ? "gcj02" : "wgs84", d);
				blocks++;
				busy += drawn > 20;
			}
		}
	}
	CHECK(blocks == 42 && busy > 20);
}

/* ---- request order and threads ---- */

#define NTILES 60

struct job {
	int style, z, scale;
	enum coordsys cs;
	long long x, y;
};

static struct job jobs[NTILES];
static struct buf want[NTILES];

struct worker {
	struct tile_map *m;
	const int *order;
	int from, to;
	struct buf *got;
	int failed;
};

static void *work(void *p)
{
	struct worker *w = p;
	struct ms_error err;
	struct tile_ctx *ctx = tile_ctx_new(&err);
	for (int k = w->from; k < w->to; k++) {
		const struct job *j = &jobs[w->order[k]];
		struct tile_view v;
		tile_view_of_tile(&v, &styles[j->style], j->cs, j->z, j->x, j->y, j->scale);
		bool empty;
		if (tile_render_png(w->m, ctx, &v, &w->got[w->order[k]], &empty, &err) != MS_OK)
			w->failed++;
	}
	tile_ctx_free(ctx);
	return NULL;
}

static void test_order_and_threads(const struct snapshot_opts *o)
{
	(void)o;
	for (int k = 0; k < NTILES; k++) {
		struct job *j = &jobs[k];
		j->style = (int)(rng() % 2);
		j->z = 3 + (int)(rng() % 14);
		j->scale = 1 + (int)(rng() % 2);
		j->cs = rng() % 3 == 0 ? COORDSYS_GCJ02 : COORDSYS_WGS84;
		tile_of(rng() % snap->n, j->z, &j->x, &j->y);
	}
	/* in order, one thread, one map */
	int order[NTILES];
	for (int k = 0; k < NTILES; k++)
		order[k] = k;
	struct tile_map *m = tile_map_new(snap, styles, 2);
	struct worker one = {m, order, 0, NTILES, want, 0};
	work(&one);
	tile_map_release(m);
	CHECK_INT(one.failed, 0);
	/* shuffled, NTHREADS threads at once, over a new map */
	for (int k = NTILES - 1; k > 0; k--) {
		int r = (int)(rng() % (uint64_t)(k + 1)), t = order[k];
		order[k] = order[r];
		order[r] = t;
	}
	static struct buf got[NTILES];
	m = tile_map_new(snap, styles, 2);
	pthread_t th[NTHREADS];
	struct worker w[NTHREADS];
	for (int t = 0; t < NTHREADS; t++) {
		w[t] = (struct worker){m, order, t * NTILES / NTHREADS, (t + 1) * NTILES / NTHREADS, got, 0};
		pthread_create(&th[t], NULL, work, &w[t]);
	}
	for (int t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		CHECK_INT(w[t].failed, 0);
	}
	tile_map_release(m);
	int same = 0, nonempty = 0;
	const struct buf *e1 = tile_empty_png(1), *e2 = tile_empty_png(2);
	for (int k = 0; k < NTILES; k++) {
		same += want[k].len == got[k].len && !memcmp(want[k].data, got[k].data, want[k].len);
		nonempty += !(want[k].len == e1->len && !memcmp(want[k].data, e1->data, e1->len)) &&
		            !(want[k].len == e2->len && !memcmp(want[k].data, e2->data, e2->len));
		buf_free(&want[k]);
		buf_free(&got[k]);
	}
	CHECK_INT(same, NTILES);
	CHECK(nonempty > NTILES / 2);
}

/* ---- coincident sites ---- */

/* The sites of group *arg: its ids sort first (s000000...), so they are
 * snapshot indices g * GROUP .. g * GROUP + GROUP - 1. */
static enum ms_status group_sites(void *arg, const struct snapshot *s, uint32_t **idx, size_t *n,
                                  struct ms_error *err)
{
	(void)s;
	(void)err;
	int g = *(const int *)arg;
	*idx = xmalloc(GROUP * sizeof **idx);
	for (int k = 0; k < GROUP; k++)
		(*idx)[k] = (uint32_t)(g * GROUP + k);
	*n = GROUP;
	return MS_OK;
}

/* A small window on group g at zoom z: what it draws. */
static void group_view(struct tile_map *m, struct tile_ctx *ctx, int g, int z, struct tile_subset *sub,
                       struct tile_view_stats *vs)
{
	double n = 256 * ldexp(1, z), phi = group_lat[g] * M_PI / 180;
	double x = (group_lon[g] + 180) / 360 * n, y = (1 - asinh(tan(phi)) / M_PI) / 2 * n;
	struct tile_view v = {
	    &styles[g % 2], COORDSYS_WGS84, z, 1, (long long)x - 3, (long long)y - 3, 6, 6, sub};
	canvas_free(render_copy(m, ctx, &v));
	tile_ctx_stats(ctx, vs);
}

static void test_coincident(struct tile_map *m, struct tile_ctx *ctx)
{
	for (int g = 0; g < NGROUPS; g++) {
		CHECK(snap->sites[g * GROUP].lat == group_lat[g] &&
		      snap->sites[g * GROUP + GROUP - 1].lon == group_lon[g]);
		char key[32];
		snprintf(key, sizeof key, "group %d", g);
		struct tile_subset *sub = NULL;
		struct ms_error err;
		CHECK_INT(tile_map_subset(m, key, group_sites, &g, &sub, &err), MS_OK);
		int maxz = styles[g % 2].cluster_maxzoom;
		for (int z = 0; z <= WEBMERC_MAX_ZOOM; z++) {
			/* alone, the group is one cluster of all its sites at its place */
			struct tile_view_stats vs;
			group_view(m, ctx, g, z, sub, &vs);
			CHECK_MSG(vs.drawn == 1 && vs.clusters == 1 && vs.largest_cluster == GROUP,
			          "group %d alone, z%d: %zu drawn, largest %zu", g, z, vs.drawn,
			          vs.largest_cluster);
			/* among all sites it is never split: above the clustering
			 * zooms it is that cluster (below them it may be part of a
			 * larger one, placed elsewhere: index/cluster's tests) */
			if (z <= maxz)
				continue;
			group_view(m, ctx, g, z, NULL, &vs);
			CHECK_MSG(vs.clusters >= 1 && vs.largest_cluster >= GROUP,
			          "group %d, z%d: largest cluster %zu", g, z, vs.largest_cluster);
		}
		tile_subset_release(sub);
	}
}

/* ---- memory ---- */

static void sweep(struct tile_map *m, struct tile_ctx *ctx, int per_zoom)
{
	for (int s = 0; s < 2; s++)
		for (int cs = 0; cs < 2; cs++)
			for (int z = 0; z <= WEBMERC_MAX_ZOOM; z++)
				for (int k = 0; k < per_zoom; k++) {
					long long x, y;
					tile_of(((size_t)k * 7919 + (size_t)z * 104729) % snap->n, z, &x, &y);
					struct tile_view v;
					tile_view_of_tile(&v, &styles[s],
					                  cs ? COORDSYS_GCJ02 : COORDSYS_WGS84, z, x, y,
					                  1 + k % 2);
					struct buf png = BUF_INIT;
					bool empty;
					struct ms_error err;
					CHECK_INT(tile_render_png(m, ctx, &v, &png, &empty, &err), MS_OK);
					buf_free(&png);
				}
}

static void test_memory(struct tile_map *m, struct tile_ctx *ctx)
{
	struct tile_memory before, first, second;
	tile_map_memory(m, &before);
	sweep(m, ctx, 6);
	tile_map_memory(m, &first);
	sweep(m, ctx, 6);
	tile_map_memory(m, &second);
	/* the hierarchies are the snapshot's: nothing per zoom, nothing new */
	CHECK_INT(before.trees, snapshot_clusters_memory(snap));
	CHECK_INT(first.trees, before.trees);
	CHECK_INT(second.trees, before.trees);
	CHECK_INT(second.subsets, first.subsets); /* the coincident groups' */
	/* the scratch kept between views is bounded per context (this one and
	 * the test's others, all freed: only ctx holds any now) */
	CHECK_MSG(second.scratch <= TILE_SCRATCH_KEEP_BYTES, "scratch %zu", second.scratch);
	CHECK(second.scratch == first.scratch || second.scratch <= TILE_SCRATCH_KEEP_BYTES);
	CHECK(second.scratch_peak >= second.scratch);
	printf("layout memory: hierarchies %zu KB, scratch %zu KB (peak %zu KB)\n", second.trees >> 10,
	       second.scratch >> 10, second.scratch_peak >> 10);
}

/* Styles whose clustering parameters agree share one hierarchy: a map of
 * the default style and a recoloured copy holds the snapshot's one for
 * both, and so does every WGS-84 and GCJ-02 view of them. */
static void test_sharing(void)
{
	struct style two[2] = {styles[0], styles[0]};
	two[1].cluster_color = (struct rgba){0, 0, 255, 255};
	snprintf(two[1].name, sizeof two[1].name, "blue");
	struct cluster_params p0;
	tile_cluster_params(&styles[0], &p0);
	struct tile_map *m = tile_map_new(snap, two, 2);
	struct tile_memory mem;
	tile_map_memory(m, &mem);
	CHECK_INT(mem.trees, cluster_memory(snapshot_clusters(snap, &p0)));
	struct ms_error err;
	struct tile_ctx *ctx = tile_ctx_new(&err);
	for (int k = 0; k < 8; k++) {
		long long x, y;
		tile_of((size_t)k * 997, 6 + k, &x, &y);
		struct tile_view v;
		tile_view_of_tile(&v, &two[k % 2], k % 3 ? COORDSYS_GCJ02 : COORDSYS_WGS84, 6 + k, x, y, 1);
		canvas_free(render_copy(m, ctx, &v));
	}
	tile_map_memory(m, &mem);
	CHECK_INT(mem.trees, cluster_memory(snapshot_clusters(snap, &p0))); /* nothing built */
	tile_ctx_free(ctx);
	tile_map_release(m);
}

int main(void)
{
	struct ms_error err;
	if (test_style_load("../styles/default.json", NULL, &styles[0], &err) != MS_OK ||
	    test_style_load("../styles/print.json", "../data", &styles[1], &err) != MS_OK) {
		CHECK_MSG(0, "%s", err.msg);
		return CHECK_DONE();
	}
	struct cluster_params params[2];
	size_t np = tile_styles_cluster_params(styles, 2, params);
	CHECK_INT(np, 2); /* default and print cluster differently */
	struct snapshot_opts o = {params, np, NULL, 0, NULL, NULL};
	snap = make_snapshot(&o);
	CHECK(snap != NULL);
	if (!snap)
		return CHECK_DONE();
	struct tile_map *m = tile_map_new(snap, styles, 2);
	struct tile_ctx *ctx = tile_ctx_new(&err);

	test_stitch(m, ctx);
	test_coincident(m, ctx);
	test_order_and_threads(&o);
	test_memory(m, ctx);
	test_sharing();

	tile_ctx_free(ctx);
	tile_map_release(m);
	snapshot_release(snap);
	test_styles_free();
	return CHECK_DONE();
}

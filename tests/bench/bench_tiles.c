/*
 * bench_tiles.c - cold tile rendering, single thread: tiles/s and bytes
 * per tile over a tile list, the figures the Mapnik peer prints.
 *
 * usage: bench_tiles DB STYLES_DIR TILES.txt [--scale 1|2] [--repeat N] [--out DIR]
 *
 * "Cold" means no tile cache: each repetition renders every tile of the
 * list with a new tile map and nothing of the previous one.  Loading the
 * data - the snapshot with its indexes and the cluster hierarchies of the
 * styles, which a server builds before it answers - is outside the timed
 * region, as Mapnik's map loading is outside its timing.  Prints RESULT
 * lines over the whole list and over the non-empty tiles alone, because
 * most tiles of the 30-site list are empty.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "render/png.h"
#include "render/style.h"
#include "render/tile.h"
#include "store/snapshot.h"
#include "styleset/styleset.h"
#include "util/buf.h"
#include "util/mem.h"

struct tile_addr {
	int z;
	long long x, y;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static struct tile_addr *read_list(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bench_tiles: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	size_t cap = 1024;
	struct tile_addr *v = xmalloc(cap * sizeof *v);
	*n = 0;
	struct tile_addr t;
	while (fscanf(f, "%d/%lld/%lld", &t.z, &t.x, &t.y) == 3) {
		if (*n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		v[(*n)++] = t;
	}
	fclose(f);
	return v;
}

static void write_tile(const char *dir, const struct tile_addr *t, const struct buf *png)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%d", dir, t->z);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/%d/%lld", dir, t->z, t->x);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/%d/%lld/%lld.png", dir, t->z, t->x, t->y);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(png->data, 1, png->len, f) != png->len) {
		fprintf(stderr, "bench_tiles: cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(
		    stderr,
		    "usage: bench_tiles DB STYLES_DIR TILES.txt [--scale 1|2] [--repeat N] [--out DIR]\n");
		return 2;
	}
	int scale = 1, repeat = 3;
	const char *out = NULL;
	for (int i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--scale"))
			scale = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--repeat"))
			repeat = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--out"))
			out = argv[i + 1];
	}
	if (out)
		mkdir(out, 0755);
	struct ms_error err = {0};
	struct styleset *set = NULL;
	if (styleset_load_dir(argv[2], &set, &err) != MS_OK) {
		fprintf(stderr, "bench_tiles: %s\n", err.msg);
		return 1;
	}
	size_t nstyles;
	const struct style *styles = styleset_styles(set, &nstyles);
	struct cluster_params *params = xcalloc(nstyles, sizeof *params);
	struct snapshot_opts o = {params, tile_styles_cluster_params(styles, nstyles, params), NULL, 0, NULL,
	                          NULL};
	struct snapshot *snap = snapshot_load_with(argv[1], &o, &err);
	free(params);
	if (!snap) {
		fprintf(stderr, "bench_tiles: %s\n", err.msg);
		return 1;
	}
	const struct style *style = styleset_find(set, "default");
	struct tile_ctx *ctx = tile_ctx_new(&err);
	if (!style || !ctx) {
		fprintf(stderr, "bench_tiles: no default style or context: %s\n", err.msg);
		return 1;
	}
	size_t n;
	struct tile_addr *list = read_list(argv[3], &n);
	double *rate_all = xcalloc((size_t)repeat, sizeof(double));
	double *rate_full = xcalloc((size_t)repeat, sizeof(double));
	size_t n_full = 0, bytes_all = 0, bytes_full = 0;
	struct buf png = BUF_INIT;
	for (int rep = 0; rep < repeat; rep++) {
		struct tile_map *map = tile_map_new(snap, styles, nstyles);
		double t_all = 0, t_full = 0;
		n_full = bytes_all = bytes_full = 0;
		for (size_t i = 0; i < n; i++) {
			struct tile_view v;
			bool empty;
			buf_reset(&png);
			double t0 = now_s();
			tile_view_of_tile(&v, style, COORDSYS_WGS84, list[i].z, list[i].x, list[i].y, scale);
			if (tile_render_png(map, ctx, &v, &png, &empty, &err) != MS_OK) {
				fprintf(stderr, "bench_tiles: %d/%lld/%lld: %s\n", list[i].z, list[i].x,
				        list[i].y, err.msg);
				return 1;
			}
			double dt = now_s() - t0;
			t_all += dt;
			bytes_all += png.len;
			if (!empty) {
				t_full += dt;
				n_full++;
				bytes_full += png.len;
			}
			if (out && rep == 0)
				write_tile(out, &list[i], &png);
		}
		tile_map_release(map);
		rate_all[rep] = (double)n / t_all;
		rate_full[rep] = t_full > 0 ? (double)n_full / t_full : 0;
	}
	qsort(rate_all, (size_t)repeat, sizeof(double), cmp_double);
	qsort(rate_full, (size_t)repeat, sizeof(double), cmp_double);
	printf("RESULT peer=mapsvc list=all scale=%d tiles=%zu tiles_per_s=%.1f bytes_per_tile=%.0f\n", scale,
	       n, rate_all[repeat / 2], (double)bytes_all / (double)n);
	printf("RESULT peer=mapsvc list=nonempty scale=%d tiles=%zu tiles_per_s=%.1f bytes_per_tile=%.0f\n",
	       scale, n_full, rate_full[repeat / 2], n_full ? (double)bytes_full / (double)n_full : 0.0);
	buf_free(&png);
	free(rate_all);
	free(rate_full);
	free(list);
	tile_ctx_free(ctx);
	styleset_free(set);
	snapshot_release(snap);
	return 0;
}

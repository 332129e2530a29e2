/*
 * bench_cluster.c - how fast the cluster hierarchy (index/cluster.h)
 * builds, how much it holds, and what a tile's window query costs.
 *
 * usage: bench_cluster SITES.csv [--radius PX] [--zooms MIN-MAX] [--tiles N] [--patch K]
 *   SITES.csv with lat and lon columns (tests/bench/gen_sites.py, uniform
 *   or clustered, or the peer yardsticks' gen_points.py).  Default radius
 *   40 px, clusters at zooms 0-16 (MapLibre's defaults are 50 px and
 *   maxzoom - 1).  For each zoom 0..20, N tiles (default 30) that hold
 *   sites are asked with a 64-px margin, as a tile with markers and labels
 *   reaching across its edges would be.
 *
 * Prints RESULT lines:
 *   RESULT cluster_build_ms=... cpu_ms=... n=... clusters=... quiet=... (the
 *          neighbour searches spared: cluster.h's cluster_info.quiet)
 *   RESULT cluster_memory_mb=... bytes_per_site=... rss_delta_mb=...
 *   RESULT cluster_level zoom=Z clusters=... singles=...
 *   RESULT cluster_digest=... (a hash of every zoom's picture and members)
 *   RESULT cluster_tile zoom=Z us_median=... us_max=... items_median=... visited_median=... visited_max=...
 * With --patch K, K sites (chosen with a fixed seed) are moved by up to
 * about a kilometre and the hierarchy is patched (cluster_patch) and
 * built again from scratch:
 *   RESULT cluster_patch moved=K patch_ms=... build_ms=... ratio=... same_digest=yes|no
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index/cluster.h"

#define MAX_TILE_ZOOM 20
#define MARGIN_PX 64

static uint64_t rng_state = 0xD1B54A32D192ED03ULL;

static size_t irand(size_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (size_t)(rng_state % n);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * 4;
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int k = 0; k < 8; k++, v >>= 8)
		h = (h ^ (v & 0xff)) * 0x100000001b3ULL;
	return h;
}

/* A hash of every zoom's whole picture and every cluster's members: two
 * builds that give the same hierarchy give the same digest (a faster
 * builder is checked against the one it replaces with it). */
static uint64_t digest(const struct cluster_tree *t, int top)
{
	const struct cluster_window world = {0, 0, UINT32_MAX, UINT32_MAX};
	struct cluster_items all = {0};
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int z = 0; z <= top; z++) {
		cluster_query(t, z, &world, &all, NULL);
		for (size_t i = 0; i < all.n; i++) {
			const struct cluster_item *it = &all.v[i];
			h = fnv(h, (uint64_t)it->x << 32 | it->y);
			h = fnv(h, (uint64_t)it->count << 32 | it->first);
			h = fnv(h, (uint64_t)it->node << 8 | it->flags);
			if (it->node != CLUSTER_NONE) {
				const uint32_t *m;
				size_t k = cluster_members(t, it->node, &m);
				for (size_t j = 0; j < k; j++)
					h = fnv(h, m[j]);
				h = fnv(h, (uint64_t)cluster_expansion_zoom(t, it->node));
			}
		}
	}
	cluster_items_free(&all);
	return h;
}

/* Reads the lat and lon columns of a CSV without quoted fields. */
static size_t load(const char *path, double **lat, double **lon)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 0;
	}
	char line[4096];
	int clat = -1, clon = -1;
	if (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		int col = 0;
		for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ","), col++) {
			if (strcmp(tok, "lat") == 0)
				clat = col;
			if (strcmp(tok, "lon") == 0)
				clon = col;
		}
	}
	size_t n = 0, cap = 1024;
	*lat = malloc(cap * sizeof **lat);
	*lon = malloc(cap * sizeof **lon);
	while (clat >= 0 && clon >= 0 && fgets(line, sizeof line, f)) {
		if (n == cap) {
			cap *= 2;
			*lat = realloc(*lat, cap * sizeof **lat);
			*lon = realloc(*lon, cap * sizeof **lon);
		}
		int col = 0;
		char *p = line;
		for (;; col++) {
			if (col == clat)
				(*lat)[n] = atof(p);
			if (col == clon)
				(*lon)[n] = atof(p);
			char *comma = strchr(p, ',');
			if (!comma)
				break;
			p = comma + 1;
		}
		n++;
	}
	fclose(f);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Moves k sites and patches t, against a build of the moved sites. */
static void bench_patch(const struct cluster_tree *t, const double *lat0, const double *lon0, size_t n,
                        const struct cluster_params *p, size_t k)
{
	double *lat = malloc(n * sizeof *lat), *lon = malloc(n * sizeof *lon);
	double *olat = malloc(k * sizeof *olat), *olon = malloc(k * sizeof *olon);
	uint32_t *moved = malloc(k * sizeof *moved);
	memcpy(lat, lat0, n * sizeof *lat);
	memcpy(lon, lon0, n * sizeof *lon);
	size_t m = 0;
	for (size_t i = 0; i < n && m < k; i++) /* about k of them, spread over the ids */
		if (irand(n) < k) {
			moved[m] = (uint32_t)i;
			olat[m] = lat[i], olon[m] = lon[i];
			lat[i] += ((double)irand(2001) - 1000) * 1e-5;
			lon[i] += ((double)irand(2001) - 1000) * 1e-5;
			m++;
		}
	struct ms_error err = {0};
	double t0 = now_us();
	struct cluster_tree *patched = cluster_patch(t, lat, lon, NULL, n, moved, olat, olon, m, &err);
	double patch_ms = (now_us() - t0) / 1e3;
	t0 = now_us();
	struct cluster_tree *built = cluster_build(lat, lon, NULL, n, p, &err);
	double build_ms = (now_us() - t0) / 1e3;
	if (!patched || !built) {
		fprintf(stderr, "bench_cluster: %s\n", err.msg);
		exit(1);
	}
	printf("RESULT cluster_patch moved=%zu patch_ms=%.0f build_ms=%.0f ratio=%.2f same_digest=%s\n", m,
	       patch_ms, build_ms, patch_ms / build_ms,
	       digest(patched, p->max_zoom + 1) == digest(built, p->max_zoom + 1) ? "yes" : "no");
	cluster_free(patched);
	cluster_free(built);
	free(lat);
	free(lon);
	free(olat);
	free(olon);
	free(moved);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *path = NULL;
	struct cluster_params p = {40, 0, 16};
	size_t ntiles = 30, npatch = 0;
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--radius") == 0 && a + 1 < argc)
			p.radius_px = atof(argv[++a]);
		else if (strcmp(argv[a], "--zooms") == 0 && a + 1 < argc)
			sscanf(argv[++a], "%d-%d", &p.min_zoom, &p.max_zoom);
		else if (strcmp(argv[a], "--tiles") == 0 && a + 1 < argc)
			ntiles = (size_t)atol(argv[++a]);
		else if (strcmp(argv[a], "--patch") == 0 && a + 1 < argc)
			npatch = (size_t)atol(argv[++a]);
		else
			path = argv[a];
	}
	if (!path || ntiles == 0) {
		fprintf(stderr, "usage: bench_cluster SITES.csv [--radius PX] [--zooms MIN-MAX] [--tiles N] "
		                "[--patch K]\n");
		return 2;
	}
	double *lat, *lon;
	size_t n = load(path, &lat, &lon);
	if (n == 0) {
		fprintf(stderr, "bench_cluster: %s: no sites\n", path);
		return 1;
	}
	long rss0 = rss_kb();
	double t0 = now_us(), c0 = cpu_us();
	struct ms_error err = {0};
	struct cluster_tree *t = cluster_build(lat, lon, NULL, n, &p, &err);
	double build_ms = (now_us() - t0) / 1e3, build_cpu = (cpu_us() - c0) / 1e3;
	if (!t) {
		fprintf(stderr, "bench_cluster: %s\n", err.msg);
		return 1;
	}
	struct cluster_info info;
	cluster_get_info(t, &info);
	size_t mem = cluster_memory(t);
	printf(
	    "RESULT cluster_build_ms=%.0f cpu_ms=%.0f n=%zu clusters=%zu quiet=%zu radius=%g zooms=%d-%d\n",
	    build_ms, build_cpu, n, info.nodes, info.quiet, p.radius_px, p.min_zoom, p.max_zoom);
	printf("RESULT cluster_memory_mb=%.1f bytes_per_site=%.1f rss_delta_mb=%.1f\n",
	       (double)mem / 1048576.0, (double)mem / (double)n, (double)(rss_kb() - rss0) / 1024.0);
	for (int z = 0; z <= p.max_zoom + 1; z++)
		printf("RESULT cluster_level zoom=%d clusters=%zu singles=%zu\n", z, info.alive[z],
		       info.single[z]);
	printf("RESULT cluster_digest=%016llx\n", (unsigned long long)digest(t, p.max_zoom + 1));
	if (npatch)
		bench_patch(t, lat, lon, n, &p, npatch);

	struct cluster_items got = {0};
	double *us = malloc(ntiles * sizeof *us), *items = malloc(ntiles * sizeof *items);
	double *visited = malloc(ntiles * sizeof *visited);
	for (int z = 0; z <= MAX_TILE_ZOOM; z++) {
		for (size_t k = 0; k < ntiles; k++) {
			size_t s = irand(n);
			uint32_t x, y;
			cluster_position(lat[s], lon[s], &x, &y);
			struct cluster_window w;
			cluster_tile_window(z, (long long)((uint64_t)x >> (32 - z)),
			                    (long long)((uint64_t)y >> (32 - z)), MARGIN_PX, &w);
			struct cluster_stats st;
			double q0 = now_us();
			cluster_query(t, z, &w, &got, &st);
			us[k] = now_us() - q0;
			items[k] = (double)got.n;
			visited[k] = (double)st.visited;
		}
		qsort(us, ntiles, sizeof *us, cmp_double);
		qsort(items, ntiles, sizeof *items, cmp_double);
		qsort(visited, ntiles, sizeof *visited, cmp_double);
		printf("RESULT cluster_tile zoom=%d us_median=%.1f us_max=%.1f items_median=%.0f "
		       "visited_median=%.0f "
		       "visited_max=%.0f tiles=%zu\n",
		       z, us[ntiles / 2], us[ntiles - 1], items[ntiles / 2], visited[ntiles / 2],
		       visited[ntiles - 1], ntiles);
	}
	cluster_items_free(&got);
	cluster_free(t);
	free(us);
	free(items);
	free(visited);
	free(lat);
	free(lon);
	return 0;
}

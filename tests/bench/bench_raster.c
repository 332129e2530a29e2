/*
 * bench_raster.c - how fast the rasterizer draws markers and the PNG
 * encoder writes tiles, and how big the tiles are.
 *
 * usage: bench_raster [SECONDS_PER_CASE]   (default 0.5)
 *
 * Markers are the default style's: radius 6 (12 px wide), a 2 px white
 * outline, at random sub-pixel positions on a 256 px tile (fixed seed),
 * some of them cut by the tile's edge.  A "tile" is a cleared canvas, n
 * markers and the PNG encoding, which is what the tile route does besides
 * labels.  Prints RESULT lines:
 *   RESULT raster_marker_per_s=... shape=...
 *   RESULT raster_marker_outside_per_s=...
 *   RESULT raster_circle_r20_per_s=...  raster_stroke_10seg_per_s=...
 *   RESULT png_empty_tile_bytes=... per_s=...
 *   RESULT tile_markers=N per_s=... bytes=... colour_type=...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "render/canvas.h"
#include "render/png.h"
#include "render/raster.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static double urand(double lo, double hi)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return lo + (hi - lo) * ((double)(rng_state >> 11) / 9007199254740992.0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define NPOS 4096
static double px[NPOS], py[NPOS];

static const struct rgba FILLS[4] = {
    {192, 57, 43, 255}, {211, 84, 0, 255}, {46, 134, 193, 255}, {17, 122, 101, 255}};
static const struct rgba WHITE = {255, 255, 255, 255};

static double seconds = 0.5;

static void bench_marker(struct canvas *c, enum marker_shape shape, double off)
{
	long n = 0;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 1024; i++, n++)
			raster_marker(c, shape, px[n % NPOS] + off, py[n % NPOS], 6, FILLS[n & 3], WHITE, 2);
		t = now_s() - t0;
	} while (t < seconds);
	if (off)
		printf("RESULT raster_marker_outside_per_s=%.0f\n", n / t);
	else
		printf("RESULT raster_marker_per_s=%.0f shape=%s\n", n / t, marker_shape_name(shape));
}

static void bench_tile(struct canvas *c, int markers)
{
	long n = 0;
	size_t bytes = 0;
	struct buf png = BUF_INIT;
	struct ms_error err;
	double t0 = now_s(), t;
	do {
		canvas_clear(c, (struct rgba){0, 0, 0, 0});
		for (int i = 0; i < markers; i++) {
			long k = (n * markers + i) % NPOS;
			raster_marker(c, SHAPE_CIRCLE, px[k], py[k], 6, FILLS[k & 3], WHITE, 2);
		}
		buf_reset(&png);
		if (pngenc_encode(c, &png, &err) != MS_OK) {
			fprintf(stderr, "bench_raster: %s\n", err.msg);
			exit(1);
		}
		bytes += png.len;
		n++;
		t = now_s() - t0;
	} while (t < seconds);
	printf("RESULT tile_markers=%d per_s=%.0f bytes=%.0f colour_type=%d\n", markers, n / t,
	       (double)bytes / n, markers ? png.data[25] : png.data[25]);
	buf_free(&png);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		seconds = atof(argv[1]);
	for (int i = 0; i < NPOS; i++) {
		px[i] = urand(-8, 264);
		py[i] = urand(-8, 264);
	}
	struct canvas *c = canvas_new(256, 256);
	for (int s = 0; s < SHAPE_COUNT; s++)
		bench_marker(c, (enum marker_shape)s, 0);
	bench_marker(c, SHAPE_CIRCLE, 1000);

	long n = 0;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 256; i++, n++)
			raster_fill_circle(c, px[n % NPOS], py[n % NPOS], 20, FILLS[n & 3]);
		t = now_s() - t0;
	} while (t < seconds);
	printf("RESULT raster_circle_r20_per_s=%.0f\n", n / t);

	n = 0;
	t0 = now_s();
	do {
		double xy[22];
		for (int k = 0; k < 11; k++) {
			xy[2 * k] = px[(n + k) % NPOS];
			xy[2 * k + 1] = py[(n + k) % NPOS];
		}
		raster_stroke_polyline(c, xy, 11, false, 3, FILLS[n & 3]);
		n++;
		t = now_s() - t0;
	} while (t < seconds);
	printf("RESULT raster_stroke_10seg_per_s=%.0f (random segments across the tile)\n", n / t);

	int counts[] = {0, 1, 3, 5, 10};
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		bench_tile(c, counts[i]);
	canvas_free(c);
	return 0;
}

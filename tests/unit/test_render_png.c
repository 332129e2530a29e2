/* test_render_png.c - PNG encoding of canvases: exact round trips, the
 * palette/RGBA choice and bit depths, determinism, small empty tiles. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "render/canvas.h"
#include "render/png.h"
#include "render/raster.h"

static const struct rgba WHITE = {255, 255, 255, 255};

/* A deterministic pseudo-random generator (xorshift32). */
static uint32_t rng = 2463534242u;
static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Big-endian u32 at p. */
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The chunk of type t in a PNG stream (its data, *len set), or NULL. */
static const uint8_t *chunk(const struct buf *b, const char *t, uint32_t *len)
{
	const uint8_t *p = (const uint8_t *)b->data + 8, *end = (const uint8_t *)b->data + b->len;
	while (p + 12 <= end) {
		uint32_t n = be32(p);
		if (memcmp(p + 4, t, 4) == 0) {
			*len = n;
			return p + 8;
		}
		p += 12 + n;
	}
	return NULL;
}

static int bit_depth(const struct buf *b)
{
	return (uint8_t)b->data[24];
}

static int colour_type(const struct buf *b)
{
	return (uint8_t)b->data[25];
}

/* Encodes c, decodes it back and compares every byte. */
static int round_trip(const struct canvas *c, struct buf *png)
{
	struct ms_error err;
	buf_reset(png);
	if (pngenc_encode(c, png, &err) != MS_OK)
		return 0;
	struct canvas *d = NULL;
	if (pngenc_decode(png->data, png->len, &d, &err) != MS_OK)
		return 0;
	int same = d->width == c->width && d->height == c->height &&
	           memcmp(d->px, c->px, (size_t)c->width * (size_t)c->height * 4) == 0;
	canvas_free(d);
	return same;
}

/* True when c encodes to png's bytes again (into again). */
static int encodes_again(const struct canvas *c, const struct buf *png, struct buf *again)
{
	struct ms_error err;
	buf_reset(again);
	return pngenc_encode(c, again, &err) == MS_OK && png->len == again->len &&
	       memcmp(png->data, again->data, png->len) == 0;
}

/* A canvas of exactly n colours (n >= 1): transparent, then n - 1 others. */
static struct canvas *with_colours(int n)
{
	struct canvas *c = canvas_new(40, 30);
	for (int i = 1; i < n; i++) {
		uint8_t *p = c->px + (size_t)i * 4;
		uint8_t a = (uint8_t)(i % 2 ? 255 : 128 + i % 100);
		p[0] = (uint8_t)(i * 7 % a);
		p[1] = (uint8_t)(i / 3 % a);
		p[2] = (uint8_t)(i * 13 % a);
		p[3] = a;
	}
	return c;
}

static void test_depths(void)
{
	const int counts[] = {1, 2, 3, 4, 5, 16, 17, 255, 256, 257, 1000};
	const int depth[] = {1, 1, 2, 2, 4, 4, 8, 8, 8, 8, 8};
	const int type[] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 6, 6};
	struct buf png = BUF_INIT;
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		struct canvas *c = with_colours(counts[i]);
		CHECK_MSG(round_trip(c, &png), "%d colours", counts[i]);
		CHECK_INT(colour_type(&png), type[i]);
		CHECK_INT(bit_depth(&png), depth[i]);
		uint32_t n = 0;
		if (type[i] == 3) {
			const uint8_t *plte = chunk(&png, "PLTE", &n);
			CHECK(plte != NULL);
			CHECK_INT(n, 3 * counts[i]);
			/* index 0 is the transparent colour */
			const uint8_t *trns = chunk(&png, "tRNS", &n);
			CHECK(trns != NULL && trns[0] == 0);
		} else {
			CHECK(chunk(&png, "PLTE", &n) == NULL);
		}
		canvas_free(c);
	}
	buf_free(&png);
}

static void test_round_trips(void)
{
	struct buf png = BUF_INIT;
	/* one opaque colour everywhere: indexed, and opaque after the trip */
	struct canvas *u = canvas_new(33, 17);
	canvas_clear(u, (struct rgba){10, 200, 30, 255});
	CHECK(round_trip(u, &png));
	CHECK_INT(colour_type(&png), 3);
	canvas_free(u);
	/* random valid premultiplied pixels (each channel <= alpha) */
	struct canvas *c = canvas_new(97, 61);
	for (size_t i = 0; i < 97 * 61; i++) {
		uint8_t *p = c->px + i * 4;
		uint32_t r = next();
		uint8_t a = (uint8_t)(r & 255);
		p[3] = a;
		for (int k = 0; k < 3; k++)
			p[k] = a ? (uint8_t)((r >> (8 + 8 * k)) % ((uint32_t)a + 1)) : 0;
	}
	CHECK(round_trip(c, &png));
	CHECK_INT(colour_type(&png), 6);
	canvas_free(c);

	/* a tile of antialiased markers: every edge pixel comes back exact */
	c = canvas_new(256, 256);
	struct rgba red = {200, 20, 30, 255}, blue = {20, 60, 220, 255};
	raster_marker(c, SHAPE_PIN, 100.3, 120.7, 9, red, WHITE, 2);
	raster_marker(c, SHAPE_CIRCLE, 40.5, 200.2, 7, blue, WHITE, 1.5);
	raster_marker(c, SHAPE_SQUARE, 250.1, 10.2, 8, red, WHITE, 2); /* cut by the edge */
	CHECK(round_trip(c, &png));
	canvas_free(c);

	/* the documented roundings: premultiplied (50,0,0,100) is straight
	 * round(50 * 255 / 100) = 128 in the file, and 128 * 100 / 255 = 50.2
	 * rounds back to 50 */
	c = canvas_new(4, 4);
	memcpy(c->px + 4 * 5, (uint8_t[]){50, 0, 0, 100}, 4);
	CHECK(round_trip(c, &png));
	uint32_t n;
	const uint8_t *plte = chunk(&png, "PLTE", &n), *trns;
	CHECK(plte && n == 6);
	if (plte && n == 6) {
		CHECK_INT(plte[3], 128);
		trns = chunk(&png, "tRNS", &n);
		CHECK(trns && n == 2 && trns[1] == 100);
	}
	/* a transparent pixel with stray colour values encodes as transparent */
	memcpy(c->px, (uint8_t[]){9, 9, 9, 0}, 4);
	struct ms_error err;
	buf_reset(&png);
	CHECK(pngenc_encode(c, &png, &err) == MS_OK);
	struct canvas *d = NULL;
	CHECK(pngenc_decode(png.data, png.len, &d, &err) == MS_OK);
	if (d) {
		CHECK(memcmp(d->px, (uint8_t[]){0, 0, 0, 0}, 4) == 0);
		CHECK(memcmp(d->px + 20, (uint8_t[]){50, 0, 0, 100}, 4) == 0);
		canvas_free(d);
	}
	canvas_free(c);
	buf_free(&png);
}

/* An @2x tile's RGBA image is compressed in two halves at once (png.c):
 * the stream is still one, decodes to every pixel, and is the same bytes
 * each time; so for sizes around the split and rows of every kind (clear,
 * repeated, random) on both sides of it, in the thread's scratch or (the
 * size over 4 MiB of rows) not.  The last is random throughout, the
 * least compressible image a canvas holds. */
static void test_split_rgba(void)
{
	struct buf png = BUF_INIT, again = BUF_INIT;
	static const int sizes[][2] = {{512, 512},  {512, 257},   {700, 380}, {256, 512},
	                               {1024, 300}, {1100, 1000}, {512, 512}};
	const size_t nsizes = sizeof sizes / sizeof sizes[0];
	for (size_t k = 0; k < nsizes; k++) {
		int w = sizes[k][0], h = sizes[k][1];
		int noise = k == nsizes - 1 ? h : 40;
		struct canvas *c = canvas_new(w, h);
		for (int y = 0; y < h; y++) {
			if (y % 7 == 3 && noise < h)
				continue; /* clear rows */
			for (int x = 0; x < w; x++) {
				uint8_t *p = c->px + ((size_t)y * (size_t)w + (size_t)x) * 4;
				/* random near the split, repeating elsewhere (long matches
				 * that would reach across it) */
				uint32_t r =
				    abs(y - h / 2) < noise ? next() : (uint32_t)(x * 2654435761u ^ (y % 5));
				uint8_t a = (uint8_t)(r & 255);
				p[3] = a;
				for (int q = 0; q < 3; q++)
					p[q] = a ? (uint8_t)((r >> (8 + 8 * q)) % ((uint32_t)a + 1)) : 0;
			}
		}
		CHECK_MSG(round_trip(c, &png), "%dx%d", w, h);
		CHECK_INT(colour_type(&png), 6);
		CHECK(encodes_again(c, &png, &again));
		canvas_free(c);
	}
	buf_free(&png);
	buf_free(&again);
}

/* Indexed images from IGZIP_INDEXED_MIN bytes of rows take igzip, not
 * zlib (png.c): at 4 and 8 bits a pixel, in the thread's scratch and (the
 * last size, over 4 MiB of rows) not, every pixel comes back and the
 * bytes are the same each time. */
static void test_large_indexed(void)
{
	struct buf png = BUF_INIT, again = BUF_INIT;
	static const int sizes[][3] = {
	    {512, 512, 200}, {600, 400, 16}, {1100, 1000, 256}, {1024, 512, 9}, {2100, 2100, 255}};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		int w = sizes[k][0], h = sizes[k][1], n = sizes[k][2];
		struct canvas *c = canvas_new(w, h);
		for (int y = 0; y < h; y++) {
			if (y % 5 == 1)
				continue; /* clear rows */
			for (int x = 0; x < w; x++) {
				/* runs of a colour, in an order that repeats now and then */
				uint32_t i = (y % 9 == 4 ? next() : (uint32_t)(x / 3 + y)) % (uint32_t)n;
				uint8_t *p = c->px + ((size_t)y * (size_t)w + (size_t)x) * 4;
				if (i == 0)
					continue;
				p[3] = 255;
				p[0] = (uint8_t)i;
				p[1] = (uint8_t)(i * 7);
			}
		}
		CHECK_MSG(round_trip(c, &png), "%dx%d, %d colours", w, h, n);
		CHECK_INT(colour_type(&png), 3);
		CHECK_INT(bit_depth(&png), n <= 16 ? 4 : 8);
		CHECK(encodes_again(c, &png, &again));
		canvas_free(c);
	}
	buf_free(&png);
	buf_free(&again);
}

/* An image's bytes do not depend on what this thread encoded before
 * (the deflate state is reused from image to image): each image of a
 * mixed set, encoded after the others in two orders, gives its first
 * bytes.  Tiles are compared by their bytes (ETags, replicas). */
static void test_history(void)
{
	enum { N = 6 };
	struct canvas *c[N];
	static const int dims[N][3] = {{512, 512, 200},  {512, 512, 40}, {256, 256, 100},
	                               {512, 512, 1000}, {700, 300, 3},  {512, 512, 255}};
	for (int k = 0; k < N; k++) {
		int w = dims[k][0], h = dims[k][1], n = dims[k][2];
		c[k] = canvas_new(w, h);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				uint32_t i =
				    (y % 7 == 3 ? next() : (uint32_t)(x / (k + 2) + y * k)) % (uint32_t)n;
				uint8_t *px = c[k]->px + ((size_t)y * (size_t)w + (size_t)x) * 4;
				if (!i)
					continue;
				px[3] = 255;
				px[0] = (uint8_t)i;
				px[1] = (uint8_t)(i >> 8);
				px[2] = (uint8_t)(i * 5 + k);
			}
	}
	struct buf first[N], again = BUF_INIT;
	struct ms_error err;
	for (int k = 0; k < N; k++) {
		first[k] = (struct buf)BUF_INIT;
		CHECK(pngenc_encode(c[k], &first[k], &err) == MS_OK);
	}
	for (int pass = 0; pass < 2; pass++)
		for (int j = 0; j < N; j++) {
			int k = pass ? (j * 5 + 1) % N : N - 1 - j;
			CHECK_MSG(encodes_again(c[k], &first[k], &again), "image %d, pass %d", k, pass);
		}
	for (int k = 0; k < N; k++) {
		buf_free(&first[k]);
		canvas_free(c[k]);
	}
	buf_free(&again);
}

/* A file's bytes (into b), or 0. */
static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	char chunk_[4096];
	size_t n;
	while ((n = fread(chunk_, 1, sizeof chunk_, f)) > 0)
		buf_append(b, chunk_, n);
	fclose(f);
	return 1;
}

/* An image's bytes do not depend on where the encoder's memory lies.
 * tests/data/tiles/address@2x.png is an @2x tile of test_kept's
 * clustered sites whose rows ISA-L's level 1, starting a stream without
 * history, coded otherwise for one place of its state in 8192: it hashed
 * the state's address instead of the rows' third byte (png.c,
 * head_piece).  That hash takes bits 16 to 28 of the address here, so
 * the scratch moves 64 KiB at a time over 8192 places. */
static void test_address(void)
{
	struct buf file = BUF_INIT, first = BUF_INIT, again = BUF_INIT;
	struct canvas *c = NULL;
	struct ms_error err;
	CHECK(read_file("data/tiles/address@2x.png", &file));
	CHECK(pngenc_decode(file.data, file.len, &c, &err) == MS_OK);
	if (!c)
		return;
	CHECK(round_trip(c, &first));
	/* Huge pages where the kernel gives them, and each 2 MiB given back
	 * once the scratch has moved past it: this touches half a gigabyte. */
	enum { PLACES = 8192, STEP = 64 << 10, HUGE = 2 << 20 };
	const size_t n = pngenc_scratch_bytes(), span = n + (size_t)PLACES * STEP + HUGE;
	uint8_t *map =
	    mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(map != MAP_FAILED);
	uint8_t *area =
	    map == MAP_FAILED ? NULL : (uint8_t *)(((uintptr_t)map + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
#ifdef MADV_HUGEPAGE
	if (area)
		madvise(area, span - HUGE, MADV_HUGEPAGE);
#endif
	int differ = 0;
	for (int k = 0; area && k < PLACES; k++) {
		buf_reset(&again);
		CHECK(pngenc_encode_in(c, area + (size_t)k * STEP, &again, &err) == MS_OK);
		differ += again.len != first.len || memcmp(again.data, first.data, first.len) != 0;
		if ((k + 1) % (HUGE / STEP) == 0) /* behind the next place */
			madvise(area + (size_t)(k + 1) * STEP - HUGE, HUGE, MADV_DONTNEED);
	}
	CHECK_INT(differ, 0);
	if (map != MAP_FAILED)
		munmap(map, span);
	canvas_free(c);
	buf_free(&file);
	buf_free(&first);
	buf_free(&again);
}

static void test_sizes_and_determinism(void)
{
	struct ms_error err;
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct canvas *c = canvas_new(256, 256);
	CHECK(pngenc_encode(c, &a, &err) == MS_OK);
	/* a 1-bit palette of one transparent entry, which GDAL reads as
	 * transparent (a tRNS grey it takes as opaque) */
	CHECK_MSG(a.len <= 120, "empty tile is %zu bytes", a.len);
	CHECK_INT(colour_type(&a), 3);
	CHECK_INT(bit_depth(&a), 1);
	uint32_t n = 0;
	const uint8_t *plte = chunk(&a, "PLTE", &n);
	CHECK(plte != NULL && n == 3);
	const uint8_t *trns = chunk(&a, "tRNS", &n);
	CHECK(trns != NULL && n == 1 && trns[0] == 0);
	struct canvas *d = NULL;
	CHECK(pngenc_decode(a.data, a.len, &d, &err) == MS_OK && d && canvas_is_empty(d));
	canvas_free(d);

	/* typical overlay tiles: a few markers, "a few hundred bytes to ~2 KB" */
	struct rgba cols[3] = {{200, 20, 30, 255}, {230, 120, 20, 255}, {20, 60, 220, 255}};
	for (int i = 0; i < 6; i++) {
		raster_marker(c, (enum marker_shape)(i % SHAPE_COUNT), 30 + 37.3 * i, 40 + 29.1 * (i % 4), 8,
		              cols[i % 3], WHITE, 2);
		buf_reset(&a);
		CHECK(pngenc_encode(c, &a, &err) == MS_OK);
		printf("%d-marker tile: %zu bytes, colour type %d, depth %d\n", i + 1, a.len, colour_type(&a),
		       bit_depth(&a));
		CHECK_INT(colour_type(&a), 3);
		if (i == 0)
			CHECK_MSG(a.len < 600, "1-marker tile is %zu bytes", a.len);
		if (i == 2)
			CHECK_MSG(a.len < 1500, "3-marker tile is %zu bytes", a.len);
		if (i == 5)
			CHECK_MSG(a.len < 2300, "6-marker tile is %zu bytes", a.len);
	}
	CHECK(pngenc_encode(c, &b, &err) == MS_OK);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	/* appending: the second image follows the first in the same buffer */
	size_t first = b.len;
	CHECK(pngenc_encode(c, &b, &err) == MS_OK);
	CHECK(b.len == 2 * first && memcmp(b.data, b.data + first, first) == 0);
	canvas_free(c);
	buf_free(&a);
	buf_free(&b);
}

static void test_bad_input(void)
{
	struct ms_error err;
	struct canvas *d = (struct canvas *)&err; /* must be reset to NULL */
	CHECK(pngenc_decode("not a png", 9, &d, &err) == MS_EDATA);
	CHECK(d == NULL);
	CHECK(strstr(err.msg, "PNG") != NULL);

	struct buf png = BUF_INIT;
	struct canvas *c = canvas_new(64, 64);
	raster_fill_circle(c, 30, 30, 20, WHITE);
	CHECK(pngenc_encode(c, &png, &err) == MS_OK);
	CHECK(pngenc_decode(png.data, png.len / 2, &d, &err) == MS_EDATA);
	CHECK(d == NULL);
	/* a flipped byte in the image data fails its CRC */
	png.data[png.len - 20] ^= 0x55;
	CHECK(pngenc_decode(png.data, png.len, &d, &err) == MS_EDATA);
	CHECK(d == NULL);
	canvas_free(c);
	buf_free(&png);
}

int main(void)
{
	test_depths();
	test_round_trips();
	test_split_rgba();
	test_large_indexed();
	test_history();
	test_address();
	test_sizes_and_determinism();
	test_bad_input();
	return CHECK_DONE();
}

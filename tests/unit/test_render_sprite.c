/* test_render_sprite.c - stamped markers: the same pixels wherever a
 * window's origin puts them (whole pixels apart, on either side of the
 * origin, halves of a phase included), what the rasterizer draws at the
 * rounded position but for rounding, the approximate site's hole,
 * a canvas of another coverage quantisation, and a cache that stays within
 * SPRITE_MAX images and keeps the looks still asked for. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/sprite.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static double urand(double lo, double hi)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return lo + (hi - lo) * ((double)(rng_state >> 11) / 9007199254740992.0);
}

static struct canvas *tile_canvas(int w, int h)
{
	struct canvas *c = canvas_new(w, h);
	canvas_set_aa_levels(c, CANVAS_AA_TILE);
	return c;
}

static void test_translation(struct sprites *sp)
{
	int bad = 0;
	for (int k = 0; k < 3000; k++) {
		enum marker_shape sh = (enum marker_shape)(k % SHAPE_COUNT);
		double size = urand(2, 12), e = k % 3 ? urand(0, 3) : 0, hole = k % 2 ? 0.5 : 0;
		struct rgba fill = {200, (uint8_t)(k % 60), 40, k % 4 ? 255 : 180},
		            out = {255, 255, 255, 255};
		struct rgba hc = {250, 250, 250, 255};
		/* on the 1/256 grid, as anchors are, half-phases included */
		double x = floor(urand(-40, 296) * 256) / 256, y = floor(urand(10, 54) * 256) / 256;
		if (k % 5 == 0)
			x = floor(x) + 0.125; /* exactly half a phase */
		struct canvas *a = tile_canvas(256, 64), *b = tile_canvas(512, 64);
		canvas_clear(a, (struct rgba){247, 244, 238, 255});
		canvas_clear(b, (struct rgba){247, 244, 238, 255});
		sprites_marker(sp, a, sh, x, y, size, fill, out, e, hole, hc);
		sprites_marker(sp, b, sh, x + 256, y, size, fill, out, e, hole, hc);
		for (int r = 0; r < 64; r++)
			if (memcmp(a->px + (size_t)r * 256 * 4, b->px + ((size_t)r * 512 + 256) * 4,
			           256 * 4)) {
				bad++;
				break;
			}
		canvas_free(a);
		canvas_free(b);
	}
	CHECK_INT(bad, 0);
}

/* Stamped and rasterized at the rounded position: the same marker. */
static void test_like_raster(struct sprites *sp)
{
	int worst = 0;
	size_t painted = 0, off = 0;
	for (int k = 0; k < 200; k++) {
		enum marker_shape sh = (enum marker_shape)(k % SHAPE_COUNT);
		/* sizes the key keeps as they are: in 1/64 px */
		double size = floor(urand(3, 9) * 64) / 64, e = floor(urand(0.5, 2.5) * 64) / 64;
		double hole = k % 2 ? 0.5 : 0;
		struct rgba fill = {(uint8_t)(k * 7), 80, 200, 255}, out = {255, 255, 255, 255},
		            hc = {255, 255, 255, 255};
		double x = floor(urand(20, 40) * SPRITE_PHASES) / SPRITE_PHASES;
		double y = floor(urand(30, 40) * SPRITE_PHASES) / SPRITE_PHASES;
		struct canvas *a = tile_canvas(64, 64), *b = tile_canvas(64, 64);
		sprites_marker(sp, a, sh, x, y, size, fill, out, e, hole, hc);
		raster_marker(b, sh, x, y, size, fill, out, e);
		if (hole > 0)
			raster_marker_hole(b, sh, x, y, size, hole, hc);
		for (size_t i = 0; i < 64 * 64 * 4; i++) {
			int d = abs(a->px[i] - b->px[i]);
			worst = d > worst ? d : worst;
			off += d > 2;
			painted += i % 4 == 3 && a->px[i];
		}
		canvas_free(a);
		canvas_free(b);
	}
	/* a level of rounding per channel; now and then, on an edge, one level
	 * of coverage (of CANVAS_AA_TILE's 16), where the marker's outline
	 * falls on a snapping boundary at one origin and not at the other */
	CHECK_MSG(worst <= 2 * 256 / (CANVAS_AA_TILE - 1), "worst channel difference %d", worst);
	CHECK_MSG(off * 200 < painted * 4, "%zu channels off by more than 2 of %zu pixels painted", off,
	          painted);
	CHECK(painted > 200 * 20);
}

static void test_cache(struct sprites *sp)
{
	struct canvas *a = tile_canvas(64, 64);
	struct rgba fill = {200, 0, 0, 255}, none = {0, 0, 0, 0};
	/* a look drawn first comes out the same after the table has grown
	 * many times over (its image moved), and after the cache started again */
	struct canvas *first = tile_canvas(64, 64), *later = tile_canvas(64, 64);
	sprites_marker(sp, first, SHAPE_TRIANGLE, 31.5, 32.25, 9, fill, none, 0, 0, none);
	for (int k = 0; k < SPRITE_MAX - 8; k++) {
		struct rgba look = {(uint8_t)k, (uint8_t)(k >> 8), 40, 255};
		sprites_marker(sp, a, SHAPE_CIRCLE, 32, 32, 6, look, none, 0, 0, none);
	}
	sprites_marker(sp, later, SHAPE_TRIANGLE, 31.5, 32.25, 9, fill, none, 0, 0, none);
	CHECK(memcmp(first->px, later->px, 64 * 64 * 4) == 0);
	/* more looks than the cache keeps: it starts again, and stays bounded */
	for (int k = 0; k < 3 * SPRITE_MAX; k++) {
		struct rgba look = {(uint8_t)k, (uint8_t)(k >> 8), 80, 255};
		sprites_marker(sp, a, SHAPE_CIRCLE, 32, 32, 2 + (k % 256) / 16.0, look, none, 0, 0, none);
	}
	size_t bound = sizeof(void *) * 8 * 2 * SPRITE_MAX + (size_t)SPRITE_MAX * 48 * 48 * 4;
	CHECK(sprites_memory(sp) > 0 && sprites_memory(sp) < bound);
	canvas_clear(later, none);
	sprites_marker(sp, later, SHAPE_TRIANGLE, 31.5, 32.25, 9, fill, none, 0, 0, none);
	CHECK(memcmp(first->px, later->px, 64 * 64 * 4) == 0);
	/* a look asked for again and again outlives the turns of the
	 * generations: drawn once while 3 * SPRITE_MAX others come and go,
	 * and one not asked for since is drawn again */
	struct sprites *gens = sprites_new();
	struct canvas *hot = tile_canvas(64, 64);
	sprites_marker(gens, hot, SHAPE_TRIANGLE, 31.5, 32.25, 9, fill, none, 0, 0, none);
	CHECK_INT(sprites_drawn(gens), 1);
	for (int k = 0; k < 3 * SPRITE_MAX; k++) {
		struct rgba look = {(uint8_t)k, (uint8_t)(k >> 8), 120, 255};
		sprites_marker(gens, a, SHAPE_CIRCLE, 32, 32, 5, look, none, 0, 0, none);
		sprites_marker(gens, hot, SHAPE_TRIANGLE, 31.5, 32.25, 9, fill, none, 0, 0, none);
	}
	CHECK_INT(sprites_drawn(gens), 1 + 3 * SPRITE_MAX);
	sprites_marker(gens, a, SHAPE_CIRCLE, 32, 32, 5, (struct rgba){0, 0, 120, 255}, none, 0, 0, none);
	CHECK_INT(sprites_drawn(gens), 2 + 3 * SPRITE_MAX);
	CHECK(sprites_memory(gens) < bound);
	canvas_clear(later, none);
	sprites_marker(gens, later, SHAPE_TRIANGLE, 31.5, 32.25, 9, fill, none, 0, 0, none);
	CHECK(memcmp(first->px, later->px, 64 * 64 * 4) == 0);
	sprites_free(gens);
	canvas_free(hot);
	canvas_free(first);
	canvas_free(later);
	/* another quantisation: the images are made again for it */
	struct canvas *exact = canvas_new(64, 64), *fresh = canvas_new(64, 64);
	struct sprites *other = sprites_new();
	sprites_marker(sp, exact, SHAPE_DIAMOND, 30.25, 30.5, 6, fill, none, 0, 0, none);
	sprites_marker(other, fresh, SHAPE_DIAMOND, 30.25, 30.5, 6, fill, none, 0, 0, none);
	CHECK(memcmp(exact->px, fresh->px, 64 * 64 * 4) == 0);
	/* nothing drawn for no size or a position far off */
	struct canvas *blank = tile_canvas(64, 64);
	sprites_marker(sp, blank, SHAPE_CIRCLE, 32, 32, 0, fill, none, 0, 0, none);
	sprites_marker(sp, blank, SHAPE_CIRCLE, NAN, 32, 5, fill, none, 0, 0, none);
	sprites_marker(sp, blank, SHAPE_CIRCLE, -1e12, 32, 5, fill, none, 0, 0, none);
	CHECK(canvas_is_empty(blank));
	canvas_free(a);
	canvas_free(exact);
	canvas_free(fresh);
	canvas_free(blank);
	sprites_free(other);
}

int main(void)
{
	struct sprites *sp = sprites_new();
	test_translation(sp);
	test_like_raster(sp);
	test_cache(sp);
	sprites_free(sp);
	sprites_free(NULL);
	return CHECK_DONE();
}

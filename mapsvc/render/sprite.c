/*
 * sprite.c - the cache of marker images; see sprite.h.
 *
 * An image is keyed by everything raster_marker's pixels depend on: the
 * shape, the sizes in 1/64 px (finer than the rasterizer's own snapping
 * of 1/256 px matters for a radius: sizes come from the style, evaluated
 * per zoom, and equal looks give equal keys), the colours, the hole and
 * the phase.  It is drawn on a transparent canvas just larger than the
 * marker's extent, with the target's coverage quantisation, and kept as
 * its premultiplied pixels with the offset of its top-left corner from the
 * whole pixel of the anchor.  The table is open addressing, at most half
 * full.
 */
#include "sprite.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../util/mem.h"

/* Images a generation holds: two of them make SPRITE_MAX. */
#define GEN_MAX (SPRITE_MAX / 2)
/* Slots of a new table: it doubles while more than half full, up to
 * twice GEN_MAX. */
#define FIRST_SLOTS 256

/* Sizes in the key: 1/SIZE_STEPS px. */
#define SIZE_STEPS 64
/* The hole's fraction in the key: 1/HOLE_STEPS. */
#define HOLE_STEPS 1024
/* Transparent pixels around the extent, for antialiasing and the
 * rasterizer's own margin. */
#define MARGIN_PX 2

struct key {
	uint32_t shape, size, outline_w, hole;
	uint32_t fill, outline, hole_colour;
	uint32_t phase_x, phase_y;
};

struct image {
	bool used;
	struct key k;
	int dx, dy; /* top-left corner from the anchor's whole pixel */
	int w, h;
	uint8_t *px; /* in its generation's arena */
};

/* A table of at most GEN_MAX images and their pixels. */
struct gen {
	struct image *slots; /* nslots, a power of two */
	size_t nslots, count;
	struct arena *arena; /* the images' pixels: emptied, not freed, when the
	                        generation is dropped, so the next one fills
	                        the same pages again */
};

struct sprites {
	struct gen gen[2]; /* gen[cur] takes new images; the other is the older */
	int cur;
	size_t drawn;
	uint8_t cov_map[256]; /* the quantisation the images were made with */
	bool have_map;
};

static void gen_init(struct gen *g)
{
	g->nslots = FIRST_SLOTS;
	g->slots = xcalloc(g->nslots, sizeof *g->slots);
	g->count = 0;
	g->arena = arena_new();
}

static void gen_empty(struct gen *g)
{
	if (g->count)
		memset(g->slots, 0, g->nslots * sizeof *g->slots);
	g->count = 0;
	arena_reset(g->arena);
}

struct sprites *sprites_new(void)
{
	struct sprites *s = xcalloc(1, sizeof *s);
	gen_init(&s->gen[0]);
	gen_init(&s->gen[1]);
	return s;
}

void sprites_free(struct sprites *s)
{
	if (!s)
		return;
	for (int k = 0; k < 2; k++) {
		arena_free(s->gen[k].arena);
		free(s->gen[k].slots);
	}
	free(s);
}

size_t sprites_memory(const struct sprites *s)
{
	if (!s)
		return 0;
	size_t bytes = sizeof *s;
	for (int k = 0; k < 2; k++)
		bytes += s->gen[k].nslots * sizeof *s->gen[k].slots + arena_size(s->gen[k].arena);
	return bytes;
}

size_t sprites_drawn(const struct sprites *s)
{
	return s ? s->drawn : 0;
}

static uint32_t pack(struct rgba k)
{
	return (uint32_t)k.r | (uint32_t)k.g << 8 | (uint32_t)k.b << 16 | (uint32_t)k.a << 24;
}

static struct rgba unpack(uint32_t v)
{
	return (struct rgba){(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
}

static uint32_t steps(double v, double per)
{
	double q = nearbyint(v * per);
	return q > 0 && q < 4e9 ? (uint32_t)q : 0;
}

/* The slot of key k in g (hash h): its image's, or the empty one where
 * it would go. */
static struct image *slot_in(const struct gen *g, const struct key *k, uint64_t h)
{
	size_t i = (size_t)h & (g->nslots - 1);
	while (g->slots[i].used && memcmp(&g->slots[i].k, k, sizeof *k))
		i = (i + 1) & (g->nslots - 1);
	return &g->slots[i];
}

/* Doubles the table, its images moved (their pixels stay put). */
static void grow(struct gen *g)
{
	struct image *old = g->slots;
	size_t n = g->nslots;
	g->nslots *= 2;
	g->slots = xcalloc(g->nslots, sizeof *g->slots);
	for (size_t k = 0; k < n; k++)
		if (old[k].used)
			*slot_in(g, &old[k].k, XXH3_64bits(&old[k].k, sizeof old[k].k)) = old[k];
	free(old);
}

/* The image of key k, drawn now, its pixels from arena a. */
static void draw(struct image *im, const struct key *k, const uint8_t *cov_map, struct arena *a)
{
	static const struct rgba none = {0, 0, 0, 0};
	double size = (double)k->size / SIZE_STEPS, ow = (double)k->outline_w / SIZE_STEPS;
	double l, t, r, b;
	raster_marker_extent((enum marker_shape)k->shape, size, ow, &l, &t, &r, &b);
	im->dx = (int)floor(l) - MARGIN_PX;
	im->dy = (int)floor(t) - MARGIN_PX;
	im->w = (int)ceil(r) + MARGIN_PX + 1 - im->dx;
	im->h = (int)ceil(b) + MARGIN_PX + 1 - im->dy;
	size_t bytes = (size_t)im->w * (size_t)im->h * 4;
	struct canvas c = {im->w, im->h, arena_alloc(a, bytes), {0}};
	memcpy(c.cov_map, cov_map, sizeof c.cov_map);
	double x = -im->dx + (double)k->phase_x / SPRITE_PHASES,
	       y = -im->dy + (double)k->phase_y / SPRITE_PHASES;
	raster_marker(&c, (enum marker_shape)k->shape, x, y, size, unpack(k->fill),
	              ow > 0 ? unpack(k->outline) : none, ow);
	if (k->hole)
		raster_marker_hole(&c, (enum marker_shape)k->shape, x, y, size, (double)k->hole / HOLE_STEPS,
		                   unpack(k->hole_colour));
	im->px = c.px;
}

/* The image of key k: the newer generation's; or the older's, copied
 * into the newer; or drawn there.  A full newer generation becomes the
 * older, and the older is dropped: what was asked for since the last
 * turn stays, the rest is drawn again if asked for again. */
static struct image *find(struct sprites *s, const struct key *k)
{
	uint64_t h = XXH3_64bits(k, sizeof *k);
	struct gen *g = &s->gen[s->cur];
	struct image *im = slot_in(g, k, h);
	if (im->used)
		return im;
	if (g->count == GEN_MAX) {
		s->cur ^= 1;
		gen_empty(&s->gen[s->cur]);
		g = &s->gen[s->cur];
	} else if (2 * (g->count + 1) > g->nslots) {
		grow(g);
	}
	im = slot_in(g, k, h);
	const struct image *older = slot_in(&s->gen[s->cur ^ 1], k, h);
	if (older->used) {
		*im = *older;
		size_t bytes = (size_t)older->w * (size_t)older->h * 4;
		im->px = memcpy(arena_alloc_raw(g->arena, bytes, 16), older->px, bytes);
	} else {
		im->used = true;
		im->k = *k;
		draw(im, k, s->cov_map, g->arena);
		s->drawn++;
	}
	g->count++;
	return im;
}

void sprites_marker(struct sprites *s, struct canvas *c, enum marker_shape shape, double x, double y,
                    double size, struct rgba fill, struct rgba outline, double outline_w, double hole,
                    struct rgba hole_colour)
{
	if (!isfinite(x) || !isfinite(y) || fabs(x) > 1e9 || fabs(y) > 1e9 || !(size > 0))
		return;
	if (!s->have_map || memcmp(s->cov_map, c->cov_map, sizeof s->cov_map)) {
		gen_empty(&s->gen[0]);
		gen_empty(&s->gen[1]);
		memcpy(s->cov_map, c->cov_map, sizeof s->cov_map);
		s->have_map = true;
	}
	/* Halves round up, never away from zero: a window's coordinates are the
	 * world's minus a whole origin, and must round alike on both sides of
	 * it (llround would put a half-way marker one phase apart on a tile
	 * where it is left of the origin and on one where it is right). */
	long long qx = (long long)floor(x * SPRITE_PHASES + 0.5),
	          qy = (long long)floor(y * SPRITE_PHASES + 0.5);
	long long ix = qx >= 0 ? qx / SPRITE_PHASES : -((-qx + SPRITE_PHASES - 1) / SPRITE_PHASES);
	long long iy = qy >= 0 ? qy / SPRITE_PHASES : -((-qy + SPRITE_PHASES - 1) / SPRITE_PHASES);
	struct key k;
	memset(&k, 0, sizeof k); /* no padding left unset: the key is hashed as bytes */
	k.shape = (uint32_t)shape;
	k.size = steps(size, SIZE_STEPS);
	k.outline_w = outline.a ? steps(outline_w, SIZE_STEPS) : 0;
	k.hole = hole > 0 ? steps(hole, HOLE_STEPS) : 0;
	k.fill = pack(fill);
	k.outline = k.outline_w ? pack(outline) : 0;
	k.hole_colour = k.hole ? pack(hole_colour) : 0;
	k.phase_x = (uint32_t)(qx - ix * SPRITE_PHASES);
	k.phase_y = (uint32_t)(qy - iy * SPRITE_PHASES);
	if (!k.size)
		return;
	struct image *im = find(s, &k);
	canvas_blend_image(c, (int)(ix + im->dx), (int)(iy + im->dy), im->px, im->w, im->h);
}

/* canvas.c - the raster and its compositing; see canvas.h. */
#include "canvas.h"

#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

struct canvas *canvas_new(int width, int height)
{
	struct canvas *c = xmalloc(sizeof *c);
	c->width = width > 0 ? width : 1;
	c->height = height > 0 ? height : 1;
	c->px = xcalloc((size_t)c->width * (size_t)c->height, 4);
	canvas_set_aa_levels(c, CANVAS_AA_EXACT);
	return c;
}

void canvas_free(struct canvas *c)
{
	if (c) {
		free(c->px);
		free(c);
	}
}

/* x * y / 255, rounded, exact for all 8-bit inputs. */
static inline uint32_t mul255(uint32_t x, uint32_t y)
{
	uint32_t t = x * y + 128;
	return (t + (t >> 8)) >> 8;
}

void canvas_set_aa_levels(struct canvas *c, int levels)
{
	if (levels < 2)
		levels = 2;
	if (levels > 256)
		levels = 256;
	const unsigned steps = (unsigned)levels - 1;
	for (unsigned v = 0; v < 256; v++) /* nearest level, as 0..255 */
		c->cov_map[v] = (uint8_t)(((v * steps + 127) / 255 * 255 + steps / 2) / steps);
}

void canvas_clear(struct canvas *c, struct rgba k)
{
	uint8_t p[4] = {(uint8_t)mul255(k.r, k.a), (uint8_t)mul255(k.g, k.a), (uint8_t)mul255(k.b, k.a), k.a};
	size_t n = (size_t)c->width * (size_t)c->height;
	if (!p[0] && !p[1] && !p[2] && !p[3]) {
		memset(c->px, 0, n * 4);
		return;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(c->px + i * 4, p, 4);
}

static inline void blend_px(uint8_t *d, struct rgba k, uint32_t cov)
{
	uint32_t a = mul255(k.a, cov); /* source alpha after coverage */
	if (!a)
		return;
	uint32_t inv = 255 - a;
	d[0] = (uint8_t)(mul255(k.r, a) + mul255(d[0], inv));
	d[1] = (uint8_t)(mul255(k.g, a) + mul255(d[1], inv));
	d[2] = (uint8_t)(mul255(k.b, a) + mul255(d[2], inv));
	d[3] = (uint8_t)(a + mul255(d[3], inv));
}

void canvas_blend_span(struct canvas *c, int x0, int x1, int y, const uint8_t *cov, struct rgba k)
{
	if (y < 0 || y >= c->height || k.a == 0)
		return;
	int start = x0 < 0 ? 0 : x0;
	int end = x1 > c->width ? c->width : x1;
	uint8_t *row = c->px + (size_t)y * (size_t)c->width * 4;
	for (int x = start; x < end; x++)
		blend_px(row + (size_t)x * 4, k, cov ? c->cov_map[cov[x - x0]] : 255);
}

void canvas_blend_mask(struct canvas *c, int x, int y, const uint8_t *mask, int mask_w, int mask_h,
                       int mask_stride, struct rgba k)
{
	for (int j = 0; j < mask_h; j++)
		canvas_blend_span(c, x, x + mask_w, y + j, mask + (size_t)j * (size_t)mask_stride, k);
}

void canvas_blend_image(struct canvas *c, int x, int y, const uint8_t *img, int w, int h)
{
	int x0 = x < 0 ? -x : 0, x1 = x + w > c->width ? c->width - x : w;
	int y0 = y < 0 ? -y : 0, y1 = y + h > c->height ? c->height - y : h;
	for (int j = y0; j < y1; j++) {
		const uint8_t *s = img + ((size_t)j * (size_t)w + (size_t)x0) * 4;
		uint8_t *d = c->px + ((size_t)(y + j) * (size_t)c->width + (size_t)(x + x0)) * 4;
		for (int i = x0; i < x1; i++, s += 4, d += 4) {
			uint32_t a = s[3];
			if (!a)
				continue;
			if (a == 255) {
				memcpy(d, s, 4);
				continue;
			}
			uint32_t inv = 255 - a; /* premultiplied over: s + d * (1 - s.a) */
			d[0] = (uint8_t)(s[0] + mul255(d[0], inv));
			d[1] = (uint8_t)(s[1] + mul255(d[1], inv));
			d[2] = (uint8_t)(s[2] + mul255(d[2], inv));
			d[3] = (uint8_t)(a + mul255(d[3], inv));
		}
	}
}

int canvas_is_empty(const struct canvas *c)
{
	size_t n = (size_t)c->width * (size_t)c->height;
	for (size_t i = 0; i < n; i++)
		if (c->px[i * 4 + 3])
			return 0;
	return 1;
}

/* test_render_glyphs.c - measuring and drawing labels (decoding: test_util_utf8.c). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/canvas.h"
#include "render/glyphs.h"

static const struct rgba BLACK = {0, 0, 0, 255};
static const struct rgba WHITE = {255, 255, 255, 255};
static const struct rgba RED = {200, 0, 0, 255};
static const struct rgba NONE = {0, 0, 0, 0};

/* ---- helpers ---- */

static const uint8_t *px(const struct canvas *c, int x, int y)
{
	return c->px + ((size_t)y * (size_t)c->width + (size_t)x) * 4;
}

static int same_pixels(const struct canvas *a, int ax, int ay, const struct canvas *b, int bx, int by, int w,
                       int h)
{
	for (int y = 0; y < h; y++)
		if (memcmp(px(a, ax, ay + y), px(b, bx, by + y), (size_t)w * 4) != 0)
			return 0;
	return 1;
}

/* ---- measuring ---- */

static void test_measure(struct glyphs *g)
{
	struct text_box a, ab, abc, zh1, zh2, zh4, big;
	glyphs_measure(g, "A", 12, &a);
	glyphs_measure(g, "AB", 12, &ab);
	glyphs_measure(g, "ABC", 12, &abc);
	CHECK(a.width > 3 && a.width < 12);
	CHECK(ab.width > a.width);
	CHECK(abc.width > ab.width);
	glyphs_measure(g, "中", 12, &zh1);
	glyphs_measure(g, "中国", 12, &zh2);
	glyphs_measure(g, "纪念馆旧址", 24, &big);
	glyphs_measure(g, "烈士陵园", 12, &zh4);
	/* CJK ideographs are square: one em wide. */
	CHECK_NEAR(zh1.width, 12, 1);
	CHECK_NEAR(zh2.width, 24, 1);
	CHECK_NEAR(zh4.width, 48, 1);
	CHECK_NEAR(big.width, 120, 1);
	CHECK(zh1.ascent > 6 && zh1.ascent < 14);
	CHECK(zh1.descent > 0 && zh1.descent < 6);
	CHECK_NEAR(big.ascent, 2 * zh1.ascent, 1.5);
	struct text_box empty;
	glyphs_measure(g, "", 12, &empty);
	CHECK_NEAR(empty.width, 0, 0);
}

/* ---- drawing ---- */

/* The label's ink stays within the measured box widened by the halo (and
 * one pixel of antialiasing); the core is the fill colour, the ring
 * around it the halo colour. */
static void test_draw_box_and_colours(struct glyphs *g)
{
	const char *label = "红色纪念馆";
	struct canvas *c = canvas_new(160, 48);
	struct canvas *f = canvas_new(160, 48); /* fill only */
	const double x = 20, y = 32, size = 20, halo = 2;
	struct text_box box;
	glyphs_measure(g, label, size, &box);
	glyphs_draw(g, c, label, x, y, size, BLACK, WHITE, halo);
	glyphs_draw(g, f, label, x, y, size, BLACK, NONE, halo);

	int outside = 0, core = 0, ring = 0, ring_ok = 0, mixed = 0;
	double x0 = x - halo - 1, x1 = x + box.width + halo + 1;
	double y0 = y - box.ascent - halo - 1, y1 = y + box.descent + halo + 1;
	for (int j = 0; j < c->height; j++) {
		for (int i = 0; i < c->width; i++) {
			const uint8_t *p = px(c, i, j);
			if (p[3] && (i < x0 || i + 1 > x1 || j < y0 || j + 1 > y1))
				outside++;
			/* Every pixel is a mix of black over white: grey, r=g=b. */
			if (p[0] != p[1] || p[1] != p[2])
				mixed++;
			const uint8_t *q = px(f, i, j);
			if (q[3] == 255) {
				core++;
				/* A fully covered fill pixel is exactly the fill colour. */
				CHECK(p[0] == 0 && p[3] == 255);
			}
			/* Pixels next to a half-covered fill pixel but untouched by the fill
			 * lie inside the 2 px halo: pure halo colour. */
			if (q[3] == 0) {
				int near = 0;
				for (int dj = -1; dj <= 1; dj++)
					for (int di = -1; di <= 1; di++) {
						int ii = i + di, jj = j + dj;
						if (ii >= 0 && jj >= 0 && ii < f->width && jj < f->height &&
						    px(f, ii, jj)[3] >= 128)
							near = 1;
					}
				if (near) {
					ring++;
					if (p[0] == 255 && p[1] == 255 && p[2] == 255 && p[3] == 255)
						ring_ok++;
				}
			}
		}
	}
	CHECK_INT(outside, 0);
	CHECK_INT(mixed, 0);
	CHECK(core > 50);
	CHECK(ring > 50);
	CHECK_INT(ring_ok, ring);
	/* The halo reaches 2 px beyond the ink but not 4. */
	int left_ink = c->width, left_fill = c->width;
	for (int j = 0; j < c->height; j++)
		for (int i = 0; i < c->width; i++) {
			if (px(c, i, j)[3] && i < left_ink)
				left_ink = i;
			if (px(f, i, j)[3] && i < left_fill)
				left_fill = i;
		}
	CHECK(left_fill - left_ink >= 2 && left_fill - left_ink <= 3);

	/* Without a halo only the fill is drawn; a transparent halo is the same. */
	struct canvas *n = canvas_new(160, 48);
	glyphs_draw(g, n, label, x, y, size, BLACK, WHITE, 0);
	CHECK(same_pixels(n, 0, 0, f, 0, 0, 160, 48));
	canvas_free(n);
	canvas_free(c);
	canvas_free(f);
}

/* The same label at origins shifted by whole pixels gives the same pixels:
 * a label cut by the seam of two tiles matches on both. */
static void test_draw_shift(struct glyphs *g)
{
	const char *label = "淄博高新区党史馆";
	const double xs[] = {200.3, 230.5, 241.49, 229.7};
	for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
		double x = xs[k], y = 40.5 - (double)k * 0.3;
		struct canvas *wide = canvas_new(512, 64);
		struct canvas *left = canvas_new(256, 64);
		struct canvas *right = canvas_new(256, 64);
		glyphs_draw(g, wide, label, x, y, 12, RED, WHITE, 1.5);
		glyphs_draw(g, left, label, x, y, 12, RED, WHITE, 1.5);
		glyphs_draw(g, right, label, x - 256, y, 12, RED, WHITE, 1.5);
		CHECK(!canvas_is_empty(left));
		CHECK(!canvas_is_empty(right));
		CHECK_MSG(same_pixels(wide, 0, 0, left, 0, 0, 256, 64), "x=%g left", x);
		CHECK_MSG(same_pixels(wide, 256, 0, right, 0, 0, 256, 64), "x=%g right", x);
		/* And vertically, shifted by 17 px. */
		struct canvas *down = canvas_new(512, 64);
		glyphs_draw(g, down, label, x, y + 17, 12, RED, WHITE, 1.5);
		CHECK(same_pixels(wide, 0, 0, down, 0, 17, 512, 64 - 17));
		canvas_free(down);
		canvas_free(wide);
		canvas_free(left);
		canvas_free(right);
	}
}

static void test_cache(struct glyphs *g)
{
	const char *label = "高台烈士陵园";
	struct glyphs *fresh = glyphs_new(NULL, NULL);
	CHECK(fresh != NULL);
	if (!fresh)
		return;
	struct canvas *a = canvas_new(128, 32), *b = canvas_new(128, 32), *c = canvas_new(128, 32);
	CHECK_INT(glyphs_cache_count(fresh), 0);
	glyphs_draw(fresh, a, label, 4, 24, 16, BLACK, WHITE, 1.5);
	/* Six distinct characters, each plain and haloed. */
	CHECK_INT(glyphs_cache_count(fresh), 12);
	glyphs_draw(fresh, b, label, 4, 24, 16, BLACK, WHITE, 1.5);
	CHECK_INT(glyphs_cache_count(fresh), 12);
	CHECK(same_pixels(a, 0, 0, b, 0, 0, 128, 32));
	/* Another struct with its own cache draws the same bytes. */
	glyphs_draw(g, c, label, 4, 24, 16, BLACK, WHITE, 1.5);
	CHECK(same_pixels(a, 0, 0, c, 0, 0, 128, 32));

	/* Thousands of distinct ideographs: the cache stays bounded and the
	 * label still comes out the same after it has been emptied. */
	char text[4 * 64 + 1];
	struct canvas *scratch = canvas_new(64, 64);
	for (uint32_t base = 0x4E00; base < 0x4E00 + 5000; base += 50) {
		char *p = text;
		for (uint32_t cp = base; cp < base + 50; cp++) {
			*p++ = (char)(0xE0 | (cp >> 12));
			*p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
			*p++ = (char)(0x80 | (cp & 0x3F));
		}
		*p = 0;
		glyphs_draw(fresh, scratch, text, -200, 30, 16, BLACK, WHITE, 1.5);
		CHECK(glyphs_cache_count(fresh) <= 4096);
	}
	canvas_clear(b, NONE);
	glyphs_draw(fresh, b, label, 4, 24, 16, BLACK, WHITE, 1.5);
	CHECK(same_pixels(a, 0, 0, b, 0, 0, 128, 32));
	canvas_free(scratch);
	canvas_free(a);
	canvas_free(b);
	canvas_free(c);
	glyphs_free(fresh);
}

/* Missing glyphs and broken bytes still draw something (the .notdef box
 * or U+FFFD), and they advance the pen. */
static void test_missing(struct glyphs *g)
{
	struct canvas *c = canvas_new(64, 32);
	glyphs_draw(g, c, "\xF0\x9F\x9A\x80", 8, 24, 16, BLACK, NONE, 0); /* U+1F680 */
	CHECK(!canvas_is_empty(c));
	canvas_clear(c, NONE);
	glyphs_draw(g, c, "\xFF\xFE", 8, 24, 16, BLACK, NONE, 0);
	CHECK(!canvas_is_empty(c));
	struct text_box one, two;
	glyphs_measure(g, "\xFF", 16, &one);
	glyphs_measure(g, "\xFF\xFF", 16, &two);
	CHECK(one.width > 2);
	CHECK_NEAR(two.width, 2 * one.width, 1);
	/* Drawing wholly or partly off the canvas is safe. */
	glyphs_draw(g, c, "中国", -1000, -1000, 16, BLACK, WHITE, 1);
	glyphs_draw(g, c, "中国", 1e12, 10, 16, BLACK, WHITE, 1);
	glyphs_draw(g, c, "中国", 60, 40, 16, BLACK, WHITE, 1);
	canvas_free(c);
}

static void test_bad_font(void)
{
	struct ms_error err = {0};
	struct glyphs *g = glyphs_new("data/style/no-such-font.ttf", &err);
	CHECK(g == NULL);
	CHECK_INT(err.status, MS_EIO);
	CHECK(strstr(err.msg, "no-such-font.ttf") != NULL);
}

/* ---- drawn ahead ---- */

static void test_ahead(void)
{
	struct ms_error err;
	struct glyphs *ahead = glyphs_new(GLYPHS_DEFAULT_FONT, &err), *own = glyphs_new(NULL, &err),
	              *plain = glyphs_new(NULL, &err);
	CHECK(ahead && own && plain);
	if (!ahead || !own || !plain)
		goto done;
	/* "纪念馆" at 12 px with a 1.5 px halo: two bitmaps each */
	const uint32_t cps[] = {0x7EAA, 0x5FF5, 0x9986};
	CHECK_INT((int)glyphs_prepare(ahead, cps, 3, 12, 1.5), 3);
	CHECK_INT((int)glyphs_cache_count(ahead), 6);
	size_t bytes = glyphs_cache_bytes(ahead);
	glyphs_freeze(ahead);
	CHECK_INT((int)glyphs_cache_count(ahead), 6);
	CHECK(glyphs_cache_bytes(ahead) == bytes);
	/* a face reading it draws the same pixels and renders none of its own */
	struct canvas *a = canvas_new(96, 32), *b = canvas_new(96, 32);
	glyphs_share(own, ahead);
	glyphs_draw(own, a, "纪念馆", 4, 22, 12, BLACK, WHITE, 1.5);
	glyphs_draw(plain, b, "纪念馆", 4, 22, 12, BLACK, WHITE, 1.5);
	CHECK(same_pixels(a, 0, 0, b, 0, 0, 96, 32));
	CHECK(!canvas_is_empty(a));
	CHECK_INT((int)glyphs_cache_count(own), 0);
	CHECK_INT((int)glyphs_cache_count(plain), 6);
	/* what it lacks it renders itself: another size, another character */
	glyphs_draw(own, a, "纪", 4, 22, 13, BLACK, NONE, 0);
	glyphs_draw(own, a, "旧", 4, 22, 12, BLACK, NONE, 0);
	CHECK_INT((int)glyphs_cache_count(own), 2);
	glyphs_share(own, NULL);
	glyphs_draw(own, a, "纪", 4, 22, 12, BLACK, NONE, 0);
	CHECK_INT((int)glyphs_cache_count(own), 3);
	canvas_free(a);
	canvas_free(b);

	/* prepare stops at the cache's bound rather than emptying it */
	enum { N = GLYPH_CACHE_MAX };
	uint32_t *many = malloc(N * sizeof *many);
	for (uint32_t k = 0; k < N; k++)
		many[k] = 0x4E00 + k;
	size_t took = glyphs_prepare(plain, many, N, 6, 1);
	CHECK_INT((int)took, (GLYPH_CACHE_MAX - 6) / 2);
	CHECK_INT((int)glyphs_cache_count(plain), GLYPH_CACHE_MAX);
	CHECK_INT((int)glyphs_prepare(plain, many, N, 7, 0), 0);
	free(many);
done:
	glyphs_free(ahead);
	glyphs_free(own);
	glyphs_free(plain);
}

int main(void)
{
	struct ms_error err = {0};
	struct glyphs *g = glyphs_new(GLYPHS_DEFAULT_FONT, &err);
	CHECK_MSG(g != NULL, "%s", err.msg);
	if (g) {
		test_measure(g);
		test_draw_box_and_colours(g);
		test_draw_shift(g);
		test_cache(g);
		test_missing(g);
		glyphs_free(g);
	}
	test_bad_font();
	test_ahead();
	return CHECK_DONE();
}

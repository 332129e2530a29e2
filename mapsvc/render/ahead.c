/* ahead.c - glyphs drawn ahead; see ahead.h. */
#include "ahead.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../geo/webmerc.h"
#include "../util/mem.h"
#include "../util/utf8.h"

/* The scales tiles are asked at most (1x and @2x); larger ones are rare
 * enough to draw their glyphs when asked. */
#define AHEAD_SCALES 2
/* The drawing thread's nice value: below every request's priority. */
#define AHEAD_NICE 10
/* Fonts of a style set drawn ahead, at most (the rest are not). */
#define AHEAD_FONTS 4

struct ahead_font {
	char font[sizeof((struct style *)0)->font]; /* as the styles name it */
	struct glyphs *g;                           /* NULL: could not be opened */
};

struct ahead_done {
	struct ahead_font fonts[AHEAD_FONTS];
	int nfonts;
	size_t bitmaps, bytes;
};

struct tile_ahead {
	struct snapshot *snap; /* until drawn */
	const struct style *styles;
	size_t nstyles;
	_Atomic(struct ahead_done *) done;
	atomic_bool stop; /* tile_ahead_free: draw no more */
	pthread_t th;
	bool threaded;
};

/* ---- the characters of the names, most frequent first ---------------- */

struct count {
	uint32_t cp, n;
};

struct counts {
	struct count *v; /* open addressing on cp; n == 0: empty */
	size_t cap, used;
};

static size_t cp_slot(const struct counts *c, uint32_t cp)
{
	size_t i = (size_t)(cp * 0x9E3779B1u) & (c->cap - 1);
	while (c->v[i].n && c->v[i].cp != cp)
		i = (i + 1) & (c->cap - 1);
	return i;
}

static void count_cp(struct counts *c, uint32_t cp)
{
	if (2 * (c->used + 1) > c->cap) {
		struct counts g = {xcalloc(c->cap * 2, sizeof *g.v), c->cap * 2, c->used};
		for (size_t k = 0; k < c->cap; k++)
			if (c->v[k].n)
				g.v[cp_slot(&g, c->v[k].cp)] = c->v[k];
		free(c->v);
		*c = g;
	}
	struct count *e = &c->v[cp_slot(c, cp)];
	if (!e->n) {
		e->cp = cp;
		c->used++;
	}
	e->n++;
}

static int by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->cp < y->cp ? -1 : x->cp > y->cp;
}

/* The distinct code points of the names of an even sample of snap's
 * sites, most frequent first (ties by code point); *n of them. */
static uint32_t *name_chars(const struct snapshot *snap, size_t *n)
{
	struct counts c = {xcalloc(256, sizeof *c.v), 256, 0};
	size_t step = snap->n > AHEAD_SAMPLE ? snap->n / AHEAD_SAMPLE : 1;
	for (size_t i = 0; i < snap->n; i += step) {
		uint32_t cp;
		for (const char *s = site_field(&snap->sites[i], SITE_NAME_ZH); *s;) {
			int k = utf8_decode(s, &cp);
			if (k <= 0)
				break;
			count_cp(&c, cp);
			s += k;
		}
	}
	size_t m = 0;
	for (size_t k = 0; k < c.cap; k++)
		if (c.v[k].n)
			c.v[m++] = c.v[k];
	qsort(c.v, m, sizeof *c.v, by_count);
	uint32_t *cps = xmalloc((m ? m : 1) * sizeof *cps);
	for (size_t k = 0; k < m; k++)
		cps[k] = c.v[k].cp;
	free(c.v);
	*n = m;
	return cps;
}

/* ---- what each font draws --------------------------------------------- */

/* A size and a halo at which glyphs are drawn. */
struct pass {
	double size, halo;
};

struct passes {
	struct pass v[2 * AHEAD_SCALES * (WEBMERC_MAX_ZOOM + 1) * 4];
	size_t n;
};

static void add_pass(struct passes *p, double size, double halo)
{
	for (size_t k = 0; k < p->n; k++)
		if (p->v[k].size == size && p->v[k].halo == halo)
			return;
	if (p->n < sizeof p->v / sizeof p->v[0])
		p->v[p->n++] = (struct pass){size, halo};
}

static bool same_font(const char *a, const char *b)
{
	return !strcmp(a[0] ? a : GLYPHS_DEFAULT_FONT, b[0] ? b : GLYPHS_DEFAULT_FONT);
}

/* The passes of the cluster counts and of the labels of the styles drawn
 * with font, as render/tile.c draws them. */
static void font_passes(const struct tile_ahead *a, const char *font, struct passes *counts,
                        struct passes *labels)
{
	counts->n = labels->n = 0;
	for (size_t i = 0; i < a->nstyles; i++) {
		const struct style *st = &a->styles[i];
		if (!same_font(st->font, font))
			continue;
		bool halo = st->label_halo.a && st->label_halo_width > 0;
		for (int z = 0; z <= WEBMERC_MAX_ZOOM; z++)
			for (int s = 1; s <= AHEAD_SCALES; s++) {
				if (st->cluster && z <= st->cluster_maxzoom)
					add_pass(counts, style_eval(&st->cluster_text_size, z) * s, 0);
				if (z >= st->label_minzoom)
					add_pass(labels, style_eval(&st->label_size, z) * s,
					         halo ? st->label_halo_width * s : 0);
			}
	}
}

/* The characters of a cluster count: digits, 'k' (thousands) and the
 * approximate prefixes of the styles drawn with font. */
static size_t count_chars(const struct tile_ahead *a, const char *font, uint32_t *out, size_t max)
{
	size_t n = 0;
	for (const char *s = "0123456789k"; *s && n < max; s++)
		out[n++] = (uint32_t)*s;
	for (size_t i = 0; i < a->nstyles; i++) {
		if (!same_font(a->styles[i].font, font))
			continue;
		uint32_t cp;
		for (const char *s = a->styles[i].approx_prefix; *s && n < max;) {
			int k = utf8_decode(s, &cp);
			if (k <= 0)
				break;
			out[n++] = cp;
			s += k;
		}
	}
	return n;
}

/* Draws font's glyphs: every count character at every count pass, then
 * the names' characters in turn, each at every label pass, until the
 * cache is full. */
static void draw_font(const struct tile_ahead *a, struct ahead_font *f, const uint32_t *cps, size_t ncps)
{
	struct ms_error err;
	if (!(f->g = glyphs_new(f->font[0] ? f->font : NULL, &err)))
		return; /* the tiles say why, when they need the font */
	struct passes counts, labels;
	font_passes(a, f->font, &counts, &labels);
	uint32_t digits[32];
	size_t ndigits = count_chars(a, f->font, digits, sizeof digits / sizeof digits[0]);
	for (size_t k = 0; k < counts.n; k++)
		glyphs_prepare(f->g, digits, ndigits, counts.v[k].size, 0);
	for (size_t c = 0; c < ncps; c++)
		for (size_t k = 0; k < labels.n; k++) {
			/* whoever frees it waits at most a glyph and its halo */
			if (atomic_load_explicit(&a->stop, memory_order_relaxed) ||
			    !glyphs_prepare(f->g, &cps[c], 1, labels.v[k].size, labels.v[k].halo))
				return;
		}
}

static void *draw_all(void *arg)
{
	struct tile_ahead *a = arg;
	struct ahead_done *d = xcalloc(1, sizeof *d);
	size_t ncps;
	uint32_t *cps = name_chars(a->snap, &ncps);
	for (size_t i = 0; i < a->nstyles; i++) {
		const char *font = a->styles[i].font;
		int k = 0;
		while (k < d->nfonts && !same_font(d->fonts[k].font, font))
			k++;
		if (k < d->nfonts || d->nfonts == AHEAD_FONTS)
			continue;
		struct ahead_font *f = &d->fonts[d->nfonts++];
		snprintf(f->font, sizeof f->font, "%s", font);
		draw_font(a, f, cps, ncps);
		if (f->g) {
			glyphs_freeze(f->g);
			d->bitmaps += glyphs_cache_count(f->g);
			d->bytes += glyphs_cache_bytes(f->g);
		}
	}
	free(cps);
	snapshot_release(a->snap);
	a->snap = NULL;
	atomic_store_explicit(&a->done, d, memory_order_release);
	return NULL;
}

static void *draw_thread(void *arg)
{
	/* Work no request waits for: the drawing threads take the CPU from it
	 * (raising a thread's own nice value needs no privilege; a failure
	 * only costs the priority). */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), AHEAD_NICE);
	(void)pthread_setname_np(pthread_self(), "ms-glyphs");
	return draw_all(arg);
}

struct tile_ahead *tile_ahead_start(struct snapshot *snap, const struct style *styles, size_t nstyles)
{
	struct tile_ahead *a = xcalloc(1, sizeof *a);
	a->snap = snapshot_retain(snap);
	a->styles = styles;
	a->nstyles = nstyles;
	atomic_init(&a->done, NULL);
	atomic_init(&a->stop, false);
	a->threaded = pthread_create(&a->th, NULL, draw_thread, a) == 0;
	if (!a->threaded)
		draw_all(a);
	return a;
}

void tile_ahead_wait(struct tile_ahead *a)
{
	if (a->threaded)
		pthread_join(a->th, NULL);
	a->threaded = false;
}

void tile_ahead_free(struct tile_ahead *a)
{
	if (!a)
		return;
	atomic_store_explicit(&a->stop, true, memory_order_relaxed);
	tile_ahead_wait(a);
	struct ahead_done *d = atomic_load_explicit(&a->done, memory_order_acquire);
	for (int k = 0; d && k < d->nfonts; k++)
		glyphs_free(d->fonts[k].g);
	free(d);
	free(a);
}

const struct glyphs *tile_ahead_font(const struct tile_ahead *a, const char *font)
{
	const struct ahead_done *d = a ? atomic_load_explicit(&a->done, memory_order_acquire) : NULL;
	for (int k = 0; d && k < d->nfonts; k++)
		if (same_font(d->fonts[k].font, font))
			return d->fonts[k].g;
	return NULL;
}

bool tile_ahead_ready(const struct tile_ahead *a, size_t *bitmaps, size_t *bytes)
{
	const struct ahead_done *d = atomic_load_explicit(&a->done, memory_order_acquire);
	if (d && bitmaps)
		*bitmaps = d->bitmaps;
	if (d && bytes)
		*bytes = d->bytes;
	return d != NULL;
}

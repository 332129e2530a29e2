/* test_render_layout.c - one view's decisions, without drawing: the reach
 * and margins a zoom implies, marker extents of sites and clusters,
 * uncertainty circles from the zoom where they outgrow the marker to
 * their largest, labels that overlap no marker and no other label and
 * wrap into whole lines, and labels decided alike by a window given what
 * lies within its margin and by the whole picture, with names measured
 * only near the window. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "geo/webmerc.h"
#include "render/labels.h"
#include "render/layout.h"
#include "store/snapshot.h"

#define ZOOM 14

static void base_style(struct style *st)
{
	memset(st, 0, sizeof *st);
	st->marker_size = (struct style_num){1, {0}, {5}};
	st->marker_outline_width = (struct style_num){1, {0}, {2}};
	for (int c = 0; c < CAT_COUNT; c++)
		st->marker_shape[c] = SHAPE_CIRCLE;
	st->marker_shape[CAT_MEMORIAL_HALL] = SHAPE_PIN;
	st->cluster = true;
	st->cluster_maxzoom = 12;
	st->cluster_radius = 40;
	st->cluster_size = (struct style_num){1, {0}, {10}};
	st->cluster_outline_width = 1;
	st->cluster_text_size = (struct style_num){1, {0}, {11}};
	st->label_minzoom = 12;
	st->label_size = (struct style_num){1, {0}, {12}};
	st->label_halo_width = 1.5;
	st->label_offset = 3;
	st->approx_hole = 0.5;
	st->uncertainty_stroke = (struct rgba){96, 96, 96, 140};
	st->uncertainty_stroke_width = 1;
}

static const char *const names[] = {"红色纪念馆",
                                    "旧址",
                                    "烈士陵园",
                                    "学习站",
                                    "高台干部学院（张掖市红色基因传承基地）",
                                    "Yimeng Revolutionary Memorial Hall and Museum"};
#define NNAMES (sizeof names / sizeof names[0])

static struct site_set *make_sites(size_t n)
{
	struct site_set *set = site_set_new();
	for (size_t i = 0; i < n; i++) {
		struct site_draft s = {0};
		s.field[SITE_NAME_ZH] = names[i % NNAMES];
		s.category = (enum site_category)(i % CAT_COUNT);
		s.lat = 36.8;
		s.quality = i % 5 == 0 ? SITE_QUALITY_VILLAGE : SITE_QUALITY_STREET;
		s.uncertainty_m = site_quality_default_m(s.quality);
		site_set_add(set, &s);
	}
	return set;
}

static void add_item(struct layout *l, double x, double y, uint32_t site, uint32_t count,
                     const struct site *s)
{
	struct layout_item *it = layout_add(l);
	it->x = layout_anchor(x);
	it->y = layout_anchor(y);
	it->site = site;
	it->count = count;
	it->flags = count == 1 ? snapshot_site_flags(&s[site]) : 0;
}

static void test_zoom(void)
{
	struct style st;
	base_style(&st);
	struct layout_zoom z;
	layout_zoom_of(&st, ZOOM, &z);
	CHECK(z.labels);
	/* a pin of radius 5 reaches 2.4 + 1 radii above its tip, plus its outline */
	CHECK(z.marker_reach >= 3.4 * 5 + 2);
	CHECK_NEAR(z.label_width_max, LAYOUT_WRAP_EMS * 12, 1e-9);
	CHECK(z.label_reach_x >= z.marker_reach + 3 + z.label_width_max + 1.5);
	CHECK(z.label_reach_y >= z.marker_reach + 3 + LAYOUT_MAX_LINES * 12 + 3);
	CHECK(z.margin_x >= 2 * z.label_reach_x * (LABELS_ROUNDS + 1) &&
	      z.margin_y >= STYLE_UNCERTAINTY_MAX_PX);
	/* below the label zoom only markers and circles set the margin */
	layout_zoom_of(&st, 11, &z);
	CHECK(!z.labels && z.margin_x > STYLE_UNCERTAINTY_MAX_PX &&
	      z.margin_x < STYLE_UNCERTAINTY_MAX_PX + 8);
	st.approx_hole = 0; /* approximate sites drawn as exact ones: no circles */
	layout_zoom_of(&st, 11, &z);
	CHECK(z.margin_x == z.marker_reach);
}

static void test_extents_and_circles(void)
{
	struct style st;
	base_style(&st);
	struct site_set *set = make_sites(10);
	const struct site *s = set->v;
	struct layout *l = layout_new();
	/* site 0 is approximate (village, 1 km): at 36.8 degrees a pixel of
	 * zoom z is 2 * pi * 6378137 * cos(36.8) / 2^(z + 8) m, so 1 km is
	 * 4.1 px at z9 (under the marker's 5), 8.2 px at z10 and 261 px at
	 * z15 (over STYLE_UNCERTAINTY_MAX_PX) */
	int want_from = 10, want_to = 14;
	for (int z = 8; z <= 18; z++) {
		layout_begin(l, &st, z);
		add_item(l, 1000, 1000, 0, 1, s);
		add_item(l, 1500, 1000, 1, 1, s);
		add_item(l, 2000, 1000, 2, 7, s);
		layout_decide(l, &st, s, NULL, 0, 0, 4096, 4096);
		double mpp = 2 * WEBMERC_HALF * cos(36.8 * M_PI / 180) / ldexp(256, z);
		double r = 1000 / mpp;
		bool drawn = z >= want_from && z <= want_to;
		CHECK_MSG((l->items[0].circle > 0) == drawn, "z%d: radius %g px, circle %g", z, r,
		          (double)l->items[0].circle);
		if (drawn)
			CHECK_NEAR(l->items[0].circle, r, 1e-3);
		CHECK(l->items[1].circle == 0 && l->items[2].circle == 0); /* exact; a cluster */
	}
	/* extents: a circle marker and a cluster's disc and outline */
	CHECK_NEAR(l->items[1].right, 7, 0.1);
	CHECK_NEAR(l->items[2].left, -11, 1e-6);
	CHECK_NEAR(l->items[2].bottom, 11, 1e-6);
	/* a pin reaches far above its tip */
	layout_begin(l, &st, ZOOM);
	add_item(l, 1000, 1000, 8, 1, s); /* category 0: the pin */
	layout_decide(l, &st, s, NULL, 0, 0, 4096, 4096);
	CHECK(l->items[0].top < -15 && l->items[0].bottom < 3);
	layout_free(l);
	site_set_free(set);
}

static bool overlap(double al, double at, double ar, double ab, double bl, double bt, double br, double bb)
{
	return al < br && bl < ar && at < bb && bt < ab;
}

/* Lays out the n items at (xy) and decides for the window. */
static void decide(struct layout *l, const struct style *st, const struct site *s, const double *xy, size_t n,
                   struct glyphs *gl, double x0, double y0, double x1, double y1, bool within_margin)
{
	layout_begin(l, st, ZOOM);
	for (size_t i = 0; i < n; i++) {
		if (within_margin &&
		    (xy[2 * i] < x0 - l->z.margin_x || xy[2 * i] > x1 + l->z.margin_x ||
		     xy[2 * i + 1] < y0 - l->z.margin_y || xy[2 * i + 1] > y1 + l->z.margin_y))
			continue;
		add_item(l, xy[2 * i], xy[2 * i + 1], (uint32_t)i, i % 23 == 0 ? 3 : 1, s);
	}
	layout_decide(l, st, s, gl, x0, y0, x1, y1);
}

/* The default font, or NULL (a failed check) when it cannot be read. */
static struct glyphs *open_font(void)
{
	struct ms_error err = {0};
	struct glyphs *gl = glyphs_new(GLYPHS_DEFAULT_FONT, &err);
	CHECK_MSG(gl != NULL, "%s", err.msg);
	return gl;
}

static void test_labels(void)
{
	struct style st;
	base_style(&st);
	enum { N = 1500 };
	static double xy[2 * N];
	srand(11);
	for (int i = 0; i < N; i++) {
		xy[2 * i] = 2000 + rand() % 3000 + (rand() % 256) / 256.0;
		xy[2 * i + 1] = 3000 + rand() % 3000;
	}
	struct glyphs *gl = open_font();
	if (!gl)
		return;
	struct site_set *set = make_sites(N);
	const struct site *s = set->v;
	struct layout *l = layout_new(), *w = layout_new();
	decide(l, &st, s, xy, N, gl, -1e9, -1e9, 1e9, 1e9, false);
	CHECK(l->nlabels > N / 5 && l->nlabels < l->nitems);
	size_t overlaps = 0, wrapped = 0, too_wide = 0;
	for (size_t i = 0; i < l->nitems; i++) {
		const struct layout_item *a = &l->items[i];
		if (a->label < 0)
			continue;
		const struct layout_label *la = &l->labels[a->label];
		CHECK(a->count == 1 && la->nlines >= 1 && la->nlines <= LAYOUT_MAX_LINES);
		wrapped += la->nlines > 1;
		for (int k = 0; k < la->nlines; k++) {
			CHECK(la->line[k].bx == floor(la->line[k].bx) &&
			      la->line[k].by == floor(la->line[k].by));
			CHECK(la->line[k].by > la->top && la->line[k].by < la->bottom);
		}
		too_wide += la->right - la->left > l->z.label_width_max + 2 * 1.5 + 1;
		for (size_t j = 0; j < l->nitems; j++) {
			const struct layout_item *b = &l->items[j];
			overlaps += overlap(la->left, la->top, la->right, la->bottom, b->x + b->left,
			                    b->y + b->top, b->x + b->right, b->y + b->bottom);
			if (j <= i || b->label < 0)
				continue;
			const struct layout_label *lb = &l->labels[b->label];
			overlaps += overlap(la->left, la->top, la->right, la->bottom, lb->left, lb->top,
			                    lb->right, lb->bottom);
		}
	}
	CHECK_INT(overlaps, 0);
	CHECK_INT(too_wide, 0);
	CHECK(wrapped > 0); /* the long names of the list wrap */

	/* a window given what lies within its margin decides its labels as
	 * the whole picture does */
	for (int k = 0; k < 12; k++) {
		double x0 = 2000 + (k % 4) * 700, y0 = 3000 + (k / 4) * 900, x1 = x0 + 256, y1 = y0 + 256;
		decide(w, &st, s, xy, N, gl, x0, y0, x1, y1, true);
		size_t j = 0, same = 0, touching = 0;
		for (size_t i = 0; i < l->nitems; i++) {
			const struct layout_item *a = &l->items[i];
			while (j < w->nitems && w->items[j].site < a->site)
				j++;
			if (a->label < 0)
				continue;
			const struct layout_label *la = &l->labels[a->label];
			if (!overlap(la->left - 2, la->top - 2, la->right + 2, la->bottom + 2, x0, y0, x1,
			             y1))
				continue;
			touching++;
			if (j < w->nitems && w->items[j].site == a->site && w->items[j].label >= 0) {
				const struct layout_label *lw = &w->labels[w->items[j].label];
				same +=
				    lw->left == la->left && lw->top == la->top && lw->nlines == la->nlines;
			}
		}
		CHECK_INT(same, touching);
		/* and no label the whole picture leaves out appears in the window */
		size_t extra = 0;
		for (size_t i = 0; i < w->nitems; i++) {
			const struct layout_item *b = &w->items[i];
			if (b->label < 0)
				continue;
			const struct layout_label *lb = &w->labels[b->label];
			if (!overlap(lb->left - 2, lb->top - 2, lb->right + 2, lb->bottom + 2, x0, y0, x1,
			             y1))
				continue;
			size_t m = 0;
			while (m < l->nitems && l->items[m].site != b->site)
				m++;
			extra += m == l->nitems || l->items[m].label < 0;
		}
		CHECK_INT(extra, 0);
	}

	/* a name that cannot fit in LAYOUT_MAX_LINES lines gets no label */
	static const char *const longname[] = {
	    "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"};
	struct site_draft one;
	site_draft_of(&s[0], &one);
	one.field[SITE_NAME_ZH] = longname[0];
	struct site_set *ones = site_set_new();
	const struct site *named = site_set_add(ones, &one);
	layout_begin(l, &st, ZOOM);
	add_item(l, 500, 500, 0, 1, named);
	layout_decide(l, &st, named, gl, 0, 0, 1000, 1000);
	CHECK_INT(l->nlabels, 0);
	/* nor a site with no name, nor a cluster; below label_minzoom nothing */
	one.field[SITE_NAME_ZH] = "";
	site_set_free(ones);
	ones = site_set_new();
	named = site_set_add(ones, &one);
	layout_begin(l, &st, ZOOM);
	add_item(l, 500, 500, 0, 1, named);
	layout_decide(l, &st, named, gl, 0, 0, 1000, 1000);
	CHECK_INT(l->nlabels, 0);
	CHECK(layout_memory(l) > 0);
	layout_trim(l, 0);
	CHECK(l->items == NULL && l->nitems == 0);
	layout_free(l);
	layout_free(w);
	glyphs_free(gl);
	site_set_free(ones);
	site_set_free(set);
}

/* Names are measured only near the view: those of items whose label
 * could touch it, and then only around those with a box free of markers
 * (within 2 * LABELS_ROUNDS label reaches).  Counted, not timed. */
static void test_label_work(void)
{
	struct style st;
	base_style(&st);
	enum { N = 40000 };
	struct glyphs *gl = open_font();
	if (!gl)
		return;
	struct site_set *set = make_sites(N);
	const struct site *s = set->v;
	struct layout *l = layout_new();
	const double x0 = 4000, y0 = 4000, x1 = x0 + 256, y1 = y0 + 256;
	layout_begin(l, &st, ZOOM);
	double rx = l->z.label_reach_x, ry = l->z.label_reach_y;
	/* a crowd over the view and a label's reach around it, markers 6 px
	 * apart: no label near the view has a free box */
	uint32_t n = 0;
	for (double y = y0 - ry - 10; y <= y1 + ry + 10 && n < N - 2; y += 6)
		for (double x = x0 - rx - 10; x <= x1 + rx + 10 && n < N - 2; x += 6)
			add_item(l, x, y, n++, 1, s);
	CHECK(n < N - 2);
	/* and beyond the crowd, lone sites whose labels fit */
	add_item(l, x0 - 2.5 * rx, y0 + 128, n++, 1, s);
	add_item(l, x0 + 128, y1 + 2.5 * ry, n++, 1, s);
	layout_decide(l, &st, s, gl, x0, y0, x1, y1);
	CHECK_INT(l->nlabels, 0);
	CHECK_INT(l->measured, 0);

	/* a lone site in the view: its name, and its neighbour's within two
	 * reaches, are measured; the one farther is not */
	layout_begin(l, &st, ZOOM);
	add_item(l, x0 + 128, y0 + 128, 0, 1, s);
	add_item(l, x0 + 128 + 1.9 * rx, y0 + 128, 1, 1, s);
	add_item(l, x0 + 128 - 2.1 * rx, y0 + 128, 2, 1, s);
	layout_decide(l, &st, s, gl, x0, y0, x1, y1);
	CHECK(l->items[1].x > x1 + rx + LAYOUT_SLACK_PX && l->items[2].x < x0 - rx - LAYOUT_SLACK_PX);
	CHECK_INT(l->measured, 2);
	CHECK(l->items[0].label >= 0);
	CHECK(l->items[1].label < 0 && l->items[2].label < 0); /* decided for the view only */
	layout_free(l);
	glyphs_free(gl);
	site_set_free(set);
}

int main(void)
{
	CHECK(layout_anchor(1.0 / 512 + 3) == 3 + 1.0 / 256 || layout_anchor(1.0 / 512 + 3) == 3);
	CHECK(layout_anchor(7.123456) * 256 == floor(layout_anchor(7.123456) * 256));
	test_zoom();
	test_extents_and_circles();
	test_labels();
	test_label_work();
	return CHECK_DONE();
}

/* test_render_layout.c - one zoom's decisions, without tiles: greedy
 * clusters in id order (within the radius, coincident sites at every
 * zoom, centroids on the anchor grid), labels that overlap no marker and
 * no other label, window queries against brute force, and the same layout
 * from the same input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "geo/webmerc.h"
#include "render/layout.h"

#define ZOOM 10

static void base_style(struct style *st)
{
	memset(st, 0, sizeof *st);
	st->marker_size = (struct style_num){1, {0}, {4}};
	st->marker_outline_width = (struct style_num){1, {0}, {1}};
	for (int c = 0; c < CAT_COUNT; c++)
		st->marker_shape[c] = SHAPE_CIRCLE;
	st->cluster = true;
	st->cluster_maxzoom = 12;
	st->cluster_radius = 40;
	st->cluster_size = (struct style_num){1, {0}, {10}};
	st->cluster_outline_width = 1;
	st->cluster_text_size = (struct style_num){1, {0}, {11}};
	st->label_minzoom = STYLE_ZOOM_NEVER;
	st->label_size = (struct style_num){1, {0}, {12}};
	st->label_offset = 2;
}

/* Sites at world pixels (zoom ZOOM) given as x,y pairs. */
struct input {
	struct site *sites;
	double *mx, *my;
	struct layout_sites in;
};

static void make_input(struct input *p, const double *xy, size_t n, const char *const *names)
{
	p->sites = calloc(n ? n : 1, sizeof *p->sites);
	p->mx = malloc((n ? n : 1) * sizeof *p->mx);
	p->my = malloc((n ? n : 1) * sizeof *p->my);
	for (size_t i = 0; i < n; i++) {
		webmerc_from_world_px(xy[2 * i], xy[2 * i + 1], ZOOM, WEBMERC_TILE_SIZE, &p->mx[i],
		                      &p->my[i]);
		p->sites[i].category = (enum site_category)(i % CAT_COUNT);
		for (int f = 0; f < SITE_NFIELDS; f++)
			p->sites[i].field[f] = "";
		p->sites[i].field[SITE_NAME_ZH] = names ? names[i % 4] : "";
	}
	p->in = (struct layout_sites){p->sites, p->mx, p->my, n};
}

static void free_input(struct input *p)
{
	free(p->sites);
	free(p->mx);
	free(p->my);
}

static void test_clusters(void)
{
	struct style st;
	base_style(&st);
	/* a row: 0 starts a cluster, 1 (24 px on) joins it, 2 is 48 px from
	 * 0's position and starts its own, 3 is just over the 40 px radius
	 * from 2 (and the positions go through metres and back, so an exact
	 * tie cannot be set up here), 4 and 5 coincide far away */
	double xy[] = {1000, 1000, 1024, 1000, 1048, 1000, 1088.5, 1000, 5000, 5000, 5000, 5000};
	struct input p;
	make_input(&p, xy, 6, NULL);
	struct layout *l = layout_build(&st, &p.in, ZOOM, NULL);
	CHECK_INT(l->nitems, 4);
	CHECK_INT(l->clusters, 2);
	CHECK_INT(l->largest, 2);
	CHECK_INT(l->nlabels, 0);
	if (l->nitems == 4) {
		CHECK(l->items[0].site == 0 && l->items[0].count == 2);
		CHECK(l->items[1].site == 2 && l->items[1].count == 1);
		CHECK(l->items[2].site == 3 && l->items[2].count == 1);
		CHECK(l->items[3].site == 4 && l->items[3].count == 2);
		/* a cluster sits at its members' centroid, on the anchor grid */
		CHECK_NEAR(l->items[0].x, 1012, 1.0 / 256);
		CHECK(l->items[0].x * 256 == floor(l->items[0].x * 256));
		CHECK_NEAR(l->items[3].y, 5000, 1.0 / 256);
		/* a cluster's extent is its disc and outline */
		CHECK_NEAR(l->items[0].right, 11, 1e-6);
		CHECK_NEAR(l->items[1].right, 4.5, 0.6); /* a marker of radius 4 */
	}
	layout_free(l);

	/* above the clustering zoom only coincident sites merge */
	st.cluster_maxzoom = ZOOM - 1;
	l = layout_build(&st, &p.in, ZOOM, NULL);
	CHECK_INT(l->nitems, 5);
	CHECK_INT(l->largest, 2);
	layout_free(l);
	st.cluster = false;
	l = layout_build(&st, &p.in, ZOOM, NULL);
	CHECK_INT(l->nitems, 5);
	layout_free(l);
	free_input(&p);
}

/* Labels: whole boxes, none over a marker or another label. */
static void test_labels(void)
{
	struct style st;
	base_style(&st);
	st.cluster = false;
	st.label_minzoom = ZOOM;
	st.label_halo_width = 1;
	static const char *const names[] = {"红色纪念馆", "旧址", "烈士陵园", "学习站"};
	enum { N = 400 };
	double xy[2 * N];
	srand(11);
	for (int i = 0; i < N; i++) {
		xy[2 * i] = 2000 + rand() % 600;
		xy[2 * i + 1] = 3000 + rand() % 600;
	}
	struct input p;
	make_input(&p, xy, N, names);
	struct ms_error err = {0};
	struct glyphs *gl = glyphs_new(GLYPHS_DEFAULT_FONT, &err);
	CHECK_MSG(gl != NULL, "%s", err.msg);
	if (!gl) {
		free_input(&p);
		return;
	}
	struct layout *l = layout_build(&st, &p.in, ZOOM, gl);
	CHECK(l->nlabels > 20 && l->nlabels < l->nitems);
	size_t overlaps = 0, labelled = 0;
	for (size_t i = 0; i < l->nitems; i++) {
		const struct layout_item *a = &l->items[i];
		if (a->label < 0)
			continue;
		labelled++;
		const struct layout_label *la = &l->labels[a->label];
		CHECK(la->bx == floor(la->bx) && la->by == floor(la->by)); /* whole world px */
		for (size_t j = 0; j < l->nitems; j++) {
			const struct layout_item *b = &l->items[j];
			/* no label over any marker */
			overlaps += la->left < b->x + b->right && b->x + b->left < la->right &&
			            la->top < b->y + b->bottom && b->y + b->top < la->bottom;
			if (j <= i || b->label < 0)
				continue;
			const struct layout_label *lb = &l->labels[b->label];
			overlaps += la->left < lb->right && lb->left < la->right && la->top < lb->bottom &&
			            lb->top < la->bottom;
		}
	}
	CHECK_INT(overlaps, 0);
	CHECK_INT(labelled, l->nlabels);

	/* the same input gives the same layout, byte for byte */
	struct layout *again = layout_build(&st, &p.in, ZOOM, gl);
	CHECK(again->nitems == l->nitems && again->nlabels == l->nlabels);
	if (again->nitems == l->nitems && again->nlabels == l->nlabels) {
		CHECK(memcmp(again->items, l->items, l->nitems * sizeof *l->items) == 0);
		CHECK(memcmp(again->labels, l->labels, l->nlabels * sizeof *l->labels) == 0);
	}
	layout_free(again);
	layout_free(l);
	glyphs_free(gl);
	free_input(&p);
}

/* Queries return every item whose marker touches the window (and maybe a
 * few more within reach), in item order. */
static void test_query(void)
{
	struct style st;
	base_style(&st);
	st.cluster_radius = 12;
	enum { N = 3000 };
	static double xy[2 * N];
	srand(12);
	for (int i = 0; i < N; i++) {
		xy[2 * i] = rand() % 4096;
		xy[2 * i + 1] = rand() % 4096;
	}
	struct input p;
	make_input(&p, xy, N, NULL);
	struct layout *l = layout_build(&st, &p.in, ZOOM, NULL);
	size_t total = 0;
	for (size_t i = 0; i < l->nitems; i++)
		total += l->items[i].count;
	CHECK_INT(total, N);
	for (size_t i = 1; i < l->nitems; i++)
		CHECK(l->items[i].site > l->items[i - 1].site); /* by first site id */
	uint32_t *hits = NULL;
	size_t cap = 0, missing = 0, unordered = 0, returned = 0;
	for (int w = 0; w < 200; w++) {
		double x0 = rand() % 4000 - 50, y0 = rand() % 4000 - 50;
		double x1 = x0 + 1 + rand() % 600, y1 = y0 + 1 + rand() % 600;
		size_t n = layout_query(l, x0, y0, x1, y1, &hits, &cap);
		returned += n;
		for (size_t k = 1; k < n; k++)
			unordered += hits[k] <= hits[k - 1];
		for (size_t i = 0; i < l->nitems; i++) {
			const struct layout_item *it = &l->items[i];
			bool touches = it->x + it->left < x1 && x0 < it->x + it->right &&
			               it->y + it->top < y1 && y0 < it->y + it->bottom;
			if (!touches)
				continue;
			bool found = false;
			for (size_t k = 0; k < n && !found; k++)
				found = hits[k] == i;
			missing += !found;
		}
	}
	CHECK_INT(missing, 0);
	CHECK_INT(unordered, 0);
	CHECK(returned > 0 && returned < 200 * l->nitems / 4); /* a window, not everything */
	free(hits);
	layout_free(l);
	free_input(&p);

	/* an empty input lays out nothing and queries nothing */
	make_input(&p, xy, 0, NULL);
	l = layout_build(&st, &p.in, ZOOM, NULL);
	CHECK(l->nitems == 0 && l->clusters == 0 && l->largest == 0);
	hits = NULL;
	cap = 0;
	CHECK_INT(layout_query(l, 0, 0, 1e6, 1e6, &hits, &cap), 0);
	layout_free(l);
	layout_free(NULL);
	free_input(&p);
}

static void test_anchor(void)
{
	CHECK(layout_anchor(1.0 / 512 + 1e-9) == 1.0 / 256);
	CHECK(layout_anchor(-3.3) * 256 == nearbyint(-3.3 * 256));
	CHECK(layout_anchor(12345.5) == 12345.5);
}

int main(void)
{
	test_clusters();
	test_labels();
	test_query();
	test_anchor();
	return CHECK_DONE();
}

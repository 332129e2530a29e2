/* test_render_style.c - style files: the shipped ones, broken ones, zoom
 * interpolation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/geodata.h"
#include "render/style.h"

#define CHECK_RGBA(c, R, G, B, A)                                                                        \
	CHECK_MSG((c).r == (R) && (c).g == (G) && (c).b == (B) && (c).a == (A), "rgba(%d,%d,%d,%d)", (c).r, \
		  (c).g, (c).b, (c).a)

static void test_eval(void)
{
	struct style_num k = {1, {0}, {7}};
	CHECK_NEAR(style_eval(&k, 0), 7, 0);
	CHECK_NEAR(style_eval(&k, 20), 7, 0);
	struct style_num n = {3, {4, 10, 16}, {3, 5, 8}};
	CHECK_NEAR(style_eval(&n, 0), 3, 0);    /* constant before the first stop */
	CHECK_NEAR(style_eval(&n, 4), 3, 0);
	CHECK_NEAR(style_eval(&n, 7), 4, 1e-12); /* halfway from 3 to 5 */
	CHECK_NEAR(style_eval(&n, 10), 5, 0);
	CHECK_NEAR(style_eval(&n, 12), 6, 1e-12);
	CHECK_NEAR(style_eval(&n, 15.5), 7.75, 1e-12);
	CHECK_NEAR(style_eval(&n, 16), 8, 0);
	CHECK_NEAR(style_eval(&n, 22), 8, 0);   /* constant after the last */
	struct style_num down = {2, {10, 12}, {6, 2}};
	CHECK_NEAR(style_eval(&down, 11.5), 3, 1e-12);
}

static const char *const cat_hex[CAT_COUNT] = {"c0392b", "d35400", "7f1d1d", "b7950b",
					       "8e44ad", "e74c3c", "2e86c1", "117a65"};

static void check_peer_colours(const struct style *st)
{
	for (int k = 0; k < CAT_COUNT; k++) {
		unsigned r, g, b;
		sscanf(cat_hex[k], "%2x%2x%2x", &r, &g, &b);
		CHECK_RGBA(st->marker_color[k], (int)r, (int)g, (int)b, 255);
	}
}

static void test_default(void)
{
	struct style st;
	struct ms_error err = {0};
	enum ms_status rc = style_load("../styles/default.json", &st, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	if (rc != MS_OK)
		return;
	CHECK_STR(st.name, "default");
	CHECK_STR(st.title, "Red sites overlay");
	CHECK(st.version != 0);
	CHECK_RGBA(st.background, 0, 0, 0, 0); /* an overlay */
	check_peer_colours(&st);
	for (int k = 0; k < CAT_COUNT; k++)
		CHECK_INT(st.marker_shape[k], SHAPE_CIRCLE);
	CHECK_RGBA(st.marker_outline, 255, 255, 255, 255);
	/* Mapnik's look from z12: a 12 px circle with a 2 px white outline
	 * centred on its edge is a radius-5 fill plus 2 px outside. */
	CHECK_NEAR(style_eval(&st.marker_size, 12), 5, 1e-9);
	CHECK_NEAR(style_eval(&st.marker_size, 18), 5, 1e-9);
	CHECK_NEAR(style_eval(&st.marker_outline_width, 12), 2, 1e-9);
	CHECK(style_eval(&st.marker_size, 5) < 4);
	CHECK_NEAR(style_eval(&st.marker_size, 7), 3.5, 1e-9);
	CHECK_INT(st.label_minzoom, 12);
	CHECK_NEAR(style_eval(&st.label_size, 14), 12, 0);
	CHECK_RGBA(st.label_color, 0x22, 0x22, 0x22, 255);
	CHECK_RGBA(st.label_halo, 255, 255, 255, 255);
	CHECK_NEAR(st.label_halo_width, 1.5, 0);
	CHECK_NEAR(st.label_offset, 3, 0);
	CHECK_STR(st.font, "");
	CHECK(st.cluster);
	CHECK_INT(st.cluster_maxzoom, 11);
	CHECK_NEAR(st.cluster_radius, 24, 0);
	CHECK_RGBA(st.cluster_color, 192, 57, 43, 230);
	CHECK_RGBA(st.cluster_text_color, 255, 255, 255, 255);
	CHECK_NEAR(style_eval(&st.cluster_text_size, 8), 11, 0);
	CHECK_NEAR(style_eval(&st.cluster_size, 11), 12, 1e-9);
	CHECK_NEAR(st.cluster_outline_width, 2, 0);
}

static void test_print(void)
{
	struct style st, def;
	struct ms_error err = {0};
	enum ms_status rc = style_load("../styles/print.json", &st, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	if (rc != MS_OK || style_load("../styles/default.json", &def, &err) != MS_OK)
		return;
	CHECK_STR(st.name, "print");
	CHECK_RGBA(st.background, 0xf7, 0xf4, 0xee, 255); /* opaque, for paper */
	check_peer_colours(&st);
	CHECK_INT(st.marker_shape[CAT_MEMORIAL_HALL], SHAPE_PIN);
	CHECK_INT(st.marker_shape[CAT_MUSEUM], SHAPE_SQUARE);
	CHECK_INT(st.marker_shape[CAT_MARTYRS_CEMETERY], SHAPE_DIAMOND);
	CHECK_INT(st.marker_shape[CAT_MONUMENT], SHAPE_TRIANGLE);
	CHECK_INT(st.marker_shape[CAT_STUDY_STATION], SHAPE_CIRCLE);
	CHECK(st.label_minzoom < def.label_minzoom);
	for (double z = 4; z <= 18; z += 0.5) {
		CHECK(style_eval(&st.marker_size, z) > style_eval(&def.marker_size, z));
		CHECK(style_eval(&st.label_size, z) > style_eval(&def.label_size, z));
	}
	CHECK_NEAR(style_eval(&st.marker_size, 14), 8, 1e-9);
	CHECK(st.version != def.version);
}

/* Absent layers draw nothing; the colour forms all parse. */
static void test_good_files(void)
{
	struct style *v = NULL;
	size_t n = 0;
	struct ms_error err = {0};
	enum ms_status rc = style_load_dir("data/style/good", &v, &n, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	CHECK_INT(n, 2);
	if (rc != MS_OK || n != 2) {
		free(v);
		return;
	}
	CHECK_STR(v[0].name, "colours"); /* sorted by name */
	CHECK_STR(v[1].name, "minimal");
	CHECK(style_find(v, n, "minimal") == &v[1]);
	CHECK(style_find(v, n, "nope") == NULL);

	const struct style *m = &v[1];
	CHECK_STR(m->title, "minimal");
	CHECK_RGBA(m->background, 0xaa, 0xbb, 0xcc, 255);
	CHECK_NEAR(style_eval(&m->marker_size, 12), 0, 0);
	CHECK_RGBA(m->marker_color[CAT_MUSEUM], 0, 0, 0, 0);
	CHECK(!m->cluster);
	CHECK_INT(m->label_minzoom, STYLE_ZOOM_NEVER);

	const struct style *c = &v[0];
	CHECK_STR(c->title, "Colour forms");
	CHECK_RGBA(c->background, 10, 20, 30, 255);
	CHECK_RGBA(c->marker_color[CAT_MUSEUM], 0, 128, 255, 128);
	CHECK_RGBA(c->marker_color[CAT_MONUMENT], 0, 128, 255, 128);
	CHECK_RGBA(c->marker_color[CAT_STUDY_STATION], 0x11, 0x22, 0x33, 0x44);
	CHECK_RGBA(c->marker_color[CAT_MEMORIAL_HALL], 0, 128, 128, 255); /* fallback "teal" */
	CHECK_RGBA(c->marker_outline, 255, 255, 255, 255);
	CHECK_NEAR(style_eval(&c->marker_size, 3), 5, 0); /* MapLibre's default circle-radius */
	CHECK_INT(c->label_minzoom, STYLE_ZOOM_NEVER);    /* visibility: none */
	free(v);
}

/* The version is a hash of the bytes: a change of one byte changes it. */
static void test_version(void)
{
	const char *a = "{\"version\": 8, \"layers\": []}";
	const char *b = "{\"version\": 8, \"layers\": [] }";
	const char *pa = "style_version_a.json", *pb = "style_version_b.json";
	FILE *f = fopen(pa, "w");
	fputs(a, f);
	fclose(f);
	f = fopen(pb, "w");
	fputs(b, f);
	fclose(f);
	struct style sa, sb, sa2;
	struct ms_error err = {0};
	CHECK(style_load(pa, &sa, &err) == MS_OK);
	CHECK(style_load(pb, &sb, &err) == MS_OK);
	CHECK(style_load(pa, &sa2, &err) == MS_OK);
	CHECK(sa.version != sb.version);
	CHECK(sa.version == sa2.version);
	remove(pa);
	remove(pb);

	CHECK(style_load("data/style/nothing-here.json", &sa, &err) == MS_EIO);
	CHECK(strstr(err.msg, "nothing-here.json") != NULL);
	struct style *v = NULL;
	size_t n = 5;
	CHECK(style_load_dir("data/style/no-such-dir", &v, &n, &err) == MS_EIO);
	CHECK(v == NULL && n == 0);
	/* One bad file fails the directory, naming the file and line. */
	CHECK(style_load_dir("data/style/bad", &v, &n, &err) == MS_EDATA);
	CHECK(strstr(err.msg, "data/style/bad/") != NULL);
	CHECK(v == NULL);
}

/* Fill and line layers over a GeoJSON file source, in file order. */
static void test_context_layers(void)
{
	struct style st;
	struct ms_error err = {0};
	enum ms_status rc = style_load("data/style/context_good/context.json", &st, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	if (rc != MS_OK)
		return;
	CHECK_INT(st.ncontext, 2); /* the hidden layer is left out */
	const struct style_context *f = &st.context[0], *l = &st.context[1];
	CHECK_INT(f->kind, STYLE_CONTEXT_FILL);
	CHECK_INT(l->kind, STYLE_CONTEXT_LINE);
	CHECK_RGBA(f->color, 255, 0, 0, 255);
	CHECK_NEAR(style_eval(&f->opacity, 9), 0.5, 0);
	CHECK_NEAR(f->minzoom, 5, 0);
	CHECK(f->maxzoom > 24);
	CHECK_RGBA(l->color, 0, 0, 255, 255);
	CHECK_NEAR(style_eval(&l->opacity, 9), 1, 0); /* MapLibre's default */
	CHECK_NEAR(style_eval(&l->width, 6), 2, 1e-12);
	CHECK_NEAR(l->minzoom, 0, 0);
	CHECK_NEAR(l->maxzoom, 12, 0);
	CHECK(f->data == l->data); /* one file, read once */

	/* The file: a polygon with a hole, a two-part line; the point and the
	 * null geometry are skipped. */
	const struct geodata *g = f->data;
	CHECK_INT(g->nshapes, 3);
	CHECK_INT(g->nrings, 4);
	CHECK_INT(g->npts, 14);
	if (g->nshapes == 3) {
		CHECK(g->shapes[0].polygon && !g->shapes[1].polygon && !g->shapes[2].polygon);
		CHECK_INT(g->shapes[0].nrings, 2);
		/* 118 E -> (118 + 180) / 360 * 256; 37 N -> Mercator y */
		CHECK_NEAR(g->shapes[0].x0, 298.0 / 360 * 256, 1e-9);
		CHECK_NEAR(g->shapes[0].x1, 299.0 / 360 * 256, 1e-9);
		double y37 = 128 - 128 / M_PI * log(tan(M_PI / 4 + 37 * M_PI / 360));
		CHECK_NEAR(g->shapes[0].y0, y37, 1e-9);
		CHECK_NEAR(g->shapes[2].x1, 280.5 / 360 * 256, 1e-9);
	}
	/* Reading the style again reuses the file; the version covers it. */
	struct style again;
	CHECK(style_load("data/style/context_good/context.json", &again, &err) == MS_OK);
	CHECK(again.context[0].data == g);
	CHECK(again.version == st.version);
	const struct geodata *direct;
	CHECK(geodata_load("data/context/square.geojson", &direct, &err) == MS_OK);
	CHECK(direct != NULL && direct->hash == g->hash);

	/* default.json stays an overlay without context; print.json draws
	 * the bundled Natural Earth layers. */
	struct style def, print;
	CHECK(style_load("../styles/default.json", &def, &err) == MS_OK);
	CHECK_INT(def.ncontext, 0);
	CHECK(style_load("../styles/print.json", &print, &err) == MS_OK);
	CHECK(print.ncontext >= 4);
	size_t shapes = 0;
	for (int i = 0; i < print.ncontext; i++)
		shapes += print.context[i].data->nshapes;
	CHECK(shapes > 500);
}

static void test_bad_files(void)
{
	FILE *list = fopen("data/style/bad.list", "r");
	CHECK(list != NULL);
	if (!list)
		return;
	char line[512];
	int cases = 0;
	while (fgets(line, sizeof line, list)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		char *tab = strchr(line, '\t');
		CHECK_MSG(tab != NULL, "bad.list: no tab in \"%s\"", line);
		if (!tab)
			continue;
		*tab = 0;
		char path[600];
		snprintf(path, sizeof path, "data/style/bad/%s", line);
		struct style st;
		struct ms_error err = {0};
		enum ms_status rc = style_load(path, &st, &err);
		CHECK_MSG(rc == MS_EDATA, "%s: status %d (%s)", line, rc, err.msg);
		CHECK_MSG(strstr(err.msg, tab + 1) != NULL, "%s: got \"%s\", want \"%s\"", line, err.msg, tab + 1);
		cases++;
	}
	fclose(list);
	CHECK(cases >= 20);
}

int main(void)
{
	test_eval();
	test_default();
	test_print();
	test_good_files();
	test_version();
	test_context_layers();
	test_bad_files();
	return CHECK_DONE();
}

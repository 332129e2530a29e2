/* test_render_style.c - style_parse: the shipped styles, the good and
 * broken files of tests/data/style (those that need no context file; the
 * loader runs them all in test_styleset.c), the resolver seam for context
 * sources, the version hash, zoom interpolation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/geodata.h"
#include "render/style.h"
#include "style_files.h"

#define CHECK_RGBA(c, R, G, B, A)                                                                            \
	CHECK_MSG((c).r == (R) && (c).g == (G) && (c).b == (B) && (c).a == (A), "rgba(%d,%d,%d,%d)", (c).r,  \
	          (c).g, (c).b, (c).a)

static void test_eval(void)
{
	struct style_num k = {1, {0}, {7}};
	CHECK_NEAR(style_eval(&k, 0), 7, 0);
	CHECK_NEAR(style_eval(&k, 20), 7, 0);
	struct style_num n = {3, {4, 10, 16}, {3, 5, 8}};
	CHECK_NEAR(style_eval(&n, 0), 3, 0); /* constant before the first stop */
	CHECK_NEAR(style_eval(&n, 4), 3, 0);
	CHECK_NEAR(style_eval(&n, 7), 4, 1e-12); /* halfway from 3 to 5 */
	CHECK_NEAR(style_eval(&n, 10), 5, 0);
	CHECK_NEAR(style_eval(&n, 12), 6, 1e-12);
	CHECK_NEAR(style_eval(&n, 15.5), 7.75, 1e-12);
	CHECK_NEAR(style_eval(&n, 16), 8, 0);
	CHECK_NEAR(style_eval(&n, 22), 8, 0); /* constant after the last */
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
	enum ms_status rc = test_style_load("../styles/default.json", NULL, &st, &err);
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
	CHECK_INT(st.cluster_maxzoom, 15);
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
	enum ms_status rc = test_style_load("../styles/print.json", "../data", &st, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	if (rc != MS_OK || test_style_load("../styles/default.json", NULL, &def, &err) != MS_OK)
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
	struct style c, m;
	struct ms_error err = {0};
	enum ms_status rc = test_style_load("data/style/good/minimal.json", NULL, &m, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	if (rc == MS_OK) {
		CHECK_STR(m.name, "minimal");
		CHECK_STR(m.title, "minimal");
		CHECK_RGBA(m.background, 0xaa, 0xbb, 0xcc, 255);
		CHECK_NEAR(style_eval(&m.marker_size, 12), 0, 0);
		CHECK_RGBA(m.marker_color[CAT_MUSEUM], 0, 0, 0, 0);
		CHECK(!m.cluster);
		CHECK_INT(m.label_minzoom, STYLE_ZOOM_NEVER);
	}
	rc = test_style_load("data/style/good/colours.json", NULL, &c, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	if (rc == MS_OK) {
		CHECK_STR(c.name, "colours");
		CHECK_STR(c.title, "Colour forms");
		CHECK_RGBA(c.background, 10, 20, 30, 255);
		CHECK_RGBA(c.marker_color[CAT_MUSEUM], 0, 128, 255, 128);
		CHECK_RGBA(c.marker_color[CAT_MONUMENT], 0, 128, 255, 128);
		CHECK_RGBA(c.marker_color[CAT_STUDY_STATION], 0x11, 0x22, 0x33, 0x44);
		CHECK_RGBA(c.marker_color[CAT_MEMORIAL_HALL], 0, 128, 128, 255); /* fallback "teal" */
		CHECK_RGBA(c.marker_outline, 255, 255, 255, 255);
		CHECK_NEAR(style_eval(&c.marker_size, 3), 5, 0); /* MapLibre's default circle-radius */
		CHECK_INT(c.label_minzoom, STYLE_ZOOM_NEVER);    /* visibility: none */
	}
	/* approximate sites: the style's choices, and the defaults where it
	 * says nothing (colours.json has markers but no vendor keys) */
	struct style a;
	rc = test_style_load("data/style/approx/approximate.json", NULL, &a, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	if (rc == MS_OK) {
		CHECK_NEAR(a.approx_hole, 0.4, 1e-12);
		CHECK_RGBA(a.approx_fill, 0xfa, 0xfa, 0xfa, 255);
		CHECK_RGBA(a.uncertainty_fill, 192, 57, 43, 26);
		CHECK_RGBA(a.uncertainty_stroke, 0xc0, 0x39, 0x2b, 255);
		CHECK_NEAR(a.uncertainty_stroke_width, 1.5, 0);
		CHECK_STR(a.approx_prefix, "约");
	}
	if (test_style_load("data/style/good/colours.json", NULL, &c, &err) == MS_OK) {
		CHECK_NEAR(c.approx_hole, 0.5, 0);
		CHECK_RGBA(c.approx_fill, 255, 255, 255, 255);
		CHECK_RGBA(c.uncertainty_fill, 0, 0, 0, 0);
		CHECK(c.uncertainty_stroke.a > 0 && c.uncertainty_stroke_width == 1);
	}
	struct style v[2];
	CHECK(style_find(v, 0, "minimal") == NULL);
	v[0] = c;
	v[1] = m;
	CHECK(style_find(v, 2, "minimal") == &v[1]);
	CHECK(style_find(v, 2, "nope") == NULL);
}

/* The name comes from the file name; the text need not end in a NUL; the
 * version is a hash of the bytes: a change of one byte changes it. */
static void test_text(void)
{
	const char *a = "{\"version\": 8, \"layers\": []}";
	const char *b = "{\"version\": 8, \"layers\": [] }";
	struct style sa, sb, sa2;
	struct ms_error err = {0};
	CHECK_INT(style_parse("dir/a-1_x.json", a, strlen(a), NULL, &sa, &err), MS_OK);
	CHECK_STR(sa.name, "a-1_x");
	CHECK_INT(style_parse("b", b, strlen(b), NULL, &sb, &err), MS_OK);
	CHECK_STR(sb.name, "b");
	CHECK_INT(style_parse("a.json", a, strlen(a), NULL, &sa2, &err), MS_OK);
	CHECK(sa.version != sb.version);
	CHECK(sa.version == sa2.version);
	/* only len bytes are read: "XYZ" after them is not part of the text */
	char buf[64];
	snprintf(buf, sizeof buf, "%sXYZ", a);
	CHECK_INT(style_parse("a.json", buf, strlen(a), NULL, &sa2, &err), MS_OK);
	CHECK(sa.version == sa2.version);

	/* names that cannot be in a URL, and an absurd size, are refused */
	struct style untouched = sa;
	CHECK_INT(style_parse("dir/a b.json", a, strlen(a), NULL, &sa, &err), MS_EDATA);
	CHECK_STR(err.msg, "dir/a b.json:1: a style's file name may hold only letters, digits, '-' and '_'");
	char longname[80];
	memset(longname, 'n', 64);
	strcpy(longname + 64, ".json");
	CHECK_INT(style_parse(longname, a, strlen(a), NULL, &sa, &err), MS_EDATA);
	CHECK(strstr(err.msg, ".json:1: a style's file name must be 1 to 63 characters") != NULL);
	CHECK(memcmp(&sa, &untouched, sizeof sa) == 0); /* *out only on success */
	size_t big = STYLE_MAX_BYTES + 1;
	char *huge = malloc(big);
	memset(huge, ' ', big);
	CHECK_INT(style_parse("big.json", huge, big, NULL, &sa, &err), MS_EDATA);
	CHECK_STR(err.msg, "big.json:1: larger than 1048576 bytes");
	free(huge);
}

/* The resolver seam: called once per GeoJSON file source, in file order,
 * with the source's name and "data"; its failure is reported at the line
 * of "data"; the geometry's hash enters the version. */
struct calls {
	int n;
	char seen[4][64];
	const struct geodata *give;
	const char *fail;
};

static enum ms_status fake_resolve(void *arg, const char *source, const char *data,
                                   const struct geodata **out, struct ms_error *err)
{
	struct calls *c = arg;
	if (c->n < 4)
		snprintf(c->seen[c->n], sizeof c->seen[0], "%s=%s", source, data);
	c->n++;
	if (c->fail && strcmp(source, c->fail) == 0)
		return ms_fail(err, MS_ENOTFOUND, "data: \"%s\" is nowhere", data);
	*out = c->give;
	return MS_OK;
}

static void test_resolver(void)
{
	const char *text = "{\"version\": 8,\n"
	                   " \"sources\": {\n"
	                   "  \"land\": {\"type\": \"geojson\",\n"
	                   "           \"data\": \"basemap/land.geojson\"},\n"
	                   "  \"water\": {\"type\": \"geojson\", \"data\": \"basemap/water.geojson\"}},\n"
	                   " \"layers\": [\n"
	                   "  {\"id\": \"a\", \"type\": \"fill\", \"source\": \"land\"},\n"
	                   "  {\"id\": \"b\", \"type\": \"line\", \"source\": \"water\", \"maxzoom\": 9}]}\n";
	const char *geo = "{\"type\": \"FeatureCollection\", \"features\": []}";
	struct geodata *g1 = NULL, *g2 = NULL;
	struct ms_error err = {0};
	CHECK_INT(geodata_parse("one", geo, strlen(geo), &g1, &err), MS_OK);
	CHECK_INT(geodata_parse("two", geo, strlen(geo) - 1, &g2, &err), MS_EDATA); /* cut short */
	CHECK_INT(geodata_parse("two", "{\"type\": \"FeatureCollection\", \"features\": [ ]}", 46, &g2, &err),
	          MS_OK);
	if (!g1 || !g2)
		return;
	CHECK(g1->hash != g2->hash);

	struct calls c = {.give = g1};
	struct style_resolver r = {fake_resolve, &c};
	struct style st, st2;
	CHECK_INT(style_parse("ctx.json", text, strlen(text), &r, &st, &err), MS_OK);
	CHECK_INT(c.n, 2);
	CHECK_STR(c.seen[0], "land=basemap/land.geojson");
	CHECK_STR(c.seen[1], "water=basemap/water.geojson");
	CHECK_INT(st.ncontext, 2);
	CHECK(st.context[0].data == g1 && st.context[1].data == g1);
	CHECK_NEAR(st.context[1].maxzoom, 9, 0);
	/* other geometry, other version: a changed basemap changes the ETags */
	c = (struct calls){.give = g2};
	CHECK_INT(style_parse("ctx.json", text, strlen(text), &r, &st2, &err), MS_OK);
	CHECK(st2.version != st.version);
	/* a failure is the resolver's reason at the line of "data" */
	c = (struct calls){.give = g1, .fail = "land"};
	CHECK_INT(style_parse("ctx.json", text, strlen(text), &r, &st2, &err), MS_EDATA);
	CHECK_STR(err.msg, "ctx.json:4: data: \"basemap/land.geojson\" is nowhere");
	CHECK_INT(c.n, 1); /* parsing stopped there */
	c = (struct calls){.give = g1, .fail = "water"};
	CHECK_INT(style_parse("ctx.json", text, strlen(text), &r, &st2, &err), MS_EDATA);
	CHECK_STR(err.msg, "ctx.json:5: data: \"basemap/water.geojson\" is nowhere");
	/* a resolver that gives nothing, or none at all */
	c = (struct calls){.give = NULL};
	CHECK_INT(style_parse("ctx.json", text, strlen(text), &r, &st2, &err), MS_EDATA);
	CHECK(strncmp(err.msg, "ctx.json:4: ", 12) == 0);
	CHECK_INT(style_parse("ctx.json", text, strlen(text), NULL, &st2, &err), MS_EDATA);
	CHECK_STR(err.msg,
	          "ctx.json:4: source \"land\": GeoJSON file sources cannot be read here (no loader)");

	/* the sources' attributions, each once, in file order; a part of one
	 * is not the same one */
	const char *credits[][2] = {
	    {"\"Natural Earth\"", "\"Natural Earth\""},
	    {"\"Earth\"", "\"Natural Earth\""},
	    {"\"\"", "\"OSM, Natural Earth\""},
	};
	const char *want[] = {"Natural Earth", "Earth, Natural Earth", "OSM, Natural Earth"};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		char two[512];
		snprintf(two, sizeof two,
		         "{\"version\": 8, \"sources\": {\n"
		         " \"a\": {\"type\": \"geojson\", \"data\": \"a.geojson\", \"attribution\": %s},\n"
		         " \"b\": {\"type\": \"geojson\", \"data\": \"b.geojson\", \"attribution\": %s}},\n"
		         " \"layers\": [{\"id\": \"a\", \"type\": \"fill\", \"source\": \"a\"}]}\n",
		         credits[i][0], credits[i][1]);
		c = (struct calls){.give = g1};
		CHECK_INT(style_parse("two.json", two, strlen(two), &r, &st2, &err), MS_OK);
		CHECK_STR(st2.attribution, want[i]);
	}
	char tab[256];
	snprintf(tab, sizeof tab,
	         "{\"version\": 8, \"sources\": {\n \"a\": {\"type\": \"geojson\", \"data\": \"a.geojson\",\n"
	         "  \"attribution\": \"a\\tb\"}}, \"layers\": []}");
	c = (struct calls){.give = g1};
	CHECK_INT(style_parse("tab.json", tab, strlen(tab), &r, &st2, &err), MS_EDATA);
	CHECK_STR(err.msg, "tab.json:3: source \"a\": \"attribution\" must be text, and the "
	                   "sources' together under 256 bytes");
	geodata_free(g1);
	geodata_free(g2);
}

/* Fill and line layers over a GeoJSON file source, in file order. */
static void test_context_layers(void)
{
	struct style st;
	struct ms_error err = {0};
	enum ms_status rc = test_style_load("data/style/context_good/context.json", "data/style", &st, &err);
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
	CHECK(f->data == l->data); /* one source, resolved once */
	CHECK_STR(st.attribution, "test");

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

	/* default.json stays an overlay without context; print.json draws
	 * the bundled Natural Earth layers. */
	struct style def, print;
	CHECK(test_style_load("../styles/default.json", NULL, &def, &err) == MS_OK);
	CHECK_INT(def.ncontext, 0);
	CHECK_STR(def.attribution, "");
	CHECK(test_style_load("../styles/print.json", "../data", &print, &err) == MS_OK);
	CHECK(print.ncontext >= 4);
	CHECK_STR(print.attribution, "Natural Earth"); /* five sources say it: once */
	size_t shapes = 0;
	for (int i = 0; i < print.ncontext; i++)
		shapes += print.context[i].data->nshapes;
	CHECK(shapes > 500);
}

/* The broken files of bad.list that need no context file ("ctx_*" cases
 * that read one are the loader's, test_styleset.c). */
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
		if (strncmp(line, "ctx_", 4) == 0 && strstr(tab + 1, ".geojson"))
			continue;
		char path[600];
		snprintf(path, sizeof path, "data/style/bad/%s", line);
		struct style st;
		struct ms_error err = {0};
		enum ms_status rc = test_style_load(path, "data/style/bad/..", &st, &err);
		CHECK_MSG(rc == MS_EDATA, "%s: status %d (%s)", line, rc, err.msg);
		CHECK_MSG(strstr(err.msg, tab + 1) != NULL, "%s: got \"%s\", want \"%s\"", line, err.msg,
		          tab + 1);
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
	test_text();
	test_resolver();
	test_context_layers();
	test_bad_files();
	test_styles_free();
	return CHECK_DONE();
}

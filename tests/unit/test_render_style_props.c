/* test_render_style_props.c - layer roles from type and filter, which
 * properties each role takes where (known, elsewhere, unknown), and the
 * members a layer and a style may have. */
#include <string.h>

#include "check.h"
#include "render/style_props.h"

static void test_roles(void)
{
	enum style_role r = STYLE_ROLE_COUNT;
	CHECK(style_props_role_of("background", false, &r) && r == STYLE_ROLE_BACKGROUND);
	CHECK(style_props_role_of("fill", true, &r) && r == STYLE_ROLE_FILL);
	CHECK(style_props_role_of("line", false, &r) && r == STYLE_ROLE_LINE);
	CHECK(style_props_role_of("circle", false, &r) && r == STYLE_ROLE_SITES);
	CHECK(style_props_role_of("circle", true, &r) && r == STYLE_ROLE_CLUSTERS);
	CHECK(style_props_role_of("symbol", false, &r) && r == STYLE_ROLE_LABELS);
	CHECK(style_props_role_of("symbol", true, &r) && r == STYLE_ROLE_CLUSTER_COUNT);
	r = STYLE_ROLE_LABELS;
	CHECK(!style_props_role_of("heatmap", false, &r) && r == STYLE_ROLE_LABELS);
	CHECK(!style_props_role_of("Circle", false, &r));
	CHECK_STR(style_props_role_name(STYLE_ROLE_SITES), "site markers");
	CHECK_STR(style_props_role_name(STYLE_ROLE_CLUSTER_COUNT), "cluster counts");
	CHECK_STR(style_props_role_name(STYLE_ROLE_COUNT), "unknown");
	int context = 0;
	for (int i = 0; i < STYLE_ROLE_COUNT; i++)
		context += style_props_is_context((enum style_role)i);
	CHECK(context == 2 && style_props_is_context(STYLE_ROLE_FILL) &&
	      style_props_is_context(STYLE_ROLE_LINE));
}

static void test_filters(void)
{
	const char *cases[] = {
	    "[\"has\", \"point_count\"]",          /* 1: clusters */
	    "[\"!\", [\"has\", \"point_count\"]]", /* 0: sites */
	    "[\"has\", \"name\"]",                 /* refused ... */
	    "[\"!\", [\"has\", \"name\"]]",
	    "[\"==\", \"category\", \"museum\"]",
	    "[\"!\", [\"has\", \"point_count\"], 1]",
	    "[\"not\", [\"has\", \"point_count\"]]",
	    "true",
	};
	bool clusters = true;
	CHECK(style_props_filter(NULL, &clusters) && !clusters); /* no filter: the sites */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *f = json_loads(cases[i], JSON_DECODE_ANY, NULL);
		CHECK(f != NULL);
		bool ok = style_props_filter(f, &clusters);
		if (i == 0)
			CHECK(ok && clusters);
		else if (i == 1)
			CHECK(ok && !clusters);
		else
			CHECK_MSG(!ok, "filter %s accepted", cases[i]);
		json_decref(f);
	}
}

static void test_props(void)
{
	/* visibility: every role, layout only */
	for (int r = 0; r < STYLE_ROLE_COUNT; r++) {
		CHECK_INT(style_props_check((enum style_role)r, true, "visibility"), STYLE_PROP_OK);
		CHECK_INT(style_props_check((enum style_role)r, false, "visibility"), STYLE_PROP_ELSEWHERE);
	}
	CHECK_INT(style_props_check(STYLE_ROLE_SITES, false, "circle-color"), STYLE_PROP_OK);
	CHECK_INT(style_props_check(STYLE_ROLE_CLUSTERS, false, "circle-color"), STYLE_PROP_OK);
	CHECK_INT(style_props_check(STYLE_ROLE_SITES, true, "mapsvc:marker-shape"), STYLE_PROP_OK);
	CHECK_INT(style_props_check(STYLE_ROLE_CLUSTERS, true, "mapsvc:marker-shape"), STYLE_PROP_ELSEWHERE);
	CHECK_INT(style_props_check(STYLE_ROLE_LINE, false, "fill-color"), STYLE_PROP_ELSEWHERE);
	CHECK_INT(style_props_check(STYLE_ROLE_LABELS, false, "text-field"),
	          STYLE_PROP_ELSEWHERE); /* layout */
	CHECK_INT(style_props_check(STYLE_ROLE_LABELS, true, "text-field"), STYLE_PROP_OK);
	CHECK_INT(style_props_check(STYLE_ROLE_CLUSTER_COUNT, false, "text-halo-color"),
	          STYLE_PROP_ELSEWHERE);
	CHECK_INT(style_props_check(STYLE_ROLE_SITES, false, "circle-colour"), STYLE_PROP_UNKNOWN);
	CHECK_INT(style_props_check(STYLE_ROLE_BACKGROUND, false, ""), STYLE_PROP_UNKNOWN);
	/* every property the table knows is OK for at least one role */
	const char *known[] = {"fill-opacity",        "line-width",     "line-opacity",
	                       "background-color",    "circle-radius",  "circle-stroke-color",
	                       "circle-stroke-width", "text-size",      "text-font",
	                       "mapsvc:font-file",    "text-anchor",    "mapsvc:text-gap",
	                       "text-color",          "text-halo-width"};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		int ok = 0;
		for (int r = 0; r < STYLE_ROLE_COUNT; r++)
			for (int layout = 0; layout < 2; layout++)
				ok +=
				    style_props_check((enum style_role)r, layout, known[i]) == STYLE_PROP_OK;
		CHECK_MSG(ok >= 1, "%s is OK nowhere", known[i]);
	}
}

static void test_members(void)
{
	CHECK(style_props_layer_member("id") && style_props_layer_member("source-layer") &&
	      style_props_layer_member("metadata"));
	CHECK(!style_props_layer_member("interactive") && !style_props_layer_member("ID"));
	CHECK(style_props_top_member("version") && style_props_top_member("layers"));
	CHECK(style_props_top_member("sprite") && style_props_top_member("transition")); /* ignored ones */
	CHECK(!style_props_top_member("layer") && !style_props_top_member("terrain"));
}

int main(void)
{
	test_roles();
	test_filters();
	test_props();
	test_members();
	return CHECK_DONE();
}

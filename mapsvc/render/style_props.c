/*
 * style_props.c - the tables of roles, properties and members; see
 * style_props.h.
 */
#include "style_props.h"

#include <string.h>

#include "style_expr.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const role_names[STYLE_ROLE_COUNT] = {
    "background", "site markers", "clusters", "cluster counts", "labels", "fill", "line"};

/* One known property: where it may appear. */
struct prop {
	const char *name;
	bool layout;    /* in "layout", else "paint" */
	unsigned roles; /* 1 << role */
};

#define R(x) (1u << (x))
#define ALL_ROLES ((1u << STYLE_ROLE_COUNT) - 1)
static const struct prop props[] = {
    {"visibility", true, ALL_ROLES},
    {"fill-color", false, R(STYLE_ROLE_FILL)},
    {"fill-opacity", false, R(STYLE_ROLE_FILL)},
    {"line-color", false, R(STYLE_ROLE_LINE)},
    {"line-width", false, R(STYLE_ROLE_LINE)},
    {"line-opacity", false, R(STYLE_ROLE_LINE)},
    {"background-color", false, R(STYLE_ROLE_BACKGROUND)},
    {"circle-radius", false, R(STYLE_ROLE_SITES) | R(STYLE_ROLE_CLUSTERS)},
    {"circle-color", false, R(STYLE_ROLE_SITES) | R(STYLE_ROLE_CLUSTERS)},
    {"circle-stroke-color", false, R(STYLE_ROLE_SITES) | R(STYLE_ROLE_CLUSTERS)},
    {"circle-stroke-width", false, R(STYLE_ROLE_SITES) | R(STYLE_ROLE_CLUSTERS)},
    {"mapsvc:marker-shape", true, R(STYLE_ROLE_SITES)},
    {"mapsvc:approximate-hole", false, R(STYLE_ROLE_SITES)},
    {"mapsvc:approximate-fill-color", false, R(STYLE_ROLE_SITES)},
    {"mapsvc:uncertainty-color", false, R(STYLE_ROLE_SITES)},
    {"mapsvc:uncertainty-stroke-color", false, R(STYLE_ROLE_SITES)},
    {"mapsvc:uncertainty-stroke-width", false, R(STYLE_ROLE_SITES)},
    {"mapsvc:approximate-prefix", true, R(STYLE_ROLE_CLUSTER_COUNT)},
    {"text-field", true, R(STYLE_ROLE_CLUSTER_COUNT) | R(STYLE_ROLE_LABELS)},
    {"text-size", true, R(STYLE_ROLE_CLUSTER_COUNT) | R(STYLE_ROLE_LABELS)},
    {"text-font", true, R(STYLE_ROLE_CLUSTER_COUNT) | R(STYLE_ROLE_LABELS)},
    {"mapsvc:font-file", true, R(STYLE_ROLE_CLUSTER_COUNT) | R(STYLE_ROLE_LABELS)},
    {"text-anchor", true, R(STYLE_ROLE_LABELS)},
    {"mapsvc:text-gap", true, R(STYLE_ROLE_LABELS)},
    {"text-color", false, R(STYLE_ROLE_CLUSTER_COUNT) | R(STYLE_ROLE_LABELS)},
    {"text-halo-color", false, R(STYLE_ROLE_LABELS)},
    {"text-halo-width", false, R(STYLE_ROLE_LABELS)},
};

static const char *const layer_members[] = {"id",      "type",    "source", "source-layer", "filter",
                                            "minzoom", "maxzoom", "layout", "paint",        "metadata"};

static const char *const top_members[] = {"version", "name", "sources", "layers",
                                          /* ignored: an interactive map's camera and resources */
                                          "metadata", "center", "zoom", "bearing", "pitch", "sprite",
                                          "glyphs", "transition"};

static bool in_list(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

const char *style_props_role_name(enum style_role r)
{
	return (unsigned)r < STYLE_ROLE_COUNT ? role_names[r] : "unknown";
}

bool style_props_is_context(enum style_role r)
{
	return r == STYLE_ROLE_FILL || r == STYLE_ROLE_LINE;
}

bool style_props_filter(const json_t *filter, bool *clusters)
{
	*clusters = false;
	if (!filter)
		return true;
	if (style_expr_is(filter, "has", "point_count")) {
		*clusters = true;
		return true;
	}
	return json_is_array(filter) && json_array_size(filter) == 2 &&
	       json_is_string(json_array_get(filter, 0)) &&
	       strcmp(json_string_value(json_array_get(filter, 0)), "!") == 0 &&
	       style_expr_is(json_array_get(filter, 1), "has", "point_count");
}

bool style_props_role_of(const char *type, bool clusters, enum style_role *out)
{
	if (strcmp(type, "background") == 0)
		*out = STYLE_ROLE_BACKGROUND;
	else if (strcmp(type, "fill") == 0)
		*out = STYLE_ROLE_FILL;
	else if (strcmp(type, "line") == 0)
		*out = STYLE_ROLE_LINE;
	else if (strcmp(type, "circle") == 0)
		*out = clusters ? STYLE_ROLE_CLUSTERS : STYLE_ROLE_SITES;
	else if (strcmp(type, "symbol") == 0)
		*out = clusters ? STYLE_ROLE_CLUSTER_COUNT : STYLE_ROLE_LABELS;
	else
		return false;
	return true;
}

enum style_props_fit style_props_check(enum style_role r, bool layout, const char *name)
{
	enum style_props_fit fit = STYLE_PROP_UNKNOWN;
	for (size_t i = 0; i < COUNT_OF(props); i++) {
		if (strcmp(props[i].name, name) != 0)
			continue;
		if (props[i].layout == layout && (unsigned)r < STYLE_ROLE_COUNT && (props[i].roles & R(r)))
			return STYLE_PROP_OK;
		fit = STYLE_PROP_ELSEWHERE;
	}
	return fit;
}

bool style_props_layer_member(const char *name)
{
	return in_list(layer_members, COUNT_OF(layer_members), name);
}

bool style_props_top_member(const char *name)
{
	return in_list(top_members, COUNT_OF(top_members), name);
}

/*
 * style_props.h - which layers a style may have and which properties each
 * may set (styles/README.md, "Layers").
 *
 * MapLibre layers are generic; mapsvc draws a fixed picture (background,
 * context fills and lines, site markers, clusters, their counts, labels),
 * so each layer is given a role by its type and filter, every role but the
 * context ones may appear once, and each role accepts a known set of
 * "layout" and "paint" properties.  A property that exists elsewhere (a
 * "fill-color" on a line) is told apart from a typo, so the message can
 * say which.
 *
 * Pure and thread-safe: fixed tables, no state.
 */
#ifndef MS_STYLE_PROPS_H
#define MS_STYLE_PROPS_H

#include <stdbool.h>

#include <jansson.h>

enum style_role {
	STYLE_ROLE_BACKGROUND,
	STYLE_ROLE_SITES,
	STYLE_ROLE_CLUSTERS,
	STYLE_ROLE_CLUSTER_COUNT,
	STYLE_ROLE_LABELS,
	STYLE_ROLE_FILL, /* context: any number of these */
	STYLE_ROLE_LINE,
	STYLE_ROLE_COUNT
};

/* "background", "site markers", ...: for messages. */
const char *style_props_role_name(enum style_role r);
/* Fill and line layers draw context sources; there may be many. */
bool style_props_is_context(enum style_role r);

/* What a layer's "filter" selects: true with *clusters set for none (the
 * sites), ["has", "point_count"] (clusters) or ["!", ["has",
 * "point_count"]] (the sites); false for any other filter. */
bool style_props_filter(const json_t *filter, bool *clusters);
/* The role of a layer of this "type" whose filter selects clusters or not;
 * false for an unknown type. */
bool style_props_role_of(const char *type, bool clusters, enum style_role *out);

enum style_props_fit {
	STYLE_PROP_OK,        /* known for this role, in this section */
	STYLE_PROP_ELSEWHERE, /* known, but for another role or section */
	STYLE_PROP_UNKNOWN,   /* not a property mapsvc knows */
};
/* Whether property name may appear in "layout" (layout true) or "paint"
 * of a layer of role r. */
enum style_props_fit style_props_check(enum style_role r, bool layout, const char *name);

/* Members a layer object may have ("id", "type", "source", ...). */
bool style_props_layer_member(const char *name);
/* Top-level members of a style: those read, and those MapLibre defines
 * for an interactive map's camera and resources, accepted and ignored. */
bool style_props_top_member(const char *name);

#endif

/*
 * places.h - named places (towns and cities) for the sheet's map, so that
 * a guide can tell where the stops are: the GeoJSON points of
 * data/basemap/places.geojson (Natural Earth's populated places, public
 * domain), read from text.
 *
 * Parsing is pure: the text comes from the caller (the fronts hand over
 * the copy embedded in the binary with the map page's files).  A place
 * list is immutable once parsed, so any number of threads may read it.
 */
#ifndef MS_ROUTE_PLACES_H
#define MS_ROUTE_PLACES_H

#include <stddef.h>

#include "../util/ms_error.h"

/* The attribution the sheet prints for its places and context layers
 * (Natural Earth asks none, and appreciates it). */
#define ROUTE_PLACES_ATTRIBUTION "Natural Earth"

struct route_place {
	double lat, lon;
	const char *name_zh; /* "" when the source has none */
	const char *name_en;
	double min_zoom; /* Natural Earth's min_zoom: the zoom a web map starts to label it */
};

struct route_places {
	struct route_place *v; /* in the file's order: its label priority */
	size_t n;
	char *strings_; /* private: the names */
};

/* The Point features with a name_zh or name_en of a GeoJSON
 * FeatureCollection; others are skipped.  MS_EDATA "NAME: reason" for
 * text that is not a FeatureCollection.  *out is new (route_places_free). */
enum ms_status route_places_parse(const char *name, const char *text, size_t len, struct route_places **out,
                                  struct ms_error *err);
void route_places_free(struct route_places *p);

/* The place's label: the Chinese name, else the English one. */
const char *route_place_label(const struct route_place *p);

#endif

/* places.c - named places for the sheet's map; see places.h. */
#include "places.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../site/site.h"
#include "../util/buf.h"
#include "../util/mem.h"

/* A place without a min_zoom is labelled at any zoom. */
#define MIN_ZOOM_ALWAYS 0.0

static const char *name_of(const json_t *props, const char *key)
{
	const char *s = json_string_value(json_object_get(props, key));
	return s ? s : "";
}

enum ms_status route_places_parse(const char *name, const char *text, size_t len, struct route_places **out,
                                  struct ms_error *err)
{
	*out = NULL;
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	json_t *features = json_object_get(root, "features");
	if (!json_is_array(features)) {
		json_decref(root);
		return ms_fail(err, MS_EDATA, "%s: not a GeoJSON FeatureCollection%s%s", name,
		               root ? "" : ": ", root ? "" : je.text);
	}
	/* Two passes: count the names' bytes, then copy them into one block
	 * the place list owns (no pointer into the freed JSON). */
	struct route_places *p = xcalloc(1, sizeof *p);
	p->v = xcalloc(json_array_size(features) + 1, sizeof *p->v);
	struct buf names = BUF_INIT;
	size_t *offs = xcalloc(2 * json_array_size(features) + 2, sizeof *offs);
	size_t i;
	json_t *f;
	json_array_foreach(features, i, f)
	{
		json_t *g = json_object_get(f, "geometry"), *props = json_object_get(f, "properties");
		json_t *c = json_object_get(g, "coordinates");
		const char *type = json_string_value(json_object_get(g, "type"));
		if (!type || strcmp(type, "Point") || json_array_size(c) < 2)
			continue;
		double lon = json_number_value(json_array_get(c, 0)),
		       lat = json_number_value(json_array_get(c, 1));
		const char *zh = name_of(props, "name_zh"), *en = name_of(props, "name_en");
		if ((!*zh && !*en) || !site_coord_valid(lat, lon))
			continue;
		json_t *mz = json_object_get(props, "min_zoom");
		struct route_place *pl = &p->v[p->n];
		pl->lat = lat;
		pl->lon = lon;
		pl->min_zoom = json_is_number(mz) ? json_number_value(mz) : MIN_ZOOM_ALWAYS;
		offs[2 * p->n] = names.len;
		buf_append(&names, zh, strlen(zh) + 1);
		offs[2 * p->n + 1] = names.len;
		buf_append(&names, en, strlen(en) + 1);
		p->n++;
	}
	json_decref(root);
	p->strings_ = buf_detach(&names, NULL);
	for (size_t k = 0; k < p->n; k++) {
		p->v[k].name_zh = p->strings_ + offs[2 * k];
		p->v[k].name_en = p->strings_ + offs[2 * k + 1];
	}
	free(offs);
	*out = p;
	return MS_OK;
}

void route_places_free(struct route_places *p)
{
	if (!p)
		return;
	free(p->v);
	free(p->strings_);
	free(p);
}

const char *route_place_label(const struct route_place *p)
{
	return *p->name_zh ? p->name_zh : p->name_en;
}

/* web.c - lookup of the embedded page assets and the validators that
 * serving them needs; see web.h. */
#include "web.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../util/etag.h"
#include "web_embedded.h"

static int compare_path(const void *key, const void *elem)
{
	const struct web_asset *a = elem;
	return strcmp(key, a->path);
}

const struct web_asset *web_asset_find(const char *path)
{
	if (!path)
		return NULL;
	return bsearch(path, web_embedded_assets, web_embedded_count, sizeof web_embedded_assets[0],
	               compare_path);
}

const struct web_asset *web_page(void)
{
	const struct web_asset *a = web_asset_find("/index.html");
	assert(a); /* assets.txt always lists the page */
	return a;
}

size_t web_asset_count(void)
{
	return web_embedded_count;
}

const struct web_asset *web_asset_at(size_t i)
{
	return i < web_embedded_count ? &web_embedded_assets[i] : NULL;
}

bool web_etag_matches(const struct web_asset *a, const char *inm)
{
	return a && etag_list_matches(inm, a->etag);
}

bool web_asset_versioned(const struct web_asset *a, const char *v)
{
	if (!a || !v)
		return false;
	size_t taglen = strlen(a->etag) - 2;
	return strlen(v) == taglen && memcmp(v, a->etag + 1, taglen) == 0;
}

/* Parsed once, by whichever thread asks first; never freed: it lives as
 * long as the embedded bytes it comes from. */
static struct route_places *places;
static pthread_once_t places_once = PTHREAD_ONCE_INIT;

static void parse_places(void)
{
	const struct web_asset *a = web_asset_find("/static/basemap/places.geojson");
	struct ms_error err = {0};
	if (a && route_places_parse(a->path, (const char *)a->data, a->len, &places, &err) != MS_OK)
		places = NULL;
}

const struct route_places *web_places(void)
{
	pthread_once(&places_once, parse_places);
	return places;
}

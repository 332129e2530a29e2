/*
 * routes.c - the route table and the matcher.
 *
 * One line per route.  Patterns are literal segments and {} for one
 * non-empty segment, which the handler reads from ctx->captures.  The
 * table is searched in order and is short, so a linear scan costs less
 * than hashing the path would.
 */
#include <string.h>

#include "handlers.h"

const struct http_route http_routes[] = {
	{"/", "GET, HEAD", h_root, "landing"},
	{"/config.json", "GET, HEAD", h_config, "config"},
	{"/static/{}", "GET, HEAD", h_static, "static"},
	{"/static/{}/{}", "GET, HEAD", h_static, "static"},
	{"/conformance", "GET, HEAD", h_conformance, "conformance"},
	{"/api", "GET, HEAD", h_api, "api"},
	{"/collections", "GET, HEAD", h_collections, "collections"},
	{"/collections/{}", "GET, HEAD", h_collection, "collection"},
	{"/collections/{}/queryables", "GET, HEAD", h_queryables, "queryables"},
	{"/collections/{}/items", "GET, HEAD", h_items, "items"},
	{"/collections/{}/items/{}", "GET, HEAD", h_item, "item"},
	{"/nearest", "GET, HEAD", h_nearest, "nearest"},
	{"/tiles.json", "GET, HEAD", h_tilejson, "tilejson"},
	{"/tiles/{}", "GET, HEAD", h_tilejson, "tilejson"},
	{"/tiles/{}/{}/{}", "GET, HEAD", h_tile, "tiles"},
	{"/tiles/{}/{}/{}/{}", "GET, HEAD", h_tile_style, "tiles"},
	{"/staticmap.png", "GET, HEAD", h_staticmap, "staticmap"},
	{"/route", "GET, HEAD", h_route, "route"},
	{"/healthz", "GET, HEAD", h_healthz, "healthz"},
	{"/metrics", "GET, HEAD", h_metrics, "metrics"},
};
const size_t http_nroutes = sizeof http_routes / sizeof http_routes[0];

/* Matches one pattern against path, copying captured segments into
 * capbuf (NUL-separated).  Returns true on a match. */
static bool match_one(const char *pat, const char *path, const char **captures, char *capbuf, size_t capbuf_size,
		      int *ncaptures)
{
	size_t used = 0;
	int nc = 0;
	while (*pat && *path) {
		if (pat[0] == '{' && pat[1] == '}') {
			size_t n = strcspn(path, "/");
			if (n == 0 || nc == 4 || used + n + 1 > capbuf_size)
				return false;
			memcpy(capbuf + used, path, n);
			capbuf[used + n] = '\0';
			captures[nc++] = capbuf + used;
			used += n + 1;
			path += n;
			pat += 2;
		} else if (*pat == *path) {
			pat++, path++;
		} else {
			return false;
		}
	}
	if (*pat || *path)
		return false;
	*ncaptures = nc;
	return true;
}

int http_route_match(const char *path, const char **captures, char *capbuf, size_t capbuf_size, int *ncaptures)
{
	for (size_t i = 0; i < http_nroutes; i++)
		if (match_one(http_routes[i].pattern, path, captures, capbuf, capbuf_size, ncaptures))
			return (int)i;
	*ncaptures = 0;
	return -1;
}

/*
 * web.h - the map page's files (HTML, CSS, JavaScript, Leaflet, icons),
 * embedded in the binary at build time so that the page works with no
 * internet connection at all and needs no files beside the binary.
 *
 * The build (mapsvc/web/embed.cmake, driven by mapsvc/web/assets.txt)
 * turns each file into a byte array with its URL path, content type and a
 * strong ETag: a hash of the exact bytes served, so two builds with the
 * same files give the same ETags and a changed file always gets a new
 * one.  The page refers to its own assets as "/static/app.js?v=TAG" with
 * TAG the asset's hash filled in at build time, so a client may cache
 * those URLs for good (see web_asset_versioned).
 *
 * Everything here is immutable static data: thread-safe, nothing to free.
 */
#ifndef MS_WEB_H
#define MS_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "../route/places.h"

struct web_asset {
	const char *path;          /* URL path, e.g. "/static/app.js"; the page is "/index.html" */
	const unsigned char *data; /* the bytes served */
	size_t len;
	const char *content_type; /* e.g. "text/javascript; charset=utf-8" */
	const char *etag;         /* strong entity tag, quotes included: "\"5f0c...\"" */
};

/* The asset at URL path (exact, case-sensitive match), or NULL. */
const struct web_asset *web_asset_find(const char *path);
/* The map page itself (the asset "/index.html"; never NULL). */
const struct web_asset *web_page(void);
/* All assets, sorted by path: for listing and tests. */
size_t web_asset_count(void);
const struct web_asset *web_asset_at(size_t i);

/* True when the If-None-Match header value if_none_match (may be NULL)
 * matches a's ETag (util/etag.h's matcher, the server's too): "*" or a
 * comma-separated list of entity tags, compared weakly as RFC 9110
 * §13.1.2 asks (a W/ prefix is ignored). */
bool web_etag_matches(const struct web_asset *a, const char *if_none_match);

/* True when the version v (the value of a "v" query parameter, may be
 * NULL) names a's current content: the ETag without its quotes.  A client
 * asking for that exact version can keep the answer for good. */
bool web_asset_versioned(const struct web_asset *a, const char *v);

/* The named places of the embedded basemap (/static/basemap/places.geojson,
 * Natural Earth), parsed on the first call and kept for the process's
 * life (immutable, shared by every thread; the sheets' maps name them).
 * NULL when the asset is missing or does not parse. */
const struct route_places *web_places(void);

#endif

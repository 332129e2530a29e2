/* test_web.c - the embedded page assets and the validation rules of
 * web/web.h: the table the build generated, ETags and If-None-Match. */
#include <ctype.h>
#include <string.h>

#include "check.h"
#include "web/web.h"

/* True when the asset's bytes contain s. */
static bool asset_has(const struct web_asset *a, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i + n <= a->len; i++)
		if (memcmp(a->data + i, s, n) == 0)
			return true;
	return false;
}

static void test_table(void)
{
	size_t n = web_asset_count();
	CHECK(n >= 11);
	for (size_t i = 0; i < n; i++) {
		const struct web_asset *a = web_asset_at(i);
		CHECK(a->len > 0);
		CHECK(a->path[0] == '/');
		/* sorted strictly, so bisection finds every one */
		if (i > 0)
			CHECK_MSG(strcmp(web_asset_at(i - 1)->path, a->path) < 0, "%s", a->path);
		CHECK(web_asset_find(a->path) == a);
		/* a strong ETag: a quoted 16-digit lowercase hex hash */
		size_t el = strlen(a->etag);
		CHECK_INT(el, 18);
		CHECK(a->etag[0] == '"' && a->etag[el - 1] == '"');
		bool hex = true;
		for (size_t k = 1; k + 1 < el; k++)
			hex =
			    hex && isxdigit((unsigned char)a->etag[k]) && !isupper((unsigned char)a->etag[k]);
		CHECK_MSG(hex, "%s: %s", a->path, a->etag);
		/* different bytes, different tags */
		for (size_t j = 0; j < i; j++) {
			const struct web_asset *b = web_asset_at(j);
			if (b->len != a->len || memcmp(a->data, b->data, a->len) != 0)
				CHECK_MSG(strcmp(a->etag, b->etag) != 0, "%s and %s", a->path, b->path);
		}
	}
	CHECK(web_asset_at(n) == NULL);
}

static void test_lookup(void)
{
	const struct web_asset *page = web_page();
	CHECK_STR(page->path, "/index.html");
	CHECK_STR(page->content_type, "text/html; charset=utf-8");
	CHECK(page->len > 15 && memcmp(page->data, "<!DOCTYPE html>", 15) == 0);
	CHECK(asset_has(page, "<html lang=\"zh-CN\">"));

	const struct web_asset *js = web_asset_find("/static/app.js");
	CHECK(js != NULL);
	if (js)
		CHECK_STR(js->content_type, "text/javascript; charset=utf-8");
	const struct web_asset *png = web_asset_find("/static/images/layers.png");
	CHECK(png != NULL);
	if (png) {
		CHECK_STR(png->content_type, "image/png");
		CHECK(png->len > 8 && memcmp(png->data, "\x89PNG\r\n\x1a\n", 8) == 0);
	}
	CHECK(web_asset_find("/static/app.j") == NULL);
	CHECK(web_asset_find("/static/APP.js") == NULL);
	CHECK(web_asset_find("/static/app.js/") == NULL);
	CHECK(web_asset_find("") == NULL);
	CHECK(web_asset_find(NULL) == NULL);

	/* Leaflet is embedded whole, without its source-map comment (a browser
	 * would ask for the map, which is not served). */
	const struct web_asset *lf = web_asset_find("/static/leaflet.js");
	CHECK(lf != NULL && lf->len > 100000);
	if (lf) {
		CHECK(asset_has(lf, "Leaflet"));
		CHECK(!asset_has(lf, "sourceMappingURL"));
	}
	const struct web_asset *css = web_asset_find("/static/leaflet.css");
	CHECK(css != NULL && !asset_has(css, "sourceMappingURL"));
}

/* The page names each of its assets by a versioned URL whose v is the
 * asset's current tag, filled in at build time. */
static void test_versioned_urls(void)
{
	const char *refs[] = {"/static/app.js", "/static/app.css", "/static/leaflet.js",
	                      "/static/leaflet.css", "/static/icon.svg"};
	for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
		const struct web_asset *a = web_asset_find(refs[i]);
		CHECK(a != NULL);
		if (!a)
			continue;
		char url[128];
		snprintf(url, sizeof url, "\"%s?v=%.16s\"", refs[i] + 1, a->etag + 1);
		CHECK_MSG(asset_has(web_page(), url), "%s not in the page", url);
		char v[17];
		memcpy(v, a->etag + 1, 16);
		v[16] = '\0';
		CHECK(web_asset_versioned(a, v));
		v[3] = v[3] == '0' ? '1' : '0';
		CHECK(!web_asset_versioned(a, v));
	}
	CHECK(!asset_has(web_page(), "{{v:"));
	const struct web_asset *a = web_asset_find("/static/app.js");
	CHECK(!web_asset_versioned(a, NULL));
	CHECK(!web_asset_versioned(a, ""));
	CHECK(!web_asset_versioned(a, a->etag)); /* quotes are not part of v */
}

/* The context basemap's names (data/basemap) are embedded as GeoJSON, and
 * app.js names each file by its versioned URL; its geometry is not: the
 * page shows it as the server's tiles (styles/context.json). */
static void test_basemap(void)
{
	const char *drawn[] = {"countries", "lakes", "rivers", "urban_areas"};
	for (size_t i = 0; i < sizeof drawn / sizeof drawn[0]; i++) {
		char path[96];
		snprintf(path, sizeof path, "/static/basemap/%s.geojson", drawn[i]);
		CHECK_MSG(web_asset_find(path) == NULL, "%s embedded", path);
	}
	const char *layers[] = {"provinces", "places"};
	const struct web_asset *js = web_asset_find("/static/app.js");
	for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
		char path[96], url[160];
		snprintf(path, sizeof path, "/static/basemap/%s.geojson", layers[i]);
		const struct web_asset *a = web_asset_find(path);
		CHECK_MSG(a != NULL, "%s", path);
		if (!a)
			continue;
		CHECK_STR(a->content_type, "application/geo+json");
		CHECK(a->len > 1000 && memcmp(a->data, "{\"type\":\"FeatureCollection\"", 27) == 0);
		snprintf(url, sizeof url, "'%s?v=%.16s'", path + 1, a->etag + 1);
		CHECK_MSG(js && asset_has(js, url), "%s not in app.js", url);
	}
	CHECK(js && !asset_has(js, "{{v:"));
	const struct web_asset *p = web_asset_find("/static/basemap/provinces.geojson");
	CHECK(p && asset_has(p, "\"name_zh\":\"甘肃省\"") && asset_has(p, "\"iso_3166_2\":\"CN-SD\""));
}

static void test_if_none_match(void)
{
	const struct web_asset *a = web_asset_find("/static/app.css");
	char hdr[256];
	CHECK(web_etag_matches(a, a->etag));
	snprintf(hdr, sizeof hdr, "W/%s", a->etag);
	CHECK(web_etag_matches(a, hdr)); /* weak comparison (RFC 9110 §13.1.2) */
	snprintf(hdr, sizeof hdr, "\"0000000000000000\", %s", a->etag);
	CHECK(web_etag_matches(a, hdr));
	snprintf(hdr, sizeof hdr, "  \"x\" ,W/\"y\",  %s  ", a->etag);
	CHECK(web_etag_matches(a, hdr));
	CHECK(web_etag_matches(a, "*"));
	CHECK(web_etag_matches(a, " * "));
	CHECK(!web_etag_matches(a, "\"0000000000000000\""));
	CHECK(!web_etag_matches(a, ""));
	CHECK(!web_etag_matches(a, NULL));
	CHECK(!web_etag_matches(NULL, "*"));
	/* the tag must match whole, not as a prefix */
	snprintf(hdr, sizeof hdr, "\"%.15s\"", a->etag + 1);
	CHECK(!web_etag_matches(a, hdr));
	snprintf(hdr, sizeof hdr, "\"%.16sa\"", a->etag + 1);
	CHECK(!web_etag_matches(a, hdr));
	/* the bare hash without quotes is not an entity tag */
	snprintf(hdr, sizeof hdr, "%.16s", a->etag + 1);
	CHECK(!web_etag_matches(a, hdr));
	snprintf(hdr, sizeof hdr, "\"%.16s", a->etag + 1); /* unterminated */
	CHECK(!web_etag_matches(a, hdr));
	/* another asset's tag */
	CHECK(!web_etag_matches(a, web_asset_find("/static/app.js")->etag));
}

int main(void)
{
	test_table();
	test_lookup();
	test_versioned_urls();
	test_basemap();
	test_if_none_match();
	return CHECK_DONE();
}

/* test_http.c - the router and the helpers handlers share: route
 * matching with captures (also inside a segment, "{y}@2x.png"),
 * problem+json documents, the one engine-status rule, link query
 * strings.  The parameter tables are test_http_params.c's. */
#include <string.h>

#include "check.h"
#include "http/handlers.h"

static int match(const char *path, const char **caps, int *nc)
{
	static char capbuf[256];
	return http_route_match(path, caps, capbuf, sizeof capbuf, nc);
}

static const char *route_name(int i)
{
	return i < 0 ? "(none)" : http_routes[i].name;
}

static void test_router(void)
{
	const char *caps[HTTP_MAX_CAPTURES];
	int nc = -1;
	CHECK_STR(route_name(match("/collections", caps, &nc)), "collections");
	CHECK_INT(nc, 0);
	CHECK_STR(route_name(match("/collections/sites/items", caps, &nc)), "items");
	CHECK_INT(nc, 1);
	CHECK_STR(caps[0], "sites");
	CHECK_STR(route_name(match("/collections/sites/items/zb-heitieshan-memorial", caps, &nc)), "item");
	CHECK_INT(nc, 2);
	CHECK_STR(caps[0], "sites");
	CHECK_STR(caps[1], "zb-heitieshan-memorial");
	CHECK_STR(route_name(match("/nearest", caps, &nc)), "nearest");
	/* No partial, empty-segment or trailing-slash matches. */
	CHECK_INT(match("/collections/", caps, &nc), -1);
	CHECK_INT(match("/collections//items", caps, &nc), -1);
	CHECK_INT(match("/collections/sites/items/a/b/c", caps, &nc), -1);
	CHECK_INT(match("/nearestx", caps, &nc), -1);
	CHECK_INT(match("", caps, &nc), -1);
	/* OGC API - Tiles: six segments of a styled tile, the most a route has */
	CHECK_STR(route_name(match("/collections/sites/styles/print/map/tiles/WebMercatorQuad/12/1596/3392",
	                           caps, &nc)),
	          "ogc_style_tile");
	CHECK_INT(nc, 6);
	CHECK_STR(caps[1], "print");
	CHECK_STR(caps[3], "12");
	CHECK_STR(caps[4], "1596");
	CHECK_STR(caps[5], "3392");
	CHECK_STR(route_name(match("/collections/sites/map/tiles/WebMercatorQuad", caps, &nc)),
	          "ogc_tileset");
	CHECK_STR(route_name(match("/collections/sites/download.gpkg", caps, &nc)), "download");
	/* {name} before literal text in its segment: the first pattern wins */
	CHECK_STR(route_name(match("/tiles/3/1/2@2x.png", caps, &nc)), "tile_2x");
	CHECK_STR(http_routes[match("/tiles/3/1/2@2x.png", caps, &nc)].pattern, "/tiles/{z}/{x}/{y}@2x.png");
	CHECK_INT(nc, 3);
	CHECK_STR(caps[0], "3");
	CHECK_STR(caps[2], "2");
	CHECK_STR(http_routes[match("/tiles/3/1/2.png", caps, &nc)].pattern, "/tiles/{z}/{x}/{y}.png");
	CHECK_STR(caps[2], "2");
	CHECK_STR(http_routes[match("/tiles/print/3/1/2@2x.png", caps, &nc)].pattern,
	          "/tiles/{style}/{z}/{x}/{y}@2x.png");
	CHECK_INT(nc, 4);
	CHECK_STR(caps[0], "print");
	CHECK_STR(caps[3], "2");
	CHECK_STR(route_name(match("/tiles/print.json", caps, &nc)), "tilejson_style");
	CHECK_STR(caps[0], "print");
	CHECK_INT(nc, 1);
	CHECK_STR(route_name(match("/tiles.json", caps, &nc)), "tilejson");
	CHECK_INT(nc, 0);
	/* the captured part is never empty, and the literal must end the segment */
	CHECK_INT(match("/tiles/.json", caps, &nc), -1);
	CHECK_INT(match("/tiles/3/1/.png", caps, &nc), -1);
	CHECK_INT(match("/tiles/3/1/2.jpg", caps, &nc), -1);
	CHECK_INT(match("/tiles/3/1/2.png/x", caps, &nc), -1);
	CHECK_INT(match("/tiles/print", caps, &nc), -1);
	/* The path is split before it is decoded: an encoded '/' is data (an
	 * id "zb/1"), an encoded letter still matches, a NUL never does. */
	CHECK_STR(route_name(match("/collections/sites/items/zb%2F1", caps, &nc)), "item");
	CHECK_STR(caps[1], "zb/1");
	CHECK_STR(route_name(match("/collections/sites/items/%E7%BA%A2%2f%25", caps, &nc)), "item");
	CHECK_STR(caps[1], "红/%");
	CHECK_STR(route_name(match("/c%6Fllections/%73ites", caps, &nc)), "collection");
	CHECK_STR(caps[0], "sites");
	CHECK_INT(match("/collections%2Fsites", caps, &nc), -1);
	CHECK_INT(match("/tiles/14%2F0/0.png", caps, &nc), -1);
	CHECK_INT(match("/collections/sites/items/a%00b", caps, &nc), -1);
	CHECK_INT(match("/tiles/14/0/0.png%00.txt", caps, &nc), -1);
	/* a '%' without two hex digits stays as it is */
	CHECK_STR(route_name(match("/collections/sites/items/50%zz%4", caps, &nc)), "item");
	CHECK_STR(caps[1], "50%zz%4");
	CHECK_STR(route_name(match("/tiles/3/1/2%402x.png", caps, &nc)), "tile_2x");
	CHECK_INT(nc, 3);
	CHECK_STR(caps[2], "2");
	/* more segments than any route has */
	CHECK_INT(match("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", caps, &nc), -1);
	/* Every route answers GET and HEAD, or is a write of a path that
	 * does, and has a metrics name of its own (a shared one would be one
	 * series for two routes in /metrics), made of what a Prometheus label
	 * value needs no escaping for. */
	for (size_t i = 0; i < http_nroutes; i++) {
		for (size_t j = 0; j < i; j++)
			CHECK_MSG(strcmp(http_routes[i].name, http_routes[j].name) != 0,
			          "routes %s and %s share %s", http_routes[i].pattern, http_routes[j].pattern,
			          http_routes[i].name);
		CHECK(strspn(http_routes[i].name, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
		      strlen(http_routes[i].name));
		CHECK(strcmp(http_routes[i].name, "unmatched") != 0);
		bool write = http_route_traits_of(&http_routes[i])->flags & HTTP_RF_WRITE;
		CHECK(write || strstr(http_routes[i].methods, "GET") != NULL);
		CHECK(write || strstr(http_routes[i].methods, "HEAD") != NULL);
		CHECK(!write || strstr(http_routes[i].methods, "GET") == NULL);
		CHECK(http_routes[i].name && *http_routes[i].name);
		CHECK(http_routes[i].handler != NULL);
	}
}

/* What the server treats specially: expensive routes and operations. */
/* The route of a method among the routes of one path. */
static void test_route_for_method(void)
{
	const char *caps[HTTP_MAX_CAPTURES];
	int nc;
	char allow[HTTP_ALLOW_MAX];
	int item = match("/collections/sites/items/x", caps, &nc);
	CHECK(item >= 0);
	CHECK_INT(http_route_for_method(item, "GET", false, allow, sizeof allow), item);
	CHECK_INT(http_route_for_method(item, "HEAD", true, allow, sizeof allow), item);
	/* without editing the writes are not there */
	CHECK_INT(http_route_for_method(item, "PATCH", false, allow, sizeof allow), -1);
	CHECK_STR(allow, "GET, HEAD");
	int w = http_route_for_method(item, "PATCH", true, allow, sizeof allow);
	CHECK(w > item);
	CHECK_STR(http_routes[w].name, "item_write");
	CHECK_STR(allow, "GET, HEAD, PUT, PATCH, DELETE");
	CHECK_INT(http_route_for_method(item, "DELETE", true, allow, sizeof allow), w);
	CHECK_INT(http_route_for_method(item, "POST", true, allow, sizeof allow), -1);
	int items = match("/collections/sites/items", caps, &nc);
	int c = http_route_for_method(items, "POST", true, allow, sizeof allow);
	CHECK_STR(c >= 0 ? http_routes[c].name : "", "items_write");
	CHECK_STR(allow, "GET, HEAD, POST");
	/* a method name is matched whole */
	CHECK_INT(http_route_for_method(items, "POS", true, allow, sizeof allow), -1);
	CHECK_INT(http_route_for_method(items, "GET, HEAD", true, allow, sizeof allow), -1);
	int tiles = match("/tiles/1/0/0.png", caps, &nc);
	CHECK_INT(http_route_for_method(tiles, "DELETE", true, allow, sizeof allow), -1);
	CHECK_STR(allow, "GET, HEAD");
}

static void test_traits(void)
{
	const char *caps[4];
	int nc;
	const struct http_route *sm = &http_routes[match("/staticmap.png", caps, &nc)];
	const struct http_route *metrics = &http_routes[match("/metrics", caps, &nc)];
	const struct http_route *items = &http_routes[match("/collections/sites/items", caps, &nc)];
	CHECK(http_route_traits_of(sm)->costly == http_always_costly);
	CHECK(http_route_traits_of(&http_routes[match("/route", caps, &nc)])->costly != NULL);
	CHECK(http_route_traits_of(metrics)->flags == (HTTP_RF_OPS | HTTP_RF_PRIVATE));
	CHECK(http_route_traits_of(&http_routes[match("/readyz", caps, &nc)])->flags == HTTP_RF_OPS);
	CHECK(http_route_traits_of(&http_routes[match("/healthz", caps, &nc)])->flags == HTTP_RF_OPS);
	CHECK(http_route_traits_of(items)->flags == 0 && http_route_traits_of(items)->costly == NULL);
	CHECK(http_route_traits_of(&http_routes[match("/tiles/1/0/0.png", caps, &nc)])->costly == NULL);
}

static void test_problem(void)
{
	struct http_response r = {.status = 200, .content_type = "application/json"};
	buf_puts(&r.body, "stale");
	http_problem(&r, 400, "category: unknown '%s'", "博物");
	CHECK_INT(r.status, 400);
	CHECK_STR(r.content_type, "application/problem+json");
	CHECK_STR(buf_str(&r.body), "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
	                            "\"detail\":\"category: unknown '博物'\"}\n");
	/* Bytes that are not UTF-8, and control characters, become '?'. */
	http_problem(&r, 404, "no site '%s'", "a\xff\xfe\x01z\xe5\x8d");
	CHECK_STR(buf_str(&r.body), "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
	                            "\"detail\":\"no site 'a?"
	                            "??z?"
	                            "?'\"}\n");
	CHECK_STR(http_reason(414), "URI Too Long");
	CHECK_STR(http_reason(431), "Request Header Fields Too Large");
	buf_free(&r.body);
}

static void test_status_of(void)
{
	static const struct {
		enum ms_status st;
		int http;
	} rule[] = {
	    {MS_OK, 200},    {MS_EUSAGE, 400}, {MS_ENOTFOUND, 400},
	    {MS_EDATA, 500}, {MS_EIO, 500},    {MS_EINTERNAL, 500},
	};
	for (size_t i = 0; i < sizeof rule / sizeof rule[0]; i++)
		CHECK_MSG(http_status_of(rule[i].st) == rule[i].http, "%s -> %d", ms_status_str(rule[i].st),
		          http_status_of(rule[i].st));
	struct http_response r = {.status = 200};
	struct ms_error err = {0};
	ms_fail(&err, MS_ENOTFOUND, "sites: no site '%s'", "nope");
	http_problem_from_error(&r, &err);
	CHECK_INT(r.status, 400);
	CHECK(strstr(buf_str(&r.body), "\"detail\":\"sites: no site 'nope'\"") != NULL);
	ms_fail(&err, MS_EIO, "tile cache: out of memory");
	http_problem_from_error(&r, &err);
	CHECK_INT(r.status, 500);
	buf_free(&r.body);
}

static void test_query_with(void)
{
	struct http_ctx c = {.nparams = 3};
	c.params[0] = (struct http_param){"limit", "7"};
	c.params[1] = (struct http_param){"q", "黑铁山 a&b"};
	c.params[2] = (struct http_param){"offset", "7"};
	struct buf b = BUF_INIT;
	http_query_with(&c, &b, "offset", "14");
	CHECK_STR(buf_str(&b), "?limit=7&q=%E9%BB%91%E9%93%81%E5%B1%B1%20a%26b&offset=14");
	buf_reset(&b);
	http_query_with(&c, &b, "offset", NULL);
	CHECK_STR(buf_str(&b), "?limit=7&q=%E9%BB%91%E9%93%81%E5%B1%B1%20a%26b");
	buf_reset(&b);
	struct http_ctx empty = {0};
	http_query_with(&empty, &b, "offset", NULL);
	CHECK_STR(buf_str(&b), "");
	buf_free(&b);

	bool lat_first = false;
	CHECK_STR(ogc_crs_lookup("[EPSG:4326]", &lat_first), CRS_EPSG4326);
	CHECK(lat_first);
	CHECK_STR(ogc_crs_lookup(CRS_CRS84, &lat_first), CRS_CRS84);
	CHECK(!lat_first);
	CHECK_STR(ogc_crs_lookup(CRS_EPSG4490, &lat_first), CRS_EPSG4490);
	CHECK(lat_first);
	CHECK(ogc_crs_lookup("http://www.opengis.net/def/crs/EPSG/0/3857", &lat_first) == NULL);
}

int main(void)
{
	test_router();
	test_route_for_method();
	test_traits();
	test_problem();
	test_status_of();
	test_query_with();
	return CHECK_DONE();
}

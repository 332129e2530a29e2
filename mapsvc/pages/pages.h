/*
 * pages.h - the HTML pages of the OGC resources: the conformance
 * declaration, the collections, the sites collection, its items (a table
 * with paging links and a small map) and each site's own page, whose
 * address is the site's permanent, shareable one.
 *
 * Pure writers: the caller hands in the data and every URL already built
 * (absolute, so that a saved or shared page still links right), and gets
 * HTML text back.  Nothing here knows HTTP, SQL or files.  Every page is
 * zh-CN first, or English; it links a stylesheet and never runs a script
 * (a Content-Security-Policy without 'unsafe-inline' holds for them): the
 * maps are pictures, and a site's schema.org description is a JSON-LD
 * data block, which browsers do not execute.  Text from the data is
 * escaped (util/html.h); JSON-LD is written with jansson and made safe
 * inside its <script> element.
 *
 * Owns nothing: text is appended to the caller's buffer.  Thread-safe:
 * no shared state.
 */
#ifndef MS_PAGES_H
#define MS_PAGES_H

#include <stdbool.h>
#include <stddef.h>

#include <time.h>

#include "../hours/hours.h"
#include "../site/site.h"
#include "../util/buf.h"

enum pages_lang { PAGES_ZH, PAGES_EN, PAGES_NLANGS };

/* The language tags of the pages, in enum order, NULL-terminated
 * ("zh-CN", "en"): the values of the lang parameter. */
extern const char *const pages_lang_tags[PAGES_NLANGS + 1];
/* The primary subtags ("zh", "en"), for Accept-Language (util/accept.h). */
extern const char *const pages_lang_primary[PAGES_NLANGS];
/* The language of tag s ("en", "en-GB", "zh-Hans"...: its primary
 * subtag, case-insensitive), or -1. */
int pages_lang_match(const char *s);

/* A link in a page's list of links. */
struct pages_link {
	const char *href;
	const char *label_zh, *label_en;
	const char *type; /* the media type it answers with, shown beside it; may be NULL */
};

/* What every page has.  URLs are absolute and borrowed. */
struct pages_ctx {
	enum pages_lang lang;
	const char *base_url;       /* the service ("http://host:port"): its map page and /api */
	const char *css_url;        /* the pages' stylesheet */
	const char *json_url;       /* this resource in JSON (rel="alternate") */
	const char *json_type;      /* that JSON's media type */
	const char *other_lang_url; /* this page in the other language */
};

/* The conformance classes, one link each. */
void pages_conformance(struct buf *out, const struct pages_ctx *pc, const char *const *classes, size_t n);

/* A collection as its page shows it. */
struct pages_collection {
	const char *id, *title, *description;
	const char *url; /* its page */
	size_t count;
	bool has_extent;
	double west, south, east, north; /* WGS-84 */
	const struct pages_link *links;  /* items, queryables, tiles, downloads... */
	size_t nlinks;
};

void pages_collections(struct buf *out, const struct pages_ctx *pc, const struct pages_collection *v,
                       size_t n);
void pages_collection(struct buf *out, const struct pages_ctx *pc, const struct pages_collection *c);

/* The size of the items' map picture and of a site's, in CSS px. */
#define PAGES_ITEMS_MAP_W 640
#define PAGES_ITEMS_MAP_H 360
#define PAGES_SITE_MAP_W 640
#define PAGES_SITE_MAP_H 400
/* A link card's picture: the 1.91:1 that chat and social apps crop to. */
#define PAGES_CARD_W 1200
#define PAGES_CARD_H 630

/* One page of items. */
struct pages_items {
	const struct site *const *sites; /* n of them, in the page's order */
	const char *const *site_urls;    /* each site's page */
	size_t n;
	size_t matched, offset;
	const char *map_url;             /* a picture with the sites numbered as in the table, or NULL */
	const char *prev_url, *next_url; /* NULL when there is none */
	const char *collection_url;
	const struct pages_link *downloads; /* this page in other formats */
	size_t ndownloads;
};

void pages_items(struct buf *out, const struct pages_ctx *pc, const struct pages_items *it);

/* A site's own page. */
struct pages_site {
	const struct site *s;
	const char *url;       /* its permanent address (rel="canonical", og:url, JSON-LD @id) */
	const char *map_url;   /* the map picture in the page */
	const char *image_url; /* the link card's picture (og:image) */
	int image_width, image_height;
	const char *collection_url; /* the items it belongs to */
	const struct hours *hours;  /* the site's opening_hours parsed, or NULL (none) */
	time_t now;                 /* for today's hours and whether it is open now */
};

/* The page: names in both languages, category, address, opening hours
 * (the OpenStreetMap value, the source's words, and today's hours in
 * China Standard Time with whether it is open at ps->now, until when),
 * description, the position and how good it is (quality and uncertainty
 * radius, approximate positions said so), the map, the source; in the
 * head, Open Graph tags (og:title, og:description, og:type place, og:url,
 * og:image, og:locale, place:location) and a JSON-LD description
 * (pages_site_jsonld). */
void pages_site(struct buf *out, const struct pages_ctx *pc, const struct pages_site *ps);

/* The schema.org description of a site as JSON-LD (one JSON object):
 * types TouristAttraction and LandmarksOrHistoricalBuildings; @id and url
 * the page; name and description as language-tagged values (zh-CN, en);
 * geo (GeoCoordinates); address (PostalAddress: street, locality,
 * region, country CN); openingHours when the site's opening_hours is in
 * OpenStreetMap's syntax (hours.h), as its canonical rules, which
 * schema.org's format shares ("Tu-Su 08:30-17:00"), else absent: free text
 * is no machine-readable schedule; isAccessibleForFree when an extra
 * property "fee" says "no" (true) or "yes" (false), OpenStreetMap's key,
 * else absent; image; subjectOf the source page; and the position quality
 * and radius as additionalProperty PropertyValues. */
void pages_site_jsonld(struct buf *out, const struct pages_site *ps);

/* The zoom at which a circle of the site's uncertainty radius spans
 * about PAGES_MAP_RADIUS_PX pixels at its latitude, in min_zoom..max_zoom:
 * a surveyed point is shown close up, a county-level one with its
 * county. */
#define PAGES_MAP_RADIUS_PX 100
int pages_site_map_zoom(double lat, double uncertainty_m, int min_zoom, int max_zoom);

#endif

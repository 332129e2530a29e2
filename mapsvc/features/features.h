/*
 * features.h - the query engine shared by the HTTP API and the command
 * line: filtering and paging the sites of a snapshot (bbox, category, name
 * search), k-nearest queries, and writing sites as GeoJSON.
 *
 * Everything works on a borrowed, immutable struct snapshot, so any number
 * of threads may run queries at once; results are plain arrays of site
 * indices owned by the caller.  Parameters arrive here already parsed:
 * turning query strings into a feat_query is http/'s and cli/'s job, and
 * the parsers in this header (categories, bbox lists) are shared by both
 * so that the two fronts accept exactly the same spellings.
 *
 * Coordinates: the snapshot holds WGS-84.  A query may be expressed in
 * GCJ-02 or BD-09 (the `coordsys` vendor parameter of DESIGN.md); the
 * engine converts the query to WGS-84 and the writer converts positions
 * back, so both ends of a round trip are in the caller's system.
 */
#ifndef MS_FEATURES_H
#define MS_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../geo/geo.h"
#include "../index/sindex.h"
#include "../store/snapshot.h"
#include "../util/jsonw.h"
#include "../util/ms_error.h"

/* Items paging limits (OGC API - Features Part 1 §7.15.4: a limit above
 * the maximum is clamped, not refused). */
#define FEAT_LIMIT_DEFAULT 10
#define FEAT_LIMIT_MAX 1000
/* /nearest and `mapsvc nearest`: 1..100, default 5; outside is an error. */
#define FEAT_NEAREST_DEFAULT 5
#define FEAT_NEAREST_MAX 100
/* A name search longer than this is refused: no site name comes close, and
 * it bounds the work per site. */
#define FEAT_Q_MAX 256

/* A set of categories as bits (1u << enum site_category); 0 means all. */
typedef unsigned feat_catmask;

/* Parses "museum" or "museum,memorial_hall" into *mask.  An empty list,
 * an empty item or an unknown name is MS_EUSAGE naming the item. */
enum ms_status feat_parse_categories(const char *s, feat_catmask *mask, struct ms_error *err);

/* Parses exactly four comma-separated finite numbers. */
enum ms_status feat_parse_bbox(const char *s, double out[4], struct ms_error *err);

/*
 * Sorting (the `sortby` of OGC API - Features Part 8, draft): by any
 * column of site_columns, each key ascending or descending, the first
 * the most significant; ties go to id order, so that pages of a sorted
 * answer do not overlap.  Text compares by code point (bytewise UTF-8,
 * as CQL2 compares strings: no collation, so Chinese names are not in
 * pinyin order), lat and lon as WGS-84 numbers, position_quality from the
 * best quality to the worst (site.h's order, not the names' alphabet),
 * the radius as a number.  A missing text attribute sorts last in either
 * direction: an empty name is never what a sorted list should open with.
 */
#define FEAT_MAX_SORT_KEYS 8
struct feat_sort_key {
	int column; /* an index into site_columns */
	bool desc;
};
/* The names a sort key takes: site_columns' names in their order,
 * NULL-terminated (for the HTTP parameter table and /sortables). */
extern const char *const feat_sortables[SITE_NCOLUMNS + 1];

struct cql2;

struct feat_query {
	bool has_bbox;
	double west, south, east, north; /* in `cs`, degrees; west > east crosses the antimeridian */
	enum coordsys cs;                /* system of the bbox (and of the answer) */
	/* 0 = every category; a bit at CAT_COUNT or above stands for a name
	 * that is no category, which no site has: the query matches nothing */
	feat_catmask categories;
	const char *q;             /* substring of name_zh or name_en, or NULL */
	const struct cql2 *filter; /* a CQL2 filter (filter.h: feat_filter_parse), or NULL */
	bool has_open_at;          /* only sites open at open_at (feat_open_at) */
	time_t open_at;
	const struct feat_sort_key *sort; /* nsort keys; none: id order */
	size_t nsort;
	size_t limit, offset;
};

/* True when site i of snap is open at instant t by its opening_hours
 * (China Standard Time, public holidays included): the open_at filter.
 * A site without opening_hours, or whose hours leave that moment unknown
 * (an open end, a comment, a holiday not in the table), is not: the
 * filter promises open doors, and says nothing about what is not known. */
bool feat_open_at(const struct snapshot *snap, size_t i, time_t t);

/* One page of matching sites, in id order or the query's sort order. */
struct feat_page {
	uint32_t *idx; /* snapshot indices, n of them; free with feat_page_free */
	size_t n;
	size_t matched;  /* all matches, before paging */
	size_t examined; /* sites the filters looked at: the work done */
};

/* Runs the filters over snap and returns the page [offset, offset+limit).
 * Only the sites in the bbox, or else in the filter's box (cql2_bbox),
 * are examined, through the spatial index.  q must be valid UTF-8
 * (MS_EUSAGE otherwise); ASCII letters match without regard to case,
 * everything else bytewise.  Unsorted, the page is gathered as the index
 * visits in id order and nothing past it is kept; sorted, every match is
 * collected and sorted first (O(m log m) in the m matches). */
enum ms_status feat_items(const struct snapshot *snap, const struct feat_query *q, struct feat_page *out,
                          struct ms_error *err);
void feat_page_free(struct feat_page *p);

/* True when the site's Chinese or English name contains needle (ASCII
 * case-insensitive).  Exposed for tests. */
bool feat_name_matches(const struct site *s, const char *needle);

struct feat_nearest_query {
	double lat, lon; /* the query point, in cs */
	enum coordsys cs;
	size_t limit;              /* 1 .. FEAT_NEAREST_MAX */
	double within_m;           /* INFINITY for no limit */
	feat_catmask categories;   /* as in struct feat_query */
	const struct cql2 *filter; /* only sites it selects, or NULL */
	struct sindex_stats *work; /* if not NULL, filled with the work the search did */
	bool has_open_at;          /* only sites open at open_at (feat_open_at) */
	time_t open_at;
};

/* The nearest sites, sorted by (geodesic distance, id).  *hits is a new
 * array (free() it) of *n entries.  Distances and bearings are measured
 * from the query point converted to WGS-84. */
enum ms_status feat_nearest(const struct snapshot *snap, const struct feat_nearest_query *q,
                            struct sindex_hit **hits, size_t *n, struct ms_error *err);

/* How positions are written. */
struct feat_write_opts {
	enum coordsys cs; /* convert from WGS-84 into this system */
	bool lat_first;   /* EPSG:4326 / EPSG:4490 axis order: [lat, lon] */
};

/* One GeoJSON Feature (RFC 7946 §3.2): `id` is the site id; properties
 * carry every column of the data model in site_columns order (a missing
 * text attribute as null, not "", lat/lon in
 * the written system, position_quality by name, position_uncertainty_m in
 * metres with FEAT_UNCERTAINTY_DECIMALS) and the site's extra properties;
 * with hit, also distance_m (1 decimal) and bearing_deg (1 decimal,
 * 0 <= b < 360).  Coordinates have 6 decimals. */
#define FEAT_UNCERTAINTY_DECIMALS 1
void feat_write_feature(struct jsonw *w, const struct site *s, const struct feat_write_opts *o,
                        const struct sindex_hit *hit);

/* The sortables (OGC API - Features Part 8, draft) as the members of a
 * JSON Schema "properties" object: each sort key's name, type and, for
 * position_quality, its values in the order a sort uses. */
void feat_write_sortables(struct jsonw *w);

/* The two position properties as members of a queryables schema's
 * "properties" object (OGC API - Features Part 3's queryables): JSON
 * Schema types, the qualities' names as an enum, the radius's range in
 * metres. */
void feat_write_position_queryables(struct jsonw *w);

/* The complete /nearest answer: a FeatureCollection of the hits with
 * numberReturned.  The HTTP route and `mapsvc nearest` both print this, so
 * their output is byte-for-byte the same. */
void feat_write_nearest(struct buf *out, const struct snapshot *snap, const struct sindex_hit *hits, size_t n,
                        const struct feat_write_opts *o);

#endif

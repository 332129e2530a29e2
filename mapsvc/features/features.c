/* features.c - filtering, paging, nearest and GeoJSON writing; see features.h. */
#include "features.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../index/ngram.h"
#include "../util/mem.h"
#include "../util/numparse.h"
#include "../util/utf8.h"
#include "filter.h"

const char *const feat_sortables[SITE_NCOLUMNS + 1] = {
    "id",
    "name_zh",
    "name_en",
    "category",
    "county",
    "town",
    "address",
    "description",
    "opening_hours",
    "opening_hours_text",
    "lat",
    "lon",
    "coord_source",
    "confidence",
    SITE_COLUMN_QUALITY,
    SITE_COLUMN_UNCERTAINTY,
    "source_url",
    NULL,
};

enum ms_status feat_parse_categories(const char *s, feat_catmask *mask, struct ms_error *err)
{
	feat_catmask m = 0;
	const char *p = s;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int c = site_category_parse(p, n);
		if (c < 0) {
			if (n == 0)
				return ms_fail(err, MS_EUSAGE, "category: empty category name in '%.100s'",
				               s);
			return ms_fail(
			    err, MS_EUSAGE,
			    "category: unknown category '%.*s' (expected one of memorial_hall, museum, "
			    "martyrs_cemetery, former_site, monument, education_base, study_station, "
			    "training_school)",
			    (int)(n > 100 ? 100 : n), p);
		}
		m |= 1u << c;
		if (!comma)
			break;
		p = comma + 1;
	}
	*mask = m;
	return MS_OK;
}

enum ms_status feat_parse_bbox(const char *s, double out[4], struct ms_error *err)
{
	const char *p = s;
	for (int i = 0; i < 4; i++) {
		const char *comma = strchr(p, ',');
		if ((i < 3) != (comma != NULL))
			return ms_fail(err, MS_EUSAGE,
			               "bbox: expected 4 comma-separated numbers, got '%.100s'", s);
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (!ms_parse_decimal(p, n, &out[i]))
			return ms_fail(err, MS_EUSAGE, "bbox: '%.*s' is not a finite number",
			               (int)(n > 60 ? 60 : n), p);
		p = comma ? comma + 1 : p;
	}
	return MS_OK;
}

bool feat_open_at(const struct snapshot *snap, size_t i, time_t t)
{
	const struct hours *h = snapshot_hours(snap, i);
	return h && hours_is_open(h, t) == HOURS_OPEN;
}

bool feat_name_matches(const struct site *s, const char *needle)
{
	/* One definition of the search, shared with the name index. */
	return ngram_text_contains(site_field(s, SITE_NAME_ZH), needle) ||
	       ngram_text_contains(site_field(s, SITE_NAME_EN), needle);
}

struct items_ctx {
	const struct snapshot *snap;
	const struct feat_query *q;
	bool q_done;           /* the name index already matched q */
	bool box_test;         /* test the index box (bw, bs, be, bn) here */
	double bw, bs, be, bn; /* the WGS-84 box asked of the spatial index */
	uint32_t *idx;
	size_t n, cap;
	size_t matched, examined;
};

static bool in_range(double v, double lo, double hi)
{
	return v >= lo && v <= hi;
}

static bool lon_in(double lon, double west, double east)
{
	return west <= east ? in_range(lon, west, east) : (lon >= west || lon <= east);
}

static void keep(struct items_ctx *c, uint32_t i)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->idx = xrealloc(c->idx, c->cap * sizeof *c->idx);
	}
	c->idx[c->n++] = i;
}

/* Applies every filter to site i and keeps it if it is on the page (or,
 * sorted, if it matches at all). */
static bool items_visit(uint32_t i, void *vctx)
{
	struct items_ctx *c = vctx;
	const struct site *s = &c->snap->sites[i];
	const struct feat_query *q = c->q;
	c->examined++;
	if (q->categories && !(q->categories & (1u << s->category)))
		return true;
	if (c->box_test && (!in_range(s->lat, c->bs, c->bn) || !lon_in(s->lon, c->bw, c->be)))
		return true;
	if (q->has_bbox && q->cs != COORDSYS_WGS84) {
		/* The index was asked with a widened WGS-84 box; the exact test is
		 * in the caller's system, where the box was drawn. */
		double lat, lon;
		coordsys_from_wgs84(q->cs, s->lat, s->lon, &lat, &lon);
		if (!in_range(lat, q->south, q->north) || !lon_in(lon, q->west, q->east))
			return true;
	}
	if (q->q && !c->q_done && !feat_name_matches(s, q->q))
		return true;
	if (q->filter && !feat_filter_match(q->filter, s))
		return true;
	if (q->has_open_at && !feat_open_at(c->snap, i, q->open_at))
		return true;
	if (q->nsort)
		keep(c, i);
	else if (c->matched >= q->offset && c->n < q->limit)
		keep(c, i);
	c->matched++;
	return true;
}

static int cmp_double(double a, double b)
{
	return (a > b) - (a < b);
}

/* One key's order of two sites, ascending; a missing text is last. */
static int compare_column(const struct site *a, const struct site *b, int column, bool *missing_last)
{
	*missing_last = false;
	switch (site_columns[column].kind) {
	case SITE_COL_TEXT: {
		const char *x = site_field(a, site_columns[column].field),
		           *y = site_field(b, site_columns[column].field);
		if (!*x != !*y) {
			*missing_last = true;
			return *x ? -1 : 1;
		}
		return strcmp(x, y);
	}
	case SITE_COL_LAT: return cmp_double(a->lat, b->lat);
	case SITE_COL_LON: return cmp_double(a->lon, b->lon);
	case SITE_COL_QUALITY: return (a->quality > b->quality) - (a->quality < b->quality);
	case SITE_COL_UNCERTAINTY: return cmp_double(site_uncertainty(a), site_uncertainty(b));
	}
	return 0;
}

/* qsort_r's comparator; ctx is the items_ctx. */
static int compare_sites(const void *pa, const void *pb, void *ctx)
{
	const struct items_ctx *c = ctx;
	uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
	const struct site *a = &c->snap->sites[ia], *b = &c->snap->sites[ib];
	for (size_t k = 0; k < c->q->nsort; k++) {
		const struct feat_sort_key *key = &c->q->sort[k];
		bool missing_last;
		int r = compare_column(a, b, key->column, &missing_last);
		if (r)
			return key->desc && !missing_last ? -r : r;
	}
	return (ia > ib) - (ia < ib); /* index order is id order */
}

/* Sorts every match and keeps the page [offset, offset+limit) of them. */
static void sort_and_page(struct items_ctx *c)
{
	const struct feat_query *q = c->q;
	if (!c->n)
		return; /* nothing matched: no array to sort (qsort_r's base must not be NULL) */
	qsort_r(c->idx, c->n, sizeof *c->idx, compare_sites, c);
	size_t from = q->offset < c->n ? q->offset : c->n;
	size_t n = c->n - from < q->limit ? c->n - from : q->limit;
	memmove(c->idx, c->idx + from, n * sizeof *c->idx);
	c->n = n;
}

enum ms_status feat_items(const struct snapshot *snap, const struct feat_query *q, struct feat_page *out,
                          struct ms_error *err)
{
	memset(out, 0, sizeof *out);
	if (q->q && !utf8_valid(q->q, strlen(q->q)))
		return ms_fail(err, MS_EUSAGE, "q: not valid UTF-8");
	if (q->q && strlen(q->q) > FEAT_Q_MAX)
		return ms_fail(err, MS_EUSAGE, "q: longer than %d bytes", FEAT_Q_MAX);
	for (size_t k = 0; k < q->nsort; k++)
		if (q->sort[k].column < 0 || q->sort[k].column >= SITE_NCOLUMNS)
			return ms_fail(err, MS_EUSAGE, "sortby: key %zu names no column", k + 1);
	struct items_ctx c = {.snap = snap, .q = q};
	struct cql2_box fbox;
	enum cql2_bbox_kind fkind = q->filter ? cql2_bbox(q->filter, &fbox) : CQL2_BBOX_ALL;
	if (q->has_bbox) {
		if (!in_range(q->south, -90, 90) || !in_range(q->north, -90, 90) || q->south > q->north ||
		    !in_range(q->west, -180, 180) || !in_range(q->east, -180, 180))
			return ms_fail(
			    err, MS_EUSAGE,
			    "bbox: %g,%g,%g,%g is not a box within -180..180, -90..90 with south <= north",
			    q->west, q->south, q->east, q->north);
		c.bw = q->west, c.bs = q->south, c.be = q->east, c.bn = q->north;
		if (q->cs != COORDSYS_WGS84) {
			/* GCJ-02 and BD-09 shift positions by well under 0.02 degrees
			 * (about 2 km); widen by that and test exactly per site. */
			const double pad = 0.02;
			c.bw = fmax(-180, c.bw - pad), c.be = fmin(180, c.be + pad);
			c.bs = fmax(-90, c.bs - pad), c.bn = fmin(90, c.bn + pad);
		}
	}
	const struct ngram *names;
	if (fkind == CQL2_BBOX_EMPTY) {
		/* the filter can match nothing */
	} else if (q->q && q->q[0] && (names = snapshot_names(snap))) {
		/* The name index gives the sites matching q in id order; the box,
		 * if any, is tested on each as the spatial index would test it.
		 * A name search is usually the narrower filter; when it is not
		 * (one common letter), this costs about what the scan of every
		 * site did before the index. */
		c.q_done = true;
		c.box_test = q->has_bbox;
		ngram_query(names, q->q, items_visit, &c, NULL);
	} else if (q->has_bbox) {
		/* sindex visits in increasing index order, which is id order, so
		 * paging is stable across requests. */
		sindex_bbox(snap->index, c.bw, c.bs, c.be, c.bn, items_visit, &c);
	} else if (fkind == CQL2_BBOX_BOX) {
		/* Only the filter's box can hold a match (cql2_bbox is
		 * conservative); the filter decides for each site in it. */
		sindex_bbox(snap->index, fbox.west, fbox.south, fbox.east, fbox.north, items_visit, &c);
	} else {
		for (size_t i = 0; i < snap->n; i++)
			items_visit((uint32_t)i, &c);
	}
	if (q->nsort)
		sort_and_page(&c);
	out->idx = c.idx;
	out->n = c.n;
	out->matched = c.matched;
	out->examined = c.examined;
	return MS_OK;
}

void feat_page_free(struct feat_page *p)
{
	free(p->idx);
	memset(p, 0, sizeof *p);
}

static bool nearest_filter(uint32_t i, void *ctx)
{
	const struct snapshot *snap = ((const void **)ctx)[0];
	const struct feat_nearest_query *q = ((const void **)ctx)[1];
	const struct site *s = &snap->sites[i];
	if (q->categories && !(q->categories & (1u << s->category)))
		return false;
	if (q->has_open_at && !feat_open_at(snap, i, q->open_at))
		return false;
	return !q->filter || feat_filter_match(q->filter, s);
}

enum ms_status feat_nearest(const struct snapshot *snap, const struct feat_nearest_query *q,
                            struct sindex_hit **hits, size_t *n, struct ms_error *err)
{
	*hits = NULL;
	*n = 0;
	if (!site_coord_valid(q->lat, q->lon))
		return ms_fail(err, MS_EUSAGE, "lat/lon: %g,%g is not a position (-90..90, -180..180)",
		               q->lat, q->lon);
	if (q->limit < 1 || q->limit > FEAT_NEAREST_MAX)
		return ms_fail(err, MS_EUSAGE, "limit: %zu is outside 1..%d", q->limit, FEAT_NEAREST_MAX);
	if (isnan(q->within_m) || q->within_m < 0)
		return ms_fail(err, MS_EUSAGE, "within_km: must be a number >= 0");
	double lat, lon;
	coordsys_to_wgs84(q->cs, q->lat, q->lon, &lat, &lon);
	const void *fctx[2] = {snap, q};
	*hits = xmalloc(q->limit * sizeof **hits);
	struct sindex_stats work;
	*n = sindex_nearest_stats(snap->index, lat, lon, q->limit, q->within_m,
	                          q->categories || q->filter || q->has_open_at ? nearest_filter : NULL,
	                          (void *)fctx, *hits, &work);
	if (q->work)
		*q->work = work;
	return MS_OK;
}

void feat_write_sortables(struct jsonw *w)
{
	for (int c = 0; c < SITE_NCOLUMNS; c++) {
		jw_key(w, feat_sortables[c]);
		jw_object_begin(w);
		jw_key(w, "type");
		switch (site_columns[c].kind) {
		case SITE_COL_TEXT:
			jw_string(w, "string");
			jw_key(w, "description");
			jw_string(w,
			          "By code point (UTF-8 bytes, no collation); sites without it come last.");
			break;
		case SITE_COL_LAT:
		case SITE_COL_LON:
			jw_string(w, "number");
			jw_key(w, "description");
			jw_string(w, "WGS-84 degrees.");
			break;
		case SITE_COL_QUALITY:
			jw_string(w, "string");
			jw_key(w, "description");
			jw_string(
			    w, "From the best quality to the worst (the enum's order), not alphabetically.");
			jw_key(w, "enum");
			jw_array_begin(w);
			for (int q = 0; q < SITE_QUALITY_COUNT; q++)
				jw_string(w, site_quality_name((enum site_quality)q));
			jw_array_end(w);
			break;
		case SITE_COL_UNCERTAINTY:
			jw_string(w, "number");
			jw_key(w, "description");
			jw_string(w, "Metres.");
			break;
		}
		jw_object_end(w);
	}
}

void feat_write_position_queryables(struct jsonw *w)
{
	jw_key(w, SITE_COLUMN_QUALITY);
	jw_object_begin(w);
	jw_key(w, "type");
	jw_string(w, "string");
	jw_key(w, "description");
	jw_string(w, "How the position was obtained, from the best to the worst; every quality coarser than "
	             "street is an approximate position.");
	jw_key(w, "enum");
	jw_array_begin(w);
	for (int q = 0; q < SITE_QUALITY_COUNT; q++)
		jw_string(w, site_quality_name((enum site_quality)q));
	jw_array_end(w);
	jw_object_end(w);
	jw_key(w, SITE_COLUMN_UNCERTAINTY);
	jw_object_begin(w);
	jw_key(w, "type");
	jw_string(w, "number");
	jw_key(w, "description");
	jw_string(w, "The site is within this many metres of its position (the radius of a circle "
	             "around it).");
	jw_key(w, "exclusiveMinimum");
	jw_int(w, 0);
	jw_key(w, "maximum");
	jw_fixed(w, SITE_UNCERTAINTY_MAX_M, 0);
	jw_key(w, "unit");
	jw_string(w, "m");
	jw_object_end(w);
}

static void write_position(struct jsonw *w, const struct feat_write_opts *o, double lat, double lon)
{
	jw_array_begin(w);
	if (o->lat_first) {
		jw_fixed(w, lat, 6);
		jw_fixed(w, lon, 6);
	} else {
		jw_fixed(w, lon, 6);
		jw_fixed(w, lat, 6);
	}
	jw_array_end(w);
}

void feat_write_feature(struct jsonw *w, const struct site *s, const struct feat_write_opts *o,
                        const struct sindex_hit *hit)
{
	double lat = s->lat, lon = s->lon;
	if (o->cs != COORDSYS_WGS84)
		coordsys_from_wgs84(o->cs, s->lat, s->lon, &lat, &lon);
	jw_object_begin(w);
	jw_key(w, "type");
	jw_string(w, "Feature");
	jw_key(w, "id");
	jw_string(w, site_field(s, SITE_ID));
	jw_key(w, "geometry");
	jw_object_begin(w);
	jw_key(w, "type");
	jw_string(w, "Point");
	jw_key(w, "coordinates");
	write_position(w, o, lat, lon);
	jw_object_end(w);
	jw_key(w, "properties");
	jw_object_begin(w);
	for (int c = 0; c < SITE_NCOLUMNS; c++) {
		jw_key(w, site_columns[c].name);
		switch (site_columns[c].kind) {
		case SITE_COL_TEXT: {
			/* "" is the data model's missing attribute; a client reads
			 * null as "none" (GDAL, QGIS), "" as an empty text */
			const char *t = site_field(s, site_columns[c].field);
			if (*t)
				jw_string(w, t);
			else
				jw_null(w);
			break;
		}
		case SITE_COL_LAT: jw_fixed(w, lat, 6); break;
		case SITE_COL_LON: jw_fixed(w, lon, 6); break;
		case SITE_COL_QUALITY: jw_string(w, site_quality_name(s->quality)); break;
		case SITE_COL_UNCERTAINTY: jw_fixed(w, site_uncertainty(s), FEAT_UNCERTAINTY_DECIMALS); break;
		}
	}
	if (hit) {
		jw_key(w, "distance_m");
		jw_fixed(w, hit->dist_m, 1);
		/* Rounding 359.96 to one decimal would give 360, outside [0, 360). */
		double b = round(hit->azi_deg * 10) / 10;
		if (b >= 360 || b < 0)
			b = 0;
		jw_key(w, "bearing_deg");
		jw_fixed(w, b, 1);
	}
	jw_object_members(w, site_extra(s));
	jw_object_end(w);
	jw_object_end(w);
}

void feat_write_nearest(struct buf *out, const struct snapshot *snap, const struct sindex_hit *hits, size_t n,
                        const struct feat_write_opts *o)
{
	struct jsonw w;
	jw_init(&w, out);
	jw_object_begin(&w);
	jw_key(&w, "type");
	jw_string(&w, "FeatureCollection");
	jw_key(&w, "numberReturned");
	jw_int(&w, (int64_t)n);
	jw_key(&w, "features");
	jw_array_begin(&w);
	for (size_t i = 0; i < n; i++) {
		assert(hits[i].i < snap->n);
		feat_write_feature(&w, &snap->sites[hits[i].i], o, &hits[i]);
	}
	jw_array_end(&w);
	jw_object_end(&w);
	buf_putc(out, '\n');
}

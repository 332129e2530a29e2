/*
 * snapshot.c - the immutable, reference-counted view of all sites; see
 * snapshot.h.
 *
 * The version is an XXH3-64 hash of the content in id order: every text
 * field (with its terminating NUL, so "ab"+"c" and "a"+"bc" differ), the
 * coordinates' IEEE-754 bytes, the position quality and radius and the
 * extra properties.  Equal data give
 * an equal version on the same machine whatever order they were imported
 * in, so a reload of unchanged data keeps tile ETags valid.
 */
#include "snapshot.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../util/mem.h"
#include "store.h"

static void free_hours(struct hours **h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hours_free(h[i]);
	free(h);
}

static uint64_t content_hash(const struct site_set *set)
{
	XXH3_state_t *h = XXH3_createState();
	if (!h)
		abort(); /* out of memory: mapsvc's policy, see mem.h */
	XXH3_64bits_reset(h);
	for (size_t i = 0; i < set->n; i++) {
		const struct site *s = &set->v[i];
		for (int f = 0; f < SITE_NFIELDS; f++)
			XXH3_64bits_update(h, s->field[f], strlen(s->field[f]) + 1);
		XXH3_64bits_update(h, &s->lat, sizeof s->lat);
		XXH3_64bits_update(h, &s->lon, sizeof s->lon);
		uint32_t quality = (uint32_t)s->quality; /* a fixed width, whatever the enum's */
		XXH3_64bits_update(h, &quality, sizeof quality);
		XXH3_64bits_update(h, &s->uncertainty_m, sizeof s->uncertainty_m);
		XXH3_64bits_update(h, s->extra, strlen(s->extra) + 1);
	}
	uint64_t v = XXH3_64bits_digest(h);
	XXH3_freeState(h);
	return v;
}

/* The name index's view of the sites: name_zh, then name_en. */
static const char *site_name(const void *ctx, uint32_t i, unsigned which)
{
	const struct site *sites = ctx;
	return sites[i].field[which == 0 ? SITE_NAME_ZH : SITE_NAME_EN];
}

/* The members of enum coordsys (geo/geo.h). */
#define NCOORDSYS (COORDSYS_CGCS2000 + 1)

/* Files made from the snapshot on demand.  The mutex serialises their
 * builds, so a burst of first requests builds each one once.  The bounds
 * in a shifted system have a lock of their own, so that a TileJSON never
 * waits for a GeoPackage, and a flag read without it once set. */
struct snapshot_exports {
	pthread_mutex_t mu;
	unsigned char *gpkg; /* store_gpkg_free; NULL until built */
	size_t gpkg_len;
	pthread_mutex_t bounds_mu;
	atomic_bool bounds_ready[NCOORDSYS];
	double bounds[NCOORDSYS][4];
};

/* Every site's opening hours parsed; NULL (err set) when one does not
 * parse. */
static struct hours **parse_hours(const struct site_set *set, struct ms_error *err)
{
	struct hours **h = xcalloc(set->n ? set->n : 1, sizeof *h);
	for (size_t i = 0; i < set->n; i++) {
		const char *text = set->v[i].field[SITE_OPENING_HOURS];
		if (*text && hours_parse(text, strlen(text), &h[i], err) != MS_OK) {
			ms_error_prefix(err, "site '%s': ", set->v[i].field[SITE_ID]);
			free_hours(h, i);
			return NULL;
		}
	}
	return h;
}

struct snapshot *snapshot_new(struct site_set *set, struct ms_error *err)
{
	site_set_sort_by_id(set);
	struct hours **hours = parse_hours(set, err);
	if (!hours) {
		site_set_free(set);
		return NULL;
	}
	double *lat = xmalloc((set->n ? set->n : 1) * sizeof *lat);
	double *lon = xmalloc((set->n ? set->n : 1) * sizeof *lon);
	struct snapshot *s = xcalloc(1, sizeof *s);
	for (size_t i = 0; i < set->n; i++) {
		lat[i] = set->v[i].lat;
		lon[i] = set->v[i].lon;
		if (i == 0 || lon[i] < s->west)
			s->west = lon[i];
		if (i == 0 || lon[i] > s->east)
			s->east = lon[i];
		if (i == 0 || lat[i] < s->south)
			s->south = lat[i];
		if (i == 0 || lat[i] > s->north)
			s->north = lat[i];
	}
	struct sindex *ix = sindex_build(lat, lon, set->n, err);
	free(lat);
	free(lon);
	struct ngram *names = ix ? ngram_build(set->n, 2, site_name, set->v, err) : NULL;
	if (!names) {
		sindex_free(ix);
		free(s);
		free_hours(hours, set->n);
		site_set_free(set);
		return NULL;
	}
	s->hours = (const struct hours *const *)hours;
	s->sites = set->v;
	s->n = set->n;
	s->index = ix;
	s->names = names;
	s->version = content_hash(set);
	s->set_ = set;
	ms_ref_init(&s->refs_);
	s->exports_ = xcalloc(1, sizeof *s->exports_);
	pthread_mutex_init(&s->exports_->mu, NULL);
	pthread_mutex_init(&s->exports_->bounds_mu, NULL);
	return s;
}

struct snapshot *snapshot_load(const char *db_path, struct ms_error *err)
{
	struct site_set *set;
	if (store_load(db_path, &set, err) != MS_OK)
		return NULL;
	return snapshot_new(set, err);
}

struct snapshot *snapshot_retain(struct snapshot *s)
{
	if (s)
		ms_ref_get(&s->refs_);
	return s;
}

void snapshot_release(struct snapshot *s)
{
	/* ms_ref_put's ordering (refcount.h) makes every use of the snapshot
	 * happen before the free by whichever thread drops the last ref. */
	if (!s || !ms_ref_put(&s->refs_))
		return;
	sindex_free((struct sindex *)s->index);
	ngram_free((struct ngram *)s->names);
	free_hours((struct hours **)s->hours, s->n);
	site_set_free(s->set_);
	pthread_mutex_destroy(&s->exports_->mu);
	pthread_mutex_destroy(&s->exports_->bounds_mu);
	store_gpkg_free(s->exports_->gpkg);
	free(s->exports_);
	free(s);
}

enum ms_status snapshot_gpkg(const struct snapshot *s, const unsigned char **data, size_t *len,
                             struct ms_error *err)
{
	struct snapshot_exports *x = s->exports_;
	enum ms_status st = MS_OK;
	pthread_mutex_lock(&x->mu);
	if (!x->gpkg)
		st = store_export_gpkg(s->sites, s->n, &x->gpkg, &x->gpkg_len, err);
	*data = x->gpkg;
	*len = x->gpkg_len;
	pthread_mutex_unlock(&x->mu);
	return st;
}

const struct site *snapshot_find(const struct snapshot *s, const char *id)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->sites[mid].field[SITE_ID], id);
		if (c == 0)
			return &s->sites[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The box of every site shifted into cs. */
static void shifted_bounds(const struct snapshot *s, enum coordsys cs, double b[4])
{
	for (size_t i = 0; i < s->n; i++) {
		double lat, lon;
		coordsys_from_wgs84(cs, s->sites[i].lat, s->sites[i].lon, &lat, &lon);
		if (i == 0 || lon < b[0])
			b[0] = lon;
		if (i == 0 || lat < b[1])
			b[1] = lat;
		if (i == 0 || lon > b[2])
			b[2] = lon;
		if (i == 0 || lat > b[3])
			b[3] = lat;
	}
}

bool snapshot_bounds(const struct snapshot *s, enum coordsys cs, double b[4])
{
	if (!s->n)
		return false;
	if (cs == COORDSYS_WGS84 || cs == COORDSYS_CGCS2000) {
		b[0] = s->west, b[1] = s->south, b[2] = s->east, b[3] = s->north;
		return true;
	}
	/* Made once, by the first caller; the others see the flag set with
	 * acquire order, and so the box written before it. */
	struct snapshot_exports *x = s->exports_;
	if (!atomic_load_explicit(&x->bounds_ready[cs], memory_order_acquire)) {
		pthread_mutex_lock(&x->bounds_mu);
		if (!atomic_load_explicit(&x->bounds_ready[cs], memory_order_relaxed)) {
			shifted_bounds(s, cs, x->bounds[cs]);
			atomic_store_explicit(&x->bounds_ready[cs], true, memory_order_release);
		}
		pthread_mutex_unlock(&x->bounds_mu);
	}
	memcpy(b, x->bounds[cs], sizeof x->bounds[cs]);
	return true;
}

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

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

uint8_t snapshot_site_flags(const struct site *s)
{
	uint8_t f = (uint8_t)((unsigned)s->category & SNAPSHOT_FLAG_CATEGORY);
	if (site_quality_approximate(s->quality))
		f |= SNAPSHOT_FLAG_APPROXIMATE;
	return f;
}

/* ---- building the parts at once ----------------------------------------
 *
 * Each part of a snapshot (the spatial index, the name index, the content
 * hash, each hierarchy) reads the sorted sites and writes only its own
 * result, so the parts are tasks that any thread may run: a few workers
 * take the next task until none is left, longest first (the name index,
 * then the hierarchies) so that the last one to finish is short.  On two
 * cores a million sites' parts take about half the time they take one
 * after the other. */

enum part_kind { PART_NAMES, PART_CLUSTERS, PART_INDEX, PART_HASH };

struct part {
	enum part_kind kind;
	const struct cluster_params *params; /* PART_CLUSTERS */
	void *result;
	struct ms_error err;
};

struct build {
	const struct site_set *set;
	const double *lat, *lon;
	const uint8_t *flags;
	struct part *parts;
	size_t nparts;
	atomic_size_t next;
	uint64_t version;
};

static void run_part(struct build *b, struct part *p)
{
	size_t n = b->set->n;
	switch (p->kind) {
	case PART_NAMES: p->result = ngram_build(n, 2, site_name, b->set->v, &p->err); break;
	case PART_CLUSTERS: p->result = cluster_build(b->lat, b->lon, b->flags, n, p->params, &p->err); break;
	case PART_INDEX: p->result = sindex_build(b->lat, b->lon, n, &p->err); break;
	case PART_HASH:
		b->version = content_hash(b->set);
		p->result = b; /* done: nothing to free */
		break;
	}
}

static void *worker(void *arg)
{
	struct build *b = arg;
	for (size_t k; (k = atomic_fetch_add(&b->next, 1)) < b->nparts;)
		run_part(b, &b->parts[k]);
	return NULL;
}

/* Runs every part, on up to one thread per core. */
static void run_parts(struct build *b)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = ncpu > 1 ? (size_t)ncpu : 1;
	if (nthreads > b->nparts)
		nthreads = b->nparts;
	pthread_t th[SNAPSHOT_MAX_CLUSTERS + 3];
	size_t started = 0;
	for (size_t i = 1; i < nthreads; i++)
		if (pthread_create(&th[started], NULL, worker, b) == 0)
			started++;
	worker(b); /* this thread works too, and alone when no thread could start */
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

/* The distinct parameter sets of o, into out (at most
 * SNAPSHOT_MAX_CLUSTERS), or false with err. */
static bool distinct_params(const struct snapshot_opts *o, const struct cluster_params **out, size_t *n,
                            struct ms_error *err)
{
	*n = 0;
	for (size_t i = 0; o && i < o->nclusters; i++) {
		bool seen = false;
		for (size_t j = 0; j < *n && !seen; j++)
			seen = cluster_params_same(out[j], &o->clusters[i]);
		if (seen)
			continue;
		if (*n == SNAPSHOT_MAX_CLUSTERS) {
			ms_fail(err, MS_EUSAGE, "snapshot: more than %d distinct cluster parameter sets",
			        SNAPSHOT_MAX_CLUSTERS);
			return false;
		}
		out[(*n)++] = &o->clusters[i];
	}
	return true;
}

struct snapshot *snapshot_new_with(struct site_set *set, const struct snapshot_opts *o, struct ms_error *err)
{
	const struct cluster_params *params[SNAPSHOT_MAX_CLUSTERS];
	size_t np;
	if (!distinct_params(o, params, &np, err)) {
		site_set_free(set);
		return NULL;
	}
	site_set_sort_by_id(set);
	struct hours **hours = parse_hours(set, err);
	if (!hours) {
		site_set_free(set);
		return NULL;
	}
	size_t cap = set->n ? set->n : 1;
	double *lat = xmalloc(cap * sizeof *lat), *lon = xmalloc(cap * sizeof *lon);
	uint8_t *flags = xmalloc(cap);
	struct snapshot *s = xcalloc(1, sizeof *s);
	for (size_t i = 0; i < set->n; i++) {
		lat[i] = set->v[i].lat;
		lon[i] = set->v[i].lon;
		flags[i] = snapshot_site_flags(&set->v[i]);
		if (i == 0 || lon[i] < s->west)
			s->west = lon[i];
		if (i == 0 || lon[i] > s->east)
			s->east = lon[i];
		if (i == 0 || lat[i] < s->south)
			s->south = lat[i];
		if (i == 0 || lat[i] > s->north)
			s->north = lat[i];
	}
	struct part parts[SNAPSHOT_MAX_CLUSTERS + 3];
	size_t nparts = 0;
	parts[nparts++] = (struct part){.kind = PART_NAMES};
	for (size_t k = 0; k < np; k++)
		parts[nparts++] = (struct part){.kind = PART_CLUSTERS, .params = params[k]};
	parts[nparts++] = (struct part){.kind = PART_INDEX};
	parts[nparts++] = (struct part){.kind = PART_HASH};
	struct build b = {
	    .set = set, .lat = lat, .lon = lon, .flags = flags, .parts = parts, .nparts = nparts};
	atomic_init(&b.next, 0);
	run_parts(&b);
	free(lat);
	free(lon);
	free(flags);
#ifdef __GLIBC__
	/* The builders' scratch (a hierarchy's is about 120 bytes a site, the
	 * name index's as much) was freed in the arenas of the threads that
	 * used it, where glibc keeps it: give it back to the system, or a
	 * million sites' snapshot keeps some 100 MB it does not use. */
	malloc_trim(0);
#endif

	const struct part *failed = NULL;
	for (size_t k = 0; k < nparts && !failed; k++)
		if (!parts[k].result)
			failed = &parts[k];
	s->names = parts[0].result;
	for (size_t k = 0; k < np; k++)
		s->clusters_[s->nclusters_++] = parts[1 + k].result;
	s->index = parts[1 + np].result;
	s->version = b.version;
	if (failed) {
		*err = failed->err;
		ngram_free((struct ngram *)s->names);
		sindex_free((struct sindex *)s->index);
		for (size_t k = 0; k < s->nclusters_; k++)
			cluster_free(s->clusters_[k]);
		free(s);
		free_hours(hours, set->n);
		site_set_free(set);
		return NULL;
	}
	s->hours = (const struct hours *const *)hours;
	s->sites = set->v;
	s->n = set->n;
	s->set_ = set;
	ms_ref_init(&s->refs_);
	s->exports_ = xcalloc(1, sizeof *s->exports_);
	pthread_mutex_init(&s->exports_->mu, NULL);
	pthread_mutex_init(&s->exports_->bounds_mu, NULL);
	return s;
}

struct snapshot *snapshot_new(struct site_set *set, struct ms_error *err)
{
	return snapshot_new_with(set, NULL, err);
}

struct snapshot *snapshot_load_with(const char *db_path, const struct snapshot_opts *o, struct ms_error *err)
{
	struct site_set *set;
	if (store_load(db_path, &set, err) != MS_OK)
		return NULL;
	return snapshot_new_with(set, o, err);
}

struct snapshot *snapshot_load(const char *db_path, struct ms_error *err)
{
	return snapshot_load_with(db_path, NULL, err);
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
	for (size_t k = 0; k < s->nclusters_; k++)
		cluster_free(s->clusters_[k]);
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

const struct cluster_tree *snapshot_clusters(const struct snapshot *s, const struct cluster_params *p)
{
	for (size_t k = 0; k < s->nclusters_; k++) {
		struct cluster_params q = cluster_get_params(s->clusters_[k]);
		if (cluster_params_same(&q, p))
			return s->clusters_[k];
	}
	return NULL;
}

size_t snapshot_clusters_memory(const struct snapshot *s)
{
	size_t bytes = 0;
	for (size_t k = 0; k < s->nclusters_; k++)
		bytes += cluster_memory(s->clusters_[k]);
	return bytes;
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

/*
 * snapshot.c - the immutable, reference-counted view of all sites; see
 * snapshot.h.
 *
 * The version is an XXH3-64 hash of the content in id order: of every
 * site, what site_hash hashes (every text field with its terminating NUL,
 * the coordinates' IEEE-754 bytes, the position quality and radius and
 * the extra properties).  Equal data give
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

/* The parsed hours of the sites that have some, by site index. */
struct snapshot_hours {
	size_t n;
	uint32_t *site; /* increasing */
	struct hours **h;
};

static void free_hours(struct snapshot_hours *sh)
{
	if (!sh)
		return;
	for (size_t k = 0; k < sh->n; k++)
		hours_free(sh->h[k]);
	free(sh->site);
	free(sh->h);
	free(sh);
}

const struct hours *snapshot_hours(const struct snapshot *s, size_t i)
{
	const struct snapshot_hours *sh = s->hours_;
	size_t lo = 0, hi = sh->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sh->site[mid] < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sh->n && sh->site[lo] == i ? sh->h[lo] : NULL;
}

static uint64_t content_hash(const struct site_set *set)
{
	XXH3_state_t *h = XXH3_createState();
	if (!h)
		abort(); /* out of memory: mapsvc's policy, see mem.h */
	XXH3_64bits_reset(h);
	for (size_t i = 0; i < set->n; i++)
		site_hash_update(h, &set->v[i]);
	uint64_t v = XXH3_64bits_digest(h);
	XXH3_freeState(h);
	return v;
}

/* The name index's view of the sites: name_zh, then name_en. */
static const char *site_name(const void *ctx, uint32_t i, unsigned which)
{
	const struct site *sites = ctx;
	return site_field(&sites[i], which == 0 ? SITE_NAME_ZH : SITE_NAME_EN);
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
static struct snapshot_hours *parse_hours(const struct site_set *set, struct ms_error *err)
{
	struct snapshot_hours *sh = xcalloc(1, sizeof *sh);
	size_t cap = 0;
	for (size_t i = 0; i < set->n; i++) {
		const char *text = site_field(&set->v[i], SITE_OPENING_HOURS);
		if (!*text)
			continue;
		if (sh->n == cap) {
			cap = cap ? 2 * cap : 64;
			sh->site = xrealloc(sh->site, cap * sizeof *sh->site);
			sh->h = xrealloc(sh->h, cap * sizeof *sh->h);
		}
		if (hours_parse(text, strlen(text), &sh->h[sh->n], err) != MS_OK) {
			ms_error_prefix(err, "site '%s': ", site_field(&set->v[i], SITE_ID));
			free_hours(sh);
			return NULL;
		}
		sh->site[sh->n++] = (uint32_t)i;
	}
	return sh;
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
 * Each part of a snapshot (a slice of the name index, each hierarchy, the
 * spatial index, the content hash) reads the sorted sites and writes only
 * its own result, so the parts are tasks that any thread may run: a few
 * workers take the next task until none is left, longest first (the
 * hierarchies, then the name index's slices, one per core, joined at the
 * end) so that the last one to finish is short.  On two cores the parts
 * of a million sites take a little more than half the time they take one
 * after the other. */

/* The sites whose names differ from prev's, while they are few enough
 * for patching prev's name index to beat building one (ngram_patch):
 * past max, too_many. */
struct renamed {
	uint32_t *v;
	size_t n, max;
	bool too_many;
};

/* The sites that moved or changed flags since prev, while they are few
 * enough for patching prev's hierarchies (cluster_patch) to beat building
 * them: past max, too_many.  lat, lon: where they stood. */
struct moved {
	uint32_t *v;
	double *lat, *lon;
	size_t n, max;
	bool too_many;
};

/* A hierarchy is patched rather than built when at most one site in
 * CLUSTER_PATCH_SHARE moved (but CLUSTER_PATCH_MIN, and at most
 * CLUSTER_PATCH_MAX): a patch's cost grows with the moves and the crowd
 * around them (bench_cluster --patch: at a million clustered sites a
 * few moves cost a quarter of a build, 976 moves 0.56 of it, 2,942 moves
 * 1.3 times it; at 100,000, 300 moves 0.42 and 1,000 moves 0.93). */
#define CLUSTER_PATCH_SHARE 256
#define CLUSTER_PATCH_MIN 8
#define CLUSTER_PATCH_MAX 1024

enum part_kind {
	PART_NAMES,
	PART_NAMES_PATCH,
	PART_CLUSTERS,
	PART_CLUSTERS_PATCH,
	PART_CLUSTERS_KEPT,
	PART_INDEX,
	PART_INDEX_PATCH,
	PART_HASH
};

/* The most slices of the name index (and threads) a build uses. */
#define NAME_SLICES 8
#define MAX_PARTS (SNAPSHOT_MAX_CLUSTERS + NAME_SLICES + 2)
/* Sites below which the name index is built in one piece. */
#define NAME_SLICE_MIN 20000
/* A name index is patched (ngram_patch) rather than built when at most
 * one site in NAME_PATCH_SHARE (or NAME_PATCH_MIN sites) was renamed:
 * at a million sites 15,000 renames patch in a fraction of a build. */
#define NAME_PATCH_SHARE 64
#define NAME_PATCH_MIN 1024

struct part {
	enum part_kind kind;
	const struct cluster_params *params; /* PART_CLUSTERS */
	const struct cluster_tree *tree;     /* PART_CLUSTERS_PATCH: prev's, */
	const struct moved *moved;           /* and the sites that moved (also PART_INDEX_PATCH) */
	size_t lo, hi;                       /* PART_NAMES: the slice's sites */
	size_t slot;                         /* PART_CLUSTERS: its place in clusters_ */
	const struct snapshot *prev;         /* PART_*_PATCH: the index to patch, */
	const struct renamed *renamed;       /* and the sites whose names changed */
	uint64_t kept_version;               /* PART_CLUSTERS_KEPT: the read block's version */
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
	const struct snapshot_opts *opts; /* read_kept */
};

/* PART_CLUSTERS_KEPT: the hierarchy of the block kept for p's parameters
 * (its version into p), or NULL with p->err. */
static struct cluster_tree *read_kept(const struct snapshot_opts *o, struct part *p)
{
	void *block;
	size_t len;
	enum ms_status rs = o->read_kept(o->kept_arg, p->params, &block, &len);
	if (rs != MS_OK) {
		ms_fail(&p->err, rs, "no kept block");
		return NULL;
	}
	return cluster_decode(block, len, &p->kept_version, &p->err);
}

static void run_part(struct build *b, struct part *p)
{
	size_t n = b->set->n;
	switch (p->kind) {
	case PART_NAMES:
		p->result = ngram_build_slice(n, p->lo, p->hi, 2, site_name, b->set->v, &p->err);
		break;
	case PART_NAMES_PATCH:
		p->result = ngram_patch(snapshot_names(p->prev), p->renamed->v, p->renamed->n, site_name,
		                        b->set->v, &p->err);
		break;
	case PART_CLUSTERS: p->result = cluster_build(b->lat, b->lon, b->flags, n, p->params, &p->err); break;
	case PART_CLUSTERS_KEPT: p->result = read_kept(b->opts, p); break;
	case PART_CLUSTERS_PATCH:
		p->result = cluster_patch(p->tree, b->lat, b->lon, b->flags, n, p->moved->v, p->moved->lat,
		                          p->moved->lon, p->moved->n, &p->err);
		break;
	case PART_INDEX: /* reads the sites' own positions, and so holds no copy */
		p->result = sindex_build_strided(n ? &b->set->v[0].lat : NULL, n ? &b->set->v[0].lon : NULL,
		                                 sizeof(struct site), n, &p->err);
		break;
	case PART_INDEX_PATCH:
		p->result =
		    sindex_patch(p->prev->index_, n ? &b->set->v[0].lat : NULL, n ? &b->set->v[0].lon : NULL,
		                 sizeof(struct site), p->moved->v, p->moved->n, &p->err);
		break;
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

/* Cores to build on, at most NAME_SLICES. */
static size_t cores(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	return ncpu < 1 ? 1 : ncpu > NAME_SLICES ? NAME_SLICES : (size_t)ncpu;
}

/* Runs every part, on up to one thread per core. */
static void run_parts(struct build *b)
{
	size_t nthreads = cores();
	if (nthreads > b->nparts)
		nthreads = b->nparts;
	pthread_t th[MAX_PARTS];
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

static bool sorted_by_id(const struct site_set *set)
{
	for (size_t i = 1; i < set->n; i++)
		if (strcmp(site_field(&set->v[i - 1], SITE_ID), site_field(&set->v[i], SITE_ID)) >= 0)
			return false;
	return true;
}

/* ---- parts shared between snapshots --------------------------------------
 *
 * The spatial index and the hierarchies are built from the sites'
 * positions and flags alone (in id order), so a snapshot whose sites all
 * stand where its predecessor's stood takes them from it, by reference
 * (snapshot_opts.prev).  The name index reads its snapshot's own texts,
 * so it is not shared; but when the sites are as many and few were
 * renamed, prev's is patched (ngram_patch) into a new one.  So a reload or
 * an edit that renamed a site, or changed its hours, builds nothing from
 * scratch but the hash.  When the sites are as many but a few moved (or
 * changed flags), prev's hierarchies are patched (cluster_patch: the same
 * trees, in a quarter of the time at a million sites), and so is its
 * spatial index (sindex_patch: its tree copied, the moved points' boxes
 * widened; the same answers, for a copy instead of a build).  (Sites in
 * the same places under other ids are the same places: the parts hold
 * positions and indexes, not ids.) */

struct snapshot_shared {
	struct ms_ref refs;
	struct cluster_tree *tree;
};

static struct snapshot_shared *shared_new(struct cluster_tree *tree)
{
	struct snapshot_shared *p = xcalloc(1, sizeof *p);
	ms_ref_init(&p->refs);
	p->tree = tree;
	return p;
}

static struct snapshot_shared *shared_retain(struct snapshot_shared *p)
{
	ms_ref_get(&p->refs);
	return p;
}

static void shared_release(struct snapshot_shared *p)
{
	if (!p || !ms_ref_put(&p->refs))
		return;
	cluster_free(p->tree);
	free(p);
}

/* prev's hierarchy built with q, or NULL. */
static struct snapshot_shared *prev_tree(const struct snapshot *prev, const struct cluster_params *q)
{
	for (size_t k = 0; k < prev->nclusters_; k++) {
		struct cluster_params have = cluster_get_params(prev->clusters_[k]->tree);
		if (cluster_params_same(&have, q))
			return prev->clusters_[k];
	}
	return NULL;
}

static void note_names(struct renamed *r, const struct site *now, const struct site *was, uint32_t i)
{
	if (r->too_many || (!strcmp(site_field(now, SITE_NAME_ZH), site_field(was, SITE_NAME_ZH)) &&
	                    !strcmp(site_field(now, SITE_NAME_EN), site_field(was, SITE_NAME_EN))))
		return;
	if (r->n == r->max) {
		r->too_many = true;
		return;
	}
	r->v[r->n++] = i;
}

static void note_moved(struct moved *mv, const struct site *was, uint32_t i)
{
	if (mv->too_many)
		return;
	if (mv->n == mv->max) {
		mv->too_many = true;
		return;
	}
	mv->v[mv->n] = i;
	mv->lat[mv->n] = was->lat;
	mv->lon[mv->n++] = was->lon;
}

/* The positions and flags of set's sites into lat, lon, flags, and s's
 * bounds; true when prev's sites are as many and stand where these do
 * with the same flags (bit for bit).  With as many sites as prev, the
 * renamed ones into *r and the moved ones into *mv. */
static bool place_sites(const struct site_set *set, const struct snapshot *prev, double *lat, double *lon,
                        uint8_t *flags, struct snapshot *s, struct renamed *r, struct moved *mv)
{
	bool as_many = prev && prev->n == set->n, in_place = as_many;
	r->too_many = mv->too_many = !as_many;
	for (size_t i = 0; i < set->n; i++) {
		lat[i] = set->v[i].lat;
		lon[i] = set->v[i].lon;
		flags[i] = snapshot_site_flags(&set->v[i]);
		note_names(r, &set->v[i], prev ? &prev->sites[i] : NULL, (uint32_t)i);
		if (as_many && (memcmp(&lat[i], &prev->sites[i].lat, sizeof lat[i]) ||
		                memcmp(&lon[i], &prev->sites[i].lon, sizeof lon[i]) ||
		                flags[i] != snapshot_site_flags(&prev->sites[i]))) {
			in_place = false;
			note_moved(mv, &prev->sites[i], (uint32_t)i);
		}
		if (i == 0 || lon[i] < s->west)
			s->west = lon[i];
		if (i == 0 || lon[i] > s->east)
			s->east = lon[i];
		if (i == 0 || lat[i] < s->south)
			s->south = lat[i];
		if (i == 0 || lat[i] > s->north)
			s->north = lat[i];
	}
	return in_place;
}

/* Frees what a snapshot that could not be made holds. */
static void discard(struct snapshot *s, struct snapshot_hours *hours, struct site_set *set)
{
	ngram_free(atomic_load(&s->names_));
	sindex_free(s->index_);
	for (size_t k = 0; k < SNAPSHOT_MAX_CLUSTERS; k++)
		shared_release(s->clusters_[k]);
	free(s);
	free_hours(hours);
	site_set_free(set);
}

/* The name index of slices built as parts[first, first + nslices)
 * (freed), or NULL with err when one failed. */
static struct ngram *join_slices(struct part *parts, size_t first, size_t nslices, struct ms_error *err)
{
	struct ngram *slices[NAME_SLICES];
	bool ok = true;
	for (size_t k = 0; k < nslices; k++) {
		slices[k] = parts[first + k].result;
		if (!slices[k] && ok) {
			*err = parts[first + k].err;
			ok = false;
		}
	}
	if (!ok) {
		for (size_t k = 0; k < nslices; k++)
			ngram_free(slices[k]);
		return NULL;
	}
	return ngram_join(slices, nslices, err);
}

/* Up to one slice of the name index per core, from parts[*nparts] on. */
static size_t add_name_slices(const struct site_set *set, struct part *parts, size_t *nparts)
{
	size_t nslices = set->n < NAME_SLICE_MIN ? 1 : cores();
	for (size_t k = 0; k < nslices; k++)
		parts[(*nparts)++] = (struct part){
		    .kind = PART_NAMES, .lo = set->n * k / nslices, .hi = set->n * (k + 1) / nslices};
	return nslices;
}

/* ---- the name index, after the snapshot ---------------------------------
 *
 * Of what a snapshot of a million sites builds, the name index is what
 * the first tiles and items need least, and it costs a third of the
 * build: with snapshot_opts.names_later it is built on threads of its
 * own once the snapshot is made, and published with release order;
 * snapshot_names reads it with acquire order, and NULL means "scan".  The
 * thread reads the snapshot's sites, so the snapshot joins it before it
 * is freed; a snapshot that patches this one's index waits for it. */
struct snapshot_later {
	pthread_t th;
	pthread_mutex_t mu;
	bool joined;
	struct ms_error err; /* why the build failed, when it did */
};

static void *build_names_later(void *arg)
{
	struct snapshot *s = arg;
	struct part parts[NAME_SLICES];
	size_t nparts = 0, nslices = add_name_slices(s->set_, parts, &nparts);
	struct build b = {.set = s->set_, .parts = parts, .nparts = nparts};
	atomic_init(&b.next, 0);
	run_parts(&b);
	struct ngram *names = join_slices(parts, 0, nslices, &s->later_->err);
#ifdef __GLIBC__
	/* The build's scratch, as snapshot_new_with gives back its own; before
	 * the index is published, so that what is measured once it is ready
	 * (the memory of a started server) no longer holds it. */
	malloc_trim(0);
#endif
	atomic_store_explicit(&s->names_, names, memory_order_release);
	return NULL;
}

/* Starts s's name index on a thread of its own; builds it here when no
 * thread can start. */
static void start_names_later(struct snapshot *s)
{
	struct snapshot_later *l = xcalloc(1, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	s->later_ = l;
	if (pthread_create(&l->th, NULL, build_names_later, s) != 0) {
		build_names_later(s);
		l->joined = true;
	}
}

const struct ngram *snapshot_names(const struct snapshot *s)
{
	return atomic_load_explicit(&s->names_, memory_order_acquire);
}

const struct ngram *snapshot_names_wait(const struct snapshot *s)
{
	struct snapshot_later *l = s->later_;
	if (l) {
		pthread_mutex_lock(&l->mu);
		if (!l->joined) {
			pthread_join(l->th, NULL);
			l->joined = true;
		}
		pthread_mutex_unlock(&l->mu);
	}
	return snapshot_names(s);
}

static void free_later(struct snapshot *s)
{
	if (!s->later_)
		return;
	snapshot_names_wait(s);
	pthread_mutex_destroy(&s->later_->mu);
	free(s->later_);
	s->later_ = NULL;
}

/* ---- hierarchies kept with the data -------------------------------------
 *
 * A hierarchy that would be patched or built is read from a block kept
 * with the data (snapshot_opts.read_kept) instead, as a part like the
 * others, on a build thread: reading and decoding a million sites' block
 * costs tens of milliseconds where a build costs a second, and a patch a
 * quarter of that.  Whether the block is of these sites is known only
 * once the hash part is done, so it is checked after the parts: a block
 * of other data (an edit since the import, another file), of other
 * parameters, that does not decode or that is not there is dropped, and
 * its hierarchy patched from prev's or built then, as it would have been.
 * A hierarchy shared with prev (no site moved) reads nothing.  A decoded
 * hierarchy is not patched (cluster_patchable): a reload that follows a
 * start from blocks reads the new data's blocks, or builds. */

/* Is the hierarchy a kept part read one of the sites of b? */
static bool kept_fits(const struct build *b, const struct part *p)
{
	if (!p->result || p->kept_version != b->version || cluster_sites(p->result) != b->set->n)
		return false;
	struct cluster_params got = cluster_get_params(p->result);
	return cluster_params_same(&got, p->params);
}

/* The kept parts of parts[0, n) that did not fit, patched from prev's
 * (when patchable) or built now (*built of them); returns how many were
 * read. */
static size_t settle_kept(struct build *b, struct part *parts, size_t n, size_t *built)
{
	struct part redo[SNAPSHOT_MAX_CLUSTERS];
	size_t at[SNAPSHOT_MAX_CLUSTERS], nredo = 0, read = 0;
	*built = 0;
	for (size_t k = 0; k < n; k++) {
		if (parts[k].kind != PART_CLUSTERS_KEPT)
			continue;
		if (kept_fits(b, &parts[k])) {
			read++;
			continue;
		}
		cluster_free(parts[k].result);
		at[nredo] = k;
		const struct part *p = &parts[k];
		redo[nredo++] =
		    p->tree ? (struct part){.kind = PART_CLUSTERS_PATCH,
		                            .tree = p->tree,
		                            .moved = p->moved,
		                            .slot = p->slot}
		            : (struct part){.kind = PART_CLUSTERS, .params = p->params, .slot = p->slot};
		*built += !p->tree;
	}
	if (!nredo)
		return read;
	struct build again = *b;
	again.parts = redo;
	again.nparts = nredo;
	atomic_init(&again.next, 0);
	run_parts(&again);
	for (size_t k = 0; k < nredo; k++)
		parts[at[k]] = redo[k];
	return read;
}

struct snapshot *snapshot_new_with(struct site_set *set, const struct snapshot_opts *o, struct ms_error *err)
{
	const struct cluster_params *params[SNAPSHOT_MAX_CLUSTERS];
	size_t np;
	if (!distinct_params(o, params, &np, err)) {
		site_set_free(set);
		return NULL;
	}
	if (!sorted_by_id(set)) /* a changed snapshot's copy is already */
		site_set_sort_by_id(set);
	struct snapshot_hours *hours = parse_hours(set, err);
	if (!hours) {
		site_set_free(set);
		return NULL;
	}
	size_t cap = set->n ? set->n : 1;
	double *lat = xmalloc(cap * sizeof *lat), *lon = xmalloc(cap * sizeof *lon);
	uint8_t *flags = xmalloc(cap);
	struct snapshot *s = xcalloc(1, sizeof *s);
	const struct snapshot *prev = o ? o->prev : NULL;
	struct renamed renamed = {
	    .max = set->n / NAME_PATCH_SHARE > NAME_PATCH_MIN ? set->n / NAME_PATCH_SHARE : NAME_PATCH_MIN};
	renamed.v = xmalloc(renamed.max * sizeof *renamed.v);
	size_t patch_max = set->n / CLUSTER_PATCH_SHARE;
	struct moved moved = {.max = patch_max < CLUSTER_PATCH_MIN   ? CLUSTER_PATCH_MIN
	                             : patch_max > CLUSTER_PATCH_MAX ? CLUSTER_PATCH_MAX
	                                                             : patch_max};
	moved.v = xmalloc(moved.max * sizeof *moved.v);
	moved.lat = xmalloc(moved.max * sizeof *moved.lat);
	moved.lon = xmalloc(moved.max * sizeof *moved.lon);
	bool same = place_sites(set, prev, lat, lon, flags, s, &renamed, &moved);
	if (!renamed.too_many && !snapshot_names_wait(prev))
		renamed.too_many = true; /* prev's own build failed: nothing to patch */
	bool later = renamed.too_many && o && o->names_later && set->n >= o->names_later;

	/* What is taken from prev is not built (see above). */
	struct part parts[MAX_PARTS];
	size_t nparts = 0, nslices = 0;
	s->nclusters_ = np;
	for (size_t k = 0; k < np; k++) {
		struct snapshot_shared *had =
		    prev && (same || !moved.too_many) ? prev_tree(prev, params[k]) : NULL;
		const struct cluster_tree *patch = had && cluster_patchable(had->tree) ? had->tree : NULL;
		if (had && same)
			s->clusters_[k] = shared_retain(had);
		else if (o && o->read_kept) /* or, should it not fit, what follows */
			parts[nparts++] = (struct part){.kind = PART_CLUSTERS_KEPT,
			                                .params = params[k],
			                                .tree = patch,
			                                .moved = &moved,
			                                .slot = k};
		else if (patch)
			parts[nparts++] = (struct part){
			    .kind = PART_CLUSTERS_PATCH, .tree = patch, .moved = &moved, .slot = k};
		else
			parts[nparts++] =
			    (struct part){.kind = PART_CLUSTERS, .params = params[k], .slot = k};
	}
	if (same && prev->index_) /* the spatial index shares its tree itself */
		s->index_ = sindex_rebind(prev->index_, set->n ? &set->v[0].lat : NULL,
		                          set->n ? &set->v[0].lon : NULL, sizeof(struct site));
	else if (prev && prev->index_ && !moved.too_many) /* a copy of its tree, the moves widened in */
		parts[nparts++] = (struct part){.kind = PART_INDEX_PATCH, .prev = prev, .moved = &moved};
	else
		parts[nparts++] = (struct part){.kind = PART_INDEX};
	size_t first_slice = nparts;
	if (!renamed.too_many) { /* patched, in one piece */
		nslices = 1;
		parts[nparts++] = (struct part){.kind = PART_NAMES_PATCH, .prev = prev, .renamed = &renamed};
	} else if (!later) {
		nslices = add_name_slices(set, parts, &nparts);
	}
	s->built_ = renamed.too_many; /* the name index, built; then the parts built from nothing */
	for (size_t k = 0; k < first_slice; k++)
		s->built_ += parts[k].kind == PART_CLUSTERS || parts[k].kind == PART_INDEX;
	parts[nparts++] = (struct part){.kind = PART_HASH};
	struct build b = {
	    .set = set, .lat = lat, .lon = lon, .flags = flags, .parts = parts, .nparts = nparts, .opts = o};
	atomic_init(&b.next, 0);
	run_parts(&b);
	size_t rebuilt = 0;
	s->read_ = settle_kept(&b, parts, nparts, &rebuilt);
	s->built_ += rebuilt;
	free(lat);
	free(lon);
	free(flags);
	free(renamed.v);
	free(moved.v);
	free(moved.lat);
	free(moved.lon);

	const struct part *failed = NULL;
	for (size_t k = 0; k < nparts; k++) {
		if (!parts[k].result && !failed)
			failed = &parts[k];
		if ((parts[k].kind == PART_CLUSTERS || parts[k].kind == PART_CLUSTERS_PATCH ||
		     parts[k].kind == PART_CLUSTERS_KEPT) &&
		    parts[k].result)
			s->clusters_[parts[k].slot] = shared_new(parts[k].result);
		else if ((parts[k].kind == PART_INDEX || parts[k].kind == PART_INDEX_PATCH) &&
		         parts[k].result)
			s->index_ = parts[k].result;
	}
	struct ms_error join_err;
	if (failed) {
		for (size_t k = 0; k < nslices; k++)
			ngram_free(parts[first_slice + k].result);
	} else if (!renamed.too_many) { /* patched: an index already */
		atomic_init(&s->names_, parts[first_slice].result);
	} else if (nslices) {
		struct ngram *names = join_slices(parts, first_slice, nslices, &join_err);
		atomic_init(&s->names_, names);
		if (!names) {
			parts[first_slice].err = join_err;
			failed = &parts[first_slice];
		}
	}
#ifdef __GLIBC__
	/* The builders' scratch (a hierarchy's is about 120 bytes a site, the
	 * name index's as much) was freed in the arenas of the threads that
	 * used it, where glibc keeps it: give it back to the system, or a
	 * million sites' snapshot keeps some 100 MB it does not use. */
	malloc_trim(0);
#endif
	if (failed) {
		*err = failed->err;
		discard(s, hours, set);
		return NULL;
	}
	s->index = s->index_;
	s->version = b.version;
	s->hours_ = hours;
	s->sites = set->v;
	s->n = set->n;
	s->set_ = set;
	ms_ref_init(&s->refs_);
	s->exports_ = xcalloc(1, sizeof *s->exports_);
	pthread_mutex_init(&s->exports_->mu, NULL);
	pthread_mutex_init(&s->exports_->bounds_mu, NULL);
	if (later)
		start_names_later(s);
	return s;
}

size_t snapshot_clusters_read(const struct snapshot *s)
{
	return s->read_;
}

size_t snapshot_parts_built(const struct snapshot *s)
{
	return s->built_;
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

enum ms_status snapshot_blocks(struct site_set *set, const struct cluster_params *params, size_t n,
                               struct store_block **v, size_t *nv, struct ms_error *err)
{
	*v = NULL;
	*nv = 0;
	const struct cluster_params *dp[SNAPSHOT_MAX_CLUSTERS];
	size_t np;
	struct snapshot_opts o = {.clusters = params, .nclusters = n};
	if (!distinct_params(&o, dp, &np, err))
		return err->status;
	if (!sorted_by_id(set))
		site_set_sort_by_id(set);
	size_t cap = set->n ? set->n : 1;
	double *lat = xmalloc(cap * sizeof *lat), *lon = xmalloc(cap * sizeof *lon);
	uint8_t *flags = xmalloc(cap);
	for (size_t i = 0; i < set->n; i++) {
		lat[i] = set->v[i].lat;
		lon[i] = set->v[i].lon;
		flags[i] = snapshot_site_flags(&set->v[i]);
	}
	struct part parts[SNAPSHOT_MAX_CLUSTERS + 1];
	for (size_t k = 0; k < np; k++)
		parts[k] = (struct part){.kind = PART_CLUSTERS, .params = dp[k], .slot = k};
	parts[np] = (struct part){.kind = PART_HASH};
	struct build b = {
	    .set = set, .lat = lat, .lon = lon, .flags = flags, .parts = parts, .nparts = np + 1};
	atomic_init(&b.next, 0);
	run_parts(&b);
	free(lat);
	free(lon);
	free(flags);
	enum ms_status rs = MS_OK;
	for (size_t k = 0; k < np && rs == MS_OK; k++)
		if (!parts[k].result) {
			*err = parts[k].err;
			rs = err->status;
		}
	struct store_block *out = rs == MS_OK ? xcalloc(np ? np : 1, sizeof *out) : NULL;
	for (size_t k = 0; k < np; k++) {
		if (out) {
			char key[CLUSTER_KEY_MAX];
			cluster_params_key(dp[k], key);
			unsigned char *data;
			cluster_encode(parts[k].result, b.version, &data, &out[k].len);
			out[k].key = xstrdup(key);
			out[k].data = data;
		}
		cluster_free(parts[k].result);
	}
#ifdef __GLIBC__
	malloc_trim(0); /* the builders' scratch, as snapshot_new_with gives it back */
#endif
	*v = out;
	*nv = out ? np : 0;
	return rs;
}

void snapshot_blocks_free(struct store_block *v, size_t n)
{
	for (size_t k = 0; v && k < n; k++) {
		free((void *)v[k].key);
		free((void *)v[k].data);
	}
	free(v);
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
	free_later(s); /* its thread reads the sites */
	sindex_free(s->index_);
	ngram_free(atomic_load(&s->names_));
	for (size_t k = 0; k < s->nclusters_; k++)
		shared_release(s->clusters_[k]);
	free_hours(s->hours_);
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
		int c = strcmp(site_field(&s->sites[mid], SITE_ID), id);
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
	const struct snapshot_shared *had = prev_tree(s, p);
	return had ? had->tree : NULL;
}

size_t snapshot_clusters_memory(const struct snapshot *s)
{
	size_t bytes = 0;
	for (size_t k = 0; k < s->nclusters_; k++)
		bytes += cluster_memory(s->clusters_[k]->tree);
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

/* ---- a snapshot from another plus changes -------------------------------
 *
 * The changes are sorted by id (stably, so that of several changes of one
 * id the last one wins) and merged with the base's sorted sites into a
 * new set, already in id order; then snapshot_new_with makes the new
 * snapshot from it with base as prev, so that what no change touched is
 * shared or patched rather than built.  Measured with tests/bench/
 * edit_live.py on 2 cores, a write answered once live: a rename 0.04 s at
 * 100,000 sites and 0.34 s at a million (the sites are still copied and
 * hashed whole), a move 0.08 s and 0.52 s (the hierarchies and the
 * spatial index patched).  Below that at a million needs the sites shared
 * rather than copied. */

static int cmp_change(const void *a, const void *b)
{
	const struct snapshot_change *x = *(const struct snapshot_change *const *)a;
	const struct snapshot_change *y = *(const struct snapshot_change *const *)b;
	int c = strcmp(x->id, y->id);
	/* stable: the array order of equal ids, which are pointers into one array */
	return c ? c : (x < y ? -1 : x > y);
}

struct snapshot *snapshot_with_changes(const struct snapshot *base, const struct snapshot_change *ch,
                                       size_t n, struct ms_error *err)
{
	const struct snapshot_change **order = xmalloc((n ? n : 1) * sizeof *order);
	for (size_t i = 0; i < n; i++)
		order[i] = &ch[i];
	qsort(order, n, sizeof *order, cmp_change);
	struct site_set *set = site_set_new();
	site_set_reserve(set, base->n + n);
	size_t i = 0, k = 0;
	while (i < base->n || k < n) {
		/* the last change of this id, when the next change is one */
		while (k + 1 < n && !strcmp(order[k]->id, order[k + 1]->id))
			k++;
		int c = i == base->n ? 1
		        : k == n     ? -1
		                     : strcmp(site_field(&base->sites[i], SITE_ID), order[k]->id);
		if (c < 0) {
			site_set_copy(set, &base->sites[i++]);
			continue;
		}
		if (order[k]->after)
			site_set_copy(set, order[k]->after);
		if (c == 0)
			i++; /* replaced or deleted */
		k++;
	}
	free(order);
	struct cluster_params params[SNAPSHOT_MAX_CLUSTERS];
	for (size_t h = 0; h < base->nclusters_; h++)
		params[h] = cluster_get_params(base->clusters_[h]->tree);
	struct snapshot_opts o = {params, base->nclusters_, base, 0, NULL, NULL};
	return snapshot_new_with(set, &o, err);
}

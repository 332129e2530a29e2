/* test_store_snapshot_clusters.c - the hierarchies a snapshot builds with
 * its indexes: one per distinct parameter set, each the same as building it
 * alone, the sites' flags (category, approximate position) in them, the
 * indexes and the version unchanged by building them alongside, the
 * refusals, and the parts a snapshot shares with the one it follows. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "geo/geo.h"
#include "site/site.h"
#include "store/snapshot.h"
#include "store/store.h"

#define N 3000

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static double urand(double lo, double hi)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return lo + (hi - lo) * ((double)(rng_state >> 11) / 9007199254740992.0);
}

/* N sites near Zibo, ids in reverse order of creation (the snapshot sorts
 * them), every seventh approximate. */
static struct site_set *make_set(void)
{
	struct site_set *set = site_set_new();
	for (int i = 0; i < N; i++) {
		char id[16], name[32];
		snprintf(id, sizeof id, "s%05d", N - i);
		snprintf(name, sizeof name, "纪念馆%d", i);
		struct site_draft s = {0};
		s.field[SITE_ID] = id;
		s.field[SITE_NAME_ZH] = name;
		s.category = (enum site_category)(i % CAT_COUNT);
		s.field[SITE_CATEGORY] = site_category_name(s.category);
		s.lat = urand(36.6, 37.0);
		s.lon = urand(117.9, 118.4);
		s.quality = i % 7 == 0 ? SITE_QUALITY_VILLAGE : SITE_QUALITY_SURVEYED;
		s.uncertainty_m = site_quality_default_m(s.quality);
		site_set_add(set, &s);
	}
	return set;
}

static bool same_answers(const struct cluster_tree *a, const struct cluster_tree *b)
{
	struct cluster_window world = {0, 0, UINT32_MAX, UINT32_MAX};
	struct cluster_items x = {0}, y = {0};
	bool same = true;
	for (int z = 0; z <= CLUSTER_ZOOM_LIMIT && same; z++) {
		cluster_query(a, z, &world, &x, NULL);
		cluster_query(b, z, &world, &y, NULL);
		same = x.n == y.n;
		for (size_t i = 0; same && i < x.n; i++)
			same = x.v[i].x == y.v[i].x && x.v[i].y == y.v[i].y && x.v[i].count == y.v[i].count &&
			       x.v[i].first == y.v[i].first && x.v[i].node == y.v[i].node &&
			       x.v[i].flags == y.v[i].flags;
	}
	cluster_items_free(&x);
	cluster_items_free(&y);
	return same;
}

/* Puts d in site i's place. */
static void put(struct site_set *set, size_t i, const struct site_draft *d)
{
	struct site changed = *site_set_add(set, d); /* appended, then moved to i */
	set->n--;
	set->v[i] = changed;
}

/* Gives site i of set the text t in field f. */
static void set_text(struct site_set *set, size_t i, enum site_field f, const char *t)
{
	struct site_draft d;
	site_draft_of(&set->v[i], &d);
	d.field[f] = t;
	put(set, i, &d);
}

/* make_set's sites again, from the seed the first set was made with. */
static struct site_set *same_set(void)
{
	rng_state = 0x9E3779B97F4A7C15ULL;
	return make_set();
}

/* A snapshot that follows another shares the spatial index and the
 * hierarchies when no site moved or changed flags, and builds them (only
 * the ones it must) otherwise; what it shares outlives the other. */
static void test_shared(const struct cluster_params *params, size_t np)
{
	struct ms_error err = {0};
	struct snapshot_opts o = {params, np, NULL, 0, NULL, NULL};
	struct snapshot *first = snapshot_new_with(same_set(), &o, &err);
	CHECK_MSG(first != NULL, "%s", err.msg);
	CHECK_INT(snapshot_parts_built(first), 5); /* three distinct sets, the index, the names */

	/* renamed: nothing is built, the names are patched */
	struct site_set *set = same_set();
	set_text(set, 17, SITE_NAME_ZH, "改名后的纪念馆");
	o.prev = first;
	struct snapshot *renamed = snapshot_new_with(set, &o, &err);
	CHECK_MSG(renamed != NULL, "%s", err.msg);
	CHECK_INT(snapshot_parts_built(renamed), 0);
	CHECK(sindex_shares(renamed->index, first->index));
	CHECK(snapshot_clusters(renamed, &params[0]) == snapshot_clusters(first, &params[0]));
	CHECK(snapshot_clusters(renamed, &params[3]) == snapshot_clusters(first, &params[3]));
	CHECK(renamed->version != first->version);
	CHECK_INT(ngram_query(snapshot_names(renamed), "改名后", NULL, NULL, NULL), 1);
	CHECK_INT(ngram_query(snapshot_names(first), "改名后", NULL, NULL, NULL), 0);

	/* moved by a hair, or made approximate: the spatial index and the
	 * hierarchies are patched, into what building them gives */
	set = same_set();
	set->v[N / 2].lat += 1e-9;
	set->v[N / 3].lon += 0.01;
	struct snapshot *moved = snapshot_new_with(set, &o, &err);
	CHECK_INT(snapshot_parts_built(moved), 0);
	CHECK(!sindex_shares(moved->index, first->index));
	CHECK(snapshot_clusters(moved, &params[0]) != snapshot_clusters(first, &params[0]));
	set = same_set();
	set->v[N / 2].lat += 1e-9;
	set->v[N / 3].lon += 0.01;
	struct snapshot *alone =
	    snapshot_new_with(set, &(struct snapshot_opts){params, np, NULL, 0, NULL, NULL}, &err);
	for (size_t k = 0; k < np; k++)
		CHECK(
		    same_answers(snapshot_clusters(moved, &params[k]), snapshot_clusters(alone, &params[k])));
	CHECK(!same_answers(snapshot_clusters(moved, &params[0]), snapshot_clusters(first, &params[0])));
	for (int q = 0; q < 40; q++) { /* the patched spatial index answers as the built one */
		double w = 117.5 + q * 0.02, so = 36.3 + (q % 7) * 0.05;
		CHECK_INT(sindex_bbox(moved->index, w, so, w + 0.3, so + 0.3, NULL, NULL),
		          sindex_bbox(alone->index, w, so, w + 0.3, so + 0.3, NULL, NULL));
		struct sindex_hit a[5], b[5];
		size_t na = sindex_nearest(moved->index, so, w, 5, INFINITY, NULL, NULL, a);
		size_t nb = sindex_nearest(alone->index, so, w, 5, INFINITY, NULL, NULL, b);
		bool same = na == nb;
		for (size_t k = 0; same && k < na; k++)
			same = a[k].i == b[k].i && a[k].dist_m == b[k].dist_m;
		CHECK(same);
	}
	struct sindex_hit hit;
	CHECK_INT(
	    sindex_nearest(moved->index, set->v[N / 3].lat, set->v[N / 3].lon, 1, INFINITY, NULL, NULL, &hit),
	    1);
	CHECK_INT(hit.i, N / 3); /* found where it moved to */
	snapshot_release(alone);
	set = same_set();
	{
		struct site_draft d; /* was surveyed: now approximate */
		site_draft_of(&set->v[1], &d);
		d.quality = SITE_QUALITY_TOWN;
		d.uncertainty_m = site_quality_default_m(SITE_QUALITY_TOWN);
		put(set, 1, &d);
	}
	struct snapshot *approx = snapshot_new_with(set, &o, &err);
	CHECK_INT(snapshot_parts_built(approx), 0);
	/* one site fewer */
	set = same_set();
	set->n--;
	struct snapshot *fewer = snapshot_new_with(set, &o, &err);
	CHECK_INT(snapshot_parts_built(fewer), 5);
	/* many renamed: the name index is built, and finds them */
	set = same_set();
	for (size_t i = 0; i < 1100; i++)
		set_text(set, i, SITE_NAME_EN, "Renamed Hall");
	struct snapshot *many = snapshot_new_with(set, &o, &err);
	CHECK_INT(snapshot_parts_built(many), 1);
	CHECK_INT(ngram_query(snapshot_names(many), "renamed hall", NULL, NULL, NULL), 1100);
	snapshot_release(many);

	/* a new parameter set beside an old one: only the new is built */
	struct cluster_params two[] = {params[0], {30, 0, 10}};
	struct snapshot_opts o2 = {two, 2, first, 0, NULL, NULL};
	struct snapshot *restyled = snapshot_new_with(same_set(), &o2, &err);
	CHECK_INT(snapshot_parts_built(restyled), 1);
	CHECK(snapshot_clusters(restyled, &two[0]) == snapshot_clusters(first, &two[0]));
	CHECK(snapshot_clusters(restyled, &two[1]) != NULL);

	/* what was shared lives on without the snapshot that built it */
	snapshot_release(first);
	const struct cluster_tree *kept = snapshot_clusters(renamed, &params[0]);
	struct cluster_window world = {0, 0, UINT32_MAX, UINT32_MAX};
	struct cluster_items all = {0};
	cluster_query(kept, 0, &world, &all, NULL);
	CHECK(all.n > 0);
	size_t total = 0;
	for (size_t i = 0; i < all.n; i++)
		total += all.v[i].count;
	CHECK_INT(total, N);
	CHECK_INT(sindex_bbox(renamed->index, -180, -90, 180, 90, NULL, NULL), N);
	/* and reads the positions of the snapshot that took it (ASan: not
	 * those of the one released) */
	size_t inside = 0;
	for (size_t i = 0; i < renamed->n; i++)
		inside += renamed->sites[i].lon >= 117.9 && renamed->sites[i].lon <= 118.0 &&
		          renamed->sites[i].lat >= 36.6 && renamed->sites[i].lat <= 36.7;
	CHECK(inside > 0 && inside < renamed->n);
	CHECK_INT(sindex_bbox(renamed->index, 117.9, 36.6, 118.0, 36.7, NULL, NULL), inside);
	struct sindex_hit near[3];
	CHECK_INT(sindex_nearest(renamed->index, 36.65, 117.95, 3, INFINITY, NULL, NULL, near), 3);
	for (size_t i = 0; i < 3; i++) {
		double d;
		geo_inverse(36.65, 117.95, renamed->sites[near[i].i].lat, renamed->sites[near[i].i].lon, &d,
		            NULL);
		CHECK_NEAR(near[i].dist_m, d, 1e-9);
	}
	cluster_items_free(&all);
	snapshot_release(renamed);
	snapshot_release(moved);
	snapshot_release(approx);
	snapshot_release(fewer);
	snapshot_release(restyled);
}

/* A name index built after the snapshot: the snapshot serves at once
 * (names NULL until it is ready, then the same index as one built with
 * the snapshot), one that follows it waits for it to patch it, and one
 * released at once joins the build first (ASan: its thread reads no
 * freed sites). */
static void test_names_later(const struct cluster_params *params, size_t np)
{
	struct ms_error err = {0};
	struct snapshot_opts now = {params, np, NULL, 0, NULL, NULL},
	                     later = {params, np, NULL, 1, NULL, NULL};
	struct snapshot *a = snapshot_new_with(same_set(), &now, &err);
	struct snapshot *b = snapshot_new_with(same_set(), &later, &err);
	CHECK_MSG(a && b, "%s", err.msg);
	if (!a || !b)
		return;
	CHECK_INT(snapshot_parts_built(b), snapshot_parts_built(a));
	CHECK(snapshot_names_wait(b) != NULL);
	CHECK(snapshot_names(b) == snapshot_names_wait(b));
	CHECK_INT(ngram_size(snapshot_names(b)), N);
	CHECK_INT(ngram_memory(snapshot_names(b)), ngram_memory(snapshot_names(a)));
	static const char *const qs[] = {"纪念", "馆", "hall", "m", "烈士陵园", "Memorial Hall"};
	for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++)
		CHECK_INT(ngram_query(snapshot_names(b), qs[k], NULL, NULL, NULL),
		          ngram_query(snapshot_names(a), qs[k], NULL, NULL, NULL));

	/* a rename right after: prev's index is waited for, then patched */
	struct snapshot *c = snapshot_new_with(same_set(), &later, &err);
	struct site_set *set = same_set();
	set_text(set, 5, SITE_NAME_ZH, "后来改名的纪念馆");
	later.prev = c;
	struct snapshot *d = snapshot_new_with(set, &later, &err);
	CHECK(c && d);
	if (d) {
		CHECK_INT(snapshot_parts_built(d), 0);
		CHECK(d->later_ == NULL);
		CHECK_INT(ngram_query(snapshot_names(d), "后来改名", NULL, NULL, NULL), 1);
	}
	snapshot_release(d);
	snapshot_release(c);
	/* released while its index may still be building */
	later.prev = NULL;
	snapshot_release(snapshot_new_with(same_set(), &later, &err));
	/* below the threshold: built with the snapshot */
	later.names_later = N + 1;
	struct snapshot *e = snapshot_new_with(same_set(), &later, &err);
	CHECK(e && e->later_ == NULL && snapshot_names(e) != NULL);
	snapshot_release(e);
	snapshot_release(a);
	snapshot_release(b);
}

/* What a database keeps (snapshot_blocks), as snapshot_opts.read_kept
 * reads it: a copy of the block under p's key; damage flips a byte of
 * the first block read. */
struct kept {
	struct store_block *v;
	size_t n;
	bool damage;
	size_t reads;
};

static enum ms_status read_kept(void *arg, const struct cluster_params *p, void **block, size_t *len)
{
	struct kept *k = arg;
	char key[CLUSTER_KEY_MAX];
	cluster_params_key(p, key);
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->v[i].key, key)) {
			*block = malloc(k->v[i].len);
			memcpy(*block, k->v[i].data, k->v[i].len);
			*len = k->v[i].len;
			if (k->damage && k->reads == 0)
				((unsigned char *)*block)[*len / 2] ^= 1;
			k->reads++;
			return MS_OK;
		}
	return MS_ENOTFOUND;
}

/* Hierarchies kept with the data are read rather than built, when they
 * are of the snapshot's sites, and answer as built ones; blocks of other
 * data, or damaged, are built instead; a read hierarchy is never
 * patched: a snapshot that follows one reads its own data's blocks, or
 * builds.  (One build thread reads at a time here: reads counts.) */
static void test_kept(const struct cluster_params *params, size_t np)
{
	struct ms_error err = {0};
	struct kept k = {0};
	struct site_set *from = same_set(); /* snapshot_blocks borrows it */
	CHECK(snapshot_blocks(from, params, np, &k.v, &k.n, &err) == MS_OK);
	site_set_free(from);
	CHECK_INT(k.n, 3); /* three distinct sets */
	struct snapshot_opts o = {params, np, NULL, 0, read_kept, &k};
	struct snapshot *read = snapshot_new_with(same_set(), &o, &err);
	struct snapshot *built =
	    snapshot_new_with(same_set(), &(struct snapshot_opts){params, np, NULL, 0, NULL, NULL}, &err);
	CHECK(read && built);
	if (!read || !built)
		return;
	CHECK_INT(snapshot_clusters_read(read), 3);
	CHECK_INT(snapshot_parts_built(read), 2); /* the index, the names */
	CHECK_INT(snapshot_clusters_read(built), 0);
	CHECK(read->version == built->version);
	for (size_t i = 0; i < np; i++)
		CHECK(
		    same_answers(snapshot_clusters(read, &params[i]), snapshot_clusters(built, &params[i])));

	/* other data: one site renamed; and one block damaged */
	struct site_set *set = same_set();
	set_text(set, 17, SITE_NAME_ZH, "改名后的纪念馆");
	struct snapshot *stale = snapshot_new_with(set, &o, &err);
	CHECK(stale && snapshot_clusters_read(stale) == 0 && snapshot_parts_built(stale) == 5);
	k.damage = true;
	k.reads = 0;
	struct snapshot *damaged = snapshot_new_with(same_set(), &o, &err);
	k.damage = false;
	CHECK(damaged && snapshot_clusters_read(damaged) == 2 && snapshot_parts_built(damaged) == 3);
	for (size_t i = 0; damaged && i < np; i++)
		CHECK(same_answers(snapshot_clusters(damaged, &params[i]),
		                   snapshot_clusters(built, &params[i])));

	/* after a read one, a site moved: no patch of it; the new data's
	 * blocks are read, and without them the hierarchies are built */
	struct kept k2 = {0};
	set = same_set();
	set->v[N / 3].lon += 0.01;
	CHECK(snapshot_blocks(set, params, np, &k2.v, &k2.n, &err) == MS_OK);
	site_set_free(set);
	set = same_set();
	set->v[N / 3].lon += 0.01;
	o.prev = read;
	o.kept_arg = &k2;
	struct snapshot *moved = snapshot_new_with(set, &o, &err);
	CHECK(moved && snapshot_clusters_read(moved) == 3 && snapshot_parts_built(moved) == 0);
	set = same_set();
	set->v[N / 3].lon += 0.01;
	o.read_kept = NULL;
	struct snapshot *rebuilt = snapshot_new_with(set, &o, &err);
	CHECK(rebuilt && snapshot_clusters_read(rebuilt) == 0 && snapshot_parts_built(rebuilt) == 3);
	for (size_t i = 0; moved && rebuilt && i < np; i++)
		CHECK(same_answers(snapshot_clusters(moved, &params[i]),
		                   snapshot_clusters(rebuilt, &params[i])));
	/* and a patched one is patched still when the blocks are stale */
	set = same_set();
	set->v[N / 3].lon += 0.02;
	o.prev = rebuilt;
	o.read_kept = read_kept;
	struct snapshot *again = snapshot_new_with(set, &o, &err);
	CHECK(again && snapshot_clusters_read(again) == 0 && snapshot_parts_built(again) == 0);
	snapshot_release(again);
	snapshot_release(moved);
	snapshot_release(rebuilt);
	snapshot_release(stale);
	snapshot_release(damaged);
	snapshot_release(read);
	snapshot_release(built);
	snapshot_blocks_free(k.v, k.n);
	snapshot_blocks_free(k2.v, k2.n);
}

int main(void)
{
	struct ms_error err = {0};
	static const struct cluster_params params[] = {
	    {24, 0, 11}, {28, 0, 9}, {24.001, 0, 11}, {40, 0, -1}, {50, 0, -1}};
	struct snapshot_opts o = {params, sizeof params / sizeof params[0], NULL, 0, NULL, NULL};
	struct snapshot *plain = snapshot_new(make_set(), &err);
	rng_state = 0x9E3779B97F4A7C15ULL;
	struct snapshot *s = snapshot_new_with(make_set(), &o, &err);
	CHECK(plain && s);
	if (!plain || !s)
		return CHECK_DONE();

	/* the same snapshot otherwise: sites, version, index */
	CHECK_INT(s->n, N);
	CHECK(s->version == plain->version);
	CHECK_INT(sindex_bbox(s->index, 117.9, 36.6, 118.0, 36.7, NULL, NULL),
	          sindex_bbox(plain->index, 117.9, 36.6, 118.0, 36.7, NULL, NULL));
	CHECK_INT(ngram_size(snapshot_names(s)), N);
	CHECK(snapshot_clusters(plain, &params[0]) == NULL);

	/* one hierarchy per distinct set: 24 px and 24.001 px round alike,
	 * and styles without clusters share one whatever their radius */
	const struct cluster_tree *a = snapshot_clusters(s, &params[0]);
	CHECK(a && a == snapshot_clusters(s, &params[2]));
	CHECK(snapshot_clusters(s, &params[1]) && snapshot_clusters(s, &params[1]) != a);
	CHECK(snapshot_clusters(s, &params[3]) &&
	      snapshot_clusters(s, &params[3]) == snapshot_clusters(s, &params[4]));
	struct cluster_params other = {24, 0, 12};
	CHECK(snapshot_clusters(s, &other) == NULL);

	/* each the very hierarchy cluster_build makes of the sorted sites */
	double *lat = malloc(N * sizeof *lat), *lon = malloc(N * sizeof *lon);
	uint8_t *flags = malloc(N);
	size_t approximate = 0;
	for (size_t i = 0; i < N; i++) {
		lat[i] = s->sites[i].lat;
		lon[i] = s->sites[i].lon;
		flags[i] = snapshot_site_flags(&s->sites[i]);
		CHECK_INT(flags[i] & SNAPSHOT_FLAG_CATEGORY, s->sites[i].category);
		approximate += (flags[i] & SNAPSHOT_FLAG_APPROXIMATE) != 0;
	}
	CHECK_INT(approximate, (N + 6) / 7);
	size_t bytes = 0;
	for (int k = 0; k < 5; k += 1) {
		if (k == 2 || k == 4)
			continue; /* shared with another */
		struct cluster_tree *t = cluster_build(lat, lon, flags, N, &params[k], &err);
		CHECK(t && same_answers(t, snapshot_clusters(s, &params[k])));
		bytes += cluster_memory(t);
		cluster_free(t);
	}
	CHECK_INT(snapshot_clusters_memory(s), bytes);
	CHECK_INT(snapshot_clusters_memory(plain), 0);
	free(lat);
	free(lon);
	free(flags);

	/* a bad parameter set fails the whole snapshot, with the reason */
	static const struct cluster_params bad[] = {{0, 0, 11}};
	struct snapshot_opts ob = {bad, 1, NULL, 0, NULL, NULL};
	CHECK(snapshot_new_with(make_set(), &ob, &err) == NULL);
	CHECK_INT(err.status, MS_EUSAGE);
	CHECK(strstr(err.msg, "radius") != NULL);
	/* so do more distinct sets than a snapshot holds */
	struct cluster_params many[SNAPSHOT_MAX_CLUSTERS + 1];
	for (int k = 0; k <= SNAPSHOT_MAX_CLUSTERS; k++)
		many[k] = (struct cluster_params){10 + k, 0, 5};
	struct snapshot_opts om = {many, SNAPSHOT_MAX_CLUSTERS + 1, NULL, 0, NULL, NULL};
	CHECK(snapshot_new_with(make_set(), &om, &err) == NULL);
	CHECK(strstr(err.msg, "distinct") != NULL);
	om.nclusters = SNAPSHOT_MAX_CLUSTERS;
	struct snapshot *full = snapshot_new_with(make_set(), &om, &err);
	CHECK(full && snapshot_clusters(full, &many[SNAPSHOT_MAX_CLUSTERS - 1]));
	snapshot_release(full);

	snapshot_release(plain);
	snapshot_release(s);
	test_shared(params, sizeof params / sizeof params[0]);
	test_names_later(params, sizeof params / sizeof params[0]);
	test_kept(params, sizeof params / sizeof params[0]);
	return CHECK_DONE();
}

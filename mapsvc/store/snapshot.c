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

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../util/mem.h"
#include "store.h"

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

struct snapshot *snapshot_new(struct site_set *set, struct ms_error *err)
{
	site_set_sort_by_id(set);
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
		site_set_free(set);
		return NULL;
	}
	s->sites = set->v;
	s->n = set->n;
	s->index = ix;
	s->names = names;
	s->version = content_hash(set);
	s->set_ = set;
	ms_ref_init(&s->refs_);
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
	site_set_free(s->set_);
	free(s);
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

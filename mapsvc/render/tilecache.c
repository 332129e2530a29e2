/*
 * tilecache.c - sharded byte-bounded LRU with single-flight; see
 * tilecache.h.
 *
 * An entry is PENDING while one thread renders it: it sits in its shard's
 * hash table (so others find it and wait) but not in the LRU list (so it
 * cannot be evicted half-made).  Waiters pin the entry, which keeps its
 * memory alive even if it is evicted or fails before they wake; the last
 * of "unlinked" and "unpinned" frees it.
 */
#include "tilecache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../util/mem.h"

#define NSHARDS 16
#define SHARD_OF(h) ((size_t)((h) >> 60) & (NSHARDS - 1))

/* --------------------------------------------------------------- blobs */

struct tcache_blob *tcache_blob_adopt(struct buf *b)
{
	struct tcache_blob *t = xcalloc(1, sizeof *t);
	size_t len = 0;
	char *d = buf_detach(b, &len);
	t->data = (const uint8_t *)d;
	t->len = len;
	t->owned_ = true;
	ms_ref_init(&t->refs_);
	atomic_init(&t->aux_, NULL);
	return t;
}

struct tcache_blob *tcache_blob_wrap(const void *data, size_t len, bool empty)
{
	struct tcache_blob *t = xcalloc(1, sizeof *t);
	t->data = data;
	t->len = len;
	t->empty = empty;
	ms_ref_init(&t->refs_);
	atomic_init(&t->aux_, NULL);
	return t;
}

struct tcache_blob *tcache_blob_retain(struct tcache_blob *b)
{
	ms_ref_get(&b->refs_);
	return b;
}

void tcache_blob_release(struct tcache_blob *b)
{
	if (!b || !ms_ref_put(&b->refs_))
		return;
	void *aux = atomic_load_explicit(&b->aux_, memory_order_acquire);
	if (aux && b->aux_free_)
		b->aux_free_(aux);
	if (b->owned_)
		free((void *)b->data);
	free(b);
}

void *tcache_blob_attach(struct tcache_blob *b, void *aux, void (*free_fn)(void *))
{
	void *expected = NULL;
	if (atomic_compare_exchange_strong_explicit(&b->aux_, &expected, aux, memory_order_acq_rel,
	                                            memory_order_acquire)) {
		/* Only the winner writes free_fn; it is read when the last
		 * reference goes, which the attaching thread's own release
		 * (ms_ref_put, acq_rel) orders after this store. */
		b->aux_free_ = free_fn;
		return aux;
	}
	if (free_fn)
		free_fn(aux);
	return expected;
}

void *tcache_blob_aux(const struct tcache_blob *b)
{
	return atomic_load_explicit(&((struct tcache_blob *)b)->aux_, memory_order_acquire);
}

/* --------------------------------------------------------------- cache */

enum { PENDING, READY, FAILED };

struct entry {
	struct tcache_key key;
	uint64_t hash;
	struct entry *hnext;       /* hash chain */
	struct entry *prev, *next; /* LRU, most recent first; READY only */
	struct tcache_blob *blob;  /* the cache's reference, READY only */
	int state;
	int pins;
	bool linked; /* in the hash table */
	size_t cost;
	struct ms_error *fail; /* FAILED: what went wrong, for waiters */
};

struct shard {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct entry **buckets;
	size_t nbuckets, nentries;
	struct entry *head, *tail;
	size_t bytes, max;
	uint64_t hits, misses, waits, evictions, failures;
};

struct tcache {
	struct shard shards[NSHARDS];
	size_t max_bytes;
};

static uint64_t key_hash(const struct tcache_key *k)
{
	uint8_t b[35];
	memcpy(b, &k->data_version, 8);
	memcpy(b + 8, &k->style_version, 8);
	memcpy(b + 16, &k->x, 4);
	memcpy(b + 20, &k->y, 4);
	b[24] = k->z;
	b[25] = k->scale;
	b[26] = k->coordsys;
	memcpy(b + 27, &k->filter, 8);
	return XXH3_64bits(b, sizeof b);
}

static bool key_eq(const struct tcache_key *a, const struct tcache_key *b)
{
	return a->data_version == b->data_version && a->style_version == b->style_version && a->x == b->x &&
	       a->y == b->y && a->z == b->z && a->scale == b->scale && a->coordsys == b->coordsys &&
	       a->filter == b->filter;
}

struct tcache *tcache_new(size_t max_bytes)
{
	struct tcache *c = xcalloc(1, sizeof *c);
	c->max_bytes = max_bytes;
	for (int i = 0; i < NSHARDS; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_init(&s->mu, NULL);
		pthread_cond_init(&s->cv, NULL);
		s->nbuckets = 64;
		s->buckets = xcalloc(s->nbuckets, sizeof *s->buckets);
		s->max = max_bytes / NSHARDS;
	}
	return c;
}

static void entry_free(struct entry *e)
{
	tcache_blob_release(e->blob);
	free(e->fail);
	free(e);
}

void tcache_free(struct tcache *c)
{
	if (!c)
		return;
	for (int i = 0; i < NSHARDS; i++) {
		struct shard *s = &c->shards[i];
		for (size_t b = 0; b < s->nbuckets; b++)
			for (struct entry *e = s->buckets[b], *n; e; e = n) {
				n = e->hnext;
				entry_free(e);
			}
		free(s->buckets);
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
	}
	free(c);
}

static struct entry *find(struct shard *s, const struct tcache_key *k, uint64_t h)
{
	for (struct entry *e = s->buckets[h & (s->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && key_eq(&e->key, k))
			return e;
	return NULL;
}

static void hash_insert(struct shard *s, struct entry *e)
{
	if (s->nentries + 1 > s->nbuckets) {
		size_t nb = s->nbuckets * 2;
		struct entry **b = xcalloc(nb, sizeof *b);
		for (size_t i = 0; i < s->nbuckets; i++)
			for (struct entry *x = s->buckets[i], *n; x; x = n) {
				n = x->hnext;
				x->hnext = b[x->hash & (nb - 1)];
				b[x->hash & (nb - 1)] = x;
			}
		free(s->buckets);
		s->buckets = b;
		s->nbuckets = nb;
	}
	struct entry **slot = &s->buckets[e->hash & (s->nbuckets - 1)];
	e->hnext = *slot;
	*slot = e;
	e->linked = true;
	s->nentries++;
}

static void hash_remove(struct shard *s, struct entry *e)
{
	for (struct entry **p = &s->buckets[e->hash & (s->nbuckets - 1)]; *p; p = &(*p)->hnext)
		if (*p == e) {
			*p = e->hnext;
			e->linked = false;
			s->nentries--;
			return;
		}
}

static void lru_unlink(struct shard *s, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(struct shard *s, struct entry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	s->head = e;
	if (!s->tail)
		s->tail = e;
}

/* Drops least recently used READY entries until the shard fits. */
static void evict(struct shard *s)
{
	while (s->bytes > s->max && s->tail) {
		struct entry *e = s->tail;
		lru_unlink(s, e);
		hash_remove(s, e);
		s->bytes -= e->cost;
		s->evictions++;
		if (!e->pins)
			entry_free(e);
	}
}

static enum ms_status copy_failure(const struct entry *e, struct ms_error *err)
{
	if (err && e->fail)
		*err = *e->fail;
	return e->fail ? e->fail->status : MS_EINTERNAL;
}

enum ms_status tcache_get(struct tcache *c, const struct tcache_key *k, tcache_fill_fn fill, void *arg,
                          struct tcache_blob **out, bool *hit, struct ms_error *err)
{
	uint64_t h = key_hash(k);
	struct shard *s = &c->shards[SHARD_OF(h)];
	*out = NULL;
	if (hit)
		*hit = false;

	pthread_mutex_lock(&s->mu);
	struct entry *e = find(s, k, h);
	if (e && e->state == READY) {
		if (s->head != e) {
			lru_unlink(s, e);
			lru_push_front(s, e);
		}
		*out = tcache_blob_retain(e->blob);
		s->hits++;
		pthread_mutex_unlock(&s->mu);
		if (hit)
			*hit = true;
		return MS_OK;
	}
	if (e) { /* PENDING: someone is rendering it; wait for the result */
		s->waits++;
		e->pins++;
		while (e->state == PENDING)
			pthread_cond_wait(&s->cv, &s->mu);
		e->pins--;
		enum ms_status st = MS_OK;
		if (e->state == READY)
			*out = tcache_blob_retain(e->blob);
		else
			st = copy_failure(e, err);
		if (!e->linked && !e->pins)
			entry_free(e);
		pthread_mutex_unlock(&s->mu);
		return st;
	}

	s->misses++;
	e = xcalloc(1, sizeof *e);
	e->key = *k;
	e->hash = h;
	e->state = PENDING;
	e->pins = 1;
	hash_insert(s, e);
	pthread_mutex_unlock(&s->mu);

	struct tcache_blob *blob = NULL;
	struct ms_error local;
	struct ms_error *ep = err ? err : &local;
	enum ms_status st = fill(arg, &blob, ep);
	if (st == MS_OK && !blob)
		st = ms_fail(ep, MS_EINTERNAL, "tile cache: fill gave no bytes");

	pthread_mutex_lock(&s->mu);
	e->pins--;
	if (st == MS_OK) {
		e->blob = blob;
		e->state = READY;
		/* A blob that does not own its bytes (the shared empty tile)
		 * costs only its bookkeeping. */
		e->cost = sizeof *e + sizeof *blob + (blob->owned_ ? blob->len : 0);
		s->bytes += e->cost;
		lru_push_front(s, e);
		*out = tcache_blob_retain(blob);
		evict(s);
	} else {
		tcache_blob_release(blob);
		e->state = FAILED;
		e->fail = xmalloc(sizeof *e->fail);
		*e->fail = *ep;
		s->failures++;
		hash_remove(s, e);
		if (!e->pins)
			entry_free(e);
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return st;
}

void tcache_stats(struct tcache *c, struct tcache_stats *st)
{
	memset(st, 0, sizeof *st);
	st->max_bytes = c->max_bytes;
	for (int i = 0; i < NSHARDS; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_lock(&s->mu);
		st->hits += s->hits;
		st->misses += s->misses;
		st->waits += s->waits;
		st->evictions += s->evictions;
		st->failures += s->failures;
		st->bytes += s->bytes;
		st->entries += s->nentries;
		pthread_mutex_unlock(&s->mu);
	}
}

/*
 * tilecache.h - the in-memory tile cache: encoded tiles kept in an LRU
 * bounded in bytes, with single-flight filling.
 *
 * Keys are the whole address of a tile's bytes (data and style versions,
 * z/x/y, scale, coordsys, filter), so a data reload or a style change never
 * serves stale bytes: old keys simply age out.  When several threads ask for the
 * same uncached tile at once, one renders it and the others wait on a
 * condition variable for its bytes (single-flight), so a burst of map
 * clients opening the same view costs one render per tile.
 *
 * Thread-safe.  The cache is split into shards by key hash, each with its
 * own mutex and LRU list, so lookups of different tiles rarely contend.
 * Values are reference-counted blobs: a caller holding one may keep using
 * its bytes after the cache evicts it (an HTTP response in flight).
 */
#ifndef MS_TILECACHE_H
#define MS_TILECACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/buf.h"
#include "../util/ms_error.h"
#include "../util/refcount.h"

/* Encoded bytes shared by reference.  data/len are immutable. */
struct tcache_blob {
	const uint8_t *data;
	size_t len;
	bool empty; /* the shared empty tile's bytes (not owned) */
	/* private */
	struct ms_ref refs_;
	bool owned_;
	_Atomic(void *) aux_;
	void (*aux_free_)(void *);
};

/* A blob owning the bytes of b (b is left empty). */
struct tcache_blob *tcache_blob_adopt(struct buf *b);
/* A blob pointing at bytes that outlive it (the shared empty PNG); not
 * copied, not freed. */
struct tcache_blob *tcache_blob_wrap(const void *data, size_t len, bool empty);
struct tcache_blob *tcache_blob_retain(struct tcache_blob *b);
void tcache_blob_release(struct tcache_blob *b);
/* One caller-defined object riding along with the blob, freed with it by
 * free_fn (e.g. an HTTP response prebuilt over the bytes).  The first
 * attach wins: if one is already there, aux is freed and the existing one
 * returned.  Each cache entry has its own blob, so aux may depend on the
 * tile's address.  NULL when none. */
void *tcache_blob_attach(struct tcache_blob *b, void *aux, void (*free_fn)(void *));
void *tcache_blob_aux(const struct tcache_blob *b);

struct tcache_key {
	uint64_t data_version;  /* snapshot version */
	uint64_t style_version; /* style file hash */
	uint32_t x, y;
	uint8_t z, scale, coordsys;
	uint64_t filter; /* a hash of the filter's canonical text; 0 for none */
};

/* Renders the tile of a key: *out gets a new blob (one reference, handed
 * over to the cache) or the function fails. */
typedef enum ms_status (*tcache_fill_fn)(void *arg, struct tcache_blob **out, struct ms_error *err);

struct tcache;

/* max_bytes bounds the bytes of tiles plus bookkeeping; 0 keeps nothing
 * (single-flight still applies to concurrent requests). */
struct tcache *tcache_new(size_t max_bytes);
/* No other thread may be using it. */
void tcache_free(struct tcache *c);

/* The blob of key k (a reference for the caller: tcache_blob_release it),
 * calling fill(arg) when it is not cached and nobody is rendering it yet;
 * if another thread is, waits for its result.  *hit (may be NULL) says
 * whether the bytes were already cached.  A failed fill is reported to the
 * caller that ran it and to those waiting for it, and is not cached. */
enum ms_status tcache_get(struct tcache *c, const struct tcache_key *k, tcache_fill_fn fill, void *arg,
                          struct tcache_blob **out, bool *hit, struct ms_error *err);

struct tcache_stats {
	uint64_t hits, misses, waits, evictions, failures;
	size_t bytes, entries, max_bytes;
};
void tcache_stats(struct tcache *c, struct tcache_stats *st);

#endif

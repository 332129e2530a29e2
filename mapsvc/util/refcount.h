/*
 * refcount.h - the one reference count of mapsvc, for objects that many
 * threads share and the last one frees (the snapshot, the tile map, tile
 * blobs).
 *
 * The memory orders, said once here:
 *   - ms_ref_get is relaxed.  A thread can only take a new reference
 *     through one it (or the thread that handed it over) already holds,
 *     and handing a pointer to another thread already needs its own
 *     synchronisation (a mutex, a queue, an atomic swap); the count
 *     itself orders nothing.
 *   - ms_ref_put is acq_rel.  The release half makes every use of the
 *     object by this thread happen before the decrement; the acquire half
 *     makes the thread that drops the last reference see all those uses
 *     of the others before it frees.  (The alternative, a release
 *     decrement and an acquire fence only on the last put, is the same
 *     guarantee; one acq_rel keeps it in one line, and ThreadSanitizer
 *     understands it without fences.)
 *
 * The count lives inside the object it counts and owns nothing; the
 * operations are atomic, so any thread may get or put.
 */
#ifndef MS_REFCOUNT_H
#define MS_REFCOUNT_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>

struct ms_ref {
	atomic_int n;
};

/* One reference, the creator's.  Before the object is shared. */
static inline void ms_ref_init(struct ms_ref *r)
{
	atomic_init(&r->n, 1);
}

/* One more reference; the caller already holds one. */
static inline void ms_ref_get(struct ms_ref *r)
{
	int was = atomic_fetch_add_explicit(&r->n, 1, memory_order_relaxed);
	assert(was > 0); /* a get after the last put is a use after free */
	(void)was;
}

/* Drops one reference; true when it was the last, and the caller must then
 * free the object (nobody else can reach it any more). */
static inline bool ms_ref_put(struct ms_ref *r)
{
	int was = atomic_fetch_sub_explicit(&r->n, 1, memory_order_acq_rel);
	assert(was > 0); /* more puts than gets */
	return was == 1;
}

/* The count now, for tests and diagnostics only: another thread may change
 * it the moment after. */
static inline int ms_ref_count(const struct ms_ref *r)
{
	return atomic_load_explicit(&((struct ms_ref *)r)->n, memory_order_relaxed);
}

#endif

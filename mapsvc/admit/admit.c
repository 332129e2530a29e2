/*
 * admit.c - the connection table and per-client quotas of admit.h.
 *
 * Slots are indexed by descriptor (the kernel hands out the lowest free
 * number, so a table the size of the descriptor limit is dense).  A slot
 * waiting for a request head sits in one of two intrusive lists, in the
 * order its wait began: L_WAIT for a first head (PENDING, HANDOFF,
 * WAITING), L_IDLE for a later one (IDLE).  Every wait in a list has the
 * same timeout, so the list is also in deadline order: a sweep stops at
 * the first slot not yet due, and the eviction victim is a list's head.
 * Time only moves forward (the caller's clock is monotonic), so appending
 * at the tail keeps the order.  HANDOFF slots are skipped, never closed:
 * their descriptor is in the middle of changing owner.
 *
 * Clients are counted in an open-addressing hash table (linear probing,
 * deletion by backward shift, so no tombstones build up) sized to twice
 * the most keys it can hold, so it is never full and probes stay short.
 */
#include "admit.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

/* Eviction begins when this fraction of max_conns is open: 1/8 below it. */
#define HIGH_WATER_SHIFT 3
#define NONE (-1)

/* --- client counts ---------------------------------------------------- */

struct centry {
	struct netaddr key;
	unsigned count; /* 0: the entry is empty */
};

struct ctable {
	size_t mask; /* capacity - 1, capacity a power of two */
	struct centry *v;
};

static void ct_init(struct ctable *t, size_t max_keys)
{
	size_t cap = 8;
	while (cap < 2 * max_keys)
		cap *= 2;
	t->mask = cap - 1;
	t->v = xcalloc(cap, sizeof *t->v);
}

/* The entry of key, or the empty one where it would go. */
static struct centry *ct_slot(const struct ctable *t, const struct netaddr *key)
{
	size_t i = (size_t)netaddr_hash(key) & t->mask;
	while (t->v[i].count && !netaddr_equal(&t->v[i].key, key))
		i = (i + 1) & t->mask;
	return &t->v[i];
}

static unsigned ct_get(const struct ctable *t, const struct netaddr *key)
{
	return ct_slot(t, key)->count;
}

static void ct_inc(struct ctable *t, const struct netaddr *key)
{
	struct centry *e = ct_slot(t, key);
	e->key = *key;
	e->count++;
}

static void ct_dec(struct ctable *t, const struct netaddr *key)
{
	struct centry *e = ct_slot(t, key);
	assert(e->count > 0);
	if (!e->count || --e->count)
		return;
	/* Backward shift (Knuth 6.4, algorithm R): move later entries of the
	 * probe run into the hole unless they sit at or after their home. */
	size_t hole = (size_t)(e - t->v), j = hole;
	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->v[j].count)
			break;
		size_t home = (size_t)netaddr_hash(&t->v[j].key) & t->mask;
		bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
		if (stays)
			continue;
		t->v[hole] = t->v[j];
		t->v[j].count = 0;
		hole = j;
	}
}

/* --- the connection table --------------------------------------------- */

enum list_id { L_WAIT, L_IDLE, NLISTS };

struct slot {
	uint8_t state; /* enum admit_state */
	bool exempt;
	int32_t prev, next; /* in the list of its state, if any */
	uint64_t since;     /* when its wait for a request head began */
	struct netaddr key;
};

struct admit {
	pthread_mutex_t lock;
	struct admit_limits lim;
	unsigned high_water;
	size_t capacity;
	struct slot *slot;
	struct {
		int32_t head, tail;
	} list[NLISTS];
	struct ctable clients;
	size_t closing; /* slots in ADMIT_CLOSING: open, but already on their way out */
	struct admit_stats st;
};

/* The list a state's slots are kept in, or -1. */
static int list_of(enum admit_state s)
{
	switch (s) {
	case ADMIT_PENDING:
	case ADMIT_HANDOFF:
	case ADMIT_WAITING: return L_WAIT;
	case ADMIT_IDLE: return L_IDLE;
	default: return -1;
	}
}

static void unlink_slot(struct admit *a, int fd)
{
	struct slot *s = &a->slot[fd];
	int l = list_of(s->state);
	if (l < 0)
		return;
	if (s->prev != NONE)
		a->slot[s->prev].next = s->next;
	else
		a->list[l].head = s->next;
	if (s->next != NONE)
		a->slot[s->next].prev = s->prev;
	else
		a->list[l].tail = s->prev;
	s->prev = s->next = NONE;
}

static void append_slot(struct admit *a, int fd)
{
	struct slot *s = &a->slot[fd];
	int l = list_of(s->state);
	if (l < 0)
		return;
	s->prev = a->list[l].tail;
	s->next = NONE;
	if (s->prev != NONE)
		a->slot[s->prev].next = fd;
	else
		a->list[l].head = fd;
	a->list[l].tail = fd;
}

/* Moves fd to state st, keeping the per-state counts. */
static void set_state(struct admit *a, int fd, enum admit_state st)
{
	a->st.by_state[a->slot[fd].state]--;
	a->slot[fd].state = (uint8_t)st;
	a->st.by_state[st]++;
}

struct admit *admit_new(const struct admit_limits *lim, size_t capacity)
{
	assert(lim->max_conns >= 1 && lim->head_timeout_ms >= 1);
	struct admit *a = xcalloc(1, sizeof *a);
	pthread_mutex_init(&a->lock, NULL);
	a->lim = *lim;
	a->high_water = lim->max_conns - (lim->max_conns >> HIGH_WATER_SHIFT);
	a->capacity = capacity;
	a->slot = xcalloc(capacity ? capacity : 1, sizeof *a->slot);
	for (size_t i = 0; i < capacity; i++)
		a->slot[i].prev = a->slot[i].next = NONE;
	for (int l = 0; l < NLISTS; l++)
		a->list[l].head = a->list[l].tail = NONE;
	a->st.by_state[ADMIT_FREE] = capacity;
	ct_init(&a->clients, capacity);
	return a;
}

void admit_free(struct admit *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->lock);
	free(a->slot);
	free(a->clients.v);
	free(a);
}

/* Forgets the slot of fd (held, any state). */
static void release(struct admit *a, int fd)
{
	struct slot *s = &a->slot[fd];
	unlink_slot(a, fd);
	if (s->state == ADMIT_CLOSING)
		a->closing--;
	if (!s->exempt)
		ct_dec(&a->clients, &s->key);
	set_state(a, fd, ADMIT_FREE);
	a->st.open--;
}

/* Marks fd closing and has its owner told, through close_fn. */
static void close_slot(struct admit *a, int fd, enum admit_reason why, admit_close_fn close_fn, void *arg)
{
	unlink_slot(a, fd);
	set_state(a, fd, ADMIT_CLOSING);
	a->closing++;
	close_fn(fd, why, arg);
}

/* The connection to close to make room, or NONE: the one idle longest,
 * else the one that has waited longest for its first head, if long enough. */
static int victim(const struct admit *a, uint64_t now)
{
	if (a->list[L_IDLE].head != NONE)
		return a->list[L_IDLE].head;
	for (int fd = a->list[L_WAIT].head; fd != NONE; fd = a->slot[fd].next) {
		if (now - a->slot[fd].since < ADMIT_EVICT_MIN_AGE_MS)
			return NONE; /* the rest waited less */
		if (a->slot[fd].state != ADMIT_HANDOFF)
			return fd;
	}
	return NONE;
}

enum admit_verdict admit_open(struct admit *a, int fd, const struct netaddr *client, bool exempt,
                              uint64_t now_ms, admit_close_fn close_fn, void *arg)
{
	enum admit_verdict v = ADMIT_OK;
	struct netaddr key = netaddr_client_key(client);
	pthread_mutex_lock(&a->lock);
	if (fd < 0 || (size_t)fd >= a->capacity) {
		v = ADMIT_REFUSED_FULL;
		goto done;
	}
	if (a->slot[fd].state != ADMIT_FREE) /* its owner closed it without telling */
		release(a, fd);
	if (!exempt && a->lim.max_per_client && ct_get(&a->clients, &key) >= a->lim.max_per_client) {
		v = ADMIT_REFUSED_CLIENT;
		goto done;
	}
	if (a->st.open - a->closing >= a->high_water) {
		int old = victim(a, now_ms);
		if (old != NONE) {
			close_slot(a, old, ADMIT_WHY_EVICTED, close_fn, arg);
			a->st.evicted++;
		}
	}
	/* Closing connections still hold descriptors, but they are on their
	 * way out: counting them would refuse the very client an eviction
	 * made room for. */
	if (a->st.open - a->closing >= a->lim.max_conns) {
		v = ADMIT_REFUSED_FULL;
		goto done;
	}
	struct slot *s = &a->slot[fd];
	s->exempt = exempt;
	s->key = key;
	s->since = now_ms;
	set_state(a, fd, ADMIT_PENDING);
	append_slot(a, fd);
	if (!exempt)
		ct_inc(&a->clients, &key);
	a->st.open++;
done:
	if (v == ADMIT_OK)
		a->st.accepted++;
	else if (v == ADMIT_REFUSED_CLIENT)
		a->st.refused_client++;
	else
		a->st.refused_full++;
	pthread_mutex_unlock(&a->lock);
	return v;
}

void admit_set(struct admit *a, int fd, enum admit_state st, uint64_t now_ms)
{
	assert(st != ADMIT_FREE && st != ADMIT_CLOSING);
	if (fd < 0 || (size_t)fd >= a->capacity)
		return;
	pthread_mutex_lock(&a->lock);
	struct slot *s = &a->slot[fd];
	if (s->state != ADMIT_FREE && s->state != ADMIT_CLOSING && s->state != st) {
		bool keep = list_of(s->state) == L_WAIT && list_of(st) == L_WAIT;
		if (keep) { /* the same wait, for the same head: same place */
			set_state(a, fd, st);
		} else {
			unlink_slot(a, fd);
			set_state(a, fd, st);
			s->since = now_ms;
			append_slot(a, fd);
		}
	}
	pthread_mutex_unlock(&a->lock);
}

void admit_close(struct admit *a, int fd)
{
	if (fd < 0 || (size_t)fd >= a->capacity)
		return;
	pthread_mutex_lock(&a->lock);
	if (a->slot[fd].state != ADMIT_FREE)
		release(a, fd);
	pthread_mutex_unlock(&a->lock);
}

enum admit_state admit_state_of(struct admit *a, int fd)
{
	if (fd < 0 || (size_t)fd >= a->capacity)
		return ADMIT_FREE;
	pthread_mutex_lock(&a->lock);
	enum admit_state s = (enum admit_state)a->slot[fd].state;
	pthread_mutex_unlock(&a->lock);
	return s;
}

/* Closes the slots of list l that have waited at least wait_ms. */
static size_t close_waited(struct admit *a, int l, uint64_t now, uint64_t wait_ms, enum admit_reason why,
                           admit_close_fn close_fn, void *arg)
{
	size_t n = 0;
	int fd = a->list[l].head;
	while (fd != NONE && now - a->slot[fd].since >= wait_ms) {
		int next = a->slot[fd].next;
		if (a->slot[fd].state != ADMIT_HANDOFF) {
			close_slot(a, fd, why, close_fn, arg);
			n++;
		}
		fd = next;
	}
	return n;
}

size_t admit_sweep(struct admit *a, uint64_t now_ms, admit_close_fn close_fn, void *arg)
{
	pthread_mutex_lock(&a->lock);
	size_t n = 0;
	for (int l = 0; l < NLISTS; l++)
		n +=
		    close_waited(a, l, now_ms, a->lim.head_timeout_ms, ADMIT_WHY_HEAD_TIMEOUT, close_fn, arg);
	a->st.head_timeouts += n;
	pthread_mutex_unlock(&a->lock);
	return n;
}

size_t admit_drain(struct admit *a, uint64_t now_ms, uint64_t grace_ms, admit_close_fn close_fn, void *arg)
{
	pthread_mutex_lock(&a->lock);
	size_t n = close_waited(a, L_IDLE, now_ms, grace_ms, ADMIT_WHY_DRAINING, close_fn, arg);
	n += close_waited(a, L_WAIT, now_ms, grace_ms, ADMIT_WHY_DRAINING, close_fn, arg);
	a->st.drained += n;
	pthread_mutex_unlock(&a->lock);
	return n;
}

uint64_t admit_next_deadline(struct admit *a, uint64_t now_ms)
{
	uint64_t best = UINT64_MAX;
	pthread_mutex_lock(&a->lock);
	for (int l = 0; l < NLISTS; l++) {
		int fd = a->list[l].head;
		if (fd == NONE)
			continue;
		uint64_t due = a->slot[fd].since + a->lim.head_timeout_ms;
		uint64_t wait = due > now_ms ? due - now_ms : 0;
		if (wait < best)
			best = wait;
	}
	pthread_mutex_unlock(&a->lock);
	return best;
}

void admit_get_stats(struct admit *a, struct admit_stats *out)
{
	pthread_mutex_lock(&a->lock);
	*out = a->st;
	pthread_mutex_unlock(&a->lock);
}

/* --- quotas ------------------------------------------------------------ */

struct admit_quota {
	pthread_mutex_t lock;
	unsigned max_holders, per_client, held;
	struct ctable clients;
};

struct admit_quota *admit_quota_new(unsigned max_holders, unsigned per_client)
{
	struct admit_quota *q = xcalloc(1, sizeof *q);
	pthread_mutex_init(&q->lock, NULL);
	q->max_holders = max_holders;
	q->per_client = per_client;
	ct_init(&q->clients, max_holders);
	return q;
}

void admit_quota_free(struct admit_quota *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q->clients.v);
	free(q);
}

enum admit_verdict admit_quota_take(struct admit_quota *q, const struct netaddr *client)
{
	struct netaddr key = netaddr_client_key(client);
	enum admit_verdict v = ADMIT_OK;
	pthread_mutex_lock(&q->lock);
	if (q->per_client && ct_get(&q->clients, &key) >= q->per_client) {
		v = ADMIT_REFUSED_CLIENT;
	} else if (q->held >= q->max_holders) {
		v = ADMIT_REFUSED_FULL;
	} else {
		ct_inc(&q->clients, &key);
		q->held++;
	}
	pthread_mutex_unlock(&q->lock);
	return v;
}

void admit_quota_give(struct admit_quota *q, const struct netaddr *client)
{
	struct netaddr key = netaddr_client_key(client);
	pthread_mutex_lock(&q->lock);
	assert(q->held > 0);
	ct_dec(&q->clients, &key);
	q->held--;
	pthread_mutex_unlock(&q->lock);
}

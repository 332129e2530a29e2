/* test_render_tilecache.c - the tile cache: hits, byte-bounded LRU
 * eviction, single-flight under concurrency, failures not cached. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "render/tilecache.h"
#include "util/mem.h"

struct fill_arg {
	atomic_int calls;
	size_t len;
	int delay_ms;
	bool fail;
	unsigned char byte;
};

static enum ms_status fill(void *arg, struct tcache_blob **out, struct ms_error *err)
{
	struct fill_arg *a = arg;
	atomic_fetch_add(&a->calls, 1);
	if (a->delay_ms) {
		struct timespec ts = {0, (long)a->delay_ms * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (a->fail)
		return ms_fail(err, MS_EIO, "tile %u: disk on fire", (unsigned)a->byte);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < a->len; i++)
		buf_putc(&b, (char)a->byte);
	*out = tcache_blob_adopt(&b);
	return MS_OK;
}

static struct tcache_key key(uint32_t x, uint32_t y, uint8_t z)
{
	struct tcache_key k = {42, 7, x, y, z, 1, 0, 0};
	return k;
}

static void test_hit_and_miss(void)
{
	struct tcache *c = tcache_new(1 << 20);
	struct fill_arg a = {.len = 100, .byte = 'a'};
	struct tcache_key k = key(1, 2, 3);
	struct tcache_blob *b = NULL;
	bool hit = true;
	struct ms_error err;
	CHECK_INT(tcache_get(c, &k, fill, &a, &b, &hit, &err), MS_OK);
	CHECK(!hit);
	CHECK_INT(b->len, 100);
	CHECK(b->data[0] == 'a' && b->data[99] == 'a');
	tcache_blob_release(b);
	CHECK_INT(tcache_get(c, &k, fill, &a, &b, &hit, &err), MS_OK);
	CHECK(hit);
	CHECK_INT(atomic_load(&a.calls), 1);
	tcache_blob_release(b);

	/* every part of the key counts */
	struct tcache_key k2 = k;
	k2.scale = 2;
	struct tcache_key k3 = k;
	k3.data_version = 43;
	struct tcache_key k4 = k;
	k4.coordsys = 1;
	struct tcache_key k5 = k;
	k5.filter = 0x9E3779B97F4A7C15ull;
	CHECK_INT(tcache_get(c, &k2, fill, &a, &b, &hit, &err), MS_OK);
	CHECK(!hit);
	tcache_blob_release(b);
	CHECK_INT(tcache_get(c, &k3, fill, &a, &b, &hit, &err), MS_OK);
	CHECK(!hit);
	tcache_blob_release(b);
	CHECK_INT(tcache_get(c, &k4, fill, &a, &b, &hit, &err), MS_OK);
	CHECK(!hit);
	tcache_blob_release(b);
	CHECK_INT(tcache_get(c, &k5, fill, &a, &b, &hit, &err), MS_OK);
	CHECK(!hit);
	tcache_blob_release(b);
	CHECK_INT(atomic_load(&a.calls), 5);

	struct tcache_stats st;
	tcache_stats(c, &st);
	CHECK_INT(st.hits, 1);
	CHECK_INT(st.misses, 5);
	CHECK_INT(st.entries, 5);
	CHECK(st.bytes >= 400 && st.bytes < 400 + 4 * 512);
	tcache_free(c);
}

static void test_eviction(void)
{
	/* 16 shards of 64 KiB; 2000 tiles of 4 KiB = 8 MB cannot all stay */
	size_t max = 1 << 20;
	struct tcache *c = tcache_new(max);
	struct fill_arg a = {.len = 4096, .byte = 'e'};
	struct tcache_blob *keep = NULL;
	int ok = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		struct tcache_key k = key(i, 0, 12);
		struct tcache_blob *b;
		ok += tcache_get(c, &k, fill, &a, &b, NULL, NULL) == MS_OK;
		if (i == 0)
			keep = b; /* held across its eviction */
		else
			tcache_blob_release(b);
	}
	CHECK_INT(ok, 2000);
	struct tcache_stats st;
	tcache_stats(c, &st);
	CHECK(st.bytes <= max);
	CHECK(st.bytes > max / 2);
	CHECK(st.evictions > 1000);
	CHECK_INT(st.entries + st.evictions, 2000);
	/* the oldest is gone, the newest still there */
	bool hit;
	struct tcache_blob *b;
	struct tcache_key k0 = key(0, 0, 12), kl = key(1999, 0, 12);
	int calls = atomic_load(&a.calls);
	CHECK_INT(tcache_get(c, &kl, fill, &a, &b, &hit, NULL), MS_OK);
	CHECK(hit);
	tcache_blob_release(b);
	CHECK_INT(tcache_get(c, &k0, fill, &a, &b, &hit, NULL), MS_OK);
	CHECK(!hit);
	CHECK_INT(atomic_load(&a.calls), calls + 1);
	tcache_blob_release(b);
	/* the evicted blob's bytes were still readable by its holder */
	CHECK(keep->len == 4096 && keep->data[4095] == 'e');
	tcache_blob_release(keep);
	tcache_free(c);

	/* a zero budget keeps nothing */
	c = tcache_new(0);
	struct tcache_key k = key(5, 5, 5);
	CHECK_INT(tcache_get(c, &k, fill, &a, &b, &hit, NULL), MS_OK);
	tcache_blob_release(b);
	CHECK_INT(tcache_get(c, &k, fill, &a, &b, &hit, NULL), MS_OK);
	CHECK(!hit);
	tcache_blob_release(b);
	tcache_stats(c, &st);
	CHECK_INT(st.entries, 0);
	CHECK_INT(st.bytes, 0);
	tcache_free(c);
}

struct thread_arg {
	struct tcache *c;
	struct fill_arg *fill;
	struct tcache_key k;
	const uint8_t *got;
	enum ms_status st;
	char msg[sizeof(struct ms_error){0}.msg];
};

static void *worker(void *p)
{
	struct thread_arg *t = p;
	struct tcache_blob *b = NULL;
	struct ms_error err;
	ms_error_clear(&err);
	t->st = tcache_get(t->c, &t->k, fill, t->fill, &b, NULL, &err);
	if (b) {
		t->got = b->data;
		tcache_blob_release(b);
	}
	snprintf(t->msg, sizeof t->msg, "%s", err.msg);
	return NULL;
}

static void run_threads(struct thread_arg *ta, int n)
{
	pthread_t th[16];
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, worker, &ta[i]);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
}

static void test_single_flight(void)
{
	struct tcache *c = tcache_new(1 << 20);
	struct fill_arg a = {.len = 1000, .delay_ms = 100, .byte = 's'};
	struct thread_arg ta[12];
	for (int i = 0; i < 12; i++)
		ta[i] = (struct thread_arg){.c = c, .fill = &a, .k = key(9, 9, 9)};
	run_threads(ta, 12);
	CHECK_INT(atomic_load(&a.calls), 1);
	int same = 0;
	for (int i = 0; i < 12; i++)
		same += ta[i].st == MS_OK && ta[i].got == ta[0].got && ta[i].got && ta[i].got[999] == 's';
	CHECK_INT(same, 12);
	struct tcache_stats st;
	tcache_stats(c, &st);
	CHECK_INT(st.misses, 1);
	CHECK_INT(st.waits + st.hits, 11);
	CHECK(st.waits >= 1);

	/* a failing render is reported to everyone waiting and not cached */
	struct fill_arg f = {.len = 10, .delay_ms = 100, .fail = true, .byte = 7};
	for (int i = 0; i < 6; i++)
		ta[i] = (struct thread_arg){.c = c, .fill = &f, .k = key(1, 1, 1)};
	run_threads(ta, 6);
	int failed = 0;
	for (int i = 0; i < 6; i++)
		failed += ta[i].st == MS_EIO && strstr(ta[i].msg, "tile 7: disk on fire") != NULL;
	CHECK_INT(failed, 6);
	int calls = atomic_load(&f.calls);
	CHECK(calls >= 1 && calls <= 6);
	f.fail = false;
	f.delay_ms = 0;
	struct tcache_blob *b;
	bool hit;
	struct tcache_key k = key(1, 1, 1);
	CHECK_INT(tcache_get(c, &k, fill, &f, &b, &hit, NULL), MS_OK);
	CHECK(!hit);
	CHECK_INT(atomic_load(&f.calls), calls + 1);
	tcache_blob_release(b);
	tcache_free(c);
}

static int aux_freed;
static void aux_free(void *p)
{
	aux_freed++;
	free(p);
}

static void test_blobs(void)
{
	static const unsigned char shared[] = {1, 2, 3};
	struct tcache_blob *w = tcache_blob_wrap(shared, sizeof shared, true);
	CHECK(w->empty && w->data == shared && w->len == 3);
	void *a1 = xmalloc(8), *a2 = xmalloc(8);
	CHECK(tcache_blob_attach(w, a1, aux_free) == a1);
	CHECK(tcache_blob_attach(w, a2, aux_free) == a1); /* first wins, a2 freed */
	CHECK_INT(aux_freed, 1);
	CHECK(tcache_blob_aux(w) == a1);
	tcache_blob_retain(w);
	tcache_blob_release(w);
	CHECK_INT(aux_freed, 1);
	tcache_blob_release(w);
	CHECK_INT(aux_freed, 2);
}

int main(void)
{
	test_hit_and_miss();
	test_eviction();
	test_single_flight();
	test_blobs();
	return CHECK_DONE();
}

/* test_util_refcount.c - util/refcount.h: counting, and exactly one "last"
 * put when many threads get and put the same count at once. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "check.h"
#include "util/refcount.h"

#define THREADS 4
#define ROUNDS 100000

static struct ms_ref shared;
/* Puts that reported "the last one", by any thread. */
static atomic_int lasts;

static void *churn(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		ms_ref_get(&shared);
		if (i % 2)
			ms_ref_get(&shared);
		if (ms_ref_put(&shared))
			atomic_fetch_add(&lasts, 1);
		if (i % 2 && ms_ref_put(&shared))
			atomic_fetch_add(&lasts, 1);
	}
	/* The reference the main thread handed over. */
	if (ms_ref_put(&shared))
		atomic_fetch_add(&lasts, 1);
	return NULL;
}

static void test_single_thread(void)
{
	struct ms_ref r;
	ms_ref_init(&r);
	CHECK_INT(ms_ref_count(&r), 1);
	ms_ref_get(&r);
	ms_ref_get(&r);
	CHECK_INT(ms_ref_count(&r), 3);
	CHECK(!ms_ref_put(&r));
	CHECK(!ms_ref_put(&r));
	CHECK_INT(ms_ref_count(&r), 1);
	CHECK(ms_ref_put(&r)); /* the creator's reference was the last */
	CHECK_INT(ms_ref_count(&r), 0);
}

static void test_threads(void)
{
	ms_ref_init(&shared);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		ms_ref_get(&shared); /* one for each thread, handed over */
		CHECK(pthread_create(&t[i], NULL, churn, NULL) == 0);
	}
	/* The creator lets go while the threads run: whoever is last, the
	 * threads or this put, exactly one put in all says so. */
	if (ms_ref_put(&shared))
		atomic_fetch_add(&lasts, 1);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_INT(atomic_load(&lasts), 1);
	CHECK_INT(ms_ref_count(&shared), 0);
}

int main(void)
{
	test_single_thread();
	test_threads();
	return CHECK_DONE();
}

/*
 * test_http_pool.c - the bounded pool of http/pool.h: how many jobs it
 * admits, that no more than `workers` run at once, that refused and
 * cancelled jobs are counted and cancelled ones never run, that workers
 * are niced, and that freeing waits for every admitted job.  Jobs block
 * on a gate the test opens, so nothing depends on timing.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "http/pool.h"

#define NICE_INCR 7
#define MANY_JOBS 200

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static atomic_int running, max_running, ran, cancelled, niced;
static int base_nice;

static void set_gate(bool open)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = open;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static void gated_job(void *arg)
{
	(void)arg;
	int now = atomic_fetch_add(&running, 1) + 1;
	int seen = atomic_load(&max_running);
	while (now > seen && !atomic_compare_exchange_weak(&max_running, &seen, now))
		;
	int want = base_nice + NICE_INCR > 19 ? 19 : base_nice + NICE_INCR;
	if (getpriority(PRIO_PROCESS, (id_t)gettid()) == want)
		atomic_fetch_add(&niced, 1);
	pthread_mutex_lock(&gate_lock);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	atomic_fetch_add(&running, -1);
	atomic_fetch_add(&ran, 1);
}

static void cancel_job(void *arg)
{
	(void)arg;
	atomic_fetch_add(&cancelled, 1);
}

/* Waits (without a clock) until n jobs are running. */
static void wait_running(int n)
{
	while (atomic_load(&running) < n)
		sched_yield();
}

static void reset(void)
{
	atomic_store(&running, 0);
	atomic_store(&max_running, 0);
	atomic_store(&ran, 0);
	atomic_store(&cancelled, 0);
	atomic_store(&niced, 0);
	set_gate(false);
}

static void test_admission(void)
{
	reset();
	struct http_pool *p = http_pool_new(2, 3, NICE_INCR);
	int admitted = 0;
	for (int i = 0; i < 8; i++)
		admitted += http_pool_submit(p, gated_job, NULL);
	CHECK_INT(admitted, 5); /* 2 running + 3 waiting */
	wait_running(2);
	struct http_pool_stats st;
	http_pool_get_stats(p, &st);
	CHECK_INT(st.workers, 2);
	CHECK_INT(st.queue_max, 3);
	CHECK_INT(st.running, 2);
	CHECK_INT(st.queued, 3);
	CHECK_INT(st.refused, 3);
	set_gate(true);
	http_pool_free(p); /* waits for all five */
	CHECK_INT(atomic_load(&ran), 5);
	CHECK_INT(atomic_load(&max_running), 2);
	CHECK_INT(atomic_load(&niced), 5);
}

static void test_cancel(void)
{
	reset();
	struct http_pool *p = http_pool_new(1, 4, 0);
	for (int i = 0; i < 5; i++)
		CHECK(http_pool_submit(p, gated_job, NULL));
	wait_running(1);
	CHECK_INT(http_pool_cancel(p, cancel_job), 4);
	CHECK_INT(atomic_load(&cancelled), 4);
	/* room again for waiting jobs */
	CHECK(http_pool_submit(p, gated_job, NULL));
	struct http_pool_stats st;
	http_pool_get_stats(p, &st);
	CHECK_INT(st.cancelled, 4);
	CHECK_INT(st.queued, 1);
	set_gate(true);
	http_pool_free(p);
	CHECK_INT(atomic_load(&ran), 2);
}

/* Many jobs through few workers: never more than the workers at once. */
static void test_bound(void)
{
	reset();
	set_gate(true);
	struct http_pool *p = http_pool_new(3, MANY_JOBS, 0);
	for (int i = 0; i < MANY_JOBS; i++)
		CHECK(http_pool_submit(p, gated_job, NULL));
	http_pool_free(p);
	CHECK_INT(atomic_load(&ran), MANY_JOBS);
	CHECK(atomic_load(&max_running) <= 3);
}

/* A pool with no queue admits only what its workers can start. */
static void test_no_queue(void)
{
	reset();
	struct http_pool *p = http_pool_new(1, 0, 0);
	CHECK(http_pool_submit(p, gated_job, NULL));
	CHECK(!http_pool_submit(p, gated_job, NULL));
	set_gate(true);
	http_pool_free(p);
	CHECK_INT(atomic_load(&ran), 1);
}

int main(void)
{
	base_nice = getpriority(PRIO_PROCESS, 0);
	test_admission();
	test_cancel();
	test_bound();
	test_no_queue();
	return CHECK_DONE();
}

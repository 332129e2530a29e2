/*
 * pool.c - the bounded worker pool of pool.h: a ring of waiting jobs
 * under one mutex, workers woken by a condition variable.
 *
 * Each job's CPU time is read from its thread's CPU clock before and
 * after it runs, so /metrics can say what expensive requests really cost
 * (wall time would count the time the scheduler gave to cheap requests).
 */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../util/mem.h"

#define NS_PER_S 1000000000ull

struct job {
	void (*run)(void *arg);
	void *arg;
};

struct http_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	int nice_incr;
	unsigned nthreads;
	pthread_t *threads;
	struct job *ring; /* jobs not yet taken by a worker */
	unsigned cap;     /* running + waiting at most: workers + queue_max */
	unsigned head, len;
	struct http_pool_stats st;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void *worker(void *arg)
{
	struct http_pool *p = arg;
	(void)pthread_setname_np(pthread_self(), "ms-expensive"); /* for top -H, gdb, tests */
	/* Linux gives each thread its own nice value (setpriority on its
	 * thread id); raising it needs no privilege.  A failure only costs
	 * the priority, not correctness. */
	if (p->nice_incr)
		(void)setpriority(PRIO_PROCESS, (id_t)gettid(), p->nice_incr);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->len && !p->stopping)
			pthread_cond_wait(&p->wake, &p->lock);
		if (!p->len)
			break; /* stopping, and nothing left to run */
		struct job j = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->len--;
		p->st.queued--;
		p->st.running++;
		pthread_mutex_unlock(&p->lock);
		uint64_t t0 = thread_cpu_ns();
		j.run(j.arg);
		uint64_t used = thread_cpu_ns() - t0;
		pthread_mutex_lock(&p->lock);
		p->st.running--;
		p->st.done++;
		p->st.cpu_ns += used;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct http_pool *http_pool_new(unsigned workers, unsigned queue_max, int nice_incr)
{
	struct http_pool *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->nice_incr = nice_incr;
	unsigned want = workers ? workers : 1;
	p->st.queue_max = queue_max;
	/* Even a job that a free worker takes at once passes through the
	 * ring, so it has room for every job admitted. */
	p->cap = want + queue_max;
	p->ring = xcalloc(p->cap, sizeof *p->ring);
	p->threads = xcalloc(want, sizeof *p->threads);
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < want; i++)
		if (pthread_create(&p->threads[i], NULL, worker, p) == 0)
			p->nthreads++;
	p->st.workers = p->nthreads;
	pthread_mutex_unlock(&p->lock);
	return p;
}

bool http_pool_submit(struct http_pool *p, void (*run)(void *arg), void *arg)
{
	pthread_mutex_lock(&p->lock);
	/* Admitted while fewer than workers + queue_max are running or
	 * waiting: every worker busy and queue_max waiting is full. */
	bool ok = !p->stopping && p->nthreads && p->st.running + p->len < p->cap;
	if (ok) {
		p->ring[(p->head + p->len) % p->cap] = (struct job){run, arg};
		p->len++;
		p->st.queued++;
		pthread_cond_signal(&p->wake);
	} else {
		p->st.refused++;
	}
	pthread_mutex_unlock(&p->lock);
	return ok;
}

size_t http_pool_cancel(struct http_pool *p, void (*cancel)(void *arg))
{
	size_t n = 0;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (!p->len) {
			pthread_mutex_unlock(&p->lock);
			return n;
		}
		struct job j = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->len--;
		p->st.queued--;
		p->st.cancelled++;
		pthread_mutex_unlock(&p->lock);
		cancel(j.arg);
		n++;
	}
}

void http_pool_free(struct http_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p->ring);
	free(p);
}

void http_pool_get_stats(struct http_pool *p, struct http_pool_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->st;
	pthread_mutex_unlock(&p->lock);
}

/*
 * bench_stalls.c - how often the machine itself stops a running thread:
 * the floor under every per-request latency the other benchmarks print.
 *
 * usage: bench_stalls [SECONDS] [THREADS]   (default 10 s, 1 thread)
 *
 * Each thread reads CLOCK_MONOTONIC in a loop that does nothing else and
 * records every gap between two readings over 1 ms: the time the thread
 * was not running although it wanted to (another process, the kernel's
 * own work, or, on a virtual machine, the host running another guest).
 * Nothing here allocates or touches memory after start.  With THREADS
 * equal to the cores, every core is busy, as in a request that the client
 * and the server pass back and forth.  Prints, summed over the threads:
 *   RESULT stalls threads=T seconds=S over_1ms=N over_3ms=N over_5ms=N
 *          over_20ms=N per_min_over_5ms=R worst_ms=W
 * A latency target of a few milliseconds per request cannot be met on
 * every request of a machine whose threads stall that long that often;
 * compare a run's slowest requests with this line.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 64

struct meter {
	double seconds;
	long over[4]; /* gaps over 1, 3, 5 and 20 ms */
	double worst; /* s */
};

static const double LIMITS[4] = {1e-3, 3e-3, 5e-3, 20e-3};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *run(void *arg)
{
	struct meter *m = arg;
	double start = now_s(), prev = start;
	for (;;) {
		double t = now_s(), gap = t - prev;
		prev = t;
		if (gap > LIMITS[0]) {
			for (int k = 0; k < 4; k++)
				m->over[k] += gap > LIMITS[k];
			if (gap > m->worst)
				m->worst = gap;
		}
		if (t - start >= m->seconds)
			return NULL;
	}
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 10.0;
	int nthreads = argc > 2 ? atoi(argv[2]) : 1;
	if (argc > 3 || !(seconds > 0 && seconds <= 3600) || nthreads < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr, "usage: bench_stalls [SECONDS (0-3600]] [THREADS (1-%d)]\n", MAX_THREADS);
		return 2;
	}
	struct meter m[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	memset(m, 0, sizeof m);
	for (int i = 0; i < nthreads; i++) {
		m[i].seconds = seconds;
		if (pthread_create(&th[i], NULL, run, &m[i])) {
			fprintf(stderr, "bench_stalls: cannot start thread %d\n", i);
			return 1;
		}
	}
	struct meter sum = {seconds, {0}, 0};
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		for (int k = 0; k < 4; k++)
			sum.over[k] += m[i].over[k];
		if (m[i].worst > sum.worst)
			sum.worst = m[i].worst;
	}
	printf("RESULT stalls threads=%d seconds=%.0f over_1ms=%ld over_3ms=%ld over_5ms=%ld over_20ms=%ld "
	       "per_min_over_5ms=%.1f worst_ms=%.2f\n",
	       nthreads, seconds, sum.over[0], sum.over[1], sum.over[2], sum.over[3],
	       (double)sum.over[2] * 60.0 / seconds, sum.worst * 1e3);
	return 0;
}

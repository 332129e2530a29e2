/*
 * test_admit.c - the connection table of admit.h on a made-up clock:
 * per-client and global limits, head deadlines for first and later
 * requests, who is evicted near the limit (idle first, never a busy one),
 * the drain, stale descriptors, and per-client quotas; then the client
 * counts against a plain array under thousands of random operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit.h"
#include "check.h"

#define CAPACITY 64
#define MAX_CLOSED 64
#define RANDOM_OPS 20000
#define RANDOM_CLIENTS 40

struct closed {
	int n;
	int fd[MAX_CLOSED];
	enum admit_reason why[MAX_CLOSED];
};

static void on_close(int fd, enum admit_reason why, void *arg)
{
	struct closed *c = arg;
	if (c->n < MAX_CLOSED) {
		c->fd[c->n] = fd;
		c->why[c->n] = why;
	}
	c->n++;
}

static struct netaddr addr(const char *text)
{
	struct netaddr a;
	memset(&a, 0, sizeof a);
	if (!netaddr_parse(text, strlen(text), &a))
		fprintf(stderr, "bad test address %s\n", text);
	return a;
}

static void test_per_client(void)
{
	struct admit_limits lim = {.max_conns = 32, .max_per_client = 3, .head_timeout_ms = 1000};
	struct admit *a = admit_new(&lim, CAPACITY);
	struct closed c = {0};
	struct netaddr x = addr("192.0.2.1"), y = addr("192.0.2.2");
	struct netaddr x6a = addr("2001:db8::1"), x6b = addr("2001:db8::ffff:2");
	for (int fd = 0; fd < 3; fd++)
		CHECK(admit_open(a, fd, &x, false, 0, on_close, &c) == ADMIT_OK);
	CHECK(admit_open(a, 3, &x, false, 0, on_close, &c) == ADMIT_REFUSED_CLIENT);
	CHECK(admit_state_of(a, 3) == ADMIT_FREE);
	CHECK(admit_open(a, 3, &y, false, 0, on_close, &c) == ADMIT_OK);
	/* a trusted proxy carries many clients: not counted */
	CHECK(admit_open(a, 4, &x, true, 0, on_close, &c) == ADMIT_OK);
	CHECK(admit_open(a, 5, &x, true, 0, on_close, &c) == ADMIT_OK);
	/* closing one makes room again */
	admit_close(a, 1);
	CHECK(admit_open(a, 1, &x, false, 0, on_close, &c) == ADMIT_OK);
	/* one IPv6 /64 is one client */
	for (int fd = 10; fd < 13; fd++)
		CHECK(admit_open(a, fd, fd % 2 ? &x6a : &x6b, false, 0, on_close, &c) == ADMIT_OK);
	CHECK(admit_open(a, 13, &x6a, false, 0, on_close, &c) == ADMIT_REFUSED_CLIENT);
	struct admit_stats st;
	admit_get_stats(a, &st);
	CHECK_INT(st.refused_client, 2);
	CHECK_INT(st.open, 9);
	CHECK_INT(st.by_state[ADMIT_PENDING], 9);
	CHECK_INT(c.n, 0);
	admit_free(a);
}

static void test_global_and_eviction(void)
{
	/* high water: 8 - 8/8 = 7 */
	struct admit_limits lim = {.max_conns = 8, .max_per_client = 0, .head_timeout_ms = 10000};
	struct admit *a = admit_new(&lim, CAPACITY);
	struct closed c = {0};
	struct netaddr x = addr("192.0.2.1");
	for (int fd = 0; fd < 7; fd++)
		CHECK(admit_open(a, fd, &x, false, (uint64_t)fd, on_close, &c) == ADMIT_OK);
	/* at the high water, but every waiter is young: nobody is evicted */
	CHECK(admit_open(a, 7, &x, false, 500, on_close, &c) == ADMIT_OK);
	CHECK(admit_open(a, 8, &x, false, 500, on_close, &c) == ADMIT_REFUSED_FULL);
	CHECK_INT(c.n, 0);
	/* one busy, one idle: the idle one goes first, whatever its age */
	admit_set(a, 2, ADMIT_BUSY, 600);
	admit_set(a, 5, ADMIT_BUSY, 600);
	admit_set(a, 5, ADMIT_IDLE, 650);
	CHECK(admit_open(a, 8, &x, false, 700, on_close, &c) == ADMIT_OK);
	CHECK_INT(c.n, 1);
	CHECK(c.fd[0] == 5 && c.why[0] == ADMIT_WHY_EVICTED);
	CHECK(admit_state_of(a, 5) == ADMIT_CLOSING);
	/* its owner has not closed it yet: still no room without a victim */
	CHECK(admit_open(a, 9, &x, false, 800, on_close, &c) == ADMIT_REFUSED_FULL);
	CHECK_INT(c.n, 1);
	/* a second later the oldest waiter (fd 0) is old enough; fd 2 is busy */
	CHECK(admit_open(a, 9, &x, false, 1500, on_close, &c) == ADMIT_OK);
	CHECK_INT(c.n, 2);
	CHECK(c.fd[1] == 0 && c.why[1] == ADMIT_WHY_EVICTED);
	CHECK(admit_open(a, 10, &x, false, 1500, on_close, &c) == ADMIT_OK);
	CHECK(c.n == 3 && c.fd[2] == 1);
	/* the busy connection is never chosen */
	for (int i = 0; i < 20; i++)
		admit_open(a, 20 + i, &x, false, 5000, on_close, &c);
	for (int i = 0; i < c.n && i < MAX_CLOSED; i++)
		CHECK(c.fd[i] != 2);
	CHECK(admit_state_of(a, 2) == ADMIT_BUSY);
	struct admit_stats st;
	admit_get_stats(a, &st);
	CHECK_INT(st.evicted, (uint64_t)c.n);
	CHECK(st.open - st.by_state[ADMIT_CLOSING] <= lim.max_conns);
	/* owners close what they were told to */
	for (int i = 0; i < c.n; i++)
		admit_close(a, c.fd[i]);
	admit_get_stats(a, &st);
	CHECK_INT(st.by_state[ADMIT_CLOSING], 0);
	admit_free(a);
}

static void test_deadlines(void)
{
	struct admit_limits lim = {.max_conns = 32, .max_per_client = 0, .head_timeout_ms = 1000};
	struct admit *a = admit_new(&lim, CAPACITY);
	struct closed c = {0};
	struct netaddr x = addr("192.0.2.1");
	admit_open(a, 1, &x, false, 0, on_close, &c);   /* first head: due at 1000 */
	admit_open(a, 2, &x, false, 100, on_close, &c); /* handed over at 200, read at 300 */
	admit_set(a, 2, ADMIT_HANDOFF, 200);
	admit_open(a, 3, &x, false, 100, on_close, &c); /* served, idle from 900: due at 1900 */
	admit_set(a, 3, ADMIT_BUSY, 150);
	admit_set(a, 3, ADMIT_IDLE, 900);
	admit_open(a, 4, &x, false, 100, on_close, &c); /* busy for ever */
	admit_set(a, 4, ADMIT_BUSY, 150);
	CHECK(admit_next_deadline(a, 0) == 1000);
	CHECK_INT(admit_sweep(a, 999, on_close, &c), 0);
	CHECK_INT(admit_sweep(a, 1000, on_close, &c), 1);
	CHECK(c.fd[0] == 1 && c.why[0] == ADMIT_WHY_HEAD_TIMEOUT);
	/* a connection changing owner is left alone; once the new owner has
	 * it, the wait still counts from its accept */
	CHECK_INT(admit_sweep(a, 1200, on_close, &c), 0);
	admit_set(a, 2, ADMIT_WAITING, 1250);
	CHECK_INT(admit_sweep(a, 1300, on_close, &c), 1);
	CHECK(c.fd[1] == 2);
	/* the idle one is due a head timeout after its last answer */
	CHECK_INT(admit_sweep(a, 1899, on_close, &c), 0);
	CHECK(admit_next_deadline(a, 1899) == 1);
	CHECK_INT(admit_sweep(a, 1900, on_close, &c), 1);
	CHECK(c.fd[2] == 3);
	/* a swept connection is not swept twice; the busy one never */
	CHECK_INT(admit_sweep(a, 100000, on_close, &c), 0);
	CHECK(admit_state_of(a, 4) == ADMIT_BUSY);
	CHECK(admit_next_deadline(a, 100000) == UINT64_MAX);
	/* once its request is answered the deadline runs again */
	admit_set(a, 4, ADMIT_IDLE, 100000);
	CHECK_INT(admit_sweep(a, 101000, on_close, &c), 1);
	struct admit_stats st;
	admit_get_stats(a, &st);
	CHECK_INT(st.head_timeouts, 4);
	admit_free(a);
}

static void test_drain(void)
{
	struct admit_limits lim = {.max_conns = 32, .max_per_client = 0, .head_timeout_ms = 10000};
	struct admit *a = admit_new(&lim, CAPACITY);
	struct closed c = {0};
	struct netaddr x = addr("192.0.2.1");
	for (int fd = 0; fd < 4; fd++) {
		admit_open(a, fd, &x, false, 0, on_close, &c);
		admit_set(a, fd, ADMIT_BUSY, 10);
	}
	admit_set(a, 0, ADMIT_IDLE, 100);
	admit_set(a, 1, ADMIT_IDLE, 450);
	admit_open(a, 9, &x, false, 100, on_close, &c); /* waiting for its first head */
	/* grace 200 ms at 500: fd 0 (idle 400 ms) and 9 (waiting 400 ms) go */
	CHECK_INT(admit_drain(a, 500, 200, on_close, &c), 2);
	CHECK(c.why[0] == ADMIT_WHY_DRAINING);
	CHECK(admit_state_of(a, 1) == ADMIT_IDLE && admit_state_of(a, 2) == ADMIT_BUSY);
	CHECK_INT(admit_drain(a, 650, 200, on_close, &c), 1);
	CHECK_INT(admit_drain(a, 5000, 200, on_close, &c), 0); /* busy ones finish first */
	admit_set(a, 2, ADMIT_IDLE, 5000);
	CHECK_INT(admit_drain(a, 5000, 0, on_close, &c), 1);
	admit_free(a);
}

static void test_stale_descriptor(void)
{
	struct admit_limits lim = {.max_conns = 4, .max_per_client = 1, .head_timeout_ms = 1000};
	struct admit *a = admit_new(&lim, CAPACITY);
	struct closed c = {0};
	struct netaddr x = addr("192.0.2.1"), y = addr("192.0.2.2");
	CHECK(admit_open(a, 7, &x, false, 0, on_close, &c) == ADMIT_OK);
	admit_set(a, 7, ADMIT_HANDOFF, 0);
	/* its new owner closed it silently and the kernel gave 7 to y */
	CHECK(admit_open(a, 7, &y, false, 10, on_close, &c) == ADMIT_OK);
	/* x's count went with the stale entry */
	CHECK(admit_open(a, 8, &x, false, 10, on_close, &c) == ADMIT_OK);
	struct admit_stats st;
	admit_get_stats(a, &st);
	CHECK_INT(st.open, 2);
	/* out-of-range descriptors are refused and ignored */
	CHECK(admit_open(a, CAPACITY, &x, true, 10, on_close, &c) == ADMIT_REFUSED_FULL);
	CHECK(admit_open(a, -1, &x, true, 10, on_close, &c) == ADMIT_REFUSED_FULL);
	admit_set(a, CAPACITY + 5, ADMIT_BUSY, 0);
	admit_close(a, -3);
	admit_close(a, 30); /* not held */
	admit_set(a, 30, ADMIT_BUSY, 0);
	CHECK(admit_state_of(a, 30) == ADMIT_FREE);
	admit_free(a);
}

static void test_quota(void)
{
	struct admit_quota *q = admit_quota_new(3, 2);
	struct netaddr x = addr("192.0.2.1"), y = addr("192.0.2.2"), z = addr("192.0.2.3");
	CHECK(admit_quota_take(q, &x) == ADMIT_OK);
	CHECK(admit_quota_take(q, &x) == ADMIT_OK);
	CHECK(admit_quota_take(q, &x) == ADMIT_REFUSED_CLIENT);
	CHECK(admit_quota_take(q, &y) == ADMIT_OK);
	CHECK(admit_quota_take(q, &z) == ADMIT_REFUSED_FULL); /* all three held */
	admit_quota_give(q, &x);                              /* x 1, y 1 */
	CHECK(admit_quota_take(q, &z) == ADMIT_OK);
	CHECK(admit_quota_take(q, &y) == ADMIT_REFUSED_FULL);
	admit_quota_give(q, &x);
	admit_quota_give(q, &y);
	admit_quota_give(q, &z);
	CHECK(admit_quota_take(q, &x) == ADMIT_OK && admit_quota_take(q, &x) == ADMIT_OK);
	admit_quota_free(q);
	/* no per-client limit */
	q = admit_quota_new(2, 0);
	CHECK(admit_quota_take(q, &x) == ADMIT_OK && admit_quota_take(q, &x) == ADMIT_OK);
	CHECK(admit_quota_take(q, &x) == ADMIT_REFUSED_FULL);
	admit_quota_free(q);
}

/* Random opens and closes from a few clients whose keys collide in the
 * table: the per-client counts must match a plain array throughout. */
static void test_random_counts(void)
{
	struct admit_limits lim = {.max_conns = CAPACITY, .max_per_client = 5, .head_timeout_ms = 1000};
	struct admit *a = admit_new(&lim, CAPACITY);
	struct closed c = {0};
	int owner[CAPACITY], count[RANDOM_CLIENTS] = {0};
	for (int i = 0; i < CAPACITY; i++)
		owner[i] = -1;
	struct netaddr clients[RANDOM_CLIENTS];
	for (int i = 0; i < RANDOM_CLIENTS; i++) {
		char text[32];
		snprintf(text, sizeof text, "10.0.%d.%d", i / 7, i % 7);
		clients[i] = addr(text);
	}
	unsigned seed = 12345;
	int mismatches = 0;
	for (int op = 0; op < RANDOM_OPS; op++) {
		seed = seed * 1103515245u + 12345u;
		int fd = (int)((seed >> 8) % CAPACITY);
		int who = (int)((seed >> 20) % RANDOM_CLIENTS);
		if (owner[fd] >= 0) {
			admit_close(a, fd);
			count[owner[fd]]--;
			owner[fd] = -1;
		} else {
			enum admit_verdict v = admit_open(a, fd, &clients[who], false, 0, on_close, &c);
			bool room = count[who] < (int)lim.max_per_client;
			if ((v == ADMIT_OK) != room)
				mismatches++;
			if (v == ADMIT_OK) {
				owner[fd] = who;
				count[who]++;
			}
		}
	}
	CHECK_INT(mismatches, 0);
	CHECK_INT(c.n, 0); /* nobody waited a second: no eviction */
	admit_free(a);
}

int main(void)
{
	test_per_client();
	test_global_and_eviction();
	test_deadlines();
	test_drain();
	test_stale_descriptor();
	test_quota();
	test_random_counts();
	return CHECK_DONE();
}

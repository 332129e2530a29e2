/*
 * follow.c - the follower of a store's changes; see follow.h.
 *
 * One loop on its own thread: poll the watching connection's descriptor
 * and a stop pipe; on an announcement, catch up.  Catching up asks the
 * store what changed after the version last installed and merges it into
 * the current snapshot's sites (store_changes_merge), or takes every site
 * when the store says only that is right (after a replacing import).  A
 * burst of commits costs one catch-up: the announcements that arrive
 * while one runs are consumed together by the next poll.
 *
 * Why the version is kept here and not taken from the snapshot: a change
 * is a row's state now (store.h), so applying "everything after V" to any
 * sites at V or later is right; SIGHUP may install newer sites than V, and
 * the next catch-up merely repeats some rows.  The version moves on only
 * when an update was installed, so a failed one is retried whole at the
 * next announcement or reconnect.
 *
 * The back-off: 100 ms doubling to 5 s.  A restarted PostgreSQL is back
 * within a second or two, so the first tries find it; a long outage costs
 * one connection attempt every 5 s.
 */
#include "follow.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../store/store.h"
#include "../util/mem.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MS_PER_S 1000
#define NS_PER_MS 1000000L

struct follow {
	char *db; /* the --db value (owned; never printed) */
	struct mapservice *maps;
	struct store *st; /* the watching connection; NULL while the link is down */
	uint64_t version; /* of the sites last installed */
	int stop[2];      /* a byte on stop[1] ends the thread */
	pthread_t thread;
};

/* Milliseconds of the monotonic clock. */
static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * MS_PER_S + (double)t.tv_nsec / NS_PER_MS;
}

/* What an update did, for its log line. */
struct catch_up {
	struct follow *f;
	struct store_changes *ch;
	double read_ms;
};

/* mapservice_sites_fn: the sites after the store's changes. */
static enum ms_status make_sites(void *arg, const struct snapshot *cur, struct site_set **set,
                                 struct ms_error *err)
{
	struct catch_up *c = arg;
	double t0 = now_ms();
	enum ms_status rs = store_changes(c->f->st, c->f->version, &c->ch, err);
	c->read_ms = now_ms() - t0;
	if (rs != MS_OK)
		return rs;
	struct store_changes *ch = c->ch;
	if (ch->full) {
		*set = ch->sites;
		ch->sites = NULL;
	} else if (ch->sites->n || ch->ngone) {
		*set = store_changes_merge(cur ? cur->sites : NULL, cur ? cur->n : 0, ch);
	}
	return MS_OK;
}

/* Installs what changed after f->version; MS_EIO when the link broke. */
static enum ms_status catch_up(struct follow *f, struct ms_error *err)
{
	struct catch_up c = {f, NULL, 0};
	double t0 = now_ms();
	enum ms_status rs = mapservice_update_sites(f->maps, make_sites, &c, err);
	if (rs == MS_OK && c.ch)
		/* an edit through this replica waits for its version (editor.h) */
		mapservice_set_store_version(f->maps, c.ch->version);
	if (rs == MS_OK && c.ch && c.ch->version != f->version) {
		bool full = c.ch->full;
		size_t changed = full ? 0 : c.ch->sites->n, gone = c.ch->ngone;
		f->version = c.ch->version;
		struct mapservice_gen *g = mapservice_acquire(f->maps);
		if (full)
			printf("mapsvc serve: store version %llu: reloaded all %zu sites (%.0f ms read, %.0f "
			       "ms in all)\n",
			       (unsigned long long)f->version, g->snap->n, c.read_ms, now_ms() - t0);
		else
			printf("mapsvc serve: store version %llu: %zu sites changed, %zu removed, %zu now "
			       "(%.0f ms "
			       "read, %.0f ms in all)\n",
			       (unsigned long long)f->version, changed, gone, g->snap->n, c.read_ms,
			       now_ms() - t0);
		fflush(stdout);
		mapservice_release(g);
	}
	store_changes_free(c.ch);
	return rs;
}

/* Opens the watching link and reads the version to start from. */
static enum ms_status link_up(struct follow *f, struct ms_error *err)
{
	enum ms_status rs = store_open(f->db, STORE_WATCH, &f->st, err);
	if (rs != MS_OK)
		return rs;
	mapservice_set_link(f->maps, MAPSERVICE_LINK_UP);
	return MS_OK;
}

static void link_down(struct follow *f, const struct ms_error *err)
{
	store_close(f->st);
	f->st = NULL;
	mapservice_set_link(f->maps, MAPSERVICE_LINK_DOWN);
	fprintf(stderr, "mapsvc serve: store link lost, serving the last snapshot and retrying: %s\n",
	        err->msg);
}

/* Waits for the stop pipe or timeout_ms (-1: forever) with fd (may be -1)
 * readable; true when it is time to stop. */
static bool wait_for(struct follow *f, int fd, int timeout_ms, bool *readable)
{
	struct pollfd p[2] = {{f->stop[0], POLLIN, 0}, {fd, POLLIN, 0}};
	int n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
	if (n < 0 && errno != EINTR)
		return true; /* cannot wait: a bug, not a state to spin in */
	*readable = n > 0 && fd >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP));
	return n > 0 && (p[0].revents & POLLIN);
}

static void *follow_run(void *arg)
{
	struct follow *f = arg;
	int backoff = BACKOFF_MIN_MS;
	unsigned attempts = 0;
	for (;;) {
		struct ms_error err = {0};
		bool readable = false, missed = false;
		if (!f->st) {
			if (wait_for(f, -1, backoff, &readable))
				break;
			attempts++;
			if (link_up(f, &err) != MS_OK) {
				backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
			printf("mapsvc serve: store link back after %u attempt%s\n", attempts,
			       attempts == 1 ? "" : "s");
			fflush(stdout);
			backoff = BACKOFF_MIN_MS;
			attempts = 0;
			missed = true; /* whatever was committed while the link was down */
		} else if (wait_for(f, store_watch_fd(f->st), -1, &readable)) {
			break;
		}
		bool announced = false;
		enum ms_status rs = readable ? store_watch_take(f->st, &announced, &err) : MS_OK;
		if (rs == MS_OK && (announced || missed))
			rs = catch_up(f, &err);
		if (rs == MS_EIO)
			link_down(f, &err);
		else if (rs != MS_OK)
			fprintf(stderr, "mapsvc serve: store update failed, keeping the current data: %s\n",
			        err.msg);
	}
	return NULL;
}

enum ms_status follow_start(const char *db, struct mapservice *maps, struct follow **out,
                            struct ms_error *err)
{
	*out = NULL;
	if (store_kind_of(db) != STORE_POSTGIS)
		return MS_OK;
	struct follow *f = xcalloc(1, sizeof *f);
	f->db = xstrdup(db);
	f->maps = maps;
	f->stop[0] = f->stop[1] = -1;
	enum ms_status rs = link_up(f, err);
	if (rs == MS_OK)
		rs = store_version(f->st, &f->version, err);
	if (rs == MS_OK)
		mapservice_set_store_version(maps, f->version);
	if (rs == MS_OK && pipe2(f->stop, O_CLOEXEC) != 0)
		rs = ms_fail(err, MS_EIO, "cannot make the follower's pipe: %s", strerror(errno));
	if (rs == MS_OK) {
		/* Signals belong to serve's sigwait: none for this thread. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		if (pthread_create(&f->thread, NULL, follow_run, f) != 0)
			rs = ms_fail(err, MS_EIO, "cannot start the follower's thread");
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (rs != MS_OK) {
		if (f->stop[0] >= 0) {
			close(f->stop[0]);
			close(f->stop[1]);
		}
		store_close(f->st);
		free(f->db);
		free(f);
		return rs;
	}
	*out = f;
	return MS_OK;
}

void follow_stop(struct follow *f)
{
	if (!f)
		return;
	char b = 0;
	while (write(f->stop[1], &b, 1) < 0 && errno == EINTR)
		;
	pthread_join(f->thread, NULL);
	close(f->stop[0]);
	close(f->stop[1]);
	store_close(f->st);
	free(f->db);
	free(f);
}

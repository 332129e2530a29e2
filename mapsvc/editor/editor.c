/*
 * editor.c - living data; see editor.h.
 *
 * Three locks, always taken in this order and never held across a wait
 * for another: write_mu around a change's commit and its place in the
 * queue (so the queue is in commit order), pub_mu around the queue and
 * the published count (its condition wakes writers waiting for their
 * change to go live), fail_mu around the failure counters.  The rebuild
 * itself runs with no lock held, so a write can commit while the
 * previous burst is being built; it is then live with the next build.
 *
 * With PostGIS none of that queue is used: the follower installs every
 * committed change, this replica's included, and a write waits for it
 * (editor.h says why).
 */
#include "editor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../util/mem.h"

/* The failure counters: an open-addressing table of client addresses,
 * fixed in size so that no number of guessers can grow it; when it is
 * full the oldest window is dropped. */
#define FAIL_SLOTS 256
#define FAIL_PROBE 8
/* How long a write on PostGIS waits for the follower to install it
 * before it makes the change live itself with a reload: the follower
 * takes milliseconds, unless its link is down. */
#define FOLLOW_WAIT_MS 2000u

struct fail_slot {
	struct netaddr who;
	unsigned count;
	time_t since; /* start of the window; 0: a free slot */
};

/* A committed change waiting to go live. */
struct pending {
	struct site_set *set; /* holds the site after it (none for a delete) */
	char *id;
	unsigned long long seq;
	struct pending *next;
};

struct editor {
	struct editor_config cfg;
	struct store *store; /* opened STORE_EDIT */
	bool followed;       /* the follower installs our changes (PostGIS) */

	pthread_mutex_t write_mu;
	pthread_mutex_t pub_mu;
	pthread_cond_t pub_cv;
	struct pending *head, *tail; /* under pub_mu */
	unsigned long long queued;   /* last seq queued */
	unsigned long long live;     /* last seq live */
	bool building;

	pthread_mutex_t fail_mu;
	struct fail_slot fails[FAIL_SLOTS];

	atomic_ullong writes, rebuilds, auth_fails, limited;
};

enum ms_status editor_new(const struct editor_config *cfg, struct editor **out, struct ms_error *err)
{
	struct editor *ed = xcalloc(1, sizeof *ed);
	ed->cfg = *cfg;
	enum ms_status rs = store_open(cfg->db_path, STORE_EDIT, &ed->store, err);
	if (rs != MS_OK) {
		free(ed);
		return rs;
	}
	ed->followed = store_kind(ed->store) == STORE_POSTGIS;
	pthread_mutex_init(&ed->write_mu, NULL);
	pthread_mutex_init(&ed->pub_mu, NULL);
	pthread_cond_init(&ed->pub_cv, NULL);
	pthread_mutex_init(&ed->fail_mu, NULL);
	*out = ed;
	return MS_OK;
}

static void pending_free(struct pending *p)
{
	site_set_free(p->set);
	free(p->id);
	free(p);
}

void editor_free(struct editor *ed)
{
	if (!ed)
		return;
	for (struct pending *p = ed->head, *next; p; p = next) {
		next = p->next;
		pending_free(p);
	}
	store_close(ed->store);
	pthread_mutex_destroy(&ed->write_mu);
	pthread_mutex_destroy(&ed->pub_mu);
	pthread_cond_destroy(&ed->pub_cv);
	pthread_mutex_destroy(&ed->fail_mu);
	free(ed);
}

void editor_stats(struct editor *ed, struct editor_stats *st)
{
	st->writes = atomic_load(&ed->writes);
	st->rebuilds = atomic_load(&ed->rebuilds);
	st->auth_fails = atomic_load(&ed->auth_fails);
	st->limited = atomic_load(&ed->limited);
}

/* ---- who ------------------------------------------------------------------ */

/* The slot of key (a free or the oldest one when it has none); under fail_mu. */
static struct fail_slot *fail_slot(struct editor *ed, const struct netaddr *key, bool make)
{
	size_t home = (size_t)netaddr_hash(key) % FAIL_SLOTS;
	struct fail_slot *oldest = NULL;
	for (size_t k = 0; k < FAIL_PROBE; k++) {
		struct fail_slot *s = &ed->fails[(home + k) % FAIL_SLOTS];
		if (s->since && netaddr_equal(&s->who, key))
			return s;
		if (!oldest || s->since < oldest->since)
			oldest = s;
	}
	if (!make)
		return NULL;
	*oldest = (struct fail_slot){*key, 0, 0};
	return oldest;
}

/* Whether client must wait, and how long. */
static bool fail_limited(struct editor *ed, const struct netaddr *client, unsigned *retry_after_s)
{
	struct netaddr key = netaddr_client_key(client);
	time_t now = time(NULL);
	pthread_mutex_lock(&ed->fail_mu);
	struct fail_slot *s = fail_slot(ed, &key, false);
	bool limited = false;
	if (s && now - s->since >= EDITOR_FAIL_WINDOW_S)
		*s = (struct fail_slot){{{0}}, 0, 0}; /* the window is over */
	else if (s && s->count >= EDITOR_FAIL_LIMIT) {
		limited = true;
		*retry_after_s = (unsigned)(s->since + EDITOR_FAIL_WINDOW_S - now);
		if (*retry_after_s == 0)
			*retry_after_s = 1;
	}
	pthread_mutex_unlock(&ed->fail_mu);
	return limited;
}

static void fail_count(struct editor *ed, const struct netaddr *client)
{
	struct netaddr key = netaddr_client_key(client);
	pthread_mutex_lock(&ed->fail_mu);
	struct fail_slot *s = fail_slot(ed, &key, true);
	if (!s->since)
		s->since = time(NULL);
	s->count++;
	pthread_mutex_unlock(&ed->fail_mu);
}

/* The token of a "Bearer TOKEN" value (RFC 6750 §2.1: the scheme is
 * case-insensitive, one or more spaces), or NULL. */
static const char *bearer_token(const char *authorization)
{
	static const char scheme[] = "Bearer";
	if (!authorization || strncasecmp(authorization, scheme, strlen(scheme)) != 0)
		return NULL;
	const char *t = authorization + strlen(scheme);
	if (*t != ' ')
		return NULL;
	while (*t == ' ')
		t++;
	return *t ? t : NULL;
}

enum ms_status editor_authenticate(struct editor *ed, const struct netaddr *client, const char *authorization,
                                   enum editor_verdict *v, char who[STORE_KEY_NAME_MAX + 1],
                                   unsigned *retry_after_s, struct ms_error *err)
{
	who[0] = '\0';
	*retry_after_s = 0;
	const char *token = bearer_token(authorization);
	if (!token) {
		*v = EDITOR_AUTH_MISSING;
		return MS_OK;
	}
	/* checked before the key: a guesser past the limit learns nothing */
	if (fail_limited(ed, client, retry_after_s)) {
		atomic_fetch_add(&ed->limited, 1);
		*v = EDITOR_AUTH_LIMITED;
		return MS_OK;
	}
	bool found;
	enum store_role role;
	enum ms_status rs = store_key_check(ed->store, token, &found, who, &role, err);
	if (rs != MS_OK)
		return rs;
	if (!found) {
		atomic_fetch_add(&ed->auth_fails, 1);
		fail_count(ed, client);
		*v = EDITOR_AUTH_BAD;
	} else {
		*v = role == STORE_ROLE_EDIT ? EDITOR_AUTH_OK : EDITOR_AUTH_READONLY;
	}
	return MS_OK;
}

/* ---- writes --------------------------------------------------------------- */

static enum ms_status make_site(void *arg, const struct site *before, struct site_set *into,
                                const struct site **after, struct ms_error *err)
{
	const struct editor_write *w = arg;
	/* Part 4 bodies are in CRS84, the store's own system */
	return ingest_feature_body(w->body, w->len, w->kind, w->op == STORE_CREATE ? NULL : w->id, before,
	                           COORDSYS_WGS84, into, after, err);
}

/* Queues the change a just applied; under write_mu, so in commit order.
 * Returns its sequence number. */
static unsigned long long enqueue(struct editor *ed, const struct store_applied *a)
{
	struct pending *p = xcalloc(1, sizeof *p);
	p->set = site_set_new();
	if (a->after)
		site_set_copy(p->set, a->after);
	p->id = xstrdup(a->after ? site_field(a->after, SITE_ID) : site_field(a->before, SITE_ID));
	pthread_mutex_lock(&ed->pub_mu);
	p->seq = ++ed->queued;
	if (ed->tail)
		ed->tail->next = p;
	else
		ed->head = p;
	ed->tail = p;
	pthread_mutex_unlock(&ed->pub_mu);
	return p->seq;
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = *(struct pending *const *)a, *y = *(struct pending *const *)b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* mapservice_sites_fn: the current sites with the n changes of the
 * pending list arg applied, the last change of an id winning. */
struct burst {
	struct pending *list;
	size_t n;
};

static enum ms_status merge_burst(void *arg, const struct snapshot *cur, struct site_set **set,
                                  struct ms_error *err)
{
	const struct burst *b = arg;
	if (!cur)
		return ms_fail(err, MS_EUSAGE, "editor: no generation to change");
	struct pending **order = xmalloc((b->n ? b->n : 1) * sizeof *order);
	size_t k = 0;
	for (struct pending *p = b->list; p; p = p->next)
		order[k++] = p;
	qsort(order, b->n, sizeof *order, cmp_pending);
	/* the changes as a store would report them (store.h): rows put and
	 * ids gone, each sorted by id, merged as the follower merges them */
	struct store_changes ch = {.sites = site_set_new(),
	                           .gone = xmalloc((b->n ? b->n : 1) * sizeof(char *))};
	for (size_t i = 0; i < b->n; i++) {
		if (i + 1 < b->n && !strcmp(order[i]->id, order[i + 1]->id))
			continue; /* a later change of this id wins */
		if (order[i]->set->n)
			site_set_copy(ch.sites, &order[i]->set->v[0]);
		else
			ch.gone[ch.ngone++] = order[i]->id;
	}
	*set = store_changes_merge(cur->sites, cur->n, &ch);
	site_set_free(ch.sites);
	free(ch.gone); /* the ids are the pending list's */
	free(order);
	return MS_OK;
}

/* Builds one generation with every queued change; under pub_mu, which it
 * releases while building. */
static void build_live(struct editor *ed)
{
	struct pending *list = ed->head;
	unsigned long long upto = ed->queued;
	ed->head = ed->tail = NULL;
	ed->building = true;
	pthread_mutex_unlock(&ed->pub_mu);

	struct burst b = {list, 0};
	for (struct pending *p = list; p; p = p->next)
		b.n++;
	struct ms_error err;
	/* Should the build fail (memory is checked by abort, so only a broken
	 * style's hierarchy parameters could), a reload from the database,
	 * which has every change, is the way to the same state. */
	if (mapservice_update_sites(ed->cfg.maps, merge_burst, &b, &err) != MS_OK)
		mapservice_load(ed->cfg.maps, &err);
	atomic_fetch_add(&ed->rebuilds, 1);
	for (struct pending *p = list, *next; p; p = next) {
		next = p->next;
		pending_free(p);
	}

	pthread_mutex_lock(&ed->pub_mu);
	ed->live = upto;
	ed->building = false;
	pthread_cond_broadcast(&ed->pub_cv);
}

/* Returns once change seq is live, building it when no one else is. */
static void wait_live(struct editor *ed, unsigned long long seq)
{
	pthread_mutex_lock(&ed->pub_mu);
	while (ed->live < seq) {
		if (!ed->building)
			build_live(ed);
		else
			pthread_cond_wait(&ed->pub_cv, &ed->pub_mu);
	}
	pthread_mutex_unlock(&ed->pub_mu);
}

enum ms_status editor_write(struct editor *ed, const struct editor_write *w, struct store_applied *out,
                            struct ms_error *err)
{
	struct store_change c = {.op = w->op,
	                         .id = w->id,
	                         .check_version = w->check_version,
	                         .version = w->version,
	                         .make = make_site,
	                         .arg = (void *)w,
	                         .who = w->who};
	pthread_mutex_lock(&ed->write_mu);
	enum ms_status rs = store_apply(ed->store, &c, out, err);
	unsigned long long seq = 0;
	bool done = rs == MS_OK && out->outcome == STORE_DONE;
	if (done) {
		atomic_fetch_add(&ed->writes, 1);
		if (!ed->followed)
			seq = enqueue(ed, out);
	}
	pthread_mutex_unlock(&ed->write_mu);
	if (seq)
		wait_live(ed, seq);
	if (done && ed->followed &&
	    !mapservice_wait_store_version(ed->cfg.maps, out->version, FOLLOW_WAIT_MS)) {
		/* The follower is not installing (its link is down): the change
		 * goes live by a reload, which reads it back from the database;
		 * the follower's next catch-up repeats rows already there. */
		struct ms_error lerr;
		mapservice_load(ed->cfg.maps, &lerr);
		atomic_fetch_add(&ed->rebuilds, 1);
	}
	return rs;
}

enum ms_status editor_reload(struct editor *ed, struct ms_error *err)
{
	pthread_mutex_lock(&ed->write_mu);
	pthread_mutex_lock(&ed->pub_mu);
	unsigned long long seq = ed->queued;
	pthread_mutex_unlock(&ed->pub_mu);
	wait_live(ed, seq);
	enum ms_status rs = mapservice_load(ed->cfg.maps, err);
	pthread_mutex_unlock(&ed->write_mu);
	return rs;
}

/*
 * pg_apply.c - the store's apply-a-change slot and change log on a real
 * PostGIS database: pg_apply DSN, run by test_pg_apply.py on a database
 * holding the bundled sites.
 *
 * What it holds the backend to: a batch of changes is one transaction
 * (all of it or nothing, a bad site refused before any write, with the
 * same checks as an import), a removed id that is not there is
 * MS_ENOTFOUND, and store_changes reports exactly what a batch changed,
 * which merged into the sites before it gives the sites after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/store.h"

#define NEW_ID "apply-new"
#define OLD_ID "zb-heitieshan-memorial"
#define GONE_ID "gt-red-army-camp"

static struct site_set *load(struct store *st, uint64_t *version)
{
	struct ms_error err = {0};
	struct site_set *set = NULL;
	CHECK_MSG(store_load_set(st, &set, version, &err) == MS_OK, "%s", err.msg);
	return set;
}

static const struct site *find(const struct site_set *set, const char *id)
{
	for (size_t i = 0; set && i < set->n; i++)
		if (!strcmp(set->v[i].field[SITE_ID], id))
			return &set->v[i];
	return NULL;
}

/* A valid museum at the given point. */
static struct site museum(const char *id, const char *name)
{
	struct site s = {0};
	for (int f = 0; f < SITE_NFIELDS; f++)
		s.field[f] = "";
	s.field[SITE_ID] = id;
	s.field[SITE_NAME_ZH] = name;
	s.field[SITE_CATEGORY] = "museum";
	s.category = CAT_MUSEUM;
	s.lat = 36.8;
	s.lon = 118.05;
	s.quality = SITE_QUALITY_STREET;
	s.uncertainty_m = 200;
	s.extra = "{\"floor\":\"2\"}";
	return s;
}

static void test_all_or_nothing(struct store *st)
{
	struct ms_error err = {0};
	uint64_t v0;
	struct site_set *before = load(st, &v0);
	struct site good = museum(NEW_ID, "新馆"), bad = museum("apply-bad", "坏");
	bad.field[SITE_CATEGORY] = "park";
	struct store_change batch[] = {{STORE_PUT, &good, NULL}, {STORE_PUT, &bad, NULL}};
	CHECK_INT(store_apply(st, batch, 2, &err), MS_EDATA);
	CHECK_MSG(strstr(err.msg, "apply-bad") && strstr(err.msg, "park"), "%s", err.msg);
	struct site_set *after = load(st, NULL);
	CHECK(!find(after, NEW_ID) && after->n == before->n);
	site_set_free(after);

	struct store_change missing[] = {{STORE_PUT, &good, NULL}, {STORE_REMOVE, NULL, "no-such-site"}};
	CHECK_INT(store_apply(st, missing, 2, &err), MS_ENOTFOUND);
	after = load(st, NULL);
	CHECK(!find(after, NEW_ID));
	site_set_free(after);
	site_set_free(before);
}

static void test_batch_and_log(struct store *st)
{
	struct ms_error err = {0};
	uint64_t v0, v1;
	struct site_set *before = load(st, &v0);
	struct site add = museum(NEW_ID, "新馆"), change = museum(OLD_ID, "改名");
	struct store_change batch[] = {
	    {STORE_PUT, &add, NULL}, {STORE_PUT, &change, NULL}, {STORE_REMOVE, NULL, GONE_ID}};
	CHECK_MSG(store_apply(st, batch, 3, &err) == MS_OK, "%s", err.msg);
	struct site_set *after = load(st, &v1);
	CHECK(v1 > v0);
	const struct site *n = find(after, NEW_ID), *o = find(after, OLD_ID);
	CHECK(n && !strcmp(n->extra, "{\"floor\":\"2\"}") && n->lat == 36.8 && n->lon == 118.05);
	CHECK(o && !strcmp(o->field[SITE_NAME_ZH], "改名") && o->category == CAT_MUSEUM);
	CHECK(!find(after, GONE_ID) && after->n == before->n);

	/* The log says exactly that, and merging it gives the new sites. */
	struct store_changes *ch = NULL;
	CHECK_MSG(store_changes(st, v0, &ch, &err) == MS_OK, "%s", err.msg);
	if (ch) {
		CHECK(!ch->full && ch->version == v1);
		CHECK_INT(ch->sites->n, 2);
		CHECK_INT(ch->ngone, 1);
		CHECK(ch->ngone == 1 && !strcmp(ch->gone[0], GONE_ID));
		struct site_set *merged = store_changes_merge(before->v, before->n, ch);
		CHECK_INT(merged->n, after->n);
		for (size_t i = 0; i < merged->n && i < after->n; i++)
			CHECK(!strcmp(merged->v[i].field[SITE_ID], after->v[i].field[SITE_ID]) &&
			      !strcmp(merged->v[i].field[SITE_NAME_ZH], after->v[i].field[SITE_NAME_ZH]));
		site_set_free(merged);
		store_changes_free(ch);
	}
	/* Nothing after the last version; everything from a future one. */
	CHECK_MSG(store_changes(st, v1, &ch, &err) == MS_OK, "%s", err.msg);
	if (ch)
		CHECK(!ch->full && ch->sites->n == 0 && ch->ngone == 0);
	store_changes_free(ch);
	CHECK_MSG(store_changes(st, v1 + 1000, &ch, &err) == MS_OK, "%s", err.msg);
	if (ch)
		CHECK(ch->full && ch->sites->n == after->n);
	store_changes_free(ch);
	site_set_free(before);
	site_set_free(after);
}

static void test_refusals(const char *dsn)
{
	struct ms_error err = {0};
	struct store *ro = NULL;
	struct site s = museum("x", "x");
	struct store_change put = {STORE_PUT, &s, NULL};
	CHECK_MSG(store_open(dsn, STORE_READ, &ro, &err) == MS_OK, "%s", err.msg);
	if (ro)
		CHECK_INT(store_apply(ro, &put, 1, &err), MS_EUSAGE);
	store_close(ro);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pg_apply DSN\n");
		return 2;
	}
	struct ms_error err = {0};
	struct store *st = NULL;
	CHECK_MSG(store_open(argv[1], STORE_WRITE, &st, &err) == MS_OK, "%s", err.msg);
	if (st) {
		CHECK_INT(store_kind(st), STORE_POSTGIS);
		test_all_or_nothing(st);
		test_batch_and_log(st);
	}
	store_close(st);
	test_refusals(argv[1]);
	return CHECK_DONE();
}

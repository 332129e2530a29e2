/*
 * pg_apply.c - the editing calls of the store on a real PostGIS database:
 * pg_apply DSN, run by test_pg_apply.py on a database holding the bundled
 * sites.
 *
 * What it holds the backend to, as test_store_edit.c holds SpatiaLite's:
 * a change is one transaction with its audit row (a change the database
 * refuses writes neither), the outcomes missing / exists / stale, the
 * version a commit made, which store_changes then reports exactly (merged
 * into the sites before, it gives the sites after), the audit read back
 * by store_audit_list, and the keys: made, checked, revoked, listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "site/site.h"
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
		if (!strcmp(site_field(&set->v[i], SITE_ID), id))
			return &set->v[i];
	return NULL;
}

/* A valid museum at the given point. */
static struct site_draft museum(const char *id, const char *name)
{
	struct site_draft s = {0};
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

/* store_change_fn: the site arg, as the change's new row. */
static enum ms_status make_fixed(void *arg, const struct site *before, struct site_set *into,
                                 const struct site **after, struct ms_error *err)
{
	(void)before;
	(void)err;
	*after = site_set_add(into, arg);
	return MS_OK;
}

static struct store_change change(enum store_op op, const char *id, struct site_draft *s)
{
	return (struct store_change){.op = op, .id = id, .make = make_fixed, .arg = s, .who = "planner"};
}

static void test_refused(struct store *st)
{
	struct ms_error err = {0};
	uint64_t v0;
	struct site_set *before = load(st, &v0);
	struct site_draft bad = museum("apply-bad", "坏");
	bad.field[SITE_CATEGORY] = "park"; /* the table's CHECK refuses it */
	struct store_change c = change(STORE_CREATE, NULL, &bad);
	struct store_applied a;
	CHECK_INT(store_apply(st, &c, &a, &err), MS_EDATA);
	CHECK_MSG(strstr(err.msg, "apply-bad") && strstr(err.msg, "category"), "%s", err.msg);
	store_applied_free(&a);
	uint64_t v1;
	struct site_set *after = load(st, &v1);
	CHECK(!find(after, "apply-bad") && after->n == before->n && v1 == v0);
	site_set_free(after);
	site_set_free(before);
}

static void count_entry(void *arg, const struct store_audit_entry *e)
{
	size_t *n = arg;
	CHECK(!strcmp(e->who, "planner"));
	CHECK(e->time[0] && strchr(e->time, 'T') && e->time[strlen(e->time) - 1] == 'Z');
	/* oldest first: create, replace, delete */
	static const char *const ops[] = {"create", "replace", "delete"};
	if (*n < 3)
		CHECK_STR(e->op, ops[*n]);
	CHECK((e->before == NULL) == !strcmp(e->op, "create"));
	CHECK((e->after == NULL) == !strcmp(e->op, "delete"));
	(*n)++;
}

static void test_changes_and_log(struct store *st, const char *dsn)
{
	struct ms_error err = {0};
	uint64_t v0, v1;
	struct site_set *before = load(st, &v0);
	struct site_draft add = museum(NEW_ID, "新馆"), renamed = museum(OLD_ID, "改名");
	struct store_applied a;

	struct store_change c = change(STORE_CREATE, NULL, &add);
	CHECK_MSG(store_apply(st, &c, &a, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(a.outcome, STORE_DONE);
	CHECK(a.version > v0 && a.audit_seq > 0);
	uint64_t vcreate = a.version;
	store_applied_free(&a);
	CHECK_MSG(store_apply(st, &c, &a, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(a.outcome, STORE_EXISTS);
	store_applied_free(&a);

	/* a replace against a stale version is refused, the right one done */
	c = change(STORE_REPLACE, OLD_ID, &renamed);
	c.check_version = true;
	c.version = 1;
	CHECK_MSG(store_apply(st, &c, &a, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(a.outcome, STORE_STALE);
	store_applied_free(&a);
	c.version = site_hash(find(before, OLD_ID));
	CHECK_MSG(store_apply(st, &c, &a, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(a.outcome, STORE_DONE);
	CHECK(a.before && !strcmp(site_field(a.before, SITE_ID), OLD_ID) && a.version > vcreate);
	store_applied_free(&a);

	c = change(STORE_DELETE, GONE_ID, NULL);
	CHECK_MSG(store_apply(st, &c, &a, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(a.outcome, STORE_DONE);
	uint64_t vlast = a.version;
	store_applied_free(&a);
	CHECK_MSG(store_apply(st, &c, &a, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(a.outcome, STORE_MISSING);
	store_applied_free(&a);

	struct site_set *after = load(st, &v1);
	CHECK_INT(v1, vlast);
	const struct site *n = find(after, NEW_ID), *o = find(after, OLD_ID);
	CHECK(n && !strcmp(site_extra(n), "{\"floor\":\"2\"}") && n->lat == 36.8 && n->lon == 118.05);
	CHECK(o && !strcmp(site_field(o, SITE_NAME_ZH), "改名") && o->category == CAT_MUSEUM);
	CHECK(!find(after, GONE_ID) && after->n == before->n);

	/* The log says exactly that, and merging it gives the new sites. */
	struct store_changes *ch = NULL;
	CHECK_MSG(store_changes(st, v0, &ch, &err) == MS_OK, "%s", err.msg);
	if (ch) {
		CHECK(!ch->full && ch->version == v1);
		CHECK_INT(ch->sites->n, 2);
		CHECK(ch->ngone == 1 && !strcmp(ch->gone[0], GONE_ID));
		struct site_set *merged = store_changes_merge(before->v, before->n, ch);
		CHECK_INT(merged->n, after->n);
		for (size_t i = 0; i < merged->n && i < after->n; i++)
			CHECK(
			    !strcmp(site_field(&merged->v[i], SITE_ID), site_field(&after->v[i], SITE_ID)) &&
			    !strcmp(site_field(&merged->v[i], SITE_NAME_ZH),
			            site_field(&after->v[i], SITE_NAME_ZH)));
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

	/* The audit: the three changes done, none of the refused ones. */
	size_t entries = 0;
	CHECK_MSG(store_audit_list(dsn, NULL, count_entry, &entries, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(entries, 3);
	entries = 0;
	CHECK_INT(store_audit_list(dsn, "2999-01-01", count_entry, &entries, &err), MS_OK);
	CHECK_INT(entries, 0);
	site_set_free(before);
	site_set_free(after);
}

static void test_keys(struct store *st)
{
	struct ms_error err = {0};
	char tok[STORE_TOKEN_TEXT], tok2[STORE_TOKEN_TEXT], name[STORE_KEY_NAME_MAX + 1];
	bool found;
	enum store_role role;
	CHECK_INT(store_key_add(st, "alice", STORE_ROLE_EDIT, tok, &err), MS_OK);
	CHECK(!strncmp(tok, STORE_TOKEN_PREFIX, strlen(STORE_TOKEN_PREFIX)));
	CHECK_INT(store_key_add(st, "alice", STORE_ROLE_READ, tok2, &err), MS_EDATA);
	CHECK_INT(store_key_add(st, "bob", STORE_ROLE_READ, tok2, &err), MS_OK);
	CHECK_INT(store_key_check(st, tok, &found, name, &role, &err), MS_OK);
	CHECK(found && !strcmp(name, "alice") && role == STORE_ROLE_EDIT);
	CHECK_INT(store_key_check(st, tok2, &found, name, &role, &err), MS_OK);
	CHECK(found && !strcmp(name, "bob") && role == STORE_ROLE_READ);
	CHECK_INT(store_key_check(st, "mk_0000", &found, name, &role, &err), MS_OK);
	CHECK(!found);
	CHECK_INT(store_key_revoke(st, "alice", &err), MS_OK);
	CHECK_INT(store_key_revoke(st, "alice", &err), MS_ENOTFOUND);
	CHECK_INT(store_key_check(st, tok, &found, name, &role, &err), MS_OK);
	CHECK(!found);
	struct store_key_info *keys = NULL;
	size_t nk = 0;
	CHECK_INT(store_key_list(st, &keys, &nk, &err), MS_OK);
	CHECK(nk == 2 && !strcmp(keys[0].name, "alice") && keys[0].revoked[0] && !keys[1].revoked[0]);
	free(keys);
	/* a revoked key's name may be given to a new key */
	CHECK_INT(store_key_add(st, "alice", STORE_ROLE_EDIT, tok2, &err), MS_OK);
}

static void test_refusals(const char *dsn)
{
	struct ms_error err = {0};
	struct store *ro = NULL;
	struct site_draft s = museum("x", "x");
	struct store_change c = change(STORE_CREATE, NULL, &s);
	struct store_applied a = {0};
	CHECK_MSG(store_open(dsn, STORE_READ, &ro, &err) == MS_OK, "%s", err.msg);
	if (ro)
		CHECK_INT(store_apply(ro, &c, &a, &err), MS_EUSAGE);
	store_applied_free(&a);
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
	CHECK_MSG(store_open(argv[1], STORE_EDIT, &st, &err) == MS_OK, "%s", err.msg);
	if (st) {
		CHECK_INT(store_kind(st), STORE_POSTGIS);
		test_refused(st);
		test_changes_and_log(st, argv[1]);
		test_keys(st);
	}
	store_close(st);
	test_refusals(argv[1]);
	return CHECK_DONE();
}

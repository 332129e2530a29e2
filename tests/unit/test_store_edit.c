/* test_store_edit.c - changing one site at a time: the Part 4 bodies
 * (ingest_feature_body, the table of bad ones in tests/data/edit/), the
 * store's writer (outcomes, the audit, keys hashed and checked), and a
 * snapshot made from another plus changes (every index agrees with one
 * built from scratch). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ingest/ingest.h"
#include "store/snapshot.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/mem.h"

static char dir[256];

static const struct site_draft base_draft = {
    .field = {[SITE_ID] = "e-1",
              [SITE_NAME_ZH] = "纪念馆",
              [SITE_NAME_EN] = "Memorial",
              [SITE_CATEGORY] = "memorial_hall",
              [SITE_COUNTY] = "",
              [SITE_TOWN] = "",
              [SITE_ADDRESS] = "",
              [SITE_DESCRIPTION] = "",
              [SITE_OPENING_HOURS] = "",
              [SITE_OPENING_HOURS_TEXT] = "",
              [SITE_COORD_SOURCE] = "",
              [SITE_CONFIDENCE] = "approximate",
              [SITE_SOURCE_URL] = ""},
    .lat = 36.8,
    .lon = 118.0,
    .category = CAT_MEMORIAL_HALL,
    .quality = SITE_QUALITY_TOWN,
    .uncertainty_m = 5000,
    .extra = "{\"note\":\"kept\"}",
};

/* base_draft as a set holds it (main) */
static struct site_set *base_set;
static const struct site *base_site;

/* ---- bodies ------------------------------------------------------------------ */

static enum ms_status body(const char *text, enum ingest_body_kind kind, struct site_set *into,
                           const struct site **out, struct ms_error *err)
{
	return ingest_feature_body(text, strlen(text), kind, "e-1", base_site, COORDSYS_WGS84, into, out,
	                           err);
}

static void test_bodies(void)
{
	struct site_set *set = site_set_new();
	const struct site *s;
	struct ms_error err;
	/* a merge patch keeps what it does not name, removes what it nulls */
	CHECK_INT(body("{\"properties\":{\"name_en\":\"New\",\"description\":\"d\",\"note\":null}}",
	               INGEST_BODY_MERGE_PATCH, set, &s, &err),
	          MS_OK);
	CHECK_STR(site_field(s, SITE_NAME_EN), "New");
	CHECK_STR(site_field(s, SITE_NAME_ZH), "纪念馆");
	CHECK_STR(site_field(s, SITE_DESCRIPTION), "d");
	CHECK_STR(site_extra(s), "{}");
	CHECK_INT(s->quality, SITE_QUALITY_TOWN);
	/* a new quality alone gets its default radius, not the old one */
	CHECK_INT(body("{\"geometry\":{\"type\":\"Point\",\"coordinates\":[118.1,36.9]},"
	               "\"properties\":{\"position_quality\":\"surveyed\"}}",
	               INGEST_BODY_MERGE_PATCH, set, &s, &err),
	          MS_OK);
	CHECK_INT(s->quality, SITE_QUALITY_SURVEYED);
	CHECK(site_uncertainty(s) == site_quality_default_m(SITE_QUALITY_SURVEYED));
	CHECK(s->lon == 118.1 && s->lat == 36.9);
	CHECK_STR(site_extra(s), "{\"note\":\"kept\"}");
	/* an empty patch changes nothing: the same site, the same hash */
	CHECK_INT(body("{}", INGEST_BODY_MERGE_PATCH, set, &s, &err), MS_OK);
	CHECK(site_hash(s) == site_hash(base_site));
	/* a whole feature may leave its id out */
	CHECK_INT(body("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]},"
	               "\"properties\":{\"name_zh\":\"x\",\"category\":\"museum\"}}",
	               INGEST_BODY_FEATURE, set, &s, &err),
	          MS_OK);
	CHECK_STR(site_field(s, SITE_ID), "e-1");
	CHECK_STR(site_field(s, SITE_NAME_EN), "");
	size_t before = set->n;
	/* the table of refusals */
	FILE *f = fopen("data/edit/bad_bodies.txt", "r");
	CHECK(f != NULL);
	char line[1024];
	int cases = 0;
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		char st[16], kind[16], word[64];
		int at = 0;
		if (sscanf(line, "%15s %15s %63s %n", st, kind, word, &at) != 3 || !at) {
			CHECK_MSG(false, "bad_bodies.txt: '%s' is not STATUS KIND WORD BODY", line);
			continue;
		}
		enum ms_status want = !strcmp(st, "usage") ? MS_EUSAGE : MS_EDATA;
		enum ms_status got =
		    body(line + at, !strcmp(kind, "patch") ? INGEST_BODY_MERGE_PATCH : INGEST_BODY_FEATURE,
		         set, &s, &err);
		CHECK_MSG(got == want, "%s: status %d, want %d (%s)", line + at, (int)got, (int)want,
		          err.msg);
		CHECK_MSG(got == MS_OK || strstr(err.msg, word), "%s: '%s' does not name %s", line + at,
		          err.msg, word);
		cases++;
	}
	if (f)
		fclose(f);
	CHECK(cases >= 20);
	CHECK_INT(set->n, before); /* no refusal added a site */
	/* bounded before parsing */
	char *big = xmalloc(INGEST_BODY_MAX + 2);
	memset(big, ' ', INGEST_BODY_MAX + 1);
	big[INGEST_BODY_MAX + 1] = '\0';
	CHECK_INT(body(big, INGEST_BODY_MERGE_PATCH, set, &s, &err), MS_EUSAGE);
	free(big);
	/* a raw NUL is refused, not skipped */
	CHECK_INT(ingest_feature_body("{}\0", 3, INGEST_BODY_MERGE_PATCH, "e-1", base_site, COORDSYS_WGS84,
	                              set, &s, &err),
	          MS_EUSAGE);
	site_set_free(set);
}

/* ---- the writer ---------------------------------------------------------------- */

struct make_arg {
	const char *body;
	enum ingest_body_kind kind;
};

static enum ms_status make(void *arg, const struct site *before, struct site_set *into,
                           const struct site **after, struct ms_error *err)
{
	struct make_arg *m = arg;
	return ingest_feature_body(m->body, strlen(m->body), m->kind,
	                           before ? site_field(before, SITE_ID) : NULL, before, COORDSYS_WGS84, into,
	                           after, err);
}

static void count_entry(void *arg, const struct store_audit_entry *e)
{
	int *n = arg;
	(*n)++;
	CHECK_STR(e->who, "tester");
	CHECK(e->before || e->after);
}

static void test_writer(const char *db)
{
	struct site_set *set = site_set_new();
	site_set_copy(set, base_site);
	struct ms_error err;
	CHECK_INT(store_import(db, set, true, NULL, &err), MS_OK);
	site_set_free(set);
	struct store *w;
	CHECK_MSG(store_open(db, STORE_EDIT, &w, &err) == MS_OK, "%s", err.msg);

	struct make_arg patch = {"{\"properties\":{\"name_en\":\"E\"}}", INGEST_BODY_MERGE_PATCH};
	struct store_change c = {STORE_REPLACE, "e-1", true, site_hash(base_site), make, &patch, "tester"};
	struct store_applied a;
	CHECK_INT(store_apply(w, &c, &a, &err), MS_OK);
	CHECK_INT(a.outcome, STORE_DONE);
	CHECK_STR(site_field(a.after, SITE_NAME_EN), "E");
	CHECK(a.audit_seq > 0);
	uint64_t v1 = site_hash(a.after);
	store_applied_free(&a);
	/* the same version again is stale now, and nothing is written */
	CHECK_INT(store_apply(w, &c, &a, &err), MS_OK);
	CHECK_INT(a.outcome, STORE_STALE);
	store_applied_free(&a);
	c.id = "nope";
	CHECK_INT(store_apply(w, &c, &a, &err), MS_OK);
	CHECK_INT(a.outcome, STORE_MISSING);
	store_applied_free(&a);
	/* a failed make writes nothing */
	struct make_arg bad = {"{\"properties\":{\"category\":\"park\"}}", INGEST_BODY_MERGE_PATCH};
	struct store_change cb = {STORE_REPLACE, "e-1", true, v1, make, &bad, "tester"};
	CHECK_INT(store_apply(w, &cb, &a, &err), MS_EDATA);
	store_applied_free(&a);
	/* create, and create again */
	struct make_arg feat = {
	    "{\"type\":\"Feature\",\"id\":\"e-2\",\"geometry\":{\"type\":\"Point\","
	    "\"coordinates\":[118.2,36.7]},\"properties\":{\"name_zh\":\"二\",\"category\":"
	    "\"museum\"}}",
	    INGEST_BODY_FEATURE};
	struct store_change cc = {STORE_CREATE, NULL, false, 0, make, &feat, "tester"};
	CHECK_INT(store_apply(w, &cc, &a, &err), MS_OK);
	CHECK_INT(a.outcome, STORE_DONE);
	store_applied_free(&a);
	CHECK_INT(store_apply(w, &cc, &a, &err), MS_OK);
	CHECK_INT(a.outcome, STORE_EXISTS);
	store_applied_free(&a);
	struct store_change cd = {STORE_DELETE, "e-2", false, 0, NULL, NULL, "tester"};
	CHECK_INT(store_apply(w, &cd, &a, &err), MS_OK);
	CHECK_INT(a.outcome, STORE_DONE);
	CHECK(a.before && !a.after);
	store_applied_free(&a);
	/* what the database holds now, as a reader loads it */
	struct site_set *now;
	CHECK_INT(store_load(db, &now, &err), MS_OK);
	CHECK_INT(now->n, 1);
	CHECK(site_hash(&now->v[0]) == v1);
	site_set_free(now);
	int n = 0;
	CHECK_INT(store_audit_list(db, NULL, count_entry, &n, &err), MS_OK);
	CHECK_INT(n, 3);
	n = 0;
	CHECK_INT(store_audit_list(db, "2999-01-01", count_entry, &n, &err), MS_OK);
	CHECK_INT(n, 0);

	/* keys */
	char tok[STORE_TOKEN_TEXT], tok2[STORE_TOKEN_TEXT], name[STORE_KEY_NAME_MAX + 1];
	CHECK_INT(store_key_add(w, "alice", STORE_ROLE_EDIT, tok, &err), MS_OK);
	CHECK_INT((int)strlen(tok), STORE_TOKEN_TEXT - 1);
	CHECK(!strncmp(tok, STORE_TOKEN_PREFIX, strlen(STORE_TOKEN_PREFIX)));
	CHECK_INT(store_key_add(w, "alice", STORE_ROLE_READ, tok2, &err), MS_EDATA);
	CHECK_INT(store_key_add(w, "bad name", STORE_ROLE_READ, tok2, &err), MS_EUSAGE);
	CHECK_INT(store_key_add(w, "bob", STORE_ROLE_READ, tok2, &err), MS_OK);
	CHECK(strcmp(tok, tok2) != 0);
	bool found;
	enum store_role role;
	CHECK_INT(store_key_check(w, tok, &found, name, &role, &err), MS_OK);
	CHECK(found && role == STORE_ROLE_EDIT && !strcmp(name, "alice"));
	CHECK_INT(store_key_check(w, tok2, &found, name, &role, &err), MS_OK);
	CHECK(found && role == STORE_ROLE_READ && !strcmp(name, "bob"));
	tok[10] ^= 1;
	CHECK_INT(store_key_check(w, tok, &found, name, &role, &err), MS_OK);
	CHECK(!found);
	tok[10] ^= 1;
	CHECK_INT(store_key_revoke(w, "alice", &err), MS_OK);
	CHECK_INT(store_key_revoke(w, "alice", &err), MS_ENOTFOUND);
	CHECK_INT(store_key_check(w, tok, &found, name, &role, &err), MS_OK);
	CHECK(!found);
	struct store_key_info *keys;
	size_t nk;
	CHECK_INT(store_key_list(w, &keys, &nk, &err), MS_OK);
	CHECK_INT(nk, 2);
	CHECK(nk == 2 && keys[0].revoked[0] && !keys[1].revoked[0]);
	free(keys);
	/* a revoked name may be given to a new key */
	CHECK_INT(store_key_add(w, "alice", STORE_ROLE_EDIT, tok2, &err), MS_OK);
	store_close(w);
	store_shutdown();
}

/* ---- snapshots from changes ------------------------------------------------------ */

static struct site_set *grid(size_t n)
{
	struct site_set *set = site_set_new();
	for (size_t i = 0; i < n; i++) {
		char id[32], name[32];
		snprintf(id, sizeof id, "g-%04zu", i);
		snprintf(name, sizeof name, "点%zu", i);
		struct site_draft s = base_draft;
		s.field[SITE_ID] = id;
		s.field[SITE_NAME_ZH] = name;
		s.lat = 30 + (double)(i / 50) * 0.01;
		s.lon = 110 + (double)(i % 50) * 0.01;
		site_set_add(set, &s);
	}
	return set;
}

static void test_snapshot_changes(void)
{
	struct ms_error err;
	struct snapshot *base = snapshot_new(grid(500), &err);
	CHECK(base != NULL);
	struct site_draft moved, added = base_draft, again;
	site_draft_of(&base->sites[7], &moved);
	site_draft_of(&base->sites[7], &again);
	moved.lat = 45, moved.lon = 125;
	added.field[SITE_ID] = "g-0007a"; /* sorts between two existing ids */
	again.lat = 46, again.lon = 126;  /* a later change of one id wins */
	struct site_set *made = site_set_new();
	site_set_reserve(made, 3);
	struct snapshot_change ch[] = {{"g-0007", site_set_add(made, &moved)},
	                               {"g-0003", NULL},
	                               {"g-0007a", site_set_add(made, &added)},
	                               {"g-0007", site_set_add(made, &again)},
	                               {"zz-missing", NULL}};
	struct snapshot *next = snapshot_with_changes(base, ch, sizeof ch / sizeof ch[0], &err);
	CHECK(next != NULL);
	/* the base is unchanged */
	CHECK_INT(base->n, 500);
	CHECK(snapshot_find(base, "g-0003") != NULL && snapshot_find(base, "g-0007")->lat != 46);
	CHECK_INT(next->n, 500);
	CHECK(snapshot_find(next, "g-0003") == NULL);
	CHECK(snapshot_find(next, "g-0007")->lat == 46 && snapshot_find(next, "g-0007a") != NULL);
	CHECK(next->north == 46 && next->east == 126);
	CHECK(next->version != base->version);
	/* the same as a snapshot built from scratch of the same sites */
	struct site_set *same = site_set_new();
	for (size_t i = 0; i < next->n; i++)
		site_set_copy(same, &next->sites[i]);
	struct snapshot *fresh = snapshot_new(same, &err);
	CHECK(fresh->version == next->version);
	for (size_t i = 0; i < next->n; i++)
		CHECK(!strcmp(site_field(&fresh->sites[i], SITE_ID), site_field(&next->sites[i], SITE_ID)));
	CHECK_INT(sindex_size(next->index), sindex_size(fresh->index));
	snapshot_release(fresh);
	snapshot_release(next);
	snapshot_release(base);
	site_set_free(made);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/mapsvc-edit-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char db[300];
	snprintf(db, sizeof db, "%s/sites.sqlite", dir);
	base_set = site_set_new();
	base_site = site_set_add(base_set, &base_draft);
	test_bodies();
	test_writer(db);
	test_snapshot_changes();
	unlink(db);
	rmdir(dir);
	site_set_free(base_set);
	return CHECK_DONE();
}

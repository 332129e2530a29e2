/* test_store_seam.c - the store's seam without a database server: which
 * backend a --db value names and how messages name it (the table
 * tests/data/store/dsn.txt, one case a line), the merge of a change set
 * into older sites, and the SpatiaLite backend behind the seam (an empty
 * apply slot, no change feed, changes answered with everything). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store/store.h"
#include "util/mem.h"

#define DSN_TABLE "data/store/dsn.txt"
#define SECRET "s3cret"
#define LINE_MAX_LEN 512

static void test_dsn_table(void)
{
	FILE *f = fopen(DSN_TABLE, "r");
	CHECK_MSG(f != NULL, "cannot open %s", DSN_TABLE);
	if (!f)
		return;
	char line[LINE_MAX_LEN];
	int cases = 0;
	for (int no = 1; fgets(line, sizeof line, f); no++) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		char *kind = strchr(line, '\t'), *want = kind ? strchr(kind + 1, '\t') : NULL;
		CHECK_MSG(kind && want, "%s:%d: not three tab-separated fields", DSN_TABLE, no);
		if (!kind || !want)
			continue;
		*kind++ = '\0';
		*want++ = '\0';
		enum store_kind k = store_kind_of(line);
		CHECK_MSG(k == (!strcmp(kind, "postgis") ? STORE_POSTGIS : STORE_SPATIALITE),
		          "%s:%d: %s is not %s", DSN_TABLE, no, line, kind);
		char out[STORE_REDACTED_MAX];
		store_redact(line, out);
		CHECK_MSG(!strcmp(out, want), "%s:%d: redacted as '%s', not '%s'", DSN_TABLE, no, out, want);
		CHECK_MSG(!strstr(out, SECRET), "%s:%d: '%s' shows the password", DSN_TABLE, no, out);
		cases++;
	}
	fclose(f);
	CHECK(cases >= 15);
}

static void test_redact_cut(void)
{
	/* a long path is cut to fit, still NUL-terminated */
	char path[STORE_REDACTED_MAX * 2], out[STORE_REDACTED_MAX];
	memset(path, 'a', sizeof path - 1);
	path[sizeof path - 1] = '\0';
	store_redact(path, out);
	CHECK_INT(strlen(out), STORE_REDACTED_MAX - 1);
}

/* A set of sites named by ids, each with name_zh = tag. */
static struct site_set *sites_of(const char *const *ids, size_t n, const char *tag)
{
	struct site_set *set = site_set_new();
	for (size_t i = 0; i < n; i++) {
		struct site_draft s = {0};
		s.field[SITE_ID] = ids[i];
		s.field[SITE_NAME_ZH] = tag;
		s.field[SITE_CATEGORY] = "museum";
		s.lat = 36.0 + (double)i / 100;
		s.lon = 118.0;
		s.quality = SITE_QUALITY_TOWN;
		s.uncertainty_m = site_quality_default_m(SITE_QUALITY_TOWN);
		site_set_add(set, &s);
	}
	return set;
}

static void check_ids(const struct site_set *set, const char *want, const char *what)
{
	char got[LINE_MAX_LEN] = "";
	for (size_t i = 0; i < set->n; i++) {
		strncat(got, site_field(&set->v[i], SITE_ID), sizeof got - strlen(got) - 2);
		strcat(got, "=");
		strncat(got, site_field(&set->v[i], SITE_NAME_ZH), sizeof got - strlen(got) - 2);
		if (i + 1 < set->n)
			strcat(got, " ");
	}
	CHECK_MSG(!strcmp(got, want), "%s: '%s', not '%s'", what, got, want);
}

static void test_merge(void)
{
	static const char *const base_ids[] = {"b", "c", "d", "f"};
	static const char *const put_ids[] = {"a", "c", "e", "g"};
	struct site_set *base = sites_of(base_ids, 4, "old");
	struct store_changes ch = {.version = 7, .sites = sites_of(put_ids, 4, "new")};
	char *gone[] = {"d", "x"}; /* x: removed before the base knew it */
	ch.gone = gone;
	ch.ngone = 2;
	struct site_set *m = store_changes_merge(base->v, base->n, &ch);
	check_ids(m, "a=new b=old c=new e=new f=old g=new", "merge");
	site_set_free(m);

	/* onto nothing: the changes alone; nothing changed: the base */
	m = store_changes_merge(NULL, 0, &ch);
	check_ids(m, "a=new c=new e=new g=new", "merge onto nothing");
	site_set_free(m);
	struct store_changes none = {.version = 7, .sites = site_set_new()};
	m = store_changes_merge(base->v, base->n, &none);
	check_ids(m, "b=old c=old d=old f=old", "empty merge");
	site_set_free(m);
	site_set_free(none.sites);

	/* a replayed change set changes nothing more (store.h) */
	m = store_changes_merge(base->v, base->n, &ch);
	struct site_set *again = store_changes_merge(m->v, m->n, &ch);
	check_ids(again, "a=new b=old c=new e=new f=old g=new", "replayed merge");
	site_set_free(again);
	site_set_free(m);
	site_set_free(ch.sites);
	site_set_free(base);
}

static void test_spatialite_behind_the_seam(void)
{
	char dir[] = "/tmp/mapsvc-seam-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[sizeof dir + 32];
	snprintf(path, sizeof path, "%s/s.sqlite", dir);
	struct ms_error err = {0};
	struct store *st = NULL;
	/* read modes need the file; a write makes it */
	CHECK_INT(store_open(path, STORE_READ, &st, &err), MS_ENOTFOUND);
	CHECK(st == NULL);
	CHECK_INT(store_open(path, STORE_WRITE, &st, &err), MS_OK);
	static const char *const ids[] = {"p", "q"};
	struct site_set *set = sites_of(ids, 2, "x");
	size_t n = 0;
	CHECK_MSG(store_import_set(st, set, false, &n, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(n, 2);
	CHECK_INT(store_kind(st), STORE_SPATIALITE);
	CHECK_STR(store_label(st), path);
	/* the editing calls need a store opened for them */
	struct store_change del = {.op = STORE_DELETE, .id = "p", .who = "t"};
	struct store_applied done;
	CHECK_INT(store_apply(st, &del, &done, &err), MS_EUSAGE);
	store_applied_free(&done);
	CHECK_INT(store_watch_fd(st), -1);
	uint64_t v = 1;
	CHECK_INT(store_version(st, &v, &err), MS_OK);
	CHECK_INT(v, 0);
	struct store_changes *ch = NULL;
	CHECK_MSG(store_changes(st, 0, &ch, &err) == MS_OK, "%s", err.msg);
	CHECK(ch && ch->full && ch->sites->n == 2);
	store_changes_free(ch);
	store_close(st);

	/* through the seam, an edit of a SpatiaLite file: done, audited, no
	 * change version (the file keeps none) */
	CHECK_MSG(store_open(path, STORE_EDIT, &st, &err) == MS_OK, "%s", err.msg);
	CHECK_MSG(store_apply(st, &del, &done, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(done.outcome, STORE_DONE);
	CHECK(done.before && !strcmp(site_field(done.before, SITE_ID), "p") && !done.after);
	CHECK(done.audit_seq > 0);
	CHECK_INT(done.version, 0);
	store_applied_free(&done);
	CHECK_MSG(store_apply(st, &del, &done, &err) == MS_OK, "%s", err.msg);
	CHECK_INT(done.outcome, STORE_MISSING);
	store_applied_free(&done);
	store_close(st);

	/* a read store refuses an import */
	CHECK_INT(store_open(path, STORE_WATCH, &st, &err), MS_OK);
	CHECK_INT(store_import_set(st, set, false, &n, &err), MS_EUSAGE);
	bool announced;
	CHECK_INT(store_watch_take(st, &announced, &err), MS_EUSAGE);
	store_close(st);
	site_set_free(set);
	unlink(path);
	rmdir(dir);
	store_shutdown();
}

int main(void)
{
	test_dsn_table();
	test_redact_cut();
	test_merge();
	test_spatialite_behind_the_seam();
	return CHECK_DONE();
}

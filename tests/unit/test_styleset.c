/* test_styleset.c - the style loader: folders read sorted, the shipped
 * styles with their Natural Earth context files (found by the data/ rule),
 * a file named by several styles read once, every case of bad.list with
 * its FILE:LINE, I/O failures, sizes refused before reading, a changed
 * context file changing the version, and two sets alive at once (reload). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "render/geodata.h"
#include "styleset/styleset.h"

static void test_good_dir(void)
{
	struct styleset *set = NULL;
	struct ms_error err = {0};
	enum ms_status rc = styleset_load_dir("data/style/good", &set, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	if (rc != MS_OK)
		return;
	size_t n = 0;
	const struct style *v = styleset_styles(set, &n);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(v[0].name, "colours"); /* sorted by name */
		CHECK_STR(v[1].name, "minimal");
		CHECK(styleset_find(set, "minimal") == &v[1]);
	}
	CHECK(styleset_find(set, "nope") == NULL);
	CHECK_INT(styleset_files(set), 0);
	styleset_free(set);
	styleset_free(NULL);
}

/* The shipped folder: print.json's sources resolve in the source tree's
 * data/ (styles/../data/basemap/...), each file read once. */
static void test_shipped(void)
{
	struct styleset *set = NULL;
	struct ms_error err = {0};
	enum ms_status rc = styleset_load_dir("../styles", &set, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	if (rc != MS_OK)
		return;
	const struct style *def = styleset_find(set, "default"), *print = styleset_find(set, "print");
	CHECK(def && print);
	if (def && print) {
		CHECK_INT(def->ncontext, 0);
		CHECK(print->ncontext >= 4);
		size_t shapes = 0;
		for (int i = 0; i < print->ncontext; i++)
			shapes += print->context[i].data->nshapes;
		CHECK(shapes > 500);
		CHECK(strstr(print->context[0].data->name, "../styles/../data/basemap/") ==
		      print->context[0].data->name);
		/* as many files as distinct geometries the layers draw */
		size_t distinct = 0;
		for (int i = 0; i < print->ncontext; i++) {
			bool again = false;
			for (int j = 0; j < i; j++)
				again |= print->context[j].data == print->context[i].data;
			distinct += !again;
		}
		CHECK(distinct >= 4 && styleset_files(set) >= distinct);
	}
	styleset_free(set);
}

/* One file named by two styles and by two sources of one style. */
static void test_shared_file(void)
{
	struct styleset *set = NULL;
	struct ms_error err = {0};
	enum ms_status rc = styleset_load_dir("data/style/shared", &set, &err);
	CHECK_MSG(rc == MS_OK, "%s", err.msg);
	if (rc != MS_OK)
		return;
	const struct style *a = styleset_find(set, "a"), *b = styleset_find(set, "b");
	CHECK(a && b && a->ncontext == 1 && b->ncontext == 2);
	if (a && b && a->ncontext == 1 && b->ncontext == 2) {
		CHECK(a->context[0].data == b->context[0].data && b->context[1].data == b->context[0].data);
		CHECK_INT(a->context[0].data->nshapes, 3);
	}
	CHECK_INT(styleset_files(set), 1);
	styleset_free(set);

	/* the same style alone: the same geometry, the same version */
	struct styleset *one = NULL, *two = NULL;
	CHECK_INT(styleset_load_file("data/style/shared/a.json", &one, &err), MS_OK);
	CHECK_INT(styleset_load_file("data/style/shared/a.json", &two, &err), MS_OK);
	if (one && two) {
		size_t n1, n2;
		const struct style *s1 = styleset_styles(one, &n1), *s2 = styleset_styles(two, &n2);
		CHECK(n1 == 1 && n2 == 1 && s1->version == s2->version);
		/* two sets are independent: freeing one leaves the other whole */
		styleset_free(one);
		one = NULL;
		CHECK_INT(s2->context[0].data->nshapes, 3);
		CHECK_STR(s2->name, "a");
	}
	styleset_free(one);
	styleset_free(two);
}

/* Every broken file of the table, through the loader, with its message. */
static void test_bad_list(void)
{
	FILE *list = fopen("data/style/bad.list", "r");
	CHECK(list != NULL);
	if (!list)
		return;
	char line[512];
	int cases = 0;
	while (fgets(line, sizeof line, list)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		char *tab = strchr(line, '\t');
		CHECK_MSG(tab != NULL, "bad.list: no tab in \"%s\"", line);
		if (!tab)
			continue;
		*tab = 0;
		char path[600];
		snprintf(path, sizeof path, "data/style/bad/%s", line);
		struct styleset *set = (struct styleset *)1;
		struct ms_error err = {0};
		enum ms_status rc = styleset_load_file(path, &set, &err);
		CHECK_MSG(rc == MS_EDATA, "%s: status %d (%s)", line, rc, err.msg);
		CHECK_MSG(strstr(err.msg, tab + 1) != NULL, "%s: got \"%s\", want \"%s\"", line, err.msg,
		          tab + 1);
		CHECK_MSG(strncmp(err.msg, path, strlen(path)) == 0 && err.msg[strlen(path)] == ':',
		          "%s: not FILE:LINE: \"%s\"", line, err.msg);
		CHECK(set == NULL);
		cases++;
	}
	fclose(list);
	CHECK(cases >= 30);

	/* one bad file fails the folder, naming the file and line */
	struct styleset *set = (struct styleset *)1;
	struct ms_error err = {0};
	CHECK_INT(styleset_load_dir("data/style/bad", &set, &err), MS_EDATA);
	CHECK(strstr(err.msg, "data/style/bad/") == err.msg);
	CHECK(set == NULL);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK_MSG(f != NULL, "cannot write %s", path);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A folder of its own under $TMPDIR for files the test changes. */
static char tmp[512];

static void make_tmp(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmp, sizeof tmp, "%s/mapsvc-test-styleset-XXXXXX", t && *t ? t : P_tmpdir);
	CHECK(mkdtemp(tmp) != NULL);
}

static void rm_tmp(const char *const *names, size_t n)
{
	char p[700];
	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/%s", tmp, names[i]);
		remove(p);
	}
	remove(tmp);
}

/* Folders and files that cannot be read; sizes refused before reading. */
static void test_io(void)
{
	struct styleset *set = (struct styleset *)1;
	struct ms_error err = {0};
	CHECK_INT(styleset_load_file("data/style/nothing-here.json", &set, &err), MS_EIO);
	CHECK(strstr(err.msg, "nothing-here.json: cannot open") != NULL && set == NULL);
	set = (struct styleset *)1;
	CHECK_INT(styleset_load_dir("data/style/no-such-dir", &set, &err), MS_EIO);
	CHECK(strstr(err.msg, "no-such-dir: cannot open the styles directory") != NULL && set == NULL);

	make_tmp();
	char p[700];
	/* an empty folder is an empty set */
	CHECK_INT(styleset_load_dir(tmp, &set, &err), MS_OK);
	size_t n = 9;
	if (set) {
		styleset_styles(set, &n);
		CHECK_INT(n, 0);
		styleset_free(set);
	}
	/* a folder called x.json is not a style file */
	snprintf(p, sizeof p, "%s/x.json", tmp);
	CHECK(mkdir(p, 0700) == 0);
	CHECK_INT(styleset_load_dir(tmp, &set, &err), MS_EIO);
	CHECK(strstr(err.msg, "x.json: not a regular file") != NULL);
	remove(p);
	/* one byte over the limit: refused by its size */
	snprintf(p, sizeof p, "%s/big.json", tmp);
	FILE *f = fopen(p, "w");
	CHECK(f && ftruncate(fileno(f), STYLE_MAX_BYTES + 1) == 0);
	if (f)
		fclose(f);
	CHECK_INT(styleset_load_file(p, &set, &err), MS_EDATA);
	CHECK(strstr(err.msg, "big.json:1: larger than 1048576 bytes") != NULL);
	static const char *const names[] = {"big.json", "x.json"};
	rm_tmp(names, 2);
}

/* The version covers the context files: changing one changes it. */
static void test_version_follows_data(void)
{
	make_tmp();
	char style[700], data[700];
	snprintf(style, sizeof style, "%s/styles", tmp);
	CHECK(mkdir(style, 0700) == 0);
	snprintf(data, sizeof data, "%s/land.geojson", tmp);
	const char *geo =
	    "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", \"geometry\": "
	    "{\"type\": \"LineString\", \"coordinates\": [[118, 36], [119, 37]]}}]}";
	write_file(data, geo);
	snprintf(style, sizeof style, "%s/styles/s.json", tmp);
	write_file(
	    style,
	    "{\"version\": 8, \"sources\": {\"land\": {\"type\": \"geojson\", \"data\": "
	    "\"land.geojson\"}},\n \"layers\": [{\"id\": \"l\", \"type\": \"line\", \"source\": \"land\"}]}");
	struct styleset *a = NULL, *b = NULL, *c = NULL;
	struct ms_error err = {0};
	CHECK_INT(styleset_load_file(style, &a, &err), MS_OK);
	CHECK_INT(styleset_load_file(style, &b, &err), MS_OK);
	write_file(data, "{\"type\": \"FeatureCollection\", \"features\": []}");
	CHECK_INT(styleset_load_file(style, &c, &err), MS_OK);
	if (a && b && c) {
		size_t n;
		uint64_t va = styleset_styles(a, &n)->version, vb = styleset_styles(b, &n)->version,
		         vc = styleset_styles(c, &n)->version;
		CHECK(va == vb && va != vc);
		CHECK_INT(styleset_styles(a, &n)->context[0].data->nshapes, 1);
		CHECK_INT(styleset_styles(c, &n)->context[0].data->nshapes, 0);
	}
	/* a broken context file is reported at its source's "data" line */
	write_file(data, "{\"type\": \"FeatureCollection\",\n\"features\": [1]}");
	struct styleset *d = (struct styleset *)1;
	CHECK_INT(styleset_load_file(style, &d, &err), MS_EDATA);
	char want[1600];
	snprintf(want, sizeof want, "%s:1: source \"land\": %s/styles/../land.geojson: feature 0: ", style,
	         tmp);
	CHECK_MSG(strncmp(err.msg, want, strlen(want)) == 0, "got \"%s\"", err.msg);
	CHECK(d == NULL);
	styleset_free(a);
	styleset_free(b);
	styleset_free(c);
	static const char *const names[] = {"styles/s.json", "styles", "land.geojson"};
	rm_tmp(names, 3);
}

int main(void)
{
	test_good_dir();
	test_shipped();
	test_shared_file();
	test_bad_list();
	test_io();
	test_version_follows_data();
	return CHECK_DONE();
}

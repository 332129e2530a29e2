/*
 * styleset.c - reading a styles folder and the context files its styles
 * name; see styleset.h.
 *
 * Files are read whole, into a buffer of the size fstat gives (a style is
 * a few kilobytes, a context layer a few hundred), after checking that
 * size against the limit the parser would refuse anyway: nothing is
 * allocated for a file that cannot be used, and nothing beyond what it
 * holds.
 */
#include "styleset.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../render/geodata.h"
#include "../util/mem.h"

/* The reason of a context file's own error kept in a style's message. */
#define FILE_REASON_CHARS 500

/* A context file read for the set: its resolved path and its geometry. */
struct context_file {
	char *path;
	struct geodata *data;
};

struct styleset {
	struct style *styles;
	size_t nstyles;
	struct context_file *files;
	size_t nfiles, files_cap;
};

/* Reads the whole regular file at path into *text (malloc'ed, NUL after
 * its len bytes).  A file over max bytes gives MS_EDATA without a message
 * (each caller words it) and nothing read. */
static enum ms_status read_whole(const char *path, size_t max, char **text, size_t *len, struct ms_error *err)
{
	*text = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return ms_fail(err, MS_EIO, "%.200s: cannot open: %s", path, strerror(errno));
	enum ms_status rc = MS_OK;
	char *buf = NULL;
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = ms_fail(err, MS_EIO, "%.200s: not a regular file", path);
		goto done;
	}
	if ((uint64_t)st.st_size > max) {
		rc = MS_EDATA;
		goto done;
	}
	size_t size = (size_t)st.st_size;
	buf = xmalloc(size + 1);
	/* A file that shrinks or grows while read is not what fstat said. */
	if (fread(buf, 1, size, f) != size || ferror(f) || fgetc(f) != EOF) {
		rc = ms_fail(err, MS_EIO, "%.200s: read error", path);
		goto done;
	}
	buf[size] = '\0';
	*text = buf;
	*len = size;
	buf = NULL;
done:
	free(buf);
	fclose(f);
	return rc;
}

/* What the resolver needs: the set being filled and the style's path. */
struct resolving {
	struct styleset *set;
	const char *style_path;
};

/* The context file a source's "data" names (see styleset.h for the rule)
 * into out; the reason of a failure goes after the style's FILE:LINE. */
static enum ms_status find_data_file(const char *style_path, const char *rel, char *out, size_t size,
                                     struct ms_error *err)
{
	const char *slash = strrchr(style_path, '/');
	int dn = slash ? (int)(slash - style_path) : 1;
	const char *dir = slash ? style_path : ".";
	static const char *const tries[2] = {"", "data/"};
	for (int i = 0; i < 2; i++) {
		int n = snprintf(out, size, "%.*s/../%s%s", dn, dir, tries[i], rel);
		if (n < 0 || (size_t)n >= size)
			return ms_fail(err, MS_EDATA, "data: path too long");
		if (access(out, F_OK) == 0)
			return MS_OK;
	}
	return ms_fail(err, MS_ENOTFOUND,
	               "data: \"%s\" not found beside the styles folder (%.*s/../%s) nor in its data/ folder",
	               rel, dn, dir, rel);
}

/* style_resolve_fn: reads and parses the file once per set. */
static enum ms_status resolve_source(void *arg, const char *source, const char *data,
                                     const struct geodata **out, struct ms_error *err)
{
	struct resolving *r = arg;
	struct styleset *set = r->set;
	char path[PATH_MAX];
	enum ms_status rc = find_data_file(r->style_path, data, path, sizeof path, err);
	if (rc != MS_OK)
		return rc;
	for (size_t i = 0; i < set->nfiles; i++)
		if (strcmp(set->files[i].path, path) == 0) {
			*out = set->files[i].data;
			return MS_OK;
		}
	char *text = NULL;
	size_t len = 0;
	struct geodata *g = NULL;
	rc = read_whole(path, GEODATA_MAX_BYTES, &text, &len, err);
	if (rc == MS_EDATA)
		ms_fail(err, rc, "%.200s: larger than %d MB", path, GEODATA_MAX_BYTES >> 20);
	if (rc == MS_OK)
		rc = geodata_parse(path, text, len, &g, err);
	free(text);
	if (rc != MS_OK) {
		char reason[sizeof err->msg];
		memcpy(reason, err->msg, sizeof reason);
		return ms_fail(err, rc, "source \"%s\": %.*s", source, FILE_REASON_CHARS, reason);
	}
	if (set->nfiles == set->files_cap) {
		set->files_cap = set->files_cap ? 2 * set->files_cap : 4;
		set->files = xrealloc(set->files, set->files_cap * sizeof *set->files);
	}
	set->files[set->nfiles++] = (struct context_file){xstrdup(path), g};
	*out = g;
	return MS_OK;
}

/* Reads the style file at path into *out, its context files into set. */
static enum ms_status load_style(struct styleset *set, const char *path, struct style *out,
                                 struct ms_error *err)
{
	char *text = NULL;
	size_t len = 0;
	enum ms_status rc = read_whole(path, STYLE_MAX_BYTES, &text, &len, err);
	if (rc == MS_EDATA)
		return ms_fail(err, rc, "%s:1: larger than %d bytes", path, STYLE_MAX_BYTES);
	if (rc != MS_OK)
		return rc;
	struct resolving r = {set, path};
	struct style_resolver resolver = {resolve_source, &r};
	rc = style_parse(path, text, len, &resolver, out, err);
	free(text);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* NAME.json, not hidden (editors' and version control's dot files). */
static bool is_style_file(const char *name)
{
	static const char ext[] = ".json";
	size_t l = strlen(name), el = sizeof ext - 1;
	return name[0] != '.' && l > el && strcmp(name + l - el, ext) == 0;
}

/* The style files of dir, sorted; *names and each name are malloc'ed. */
static enum ms_status list_dir(const char *dir, char ***names, size_t *n, struct ms_error *err)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return ms_fail(err, MS_EIO, "%s: cannot open the styles directory: %s", dir, strerror(errno));
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!is_style_file(e->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*names = xrealloc(*names, cap * sizeof **names);
		}
		(*names)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, cmp_names);
	return MS_OK;
}

enum ms_status styleset_load_dir(const char *dir, struct styleset **out, struct ms_error *err)
{
	*out = NULL;
	char **names = NULL;
	size_t nn = 0;
	enum ms_status rc = list_dir(dir, &names, &nn, err);
	if (rc != MS_OK)
		return rc;
	struct styleset *set = xcalloc(1, sizeof *set);
	set->styles = xcalloc(nn ? nn : 1, sizeof *set->styles);
	char *path = NULL;
	for (size_t i = 0; i < nn; i++) {
		size_t pl = strlen(dir) + strlen(names[i]) + 2;
		path = xrealloc(path, pl);
		snprintf(path, pl, "%s/%s", dir, names[i]);
		rc = load_style(set, path, &set->styles[i], err);
		if (rc != MS_OK)
			goto done;
		set->nstyles++;
	}
	*out = set;
	set = NULL;
done:
	free(path);
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	styleset_free(set);
	return rc;
}

enum ms_status styleset_load_file(const char *path, struct styleset **out, struct ms_error *err)
{
	*out = NULL;
	struct styleset *set = xcalloc(1, sizeof *set);
	set->styles = xcalloc(1, sizeof *set->styles);
	enum ms_status rc = load_style(set, path, &set->styles[0], err);
	if (rc != MS_OK) {
		styleset_free(set);
		return rc;
	}
	set->nstyles = 1;
	*out = set;
	return MS_OK;
}

void styleset_free(struct styleset *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->nfiles; i++) {
		free(set->files[i].path);
		geodata_free(set->files[i].data);
	}
	free(set->files);
	free(set->styles);
	free(set);
}

const struct style *styleset_styles(const struct styleset *set, size_t *n)
{
	*n = set->nstyles;
	return set->styles;
}

const struct style *styleset_find(const struct styleset *set, const char *name)
{
	return style_find(set->styles, set->nstyles, name);
}

size_t styleset_files(const struct styleset *set)
{
	return set->nfiles;
}

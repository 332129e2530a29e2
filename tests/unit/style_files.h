/*
 * style_files.h - style files for the render/ unit tests, which link only
 * ms_render: render/ parses texts and reads no file, so a test reads the
 * style file itself and resolves its context sources as "DATA_DIR/data"
 * (the folder is the test's to name), parsing each file with
 * geodata_parse.  The loader with the real lookup rule is styleset/,
 * tested in test_styleset.c.
 *
 * Header-only: static functions, nothing exported.  Geometry parsed here
 * is kept until test_styles_free(), which a test calls before it ends.
 */
#ifndef MS_TEST_STYLE_FILES_H
#define MS_TEST_STYLE_FILES_H

#include <stdio.h>
#include <stdlib.h>

#include "render/geodata.h"
#include "render/style.h"
#include "util/buf.h"

#define TEST_STYLES_MAX_FILES 32

static struct geodata *test_styles_files[TEST_STYLES_MAX_FILES];
static int test_styles_nfiles;

/* The bytes of path (NUL-terminated) in b; false if it cannot be read. */
static bool test_read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(b, chunk, n);
	bool ok = !ferror(f);
	fclose(f);
	return ok;
}

static enum ms_status test_resolve(void *arg, const char *source, const char *data,
                                   const struct geodata **out, struct ms_error *err)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", (const char *)arg, data);
	struct buf text = BUF_INIT;
	if (!test_read_file(path, &text)) {
		buf_free(&text);
		return ms_fail(err, MS_ENOTFOUND, "source \"%s\": %s: cannot read", source, path);
	}
	if (test_styles_nfiles == TEST_STYLES_MAX_FILES) {
		buf_free(&text);
		return ms_fail(err, MS_EINTERNAL, "style_files.h: more than %d files", TEST_STYLES_MAX_FILES);
	}
	struct geodata *g;
	enum ms_status rc = geodata_parse(path, buf_str(&text), text.len, &g, err);
	buf_free(&text);
	if (rc != MS_OK)
		return rc;
	test_styles_files[test_styles_nfiles++] = g;
	*out = g;
	return MS_OK;
}

/* Reads and parses the style at path; its sources' "data" are relative to
 * data_dir (NULL for a style without file sources). */
static enum ms_status test_style_load(const char *path, const char *data_dir, struct style *out,
                                      struct ms_error *err)
{
	struct buf text = BUF_INIT;
	if (!test_read_file(path, &text)) {
		buf_free(&text);
		return ms_fail(err, MS_EIO, "%s: cannot read", path);
	}
	struct style_resolver r = {test_resolve, (void *)data_dir};
	enum ms_status rc = style_parse(path, buf_str(&text), text.len, data_dir ? &r : NULL, out, err);
	buf_free(&text);
	return rc;
}

static void test_styles_free(void)
{
	for (int i = 0; i < test_styles_nfiles; i++)
		geodata_free(test_styles_files[i]);
	test_styles_nfiles = 0;
}

#endif

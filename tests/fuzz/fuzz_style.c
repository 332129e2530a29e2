/*
 * fuzz_style.c - style_load on arbitrary text.  A style either loads into
 * values the renderer can use as they are (finite sizes in range, zoom
 * stops in order, known shapes) or fails with MS_EDATA and "FILE:LINE:".
 *
 * style_load reads a path, so each input is written to one temporary file
 * (a folder of its own under $TMPDIR, removed at exit).  A loaded style's
 * markers are then drawn on a small canvas at a few zooms, as the tile
 * renderer would, so that a value that passes the loader but breaks the
 * drawing is caught here too.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "render/canvas.h"
#include "render/raster.h"
#include "render/style.h"

#define H "fuzz_style"

static char dir[512], path[600];

static void cleanup(void)
{
	if (path[0])
		unlink(path);
	if (dir[0])
		rmdir(dir);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/mapsvc-fuzz-style-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(dir))
		fuzz_fail(H, "cannot create a temporary folder %s", dir);
	snprintf(path, sizeof path, "%s/fuzz.json", dir);
	atexit(cleanup);
}

static void check_num(const char *what, const struct style_num *n, double lo, double hi)
{
	if (n->n < 1 || n->n > STYLE_MAX_STOPS)
		fuzz_fail(H, "%s: %d stops", what, n->n);
	for (int i = 0; i < n->n; i++) {
		if (!isfinite(n->v[i]) || n->v[i] < lo || n->v[i] > hi)
			fuzz_fail(H, "%s: value %g outside %g..%g", what, n->v[i], lo, hi);
		if (!isfinite(n->z[i]) || (i > 0 && !(n->z[i] > n->z[i - 1])))
			fuzz_fail(H, "%s: zoom stops out of order", what);
	}
	for (double z = 0; z <= 24; z += 0.5) {
		double v = style_eval(n, z);
		if (!isfinite(v) || v < lo || v > hi)
			fuzz_fail(H, "%s at zoom %g: %g outside %g..%g", what, z, v, lo, hi);
	}
}

static void check_style(const struct style *st)
{
	if (!memchr(st->name, 0, sizeof st->name) || !memchr(st->title, 0, sizeof st->title) ||
	    !memchr(st->font, 0, sizeof st->font))
		fuzz_fail(H, "a string member is not terminated");
	if (strcmp(st->name, "fuzz") != 0)
		fuzz_fail(H, "name '%s', expected the file's name 'fuzz'", st->name);
	/* The ranges styles/README.md documents and the loader enforces. */
	check_num("marker_size", &st->marker_size, 0, 100);
	check_num("marker_outline_width", &st->marker_outline_width, 0, 20);
	check_num("cluster_size", &st->cluster_size, 0, 100);
	check_num("cluster_text_size", &st->cluster_text_size, 1, 128);
	check_num("label_size", &st->label_size, 1, 128);
	for (int c = 0; c < CAT_COUNT; c++)
		if ((unsigned)st->marker_shape[c] >= SHAPE_COUNT)
			fuzz_fail(H, "category %d: shape %d", c, (int)st->marker_shape[c]);
	if (!(st->cluster_radius >= 0 && st->cluster_radius <= 512) ||
	    !(st->cluster_outline_width >= 0 && st->cluster_outline_width <= 20) ||
	    !(st->label_halo_width >= 0 && st->label_halo_width <= 16) ||
	    !(st->label_offset >= 0 && st->label_offset <= 64))
		fuzz_fail(H, "a size outside its documented range");
	if (st->cluster_maxzoom < 0 || st->cluster_maxzoom > 24)
		fuzz_fail(H, "cluster_maxzoom %d", st->cluster_maxzoom);
	if (st->label_minzoom < 0 || (st->label_minzoom > 24 && st->label_minzoom != STYLE_ZOOM_NEVER))
		fuzz_fail(H, "label_minzoom %d", st->label_minzoom);

	struct canvas *cv = canvas_new(64, 64);
	canvas_clear(cv, st->background);
	for (int z = 0; z <= 20; z += 5)
		for (int c = 0; c < CAT_COUNT; c++)
			raster_marker(cv, st->marker_shape[c], 32, 32, style_eval(&st->marker_size, z),
				      st->marker_color[c], st->marker_outline,
				      style_eval(&st->marker_outline_width, z));
	canvas_free(cv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0])
		setup();
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		fuzz_fail(H, "cannot write %s", path);
	struct style st;
	struct ms_error err = {0};
	enum ms_status rc = style_load(path, &st, &err);
	if (rc == MS_OK) {
		check_style(&st);
	} else if (rc == MS_EDATA) {
		size_t n = strlen(path);
		char *end;
		if (strncmp(err.msg, path, n) != 0 || err.msg[n] != ':' || strtol(err.msg + n + 1, &end, 10) < 1 ||
		    *end != ':')
			fuzz_fail(H, "message without FILE:LINE: %s", err.msg);
	} else {
		fuzz_fail(H, "status %s, expected ok or bad data: %s", ms_status_str(rc), err.msg);
	}
	return 0;
}

/*
 * fuzz_style.c - style_parse on arbitrary text.  A style either parses
 * into values the renderer can use as they are (finite sizes in range,
 * zoom stops in order, known shapes, context layers over the resolved
 * geometry) or fails with MS_EDATA and "FILE:LINE:", LINE within the text.
 *
 * style_parse is pure, so the input is parsed as it is, in memory.  Its
 * GeoJSON file sources resolve to one small polygon parsed once; a source
 * whose "data" contains "missing" fails to resolve, so that path is
 * exercised too.  A parsed style's markers and context rings are then
 * drawn on a small canvas at a few zooms, as the tile renderer would, so
 * that a value that passes the parser but breaks the drawing is caught
 * here too.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "render/canvas.h"
#include "render/geodata.h"
#include "render/raster.h"
#include "render/style.h"

#define H "fuzz_style"
#define NAME "fuzz.json"

static const char square[] = "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", "
                             "\"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[[118, 36], [119, 36], "
                             "[119, 37], [118, 37], [118, 36]]]}}]}";
static struct geodata *geometry;

static void cleanup(void)
{
	geodata_free(geometry);
}

static enum ms_status resolve(void *arg, const char *source, const char *data, const struct geodata **out,
                              struct ms_error *err)
{
	(void)arg;
	if (!source || !data || !data[0] || data[0] == '/')
		fuzz_fail(H, "resolver called with source %s, data %s", source ? source : "NULL",
		          data ? data : "NULL");
	if (strstr(data, "missing"))
		return ms_fail(err, MS_ENOTFOUND, "data: \"%.100s\" not found", data);
	if (!geometry) {
		struct ms_error e;
		if (geodata_parse("square.geojson", square, sizeof square - 1, &geometry, &e) != MS_OK)
			fuzz_fail(H, "the fixed geometry does not parse: %s", e.msg);
		atexit(cleanup);
	}
	*out = geometry;
	return MS_OK;
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
	if (st->ncontext < 0 || st->ncontext > STYLE_MAX_CONTEXT)
		fuzz_fail(H, "%d context layers", st->ncontext);
	for (int i = 0; i < st->ncontext; i++) {
		const struct style_context *cx = &st->context[i];
		if (cx->data != geometry ||
		    (cx->kind != STYLE_CONTEXT_FILL && cx->kind != STYLE_CONTEXT_LINE) ||
		    !(cx->minzoom >= 0 && cx->minzoom <= 24) || !(cx->maxzoom >= 0 && cx->maxzoom <= 25))
			fuzz_fail(H, "context layer %d: not the resolved geometry or a zoom out of range", i);
		check_num("context opacity", &cx->opacity, 0, 1);
		check_num("context width", &cx->width, 0, 64);
	}
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
	static const double ring[] = {4, 4, 60, 8, 30, 60};
	static const int ring_len[] = {3};
	for (int i = 0; i < st->ncontext; i++)
		for (int z = 0; z <= 20; z += 5) {
			const struct style_context *cx = &st->context[i];
			struct rgba col = cx->color;
			col.a = (uint8_t)lround(col.a * style_eval(&cx->opacity, z));
			if (cx->kind == STYLE_CONTEXT_FILL)
				raster_fill_polygon(cv, ring, ring_len, 1, col);
			else
				raster_stroke_polyline(cv, ring, 3, true, style_eval(&cx->width, z), col);
		}
	canvas_free(cv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: the parser takes a length and must not look
	 * past it. */
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += text[i] == '\n';
	struct style st;
	struct ms_error err = {0};
	struct style_resolver resolver = {resolve, NULL};
	enum ms_status rc = style_parse(NAME, text, size, &resolver, &st, &err);
	if (rc == MS_OK) {
		check_style(&st);
	} else if (rc == MS_EDATA) {
		size_t n = strlen(NAME);
		char *end = NULL;
		long line = strncmp(err.msg, NAME, n) == 0 && err.msg[n] == ':'
		                ? strtol(err.msg + n + 1, &end, 10)
		                : 0;
		if (line < 1 || *end != ':')
			fuzz_fail(H, "message without FILE:LINE: %s", err.msg);
		if ((size_t)line > lines)
			fuzz_fail(H, "line %ld of a text of %zu lines: %s", line, lines, err.msg);
	} else {
		fuzz_fail(H, "status %s, expected ok or bad data: %s", ms_status_str(rc), err.msg);
	}
	free(text);
	return 0;
}

/*
 * fuzz_geodata.c - geodata_parse on arbitrary text.  It either fails with
 * MS_EDATA and "NAME:LINE: ..." or "NAME: ..." (LINE within the text), or
 * gives geometry the context drawing can use as it is: every ring inside
 * the point arrays, polygons of rings of at least 4 points and lines of at
 * least 2, positions in range and their world pixels inside the world and
 * inside their shape's box, and the hash of exactly the bytes given.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "fuzz.h"
#include "render/geodata.h"

#define H "fuzz_geodata"
#define NAME "f.geojson"
#define WORLD0_PX 256.0
/* The Mercator limit may land a last bit outside the world. */
#define WORLD_EPS 1e-9

static void check(const struct geodata *g, const char *text, size_t len)
{
	if (g->hash != XXH3_64bits(text, len))
		fuzz_fail(H, "hash is not of the text");
	if (strcmp(g->name, NAME) != 0)
		fuzz_fail(H, "name \"%s\"", g->name);
	size_t rings = 0;
	for (size_t s = 0; s < g->nshapes; s++) {
		const struct geodata_shape *sh = &g->shapes[s];
		if (sh->nrings < 1 || sh->ring0 != rings || (size_t)sh->ring0 + sh->nrings > g->nrings)
			fuzz_fail(H, "shape %zu: rings %u + %u of %zu", s, sh->ring0, sh->nrings, g->nrings);
		if (!sh->polygon && sh->nrings != 1)
			fuzz_fail(H, "shape %zu: a line of %u rings", s, sh->nrings);
		rings += sh->nrings;
		for (uint32_t r = sh->ring0; r < sh->ring0 + sh->nrings; r++) {
			if (g->ring_len[r] < (sh->polygon ? 4u : 2u) ||
			    (size_t)g->ring_start[r] + g->ring_len[r] > g->npts)
				fuzz_fail(H, "ring %u: %u points from %u of %zu", r, g->ring_len[r],
				          g->ring_start[r], g->npts);
			for (uint32_t i = g->ring_start[r]; i < g->ring_start[r] + g->ring_len[r]; i++) {
				double x = g->xy[2 * i], y = g->xy[2 * i + 1];
				double lon = g->ll[2 * i], lat = g->ll[2 * i + 1];
				if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
					fuzz_fail(H, "point %u: %g, %g", i, lon, lat);
				if (!(x >= -WORLD_EPS && x <= WORLD0_PX + WORLD_EPS && y >= -WORLD_EPS &&
				      y <= WORLD0_PX + WORLD_EPS))
					fuzz_fail(H, "point %u: world px %g, %g", i, x, y);
				if (x < sh->x0 || x > sh->x1 || y < sh->y0 || y > sh->y1)
					fuzz_fail(H, "point %u outside its shape's box", i);
			}
		}
	}
	if (rings != g->nrings)
		fuzz_fail(H, "%zu rings in shapes, %zu kept", rings, g->nrings);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exact size: ASan sees a read past it */
	if (!text)
		abort();
	memcpy(text, data, size);
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += text[i] == '\n';
	struct geodata *g = (struct geodata *)1;
	struct ms_error err = {0};
	enum ms_status rc = geodata_parse(NAME, text, size, &g, &err);
	if (rc == MS_OK) {
		check(g, text, size);
		geodata_free(g);
	} else if (rc == MS_EDATA) {
		size_t n = strlen(NAME);
		if (g != NULL || strncmp(err.msg, NAME, n) != 0 || err.msg[n] != ':')
			fuzz_fail(H, "message without NAME: or output left set: %s", err.msg);
		if (err.msg[n + 1] != ' ') {
			char *end;
			long line = strtol(err.msg + n + 1, &end, 10);
			if (line < 1 || (size_t)line > lines || *end != ':')
				fuzz_fail(H, "line outside 1..%zu: %s", lines, err.msg);
		}
	} else {
		fuzz_fail(H, "status %s, expected ok or bad data: %s", ms_status_str(rc), err.msg);
	}
	free(text);
	return 0;
}

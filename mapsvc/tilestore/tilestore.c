/*
 * tilestore.c - the front of the tile stores: backend choice, address
 * checks and the durable publication every format shares; see
 * tilestore.h.  The formats live in files of their own (mbtiles.c).
 */
#include "tilestore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../geo/webmerc.h"
#include "../util/atomicfile.h"
#include "../util/mem.h"
#include "tilestore_int.h"

static const struct tilestore_backend *const backends[] = {&tilestore_mbtiles};
#define NBACKENDS (sizeof backends / sizeof backends[0])

enum mode { WRITING, FINISHED, READING };

struct tilestore {
	const struct tilestore_backend *be;
	void *impl;
	enum mode mode;
	struct atomicfile af; /* WRITING: the new file beside the target */
};

const struct tilestore_backend *tilestore_backend_named(const char *name)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (!strcasecmp(name, backends[i]->name))
			return backends[i];
	return NULL;
}

const struct tilestore_backend *tilestore_backend_for_path(const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < NBACKENDS; i++) {
		size_t e = strlen(backends[i]->extension);
		if (n > e && !strcasecmp(path + n - e, backends[i]->extension))
			return backends[i];
	}
	return NULL;
}

/* The backends' names and extensions for a message: "mbtiles (.mbtiles)". */
static void known(char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < NBACKENDS && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s (%s)", i ? ", " : "",
		                         backends[i]->name, backends[i]->extension);
}

static enum ms_status pick(const char *path, const char *format, const struct tilestore_backend **be,
                           struct ms_error *err)
{
	*be = format ? tilestore_backend_named(format) : tilestore_backend_for_path(path);
	if (*be)
		return MS_OK;
	char names[256];
	known(names, sizeof names);
	if (format)
		return ms_fail(err, MS_EUSAGE, "no tile store format '%s' (known: %s)", format, names);
	return ms_fail(err, MS_EUSAGE, "%s: no tile store format for this file name (known: %s)", path,
	               names);
}

enum ms_status tilestore_create(const char *path, const char *format, const struct tilestore_meta *meta,
                                struct tilestore **out, struct ms_error *err)
{
	*out = NULL;
	const struct tilestore_backend *be;
	enum ms_status st = pick(path, format, &be, err);
	if (st != MS_OK)
		return st;
	struct tilestore *ts = xcalloc(1, sizeof *ts);
	ts->be = be;
	ts->mode = WRITING;
	if ((st = atomicfile_begin(&ts->af, path, be->name, err)) != MS_OK ||
	    (st = be->create(ts->af.tmp, meta, &ts->impl, err)) != MS_OK) {
		tilestore_close(ts);
		return st;
	}
	*out = ts;
	return MS_OK;
}

enum ms_status tilestore_open(const char *path, const char *format, struct tilestore **out,
                              struct ms_error *err)
{
	*out = NULL;
	const struct tilestore_backend *be;
	enum ms_status st = pick(path, format, &be, err);
	if (st != MS_OK)
		return st;
	struct tilestore *ts = xcalloc(1, sizeof *ts);
	ts->be = be;
	ts->mode = READING;
	if ((st = be->open(path, &ts->impl, err)) != MS_OK) {
		free(ts);
		return st;
	}
	*out = ts;
	return MS_OK;
}

enum ms_status tilestore_put(struct tilestore *ts, int z, int x, int y, const void *data, size_t len,
                             struct ms_error *err)
{
	if (ts->mode != WRITING)
		return ms_fail(err, MS_EUSAGE, "tile %d/%d/%d: the store is not being written", z, x, y);
	if (!webmerc_tile_valid(z, x, y, WEBMERC_MAX_ZOOM))
		return ms_fail(err, MS_EUSAGE, "tile %d/%d/%d is outside the grid (zoom 0..%d)", z, x, y,
		               WEBMERC_MAX_ZOOM);
	return ts->be->put(ts->impl, z, x, y, data, len, err);
}

enum ms_status tilestore_get(struct tilestore *ts, int z, int x, int y, struct buf *out, bool *found,
                             struct ms_error *err)
{
	*found = false;
	if (ts->mode != READING)
		return ms_fail(err, MS_EUSAGE, "tile %d/%d/%d: the store is not open for reading", z, x, y);
	if (!webmerc_tile_valid(z, x, y, WEBMERC_MAX_ZOOM))
		return MS_OK; /* not in any store */
	return ts->be->get(ts->impl, z, x, y, out, found, err);
}

enum ms_status tilestore_finish(struct tilestore *ts, struct ms_error *err)
{
	if (ts->mode != WRITING)
		return ms_fail(err, MS_EUSAGE, "%s: the store is not being written", ts->af.target);
	enum ms_status st = ts->be->finish(ts->impl, err);
	if (st == MS_OK)
		st = atomicfile_commit(&ts->af, err);
	if (st != MS_OK)
		return st; /* tilestore_close removes the new file */
	ts->mode = FINISHED;
	return MS_OK;
}

void tilestore_stats(const struct tilestore *ts, struct tilestore_stats *st)
{
	memset(st, 0, sizeof *st);
	if (ts->impl && ts->be->stats)
		ts->be->stats(ts->impl, st);
}

void tilestore_close(struct tilestore *ts)
{
	if (!ts)
		return;
	if (ts->impl)
		ts->be->close(ts->impl);
	if (ts->mode == WRITING)
		atomicfile_abort(&ts->af);
	free(ts);
}

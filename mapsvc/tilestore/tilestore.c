/*
 * tilestore.c - the front of the tile stores: backend choice, address
 * checks, the partial file a store is written through, and the durable
 * publication every format shares; see tilestore.h.  The formats live in
 * files of their own (mbtiles.c, pmtiles.c), the partial file in spool.c.
 */
#include "tilestore.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../geo/webmerc.h"
#include "../util/atomicfile.h"
#include "../util/mem.h"
#include "tilestore_int.h"

static const struct tilestore_backend *const backends[] = {&tilestore_mbtiles, &tilestore_pmtiles};
#define NBACKENDS (sizeof backends / sizeof backends[0])

enum mode { WRITING, FINISHED, READING };

struct tilestore {
	const struct tilestore_backend *be;
	enum mode mode;
	char *path;
	/* WRITING */
	struct tilestore_spool *spool;
	struct tilestore_meta meta; /* the caller's, borrowed until finish */
	struct tilestore_stats done;
	/* READING */
	void *impl;
	const char *const (*pairs)[2];
	size_t npairs;
	struct tilestore_info info;
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
	*be = format ? tilestore_backend_named(format) : path ? tilestore_backend_for_path(path) : NULL;
	if (*be)
		return MS_OK;
	char names[256];
	known(names, sizeof names);
	if (format || !path)
		return ms_fail(err, MS_EUSAGE, "no tile store format '%s' (known: %s)", format ? format : "",
		               names);
	return ms_fail(err, MS_EUSAGE, "%s: no tile store format for this file name (known: %s)", path,
	               names);
}

void tilestore_partial_path(const char *path, char *out, size_t size)
{
	snprintf(out, size, "%s%s", path, TILESTORE_PARTIAL_SUFFIX);
}

/* ------------------------------------------------------------ writing */

enum ms_status tilestore_create(const char *path, const char *format, const struct tilestore_meta *meta,
                                enum tilestore_partial partial, struct tilestore **out, struct ms_error *err)
{
	*out = NULL;
	const struct tilestore_backend *be;
	enum ms_status st = pick(path, format, &be, err);
	if (st != MS_OK)
		return st;
	struct tilestore *ts = xcalloc(1, sizeof *ts);
	ts->be = be;
	ts->mode = WRITING;
	ts->path = xstrdup(path);
	ts->meta = *meta;
	char partial_path[PATH_MAX + sizeof TILESTORE_PARTIAL_SUFFIX];
	tilestore_partial_path(path, partial_path, sizeof partial_path);
	if ((st = spool_open(partial_path, meta, partial, &ts->spool, err)) != MS_OK) {
		tilestore_close(ts);
		return st;
	}
	*out = ts;
	return MS_OK;
}

enum ms_status tilestore_has(struct tilestore *ts, int z, int x, int y, bool *found, struct ms_error *err)
{
	*found = false;
	if (ts->mode != WRITING)
		return ms_fail(err, MS_EUSAGE, "tile %d/%d/%d: the store is not being written", z, x, y);
	if (!webmerc_tile_valid(z, x, y, WEBMERC_MAX_ZOOM))
		return MS_OK;
	return spool_has(ts->spool, z, x, y, found, err);
}

enum ms_status tilestore_put(struct tilestore *ts, int z, int x, int y, const void *data, size_t len,
                             struct ms_error *err)
{
	if (ts->mode != WRITING)
		return ms_fail(err, MS_EUSAGE, "tile %d/%d/%d: the store is not being written", z, x, y);
	if (!webmerc_tile_valid(z, x, y, WEBMERC_MAX_ZOOM))
		return ms_fail(err, MS_EUSAGE, "tile %d/%d/%d is outside the grid (zoom 0..%d)", z, x, y,
		               WEBMERC_MAX_ZOOM);
	return spool_put(ts->spool, z, x, y, data, len, err);
}

enum ms_status tilestore_checkpoint(struct tilestore *ts, struct ms_error *err)
{
	if (ts->mode != WRITING)
		return ms_fail(err, MS_EUSAGE, "%s: the store is not being written", ts->path);
	return spool_commit(ts->spool, err);
}

enum ms_status tilestore_finish(struct tilestore *ts, struct ms_error *err)
{
	if (ts->mode != WRITING)
		return ms_fail(err, MS_EUSAGE, "%s: the store is not being written", ts->path);
	struct atomicfile af;
	enum ms_status st = spool_commit(ts->spool, err);
	if (st != MS_OK || (st = atomicfile_begin(&af, ts->path, ts->be->name, err)) != MS_OK)
		return st;
	st = ts->be->build(ts->spool, af.tmp, &ts->meta, &ts->done, err);
	if (st == MS_OK)
		st = atomicfile_commit(&af, err);
	atomicfile_abort(&af); /* removes the new file unless published */
	if (st != MS_OK)
		return st; /* the partial file stays, for another try */
	spool_close(ts->spool, true);
	ts->spool = NULL;
	ts->mode = FINISHED;
	return MS_OK;
}

/* ------------------------------------------------------------ reading */

static enum ms_status open_common(struct tilestore *ts, const char *src, const char *path, const void *data,
                                  size_t len, struct ms_error *err)
{
	enum ms_status st = ts->be->open(src, path, data, len, &ts->impl, err);
	if (st != MS_OK)
		return st;
	ts->npairs = ts->be->metadata(ts->impl, &ts->pairs);
	return tilestore_meta_parse(src, ts->pairs, ts->npairs, &ts->info, err);
}

static enum ms_status open_store(const char *path, const void *data, size_t len, const char *format,
                                 struct tilestore **out, struct ms_error *err)
{
	*out = NULL;
	const struct tilestore_backend *be;
	enum ms_status st = pick(path, format, &be, err);
	if (st != MS_OK)
		return st;
	struct tilestore *ts = xcalloc(1, sizeof *ts);
	ts->be = be;
	ts->mode = READING;
	ts->path = xstrdup(path ? path : "(memory)");
	if ((st = open_common(ts, ts->path, path, data, len, err)) != MS_OK) {
		tilestore_close(ts);
		return st;
	}
	*out = ts;
	return MS_OK;
}

enum ms_status tilestore_open(const char *path, const char *format, struct tilestore **out,
                              struct ms_error *err)
{
	return open_store(path, NULL, 0, format, out, err);
}

enum ms_status tilestore_open_buffer(const void *data, size_t len, const char *format, struct tilestore **out,
                                     struct ms_error *err)
{
	if (!format) {
		*out = NULL;
		return ms_fail(err, MS_EUSAGE, "a tile store in memory needs its format named");
	}
	return open_store(NULL, data, len, format, out, err);
}

enum ms_status tilestore_get(struct tilestore *ts, int z, int x, int y, struct buf *out, bool *found,
                             struct ms_error *err)
{
	*found = false;
	if (ts->mode != READING)
		return ms_fail(err, MS_EUSAGE, "tile %d/%d/%d: the store is not open for reading", z, x, y);
	if (!webmerc_tile_valid(z, x, y, WEBMERC_MAX_ZOOM))
		return MS_OK; /* in no store */
	return ts->be->get(ts->impl, z, x, y, out, found, err);
}

size_t tilestore_metadata(const struct tilestore *ts, const char *const (**pairs)[2])
{
	*pairs = ts->mode == READING ? ts->pairs : NULL;
	return ts->mode == READING ? ts->npairs : 0;
}

const char *tilestore_meta_value(const struct tilestore *ts, const char *name)
{
	for (size_t i = 0; ts->mode == READING && i < ts->npairs; i++)
		if (!strcmp(ts->pairs[i][0], name))
			return ts->pairs[i][1];
	return NULL;
}

const struct tilestore_info *tilestore_info(const struct tilestore *ts)
{
	return &ts->info;
}

void tilestore_stats(const struct tilestore *ts, struct tilestore_stats *st)
{
	memset(st, 0, sizeof *st);
	if (ts->mode == WRITING)
		spool_stats(ts->spool, st);
	else if (ts->mode == FINISHED)
		*st = ts->done;
	else if (ts->impl && ts->be->stats)
		ts->be->stats(ts->impl, st);
}

void tilestore_close(struct tilestore *ts)
{
	if (!ts)
		return;
	spool_close(ts->spool, false); /* an unfinished store's tiles stay for a resume */
	if (ts->impl)
		ts->be->close(ts->impl);
	free(ts->path);
	free(ts);
}

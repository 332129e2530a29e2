/*
 * ingest_int.h - what the CSV and GeoJSON readers share (private to
 * mapsvc/ingest/): the all-or-nothing batch that validates each site and
 * detects duplicate ids, and UTF-8 checking.
 *
 * A batch collects the sites of one input into a set of its own and only
 * appends them to the caller's set when the whole input was good, which is
 * how the readers keep their "all or none" promise (ingest.h).  Not
 * thread-safe; one batch per read.
 */
#ifndef MS_INGEST_INT_H
#define MS_INGEST_INT_H

#include <stddef.h>

#include <jansson.h>

#include "ingest.h"

/* Inputs larger than this are refused before anything is parsed: a million
 * sites with long descriptions fit in a few hundred megabytes. */
#define INGEST_MAX_FILE ((size_t)1 << 30)
/* No field of a site needs more; a longer one is a broken file. */
#define INGEST_MAX_FIELD ((size_t)64 * 1024)
/* Ids appear in URLs and file names of exports. */
#define INGEST_MAX_ID 200
/* A CSV header with more columns than this is not a site list (the
 * export refuses to write one, since the reader would refuse it). */
#define INGEST_MAX_COLUMNS 256

/* Where a site came from, for "duplicate of ..." messages. */
enum ingest_where { INGEST_LINE, INGEST_FEATURE };

struct ingest_idset; /* open-addressing hash set of ids */

struct ingest_batch {
	enum coordsys cs;
	enum ingest_where where_kind;
	const struct site_set *into; /* borrowed; its ids count as taken */
	struct site_set *tmp;        /* the sites read so far */
	size_t *where;               /* line or feature number of tmp->v[i] */
	size_t where_cap;
	struct ingest_idset *ids;
};

void ingest_batch_init(struct ingest_batch *b, enum coordsys cs, enum ingest_where kind,
                       const struct site_set *into);
void ingest_batch_free(struct ingest_batch *b);

/* Validates *row (ingest_row_validate) and adds a copy of its site, in
 * WGS-84; refuses an id already in the batch or in `into`.  On failure
 * returns MS_EDATA with only the reason in err ("lat 91.2 out of range
 * -90..90"); the caller adds FILE:LINE. */
enum ms_status ingest_batch_add(struct ingest_batch *b, struct ingest_row *row, size_t where,
                                struct ms_error *err);

/* Appends every site of the batch to into (the set given to init). */
void ingest_batch_commit(struct ingest_batch *b, struct site_set *into);

/* A buffer for an id as ingest_feature_row writes it. */
#define INGEST_ID_BUF (INGEST_MAX_ID + 2)

/* Reads one GeoJSON Feature (jansson's f) into *row as the GeoJSON reader
 * reads each feature (geojson.c's top comment): the id into id, the
 * other fields borrowed from f, the extra properties as a new JSON text
 * in *extra_text (free it, also on failure; NULL when none was made).
 * Not validated: ingest_row_validate does that.  MS_EDATA with the reason
 * alone; the caller says where. */
enum ms_status ingest_feature_row(const json_t *f, struct ingest_row *row, char id[INGEST_ID_BUF],
                                  char **extra_text, struct ms_error *err);

/* 1-based line of byte offset off. */
size_t ingest_line_of(const char *data, size_t off);

#endif

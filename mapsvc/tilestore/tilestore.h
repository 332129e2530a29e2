/*
 * tilestore.h - where rendered tiles are kept outside the server: a tile
 * store is one file of encoded tiles by address, with what a viewer needs
 * to know about them (bounds, zooms, attribution), that other tools read
 * (GDAL and QGIS, MapLibre, Leaflet through the pmtiles library, a plain
 * static web server).
 *
 * The seam is a small table of operations, struct tilestore_backend, as
 * mod_tile's storage backends are (includes/store.h there): a backend
 * knows one format's layout and nothing else.  The front functions below
 * choose the backend by name ("mbtiles", "pmtiles") or by the file's
 * extension, and own what every format shares:
 *
 *  - Writing goes through a partial file, TARGET.partial (tilestore_int.h,
 *    spool.c): an SQLite file of the tiles put so far, committed every few
 *    hundred tiles, which survives an interrupted or killed run.  A later
 *    run asked to resume keeps its tiles if it was made for the very same
 *    store (the same metadata: style and its version, data version, scale,
 *    coordsys, zooms, bounds); otherwise it is refused with what differs.
 *  - Finishing writes the format from the partial file in a canonical
 *    order into a new file beside the target and publishes it whole
 *    (util/atomicfile.h: the one durable write path), then removes the
 *    partial file.  So the target is never half a store, and a store
 *    seeded in several runs is byte for byte the store seeded in one.
 *
 * Backends: MBTiles 1.3 (SQLite; images deduplicated by content) and
 * PMTiles v3 (one file of a header, Hilbert-ordered directories and
 * deduplicated tile data, for HTTP range requests).
 *
 * Addresses are XYZ (y = 0 at the north, geo/webmerc.h); a backend
 * stores them in its format's own scheme (MBTiles flips rows to TMS,
 * PMTiles numbers tiles along a Hilbert curve).
 *
 * Ownership and threads: a struct tilestore owns its backend state, its
 * partial file's connection and the file it builds.  A store being
 * written belongs to one thread.  A store open for reading may be read by
 * any number of threads at once (tilestore_get, tilestore_meta_value):
 * the PMTiles reader keeps its directories immutable in memory and reads
 * tiles with pread; the MBTiles reader serialises its one SQLite
 * connection with a mutex.
 */
#ifndef MS_TILESTORE_H
#define MS_TILESTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/buf.h"
#include "../util/ms_error.h"

/* What a store says about its tiles (MBTiles 1.3's metadata table,
 * PMTiles' header and metadata).  Strings are borrowed for the call. */
struct tilestore_meta {
	const char *name, *description, *attribution, *version;
	const char *format;            /* of the tile data: "png" */
	const char *type;              /* "overlay" or "baselayer" */
	double bounds[4];              /* west, south, east, north, degrees */
	double center_lon, center_lat; /* where a viewer opens */
	int center_zoom;
	int minzoom, maxzoom;
	/* Further name/value pairs (a vendor's own: coordsys, scale). */
	const char *const (*extra)[2];
	size_t nextra;
};

/* Counts of a store. */
struct tilestore_stats {
	long long tiles;  /* addresses stored */
	long long images; /* distinct tile contents stored (deduplicated) */
};

/* What a store's metadata says, parsed (tilestore_meta_parse). */
struct tilestore_info {
	char format[16];      /* of the tiles: "png", "jpg", "webp", "pbf"; "" if unsaid */
	int minzoom, maxzoom; /* -1 if unsaid */
	bool has_bounds;
	double bounds[4]; /* west, south, east, north, degrees */
	bool has_center;
	double center[2]; /* lon, lat */
	int center_zoom;  /* -1 if unsaid */
};

/* The highest zoom a store's metadata may name (PMTiles v3 ids stay
 * exact in a double, as its JavaScript reader needs, up to 26; beyond
 * tiles are smaller than a centimetre). */
#define TILESTORE_MAX_ZOOM 26

struct tilestore_spool; /* the partial file (tilestore_int.h) */

/* One format.  Every operation returns MS_OK or fails with err filled
 * ("PATH: what: why"); impl is the backend's own state. */
struct tilestore_backend {
	const char *name;      /* "mbtiles": what a --format option names */
	const char *extension; /* ".mbtiles": a file name ending so picks it */
	/* Writes a whole store of every tile in sp, described by meta, at
	 * path: an empty new file made by the front, nobody else's.  *st gets
	 * the store's counts.  The bytes depend only on sp's tiles and meta,
	 * never on how or in how many runs sp was filled. */
	enum ms_status (*build)(struct tilestore_spool *sp, const char *path,
	                        const struct tilestore_meta *meta, struct tilestore_stats *st,
	                        struct ms_error *err);
	/* An existing store for reading: the file at path, or (path NULL) the
	 * len bytes at data, borrowed until close.  src names it in messages. */
	enum ms_status (*open)(const char *src, const char *path, const void *data, size_t len, void **impl,
	                       struct ms_error *err);
	/* Appends tile z/x/y to out and sets *found, or sets *found false.
	 * Called from any number of threads at once. */
	enum ms_status (*get)(void *impl, int z, int x, int y, struct buf *out, bool *found,
	                      struct ms_error *err);
	/* The store's metadata as name/value pairs, MBTiles' names and text
	 * (borrowed until close); the number of pairs. */
	size_t (*metadata)(void *impl, const char *const (**pairs)[2]);
	void (*stats)(void *impl, struct tilestore_stats *st);
	/* Frees impl. */
	void (*close)(void *impl);
};

/* The backend called name (case-insensitive), or NULL. */
const struct tilestore_backend *tilestore_backend_named(const char *name);
/* The backend whose extension ends path (case-insensitive), or NULL. */
const struct tilestore_backend *tilestore_backend_for_path(const char *path);

/* What tilestore_create does with a partial file an earlier run left. */
enum tilestore_partial {
	TILESTORE_FRESH,   /* refuse (MS_EUSAGE, naming --resume and --force) */
	TILESTORE_RESUME,  /* keep its tiles when it was made for the same meta */
	TILESTORE_RESTART, /* remove it and start over */
};

struct tilestore;

/* The partial file of the store at path: "PATH.partial". */
#define TILESTORE_PARTIAL_SUFFIX ".partial"
void tilestore_partial_path(const char *path, char *out, size_t size);

/* Starts (or resumes) writing a store that will replace path when
 * finished: format names the backend (NULL: by path's extension); meta
 * and its strings are borrowed until tilestore_finish or tilestore_close.
 * MS_EUSAGE for an unknown format or extension (the message lists the
 * known ones), for a partial file refused by partial (it says why), and
 * when another process is writing the same partial file; MS_EIO when the
 * partial file cannot be made. */
enum ms_status tilestore_create(const char *path, const char *format, const struct tilestore_meta *meta,
                                enum tilestore_partial partial, struct tilestore **out, struct ms_error *err);
/* Opens the store at path for tilestore_get (format as above); its
 * metadata must parse (tilestore_meta_parse). */
enum ms_status tilestore_open(const char *path, const char *format, struct tilestore **out,
                              struct ms_error *err);
/* The same over a store held in memory (len bytes at data, borrowed until
 * tilestore_close): for tests and fuzzers.  format is required. */
enum ms_status tilestore_open_buffer(const void *data, size_t len, const char *format, struct tilestore **out,
                                     struct ms_error *err);

/* Whether tile z/x/y has been put (a store being written). */
enum ms_status tilestore_has(struct tilestore *ts, int z, int x, int y, bool *found, struct ms_error *err);
/* Stores one encoded tile.  MS_EUSAGE when z/x/y is not in the grid
 * (zoom 0..24) or the store is not being written.  What was put is
 * committed to the partial file every few hundred tiles and by
 * tilestore_checkpoint and tilestore_close. */
enum ms_status tilestore_put(struct tilestore *ts, int z, int x, int y, const void *data, size_t len,
                             struct ms_error *err);
/* Commits every tile put so far to the partial file: a kill loses none
 * of them from now on. */
enum ms_status tilestore_checkpoint(struct tilestore *ts, struct ms_error *err);
/* Completes the store and publishes it over the target (synced, renamed,
 * the folder synced), then removes the partial file.  On failure nothing
 * is published, the target is as it was and the partial file stays.
 * Then only tilestore_stats and tilestore_close apply. */
enum ms_status tilestore_finish(struct tilestore *ts, struct ms_error *err);

/* Appends tile z/x/y to out; *found false (out untouched) when absent. */
enum ms_status tilestore_get(struct tilestore *ts, int z, int x, int y, struct buf *out, bool *found,
                             struct ms_error *err);
/* The metadata of a store open for reading: n name/value pairs, MBTiles'
 * names and text (a PMTiles archive's header fields among them), borrowed
 * until tilestore_close.  Returns n. */
size_t tilestore_metadata(const struct tilestore *ts, const char *const (**pairs)[2]);
/* The value of metadata name, or NULL. */
const char *tilestore_meta_value(const struct tilestore *ts, const char *name);
/* The parsed metadata of a store open for reading. */
const struct tilestore_info *tilestore_info(const struct tilestore *ts);

/* Counts: of a store being written, what it holds so far (a resumed one's
 * earlier tiles included); of a finished one, what it published; of one
 * open for reading, what it holds (images: distinct contents, when the
 * format says). */
void tilestore_stats(const struct tilestore *ts, struct tilestore_stats *st);
/* Frees the store.  One being written and not finished commits what was
 * put and keeps its partial file, for a later run to resume.  NULL is
 * fine. */
void tilestore_close(struct tilestore *ts);

/* Parses metadata pairs (MBTiles 1.3's names: format, minzoom, maxzoom,
 * bounds, center; others are not looked at) into *out.  A malformed value
 * gives MS_EDATA "SRC: metadata 'NAME': 'VALUE' is not ...".  Pure. */
enum ms_status tilestore_meta_parse(const char *src, const char *const (*pairs)[2], size_t n,
                                    struct tilestore_info *out, struct ms_error *err);

#endif

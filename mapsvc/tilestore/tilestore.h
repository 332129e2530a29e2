/*
 * tilestore.h - where rendered tiles are kept outside the server: a tile
 * store is a file (or, later, a folder) of encoded tiles by address, with
 * what a viewer needs to know about them (bounds, zooms, attribution).
 *
 * The seam is a small table of operations, struct tilestore_backend, as
 * mod_tile's storage backends are (includes/store.h there): a backend
 * knows one format's layout and nothing else.  The front functions below
 * choose the backend by name ("mbtiles") or by the file's extension, and
 * own what every format shares: a store being written is a new file
 * beside the target, published whole by tilestore_finish or removed by
 * tilestore_close (util/atomicfile.h: the one durable write path), so the
 * target is never half a store and an interrupted seed leaves nothing.
 *
 * Backends today: MBTiles 1.3 (SQLite; images deduplicated by content).
 * PMTiles (one file, a directory written at the end) and a z/x/y.png
 * folder fit the same operations: create gets the metadata up front,
 * finish completes the layout, and atomicfile publishes a folder as it
 * publishes a file.
 *
 * Addresses are XYZ (y = 0 at the north, geo/webmerc.h); a backend
 * stores them in its format's own scheme (MBTiles flips rows to TMS).
 *
 * Ownership and threads: a struct tilestore owns its backend state and
 * its temporary file; one thread at a time uses it (SQLite connections
 * are not shared here).  Different stores may be used on different
 * threads.
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

/* Counts of a store being written. */
struct tilestore_stats {
	long long tiles;  /* addresses stored */
	long long images; /* distinct tile contents stored (deduplicated) */
};

/* One format.  Every operation returns MS_OK or fails with err filled
 * ("PATH: what: why"); impl is the backend's own state. */
struct tilestore_backend {
	const char *name;      /* "mbtiles": what a --format option names */
	const char *extension; /* ".mbtiles": a file name ending so picks it */
	/* A new store at path, which exists and is empty (a fresh file made
	 * by the front, nobody else's), described by meta. */
	enum ms_status (*create)(const char *path, const struct tilestore_meta *meta, void **impl,
	                         struct ms_error *err);
	/* An existing store at path, for reading. */
	enum ms_status (*open)(const char *path, void **impl, struct ms_error *err);
	/* Stores the tile z/x/y (XYZ; checked by the front). */
	enum ms_status (*put)(void *impl, int z, int x, int y, const void *data, size_t len,
	                      struct ms_error *err);
	/* Appends tile z/x/y to out and sets *found, or sets *found false. */
	enum ms_status (*get)(void *impl, int z, int x, int y, struct buf *out, bool *found,
	                      struct ms_error *err);
	/* Completes a created store: when it returns MS_OK every put is in
	 * the file (not yet synced: the front does that). */
	enum ms_status (*finish)(void *impl, struct ms_error *err);
	/* Frees impl (an unfinished store's content is discarded). */
	void (*close)(void *impl);
	void (*stats)(void *impl, struct tilestore_stats *st);
};

/* The backend called name (case-insensitive), or NULL. */
const struct tilestore_backend *tilestore_backend_named(const char *name);
/* The backend whose extension ends path (case-insensitive), or NULL. */
const struct tilestore_backend *tilestore_backend_for_path(const char *path);

struct tilestore;

/* Starts writing a store that will replace path when finished: format
 * names the backend (NULL: by path's extension).  MS_EUSAGE for an
 * unknown format or extension (the message lists the known ones), MS_EIO
 * when the file beside path cannot be made. */
enum ms_status tilestore_create(const char *path, const char *format, const struct tilestore_meta *meta,
                                struct tilestore **out, struct ms_error *err);
/* Opens the store at path for tilestore_get (format as above). */
enum ms_status tilestore_open(const char *path, const char *format, struct tilestore **out,
                              struct ms_error *err);
/* Stores one encoded tile.  MS_EUSAGE when z/x/y is not in the grid
 * (zoom 0..24) or the store is not being written. */
enum ms_status tilestore_put(struct tilestore *ts, int z, int x, int y, const void *data, size_t len,
                             struct ms_error *err);
/* Appends tile z/x/y to out; *found false (out untouched) when absent. */
enum ms_status tilestore_get(struct tilestore *ts, int z, int x, int y, struct buf *out, bool *found,
                             struct ms_error *err);
/* Completes the store and publishes it over the target (synced, renamed,
 * the folder synced).  On failure nothing is published and the target is
 * as it was.  Then only tilestore_stats and tilestore_close apply. */
enum ms_status tilestore_finish(struct tilestore *ts, struct ms_error *err);
void tilestore_stats(const struct tilestore *ts, struct tilestore_stats *st);
/* Frees the store; one being written and not finished is removed.  NULL
 * is fine. */
void tilestore_close(struct tilestore *ts);

#endif

/*
 * tilestore_int.h - the parts of tilestore/ behind the front: the
 * backends (one file each), the partial file every store is seeded into
 * (spool.c), the metadata rows every format writes (meta.c) and the
 * PMTiles encodings (pmtiles.c), declared here so that the unit tests
 * check them one by one.  Internal to mapsvc/tilestore/ and its tests: a
 * new format is a file defining one more struct tilestore_backend and a
 * line in tilestore.c's table.  Owns nothing.
 */
#ifndef MS_TILESTORE_INT_H
#define MS_TILESTORE_INT_H

#include <stdint.h>

#include "tilestore.h"

/* MBTiles 1.3 (mbtiles.c) and PMTiles v3 (pmtiles.c). */
extern const struct tilestore_backend tilestore_mbtiles;
extern const struct tilestore_backend tilestore_pmtiles;

/* ------------------------------------------------------------ meta.c */

/* The metadata of a store as MBTiles 1.3 rows: the named fields that are
 * set (bounds and center as "%.6f" text), then the extras.  The text of
 * the numbers lives in *text. */
#define META_MAX_ROWS 64
struct meta_rows {
	const char *row[META_MAX_ROWS][2];
	size_t n;
	char bounds[128], center[128], minzoom[16], maxzoom[16];
};
/* MS_EUSAGE when meta has more extras than META_MAX_ROWS leaves room for. */
enum ms_status meta_rows_of(const struct tilestore_meta *meta, struct meta_rows *rows, struct ms_error *err);
/* v in whole units (1e-6 degree for MBTiles' text, 1e-7 for PMTiles'
 * header) rounded outwards, dir -1 down (west, south) or +1 up (east,
 * north), so that written bounds never cut into the box; 0 rounds to the
 * nearest.  A value already whole up to floating-point noise stays. */
double meta_round_out(double v, double units_per_degree, int dir);

/* ----------------------------------------------------------- spool.c */

/* The partial file of a store being written: an SQLite file in the
 * MBTiles 1.3 layout with deduplicated images (a `metadata` table,
 * `images` by content hash, `map` of addresses, a `tiles` view), so that
 * the MBTiles backend publishes a compacted copy of it and any MBTiles
 * reader can look into an interrupted seed.  One process writes it at a
 * time (SQLite's exclusive locking mode); what was put is committed every
 * SPOOL_BATCH tiles, with a rollback journal, so a killed run leaves the
 * file as of its last commit and SQLite rolls back the rest on open. */
#define SPOOL_BATCH 256

/* Opens the partial file at path for a store described by meta: a new
 * one (how: TILESTORE_FRESH refuses an existing file, TILESTORE_RESTART
 * replaces it) or the existing one, which TILESTORE_RESUME keeps only if
 * its metadata rows are meta's, row for row. */
enum ms_status spool_open(const char *path, const struct tilestore_meta *meta, enum tilestore_partial how,
                          struct tilestore_spool **out, struct ms_error *err);
enum ms_status spool_put(struct tilestore_spool *sp, int z, int x, int y, const void *data, size_t len,
                         struct ms_error *err);
enum ms_status spool_has(struct tilestore_spool *sp, int z, int x, int y, bool *found, struct ms_error *err);
/* Commits what was put. */
enum ms_status spool_commit(struct tilestore_spool *sp, struct ms_error *err);
void spool_stats(const struct tilestore_spool *sp, struct tilestore_stats *st);
/* One tile of the spool: its XYZ address, its key, and its image (a
 * number for spool_image) and the image's length in bytes. */
struct spool_tile {
	int z, x, y;
	uint64_t key;
	int64_t image;
	size_t len;
};
typedef enum ms_status (*spool_tile_fn)(void *arg, const struct spool_tile *t, struct ms_error *err);
/* Calls fn for every tile in ascending order of key(z, x, y) (ties: by
 * address), sorted by SQLite, so in bounded memory whatever the count. */
enum ms_status spool_each(struct tilestore_spool *sp, uint64_t (*key)(int z, int x, int y), spool_tile_fn fn,
                          void *arg, struct ms_error *err);
/* Appends the bytes of image n to out. */
enum ms_status spool_image(struct tilestore_spool *sp, int64_t n, struct buf *out, struct ms_error *err);
/* The largest image number (images are numbered 1..spool_max_image). */
enum ms_status spool_max_image(struct tilestore_spool *sp, int64_t *n, struct ms_error *err);
/* Writes a compacted copy of the partial file (all committed) to path,
 * an empty file: SQLite's VACUUM INTO, which lays the copy out from the
 * content alone. */
enum ms_status spool_copy(struct tilestore_spool *sp, const char *path, struct ms_error *err);
/* The partial file's path. */
const char *spool_path(const struct tilestore_spool *sp);
/* Commits (best effort) and closes; remove: delete the file and its
 * journal too. */
void spool_close(struct tilestore_spool *sp, bool remove);

/* --------------------------------------------------------- pmtiles.c */

/* PMTiles v3 (github.com/protomaps/PMTiles, spec/v3/spec.md). */
#define PMTILES_HEADER_LEN 127
/* "The Header and Root combined must be less than 16,384 bytes" (spec,
 * File structure), so that a reader's first range request of 16 KiB
 * holds both. */
#define PMTILES_ROOT_BUDGET (16384 - PMTILES_HEADER_LEN)

/* The tile id of z/x/y: the tiles of the zooms above z, then the
 * position of x/y along the Hilbert curve over zoom z (z <= 26). */
uint64_t pmtiles_tile_id(int z, uint32_t x, uint32_t y);
/* The inverse: false when id is beyond zoom 26. */
bool pmtiles_tile_zxy(uint64_t id, int *z, uint32_t *x, uint32_t *y);

/* A directory entry (spec, Entries): run_length 0 points at a leaf
 * directory (offset into the leaf section), otherwise at run_length
 * consecutive tile ids showing the same bytes (offset into tile data). */
struct pmtiles_entry {
	uint64_t tile_id;
	uint64_t offset;
	uint32_t length;
	uint32_t run_length;
};

/* Appends the serialised directory of e[0..n) (spec, Directory
 * Serialization: count, delta-coded ids, run lengths, lengths, offsets
 * zeroed when contiguous, all varints), uncompressed. */
void pmtiles_encode_dir(const struct pmtiles_entry *e, size_t n, struct buf *out);
/* Decodes a serialised directory into a new array (*out, free it) of *n
 * entries, checking what the spec asks of one: at least one entry,
 * ascending ids, nonzero lengths.  MS_EDATA "SRC: why" otherwise. */
enum ms_status pmtiles_decode_dir(const char *src, const uint8_t *p, size_t len, struct pmtiles_entry **out,
                                  size_t *n, struct ms_error *err);

/* gzip (RFC 1952) of data, appended to out: deterministic (no time, no
 * name), as the archive's InternalCompression 2. */
enum ms_status pmtiles_gzip(const void *data, size_t len, struct buf *out, struct ms_error *err);
/* Inflates gzip data into out, refusing more than max bytes. */
enum ms_status pmtiles_gunzip(const char *src, const void *data, size_t len, size_t max, struct buf *out,
                              struct ms_error *err);

/* The directories of the tile entries e[0..n): the root alone when its
 * gzip fits budget bytes, else leaves of a number of entries each (4096,
 * grown by a fifth until the root of pointers to them fits), as the
 * reference writer does.  root gets the gzipped root, leaves the gzipped
 * leaf directories back to back (offsets in the root are into leaves);
 * *nleaves how many. */
enum ms_status pmtiles_directories(const struct pmtiles_entry *e, size_t n, size_t budget, struct buf *root,
                                   struct buf *leaves, size_t *nleaves, struct ms_error *err);

#endif

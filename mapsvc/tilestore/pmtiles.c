/*
 * pmtiles.c - the PMTiles v3 backend of the tile stores
 * (github.com/protomaps/PMTiles, spec/v3/spec.md): one file that a static
 * host or an object store serves to map clients by HTTP range requests.
 *
 * Layout, in file order: a 127-byte header; the root directory; the
 * metadata (JSON); the leaf directories; the tile data.  A directory is a
 * list of entries (tile id, offset, length, run length) sorted by tile
 * id, where a tile id counts the tiles of all lower zooms and then walks
 * the zoom along a Hilbert curve, so that tiles near each other on the
 * map are near each other in the file and a viewport is a few ranges.
 * Directories are serialised column by column as varints with the ids
 * delta-coded and contiguous offsets zeroed, then gzipped (the header's
 * InternalCompression 2); tiles are stored as they are (PNG is already
 * compressed: TileCompression 1, none).
 *
 * Writing, from the partial file (spool.c) that the seed filled:
 *  - The tiles are listed in tile id order, sorted by SQLite (an external
 *    merge sort, so the memory does not grow with millions of tiles).
 *  - Consecutive ids showing the same image become one entry with a run
 *    length: the long stretches of empty tiles of an overlay collapse.
 *  - Each distinct image is written once, where it first appears in id
 *    order, so the data are "clustered" (the header's flag): every offset
 *    follows the previous one or points back to an earlier image.
 *  - The root directory must fit in the first 16 KiB with the header; if
 *    all entries do not, they go to leaf directories of 4096 entries and
 *    more (grown by a fifth until the root of pointers fits), one level
 *    deep, as the reference writer (go-pmtiles) does.
 * Nothing depends on the time or on how the partial file was filled: the
 * same tiles and metadata give the same bytes.  Memory: the merged
 * entries (24 bytes each) and an offset per distinct image.
 *
 * Reading: the header is checked against the file's size, every
 * directory is read, inflated (at most DIR_MAX bytes) and decoded once at
 * open into one array of tile entries, checked to be in strictly
 * ascending, non-overlapping id order and to point inside the tile data;
 * a lookup is then a binary search and one pread, safe from any number of
 * threads.  Memory: 24 bytes per entry, runs counted once.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../util/mem.h"
#include "tilestore_int.h"

#define MAGIC "PMTiles"
#define MAGIC_LEN 7
#define SPEC_VERSION 3
/* The header's compression enum (spec, Header Design). */
enum {
	COMPRESSION_UNKNOWN = 0,
	COMPRESSION_NONE = 1,
	COMPRESSION_GZIP = 2,
	COMPRESSION_BROTLI = 3,
	COMPRESSION_ZSTD = 4
};
/* Its tile type enum. */
enum { TYPE_UNKNOWN = 0, TYPE_MVT = 1, TYPE_PNG = 2, TYPE_JPEG = 3, TYPE_WEBP = 4, TYPE_AVIF = 5 };
/* Where the header's fields are (spec, Header Design: little-endian). */
enum {
	H_VERSION = 7,
	H_ROOT_OFF = 8,
	H_ROOT_LEN = 16,
	H_META_OFF = 24,
	H_META_LEN = 32,
	H_LEAF_OFF = 40,
	H_LEAF_LEN = 48,
	H_DATA_OFF = 56,
	H_DATA_LEN = 64,
	H_ADDRESSED = 72,
	H_ENTRIES = 80,
	H_CONTENTS = 88,
	H_CLUSTERED = 96,
	H_INTERNAL = 97,
	H_TILE_COMPRESSION = 98,
	H_TILE_TYPE = 99,
	H_MINZOOM = 100,
	H_MAXZOOM = 101,
	H_BOUNDS = 102, /* min lon, min lat, max lon, max lat: 4 bytes each */
	H_CENTER_ZOOM = 118,
	H_CENTER_LON = 119,
	H_CENTER_LAT = 123,
};
/* Degrees are stored as signed 32-bit integers of 1e-7 degree. */
#define E7 10000000.0
/* First leaf size tried, and its growth per attempt (a fifth). */
#define LEAF_ENTRIES 4096
#define LEAF_GROWTH 5
/* Reading: what an archive may ask of the reader's memory.  A directory
 * of the largest seed (10 million tiles, every one distinct) decodes to
 * about 60 MiB; metadata are a few kilobytes. */
#define DIR_MAX (64u << 20)
#define META_MAX (16u << 20)
#define ENTRIES_MAX (1u << 24)
/* Leaf directories inside leaf directories: the spec allows any depth,
 * writers use one level; a few more is generous. */
#define DEPTH_MAX 4
/* Bytes of a varint of 64 bits. */
#define VARINT_MAX 10

/* ---------------------------------------------------------- tile ids */

uint64_t pmtiles_tile_id(int z, uint32_t x, uint32_t y)
{
	/* Tiles of zooms 0..z-1: (4^z - 1) / 3. */
	uint64_t acc = ((UINT64_C(1) << (2 * z)) - 1) / 3, d = 0;
	uint32_t tx = x, ty = y;
	/* The Hilbert curve's xy-to-d walk from the largest quadrant down;
	 * only the bits below s matter at each step, so the wrap-around of
	 * the unsigned reflection is harmless. */
	for (uint32_t s = z ? UINT32_C(1) << (z - 1) : 0; s > 0; s >>= 1) {
		uint32_t rx = (tx & s) ? 1 : 0, ry = (ty & s) ? 1 : 0;
		d += (uint64_t)s * s * ((3 * rx) ^ ry);
		if (!ry) {
			if (rx) {
				tx = s - 1 - tx;
				ty = s - 1 - ty;
			}
			uint32_t t = tx;
			tx = ty;
			ty = t;
		}
	}
	return acc + d;
}

bool pmtiles_tile_zxy(uint64_t id, int *z, uint32_t *x, uint32_t *y)
{
	uint64_t acc = 0;
	for (int zz = 0; zz <= TILESTORE_MAX_ZOOM; zz++) {
		uint64_t count = UINT64_C(1) << (2 * zz);
		if (id - acc < count) {
			uint64_t t = id - acc;
			uint32_t px = 0, py = 0;
			for (uint64_t s = 1; s < (UINT64_C(1) << zz); s <<= 1) {
				uint32_t rx = (uint32_t)(1 & (t / 2)), ry = (uint32_t)(1 & (t ^ rx));
				if (!ry) {
					if (rx) {
						px = (uint32_t)s - 1 - px;
						py = (uint32_t)s - 1 - py;
					}
					uint32_t tmp = px;
					px = py;
					py = tmp;
				}
				px += (uint32_t)s * rx;
				py += (uint32_t)s * ry;
				t /= 4;
			}
			*z = zz;
			*x = px;
			*y = py;
			return true;
		}
		acc += count;
	}
	return false;
}

static uint64_t tile_key(int z, int x, int y)
{
	return pmtiles_tile_id(z, (uint32_t)x, (uint32_t)y);
}

/* ------------------------------------------------------- directories */

static void put_varint(struct buf *out, uint64_t v)
{
	uint8_t b[VARINT_MAX];
	size_t n = 0;
	while (v >= 0x80) {
		b[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t)v;
	buf_append(out, b, n);
}

void pmtiles_encode_dir(const struct pmtiles_entry *e, size_t n, struct buf *out)
{
	put_varint(out, n);
	uint64_t last = 0;
	for (size_t i = 0; i < n; i++) {
		put_varint(out, e[i].tile_id - last);
		last = e[i].tile_id;
	}
	for (size_t i = 0; i < n; i++)
		put_varint(out, e[i].run_length);
	for (size_t i = 0; i < n; i++)
		put_varint(out, e[i].length);
	for (size_t i = 0; i < n; i++) {
		bool follows = i > 0 && e[i].offset == e[i - 1].offset + e[i - 1].length;
		put_varint(out, follows ? 0 : e[i].offset + 1);
	}
}

struct reader {
	const uint8_t *p;
	size_t len, pos;
};

static bool get_varint(struct reader *r, uint64_t *v)
{
	uint64_t out = 0;
	for (int shift = 0; shift < 7 * VARINT_MAX; shift += 7) {
		if (r->pos == r->len)
			return false;
		uint8_t b = r->p[r->pos++];
		if (shift == 63 && b > 1) /* more than 64 bits */
			return false;
		out |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = out;
			return true;
		}
	}
	return false;
}

enum ms_status pmtiles_decode_dir(const char *src, const uint8_t *p, size_t len, struct pmtiles_entry **out,
                                  size_t *n, struct ms_error *err)
{
	*out = NULL;
	*n = 0;
	struct reader r = {p, len, 0};
	uint64_t count, v;
	if (!get_varint(&r, &count))
		return ms_fail(err, MS_EDATA, "%s: directory: truncated entry count", src);
	if (count == 0)
		return ms_fail(err, MS_EDATA, "%s: directory: no entries (the spec asks for at least one)",
		               src);
	/* each entry takes four varints of at least one byte */
	if (count > (len - r.pos) / 4 || count > ENTRIES_MAX)
		return ms_fail(err, MS_EDATA, "%s: directory: %llu entries cannot fit in %zu bytes", src,
		               (unsigned long long)count, len);
	struct pmtiles_entry *e = xcalloc((size_t)count, sizeof *e);
	const char *why = NULL;
	uint64_t last = 0;
	for (size_t i = 0; i < count && !why; i++) {
		if (!get_varint(&r, &v))
			why = "bad tile id";
		else if (i > 0 && v == 0)
			why = "tile ids not in ascending order";
		else if (last + v < last)
			why = "tile id beyond 64 bits";
		else
			e[i].tile_id = last += v;
	}
	for (size_t i = 0; i < count && !why; i++) {
		if (!get_varint(&r, &v) || v > UINT32_MAX)
			why = "bad run length";
		else
			e[i].run_length = (uint32_t)v;
	}
	for (size_t i = 0; i < count && !why; i++) {
		if (!get_varint(&r, &v) || v > UINT32_MAX)
			why = "bad length";
		else if (v == 0)
			why = "a zero length (the spec asks for more)";
		else
			e[i].length = (uint32_t)v;
	}
	for (size_t i = 0; i < count && !why; i++) {
		if (!get_varint(&r, &v))
			why = "truncated offset";
		else if (v == 0 && i == 0)
			why = "the first offset follows nothing";
		else if (v == 0)
			e[i].offset = e[i - 1].offset + e[i - 1].length;
		else
			e[i].offset = v - 1;
	}
	if (!why && r.pos != len)
		why = "bytes after the last entry";
	if (why) {
		free(e);
		return ms_fail(err, MS_EDATA, "%s: directory: %s", src, why);
	}
	*out = e;
	*n = (size_t)count;
	return MS_OK;
}

/* ---------------------------------------------------------------- gzip */

enum ms_status pmtiles_gzip(const void *data, size_t len, struct buf *out, struct ms_error *err)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	/* 15 + 16: a gzip wrapper, whose header zlib writes without a time
	 * or a name: the same input, the same bytes. */
	if (len > UINT_MAX ||
	    deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return ms_fail(err, MS_EINTERNAL, "cannot start gzip of %zu bytes", len);
	size_t bound = deflateBound(&z, (uLong)len);
	buf_reserve(out, bound);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->data + out->len;
	z.avail_out = (uInt)bound;
	int rc = deflate(&z, Z_FINISH);
	if (rc == Z_STREAM_END) {
		out->len += z.total_out;
		out->data[out->len] = '\0'; /* buf.h's promise */
	}
	deflateEnd(&z);
	return rc == Z_STREAM_END ? MS_OK
	                          : ms_fail(err, MS_EINTERNAL, "gzip of %zu bytes did not finish", len);
}

enum ms_status pmtiles_gunzip(const char *src, const void *data, size_t len, size_t max, struct buf *out,
                              struct ms_error *err)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (len > UINT_MAX || inflateInit2(&z, 15 + 16) != Z_OK)
		return ms_fail(err, MS_EDATA, "%s: cannot inflate %zu bytes", src, len);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	size_t start = out->len;
	int rc = Z_OK;
	while (rc == Z_OK) {
		if (out->len - start >= max) {
			inflateEnd(&z);
			return ms_fail(err, MS_EDATA, "%s: inflates to more than %zu bytes", src, max);
		}
		size_t room = max - (out->len - start) < 65536 ? max - (out->len - start) : 65536;
		buf_reserve(out, room);
		z.next_out = (Bytef *)out->data + out->len;
		z.avail_out = (uInt)room;
		rc = inflate(&z, Z_NO_FLUSH);
		out->len += room - z.avail_out;
		out->data[out->len] = '\0'; /* buf.h's promise */
		if (rc == Z_BUF_ERROR && z.avail_in == 0)
			break; /* truncated: no input left to finish the stream */
		if (rc == Z_BUF_ERROR)
			rc = Z_OK; /* output full: the loop checks max and goes on */
	}
	bool trailing = rc == Z_STREAM_END && z.avail_in != 0;
	inflateEnd(&z);
	if (rc != Z_STREAM_END)
		return ms_fail(err, MS_EDATA, "%s: bad or truncated gzip data", src);
	if (trailing)
		return ms_fail(err, MS_EDATA, "%s: bytes after the gzip data", src);
	return MS_OK;
}

/* --------------------------------------------------------- directories */

/* The gzipped directory of e[0..n), appended to out. */
static enum ms_status gz_dir(const struct pmtiles_entry *e, size_t n, struct buf *raw, struct buf *out,
                             struct ms_error *err)
{
	buf_reset(raw);
	pmtiles_encode_dir(e, n, raw);
	return pmtiles_gzip(raw->data, raw->len, out, err);
}

enum ms_status pmtiles_directories(const struct pmtiles_entry *e, size_t n, size_t budget, struct buf *root,
                                   struct buf *leaves, size_t *nleaves, struct ms_error *err)
{
	*nleaves = 0;
	if (n == 0)
		return ms_fail(err, MS_EUSAGE, "a PMTiles archive needs at least one tile");
	struct buf raw = BUF_INIT;
	buf_reset(root);
	buf_reset(leaves);
	enum ms_status st = gz_dir(e, n, &raw, root, err);
	struct pmtiles_entry *ptr = NULL;
	for (size_t size = LEAF_ENTRIES; st == MS_OK && root->len > budget;
	     size += (size + LEAF_GROWTH - 1) / LEAF_GROWTH) {
		size_t nl = (n + size - 1) / size;
		ptr = xrealloc(ptr, nl * sizeof *ptr);
		buf_reset(leaves);
		for (size_t i = 0; i < nl && st == MS_OK; i++) {
			size_t first = i * size, count = n - first < size ? n - first : size;
			size_t before = leaves->len;
			st = gz_dir(e + first, count, &raw, leaves, err);
			ptr[i] = (struct pmtiles_entry){e[first].tile_id, before,
			                                (uint32_t)(leaves->len - before), 0};
		}
		buf_reset(root);
		if (st == MS_OK)
			st = gz_dir(ptr, nl, &raw, root, err);
		*nleaves = nl;
	}
	free(ptr);
	buf_free(&raw);
	return st;
}

/* ------------------------------------------------------------- writing */

struct writer {
	const char *path;
	struct pmtiles_entry *e; /* tile entries, runs merged */
	size_t n, cap;
	int64_t last_image;  /* of e[n - 1] */
	uint64_t *offset_of; /* image number -> offset + 1 in the data; 0: not placed yet */
	int64_t max_image;
	int64_t *order; /* images in data order */
	size_t norder;
	uint64_t data_len, addressed;
};

static enum ms_status add_tile(void *arg, const struct spool_tile *t, struct ms_error *err)
{
	struct writer *w = arg;
	if (t->image < 1 || t->image > w->max_image)
		return ms_fail(err, MS_EINTERNAL, "%s: tile %d/%d/%d has no image", w->path, t->z, t->x,
		               t->y);
	if (t->len == 0 || t->len > UINT32_MAX)
		return ms_fail(err, MS_EUSAGE,
		               "%s: tile %d/%d/%d has %zu bytes: PMTiles stores 1 to 2^32 - 1", w->path, t->z,
		               t->x, t->y, t->len);
	w->addressed++;
	struct pmtiles_entry *last = w->n ? &w->e[w->n - 1] : NULL;
	if (last && w->last_image == t->image && last->tile_id + last->run_length == t->key &&
	    last->run_length < UINT32_MAX) {
		last->run_length++;
		return MS_OK;
	}
	uint64_t *at = &w->offset_of[t->image];
	if (!*at) {
		*at = w->data_len + 1;
		w->order[w->norder++] = t->image;
		w->data_len += t->len;
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 1024;
		w->e = xrealloc(w->e, w->cap * sizeof *w->e);
	}
	w->e[w->n++] = (struct pmtiles_entry){t->key, *at - 1, (uint32_t)t->len, 1};
	w->last_image = t->image;
	return MS_OK;
}

static void le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int tile_type(const char *format)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {{"png", TYPE_PNG},   {"jpg", TYPE_JPEG}, {"jpeg", TYPE_JPEG}, {"webp", TYPE_WEBP},
	             {"avif", TYPE_AVIF}, {"pbf", TYPE_MVT},  {"mvt", TYPE_MVT}};
	for (size_t i = 0; format && i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(format, types[i].name))
			return types[i].type;
	return TYPE_UNKNOWN;
}

/* Degrees as the header's integers: rounded outwards for the bounds
 * (dir -1: down, +1: up), so the box never shrinks. */
static uint32_t deg_e7(double v, int dir)
{
	return (uint32_t)(int32_t)meta_round_out(v, E7, dir);
}

struct sections {
	uint64_t root, meta, leaves, data; /* lengths; offsets follow in this order after the header */
};

static void header(uint8_t h[PMTILES_HEADER_LEN], const struct sections *s, const struct writer *w,
                   const struct tilestore_meta *md)
{
	memset(h, 0, PMTILES_HEADER_LEN);
	memcpy(h, MAGIC, MAGIC_LEN);
	h[H_VERSION] = SPEC_VERSION;
	uint64_t off = PMTILES_HEADER_LEN;
	le(h + H_ROOT_OFF, off, 8);
	le(h + H_ROOT_LEN, s->root, 8);
	le(h + H_META_OFF, off += s->root, 8);
	le(h + H_META_LEN, s->meta, 8);
	le(h + H_LEAF_OFF, off += s->meta, 8);
	le(h + H_LEAF_LEN, s->leaves, 8);
	le(h + H_DATA_OFF, off += s->leaves, 8);
	le(h + H_DATA_LEN, s->data, 8);
	le(h + H_ADDRESSED, w->addressed, 8);
	le(h + H_ENTRIES, w->n, 8);
	le(h + H_CONTENTS, w->norder, 8);
	h[H_CLUSTERED] = 1; /* clustered: data in id order, see the top of this file */
	h[H_INTERNAL] = COMPRESSION_GZIP;
	h[H_TILE_COMPRESSION] = COMPRESSION_NONE;
	h[H_TILE_TYPE] = (uint8_t)tile_type(md->format);
	h[H_MINZOOM] = (uint8_t)md->minzoom;
	h[H_MAXZOOM] = (uint8_t)md->maxzoom;
	for (int i = 0; i < 4; i++) /* west and south down, east and north up */
		le(h + H_BOUNDS + 4 * i, deg_e7(md->bounds[i], i < 2 ? -1 : 1), 4);
	h[H_CENTER_ZOOM] = (uint8_t)md->center_zoom;
	le(h + H_CENTER_LON, deg_e7(md->center_lon, 0), 4);
	le(h + H_CENTER_LAT, deg_e7(md->center_lat, 0), 4);
}

/* The JSON metadata: every row but those the header holds, as strings
 * (spec, Metadata: "all values should be strings"), in row order. */
static enum ms_status meta_json(const struct tilestore_meta *md, struct buf *out, struct ms_error *err)
{
	struct meta_rows rows;
	enum ms_status st = meta_rows_of(md, &rows, err);
	if (st != MS_OK)
		return st;
	json_t *o = json_object();
	for (size_t i = 0; i < rows.n && st == MS_OK; i++) {
		const char *name = rows.row[i][0];
		if (!strcmp(name, "bounds") || !strcmp(name, "center") || !strcmp(name, "minzoom") ||
		    !strcmp(name, "maxzoom"))
			continue;
		json_t *v = json_string(rows.row[i][1]);
		if (!v || json_object_set_new(o, name, v))
			st = ms_fail(err, MS_EUSAGE, "metadata '%s' is not UTF-8 text", name);
	}
	char *text = st == MS_OK ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (st == MS_OK && !text)
		st = ms_fail(err, MS_EINTERNAL, "cannot write the metadata JSON");
	if (st == MS_OK)
		st = pmtiles_gzip(text, strlen(text), out, err);
	free(text);
	return st;
}

static enum ms_status write_all(FILE *f, const char *path, const void *p, size_t n, struct ms_error *err)
{
	if (n && fwrite(p, 1, n, f) != n)
		return ms_fail(err, MS_EIO, "%s: cannot write: %s", path, strerror(errno));
	return MS_OK;
}

/* Header, root, metadata, leaves, then each image once in data order. */
static enum ms_status write_file(struct tilestore_spool *sp, const struct writer *w,
                                 const struct tilestore_meta *md, const struct buf *root,
                                 const struct buf *meta, const struct buf *leaves, struct ms_error *err)
{
	FILE *f = fopen(w->path, "wb");
	if (!f)
		return ms_fail(err, MS_EIO, "%s: cannot write: %s", w->path, strerror(errno));
	struct sections s = {root->len, meta->len, leaves->len, w->data_len};
	uint8_t h[PMTILES_HEADER_LEN];
	header(h, &s, w, md);
	enum ms_status st = write_all(f, w->path, h, sizeof h, err);
	if (st == MS_OK)
		st = write_all(f, w->path, root->data, root->len, err);
	if (st == MS_OK)
		st = write_all(f, w->path, meta->data, meta->len, err);
	if (st == MS_OK)
		st = write_all(f, w->path, leaves->data, leaves->len, err);
	struct buf img = BUF_INIT;
	for (size_t i = 0; i < w->norder && st == MS_OK; i++) {
		buf_reset(&img);
		if ((st = spool_image(sp, w->order[i], &img, err)) == MS_OK)
			st = write_all(f, w->path, img.data, img.len, err);
	}
	buf_free(&img);
	if (fclose(f) != 0 && st == MS_OK)
		st = ms_fail(err, MS_EIO, "%s: cannot write: %s", w->path, strerror(errno));
	return st;
}

static enum ms_status pmt_build(struct tilestore_spool *sp, const char *path, const struct tilestore_meta *md,
                                struct tilestore_stats *stats, struct ms_error *err)
{
	struct writer w = {.path = path, .last_image = -1};
	struct buf root = BUF_INIT, leaves = BUF_INIT, meta = BUF_INIT;
	size_t nleaves;
	if (md->minzoom < 0 || md->maxzoom > TILESTORE_MAX_ZOOM || md->center_zoom < 0 ||
	    md->center_zoom > TILESTORE_MAX_ZOOM)
		return ms_fail(err, MS_EUSAGE, "%s: zooms beyond 0..%d", path, TILESTORE_MAX_ZOOM);
	enum ms_status st = spool_max_image(sp, &w.max_image, err);
	if (st != MS_OK)
		return st;
	w.offset_of = xcalloc((size_t)w.max_image + 1, sizeof *w.offset_of);
	w.order = xmalloc(((size_t)w.max_image + 1) * sizeof *w.order);
	if ((st = spool_each(sp, tile_key, add_tile, &w, err)) != MS_OK ||
	    (st = pmtiles_directories(w.e, w.n, PMTILES_ROOT_BUDGET, &root, &leaves, &nleaves, err)) !=
	        MS_OK ||
	    (st = meta_json(md, &meta, err)) != MS_OK)
		goto done;
	st = write_file(sp, &w, md, &root, &meta, &leaves, err);
	stats->tiles = (long long)w.addressed;
	stats->images = (long long)w.norder;
done:
	buf_free(&root);
	buf_free(&leaves);
	buf_free(&meta);
	free(w.e);
	free(w.offset_of);
	free(w.order);
	return st;
}

/* ------------------------------------------------------------- reading */

struct pmt {
	char *src;
	int fd;             /* -1: the archive is mem[0..size) */
	const uint8_t *mem; /* borrowed */
	uint64_t size;
	uint64_t root_off, root_len, meta_off, meta_len, leaf_off, leaf_len, data_off, data_len;
	uint8_t internal;
	struct pmtiles_entry *tiles; /* every tile entry, ascending */
	size_t ntiles, cap;
	char *(*pairs)[2];
	size_t npairs, pcap;
	struct tilestore_stats stats;
};

static uint64_t rd_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* len bytes at off (checked inside the file by the caller) into out. */
static enum ms_status read_at(const struct pmt *r, uint64_t off, size_t len, uint8_t *out,
                              struct ms_error *err)
{
	if (r->fd < 0) {
		memcpy(out, r->mem + off, len);
		return MS_OK;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t got = pread(r->fd, out + done, len - done, (off_t)(off + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return ms_fail(err, MS_EIO, "%s: cannot read %zu bytes at %llu: %s", r->src, len,
			               (unsigned long long)off,
			               got < 0 ? strerror(errno) : "the file is shorter");
		done += (size_t)got;
	}
	return MS_OK;
}

/* A section [off, off + len) lies inside the file. */
static bool inside(const struct pmt *r, uint64_t off, uint64_t len)
{
	return off <= r->size && len <= r->size - off;
}

/* The bytes of a directory or of the metadata, inflated as the header
 * says, into out. */
static enum ms_status read_section(struct pmt *r, const char *what, uint64_t off, uint64_t len, size_t max,
                                   struct buf *out, struct ms_error *err)
{
	if (len > max)
		return ms_fail(err, MS_EDATA, "%s: %s of %llu bytes: more than %zu", r->src, what,
		               (unsigned long long)len, max);
	uint8_t *raw = xmalloc(len ? (size_t)len : 1);
	enum ms_status st = read_at(r, off, (size_t)len, raw, err);
	if (st == MS_OK && r->internal == COMPRESSION_GZIP) {
		char where[300];
		snprintf(where, sizeof where, "%s: %s", r->src, what);
		st = pmtiles_gunzip(where, raw, (size_t)len, max, out, err);
	} else if (st == MS_OK) {
		buf_append(out, raw, (size_t)len);
	}
	free(raw);
	return st;
}

static enum ms_status walk(struct pmt *r, const struct pmtiles_entry *e, size_t n, int depth,
                           struct ms_error *err);

static enum ms_status read_dir(struct pmt *r, uint64_t off, uint64_t len, int depth, struct ms_error *err)
{
	struct buf b = BUF_INIT;
	struct pmtiles_entry *e = NULL;
	size_t n = 0;
	enum ms_status st =
	    read_section(r, depth ? "leaf directory" : "root directory", off, len, DIR_MAX, &b, err);
	if (st == MS_OK)
		st = pmtiles_decode_dir(r->src, (const uint8_t *)b.data, b.len, &e, &n, err);
	buf_free(&b);
	if (st == MS_OK)
		st = walk(r, e, n, depth, err);
	free(e);
	return st;
}

/* Appends a directory's tile entries to r->tiles, reading its leaves in
 * place, and checks they keep ascending without overlapping. */
static enum ms_status walk(struct pmt *r, const struct pmtiles_entry *e, size_t n, int depth,
                           struct ms_error *err)
{
	enum ms_status st = MS_OK;
	for (size_t i = 0; i < n && st == MS_OK; i++) {
		const struct pmtiles_entry *x = &e[i];
		if (x->run_length == 0) {
			if (depth >= DEPTH_MAX)
				return ms_fail(err, MS_EDATA, "%s: leaf directories nested deeper than %d",
				               r->src, DEPTH_MAX);
			if (!(x->offset <= r->leaf_len && x->length <= r->leaf_len - x->offset))
				return ms_fail(err, MS_EDATA,
				               "%s: a leaf directory at %llu+%u is outside the leaf section",
				               r->src, (unsigned long long)x->offset, x->length);
			st = read_dir(r, r->leaf_off + x->offset, x->length, depth + 1, err);
			continue;
		}
		if (!(x->offset <= r->data_len && x->length <= r->data_len - x->offset))
			return ms_fail(err, MS_EDATA, "%s: tile id %llu at %llu+%u is outside the tile data",
			               r->src, (unsigned long long)x->tile_id, (unsigned long long)x->offset,
			               x->length);
		if (x->tile_id + x->run_length < x->tile_id)
			return ms_fail(err, MS_EDATA, "%s: tile id %llu runs beyond 64 bits", r->src,
			               (unsigned long long)x->tile_id);
		if (r->ntiles) {
			const struct pmtiles_entry *p = &r->tiles[r->ntiles - 1];
			if (x->tile_id < p->tile_id + p->run_length)
				return ms_fail(err, MS_EDATA,
				               "%s: tile id %llu out of order or within the run before it",
				               r->src, (unsigned long long)x->tile_id);
		}
		if (r->ntiles == ENTRIES_MAX)
			return ms_fail(err, MS_EDATA, "%s: more than %u tile entries", r->src, ENTRIES_MAX);
		if (r->ntiles == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 1024;
			r->tiles = xrealloc(r->tiles, r->cap * sizeof *r->tiles);
		}
		r->tiles[r->ntiles++] = *x;
		r->stats.tiles += x->run_length;
	}
	return st;
}

static void add_pair(struct pmt *r, const char *name, const char *value)
{
	for (size_t i = 0; i < r->npairs; i++)
		if (!strcmp(r->pairs[i][0], name))
			return; /* the header's word stands */
	if (r->npairs == r->pcap) {
		r->pcap = r->pcap ? 2 * r->pcap : 16;
		r->pairs = xrealloc(r->pairs, r->pcap * sizeof *r->pairs);
	}
	r->pairs[r->npairs][0] = xstrdup(name);
	r->pairs[r->npairs][1] = xstrdup(value);
	r->npairs++;
}

static const char *compression_name(int c)
{
	static const char *const names[] = {"unknown", "none", "gzip", "brotli", "zstd"};
	return c >= 0 && c < (int)(sizeof names / sizeof names[0]) ? names[c] : "unknown";
}

/* The header's fields as MBTiles' rows. */
static void header_pairs(struct pmt *r, const uint8_t *h)
{
	static const char *const types[] = {NULL, "pbf", "png", "jpg", "webp", "avif"};
	char v[160];
	if (h[H_TILE_TYPE] < sizeof types / sizeof types[0] && types[h[H_TILE_TYPE]])
		add_pair(r, "format", types[h[H_TILE_TYPE]]);
	snprintf(v, sizeof v, "%d", h[H_MINZOOM]);
	add_pair(r, "minzoom", v);
	snprintf(v, sizeof v, "%d", h[H_MAXZOOM]);
	add_pair(r, "maxzoom", v);
	double b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (int32_t)(uint32_t)rd_le(h + H_BOUNDS + 4 * i, 4) / E7;
	snprintf(v, sizeof v, "%.7f,%.7f,%.7f,%.7f", b[0], b[1], b[2], b[3]);
	add_pair(r, "bounds", v);
	snprintf(v, sizeof v, "%.7f,%.7f,%d", (int32_t)(uint32_t)rd_le(h + H_CENTER_LON, 4) / E7,
	         (int32_t)(uint32_t)rd_le(h + H_CENTER_LAT, 4) / E7, h[H_CENTER_ZOOM]);
	add_pair(r, "center", v);
	add_pair(r, "compression", compression_name(h[H_TILE_COMPRESSION]));
}

/* The JSON metadata's string members. */
static enum ms_status read_meta(struct pmt *r, struct ms_error *err)
{
	if (r->meta_len == 0)
		return MS_OK;
	struct buf b = BUF_INIT;
	enum ms_status st = read_section(r, "metadata", r->meta_off, r->meta_len, META_MAX, &b, err);
	json_t *o = NULL;
	json_error_t je;
	if (st == MS_OK && !(o = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, &je)))
		st = ms_fail(err, MS_EDATA, "%s: metadata: %s at byte %d", r->src, je.text, je.position);
	else if (st == MS_OK && !json_is_object(o))
		st = ms_fail(err, MS_EDATA, "%s: metadata: not a JSON object", r->src);
	/* Strings only: the spec's convention for what viewers read; objects
	 * (vector_layers) and numbers are another reader's business.  jansson
	 * refuses a NUL inside a string, so each is one C string. */
	const char *key;
	json_t *v;
	if (st == MS_OK) {
		json_object_foreach(o, key, v)
		{
			if (*key && json_is_string(v))
				add_pair(r, key, json_string_value(v));
		}
	}
	json_decref(o);
	buf_free(&b);
	return st;
}

static enum ms_status check_header(struct pmt *r, const uint8_t *h, struct ms_error *err)
{
	if (r->size < PMTILES_HEADER_LEN || memcmp(h, MAGIC, MAGIC_LEN))
		return ms_fail(err, MS_EDATA, "%s: not a PMTiles archive", r->src);
	if (h[H_VERSION] != SPEC_VERSION)
		return ms_fail(err, MS_EDATA, "%s: PMTiles version %d: only version %d is read", r->src,
		               h[H_VERSION], SPEC_VERSION);
	r->root_off = rd_le(h + H_ROOT_OFF, 8), r->root_len = rd_le(h + H_ROOT_LEN, 8);
	r->meta_off = rd_le(h + H_META_OFF, 8), r->meta_len = rd_le(h + H_META_LEN, 8);
	r->leaf_off = rd_le(h + H_LEAF_OFF, 8), r->leaf_len = rd_le(h + H_LEAF_LEN, 8);
	r->data_off = rd_le(h + H_DATA_OFF, 8), r->data_len = rd_le(h + H_DATA_LEN, 8);
	r->internal = h[H_INTERNAL];
	r->stats.images = (long long)(rd_le(h + H_CONTENTS, 8) & LLONG_MAX);
	static const char *const names[] = {"root directory", "metadata", "leaf directories", "tile data"};
	const uint64_t sec[][2] = {{r->root_off, r->root_len},
	                           {r->meta_off, r->meta_len},
	                           {r->leaf_off, r->leaf_len},
	                           {r->data_off, r->data_len}};
	for (int i = 0; i < 4; i++)
		if (!inside(r, sec[i][0], sec[i][1]))
			return ms_fail(err, MS_EDATA,
			               "%s: the %s (%llu bytes at %llu) is outside the file of %llu bytes",
			               r->src, names[i], (unsigned long long)sec[i][1],
			               (unsigned long long)sec[i][0], (unsigned long long)r->size);
	if (r->root_len == 0)
		return ms_fail(err, MS_EDATA, "%s: no root directory", r->src);
	if (r->internal != COMPRESSION_NONE && r->internal != COMPRESSION_GZIP)
		return ms_fail(err, MS_EDATA,
		               "%s: directories compressed with %s: only none and gzip are read", r->src,
		               compression_name(r->internal));
	return MS_OK;
}

static void pmt_close(void *impl)
{
	struct pmt *r = impl;
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; i < r->npairs; i++) {
		free(r->pairs[i][0]);
		free(r->pairs[i][1]);
	}
	free(r->pairs);
	free(r->tiles);
	free(r->src);
	free(r);
}

static enum ms_status pmt_open(const char *src, const char *path, const void *data, size_t len, void **impl,
                               struct ms_error *err)
{
	struct pmt *r = xcalloc(1, sizeof *r);
	r->src = xstrdup(src);
	r->fd = -1;
	enum ms_status st = MS_OK;
	uint8_t h[PMTILES_HEADER_LEN] = {0};
	if (path) {
		struct stat sb;
		if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(r->fd, &sb) != 0) {
			st = ms_fail(err, MS_EIO, "%s: cannot open: %s", src, strerror(errno));
			goto done;
		}
		r->size = (uint64_t)sb.st_size;
	} else {
		r->mem = data;
		r->size = len;
	}
	if (r->size >= PMTILES_HEADER_LEN && (st = read_at(r, 0, sizeof h, h, err)) != MS_OK)
		goto done;
	if ((st = check_header(r, h, err)) != MS_OK)
		goto done;
	header_pairs(r, h);
	if ((st = read_dir(r, r->root_off, r->root_len, 0, err)) == MS_OK)
		st = read_meta(r, err);
done:
	if (st != MS_OK) {
		pmt_close(r);
		r = NULL;
	}
	*impl = r;
	return st;
}

static enum ms_status pmt_get(void *impl, int z, int x, int y, struct buf *out, bool *found,
                              struct ms_error *err)
{
	const struct pmt *r = impl;
	*found = false;
	if (z < 0 || z > TILESTORE_MAX_ZOOM)
		return MS_OK;
	uint64_t id = pmtiles_tile_id(z, (uint32_t)x, (uint32_t)y);
	/* the last entry whose id is at most id */
	size_t lo = 0, hi = r->ntiles;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->tiles[mid].tile_id <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return MS_OK;
	const struct pmtiles_entry *e = &r->tiles[lo - 1];
	if (id - e->tile_id >= e->run_length)
		return MS_OK;
	buf_reserve(out, e->length);
	enum ms_status st =
	    read_at(r, r->data_off + e->offset, e->length, (uint8_t *)out->data + out->len, err);
	if (st == MS_OK) {
		out->len += e->length;
		out->data[out->len] = '\0'; /* buf.h's promise */
		*found = true;
	}
	return st;
}

static size_t pmt_metadata(void *impl, const char *const (**pairs)[2])
{
	struct pmt *r = impl;
	*pairs = (const char *const(*)[2])r->pairs;
	return r->npairs;
}

static void pmt_stats(void *impl, struct tilestore_stats *st)
{
	*st = ((struct pmt *)impl)->stats;
}

const struct tilestore_backend tilestore_pmtiles = {
    .name = "pmtiles",
    .extension = ".pmtiles",
    .build = pmt_build,
    .open = pmt_open,
    .get = pmt_get,
    .metadata = pmt_metadata,
    .stats = pmt_stats,
    .close = pmt_close,
};

/* png.c - PNG encoding and decoding of canvases; see png.h. */
#include "png.h"

#include <isa-l/igzip_lib.h>
#include <png.h> /* libpng's, found on the system include path */
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../util/mem.h"

/* Deflate settings, measured on 256 px overlay tiles of 1 to 6 markers
 * (tests/bench/bench_raster.c and CPU time per encode):
 *  - indexed, filter None (PNG spec 12.8: None suits palette images; Sub,
 *    Up and Paeth all came out larger): Z_RLE is within 10% of level 9's
 *    size at a sixth of its time (0.17 ms against 1 ms a tile), because the
 *    data are long runs of index 0 where level 9 searches hash chains in vain;
 *  - 1 bit per pixel (empty and nearly empty tiles): the raw data are 8 KB,
 *    so level 9 costs little and saves bytes on the most common tile;
 *  - RGBA, filter None: the adaptive filters made these images 30% larger
 *    (transparent areas are already zeros).  These are the tiles crowded
 *    with clusters and labels (a million sites, tests/bench/scale.sh), and
 *    the @2x ones spent half their time in zlib at level 2 (level 6: 8 ms
 *    of CPU a tile).  ISA-L's igzip at its level 1 makes streams of the same
 *    size as zlib's level 2 (within 2% on the eight slowest @2x tiles of
 *    the clustered million) in a quarter to a fifth of the time: 0.3 to
 *    0.7 ms a MiB against 2.0 to 3.0 ms, on one core. */
#define ZLEVEL_SMALL 9
#define ZLEVEL 6
#define IGZIP_INDEXED_MIN (128u << 10)

#define PALETTE_MAX 256
#define HASH_SLOTS 1024 /* power of two, > 2 * PALETTE_MAX */

struct png_ctx {
	struct buf *out;
	char msg[256];
	jmp_buf jmp;
};

static void on_error(png_structp png, png_const_charp msg)
{
	struct png_ctx *ctx = png_get_error_ptr(png);
	snprintf(ctx->msg, sizeof ctx->msg, "%s", msg);
	longjmp(ctx->jmp, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg; /* the engine never prints */
}

static void on_write(png_structp png, png_bytep data, size_t len)
{
	struct png_ctx *ctx = png_get_io_ptr(png);
	buf_append(ctx->out, data, len);
}

static void on_flush(png_structp png)
{
	(void)png;
}

/* unpremul[a][v]: the straight value of premultiplied v at alpha a,
 * (v * 255 + a / 2) / a at most 255: three divisions a translucent pixel
 * were a sixth of the time of encoding a tile crowded with antialiased
 * clusters.  64 KiB, made once. */
static uint8_t unpremul[256][256];
static pthread_once_t unpremul_once = PTHREAD_ONCE_INIT;

static void unpremul_init(void)
{
	/* (v * 255 + a / 2) / a by steps: each v adds 255 to the dividend, so
	 * 255 / a to the quotient and 255 % a to the remainder.  65,536
	 * divisions were a tenth of a new server's first tile. */
	for (unsigned a = 1; a < 256; a++) {
		unsigned q = (a / 2) / a, r = (a / 2) % a;
		const unsigned dq = 255u / a, dr = 255u % a;
		for (unsigned v = 0; v < 256; v++) {
			unpremul[a][v] = (uint8_t)(q > 255 ? 255 : q);
			q += dq;
			r += dr;
			if (r >= a) {
				q++;
				r -= a;
			}
		}
	}
}

/* Straight-alpha RGBA of a premultiplied pixel, packed little-endian as
 * the bytes r, g, b, a. */
static inline uint32_t unpremultiply(const uint8_t *p)
{
	uint32_t a = p[3];
	if (a == 0)
		return 0;
	if (a == 255)
		return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | 255u << 24;
	const uint8_t *t = unpremul[a];
	return (uint32_t)t[p[0]] | (uint32_t)t[p[1]] << 8 | (uint32_t)t[p[2]] << 16 | a << 24;
}

/* A small open-addressing set of colours, values kept in insertion order. */
struct palette {
	uint32_t key[HASH_SLOTS];
	int16_t slot[HASH_SLOTS]; /* index into colours, -1 when empty */
	uint32_t colours[PALETTE_MAX];
	int n;
};

static inline unsigned hash_colour(uint32_t k)
{
	k *= 0x9E3779B1u;
	return k >> (32 - 10); /* log2(HASH_SLOTS) bits */
}

/* Index of colour k, adding it; -1 once more than PALETTE_MAX exist. */
static int palette_index(struct palette *pal, uint32_t k)
{
	unsigned h = hash_colour(k);
	for (;;) {
		int s = pal->slot[h];
		if (s < 0)
			break;
		if (pal->key[h] == k)
			return s;
		h = (h + 1) & (HASH_SLOTS - 1);
	}
	if (pal->n == PALETTE_MAX)
		return -1;
	pal->key[h] = k;
	pal->slot[h] = (int16_t)pal->n;
	pal->colours[pal->n] = k;
	return pal->n++;
}

/* True when every pixel of the row is fully transparent (index 0). */
static bool row_is_clear(const uint8_t *src, int w)
{
	/* alpha bytes only, 8 bytes (two pixels) at a time */
	uint64_t acc = 0;
	int x = 0;
	for (; x + 2 <= w; x += 2) {
		uint64_t v;
		memcpy(&v, src + (size_t)x * 4, 8);
		acc |= v;
	}
	uint64_t alpha_mask = 0;
	memcpy(&alpha_mask, (const uint8_t[8]){0, 0, 0, 255, 0, 0, 0, 255}, 8);
	if (acc & alpha_mask)
		return false;
	return x == w || !src[(size_t)x * 4 + 3];
}

static int cmp_colour(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	/* translucent before opaque (tRNS can then stop early), by alpha,
	 * then by value: an order independent of where colours appear */
	uint32_t ax = x >> 24, ay = y >> 24;
	if (ax != ay)
		return ax < ay ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Sorts the colours; perm[i] is then the sorted position of the colour
 * that was i-th to appear. */
static void palette_sort(struct palette *pal, uint8_t perm[PALETTE_MAX])
{
	uint32_t first[PALETTE_MAX];
	memcpy(first, pal->colours, (size_t)pal->n * sizeof first[0]);
	qsort(pal->colours, (size_t)pal->n, sizeof pal->colours[0], cmp_colour);
	memset(pal->slot, 0xff, sizeof pal->slot);
	int n = pal->n;
	pal->n = 0;
	for (int i = 0; i < n; i++)
		palette_index(pal, pal->colours[i]);
	for (int i = 0; i < n; i++)
		perm[i] = (uint8_t)palette_index(pal, first[i]);
}

static int bits_for(int ncolours)
{
	return ncolours <= 2 ? 1 : ncolours <= 4 ? 2 : ncolours <= 16 ? 4 : 8;
}

/* The adler-32 of n zero bytes following a stream whose sums are s1, s2
 * (RFC 1950 §8.2): s1 does not change and s2 grows by n * s1. */
static uLong adler32_zeros(uLong adler, size_t n)
{
	const uLong base = 65521;
	uLong s1 = adler & 0xffff, s2 = adler >> 16;
	s2 = (s2 + (uLong)(n % base) * s1) % base;
	return s1 | s2 << 16;
}

/* Each thread's scratch for an image's filtered rows, their deflate
 * streams and the colour numbers of one pass (struct rows: an @2x tile's
 * 2.4 MB), and for the state of the two deflate
 * streams that compress its halves: kept from one image to the next and,
 * at MS_MMAP_THRESHOLD, a block that asks for huge pages (mem.h).
 * Allocated and freed per image, a thread's first crowded @2x tile met
 * these megabytes as hundreds of fresh 4 KiB pages, each a fault: 2 to 3
 * ms where faults are slow (a virtual machine); and zlib's own 260 KB
 * of state a stream, allocated and freed for every stream, was a fault
 * again whenever malloc had given those pages back.  Larger images
 * (static maps) allocate their own. */
#define SCRATCH_BYTES MS_MMAP_THRESHOLD
/* A deflate stream's state: zlib's, windowBits 15 and memLevel 8, takes
 * 262 KB (zconf.h: 2^(windowBits + 2) + 2^(memLevel + 9)), and more falls
 * back to malloc; igzip's, 80 KB and its level 1 buffer (IGZIP_BYTES). */
#define ZPOOL_BYTES (384u << 10)

/* One block of deflate state: zlib's allocations are handed out of it
 * and all taken back at once; igzip's stream takes it whole. */
struct zpool {
	uint8_t *base;
	size_t used;
};

struct scratch_block {
	uint8_t *rows;        /* SCRATCH_BYTES */
	struct zpool pool[2]; /* ZPOOL_BYTES each, after rows */
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
	struct scratch_block *b = p;
	free(b->rows);
	free(b);
}

/* Its parts laid out in memory of SCRATCH_BYTES + 2 * ZPOOL_BYTES. */
static struct scratch_block scratch_at(uint8_t *mem)
{
	struct scratch_block b = {.rows = mem};
	for (int k = 0; k < 2; k++)
		b.pool[k] = (struct zpool){mem + SCRATCH_BYTES + k * ZPOOL_BYTES, 0};
	return b;
}

static void scratch_key_make(void)
{
	if (pthread_key_create(&scratch_key, scratch_free) != 0)
		abort(); /* no key left: mapsvc's policy for what cannot fail, see mem.h */
}

static struct scratch_block *scratch_block(void)
{
	pthread_once(&scratch_once, scratch_key_make);
	struct scratch_block *b = pthread_getspecific(scratch_key);
	if (!b) {
		b = xmalloc(sizeof *b);
		*b = scratch_at(xmalloc(SCRATCH_BYTES + 2 * ZPOOL_BYTES));
		pthread_setspecific(scratch_key, b);
	}
	return b;
}

static voidpf zpool_alloc(voidpf opaque, uInt items, uInt size)
{
	struct zpool *z = opaque;
	size_t n = ((size_t)items * size + 15) & ~(size_t)15;
	if (n <= ZPOOL_BYTES - z->used) {
		void *p = z->base + z->used;
		z->used += n;
		return p;
	}
	return xmalloc(n); /* a larger state than the pool's: zpool_free frees it */
}

static void zpool_free(voidpf opaque, voidpf p)
{
	struct zpool *z = opaque;
	if (!((uint8_t *)p >= z->base && (uint8_t *)p < z->base + ZPOOL_BYTES))
		free(p);
}

/* A piece of filtered image data and its raw deflate stream: the
 * pieces of one image, compressed in order, concatenate into one stream
 * (every piece but the last ends with Z_SYNC_FLUSH, on a byte boundary).
 * compress_part fills out, outlen and ok (and, when asked, adler: the
 * piece's own adler-32, for adler32_combine). */
struct zpart {
	const uint8_t *in;
	size_t len;
	uint8_t *buf; /* where out may go, bufcap bytes (NULL: out is allocated) */
	size_t bufcap;
	uint8_t *out;
	size_t outlen;
	uLong adler;
	bool igzip; /* ISA-L's level 1, or zlib's with: */
	int level, memlevel, strategy;
	const uint8_t *dict; /* the bytes before the piece, or NULL */
	size_t dictlen;
	int flush;
	bool sum;           /* compute adler */
	struct zpool *pool; /* where deflate's state goes (NULL: malloc) */
};

/* igzip's stream and its level 1 buffer, in one block: the buffer's
 * default size (ISA-L's LARGE) measured 3% faster than its SMALL and 40%
 * faster than its MIN on the crowded @2x tiles. */
#define IGZIP_STATE_BYTES ((sizeof(struct isal_zstream) + 63) & ~(size_t)63)
#define IGZIP_BYTES (IGZIP_STATE_BYTES + ISAL_DEF_LVL1_DEFAULT)
_Static_assert(IGZIP_BYTES <= ZPOOL_BYTES, "igzip's state fits in a deflate pool");

/* The raw deflate stream's room: igzip writes a stored block where its
 * coding would expand the data (random bytes: 51 bytes over 512 KiB). */
static size_t igzip_bound(size_t len)
{
	return len + len / 256 + 1024;
}

static void igzip_part(struct zpart *p)
{
	if (p->sum)
		p->adler = isal_adler32(1, p->in, p->len);
	uint8_t *mem = p->pool ? p->pool->base : xmalloc(IGZIP_BYTES);
	struct isal_zstream *s = (struct isal_zstream *)(void *)mem;
	isal_deflate_init(s);
	s->level = 1;
	s->level_buf = mem + IGZIP_STATE_BYTES;
	s->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	bool ok = !p->dict ||
	          isal_deflate_set_dict(s, (uint8_t *)(uintptr_t)p->dict, (uint32_t)p->dictlen) == COMP_OK;
	size_t cap = igzip_bound(p->len);
	p->out = p->buf && cap <= p->bufcap ? p->buf : xmalloc(cap);
	bool last = p->flush == Z_FINISH;
	s->end_of_stream = last;
	s->flush = last ? NO_FLUSH : SYNC_FLUSH;
	s->next_in = (uint8_t *)(uintptr_t)p->in;
	s->avail_in = (uint32_t)p->len;
	s->next_out = p->out;
	s->avail_out = (uint32_t)cap;
	/* done: the stream ended, or flushed and waiting for the next block */
	ok = ok && p->len <= UINT32_MAX && isal_deflate(s) == COMP_OK && s->avail_in == 0 &&
	     s->internal_state.state == (last ? ZSTATE_END : ZSTATE_NEW_HDR);
	p->outlen = s->total_out;
	if (!p->pool)
		free(mem);
	if (!ok) {
		if (p->out != p->buf)
			free(p->out);
		p->out = NULL;
	}
}

static void compress_part(struct zpart *p)
{
	if (p->igzip) {
		igzip_part(p);
		return;
	}
	if (p->sum)
		p->adler = adler32(adler32(0L, Z_NULL, 0), p->in, (uInt)p->len);
	z_stream z;
	memset(&z, 0, sizeof z);
	if (p->pool) {
		p->pool->used = 0;
		z.zalloc = zpool_alloc;
		z.zfree = zpool_free;
		z.opaque = p->pool;
	}
	p->out = NULL;
	p->outlen = 0;
	if (deflateInit2(&z, p->level, Z_DEFLATED, -15, p->memlevel, p->strategy) != Z_OK)
		return;
	if (p->dict)
		deflateSetDictionary(&z, p->dict, (uInt)p->dictlen);
	size_t cap = deflateBound(&z, (uLong)p->len) + 16; /* and a sync flush's empty block */
	p->out = p->buf && cap <= p->bufcap ? p->buf : xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)p->in;
	z.avail_in = (uInt)p->len;
	z.next_out = p->out;
	z.avail_out = (uInt)cap;
	int zs = deflate(&z, p->flush);
	bool ok =
	    p->flush == Z_FINISH ? zs == Z_STREAM_END : zs == Z_OK && z.avail_in == 0 && z.avail_out > 0;
	p->outlen = z.total_out;
	deflateEnd(&z);
	if (!ok) {
		if (p->out != p->buf)
			free(p->out);
		p->out = NULL;
	}
}

/* Rounded up to 16 bytes. */
static size_t r16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* The room of each half's stream of an RGBA image of rawlen bytes. */
static size_t rgba_room(size_t rawlen)
{
	return r16(igzip_bound(rawlen / 2));
}

/*
 * The first row of an image that igzip compresses, a piece of its own
 * that zlib deflates (and ends on a byte boundary), so that every igzip
 * piece starts with history: the rows before it, given as its
 * dictionary.  ISA-L 2.30's level 1, starting a stream without history,
 * files the input's third position under a hash of its own state's
 * address instead of the third byte's (igzip_icf_body_h1_gr_bt.asm,
 * .write_first_byte: tmp2 is never loaded and still holds the stream
 * pointer).  A later position with that hash may then be coded as a
 * match of another distance: the stream stays valid, but the same rows
 * made other bytes on another thread or in another server, so that a
 * tile's ETag depended on where it was drawn (test_kept, which compares
 * two servers' tiles, failed on it about once in 40 runs).  A stream
 * with a dictionary fills its hash table from it (isal_deflate_hash)
 * and never takes that path.  With fixed codes the piece costs 22 bytes
 * an @2x tile of the clustered million on average (0.1%), and its
 * crowded 1x tiles took 3% longer (bench_tiles, 442 tiles).
 */
static struct zpart head_piece(const uint8_t *raw, size_t stride, size_t rawlen, struct zpool *pool, bool sum)
{
	bool whole = stride >= rawlen;
	return (struct zpart){.in = raw,
	                      .len = whole ? rawlen : stride,
	                      .level = ZLEVEL,
	                      .memlevel = 4,
	                      .strategy = Z_FIXED,
	                      .flush = whole ? Z_FINISH : Z_SYNC_FLUSH,
	                      .sum = sum,
	                      .pool = pool};
}

/* The igzip piece of raw's bytes [from, to) (from > 0), the bytes before
 * them its history (isal_deflate_set_dict keeps the last 32 KiB); the
 * last piece ends the stream. */
static struct zpart igzip_piece(const uint8_t *raw, size_t from, size_t to, size_t rawlen, uint8_t *buf,
                                size_t bufcap, struct zpool *pool, bool sum)
{
	return (struct zpart){.in = raw + from,
	                      .len = to - from,
	                      .igzip = true,
	                      .dict = raw,
	                      .dictlen = from,
	                      .flush = to == rawlen ? Z_FINISH : Z_SYNC_FLUSH,
	                      .buf = buf,
	                      .bufcap = buf ? bufcap : 0,
	                      .sum = sum,
	                      .pool = pool};
}

/*
 * The canvas's pixels as PNG wants them, made in one pass (scan).  While
 * the image has PALETTE_MAX colours or fewer, each pixel's colour number
 * (in the order the colours first appear) goes to ix and every clear row
 * is flagged; at the first colour more, every row is made straight RGBA
 * with its filter byte, in rgba.  Collecting the colours first and then
 * looking each pixel up again, as this did, was a third of the encoding
 * of a crowded tile.
 *
 * In the thread's scratch: the RGBA rows, the room of their two streams,
 * then ix and clear; an indexed image's rows and stream later take the
 * place of the RGBA rows (they are at most a quarter of them).
 */
struct rows {
	uint8_t *ix;        /* w * h colour numbers, while indexed */
	uint8_t *clear;     /* h flags: the row is wholly transparent */
	uint8_t *rgba;      /* h rows of 1 + 4 w bytes, once not indexed */
	uint8_t *scratch;   /* where all this lies, or NULL: allocated */
	struct zpool *pool; /* the scratch's two deflate states, or NULL */
	size_t ix_at;       /* ix's offset in the scratch */
	bool indexed;
};

/* Bytes after the rows, before their stream: igzip compares a match
 * 32 bytes at a time (compare_large) and may load past the end of its
 * input, never using what it reads there; the rows of a block allocated
 * for them must not end at the end of a mapping.  They are zeros. */
#define INPUT_GUARD 64

/* The rows of c, in b's scratch where they fit. */
static void rows_begin(const struct canvas *c, struct scratch_block *b, struct rows *r)
{
	const size_t w = (size_t)c->width, h = (size_t)c->height, rgbalen = h * (4 * w + 1);
	memset(r, 0, sizeof *r);
	r->ix_at = r16(rgbalen + INPUT_GUARD) + 2 * rgba_room(rgbalen);
	if (r->ix_at + r16(w * h) + h <= SCRATCH_BYTES) {
		r->scratch = b->rows;
		r->pool = b->pool;
		r->ix = r->scratch + r->ix_at;
		r->clear = r->ix + r16(w * h);
	} else {
		r->ix = xmalloc(w * h);
		r->clear = xmalloc(h);
	}
}

static void rows_end(struct rows *r)
{
	if (!r->scratch) {
		free(r->ix);
		free(r->clear);
		free(r->rgba);
	}
}

/* Every row of c as straight RGBA, filter None. */
static void make_rgba(const struct canvas *c, struct rows *r)
{
	const int w = c->width;
	const size_t stride = (size_t)w * 4 + 1;
	r->indexed = false;
	const size_t len = (size_t)c->height * stride;
	r->rgba = r->scratch ? r->scratch : xmalloc(len + INPUT_GUARD);
	memset(r->rgba + len, 0, INPUT_GUARD);
	for (int y = 0; y < c->height; y++) {
		const uint8_t *src = c->px + (size_t)y * (size_t)w * 4;
		uint8_t *row = r->rgba + (size_t)y * stride;
		row[0] = 0; /* filter None */
		if (row_is_clear(src, w)) {
			memset(row + 1, 0, stride - 1);
			continue;
		}
		for (int x = 0; x < w; x++) {
			uint32_t v = unpremultiply(src + (size_t)x * 4);
			memcpy(row + 1 + (size_t)x * 4, &v, 4);
		}
	}
}

static void scan(const struct canvas *c, struct palette *pal, struct rows *r)
{
	memset(pal->slot, 0xff, sizeof pal->slot);
	pal->n = 0;
	palette_index(pal, 0); /* transparent is always there, and number 0 */
	r->indexed = true;
	const size_t w = (size_t)c->width;
	for (int y = 0; y < c->height; y++) {
		const uint8_t *src = c->px + (size_t)y * w * 4;
		r->clear[y] = row_is_clear(src, c->width);
		if (r->clear[y])
			continue; /* most rows of an overlay tile */
		uint8_t *ix = r->ix + (size_t)y * w;
		uint32_t prev_px = 0;
		int prev_idx = 0;
		for (size_t x = 0; x < w; x++) {
			uint32_t v;
			memcpy(&v, src + x * 4, 4);
			if (v != prev_px) {
				prev_px = v;
				prev_idx = palette_index(pal, unpremultiply(src + x * 4));
				if (prev_idx < 0) {
					make_rgba(c, r);
					return;
				}
			}
			ix[x] = (uint8_t)prev_idx;
		}
	}
}

/* Writes the pieces (of the rows in owned, freed here, or in memory the
 * caller keeps; their streams are freed here unless in a piece's buf) as
 * one IDAT chunk in the zlib format,
 * wrapped by hand (RFC 1950: a 2-byte header, the deflate stream, the
 * adler-32 of the data). */
static void write_idat(png_structp png, uint8_t *owned, struct zpart *part, int nparts, uLong adler)
{
	free(owned);
	size_t len = 2 + 4;
	bool ok = true;
	for (int k = 0; k < nparts; k++) {
		ok = ok && part[k].out;
		len += part[k].outlen;
	}
	if (ok) { /* written from the pieces where they are: no copy of the stream */
		struct png_ctx *ctx = png_get_io_ptr(png);
		buf_reserve(ctx->out, len + 2 * 12); /* the chunk, and IEND after it */
		/* CM 8 (deflate), CINFO 7 (32 KiB window); FLEVEL 0, no
		 * dictionary, FCHECK: 0x7801 % 31 == 0 */
		static const uint8_t head[2] = {0x78, 0x01};
		const uint8_t tail[4] = {(uint8_t)(adler >> 24), (uint8_t)(adler >> 16),
		                         (uint8_t)(adler >> 8), (uint8_t)adler};
		png_write_chunk_start(png, (png_const_bytep) "IDAT", (png_uint_32)len);
		png_write_chunk_data(png, head, sizeof head);
		for (int k = 0; k < nparts; k++)
			png_write_chunk_data(png, part[k].out, part[k].outlen);
		png_write_chunk_data(png, tail, sizeof tail);
		png_write_chunk_end(png);
	}
	for (int k = 0; k < nparts; k++)
		if (part[k].out != part[k].buf)
			free(part[k].out);
	if (!ok)
		png_error(png, "deflate did not finish");
}

/*
 * Writes the whole image data of an indexed image as one IDAT chunk.
 *
 * Why not png_write_row: libpng compresses row by row, one deflate call and
 * one filter pass per row, and has zlib checksum every byte.  An overlay
 * tile is mostly rows of index 0 (transparent), so here the filtered image
 * (filter byte None, PNG spec 12.8) is built at once, compressed with one
 * raw deflate call, and wrapped in the zlib format by hand (RFC 1950: a
 * 2-byte header and the adler-32 of the data), the checksum of every clear
 * row being computed in closed form.  Z_RLE (distance-1 matches only)
 * never consults deflate's hash chains, so the stream is made with small
 * ones (memLevel 4: cheap to create and clear, while its symbol buffer
 * still holds enough for block headers to cost under 1%).  The window stays
 * 32 KiB: with a small one zlib slides it every few hundred bytes, which
 * measured ten times slower.  Result on the benchmark tiles: about 1.8x
 * the tiles/s of compressing through libpng's rows, for bytes within 1%.
 * From IGZIP_INDEXED_MIN bytes of rows (an @2x tile at 8 bits a pixel is
 * 256 KiB) igzip takes over: on crowded @2x tiles of the clustered
 * million it was ten times faster than Z_RLE (0.11-0.20 ms against
 * 1.4-2.0 ms) and its streams 1-17% smaller; on the small, nearly empty
 * tiles it is 20-35% larger, bytes that matter more there than 0.1 ms.
 */
static void write_indexed_idat(png_structp png, const struct canvas *c, const struct rows *r,
                               const uint8_t perm[PALETTE_MAX], int bits)
{
	const int w = c->width, h = c->height;
	const int lg = bits == 1 ? 3 : bits == 2 ? 2 : bits == 4 ? 1 : 0, mask = (1 << lg) - 1;
	const size_t rowbytes = ((size_t)w * (size_t)bits + 7) / 8, stride = rowbytes + 1;
	const size_t rawlen = (size_t)h * stride, at = r16(rawlen + INPUT_GUARD);
	uint8_t *raw = r->scratch;
	if (raw)
		memset(raw, 0, at);
	else
		raw = xcalloc(at, 1);
	uLong adler = adler32(0L, Z_NULL, 0);
	for (int y = 0; y < h; y++) {
		uint8_t *row = raw + (size_t)y * stride + 1; /* row[-1] = 0: filter None */
		if (r->clear[y]) {
			adler = adler32_zeros(adler, stride);
			continue;
		}
		const uint8_t *ix = r->ix + (size_t)y * (size_t)w;
		if (bits == 8) {
			for (int x = 0; x < w; x++)
				row[x] = perm[ix[x]];
		} else {
			for (int x = 0; x < w; x++) /* the leftmost pixel in the high bits */
				row[x >> lg] |= (uint8_t)(perm[ix[x]] << (8 - bits - (x & mask) * bits));
		}
		adler = adler32(adler, row - 1, (uInt)stride);
	}
	struct zpool *pool = r->pool; /* its first state, or NULL */
	struct zpart part[2];
	int nparts = 1;
	if (rawlen >= IGZIP_INDEXED_MIN) { /* the first row by zlib: head_piece */
		part[0] = head_piece(raw, stride, rawlen, pool, false);
		if (stride < rawlen)
			part[nparts++] =
			    igzip_piece(raw, stride, rawlen, rawlen, r->scratch ? r->scratch + at : NULL,
			                r->ix_at - at, pool, false);
	} else {
		/* 1 bit per pixel: 8 KiB of raw data, where level 9 costs
		 * little (see ZLEVEL_SMALL); otherwise run-length coding. */
		part[0] = (struct zpart){.in = raw,
		                         .len = rawlen,
		                         .level = bits == 1 ? ZLEVEL_SMALL : ZLEVEL,
		                         .memlevel = bits == 1 ? 8 : 4,
		                         .strategy = bits == 1 ? Z_DEFAULT_STRATEGY : Z_RLE,
		                         .flush = Z_FINISH,
		                         .pool = pool};
	}
	for (int k = 0; k < nparts; k++) /* one after the other: they share the pool */
		compress_part(&part[k]);
	write_idat(png, r->scratch ? NULL : raw, part, nparts, adler);
}

/* Row bytes from which an RGBA image is compressed in two halves at once
 * (an @2x tile's 1 MiB; a 1x tile's 256 KiB is not). */
#define SPLIT_MIN (512u << 10)

static void *compress_thread(void *arg)
{
	compress_part(arg);
	return NULL;
}

/* Writes the whole image data of an RGBA image as one IDAT chunk, as
 * write_indexed_idat does (filter None: the adaptive filters made these
 * images 30% larger, transparent areas being zeros already).  After the
 * first row (head_piece), an image of SPLIT_MIN bytes or more is
 * compressed as two halves on two threads, as pigz does: the first ends
 * on a byte boundary (Z_SYNC_FLUSH), the second starts with the first's
 * last 32 KiB as its dictionary, and the streams are one; their adler-32s
 * are combined.  With igzip the crowded @2x tiles of a million sites take
 * about 5% less time so than on one thread. */
static void write_rgba_idat(png_structp png, const struct canvas *c, const struct rows *r)
{
	const int h = c->height;
	const size_t stride = (size_t)c->width * 4 + 1, rawlen = (size_t)h * stride;
	const size_t room = rgba_room(rawlen);
	uint8_t *s = r->scratch, *raw = r->rgba, *buf = s ? s + r16(rawlen + INPUT_GUARD) : NULL;
	size_t cut = rawlen >= SPLIT_MIN ? (size_t)(h / 2) * stride : rawlen;
	struct zpool *pool = r->pool; /* two states, or NULL */
	struct zpart part[3];
	int nparts = 0;
	part[nparts++] = head_piece(raw, stride, rawlen, pool, true);
	if (stride < cut) /* one piece gets both halves' room */
		part[nparts++] =
		    igzip_piece(raw, stride, cut, rawlen, buf, cut < rawlen ? room : 2 * room, pool, true);
	struct zpart *far = NULL; /* the second half, on its own thread */
	if (cut < rawlen) {
		far = &part[nparts++];
		*far = igzip_piece(raw, cut, rawlen, rawlen, buf ? buf + room : NULL, room,
		                   pool ? pool + 1 : NULL, true);
	}
	pthread_t th;
	bool threaded = far && pthread_create(&th, NULL, compress_thread, far) == 0;
	for (int k = 0; k < nparts; k++) /* the near ones one after the other: they share a pool */
		if (&part[k] != far || !threaded)
			compress_part(&part[k]);
	if (threaded)
		pthread_join(th, NULL);
	uLong adler = part[0].adler;
	for (int k = 1; k < nparts; k++)
		adler = adler32_combine(adler, part[k].adler, (z_off_t)part[k].len);
	write_idat(png, NULL, part, nparts, adler);
}

/* Writes the rows; separate from pngenc_encode so that no local it
 * changes after setjmp needs to be volatile. */
static void write_image(png_structp png, png_infop info, const struct canvas *c, const struct palette *pal,
                        const struct rows *r, const uint8_t *perm)
{
	int w = c->width;
	/* A wholly transparent canvas takes this path too, as a 1-bit palette
	 * of one transparent entry, never as 1-bit grey with a tRNS grey: the
	 * MBTiles and GeoPackage readers of GDAL (and so QGIS) take a grey tile
	 * without an alpha band as opaque (gdalgeopackagerasterband.cpp,
	 * ReadTile) and showed every empty tile of a seeded file black, while a
	 * palette's tRNS becomes their alpha.  The PLTE costs 14 bytes on the
	 * most common tile of all. */
	if (r->indexed) {
		int bits = bits_for(pal->n);
		png_color rgb[PALETTE_MAX];
		png_byte trns[PALETTE_MAX];
		int ntrns = 0;
		for (int i = 0; i < pal->n; i++) {
			uint32_t k = pal->colours[i];
			rgb[i].red = (png_byte)(k & 255);
			rgb[i].green = (png_byte)(k >> 8 & 255);
			rgb[i].blue = (png_byte)(k >> 16 & 255);
			trns[i] = (png_byte)(k >> 24);
			if (trns[i] != 255)
				ntrns = i + 1;
		}
		png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)c->height, bits, PNG_COLOR_TYPE_PALETTE,
		             PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
		png_set_PLTE(png, info, rgb, pal->n);
		if (ntrns)
			png_set_tRNS(png, info, trns, ntrns, NULL);
		png_write_info(png, info);
		write_indexed_idat(png, c, r, perm, bits);
	} else {
		png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)c->height, 8, PNG_COLOR_TYPE_RGB_ALPHA,
		             PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
		png_write_info(png, info);
		write_rgba_idat(png, c, r);
	}
	png_write_chunk(png, (png_const_bytep) "IEND", NULL, 0);
}

/* pngenc_encode in the scratch b. */
static enum ms_status encode(const struct canvas *c, struct scratch_block *b, struct buf *out,
                             struct ms_error *err)
{
	if (!c || !c->px || c->width <= 0 || c->height <= 0)
		return ms_fail(err, MS_EUSAGE, "pngenc_encode: no canvas");
	pthread_once(&unpremul_once, unpremul_init);
	struct png_ctx ctx = {.out = out};
	struct palette *pal = xmalloc(sizeof *pal);
	struct rows r;
	rows_begin(c, b, &r);
	scan(c, pal, &r);
	uint8_t perm[PALETTE_MAX] = {0};
	if (r.indexed)
		palette_sort(pal, perm);
	size_t start = out->len;
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	enum ms_status st = MS_OK;
	if (!png || !info) {
		st = ms_fail(err, MS_EINTERNAL, "pngenc_encode: libpng could not start");
	} else if (setjmp(ctx.jmp)) {
		out->len = start; /* drop the partial stream */
		st = ms_fail(err, MS_EINTERNAL, "pngenc_encode: libpng: %s", ctx.msg);
	} else {
		png_set_write_fn(png, &ctx, on_write, on_flush);
		write_image(png, info, c, pal, &r, perm);
	}
	png_destroy_write_struct(&png, &info);
	rows_end(&r);
	free(pal);
	return st;
}

enum ms_status pngenc_encode(const struct canvas *c, struct buf *out, struct ms_error *err)
{
	return encode(c, scratch_block(), out, err);
}

size_t pngenc_scratch_bytes(void)
{
	return SCRATCH_BYTES + 2 * ZPOOL_BYTES;
}

enum ms_status pngenc_encode_in(const struct canvas *c, void *scratch, struct buf *out, struct ms_error *err)
{
	struct scratch_block b = scratch_at(scratch);
	return encode(c, &b, out, err);
}

enum ms_status pngenc_decode(const void *data, size_t len, struct canvas **out, struct ms_error *err)
{
	*out = NULL;
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&img, data, len))
		return ms_fail(err, MS_EDATA, "PNG: %s", img.message);
	/* A bound, so that a hostile header cannot ask for gigabytes. */
	if (img.width == 0 || img.height == 0 || img.width > 16384 || img.height > 16384) {
		png_image_free(&img);
		return ms_fail(err, MS_EDATA, "PNG: %ux%u is not a size mapsvc draws", img.width, img.height);
	}
	img.format = PNG_FORMAT_RGBA;
	struct canvas *c = canvas_new((int)img.width, (int)img.height);
	if (!png_image_finish_read(&img, NULL, c->px, 0, NULL)) {
		canvas_free(c);
		png_image_free(&img);
		return ms_fail(err, MS_EDATA, "PNG: %s", img.message);
	}
	size_t n = (size_t)c->width * (size_t)c->height;
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = c->px + i * 4;
		uint32_t a = p[3];
		for (int k = 0; k < 3; k++) {
			uint32_t t = p[k] * a + 128;
			p[k] = (uint8_t)((t + (t >> 8)) >> 8);
		}
	}
	*out = c;
	return MS_OK;
}

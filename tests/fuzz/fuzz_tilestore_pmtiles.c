/*
 * fuzz_tilestore_pmtiles.c - the PMTiles reader of tilestore/ on any bytes.
 *
 * The first byte chooses what the rest is: even, a whole archive, opened
 * from memory (tilestore_open_buffer); odd, one serialised directory
 * (pmtiles_decode_dir).  Besides not crashing, reading outside the input
 * or leaking, every answer must keep the reader's contract:
 *   - an archive either opens with every metadata pair a name and a value
 *     and parsed metadata within their ranges, or fails with MS_EDATA
 *     naming the archive;
 *   - a tile read back lies inside the input (it is no longer than it),
 *     and reading it twice gives the same bytes;
 *   - a decoded directory has at least one entry, strictly ascending ids
 *     and nonzero lengths, and encoding it again and decoding that gives
 *     the same entries.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tilestore/tilestore.h"
#include "tilestore/tilestore_int.h"

#define H "fuzz_tilestore_pmtiles"
/* Tiles looked up: every tile of zooms 0..3, and a few from the input. */
#define LOOKUP_ZOOM 3
#define EXTRA_LOOKUPS 16

static void check_tile(struct tilestore *ts, int z, int x, int y, size_t size)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	bool fa = false, fb = false;
	struct ms_error err = {0};
	enum ms_status sa = tilestore_get(ts, z, x, y, &a, &fa, &err);
	enum ms_status sb = tilestore_get(ts, z, x, y, &b, &fb, &err);
	if (sa != sb || fa != fb || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
		fuzz_fail(H, "tile %d/%d/%d reads differently twice", z, x, y);
	if (fa && (a.len == 0 || a.len > size))
		fuzz_fail(H, "tile %d/%d/%d of %zu bytes from %zu bytes of input", z, x, y, a.len, size);
	if (!fa && a.len)
		fuzz_fail(H, "tile %d/%d/%d not found but %zu bytes given", z, x, y, a.len);
	buf_free(&a);
	buf_free(&b);
}

static void archive(const uint8_t *data, size_t size)
{
	struct tilestore *ts = NULL;
	struct ms_error err = {0};
	enum ms_status st = tilestore_open_buffer(data, size, "pmtiles", &ts, &err);
	if (st != MS_OK) {
		if (ts || st != MS_EDATA || strncmp(err.msg, "(memory): ", 10))
			fuzz_fail(H, "failed with status %d: %s", st, err.msg);
		return;
	}
	const char *const(*pairs)[2];
	size_t n = tilestore_metadata(ts, &pairs);
	for (size_t i = 0; i < n; i++)
		if (!pairs[i][0] || !pairs[i][1] || !*pairs[i][0])
			fuzz_fail(H, "metadata pair %zu without a name or value", i);
	const struct tilestore_info *in = tilestore_info(ts);
	if (in->minzoom > TILESTORE_MAX_ZOOM || in->maxzoom > TILESTORE_MAX_ZOOM ||
	    (in->has_bounds && (in->bounds[0] > in->bounds[2] || in->bounds[1] > in->bounds[3])))
		fuzz_fail(H, "metadata out of range after parsing");
	for (int z = 0; z <= LOOKUP_ZOOM; z++)
		for (int x = 0; x < 1 << z; x++)
			for (int y = 0; y < 1 << z; y++)
				check_tile(ts, z, x, y, size);
	for (size_t i = 0; i + 3 <= size && i < 3 * EXTRA_LOOKUPS; i += 3) {
		int z = data[i] % 25, mask = (1 << z) - 1;
		check_tile(ts, z, (data[i + 1] * 2654435761u) & mask, (data[i + 2] * 40503u) & mask, size);
	}
	tilestore_close(ts);
}

static void directory(const uint8_t *data, size_t size)
{
	struct pmtiles_entry *e = NULL, *again = NULL;
	size_t n = 0, n2 = 0;
	struct ms_error err = {0};
	if (pmtiles_decode_dir("dir", data, size, &e, &n, &err) != MS_OK) {
		if (e || n)
			fuzz_fail(H, "a failed decode gave %zu entries", n);
		return;
	}
	if (!n)
		fuzz_fail(H, "a directory of no entries decoded");
	for (size_t i = 0; i < n; i++)
		if (e[i].length == 0 || (i && e[i].tile_id <= e[i - 1].tile_id))
			fuzz_fail(H, "entry %zu: id %llu, length %u", i, (unsigned long long)e[i].tile_id,
			          e[i].length);
	struct buf b = BUF_INIT;
	pmtiles_encode_dir(e, n, &b);
	if (pmtiles_decode_dir("again", (const uint8_t *)b.data, b.len, &again, &n2, &err) != MS_OK ||
	    n2 != n || memcmp(again, e, n * sizeof *e))
		fuzz_fail(H, "%zu entries do not survive encoding: %s", n, err.msg);
	free(e);
	free(again);
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* copies of exactly the rest, so a read past it is caught */
	uint8_t *rest = malloc(size - 1 ? size - 1 : 1);
	memcpy(rest, data + 1, size - 1);
	if (data[0] % 2 == 0)
		archive(rest, size - 1);
	else
		directory(rest, size - 1);
	free(rest);
	return 0;
}

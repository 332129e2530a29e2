/*
 * fuzz_tilestore_meta.c - tilestore_meta_parse, the reader of a tile
 * store's metadata rows (MBTiles' table, PMTiles' header and JSON), on any
 * rows.
 *
 * The input is lines of "NAME<TAB>VALUE" (a line without a tab is a name
 * with an empty value; at most MAX_PAIRS).  Besides not crashing, every
 * answer must keep the parser's contract: on success each zoom is -1 or
 * within 0..26 and minzoom <= maxzoom, bounds are inside the world with
 * W <= E and S <= N, a center inside the world, a format of lower-case
 * letters and digits; on failure the status is MS_EDATA and the message
 * names the source and the row ("SRC: metadata 'NAME'").
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tilestore/tilestore.h"

#define H "fuzz_tilestore_meta"
#define MAX_PAIRS 16
#define SRC "x.mbtiles"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	const char *pairs[MAX_PAIRS][2];
	size_t n = 0;
	for (char *line = text; line && n < MAX_PAIRS;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *tab = strchr(line, '\t');
		if (tab)
			*tab = '\0';
		pairs[n][0] = line;
		pairs[n][1] = tab ? tab + 1 : "";
		n++;
		line = next;
	}
	struct tilestore_info in;
	struct ms_error err = {0};
	enum ms_status st = tilestore_meta_parse(SRC, pairs, n, &in, &err);
	if (st == MS_OK) {
		if (in.minzoom < -1 || in.minzoom > TILESTORE_MAX_ZOOM || in.maxzoom < -1 ||
		    in.maxzoom > TILESTORE_MAX_ZOOM ||
		    (in.minzoom >= 0 && in.maxzoom >= 0 && in.minzoom > in.maxzoom))
			fuzz_fail(H, "zooms %d-%d", in.minzoom, in.maxzoom);
		if (in.has_bounds &&
		    !(in.bounds[0] >= -180 && in.bounds[2] <= 180 && in.bounds[1] >= -90 &&
		      in.bounds[3] <= 90 && in.bounds[0] <= in.bounds[2] && in.bounds[1] <= in.bounds[3]))
			fuzz_fail(H, "bounds %g,%g,%g,%g", in.bounds[0], in.bounds[1], in.bounds[2],
			          in.bounds[3]);
		if (in.has_center && !(in.center[0] >= -180 && in.center[0] <= 180 && in.center[1] >= -90 &&
		                       in.center[1] <= 90 && in.center_zoom <= TILESTORE_MAX_ZOOM))
			fuzz_fail(H, "center %g,%g,%d", in.center[0], in.center[1], in.center_zoom);
		if (strspn(in.format, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(in.format))
			fuzz_fail(H, "format '%s'", in.format);
	} else if (st != MS_EDATA || strncmp(err.msg, SRC ": metadata '", strlen(SRC ": metadata '"))) {
		fuzz_fail(H, "status %d: %s", st, err.msg);
	}
	free(text);
	return 0;
}

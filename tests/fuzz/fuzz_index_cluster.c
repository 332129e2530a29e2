/*
 * fuzz_index_cluster.c - a stored hierarchy (cluster_decode) from
 * arbitrary bytes.
 *
 * The input is a block of cluster_encode's format whose checksum the
 * harness writes in first (cluster_codec_seal_), so that the fuzzer
 * reaches the checks of the arrays rather than stopping at the sum.  A
 * block the decoder takes must then bear everything the server does with
 * a hierarchy: every zoom's picture of the world, every cluster's
 * members and expansion zoom (a decoded tree is never patched:
 * cluster_patchable); and it must encode back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "index/cluster.h"
#include "index/cluster_int.h"

#define H "fuzz_index_cluster"
/* Blocks past this are not tried: they only take longer. */
#define MAX_BLOCK (1u << 20)

static const struct cluster_window world = {0, 0, UINT32_MAX, UINT32_MAX};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_BLOCK)
		return 0;
	unsigned char *b = malloc(size ? size : 1);
	memcpy(b, data, size);
	cluster_codec_seal_(b, size);
	unsigned char *copy = malloc(size ? size : 1);
	memcpy(copy, b, size);
	struct ms_error err = {0};
	uint64_t version;
	struct cluster_tree *t = cluster_decode(b, size, &version, &err);
	if (!t) {
		if (err.status != MS_EDATA)
			fuzz_fail(H, "refused without MS_EDATA: %s", err.msg);
		free(copy);
		return 0;
	}
	unsigned char *again;
	size_t len;
	cluster_encode(t, version, &again, &len);
	if (len != size || memcmp(again, copy, size))
		fuzz_fail(H, "a block decoded does not encode to the same bytes");
	free(again);
	free(copy);

	struct cluster_info info;
	cluster_get_info(t, &info);
	struct cluster_items items = {0};
	for (int z = 0; z <= CLUSTER_ZOOM_LIMIT; z++) {
		cluster_query(t, z, &world, &items, NULL);
		for (size_t i = 0; i < items.n; i++)
			if (items.v[i].first >= info.sites ||
			    (items.v[i].node != CLUSTER_NONE && items.v[i].node >= info.nodes))
				fuzz_fail(H, "zoom %d: an item out of range", z);
	}
	cluster_items_free(&items);
	for (uint32_t k = 0; k < info.nodes; k++) {
		const uint32_t *m;
		size_t n = cluster_members(t, k, &m);
		for (size_t i = 0; i < n; i++)
			if (m[i] >= info.sites)
				fuzz_fail(H, "cluster %u: a member out of range", k);
		if (cluster_expansion_zoom(t, k) < 0)
			fuzz_fail(H, "cluster %u: no expansion zoom", k);
	}
	if (cluster_patchable(t))
		fuzz_fail(H, "a decoded hierarchy is patchable");
	cluster_free(t);
	return 0;
}

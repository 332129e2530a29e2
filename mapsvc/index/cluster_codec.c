/*
 * cluster_codec.c - a hierarchy as one block of bytes, and back
 * (cluster_encode, cluster_decode in cluster.h).
 *
 * The block is a head, then the arrays of struct cluster_tree as they
 * lie in memory (node, perm, flags, band, list), each at an offset that
 * is a multiple of 8.  Decoding checks the block and points the arrays
 * into it: reading a million sites' hierarchy back costs a checksum and
 * a pass over its arrays, tens of milliseconds, where building it costs
 * a second.
 *
 * The block is the machine's own: the head says the byte order and the
 * sizes of the structs it was written with, and a block of another is
 * refused (its owner builds the hierarchy instead).  It may come from a
 * file anybody could have written, so nothing in it is trusted: besides
 * the checksum (XXH3 over the whole block, the checksum's field read as
 * 0), everything a query indexes with is checked to lie within its
 * array, and the arrays to be a hierarchy as the builder
 * makes one (cluster.c's top comment): every site once in perm; each
 * cluster's sites inside its parent's, the cluster drawn from one zoom
 * past its parent's (a root from min_zoom) and made of two items at
 * least; every site single from one zoom past its innermost cluster's,
 * or never when that one holds coincident sites; each zoom's list the
 * clusters drawn there, once.  What is left unchecked (positions, orders)
 * can make answers wrong, not reads stray: the checksum is what tells a
 * damaged block.  A patch relies on more than that (the fuzzer made it
 * overrun a block that passed), so a decoded tree is never patched
 * (cluster_patchable).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../util/mem.h"
#include "cluster_int.h"

#define CODEC_MAGIC "MSCLUSTR"
/* Changes with the layout of the head or of the arrays, and with what the
 * builder makes of the same sites (bench_cluster's digest): a block of an
 * older builder is then built again rather than read. */
#define CODEC_FORMAT 1u
#define CODEC_ORDER 0x01020304u

struct head {
	char magic[8];
	uint32_t format, order;
	uint32_t node_size, kpt_size, levels, rad256;
	double radius_px;
	int32_t min_zoom, max_zoom;
	uint64_t version;
	uint64_t n, nnodes, quiet;
	uint64_t band_off[NLEVELS + 1];
	uint64_t list_off[NLEVELS + 1];
	uint64_t sum;
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Where each array starts in a block of h's sizes, and the block's
 * length; the sizes are bounded beforehand, so nothing overflows. */
struct layout {
	size_t node, perm, flags, band, list, end;
};

static void lay(const struct head *h, struct layout *l)
{
	l->node = align8(sizeof *h);
	l->perm = align8(l->node + h->nnodes * sizeof(struct cnode));
	l->flags = align8(l->perm + h->n * sizeof(uint32_t));
	l->band = align8(l->flags + h->n);
	l->list = align8(l->band + h->band_off[NLEVELS] * sizeof(struct kpt));
	l->end = align8(l->list + h->list_off[NLEVELS] * sizeof(uint32_t));
}

/* XXH3 of the block with the head's sum read as 0: of the body, seeded
 * with the head's. */
static uint64_t checksum(const unsigned char *b, size_t len)
{
	struct head h;
	memcpy(&h, b, sizeof h);
	h.sum = 0;
	return XXH3_64bits_withSeed(b + sizeof h, len - sizeof h, XXH3_64bits(&h, sizeof h));
}

void cluster_codec_seal_(unsigned char *b, size_t len)
{
	if (len < sizeof(struct head))
		return;
	uint64_t sum = checksum(b, len);
	memcpy(b + offsetof(struct head, sum), &sum, sizeof sum);
}

void cluster_encode(const struct cluster_tree *t, uint64_t version, unsigned char **out, size_t *len)
{
	struct head h;
	memset(&h, 0, sizeof h); /* the padding too: a block is the same bytes every time */
	memcpy(h.magic, CODEC_MAGIC, sizeof h.magic);
	h.format = CODEC_FORMAT;
	h.order = CODEC_ORDER;
	h.node_size = sizeof(struct cnode);
	h.kpt_size = sizeof(struct kpt);
	h.levels = NLEVELS;
	h.rad256 = t->rad256;
	h.radius_px = t->p.radius_px;
	h.min_zoom = t->p.min_zoom;
	h.max_zoom = t->p.max_zoom;
	h.version = version;
	h.n = t->n;
	h.nnodes = t->nnodes;
	h.quiet = t->quiet;
	for (int z = 0; z <= NLEVELS; z++) {
		h.band_off[z] = t->band_off[z];
		h.list_off[z] = t->list_off[z];
	}
	struct layout l;
	lay(&h, &l);
	unsigned char *b = xcalloc(1, l.end);
	memcpy(b, &h, sizeof h);
	/* A node's padding is zeroed in the copy. */
	for (size_t k = 0; k < t->nnodes; k++) {
		struct cnode c;
		memset(&c, 0, sizeof c);
		c.x = t->node[k].x, c.y = t->node[k].y, c.count = t->node[k].count;
		c.begin = t->node[k].begin, c.flags = t->node[k].flags;
		c.lo = t->node[k].lo, c.hi = t->node[k].hi;
		memcpy(b + l.node + k * sizeof c, &c, sizeof c);
	}
	if (t->n) {
		memcpy(b + l.perm, t->perm, t->n * sizeof *t->perm);
		memcpy(b + l.flags, t->flags, t->n);
	}
	if (t->band_off[NLEVELS])
		memcpy(b + l.band, t->band, t->band_off[NLEVELS] * sizeof *t->band);
	if (t->list_off[NLEVELS])
		memcpy(b + l.list, t->list, t->list_off[NLEVELS] * sizeof *t->list);
	cluster_codec_seal_(b, l.end);
	*out = b;
	*len = l.end;
}

static bool offsets_ok(const uint64_t *off, uint64_t max)
{
	if (off[0] != 0)
		return false;
	for (int z = 0; z < NLEVELS; z++)
		if (off[z + 1] < off[z])
			return false;
	return off[NLEVELS] <= max;
}

/* The head's own checks: what it is, and sizes that bound the block. */
static const char *head_fault(const struct head *h, size_t len)
{
	if (memcmp(h->magic, CODEC_MAGIC, sizeof h->magic))
		return "not a stored hierarchy";
	if (h->format != CODEC_FORMAT || h->order != CODEC_ORDER || h->node_size != sizeof(struct cnode) ||
	    h->kpt_size != sizeof(struct kpt) || h->levels != NLEVELS)
		return "written by another version or machine";
	/* (max_zoom bounded before max_zoom + 1 is formed: it is the block's) */
	if (!(h->radius_px > 0 && h->radius_px <= CLUSTER_RADIUS_MAX) || h->min_zoom < 0 ||
	    h->max_zoom >= CLUSTER_ZOOM_LIMIT || h->min_zoom > h->max_zoom + 1 ||
	    h->rad256 != cluster_radius_steps_(h->radius_px) ||
	    h->radius_px != (double)h->rad256 / RADIUS_STEPS)
		return "parameters out of range";
	/* A cluster merges two items at least, so there are fewer than sites;
	 * a zoom lists each at most once. */
	if (h->n >= UINT32_MAX / 2 || h->nnodes > h->n || !offsets_ok(h->band_off, h->n) ||
	    !offsets_ok(h->list_off, h->nnodes * NLEVELS))
		return "sizes out of range";
	/* a site is single from a zoom min_zoom .. max_zoom + 1 on */
	if (h->band_off[h->min_zoom] != 0 || h->band_off[h->max_zoom + 2] != h->band_off[NLEVELS])
		return "a band out of the zooms";
	struct layout l;
	lay(h, &l);
	if (l.end != len)
		return "truncated or too long";
	return NULL;
}

/* Is every byte that holds no value 0, as cluster_encode writes it (so
 * that a block has one form: the gaps before each array, a node's
 * padding)? */
static bool padding_zero(const unsigned char *b, const struct layout *l, const struct head *h)
{
	size_t ends[] = {sizeof *h,
	                 l->node + h->nnodes * sizeof(struct cnode),
	                 l->perm + h->n * sizeof(uint32_t),
	                 l->flags + h->n,
	                 l->band + h->band_off[NLEVELS] * sizeof(struct kpt),
	                 l->list + h->list_off[NLEVELS] * sizeof(uint32_t)};
	size_t starts[] = {l->node, l->perm, l->flags, l->band, l->list, l->end};
	for (size_t k = 0; k < sizeof ends / sizeof *ends; k++)
		for (size_t i = ends[k]; i < starts[k]; i++)
			if (b[i])
				return false;
	size_t used = offsetof(struct cnode, hi) + 1;
	for (size_t k = 0; k < h->nnodes; k++)
		for (size_t i = used; i < sizeof(struct cnode); i++)
			if (b[l->node + k * sizeof(struct cnode) + i])
				return false;
	return true;
}

/* The nodes' checks: each within the sites, inside its parent (the
 * innermost open one, in preorder), drawn from one zoom past its
 * parent's (a root from min_zoom), and counted as an item of its parent
 * into parts. */
static const char *nodes_fault(const struct cluster_tree *t, uint32_t *parts)
{
	uint32_t stack[NLEVELS + 1];
	size_t depth = 0;
	int top = t->p.max_zoom + 1;
	for (size_t k = 0; k < t->nnodes; k++) {
		const struct cnode *c = &t->node[k];
		if (c->count == 0 || (uint64_t)c->begin + c->count > t->n || c->lo > c->hi || c->hi > top)
			return "a cluster's sites or zooms out of range";
		while (depth && (uint64_t)t->node[stack[depth - 1]].begin + t->node[stack[depth - 1]].count <=
		                    c->begin)
			depth--;
		const struct cnode *up = depth ? &t->node[stack[depth - 1]] : NULL;
		if (up &&
		    (c->begin < up->begin || (uint64_t)c->begin + c->count > (uint64_t)up->begin + up->count))
			return "a cluster not inside its parent";
		if (c->lo != (up ? up->hi + 1 : t->p.min_zoom))
			return "a cluster drawn from another zoom than its parent leaves off";
		if (up)
			parts[stack[depth - 1]]++;
		if (depth == NLEVELS) /* cannot happen: the zooms grow with depth */
			return "clusters nested too deep";
		stack[depth++] = (uint32_t)k;
	}
	return NULL;
}

/* The sites' checks, walking perm with the clusters open at each place:
 * a site is single from one zoom past its innermost cluster's (from
 * min_zoom when none holds it), or never when that cluster is of
 * coincident sites (made at max_zoom + 1); each counts as an item of that
 * cluster into parts.  lo[s] is site s's band, 0xff for none. */
static const char *sites_fault(const struct cluster_tree *t, const uint8_t *lo, uint32_t *parts)
{
	uint32_t stack[NLEVELS + 1];
	size_t depth = 0, next = 0;
	int top = t->p.max_zoom + 1;
	for (size_t at = 0; at < t->n; at++) {
		while (depth &&
		       (uint64_t)t->node[stack[depth - 1]].begin + t->node[stack[depth - 1]].count <= at)
			depth--;
		while (next < t->nnodes && t->node[next].begin == at) /* nested, as nodes_fault found */
			stack[depth++] = (uint32_t)next++;
		uint32_t s = t->perm[at];
		const struct cnode *in = depth ? &t->node[stack[depth - 1]] : NULL;
		int want = !in ? t->p.min_zoom : in->hi == top ? 0xff : in->hi + 1;
		if (lo[s] != want)
			return "a site single from another zoom than its cluster leaves off";
		if (in)
			parts[stack[depth - 1]]++;
	}
	for (size_t k = 0; k < t->nnodes; k++)
		if (parts[k] < 2)
			return "a cluster of fewer than two items";
	return NULL;
}

/* The lists' checks: zoom z lists each cluster drawn there, once. */
static const char *lists_fault(const struct cluster_tree *t, uint32_t *seen)
{
	long long alive[NLEVELS + 1] = {0};
	for (size_t k = 0; k < t->nnodes; k++) {
		alive[t->node[k].lo]++;
		alive[t->node[k].hi + 1]--;
		seen[k] = UINT32_MAX;
	}
	long long drawn = 0;
	for (int z = 0; z < NLEVELS; z++) {
		drawn += alive[z];
		if ((long long)(t->list_off[z + 1] - t->list_off[z]) != drawn)
			return "a zoom's list not of the clusters drawn there";
		for (size_t i = t->list_off[z]; i < t->list_off[z + 1]; i++) {
			uint32_t k = t->list[i];
			if (k >= t->nnodes || t->node[k].lo > z || t->node[k].hi < z ||
			    seen[k] == (uint32_t)z)
				return "a zoom's list not of the clusters drawn there";
			seen[k] = (uint32_t)z;
		}
	}
	return NULL;
}

/* The forest's checks (see the top of the file). */
static const char *tree_fault(const struct cluster_tree *t)
{
	size_t n = t->n;
	uint8_t *lo = xmalloc(n ? n : 1);
	uint32_t *parts = xcalloc(t->nnodes ? t->nnodes : 1, sizeof *parts);
	const char *fault = NULL;
	memset(lo, 0, n);
	for (size_t i = 0; i < n && !fault; i++) {
		if (t->perm[i] >= n || lo[t->perm[i]])
			fault = "perm is not a permutation";
		else
			lo[t->perm[i]] = 1;
	}
	memset(lo, 0xff, n);
	for (int z = 0; z < NLEVELS && !fault; z++)
		for (size_t i = t->band_off[z]; i < t->band_off[z + 1] && !fault; i++) {
			if (t->band[i].v >= n || lo[t->band[i].v] != 0xff)
				fault = "a band's site out of range or twice";
			else
				lo[t->band[i].v] = (uint8_t)z;
		}
	if (!fault)
		fault = nodes_fault(t, parts);
	if (!fault)
		fault = sites_fault(t, lo, parts);
	if (!fault)
		fault = lists_fault(t, parts);
	free(lo);
	free(parts);
	return fault;
}

struct cluster_tree *cluster_decode(void *data, size_t len, uint64_t *version, struct ms_error *err)
{
	unsigned char *b = data;
	struct head h;
	const char *fault = len < sizeof h ? "truncated" : NULL;
	if (!fault) {
		memcpy(&h, b, sizeof h);
		fault = head_fault(&h, len);
	}
	if (!fault && ((uintptr_t)b & 7))
		fault = "not aligned";
	if (!fault && checksum(b, len) != h.sum)
		fault = "checksum mismatch";
	struct cluster_tree *t = NULL;
	if (!fault) {
		struct layout l;
		lay(&h, &l);
		if (!padding_zero(b, &l, &h)) {
			free(data);
			ms_fail(err, MS_EDATA, "stored clusters: padding not zero");
			return NULL;
		}
		t = xcalloc(1, sizeof *t);
		t->p = (struct cluster_params){h.radius_px, h.min_zoom, h.max_zoom};
		t->rad256 = h.rad256;
		t->n = h.n;
		t->nnodes = h.nnodes;
		t->quiet = h.quiet;
		t->node = (struct cnode *)(void *)(b + l.node);
		t->perm = (uint32_t *)(void *)(b + l.perm);
		t->flags = b + l.flags;
		t->band = (struct kpt *)(void *)(b + l.band);
		t->list = (uint32_t *)(void *)(b + l.list);
		for (int z = 0; z <= NLEVELS; z++) {
			t->band_off[z] = h.band_off[z];
			t->list_off[z] = h.list_off[z];
		}
		t->mem_ = b;
		fault = tree_fault(t);
	}
	if (fault) {
		ms_fail(err, MS_EDATA, "stored clusters: %s", fault);
		if (t)
			cluster_free(t); /* frees data */
		else
			free(data);
		return NULL;
	}
	if (version)
		*version = h.version;
	return t;
}

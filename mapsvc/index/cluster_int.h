/*
 * cluster_int.h - the cluster hierarchy's arrays (private to
 * mapsvc/index/): what cluster.c builds, queries and patches, and what
 * cluster_codec.c writes out and reads back.  cluster.c's top comment
 * says what each array holds.
 */
#ifndef MS_CLUSTER_INT_H
#define MS_CLUSTER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"

/* Levels indexed by zoom 0 .. CLUSTER_ZOOM_LIMIT. */
#define NLEVELS (CLUSTER_ZOOM_LIMIT + 1)
/* The radius is kept in 1/RADIUS_STEPS px: exact integers for the test. */
#define RADIUS_STEPS 256

struct cnode {
	uint32_t x, y;
	uint32_t count;
	uint32_t begin; /* its sites: perm[begin, begin + count) */
	uint8_t flags;
	uint8_t lo, hi; /* drawn at zooms lo .. hi */
};

/* A point of a k-d array: position and a site index (or, while a list
 * of clusters is being ordered, a cluster id). */
struct kpt {
	uint32_t x, y, v;
};

struct cluster_tree {
	struct cluster_params p;
	uint32_t rad256;
	size_t n, nnodes;
	struct cnode *node; /* in preorder */
	uint32_t *perm;     /* the sites in members order */
	uint8_t *flags;     /* per site */
	struct kpt *band;   /* band lo = Z is band[band_off[Z], band_off[Z + 1]) */
	size_t band_off[NLEVELS + 1];
	uint32_t *list; /* clusters drawn at zoom Z: list[list_off[Z], list_off[Z + 1]) */
	size_t list_off[NLEVELS + 1];
	size_t quiet; /* cluster_info.quiet */
	void *mem_;   /* a decoded hierarchy's one block, which holds the arrays */
};

/* The radius as the builder keeps it, in 1/RADIUS_STEPS px. */
uint32_t cluster_radius_steps_(double radius_px);

/* Writes the checksum of a block of len bytes (cluster_encode's) into
 * it, whatever the rest holds: for a harness that makes blocks whose
 * arrays are wrong, which cluster_decode must refuse all the same.  Does
 * nothing to a block shorter than its head. */
void cluster_codec_seal_(unsigned char *b, size_t len);

#endif

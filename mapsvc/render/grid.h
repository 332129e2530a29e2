/*
 * grid.h - a spatial hash from integer grid cells to lists of int32
 * values: the clustering and label-collision grids of a layout.
 *
 * Why a hash and not an array: cells are (int64, int64) because at zoom 24
 * with half-pixel cells there are 2^33 of them per row, and only the few
 * that hold something should cost memory.  Open addressing with linear
 * probing, kept at most half full; each cell heads a singly linked list
 * of nodes in arrays (no allocation per value).  A cell's list gives its
 * values newest first, the same order on every run.
 *
 * Ownership and threads: a grid belongs to its user (a struct usually on
 * the stack, grid_init/grid_free), or to a per-thread scratch that empties
 * it between uses with grid_clear (keeping its memory) and frees it when it
 * grew beyond what it should keep.  Not thread-safe while being filled;
 * lookups do not modify it.
 */
#ifndef MS_GRID_H
#define MS_GRID_H

#include <stddef.h>
#include <stdint.h>

struct grid {
	size_t cap, used;    /* slots (a power of two) and cells in use */
	int64_t *kx, *ky;    /* a slot's cell */
	int32_t *head;       /* a slot's first node; GRID_FREE when unused */
	int32_t *val, *next; /* nodes: value, next node of the cell (-1: last) */
	size_t nnodes, nodes_cap;
};

#define GRID_FREE (-2)

/* An empty grid sized for about expect cells. */
void grid_init(struct grid *g, size_t expect);
void grid_free(struct grid *g);
/* Empties the grid, keeping its memory for the next use. */
void grid_clear(struct grid *g);
/* Bytes the grid holds. */
size_t grid_memory(const struct grid *g);
/* Adds v to cell (cx, cy). */
void grid_add(struct grid *g, int64_t cx, int64_t cy, int32_t v);
/* The first node of cell (cx, cy), -1 when the cell holds nothing; walk
 * on with grid_next, read with grid_value. */
int32_t grid_first(const struct grid *g, int64_t cx, int64_t cy);

static inline int32_t grid_next(const struct grid *g, int32_t node)
{
	return g->next[node];
}

static inline int32_t grid_value(const struct grid *g, int32_t node)
{
	return g->val[node];
}

#endif

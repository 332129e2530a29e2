/*
 * grid.c - the spatial hash of grid cells; see grid.h.
 */
#include "grid.h"

#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

#define GRID_MIN_SLOTS 64
#define GRID_MIN_NODES 256
/* Multipliers of a 64-bit mix (golden ratio; xxHash's primes): nearby
 * cells land far apart, so probing runs stay short. */
#define MIX_X 0x9E3779B97F4A7C15ull
#define MIX_Y_ADD 0x632BE59BD9B4E019ull
#define MIX_Y_MUL 0xC2B2AE3D27D4EB4Full
#define MIX_SHIFT 29

static size_t cell_hash(int64_t cx, int64_t cy)
{
	uint64_t h = (uint64_t)cx * MIX_X ^ ((uint64_t)cy + MIX_Y_ADD) * MIX_Y_MUL;
	return (size_t)(h ^ (h >> MIX_SHIFT));
}

static void alloc_slots(struct grid *g)
{
	g->kx = xmalloc(g->cap * sizeof *g->kx);
	g->ky = xmalloc(g->cap * sizeof *g->ky);
	g->head = xmalloc(g->cap * sizeof *g->head);
	for (size_t i = 0; i < g->cap; i++)
		g->head[i] = GRID_FREE;
}

void grid_init(struct grid *g, size_t expect)
{
	memset(g, 0, sizeof *g);
	g->cap = GRID_MIN_SLOTS;
	while (g->cap < expect * 2)
		g->cap <<= 1;
	alloc_slots(g);
}

void grid_free(struct grid *g)
{
	free(g->kx);
	free(g->ky);
	free(g->head);
	free(g->val);
	free(g->next);
	memset(g, 0, sizeof *g);
}

void grid_clear(struct grid *g)
{
	for (size_t i = 0; i < g->cap; i++)
		g->head[i] = GRID_FREE;
	g->used = 0;
	g->nnodes = 0;
}

size_t grid_memory(const struct grid *g)
{
	return g->cap * (sizeof *g->kx + sizeof *g->ky + sizeof *g->head) +
	       g->nodes_cap * (sizeof *g->val + sizeof *g->next);
}

/* The slot of cell (cx, cy): its own, or the free one where it would go. */
static size_t find_slot(const struct grid *g, int64_t cx, int64_t cy)
{
	size_t mask = g->cap - 1;
	size_t i = cell_hash(cx, cy) & mask;
	while (g->head[i] != GRID_FREE && !(g->kx[i] == cx && g->ky[i] == cy))
		i = (i + 1) & mask;
	return i;
}

static void grow(struct grid *g)
{
	struct grid old = *g;
	g->cap *= 2;
	g->used = 0;
	alloc_slots(g);
	for (size_t i = 0; i < old.cap; i++)
		if (old.head[i] != GRID_FREE) {
			size_t s = find_slot(g, old.kx[i], old.ky[i]);
			g->kx[s] = old.kx[i];
			g->ky[s] = old.ky[i];
			g->head[s] = old.head[i];
			g->used++;
		}
	free(old.kx);
	free(old.ky);
	free(old.head);
}

void grid_add(struct grid *g, int64_t cx, int64_t cy, int32_t v)
{
	if (g->nnodes == g->nodes_cap) {
		g->nodes_cap = g->nodes_cap ? g->nodes_cap * 2 : GRID_MIN_NODES;
		g->val = xrealloc(g->val, g->nodes_cap * sizeof *g->val);
		g->next = xrealloc(g->next, g->nodes_cap * sizeof *g->next);
	}
	/* At most half full, so probing always ends at a free slot. */
	if ((g->used + 1) * 2 > g->cap)
		grow(g);
	size_t s = find_slot(g, cx, cy);
	if (g->head[s] == GRID_FREE) {
		g->kx[s] = cx;
		g->ky[s] = cy;
		g->head[s] = -1;
		g->used++;
	}
	int32_t node = (int32_t)g->nnodes++;
	g->val[node] = v;
	g->next[node] = g->head[s];
	g->head[s] = node;
}

int32_t grid_first(const struct grid *g, int64_t cx, int64_t cy)
{
	size_t s = find_slot(g, cx, cy);
	return g->head[s] == GRID_FREE ? -1 : g->head[s];
}

/* test_render_grid.c - the spatial hash of grid cells: empty and extreme
 * cells, newest-first lists, growth through many cells checked against
 * what was added, a value count that matches, and clearing for reuse. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "render/grid.h"

/* A value that says which cell it was added to. */
static int32_t tag(int64_t cx, int64_t cy)
{
	return (int32_t)(((uint64_t)cx * 31 + (uint64_t)cy * 17) & 0x3fffffff);
}

static void test_small(void)
{
	struct grid g;
	grid_init(&g, 0);
	CHECK_INT(grid_first(&g, 0, 0), -1);
	CHECK_INT(grid_first(&g, INT64_MIN, INT64_MAX), -1);
	grid_add(&g, 3, -4, 7);
	grid_add(&g, 3, -4, 8);
	grid_add(&g, 3, -4, 9);
	grid_add(&g, -4, 3, 1); /* the swapped cell is another cell */
	grid_add(&g, INT64_MIN, INT64_MAX, 5);
	/* newest first */
	int32_t k = grid_first(&g, 3, -4);
	int32_t want[] = {9, 8, 7};
	for (int i = 0; i < 3; i++) {
		CHECK(k >= 0);
		if (k < 0)
			break;
		CHECK_INT(grid_value(&g, k), want[i]);
		k = grid_next(&g, k);
	}
	CHECK_INT(k, -1);
	k = grid_first(&g, -4, 3);
	CHECK(k >= 0 && grid_value(&g, k) == 1 && grid_next(&g, k) == -1);
	k = grid_first(&g, INT64_MIN, INT64_MAX);
	CHECK(k >= 0 && grid_value(&g, k) == 5);
	CHECK_INT(grid_first(&g, 3, 4), -1);
	CHECK_INT(g.used, 3);
	CHECK_INT(g.nnodes, 5);
	grid_free(&g);
	CHECK(g.head == NULL && g.nnodes == 0);
}

/* Far more cells than the initial size: every cell keeps its values
 * through each doubling, and cells never added stay empty. */
static void test_growth(void)
{
	struct grid g;
	grid_init(&g, 4);
	size_t cap0 = g.cap;
	int64_t side = 300; /* 90,000 cells, two values each in a third of them */
	size_t added = 0;
	for (int64_t y = 0; y < side; y++)
		for (int64_t x = 0; x < side; x++) {
			int64_t cx = (x - side / 2) * (1 << 20), cy = y * 3 - side; /* spread and negative */
			grid_add(&g, cx, cy, tag(cx, cy));
			added++;
			if ((x + y) % 3 == 0) {
				grid_add(&g, cx, cy, tag(cx, cy) + 1);
				added++;
			}
		}
	CHECK(g.cap > cap0 && g.used * 2 <= g.cap);
	CHECK_INT(g.used, (size_t)(side * side));
	CHECK_INT(g.nnodes, added);
	size_t bad = 0, seen = 0;
	for (int64_t y = 0; y < side; y++)
		for (int64_t x = 0; x < side; x++) {
			int64_t cx = (x - side / 2) * (1 << 20), cy = y * 3 - side;
			int32_t k = grid_first(&g, cx, cy);
			int n = 0;
			for (; k >= 0; k = grid_next(&g, k), n++) {
				int32_t v = grid_value(&g, k);
				bad += v != tag(cx, cy) && v != tag(cx, cy) + 1;
				seen++;
			}
			bad += n != ((x + y) % 3 == 0 ? 2 : 1);
			bad += grid_first(&g, cx + 1, cy) != -1; /* a neighbour never added */
		}
	CHECK_INT(bad, 0);
	CHECK_INT(seen, added);
	grid_free(&g);
}

/* Cleared, a grid is empty but keeps its memory, and fills again. */
static void test_clear(void)
{
	struct grid g;
	grid_init(&g, 0);
	for (int64_t i = 0; i < 1000; i++)
		grid_add(&g, i, -i, (int32_t)i);
	size_t bytes = grid_memory(&g);
	CHECK(bytes >= 1000 * 2 * sizeof(int32_t));
	grid_clear(&g);
	CHECK_INT(grid_memory(&g), bytes);
	for (int64_t i = 0; i < 1000; i++)
		CHECK(grid_first(&g, i, -i) == -1);
	grid_add(&g, 5, -5, 42);
	int32_t k = grid_first(&g, 5, -5);
	CHECK(k >= 0 && grid_value(&g, k) == 42 && grid_next(&g, k) == -1);
	CHECK_INT(grid_memory(&g), bytes);
	grid_free(&g);
	CHECK_INT(grid_memory(&g), 0);
}

int main(void)
{
	test_small();
	test_clear();
	test_growth();
	return CHECK_DONE();
}

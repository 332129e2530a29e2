/* test_render_labels.c - bounded-reach label placement: placed labels
 * never overlap each other or an obstacle, at every odd round; the answer
 * does not depend on the order of the input; a window given everything
 * within labels_margin of an area decides that area's labels as the whole
 * world does; and a chain of three labels, which round 1 leaves at one,
 * gets its third back at round 3. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/labels.h"

#define N 4000
#define WORLD 3000.0
/* Label boxes: up to this wide and tall, around a marker of this radius. */
#define MAX_W 90.0
#define MAX_H 14.0
#define MARKER 5.0
#define GAP 2.0

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static double urand(double lo, double hi)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return lo + (hi - lo) * ((double)(rng_state >> 11) / 9007199254740992.0);
}

static struct label_box box(double l, double t, double r, double b)
{
	return (struct label_box){l, t, r, b};
}

/* A label at (x, y) with a w x h text: above, below, right, left of a
 * marker of radius MARKER; the marker is obstacle i. */
static void make(struct label_cand *c, struct label_box *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double x = floor(urand(0, WORLD)), y = floor(urand(0, WORLD));
		double w = floor(urand(20, MAX_W)), h = floor(urand(10, MAX_H));
		c[i].ax = x;
		c[i].ay = y;
		c[i].prio = (uint32_t)((i * 7919) % n); /* not the input order */
		c[i].npos = 4;
		c[i].pos[0] = box(x - w / 2, y - MARKER - GAP - h, x + w / 2, y - MARKER - GAP);
		c[i].pos[1] = box(x - w / 2, y + MARKER + GAP, x + w / 2, y + MARKER + GAP + h);
		c[i].pos[2] = box(x + MARKER + GAP, y - h / 2, x + MARKER + GAP + w, y + h / 2);
		c[i].pos[3] = box(x - MARKER - GAP - w, y - h / 2, x - MARKER - GAP, y + h / 2);
		o[i] = box(x - MARKER, y - MARKER, x + MARKER, y + MARKER);
	}
}

static bool overlap(const struct label_box *a, const struct label_box *b)
{
	return a->l < b->r && b->l < a->r && a->t < b->b && b->t < a->b;
}

static size_t check_placement(const struct label_cand *c, const struct label_box *o, size_t n,
                              const int8_t *out)
{
	size_t placed = 0, bad = 0;
	for (size_t i = 0; i < n; i++) {
		if (out[i] < 0)
			continue;
		placed++;
		const struct label_box *a = &c[i].pos[out[i]];
		for (size_t k = 0; k < n; k++)
			bad += overlap(a, &o[k]);
		for (size_t j = i + 1; j < n; j++)
			bad += out[j] >= 0 && overlap(a, &c[j].pos[out[j]]);
	}
	CHECK_INT(bad, 0);
	return placed;
}

/* The greedy placement, for comparison. */
static size_t greedy(const struct label_cand *c, const struct label_box *o, size_t n)
{
	size_t *order = malloc(n * sizeof *order);
	for (size_t i = 0; i < n; i++)
		order[c[i].prio] = i;
	int8_t *g = malloc(n);
	memset(g, -1, n);
	size_t placed = 0;
	for (size_t r = 0; r < n; r++) {
		size_t i = order[r];
		for (int p = 0; p < c[i].npos && g[i] < 0; p++) {
			bool ok = true;
			for (size_t k = 0; k < n && ok; k++)
				ok = !overlap(&c[i].pos[p], &o[k]) &&
				     !(g[k] >= 0 && overlap(&c[i].pos[p], &c[k].pos[g[k]]));
			if (ok)
				g[i] = (int8_t)p;
		}
		placed += g[i] >= 0;
	}
	free(order);
	free(g);
	return placed;
}

static void test_random(void)
{
	static struct label_cand c[N], sub[N];
	static struct label_box o[N], osub[N];
	static int8_t out[N], out2[N], subout[N];
	make(c, o, N);
	struct labels *s = labels_new();
	size_t last = 0;
	for (int rounds = 1; rounds <= 5; rounds += 2) {
		labels_obstacles(s, o, N);
		labels_place(s, c, N, rounds, out);
		size_t placed = check_placement(c, o, N, out);
		printf("round %d: %zu labels placed of %d\n", rounds, placed, N);
		CHECK(placed > N / 10);
		if (rounds > 1)
			CHECK_MSG(placed >= last, "round %d placed %zu, fewer than %zu", rounds, placed,
			          last);
		last = placed;

		/* the same answer in reverse order */
		for (size_t i = 0; i < N; i++) {
			sub[i] = c[N - 1 - i];
			osub[i] = o[(i * 31) % N];
		}
		labels_obstacles(s, osub, N);
		labels_place(s, sub, N, rounds, out2);
		size_t differ = 0;
		for (size_t i = 0; i < N; i++)
			differ += out2[i] != out[N - 1 - i];
		CHECK_INT(differ, 0);

		/* windows: what touches an area is decided as in the world */
		double mx, my;
		labels_margin(MAX_W + MARKER + GAP, MAX_H + MARKER + GAP, MARKER, MARKER, rounds, &mx, &my);
		for (int w = 0; w < 20; w++) {
			double x0 = urand(0, WORLD - 256), y0 = urand(0, WORLD - 256), x1 = x0 + 256,
			       y1 = y0 + 256;
			size_t n = 0, no = 0;
			size_t map[N];
			for (size_t i = 0; i < N; i++) {
				if (c[i].ax >= x0 - mx && c[i].ax <= x1 + mx && c[i].ay >= y0 - my &&
				    c[i].ay <= y1 + my) {
					map[n] = i;
					sub[n++] = c[i];
				}
				/* obstacles by their centres, as a tile asks its window */
				double ox = (o[i].l + o[i].r) / 2, oy = (o[i].t + o[i].b) / 2;
				if (ox >= x0 - mx && ox <= x1 + mx && oy >= y0 - my && oy <= y1 + my)
					osub[no++] = o[i];
			}
			labels_obstacles(s, osub, no);
			labels_place(s, sub, n, rounds, subout);
			size_t touching = 0, wrong = 0;
			struct label_box area = {x0, y0, x1, y1};
			for (size_t k = 0; k < n; k++) {
				const struct label_cand *a = &c[map[k]];
				bool touches = false;
				for (int p = 0; p < a->npos; p++)
					touches = touches || overlap(&a->pos[p], &area);
				if (!touches)
					continue;
				touching++;
				wrong += subout[k] != out[map[k]];
			}
			CHECK_INT(wrong, 0);
			CHECK(touching > 0);
		}
	}
	size_t g = greedy(c, o, N);
	printf("greedy: %zu labels placed\n", g);
	CHECK(g >= last / 2);
	CHECK(labels_memory(s) > 0);
	labels_free(s);
}

/* a, b, c from the highest priority, one box each: a meets b, b meets c. */
static void test_chain(void)
{
	struct label_cand c[3];
	memset(c, 0, sizeof c);
	for (int i = 0; i < 3; i++) {
		c[i].ax = 10 + 30 * i;
		c[i].ay = 0;
		c[i].prio = (uint32_t)i;
		c[i].npos = 1;
		c[i].pos[0] = box(20.0 * i, 0, 20.0 * i + 25, 10);
	}
	struct labels *s = labels_new();
	int8_t out[3];
	labels_obstacles(s, NULL, 0);
	labels_place(s, c, 3, 1, out);
	CHECK(out[0] == 0 && out[1] == -1 && out[2] == -1);
	labels_place(s, c, 3, 3, out);
	CHECK(out[0] == 0 && out[1] == -1 && out[2] == 0);
	/* a second box for b, free of a and c, is taken at once */
	c[1].npos = 2;
	c[1].pos[1] = box(20, 20, 45, 30);
	labels_obstacles(s, NULL, 0);
	labels_place(s, c, 3, 1, out);
	CHECK(out[0] == 0 && out[1] == 1 && out[2] == -1);
	labels_place(s, c, 3, 3, out);
	CHECK(out[0] == 0 && out[1] == 1 && out[2] == 0);
	/* an obstacle over a's only box leaves a out, and b its first box */
	struct label_box o = box(5, 2, 8, 4);
	labels_obstacles(s, &o, 1);
	labels_place(s, c, 3, 3, out);
	CHECK(!labels_box_free(s, &c[0].pos[0]) && labels_box_free(s, &c[1].pos[0]));
	labels_obstacles(s, NULL, 0);
	CHECK(out[0] == -1 && out[1] == 0 && out[2] == -1);
	/* boxes that only touch do not overlap */
	c[1].npos = 1;
	c[1].pos[0] = box(25, 0, 40, 10);
	labels_obstacles(s, NULL, 0);
	labels_place(s, c, 3, 1, out);
	CHECK(out[0] == 0 && out[1] == 0);
	labels_place(s, c, 0, 3, out);
	labels_free(s);
	labels_free(NULL);
}

/* Round 1 the slow way (labels.h): U0 of each candidate against every
 * obstacle, then its first box of U0 that meets no box of U0 of a
 * candidate of higher priority. */
static void brute_round1(const struct label_cand *c, size_t n, const struct label_box *o, size_t no,
                         int8_t *out)
{
	uint8_t *u0 = calloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++)
		for (int p = 0; p < c[i].npos; p++) {
			bool free_box = true;
			for (size_t k = 0; k < no && free_box; k++)
				free_box = !overlap(&c[i].pos[p], &o[k]);
			u0[i] |= (uint8_t)(free_box << p);
		}
	for (size_t i = 0; i < n; i++) {
		out[i] = -1;
		for (int p = 0; p < c[i].npos && out[i] < 0; p++) {
			bool ok = u0[i] >> p & 1;
			for (size_t j = 0; j < n && ok; j++)
				for (int q = 0; q < c[j].npos && ok && c[j].prio < c[i].prio; q++)
					ok = !((u0[j] >> q & 1) && overlap(&c[i].pos[p], &c[j].pos[q]));
			if (ok)
				out[i] = (int8_t)p;
		}
	}
	free(u0);
}

/* Boxes far out (world px at zoom 24 run past 2^32; a grid's cells are
 * counted from the boxes' own corner, negative too) and spread so wide
 * that the grids take larger cells, in clumps and alone, with a
 * candidate that has no box: the same answers as the slow way, box by
 * box and label by label. */
static void test_far_and_wide(void)
{
	enum { M = 600 };
	static struct label_cand c[M];
	static struct label_box o[M];
	static int8_t out[M], want[M];
	static const double spreads[] = {300, 1e5, 1e9};
	static const double origins[] = {0, 8.5e9, -3e9};
	struct labels *s = labels_new();
	for (size_t a = 0; a < sizeof spreads / sizeof *spreads; a++)
		for (size_t b = 0; b < sizeof origins / sizeof *origins; b++) {
			for (size_t i = 0; i < M; i++) {
				/* half in a clump 300 px wide, half over the spread */
				double w = i % 2 ? spreads[a] : 300;
				double x = origins[b] + floor(urand(0, w)),
				       y = origins[b] - floor(urand(0, w));
				o[i] = box(x - 6, y - 6, x + 6, y + 6);
				c[i].ax = x;
				c[i].ay = y;
				c[i].prio = (uint32_t)(M - i);
				c[i].npos = i % 97 ? 4 : 0;
				double lw = floor(urand(10, 60)), lh = 14;
				c[i].pos[0] = box(x - lw / 2, y - 8 - lh, x + lw / 2, y - 8);
				c[i].pos[1] = box(x - lw / 2, y + 8, x + lw / 2, y + 8 + lh);
				c[i].pos[2] = box(x + 8, y - lh / 2, x + 8 + lw, y + lh / 2);
				c[i].pos[3] = box(x - 8 - lw, y - lh / 2, x - 8, y + lh / 2);
			}
			size_t no = M / 3; /* fewer obstacles than labels: some boxes are free */
			labels_obstacles(s, o, no);
			size_t wrong = 0;
			for (size_t i = 0; i < M; i++)
				for (int p = 0; p < 4; p++) {
					bool free_box = true;
					for (size_t k = 0; k < no && free_box; k++)
						free_box = !overlap(&c[i].pos[p], &o[k]);
					wrong += free_box != labels_box_free(s, &c[i].pos[p]);
				}
			CHECK_MSG(wrong == 0, "spread %g at %g: %zu boxes judged wrongly", spreads[a],
			          origins[b], wrong);
			labels_place(s, c, M, 1, out);
			brute_round1(c, M, o, no, want);
			size_t differ = 0, placed = 0;
			for (size_t i = 0; i < M; i++) {
				differ += out[i] != want[i];
				placed += out[i] >= 0;
			}
			CHECK_MSG(differ == 0, "spread %g at %g: %zu labels differ", spreads[a], origins[b],
			          differ);
			CHECK(placed > 0);
		}
	labels_obstacles(s, NULL, 0);
	CHECK(labels_box_free(s, &o[0]));
	labels_free(s);
}

int main(void)
{
	test_chain();
	test_far_and_wide();
	test_random();
	return CHECK_DONE();
}

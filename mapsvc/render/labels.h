/*
 * labels.h - where labels go, decided with a cost bounded per tile and
 * the same answer on every tile: a fixed priority order, a few candidate
 * boxes per label, and collisions tested only against labels of higher
 * priority within a bounded reach.
 *
 * The rule.  A label may take a candidate box that overlaps no obstacle
 * (the markers and clusters).  The greedy placement - labels in priority
 * order, each taking its first box that overlaps no obstacle and no box
 * already taken - depends on chains of labels of any length, so a tile
 * could only be drawn once the whole world's labels were placed.  Instead
 * labels are decided in a fixed number of rounds, each looking one step
 * further along those chains:
 *   U0(j) = every box of j that overlaps no obstacle;
 *   L(r)(i) = the first box of U0(i) that overlaps none of U(r-1)(j) of
 *             the labels j of higher priority (r odd);
 *   U(r)(j) = every box of U0(j) that overlaps none of L(r-1)(k) of the
 *             labels k of higher priority (r even).
 * By induction over the rounds, L(r)(i) is one of U(r-1)(i), and so two
 * labels placed by an odd round never overlap; no label overlaps an
 * obstacle.  Round 1 takes a box only when no label of higher priority
 * could take an overlapping one; each later odd round gives back the
 * boxes that such labels turned out not to take.  LABELS_ROUNDS is the
 * round the map uses, 1: on 4,000 crowded random labels (the unit test)
 * round 1 keeps 2,779, round 3 2,846 and the greedy placement 3,270,
 * while each round widens the window a tile must read by four label
 * reaches (below): twice the window for 2% more labels is not worth it.
 *
 * Bounded reach.  If every candidate box lies within (reach_x, reach_y)
 * of its label's anchor and every obstacle within (obst_x, obst_y) of its
 * own, two labels interact only when their anchors are less than 2 *
 * reach apart, so round r of a label depends only on labels within 2 *
 * reach * r and obstacles within 2 * reach * r + reach + obst of it.  A
 * tile that is given every label and obstacle within labels_margin of
 * itself decides the labels that touch it exactly as the whole world
 * would: whatever the tile, the order of requests or the thread.
 *
 * Ownership and threads: a struct labels is per-thread scratch (grids and
 * per-candidate state), reused between calls and trimmed by its owner.
 */
#ifndef MS_LABELS_H
#define MS_LABELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Candidate boxes per label at most (above, below, right, left). */
#define LABELS_MAX_POS 4
/* The round the map places labels with (see above); odd. */
#define LABELS_ROUNDS 1

/* A box in world px, [l, r) x [t, b): boxes that only touch do not
 * overlap. */
struct label_box {
	double l, t, r, b;
};

struct label_cand {
	double ax, ay; /* the anchor */
	uint32_t prio; /* smaller goes first; unique among candidates */
	uint8_t npos;  /* candidate boxes, in order of preference */
	struct label_box pos[LABELS_MAX_POS];
};

struct labels;

struct labels *labels_new(void);
void labels_free(struct labels *s);
/* Bytes of scratch held. */
size_t labels_memory(const struct labels *s);

/* The margin, per axis, a window needs around the area whose labels it
 * draws (see above). */
void labels_margin(double reach_x, double reach_y, double obst_x, double obst_y, int rounds, double *mx,
                   double *my);

/* Files obst[0..n) (borrowed until the next call) as the obstacles of
 * the next placement. */
void labels_obstacles(struct labels *s, const struct label_box *obst, size_t n);
/* True when box overlaps none of the obstacles filed: a caller may skip
 * measuring a label none of whose smallest possible boxes is free. */
bool labels_box_free(const struct labels *s, const struct label_box *box);
/* The boxes of c (bit p for c->pos[p]) that overlap no obstacle filed:
 * U0 of the rule above.  A candidate with none gets no label, whatever
 * its neighbours. */
uint8_t labels_unblocked(const struct labels *s, const struct label_cand *c);

/* Places c[0..n) after round `rounds` (odd, >= 1) among the obstacles
 * filed: out[i] is the index of the chosen box of c[i], or -1 for no
 * label.  Candidates and obstacles may come in any order: the answer
 * depends on their values only. */
void labels_place(struct labels *s, const struct label_cand *c, size_t n, int rounds, int8_t *out);

#endif

/*
 * sindex.h - the in-memory spatial index: exact bounding-box and
 * k-nearest (geodesic, WGS-84) queries over up to millions of points.
 *
 * Built once from arrays of coordinates, immutable afterwards, so any
 * number of threads may query it at once without locks.  Point i of the
 * index is point i of the arrays it was built from; ties in distance are
 * broken by the smaller index (callers order points by site id, so this is
 * "ties broken by id").  Coincident points are fine.
 */
#ifndef MS_SINDEX_H
#define MS_SINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ms_error.h"

struct sindex;

/* An index of points 0 .. n - 1 at lat[i], lon[i] (valid WGS-84
 * degrees), which it reads again when asked: the arrays are borrowed and
 * must outlive the index, unchanged. */
struct sindex *sindex_build(const double *lat, const double *lon, size_t n, struct ms_error *err);
/* The same with point i's latitude at (const char *)lat + i * stride and
 * its longitude likewise: the fields of an array of records. */
struct sindex *sindex_build_strided(const double *lat, const double *lon, size_t stride, size_t n,
                                    struct ms_error *err);
/* An index over ix's tree that reads the positions at lat/lon (stride as
 * above) instead of ix's, which must be the same values, point for point:
 * what the next snapshot, whose sites stand where ix's stood, takes
 * instead of a build.  Either may be freed first. */
struct sindex *sindex_rebind(const struct sindex *ix, const double *lat, const double *lon, size_t stride);
/* An index of ix's points where the points moved[0, nmoved) (increasing
 * indexes) stand at their new positions in lat/lon (stride as above) and
 * every other point where it stood in ix: ix's tree, copied, with each
 * moved point's boxes widened from the root to its leaf to hold it, for
 * the next snapshot when a few sites moved (a million points: a copy, not
 * a build).  It answers every query as a build would; where a point moved
 * far, a query may visit a few more nodes.  NULL (err set) for a moved
 * position out of range or moved not increasing. */
struct sindex *sindex_patch(const struct sindex *ix, const double *lat, const double *lon, size_t stride,
                            const uint32_t *moved, size_t nmoved, struct ms_error *err);
/* True when a and b are one tree (one built the other's by sindex_rebind,
 * or both come from one build). */
bool sindex_shares(const struct sindex *a, const struct sindex *b);
void sindex_free(struct sindex *ix);
size_t sindex_size(const struct sindex *ix);

/* Called for each point in a bbox; return false to stop early. */
typedef bool (*sindex_visit_fn)(uint32_t i, void *ctx);
/* A filter for nearest queries: true keeps point i. */
typedef bool (*sindex_filter_fn)(uint32_t i, void *ctx);

/* Every point with west <= lon <= east and south <= lat <= north, in
 * increasing index order.  west > east means the box crosses the
 * antimeridian (e.g. 170 .. -170).  Returns the count visited (the call
 * that returned false included).  visit may be NULL to only count the
 * points in the box.  south > north or a NaN bound gives 0. */
size_t sindex_bbox(const struct sindex *ix, double west, double south, double east, double north,
                   sindex_visit_fn visit, void *ctx);

struct sindex_hit {
	uint32_t i;     /* point index */
	double dist_m;  /* geodesic distance from the query point */
	double azi_deg; /* initial azimuth query -> point, 0 <= azi < 360 */
};

/* Up to k nearest points to (lat, lon) by geodesic distance, at most
 * max_dist_m away (INFINITY for no limit) and passing filter (NULL keeps
 * all), sorted by (dist_m, i).  out has room for k.  Returns the count.
 * Exact: the same answer as computing every distance. */
size_t sindex_nearest(const struct sindex *ix, double lat, double lon, size_t k, double max_dist_m,
                      sindex_filter_fn filter, void *ctx, struct sindex_hit *out);

/* The work one nearest query did, counted rather than timed so that tests
 * can bound it on any machine. */
struct sindex_stats {
	size_t geodesics; /* points whose geodesic distance was computed */
	size_t nodes;     /* tree nodes opened */
};

/* sindex_nearest that also reports its work in *st (not NULL). */
size_t sindex_nearest_stats(const struct sindex *ix, double lat, double lon, size_t k, double max_dist_m,
                            sindex_filter_fn filter, void *ctx, struct sindex_hit *out,
                            struct sindex_stats *st);

#endif

/*
 * bench_index.c - how fast the spatial index builds and answers
 * nearest-5 queries, next to SpatiaLite's best exact SQL on the same
 * points in the same run.
 *
 * usage: bench_index [--no-spatialite] [--far-only] [N]
 *   N points (default 1000000) uniform over lon 73..135, lat 18..53 (fixed
 *   seed); 1000 query points uniform over the same rectangle.  The same
 *   queries run on a 30-point set (the size of the bundled data).
 *
 * SpatiaLite's query is the one a careful SQL user writes for an exact
 * answer: ST_Distance(geom, pt, 1) (ellipsoidal metres) over the rows of
 * a SpatialIndex box around the point, ordered, LIMIT 5; the box starts at
 * +-0.1 deg and doubles until it holds 5 rows and the 5th is nearer than
 * any point outside the box could be.  Its answers are compared with the
 * index's (same points, same order).
 *
 * Prints RESULT lines:
 *   RESULT index_build_ms=... n=...
 *   RESULT index_nearest5_us_median=... p99=... n=...
 *   RESULT spatialite_import_s=... n=...
 *   RESULT spatialite_sql_nearest5_us_median=... p99=... same_answers=.../...
 *   RESULT index_speedup_vs_spatialite_sql_median=... p99=...
 *   RESULT index_nearest_work at=NAME k=... geodesics=... nodes=... us=...
 *     for query points inside the data and far from it (the antipode of
 *     China, both poles, the antimeridian): the work a query does should
 *     not depend on where it is asked.
 */
#include <math.h>
#include <sqlite3.h>
#include <spatialite.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "index/sindex.h"

#define NQUERIES 1000
#define K 5

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static double urand(double lo, double hi)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return lo + (hi - lo) * ((double)(rng_state >> 11) / 9007199254740992.0);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median and 99th percentile of t[0..n) (sorts t). */
static void stats(double *t, size_t n, double *median, double *p99)
{
	qsort(t, n, sizeof *t, cmp_double);
	*median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	*p99 = t[(size_t)(0.99 * (double)(n - 1))];
}

/* Runs the queries against an index of the points; fills answers (K per
 * query, UINT32_MAX when absent) and prints the timings. */
static int bench_index(const double *lat, const double *lon, size_t n, const double *qlat, const double *qlon,
                       uint32_t *answers, double *median, double *p99)
{
	struct ms_error err = {0};
	double t0 = now_us(), c0 = cpu_us();
	struct sindex *ix = sindex_build(lat, lon, n, &err);
	double build_ms = (now_us() - t0) / 1e3, build_cpu_ms = (cpu_us() - c0) / 1e3;
	if (!ix) {
		fprintf(stderr, "bench_index: %s\n", err.msg);
		return 1;
	}
	/* CPU time too: on a busy machine the wall clock also counts waiting */
	printf("RESULT index_build_ms=%.1f cpu_ms=%.1f n=%zu\n", build_ms, build_cpu_ms, n);
	static double times[NQUERIES];
	struct sindex_hit hits[K];
	/* One untimed pass warms the caches as a running server's would be. */
	for (int q = 0; q < NQUERIES; q++)
		sindex_nearest(ix, qlat[q], qlon[q], K, INFINITY, NULL, NULL, hits);
	for (int q = 0; q < NQUERIES; q++) {
		double t = now_us();
		size_t m = sindex_nearest(ix, qlat[q], qlon[q], K, INFINITY, NULL, NULL, hits);
		times[q] = now_us() - t;
		for (size_t j = 0; j < K; j++)
			answers[q * K + j] = j < m ? hits[j].i : UINT32_MAX;
	}
	stats(times, NQUERIES, median, p99);
	printf("RESULT index_nearest5_us_median=%.2f p99=%.2f n=%zu queries=%d\n", *median, *p99, n,
	       NQUERIES);
	sindex_free(ix);
	return 0;
}

/* Work per nearest query at points inside the data and far from it. */
static int bench_far(const double *lat, const double *lon, size_t n)
{
	static const struct {
		const char *name;
		double lat, lon;
	} at[] = {
	    {"inside", 35.0, 105.0},   {"edge", 18.0, 73.0},       {"antipode", -35.0, -65.0},
	    {"north_pole", 90.0, 0.0}, {"south_pole", -90.0, 0.0}, {"antimeridian", 0.0, 180.0},
	};
	static const size_t ks[] = {5, 100};
	struct sindex *ix = sindex_build(lat, lon, n, NULL);
	if (!ix)
		return 1;
	struct sindex_hit hits[100];
	for (size_t a = 0; a < sizeof at / sizeof at[0]; a++)
		for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
			struct sindex_stats st;
			double t = now_us();
			sindex_nearest_stats(ix, at[a].lat, at[a].lon, ks[j], INFINITY, NULL, NULL, hits,
			                     &st);
			printf(
			    "RESULT index_nearest_work at=%s k=%zu geodesics=%zu nodes=%zu us=%.0f n=%zu\n",
			    at[a].name, ks[j], st.geodesics, st.nodes, now_us() - t, n);
		}
	sindex_free(ix);
	return 0;
}

static int sql_ok(sqlite3 *db, int rc, const char *what)
{
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 1;
	fprintf(stderr, "bench_index: SpatiaLite: %s: %s\n", what, sqlite3_errmsg(db));
	return 0;
}

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "bench_index: SpatiaLite: %s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return 0;
	}
	return 1;
}

static const char *const KNN_SQL = "SELECT rowid, ST_Distance(geom, MakePoint(?1, ?2, 4326), 1) AS d FROM p "
                                   "WHERE rowid IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'p' "
                                   "AND search_frame = BuildMbr(?3, ?4, ?5, ?6, 4326)) ORDER BY d LIMIT 5";

/* The exact SQL nearest-5 (see the top comment); rowids - 1 into out. */
static int sql_nearest(sqlite3 *db, sqlite3_stmt *st, double lat, double lon, uint32_t *out)
{
	for (double r = 0.1;; r *= 2) {
		sqlite3_reset(st);
		sqlite3_bind_double(st, 1, lon);
		sqlite3_bind_double(st, 2, lat);
		sqlite3_bind_double(st, 3, lon - r);
		sqlite3_bind_double(st, 4, lat - r);
		sqlite3_bind_double(st, 5, lon + r);
		sqlite3_bind_double(st, 6, lat + r);
		int m = 0, rc;
		double last = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			out[m++] = (uint32_t)(sqlite3_column_int64(st, 0) - 1);
			last = sqlite3_column_double(st, 1);
		}
		if (!sql_ok(db, rc, "nearest query"))
			return -1;
		/* anything outside the box is at least this far (conservative) */
		double outside_m = r * 110574.0 * cos(fmin(fabs(lat) + r, 90.0) * M_PI / 180.0);
		if (r > 180 || (m == K && last <= outside_m)) {
			for (int j = m; j < K; j++)
				out[j] = UINT32_MAX;
			return m;
		}
	}
}

static int bench_spatialite(const double *lat, const double *lon, size_t n, const double *qlat,
                            const double *qlon, const uint32_t *index_answers, double *median, double *p99)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/bench_index.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir);
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("bench_index: mkstemp");
		return 1;
	}
	close(fd);
	unlink(path);

	int ok = 0;
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *st = NULL;
	void *cache = spatialite_alloc_connection();
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "bench_index: cannot open %s\n", path);
		goto done;
	}
	spatialite_init_ex(db, cache, 0);
	double t0 = now_us();
	if (!exec(db, "SELECT InitSpatialMetadata(1)") ||
	    !exec(db, "CREATE TABLE p (id INTEGER PRIMARY KEY)") ||
	    !exec(db, "SELECT AddGeometryColumn('p', 'geom', 4326, 'POINT', 'XY')") || !exec(db, "BEGIN"))
		goto done;
	if (!sql_ok(
	        db,
	        sqlite3_prepare_v2(db, "INSERT INTO p VALUES (?1, MakePoint(?2, ?3, 4326))", -1, &ins, NULL),
	        "prepare insert"))
		goto done;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_double(ins, 2, lon[i]);
		sqlite3_bind_double(ins, 3, lat[i]);
		if (!sql_ok(db, sqlite3_step(ins), "insert"))
			goto done;
	}
	if (!exec(db, "SELECT CreateSpatialIndex('p', 'geom')") || !exec(db, "COMMIT"))
		goto done;
	printf("RESULT spatialite_import_s=%.2f n=%zu\n", (now_us() - t0) / 1e6, n);

	if (!sql_ok(db, sqlite3_prepare_v2(db, KNN_SQL, -1, &st, NULL), "prepare nearest"))
		goto done;
	static double times[NQUERIES];
	int same = 0;
	for (int q = 0; q < NQUERIES; q++) {
		uint32_t got[K];
		double t = now_us();
		if (sql_nearest(db, st, qlat[q], qlon[q], got) < 0)
			goto done;
		times[q] = now_us() - t;
		same += memcmp(got, index_answers + q * K, sizeof got) == 0;
	}
	stats(times, NQUERIES, median, p99);
	printf("RESULT spatialite_sql_nearest5_us_median=%.1f p99=%.1f n=%zu queries=%d same_answers=%d/%d\n",
	       *median, *p99, n, NQUERIES, same, NQUERIES);
	ok = 1;
done:
	sqlite3_finalize(ins);
	sqlite3_finalize(st);
	sqlite3_close(db);
	spatialite_cleanup_ex(cache);
	unlink(path);
	char journal[4200];
	snprintf(journal, sizeof journal, "%s-journal", path);
	unlink(journal);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* results appear as they come */
	int with_spatialite = 1, far_only = 0;
	size_t n = 1000000;
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--no-spatialite") == 0) {
			with_spatialite = 0;
		} else if (strcmp(argv[a], "--far-only") == 0) {
			far_only = 1;
		} else if (atol(argv[a]) > 0) {
			n = (size_t)atol(argv[a]);
		} else {
			fprintf(stderr, "usage: bench_index [--no-spatialite] [--far-only] [N]\n");
			return 2;
		}
	}
	double *lat = malloc(n * sizeof *lat), *lon = malloc(n * sizeof *lon);
	static double qlat[NQUERIES], qlon[NQUERIES];
	uint32_t *answers = malloc(NQUERIES * K * sizeof *answers);
	for (size_t i = 0; i < n; i++) {
		lon[i] = urand(73, 135);
		lat[i] = urand(18, 53);
	}
	for (int q = 0; q < NQUERIES; q++) {
		qlon[q] = urand(73, 135);
		qlat[q] = urand(18, 53);
	}
	if (far_only) {
		int r = bench_far(lat, lon, n);
		free(lat);
		free(lon);
		free(answers);
		return r;
	}
	double med, p99, smed, sp99;
	int rc = bench_index(lat, lon, n, qlat, qlon, answers, &med, &p99);
	if (rc == 0 && with_spatialite &&
	    bench_spatialite(lat, lon, n, qlat, qlon, answers, &smed, &sp99) == 0)
		printf("RESULT index_speedup_vs_spatialite_sql_median=%.0fx p99=%.0fx\n", smed / med,
		       sp99 / p99);
	if (rc == 0)
		rc = bench_far(lat, lon, n);
	/* the bundled data's size: 30 points */
	double m30, p30;
	if (rc == 0)
		rc = bench_index(lat, lon, n < 30 ? n : 30, qlat, qlon, answers, &m30, &p30);
	free(lat);
	free(lon);
	free(answers);
	return rc;
}

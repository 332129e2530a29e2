/*
 * test_geo.c - geodesics against published reference values, and the
 * GCJ-02 / BD-09 transforms against reference pairs and round trips.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "geo/geo.h"

static double norm360(double a)
{
	a = fmod(a, 360.0);
	return a < 0 ? a + 360.0 : a;
}

/* The difference of two azimuths, wrapped into [-180, 180). */
static double azi_diff(double a, double b)
{
	double d = fmod(a - b + 540.0, 360.0) - 180.0;
	return d;
}

/* Reads up to max rows of ncol numbers from a table, skipping '#' lines. */
static int read_table(const char *path, int ncol, double *rows, int max)
{
	FILE *f = fopen(path, "r");
	CHECK_MSG(f != NULL, "cannot open %s", path);
	if (!f)
		return 0;
	char line[512];
	int n = 0;
	while (n < max && fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char *p = line, *end;
		int c = 0;
		for (; c < ncol; c++) {
			rows[n * ncol + c] = strtod(p, &end);
			if (end == p)
				break;
			p = end;
		}
		CHECK_MSG(c == ncol, "%s: malformed row %d", path, n + 1);
		if (c == ncol)
			n++;
	}
	fclose(f);
	return n;
}

static void test_reference_geodesics(void)
{
	double rows[64 * 7];
	int n = read_table("data/geo/geodesic_ref.txt", 7, rows, 64);
	CHECK(n >= 10);
	for (int i = 0; i < n; i++) {
		const double *r = rows + i * 7;
		double s, azi;
		geo_inverse(r[0], r[1], r[3], r[4], &s, &azi);
		CHECK_NEAR(s, r[6], 1e-6);
		CHECK(azi >= 0 && azi < 360);
		CHECK_NEAR(azi_diff(azi, norm360(r[2])), 0, 1e-9);
		CHECK_NEAR(geo_distance_m(r[0], r[1], r[3], r[4]), r[6], 1e-6);
		/* the direct problem lands on point 2 */
		double lat2, lon2;
		geo_direct(r[0], r[1], r[2], r[6], &lat2, &lon2);
		CHECK_NEAR(lat2, r[3], 1e-9);
		CHECK_NEAR(azi_diff(lon2, r[4]), 0, 1e-9);
	}

	double srows[32 * 6];
	n = read_table("data/geo/geodesic_short.txt", 6, srows, 32);
	CHECK(n >= 6);
	for (int i = 0; i < n; i++) {
		const double *r = srows + i * 6;
		CHECK_NEAR(geo_distance_m(r[0], r[1], r[2], r[3]), r[4], r[5]);
	}
	/* GeodSolve0's azimuth: 53.47022 deg (+-0.5e-5). */
	double azi;
	geo_inverse(40.6, -73.8, 49.01666667, 2.55, NULL, &azi);
	CHECK_NEAR(azi, 53.47022, 0.5e-5);
}

static void test_special_cases(void)
{
	double s = -1, azi = -1;
	/* coincident points, including at a pole and on the antimeridian */
	const double same[][2] = {{36.8, 118.1}, {90, 0}, {-90, 45}, {0, 180}, {10, -180}};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		geo_inverse(same[i][0], same[i][1], same[i][0], same[i][1], &s, &azi);
		CHECK_INT(s == 0, 1);
		CHECK_INT(azi == 0 && !signbit(azi), 1);
	}
	/* 180 and -180 are the same meridian */
	geo_inverse(10, 180, 10, -180, &s, &azi);
	CHECK_NEAR(s, 0, 1e-9);
	/* due south and due west give 180 and 270, not -180 / -90 */
	geo_inverse(10, 20, 5, 20, NULL, &azi);
	CHECK_NEAR(azi, 180, 1e-9);
	geo_inverse(0, 20, 0, 19, NULL, &azi);
	CHECK_NEAR(azi, 270, 1e-9);
	/* across the antimeridian the short way: 179.5 -> -179.5 at the
	 * equator is one degree of equator, 111319.49 m (2*pi*a/360) */
	geo_inverse(0, 179.5, 0, -179.5, &s, &azi);
	CHECK_NEAR(s, 2 * M_PI * WGS84_A / 360.0, 1e-3);
	CHECK_NEAR(azi, 90, 1e-9);
	/* pole to pole: twice the meridian quadrant */
	CHECK_NEAR(geo_distance_m(90, 0, -90, 0), 20003931.4586, 1e-3);
	/* out pointers may be NULL */
	geo_inverse(1, 2, 3, 4, NULL, NULL);
	geo_direct(1, 2, 3, 4, NULL, NULL);
}

static double urand(double lo, double hi)
{
	return lo + (hi - lo) * ((double)rand() / RAND_MAX);
}

static void test_symmetry(void)
{
	srand(12345);
	int bad_sym = 0, bad_back = 0;
	for (int i = 0; i < 2000; i++) {
		double la1 = urand(-90, 90), lo1 = urand(-180, 180);
		double la2 = urand(-90, 90), lo2 = urand(-180, 180);
		double s12, s21, a12, a21;
		geo_inverse(la1, lo1, la2, lo2, &s12, &a12);
		geo_inverse(la2, lo2, la1, lo1, &s21, &a21);
		if (fabs(s12 - s21) > 1e-6)
			bad_sym++;
		/* going back along the returned azimuth ends where we began */
		double bl, bo;
		geo_direct(la1, lo1, a12, s12, &bl, &bo);
		if (geo_distance_m(bl, bo, la2, lo2) > 1e-5)
			bad_back++;
	}
	CHECK_INT(bad_sym, 0);
	CHECK_INT(bad_back, 0);
}

static void test_gcj02_reference(void)
{
	double rows[16 * 4];
	int n = read_table("data/geo/gcj02_ref.txt", 4, rows, 16);
	CHECK_INT(n, 3);
	for (int i = 0; i < n; i++) {
		const double *r = rows + i * 4;
		double lat, lon;
		gcj02_to_wgs84(r[0], r[1], &lat, &lon);
		/* the reference has six decimals: 0.5e-6 of rounding */
		CHECK_NEAR(lat, r[2], 1e-6);
		CHECK_NEAR(lon, r[3], 1e-6);
		double glat, glon;
		wgs84_to_gcj02(r[2], r[3], &glat, &glon);
		CHECK_NEAR(glat, r[0], 1.5e-6);
		CHECK_NEAR(glon, r[1], 1.5e-6);
		/* the offset near Zibo is some hundreds of metres */
		double off = geo_distance_m(r[0], r[1], r[2], r[3]);
		CHECK(off > 300 && off < 700);
		double wlat, wlon;
		coordsys_to_wgs84(COORDSYS_GCJ02, r[0], r[1], &wlat, &wlon);
		CHECK(wlat == lat && wlon == lon);
	}
}

static void test_round_trips(void)
{
	srand(777);
	double worst_gcj = 0, worst_bd = 0, worst_gcj_deg = 0;
	int nin = 0;
	for (int i = 0; i < 5000; i++) {
		double lat = urand(18, 53), lon = urand(73, 135);
		if (!gcj02_applies(lat, lon))
			continue;
		nin++;
		double gl, gn, wl, wn;
		wgs84_to_gcj02(lat, lon, &gl, &gn);
		CHECK(geo_distance_m(lat, lon, gl, gn) > 1); /* an offset exists */
		gcj02_to_wgs84(gl, gn, &wl, &wn);
		double d = geo_distance_m(lat, lon, wl, wn);
		worst_gcj = fmax(worst_gcj, d);
		worst_gcj_deg = fmax(worst_gcj_deg, fmax(fabs(wl - lat), fabs(wn - lon)));

		double bl, bn;
		coordsys_from_wgs84(COORDSYS_BD09, lat, lon, &bl, &bn);
		coordsys_to_wgs84(COORDSYS_BD09, bl, bn, &wl, &wn);
		worst_bd = fmax(worst_bd, geo_distance_m(lat, lon, wl, wn));
	}
	CHECK_INT(nin, 5000);
	CHECK_MSG(worst_gcj < 1.0, "worst GCJ round trip %g m", worst_gcj);
	CHECK_MSG(worst_bd < 1.0, "worst BD round trip %g m", worst_bd);
	/* geo.h promises 1e-9 degrees for the inverse */
	CHECK_MSG(worst_gcj_deg < 1e-9, "worst GCJ round trip %g deg", worst_gcj_deg);

	/* BD-09 alone: gcj -> bd -> gcj */
	double worst = 0;
	for (int i = 0; i < 2000; i++) {
		double lat = urand(18, 53), lon = urand(73, 135), bl, bn, gl, gn;
		gcj02_to_bd09(lat, lon, &bl, &bn);
		CHECK(geo_distance_m(lat, lon, bl, bn) > 100); /* BD-09 is offset too */
		bd09_to_gcj02(bl, bn, &gl, &gn);
		worst = fmax(worst, fmax(fabs(gl - lat), fabs(gn - lon)));
	}
	CHECK_MSG(worst < 1e-9, "worst BD->GCJ %g deg", worst);
}

static void test_outside_china(void)
{
	const double pts[][2] = {{35.68, 139.69}, {51.5, -0.12}, {-33.9, 151.2},
	                         {0.5, 100},      {60, 100},     {40, 70}};
	for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
		double la = pts[i][0], lo = pts[i][1], gl, gn, wl, wn;
		CHECK(!gcj02_applies(la, lo));
		wgs84_to_gcj02(la, lo, &gl, &gn);
		CHECK(gl == la && gn == lo);
		gcj02_to_wgs84(la, lo, &wl, &wn);
		CHECK(wl == la && wn == lo);
	}
	CHECK(gcj02_applies(39.9, 116.4));  /* Beijing */
	CHECK(gcj02_applies(36.8, 118.05)); /* Zibo */
	CHECK(gcj02_applies(39.37, 99.84)); /* Gaotai */
}

static void test_coordsys_names(void)
{
	CHECK_INT(coordsys_parse("wgs84"), COORDSYS_WGS84);
	CHECK_INT(coordsys_parse("GCJ02"), COORDSYS_GCJ02);
	CHECK_INT(coordsys_parse("Bd09"), COORDSYS_BD09);
	CHECK_INT(coordsys_parse("cgcs2000"), COORDSYS_CGCS2000);
	CHECK_INT(coordsys_parse("gcj"), -1);
	CHECK_INT(coordsys_parse(""), -1);
	CHECK_INT(coordsys_parse(NULL), -1);
	for (int c = COORDSYS_WGS84; c <= COORDSYS_CGCS2000; c++)
		CHECK_INT(coordsys_parse(coordsys_name((enum coordsys)c)), c);
	double la, lo;
	coordsys_to_wgs84(COORDSYS_CGCS2000, 36.8, 118.05, &la, &lo);
	CHECK(la == 36.8 && lo == 118.05);
	coordsys_from_wgs84(COORDSYS_WGS84, 36.8, 118.05, &la, &lo);
	CHECK(la == 36.8 && lo == 118.05);
}

static uint64_t box_rng = 0x2545F4914F6CDD1DULL;

static double box_rand(double lo, double hi)
{
	box_rng ^= box_rng << 13;
	box_rng ^= box_rng >> 7;
	box_rng ^= box_rng << 17;
	return lo + (hi - lo) * ((double)(box_rng >> 11) / 9007199254740992.0);
}

/* coordsys_wgs84_box: every WGS-84 point whose GCJ-02 or BD-09 position
 * falls in a box is inside the box it returns, for boxes of tile sizes
 * from zoom 4 to 20 all over mainland China and astride the edge of the
 * rectangle where GCJ-02 applies (points sampled densely around each);
 * a small box inside China comes back little larger than itself; WGS-84
 * and CGCS2000 boxes are left alone.  And the slope the function relies
 * on holds on a grid finer than the one it was measured on. */
static void test_wgs84_box(void)
{
	int missed = 0, tight = 0, small = 0;
	for (int k = 0; k < 4000; k++) {
		enum coordsys cs = k % 2 ? COORDSYS_BD09 : COORDSYS_GCJ02;
		double size = 360.0 / (double)(1 << (4 + k % 17));
		double lat, lon;
		if (k % 5 == 0) { /* astride an edge of the rectangle */
			lat = box_rand(20, 50);
			lon = (k % 10 ? 72.004 : 137.8347) + box_rand(-2 * size, 2 * size);
		} else {
			lat = box_rand(18, 53);
			lon = box_rand(74, 135);
		}
		double b[4] = {lon, lat, lon + size, lat + size * 0.8};
		double q[4];
		memcpy(q, b, sizeof q);
		coordsys_wgs84_box(cs, b);
		/* sample around the box, shift, keep what lands in it */
		double m = COORDSYS_SHIFT_MAX_DEG * 1.5;
		for (int i = 0; i < 400; i++) {
			double plat = box_rand(q[1] - m, q[3] + m), plon = box_rand(q[0] - m, q[2] + m);
			double slat, slon;
			coordsys_from_wgs84(cs, plat, plon, &slat, &slon);
			if (slon < q[0] || slon > q[2] || slat < q[1] || slat > q[3])
				continue;
			missed += plon < b[0] || plon > b[2] || plat < b[1] || plat > b[3];
		}
		if (size < 0.1 && k % 5) {
			small++;
			tight += b[2] - b[0] <= 1.25 * size && b[3] - b[1] <= 1.25 * size * 0.8 + 1e-6;
		}
	}
	CHECK_INT(missed, 0);
	CHECK(small > 1000);
	CHECK_INT(tight, small);
	double w[4] = {116, 39, 116.01, 39.01}, w0[4] = {116, 39, 116.01, 39.01};
	coordsys_wgs84_box(COORDSYS_WGS84, w);
	CHECK(!memcmp(w, w0, sizeof w));
	coordsys_wgs84_box(COORDSYS_CGCS2000, w);
	CHECK(!memcmp(w, w0, sizeof w));
	/* the slope: finite differences on a 0.0031-degree grid */
	double worst = 0;
	for (double lat = 1.0; lat <= 55.7; lat += 0.0731)
		for (double lon = 72.1; lon <= 137.7; lon += 0.0031 * 7) {
			for (int c = COORDSYS_GCJ02; c <= COORDSYS_BD09; c++) {
				double h = 1e-4, a, o, a1, o1, a2, o2;
				coordsys_from_wgs84((enum coordsys)c, lat, lon, &a, &o);
				coordsys_from_wgs84((enum coordsys)c, lat, lon + h, &a1, &o1);
				coordsys_from_wgs84((enum coordsys)c, lat + h, lon, &a2, &o2);
				double g = fmax(fmax(fabs(a1 - a), fabs(o1 - h - o)),
				                fmax(fabs(a2 - h - a), fabs(o2 - o))) /
				           h;
				worst = fmax(worst, g);
			}
		}
	CHECK_MSG(worst < 0.05, "slope %g", worst);
}

int main(void)
{
	test_wgs84_box();
	test_reference_geodesics();
	test_special_cases();
	test_symmetry();
	test_gcj02_reference();
	test_round_trips();
	test_outside_china();
	test_coordsys_names();
	return CHECK_DONE();
}

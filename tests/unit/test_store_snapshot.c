/* test_store_snapshot.c - the snapshot's bounds in every coordinate
 * system: WGS-84's are the data's own, GCJ-02's and BD-09's exactly the
 * box of the shifted sites (which the shifted corners are not: they miss
 * by tens of metres over this box), the same on every call, and none for
 * a snapshot without sites. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "geo/geo.h"
#include "ingest/ingest.h"
#include "store/snapshot.h"

/* Sites across Zibo and Gaotai: the box spans 18 degrees of longitude. */
static const char sites_csv[] = "id,name_zh,category,lat,lon\n"
                                "a,甲,museum,36.8131,118.0549\n"
                                "b,乙,monument,36.6500,117.9000\n"
                                "c,丙,memorial_hall,39.3780,99.8192\n";

static struct snapshot *load(const char *csv, size_t len)
{
	struct ms_error err = {0};
	struct site_set *set = site_set_new();
	if (ingest_csv("sites.csv", csv, len, COORDSYS_WGS84, set, &err) != MS_OK) {
		fprintf(stderr, "fixture: %s\n", err.msg);
		site_set_free(set);
		return NULL;
	}
	struct snapshot *s = snapshot_new(set, &err);
	CHECK_MSG(s != NULL, "%s", err.msg);
	return s;
}

static void test_bounds(void)
{
	struct snapshot *s = load(sites_csv, sizeof sites_csv - 1);
	if (!s)
		return;
	double b[4];
	CHECK(snapshot_bounds(s, COORDSYS_WGS84, b));
	CHECK_NEAR(b[0], 99.8192, 1e-12);
	CHECK_NEAR(b[1], 36.65, 1e-12);
	CHECK_NEAR(b[2], 118.0549, 1e-12);
	CHECK_NEAR(b[3], 39.378, 1e-12);
	CHECK(snapshot_bounds(s, COORDSYS_CGCS2000, b)); /* taken as WGS-84 */
	CHECK_NEAR(b[0], 99.8192, 1e-12);
	for (enum coordsys cs = COORDSYS_GCJ02; cs <= COORDSYS_BD09; cs++) {
		CHECK(snapshot_bounds(s, cs, b));
		/* The box of the sites shifted one by one. */
		double w = INFINITY, so = INFINITY, e = -INFINITY, n = -INFINITY;
		for (size_t i = 0; i < s->n; i++) {
			double lat, lon;
			coordsys_from_wgs84(cs, s->sites[i].lat, s->sites[i].lon, &lat, &lon);
			w = fmin(w, lon), e = fmax(e, lon), so = fmin(so, lat), n = fmax(n, lat);
		}
		CHECK(b[0] == w && b[1] == so && b[2] == e && b[3] == n);
		/* the corners shifted instead: tens of metres off */
		double clat, clon;
		coordsys_from_wgs84(cs, 39.378, 118.0549, &clat, &clon);
		CHECK(fabs(clat - n) > 2e-4 && fabs(clon - e) > 2e-4);
		double again[4];
		CHECK(snapshot_bounds(s, cs, again) && memcmp(again, b, sizeof b) == 0); /* kept */
		CHECK(fabs(b[0] - 99.8192) > 1e-4); /* and it did shift */
	}
	snapshot_release(s);
}

static void test_empty(void)
{
	static const char header_only[] = "id,name_zh,category,lat,lon\n";
	struct snapshot *s = load(header_only, sizeof header_only - 1);
	if (!s)
		return;
	double b[4] = {1, 2, 3, 4};
	CHECK(!snapshot_bounds(s, COORDSYS_WGS84, b));
	CHECK(!snapshot_bounds(s, COORDSYS_GCJ02, b));
	CHECK(b[0] == 1 && b[1] == 2 && b[2] == 3 && b[3] == 4); /* untouched */
	snapshot_release(s);
}

int main(void)
{
	test_bounds();
	test_empty();
	return CHECK_DONE();
}

"""The cost of /nearest does not depend on where the query point is
(issue 11, row 2): far from the data - across the globe, at the data's
antipode, at the poles - a search computes about as many geodesics as
near it, instead of every site's.  The work is read from /metrics as a
count of geodesics computed (mapsvc_nearest_geodesics_total), never as a
time.  And the answers far away stay right: sorted, and the first one
the truly nearest site (checked against Vincenty's formula over every
site)."""
import csv
import random
import shutil
import subprocess

from harness import *

tmp = tempfile.mkdtemp(prefix="mapsvc-far-")
N = 50000
LIMIT = 100
srv = None
sites = []


def make_db():
    rnd = random.Random(11)
    path = os.path.join(tmp, "china.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name_zh", "category", "lat", "lon"])
        for i in range(N):
            lat, lon = rnd.uniform(20, 45), rnd.uniform(80, 125)
            sites.append((lat, lon))
            w.writerow(["s%d" % i, "点%d" % i, "museum", "%.6f" % lat, "%.6f" % lon])
    db = os.path.join(tmp, "china.sqlite")
    out = subprocess.run([MAPSVC, "import", "--db", db, path], capture_output=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return db


def work_of(path):
    """(answer, geodesics computed) of one search."""
    before = metrics(srv)
    r = srv.get(path)
    after = metrics(srv)
    assert r.status == 200, r
    assert after["mapsvc_nearest_searches_total"] - before["mapsvc_nearest_searches_total"] == 1
    return r.json(), after["mapsvc_nearest_geodesics_total"] - before["mapsvc_nearest_geodesics_total"]


def test_far_costs_what_near_costs():
    near_fc, near = work_of("/nearest?lat=32.5&lon=102.5&limit=%d" % LIMIT)
    assert len(near_fc["features"]) == LIMIT
    print("     near the data: %d geodesics for %d sites" % (near, LIMIT))
    far_points = {"across the globe (issue 11)": (-35, -65), "the data's antipode": (-32.5, -77.5),
                  "the south pole": (-90, 0), "the north pole": (90, 0), "the equator, far west": (0, -100),
                  "the antimeridian": (-10, 180)}
    for name, (lat, lon) in far_points.items():
        fc, work = work_of("/nearest?lat=%g&lon=%g&limit=%d" % (lat, lon, LIMIT))
        d = [f["properties"]["distance_m"] for f in fc["features"]]
        assert len(d) == LIMIT and d == sorted(d), name
        print("     %s: %d geodesics" % (name, work))
        # before the fix: every one of the N sites
        assert work <= max(4 * near, 10 * LIMIT), "%s: %d geodesics, near the data %d" % (name, work, near)


def test_far_answer_is_exact():
    lat, lon = -35, -65
    fc, _ = work_of("/nearest?lat=%g&lon=%g&limit=1" % (lat, lon))
    got = fc["features"][0]
    best = min(range(N), key=lambda i: vincenty_inverse(lat, lon, sites[i][0], sites[i][1])[0])
    want = vincenty_inverse(lat, lon, sites[best][0], sites[best][1])[0]
    assert got["id"] == "s%d" % best, (got["id"], best)
    assert abs(got["properties"]["distance_m"] - want) <= 1, (got["properties"]["distance_m"], want)  # whole metres


if __name__ == "__main__":
    try:
        db = make_db()
        with Server(db=db) as srv:
            status = run(test_far_costs_what_near_costs, test_far_answer_is_exact)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(status)

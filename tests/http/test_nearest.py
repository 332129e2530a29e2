"""/nearest and `mapsvc nearest`: order, distances, bearings, filters, errors."""
import subprocess
import urllib.parse

from harness import *

srv = None
ROWS = {r["id"]: r for r in bundled_sites()}


def nearest(**params):
    return srv.get("/nearest?" + urllib.parse.urlencode(params))


def reference(lat, lon, rows):
    """(distance, id, bearing) for every row, sorted as the service must."""
    out = []
    for i, r in rows.items():
        d, az = vincenty_inverse(lat, lon, float(r["lat"]), float(r["lon"]))
        out.append((d, i, az))
    return sorted(out)


def test_heitieshan():
    r = nearest(lat=36.85, lon=118.1, limit=3)
    assert r.status == 200 and r.header("content-type") == "application/geo+json", r
    assert r.header("content-crs") == "<%s>" % CRS84
    doc = r.json()
    assert doc["type"] == "FeatureCollection" and doc["numberReturned"] == 3
    ref = reference(36.85, 118.1, ROWS)[:3]
    got = [(f["properties"]["distance_m"], f["id"], f["properties"]["bearing_deg"]) for f in doc["features"]]
    assert [g[1] for g in got] == [x[1] for x in ref], (got, ref)
    # The memorial hall at 36.849547,118.160735 and its coincident sites:
    # same distance, ties broken by id.
    d_hall, az_hall = vincenty_inverse(36.85, 118.1, 36.849547, 118.160735)
    assert 5300 < d_hall < 5500
    for (d, i, az), (rd, ri, raz) in zip(got, ref):
        assert abs(d - rd) <= 0.051, (i, d, rd)
        assert abs(d - d_hall) <= 0.051, (i, d, d_hall)
        assert abs(az - raz) <= 0.051 and 0 <= az < 360, (i, az, raz)
    assert [g[1] for g in got] == sorted(g[1] for g in got)
    assert "zb-heitieshan-memorial" in [g[1] for g in got]
    for f in doc["features"]:
        assert f["geometry"]["coordinates"] == [118.160735, 36.849547]


def test_sorted_everywhere():
    for lat, lon in ((39.38, 99.83), (36.8, 118.0), (30.0, 110.0), (-33.9, 151.2)):
        doc = nearest(lat=lat, lon=lon, limit=100).json()
        assert doc["numberReturned"] == 25
        ref = reference(lat, lon, ROWS)
        got = [(f["properties"]["distance_m"], f["id"]) for f in doc["features"]]
        assert [g[1] for g in got] == [x[1] for x in ref], (lat, lon)
        for (d, _), (rd, _, _) in zip(got, ref):
            assert abs(d - rd) <= 0.051 + rd * 1e-9, (d, rd)
        assert all(got[k][0] <= got[k + 1][0] for k in range(24))


def test_gaotai_ties_by_id():
    # Several Gaotai sites share one point: ties come in id order.
    groups = {}
    for i, r in ROWS.items():
        groups.setdefault((r["lat"], r["lon"]), []).append(i)
    tied = [sorted(v) for k, v in groups.items() if len(v) > 1 and float(k[1]) < 105]
    assert tied, "the bundled data have coincident Gaotai sites"
    lat, lon = float(ROWS[tied[0][0]]["lat"]), float(ROWS[tied[0][0]]["lon"])
    doc = nearest(lat=lat + 0.01, lon=lon + 0.01, limit=len(tied[0])).json()
    assert [f["id"] for f in doc["features"]] == tied[0], (doc["features"], tied)


def test_filters():
    doc = nearest(lat=36.85, lon=118.1, limit=100, within_km=10).json()
    ref = [x for x in reference(36.85, 118.1, ROWS) if x[0] <= 10000]
    assert [f["id"] for f in doc["features"]] == [x[1] for x in ref] and ref
    doc = nearest(lat=36.85, lon=118.1, limit=100, category="museum").json()
    ref = [x[1] for x in reference(36.85, 118.1, ROWS) if ROWS[x[1]]["category"] == "museum"]
    assert [f["id"] for f in doc["features"]] == ref and ref
    assert nearest(lat=0, lon=0, within_km=0).json()["numberReturned"] == 0
    assert nearest(lat=36.85, lon=118.1).json()["numberReturned"] == 5  # the default


def test_coordsys():
    lat, lon = 36.849547, 118.160735
    glat, glon = wgs84_to_gcj02(lat, lon)
    doc = nearest(lat="%.7f" % glat, lon="%.7f" % glon, limit=3, coordsys="gcj02").json()
    for f in doc["features"]:
        assert f["properties"]["distance_m"] < 0.1, f["properties"]
        clon, clat = f["geometry"]["coordinates"]
        assert abs(clat - glat) < 2e-6 and abs(clon - glon) < 2e-6
    wgs = nearest(lat=lat, lon=lon, limit=3).json()
    assert [f["id"] for f in doc["features"]] == [f["id"] for f in wgs["features"]]


def test_errors():
    for params, name in ((dict(lat=36.85, lon=118.1, limit=0), "limit"),
                         (dict(lat=36.85, lon=118.1, limit=101), "limit"),
                         (dict(lat=36.85, lon=118.1, limit=2.5), "limit"),
                         (dict(lat="NaN", lon=118.1), "lat"),
                         (dict(lat=36.85, lon="nan"), "lon"),
                         (dict(lat=36.85, lon="inf"), "lon"),
                         (dict(lat=91, lon=118.1), "lat"),
                         (dict(lat=36.85, lon=181), "lon"),
                         (dict(lon=118.1), "lat"),
                         (dict(lat=36.85), "lon"),
                         (dict(lat=36.85, lon=118.1, within_km=-1), "within_km"),
                         (dict(lat=36.85, lon=118.1, coordsys="utm"), "coordsys"),
                         (dict(lat=36.85, lon=118.1, radius=3), "radius")):
        check_problem(nearest(**params), 400, name)
    # a name that is no category is no error: it matches nothing
    r = nearest(lat=36.85, lon=118.1, category="castle")
    assert r.status == 200 and r.json()["features"] == [], r


def test_cli_same_json():
    for params, args in ((dict(lat=36.85, lon=118.1, limit=3), ["--lat", "36.85", "--lon", "118.1", "--limit", "3"]),
                         (dict(lat=39.4, lon=99.8, limit=10, within_km=50, category="memorial_hall,monument",
                               coordsys="gcj02"),
                          ["--lat", "39.4", "--lon", "99.8", "--limit", "10", "--within-km", "50",
                           "--category", "memorial_hall,monument", "--coordsys", "gcj02"])):
        body = nearest(**params).body
        out = subprocess.run([MAPSVC, "nearest", "--db", srv.db] + args, capture_output=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout == body, (out.stdout[:200], body[:200])
    out = subprocess.run([MAPSVC, "nearest", "--db", srv.db, "--lat", "36", "--lon", "118", "--limit", "0"],
                         capture_output=True, timeout=120)
    assert out.returncode == 2 and b"--limit" in out.stderr, out
    out = subprocess.run([MAPSVC, "nearest", "--db", srv.db, "--lat", "36"], capture_output=True, timeout=120)
    assert out.returncode == 2 and b"--lon" in out.stderr, out
    # One integer grammar on both fronts: what /nearest refuses as a limit, the command line refuses.
    for bad in ("1e2", " 5", "+5", "5 ", "0x5", "5.0"):
        out = subprocess.run([MAPSVC, "nearest", "--db", srv.db, "--lat", "36", "--lon", "118", "--limit", bad],
                             capture_output=True, timeout=120)
        assert out.returncode == 2 and b"--limit" in out.stderr, (bad, out)
        check_problem(nearest(lat=36, lon=118, limit=bad), 400, "limit")


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_heitieshan, test_sorted_everywhere, test_gaotai_ties_by_id, test_filters,
                     test_coordsys, test_errors, test_cli_same_json)
    sys.exit(status)

"""The same data give the same answers from either backend: the bundled
sites imported into PostGIS and into a SpatiaLite file give byte-identical
/collections/sites/items, /nearest, tiles (and their ETags: the data
versions agree) and exports."""
import math
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from harness import *  # noqa: E402,F401
from pgfixture import *  # noqa: E402

require()

PUBLIC = "http://maps.example.test"
ZOOMS = (4, 8, 12, 15)


def tile_of(lat, lon, z):
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def paths():
    """Items, nearest and the tiles holding each bundled site."""
    out = ["/collections/sites/items?limit=100", "/collections/sites/items?limit=5&offset=3&category=museum",
           "/collections/sites/items/zb-heitieshan-memorial", "/nearest?lat=36.8&lon=118.0&limit=10",
           "/nearest?lat=39.38&lon=99.83&limit=5&within_km=50", "/tiles.json"]
    tiles = set()
    for row in bundled_sites():
        for z in ZOOMS:
            x, y = tile_of(float(row["lat"]), float(row["lon"]), z)
            tiles.add("/tiles/%d/%d/%d.png" % (z, x, y))
            tiles.add("/tiles/%d/%d/%d@2x.png" % (z, x, y))
    return out + sorted(tiles)


tmp = tempfile.mkdtemp(prefix="mapsvc-pgsame-")


def main():
    csv = os.path.join(SOURCE, "data", "sites.csv")
    sqlite = os.path.join(tmp, "sites.sqlite")
    import_into(sqlite, csv)
    with PgCluster() as pg:
        import_into(pg.dsn(), csv)
        with Server("--public-url", PUBLIC, db=sqlite) as sl, Server("--public-url", PUBLIC, db=pg.dsn()) as pgs:

            def test_same_version():
                # the same data version; only a SpatiaLite import keeps the
                # cluster hierarchies, which its server reads
                a, b = sl.settled_health(), pgs.settled_health()
                assert a.pop("clusters_read") == 2 and b.pop("clusters_read") == 0, (a, b)
                # a context is warmed for each thread that has taken one
                assert a.pop("contexts_warmed") >= 1 and b.pop("contexts_warmed") >= 1, (a, b)
                assert a == b, (a, b)

            def test_same_answers():
                checked = 0
                for p in paths():
                    a, b = sl.get(p), pgs.get(p)
                    assert a.status == b.status == 200, (p, a, b)
                    assert a.body == b.body, "%s differs" % p
                    assert a.header("etag") == b.header("etag"), p
                    checked += 1
                print("identical: %d resources" % checked)

            def test_same_exports():
                for fmt in ("csv", "geojson"):
                    x = mapsvc("export", "--db", sqlite, "--format", fmt)
                    y = mapsvc("export", "--db", pg.dsn(), "--format", fmt)
                    assert x.returncode == 0 and y.returncode == 0, (x.stderr, y.stderr)
                    assert x.stdout == y.stdout and len(x.stdout) > 1000, fmt

            def test_export_round_trip():
                # What PostGIS exports imports back into PostGIS unchanged.
                path = os.path.join(tmp, "back.geojson")
                assert mapsvc("export", "--db", pg.dsn(), "--format", "geojson", "-o", path).returncode == 0
                import_into(pg.keyword_dsn(), path)
                again = mapsvc("export", "--db", pg.dsn(), "--format", "geojson")
                with open(path, encoding="utf-8") as f:
                    assert again.stdout == f.read()

            return run(test_same_version, test_same_answers, test_same_exports, test_export_round_trip)


try:
    status = main()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(status)

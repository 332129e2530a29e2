"""Positions are honest over HTTP: every GeoJSON answer (items, one item,
/nearest, in every CRS and coordsys) carries position_quality and
position_uncertainty_m as data/sites.csv states them, and the queryables
list both; a database written before the columns existed is served with
the values derived from `confidence`."""
import shutil
import sqlite3
import urllib.parse

from harness import *

srv = None
ROWS = {r["id"]: r for r in bundled_sites()}
QUALITIES = ["surveyed", "street", "village", "town", "county", "unknown"]


def check_position(f):
    row = ROWS[f["id"]]
    p = f["properties"]
    assert p["position_quality"] == row["position_quality"], (f["id"], p["position_quality"])
    assert p["position_uncertainty_m"] == float(row["position_uncertainty_m"]), (f["id"], p)
    # in data/sites.csv's column order: after confidence, before source_url
    keys = list(p)
    assert keys.index("confidence") + 1 == keys.index("position_quality"), keys
    assert keys.index("position_uncertainty_m") + 1 == keys.index("source_url"), keys


def test_items():
    for extra in ({}, {"crs": EPSG4326}, {"coordsys": "gcj02"}, {"category": "museum"}):
        doc = srv.get("/collections/sites/items?" + urllib.parse.urlencode(dict(limit=1000, **extra))).json()
        assert doc["features"], extra
        for f in doc["features"]:
            check_position(f)
    assert doc["numberReturned"] < 25  # the category filter did filter


def test_one_item():
    for i in ("zb-heitieshan-memorial", "gt-red-memory-museum", "gt-red-army-locust"):
        r = srv.get("/collections/sites/items/" + i)
        assert r.status == 200, r
        check_position(r.json())
    p = srv.get("/collections/sites/items/gt-red-memory-museum").json()["properties"]
    assert (p["position_quality"], p["position_uncertainty_m"]) == ("county", 40000)


def test_nearest():
    doc = srv.get("/nearest?lat=39.38&lon=99.83&limit=20").json()
    assert doc["numberReturned"] == 20
    for f in doc["features"]:
        check_position(f)
        assert "distance_m" in f["properties"]


def test_queryables():
    doc = srv.get("/collections/sites/queryables").json()
    q = doc["properties"]["position_quality"]
    assert q["type"] == "string" and q["enum"] == QUALITIES, q
    u = doc["properties"]["position_uncertainty_m"]
    assert u["type"] == "number" and u["exclusiveMinimum"] == 0 and u["maximum"] == 20000000, u
    assert u["unit"] == "m" and u["description"]
    # every bundled value is one the schema allows
    for row in ROWS.values():
        assert row["position_quality"] in q["enum"]
        assert 0 < float(row["position_uncertainty_m"]) <= u["maximum"]


def test_legacy_database():
    """The bundled database with the two columns taken away is what an
    earlier version wrote: served read-only, as derived from confidence."""
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "old.sqlite")
        shutil.copy(BUNDLED_DB, db)
        con = sqlite3.connect(db)
        con.execute("ALTER TABLE sites DROP COLUMN position_uncertainty_m")
        con.execute("ALTER TABLE sites DROP COLUMN position_quality")
        con.commit()
        con.close()
        with Server(db=db) as old:
            doc = old.get("/collections/sites/items?limit=1000").json()
            assert doc["numberReturned"] == 25
            for f in doc["features"]:
                p = f["properties"]
                want = {"exact": ("street", 200), "approximate": ("unknown", 50000)}[ROWS[f["id"]]["confidence"]]
                assert (p["position_quality"], p["position_uncertainty_m"]) == want, (f["id"], p)
        con = sqlite3.connect(db)
        cols = [r[1] for r in con.execute("PRAGMA table_info(sites)")]
        con.close()
        assert "position_quality" not in cols  # serve never writes


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_items, test_one_item, test_nearest, test_queryables, test_legacy_database)
    sys.exit(status)

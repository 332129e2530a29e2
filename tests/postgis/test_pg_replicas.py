"""Two `serve` replicas on one PostGIS database: a change committed with
psql - an UPDATE, an INSERT, a DELETE, a point moved as a GIS tool moves
it - is served by both within 1 s, with no signal and no restart.  The
replicas say their store link is up in /readyz and /metrics, and neither
log holds the password."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from harness import *  # noqa: E402,F401
from pgfixture import *  # noqa: E402

require()

VISIBLE_WITHIN_S = 1.0
POLL_S = 0.01
SITE = "zb-heitieshan-memorial"


def until(check, what, timeout=VISIBLE_WITHIN_S):
    """Polls check() until true; the seconds it took (fails after timeout)."""
    t0 = time.monotonic()
    while True:
        if check():
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise AssertionError("%s: not within %.1f s" % (what, timeout))
        time.sleep(POLL_S)


def item(srv, site_id):
    r = srv.get("/collections/sites/items/" + site_id)
    return r.json() if r.status == 200 else None


def main():
    with PgCluster() as pg:
        import_into(pg.dsn(), os.path.join(SOURCE, "data", "sites.csv"))
        assert SITE in pg.psql("SELECT id FROM sites WHERE id = '%s'" % SITE)
        with Server(db=pg.dsn()) as a, Server(db=pg.dsn()) as b:
            replicas = (a, b)
            timings = []

            def visible_in_both(what, check):
                # psql has returned: the change is committed now.
                for srv in replicas:
                    timings.append(until(lambda: check(srv), what))

            def test_link_reported():
                for srv in replicas:
                    r = srv.get("/readyz")
                    assert r.status == 200 and r.json()["store_link"] == "up", r
                    m = metrics(srv)
                    assert m["mapsvc_store_link_up"] == 1 and m["mapsvc_store_reconnects_total"] == 0, m

            def test_update():
                pg.psql("UPDATE sites SET name_en = 'Renamed by psql' WHERE id = '%s'" % SITE)
                visible_in_both("UPDATE", lambda s: item(s, SITE)["properties"]["name_en"] == "Renamed by psql")

            def test_insert():
                pg.psql("INSERT INTO sites (id, name_zh, category, lat, lon) "
                        "VALUES ('psql-new', '新馆', 'museum', 36.80001, 118.05002)")
                visible_in_both("INSERT", lambda s: item(s, "psql-new") is not None)
                for srv in replicas:
                    f = item(srv, "psql-new")
                    assert f["geometry"]["coordinates"] == [118.05002, 36.80001], f
                    near = srv.get("/nearest?lat=36.80001&lon=118.05002&limit=1").json()
                    assert near["features"][0]["id"] == "psql-new", near
                    assert srv.get("/collections/sites/items?limit=1").json()["numberMatched"] == 26

            def test_moved_like_a_gis_tool():
                # QGIS writes the geometry alone; lat/lon follow it.
                pg.psql("UPDATE sites SET geom = ST_SetSRID(ST_MakePoint(118.1, 36.9), 4326) "
                        "WHERE id = 'psql-new'")
                visible_in_both("geometry UPDATE",
                                lambda s: item(s, "psql-new")["geometry"]["coordinates"] == [118.1, 36.9])

            def test_delete():
                pg.psql("DELETE FROM sites WHERE id = 'psql-new'")
                visible_in_both("DELETE", lambda s: item(s, "psql-new") is None)
                for srv in replicas:
                    assert srv.get("/collections/sites/items/psql-new").status == 404

            def test_one_transaction_is_one_update():
                before = [metrics(s)["mapsvc_store_updates_total"] for s in replicas]
                pg.psql("BEGIN; UPDATE sites SET town = 'T1' WHERE id = '%s'; "
                        "UPDATE sites SET county = 'C1' WHERE id = '%s'; COMMIT" % (SITE, SITE))
                visible_in_both("transaction",
                                lambda s: item(s, SITE)["properties"].get("county") == "C1"
                                and item(s, SITE)["properties"].get("town") == "T1")
                for s, n in zip(replicas, before):
                    assert metrics(s)["mapsvc_store_updates_total"] == n + 1

            def test_refused_by_the_database():
                # A value no replica could serve never reaches them.
                try:
                    pg.psql("UPDATE sites SET category = 'park' WHERE id = '%s'" % SITE)
                    raise AssertionError("the CHECK let an unknown category in")
                except AssertionError as e:
                    assert "sites_category_check" in str(e), e

            def test_no_password_in_logs():
                for srv in replicas:
                    assert PASSWORD not in srv.output(), srv.output()
                    assert "postgresql://postgres@127.0.0.1:%d/mapsvc" % pg.port in srv.output()

            rc = run(test_link_reported, test_update, test_insert, test_moved_like_a_gis_tool, test_delete,
                     test_one_transaction_is_one_update, test_refused_by_the_database, test_no_password_in_logs)
            if timings:
                print("change visible after: max %.3f s, mean %.3f s over %d polls"
                      % (max(timings), sum(timings) / len(timings), len(timings)))
    return rc


sys.exit(main())

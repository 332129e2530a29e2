"""PostgreSQL restarted under load: two replicas keep answering every tile
and features request from their snapshot while the database is away
(/readyz stays 200 and says the link is down), reconnect with back-off
when it is back (/metrics counts it), and then see changes again."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from harness import *  # noqa: E402,F401
from pgfixture import *  # noqa: E402

require()

CLIENTS_PER_REPLICA = 2
DOWN_S = 2.0
LOAD_AFTER_S = 1.0
RECONNECT_WITHIN_S = 15
SITE = "zb-heitieshan-memorial"
PATHS = ["/tiles/8/211/100.png", "/tiles/12/3389/1608.png", "/collections/sites/items?limit=10",
         "/collections/sites/items/" + SITE, "/nearest?lat=36.8&lon=118.0&limit=5", "/tiles/5/13/6@2x.png"]


class Load:
    """Client threads asking PATHS in turn until stopped; counts answers and
    failures (any status but 200, any connection error)."""

    def __init__(self, servers):
        self.servers = servers
        self.stop = threading.Event()
        self.ok = 0
        self.failures = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(s,)) for s in servers
                        for _ in range(CLIENTS_PER_REPLICA)]

    def loop(self, srv):
        i = 0
        while not self.stop.is_set():
            p = PATHS[i % len(PATHS)]
            i += 1
            try:
                r = srv.get(p, timeout=30)
                good = r.status == 200
                what = "%s -> %d" % (p, r.status)
            except OSError as e:
                good, what = False, "%s -> %r" % (p, e)
            with self.lock:
                if good:
                    self.ok += 1
                else:
                    self.failures.append(what)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()
        return False


def wait_until(check, what, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("%s: not within %s s" % (what, timeout))


def main():
    with PgCluster() as pg:
        import_into(pg.dsn(), os.path.join(SOURCE, "data", "sites.csv"))
        with Server(db=pg.dsn()) as a, Server(db=pg.dsn()) as b:
            replicas = (a, b)

            def test_restart_under_load():
                with Load(replicas) as load:
                    time.sleep(LOAD_AFTER_S)
                    pg.stop()
                    for srv in replicas:
                        wait_until(lambda: srv.get("/readyz").json()["store_link"] == "down", "link down", 10)
                        r = srv.get("/readyz")
                        assert r.status == 200, r
                        assert metrics(srv)["mapsvc_store_link_up"] == 0
                    time.sleep(DOWN_S)
                    pg.start()
                    for srv in replicas:
                        wait_until(lambda: metrics(srv)["mapsvc_store_link_up"] == 1, "reconnect",
                                   RECONNECT_WITHIN_S)
                    time.sleep(LOAD_AFTER_S)
                print("under load: %d answers, %d failures" % (load.ok, len(load.failures)))
                assert not load.failures, load.failures[:10]
                assert load.ok > 0
                for srv in replicas:
                    assert metrics(srv)["mapsvc_store_reconnects_total"] == 1
                    assert srv.get("/readyz").json()["store_link"] == "up"
                    assert "store link back after" in srv.output()

            def test_changes_after_reconnect():
                pg.psql("UPDATE sites SET name_en = 'After the restart' WHERE id = '%s'" % SITE)
                for srv in replicas:
                    wait_until(lambda: srv.get("/collections/sites/items/" + SITE).json()["properties"]
                               ["name_en"] == "After the restart", "change after restart", 1.0)

            def test_change_while_down_is_caught_up():
                # A replica away from the database when it committed still
                # gets the change once it is back: killing its connection
                # makes it reconnect and ask for what it missed.
                killed = pg.psql("BEGIN; SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                 "WHERE application_name = 'mapsvc'; "
                                 "UPDATE sites SET name_en = 'While away' WHERE id = '%s'; COMMIT" % SITE)
                assert killed.split() == ["2"], killed
                for srv in replicas:
                    wait_until(lambda: srv.get("/collections/sites/items/" + SITE).json()["properties"]
                               ["name_en"] == "While away", "change made while away", 10)
                    wait_until(lambda: metrics(srv)["mapsvc_store_reconnects_total"] == 2, "second reconnect", 10)

            return run(test_restart_under_load, test_changes_after_reconnect, test_change_while_down_is_caught_up)


sys.exit(main())

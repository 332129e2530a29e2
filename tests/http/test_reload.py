"""SIGHUP reloads the database into a new snapshot without a restart; a
broken file keeps the old data; SIGTERM then still stops cleanly."""
import shutil
import subprocess
import time

from harness import *

tmp = tempfile.mkdtemp(prefix="mapsvc-reload-")
live = os.path.join(tmp, "live.sqlite")
srv = None


def wait_for_sites(n, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        h = srv.get("/healthz").json()
        if h["sites"] == n:
            return h
        time.sleep(0.1)
    raise AssertionError("still %d sites, not %d, after SIGHUP" % (h["sites"], n))


def test_reload():
    before = srv.get("/healthz").json()
    assert before["sites"] == 25
    # A smaller dataset: the first five rows of the bundled CSV.
    src = os.path.join(SOURCE, "data", "sites.csv")
    with open(src, encoding="utf-8") as f:
        import csv
        rows = list(csv.reader(f))
    subset = os.path.join(tmp, "subset.csv")
    with open(subset, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows[:6])
    fresh = os.path.join(tmp, "fresh.sqlite")
    out = subprocess.run([MAPSVC, "import", "--replace", "--db", fresh, subset], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    os.replace(fresh, live)
    srv.signal(signal.SIGHUP)
    after = wait_for_sites(5)
    assert after["data_version"] != before["data_version"]
    doc = srv.get("/collections/sites/items?limit=100").json()
    assert sorted(f["id"] for f in doc["features"]) == sorted(r[0] for r in rows[1:6])
    assert doc["numberMatched"] == 5
    m = srv.get("/metrics").body.decode()
    assert "mapsvc_reloads_total 1\n" in m and "mapsvc_sites_loaded 5\n" in m, m


def test_broken_file_keeps_data():
    with open(live, "wb") as f:
        f.write(b"this is not a database")
    srv.signal(signal.SIGHUP)
    time.sleep(1.0)
    h = srv.get("/healthz").json()
    assert h["sites"] == 5, h
    assert srv.get("/nearest?lat=36.85&lon=118.1&limit=2").json()["numberReturned"] == 2
    assert "reload failed" in srv.output()
    # Reloading a good file again works.
    shutil.copyfile(BUNDLED_DB, live)
    srv.signal(signal.SIGHUP)
    wait_for_sites(25)


def test_requests_during_reloads():
    # Requests keep succeeding while snapshots are swapped under them.
    for _ in range(5):
        srv.signal(signal.SIGHUP)
        for _ in range(10):
            r = srv.get("/collections/sites/items?limit=100")
            assert r.status == 200 and r.json()["numberReturned"] == 25
    wait_for_sites(25)


def test_sigint_stops_cleanly():
    other = Server()
    with other:
        assert other.get("/healthz").status == 200
        other.signal(signal.SIGINT)
        rc = other.proc.wait(timeout=30)
        assert rc == 0, (rc, other.output())
        assert "stopped" in other.output()


if __name__ == "__main__":
    shutil.copyfile(BUNDLED_DB, live)
    try:
        with Server(db=live) as srv:
            status = run(test_reload, test_broken_file_keeps_data, test_requests_during_reloads,
                         test_sigint_stops_cleanly)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(status)

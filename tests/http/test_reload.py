"""SIGHUP reloads the database and the styles together without a restart;
a broken database or style file keeps the old data and styles serving,
and the log says why; SIGTERM then still stops cleanly."""
import shutil
import subprocess
import time
import urllib.parse

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


def tile_template(style_json):
    return srv.get(style_json).json()["tiles"][0]


def test_reload():
    before = srv.get("/healthz").json()
    assert before["sites"] == 25
    overlay, context = tile_template("/tiles.json"), tile_template("/tiles/context.json")
    assert "/tiles/context/0000000000000000-" in context, context
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
    # the overlay's tiles have new URLs; the context's, which draw no
    # site, keep theirs: the page and any CDN keep them
    assert tile_template("/tiles.json") != overlay
    assert tile_template("/tiles/context.json") == context
    r = srv.get(urllib.parse.urlsplit(context.replace("{z}/{x}/{y}", "6/52/25")).path)
    assert r.status == 200 and "immutable" in r.header("cache-control"), r
    doc = srv.get("/collections/sites/items?limit=100").json()
    assert sorted(f["id"] for f in doc["features"]) == sorted(r[0] for r in rows[1:6])
    assert doc["numberMatched"] == 5
    m = srv.get("/metrics").body.decode()
    assert 'mapsvc_reloads_total{result="ok"} 1\n' in m and "mapsvc_sites_loaded 5\n" in m, m


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


def wait_for(check, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("after SIGHUP, still not " + what)


def test_styles_reload():
    styles = os.path.join(tmp, "styles")
    shutil.copytree(os.path.join(BUILD, "styles"), styles)
    shutil.copytree(os.path.join(BUILD, "basemap"), os.path.join(tmp, "basemap"))  # print.json's layers
    default = os.path.join(styles, "default.json")
    with open(default, encoding="utf-8") as f:
        doc = json.load(f)
    tile = "/tiles/14/13566/6389.png"  # over a site: markers
    with Server("--styles", styles, db=live) as s2:
        name = s2.get("/tiles.json").json()["name"]
        before = s2.get(tile)
        assert before.status == 200 and s2.get("/tiles/print/3/6/3.png").status == 200
        # a changed style: its title, and its markers' colour
        doc["name"] = "Reloaded overlay"
        with open(default, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        s2.signal(signal.SIGHUP)
        wait_for(lambda: s2.get("/tiles.json").json()["name"] == "Reloaded overlay", "the new style")
        after = s2.get(tile)
        assert after.status == 200 and after.header("etag") != before.header("etag"), (before, after)
        # the log line follows the swap
        wait_for(lambda: "and 3 styles" in s2.output(), "the reload in the log")
        # a broken style: the set that serves stays, the log names the file and line
        with open(default, "w", encoding="utf-8") as f:
            f.write('{"version": 8,\n "layers": [{"id": "x", "type": "hexagon"}]}\n')
        s2.signal(signal.SIGHUP)
        wait_for(lambda: "reload failed" in s2.output(), "a reload failure in the log")
        assert "default.json:2:" in s2.output(), s2.output()
        assert s2.get("/tiles.json").json()["name"] == "Reloaded overlay"
        assert s2.get(tile).header("etag") == after.header("etag")
        # a style removed: gone after the next reload
        doc["name"] = name
        with open(default, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        os.unlink(os.path.join(styles, "print.json"))
        s2.signal(signal.SIGHUP)
        wait_for(lambda: s2.get("/tiles/print/3/6/3.png").status == 404, "the print style gone")
        assert s2.get("/tiles.json").json()["name"] == name
        m = s2.get("/metrics").body.decode()
        assert 'mapsvc_reloads_total{result="ok"} 2\n' in m, m
        assert 'mapsvc_reloads_total{result="failed"} 1\n' in m, m


def test_signals_at_start():
    """SIGHUP and SIGUSR1 sent as soon as the server answers, while the
    threads that work after its first answer (the glyphs drawn ahead)
    still run: each is taken by the server, never by such a thread, whose
    default action would end the process."""
    in_window = 0
    for _ in range(4):
        other = Server()
        with other:
            in_window += other.get("/healthz").json()["glyphs_ahead"] == "drawing"
            other.signal(signal.SIGHUP)
            other.signal(signal.SIGUSR1)
            wait_for(lambda: 'mapsvc_reloads_total{result="ok"} 1\n' in other.get("/metrics").body.decode(),
                     "reloaded")
            assert other.proc.poll() is None, other.output()
            other.settled_health()
    assert in_window >= 2, "the glyphs were drawn before the signals: the window was missed"


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
                         test_styles_reload, test_signals_at_start, test_sigint_stops_cleanly)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(status)

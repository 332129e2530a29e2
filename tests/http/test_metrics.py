"""/metrics adds up (issue 13, item 1): Debian's promtool accepts the
exposition, no series appears twice (name and labels parsed here), every
route has its own label value, and the counters move by exactly the
requests made: by route and status code, the tile cache's hits and
misses, render times by style, latency histograms by route whose buckets
are cumulative and whose count is their +Inf bucket, reloads ok and
failed, the build."""
import re
import shutil
import subprocess

from harness import *

PROMTOOL = shutil.which("promtool")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')
srv = None


def parse(text):
    """{(name, sorted labels): value}, with TYPE of each family; fails on
    a series written twice or a sample of no declared family."""
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert name not in types, "family %s declared twice" % name
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels = m.group(1), ()
        if m.group(3):
            pairs = LABEL.findall(m.group(3))
            assert "".join('%s="%s"%s' % p for p in pairs) == m.group(3), line
            labels = tuple(sorted((k, v) for k, v, _ in pairs))
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, "%s has no # TYPE" % name
        key = (name, labels)
        assert key not in samples, "series written twice: %s" % line
        samples[key] = float(m.group(4))
    return types, samples


def scrape():
    r = srv.get("/metrics")
    assert r.status == 200 and r.header("content-type").startswith("text/plain; version=0.0.4"), r
    return r.body.decode()


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_promtool_accepts_it():
    srv.get("/tiles/3/6/3.png")
    srv.get("/nope")
    text = scrape()
    assert PROMTOOL, "promtool (Debian package prometheus) is not installed"
    out = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    assert out.returncode == 0, (out.stdout + out.stderr).decode()


def test_no_series_twice_and_routes_apart():
    # the two tile routes that once shared route="tiles"
    for path in ("/tiles/3/6/3.png", "/tiles/print/3/6/3.png", "/tiles/3/6/3@2x.png", "/tiles/print.json"):
        assert srv.get(path).status == 200, path
    _, samples = parse(scrape())
    routes = {dict(l)["route"] for (n, l) in samples if n == "mapsvc_http_requests_total"}
    assert {"tile", "tile_style", "tile_2x", "tilejson_style"} <= routes, routes


def test_counters_after_known_requests():
    _, before = parse(scrape())
    tile = "/tiles/14/13566/6389.png"
    first = srv.get(tile)
    assert first.status == 200
    for _ in range(2):
        assert srv.get(tile).status == 200
    assert srv.get(tile, headers={"If-None-Match": first.header("etag")}).status == 304
    for _ in range(3):
        assert srv.get("/collections/sites/items/nope").status == 404
    assert srv.get("/nope/nope").status == 404
    _, after = parse(scrape())

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("mapsvc_http_requests_total", route="tile", code="200") == 3
    assert delta("mapsvc_http_requests_total", route="tile", code="304") == 1
    assert delta("mapsvc_http_requests_total", route="item", code="404") == 3
    assert delta("mapsvc_http_requests_total", route="unmatched", code="404") == 1
    # the tile was drawn once (a miss), then found three times
    assert delta("mapsvc_tile_cache_requests_total", result="miss") == 1
    assert delta("mapsvc_tile_cache_requests_total", result="hit") == 3
    assert delta("mapsvc_tile_render_seconds_count", style="default") == 1
    assert value(after, "mapsvc_tile_cache_entries") >= 1 and value(after, "mapsvc_tile_cache_bytes") > 0
    assert value(after, "mapsvc_tile_cache_max_bytes") == 64 * 1024 * 1024
    assert (("mapsvc_tile_cache_evictions_total", ()) in after)
    # the latency histogram of the route counted the four answers
    assert delta("mapsvc_http_request_duration_seconds_count", route="tile") == 4


def test_histograms_are_whole():
    types, samples = parse(scrape())
    for family, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == family + "_bucket":
                rest = tuple(l for l in labels if l[0] != "le")
                le = dict(labels)["le"]
                series.setdefault(rest, []).append((float("inf") if le == "+Inf" else float(le), v))
        assert series, family
        for rest, buckets in series.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), (family, rest, buckets)
            assert buckets[-1][0] == float("inf")
            assert samples[(family + "_count", rest)] == counts[-1], (family, rest)
            assert (family + "_sum", rest) in samples


def test_service_and_build():
    _, samples = parse(scrape())
    version = subprocess.run([MAPSVC, "--version"], capture_output=True, text=True).stdout.split()[-1]
    build = [l for (n, l) in samples if n == "mapsvc_build_info"]
    assert len(build) == 1 and dict(build[0])["version"] == version, build
    assert value(samples, "mapsvc_sites_loaded") == 25
    assert value(samples, "mapsvc_snapshot_load_seconds") > 0
    assert value(samples, "mapsvc_snapshot_generation") == 1
    assert value(samples, "mapsvc_reloads_total", result="ok") == 0
    assert ("mapsvc_reloads_total", (("result", "failed"),)) in samples
    # this scrape's own connection at least
    assert value(samples, "mapsvc_connections_open") >= 1


def test_reload_counts():
    """A reload that works and one that fails (the database gone), counted
    apart; the generation moves only with the one that worked."""
    tmp = tempfile.mkdtemp(prefix="mapsvc-metrics-")
    db = os.path.join(tmp, "sites.sqlite")
    shutil.copy(BUNDLED_DB, db)
    global srv
    outer = srv
    try:
        with Server(db=db) as s2:
            srv = s2
            s2.signal(signal.SIGHUP)
            wait_for_metric(s2, 'mapsvc_reloads_total{result="ok"}', 1)
            os.remove(db)
            s2.signal(signal.SIGHUP)
            wait_for_metric(s2, 'mapsvc_reloads_total{result="failed"}', 1)
            m = metrics(s2)
            assert m['mapsvc_reloads_total{result="ok"}'] == 1 and m["mapsvc_snapshot_generation"] == 2, m
            assert subprocess.run([PROMTOOL, "check", "metrics"], input=s2.get("/metrics").body,
                                  capture_output=True).returncode == 0
    finally:
        srv = outer
        shutil.rmtree(tmp)


def wait_for_metric(s, key, want, timeout=30):
    deadline = time.time() + timeout
    while metrics(s).get(key) != want:
        assert time.time() < deadline, "%s never reached %s" % (key, want)
        time.sleep(0.05)


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_promtool_accepts_it, test_no_series_twice_and_routes_apart,
                     test_counters_after_known_requests, test_histograms_are_whole, test_service_and_build,
                     test_reload_counts)
    sys.exit(status)

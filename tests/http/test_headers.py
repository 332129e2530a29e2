"""Safe headers (issue 11, item 7): X-Content-Type-Options: nosniff on
every answer; a Content-Security-Policy without inline script on every
HTML answer (the map page, route sheets), with a configurable
frame-ancestors; /metrics never readable cross-origin, and movable to its
own listener (--metrics-listen) away from the public one."""
from harness import *

srv = None

ANSWERS = ["/", "/?f=json", "/static/app.js", "/static/leaflet.css", "/tiles/14/13566/6389.png", "/tiles.json",
           "/collections/sites/items?limit=1", "/nearest?lat=36.8&lon=118.1", "/healthz", "/readyz", "/metrics",
           "/nope", "/nearest?lat=x", "/route?from=36.85,118.10&nearest=2&format=html",
           "/route?from=36.85,118.10&nearest=2&format=gpx", "/staticmap.png?width=64&height=64&bbox=118,36.7,118.2,36.9"]


def csp_of(r):
    """The policy's directives as {name: [sources]}."""
    out = {}
    for d in r.header("content-security-policy").split(";"):
        parts = d.split()
        if parts:
            out[parts[0]] = parts[1:]
    return out


def test_nosniff_everywhere():
    for path in ANSWERS:
        r = srv.get(path)
        assert r.header("x-content-type-options") == "nosniff", (path, r.headers)
    # a 304 and a preflight too, and the door's own refusals
    etag = srv.get("/tiles.json").header("etag")
    r = srv.get("/tiles.json", headers={"If-None-Match": etag})
    assert r.status == 304 and r.header("x-content-type-options") == "nosniff", r.headers
    r = srv.request("/collections", method="OPTIONS")
    assert r.header("x-content-type-options") == "nosniff", r.headers
    r = raw_exchange(srv.port, b"GET / HTTP/2.0\r\n\r\n")
    assert r.header("x-content-type-options") == "nosniff", r.headers


HTML = {"Accept": "text/html"}


def test_csp_on_html():
    for path in ("/", "/collections/sites/items/zb-heitieshan-memorial", "/route?from=36.85,118.10&nearest=2&format=html"):
        r = srv.get(path, headers=HTML)
        assert r.header("content-type").startswith("text/html"), r
        p = csp_of(r)
        # scripts only from the server's own files: no inline script, no eval
        assert p["script-src"] == ["'self'"], p
        # styles too, but for a route sheet's own <style> (whole when saved)
        want = ["'self'", "'unsafe-inline'"] if "format=html" in path else ["'self'"]
        assert p["style-src"] == want, (path, p)
        assert p["default-src"] == ["'self'"] and p["object-src"] == ["'none'"] and p["base-uri"] == ["'none'"], p
        assert p["frame-ancestors"] == ["'self'"], p
        assert r.header("x-frame-options") == "SAMEORIGIN", r.headers
    # and the page has no inline script to need more
    page = srv.get("/", headers=HTML).body.decode()
    import re
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag, tag
    assert not re.search(r"\son[a-z]+=", page), "an inline event handler"
    # not on JSON, images, problems
    for path in ("/?f=json", "/tiles/14/13566/6389.png", "/nope"):
        assert srv.get(path).header("content-security-policy") is None, path


def test_frame_ancestors_and_basemap():
    with Server("--frame-ancestors", "'self' https://portal.example.gov.cn", "--basemap",
                "https://{s}.tiles.example/{z}/{x}/{y}.png") as s2:
        p = csp_of(s2.get("/", headers=HTML))
        assert p["frame-ancestors"] == ["'self'", "https://portal.example.gov.cn"], p
        assert "https:" in p["img-src"], p  # the basemap's tiles
        assert s2.get("/", headers=HTML).header("x-frame-options") is None  # it cannot say "these two"
    with Server("--frame-ancestors", "'none'") as s3:
        assert csp_of(s3.get("/", headers=HTML))["frame-ancestors"] == ["'none'"]
        assert s3.get("/", headers=HTML).header("x-frame-options") == "DENY"
    import subprocess
    for bad in ("'self'; script-src *", "a,b", "x\ty"):
        out = subprocess.run([MAPSVC, "serve", "--frame-ancestors", bad], capture_output=True, timeout=30)
        assert out.returncode == 2 and b"--frame-ancestors" in out.stderr, (bad, out.stderr)


def test_metrics_not_cross_origin():
    assert srv.get("/healthz").header("access-control-allow-origin") == "*"
    r = srv.get("/metrics", headers={"Origin": "https://evil.example"})
    assert r.status == 200 and r.header("access-control-allow-origin") is None, r.headers
    r = srv.request("/metrics", method="OPTIONS", headers={"Origin": "https://evil.example",
                                                           "Access-Control-Request-Method": "GET"})
    assert r.header("access-control-allow-origin") is None, r.headers
    assert r.header("access-control-allow-methods") is None, r.headers


def test_metrics_listener():
    mport = free_port()
    with Server("--metrics-listen", "127.0.0.1:%d" % mport) as s2:
        mbase = "http://127.0.0.1:%d" % mport
        check_problem(s2.get("/metrics"), 404)
        r = http_get(mbase + "/metrics")
        assert r.status == 200 and b"mapsvc_http_requests_total" in r.body, r
        assert r.header("access-control-allow-origin") is None
        for path in ("/healthz", "/readyz"):
            assert http_get(mbase + path).status == 200 and s2.get(path).status == 200, path
        # the operators' listener serves nothing else
        check_problem(http_get(mbase + "/collections"), 404)
        check_problem(http_get(mbase + "/tiles/1/0/0.png"), 404)
        assert "metrics on http://127.0.0.1:%d/metrics" % mport in s2.output()


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_nosniff_everywhere, test_csp_on_html, test_frame_ancestors_and_basemap,
                     test_metrics_not_cross_origin, test_metrics_listener)
    sys.exit(status)

"""OGC API - Features documents, operations routes and common headers."""
from harness import *

srv = None


def test_landing():
    r = srv.get("/", headers={"Accept": "application/json"})
    assert r.status == 200 and r.header("content-type").startswith("application/json"), r
    doc = r.json()
    assert doc["title"] and doc["description"]
    rels = {l["rel"]: l for l in doc["links"]}
    for rel in ("self", "service-desc", "service-doc", "conformance", "data"):
        assert rel in rels, rel
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert rels["service-desc"]["href"] == srv.base + "/api"
    for l in doc["links"]:  # every link resolves
        assert l["href"].startswith(srv.base + "/"), l
        assert srv.get_url(l["href"]).status == 200, l
    assert srv.get("/?f=json").json() == doc


def test_conformance():
    doc = srv.get("/conformance").json()
    c = set(doc["conformsTo"])
    for cls in ("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
                "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
                "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"):
        assert cls in c, cls


def test_collections():
    doc = srv.get("/collections").json()
    assert [c["id"] for c in doc["collections"]] == ["sites"]
    one = srv.get("/collections/sites").json()
    assert one == doc["collections"][0]
    assert one["crs"] == [CRS84, EPSG4326, EPSG4490] and one["storageCrs"] == CRS84
    # The extent is the data's: compare with the CSV.
    rows = bundled_sites()
    lats = [float(r["lat"]) for r in rows]
    lons = [float(r["lon"]) for r in rows]
    w, s, e, n = one["extent"]["spatial"]["bbox"][0]
    assert (w, s, e, n) == (min(lons), min(lats), max(lons), max(lats)), one["extent"]
    rels = {(l["rel"], l["type"]): l["href"] for l in one["links"]}
    assert rels[("items", "application/geo+json")] == srv.base + "/collections/sites/items"
    assert rels[("items", "text/csv")] == srv.base + "/collections/sites/items?f=csv"
    assert rels[("enclosure", "application/geopackage+sqlite3")] == srv.base + "/collections/sites/download.gpkg"
    check_problem(srv.get("/collections/roads"), 404, "roads")


def test_queryables():
    r = srv.get("/collections/sites/queryables")
    assert r.status == 200 and r.header("content-type") == "application/schema+json", r
    doc = r.json()
    assert doc["type"] == "object" and "category" in doc["properties"]
    assert "museum" in doc["properties"]["category"]["enum"]
    assert len(doc["properties"]["category"]["enum"]) == 8


def test_api():
    r = srv.get("/api")
    assert r.status == 200, r
    assert r.header("content-type") == "application/vnd.oai.openapi+json;version=3.0"
    doc = r.json()
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"][0]["url"] == srv.base
    for p in ("/", "/conformance", "/api", "/collections", "/collections/{collectionId}",
              "/collections/{collectionId}/queryables", "/collections/{collectionId}/items",
              "/collections/{collectionId}/items/{featureId}", "/nearest", "/healthz", "/metrics",
              "/tiles.json", "/tiles/{z}/{x}/{y}.png", "/tiles/{style}/{z}/{x}/{y}@2x.png", "/route",
              "/staticmap.png"):
        assert p in doc["paths"], p
    names = {p["name"] for p in doc["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]}
    assert {"bbox", "bbox-crs", "limit", "offset", "category", "q", "crs", "coordsys"} <= names, names
    # Every path parameter of a path template is declared (OpenAPI 3.0 §4.7.12).
    import re
    for path, item in doc["paths"].items():
        declared = {p["name"] for p in item["get"]["parameters"] if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path
    names = {p["name"] for p in doc["paths"]["/nearest"]["get"]["parameters"]}
    assert {"lat", "lon", "limit", "within_km", "category", "coordsys"} <= names, names


def test_healthz_metrics():
    h = srv.get("/healthz").json()
    assert h["status"] == "ok" and h["sites"] == 25 and len(h["data_version"]) == 16, h
    assert h["name_index"] == "ready", h  # 25 sites: built with the snapshot
    # the glyphs of the bundled styles' labels and counts (one font), drawn
    # after the first answer: the names' characters at every label size,
    # up to the glyph cache's bound
    h = srv.settled_health()
    assert isinstance(h["glyphs_ahead"], int) and 1000 < h["glyphs_ahead"] <= 4096, h
    # a render context warmed for the first thread that draws a tile, then
    # one for each next thread, up to one a libmicrohttpd thread
    assert h["contexts_warmed"] == 1, h
    conns = [http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10) for _ in range(8)]
    for k, c in enumerate(conns):
        c.request("GET", "/tiles/10/843/%d.png" % (380 + k))
        assert c.getresponse().read()[:8] == b"\x89PNG\r\n\x1a\n"
    for c in conns:
        c.close()
    # taken, the first is followed by a second, warmed in the background
    threads = max(os.sysconf("SC_NPROCESSORS_ONLN"), 2)  # serve's default --threads
    end = time.time() + 30
    while srv.get("/healthz").json()["contexts_warmed"] < 2 and time.time() < end:
        time.sleep(0.02)
    warmed = srv.get("/healthz").json()["contexts_warmed"]
    assert 2 <= warmed <= threads, (warmed, threads)
    srv.get("/nope")
    r = srv.get("/metrics")
    assert r.status == 200 and r.header("content-type").startswith("text/plain"), r
    text = r.body.decode()
    assert "mapsvc_sites_loaded 25\n" in text, text
    assert 'mapsvc_snapshot_version{version="%s"} 1' % h["data_version"] in text
    assert 'mapsvc_http_requests_total{route="unmatched",code="404"} 1\n' in text, text
    healthz = [l for l in text.splitlines() if l.startswith('mapsvc_http_requests_total{route="healthz",code="200"}')]
    assert healthz and int(healthz[0].split()[-1]) >= 2, text
    count = [l for l in text.splitlines() if l.startswith('mapsvc_http_request_duration_seconds_count{route="healthz"}')]
    inf = [l for l in text.splitlines() if l.startswith('mapsvc_http_request_duration_seconds_bucket{route="healthz",le="+Inf"}')]
    assert count and inf and count[0].split()[-1] == inf[0].split()[-1], text


def test_head_cors_etag():
    g = srv.get("/collections")
    h = srv.request("/collections", method="HEAD")
    assert h.status == 200 and h.body == b"", h
    assert h.header("content-length") == str(len(g.body)), (h.headers, len(g.body))
    assert g.header("access-control-allow-origin") == "*"
    etag = g.header("etag")
    assert etag and etag.startswith('"'), g.headers
    r = srv.get("/collections", headers={"If-None-Match": etag})
    assert r.status == 304 and r.body == b"", r
    r = srv.get("/collections", headers={"If-None-Match": '"0000000000000000"'})
    assert r.status == 200
    o = srv.request("/collections/sites/items", method="OPTIONS")
    assert o.status == 204 and "GET" in o.header("access-control-allow-methods"), o


def test_public_url_and_host():
    # Links follow the Host header when there is no --public-url, if it is
    # a host the server answers for (the listen address by default) ...
    r = srv.get("/?f=json")
    assert all(l["href"].startswith(srv.base + "/") for l in r.json()["links"]), r.body
    # ... and are relative for any other (tests/http/test_hosts.py has more).
    for host in ("maps.example.org:8443", "evil\"<x>"):
        r = srv.get("/?f=json", headers={"Host": host})
        assert all(l["href"].startswith("/") for l in r.json()["links"]), r.body
    with Server("--allowed-hosts", "maps.example.org:8443") as s1:
        r = s1.get("/?f=json", headers={"Host": "maps.example.org:8443"})
        hrefs = [l["href"] for l in r.json()["links"]]
        assert all(h.startswith("http://maps.example.org:8443/") for h in hrefs), hrefs
    with Server("--public-url", "https://red.example.cn/map/", "--cors", "https://app.example.cn") as s2:
        r = s2.get("/?f=json")
        assert r.header("access-control-allow-origin") == "https://app.example.cn"
        hrefs = [l["href"] for l in r.json()["links"]]
        assert all(h.startswith("https://red.example.cn/map/") for h in hrefs), hrefs
        assert "https://red.example.cn/map/collections" in hrefs


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_landing, test_conformance, test_collections, test_queryables, test_api,
                     test_healthz_metrics, test_head_cors_etag, test_public_url_and_host)
    sys.exit(status)

"""Tiles a CDN keeps for a year (issue 13, item 5).  TileJSON, the OGC API
- Tiles tilesets and the map page name tiles by URLs holding the data's
and the style's versions; those answer `public, max-age=31536000,
immutable`, the very bytes and ETag of the unversioned URL, which keeps
--max-age.  A reload that changes the style or the data changes the URLs;
an old version's URL answers a 302 to the same tile in the current
version, cacheable for a minute (never new bytes under the old URL); a
version that is not one is a 404."""
import json
import re
import shutil

from harness import *

IMMUTABLE = "public, max-age=31536000, immutable"
VERSION = re.compile(r"/tiles/(\w+)/([0-9a-f]{16}-[0-9a-f]{16})/\{z\}/\{x\}/\{y\}\.png")
Z, X, Y = 14, 13566, 6389
srv = None


def fill(template, z=Z, x=X, y=Y):
    return template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


def ogc_template(s, styled=False, tms="WebMercatorQuad"):
    path = "/collections/sites/%smap/tiles/%s" % ("styles/print/" if styled else "", tms)
    links = s.get(path).json()["links"]
    return [l for l in links if l["rel"] == "item"][0]["href"]


def versions(s):
    tj = s.get("/tiles.json").json()
    return VERSION.search(tj["tiles"][0]).group(2), tj["tiles"][0]


def test_versioned_urls_are_immutable():
    version, template = versions(srv)
    v = srv.get_url(fill(template))
    plain = srv.get("/tiles/%d/%d/%d.png" % (Z, X, Y))
    assert v.status == plain.status == 200
    assert v.header("cache-control") == IMMUTABLE, v.headers
    assert plain.header("cache-control") == "public, max-age=3600", plain.headers
    assert v.body == plain.body and v.header("etag") == plain.header("etag")
    # a 304 keeps saying immutable (RFC 9110 §15.4.5)
    r = srv.get_url(fill(template), headers={"If-None-Match": v.header("etag")})
    assert r.status == 304 and r.header("cache-control") == IMMUTABLE, r.headers
    # @2x, GCJ-02 and a style of its own: the same scheme
    tj = srv.get("/tiles/print.json?coordsys=gcj02").json()
    assert VERSION.search(tj["tiles"][0]) and tj["tiles"][0].endswith("?coordsys=gcj02"), tj
    g = srv.get_url(fill(tj["tiles"][0]))
    assert g.status == 200 and g.header("cache-control") == IMMUTABLE
    assert g.body == srv.get("/tiles/print/%d/%d/%d.png?coordsys=gcj02" % (Z, X, Y)).body
    r2 = srv.get_url(fill(template).replace(".png", "@2x.png"))
    assert r2.status == 200 and r2.header("cache-control") == IMMUTABLE
    assert r2.body == srv.get("/tiles/%d/%d/%d@2x.png" % (Z, X, Y)).body


def test_ogc_templates_agree():
    """The OGC tileset's template names the same versions as TileJSON, and
    its tiles are the same bytes, immutable too."""
    version, template = versions(srv)
    for styled, tms in ((False, "WebMercatorQuad"), (True, "WebMercatorQuad"), (False, "GCJ02WebMercatorQuad")):
        t = ogc_template(srv, styled, tms)
        assert t.endswith("?v=" + version) or styled, t
        assert re.search(r"\?v=[0-9a-f]{16}-[0-9a-f]{16}$", t), t
        url = t.replace("{tileMatrix}", str(Z)).replace("{tileRow}", str(Y)).replace("{tileCol}", str(X))
        r = srv.get_url(url)
        assert r.status == 200 and r.header("cache-control") == IMMUTABLE, (url, r.headers)
        xyz = "/tiles/%s%d/%d/%d.png%s" % ("print/" if styled else "", Z, X, Y,
                                           "?coordsys=gcj02" if tms.startswith("GCJ") else "")
        assert r.body == srv.get(xyz).body
    # without ?v= the OGC tile keeps --max-age
    r = srv.get("/collections/sites/map/tiles/WebMercatorQuad/%d/%d/%d" % (Z, Y, X))
    assert r.header("cache-control") == "public, max-age=3600"


def test_not_a_version():
    for bad in ("nope", "0-0", "ABCDEF0123456789-0123456789abcdef", "0123456789abcdef0123456789abcdef0"):
        check_problem(srv.get("/tiles/default/%s/%d/%d/%d.png" % (bad, Z, X, Y)), 404, bad)
    check_problem(srv.get("/tiles/nosuch/%s/%d/%d/%d.png" % (versions(srv)[0], Z, X, Y)), 404, "nosuch")


def test_reload_changes_urls_and_old_ones_redirect():
    tmp = tempfile.mkdtemp(prefix="mapsvc-versioned-")
    try:
        styles = os.path.join(tmp, "styles")
        shutil.copytree(os.path.join(BUILD, "styles"), styles)
        for d in ("basemap", "data"):  # what the styles draw beside them
            src = os.path.join(BUILD, d)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(tmp, d))
        with Server("--styles", styles) as s2:
            old_version, old_template = versions(s2)
            old_url = fill(old_template)
            old = s2.get_url(old_url)
            old_ogc = ogc_template(s2).replace("{tileMatrix}", str(Z)).replace("{tileRow}", str(Y)).replace(
                "{tileCol}", str(X))
            old_gcj = fill(s2.get("/tiles.json?coordsys=gcj02").json()["tiles"][0])
            # a new style version: its colours change
            path = os.path.join(styles, "default.json")
            doc = json.load(open(path, encoding="utf-8"))
            doc["name"] = "Reloaded overlay"
            with open(path, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            s2.signal(signal.SIGHUP)
            deadline = time.time() + 30
            while versions(s2)[0] == old_version:
                assert time.time() < deadline, s2.output()
                time.sleep(0.05)
            new_version, new_template = versions(s2)
            assert new_version.split("-")[0] == old_version.split("-")[0], "the data did not change"
            new_url = fill(new_template)
            # the old URL: a short-lived redirect to the same tile, now
            r = s2.get_url(old_url)
            assert r.status == 302 and r.header("location") == new_url, r.headers
            assert r.header("cache-control") == "public, max-age=60", r.headers
            assert r.body == b"" or r.header("content-type") != "image/png"
            n = s2.get_url(r.header("location"))
            assert n.status == 200 and n.header("cache-control") == IMMUTABLE
            assert n.header("etag") != old.header("etag")
            # the query goes along (coordsys), and the OGC ?v= is replaced
            g = s2.get_url(old_gcj)
            assert g.status == 302 and g.header("location").endswith("?coordsys=gcj02"), g.headers
            assert new_version in g.header("location")
            o = s2.get_url(old_ogc)
            assert o.status == 302 and o.header("location").endswith("?v=" + new_version), o.headers
            assert s2.get_url(o.header("location")).status == 200
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_versioned_urls_are_immutable, test_ogc_templates_agree, test_not_a_version)
    status |= run(test_reload_changes_urls_and_old_ones_redirect)
    sys.exit(status)

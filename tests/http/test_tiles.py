"""Tiles and TileJSON end to end: decoded pixels against the closed-form
Mercator, GCJ-02 shift, @2x, the shared empty tile, ETag/304, 404s, CORS,
and `mapsvc render` giving the very bytes of the HTTP tile."""
import subprocess

import re

from harness import *
from pngdecode import decode_png

srv = None
ROWS = bundled_sites()


def world_px(lat, lon, z):
    n = 256.0 * 2 ** z
    phi = math.radians(lat)
    return (lon + 180.0) / 360.0 * n, (1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0 * n


def lone_sites():
    """Sites with no other site within 2 km (markers alone at z15)."""
    out = []
    for r in ROWS:
        la, lo = float(r["lat"]), float(r["lon"])
        if all(o is r or vincenty_inverse(la, lo, float(o["lat"]), float(o["lon"]))[0] > 2000 for o in ROWS):
            out.append((r["id"], la, lo))
    return out


def marker_centre(lat, lon, z, query="", scale=1):
    """The centroid of the opaque, non-white pixels within 7 px (x scale) of
    where the marker must be, and that expected point, in tile px."""
    ex, ey = world_px(lat, lon, z)
    tx, ty = int(ex // 256), int(ey // 256)
    suffix = "@2x" if scale == 2 else ""
    r = srv.get("/tiles/%d/%d/%d%s.png%s" % (z, tx, ty, suffix, query))
    assert r.status == 200 and r.header("content-type") == "image/png", r
    w, h, rows = decode_png(r.body)
    assert w == h == 256 * scale
    lx, ly = (ex - tx * 256) * scale, (ey - ty * 256) * scale
    sx = sy = n = 0
    rad = 7 * scale
    for y in range(max(0, int(ly) - rad), min(h, int(ly) + rad + 1)):
        for x in range(max(0, int(lx) - rad), min(w, int(lx) + rad + 1)):
            p = rows[y][x]
            if p[3] == 255 and min(p[:3]) < 200 and (x + 0.5 - lx) ** 2 + (y + 0.5 - ly) ** 2 <= rad * rad:
                sx, sy, n = sx + x + 0.5, sy + y + 0.5, n + 1
    assert n > 10, ("no marker near", lat, lon, z, n)
    return (sx / n, sy / n), (lx, ly), (tx, ty)


def test_marker_anchor():
    checked = 0
    for sid, la, lo in lone_sites():
        for z in (14, 15, 16):
            ex, ey = world_px(la, lo, z)
            if min(ex % 256, ey % 256, 256 - ex % 256, 256 - ey % 256) < 8:
                continue  # cut by a tile edge: the stitching test covers those
            (mx, my), (lx, ly), _ = marker_centre(la, lo, z)
            assert abs(mx - lx) <= 1 and abs(my - ly) <= 1, (sid, z, mx, my, lx, ly)
            checked += 1
    assert checked >= 5, checked


def test_scale2():
    sid, la, lo = lone_sites()[0]
    for z in (14, 15, 16):
        ex, ey = world_px(la, lo, z)
        if min(ex % 256, ey % 256, 256 - ex % 256, 256 - ey % 256) < 8:
            continue
        (m1x, m1y), _, _ = marker_centre(la, lo, z)
        (m2x, m2y), (l2x, l2y), _ = marker_centre(la, lo, z, scale=2)
        assert abs(m2x - 2 * m1x) <= 1 and abs(m2y - 2 * m1y) <= 1, (m1x, m1y, m2x, m2y)
        assert abs(m2x - l2x) <= 1 and abs(m2y - l2y) <= 1


def test_gcj02_shift():
    checked = 0
    for sid, la, lo in lone_sites():
        if not (30 < la < 42 and 95 < lo < 125):
            continue
        glat, glon = wgs84_to_gcj02(la, lo)
        z = 15
        ex, ey = world_px(glat, glon, z)
        if min(ex % 256, ey % 256, 256 - ex % 256, 256 - ey % 256) < 8:
            continue
        (mx, my), (lx, ly), _ = marker_centre(glat, glon, z, query="?coordsys=gcj02")
        assert abs(mx - lx) <= 1 and abs(my - ly) <= 1, (sid, mx, my, lx, ly)
        wx, wy = world_px(la, lo, z)
        assert math.hypot(ex - wx, ey - wy) > 20  # hundreds of metres: tens of px at z15
        checked += 1
    assert checked >= 2, checked


def test_empty_tile():
    a = srv.get("/tiles/10/10/400.png")
    b = srv.get("/tiles/12/40/1600.png")
    assert a.status == b.status == 200 and a.body == b.body, (a, b)
    w, h, rows = decode_png(a.body)
    assert w == h == 256 and all(p[3] == 0 for row in rows for p in row)
    c = srv.get("/tiles/10/10/400@2x.png")
    w, h, rows = decode_png(c.body)
    assert w == h == 512 and all(p[3] == 0 for row in rows for p in row)
    assert a.header("etag") != b.header("etag")  # one body, two addresses


def test_etag_304():
    sid, la, lo = lone_sites()[0]
    x, y = world_px(la, lo, 14)
    path = "/tiles/14/%d/%d.png" % (x // 256, y // 256)
    r = srv.get(path)
    etag = r.header("etag")
    assert r.status == 200 and etag and etag.startswith('"') and not etag.startswith("W/"), r
    assert r.header("cache-control") == "public, max-age=3600", r.header("cache-control")
    assert r.header("access-control-allow-origin") == "*"
    again = srv.get(path, headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b"" and again.header("etag") == etag, again
    other = srv.get(path, headers={"If-None-Match": '"0000000000000000"'})
    assert other.status == 200 and other.body == r.body
    for variant in ("/tiles/14/%d/%d@2x.png", "/tiles/print/14/%d/%d.png"):
        v = srv.get(variant % (x // 256, y // 256))
        assert v.status == 200 and v.header("etag") != etag, v
    g = srv.get(path + "?coordsys=gcj02")
    assert g.status == 200 and g.header("etag") != etag


def test_etag_list():
    """If-None-Match is a list compared weakly (RFC 9110 §13.1.2), matched
    member by member, not by searching the field for the tag."""
    path = "/tiles/3/6/3.png"
    etag = srv.get(path).header("etag")
    for field, status in (('"x", ' + etag, 304), ("W/" + etag, 304), (" *", 304), ('"x",W/%s ,"y"' % etag, 304),
                          ('"*"', 200), ('"x' + etag + '"', 200), (etag[:-2] + '"', 200), (etag[:-1] + '0"', 200),
                          ('"x", "y"', 200)):
        r = srv.get(path, headers={"If-None-Match": field})
        assert r.status == status, (field, r)
        assert (r.body == b"") == (status == 304)
    # The map page's assets use the same matcher.
    page = srv.get("/", headers={"Accept": "text/html"})
    again = srv.get("/", headers={"Accept": "text/html", "If-None-Match": '"x", W/' + page.header("etag")})
    assert again.status == 304, again


def test_not_found():
    for path in ("/tiles/21/0/0.png", "/tiles/3/8/0.png", "/tiles/3/0/8.png", "/tiles/0/0/1.png",
                 "/tiles/-1/0/0.png", "/tiles/a/0/0.png", "/tiles/3/0/0.jpg", "/tiles/3/0/0@3x.png",
                 "/tiles/99999999999/0/0.png", "/tiles/nosuch/1/0/0.png", "/tiles/nosuch.json",
                 "/tiles/default/25/0/0.png"):
        t0 = time.time()
        r = srv.get(path, timeout=5)
        check_problem(r, 404)
        assert time.time() - t0 < 1.0, path
    check_problem(srv.get("/tiles/3/1/1.png?coordsys=bd09"), 400, "coordsys")


def test_tilejson():
    for path, style in (("/tiles.json", "default/"), ("/tiles/print.json", "print/")):
        r = srv.get(path)
        assert r.status == 200 and r.header("content-type") == "application/json", r
        d = r.json()
        assert d["tilejson"] == "3.0.0" and d["scheme"] == "xyz" and d["name"] and d["attribution"]
        # versioned: the data's and the style's (test_versioned_tiles.py)
        assert re.match(r"^%s/tiles/%s[0-9a-f]{16}-[0-9a-f]{16}/\{z\}/\{x\}/\{y\}\.png$" % (re.escape(srv.base), style),
                        d["tiles"][0]), d["tiles"]
        assert d["minzoom"] == 0 and d["maxzoom"] == 20
        w, s, e, n = d["bounds"]
        for row in ROWS:
            assert w <= float(row["lon"]) <= e and s <= float(row["lat"]) <= n, row["id"]
        assert abs(w - min(float(r_["lon"]) for r_ in ROWS)) < 1e-5
        assert abs(n - max(float(r_["lat"]) for r_ in ROWS)) < 1e-5
        lon, lat, z = d["center"]
        assert w <= lon <= e and s <= lat <= n and 0 <= z <= 20
        # the template works
        u = d["tiles"][0].replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
        t = srv.get_url(u)
        assert t.status == 200 and t.header("content-type") == "image/png"
    d = srv.get("/tiles.json?coordsys=gcj02").json()
    assert d["tiles"][0].endswith("?coordsys=gcj02")


def test_cli_same_bytes():
    sid, la, lo = lone_sites()[0]
    for z, scale, cs in ((14, 1, "wgs84"), (14, 2, "wgs84"), (12, 1, "gcj02"), (9, 1, "wgs84")):
        x, y = world_px(la, lo, z)
        path = "/tiles/%d/%d/%d%s.png%s" % (z, x // 256, y // 256, "@2x" if scale == 2 else "",
                                           "?coordsys=gcj02" if cs == "gcj02" else "")
        body = srv.get(path).body
        out = subprocess.run([MAPSVC, "render", "--db", srv.db, "--scale", str(scale), "--coordsys", cs,
                              "%d/%d/%d" % (z, x // 256, y // 256), "-o", "-"], capture_output=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout == body, (path, len(out.stdout), len(body))
    out = subprocess.run([MAPSVC, "render", "--db", srv.db, "3/8/0", "-o", "-"], capture_output=True, timeout=120)
    assert out.returncode == 2 and b"3/8/0" in out.stderr, out


def test_max_age_and_cors_options():
    """--max-age and --cors reach the tile headers (a second server)."""
    with Server("--max-age", "60", "--cors", "https://map.example.org") as other:
        r = other.get("/tiles/0/0/0.png")
        assert r.status == 200, r
        assert r.header("cache-control") == "public, max-age=60", r.header("cache-control")
        assert r.header("access-control-allow-origin") == "https://map.example.org"


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_marker_anchor, test_scale2, test_gcj02_shift, test_empty_tile, test_etag_304,
                     test_etag_list, test_not_found, test_tilejson, test_cli_same_bytes, test_max_age_and_cors_options)
    sys.exit(status)

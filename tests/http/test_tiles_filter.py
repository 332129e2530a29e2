"""filter= on tiles end to end: only the sites a CQL2 filter selects are
drawn (decoded pixels of markers by their category colour), clusters are
made of them alone, the ETag changes with the filter and not with how it
is written (text or JSON, spacing), a 304 comes back for a filtered tile,
a filter that selects nothing gives the shared empty tile, and a bad
filter is a 400 that says where it is wrong."""
import urllib.parse

from harness import *
from pngdecode import decode_png

srv = None
ROWS = bundled_sites()
# styles/default.json's marker colours
COLOURS = {"memorial_hall": (0xC0, 0x39, 0x2B), "museum": (0xD3, 0x54, 0x00),
           "martyrs_cemetery": (0x7F, 0x1D, 0x1D), "former_site": (0xB7, 0x95, 0x0B),
           "monument": (0x8E, 0x44, 0xAD), "education_base": (0xE7, 0x4C, 0x3C),
           "study_station": (0x2E, 0x86, 0xC1), "training_school": (0x11, 0x7A, 0x65)}


def world_px(lat, lon, z):
    n = 256.0 * 2 ** z
    phi = math.radians(lat)
    return (lon + 180.0) / 360.0 * n, (1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0 * n


def q(cql, lang=None):
    s = "?filter=" + urllib.parse.quote(cql, safe="")
    return s + ("&filter-lang=" + lang if lang else "")


def lone(z=15, margin=12):
    """Sites with no other site within 2 km, whose marker at zoom z lies
    whole inside its tile: (row, tile path, marker px in the tile)."""
    out = []
    for r in ROWS:
        la, lo = float(r["lat"]), float(r["lon"])
        if any(o is not r and vincenty_inverse(la, lo, float(o["lat"]), float(o["lon"]))[0] < 2000 for o in ROWS):
            continue
        ex, ey = world_px(la, lo, z)
        if min(ex % 256, ey % 256, 256 - ex % 256, 256 - ey % 256) < margin:
            continue
        out.append((r, "/tiles/%d/%d/%d.png" % (z, ex // 256, ey // 256), (ex % 256, ey % 256)))
    return out


def colour_near(body, px, colour, rad=4):
    """How many opaque pixels within rad of px have the colour (+-12)."""
    w, h, rows = decode_png(body)
    n = 0
    for y in range(int(px[1]) - rad, int(px[1]) + rad + 1):
        for x in range(int(px[0]) - rad, int(px[0]) + rad + 1):
            if 0 <= x < w and 0 <= y < h:
                p = rows[y][x]
                n += p[3] == 255 and all(abs(p[k] - colour[k]) <= 12 for k in range(3))
    return n


def test_only_selected_sites_drawn():
    checked = 0
    for row, path, px in lone():
        cat = row["category"]
        other = "museum" if cat != "museum" else "memorial_hall"
        plain = srv.get(path)
        assert plain.status == 200 and colour_near(plain.body, px, COLOURS[cat]) > 10, (row["id"], path)
        mine = srv.get(path + q("category = '%s'" % cat))
        assert mine.status == 200 and colour_near(mine.body, px, COLOURS[cat]) > 10, (row["id"], mine)
        theirs = srv.get(path + q("category = '%s'" % other))
        assert theirs.status == 200, theirs
        assert colour_near(theirs.body, px, COLOURS[cat]) == 0, (row["id"], path, other)
        by_id = srv.get(path + q("id = '%s'" % row["id"]))
        assert colour_near(by_id.body, px, COLOURS[cat]) > 10, row["id"]
        checked += 1
    assert checked >= 4, checked


def test_etag_follows_the_filter():
    row, path, px = lone()[0]
    plain = srv.get(path).header("etag")
    a = srv.get(path + q("category='museum'"))
    b = srv.get(path + q("category  =  'museum'"))
    c = srv.get(path + q('{"op": "=", "args": [{"property": "category"}, "museum"]}', "cql2-json"))
    d = srv.get(path + q("category='memorial_hall'"))
    for r in (a, b, c, d):
        assert r.status == 200 and r.header("content-type") == "image/png", r
    # one filter however written: one canonical text, one ETag, one cache entry
    assert a.header("etag") == b.header("etag") == c.header("etag"), (a.header("etag"), b.header("etag"),
                                                                       c.header("etag"))
    assert len({plain, a.header("etag"), d.header("etag")}) == 3
    assert a.body == b.body == c.body
    again = srv.get(path + q("category = 'museum'"), headers={"If-None-Match": a.header("etag")})
    assert again.status == 304 and again.body == b"", again
    # the @2x and print variants have tags of their own
    assert srv.get(path.replace(".png", "@2x.png") + q("category='museum'")).header("etag") != a.header("etag")


def test_nothing_selected_is_the_empty_tile():
    row, path, px = lone()[0]
    empty = srv.get("/tiles/10/10/400.png").body
    r = srv.get(path + q("id = 'no such site'"))
    assert r.status == 200 and r.body == empty, r
    r = srv.get(path + q("FALSE"))
    assert r.status == 200 and r.body == empty, r


def test_clusters_of_the_selection():
    """At z5 the bundled Zibo sites are clustered.  A filter that selects
    every site draws the very tile of no filter (the same hierarchy
    serves); one that selects a category clusters fewer sites, so draws
    another tile."""
    zibo = [r for r in ROWS if float(r["lon"]) > 110]
    la, lo = float(zibo[0]["lat"]), float(zibo[0]["lon"])
    ex, ey = world_px(la, lo, 5)
    path = "/tiles/5/%d/%d.png" % (ex // 256, ey // 256)
    plain = srv.get(path)
    everything = srv.get(path + q("TRUE"))
    assert everything.body == plain.body  # every site selected: the same hierarchy
    cats = sorted({r["category"] for r in zibo})
    some = srv.get(path + q("category = '%s'" % cats[0]))
    assert some.status == 200 and some.body != plain.body


def test_bad_filter():
    row, path, px = lone()[0]
    r = srv.get(path + q("category = "))
    check_problem(r, 400, "filter")
    assert "character" in r.json()["detail"], r.json()
    r = srv.get(path + q("nosuch = 1"))
    check_problem(r, 400, "nosuch")
    r = srv.get(path + q('{"op": "="}', "cql2-json"))
    check_problem(r, 400, "filter")
    r = srv.get("/tiles/print/3/1/1.png" + q("category = 'museum'") + "&filter-lang=cql3")
    check_problem(r, 400, "filter-lang")


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_only_selected_sites_drawn, test_etag_follows_the_filter,
                     test_nothing_selected_is_the_empty_tile, test_clusters_of_the_selection, test_bad_filter)
    sys.exit(status)

"""Context layers end to end: /staticmap.png in the print style shows the
Natural Earth province borders and rivers under the sites (over Zibo and
over Shandong), nothing where the data has no feature, and the default
style (an overlay for web maps) stays without them."""

from harness import *
from pngdecode import decode_png

srv = None

BACKGROUND = (0xf7, 0xf4, 0xee, 255)  # print.json background-color


def get_map(query):
    r = srv.get("/staticmap.png?" + query)
    assert r.status == 200, r
    return decode_png(r.body)


def counts(rows):
    """(light blue px of rivers and lakes, grey px of borders)."""
    blue = grey = 0
    for row in rows:
        for r, g, b, a in row:
            if a == 255 and r > 150 and b > r + 12 and b >= g:
                blue += 1
            elif a == 255 and max(r, g, b) - min(r, g, b) <= 14 and max(r, g, b) < 0xe6:
                grey += 1
    return blue, grey


def test_zibo_and_shandong():
    # Zibo at zoom 8: the Yellow River and Shandong's border with Hebei
    for q, want_blue, want_grey in (("center=36.8,118.05&zoom=8&width=500&height=400", 100, 200),
                                    ("bbox=114.8,34.3,122.7,38.4&width=800&height=500", 500, 1000)):
        w, h, rows = get_map(q + "&style=print")
        blue, grey = counts(rows)
        assert blue >= want_blue and grey >= want_grey, (q, blue, grey)
        # the same window in the overlay style draws no context at all
        w, h, rows = get_map(q + "&style=default")
        assert counts(rows) == (0, 0), (q, counts(rows))
        assert sum(1 for row in rows for px in row if px[3] != 0) < w * h // 20, q


def test_no_feature_is_plain_background():
    # the open Pacific east of the data's box (73-136 E): background only
    w, h, rows = get_map("center=30.0,150.0&zoom=6&width=200&height=150&style=print")
    assert all(px == BACKGROUND for row in rows for px in row)


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_zibo_and_shandong, test_no_feature_is_plain_background)
    sys.exit(status)

"""GET /staticmap.png end to end: decoded images of several sizes and
scales equal, pixel for pixel, the tiles covering the same area; the zoom
and window follow from the closed-form Web Mercator; the route overlay's
numbered markers and start square sit at the right pixels; bad parameters
are 400s naming the parameter.

The helpers here (PNG decoding, the fitted window, marker checks) are
shared with test_route.py."""

from harness import *
from pngdecode import decode_png

srv = None

A = 6378137.0
HALF = math.pi * A
PAD = 32             # ROUTE_MAP_PAD_PX
FIT_MAX_ZOOM = 17    # ROUTE_MAP_FIT_MAX_ZOOM
MARKER_R = 10.0      # ROUTE_MARKER_R
MARKER_RGB = (0x1a, 0x3c, 0x8f)
START_RGB = (0x11, 0x6b, 0x2f)


def merc(lat, lon):
    return A * math.radians(lon), A * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def world(mx, my, z, tile_px):
    size = tile_px * 2.0 ** z
    return (mx + HALF) / (2 * HALF) * size, (HALF - my) / (2 * HALF) * size


def fit_zoom(w, s, e, n, width, height, max_zoom=FIT_MAX_ZOOM):
    """The largest zoom at which the box fits with PAD px free around it."""
    px, py = min(PAD, width // 4), min(PAD, height // 4)
    mw, ms = merc(s, w)
    me, mn = merc(n, e)
    k = 256 / (2 * HALF)
    z = max_zoom
    while z > 0 and ((me - mw) * k * 2 ** z > width - 2 * px or (mn - ms) * k * 2 ** z > height - 2 * py):
        z -= 1
    return z


def window(cx, cy, width, height, scale):
    """Top-left canvas px of a window centred on world px (cx, cy) at scale 1."""
    return (math.floor(cx * scale - width * scale / 2 + 0.5), math.floor(cy * scale - height * scale / 2 + 0.5))


def box_window(w, s, e, n, z, width, height, scale):
    mw, ms = merc(s, w)
    me, mn = merc(n, e)
    return window(*world((mw + me) / 2, (ms + mn) / 2, z, 256), width, height, scale)


def canvas_px(lat, lon, z, scale, origin):
    x, y = world(*merc(lat, lon), z, 256 * scale)
    return x - origin[0], y - origin[1]


def stitched_tiles(z, scale, ox, oy, W, H, style="print"):
    """The W x H canvas px at (ox, oy) cut out of the tiles covering it."""
    T = 256 * scale
    tiles = {}
    for ty in range(oy // T, (oy + H - 1) // T + 1):
        for tx in range(ox // T, (ox + W - 1) // T + 1):
            r = srv.get("/tiles/%s/%d/%d/%d%s.png" % (style, z, tx, ty, "@2x" if scale == 2 else ""))
            assert r.status == 200, r
            tw, th, rows = decode_png(r.body)
            assert (tw, th) == (T, T)
            tiles[tx, ty] = rows
    out = []
    for y in range(oy, oy + H):
        row = []
        for x in range(ox, ox + W):
            row.append(tiles[x // T, y // T][y % T][x % T])
        out.append(row)
    return out


def zibo_box():
    rows = [r for r in bundled_sites() if r["id"].startswith("zb-")]
    lats = [float(r["lat"]) for r in rows]
    lons = [float(r["lon"]) for r in rows]
    return min(lons), min(lats), max(lons), max(lats)


def check_marker(rows, x, y, scale, rgb=MARKER_RGB, d=5.5):
    """The pixels holding the four points (x +- d, y +- d) (d in logical
    px: inside the disc of radius 10, clear of the number in its middle)
    are the marker's own opaque colour."""
    for sx, sy in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        px, py = int(math.floor(x + sx * d * scale)), int(math.floor(y + sy * d * scale))
        got = rows[py][px]
        assert got == rgb + (255,), "marker at (%.1f, %.1f): pixel (%d, %d) is %r, want %r" % (
            x, y, px, py, got, rgb)


def get_map(query):
    r = srv.get("/staticmap.png?" + query)
    assert r.status == 200, r
    assert r.header("content-type") == "image/png", r
    return r, decode_png(r.body)


# --- tests -------------------------------------------------------------------

def test_bbox_sizes_match_tiles():
    w, s, e, n = zibo_box()
    for width, height, scale in ((300, 200, 1), (257, 131, 1), (400, 300, 2), (90, 700, 1), (64, 64, 2)):
        q = "bbox=%.6f,%.6f,%.6f,%.6f&width=%d&height=%d&scale=%d" % (w, s, e, n, width, height, scale)
        r, (iw, ih, rows) = get_map(q)
        assert (iw, ih) == (width * scale, height * scale), (q, iw, ih)
        z = fit_zoom(round(w, 6), round(s, 6), round(e, 6), round(n, 6), width, height)
        assert int(r.header("x-map-zoom")) == z, (q, r.header("x-map-zoom"), z)
        ox, oy = box_window(round(w, 6), round(s, 6), round(e, 6), round(n, 6), z, width, height, scale)
        assert r.header("x-map-origin") == "%d,%d" % (ox, oy), (q, r.header("x-map-origin"), ox, oy)
        # every site of the box is inside the padded image
        for row in bundled_sites():
            if row["id"].startswith("zb-"):
                x, y = canvas_px(float(row["lat"]), float(row["lon"]), z, scale, (ox, oy))
                assert 0 <= x < iw and 0 <= y < ih, (row["id"], x, y)
        assert rows == stitched_tiles(z, scale, ox, oy, iw, ih), "static map %s differs from its tiles" % q
        # one zoom more would not fit (unless the cap stopped it)
        if z < FIT_MAX_ZOOM:
            mw, ms = merc(s, w)
            me, mn = merc(n, e)
            k = 256 / (2 * HALF) * 2 ** (z + 1)
            assert (me - mw) * k > width - 2 * min(PAD, width // 4) or (mn - ms) * k > height - 2 * min(PAD, height // 4)


def test_center_zoom_matches_tiles():
    for lat, lon, z, width, height, scale in ((36.8, 118.1, 11, 333, 222, 1), (39.38, 99.82, 9, 200, 150, 2),
                                              (36.85, 118.16, 15, 128, 96, 1)):
        q = "center=%s,%s&zoom=%d&width=%d&height=%d&scale=%d" % (lat, lon, z, width, height, scale)
        r, (iw, ih, rows) = get_map(q)
        ox, oy = window(*world(*merc(lat, lon), z, 256), width, height, scale)
        assert r.header("x-map-origin") == "%d,%d" % (ox, oy) and int(r.header("x-map-zoom")) == z, r.headers
        assert rows == stitched_tiles(z, scale, ox, oy, iw, ih), q
    # another style
    r, (iw, ih, rows) = get_map("center=36.8,118.1&zoom=10&width=100&height=80&style=default")
    ox, oy = map(int, r.header("x-map-origin").split(","))
    tiles = stitched_tiles(10, 1, ox, oy, iw, ih, style="default")
    assert rows == tiles


def test_overlay_markers():
    pts = [(36.80, 118.05), (36.76, 118.15), (36.86, 118.20)]
    start = (36.83, 118.00)
    for scale in (1, 2):
        q = "width=500&height=360&scale=%d&start=%s,%s&markers=%s&return=1" % (
            scale, start[0], start[1], "%7C".join("%s,%s" % p for p in pts))
        r, (iw, ih, rows) = get_map(q)
        lats = [p[0] for p in pts] + [start[0]]
        lons = [p[1] for p in pts] + [start[1]]
        z = fit_zoom(min(lons), min(lats), max(lons), max(lats), 500, 360)
        origin = box_window(min(lons), min(lats), max(lons), max(lats), z, 500, 360, scale)
        assert int(r.header("x-map-zoom")) == z and r.header("x-map-origin") == "%d,%d" % origin, r.headers
        for lat, lon in pts:
            check_marker(rows, *canvas_px(lat, lon, z, scale, origin), scale)
        check_marker(rows, *canvas_px(start[0], start[1], z, scale, origin), scale, START_RGB, d=7.0)
        # the number is drawn in white inside each disc
        for lat, lon in pts:
            x, y = canvas_px(lat, lon, z, scale, origin)
            box = [rows[int(y) + dy][int(x) + dx] for dy in range(-4 * scale, 4 * scale + 1)
                   for dx in range(-3 * scale, 3 * scale + 1)]
            assert any(p[0] > 200 and p[1] > 200 and p[2] > 200 for p in box), (lat, lon)
        # the line: the midpoint of leg 1 -> 2 is in the line colour (blended over the paper)
        x1, y1 = canvas_px(*pts[0], z, scale, origin)
        x2, y2 = canvas_px(*pts[1], z, scale, origin)
        p = rows[int((y1 + y2) / 2)][int((x1 + x2) / 2)]
        assert p[2] > p[0] + 60 and p[3] == 255, p
        # without the overlay the same window is plain tiles
        _, (_, _, plain) = get_map("bbox=%s,%s,%s,%s&width=500&height=360&scale=%d" % (
            min(lons), min(lats), max(lons), max(lats), scale))
        assert plain == stitched_tiles(z, scale, origin[0], origin[1], iw, ih)
        assert plain != rows


def test_coincident_markers_share_one():
    q = "center=36.8,118.1&zoom=12&width=200&height=200&markers=36.8,118.1%7C36.8,118.1&line=0"
    r, (w, h, rows) = get_map(q)
    origin = tuple(map(int, r.header("x-map-origin").split(",")))
    x, y = canvas_px(36.8, 118.1, 12, 1, origin)
    assert (x, y) == (100, 100) or abs(x - 100) <= 0.5, (x, y)
    check_marker(rows, x, y, 1)


def test_bad_parameters():
    for q, name in (("width=0", "width"), ("width=2049", "width"), ("height=abc", "height"),
                    ("height=-5", "height"), ("scale=3", "scale"), ("bbox=1,2,3", "bbox"),
                    ("bbox=118.2,36.7,118.0,36.9", "bbox"), ("bbox=nan,1,2,3", "bbox"),
                    ("bbox=0,-95,1,1", "bbox"), ("center=36.8,118.1", "zoom"), ("zoom=5", "center"),
                    ("center=95,118&zoom=3", "center"), ("center=36.8,118.1&zoom=99", "zoom"),
                    ("center=36,118&zoom=3&bbox=1,2,3,4", "bbox"), ("style=nope&bbox=1,2,3,4", "style"),
                    ("coordsys=bd09&bbox=1,2,3,4", "coordsys"), ("markers=36.8", "markers"),
                    ("markers=36.8,118.1%7Cx,y", "markers"), ("start=1,2,3&bbox=1,2,3,4", "start"),
                    ("return=2&bbox=1,2,3,4", "return"), ("foo=1", "foo"), ("", "bbox"),
                    ("markers=" + "%7C".join(["36.8,118.1"] * 51), "markers")):
        check_problem(srv.get("/staticmap.png?" + q), 400, name)


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_bbox_sizes_match_tiles, test_center_zoom_matches_tiles, test_overlay_markers,
                     test_coincident_markers_share_one, test_bad_parameters)
    sys.exit(status)

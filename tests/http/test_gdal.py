"""GDAL, as planners' scripts and QGIS use it, against the server.

OGC API - Features (the OAPIF driver, GDAL 3.6): a -where with OR of two
categories goes to the server as one CQL2 filter request, where GDAL
used to page through every site and filter on its side; the server's own
per-route request counters (/metrics) count the requests, and a -where
GDAL cannot push down (a LIKE on a name) shows what paging through
everything costs.  A -where on a category that does not exist gives no
features, not an error; a missing attribute reads as null.

OGC API - Tiles (the OGCAPI driver): gdalinfo finds the raster through
the collection's map tilesets, in EPSG:3857, and gdal_translate of tile
areas gives the very pixels of the XYZ tiles.  GDAL 3.6 reads the
collection's extent in the tile matrix set's CRS (later versions
reproject it), so the window is given in metres with MINX..MAXY, which
that version documents for this.

GDAL is kept to this server as test_ogrinfo.py keeps it."""
import math
import shutil
import re
import subprocess

from harness import *
from pngdecode import decode_png

srv = None
ROWS = {r["id"]: r for r in bundled_sites()}
PAGE = 10  # GDAL's page size here: fewer than the sites, more than the OR's matches
HALF = 20037508.342789244
TMP = tempfile.mkdtemp(prefix="mapsvc-gdal-")


def gdal(tool, *args, ok=True):
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(GDAL_HTTP_PROXY="127.0.0.1:9", NO_PROXY="127.0.0.1", no_proxy="127.0.0.1",
               GDAL_HTTP_TIMEOUT="30", GDAL_HTTP_MAX_RETRY="0", CPL_DEBUG="OFF", GDAL_PAM_ENABLED="NO",
               GDAL_DEFAULT_WMS_CACHE_PATH=os.path.join(TMP, "wmscache"))  # not in the working directory
    out = subprocess.run([tool, "--config", "GDAL_HTTP_PROXY", "127.0.0.1:9"] + list(args),
                         capture_output=True, timeout=600, env=env)
    if ok:
        assert out.returncode == 0, (args, out.stderr.decode(errors="replace"))
    return out.stdout.decode("utf-8"), out.stderr.decode("utf-8", "replace"), out.returncode


def items_requests():
    """The items route's answered requests so far (/metrics)."""
    text = srv.get("/metrics").body.decode()
    return sum(int(n) for n in re.findall(r'mapsvc_http_requests_total\{route="items",code="[0-9]+"\} (\d+)', text))


def ogr_where(where):
    before = items_requests()
    out, _, _ = gdal("ogrinfo", "-ro", "-q", "-oo", "PAGE_SIZE=%d" % PAGE, "OAPIF:" + srv.base, "sites",
                     "-where", where)
    ids = re.findall(r"^\s+id \(String\) = (.*)$", out, re.M)
    return ids, items_requests() - before, out


def test_or_is_one_filter_request():
    want = sorted(i for i, r in ROWS.items() if r["category"] in ("museum", "memorial_hall"))
    assert 0 < len(want) <= PAGE < len(ROWS)
    ids, requests, _ = ogr_where("category = 'museum' OR category = 'memorial_hall'")
    assert sorted(ids) == want, ids
    # GDAL's first page to learn the fields, then the one filtered request
    assert requests == 2, requests
    # what it costs when GDAL filters on its side: every page of every site
    ids, requests, _ = ogr_where("name_zh LIKE '%馆'")
    assert sorted(ids) == sorted(i for i, r in ROWS.items() if r["name_zh"].endswith("馆"))
    assert requests == 1 + math.ceil(len(ROWS) / PAGE), requests


def test_absent_category_is_no_error():
    ids, requests, _ = ogr_where("category = 'castle'")
    assert ids == [] and requests == 2


def test_missing_attributes_are_null():
    sid = sorted(i for i, r in ROWS.items() if r["town"] == "")[0]
    _, _, out = ogr_where("id = '%s'" % sid)
    assert "town (String) = (null)" in out, out
    assert "town (String) = \n" not in out and "town (String) = \r" not in out


def webmerc(lon, lat):
    return lon * HALF / 180, math.log(math.tan(math.radians(90 + lat) / 2)) * 6378137


def window(world=False):
    """The collection's extent in EPSG:3857 (or the whole grid), as GDAL
    3.6's open options."""
    w, s, e, n = srv.get("/collections/sites").json()["extent"]["spatial"]["bbox"][0]
    (x0, y0), (x1, y1) = webmerc(w, s), webmerc(e, n)
    if world:  # tiles reach past the sites' extent, and their pixels are compared whole
        x0, y0, x1, y1 = -HALF, -HALF, HALF, HALF
    return ["-oo", "CACHE=NO", "-oo", "MINX=%.3f" % x0, "-oo", "MINY=%.3f" % y0, "-oo", "MAXX=%.3f" % x1, "-oo", "MAXY=%.3f" % y1]


def test_raster_found():
    out, _, _ = gdal("gdalinfo", "OGCAPI:" + srv.base + "/")
    assert "SUBDATASET_1_NAME=OGCAPI:%s/collections/sites" % srv.base in out, out
    out, _, _ = gdal("gdalinfo", *window(), "OGCAPI:" + srv.base + "/collections/sites")
    assert "Driver: OGCAPI/OGCAPI" in out and "Pseudo-Mercator" in out, out
    assert out.count("Band ") == 4 and "ColorInterp=Alpha" in out, out


def test_translate_gives_the_tiles():
    lon, lat = float(ROWS["zb-heitieshan-memorial"]["lon"]), float(ROWS["zb-heitieshan-memorial"]["lat"])
    painted = 0
    for z in (3, 9, 12):
        n = 2 ** z
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        size = 2 * HALF / n
        ulx, uly = -HALF + x * size, HALF - y * size
        out = os.path.join(TMP, "z%d.png" % z)
        gdal("gdal_translate", "-q", "-oo", "TILEMATRIX=%d" % z, *window(world=True), "-projwin", repr(ulx), repr(uly),
             repr(ulx + size), repr(uly - size), "-of", "PNG", "OGCAPI:" + srv.base + "/collections/sites", out)
        with open(out, "rb") as f:
            got = decode_png(f.read())
        want = decode_png(srv.get("/tiles/%d/%d/%d.png" % (z, x, y)).body)
        assert got[:2] == want[:2] == (256, 256), (got[:2], want[:2])
        assert got[2] == want[2], "zoom %d: GDAL's pixels differ from tile %d/%d/%d" % (z, z, x, y)
        painted += sum(1 for row in want[2] for px in row if px[3])
    assert painted > 0  # the tiles hold markers: the comparison saw drawn pixels


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_or_is_one_filter_request, test_absent_category_is_no_error,
                     test_missing_attributes_are_null, test_raster_found, test_translate_gives_the_tiles)
    shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)

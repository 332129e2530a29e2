"""OGC API - Tiles Part 1 over the PNG tiles, read as a client does:
from the collection's tilesets-map link to the tilesets, a tileset's
metadata, its tile matrix set and its tile template, then tiles.

The tile matrix sets are right (every matrix's size, scale, cell size and
origin recomputed here from Web Mercator's definition, in both JSON
encodings); every tile from a template is the same bytes and ETag as the
/tiles/ tile of the same z/x/y (WebMercatorQuad) or its ?coordsys=gcj02
twin (GCJ02WebMercatorQuad), for the default and a named style; the
GCJ-02 set says it is no EPSG CRS; a tile outside the grid or the zoom
range is a 404; the conformance classes are declared."""
import json
import math

from harness import *

srv = None
HALF = 20037508.342789244  # Web Mercator's half circumference, m
REL_TILESETS = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-map"
REL_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
MAX_ZOOM = 20


def link(doc, rel, type_=None):
    hits = [l for l in doc["links"] if l["rel"] == rel and (type_ is None or l.get("type") == type_)]
    assert hits, (rel, doc["links"])
    return hits[0]["href"]


def get_json(url):
    r = srv.get_url(url)
    assert r.status == 200 and r.header("content-type").startswith("application/json"), (url, r)
    return r.json()


def tile_url(template, z, row, col):
    return template.replace("{tileMatrix}", str(z)).replace("{tileRow}", str(row)).replace("{tileCol}", str(col))


def test_tile_matrix_sets():
    doc = srv.get("/tileMatrixSets").json()
    assert [t["id"] for t in doc["tileMatrixSets"]] == ["WebMercatorQuad", "GCJ02WebMercatorQuad"]
    for entry in doc["tileMatrixSets"]:
        tms = get_json(link(entry, "self"))
        assert tms["id"] == tms["identifier"] == entry["id"]
        assert len(tms["tileMatrices"]) == 25 and tms["tileMatrices"] == tms["tileMatrix"]
        for z, m in enumerate(tms["tileMatrices"]):
            cell = 2 * HALF / 256 / 2 ** z
            assert m["id"] == m["identifier"] == str(z)
            assert m["matrixWidth"] == m["matrixHeight"] == 2 ** z and m["tileWidth"] == m["tileHeight"] == 256
            assert abs(m["cellSize"] - cell) <= cell * 1e-9, (z, m)
            assert abs(m["scaleDenominator"] - cell / 0.00028) <= cell / 0.00028 * 1e-9, (z, m)
            assert m["pointOfOrigin"] == m["topLeftCorner"] == [-HALF, HALF] or \
                max(abs(a - b) for a, b in zip(m["pointOfOrigin"], [-HALF, HALF])) < 1e-6, m
            assert m["cornerOfOrigin"] == "topLeft"
    webmerc = srv.get("/tileMatrixSets/WebMercatorQuad").json()
    assert webmerc["crs"] == webmerc["supportedCRS"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    assert webmerc["uri"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    gcj = srv.get("/tileMatrixSets/GCJ02WebMercatorQuad").json()
    # GCJ-02 has no EPSG code: the set says what it is, and names no CRS a client would trust
    assert isinstance(gcj["crs"], dict) and "GCJ-02" in gcj["crs"]["referenceSystem"]["name"], gcj["crs"]
    assert "supportedCRS" not in gcj and "EPSG" not in json.dumps(gcj["crs"]).replace("no EPSG", "")


def tilesets():
    coll = srv.get("/collections/sites").json()
    return get_json(link(coll, REL_TILESETS, "application/json"))


def test_tilesets_list():
    doc = tilesets()
    sets = doc["tilesets"]
    # the default style's two first, WebMercatorQuad first of all; then every other style's
    assert sets[0]["tileMatrixSetURI"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    assert sets[0]["styleId"] == "default" and sets[1]["styleId"] == "default"
    assert sets[1]["tileMatrixSetURI"].endswith("/tileMatrixSets/GCJ02WebMercatorQuad")
    styles = {s["styleId"] for s in sets}
    assert {"default", "print"} <= styles, styles
    for s in sets:
        assert s["dataType"] == "map" and s["title"]
        assert get_json(link(s, REL_SCHEME))["id"] in ("WebMercatorQuad", "GCJ02WebMercatorQuad")
        meta = get_json(link(s, "self"))
        assert meta["styleId"] == s["styleId"] and meta["tileMatrixSetURI"] == s["tileMatrixSetURI"]
    # a style's own list has its two
    own = srv.get("/collections/sites/styles/print/map/tiles").json()["tilesets"]
    assert [s["styleId"] for s in own] == ["print", "print"]
    check_problem(srv.get("/collections/sites/styles/nope/map/tiles"), 404, "nope")


def test_tiles_are_the_xyz_tiles():
    sets = tilesets()["tilesets"]
    # a Zibo site's tile at a few zooms, and an empty one far away
    lon, lat = 118.160735, 36.849547
    for s in sets:
        if s["styleId"] not in ("default", "print"):
            continue
        meta = get_json(link(s, "self"))
        limits = {l["tileMatrix"]: l for l in meta["tileMatrixSetLimits"]}
        assert sorted(limits, key=int) == [str(z) for z in range(MAX_ZOOM + 1)]
        template = [l for l in meta["links"] if l["rel"] == "item"][0]
        assert template["type"] == "image/png" and template["templated"] is True
        gcj = "GCJ02" in s["tileMatrixSetURI"]
        for z in (3, 9, 14):
            n = 2 ** z
            x = int((lon + 180) / 360 * n)
            y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
            for col, row in ((x, y), (0, 0)):
                ogc = srv.get_url(tile_url(template["href"], z, row, col))
                style = "" if s["styleId"] == "default" else s["styleId"] + "/"
                xyz = srv.get("/tiles/%s%d/%d/%d.png%s" % (style, z, col, row, "?coordsys=gcj02" if gcj else ""))
                assert ogc.status == xyz.status == 200, (ogc, xyz)
                assert ogc.header("content-type") == "image/png"
                assert ogc.body == xyz.body and ogc.header("etag") == xyz.header("etag"), (s["styleId"], z, col, row)
                assert srv.get_url(tile_url(template["href"], z, row, col),
                                   headers={"If-None-Match": ogc.header("etag")}).status == 304
        # outside the grid and past --max-zoom
        check_problem(srv.get_url(tile_url(template["href"], 2, 4, 0)), 404, "outside")
        check_problem(srv.get_url(tile_url(template["href"], MAX_ZOOM + 1, 0, 0)), 404, "tileMatrix")
    # the GCJ-02 tile of a site differs from the WGS-84 one (the shift is ~500 m there)
    z, n = 16, 2 ** 16
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    a = srv.get("/collections/sites/map/tiles/WebMercatorQuad/%d/%d/%d" % (z, y, x)).body
    b = srv.get("/collections/sites/map/tiles/GCJ02WebMercatorQuad/%d/%d/%d" % (z, y, x)).body
    assert a != b


def test_conformance_declares_tiles():
    c = set(srv.get("/conformance").json()["conformsTo"])
    for cls in ("core", "tileset", "tilesets-list", "geodata-tilesets", "png"):
        assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/" + cls in c, cls
    assert "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset" in c
    landing = srv.get("/?f=json").json()
    assert link(landing, "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes").endswith("/tileMatrixSets")


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_tile_matrix_sets, test_tilesets_list, test_tiles_are_the_xyz_tiles,
                     test_conformance_declares_tiles)
    sys.exit(status)

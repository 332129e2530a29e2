"""/collections/sites/items and /items/{id}: paging, filters, CRS, coordsys."""
import urllib.parse

from harness import *

srv = None
ROWS = {r["id"]: r for r in bundled_sites()}
ITEMS = "/collections/sites/items"


def q(**params):
    return ITEMS + "?" + urllib.parse.urlencode(params)


def ids(doc):
    return [f["id"] for f in doc["features"]]


def test_default_page():
    r = srv.get(ITEMS)
    assert r.status == 200 and r.header("content-type") == "application/geo+json", r
    assert r.header("content-crs") == "<%s>" % CRS84
    doc = r.json()
    assert doc["type"] == "FeatureCollection"
    assert doc["numberMatched"] == 25 and doc["numberReturned"] == 10 == len(doc["features"])
    assert doc["timeStamp"].endswith("Z")
    assert ids(doc) == sorted(ROWS)[:10]


def test_paging_reaches_every_site_once():
    seen = []
    url = srv.base + ITEMS + "?limit=7"
    pages = 0
    while url:
        doc = srv.get_url(url).json()
        assert doc["numberMatched"] == 25
        assert doc["numberReturned"] == len(doc["features"]) <= 7
        seen += ids(doc)
        links = {l["rel"]: l["href"] for l in doc["links"]}
        assert links["self"].startswith(srv.base + ITEMS)
        if pages > 0:
            assert "prev" in links, links
        url = links.get("next")
        pages += 1
        assert pages < 10
    assert pages == 4, pages
    assert sorted(seen) == sorted(ROWS) and len(seen) == len(set(seen)) == 25


def test_feature_properties():
    doc = srv.get(q(limit=1000)).json()
    assert doc["numberReturned"] == 25
    for f in doc["features"]:
        row = ROWS[f["id"]]
        p = f["properties"]
        for k in ("id", "name_zh", "name_en", "category", "county", "town", "address", "description",
                  "opening_hours", "coord_source", "confidence", "source_url"):
            # a missing attribute is null, not ""
            assert p[k] == (row[k] or None), (f["id"], k, p[k], row[k])
        lon, lat = f["geometry"]["coordinates"]
        assert f["geometry"]["type"] == "Point"
        assert abs(lat - float(row["lat"])) < 5e-7 and abs(lon - float(row["lon"])) < 5e-7, f["id"]
    # Limits above 1000 are clamped, not refused (OGC API - Features Part 1).
    assert srv.get(q(limit=5000)).json()["numberReturned"] == 25


def test_offset_and_links():
    doc = srv.get(q(limit=5, offset=20)).json()
    assert ids(doc) == sorted(ROWS)[20:25]
    links = {l["rel"]: l["href"] for l in doc["links"]}
    assert "next" not in links
    prev = srv.get_url(links["prev"]).json()
    assert ids(prev) == sorted(ROWS)[15:20]
    doc = srv.get(q(limit=5, offset=30)).json()
    assert doc["numberReturned"] == 0 and doc["numberMatched"] == 25


def test_category():
    want = sorted(i for i, r in ROWS.items() if r["category"] == "museum")
    doc = srv.get(q(category="museum")).json()
    assert ids(doc) == want and doc["numberMatched"] == len(want) > 0
    both = sorted(i for i, r in ROWS.items() if r["category"] in ("museum", "martyrs_cemetery"))
    doc = srv.get(q(category="museum,martyrs_cemetery", limit=100)).json()
    assert ids(doc) == both
    # a name that is no category selects nothing: a typo in a filter is no error
    for typo in ("castle", "Museum", "museum_hall"):
        doc = srv.get(q(category=typo)).json()
        assert doc["numberMatched"] == 0 and doc["features"] == [], doc
    doc = srv.get(q(category="castle,museum", limit=100)).json()
    assert ids(doc) == want
    check_problem(srv.get(q(category="museum,")), 400, "category")


def test_q():
    want = sorted(i for i, r in ROWS.items() if "纪念馆" in r["name_zh"] or "纪念馆" in r["name_en"])
    doc = srv.get(q(q="纪念馆", limit=100)).json()
    assert ids(doc) == want and want, (ids(doc), want)
    want = sorted(i for i, r in ROWS.items() if "memorial" in r["name_zh"].lower() or "memorial" in r["name_en"].lower())
    doc = srv.get(q(q="MEMORIAL", limit=100)).json()
    assert ids(doc) == want and want
    # q and category together, with a page count.
    doc = srv.get(q(q="memorial", category="memorial_hall", limit=1)).json()
    both = [i for i in want if ROWS[i]["category"] == "memorial_hall"]
    assert doc["numberMatched"] == len(both) and ids(doc) == both[:1]
    check_problem(srv.get(ITEMS + "?q=%FF%FE"), 400, "q")


def inside(r, w, s, e, n):
    return w <= float(r["lon"]) <= e and s <= float(r["lat"]) <= n


def test_bbox():
    box = (99.0, 39.0, 100.5, 40.0)  # Gaotai county
    want = sorted(i for i, r in ROWS.items() if inside(r, *box))
    doc = srv.get(q(bbox="%g,%g,%g,%g" % box, limit=100)).json()
    assert ids(doc) == want and 0 < len(want) < 25
    # The same box in EPSG:4326 axis order (lat, lon) through bbox-crs.
    doc = srv.get(q(bbox="39,99,40,100.5", **{"bbox-crs": EPSG4326}, limit=100)).json()
    assert ids(doc) == want
    # Read as CRS84 (lon, lat) its latitudes 99..100.5 do not exist.
    check_problem(srv.get(q(bbox="39,99,40,100.5")), 400, "bbox")
    # A box in the right place but swapped axes finds nothing.
    assert srv.get(q(bbox="39,99,40,100.5", **{"bbox-crs": CRS84}, limit=100)).status == 400
    assert srv.get(q(bbox="40,39,41,40", limit=100)).json()["numberMatched"] == 0
    for bad in ("1,2,3", "1,2,3,4,5", "a,b,c,d", "nan,36,119,37", "118,36,119,inf", "118,37,119,36",
                "118,36,119,95", ""):
        check_problem(srv.get(q(bbox=bad)), 400, "bbox")
    check_problem(srv.get(q(bbox="1,2,3,4", **{"bbox-crs": "EPSG:3857"})), 400, "bbox-crs")


def test_crs():
    one = "zb-heitieshan-memorial"
    for crs in (EPSG4326, EPSG4490):
        r = srv.get(q(crs=crs, limit=100))
        assert r.header("content-crs") == "<%s>" % crs
        f = [f for f in r.json()["features"] if f["id"] == one][0]
        assert f["geometry"]["coordinates"] == [36.849547, 118.160735], f["geometry"]
        r = srv.get("%s/%s?crs=%s" % (ITEMS, one, urllib.parse.quote(crs, safe="")))
        assert r.json()["geometry"]["coordinates"] == [36.849547, 118.160735]
    r = srv.get(q(crs=CRS84))
    assert r.header("content-crs") == "<%s>" % CRS84
    check_problem(srv.get(q(crs="http://www.opengis.net/def/crs/EPSG/0/3857")), 400, "crs")


def test_item():
    one = "zb-heitieshan-memorial"
    r = srv.get("%s/%s" % (ITEMS, one))
    assert r.status == 200 and r.header("content-type") == "application/geo+json", r
    assert r.header("content-crs") == "<%s>" % CRS84
    f = r.json()
    assert f["type"] == "Feature" and f["id"] == one
    assert f["geometry"]["coordinates"] == [118.160735, 36.849547]
    assert f["properties"]["name_zh"] == ROWS[one]["name_zh"]
    links = {l["rel"]: l["href"] for l in f["links"]}
    assert links["self"] == srv.base + ITEMS + "/" + one
    assert links["collection"] == srv.base + "/collections/sites"
    check_problem(srv.get(ITEMS + "/no-such-site"), 404, "no-such-site")
    check_problem(srv.get(ITEMS + "/" + one + "?limit=3"), 400, "limit")


def test_coordsys_round_trip():
    one = "zb-heitieshan-memorial"
    lat, lon = float(ROWS[one]["lat"]), float(ROWS[one]["lon"])
    glat, glon = wgs84_to_gcj02(lat, lon)
    f = srv.get("%s/%s?coordsys=gcj02" % (ITEMS, one)).json()
    clon, clat = f["geometry"]["coordinates"]
    assert abs(clat - glat) < 2e-6 and abs(clon - glon) < 2e-6, (clat, clon, glat, glon)
    # The CSV's provenance says the source gave GCJ-02 36.85007, 118.16673.
    assert abs(clat - 36.85007) < 2e-5 and abs(clon - 118.16673) < 2e-5
    # A GCJ-02 box drawn tightly around the GCJ-02 point finds the three
    # coincident Heitieshan sites; the same box taken as WGS-84 finds none.
    box = "%.6f,%.6f,%.6f,%.6f" % (glon - 1e-4, glat - 1e-4, glon + 1e-4, glat + 1e-4)
    doc = srv.get(q(bbox=box, coordsys="gcj02")).json()
    assert ids(doc) == sorted(i for i, r in ROWS.items() if (r["lat"], r["lon"]) == (ROWS[one]["lat"], ROWS[one]["lon"]))
    assert len(ids(doc)) == 3
    for ft in doc["features"]:
        assert ft["geometry"]["coordinates"] == [clon, clat]
    assert srv.get(q(bbox=box)).json()["numberMatched"] == 0
    check_problem(srv.get(q(coordsys="mars")), 400, "coordsys")


def test_bad_parameters():
    for params, name in ((dict(limit=0), "limit"), (dict(limit=-1), "limit"), (dict(limit="ten"), "limit"),
                         (dict(offset=-5), "offset"), (dict(offset="1.5"), "offset"),
                         (dict(foo="bar"), "foo"), (dict(f="xml"), "f")):
        check_problem(srv.get(q(**params)), 400, name)
    check_problem(srv.get(ITEMS + "?limit=2&limit=3"), 400, "limit")


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_default_page, test_paging_reaches_every_site_once, test_feature_properties,
                     test_offset_and_links, test_category, test_q, test_bbox, test_crs, test_item,
                     test_coordsys_round_trip, test_bad_parameters)
    sys.exit(status)

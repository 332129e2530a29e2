"""OWSLib, the OGC client library of Python notebooks (Debian's
python3-owslib), with its default headers: it sends Accept: */* and
drops f=json from URLs, so it works only if JSON is the answer to a
client that prefers nothing.  It reads the landing page, the conformance
declaration, the collections and the queryables, and items with bbox,
a CQL2 filter and sortby, each compared with the data."""
import urllib.parse

from harness import *

from owslib.ogcapi.features import Features

srv = None
ROWS = {r["id"]: r for r in bundled_sites()}


def client():
    # a fresh client with OWSLib's own headers (its module-level dict is shared)
    return Features(srv.base)


def test_landing_and_conformance():
    w = client()
    assert any(l["rel"] == "conformance" for l in w.links), w.links
    classes = w.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in classes
    assert w.api()["openapi"].startswith("3.0")


def test_collections():
    w = client()
    assert w.feature_collections() == ["sites"]
    c = w.collection("sites")
    assert c["id"] == "sites" and c["itemType"] == "feature"
    q = w.collection_queryables("sites")
    assert "category" in q["properties"] and "geometry" in q["properties"]


def test_items_bbox_filter_sortby():
    w = client()
    doc = w.collection_items("sites", bbox=[118, 36.5, 118.5, 37], filter="category IN ('museum', 'memorial_hall')",
                             sortby="-name_zh", limit=100)
    want = sorted((r for r in ROWS.values() if 118 <= float(r["lon"]) <= 118.5 and 36.5 <= float(r["lat"]) <= 37
                   and r["category"] in ("museum", "memorial_hall")),
                  key=lambda r: r["name_zh"].encode("utf-8"), reverse=True)
    assert [f["id"] for f in doc["features"]] == [r["id"] for r in want] and want, doc["numberMatched"]
    assert doc["numberMatched"] == len(want)
    # the request carried the filter and the sort, as OWSLib encodes them
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(w.request).query)
    assert q["filter"] == ["category IN ('museum', 'memorial_hall')"] and q["sortby"] == ["-name_zh"], q
    one = w.collection_item("sites", "zb-heitieshan-memorial")
    assert one["properties"]["name_zh"] == ROWS["zb-heitieshan-memorial"]["name_zh"]


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_landing_and_conformance, test_collections, test_items_bbox_filter_sortby)
    sys.exit(status)

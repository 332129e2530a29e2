"""What planners download: the items as CSV (f=csv) and the whole
collection as a GeoPackage.

The CSV is `mapsvc export`'s, page by page: UTF-8 with a byte order mark
(so that Excel reads the Chinese right), the export's columns, its rows
for the same sites (compared with `mapsvc export` run on the same
database, read with Python's csv module), filters and sortby applied,
the neighbouring pages in Link headers.  The GeoPackage is linked from
the collection (rel enclosure), cached per data version (the same bytes
and a weak ETag that answers 304), and GDAL's ogrinfo opens it: 25 Points
in WGS 84 with the data model's columns, NULL where the data have
nothing."""
import csv
import shutil
import io
import re
import subprocess
import urllib.parse

from harness import *

srv = None
ROWS = {r["id"]: r for r in bundled_sites()}
ITEMS = "/collections/sites/items"
BOM = b"\xef\xbb\xbf"
TMP = tempfile.mkdtemp(prefix="mapsvc-downloads-")


def export_rows():
    """`mapsvc export`'s CSV of the served database, by id."""
    r = subprocess.run([MAPSVC, "export", "--db", BUNDLED_DB, "--format", "csv"], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout.decode("utf-8"), newline="")))
    return rows[0], {row[0]: row for row in rows[1:]}


def read_csv(r):
    assert r.status == 200, r
    assert r.header("content-type") == "text/csv; charset=utf-8; header=present", r.headers
    assert r.body.startswith(BOM), r.body[:10]
    text = r.body[len(BOM):].decode("utf-8")
    assert "\r\n" in text and not re.search(r"[^\r]\n", text)  # CRLF, as the export
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def test_csv_is_the_export():
    header, by_id = export_rows()
    got_header, rows = read_csv(srv.get(ITEMS + "?f=csv&limit=1000"))
    assert got_header == header, (got_header, header)
    assert [row[0] for row in rows] == sorted(ROWS)
    for row in rows:
        assert row == by_id[row[0]], (row, by_id[row[0]])
    r = srv.get(ITEMS + "?f=csv")
    assert "attachment" in r.header("content-disposition") and ".csv" in r.header("content-disposition")


def test_csv_pages_filters_and_order():
    _, by_id = export_rows()
    q = {"f": "csv", "limit": 4, "filter": "category IN ('museum', 'memorial_hall')", "sortby": "-name_zh"}
    want = [r["id"] for r in sorted(ROWS.values(), key=lambda r: r["name_zh"].encode(), reverse=True)
            if r["category"] in ("museum", "memorial_hall")]
    seen = []
    url = ITEMS + "?" + urllib.parse.urlencode(q)
    for _ in range(10):
        r = srv.get(url)
        _, rows = read_csv(r)
        seen += [row[0] for row in rows]
        for row in rows:
            assert row == by_id[row[0]]
        link = r.header("link")
        if not link or 'rel="next"' not in link:
            break
        nxt = [l for l in link.split(", <") if 'rel="next"' in l][0]
        url = nxt.split(">")[0].lstrip("<")
        url = urllib.parse.urlsplit(url)
        url = url.path + "?" + url.query
    assert seen == want, (seen, want)
    check_problem(srv.get(ITEMS + "?f=csv&coordsys=gcj02"), 400, "coordsys")
    # a CSV of nothing is a header alone
    header, rows = read_csv(srv.get(ITEMS + "?f=csv&category=castle"))
    assert header[0] == "id" and rows == []


def gpkg_url():
    doc = srv.get("/collections/sites").json()
    enclosure = [l for l in doc["links"] if l["rel"] == "enclosure"]
    assert len(enclosure) == 1 and enclosure[0]["type"] == "application/geopackage+sqlite3", doc["links"]
    return enclosure[0]["href"]


def ogrinfo(*args):
    out = subprocess.run(["ogrinfo"] + list(args), capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out.stdout.decode("utf-8")


def test_geopackage():
    url = gpkg_url()
    r = srv.get_url(url)
    assert r.status == 200 and r.header("content-type") == "application/geopackage+sqlite3", r
    assert r.body.startswith(b"SQLite format 3\x00")
    assert 'filename="sites-' in r.header("content-disposition")
    etag = r.header("etag")
    assert etag.startswith('W/"'), etag
    # kept per data version: the same bytes, and the ETag validates
    again = srv.get_url(url)
    assert again.body == r.body and again.header("etag") == etag
    assert srv.get_url(url, headers={"If-None-Match": etag}).status == 304
    path = os.path.join(TMP, "sites.gpkg")
    with open(path, "wb") as f:
        f.write(r.body)
    text = ogrinfo("-so", path, "sites")
    assert "using driver `GPKG'" in ogrinfo(path) and "1: sites (Point)" in ogrinfo(path)
    assert "Feature Count: 25" in text, text
    assert 'GEOGCRS["WGS 84"' in text or "WGS 84" in text, text
    for col in ("id: String", "name_zh: String", "category: String", "position_quality: String",
                "position_uncertainty_m: Real", "extra: String"):
        assert col in text, (col, text)
    assert "lat:" not in text and "lon:" not in text  # the geometry holds the position
    one = ogrinfo("-q", path, "-where", "id = 'zb-heitieshan-memorial'", "sites")
    row = ROWS["zb-heitieshan-memorial"]
    assert row["name_zh"] in one and "POINT (118.160735 36.849547)" in one, one
    # nothing is '' where the data have nothing: NULL
    empty = ogrinfo("-q", path, "-sql", "SELECT count(*) AS n FROM sites WHERE town = ''")
    assert "n (Integer) = 0" in empty, empty
    nulls = ogrinfo("-q", path, "-sql", "SELECT count(*) AS n FROM sites WHERE town IS NULL")
    want = sum(1 for r in ROWS.values() if r["town"] == "")
    assert "n (Integer) = %d" % want in nulls, nulls
    # the spatial index works: a box around Gaotai
    box = ogrinfo("-q", path, "sites", "-spat", "99", "39", "100.5", "40")
    assert box.count("OGRFeature(sites)") == sum(1 for r in ROWS.values() if 99 <= float(r["lon"]) <= 100.5 and
                                                 39 <= float(r["lat"]) <= 40) > 0, box


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_csv_is_the_export, test_csv_pages_filters_and_order, test_geopackage)
    shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)

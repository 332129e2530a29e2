"""`mapsvc export` end to end: the files `mapsvc import` reads back into the
same database.  For CSV and GeoJSON, the awkward fixtures of
tests/data/export go import -> export -> import -> export and the two
exports are the same bytes; the bundled database exported as CSV is
data/sites.csv's rows (read with Python's csv module, an independent
parser) in id order, as RFC 4180 with CRLF; the GeoJSON is RFC 7946 that
json and GDAL read; a served export's items equal the original's; usage
errors exit 2, runtime failures 1, and a failed export writes no file."""
import csv
import io
import shutil
import subprocess

from harness import *

TMP = tempfile.mkdtemp(prefix="mapsvc-export-")
COLUMNS = ["id", "name_zh", "name_en", "category", "county", "town", "address", "description",
           "opening_hours", "opening_hours_text", "lat", "lon", "coord_source", "confidence", "position_quality",
           "position_uncertainty_m", "source_url"]


def mapsvc(*args):
    return subprocess.run([MAPSVC] + list(args), capture_output=True, timeout=120)


def export(db, fmt, out=None):
    args = ["export", "--db", db, "--format", fmt] + (["-o", out] if out else [])
    r = mapsvc(*args)
    assert r.returncode == 0, (args, r.stderr)
    if out:
        with open(out, "rb") as f:
            return f.read()
    return r.stdout


def import_file(db, path):
    r = mapsvc("import", "--replace", "--db", db, path)
    assert r.returncode == 0, (path, r.stderr)


def round_trip(fixture, ext):
    db1, db2 = os.path.join(TMP, "one.sqlite"), os.path.join(TMP, "two.sqlite")
    first, second = os.path.join(TMP, "first." + ext), os.path.join(TMP, "second." + ext)
    import_file(db1, fixture)
    a = export(db1, {"csv": "csv", "geojson": "geojson"}[ext], first)
    import_file(db2, first)
    b = export(db2, {"csv": "csv", "geojson": "geojson"}[ext], second)
    assert a == b, "the second export differs from the first"
    # standard output is the same bytes as -o
    assert export(db2, {"csv": "csv", "geojson": "geojson"}[ext]) == b
    return db1, db2, a


def test_csv_round_trip():
    db1, db2, text = round_trip(os.path.join(SOURCE, "tests", "data", "export", "awkward.csv"), "csv")
    assert not text.startswith(b"\xef\xbb\xbf") and text.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(text.decode("utf-8"), newline="")))
    assert rows[0] == COLUMNS + ["empty", "meta", "note, with comma"], rows[0]
    by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert [r[0] for r in rows[1:]] == sorted(by_id)
    one = by_id["aw-1"]
    assert one["name_zh"] == '甲 "引号", 逗号' and one["description"] == "line one\r\nline two\nline three"
    assert one["meta"] == '{"k":[1,2,{"x":null}],"s":"引\\"号"}' and one["note, with comma"] == "a,b"
    assert float(one["lat"]) == 36.123456789012345 and one["position_uncertainty_m"] == "1234.5"
    assert by_id["aw-3"]["name_en"] == "  spaced  " and by_id["aw-3"]["note, with comma"] == '""'
    # every record ends in CRLF (the embedded LF and CRLF are inside quotes)
    assert text.count(b"\r\n") == len(rows) + 1
    check_same_items(db1, db2)


def test_geojson_round_trip():
    db1, db2, text = round_trip(os.path.join(SOURCE, "tests", "data", "export", "awkward.geojson"), "geojson")
    doc = json.loads(text)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 3
    f = {x["id"]: x for x in doc["features"]}
    assert f["42"]["properties"]["nested"] == {"b": [1, 2.5, -3e-7, True, False, None], "a": {"z": "深", "y": {}}}
    assert f["42"]["geometry"]["coordinates"] == [99.82686312345678, 39.37937912345678]
    assert f["gt-a"]["properties"]["name_zh"] == "丁é😀"
    check_same_items(db1, db2)


def check_same_items(db1, db2):
    """Two databases serve the same items, property for property."""
    with Server(db=db1) as a, Server(db=db2) as b:
        fa = a.get("/collections/sites/items?limit=1000").json()["features"]
        fb = b.get("/collections/sites/items?limit=1000").json()["features"]
    assert fa and fa == fb


def test_bundled_csv_is_the_source():
    text = export(BUNDLED_DB, "csv")
    got = list(csv.DictReader(io.StringIO(text.decode("utf-8"), newline="")))
    assert list(got[0]) == COLUMNS
    want = sorted(bundled_sites(), key=lambda r: r["id"])
    assert [r["id"] for r in got] == [r["id"] for r in want]
    for g, w in zip(got, want):
        for k in COLUMNS:
            if k in ("lat", "lon", "position_uncertainty_m"):
                assert float(g[k]) == float(w[k]), (g["id"], k, g[k], w[k])
            else:
                assert g[k] == w[k], (g["id"], k, g[k], w[k])


def test_bundled_geojson_for_gis():
    path = os.path.join(TMP, "sites.geojson")
    doc = json.loads(export(BUNDLED_DB, "geojson", path))
    rows = {r["id"]: r for r in bundled_sites()}
    assert len(doc["features"]) == 25
    for f in doc["features"]:
        p, r = f["properties"], rows[f["id"]]
        assert p["id"] == f["id"] and f["geometry"]["type"] == "Point"
        assert f["geometry"]["coordinates"] == [float(r["lon"]), float(r["lat"])]
        assert p["position_quality"] == r["position_quality"]
        assert "lat" not in p and "lon" not in p
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo:
        out = subprocess.run([ogrinfo, "-ro", "-so", path, "sites"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and "Feature Count: 25" in out.stdout, out
        assert "position_uncertainty_m: Integer" in out.stdout or "position_uncertainty_m: Real" in out.stdout, \
            out.stdout


def test_errors():
    out = os.path.join(TMP, "never.csv")
    for args, word in ((["export"], "--format"), (["export", "--format", "xml"], "xml"),
                       (["export", "--format", "csv", "--bogus"], "--bogus"),
                       (["export", "--format", "csv", "extra"], "extra"),
                       (["export", "--format"], "--format")):
        r = mapsvc(*args)
        assert r.returncode == 2 and word.encode() in r.stderr, (args, r)
    r = mapsvc("export", "--db", os.path.join(TMP, "missing.sqlite"), "--format", "csv", "-o", out)
    assert r.returncode == 1 and b"missing.sqlite" in r.stderr, r
    assert not os.path.exists(out)
    # a database whose extras CSV cannot carry: refused, naming the site, no file
    db = os.path.join(TMP, "empty-key.sqlite")
    gj = os.path.join(TMP, "empty-key.geojson")
    with open(gj, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "id": "k", "geometry": {
            "type": "Point", "coordinates": [118, 36]}, "properties": {"name_zh": "甲", "category": "museum",
                                                                        "": 1}}]}, f)
    import_file(db, gj)
    r = mapsvc("export", "--db", db, "--format", "csv", "-o", out)
    assert r.returncode == 1 and b"site 'k'" in r.stderr, r
    assert not os.path.exists(out)
    assert json.loads(export(db, "geojson"))["features"][0]["properties"][""] == 1
    r = mapsvc("export", "--help")
    assert r.returncode == 0 and b"--format" in r.stdout
    assert b"export" in mapsvc("--help").stdout


if __name__ == "__main__":
    try:
        status = run(test_csv_round_trip, test_geojson_round_trip, test_bundled_csv_is_the_source,
                     test_bundled_geojson_for_gis, test_errors)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)

"""Positions are honest over HTTP: every GeoJSON answer (items, one item,
/nearest, in every CRS and coordsys) carries position_quality and
position_uncertainty_m as data/sites.csv states them, and the queryables
list both; a database written before the columns existed is served with
the values derived from `confidence`.  And the route sheet of issue 12's
Gaotai visit (memorial, locust tree, Red Army camp, red-memory museum, all
on one recorded point), from /route and `mapsvc route` in JSON, HTML, PDF
(read back with pdftotext) and GPX (read back with gpsbabel): the legs
between them say "same place", with no bearing and no time."""
import html
import re
import shutil
import sqlite3
import subprocess
import urllib.parse

from harness import *

srv = None
ROWS = {r["id"]: r for r in bundled_sites()}
QUALITIES = ["surveyed", "street", "village", "town", "county", "unknown"]


def check_position(f):
    row = ROWS[f["id"]]
    p = f["properties"]
    assert p["position_quality"] == row["position_quality"], (f["id"], p["position_quality"])
    assert p["position_uncertainty_m"] == float(row["position_uncertainty_m"]), (f["id"], p)
    # in data/sites.csv's column order: after confidence, before source_url
    keys = list(p)
    assert keys.index("confidence") + 1 == keys.index("position_quality"), keys
    assert keys.index("position_uncertainty_m") + 1 == keys.index("source_url"), keys


def test_items():
    for extra in ({}, {"crs": EPSG4326}, {"coordsys": "gcj02"}, {"category": "museum"}):
        doc = srv.get("/collections/sites/items?" + urllib.parse.urlencode(dict(limit=1000, **extra))).json()
        assert doc["features"], extra
        for f in doc["features"]:
            check_position(f)
    assert doc["numberReturned"] < 25  # the category filter did filter


def test_one_item():
    for i in ("zb-heitieshan-memorial", "gt-red-memory-museum", "gt-red-army-locust"):
        r = srv.get("/collections/sites/items/" + i)
        assert r.status == 200, r
        check_position(r.json())
    p = srv.get("/collections/sites/items/gt-red-memory-museum").json()["properties"]
    assert (p["position_quality"], p["position_uncertainty_m"]) == ("county", 40000)


def test_nearest():
    doc = srv.get("/nearest?lat=39.38&lon=99.83&limit=20").json()
    assert doc["numberReturned"] == 20
    for f in doc["features"]:
        check_position(f)
        assert "distance_m" in f["properties"]


def test_queryables():
    doc = srv.get("/collections/sites/queryables").json()
    q = doc["properties"]["position_quality"]
    assert q["type"] == "string" and q["enum"] == QUALITIES, q
    u = doc["properties"]["position_uncertainty_m"]
    assert u["type"] == "number" and u["exclusiveMinimum"] == 0 and u["maximum"] == 20000000, u
    assert u["unit"] == "m" and u["description"]
    # every bundled value is one the schema allows
    for row in ROWS.values():
        assert row["position_quality"] in q["enum"]
        assert 0 < float(row["position_uncertainty_m"]) <= u["maximum"]


def test_legacy_database():
    """The bundled database with the two columns taken away is what an
    earlier version wrote: served read-only, as derived from confidence."""
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "old.sqlite")
        shutil.copy(BUNDLED_DB, db)
        con = sqlite3.connect(db)
        con.execute("ALTER TABLE sites DROP COLUMN position_uncertainty_m")
        con.execute("ALTER TABLE sites DROP COLUMN position_quality")
        con.commit()
        con.close()
        with Server(db=db) as old:
            doc = old.get("/collections/sites/items?limit=1000").json()
            assert doc["numberReturned"] == 25
            for f in doc["features"]:
                p = f["properties"]
                want = {"exact": ("street", 200), "approximate": ("unknown", 50000)}[ROWS[f["id"]]["confidence"]]
                assert (p["position_quality"], p["position_uncertainty_m"]) == want, (f["id"], p)
        con = sqlite3.connect(db)
        cols = [r[1] for r in con.execute("PRAGMA table_info(sites)")]
        con.close()
        assert "position_quality" not in cols  # serve never writes


GAOTAI = ["gt-west-route-memorial", "gt-red-army-locust", "gt-red-army-camp", "gt-red-memory-museum"]
START = (39.37, 99.80)  # in the county seat, 2.5 km from the recorded point
QUERY = "from=%s,%s&sites=%s&mode=drive" % (START[0], START[1], ",".join(GAOTAI))
BEARING = re.compile(r"°|\b(N|NE|E|SE|S|SW|W|NW)\b|[东南西北]|\bmin\b")


def radius(i):
    return float(ROWS[i]["position_uncertainty_m"])


def check_gaotai_json(doc):
    stops = doc["features"][1:]
    ids = [f["id"] for f in stops]
    assert sorted(ids) == sorted(GAOTAI), ids
    first = stops[0]["properties"]
    dist = vincenty_inverse(*START, float(ROWS[ids[0]]["lat"]), float(ROWS[ids[0]]["lon"]))[0]
    assert first["leg_quality"] == ("unverified" if dist < radius(ids[0]) else "ok"), first
    assert [f["properties"]["leg_quality"] for f in stops[1:]] == ["same_place"] * 3
    bound = radius(ids[0])
    for prev, f in zip(ids, stops[1:]):
        p = f["properties"]
        assert p["leg_distance_m"] == 0 and p["leg_uncertainty_m"] == radius(prev) + radius(f["id"]), p
        for k in ("leg_time_min", "bearing_deg", "bearing", "bearing_zh", "bearing_en"):
            assert p[k] is None, (f["id"], k, p[k])
        assert p["leg_note_zh"].startswith("同一地点") and p["leg_note_en"].startswith("same place"), p
        bound += p["leg_uncertainty_m"]
    for f in stops:
        p = f["properties"]
        assert (p["position_quality"], p["position_uncertainty_m"]) == (ROWS[f["id"]]["position_quality"],
                                                                         radius(f["id"]))
        assert p["approximate"] is True
    props = doc["features"][0]["properties"]
    assert props["approximate_stops"] == 4 and props["total_uncertainty_m"] == bound, props
    assert "4 站位置为近似" in props["uncertainty_note_zh"], props


def check_gaotai_html(page):
    rows = re.findall(r'<tr class="stop leg-([a-z_]+)"[^>]*>(.*?)</tr>', page, re.S)
    assert [q for q, _ in rows][1:] == ["same_place"] * 3, [q for q, _ in rows]
    for q, row in rows[1:]:
        # the leg's cell holds the note instead of distance, bearing and time
        leg = re.search(r'<td class="leg flag">(.*?)</td>', row, re.S)
        assert leg, row
        flag = re.sub(r"<[^>]+>", " ", leg.group(1))
        assert flag.startswith("同一地点") and "same place" in flag, flag
        assert not BEARING.search(flag), flag
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "位置为近似（约 ±1 km）" in text and "approximate position (±40 km)" in text
    assert "≈ " + ROWS["gt-red-memory-museum"]["name_zh"] in text, text
    assert "4 站中有 4 站位置为近似" in text and "4 of 4 stops have approximate positions" in text, text


def pdf_text(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.decode("utf-8")


def check_gaotai_pdf(data):
    text = pdf_text(data)
    lines = [l for l in text.splitlines() if "同一地点" in l]
    assert len(lines) == 3, text
    for l in lines:
        # the leg column: the note, not a bearing or a time
        leg = l[l.index("同一地点"):]
        assert "°" not in leg and " min" not in leg, l
    assert "4 站中有 4 站位置为近似" in text and "approximate position (±2.5 km)" in text, text


def check_gaotai_gpx(data):
    text = data.decode("utf-8")
    assert text.count("<type>same_place</type>") == 6, text  # three wpts, three rtepts
    assert 'xmlns:mapsvc="urn:mapsvc:gpx:1"' in text
    assert text.count('<mapsvc:leg quality="same_place" distance_m="0.0"') == 6
    assert '<mapsvc:position quality="county" uncertainty_m="40000.0"/>' in text
    with tempfile.NamedTemporaryFile(suffix=".gpx") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["gpsbabel", "-i", "gpx", "-f", f.name, "-o", "csv", "-F", "-"], capture_output=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        assert len([l for l in out.stdout.decode().splitlines() if l.strip()]) == 4 + 5


def test_gaotai_route_http():
    r = srv.get("/route?" + QUERY)
    assert r.status == 200, r
    check_gaotai_json(r.json())
    r = srv.get("/route?" + QUERY + "&format=html")
    assert r.status == 200, r
    check_gaotai_html(r.body.decode("utf-8"))
    r = srv.get("/route?" + QUERY + "&format=pdf")
    assert r.status == 200 and r.body.startswith(b"%PDF-"), r
    check_gaotai_pdf(r.body)
    r = srv.get("/route?" + QUERY + "&format=gpx")
    assert r.status == 200, r
    check_gaotai_gpx(r.body)


def test_gaotai_route_cli():
    args = ["route", "--db", BUNDLED_DB, "--from", "%s,%s" % START, "--sites", ",".join(GAOTAI), "--mode", "drive"]
    with tempfile.TemporaryDirectory() as d:
        for fmt, check in (("json", lambda b: check_gaotai_json(json.loads(b))),
                           ("html", lambda b: check_gaotai_html(b.decode("utf-8"))),
                           ("pdf", check_gaotai_pdf), ("gpx", check_gaotai_gpx)):
            path = os.path.join(d, "sheet." + fmt)
            out = subprocess.run([MAPSVC] + args + ["--format", fmt, "-o", path], capture_output=True, timeout=120)
            assert out.returncode == 0, out.stderr
            with open(path, "rb") as f:
                check(f.read())


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_items, test_one_item, test_nearest, test_queryables, test_legacy_database,
                     test_gaotai_route_http, test_gaotai_route_cli)
    sys.exit(status)

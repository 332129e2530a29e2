"""GET /route end to end, every format: the GeoJSON's fields and order
(the nearest sites, legs against Vincenty, the order against brute force),
GPX read back by gpsbabel in visiting order, the HTML sheet listing the
stops in order with a map image that loads and shows the numbered markers
at their pixels, the PDF's text (pdftotext) naming every stop in order;
and the 400s.  Also `mapsvc route` writing the same sheets to files."""
import base64
import html
import itertools
import re
import subprocess
import tempfile

import test_staticmap as sm
from harness import *

srv = None
FROM = (36.85, 118.10)
SITES = {r["id"]: r for r in bundled_sites()}


def nearest_ids(lat, lon, k):
    d = sorted((vincenty_inverse(lat, lon, float(r["lat"]), float(r["lon"]))[0], i) for i, r in SITES.items())
    return [i for _, i in d[:k]]


def stop_points(ids):
    return [(float(SITES[i]["lat"]), float(SITES[i]["lon"])) for i in ids]


def tour_length(start, pts, round_trip):
    seq = [start] + pts + ([start] if round_trip else [])
    return sum(vincenty_inverse(*a, *b)[0] for a, b in zip(seq, seq[1:]))


def get_json(query):
    r = srv.get("/route?" + query)
    assert r.status == 200, r
    assert r.header("content-type") == "application/geo+json", r
    return r.json()


def stop_ids(doc):
    return [f["id"] for f in doc["features"][1:]]


def test_json_nearest():
    doc = get_json("from=%s,%s&nearest=6" % FROM)
    assert doc["type"] == "FeatureCollection"
    line, stops = doc["features"][0], doc["features"][1:]
    assert line["geometry"]["type"] == "LineString" and len(stops) == 6
    ids = stop_ids(doc)
    assert sorted(ids) == sorted(nearest_ids(*FROM, 6)), ids
    assert [f["properties"]["seq"] for f in stops] == list(range(1, 7))
    pts = stop_points(ids)
    coords = line["geometry"]["coordinates"]
    assert len(coords) == 7
    for (lon, lat), want in zip(coords, [FROM] + pts):
        assert abs(lat - want[0]) < 1e-6 and abs(lon - want[1]) < 1e-6, (lat, lon, want)
    prev, prev_r = FROM, 0.0
    for f, p in zip(stops, pts):
        pr = f["properties"]
        assert pr["id"] == f["id"] and pr["name_zh"] == SITES[f["id"]]["name_zh"]
        assert f["geometry"]["coordinates"] == [round(p[1], 6), round(p[0], 6)] or \
            max(abs(a - b) for a, b in zip(f["geometry"]["coordinates"], (p[1], p[0]))) < 1e-6
        dist, azi = vincenty_inverse(*prev, *p)
        r = float(SITES[f["id"]]["position_uncertainty_m"])
        assert abs(pr["leg_distance_m"] - dist) < 1.0, (pr["leg_distance_m"], dist)
        # The three Heitieshan rows share one point: those legs are "same
        # place", with no time or bearing (the honesty rule of route.h).
        want = "same_place" if dist < 0.1 else "unverified" if dist < prev_r + r else "ok"
        assert pr["leg_quality"] == want, (f["id"], pr, want)
        if want == "ok":
            # walking: 4.5 km/h times a detour factor of 1.3
            assert abs(pr["leg_time_min"] - dist * 1.3 / 4500 * 60) < 0.11, pr
            if dist > 1:
                assert abs((pr["bearing_deg"] - azi + 180) % 360 - 180) < 0.6, (pr["bearing_deg"], azi)
        else:
            assert pr["leg_time_min"] is None and pr["bearing_deg"] is None and pr["bearing"] is None, pr
        prev, prev_r = p, r
    # the optimum over every order of the 6 stops (Held-Karp is exact)
    best = min(tour_length(FROM, list(perm), False) for perm in itertools.permutations(pts))
    got = tour_length(FROM, pts, False)
    assert got <= best + 1.0, (got, best)
    summary = doc["features"][0]["properties"]
    assert abs(summary["total_distance_m"] - got) < 2.0, (summary, got)


def test_json_sites_round_trip_drive():
    ids = ["gt-west-route-memorial"] + [i for i in SITES if i.startswith("gt-")][:4]
    ids = list(dict.fromkeys(ids))
    start = (39.37, 99.80)
    doc = get_json("from=%s,%s&sites=%s&return=1&mode=drive" % (start[0], start[1], ",".join(ids)))
    got = stop_ids(doc)
    assert sorted(got) == sorted(ids)
    coords = doc["features"][0]["geometry"]["coordinates"]
    assert len(coords) == len(ids) + 2 and coords[0] == coords[-1], coords
    summary = doc["features"][0]["properties"]
    assert summary["kind"] == "route" and summary["mode"] == "drive" and summary["round_trip"] is True
    pts = stop_points(got)
    best = min(tour_length(start, list(p), True) for p in itertools.permutations(pts))
    assert tour_length(start, pts, True) <= best + 1.0
    d0 = doc["features"][1]["properties"]
    assert abs(d0["leg_time_min"] - d0["leg_distance_m"] * 1.4 / 40000 * 60) < 0.11, d0


def test_gpx():
    order = stop_ids(get_json("from=%s,%s&nearest=5" % FROM))
    r = srv.get("/route?from=%s,%s&nearest=5&format=gpx" % FROM)
    assert r.status == 200 and r.header("content-type") == "application/gpx+xml", r
    assert r.header("content-disposition") == 'attachment; filename="route.gpx"', r.headers
    with tempfile.NamedTemporaryFile(suffix=".gpx") as f:
        f.write(r.body)
        f.flush()
        # the waypoints, then the route's points alone (nuketypes drops the waypoints)
        for flags, want in ((["-w", "-x", "nuketypes,routes,tracks"], stop_points(order)),
                            (["-r", "-x", "nuketypes,waypoints"], [FROM] + stop_points(order))):
            cmd = ["gpsbabel", flags[0], "-i", "gpx", "-f", f.name] + flags[1:] + ["-o", "csv", "-F", "-"]
            out = subprocess.run(cmd,
                                 capture_output=True, timeout=60)
            assert out.returncode == 0, out.stderr
            lines = [l for l in out.stdout.decode("utf-8").splitlines() if l.strip()]
            assert len(lines) == len(want), (flags, lines)
            for l, (lat, lon) in zip(lines, want):
                la, lo = (float(v) for v in l.split(",")[:2])
                assert abs(la - lat) < 1e-5 and abs(lo - lon) < 1e-5, (flags, l, lat, lon)
    text = r.body.decode("utf-8")
    pos = 0
    for i in order:  # waypoint names carry the Chinese names in order
        pos = text.index(SITES[i]["name_zh"], pos)


def test_html_sheet_and_map():
    order = stop_ids(get_json("from=%s,%s&nearest=6" % FROM))
    r = srv.get("/route?from=%s,%s&nearest=6&format=html" % FROM)
    assert r.status == 200 and r.header("content-type").startswith("text/html"), r
    page = r.body.decode("utf-8")
    pos = page.index("<table")
    for i in order:
        pos = page.index(html.escape(SITES[i]["name_zh"]), pos)
    m = re.search(r'<img class="route-map" src="([^"]+)"', page)
    assert m, "no map image"
    url = html.unescape(m.group(1))
    # the map is this very route again, as format=png
    assert url.startswith(srv.base + "/route?from=36.850000,118.100000&nearest=6&"), url
    assert url.endswith("&format=png"), url
    img = srv.get_url(url)
    assert img.status == 200 and img.header("content-type") == "image/png", img
    w, h, rows = sm.decode_png(img.body)
    assert w == 1800 and 600 <= h <= 840, (w, h)
    # the route's blue line and discs, and the start's green square
    blue = sum(1 for row in rows for p in row if p[2] >= 120 and p[2] - p[0] >= 60 and p[0] <= 120)
    green = sum(1 for row in rows for p in row if p[1] > 90 and p[0] < 40 and p[2] < 70)
    assert blue > 2000 and green > 200, (blue, green)


def pdf_text(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.decode("utf-8")


def check_names_in_order(text, order):
    pos = 0
    for i in order:
        name = SITES[i]["name_zh"]
        assert name in text[pos:], "%s (%s) missing after position %d" % (name, i, pos)
        pos = text.index(name, pos) + 1


def test_pdf():
    order = stop_ids(get_json("from=%s,%s&nearest=6&return=1" % FROM))
    r = srv.get("/route?from=%s,%s&nearest=6&return=1&format=pdf" % FROM)
    assert r.status == 200 and r.header("content-type") == "application/pdf", r
    assert r.body.startswith(b"%PDF-"), r.body[:20]
    text = pdf_text(r.body)
    check_names_in_order(text, order)
    assert "起点" in text


def test_errors():
    many = ",".join(list(SITES)[:3] * 17)
    for q, name in (("nearest=3", "from"), ("from=91,118&nearest=3", "from"), ("from=nan,118&nearest=3", "from"),
                    ("from=36.8&nearest=3", "from"), ("from=36.8,190&nearest=3", "from"),
                    ("from=36.85,118.1", "sites"), ("from=36.85,118.1&nearest=3&sites=zb-heitieshan-memorial", "sites"),
                    ("from=36.85,118.1&sites=", "sites"), ("from=36.85,118.1&sites=nope", "nope"),
                    ("from=36.85,118.1&sites=zb-heitieshan-memorial,zb-heitieshan-memorial", "zb-heitieshan-memorial"),
                    ("from=36.85,118.1&sites=zb-heitieshan-memorial,,x", "sites"),
                    ("from=36.85,118.1&sites=" + many, "50"),
                    ("from=36.85,118.1&nearest=0", "nearest"), ("from=36.85,118.1&nearest=51", "nearest"),
                    ("from=36.85,118.1&nearest=x", "nearest"), ("from=36.85,118.1&nearest=3&mode=fly", "mode"),
                    ("from=36.85,118.1&nearest=3&format=doc", "format"),
                    ("from=36.85,118.1&nearest=3&return=yes", "return"),
                    ("from=36.85,118.1&nearest=3&bogus=1", "bogus")):
        check_problem(srv.get("/route?" + q), 400, name)


def run_cli(*args):
    return subprocess.run([MAPSVC, "route", "--db", BUNDLED_DB] + list(args), capture_output=True, timeout=120)


def test_cli():
    order = stop_ids(get_json("from=36.85,118.10&nearest=6"))
    with tempfile.TemporaryDirectory() as d:
        pdf = os.path.join(d, "sheet.pdf")
        out = run_cli("--from", "36.85,118.10", "--nearest", "6", "--format", "pdf", "-o", pdf)
        assert out.returncode == 0, out.stderr
        with open(pdf, "rb") as f:
            check_names_in_order(pdf_text(f.read()), order)
        page = os.path.join(d, "sheet.html")
        out = run_cli("--from", "36.85,118.10", "--nearest", "6", "--format", "html", "-o", page)
        assert out.returncode == 0, out.stderr
        with open(page, encoding="utf-8") as f:
            text = f.read()
        m = re.search(r'<img class="route-map" src="data:image/png;base64,([^"]+)"', text)
        assert m, "the HTML file does not embed its map"
        # the same picture as the server's map of the same route
        assert base64.b64decode(m.group(1)) == srv.get("/route?from=36.85,118.10&nearest=6&format=png").body
        gpx = os.path.join(d, "route.gpx")
        out = run_cli("--from", "36.85,118.10", "--sites", ",".join(order[::-1]), "--format", "gpx", "-o", gpx)
        assert out.returncode == 0, out.stderr
        js = run_cli("--from", "36.85,118.10", "--nearest", "6", "--format", "json", "-o", "-")
        assert js.returncode == 0 and [f["id"] for f in json.loads(js.stdout)["features"][1:]] == order
    for args, word in ((["--from", "95,1", "--nearest", "3", "--format", "json", "-o", "-"], "--from"),
                       (["--from", "36.8,118", "--nearest", "3", "--format", "doc", "-o", "-"], "--format"),
                       (["--from", "36.8,118", "--sites", "nope", "--format", "json", "-o", "-"], "nope"),
                       (["--from", "36.8,118", "--format", "json", "-o", "-"], "--sites")):
        out = run_cli(*args)
        assert out.returncode == 2 and word.encode() in out.stderr, (args, out)


if __name__ == "__main__":
    with Server() as srv:
        sm.srv = srv
        status = run(test_json_nearest, test_json_sites_round_trip_drive, test_gpx, test_html_sheet_and_map,
                     test_pdf, test_errors, test_cli)
    sys.exit(status)

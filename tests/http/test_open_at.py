"""open_at on /collections/sites/items and /nearest: only the sites whose
opening_hours (OpenStreetMap syntax, China Standard Time) say they are open
at that moment.  The expected sets come from reading the bundled rows'
hours by hand (data/README.md's table), not from the service's evaluator:
a Monday morning (the Tu-Su halls closed), a Tuesday lunch break, a Monday
of the Labour Day break (the one site open on public holidays by its
source), the same instant written with an offset, and "now"."""
import urllib.parse

from harness import *

srv = None
ROWS = {r["id"]: r for r in bundled_sites()}

# 2025-05-12 is an ordinary Monday; 2025-05-13 a Tuesday; 2025-05-05 a
# Monday of the Labour Day break (1-5 May 2025, State Council notice).
MONDAY_10 = "2025-05-12T10:00"
TUESDAY_1230 = "2025-05-13T12:30"
HOLIDAY_MONDAY_10 = "2025-05-05T10:00"
EXPECTED = {
    # every day 08:30-11:30,13:30-16:30 / 09:00-16:00 / 09:00-17:00 /
    # 08:30-17:00, and Mo-Fr 09:00-12:00,14:00-17:00; the Tu-Su ones closed
    MONDAY_10: {"zb-wang-yuyang-integrity-base", "zb-jiao-yulu-memorial", "zb-pu-songling-memorial",
                "zb-618-radio-station-site", "zb-zibo-coal-mine-museum"},
    # lunch breaks close the split days; the all-day ones and Tu-Su,PH 09-17
    TUESDAY_1230: {"zb-jiao-yulu-memorial", "zb-pu-songling-memorial", "zb-618-radio-station-site",
                   "zb-qi-culture-museum"},
    # "周一闭馆，法定节假日除外": open on a holiday Monday
    HOLIDAY_MONDAY_10: {"zb-wang-yuyang-integrity-base", "zb-jiao-yulu-memorial", "zb-pu-songling-memorial",
                        "zb-618-radio-station-site", "zb-zibo-coal-mine-museum", "zb-qi-culture-museum"},
}


def items(**params):
    r = srv.get("/collections/sites/items?" + urllib.parse.urlencode(dict(params, limit=100)))
    assert r.status == 200, r
    return {f["id"] for f in r.json()["features"]}


def test_items():
    for when, want in EXPECTED.items():
        got = items(open_at=when)
        assert got == want, (when, sorted(got ^ want))
    # the same instants in UTC and with an explicit offset
    assert items(open_at="2025-05-13T04:30:00Z") == EXPECTED[TUESDAY_1230]
    assert items(open_at="2025-05-12T10:00:00+08:00") == EXPECTED[MONDAY_10]
    # at night nothing is open
    assert items(open_at="2025-05-13T22:00") == set()
    # with other filters: the category narrows the open set
    assert items(open_at=MONDAY_10, category="museum") == {"zb-pu-songling-memorial", "zb-zibo-coal-mine-museum"}
    # numberMatched counts the open sites only
    r = srv.get("/collections/sites/items?limit=2&open_at=" + MONDAY_10)
    assert r.json()["numberMatched"] == len(EXPECTED[MONDAY_10]), r.json()["numberMatched"]


def test_now():
    got = items(open_at="now")
    with_hours = {i for i, r in ROWS.items() if r["opening_hours"]}
    assert got <= with_hours, got - with_hours


def test_nearest():
    lat, lon = 36.85, 118.10
    r = srv.get("/nearest?lat=%s&lon=%s&limit=3&open_at=%s" % (lat, lon, MONDAY_10))
    assert r.status == 200, r
    got = [f["id"] for f in r.json()["features"]]
    open_rows = sorted((vincenty_inverse(lat, lon, float(ROWS[i]["lat"]), float(ROWS[i]["lon"]))[0], i)
                       for i in EXPECTED[MONDAY_10])
    assert got == [i for _, i in open_rows[:3]], (got, open_rows)
    # the closed Heitieshan hall is the nearest site of all, but not open
    r = srv.get("/nearest?lat=%s&lon=%s&limit=1" % (lat, lon))
    assert r.json()["features"][0]["id"].startswith("zb-heitieshan")


def test_cli():
    import subprocess
    args = [MAPSVC, "nearest", "--db", BUNDLED_DB, "--lat", "36.85", "--lon", "118.10", "--limit", "3",
            "--open-at", MONDAY_10]
    out = subprocess.run(args, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    r = srv.get("/nearest?lat=36.85&lon=118.10&limit=3&open_at=" + MONDAY_10)
    assert out.stdout == r.body, (out.stdout[:200], r.body[:200])
    out = subprocess.run(args[:-1] + ["Monday"], capture_output=True, timeout=60)
    assert out.returncode == 2 and b"--open-at" in out.stderr, out


def test_refused():
    for bad in ("2025-05-12", "Monday", "2025-05-12T10", "2025-05-12T10:00+0800"):
        check_problem(srv.get("/collections/sites/items?open_at=" + urllib.parse.quote(bad)), 400, "open_at")


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_items, test_now, test_nearest, test_cli, test_refused)
    sys.exit(status)

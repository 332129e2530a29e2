"""A guide's day on GET /route and `mapsvc route`: date, start time,
visits and mode give each stop's arrival and departure; with a date the
order respects the opening hours, and a stop that cannot be visited while
open is reported with its reason, never dropped silently.

The hours are read from the bundled rows by hand here (data/README.md):
the Heitieshan memorial hall is open Tu-Su 08:30-11:30,13:30-17:30, so a
Monday plan must leave it out ("周一闭馆 / closed on Mondays") and a
Tuesday plan must place its visit inside one of those two windows."""
import urllib.parse

from harness import *

srv = None
FROM = "36.85,118.10"
HALL = "zb-heitieshan-memorial"
MONDAY, TUESDAY = "2025-05-12", "2025-05-13"
HALL_WINDOWS = [(8 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60 + 30)]


def minutes(clock):
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def route(**params):
    q = dict({"from": FROM}, **params)
    r = srv.get("/route?" + urllib.parse.urlencode(q, safe=",:"))
    assert r.status == 200, r
    doc = r.json()
    return doc["features"][0]["properties"], [f for f in doc["features"][1:] if f["properties"]["kind"] == "stop"], \
        [f for f in doc["features"][1:] if f["properties"]["kind"] == "missed"]


def check_clock(summary, stops, mode):
    """Arrival = the previous departure + the leg's estimate (0 between
    stops at one point); departure = the visit's start + its length; no
    visit starts before its arrival."""
    prev = minutes(summary["start_time"])
    for f in stops:
        p = f["properties"]
        leg = p["leg_time_min"] if p["leg_quality"] == "ok" else (0 if p["leg_quality"] == "same_place" else None)
        if leg is not None:
            assert abs(minutes(p["arrive"]) - (prev + leg)) <= 1, (p["id"], p["arrive"], prev, leg)
        assert minutes(p["visit_start"]) >= minutes(p["arrive"]), p
        assert abs(minutes(p["depart"]) - minutes(p["visit_start"]) - p["visit_min"]) <= 1, p
        assert abs(p["wait_min"] - (minutes(p["visit_start"]) - minutes(p["arrive"]))) <= 1, p
        prev = minutes(p["depart"])
    return prev


def test_monday_avoids_the_closed_hall():
    summary, stops, missed = route(nearest=6, date=MONDAY, mode="drive")
    assert summary["date"] == MONDAY and summary["start_time"] == "09:00", summary
    assert HALL not in [f["id"] for f in stops]
    assert [m["id"] for m in summary["missed"]] == [HALL], summary["missed"]
    m = summary["missed"][0]
    assert m["reason"] == "closed" and m["reason_zh"] == "周一闭馆" and m["reason_en"] == "closed on Mondays", m
    assert [f["id"] for f in missed] == [HALL] and missed[0]["properties"]["reason_zh"] == "周一闭馆"
    assert len(stops) == 5
    check_clock(summary, stops, "drive")


def test_tuesday_fits_the_hall_in_its_hours():
    summary, stops, missed = route(nearest=6, date=TUESDAY, start="08:00", mode="drive")
    assert summary["missed"] == [] and not missed, summary["missed"]
    hall = [f["properties"] for f in stops if f["id"] == HALL][0]
    s, e = minutes(hall["visit_start"]), minutes(hall["depart"])
    assert any(a <= s and e <= b for a, b in HALL_WINDOWS), hall
    assert hall["hours_on_day"] == "08:30–11:30, 13:30–17:30", hall
    assert hall["opening_hours"] == "Tu-Su 08:30-11:30,13:30-17:30"
    assert hall["opening_hours_text"] == "周二至周日 8:30-11:30, 13:30-17:30"
    end = check_clock(summary, stops, "drive")
    assert summary["end_time"] == "%02d:%02d" % divmod(end, 60), (summary["end_time"], end)


def test_a_start_without_a_date_keeps_the_order():
    _, plain, _ = route(nearest=6)
    summary, timed, _ = route(nearest=6, start="08:30")
    assert [f["id"] for f in plain] == [f["id"] for f in timed]
    assert "date" not in summary and "missed" not in summary
    assert summary["start_time"] == "08:30"
    check_clock(summary, timed, "walk")
    # without a start: durations, no clock
    p = plain[0]["properties"]
    assert p["visit_min"] > 0 and "arrive" not in p


def test_visits():
    _, stops, _ = route(nearest=3, visit=15)
    assert all(f["properties"]["visit_min"] == 15 for f in stops)
    _, stops, _ = route(nearest=3, visit=15, visits="zb-heitieshan-monument:5")
    got = {f["id"]: f["properties"]["visit_min"] for f in stops}
    assert got["zb-heitieshan-monument"] == 5 and got[HALL] == 15, got
    # the defaults by category: a hall an hour, a monument 20 min
    _, stops, _ = route(nearest=3)
    got = {f["id"]: f["properties"]["visit_min"] for f in stops}
    assert got[HALL] == 60 and got["zb-heitieshan-monument"] == 20, got
    summary, _, _ = route(nearest=3)
    assert summary["visit_total_min"] == sum(got.values())


def test_refused():
    for q, name in (("nearest=3&visits=nope:5", "nope"), ("nearest=3&visits=%s:999" % HALL, "visits"),
                    ("nearest=3&visits=%s" % HALL, "visits"),
                    ("nearest=3&visits=%s:5,%s:6" % (HALL, HALL), "twice"),
                    ("nearest=3&date=2025-13-01", "date"), ("nearest=3&start=25:00", "start")):
        check_problem(srv.get("/route?from=%s&%s" % (FROM, q)), 400, name)


def test_cli_same_plan():
    import subprocess
    out = subprocess.run([MAPSVC, "route", "--db", BUNDLED_DB, "--from", FROM, "--nearest", "6", "--date", MONDAY,
                          "--start", "08:45", "--mode", "drive", "--visits", "zb-heitieshan-monument:10",
                          "--format", "json", "-o", "-"], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    r = srv.get("/route?from=%s&nearest=6&date=%s&start=08:45&mode=drive&visits=zb-heitieshan-monument:10"
                % (FROM, MONDAY))
    assert out.stdout == r.body
    for args, word in ((["--date", "2025-02-30"], "--date"), (["--start", "8:45"], "--start"),
                       (["--visit", "600"], "--visit"), (["--visits", "x:1"], "visits")):
        out = subprocess.run([MAPSVC, "route", "--db", BUNDLED_DB, "--from", FROM, "--nearest", "3",
                              "--format", "json", "-o", "-"] + args, capture_output=True, timeout=60)
        assert out.returncode == 2 and word.encode() in out.stderr, (args, out)


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_monday_avoids_the_closed_hall, test_tuesday_fits_the_hall_in_its_hours,
                     test_a_start_without_a_date_keeps_the_order, test_visits, test_refused, test_cli_same_plan)
    sys.exit(status)

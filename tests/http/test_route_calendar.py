"""format=ics on GET /route (RFC 5545), read back by Python's icalendar
(Debian python3-icalendar), a parser nobody here wrote: one VEVENT per
stop with the JSON plan's times in Asia/Shanghai (its VTIMEZONE in the
file), GEO, LOCATION, SUMMARY, a unique UID, DTSTAMP, and URL the site's
page, which answers 200.  The raw text is checked for what parsers
forgive: CRLF line ends, lines of at most 75 octets, folds that never
split a UTF-8 character, TEXT escaping."""
import datetime
import re
import urllib.parse

import icalendar

from harness import *

srv = None
QUERY = "from=36.85,118.10&nearest=6&date=2025-05-13&start=08:00&mode=drive&visits=zb-heitieshan-monument:15"


def plan():
    r = srv.get("/route?" + QUERY)
    assert r.status == 200, r
    return [f for f in r.json()["features"][1:] if f["properties"]["kind"] == "stop"]


def test_raw_text():
    r = srv.get("/route?" + QUERY + "&format=ics")
    assert r.status == 200, r
    assert r.header("content-type") == "text/calendar; charset=utf-8", r.headers
    assert r.header("content-disposition") == 'attachment; filename="route.ics"', r.headers
    body = r.body
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b""), "bare LF"
    lines = body.split(b"\r\n")[:-1]
    for l in lines:
        assert len(l) <= 75, (len(l), l)
        l.decode("utf-8")  # a fold inside a character would not decode
    unfolded = re.sub(rb"\r\n[ \t]", b"", body).decode("utf-8")
    assert "BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai" in unfolded
    # TEXT escaping: the commas of names and descriptions are escaped
    desc = [l for l in unfolded.split("\r\n") if l.startswith("DESCRIPTION:")]
    assert desc and all(re.search(r"(?<!\\),", d) is None for d in desc), desc[0][:200]
    assert any(len(l) > 75 for l in unfolded.split("\r\n")), "nothing long enough to fold"


def test_read_back():
    stops = plan()
    r = srv.get("/route?" + QUERY + "&format=ics")
    cal = icalendar.Calendar.from_ical(r.body)
    tz = [c for c in cal.walk("VTIMEZONE")]
    assert len(tz) == 1 and str(tz[0]["TZID"]) == "Asia/Shanghai"
    events = cal.walk("VEVENT")
    assert len(events) == len(stops) == 6, (len(events), len(stops))
    uids = set()
    for ev, f in zip(events, stops):
        p = f["properties"]
        start, end = ev["DTSTART"], ev["DTEND"]
        assert start.params["TZID"] == "Asia/Shanghai" and end.params["TZID"] == "Asia/Shanghai"
        assert start.dt.strftime("%Y-%m-%d %H:%M") == "2025-05-13 " + p["visit_start"], (start.dt, p)
        assert end.dt.strftime("%H:%M") == p["depart"], (end.dt, p)
        assert start.dt.utcoffset() == datetime.timedelta(hours=8), start.dt
        assert (end.dt - start.dt) == datetime.timedelta(minutes=p["visit_min"]), (start.dt, end.dt, p)
        lon, lat = f["geometry"]["coordinates"]
        geo = ev["GEO"]
        assert abs(geo.latitude - lat) < 1e-9 and abs(geo.longitude - lon) < 1e-9, (geo.latitude, lat)
        assert p["name_zh"] in str(ev["SUMMARY"]) and p["name_zh"] in str(ev["LOCATION"])
        assert "DTSTAMP" in ev
        uid = str(ev["UID"])
        assert uid not in uids
        uids.add(uid)
        url = str(ev["URL"])
        assert url == srv.base + "/collections/sites/items/" + urllib.parse.quote(f["id"], safe=""), url
        page = srv.get_url(url, headers={"Accept": "text/html"})
        assert page.status == 200 and p["name_zh"].encode() in page.body, page
        # the description says when and what: arrival and the hours that day
        d = str(ev["DESCRIPTION"])
        assert ("Arrive " + p["arrive"]) in d, d[:200]
    # the same plan gives the same UIDs (a second import updates, not doubles)
    again = icalendar.Calendar.from_ical(srv.get("/route?" + QUERY + "&format=ics").body)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == [str(e["UID"]) for e in events]


def test_monday_lists_the_missed_hall():
    r = srv.get("/route?from=36.85,118.10&nearest=6&date=2025-05-12&mode=drive&format=ics")
    cal = icalendar.Calendar.from_ical(r.body)
    events = cal.walk("VEVENT")
    assert len(events) == 5
    assert all("黑铁山抗日武装起义纪念馆" not in str(e["SUMMARY"]) for e in events)
    assert "周一闭馆" in str(events[0]["DESCRIPTION"])


def test_cli():
    import subprocess
    out = subprocess.run([MAPSVC, "route", "--db", BUNDLED_DB, "--from", "36.85,118.10", "--nearest", "3",
                          "--date", "2025-05-13", "--public-url", "https://guide.example/map/", "--format", "ics",
                          "-o", "-"], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    events = icalendar.Calendar.from_ical(out.stdout).walk("VEVENT")
    assert len(events) == 3
    for e in events:
        assert str(e["URL"]).startswith("https://guide.example/map/collections/sites/items/zb-"), e["URL"]
    out = subprocess.run([MAPSVC, "route", "--db", BUNDLED_DB, "--from", "36.85,118.10", "--nearest", "3",
                          "--format", "ics", "-o", "-"], capture_output=True, timeout=120)
    assert out.returncode == 2 and b"date" in out.stderr, out


def test_needs_a_date():
    check_problem(srv.get("/route?from=36.85,118.10&nearest=3&format=ics"), 400, "date")


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_raw_text, test_read_back, test_monday_lists_the_missed_hall, test_cli,
                     test_needs_a_date)
    sys.exit(status)

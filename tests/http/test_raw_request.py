"""No byte of a request is ignored, and no answer is libmicrohttpd's HTML
(issue 11, rows 7-9): a NUL or other control character in the path or a
parameter is a 400; a site id with '/' round-trips as items/zb%2F1;
request lines with other HTTP versions, without one, or too long, and
oversized heads are answered with problem+json; Transfer-Encoding other
than chunked is answered at once, never left hanging.

The cases are a table, tests/data/http/raw_requests.txt, one a line."""
import shutil
import subprocess
import time

from harness import *

tmp = tempfile.mkdtemp(prefix="mapsvc-raw-")
srv = None

CASES = os.path.join(SOURCE, "tests", "data", "http", "raw_requests.txt")


def unescape(text):
    """The table's escapes: \\r \\n \\t \\xHH and {N*TEXT} for N copies of TEXT."""
    import re
    text = re.sub(r"\{(\d+)\*([^}]+)\}", lambda m: m.group(2) * int(m.group(1)), text)
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def table():
    """(line number, status, detail word, raw request) of each case."""
    out = []
    with open(CASES, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            status, word, raw = line.split(" ", 2)
            out.append((no, int(status), None if word == "-" else word, unescape(raw)))
    assert len(out) > 20, "the table went missing"
    return out


def test_table():
    """Every case gets its status as problem+json (or a 200), quickly."""
    for no, status, word, raw in table():
        t0 = time.time()
        r = raw_exchange(srv.port, raw, timeout=10)
        where = "%s:%d" % (CASES, no)
        assert r is not None, "%s: no answer" % where
        assert r.status == status, "%s: %r" % (where, r)
        if status >= 400:
            check_problem(r, status, word)
            assert r.header("x-content-type-options") == "nosniff", (where, r.headers)
        # answered at once, not after a timeout (issue 11 row 9: TE: identity hung 15 s)
        assert time.time() - t0 < 5, "%s took %.1f s" % (where, time.time() - t0)


def test_nul_in_values_is_not_cut():
    # Before: ?category=museum%00junk was served as category=museum.
    for path in ("/collections/sites/items?category=museum%00junk", "/nearest?lat=35%00abc&lon=118",
                 "/tiles/14/0/0.png%00.txt", "/collections/sites/items/zb-001%00junk",
                 "/collections/sites/items?q=%01", "/nearest?lat=35&lon=118&category=museum%0A"):
        check_problem(srv.get(path), 400, "control character" if "%00" not in path else "NUL")


def test_slash_in_id_round_trips():
    r = srv.get("/collections/sites/items/zb%2F1")
    assert r.status == 200, r
    f = r.json()
    assert f["id"] == "zb/1" and f["properties"]["name_zh"] == "斜杠地点", f
    self_link = [l["href"] for l in f["links"] if l["rel"] == "self"][0]
    assert self_link.endswith("/collections/sites/items/zb%2F1"), self_link
    # its self link leads back to it
    assert srv.get_url(self_link).json()["id"] == "zb/1"
    # the decoded path names another resource: none
    check_problem(srv.get("/collections/sites/items/zb/1"), 404)
    # ids with other reserved characters too
    for raw, want in (("a%3Fb", "a?b"), ("c%23d", "c#d"), ("%E7%BA%A2%25", "红%")):
        r = srv.get("/collections/sites/items/" + raw)
        assert r.status == 200 and r.json()["id"] == want, (raw, r)
    # and in the list, the same id
    ids = [f["id"] for f in srv.get("/collections/sites/items?limit=100").json()["features"]]
    assert "zb/1" in ids and "a?b" in ids


def test_keep_alive_after_refusal_is_closed():
    # A refused request closes its connection: nothing after it is read.
    with connect(srv.port) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
                  b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        r = read_response(s)
        check_problem(r, 501, "gzip")
        assert r.header("connection") == "close"
        assert read_response(s) is None


def test_refusals_are_counted():
    m = metrics(srv)
    assert m['mapsvc_requests_refused_total{reason="http_version"}'] >= 2, m
    assert m['mapsvc_requests_refused_total{reason="control_character"}'] >= 6, m
    assert m['mapsvc_requests_refused_total{reason="framing"}'] >= 3, m
    assert m['mapsvc_requests_refused_total{reason="line_too_long"}'] >= 1, m
    assert m['mapsvc_requests_refused_total{reason="head_too_large"}'] >= 1, m


if __name__ == "__main__":
    csv_path = os.path.join(tmp, "odd_ids.csv")
    with open(csv_path, "w", encoding="utf-8") as f:
        f.write("id,name_zh,category,lat,lon\n"
                "zb/1,斜杠地点,museum,36.81,118.05\n"
                "zb-001,普通地点,museum,36.82,118.06\n"
                "\"a?b\",问号,monument,36.83,118.07\n"
                "c#d,井号,monument,36.84,118.08\n"
                "红%,百分号,monument,36.85,118.09\n")
    db = os.path.join(tmp, "odd.sqlite")
    out = subprocess.run([MAPSVC, "import", "--db", db, csv_path], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    try:
        with Server(db=db) as srv:
            status = run(test_table, test_nul_in_values_is_not_cut, test_slash_in_id_round_trips,
                         test_keep_alive_after_refusal_is_closed, test_refusals_are_counted)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(status)

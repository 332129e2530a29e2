"""The access log (issue 13, item 2), against the real server: one line
per answer with time, the client the trusted-proxy rules name, method,
target, status, bytes, duration and the tile cache's hit or miss, in JSON
lines and in the combined format; no Authorization header and no
credential in a query string or Referer ever in it; SIGUSR1 after a
rename (logrotate without copytruncate) moves the log to a new file with
no line lost; `--access-log -` writes to standard output."""
import re
import shutil

from harness import *

tmp = tempfile.mkdtemp(prefix="mapsvc-accesslog-")
SECRET = "s3cr3t-never-logged"
COMBINED = re.compile(r'^(\S+) - - \[(\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] "(\S+) (\S+) (HTTP/1\.[01])" '
                      r'(\d{3}) (\d+|-) "([^"]*)" "([^"]*)" (\d+\.\d{6}) (hit|miss|-)$')


def lines_of(path, want, timeout=20, skip=0):
    """The file's lines once it has at least want of them after the first
    skip (the writer is a thread of its own: lines arrive just after the
    answers)."""
    deadline = time.time() + timeout
    while True:
        text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        lines = text.splitlines()[skip:]
        if len(lines) >= want or time.time() > deadline:
            return lines
        time.sleep(0.02)


def raw_get(port, target, source, headers=()):
    s = connect(port, source=source)
    try:
        head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n" % (
            target, "".join("%s: %s\r\n" % h for h in headers))
        s.sendall(head.encode())
        return read_response(s)
    finally:
        s.close()


def test_json_lines():
    path = os.path.join(tmp, "access.json")
    with Server("--access-log", path, "--log-format", "json", "--trusted-proxy", "127.0.0.5") as srv:
        skip = len(lines_of(path, 1))  # the harness's /healthz probes
        tile = "/tiles/14/13566/6389.png"
        srv.get(tile, headers={"Authorization": "Bearer " + SECRET, "User-Agent": "test-agent/1"})
        srv.get(tile, headers={"Referer": "http://a.example/?token=" + SECRET})
        # an unknown parameter is a 400 (OGC), logged all the same, redacted
        srv.get("/nope?api_key=" + SECRET)
        srv.request("/healthz", method="HEAD")
        # through a trusted proxy: the client it names; an untrusted peer is itself
        raw_get(srv.port, "/healthz", "127.0.0.5", [("X-Forwarded-For", "203.0.113.9")])
        raw_get(srv.port, "/healthz", "127.0.0.6", [("X-Forwarded-For", "203.0.113.9")])
        lines = lines_of(path, 6, skip=skip)
        text = open(path, encoding="utf-8").read()
        assert SECRET not in text, text
        docs = [json.loads(l) for l in lines]
        assert len(docs) == 6, lines
        a, b, nope, head, proxied, direct = docs
        for d in docs:
            assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", d["time"]), d
            assert d["protocol"] == "HTTP/1.1" and d["method"] in ("GET", "HEAD") and d["duration_s"] >= 0, d
        assert a["target"] == tile and a["status"] == 200 and a["cache"] == "miss" and a["route"] == "tile", a
        assert a["client"] == "127.0.0.1" and a["user_agent"] == "test-agent/1" and a["bytes"] > 0, a
        assert b["target"] == tile and b["cache"] == "hit", b
        assert b["referer"] == "http://a.example/?token=REDACTED" and b["bytes"] == a["bytes"], b
        assert nope["status"] == 404 and nope["route"] is None and nope["cache"] is None, nope
        assert nope["target"] == "/nope?api_key=REDACTED", nope
        assert head["method"] == "HEAD" and head["bytes"] == 0 and head["status"] == 200, head
        assert proxied["client"] == "203.0.113.9" and direct["client"] == "127.0.0.6", (proxied, direct)
        m = metrics(srv)
        assert m['mapsvc_access_log_lines_total{result="queued"}'] >= 6, m
        assert m['mapsvc_access_log_lines_total{result="dropped"}'] == 0, m


def test_combined_and_rotation():
    path = os.path.join(tmp, "access.log")
    with Server("--access-log", path) as srv:
        skip = len(lines_of(path, 1))
        for i in range(5):
            srv.get("/tiles/3/%d/3.png" % (6 if i < 2 else i))
        lines = lines_of(path, 5, skip=skip)
        assert len(lines) == 5, lines
        for l in lines:
            m = COMBINED.match(l)
            assert m, l
        first = COMBINED.match(lines[0])
        assert first.group(1) == "127.0.0.1" and first.group(3) == "GET" and first.group(6) == "200", lines[0]
        assert first.group(4) == "/tiles/3/6/3.png" and first.group(11) == "miss" and first.group(9) == "-"
        assert COMBINED.match(lines[1]).group(11) == "hit"
        # logrotate: rename, then SIGUSR1; requests go on meanwhile
        os.rename(path, path + ".1")
        srv.signal(signal.SIGUSR1)
        deadline = time.time() + 20
        while metrics(srv).get('mapsvc_access_log_reopens_total{result="ok"}') != 1:
            assert time.time() < deadline, "no reopen"
            time.sleep(0.02)
        srv.get("/healthz")
        # the new file may start with the last scrape of /metrics: wait
        # for the line of /healthz itself
        deadline = time.time() + 20
        new = lines_of(path, 1)
        while not any('"GET /healthz HTTP/1.1" 200' in l for l in new) and time.time() < deadline:
            time.sleep(0.02)
            new = lines_of(path, 1)
        assert any('"GET /healthz HTTP/1.1" 200' in l for l in new), new
        old = open(path + ".1", encoding="utf-8").read().splitlines()
        # the old file ends with the lines written before the reopen (the
        # scrapes of /metrics while waiting among them), none after
        assert old[skip:skip + 5] == lines and not any("/healthz" in l for l in old[skip:]), old
        assert all(COMBINED.match(l) for l in old + new)


def test_standard_output():
    with Server("--access-log", "-") as srv:
        srv.get("/collections?f=json")
        deadline = time.time() + 20
        while '"GET /collections?f=json HTTP/1.1" 200' not in srv.output():
            assert time.time() < deadline, srv.output()
            time.sleep(0.02)


def test_unopenable_log_refuses_to_start():
    out = subprocess.run([MAPSVC, "serve", "--listen", "127.0.0.1:0", "--access-log", os.path.join(tmp, "no", "x")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "access log" in out.stderr and "No such file" in out.stderr, out


if __name__ == "__main__":
    try:
        status = run(test_json_lines, test_combined_and_rotation, test_standard_output,
                     test_unopenable_log_refuses_to_start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(status)

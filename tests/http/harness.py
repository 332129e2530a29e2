"""Shared harness of the end-to-end HTTP tests.

Starts `mapsvc serve` on a free loopback port, waits for /healthz, and
stops the server by its PID when the test ends, also when it fails.  The
server must then exit with status 0: under AddressSanitizer a leak at exit
makes that status non-zero, so every test also checks clean shutdown.

Environment (set by CTest): MAPSVC (the binary), MAPSVC_BUILD (the build
directory, holding sites.sqlite), MAPSVC_SOURCE (the source tree).
Python 3 standard library only.
"""
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

MAPSVC = os.environ.get("MAPSVC", "mapsvc")
BUILD = os.environ.get("MAPSVC_BUILD", ".")
SOURCE = os.environ.get("MAPSVC_SOURCE", "..")
BUNDLED_DB = os.path.join(BUILD, "sites.sqlite")

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"


def free_port():
    """A port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict, lower-case names
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.headers.get("content-type"), self.body[:300])


class Server:
    """`with Server() as srv:` runs mapsvc serve for the block."""

    def __init__(self, *args, db=None):
        self.args = list(args)
        self.db = db or BUNDLED_DB
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.proc = None
        self.log = tempfile.TemporaryFile()

    def __enter__(self):
        cmd = [MAPSVC, "serve", "--listen", "127.0.0.1:%d" % self.port, "--db", self.db] + self.args
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("mapsvc serve exited with %s:\n%s" % (self.proc.returncode, self.output()))
            try:
                if self.get("/healthz").status == 200:
                    return self
            except OSError:
                pass
            if time.time() > deadline:
                self.stop()
                raise AssertionError("mapsvc serve did not answer /healthz within 60 s")
            time.sleep(0.05)

    def output(self):
        # pread, not seek and read: the server writes through the same open
        # file, whose offset a seek would move under it (its next line would
        # then overwrite the log's beginning)
        fd, data = self.log.fileno(), b""
        while True:
            chunk = os.pread(fd, 1 << 16, len(data))
            if not chunk:
                return data.decode("utf-8", "replace")
            data += chunk

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def stop(self):
        """SIGTERM by PID; returns the exit status (SIGKILL after 30 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError("mapsvc serve did not stop within 30 s of SIGTERM")

    def __exit__(self, exc_type, exc, tb):
        rc = self.stop()
        if exc_type is None and rc != 0:
            raise AssertionError("mapsvc serve exited with status %s:\n%s" % (rc, self.output()))
        if exc_type is not None:
            sys.stderr.write("--- server output ---\n" + self.output())
        return False

    def request(self, path, method="GET", headers=None, body=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def settled_health(self, timeout=30):
        """/healthz once what the server makes after its first answer is
        made (the name index of a large set, the glyphs drawn ahead, the
        first render context warmed)."""
        end = time.time() + timeout
        while True:
            h = self.get("/healthz").json()
            if h.get("name_index") == "ready" and h.get("glyphs_ahead") != "drawing" and \
                    h.get("contexts_warmed") != "warming":
                return h
            assert time.time() < end, ("never settled", h)
            time.sleep(0.02)

    def get(self, path, **kw):
        return self.request(path, **kw)

    def get_url(self, url, **kw):
        """GET an absolute URL of this server (as found in links)."""
        u = urllib.parse.urlsplit(url)
        assert (u.scheme, u.hostname, u.port) == ("http", "127.0.0.1", self.port), url
        return self.get(u.path + ("?" + u.query if u.query else ""), **kw)


def check_problem(r, status, mention=None):
    """r is an RFC 9457 problem of this status whose detail names mention."""
    assert r.status == status, "want %d, got %r" % (status, r)
    assert r.header("content-type") == "application/problem+json", r
    p = r.json()
    assert p["status"] == status and p["type"] and p["title"] and p["detail"], p
    if mention is not None:
        assert mention in p["detail"], "detail %r does not name %r" % (p["detail"], mention)
    return p


# --- independent reference computations -----------------------------------

def vincenty_inverse(lat1, lon1, lat2, lon2):
    """Distance (m) and initial azimuth (deg) on WGS-84 by Vincenty's
    inverse formula (1975): an independent method, agreeing with Karney's
    to well under a millimetre for non-antipodal points."""
    a = 6378137.0
    f = 1 / 298.257223563
    b = a * (1 - f)
    if (lat1, lon1) == (lat2, lon2):
        return 0.0, 0.0
    L = math.radians(lon2 - lon1)
    U1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    U2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    sinU1, cosU1, sinU2, cosU2 = math.sin(U1), math.cos(U1), math.sin(U2), math.cos(U2)
    lam = L
    for _ in range(200):
        sinl, cosl = math.sin(lam), math.cos(lam)
        sin_s = math.hypot(cosU2 * sinl, cosU1 * sinU2 - sinU1 * cosU2 * cosl)
        cos_s = sinU1 * sinU2 + cosU1 * cosU2 * cosl
        sigma = math.atan2(sin_s, cos_s)
        sin_a = cosU1 * cosU2 * sinl / sin_s
        cos2a = 1 - sin_a * sin_a
        cos2sm = cos_s - 2 * sinU1 * sinU2 / cos2a if cos2a else 0.0
        C = f / 16 * cos2a * (4 + f * (4 - 3 * cos2a))
        prev = lam
        lam = L + (1 - C) * f * sin_a * (sigma + C * sin_s * (cos2sm + C * cos_s * (-1 + 2 * cos2sm ** 2)))
        if abs(lam - prev) < 1e-13:
            break
    u2 = cos2a * (a * a - b * b) / (b * b)
    A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    ds = B * sin_s * (cos2sm + B / 4 * (cos_s * (-1 + 2 * cos2sm ** 2)
                                         - B / 6 * cos2sm * (-3 + 4 * sin_s ** 2) * (-3 + 4 * cos2sm ** 2)))
    dist = b * A * (sigma - ds)
    azi = math.degrees(math.atan2(cosU2 * math.sin(lam), cosU1 * sinU2 - sinU1 * cosU2 * math.cos(lam)))
    return dist, azi % 360.0


def wgs84_to_gcj02(lat, lon):
    """The published GCJ-02 forward transform (Krasovsky ellipsoid
    constants), as every open implementation writes it."""
    a = 6378245.0
    ee = 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(radlat) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (a / sq * math.cos(radlat) * math.pi)
    return lat + dlat, lon + dlon


def bundled_sites():
    """The rows of data/sites.csv, as dicts (the source of truth)."""
    import csv
    with open(os.path.join(SOURCE, "data", "sites.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def run(*tests):
    """Runs test functions in order, printing each; returns the exit status
    (call it inside `with Server()`, exit after the block, so that the
    server's own exit status is checked too)."""
    failed = 0
    for t in tests:
        t0 = time.monotonic()
        try:
            t()
            print("ok   %s (%.1f s)" % (t.__name__, time.monotonic() - t0))
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__)
            traceback.print_exc()
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    return 1 if failed else 0


# --- raw connections --------------------------------------------------------

def connect(port, source=None, timeout=10):
    """A TCP connection to the server, from a chosen loopback address
    (127.0.0.0/8 is all this host's), so that tests can play several
    clients."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_response(s):
    """Reads one HTTP/1.1 answer from socket s: a Response, or None when the
    server closed the connection (or reset it) without answering."""
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                return None
            buf += chunk
    except (ConnectionResetError, BrokenPipeError):
        return None
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers.setdefault(k.strip().lower(), v.strip())
    want = int(headers.get("content-length", "0"))
    while len(body) < want:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return Response(status, headers, body)


def raw_exchange(port, data, timeout=10, source=None):
    """Sends raw bytes on a fresh connection; the Response, or None when the
    connection was closed without an answer."""
    with connect(port, source, timeout) as s:
        try:
            s.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            return None
        return read_response(s)


def metrics(srv, path="/metrics", base=None):
    """The server's Prometheus samples as {"name{labels}": value}."""
    r = srv.get(path) if base is None else http_get(base + path)
    assert r.status == 200, r
    out = {}
    for line in r.body.decode().splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            out[k] = float(v)
    return out


def http_get(url, headers=None, timeout=30):
    """GET an absolute http URL (another listener than the test server's)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("GET", u.path + ("?" + u.query if u.query else ""), headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def raise_fd_limit():
    """Tests that play many clients need more descriptors than the default."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]

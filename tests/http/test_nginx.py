"""A cache tier in front, tested (issue 13, item 6): Debian's nginx on
loopback, with deploy/nginx.conf - the file docs/deploy.md shows, its
placeholders filled in - in front of two `mapsvc serve` replicas:

  - the second fetch of a tile is a cache HIT (X-Cache-Status), and a
    versioned tile keeps mapsvc's immutable Cache-Control;
  - an expired tile is revalidated with a conditional request that a
    replica answers 304 (counted in its /metrics);
  - killing one replica (SIGKILL) while wrk drives tiles through nginx
    fails no request: nginx passes them to the other replica;
  - and the figures: requests per second through nginx (cache hits)
    against one replica directly, and nginx's hit ratio under the spread
    load, printed, never asserted (the machine is shared).

Also: deploy/mapsvc.service passes `systemd-analyze verify` with no
warning and scores an exposure of at most 2.0 ("OK") in `systemd-analyze
security --offline`, and both files appear verbatim in docs/deploy.md."""
import re
import shutil
import threading

from harness import *

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WRK = shutil.which("wrk")
DEPLOY = os.path.join(SOURCE, "deploy")
WORK = tempfile.mkdtemp(prefix="mapsvc-nginx-")
LOAD_SECONDS = 4
FIGURES_SECONDS = 3
TILE = "/tiles/14/13566/6389.png"


class Replica(Server):
    """A replica the test may kill: then its stop has nothing to check."""
    killed = False

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.killed = True

    def stop(self):
        return 0 if self.killed else super().stop()


class Nginx:
    def __init__(self, replicas):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        text = open(os.path.join(DEPLOY, "nginx.conf"), encoding="utf-8").read()
        for k, v in (("@PREFIX@", WORK), ("@LISTEN@", "127.0.0.1:%d" % self.port),
                     ("@REPLICA1@", "127.0.0.1:%d" % replicas[0].port),
                     ("@REPLICA2@", "127.0.0.1:%d" % replicas[1].port)):
            text = text.replace(k, v)
        assert "@" not in re.sub(r"#.*", "", text), "a placeholder is left"
        self.conf = os.path.join(WORK, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(text)
        os.chmod(WORK, 0o777)  # its workers run as nobody when nginx starts as root

    def __enter__(self):
        self.proc = subprocess.Popen([NGINX, "-c", self.conf, "-p", WORK, "-g", "daemon off;"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                assert self.proc.poll() is None, self.proc.stdout.read().decode()
                assert time.time() < deadline, "nginx did not start"
                time.sleep(0.05)

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        return False

    def get(self, path, headers=None):
        return http_get(self.base + path, headers=headers)


def wrk(url, seconds, script=None, connections=16):
    args = [WRK, "-t1", "-c%d" % connections, "-d%ds" % seconds, "--timeout", "10s"]
    if script:
        args += ["-s", os.path.join(SOURCE, "tests", "http", script)]
    out = subprocess.run(args + [url], capture_output=True, timeout=seconds + 60)
    text = out.stdout.decode()
    assert out.returncode == 0, text + out.stderr.decode()
    n = int(re.search(r"(\d+) requests in", text).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    return text, n, rate


def test_hit_revalidate_and_failover():
    assert WRK, "wrk is missing (Debian package wrk)"
    args = ("--max-age", "1", "--trusted-proxy", "127.0.0.1", "--max-client-connections", "512")
    with Replica(*args) as a, Replica(*args) as b, Nginx([a, b]) as ng:
        first = ng.get(TILE)
        assert first.status == 200 and first.header("x-cache-status") == "MISS", first.headers
        second = ng.get(TILE)
        assert second.status == 200 and second.header("x-cache-status") == "HIT", second.headers
        assert second.body == first.body and second.header("etag") == first.header("etag")
        # a versioned tile (TileJSON's): immutable through the tier too
        tj = ng.get("/tiles.json").json()
        vpath = re.sub(r"^https?://[^/]+", "", tj["tiles"][0]).replace("{z}", "14").replace("{x}", "13566").replace(
            "{y}", "6389")
        v = ng.get(vpath)
        assert v.status == 200 and v.header("cache-control") == "public, max-age=31536000, immutable", v.headers
        assert v.body == first.body

        # expired (max-age 1): served stale at once while one conditional
        # request refreshes it, which a replica answers 304
        before = sum(metrics(s).get('mapsvc_http_requests_total{route="tile",code="304"}', 0) for s in (a, b))
        time.sleep(2.5)  # nginx counts expiry in whole seconds
        third = ng.get(TILE)
        assert third.status == 200 and third.header("x-cache-status") in ("STALE", "UPDATING", "REVALIDATED"), \
            third.headers
        deadline = time.time() + 20
        while sum(metrics(s).get('mapsvc_http_requests_total{route="tile",code="304"}', 0) for s in (a, b)) <= before:
            assert time.time() < deadline, "no 304 revalidation reached a replica"
            time.sleep(0.05)
        assert ng.get(TILE).header("x-cache-status") in ("HIT", "REVALIDATED")

        # one replica killed under load: no request fails
        result = {}

        def load():
            result["out"] = wrk(ng.base, LOAD_SECONDS, "wrk_tiles_spread.lua", connections=32)

        t = threading.Thread(target=load)
        t.start()
        time.sleep(LOAD_SECONDS / 2)
        a.kill()
        t.join()
        text, n, _ = result["out"]
        assert "Socket errors" not in text and "Non-2xx" not in text, text
        served_by_b = metrics(b)
        assert n > 100 and served_by_b['mapsvc_http_requests_total{route="tile",code="200"}'] > 0, text
        print("     killed one replica under load: %d requests through nginx, none failed" % n)


def test_figures():
    """Requests per second through nginx (its cache) against one replica
    directly, and nginx's cache hit ratio over the spread load."""
    with Server("--trusted-proxy", "127.0.0.1", "--max-client-connections", "512") as a, \
            Server("--trusted-proxy", "127.0.0.1", "--max-client-connections", "512") as b, Nginx([a, b]) as ng:
        ng.get(TILE)
        _, _, direct = wrk(a.base + TILE, FIGURES_SECONDS)
        _, _, cached = wrk(ng.base + TILE, FIGURES_SECONDS)
        up0 = sum(sum(v for k, v in metrics(s).items() if k.startswith('mapsvc_http_requests_total{route="tile"'))
                  for s in (a, b))
        _, n, spread = wrk(ng.base, FIGURES_SECONDS, "wrk_tiles_spread.lua")
        up = sum(sum(v for k, v in metrics(s).items() if k.startswith('mapsvc_http_requests_total{route="tile"'))
                 for s in (a, b)) - up0
        ratio = 1 - up / n
        assert 0 <= ratio <= 1, (up, n)
        print("     one cached tile: %.0f requests/s through nginx, %.0f directly from one replica" % (cached, direct))
        print("     spread tiles through nginx: %.0f requests/s, cache hit ratio %.2f (%d of %d reached a replica)"
              % (spread, ratio, up, n))


def test_systemd_unit():
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (Debian package systemd) is missing"
    text = open(os.path.join(DEPLOY, "mapsvc.service"), encoding="utf-8").read()
    unit = os.path.join(WORK, "mapsvc.service")
    with open(unit, "w") as f:
        f.write(text.replace("@MAPSVC@", os.path.abspath(MAPSVC)))
    out = subprocess.run([analyze, "verify", unit], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and not out.stdout.strip() and not out.stderr.strip(), out
    # a unit with a mistake in it is caught: the check can fail
    with open(unit + ".bad.service", "w") as f:
        f.write(text.replace("@MAPSVC@", os.path.abspath(MAPSVC)).replace("ProtectSystem=strict", "ProtectSystem=bogus"))
    bad = subprocess.run([analyze, "verify", unit + ".bad.service"], capture_output=True, text=True, timeout=120)
    assert ".bad.service:" in bad.stderr and "bogus" in bad.stderr, bad
    sec = subprocess.run([analyze, "security", "--offline=yes", unit], capture_output=True, text=True, timeout=120)
    level = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", sec.stdout + sec.stderr).group(1))
    assert level <= 2.0, sec.stdout
    for key in ("DynamicUser=yes", "ProtectSystem=strict", "ReadOnlyPaths=", "NoNewPrivileges=yes",
                "ExecReload=/bin/kill -HUP $MAINPID"):
        assert key in text, key
    print("     systemd-analyze security: exposure %.1f" % level)


def test_docs_show_the_tested_files():
    doc = open(os.path.join(SOURCE, "docs", "deploy.md"), encoding="utf-8").read()
    for name in ("nginx.conf", "mapsvc.service"):
        body = open(os.path.join(DEPLOY, name), encoding="utf-8").read()
        assert body in doc, "docs/deploy.md does not show deploy/%s as it is" % name


if __name__ == "__main__":
    try:
        status = run(test_hit_revalidate_and_failover, test_figures, test_systemd_unit, test_docs_show_the_tested_files)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(status)

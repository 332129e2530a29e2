#!/usr/bin/python3
"""The scale benchmark's measurements of one database, over HTTP against
a running `mapsvc serve` (tests/bench/scale.sh runs it for each dataset).

usage: scale.py MAPSVC DB.sqlite SITES.csv [--tiles N] [--list OUT.txt]
                [--queries N] [--reload CHANGED.sqlite ...] [--load-s S] [--label NAME]

Prints RESULT lines, each starting with the dataset's label:
  startup      seconds from exec to the first answer (/healthz 200) and
               to the name index built and the glyphs drawn ahead
               (/healthz's name_index "ready" and glyphs_ahead a number:
               both are made after the first answer), CPU seconds and RSS
               then (--cache-mb 0, so that every tile below is
               rendered: a cold tile);
  tiles        per zoom 0-20, in order: N random tiles holding sites (the
               tile of a random site), each also @2x and ?coordsys=gcj02, the
               first request of each zoom included: p50, p99, max in ms
               (client wall time over one keep-alive connection), and the
               server's CPU ms per tile (its user + system time over the
               zoom's requests: what a busy machine's waiting does not
               inflate);
  tiles_served the same requests as the server timed them (its JSON access
               log's duration_s: from the handler to the answer queued):
               p50, p99, max per zoom, and the worst;
  rss          a second server with the default tile cache (64 MiB): RSS at
               start and after the same tiles in every style and both
               systems;
  search       q= on items (two characters of a real name, limit 10):
               median ms; nearest-5 at random points over China: median and
               p99 ms;
  reload       (with --reload, once for each) tiles requested on two
               connections while the database file is replaced by CHANGED
               and SIGHUP sent: seconds from the signal to the new data
               version on /healthz, failed requests, and the tiles' p99 and
               max from the signal until a second after the new data
               (the load runs --load-s seconds before the signal, 2 by
               default, and half that after the new data);
               change= names CHANGED (its file name without .sqlite).
--list writes the zoom/x/y of the scale-1 tiles (for the Mapnik peer).
Python 3 standard library only; every server is stopped by its PID.
"""
import argparse
import csv
import gc
import http.client
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

SEED = 20261130
MAX_ZOOM = 20
CHINA = (73.0, 18.0, 135.0, 53.0)
POLL_S = 0.005
START_TIMEOUT_S = 300


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settled(health):
    """True once what a server makes after its first answer is made: the
    name index of a large set, the glyphs drawn ahead, the first render
    context warmed."""
    return health.get("name_index", "ready") == "ready" and health.get("glyphs_ahead", 0) != "drawing" and \
        health.get("contexts_warmed", 0) != "warming"


class Serve:
    """`mapsvc serve` on a free port, stopped by its PID."""

    def __init__(self, mapsvc, db, *extra):
        self.port = free_port()
        self.t0 = time.perf_counter()
        self.p = subprocess.Popen([mapsvc, "serve", "--db", db, "--listen", f"127.0.0.1:{self.port}"] +
                                  list(extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while not self.healthy():
            if self.p.poll() is not None:
                sys.exit(f"scale: mapsvc serve exited {self.p.returncode}: {self.p.stderr.read().decode()}")
            if time.perf_counter() - self.t0 > START_TIMEOUT_S:
                self.stop()
                sys.exit("scale: mapsvc serve gave no answer in time")
            time.sleep(POLL_S)
        self.startup_s = time.perf_counter() - self.t0
        # The name index of a large set is built, and the styles' glyphs
        # are drawn, after the first answer: RSS and the timings below
        # are taken once both are there.
        while not settled(self.health()):
            time.sleep(POLL_S)
        self.names_s = time.perf_counter() - self.t0

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def healthy(self):
        try:
            c = self.conn()
            c.request("GET", "/healthz")
            ok = c.getresponse().status == 200
            c.close()
            return ok
        except OSError:
            return False

    def health(self):
        c = self.conn()
        c.request("GET", "/healthz")
        h = json.loads(c.getresponse().read())
        c.close()
        return h

    def version(self):
        return self.health()["data_version"]

    def rss_mb(self):
        return status_kb(self.p.pid, "VmRSS") / 1024.0

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def get(c, path):
    t = time.perf_counter()
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    return r.status, (time.perf_counter() - t) * 1000.0


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(math.ceil(p / 100.0 * len(v))) - 1)]


def read_sites(path):
    pts, names = [], []
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            pts.append((float(row["lat"]), float(row["lon"])))
            names.append(row["name_zh"])
    return pts, names


def tile_of(lat, lon, z):
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_list(pts, per_zoom):
    rnd = random.Random(SEED)
    return [[(z,) + tile_of(*rnd.choice(pts), z) for _ in range(per_zoom)] for z in range(MAX_ZOOM + 1)]


VARIANTS = (("", ""), ("@2x", ""), ("", "?coordsys=gcj02"))


def cold_tiles(srv, tiles, label):
    c = srv.conn()
    worst = 0.0
    for zoom_tiles in tiles:
        ms = []
        cpu0 = cpu_s(srv.p.pid)
        for z, x, y in zoom_tiles:
            for suffix, query in VARIANTS:
                st, dt = get(c, f"/tiles/{z}/{x}/{y}{suffix}.png{query}")
                if st != 200:
                    sys.exit(f"scale: tile {z}/{x}/{y}{suffix}{query}: status {st}")
                ms.append(dt)
        cpu_ms = (cpu_s(srv.p.pid) - cpu0) * 1000.0 / len(ms)
        worst = max(worst, max(ms))
        print(f"RESULT {label} tiles zoom={zoom_tiles[0][0]} n={len(ms)} p50_ms={statistics.median(ms):.2f} "
              f"p99_ms={pct(ms, 99):.2f} max_ms={max(ms):.2f} cpu_ms_per_tile={cpu_ms:.2f}", flush=True)
    c.close()
    return worst


def served_tiles(log, tiles, label):
    """The same sweep as the server timed it: each tile request's
    duration_s in the JSON access log (from the request's arrival at the
    handler to its answer queued).  What the client saw beyond it is the
    sending, the loopback, the scheduler's wake-ups and the client
    itself."""
    with open(log, encoding="utf-8") as f:
        served = [json.loads(line) for line in f]
    served = [e["duration_s"] * 1000.0 for e in served if e.get("target", "").startswith("/tiles/")]
    per_zoom = len(tiles[0]) * len(VARIANTS)
    if len(served) != per_zoom * len(tiles):
        sys.exit(f"scale: {len(served)} tile requests in the access log, {per_zoom * len(tiles)} asked")
    worst = 0.0
    for k, zoom_tiles in enumerate(tiles):
        ms = served[k * per_zoom:(k + 1) * per_zoom]
        worst = max(worst, max(ms))
        print(f"RESULT {label} tiles_served zoom={zoom_tiles[0][0]} n={len(ms)} p50_ms={statistics.median(ms):.2f} "
              f"p99_ms={pct(ms, 99):.2f} max_ms={max(ms):.2f}", flush=True)
    print(f"RESULT {label} tiles_served_worst max_ms={worst:.2f}", flush=True)


def sweep_styles(srv, tiles):
    c = srv.conn()
    for style in ("default", "print", "context"):
        for query in ("", "?coordsys=gcj02"):
            for zoom_tiles in tiles:
                for z, x, y in zoom_tiles:
                    st, _ = get(c, f"/tiles/{style}/{z}/{x}/{y}.png{query}")
                    if st != 200:
                        sys.exit(f"scale: {style} tile {z}/{x}/{y}{query}: status {st}")
    c.close()


def search(srv, names, n, label):
    rnd = random.Random(SEED + 1)
    c = srv.conn()
    q_ms, near_ms = [], []
    for _ in range(n):
        name = rnd.choice(names)
        k = rnd.randrange(max(1, len(name) - 1))
        term = urllib.parse.quote(name[k:k + 2], safe="")
        st, dt = get(c, f"/collections/sites/items?q={term}&limit=10")
        if st != 200:
            sys.exit(f"scale: q={name[k:k + 2]}: status {st}")
        q_ms.append(dt)
        lat, lon = rnd.uniform(CHINA[1], CHINA[3]), rnd.uniform(CHINA[0], CHINA[2])
        st, dt = get(c, f"/nearest?lat={lat:.5f}&lon={lon:.5f}&limit=5")
        if st != 200:
            sys.exit(f"scale: nearest: status {st}")
        near_ms.append(dt)
    c.close()
    print(f"RESULT {label} search q_p50_ms={statistics.median(q_ms):.2f} nearest5_p50_ms="
          f"{statistics.median(near_ms):.2f} nearest5_p99_ms={pct(near_ms, 99):.2f} n={n}", flush=True)


def reload_under_load(mapsvc, db, changed, pts, label, workdir, load_s):
    """Replaces the served file by `changed` and sends SIGHUP while two
    clients ask tiles (for load_s seconds before the signal, and half as
    long after the new data are served); measures what they saw."""
    live = os.path.join(workdir, "live.sqlite")
    shutil.copyfile(db, live)
    srv = Serve(mapsvc, live)
    before = srv.version()
    rnd = random.Random(SEED + 2)
    paths = [f"/tiles/{z}/{x}/{y}.png" for z in range(8, 17) for (z, x, y) in
             [(z,) + tile_of(*rnd.choice(pts), z) for _ in range(40)]]
    stop = threading.Event()
    samples, failures = [], [0]
    lock = threading.Lock()

    def client(k):
        c = srv.conn()
        i = k
        while not stop.is_set():
            try:
                st, dt = get(c, paths[i % len(paths)])
            except OSError:
                st, dt = 0, 0.0
                c = srv.conn()
            with lock:
                samples.append((time.perf_counter(), st, dt))
                failures[0] += st != 200
            i += 2
        c.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    time.sleep(load_s)
    tmp = live + ".new"
    shutil.copyfile(changed, tmp)
    os.replace(tmp, live)  # the server reads the file anew on SIGHUP
    t_sig = time.perf_counter()
    srv.p.send_signal(signal.SIGHUP)
    t_new = None
    while time.perf_counter() - t_sig < 60:
        if srv.version() != before:
            t_new = time.perf_counter()
            break
        time.sleep(0.02)
    time.sleep(load_s / 2)
    stop.set()
    for t in threads:
        t.join()
    srv.stop()
    during = [dt for (t, st, dt) in samples if t >= t_sig and (t_new is None or t <= t_new + 1.0)]
    took = f"{t_new - t_sig:.2f}" if t_new else "never"
    change = os.path.basename(changed).removesuffix(".sqlite")
    print(f"RESULT {label} reload change={change} new_data_s={took} requests={len(samples)} failed={failures[0]} "
          f"during={len(during)} p99_ms={pct(during, 99) if during else 0:.2f} "
          f"max_ms={max(during) if during else 0:.2f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mapsvc")
    ap.add_argument("db")
    ap.add_argument("csv")
    ap.add_argument("--tiles", type=int, default=30)
    ap.add_argument("--list")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--reload", action="append", default=[])
    ap.add_argument("--load-s", type=float, default=2.0, help="seconds of load before a reload's signal")
    ap.add_argument("--label", default="data")
    ap.add_argument("--workdir", default="/tmp")
    a = ap.parse_args()
    pts, names = read_sites(a.csv)
    tiles = tile_list(pts, a.tiles)
    # The client's own pauses are not the server's latency: a full
    # collection walks the million-entry lists (25 ms here, inside
    # whichever request it interrupts).  They live to the end, so they
    # leave the collector's view; what the requests make is freed by
    # reference counting.
    gc.collect()
    gc.freeze()
    if a.list:
        with open(a.list, "w") as f:
            for zoom_tiles in tiles:
                for z, x, y in zoom_tiles:
                    f.write(f"{z}/{x}/{y}\n")

    log = os.path.join(a.workdir, f"{a.label}.access.json")
    if os.path.exists(log):
        os.unlink(log)
    srv = Serve(a.mapsvc, a.db, "--cache-mb", "0", "--access-log", log, "--log-format", "json")
    print(f"RESULT {a.label} startup s={srv.startup_s:.2f} names_s={srv.names_s:.2f} "
          f"cpu_s={cpu_s(srv.p.pid):.2f} "
          f"rss_mb={srv.rss_mb():.0f} sites={len(pts)}", flush=True)
    try:
        worst = cold_tiles(srv, tiles, a.label)
        print(f"RESULT {a.label} tiles_worst max_ms={worst:.2f}", flush=True)
        search(srv, names, a.queries, a.label)
    finally:
        srv.stop()
    served_tiles(log, tiles, a.label)
    os.unlink(log)

    srv = Serve(a.mapsvc, a.db)
    start_rss = srv.rss_mb()
    try:
        sweep_styles(srv, tiles)
        print(f"RESULT {a.label} rss start_mb={start_rss:.0f} after_sweep_mb={srv.rss_mb():.0f} "
              f"peak_mb={status_kb(srv.p.pid, 'VmHWM') / 1024.0:.0f}", flush=True)
    finally:
        srv.stop()

    for changed in a.reload:
        reload_under_load(a.mapsvc, a.db, changed, pts, a.label, a.workdir, a.load_s)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Soak: minutes of mixed traffic with reloads; the server's memory must
stay flat (issue 11).  Not part of CTest: it takes ten minutes.

usage: soak.py MAPSVC [--minutes M] [--sites N] [--connections C]

Builds two databases of N synthetic sites (gen_sites.py, clustered over
China; the second one differs), starts `MAPSVC serve` with a small tile
cache (16 MiB, so that it churns) and then, for M minutes (default 10):
  - wrk at C keep-alive connections (default 32) asks wrk_soak.lua's mix:
    tiles at zoom 5-16 over the data (most of them cold renders), pages
    of items, nearest sites anywhere on Earth (poles and antipodes
    included), TileJSON;
  - a thread asks for a static map and a PDF route sheet in turn, one a
    second, from a few addresses (the expensive pool; 503s are counted);
  - every 15 s the live database file is replaced by the other one and
    the server gets SIGHUP (a reload);
  - every 30 s 300 sockets from other addresses connect, half of them
    trickle half a request line, and are left to the head timeout.
VmRSS is read every 10 s.  After a warm-up (the first 2 minutes, or a
fifth of the run), RSS must stay within 10 % of its level at the end of
the warm-up; wrk must see no socket error and no answer but 2xx.  Prints
the samples and one RESULT line, and exits 1 when memory grew or an
error was seen.

  RESULT minutes=M rss_warm_mb=... rss_end_mb=... rss_max_mb=... growth_pct=...
         requests=... wrk_errors=... expensive_ok=... expensive_503=... reloads=...
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_S = 10
RELOAD_S = 15
ATTACK_S = 30
ATTACK_SOCKETS = 300
GROWTH_LIMIT = 0.10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def get(port, path, source=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def expensive_loop(port, stop, counts):
    paths = ["/staticmap.png?bbox=%d,30,%d,40&width=800&height=600" % (100 + i, 110 + i) for i in range(10)]
    paths += ["/route?from=36.85,118.1&nearest=%d&format=pdf" % (5 + i) for i in range(10)]
    i = 0
    while not stop.is_set():
        try:
            st = get(port, paths[i % len(paths)], source="127.0.9.%d" % (i % 4 + 1))
            counts[st] = counts.get(st, 0) + 1
        except OSError as e:
            counts[repr(e)] = counts.get(repr(e), 0) + 1
        i += 1
        stop.wait(1.0)


def attack_once(port, round_no):
    socks = []
    for i in range(ATTACK_SOCKETS):
        try:
            s = socket.socket()
            s.bind(("127.0.10.%d" % (1 + (round_no * 7 + i) % 200), 0))
            s.settimeout(2)
            s.connect(("127.0.0.1", port))
            if i % 2:
                s.sendall(b"GET /collections/sites/items?q=")
            socks.append(s)
        except OSError:
            pass
    return socks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mapsvc")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--sites", type=int, default=20000)
    ap.add_argument("--connections", type=int, default=32)
    a = ap.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("soak.py: wrk is missing (apt-get install wrk)")
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    tmp = tempfile.mkdtemp(prefix="mapsvc-soak-")
    proc = None
    try:
        dbs = []
        for k, seed in enumerate((1, 2)):
            csv_path = os.path.join(tmp, "sites%d.csv" % k)
            subprocess.run([sys.executable, os.path.join(HERE, "gen_sites.py"), str(a.sites + k * 100), csv_path,
                            "--layout", "clustered", "--seed", str(seed)], check=True)
            db = os.path.join(tmp, "sites%d.sqlite" % k)
            subprocess.run([a.mapsvc, "import", "--db", db, csv_path], check=True, capture_output=True)
            dbs.append(db)
        live = os.path.join(tmp, "live.sqlite")
        shutil.copyfile(dbs[0], live)
        port = free_port()
        log = open(os.path.join(tmp, "serve.log"), "w")
        proc = subprocess.Popen([a.mapsvc, "serve", "--listen", "127.0.0.1:%d" % port, "--db", live,
                                 "--cache-mb", "16", "--head-timeout", "5",
                                 "--max-client-connections", str(4 * a.connections)],
                                stdout=log, stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                if get(port, "/healthz", timeout=2) == 200:
                    break
            except OSError:
                time.sleep(0.1)
        seconds = int(a.minutes * 60)
        warm = min(120, seconds // 5)
        wrk_proc = subprocess.Popen([wrk, "-t2", "-c%d" % a.connections, "-d%ds" % seconds, "--latency", "-s",
                                     os.path.join(HERE, "wrk_soak.lua"), "http://127.0.0.1:%d" % port],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        stop = threading.Event()
        counts = {}
        exp = threading.Thread(target=expensive_loop, args=(port, stop, counts), daemon=True)
        exp.start()
        t0 = time.time()
        samples, reloads, held, round_no = [], 0, [], 0
        next_sample, next_reload, next_attack = t0, t0 + RELOAD_S, t0 + ATTACK_S
        while time.time() - t0 < seconds:
            now = time.time()
            if now >= next_sample:
                samples.append((now - t0, rss_mb(proc.pid)))
                print("  t=%4.0f s  RSS %.1f MB" % samples[-1], flush=True)
                next_sample += SAMPLE_S
            if now >= next_reload:
                reloads += 1
                shutil.copyfile(dbs[reloads % 2], live + ".new")
                os.replace(live + ".new", live)
                proc.send_signal(signal.SIGHUP)
                next_reload += RELOAD_S
            if now >= next_attack:
                for s in held:
                    s.close()
                held = attack_once(port, round_no)
                round_no += 1
                next_attack += ATTACK_S
            time.sleep(0.2)
        stop.set()
        exp.join()
        for s in held:
            s.close()
        text = wrk_proc.communicate(timeout=120)[0].decode()
        samples.append((time.time() - t0, rss_mb(proc.pid)))
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=120)
        log.close()
        with open(os.path.join(tmp, "serve.log")) as f:
            served = f.read()
        after = [r for t, r in samples if t >= warm]
        base = after[0]
        top = max(after)
        growth = (top - base) / base
        errors = len(re.findall(r"Socket errors|Non-2xx", text))
        requests = int(re.search(r"(\d+) requests in", text).group(1))
        ok_reloads = served.count("reloaded ")
        print(text)
        print("RESULT minutes=%g rss_warm_mb=%.1f rss_end_mb=%.1f rss_max_mb=%.1f growth_pct=%.1f requests=%d "
              "wrk_errors=%d expensive_ok=%d expensive_503=%d reloads=%d exit=%d" % (
                  a.minutes, base, after[-1], top, 100 * growth, requests, errors, counts.get(200, 0),
                  counts.get(503, 0), ok_reloads, rc))
        bad = growth > GROWTH_LIMIT or errors or rc != 0 or ok_reloads < reloads - 1 or \
            any(k not in (200, 503) for k in counts)
        if bad:
            print("soak.py: FAILED (growth above %d %%, wrk errors, failed reloads or a bad exit)" %
                  (100 * GROWTH_LIMIT), file=sys.stderr)
        return 1 if bad else 0
    finally:
        if proc and proc.poll() is None:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Start-up of `mapsvc serve`: seconds to the first answer, and RSS then.

usage: startup.py MAPSVC DB.sqlite [--rounds R] [-- SERVE-OPTIONS...]

Starts `MAPSVC serve --db DB --listen 127.0.0.1:PORT [SERVE-OPTIONS]` on a
free port, asks GET /healthz every 5 ms until it answers 200 (the first
answer, which comes once the snapshot is built), then until its
name_index is "ready" and its glyphs_ahead a number (a large set's name
index is built, and the styles' glyphs drawn, after the first answer),
then reads the server's VmRSS, VmHWM and CPU time from /proc and
stops it (SIGTERM, by its PID).
R rounds (default 3); prints one RESULT line with the medians (CPU
seconds, which a busy machine inflates less than wall seconds):

  RESULT startup_s=... names_s=... cpu_s=... rss_mb=... peak_mb=... rounds=R db=DB
"""
import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

POLL_S = 0.005
TIMEOUT_S = 120


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
    """User + system CPU seconds of the process so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ready(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/healthz")
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except OSError:
        return False


def names_ready(port):
    """True once /healthz says the name index is built (a large set's is
    built after the first answer), the styles' glyphs are drawn ahead and
    the first render context is warmed."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/healthz")
    h = json.loads(c.getresponse().read())
    c.close()
    return h.get("name_index", "ready") == "ready" and h.get("glyphs_ahead", 0) != "drawing" and \
        h.get("contexts_warmed", 0) != "warming"


def one(mapsvc, db, extra):
    port = free_port()
    t0 = time.perf_counter()
    p = subprocess.Popen([mapsvc, "serve", "--db", db, "--listen", f"127.0.0.1:{port}"] + extra,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not ready(port):
            if p.poll() is not None:
                sys.exit(f"startup: mapsvc serve exited {p.returncode}: {p.stderr.read().decode().strip()}")
            if time.perf_counter() - t0 > TIMEOUT_S:
                sys.exit("startup: no answer within the time limit")
            time.sleep(POLL_S)
        elapsed = time.perf_counter() - t0
        while not names_ready(port):
            if time.perf_counter() - t0 > TIMEOUT_S:
                sys.exit("startup: the name index was not built within the time limit")
            time.sleep(POLL_S)
        names = time.perf_counter() - t0
        rss, peak, cpu = status_kb(p.pid, "VmRSS"), status_kb(p.pid, "VmHWM"), cpu_s(p.pid)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return elapsed, rss / 1024.0, peak / 1024.0, cpu, names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mapsvc")
    ap.add_argument("db")
    ap.add_argument("--rounds", type=int, default=3)
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    a = ap.parse_args(argv[:cut])
    extra = argv[cut + 1:]
    runs = [one(a.mapsvc, a.db, extra) for _ in range(a.rounds)]
    print(f"RESULT startup_s={statistics.median(r[0] for r in runs):.2f} "
          f"names_s={statistics.median(r[4] for r in runs):.2f} "
          f"cpu_s={statistics.median(r[3] for r in runs):.2f} "
          f"rss_mb={statistics.median(r[1] for r in runs):.0f} "
          f"peak_mb={statistics.median(r[2] for r in runs):.0f} rounds={a.rounds} db={os.path.basename(a.db)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""How long an edit takes to go live (issue 12), at a given number of sites.

usage: edit_live.py MAPSVC N [--rounds R]

Generates N clustered sites (gen_sites.py), imports them, makes an edit
key, starts `mapsvc serve --edit` on a free loopback port and measures:
  - one PATCH moving a site, R times in a row: its wall time is the commit
    (one SQLite transaction, fsynced) plus the new generation (a copy of
    the sites, the spatial index and the hierarchies rebuilt, the name
    index patched), since a write answers once live;
  - one PATCH renaming a site, R times: the same, but the new generation
    shares the spatial index and hierarchies and patches the name index;
  - a burst of 8 PATCHes from 8 clients at once: they share rebuilds, so
    the burst takes far less than 8 single ones;
  - the server's start (a full load of the snapshot), for scale.
The server runs 12 threads: a write holds its thread until it is live.
Prints RESULT lines.  Leaves no process or file behind.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def patch_move(port, token, sid, lon, lat):
    return patch(port, token, sid, {"geometry": {"type": "Point", "coordinates": [lon, lat]}})


def patch(port, token, sid, change):
    """Seconds from sending the merge patch to its answer (once live)."""
    _, h, _ = request(port, "GET", "/collections/sites/items/" + sid)
    body = json.dumps(change).encode()
    t0 = time.perf_counter()
    st, _, data = request(port, "PATCH", "/collections/sites/items/" + sid,
                          {"Authorization": "Bearer " + token, "If-Match": h["etag"],
                           "Content-Type": "application/merge-patch+json"}, body)
    assert st == 200, (st, data[:200])
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mapsvc")
    ap.add_argument("n", type=int)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="mapsvc-edit-bench-")
    proc = None
    try:
        csv, db = os.path.join(work, "s.csv"), os.path.join(work, "s.sqlite")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_sites.py"), str(a.n), csv, "--layout", "clustered"],
                       check=True)
        subprocess.run([a.mapsvc, "import", "--db", db, csv], check=True, capture_output=True)
        token = subprocess.run([a.mapsvc, "keys", "--db", db, "add", "bench"], check=True,
                               capture_output=True, text=True).stdout.strip()
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen([a.mapsvc, "serve", "--db", db, "--edit", "--threads", "12", "--listen", "127.0.0.1:%d" % port],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        while "listening" not in proc.stdout.readline():
            pass
        print("RESULT start_s n=%d %.2f" % (a.n, time.perf_counter() - t0))
        ids = ["s%0*d" % (len(str(a.n - 1)), i) for i in range(0, a.n, max(1, a.n // 64))]
        singles = [patch_move(port, token, ids[i], 100.0 + i * 0.01, 30.0) for i in range(a.rounds)]
        singles.sort()
        print("RESULT patch_live_s n=%d median %.3f min %.3f max %.3f" % (
            a.n, singles[len(singles) // 2], singles[0], singles[-1]))
        renames = sorted(patch(port, token, ids[20 + i], {"properties": {"name_zh": "改名纪念馆%d" % i}})
                         for i in range(a.rounds))
        print("RESULT rename_live_s n=%d median %.3f min %.3f max %.3f" % (
            a.n, renames[len(renames) // 2], renames[0], renames[-1]))
        times = []
        t0 = time.perf_counter()
        th = [threading.Thread(target=lambda i=i: times.append(patch_move(port, token, ids[10 + i], 101.0, 31.0 + i * 0.01)))
              for i in range(8)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        print("RESULT burst8_s n=%d total %.3f slowest %.3f" % (a.n, time.perf_counter() - t0, max(times)))
        _, _, m = request(port, "GET", "/metrics")
        for line in m.decode().splitlines():
            if line.startswith("mapsvc_edit"):
                print("RESULT " + line)
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

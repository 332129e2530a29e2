#!/usr/bin/python3
"""Time `mapsvc import` against the SpatiaLite script on the same CSV.

usage: bench_import.py MAPSVC CSV [--rounds R] [--workdir DIR]

Runs `MAPSVC import --db NEW.sqlite CSV` and peer_spatialite_import.py
(SpatiaLite's obvious INSERT + CreateSpatialIndex) in turn, R rounds, each
into a new file, and times each whole process: wall seconds, and CPU
seconds (user + system of the child, which a busy machine does not
inflate).  Checks that both files hold every row and a spatial index that
SQLite's rtreecheck accepts.  Prints RESULT lines:

  RESULT import_s=WALL cpu_s=CPU rows=N tool=mapsvc|spatialite_script (medians)
  RESULT import_ratio_wall=R cpu=R (mapsvc / spatialite_script, median of the
         per-round ratios; the issue's target is <= 0.7)

Needs /usr/bin/python3 (Debian's, whose sqlite3 module loads extensions)
for the peer script.  Exits 1 when a run fails or a check does not hold.
"""
import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "peer_spatialite_import.py")


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode != 0:
        sys.exit(f"bench_import: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return wall, cpu


def check(db, rows, name):
    con = sqlite3.connect(db)
    n = con.execute("SELECT count(*) FROM sites").fetchone()[0]
    idx = con.execute("SELECT count(*) FROM idx_sites_geom_rowid").fetchone()[0]
    verdict = con.execute("SELECT rtreecheck('idx_sites_geom')").fetchone()[0]
    con.close()
    if n != rows or idx != rows or verdict != "ok":
        sys.exit(f"bench_import: {name}: {n} rows, {idx} index entries, rtreecheck {verdict!r}; expected {rows}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mapsvc")
    ap.add_argument("csv")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    with open(a.csv, encoding="utf-8") as f:
        rows = sum(1 for _ in f) - 1
    work = tempfile.mkdtemp(prefix="bench-import.", dir=a.workdir)
    try:
        res = {"mapsvc": [], "spatialite_script": []}
        for _ in range(a.rounds):
            for tool in res:
                db = os.path.join(work, f"{tool}.sqlite")
                if os.path.exists(db):
                    os.remove(db)
                if tool == "mapsvc":
                    cmd = [a.mapsvc, "import", "--db", db, a.csv]
                else:
                    cmd = ["/usr/bin/python3", PEER, a.csv, db]
                res[tool].append(timed(cmd))
                check(db, rows, tool)
                os.remove(db)
        for tool, runs in res.items():
            print(f"RESULT import_s={statistics.median(w for w, _ in runs):.2f} "
                  f"cpu_s={statistics.median(c for _, c in runs):.2f} rows={rows} tool={tool} "
                  f"rounds={a.rounds}")
        pairs = list(zip(res["mapsvc"], res["spatialite_script"]))
        print(f"RESULT import_ratio_wall={statistics.median(m[0] / p[0] for m, p in pairs):.2f} "
              f"cpu={statistics.median(m[1] / p[1] for m, p in pairs):.2f} rows={rows} "
              "(mapsvc / spatialite_script, target <= 0.7)")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

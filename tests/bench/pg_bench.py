#!/usr/bin/env python3
"""PostGIS figures for the scale benchmark: the import time of each CSV
into PostGIS (one COPY transaction), and, on the last one, how long a
serving replica takes to install a change it is told of: one row changed
with psql (an incremental update: the change log, merged into the current
sites) and a replacing import of everything (a full reload).  The
snapshot's indexes are rebuilt whole either way; the difference is what is
read from the database.

usage: pg_bench.py MAPSVC CSV...
Prints RESULT lines like scale.sh's.  Runs a private cluster (tests/
postgis/pgfixture.py) and stops it; prints an INFO line and exits 0 when
PostgreSQL or PostGIS is not installed (a benchmark measures, it does not
judge).  Python 3 standard library only.
"""
import os
import re
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "postgis"))
sys.path.insert(0, os.path.join(here, "..", "http"))
import pgfixture  # noqa: E402

UPDATE_TIMEOUT_S = 600
LINE = re.compile(r"store version \d+: (.*) \((\d+) ms read, (\d+) ms in all\)")


def label(csv):
    return os.path.splitext(os.path.basename(csv))[0]


def timed_import(mapsvc, db, csv):
    t0 = time.monotonic()
    out = subprocess.run([mapsvc, "import", "--replace", "--db", db, csv], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("import failed: %s" % out.stderr)
    return time.monotonic() - t0


def wait_line(srv, seen):
    """The next follower line of the server's log after the first seen."""
    deadline = time.monotonic() + UPDATE_TIMEOUT_S
    while time.monotonic() < deadline:
        found = LINE.findall(srv.output())  # read without moving the server's offset
        if len(found) > seen:
            return found[seen]
        time.sleep(0.05)
    raise SystemExit("the replica did not report the update")


def follow_figures(mapsvc, pg, csv):
    import harness
    harness.MAPSVC = mapsvc
    with harness.Server("--styles", os.path.join(os.path.dirname(mapsvc), "styles"), db=pg.dsn()) as srv:
        pg.psql("UPDATE sites SET name_zh = name_zh || '（新）' WHERE id = (SELECT min(id) FROM sites)")
        what, read_ms, all_ms = wait_line(srv, 0)
        print("RESULT %s follow_incremental read_ms=%s total_ms=%s (%s)" % (label(csv), read_ms, all_ms, what))
        timed_import(mapsvc, pg.dsn(), csv)
        what, read_ms, all_ms = wait_line(srv, 1)
        print("RESULT %s follow_full read_ms=%s total_ms=%s (%s)" % (label(csv), read_ms, all_ms, what))
        sys.stdout.flush()


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    mapsvc, csvs = sys.argv[1], sys.argv[2:]
    why = pgfixture.missing()
    if why:
        print("INFO no PostGIS figures: %s" % why)
        return 0
    with pgfixture.PgCluster() as pg:
        for csv in csvs:
            s = timed_import(mapsvc, pg.dsn(), csv)
            print("RESULT %s import_postgis s=%.1f" % (label(csv), s))
            sys.stdout.flush()
        follow_figures(mapsvc, pg, csvs[-1])
    return 0


sys.exit(main())

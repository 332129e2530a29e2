"""Imports cannot lose each other (issue 11, rows 5 and 6), with the real
command: two `mapsvc import --db same.sqlite` started at the same moment
both land (the second waits for the first, then adds to its result); an
import killed with SIGKILL leaves the database as it was, and the next
import removes what it left behind (its temporary copy and journal)."""
import glob
import shutil
import signal
import sqlite3
import subprocess
import time

from harness import *

tmp = tempfile.mkdtemp(prefix="mapsvc-import-")
ROWS = 20000


def write_csv(path, prefix, n):
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,name_zh,category,lat,lon\n")
        for i in range(n):
            f.write("%s-%d,地点%d,museum,%.5f,%.5f\n" % (prefix, i, i, 25 + (i % 997) * 0.013, 100 + (i % 991) * 0.021))


def count(db, where=""):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM sites " + where).fetchone()[0]


def import_(db, *files, wait=True):
    p = subprocess.Popen([MAPSVC, "import", "--db", db] + list(files), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    if not wait:
        return p
    out, err = p.communicate(timeout=600)
    return p.returncode, out.decode(), err.decode()


def leftovers(db):
    return sorted(glob.glob(db + ".import-*")) + sorted(glob.glob(db + ".lock"))


def test_two_imports_at_once():
    db = os.path.join(tmp, "same.sqlite")
    assert import_(db, os.path.join(SOURCE, "data", "sites.csv"))[0] == 0
    total = 25
    for attempt in range(3):  # the race the lock closes was lost 3 times out of 3 before
        a, b = os.path.join(tmp, "a%d.csv" % attempt), os.path.join(tmp, "b%d.csv" % attempt)
        write_csv(a, "a%d" % attempt, ROWS)
        write_csv(b, "b%d" % attempt, ROWS)
        pa, pb = import_(db, a, wait=False), import_(db, b, wait=False)
        ra, rb = pa.communicate(timeout=600), pb.communicate(timeout=600)
        assert pa.returncode == 0 and pb.returncode == 0, (ra, rb)
        assert b"imported %d sites" % ROWS in ra[0] and b"imported %d sites" % ROWS in rb[0], (ra, rb)
        total += 2 * ROWS
        assert count(db) == total, "rows lost: %d of %d" % (count(db), total)
        for prefix in ("a%d" % attempt, "b%d" % attempt):
            assert count(db, "WHERE id LIKE '%s-%%'" % prefix) == ROWS, prefix
        assert leftovers(db) == [], leftovers(db)


def test_killed_import_leaves_nothing_for_long():
    db = os.path.join(tmp, "killed.sqlite")
    assert import_(db, os.path.join(SOURCE, "data", "sites.csv"))[0] == 0
    with open(db, "rb") as f:
        before = f.read()
    big = os.path.join(tmp, "big.csv")
    write_csv(big, "k", 200000)
    killed = False
    for attempt in range(5):
        p = import_(db, big, wait=False)
        deadline = time.time() + 60
        while not glob.glob(db + ".import-*") and p.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait()
            killed = True
            break
        # it finished before it could be killed: undo and retry
        subprocess.run([MAPSVC, "import", "--db", db, "--replace", os.path.join(SOURCE, "data", "sites.csv")],
                       check=True, capture_output=True)
        with open(db, "rb") as f:
            before = f.read()
    assert killed, "the import always finished before it could be killed"
    left = leftovers(db)
    assert any(".import-" in x for x in left), left
    with open(db, "rb") as f:
        assert f.read() == before, "a killed import changed the database"
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # the next import cleans up, and lands
    small = os.path.join(tmp, "small.csv")
    write_csv(small, "s", 10)
    rc, out, err = import_(db, small)
    assert rc == 0, err
    assert leftovers(db) == [], leftovers(db)
    assert count(db) == 25 + 10


if __name__ == "__main__":
    try:
        status = run(test_two_imports_at_once, test_killed_import_leaves_nothing_for_long)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(status)

"""The cluster hierarchies an import keeps with the sites (mapsvc_clusters):
a server started on the database reads them instead of building them
(/healthz clusters_read), and draws exactly the tiles it draws when it
builds them; a block of other data (the sites edited since the import)
or a damaged one is not read, and the hierarchy is built; a SIGHUP onto
a newly imported file reads that file's blocks; an import that adds
sites keeps the hierarchies of all of them; an import without styles
keeps none and removes those an earlier one kept."""
import csv
import random
import shutil
import sqlite3
import time

from harness import *

tmp = tempfile.mkdtemp(prefix="mapsvc-kept-")
N = 10000
rows = db = None  # the sites, and their database with the blocks (main)
STYLES = 2  # the bundled default and print, of different parameters


def write_sites(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name_zh", "category", "lat", "lon"])
        w.writerows(rows)


def make_rows():
    """N sites crowded around 40 centres in eastern China (clusters at
    every zoom), a few of them at one position (coincident)."""
    rnd = random.Random(20261201)
    centres = [(rnd.uniform(24, 40), rnd.uniform(105, 122)) for _ in range(40)]
    rows = []
    for i in range(N):
        lat, lon = centres[i % len(centres)]
        if i % 97 != 0:
            lat += rnd.gauss(0, 0.3)
            lon += rnd.gauss(0, 0.3)
        rows.append(["k-%05d" % i, "站点%d" % i, "museum" if i % 3 else "former_site",
                     "%.6f" % lat, "%.6f" % lon])
    return rows


def import_db(name, rows, *extra):
    csv_path = os.path.join(tmp, name + ".csv")
    write_sites(csv_path, rows)
    db = os.path.join(tmp, name + ".sqlite")
    out = subprocess.run([MAPSVC, "import", "--replace", "--db", db, *extra, csv_path],
                         capture_output=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return db


def kept_keys(db):
    c = sqlite3.connect(db)
    try:
        return sorted(r[0] for r in c.execute("SELECT key FROM mapsvc_clusters"))
    except sqlite3.OperationalError:  # no table
        return []
    finally:
        c.close()


def copy_without_blocks(db, name):
    other = os.path.join(tmp, name + ".sqlite")
    shutil.copyfile(db, other)
    c = sqlite3.connect(other)
    c.execute("DELETE FROM mapsvc_clusters")
    c.commit()
    c.close()
    return other


def tile_of(lat, lon, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tile_paths(rows, count=4):
    """Tiles over the sites in both styles, at zooms from the whole
    country down past the clustering zooms, at 1x and @2x and in GCJ-02."""
    rnd = random.Random(7)
    paths = []
    for z in (3, 5, 7, 9, 11, 13, 14, 15, 16, 17):
        for _ in range(count):
            r = rows[rnd.randrange(len(rows))]
            x, y = tile_of(float(r[3]), float(r[4]), z)
            for style in ("default", "print"):
                paths.append("/tiles/%s/%d/%d/%d.png" % (style, z, x, y))
            paths.append("/tiles/default/%d/%d/%d@2x.png" % (z, x, y))
            paths.append("/tiles/default/%d/%d/%d.png?coordsys=gcj02" % (z, x, y))
    return paths


def same_tiles(a, b, paths):
    drawn = 0
    for p in paths:
        ra, rb = a.get(p), b.get(p)
        assert ra.status == 200 and rb.status == 200, (p, ra.status, rb.status)
        assert ra.body == rb.body, "%s: the tile differs between a read and a built hierarchy" % p
        drawn += len(ra.body) > 200  # more than an empty tile
    assert drawn > len(paths) // 2, drawn  # the tiles show sites


def test_read_not_built():
    assert len(kept_keys(db)) == STYLES, kept_keys(db)
    built = copy_without_blocks(db, "built")
    with Server(db=db) as a, Server(db=built) as b:
        ha, hb = a.get("/healthz").json(), b.get("/healthz").json()
        assert ha["clusters_read"] == STYLES and hb["clusters_read"] == 0, (ha, hb)
        assert ha["data_version"] == hb["data_version"]
        same_tiles(a, b, tile_paths(rows))
        # clusters' members and expansion zooms come from the hierarchy too
        x, y = tile_of(float(rows[0][3]), float(rows[0][4]), 6)
        pa = a.get("/tiles/default/6/%d/%d.png" % (x, y))
        pb = b.get("/tiles/default/6/%d/%d.png" % (x, y))
        assert pa.body == pb.body


def test_stale_and_damaged():
    # the sites edited since the import: the blocks are of other data
    stale = os.path.join(tmp, "stale.sqlite")
    shutil.copyfile(db, stale)
    c = sqlite3.connect(stale)
    c.execute("UPDATE sites SET name_zh = '改过的名字' WHERE id = 'k-00001'")
    c.commit()
    c.close()
    with Server(db=stale) as s:
        h = s.get("/healthz").json()
        assert h["clusters_read"] == 0, h
        doc = s.get("/collections/sites/items/k-00001").json()
        assert doc["properties"]["name_zh"] == "改过的名字", doc
    # one block damaged (a byte flipped in its arrays): that one is built
    damaged = os.path.join(tmp, "damaged.sqlite")
    shutil.copyfile(db, damaged)
    c = sqlite3.connect(damaged)
    key, block = c.execute("SELECT key, block FROM mapsvc_clusters ORDER BY key LIMIT 1").fetchone()
    block = bytearray(block)
    block[len(block) // 2] ^= 0x10
    c.execute("UPDATE mapsvc_clusters SET block = ? WHERE key = ?", (bytes(block), key))
    c.commit()
    c.close()
    built = copy_without_blocks(db, "built2")
    with Server(db=damaged) as a, Server(db=built) as b:
        assert a.get("/healthz").json()["clusters_read"] == STYLES - 1
        same_tiles(a, b, tile_paths(rows, count=2))


def test_reload_reads_new_blocks():
    live = os.path.join(tmp, "live.sqlite")
    shutil.copyfile(db, live)
    moved = [list(r) for r in rows]
    moved[5][3] = "%.6f" % (float(moved[5][3]) + 0.01)  # about a kilometre north
    fresh = import_db("moved", moved)
    built = copy_without_blocks(fresh, "moved-built")
    with Server(db=live) as s, Server(db=built) as b:
        before = s.get("/healthz").json()
        assert before["clusters_read"] == STYLES
        os.replace(fresh, live)
        s.signal(signal.SIGHUP)
        deadline = time.time() + 60
        while s.get("/healthz").json()["data_version"] == before["data_version"]:
            assert time.time() < deadline, "no reload"
            time.sleep(0.1)
        h = s.get("/healthz").json()
        assert h["clusters_read"] == STYLES, h
        assert h["data_version"] == b.get("/healthz").json()["data_version"]
        same_tiles(s, b, tile_paths(moved, count=2) +
                   ["/tiles/default/%d/%d/%d.png" % ((z,) + tile_of(float(moved[5][3]), float(moved[5][4]), z))
                    for z in range(8, 17)])


def test_import_adds_sites():
    # an import without --replace keeps the hierarchies of every site the
    # database then holds: the ones it had and the ones it adds
    more = os.path.join(tmp, "more.sqlite")
    shutil.copyfile(db, more)
    added = [["k-extra-%d" % i, "新站%d" % i, "museum", "%.6f" % (30 + i * 0.01), "%.6f" % (114 + i * 0.01)]
             for i in range(50)]
    csv_path = os.path.join(tmp, "added.csv")
    write_sites(csv_path, added)
    out = subprocess.run([MAPSVC, "import", "--db", more, csv_path], capture_output=True, timeout=300)
    assert out.returncode == 0, out.stderr
    built = copy_without_blocks(more, "more-built")
    with Server(db=more) as a, Server(db=built) as b:
        h = a.get("/healthz").json()
        assert h["sites"] == N + 50 and h["clusters_read"] == STYLES, h
        same_tiles(a, b, tile_paths(rows + added, count=2))


def test_import_without_styles():
    other = os.path.join(tmp, "again.sqlite")
    shutil.copyfile(db, other)
    csv_path = os.path.join(tmp, "few.csv")
    write_sites(csv_path, rows[:10])
    # a folder of no styles keeps nothing; one that cannot be read says so
    empty = os.path.join(tmp, "nostyles")
    os.mkdir(empty)
    out = subprocess.run([MAPSVC, "import", "--replace", "--styles", empty, "--db", other, csv_path],
                         capture_output=True, timeout=120)
    assert out.returncode == 0 and out.stderr == b"", out.stderr
    assert kept_keys(other) == [], kept_keys(other)
    shutil.copyfile(db, other)
    out = subprocess.run([MAPSVC, "import", "--replace", "--styles", os.path.join(tmp, "missing"),
                          "--db", other, csv_path], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert b"missing" in out.stderr and b"the clusters are not kept" in out.stderr, out.stderr
    assert kept_keys(other) == [], kept_keys(other)
    with Server(db=other) as s:
        h = s.get("/healthz").json()
        assert h["sites"] == 10 and h["clusters_read"] == 0, h


if __name__ == "__main__":
    try:
        rows = make_rows()
        db = import_db("kept", rows)
        status = run(test_read_not_built, test_stale_and_damaged, test_reload_reads_new_blocks,
                     test_import_adds_sites, test_import_without_styles)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(status)

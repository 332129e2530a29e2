"""`mapsvc serve --tiles-from FILE` end to end, for an MBTiles file and a
PMTiles archive that `mapsvc seed` wrote: every tile the file holds is
served with the bytes and the ETag of the renderer (a plain server
compared tile by tile), the file really is read (a tile changed inside
the MBTiles file comes back changed), what the file lacks - zooms beyond
it, tiles beyond its box, another style, @2x, GCJ-02 - is rendered as
usual, and after a reload onto other data the file is no longer used
(the log says why) and tiles show the new data.  A file that cannot be
read stops the server at start with its name."""
import csv
import shutil
import sqlite3
import subprocess
import time
import urllib.parse

from harness import *

TMP = tempfile.mkdtemp(prefix="mapsvc-tiles-from-")
LIVE = os.path.join(TMP, "live.sqlite")
ZOOMS = "0-11"
plain = None


def seed(out, *args):
    r = subprocess.run([MAPSVC, "seed", "--db", LIVE, "--zoom", ZOOMS, "-o", out] + list(args),
                       capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out


def stored_tiles(path):
    """(z, x, y) of every tile of an MBTiles file, XYZ rows."""
    db = sqlite3.connect(path)
    rows = db.execute("SELECT zoom_level, tile_column, tile_row, length(tile_data) FROM tiles").fetchall()
    db.close()
    return [(z, x, 2 ** z - 1 - row, n) for z, x, row, n in rows]


def same_tile(srv, url):
    a, b = srv.get(url), plain.get(url)
    assert a.status == b.status == 200, (url, a, b)
    assert a.body == b.body, (url, len(a.body), len(b.body))
    assert a.header("etag") == b.header("etag"), (url, a.header("etag"), b.header("etag"))
    return a


def check_serving(store, mbtiles):
    """Every non-empty tile of the file and a spread of its empty ones,
    then what it lacks, each against the plain server."""
    tiles = stored_tiles(mbtiles)
    sizes = sorted({n for _, _, _, n in tiles})
    empty = sizes[0]  # the shared empty PNG is the smallest tile
    full = [t for t in tiles if t[3] != empty]
    blank = [t for t in tiles if t[3] == empty]
    assert len(full) >= 20 and len(blank) > 1000, (len(full), len(blank))
    with Server("--tiles-from", store, db=LIVE) as srv:
        log = srv.output()
        assert "tiles from %s: %d tiles of style default, wgs84, @1x, zooms %s" % (store, len(tiles), ZOOMS) in log, log
        for z, x, y, _ in full + blank[::211]:
            same_tile(srv, "/tiles/%d/%d/%d.png" % (z, x, y))
        z, x, y, _ = full[-1]
        for url in ("/tiles/12/%d/%d.png" % (2 * x, 2 * y),  # beyond the file's zooms
                    "/tiles/11/0/0.png",  # beyond its box
                    "/tiles/print/%d/%d/%d.png" % (z, x, y),  # another style
                    "/tiles/%d/%d/%d@2x.png" % (z, x, y),  # another scale
                    "/tiles/%d/%d/%d.png?coordsys=gcj02" % (z, x, y)):  # another system
            same_tile(srv, url)


def test_mbtiles():
    check_serving(seed(os.path.join(TMP, "s.mbtiles")), os.path.join(TMP, "s.mbtiles"))


def test_pmtiles():
    check_serving(seed(os.path.join(TMP, "s.pmtiles")), os.path.join(TMP, "s.mbtiles"))


def test_file_is_read():
    """One address of a copy of the MBTiles file pointed at another image:
    the server answers that image, so the file and not the renderer
    answered; its neighbours are untouched."""
    path = os.path.join(TMP, "changed.mbtiles")
    shutil.copyfile(os.path.join(TMP, "s.mbtiles"), path)
    tiles = stored_tiles(path)
    empty = min(n for _, _, _, n in tiles)
    z, x, y, _ = [t for t in tiles if t[3] != empty][0]
    db = sqlite3.connect(path)
    other, data = db.execute("SELECT tile_id, tile_data FROM images WHERE length(tile_data) = ?", (empty,)).fetchone()
    db.execute("UPDATE map SET tile_id = ? WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
               (other, z, x, 2 ** z - 1 - y))
    db.commit()
    db.close()
    with Server("--tiles-from", path, db=LIVE) as srv:
        r = srv.get("/tiles/%d/%d/%d.png" % (z, x, y))
        assert r.status == 200 and r.body == bytes(data), (z, x, y, len(r.body))
        assert plain.get("/tiles/%d/%d/%d.png" % (z, x, y)).body != r.body
        # a filtered tile is never read from the file, which holds only
        # unfiltered ones: rendered, even with a filter every site passes
        url = "/tiles/%d/%d/%d.png?filter=%s" % (z, x, y, urllib.parse.quote("name_zh <> ''", safe=""))
        assert same_tile(srv, url).body != r.body


def test_reload_onto_other_data():
    """SIGHUP after an import of fewer sites: the file was seeded from
    other data, so it is left aside (the log says why) and the tiles
    show the new data; a seed of it again is used after the next SIGHUP."""
    store = os.path.join(TMP, "s.pmtiles")
    with Server("--tiles-from", store, db=LIVE) as srv:
        tiles = stored_tiles(os.path.join(TMP, "s.mbtiles"))
        empty = min(n for _, _, _, n in tiles)
        full = [t for t in tiles if t[3] != empty]
        before = {t: srv.get("/tiles/%d/%d/%d.png" % t[:3]).body for t in full}
        with open(os.path.join(SOURCE, "data", "sites.csv"), encoding="utf-8") as f:
            rows = list(csv.reader(f))
        subset = os.path.join(TMP, "subset.csv")
        with open(subset, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows[:3])
        fresh = os.path.join(TMP, "fresh.sqlite")
        r = subprocess.run([MAPSVC, "import", "--replace", "--db", fresh, subset], capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        os.replace(fresh, LIVE)
        srv.signal(signal.SIGHUP)
        deadline = time.time() + 30
        while "not used: seeded from other data" not in srv.output():
            assert time.time() < deadline, srv.output()
            time.sleep(0.1)
        after = {t: srv.get("/tiles/%d/%d/%d.png" % t[:3]).body for t in full}
        assert sum(before[t] != after[t] for t in full) > len(full) / 2, "the tiles still show the old data"
        with Server(db=LIVE) as fresh_plain:
            for t in full[:20]:
                assert after[t] == fresh_plain.get("/tiles/%d/%d/%d.png" % t[:3]).body, t
        # seeded again from the new data: used after the next reload
        os.unlink(store)
        seed(store)
        srv.signal(signal.SIGHUP)
        deadline = time.time() + 30
        while srv.output().count("tiles of style default") < 2:
            assert time.time() < deadline, srv.output()
            time.sleep(0.1)


def test_unreadable_file():
    for name, content in (("missing.pmtiles", None), ("junk.pmtiles", b"not an archive at all"),
                          ("junk.mbtiles", b"not a database, and long enough to be looked at")):
        path = os.path.join(TMP, name)
        if content is not None:
            with open(path, "wb") as f:
                f.write(content)
        r = subprocess.run([MAPSVC, "serve", "--listen", "127.0.0.1:0", "--db", LIVE, "--tiles-from", path],
                           capture_output=True, timeout=60)
        assert r.returncode == 1 and name.encode() in r.stderr, (name, r.returncode, r.stderr)


if __name__ == "__main__":
    shutil.copyfile(BUNDLED_DB, LIVE)
    try:
        with Server(db=BUNDLED_DB) as plain:
            status = run(test_mbtiles, test_pmtiles, test_file_is_read, test_reload_onto_other_data,
                         test_unreadable_file)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)

"""`mapsvc seed` end to end: the MBTiles file it writes holds, under TMS
rows, the very bytes GET /tiles serves, exactly the tiles the box covers
(counted here from the Mercator formulas), the metadata MBTiles 1.3 asks
for, deduplicated images; bad requests are refused with a message and
leave no file behind; GDAL opens the result as a raster."""
import shutil
import sqlite3
import subprocess

from harness import *
from pngdecode import decode_png

srv = None
TMP = tempfile.mkdtemp(prefix="mapsvc-seed-")
SEEDED = os.path.join(TMP, "sites.mbtiles")


def seed(*args, out=None):
    cmd = [MAPSVC, "seed", "--db", srv.db] + list(args)
    if out is not None:
        cmd += ["-o", out]
    return subprocess.run(cmd, capture_output=True, timeout=600)


def data_bounds():
    """West, south, east, north of every site, read from the items."""
    feats = srv.get("/collections/sites/items?limit=1000").json()["features"]
    lons = [f["geometry"]["coordinates"][0] for f in feats]
    lats = [f["geometry"]["coordinates"][1] for f in feats]
    return min(lons), min(lats), max(lons), max(lats)


def tile_xy(lon, lat, z):
    """The XYZ tile of a point (spherical Mercator, clamped to the grid)."""
    n = 2 ** z
    phi = math.radians(max(-85.05112877980659, min(85.05112877980659, lat)))
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0 * n
    return min(n - 1, max(0, int(math.floor(x)))), min(n - 1, max(0, int(math.floor(y))))


def expected_tiles(bounds, zmin, zmax):
    """Every (z, x, y) of the zoom range that the box touches."""
    w, s, e, n = bounds
    out = set()
    for z in range(zmin, zmax + 1):
        x0, y0 = tile_xy(w, n, z)
        x1, y1 = tile_xy(e, s, z)
        out.update((z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
    return out


def no_leftovers():
    """Nothing but finished stores: no file being written, no journal."""
    left = [f for f in os.listdir(TMP) if not f.endswith(".mbtiles")]
    assert not left, left


def test_seed_z0_12():
    r = seed("--zoom", "0-12", out=SEEDED)
    assert r.returncode == 0, r.stderr
    summary = r.stderr.decode().strip().splitlines()[-1]
    assert "tiles" in summary and "unique images" in summary and "bytes" in summary, summary
    no_leftovers()


def test_metadata():
    db = sqlite3.connect(SEEDED)
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    db.close()
    for key in ("name", "format", "bounds", "center", "minzoom", "maxzoom", "attribution", "description",
                "type", "version"):
        assert meta.get(key), (key, meta)
    assert meta["format"] == "png" and meta["type"] == "overlay", meta
    assert (meta["minzoom"], meta["maxzoom"]) == ("0", "12"), meta
    bounds = [float(v) for v in meta["bounds"].split(",")]
    want = data_bounds()
    assert all(abs(a - b) <= 1.5e-6 for a, b in zip(bounds, want)), (bounds, want)
    lon, lat, zoom = meta["center"].split(",")
    assert abs(float(lon) - (want[0] + want[2]) / 2) < 1e-5, meta["center"]
    assert abs(float(lat) - (want[1] + want[3]) / 2) < 1e-5, meta["center"]
    assert 0 <= int(zoom) <= 12, meta["center"]


def test_tile_set_and_dedup():
    db = sqlite3.connect(SEEDED)
    got = set()
    for z, col, row in db.execute("SELECT zoom_level, tile_column, tile_row FROM tiles"):
        got.add((z, col, 2 ** z - 1 - row))  # TMS row back to XYZ
    n_map = db.execute("SELECT count(*) FROM map").fetchone()[0]
    n_img = db.execute("SELECT count(*) FROM images").fetchone()[0]
    dangling = db.execute("SELECT count(*) FROM map WHERE tile_id NOT IN (SELECT tile_id FROM images)").fetchone()[0]
    db.close()
    want = expected_tiles(data_bounds(), 0, 12)
    assert len(got) == n_map == len(want), (len(got), n_map, len(want))
    assert got == want, (sorted(got - want)[:5], sorted(want - got)[:5])
    assert dangling == 0
    assert 1 < n_img < n_map / 10, (n_img, n_map)


def test_bytes_equal_http():
    """Every non-empty tile, and a spread of empty ones, is GET /tiles' body."""
    empty = srv.get("/tiles/12/0/0.png")
    assert empty.status == 200, empty
    db = sqlite3.connect(SEEDED)
    rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles "
                      "ORDER BY zoom_level, tile_column, tile_row").fetchall()
    db.close()
    full = [r for r in rows if bytes(r[3]) != empty.body]
    blank = [r for r in rows if bytes(r[3]) == empty.body]
    assert len(full) >= 25 and len(blank) > 1000, (len(full), len(blank))
    for z, x, row, data in full + blank[::97]:
        y = 2 ** z - 1 - row
        r = srv.get("/tiles/%d/%d/%d.png" % (z, x, y))
        assert r.status == 200, (z, x, y, r)
        assert bytes(data) == r.body, (z, x, y, len(data), len(r.body))
    # a non-empty tile really has markers: some opaque pixel
    w, h, px = decode_png(bytes(full[-1][3]))
    assert (w, h) == (256, 256) and any(p[3] == 255 for line in px for p in line)


def test_scale2_gcj02():
    """@2x tiles aligned with GCJ-02, over a box given in GCJ-02."""
    out = os.path.join(TMP, "gcj.mbtiles")
    w, s, e, n = data_bounds()
    s2, w2 = wgs84_to_gcj02(s, w)
    n2, e2 = wgs84_to_gcj02(n, e)
    box = "%.6f,%.6f,%.6f,%.6f" % (w2, s2, e2, n2)
    r = seed("--zoom", "9-10", "--scale", "2", "--coordsys", "gcj02", "--bbox", box, out=out)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(out)
    rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles").fetchall()
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    db.close()
    assert len(rows) == len(expected_tiles((w2, s2, e2, n2), 9, 10)), len(rows)
    assert meta["bounds"] == box, (meta["bounds"], box)
    checked = 0
    for z, x, row, data in rows:
        y = 2 ** z - 1 - row
        body = srv.get("/tiles/%d/%d/%d@2x.png?coordsys=gcj02" % (z, x, y)).body
        assert bytes(data) == body, (z, x, y)
        checked += 1
    assert checked == len(rows)
    assert decode_png(bytes(rows[0][3]))[:2] == (512, 512)


def refused(args, status, mention, out=None):
    out = out or os.path.join(TMP, "refused.mbtiles")
    r = seed(*args, out=out)
    err = r.stderr.decode()
    assert r.returncode == status, (args, r.returncode, err)
    assert mention in err, (args, mention, err)
    no_leftovers()
    return err


def test_refusals():
    for z in ("5-3", "0-30", "abc", "-3", "3-", "25"):
        refused(["--zoom", z], 2, "--zoom")
    for b in ("1,2,3", "a,b,c,d", "120,40,110,30", "200,0,210,10", "1,2,3,4,5"):
        refused(["--zoom", "3", "--bbox", b], 2, "--bbox")
    refused([], 2, "--zoom")
    refused(["--zoom", "3", "--style", "nosuchstyle"], 2, "nosuchstyle")
    assert not os.path.exists(os.path.join(TMP, "refused.mbtiles"))
    # too many tiles: the message names the count, computed here independently
    w, s, e, n = data_bounds()
    count = 0
    for z in range(0, 25):
        (x0, y0), (x1, y1) = tile_xy(w, n, z), tile_xy(e, s, z)
        count += (x1 - x0 + 1) * (y1 - y0 + 1)
    assert count > 10_000_000
    refused(["--zoom", "0-24"], 2, "%d tiles" % count)
    # an existing file is kept unless --force
    before = open(SEEDED, "rb").read()
    refused(["--zoom", "0-3"], 2, "--force", out=SEEDED)
    assert open(SEEDED, "rb").read() == before
    # a directory that does not exist is a runtime failure
    refused(["--zoom", "0-3"], 1, "nodir", out=os.path.join(TMP, "nodir", "x.mbtiles"))
    # formats: only the ones there are
    refused(["--zoom", "0-3", "--format", "pmtiles"], 2, "--format")


def test_other_name_is_mbtiles():
    """A file name without a known extension gets the format seed always wrote."""
    out = os.path.join(TMP, "overlay.db")
    r = seed("--zoom", "0-2", out=out)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(out)
    assert db.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()[0] == "png"
    db.close()
    os.unlink(out)
    no_leftovers()


def test_interrupt_leaves_nothing():
    """SIGINT mid-run: exit status 1, the target never appears, and the
    file being written is gone."""
    out = os.path.join(TMP, "interrupted.mbtiles")
    w, s, e, n = data_bounds()

    def count(z):
        (x0, y0), (x1, y1) = tile_xy(w, n, z), tile_xy(e, s, z)
        return (x1 - x0 + 1) * (y1 - y0 + 1)
    zmax = max(z for z in range(25) if count(z) < 2_000_000)  # a minute or so of work, stopped early
    proc = subprocess.Popen([MAPSVC, "seed", "--db", srv.db, "--zoom", "%d" % zmax, "-o", out],
                            stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while not any(f.startswith("interrupted.mbtiles.") for f in os.listdir(TMP)):
        assert proc.poll() is None and time.time() < deadline, "the seed never started writing"
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=120)[1].decode()
    assert proc.returncode == 1 and "interrupted after" in err, (proc.returncode, err)
    assert not os.path.exists(out)
    no_leftovers()


def test_force_replaces():
    out = os.path.join(TMP, "force.mbtiles")
    with open(out, "wb") as f:
        f.write(b"not a database")
    r = seed("--zoom", "0-4", "--force", out=out)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(out)
    n = db.execute("SELECT count(*) FROM tiles").fetchone()[0]
    maxz = db.execute("SELECT value FROM metadata WHERE name = 'maxzoom'").fetchone()[0]
    db.close()
    assert n == len(expected_tiles(data_bounds(), 0, 4)) and maxz == "4", (n, maxz)
    no_leftovers()


def test_gdalinfo():
    gdalinfo = shutil.which("gdalinfo")
    if not gdalinfo:
        print("skip gdalinfo check: gdalinfo (gdal-bin) is not installed")
        return
    r = subprocess.run([gdalinfo, SEEDED], capture_output=True, timeout=120)
    text = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert "Driver: MBTiles/MBTiles" in text, text[:500]
    assert "ZOOM_LEVEL=12" in text and "Block=256x256" in text, text
    assert "ColorInterp=Alpha" in text, text
    # the raster's size is the z12 tile range in pixels
    want = expected_tiles(data_bounds(), 12, 12)
    xs = {x for _, x, _ in want}
    ys = {y for _, _, y in want}
    size = [l for l in text.splitlines() if l.startswith("Size is ")][0]
    w, h = (int(v) for v in size[len("Size is "):].split(","))
    assert w <= 256 * len(xs) and h <= 256 * len(ys) and w > 256 * (len(xs) - 2) and h > 256 * (len(ys) - 2), (
        size, len(xs), len(ys))


if __name__ == "__main__":
    try:
        with Server() as srv:
            status = run(test_seed_z0_12, test_metadata, test_tile_set_and_dedup, test_bytes_equal_http,
                         test_scale2_gcj02, test_refusals, test_other_name_is_mbtiles,
                         test_interrupt_leaves_nothing, test_force_replaces, test_gdalinfo)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)

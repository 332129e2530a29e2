"""`mapsvc seed` end to end: the MBTiles file it writes holds, under TMS
rows, the very bytes GET /tiles serves, every tile of the box grown by the
style's largest marker (so `bounds` holds a site at the edge whole), the
metadata MBTiles 1.3 asks for plus what `serve --tiles-from` checks,
deduplicated images; progress as plain lines every 5 % off a terminal and
as a bar on one; bad requests are refused with a message and leave no
file behind; a run stopped by --max-tiles, SIGINT or SIGKILL keeps its
tiles in FILE.partial, is refused a restart without --resume or --force
and a resume with other options, and --resume ends in the very bytes of a
seed that was never stopped, for MBTiles and PMTiles.  GDAL, a reader
nobody here wrote, opens the result: `gdalinfo` shows the padded bounds,
and `gdal_translate` of one zoom level gives transparent pixels where
there is no site (the empty tiles' encoding, render/png.c) and opaque
ones at the sites."""
import json
import re
import pty
import shutil
import sqlite3
import struct
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
    """Nothing but finished stores: no partial file, no journal."""
    left = [f for f in os.listdir(TMP) if not f.endswith((".mbtiles", ".pmtiles"))]
    assert not left, left


def world_px(lon, lat, z):
    """Web Mercator world pixels of a point at zoom z (256 px tiles)."""
    n = 256 * 2 ** z
    phi = math.radians(max(-85.05112877980659, min(85.05112877980659, lat)))
    return (lon + 180.0) / 360.0 * n, (1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0 * n


def metadata(path):
    db = sqlite3.connect(path)
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    db.close()
    return meta


def test_seed_z0_12():
    r = seed("--zoom", "0-12", out=SEEDED)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.decode().strip().splitlines()
    summary = lines[-1]
    assert "tiles" in summary and "unique images" in summary and "bytes" in summary, summary
    assert "tiles/s" in summary, summary
    # off a terminal: a plain line every 5 %, in order, the last at 100 %
    pcts = [int(re.match(r"mapsvc seed: (\d+)% \(\d+/\d+ tiles\), zoom \d+", l).group(1))
            for l in lines[:-1]]
    assert pcts == sorted(pcts) and pcts[-1] == 100 and 15 <= len(pcts) <= 21, pcts
    assert not any("\r" in l for l in lines), "no bar off a terminal"
    no_leftovers()


def test_metadata():
    meta = metadata(SEEDED)
    for key in ("name", "format", "bounds", "center", "minzoom", "maxzoom", "attribution", "description",
                "type", "version", "coordsys", "scale", "style", "style_version", "data_version"):
        assert meta.get(key), (key, meta)
    assert meta["format"] == "png" and meta["type"] == "overlay", meta
    assert (meta["minzoom"], meta["maxzoom"]) == ("0", "12"), meta
    assert (meta["style"], meta["coordsys"], meta["scale"]) == ("default", "wgs84", "1"), meta
    assert re.fullmatch("[0-9a-f]{16}", meta["style_version"]) and re.fullmatch("[0-9a-f]{16}", meta["data_version"])
    # bounds: the data's extent grown on every side by the same number of
    # pixels at the lowest zoom, the reach of the style's largest marker
    # (a zoom-0 cluster disc: radius 9 and its white ring of 2 px)
    w, s, e, n = (float(v) for v in meta["bounds"].split(","))
    dw, ds, de, dn = data_bounds()
    pads = (world_px(dw, dn, 0)[0] - world_px(w, n, 0)[0], world_px(dw, dn, 0)[1] - world_px(w, n, 0)[1],
            world_px(e, s, 0)[0] - world_px(de, ds, 0)[0], world_px(e, s, 0)[1] - world_px(de, ds, 0)[1])
    assert all(abs(p - pads[0]) < 0.01 for p in pads), pads
    assert 11 <= pads[0] <= 16, pads
    lon, lat, zoom = meta["center"].split(",")
    assert abs(float(lon) - (dw + de) / 2) < 1e-5, meta["center"]
    assert abs(float(lat) - (ds + dn) / 2) < 1e-5, meta["center"]
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
    assert len(got) == n_map, (len(got), n_map)
    # every tile of the data's box, none beyond the bounds, and at each
    # zoom a whole rectangle: the box grown by the marker's reach there
    bounds = [float(v) for v in metadata(SEEDED)["bounds"].split(",")]
    inner, outer = expected_tiles(data_bounds(), 0, 12), expected_tiles(bounds, 0, 12)
    assert inner <= got <= outer, (sorted(inner - got)[:5], sorted(got - outer)[:5])
    for z in range(13):
        at = {(x, y) for zz, x, y in got if zz == z}
        xs, ys = {x for x, _ in at}, {y for _, y in at}
        assert len(at) == (max(xs) - min(xs) + 1) * (max(ys) - min(ys) + 1), z
    # a zoom where the grown box reaches tiles the data's box does not
    assert got - inner, "the padding added no tile"
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
    for m in ("0", "-1", "x", "10000001"):
        refused(["--zoom", "3", "--max-tiles", m], 2, "--max-tiles")
    assert not os.path.exists(os.path.join(TMP, "refused.mbtiles"))
    # too many tiles: the message names the count, computed here independently
    w, s, e, n = data_bounds()
    count = 0
    for z in range(0, 25):
        (x0, y0), (x1, y1) = tile_xy(w, n, z), tile_xy(e, s, z)
        count += (x1 - x0 + 1) * (y1 - y0 + 1)
    assert count > 10_000_000
    refused(["--zoom", "0-24", "--bbox", "%.6f,%.6f,%.6f,%.6f" % (w, s, e, n)], 2, "%d tiles" % count)
    # an existing file is kept unless --force
    before = open(SEEDED, "rb").read()
    refused(["--zoom", "0-3"], 2, "--force", out=SEEDED)
    assert open(SEEDED, "rb").read() == before
    # a directory that does not exist is a runtime failure
    refused(["--zoom", "0-3"], 1, "nodir", out=os.path.join(TMP, "nodir", "x.mbtiles"))
    # formats: only the ones there are
    refused(["--zoom", "0-3", "--format", "zip"], 2, "--format: 'zip' is not mbtiles or pmtiles")


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


def same_bytes(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        da, db = fa.read(), fb.read()
    assert len(da) > 0 and da == db, (a, len(da), b, len(db))


def test_max_tiles_and_resume():
    """A seed in slices of --max-tiles: each run keeps its tiles in
    FILE.partial and says so; a run without --resume or with other options
    is refused; the last resume writes the very bytes of test_seed_z0_12's
    seed, which ran at once."""
    out = os.path.join(TMP, "slices.mbtiles")
    partial = out + ".partial"
    r = seed("--zoom", "0-12", "--max-tiles", "1000", out=out)
    err = r.stderr.decode()
    assert r.returncode == 1 and "stopped after rendering 1000 tiles (--max-tiles), 1000 of" in err, err
    assert "slices.mbtiles.partial keeps them: the same command with --resume continues" in err, err
    assert os.path.exists(partial) and not os.path.exists(out)
    # any MBTiles reader can look into it: the first 1000 tiles, committed
    db = sqlite3.connect("file:%s?mode=ro" % partial, uri=True)
    assert db.execute("SELECT count(*) FROM tiles").fetchone()[0] == 1000
    db.close()
    r = seed("--zoom", "0-12", out=out)
    assert r.returncode == 2 and b"--resume continues it, --force starts over" in r.stderr, r.stderr
    r = seed("--zoom", "0-12", "--scale", "2", "--resume", out=out)
    assert r.returncode == 2 and b"was made for another seed: its 'scale' is '1', this seed's is '2'" in r.stderr, \
        r.stderr
    r = seed("--zoom", "0-11", "--resume", out=out)
    assert r.returncode == 2 and b"its 'maxzoom' is '12', this seed's is '11'" in r.stderr, r.stderr
    r = seed("--zoom", "0-12", "--resume", "--max-tiles", "2500", out=out)
    err = r.stderr.decode()
    assert r.returncode == 1 and "resuming %s: 1000 of" % partial in err and ", 3500 of" in err, err
    r = seed("--zoom", "0-12", "--resume", out=out)
    err = r.stderr.decode()
    assert r.returncode == 0 and "resuming %s: 3500 of" % partial in err, err
    assert not os.path.exists(partial)
    same_bytes(SEEDED, out)
    os.unlink(out)
    no_leftovers()


REF = os.path.join(TMP, "ref14.pmtiles")


def stop_midway(out, sig):
    """Starts a zoom-14 seed (about 165,000 tiles) into out, sends sig once
    it reports 10 %, and returns its exit status and standard error."""
    proc = subprocess.Popen([MAPSVC, "seed", "--db", srv.db, "--zoom", "14", "-o", out], stderr=subprocess.PIPE)
    seen = b""
    while b"10% (" not in seen:
        line = proc.stderr.readline()
        assert line, "the seed ended before 10 %%: %r" % seen
        seen += line
    proc.send_signal(sig)
    rest = proc.communicate(timeout=300)[1]
    return proc.returncode, (seen + rest).decode()


def resume_to_ref(out):
    r = subprocess.run([MAPSVC, "seed", "--db", srv.db, "--zoom", "14", "--resume", "-o", out],
                       capture_output=True, timeout=600)
    err = r.stderr.decode()
    assert r.returncode == 0, err
    done, total = (int(v) for v in re.search(r"resuming .*\.partial: (\d+) of (\d+) tiles are there", err).groups())
    assert 0 < done < total, err
    assert not os.path.exists(out + ".partial") and not os.path.exists(out + ".partial-journal")
    same_bytes(REF, out)
    os.unlink(out)


def test_interrupt_keeps_partial():
    """SIGINT mid-run: exit status 1, the target never appears, the tiles
    stay in FILE.partial, and --resume completes the same archive as a
    seed that was never stopped."""
    r = subprocess.run([MAPSVC, "seed", "--db", srv.db, "--zoom", "14", "-o", REF], capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr
    out = os.path.join(TMP, "interrupted.pmtiles")
    rc, err = stop_midway(out, signal.SIGINT)
    assert rc == 1 and "interrupted after" in err and "interrupted.pmtiles.partial keeps them" in err, (rc, err)
    assert not os.path.exists(out) and os.path.exists(out + ".partial")
    resume_to_ref(out)


def test_kill_resume():
    """SIGKILL mid-run, which no handler sees: SQLite's journal rolls the
    partial file back to its last commit, and --resume still completes
    the very bytes of the seed that was never stopped."""
    out = os.path.join(TMP, "killed.pmtiles")
    rc, err = stop_midway(out, signal.SIGKILL)
    assert rc == -signal.SIGKILL, (rc, err)
    assert not os.path.exists(out) and os.path.exists(out + ".partial")
    resume_to_ref(out)
    no_leftovers()


def test_progress_bar_on_a_terminal():
    """On a terminal: one bar redrawn in place (carriage returns), no
    plain lines, and the summary after it."""
    out = os.path.join(TMP, "tty.mbtiles")
    master, slave = pty.openpty()
    proc = subprocess.Popen([MAPSVC, "seed", "--db", srv.db, "--zoom", "0-12", "-o", out], stderr=slave)
    os.close(slave)
    text = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's other side closed
            break
        if not chunk:
            break
        text += chunk
    os.close(master)
    assert proc.wait(timeout=300) == 0, text
    t = text.decode("utf-8", "replace")
    assert "\r[" in t and "#" in t and "100%" in t and "tiles" in t, t[-500:]
    assert not re.search(r"mapsvc seed: \d+% \(", t), "plain progress lines on a terminal"
    assert "mapsvc seed: wrote" in t.splitlines()[-1], t[-300:]
    os.unlink(out)


def test_pmtiles():
    """--format pmtiles, or the file's extension: a PMTiles v3 archive with
    the MBTiles file's bounds (in 1e-7 degrees, rounded outwards) and
    zooms; far smaller than it, empty tiles being one run after another."""
    for args, name in ((["--format", "pmtiles"], "archive.bin"), ([], "archive.pmtiles")):
        out = os.path.join(TMP, name)
        r = seed("--zoom", "0-12", *args, out=out)
        assert r.returncode == 0, r.stderr
        with open(out, "rb") as f:
            h = f.read(127)
        assert h[:8] == b"PMTiles\x03", h[:8]
        assert h[96:100] == b"\x01\x02\x01\x02", h[96:100]  # clustered, gzip dirs, plain tiles, png
        assert (h[100], h[101]) == (0, 12)
        w, s, e, n = struct.unpack("<4i", h[102:118])
        mw, ms_, me, mn = (float(v) for v in metadata(SEEDED)["bounds"].split(","))
        # both rounded outwards from the same box, the header to a tenth of the text's unit
        assert mw * 1e7 - 1 <= w <= mw * 1e7 + 10 and ms_ * 1e7 - 1 <= s <= ms_ * 1e7 + 10, (w, s, mw, ms_)
        assert me * 1e7 - 10 <= e <= me * 1e7 + 1 and mn * 1e7 - 10 <= n <= mn * 1e7 + 1, (e, n, me, mn)
        tiles, entries, contents = struct.unpack("<3Q", h[72:96])
        db = sqlite3.connect(SEEDED)
        assert tiles == db.execute("SELECT count(*) FROM map").fetchone()[0]
        assert contents == db.execute("SELECT count(*) FROM images").fetchone()[0]
        db.close()
        assert entries < tiles / 10, (entries, tiles)
        assert os.path.getsize(out) * 20 < os.path.getsize(SEEDED), (os.path.getsize(out), os.path.getsize(SEEDED))
        print("     %s: %d bytes for %d tiles (%d entries); the MBTiles file %d bytes" % (
            name, os.path.getsize(out), tiles, entries, os.path.getsize(SEEDED)))
        if name != "archive.pmtiles":
            os.unlink(out)


def test_force_replaces():
    out = os.path.join(TMP, "force.mbtiles")
    with open(out, "wb") as f:
        f.write(b"not a database")
    box = "%.6f,%.6f,%.6f,%.6f" % data_bounds()
    r = seed("--zoom", "0-4", "--bbox", box, "--force", out=out)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(out)
    n = db.execute("SELECT count(*) FROM tiles").fetchone()[0]
    maxz = db.execute("SELECT value FROM metadata WHERE name = 'maxzoom'").fetchone()[0]
    db.close()
    assert n == len(expected_tiles(data_bounds(), 0, 4)) and maxz == "4", (n, maxz)
    no_leftovers()


def gdal(*args):
    env = dict(os.environ, GDAL_PAM_ENABLED="NO", CPL_DEBUG="OFF")
    r = subprocess.run(list(args), capture_output=True, timeout=300, env=env)
    assert r.returncode == 0, (args, r.stderr.decode(errors="replace"))
    return r.stdout.decode()


def test_gdalinfo():
    if not shutil.which("gdalinfo"):
        print("skip gdalinfo check: gdalinfo (gdal-bin) is not installed")
        return
    text = gdal("gdalinfo", SEEDED)
    assert "Driver: MBTiles/MBTiles" in text, text[:500]
    assert "ZOOM_LEVEL=12" in text and "Block=256x256" in text, text
    assert "ColorInterp=Alpha" in text, text
    # the raster is the padded bounds at zoom 12, in pixels
    w, s, e, n = (float(v) for v in metadata(SEEDED)["bounds"].split(","))
    (x0, y0), (x1, y1) = world_px(w, n, 12), world_px(e, s, 12)
    size = [l for l in text.splitlines() if l.startswith("Size is ")][0]
    sw, sh = (int(v) for v in size[len("Size is "):].split(","))
    assert abs(sw - (x1 - x0)) <= 2 and abs(sh - (y1 - y0)) <= 2, (size, x1 - x0, y1 - y0)


def test_gdal_transparent():
    """GDAL's MBTiles driver reads a seeded file of zooms 8-10 (no --bbox:
    the data's extent, padded): gdalinfo's extent is the padded bounds, so
    a whole marker fits around the westmost site; gdal_translate of zoom
    10 to an RGBA PNG has alpha 0 wherever there is no site (most of it,
    and every whole empty tile) and drawn pixels at the sites."""
    if not shutil.which("gdal_translate"):
        print("skip GDAL check: gdal-bin is not installed")
        return
    out = os.path.join(TMP, "gdal.mbtiles")
    r = seed("--zoom", "8-10", out=out)
    assert r.returncode == 0, r.stderr
    meta = metadata(out)
    w, s, e, n = (float(v) for v in meta["bounds"].split(","))
    info = json.loads(gdal("gdalinfo", "-json", out))
    ext = info["wgs84Extent"]["coordinates"][0]
    lons, lats = [p[0] for p in ext], [p[1] for p in ext]
    px = 360.0 / (256 * 2 ** 10)  # GDAL's raster is whole pixels of zoom 10
    assert abs(min(lons) - w) < px and abs(max(lons) - e) < px, (min(lons), max(lons), w, e)
    assert abs(min(lats) - s) < px and abs(max(lats) - n) < px, (min(lats), max(lats), s, n)
    dw, ds, de, dn = data_bounds()
    assert min(lons) < dw - 5 * px and max(lons) > de + 5 * px, (lons, dw, de)
    gt = info["geoTransform"]
    assert abs(gt[1] - 2 * 20037508.342789244 / (256 * 2 ** 10)) < 1e-6, gt  # zoom 10's metres per pixel
    # zoom 10 as GDAL reads it, written band after band with no
    # compression (ENVI): the alpha band is one run of bytes, quick to scan
    raw = os.path.join(TMP, "z10.raw")
    gdal("gdal_translate", "-q", "-of", "ENVI", "-co", "INTERLEAVE=BSQ", "-oo", "ZOOM_LEVEL=10", out, raw)
    with open(raw, "rb") as f:
        bands = f.read()
    with open(raw[:-len(".raw")] + ".hdr") as f:
        hdr = f.read()
    for f in os.listdir(TMP):
        if f.startswith("z10."):
            os.unlink(os.path.join(TMP, f))  # the raster, its .hdr and .aux.xml
    width, height, nbands = (int(re.search(r"^%s\s*=\s*(\d+)" % k, hdr, re.M).group(1))
                             for k in ("samples", "lines", "bands"))
    assert nbands == 4 and len(bands) == 4 * width * height, (nbands, len(bands), width, height)
    assert re.search(r"^interleave\s*=\s*bsq", hdr, re.M | re.I), hdr
    plane = width * height
    alpha = bands[3 * plane:]

    def pixel(x, y):
        return tuple(bands[k * plane + y * width + x] for k in range(4))

    clear = alpha.count(0)
    assert clear > 0.9 * plane, (clear, plane)
    assert clear < plane, "nothing drawn"
    # every site's anchor pixel is drawn (a marker, or a cluster disc of
    # alpha 0.9 at zoom 10), and the whole marker lies inside the raster,
    # not cut at its edge (radius 4, a ring and antialiasing: 6 px)
    x0, y0 = world_px(w, n, 10)
    for f in srv.get("/collections/sites/items?limit=1000").json()["features"]:
        lon, lat = f["geometry"]["coordinates"]
        px, py = world_px(lon, lat, 10)
        cx, cy = int(px - x0), int(py - y0)
        assert 6 <= cx < width - 6 and 6 <= cy < height - 6, (f["id"], cx, cy, width, height)
        assert pixel(cx, cy)[3] >= 0.9 * 255, (f["id"], pixel(cx, cy))
    # and an area away from every site is transparent, not black: the
    # shared empty tile as GDAL reads it
    assert pixel(0, 0) == (0, 0, 0, 0) and pixel(width - 1, height - 1) == (0, 0, 0, 0), \
        (pixel(0, 0), pixel(width - 1, height - 1))
    os.unlink(out)


if __name__ == "__main__":
    try:
        with Server() as srv:
            status = run(test_seed_z0_12, test_metadata, test_tile_set_and_dedup, test_bytes_equal_http,
                         test_scale2_gcj02, test_refusals, test_other_name_is_mbtiles, test_max_tiles_and_resume,
                         test_interrupt_keeps_partial, test_kill_resume, test_progress_bar_on_a_terminal,
                         test_pmtiles, test_force_replaces, test_gdalinfo, test_gdal_transparent)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)

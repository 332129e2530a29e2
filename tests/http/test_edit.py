"""Editing end to end (issue 12): OGC API - Features Part 4 with keys,
against the real server on a copy of the bundled database.

Keys are made with the real command (mapsvc keys); the database is read
back with Python's sqlite3 for what the server must have written."""
import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from harness import BUNDLED_DB, MAPSVC, Server, check_problem, run
from pngdecode import decode_png

ITEMS = "/collections/sites/items"
PATCH_TYPE = "application/merge-patch+json"
GEOJSON = "application/geo+json"
# two sites of data/sites.csv
SITE_A = "zb-heitieshan-memorial"
SITE_B = "gt-west-route-memorial"
PART4 = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete"


class Db:
    """A private copy of a database, with an edit and a read key."""

    def __init__(self, source=BUNDLED_DB):
        self.dir = tempfile.mkdtemp(prefix="mapsvc-edit-")
        self.path = os.path.join(self.dir, "sites.sqlite")
        shutil.copyfile(source, self.path)
        self.edit = self.key("editor", "edit")
        self.read = self.key("reader", "read")

    def key(self, name, role):
        out = subprocess.run([MAPSVC, "keys", "--db", self.path, "add", name, "--role", role],
                             capture_output=True, text=True, check=True)
        token = out.stdout.strip()
        assert token.startswith("mk_") and len(token) == 67, out
        return token

    def audit(self):
        out = subprocess.run([MAPSVC, "audit", "--db", self.path], capture_output=True, text=True, check=True)
        return [l.split("\t") for l in out.stdout.splitlines()]

    def query(self, sql, *args):
        with sqlite3.connect(self.path) as c:
            return c.execute(sql, args).fetchall()

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def auth(token, **more):
    h = {"Authorization": "Bearer " + token}
    h.update(more)
    return h


def read(srv, sid):
    r = srv.get(ITEMS + "/" + sid)
    assert r.status == 200, r
    return r.json(), r.header("etag")


def patch(srv, sid, token, body, etag, **kw):
    return srv.request(ITEMS + "/" + sid, "PATCH",
                       auth(token, **{"Content-Type": PATCH_TYPE, "If-Match": etag}),
                       json.dumps(body).encode(), **kw)


def move_body(lon, lat):
    return {"geometry": {"type": "Point", "coordinates": [lon, lat]}}


# --- tile arithmetic (Web Mercator, XYZ) -----------------------------------

def world_px(lat, lon, z):
    n = 256 * 2 ** z
    x = (lon + 180) / 360 * n
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n
    return x, y


def tile_of(lat, lon, z):
    x, y = world_px(lat, lon, z)
    return int(x // 256), int(y // 256), (x % 256, y % 256)


def opaque_near(png, px, py, radius=4):
    w, h, rows = decode_png(png)
    return sum(1 for y in range(max(0, int(py) - radius), min(h, int(py) + radius + 1))
               for x in range(max(0, int(px) - radius), min(w, int(px) + radius + 1)) if rows[y][x][3] > 0)


def loneliest(features):
    """The site farthest from every other one (so its tile holds it alone)."""
    def gap(f):
        lon, lat = f["geometry"]["coordinates"]
        return min(abs(lon - g["geometry"]["coordinates"][0]) + abs(lat - g["geometry"]["coordinates"][1])
                   for g in features if g is not f)
    return max(features, key=gap)


# --- who may write -----------------------------------------------------------

def test_without_edit_every_write_is_405():
    with Server() as srv:
        sid = srv.get(ITEMS + "?limit=1").json()["features"][0]["id"]
        for method, path in (("POST", ITEMS), ("PUT", ITEMS + "/" + sid), ("PATCH", ITEMS + "/" + sid),
                             ("DELETE", ITEMS + "/" + sid)):
            r = srv.request(path, method, {"Content-Type": GEOJSON, "If-Match": "*"}, b"{}")
            check_problem(r, 405, "--edit")
            assert r.header("allow") == "GET, HEAD", r.headers
        assert PART4 not in srv.get("/conformance").json()["conformsTo"]


def test_no_key_wrong_key_read_key():
    db = Db()
    try:
        with Server("--edit", db=db.path) as srv:
            assert PART4 in srv.get("/conformance").json()["conformsTo"]
            f, etag = read(srv, SITE_A)
            before = srv.get(ITEMS + "/" + SITE_A).body
            body = json.dumps({"properties": {"name_en": "x"}}).encode()
            for headers, status, word in (
                    ({}, 401, "Bearer"),
                    ({"Authorization": "Basic dTpw"}, 401, "Bearer"),
                    (auth("mk_" + "0" * 64), 401, "not one in use"),
                    (auth(db.read), 403, "reader")):
                headers.update({"Content-Type": PATCH_TYPE, "If-Match": etag})
                r = srv.request(ITEMS + "/" + SITE_A, "PATCH", headers, body)
                check_problem(r, status, word)
                if status == 401:
                    assert r.header("www-authenticate").startswith("Bearer realm="), r.headers
            assert srv.get(ITEMS + "/" + SITE_A).body == before  # nothing changed
            assert db.audit() == []
            # a revoked key is no key
            subprocess.run([MAPSVC, "keys", "--db", db.path, "revoke", "editor"], check=True,
                           capture_output=True)
            check_problem(patch(srv, SITE_A, db.edit, {"properties": {"name_en": "x"}}, etag), 401)
    finally:
        db.close()


def test_failed_keys_are_rate_limited():
    db = Db()
    try:
        with Server("--edit", db=db.path) as srv:
            _, etag = read(srv, SITE_A)
            codes = [patch(srv, SITE_A, "mk_bad%d" % i, {}, etag).status for i in range(10)]
            assert codes == [401] * 10, codes
            r = patch(srv, SITE_A, db.edit, {}, etag)  # even the right key waits now
            check_problem(r, 429, "retry")
            assert 1 <= int(r.header("retry-after")) <= 60, r.headers
    finally:
        db.close()


def test_key_in_query_refused_not_logged():
    db = Db()
    try:
        with Server("--edit", db=db.path) as srv:
            _, etag = read(srv, SITE_A)
            for name in ("access_token", "key", "token"):
                r = srv.request(ITEMS + "/%s?%s=%s" % (SITE_A, name, db.edit), "PATCH",
                                {"Content-Type": PATCH_TYPE, "If-Match": etag}, b"{}")
                check_problem(r, 400, "Authorization")
                assert db.edit.encode() not in r.body
                check_problem(srv.get(ITEMS + "?%s=%s" % (name, db.edit)), 400, "credential")
            ok = patch(srv, SITE_A, db.edit, {"properties": {"name_en": "via header"}}, etag)
            assert ok.status == 200, ok
            assert db.edit.encode() not in ok.body
        assert db.edit not in srv.output() and db.read not in srv.output()
    finally:
        db.close()


# --- preconditions and bodies ------------------------------------------------

def test_if_match_required_and_checked():
    db = Db()
    try:
        with Server("--edit", db=db.path) as srv:
            f, etag = read(srv, SITE_A)
            h = auth(db.edit, **{"Content-Type": PATCH_TYPE})
            check_problem(srv.request(ITEMS + "/" + SITE_A, "PATCH", h, b"{}"), 428, "If-Match")
            r = patch(srv, SITE_A, db.edit, {"properties": {"name_en": "first"}}, etag)
            assert r.status == 200 and r.header("etag") not in (None, etag), r
            # the tag read before the first write is stale now
            check_problem(patch(srv, SITE_A, db.edit, {"properties": {"name_en": "second"}}, etag), 412)
            check_problem(patch(srv, SITE_A, db.edit, {}, 'W/' + etag), 412)
            check_problem(patch(srv, SITE_A, db.edit, {}, '"nonsense"'), 412)
            assert read(srv, SITE_A)[0]["properties"]["name_en"] == "first"
            # the tag of the write's answer, and the one a GET gives now, both work
            new_etag = r.header("etag")
            assert read(srv, SITE_A)[1].split("-")[0] == new_etag.split("-")[0]
            assert patch(srv, SITE_A, db.edit, {"properties": {"name_en": "third"}}, new_etag).status == 200
    finally:
        db.close()


def test_bad_bodies_are_4xx_problems():
    db = Db()
    try:
        with Server("--edit", db=db.path) as srv:
            _, etag = read(srv, SITE_A)
            h = auth(db.edit, **{"Content-Type": PATCH_TYPE, "If-Match": etag})
            cases = [
                (b'{"properties": {"name_en": "' + b"x" * 70000 + b'"}}', 413, "65536"),
                (b"not json", 400, "JSON"),
                (b'{"properties": {"name_en": "\xff\xfe"}}', 400, "JSON"),
                (b'{"properties": {"name_en": "a", "name_en": "b"}}', 400, "duplicate"),
                (b'[1, 2]', 400, "object"),
                (b'{"properties": {"name_zh": 5}}', 422, "name_zh"),
                (b'{"properties": {"category": "park"}}', 422, "category"),
                (b'{"geometry": {"type": "Point", "coordinates": [200, 95]}}', 422, "range"),
                (b'{"properties": {"position_uncertainty_m": "far"}}', 422, "number"),
                (b'{"id": "another"}', 422, "id"),
            ]
            for body, status, word in cases:
                check_problem(srv.request(ITEMS + "/" + SITE_A, "PATCH", h, body), status, word)
            r = srv.request(ITEMS + "/" + SITE_A, "PATCH", dict(h, **{"Content-Type": "text/plain"}), b"{}")
            check_problem(r, 415, "merge-patch")
            assert db.audit() == []
    finally:
        db.close()


# --- the writes ----------------------------------------------------------------

NEW_SITE = {"type": "Feature", "id": "test-new-1",
            "geometry": {"type": "Point", "coordinates": [118.05, 36.81]},
            "properties": {"name_zh": "新增地点", "category": "monument", "position_quality": "surveyed"}}


def test_create_replace_delete():
    db = Db()
    try:
        with Server("--edit", db=db.path) as srv:
            h = auth(db.edit, **{"Content-Type": GEOJSON})
            r = srv.request(ITEMS, "POST", h, json.dumps(NEW_SITE).encode())
            assert r.status == 201, r
            loc = r.header("location")
            assert loc.endswith(ITEMS + "/test-new-1"), r.headers
            f, etag = read(srv, "test-new-1")
            assert f["properties"]["position_uncertainty_m"] == 30  # surveyed's default radius
            check_problem(srv.request(ITEMS, "POST", h, json.dumps(NEW_SITE).encode()), 409, "exists")
            # replace: the whole site; the id may be left out of the body
            repl = dict(NEW_SITE, properties={"name_zh": "换了", "category": "museum"})
            del repl["id"]
            r = srv.request(ITEMS + "/test-new-1", "PUT", dict(h, **{"If-Match": etag}), json.dumps(repl).encode())
            assert r.status == 200, r
            f, etag = read(srv, "test-new-1")
            assert f["properties"]["name_zh"] == "换了" and f["properties"]["category"] == "museum"
            check_problem(srv.request(ITEMS + "/nope", "PUT", dict(h, **{"If-Match": "*"}),
                                      json.dumps(repl).encode()), 404)
            r = srv.request(ITEMS + "/test-new-1", "DELETE", auth(db.edit, **{"If-Match": etag}))
            assert r.status == 204, r
            check_problem(srv.get(ITEMS + "/test-new-1"), 404)
            ops = [(a[2], a[3]) for a in db.audit()]
            assert ops == [("create", "test-new-1"), ("replace", "test-new-1"), ("delete", "test-new-1")], ops
            assert all(a[1] == "editor" for a in db.audit())
        # in the database, after the server is gone
        assert db.query("SELECT count(*) FROM sites WHERE id = 'test-new-1'") == [(0,)]
    finally:
        db.close()


def test_patch_moves_site_everywhere():
    """/nearest, the tiles at the old and the new place (pixels and ETags),
    a far tile's ETag, TileJSON bounds and items, at once after the write."""
    db = Db()
    try:
        with Server("--edit", db=db.path) as srv:
            feats = srv.get(ITEMS + "?limit=1000").json()["features"]
            site = loneliest(feats)
            sid = site["id"]
            lon0, lat0 = site["geometry"]["coordinates"]
            # somewhere no site is: well east of all of them
            lon1 = max(f["geometry"]["coordinates"][0] for f in feats) + 1.0
            lat1 = lat0
            z = 12
            old_t, new_t = tile_of(lat0, lon0, z), tile_of(lat1, lon1, z)
            far_f = min(feats, key=lambda f: f["geometry"]["coordinates"][0])
            far_t = tile_of(far_f["geometry"]["coordinates"][1], far_f["geometry"]["coordinates"][0], z)
            assert len({old_t[:2], new_t[:2], far_t[:2]}) == 3

            def tile(t, etag=None):
                return srv.get("/tiles/%d/%d/%d.png" % (z, t[0], t[1]),
                               headers={"If-None-Match": etag} if etag else {})

            old_a, new_a, far_a = tile(old_t), tile(new_t), tile(far_t)
            assert opaque_near(old_a.body, *old_t[2]) > 0 and opaque_near(new_a.body, *new_t[2]) == 0
            near = srv.get("/nearest?lat=%f&lon=%f&limit=1" % (lat1, lon1)).json()["features"][0]
            assert near["properties"]["distance_m"] > 50000, near  # nothing there before
            bounds0 = srv.get("/tiles.json").json()["bounds"]
            assert bounds0[2] < lon1

            _, etag = read(srv, sid)
            r = patch(srv, sid, db.edit, move_body(lon1, lat1), etag)
            assert r.status == 200, r
            # live when the write answers: no waiting in this test
            near = srv.get("/nearest?lat=%f&lon=%f&limit=1" % (lat1, lon1)).json()["features"][0]
            assert near["id"] == sid and near["properties"]["distance_m"] < 1, near
            old_b, new_b = tile(old_t), tile(new_t)
            assert opaque_near(old_b.body, *old_t[2]) == 0 and opaque_near(new_b.body, *new_t[2]) > 0
            assert old_b.header("etag") != old_a.header("etag")
            assert new_b.header("etag") != new_a.header("etag")
            # an untouched tile keeps its tag: a cache revalidating it gets a 304
            far_b = tile(far_t, far_a.header("etag"))
            assert far_b.status == 304, far_b
            assert abs(srv.get("/tiles.json").json()["bounds"][2] - lon1) < 1e-6
            got = srv.get(ITEMS + "/" + sid).json()["geometry"]["coordinates"]
            assert got == [lon1, lat1], got
            items = srv.get(ITEMS + "?bbox=%f,%f,%f,%f" % (lon1 - 0.01, lat1 - 0.01, lon1 + 0.01, lat1 + 0.01))
            assert [f["id"] for f in items.json()["features"]] == [sid]
            sheet = srv.get("/route?from=%f,%f&sites=%s&format=json" % (lat1, lon1 + 0.01, sid))
            assert sheet.status == 200 and ("%.6f" % lon1).rstrip("0") in sheet.body.decode(), sheet
    finally:
        db.close()


def many_sites_db(n):
    """A database of n generated sites, imported by the real command."""
    d = tempfile.mkdtemp(prefix="mapsvc-many-")
    csv = os.path.join(d, "many.csv")
    with open(csv, "w", encoding="utf-8") as f:
        f.write("id,name_zh,category,lat,lon\n")
        for i in range(n):
            f.write("m-%03d,地点%d,monument,%f,%f\n" % (i, i, 36.0 + (i // 20) * 0.05, 118.0 + (i % 20) * 0.05))
    path = os.path.join(d, "many.sqlite")
    subprocess.run([MAPSVC, "import", "--db", path, csv], check=True, capture_output=True)
    return path, d


def test_100_concurrent_patches_from_4_clients():
    path, tmp = many_sites_db(100)
    db = Db(path)
    shutil.rmtree(tmp)
    try:
        with Server("--edit", db=db.path) as srv:
            errors = []

            def client(k):
                for i in range(k, 100, 4):
                    sid = "m-%03d" % i
                    _, etag = read(srv, sid)
                    r = patch(srv, sid, db.edit, {"properties": {"name_en": "patched %d" % i}}, etag)
                    if r.status != 200:
                        errors.append((sid, r))

            threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors, errors[:3]
            names = {f["id"]: f["properties"]["name_en"]
                     for f in srv.get(ITEMS + "?limit=1000").json()["features"]}
            assert all(names["m-%03d" % i] == "patched %d" % i for i in range(100)), names
        audit = db.audit()
        assert sorted(a[3] for a in audit) == ["m-%03d" % i for i in range(100)], len(audit)
        assert db.query("PRAGMA integrity_check") == [("ok",)]
        assert db.query("SELECT count(*) FROM sites WHERE name_en LIKE 'patched %'") == [(100,)]
    finally:
        db.close()


def test_kill_9_loses_no_answered_write():
    db = Db()
    srv = Server("--edit", db=db.path)
    answered = []
    try:
        srv.__enter__()
        stop = threading.Event()

        def writer(k):
            i = 0
            while not stop.is_set():
                body = dict(NEW_SITE, id="burst-%d-%d" % (k, i))
                try:
                    r = srv.request(ITEMS, "POST", auth(db.edit, **{"Content-Type": GEOJSON}),
                                    json.dumps(body).encode(), timeout=10)
                except OSError:
                    return  # the server is gone
                if r.status == 201:
                    answered.append(body["id"])
                i += 1

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        os.kill(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait()
        stop.set()
        for t in threads:
            t.join()
        assert len(answered) > 5, answered
        ids = {r[0] for r in db.query("SELECT id FROM sites WHERE id LIKE 'burst-%'")}
        missing = [i for i in answered if i not in ids]
        assert not missing, missing
        assert db.query("PRAGMA integrity_check") == [("ok",)]
        # and it serves again, with every one of them
        with Server("--edit", db=db.path) as again:
            for sid in answered[-3:]:
                assert again.get(ITEMS + "/" + sid).status == 200
    finally:
        if srv.proc and srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()
        db.close()


def test_import_and_edits_keep_each_other():
    """An import (copy and rename) while the server edits: both land."""
    db = Db()
    try:
        with Server("--edit", db=db.path) as srv:
            _, etag = read(srv, SITE_A)
            assert patch(srv, SITE_A, db.edit, {"properties": {"name_en": "before import"}}, etag).status == 200
            d = tempfile.mkdtemp()
            csv = os.path.join(d, "one.csv")
            with open(csv, "w", encoding="utf-8") as f:
                f.write("id,name_zh,category,lat,lon\nimp-1,导入,museum,36.5,118.5\n")
            subprocess.run([MAPSVC, "import", "--db", db.path, csv], check=True, capture_output=True)
            shutil.rmtree(d)
            # the edit after the import goes into the new file
            _, etag = read(srv, SITE_B)
            assert patch(srv, SITE_B, db.edit, {"properties": {"name_en": "after import"}}, etag).status == 200
        rows = dict(db.query("SELECT id, name_en FROM sites WHERE id IN (?, ?, 'imp-1')", SITE_A, SITE_B))
        assert rows == {SITE_A: "before import", SITE_B: "after import", "imp-1": ""}, rows
    finally:
        db.close()


if __name__ == "__main__":
    sys.exit(run(test_without_edit_every_write_is_405, test_no_key_wrong_key_read_key, test_failed_keys_are_rate_limited,
        test_key_in_query_refused_not_logged, test_if_match_required_and_checked, test_bad_bodies_are_4xx_problems,
        test_create_replace_delete, test_patch_moves_site_everywhere, test_100_concurrent_patches_from_4_clients,
        test_kill_9_loses_no_answered_write, test_import_and_edits_keep_each_other))

"""Editing through the replicas of one PostGIS database (issue 16, item 4):
two `serve --edit` replicas on one database, keys made with `mapsvc keys
--db postgresql://...`:

  - a PATCH through replica A (a key, If-Match) is served by A when the
    PATCH returns and by B within 1 s (polled; the time is printed);
  - A installs the change once, through its follower (NOTIFY), not a
    second time from the write: one store update each, no edit rebuild;
  - `mapsvc audit --db postgresql://...` shows the change with the key's
    name, and `mapsvc keys` lists and revokes keys in the database (a
    revoked key is refused by both replicas);
  - a write the database refuses (a category it does not know) changes
    nothing anywhere;
  - behind the real nginx of deploy/nginx.conf (test_nginx.py's set-up),
    a PATCH sent to the cache tier reaches both replicas within 1 s.
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from harness import *  # noqa: E402,F401
from pgfixture import *  # noqa: E402
import test_nginx  # noqa: E402  (its Nginx: deploy/nginx.conf filled in, started, stopped)

require()

VISIBLE_WITHIN_S = 1.0
POLL_S = 0.005
ITEMS = "/collections/sites/items"
PATCH_TYPE = "application/merge-patch+json"
SITE = "zb-heitieshan-memorial"


def key(dsn, name, role="edit"):
    out = mapsvc("keys", "--db", dsn, "add", name, "--role", role)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    assert token.startswith("mk_") and len(token) == 67, out
    return token


def patch(srv, token, body, etag):
    return srv.request(ITEMS + "/" + SITE, "PATCH",
                       {"Authorization": "Bearer " + token, "Content-Type": PATCH_TYPE, "If-Match": etag},
                       json.dumps(body).encode())


def patch_via(port, token, body, etag):
    """The PATCH through another listener on loopback (nginx); its status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("PATCH", ITEMS + "/" + SITE, body=json.dumps(body).encode(),
                     headers={"Authorization": "Bearer " + token, "Content-Type": PATCH_TYPE, "If-Match": etag})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def name_en(srv):
    r = srv.get(ITEMS + "/" + SITE)
    assert r.status == 200, r
    return r.json()["properties"].get("name_en"), r.header("etag")


def until(check, what, timeout=VISIBLE_WITHIN_S):
    """Polls check() until true; the seconds it took (fails after timeout)."""
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("%s: not within %.1f s" % (what, timeout))
        time.sleep(POLL_S)
    return time.monotonic() - t0


def main():
    with PgCluster() as pg:
        dsn = pg.dsn()
        import_into(dsn, os.path.join(SOURCE, "data", "sites.csv"))
        token = key(dsn, "planner")
        with Server("--edit", db=dsn) as a, Server("--edit", db=dsn) as b:
            replicas = (a, b)

            def test_patch_through_a_reaches_b():
                before = [metrics(s) for s in replicas]
                _, etag = name_en(a)
                t0 = time.monotonic()
                r = patch(a, token, {"properties": {"name_en": "Edited through A"}}, etag)
                assert r.status == 200, r
                print("PATCH through A answered in %.3f s" % (time.monotonic() - t0))
                # A's answer came after the change was live on A
                assert name_en(a)[0] == "Edited through A"
                took = until(lambda: name_en(b)[0] == "Edited through A", "the PATCH through A on B")
                print("PATCH through A visible through B after %.3f s" % took)
                # A's follower installed it once; the write itself rebuilt nothing
                time.sleep(0.2)  # a second install, were there one, would come by now
                for srv, m0 in zip(replicas, before):
                    m = metrics(srv)
                    assert m["mapsvc_store_updates_total"] == m0["mapsvc_store_updates_total"] + 1, (m0, m)
                assert metrics(a)["mapsvc_edit_writes_total"] == before[0]["mapsvc_edit_writes_total"] + 1
                assert metrics(a)["mapsvc_edit_rebuilds_total"] == 0
                # both replicas hold the same site: the same version in the
                # item's tag (its second half hashes the body, whose links
                # name each replica's own address)
                assert name_en(a)[1].split("-")[0] == name_en(b)[1].split("-")[0]

            def test_patch_through_nginx():
                with test_nginx.Nginx([a, b]) as ng:
                    _, etag = name_en(a)
                    status = patch_via(ng.port, token, {"properties": {"name_en": "Edited through nginx"}}, etag)
                    assert status == 200, status
                    took = max(until(lambda: name_en(s)[0] == "Edited through nginx", "the PATCH through nginx")
                               for s in replicas)
                    print("PATCH through nginx visible through both replicas after %.3f s" % took)

            def test_stale_etag_refused():
                r = patch(b, token, {"properties": {"name_en": "stale"}}, '"0000000000000000"')
                assert r.status == 412, r
                assert name_en(a)[0] != "stale" and name_en(b)[0] != "stale"

            def test_refused_by_validation():
                _, etag = name_en(b)
                r = patch(b, token, {"properties": {"category": "park"}}, etag)
                assert r.status in (400, 422), r
                assert pg.psql("SELECT category FROM sites WHERE id = '%s'" % SITE).strip() != "park"

            def test_audit_in_the_database():
                out = mapsvc("audit", "--db", dsn)
                assert out.returncode == 0, out.stderr
                rows = [line.split("\t") for line in out.stdout.splitlines()]
                assert len(rows) == 2, rows
                assert rows[0][1:4] == ["planner", "replace", SITE], rows[0]
                assert "Edited through A" in rows[0][5] and "Edited through A" not in rows[0][4]
                assert "Edited through nginx" in rows[1][5] and "Edited through A" in rows[1][4]
                assert pg.psql("SELECT count(*) FROM audit").strip() == "2"

            def test_keys_in_the_database():
                reader = key(dsn, "reader", "read")
                listed = mapsvc("keys", "--db", dsn, "list")
                assert listed.returncode == 0 and "planner" in listed.stdout and "reader" in listed.stdout, listed
                # the table keeps hashes, never tokens
                assert token not in pg.psql("SELECT name, encode(hash, 'hex') FROM keys")
                _, etag = name_en(b)
                assert patch(b, reader, {"properties": {"name_en": "x"}}, etag).status == 403
                out = mapsvc("keys", "--db", dsn, "revoke", "planner")
                assert out.returncode == 0, out.stderr
                for srv in replicas:
                    _, etag = name_en(srv)
                    assert patch(srv, token, {"properties": {"name_en": "x"}}, etag).status == 401

            def test_no_password_in_logs():
                for srv in replicas:
                    assert PASSWORD not in srv.output(), srv.output()

            rc = run(test_patch_through_a_reaches_b, test_patch_through_nginx, test_stale_etag_refused, test_refused_by_validation,
                     test_audit_in_the_database, test_keys_in_the_database, test_no_password_in_logs)
    return rc


try:
    status = main()
finally:
    shutil.rmtree(test_nginx.WORK, ignore_errors=True)
sys.exit(status)

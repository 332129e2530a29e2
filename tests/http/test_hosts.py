"""Links cannot be poisoned (issue 11, row 10): without --public-url, a
Host header goes into absolute links only when it names a host the server
answers for (--allowed-hosts; by default the listen address and
localhost); any other Host gets relative links, so a shared cache in front
never keeps an answer pointing elsewhere.  --public-url always wins."""
from harness import *

srv = None

# Every answer that carries links or URLs.
LINKED = ["/?f=json", "/conformance", "/collections", "/collections/sites", "/collections/sites/queryables",
          "/collections/sites/items?limit=2", "/collections/sites/items?limit=2&offset=2",
          "/collections/sites/items/zb-heitieshan-memorial", "/api", "/tiles.json", "/tiles/print.json",
          "/route?from=36.85,118.10&nearest=3&format=html", "/route?from=36.85,118.10&nearest=3&format=json"]


def test_forged_host_is_never_echoed():
    for host in ("evil.example", "evil.example:80", "EVIL.example.", "127.0.0.1.evil.example", "localhost@evil.example",
                 "evil.example\\x"):
        for path in LINKED:
            r = srv.get(path, headers={"Host": host})
            assert r.status == 200, (path, host, r)
            body = r.body.decode("utf-8", "replace").lower()
            assert "evil" not in body, (path, host, body[:400])
    # relative links, which still lead somewhere
    r = srv.get("/collections/sites/items?limit=2", headers={"Host": "evil.example"})
    nxt = [l["href"] for l in r.json()["links"] if l["rel"] == "next"][0]
    assert nxt.startswith("/collections/sites/items?"), nxt
    assert srv.get(nxt).json()["numberReturned"] == 2
    tj = srv.get("/tiles.json", headers={"Host": "evil.example"}).json()
    assert tj["tiles"][0].startswith("/tiles/"), tj["tiles"]


def test_allowed_hosts_are_used():
    # The listen address and localhost are allowed by default, with any port.
    for host in ("127.0.0.1:%d" % srv.port, "localhost:%d" % srv.port, "LOCALHOST:%d" % srv.port):
        r = srv.get("/collections/sites/items?limit=2", headers={"Host": host})
        links = [l["href"] for l in r.json()["links"]]
        assert all(h.startswith("http://" + host.lower() + "/") for h in links), links
    with Server("--allowed-hosts", "map.example.org, [::1]:8080") as s2:
        r = s2.get("/?f=json", headers={"Host": "Map.Example.Org"})
        assert all(l["href"].startswith("http://map.example.org/") for l in r.json()["links"]), r.body
        r = s2.get("/?f=json", headers={"Host": "[::1]:8080"})
        assert all(l["href"].startswith("http://[::1]:8080/") for l in r.json()["links"]), r.body
        # the port of an entry that has one must match; localhost is no longer in the list
        for host in ("[::1]:9090", "localhost:%d" % s2.port, "evil.example"):
            r = s2.get("/?f=json", headers={"Host": host})
            assert all(l["href"].startswith("/") for l in r.json()["links"]), (host, r.body)


def test_public_url_wins():
    with Server("--public-url", "https://map.example.org/red/") as s2:
        for host in ("evil.example", "127.0.0.1:%d" % s2.port):
            r = s2.get("/route?from=36.85,118.10&nearest=3&format=html", headers={"Host": host})
            assert "evil" not in r.body.decode()
            # the sheet's links (each stop's page, the sheet's own address)
            # are on the public URL, whatever the Host
            body = r.body.decode()
            assert 'https://map.example.org/red/collections/sites/items/zb-heitieshan-memorial' in body, body[-3000:]
            assert 'https://map.example.org/red/route?from' in body, body[-3000:]


def test_vary():
    # "/" answers HTML or JSON by Accept, and says so to caches.
    r = srv.get("/", headers={"Accept": "application/json"})
    assert r.header("vary") == "Accept" and r.json()["links"], r
    r = srv.get("/", headers={"Accept": "text/html"})
    assert r.header("vary") == "Accept" and r.body.startswith(b"<!DOCTYPE html>"), r


def test_bad_host_still_served():
    # A refused Host does not stop serving: tiles and features answer as usual.
    r = srv.get("/tiles/14/13566/6389.png", headers={"Host": "evil.example"})
    assert r.status == 200 and r.body[:8] == b"\x89PNG\r\n\x1a\n", r


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_forged_host_is_never_echoed, test_allowed_hosts_are_used, test_public_url_wins, test_vary,
                     test_bad_host_still_served)
    sys.exit(status)

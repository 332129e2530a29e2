"""Every error is application/problem+json with the right status: unknown
routes and parameters, wrong methods, over-long URLs and headers; and a
slow client does not hold up the others."""
import socket
import time

from harness import *

srv = None


def raw(data, timeout=10):
    """Sends raw bytes; returns (status, headers dict, body) of the answer."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall(data)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        want = int(headers.get("content-length", "0"))
        while len(body) < want:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return Response(status, headers, body)


def test_unknown_route():
    for path in ("/nope", "/collections/sites/items/a/b", "/collections/", "/nearest/", "/tiles-of-nothing"):
        check_problem(srv.get(path), 404)
    check_problem(srv.get("/nope"), 404, "/nope")


def test_unknown_parameter():
    for path, name in (("/collections?x=1", "x"), ("/conformance?bbox=1,2,3,4", "bbox"),
                       ("/collections/sites?limit=3", "limit"), ("/?f=json&callback=x", "callback"),
                       ("/collections/sites/queryables?q=1", "q"), ("/api?foo", "foo"),
                       ("/healthz?verbose=1", "verbose")):
        check_problem(srv.get(path), 400, name)


def test_wrong_method():
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = srv.request("/collections/sites/items", method=method, body=b'{"type":"Feature"}',
                        headers={"Content-Type": "application/json"})
        p = check_problem(r, 405, method)
        assert set(x.strip() for x in r.header("allow").split(",")) == {"GET", "HEAD"}, r.headers
    r = srv.request("/nearest", method="POST")
    check_problem(r, 405)
    assert "GET" in r.header("allow")
    # An unknown route stays a 404 whatever the method.
    check_problem(srv.request("/nope", method="DELETE"), 404)


def test_long_url():
    r = raw(b"GET /collections/sites/items?q=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check_problem(r, 414, "bytes")
    # Just under the limit is served (the parameter is refused by name).
    r = srv.get("/collections/sites/items?zz=" + "b" * 8000)
    check_problem(r, 400, "zz")


def test_large_headers():
    big = b"X-Big: " + b"b" * 60_000 + b"\r\n"
    r = raw(b"GET /collections HTTP/1.1\r\nHost: x\r\n" + big + b"Connection: close\r\n\r\n")
    check_problem(r, 431, "headers")
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"c" * 100) for i in range(600))
    r = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"Connection: close\r\n\r\n")
    check_problem(r, 431)
    # Ordinary headers are fine.
    assert srv.get("/healthz", headers={"X-Small": "s" * 1000}).status == 200


def test_slow_client_does_not_block():
    stalled = []
    for _ in range(4):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        s.sendall(b"GET /collections/sites/items HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
        stalled.append(s)
    try:
        t0 = time.time()
        for _ in range(20):
            assert srv.get("/healthz", timeout=5).status == 200
        assert time.time() - t0 < 10, "others were held up by stalled clients"
    finally:
        for s in stalled:
            s.close()


def test_bad_values_never_5xx():
    # A table of hostile values: none may give a 5xx or a non-problem answer.
    cases = ["/collections/sites/items?bbox=" + ",".join(["1e308"] * 4),
             "/collections/sites/items?bbox=-180,-90,180,90&limit=99999999999999999999999",
             "/collections/sites/items?offset=99999999999999999999",
             "/collections/sites/items?q=%C0%AF", "/collections/sites/items?crs=%00",
             "/collections/sites/items/%FF%FE", "/nearest?lat=1e400&lon=0", "/nearest?lat=0x10&lon=0",
             "/nearest?lat=&lon=", "/nearest?lat=0&lon=0&limit=1e2", "/nearest?lat=0&lon=0&within_km=nan",
             "/collections/sites/items?category=,,,", "/collections/sites/items?coordsys="]
    for path in cases:
        r = srv.get(path)
        assert r.status < 500, (path, r)
        if r.status >= 400:
            check_problem(r, r.status)
    # One integer grammar: 1e2 is a decimal, refused as /nearest's limit as it is as items' limit.
    check_problem(srv.get("/nearest?lat=0&lon=0&limit=1e2"), 400, "limit")
    check_problem(srv.get("/collections/sites/items?limit=1e2"), 400, "limit")


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_unknown_route, test_unknown_parameter, test_wrong_method, test_long_url,
                     test_large_headers, test_slow_client_does_not_block, test_bad_values_never_5xx)
    sys.exit(status)

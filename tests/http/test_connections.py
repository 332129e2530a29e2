"""One client cannot take the service down (issue 11, row 1).

Attackers here are sockets from other loopback addresses (127.0.0.0/8 is
all this host's) than the prober, which asks /healthz from 127.0.0.1 every
few milliseconds throughout and must always be answered within 1 s:
  - sockets that send half a request line and then one byte a second,
    from one address and from twenty;
  - 2,000 sockets that connect and send nothing, from one address and
    from forty.
Each socket must be closed by the server within the head timeout of its
accept (3 s here), however it trickles; one address holds at most
--max-client-connections; near --max-connections idle keep-alive
connections make room; a trusted proxy is not counted per client.
Nothing here is timed for speed: the 1 s bound is liveness."""
import threading
import time

from harness import *

HEAD_TIMEOUT = 3
LIVENESS_S = 1.0
srv = None


class Prober(threading.Thread):
    """Asks /healthz in a loop; keeps the worst latency and the failures."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop_flag = port, threading.Event()
        self.worst, self.count, self.failures = 0.0, 0, []

    def run(self):
        while not self.stop_flag.is_set():
            t0 = time.time()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                r = conn.getresponse()
                r.read()
                conn.close()
                if r.status != 200:
                    self.failures.append(r.status)
            except OSError as e:
                self.failures.append(repr(e))
            self.worst = max(self.worst, time.time() - t0)
            self.count += 1
            time.sleep(0.02)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.join()
        assert self.count > 20, "the prober hardly ran (%d)" % self.count
        assert not self.failures, "healthz failed under attack: %s" % self.failures[:5]
        assert self.worst < LIVENESS_S, "healthz took %.2f s under attack" % self.worst
        print("     /healthz: %d answers, worst %.1f ms" % (self.count, self.worst * 1000))
        return False


def is_closed(s):
    """Whether the server has closed socket s (without waiting)."""
    s.setblocking(False)
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def attack(sources, per_source, first=b""):
    """Sockets from each source address, each having sent `first`."""
    socks = []
    for src in sources:
        for _ in range(per_source):
            try:
                s = connect(srv.port, src, timeout=5)
                if first:
                    s.sendall(first)
                socks.append(s)
            except OSError:
                pass  # refused at once: that is allowed
    return socks


def wait_all_closed(socks, trickle, started, label):
    """Trickles a byte a second into every open socket until the server has
    closed them all; fails if that takes longer than the head timeout."""
    limit = started + HEAD_TIMEOUT + 2.5  # the door sweeps every 100 ms
    open_socks = list(socks)
    while open_socks:
        open_socks = [s for s in open_socks if not is_closed(s)]
        if not open_socks:
            break
        assert time.time() < limit, "%s: %d sockets still open %.1f s after they connected" % (
            label, len(open_socks), time.time() - started)
        for s in open_socks:
            if trickle:
                try:
                    s.send(b"a")
                except OSError:
                    pass
        time.sleep(1.0 if trickle else 0.2)
    for s in socks:
        s.close()


def test_trickle_one_address():
    started = time.time()
    with Prober(srv.port):
        socks = attack(["127.0.0.2"], 600, b"GET /collections/sites/items?q=")
        time.sleep(0.3)
        still = sum(1 for s in socks if not is_closed(s))
        assert still <= 64, "one address holds %d connections" % still
        wait_all_closed(socks, True, started, "trickle, one address")


def test_trickle_many_addresses():
    scans0 = metrics(srv)["mapsvc_request_head_scans_total"]
    started = time.time()
    with Prober(srv.port):
        socks = attack(["127.0.1.%d" % i for i in range(1, 21)], 30, b"GET /collections/sites/items?q=")
        assert len(socks) == 600
        wait_all_closed(socks, True, started, "trickle, twenty addresses")
    # Work, counted: a head is looked at once per segment that arrives (a
    # byte a second for at most HEAD_TIMEOUT + 3 s here) and once at the
    # end, never in a loop over bytes already seen.
    scans = metrics(srv)["mapsvc_request_head_scans_total"] - scans0
    assert scans <= 600 * (HEAD_TIMEOUT + 3 + 2), "%d scans for 600 trickling heads" % scans


def test_idle_sockets():
    started = time.time()
    with Prober(srv.port):
        socks = attack(["127.0.0.3"], 2000)
        time.sleep(0.3)
        assert sum(1 for s in socks if not is_closed(s)) <= 64
        wait_all_closed(socks, False, started, "idle, one address")
    started = time.time()
    with Prober(srv.port):
        socks = attack(["127.0.2.%d" % i for i in range(1, 41)], 50)
        assert len(socks) == 2000
        wait_all_closed(socks, False, started, "idle, forty addresses")
    m = metrics(srv)
    assert m['mapsvc_connections_closed_total{reason="head_timeout"}'] >= 2000, m
    assert m['mapsvc_connections_total{result="refused_client"}'] >= 1900, m


def test_keep_alive_deadline():
    # A kept-alive connection gets the same deadline for its next head.
    with connect(srv.port, "127.0.0.9") as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s).status == 200
        started = time.time()
        s.sendall(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
        wait_all_closed([s], True, started, "second request")


def test_per_client_limit_and_trusted_proxy():
    with Server("--max-client-connections", "4", "--trusted-proxy", "127.0.0.5") as s2:
        held = []
        for _ in range(4):
            c = connect(s2.port, "127.0.0.4")
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(c).status == 200
            held.append(c)
        extra = connect(s2.port, "127.0.0.4")
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(extra) is None, "a fifth connection from one address was served"
        extra.close()
        # others are not affected; a trusted proxy carries many clients
        assert raw_exchange(s2.port, b"GET /healthz HTTP/1.0\r\n\r\n", source="127.0.0.6").status == 200
        proxied = []
        for _ in range(10):
            c = connect(s2.port, "127.0.0.5")
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(c).status == 200
            proxied.append(c)
        for c in held + proxied:
            c.close()
        assert metrics(s2)['mapsvc_connections_total{result="refused_client"}'] >= 1


def test_idle_connections_make_room():
    with Server("--max-connections", "16") as s2:
        idle = []
        for i in range(14):  # idle keep-alive connections, each served once
            c = connect(s2.port, "127.0.3.%d" % (i + 1))
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(c).status == 200
            idle.append(c)
            if i == 0:
                # The server marks a connection idle when its request is
                # complete, which may be after the client has read the
                # answer: on a busy machine the second connection's mark
                # came first, and it was the one closed.  The first is
                # made the longest idle by a clear margin.
                time.sleep(0.3)
        # new clients are served: the idle ones are closed first to make room
        for i in range(10):
            r = raw_exchange(s2.port, b"GET /healthz HTTP/1.0\r\n\r\n", source="127.0.4.%d" % (i + 1))
            assert r is not None and r.status == 200, i
        time.sleep(0.3)
        closed = sum(1 for c in idle if is_closed(c))
        assert closed >= 1, "no idle connection was closed"
        assert is_closed(idle[0]), "the one idle longest was kept"
        assert metrics(s2)['mapsvc_connections_closed_total{reason="evicted"}'] >= closed
        for c in idle:
            c.close()


if __name__ == "__main__":
    have = raise_fd_limit()
    assert have > 2500, "this test needs 2,500 descriptors; the limit is %d" % have
    with Server("--head-timeout", str(HEAD_TIMEOUT)) as srv:
        status = run(test_trickle_one_address, test_trickle_many_addresses, test_idle_sockets,
                     test_keep_alive_deadline, test_per_client_limit_and_trusted_proxy,
                     test_idle_connections_make_room)
    sys.exit(status)

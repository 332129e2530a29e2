"""Expensive work is bounded (issue 11, row 3): static maps and PDF sheets
run on their own few threads, at a lower priority; when those are busy
and their short queue is full, or a client already has its share, the
answer is a quick 503 with Retry-After, and cheap requests (/healthz,
items, nearest, cached tiles) go on being answered within 1 s meanwhile.
What is counted: how many expensive requests run at once (never more than
the workers), how many were refused, which threads are niced; the 1 s is
a liveness bound, not a speed test."""
import threading
import time

from harness import *

WORKERS, QUEUE, PER_CLIENT = 1, 2, 2
BIG_MAP = "/staticmap.png?bbox=117.9,36.7,118.2,36.9&width=2048&height=2048&scale=2"
srv = None


def get_from(source, path, headers=None, port=None):
    """GET path from a given loopback address; the Response (None: no answer)."""
    head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % path
    for k, v in (headers or {}).items():
        head += "%s: %s\r\n" % (k, v)
    return raw_exchange(port or srv.port, (head + "\r\n").encode(), timeout=300, source=source)


def parallel(jobs):
    """Runs (source, path, headers) requests at once; their answers in order."""
    out = [None] * len(jobs)

    def one(i, job):
        out[i] = get_from(*job)

    threads = [threading.Thread(target=one, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    return threads, out


def check_busy(r, mention=None):
    p = check_problem(r, 503, mention)
    assert r.header("retry-after") and int(r.header("retry-after")) > 0, r.headers
    return p


class CheapLoad(threading.Thread):
    """Cheap requests in a loop: each must be answered within 1 s; also
    samples how many expensive requests run at once."""
    PATHS = ["/healthz", "/collections/sites/items?limit=5", "/nearest?lat=36.8&lon=118.1&limit=3",
             "/tiles/14/13566/6389.png"]

    def __init__(self, s):
        super().__init__(daemon=True)
        self.s, self.stop_flag = s, threading.Event()
        self.worst, self.count, self.failures, self.max_running = 0.0, 0, [], 0

    def run(self):
        i = 0
        while not self.stop_flag.is_set():
            path = self.PATHS[i % len(self.PATHS)]
            i += 1
            t0 = time.time()
            try:
                r = self.s.get(path, timeout=5)
                if r.status != 200:
                    self.failures.append((path, r.status))
            except OSError as e:
                self.failures.append((path, repr(e)))
            self.worst = max(self.worst, time.time() - t0)
            self.count += 1
            m = metrics(self.s)
            self.max_running = max(self.max_running, m["mapsvc_expensive_running"])
            time.sleep(0.01)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.join()
        assert self.count > 10, self.count
        assert not self.failures, self.failures[:5]
        assert self.worst < 1.0, "a cheap request took %.2f s" % self.worst
        assert self.max_running <= WORKERS, "%d expensive requests ran at once" % self.max_running
        print("     cheap requests: %d, worst %.1f ms" % (self.count, self.worst * 1000))
        return False


def test_flood_of_big_maps():
    before = metrics(srv)
    with CheapLoad(srv):
        threads, out = parallel([("127.0.5.%d" % (i + 1), BIG_MAP, None) for i in range(16)])
        for t in threads:
            t.join()
    ok = [r for r in out if r is not None and r.status == 200]
    busy = [r for r in out if r is not None and r.status == 503]
    assert len(ok) + len(busy) == 16, out
    # a map takes a fraction of a second, and the 16 arrive within a few
    # milliseconds: some are served, the rest refused at once
    assert ok and busy, [r.status for r in out]
    for r in ok:
        assert r.body[:8] == b"\x89PNG\r\n\x1a\n" and r.header("x-map-zoom"), r
    for r in busy:
        check_busy(r, "busy")
    after = metrics(srv)
    refused = after['mapsvc_expensive_total{result="refused_busy"}'] - before['mapsvc_expensive_total{result="refused_busy"}']
    assert refused == len(busy), (refused, len(busy))
    assert after["mapsvc_expensive_cpu_seconds_total"] > before["mapsvc_expensive_cpu_seconds_total"]


def test_share_of_one_client():
    threads, out = parallel([("127.0.0.7", BIG_MAP, None)] * 4)
    for t in threads:
        t.join()
    ok = [r for r in out if r.status == 200]
    busy = [r for r in out if r.status == 503]
    assert len(ok) <= PER_CLIENT and len(ok) + len(busy) == 4, [r.status for r in out]
    for r in busy:
        check_busy(r)
    assert any("127.0.0.7" in r.json()["detail"] for r in busy), [r.json()["detail"] for r in busy]


class Saturator:
    """Keeps more big maps asked for than the pool takes, from addresses of
    their own, so that it is full nearly all the time."""

    def __init__(self, n):
        self.stop_flag = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=("127.0.6.%d" % (i + 1),), daemon=True)
                        for i in range(n)]

    def loop(self, source):
        while not self.stop_flag.is_set():
            get_from(source, BIG_MAP)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join()
        return False


def test_pdf_is_expensive_and_json_is_not():
    pdf_status, json_status = set(), set()
    with Saturator(WORKERS + QUEUE + 3):
        for _ in range(40):
            r = get_from("127.0.6.99", "/route?from=36.85,118.10&nearest=5&format=pdf")
            pdf_status.add(r.status)
            if r.status == 503:
                check_busy(r)
            r = get_from("127.0.6.99", "/route?from=36.85,118.10&nearest=5&format=json")
            json_status.add(r.status)
            if 503 in pdf_status and len(json_status) and 200 in json_status:
                break
            time.sleep(0.05)
    # a PDF sheet waits for the pool like a map (and is refused when it is
    # full); the same route as JSON never touches it
    assert 503 in pdf_status and pdf_status <= {200, 503}, pdf_status
    assert json_status == {200}, json_status
    # and the PDF is served once the pool is free
    pdf = get_from("127.0.6.99", "/route?from=36.85,118.10&nearest=5&format=pdf")
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF"), pdf


def test_workers_are_niced():
    threads = []  # (name, nice) of each thread
    for tid in os.listdir("/proc/%d/task" % srv.proc.pid):
        with open("/proc/%d/task/%s/stat" % (srv.proc.pid, tid)) as f:
            name, rest = f.read().split("(", 1)[1].rsplit(")", 1)
        threads.append((name, int(rest.split()[16])))  # field 19 of stat(5), counted after the name
    base = os.getpriority(os.PRIO_PROCESS, srv.proc.pid)
    niced = min(19, base + 10)
    assert [n for (name, n) in threads if name == "ms-expensive"] == [niced] * WORKERS, threads
    # so are the threads no request waits for: the glyphs drawn ahead and
    # the render contexts warmed, while they run
    assert all(n == niced for (name, n) in threads if name in ("ms-glyphs", "ms-warm")), threads
    assert sum(1 for (name, n) in threads if n == base) >= 3, threads  # the door and the epoll threads


def test_forwarded_client():
    # Behind a trusted proxy the client is the one X-Forwarded-For names.
    with Server("--trusted-proxy", "127.0.0.10", "--expensive-workers", "1", "--expensive-queue", "6",
                "--expensive-per-client", "1") as s2:
        jobs = [("127.0.0.10", BIG_MAP, {"X-Forwarded-For": "203.0.113.1"}),
                ("127.0.0.10", BIG_MAP, {"X-Forwarded-For": "198.51.100.9, 203.0.113.1"}),
                ("127.0.0.10", BIG_MAP, {"X-Forwarded-For": "203.0.113.2"}),
                # an untrusted peer's header is not believed: this is 127.0.0.11's
                ("127.0.0.11", BIG_MAP, {"X-Forwarded-For": "203.0.113.3"}),
                ("127.0.0.11", BIG_MAP, {"X-Forwarded-For": "203.0.113.4"})]
        threads, out = [], [None] * len(jobs)
        for i, job in enumerate(jobs):  # in order, so that the first of each client is first
            def one(i=i, job=job):
                out[i] = get_from(job[0], job[1], job[2], port=s2.port)
            t = threading.Thread(target=one)
            t.start()
            threads.append(t)
            time.sleep(0.1)
        for t in threads:
            t.join()
        st = [r.status for r in out]
        assert st[0] == 200 and st[2] == 200 and st[3] == 200, st
        check_busy(out[1], "203.0.113.1")
        check_busy(out[4], "127.0.0.11")


if __name__ == "__main__":
    with Server("--expensive-workers", str(WORKERS), "--expensive-queue", str(QUEUE), "--expensive-per-client",
                str(PER_CLIENT)) as srv:
        status = run(test_flood_of_big_maps, test_share_of_one_client, test_pdf_is_expensive_and_json_is_not,
                     test_workers_are_niced, test_forwarded_client)
    sys.exit(status)

"""`mapsvc health` (issue 13, item 4) checks health: 0 only when the
server answers /readyz with 200 within the timeout; 1 when nothing
listens, when a server accepts but never answers (hung), when it answers
503 (stopping) or anything that is not HTTP; 2 on a usage error.  Its
default URL follows MAPSVC_LISTEN, so a container's environment probes
its own server."""
import threading

from harness import *


def health(*args, env=None):
    e = dict(os.environ)
    e.pop("MAPSVC_LISTEN", None)
    e.update(env or {})
    return subprocess.run([MAPSVC, "health"] + list(args), capture_output=True, text=True, timeout=60, env=e)


class FakeServer:
    """A loopback listener that answers each connection with `reply`
    (bytes), or never answers when reply is None."""

    def __init__(self, reply):
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.reply is not None:
                c.recv(4096)
                c.sendall(self.reply)
                c.close()

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def test_ready_server():
    with Server() as srv:
        out = health("--url", srv.base)
        assert out.returncode == 0 and "ready" in out.stdout, out
        out = health("--url", srv.base + "/readyz", "--timeout", "2")
        assert out.returncode == 0, out
        # the URL from the server's own variable, a wildcard as the loopback
        out = health(env={"MAPSVC_LISTEN": "0.0.0.0:%d" % srv.port})
        assert out.returncode == 0 and "http://127.0.0.1:%d/readyz" % srv.port in out.stdout, out
        # a path that is not 200 is not ready
        out = health("--url", srv.base + "/nope")
        assert out.returncode == 1 and "answered 404" in out.stderr, out


def test_nothing_listening():
    out = health("--url", "http://127.0.0.1:%d/readyz" % free_port(), "--timeout", "2")
    assert out.returncode == 1 and "not ready" in out.stderr, out


def test_hung_server():
    fake = FakeServer(None)
    try:
        out = health("--url", "http://127.0.0.1:%d" % fake.port, "--timeout", "0.5")
        assert out.returncode == 1 and "no answer in time" in out.stderr, out
    finally:
        fake.close()


def test_stopping_and_garbage():
    for reply, code, says in ((b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", 1, "answered 503"),
                              (b"SSH-2.0-OpenSSH_9.2\r\n", 1, "not HTTP"),
                              (b"", 1, "closed without an answer"),
                              (b"HTTP/1.0 200 OK\r\n\r\nfine", 0, "ready")):
        fake = FakeServer(reply)
        try:
            out = health("--url", "http://127.0.0.1:%d/readyz" % fake.port, "--timeout", "5")
            assert out.returncode == code and says in out.stdout + out.stderr, (reply, out)
        finally:
            fake.close()


def test_usage_errors():
    for args in (["--url", "ftp://127.0.0.1/"], ["--url", "http://"], ["--url", "http://h:99999/"],
                 ["--timeout", "0"], ["--timeout", "x"], ["extra"], ["--bogus"]):
        out = health(*args)
        assert out.returncode == 2 and "mapsvc health" in out.stderr, (args, out)
    out = health("--help")
    assert out.returncode == 0 and "--timeout" in out.stdout


if __name__ == "__main__":
    sys.exit(run(test_ready_server, test_nothing_listening, test_hung_server, test_stopping_and_garbage,
                 test_usage_errors))

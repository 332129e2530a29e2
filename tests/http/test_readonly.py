"""The server writes nothing outside its volumes (issue 13, item 4): the
image runs with a read-only root file system (`docker run --read-only
--tmpfs /tmp`), so every file the server opens for writing, creates,
renames or removes must be under /tmp, /dev, or a volume given to it
(here: the access log's folder).  The server runs under strace while it
answers every kind of request (tiles of both styles, features, the
GeoPackage download, a PDF route sheet, a static map), reloads on SIGHUP,
reopens its log on SIGUSR1 and stops; then the trace is read.  Its data
and styles (the bundled ones, beside the build) sit outside /tmp, as
read-only volumes would."""
import re
import shutil

import harness
from harness import *

WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")
CALL = re.compile(r'^(\d+)\s+(open|openat|creat|mkdir|mkdirat|rename|renameat|renameat2|unlink|unlinkat|rmdir|'
                  r'truncate|link|linkat|symlink|symlinkat)\((.*)\)\s+=\s+(-?\d+)')
STRACE = shutil.which("strace")
WORK = tempfile.mkdtemp(prefix="mapsvc-ro-", dir=BUILD)  # not under /tmp: the "volumes"
TRACE = os.path.join(WORK, "trace.txt")


class TracedServer(Server):
    """The server under strace -f; signals go to the server itself."""

    def __enter__(self):
        wrapper = os.path.join(WORK, "traced.sh")
        with open(wrapper, "w") as f:
            # LeakSanitizer cannot run under ptrace: in a sanitizer build the
            # traced server checks for leaks no more (every other test does).
            f.write('#!/bin/sh\nASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" '
                    'exec "%s" -f -qq -o "%s" -e trace=%s -- "%s" "$@"\n' % (
                STRACE, TRACE, "open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,"
                "truncate,link,linkat,symlink,symlinkat", MAPSVC))
        os.chmod(wrapper, 0o755)
        saved, harness.MAPSVC = harness.MAPSVC, wrapper
        try:
            return super().__enter__()
        finally:
            harness.MAPSVC = saved

    def server_pid(self):
        kids = open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)).read().split()
        return int(kids[0])

    def signal(self, sig):
        os.kill(self.server_pid(), sig)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.kill(self.server_pid(), signal.SIGTERM)
        return self.proc.wait(timeout=60)


def writes_in(trace):
    """(call, path) of every successful call that writes to the file system."""
    out = []
    for line in open(trace, encoding="utf-8", errors="replace"):
        m = CALL.match(line)
        if not m or int(m.group(4)) < 0:
            continue
        call, args = m.group(2), m.group(3)
        paths = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
        if call in ("open", "openat", "creat") and call != "creat" and not WRITE_FLAGS.search(args):
            continue
        out.extend((call, p) for p in paths)
    return out


def test_nothing_written_outside_volumes():
    assert STRACE, "strace (Debian package strace) is not installed"
    data, logs = (os.path.join(WORK, d) for d in ("data", "logs"))
    os.makedirs(data)
    os.makedirs(logs)
    shutil.copy(BUNDLED_DB, os.path.join(data, "sites.sqlite"))
    log = os.path.join(logs, "access.log")
    with TracedServer("--access-log", log, db=os.path.join(data, "sites.sqlite")) as srv:
        for path in ("/tiles/3/6/3.png", "/tiles/print/14/13566/6389@2x.png", "/tiles.json",
                     "/collections/sites/items?limit=5", "/collections/sites/download.gpkg",
                     "/nearest?lat=36.8&lon=118.1", "/route?from=36.85,118.10&nearest=3&format=pdf",
                     "/staticmap.png?width=200&height=150&bbox=118,36.7,118.2,36.9", "/?f=json", "/api"):
            assert srv.get(path).status == 200, path
        srv.signal(signal.SIGHUP)
        os.rename(log, log + ".1")
        srv.signal(signal.SIGUSR1)
        deadline = time.time() + 30
        while metrics(srv).get('mapsvc_reloads_total{result="ok"}') != 1 or not os.path.exists(log):
            assert time.time() < deadline, srv.output()
            time.sleep(0.05)
        assert srv.get("/tiles/3/6/3.png").status == 200
    writes = writes_in(TRACE)
    allowed = ("/tmp/", "/dev/", logs + "/")
    bad = [(c, p) for c, p in writes if not p.startswith(allowed)]
    assert not bad, "written outside the volumes: %s" % bad
    # the check sees what it must: the log's own opens are there
    assert ("openat", log) in writes or ("open", log) in writes, writes


if __name__ == "__main__":
    try:
        status = run(test_nothing_written_outside_volumes)
    finally:
        if status == 0:
            shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(status)

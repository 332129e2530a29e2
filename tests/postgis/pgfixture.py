"""A private PostgreSQL 15 cluster with PostGIS, for the postgis tests.

`with PgCluster() as pg:` runs initdb in a temporary folder, starts the
server on a free port of 127.0.0.1 (and a socket in that folder only),
creates the role's password and database `mapsvc` with the postgis
extension, and stops the server by its PID when the block ends, also
when it fails.  As root everything runs as the `postgres` user (the
server refuses to run as root).  pg.restart() stops and starts it again
on the same port.

When the PostgreSQL or PostGIS binaries are missing, require() prints
why and exits with SKIP (77), which CTest reports as skipped: never a
silent pass.  Python 3 standard library only.
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
PG_VERSION = "15"
PG_BIN = "/usr/lib/postgresql/%s/bin" % PG_VERSION
PG_SHARE = "/usr/share/postgresql/%s" % PG_VERSION
PASSWORD = "s3cret-Pass_word"
DBNAME = "mapsvc"
RUN_AS = "postgres"


def missing():
    """What is missing to run a cluster here, or None."""
    for tool in ("initdb", "pg_ctl", "postgres", "psql"):
        if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
            return "%s/%s not found (apt-get install postgresql-%s)" % (PG_BIN, tool, PG_VERSION)
    if not glob.glob(os.path.join(PG_SHARE, "extension", "postgis.control")):
        return "PostGIS is not installed for PostgreSQL %s (apt-get install postgresql-%s-postgis-3)" % (
            PG_VERSION, PG_VERSION)
    if os.geteuid() == 0:
        try:
            import pwd
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return "running as root and there is no '%s' user to run the server as" % RUN_AS
    return None


def require():
    why = missing()
    if why:
        print("SKIPPED: the PostgreSQL/PostGIS tests need a PostgreSQL %s server with PostGIS: %s"
              % (PG_VERSION, why))
        sys.exit(SKIP)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", RUN_AS, "--"] + cmd
    return cmd


class PgCluster:
    def __init__(self):
        self.dir = None
        self.port = free_port()
        self.pid = None

    # --- connection strings ---------------------------------------------
    def dsn(self, password=PASSWORD, db=DBNAME):
        return "postgresql://postgres:%s@127.0.0.1:%d/%s" % (password, self.port, db)

    def keyword_dsn(self, password=PASSWORD, db=DBNAME):
        return "postgres:host=127.0.0.1 port=%d dbname=%s user=postgres password=%s" % (
            self.port, db, password)

    # --- life --------------------------------------------------------------
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="mapsvc-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.dir, RUN_AS, RUN_AS)
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, RUN_AS, RUN_AS)
        out = subprocess.run(_as_server_user([
            os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", "postgres", "--pwfile", pwfile,
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
            capture_output=True, timeout=120)
        if out.returncode != 0:
            raise AssertionError("initdb failed: %s" % out.stderr.decode(errors="replace"))
        self.start()
        self.psql("CREATE DATABASE %s" % DBNAME, db="postgres")
        self.psql("CREATE EXTENSION postgis")
        return self

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    def start(self):
        opts = ("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off" % (self.port, self.dir))
        out = subprocess.run(_as_server_user([
            os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-o", opts, "-l",
            os.path.join(self.dir, "log"), "-w", "-t", "60", "start"]), capture_output=True, timeout=90)
        if out.returncode != 0:
            raise AssertionError("pg_ctl start failed: %s\n%s" % (out.stdout.decode(errors="replace"),
                                                                   self.log_tail()))
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            self.pid = int(f.readline())

    def stop(self):
        """Fast shutdown by the postmaster's PID (SIGINT), waiting for it."""
        if not self.pid:
            return
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            self.pid = None
            return
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
        self.pid = None

    def restart(self):
        self.stop()
        self.start()

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        if exc_type is not None:
            sys.stderr.write("--- postgresql log ---\n" + self.log_tail())
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    # --- queries -----------------------------------------------------------
    def psql(self, sql, db=DBNAME):
        """Runs sql with psql over TCP; its output (unaligned, tuples only)."""
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        out = subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                              "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
                             capture_output=True, timeout=120, env=env)
        if out.returncode != 0:
            raise AssertionError("psql %r failed: %s" % (sql, out.stderr.decode(errors="replace")))
        return out.stdout.decode()


def mapsvc(*args, timeout=600):
    """Runs the mapsvc binary of the build (env MAPSVC); the CompletedProcess."""
    return subprocess.run([os.environ.get("MAPSVC", "mapsvc")] + list(args), capture_output=True, text=True,
                          timeout=timeout)


def import_into(db, *files, replace=True):
    out = mapsvc("import", "--db", db, *(["--replace"] if replace else []), *files)
    assert out.returncode == 0, out.stderr
    return out

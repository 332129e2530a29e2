"""Configuration (issue 13, item 3): every option of `mapsvc serve` is
also an environment variable, MAPSVC_ and its name in capitals with '_'
for '-'; the flag wins; `serve --print-config` prints each effective
value and its origin (default, env, flag) and exits; a bad value from the
environment is a usage error that names the variable.  And a real server
started from the environment alone serves as its variables say."""
import re

from harness import *

# A valid value of every option that takes one.  The test fails when
# --help lists an option that is not here, so a new option gets checked.
SAMPLES = {
    "db": BUNDLED_DB, "listen": "127.0.0.1:9999", "public-url": "https://maps.example", "styles": "/srv/styles",
    "threads": "3", "cache-mb": "16", "max-zoom": "18", "max-age": "600", "cors": "https://a.example",
    "basemap": "https://t.example/{z}/{x}/{y}.png", "basemap-attribution": "OSM", "basemap-crs": "gcj02",
    "max-connections": "100", "max-client-connections": "10", "head-timeout": "5", "idle-timeout": "7",
    "trusted-proxy": "10.0.0.0/8", "expensive-workers": "1", "expensive-queue": "2", "expensive-per-client": "1",
    "drain-timeout": "3", "allowed-hosts": "maps.example", "frame-ancestors": "'none'",
    "metrics-listen": "127.0.0.1:9100", "access-log": "-", "log-format": "json", "tiles-from": "/srv/seed.pmtiles",
    "edit": "on",
}
FLAGLESS = {"help", "print-config"}


def env_name(opt):
    return "MAPSVC_" + opt.upper().replace("-", "_")


def serve(args, env=None, **kw):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MAPSVC_") or k in ("MAPSVC_BUILD", "MAPSVC_SOURCE")}
    e.update(env or {})
    return subprocess.run([MAPSVC, "serve"] + args, capture_output=True, text=True, timeout=60, env=e, **kw)


def print_config(args=(), env=None):
    out = serve(list(args) + ["--print-config"], env)
    assert out.returncode == 0, out
    rows = {}
    for line in out.stdout.splitlines():
        if line.startswith("#"):
            continue
        name, origin, value = re.match(r"^(\S+)\s+(\S+)\s+(.*)$", line).groups()
        rows[name] = (origin, value)
    return rows


def help_options():
    out = serve(["--help"])
    assert out.returncode == 0
    return set(re.findall(r"--([a-z0-9-]+)", out.stdout)) - FLAGLESS


def test_every_option_has_a_variable():
    rows = print_config()
    assert set(rows) == help_options() == set(SAMPLES), (set(rows) ^ set(SAMPLES), help_options() ^ set(SAMPLES))
    assert all(o == "default" for o, _ in rows.values()), rows
    env = {env_name(k): v for k, v in SAMPLES.items()}
    rows = print_config(env=env)
    for k, v in SAMPLES.items():
        assert rows[k] == ("env:" + env_name(k), v), (k, rows[k])


def test_flag_wins():
    env = {"MAPSVC_MAX_AGE": "77", "MAPSVC_LISTEN": "0.0.0.0:9000", "MAPSVC_CORS": ""}
    rows = print_config(["--max-age", "99", "--threads", "4"], env)
    assert rows["max-age"] == ("flag", "99") and rows["threads"] == ("flag", "4"), rows
    assert rows["listen"] == ("env:MAPSVC_LISTEN", "0.0.0.0:9000"), rows
    assert rows["cors"] == ("env:MAPSVC_CORS", ""), rows
    assert rows["max-zoom"] == ("default", "20") and rows["log-format"] == ("default", "combined"), rows


def test_edit_is_a_flag_and_a_variable():
    # --edit is a flag; its variable says on or off
    rows = print_config(["--edit"], {"MAPSVC_EDIT": "off"})
    assert rows["edit"] == ("flag", "on"), rows
    out = serve(["--print-config"], {"MAPSVC_EDIT": "yes"})
    assert out.returncode == 2 and "MAPSVC_EDIT" in out.stderr, out


def test_bad_variable_names_itself():
    out = serve(["--print-config"], {"MAPSVC_MAX_AGE": "forever"})
    assert out.returncode == 2 and "--max-age" in out.stderr and "MAPSVC_MAX_AGE" in out.stderr, out
    out = serve(["--print-config"], {"MAPSVC_LOG_FORMAT": "xml"})
    assert out.returncode == 2 and "MAPSVC_LOG_FORMAT" in out.stderr, out
    # a good flag does not hide a bad variable: both are read
    out = serve(["--print-config", "--max-age", "5"], {"MAPSVC_MAX_ZOOM": "99"})
    assert out.returncode == 2 and "MAPSVC_MAX_ZOOM" in out.stderr, out


def test_server_from_the_environment():
    """Started from variables alone (no flag but --listen and --db from
    the harness): the tiles' max-age and CORS, and /metrics moved."""
    mport = free_port()
    env = {"MAPSVC_MAX_AGE": "777", "MAPSVC_CORS": "https://a.example", "MAPSVC_MAX_ZOOM": "12",
           "MAPSVC_METRICS_LISTEN": "127.0.0.1:%d" % mport}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with Server("--max-zoom", "14") as srv:
            r = srv.get("/tiles/3/6/3.png")
            assert r.header("cache-control") == "public, max-age=777", r.headers
            assert r.header("access-control-allow-origin") == "https://a.example", r.headers
            # the flag's 14 wins over the variable's 12
            assert srv.get("/tiles/14/13566/6389.png").status == 200
            assert srv.get("/tiles/15/0/0.png").status == 404
            assert srv.get("/metrics").status == 404
            assert http_get("http://127.0.0.1:%d/metrics" % mport).status == 200
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


if __name__ == "__main__":
    sys.exit(run(test_edit_is_a_flag_and_a_variable, test_every_option_has_a_variable, test_flag_wins, test_bad_variable_names_itself,
                 test_server_from_the_environment))

"""mapsvc import into PostGIS: the schema GIS tools read, all or nothing
(a row the database refuses in the COPY leaves the table as it was, and
the error names the COPY line and the site), clashes reported as FILE:LINE
before anything is written, and no password in any message - a wrong one,
an unreachable server, serve and export alike."""
import csv
import io
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from harness import *  # noqa: E402,F401
from pgfixture import *  # noqa: E402

require()

SITES_CSV = os.path.join(SOURCE, "data", "sites.csv")
tmp = tempfile.mkdtemp(prefix="mapsvc-pgimport-")


def write_csv(name, rows):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    return path


def state(pg):
    """What must not change when an import fails."""
    return pg.psql("SELECT count(*), md5(string_agg(id || name_zh || lat || lon, ',' ORDER BY id)) FROM sites;"
                   "SELECT data_version, reset_version FROM mapsvc_meta")


def main():
    with PgCluster() as pg:
        def test_schema():
            out = import_into(pg.dsn(), SITES_CSV)
            assert "imported 25 sites into postgresql://postgres@127.0.0.1:%d/mapsvc" % pg.port in out.stdout
            assert PASSWORD not in out.stdout + out.stderr
            assert pg.psql("SELECT f_geometry_column, type, srid FROM geometry_columns "
                           "WHERE f_table_name = 'sites'").strip() == "geom|POINT|4326"
            assert "USING gist (geom)" in pg.psql("SELECT indexdef FROM pg_indexes WHERE tablename = 'sites'")
            assert pg.psql("SELECT schema_version FROM mapsvc_meta").strip() == "1"
            # lat/lon and the geometry agree on every row
            assert pg.psql("SELECT count(*) FROM sites WHERE ST_X(geom) <> lon OR ST_Y(geom) <> lat").strip() == "0"
            # the position CHECKs are there, as in SpatiaLite
            try:
                pg.psql("UPDATE sites SET position_quality = 'surveyed', position_uncertainty_m = 5000")
                raise AssertionError("a surveyed point 5 km off was accepted")
            except AssertionError as e:
                assert "sites_check" in str(e) or "position_uncertainty_m" in str(e), e

        def test_bad_row_in_copy():
            before = state(pg)
            rows = bundled_sites()[:4]
            for i, r in enumerate(rows):
                r["id"] = "copy-%d" % i
            rows[2]["description"] = "closed"
            path = write_csv("bad.csv", rows)
            pg.psql("ALTER TABLE sites ADD CONSTRAINT not_closed CHECK (description <> 'closed')")
            try:
                for replace in (True, False):
                    out = mapsvc("import", "--db", pg.dsn(), *(["--replace"] if replace else []), path)
                    assert out.returncode == 1, out
                    # copy-2 is the third in id order: line 3 of the COPY
                    assert "COPY sites:3: site 'copy-2': " in out.stderr, out.stderr
                    assert "not_closed" in out.stderr and "nothing was imported" in out.stderr, out.stderr
                    assert PASSWORD not in out.stderr
                    assert state(pg) == before, (replace, state(pg), before)
            finally:
                pg.psql("ALTER TABLE sites DROP CONSTRAINT not_closed")

        def test_clash_is_file_line():
            before = state(pg)
            rows = bundled_sites()[:3]
            rows[1]["id"] = "clash-new"
            path = write_csv("clash.csv", rows)
            out = mapsvc("import", "--db", pg.dsn(), path)
            assert out.returncode == 1
            assert "clash.csv:2:" in out.stderr and rows[0]["id"] in out.stderr, out.stderr
            assert state(pg) == before

        def test_add_then_replace():
            rows = bundled_sites()[:2]
            for i, r in enumerate(rows):
                r["id"] = "added-%d" % i
            out = mapsvc("import", "--db", pg.keyword_dsn(), write_csv("add.csv", rows))
            assert out.returncode == 0 and "imported 2 sites" in out.stdout, out.stderr
            assert pg.psql("SELECT count(*) FROM sites").strip() == "27"
            v = int(pg.psql("SELECT data_version FROM mapsvc_meta"))
            import_into(pg.dsn(), SITES_CSV)
            assert pg.psql("SELECT count(*) FROM sites").strip() == "25"
            # a replacing import resets the change log: readers load everything
            assert int(pg.psql("SELECT reset_version FROM mapsvc_meta")) > v
            assert pg.psql("SELECT count(*) FROM mapsvc_changes").strip() == "0"

        def test_wrong_password():
            wrong = "Wr0ng-Secret!"
            for db in (pg.dsn(password=wrong), pg.keyword_dsn(password=wrong)):
                for cmd in (["import", "--db", db, SITES_CSV], ["export", "--db", db, "--format", "csv"],
                            ["serve", "--db", db, "--listen", "127.0.0.1:0"]):
                    out = mapsvc(*cmd, timeout=60)
                    assert out.returncode == 1, (cmd[0], out)
                    assert "password authentication failed" in out.stderr, out.stderr
                    assert wrong not in out.stdout + out.stderr, out.stderr
                    assert "postgresql://postgres@127.0.0.1:%d/mapsvc" % pg.port in out.stderr, out.stderr

        def test_unreachable():
            port = free_port()
            out = mapsvc("export", "--db", "postgresql://u:hidden-pw@127.0.0.1:%d/x" % port, "--format", "csv",
                         timeout=60)
            assert out.returncode == 1 and "hidden-pw" not in out.stderr, out.stderr
            assert "postgresql://u@127.0.0.1:%d/x: cannot connect" % port in out.stderr, out.stderr

        def test_foreign_sites_table():
            pg.psql("CREATE DATABASE other", db="postgres")
            pg.psql("CREATE EXTENSION postgis; CREATE TABLE sites (id int)", db="other")
            out = mapsvc("import", "--db", pg.dsn(db="other"), SITES_CSV)
            assert out.returncode == 1 and "not a mapsvc sites table" in out.stderr, out.stderr
            out = mapsvc("export", "--db", pg.dsn(db="other"), "--format", "csv")
            assert out.returncode == 1 and "import into it first" in out.stderr, out.stderr

        return run(test_schema, test_bad_row_in_copy, test_clash_is_file_line, test_add_then_replace,
                   test_wrong_password, test_unreachable, test_foreign_sites_table)


try:
    status = main()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(status)

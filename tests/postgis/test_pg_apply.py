"""The store's editing calls on PostGIS (pg_apply.c): a change is one
transaction with its audit row, the change log reports it, and the keys
live in the database."""
import os
import subprocess
import sys

from pgfixture import *

require()

with PgCluster() as pg:
    import_into(pg.dsn(), os.path.join(os.environ.get("MAPSVC_SOURCE", ".."), "data", "sites.csv"))
    out = subprocess.run([os.environ["PG_APPLY"], pg.dsn()], capture_output=True, text=True, timeout=120)
    sys.stdout.write(out.stdout)
    sys.stderr.write(out.stderr)
    assert PASSWORD not in out.stdout + out.stderr
    status = out.returncode
sys.exit(status)

"""The store's apply-a-change slot on PostGIS (pg_apply.c): a batch is one
transaction with the import's checks, and the change log reports it."""
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

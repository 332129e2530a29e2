#!/usr/bin/env python3
"""GDAL opens the bundled database as it is: ogrinfo sees the layer
`sites` as Point geometries in WGS 84 with every bundled site.

usage: check_ogrinfo.py OGRINFO DB SITES_CSV  (the count is its rows)
"""
import csv
import re
import subprocess
import sys


def main():
    ogrinfo, db, source = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(source, newline="", encoding="utf-8-sig") as f:
        expected = sum(1 for _ in csv.DictReader(f))
    if expected != 25:
        print("FAIL: %s has %d rows; the bundled dataset has 25" % (source, expected))
        return 1
    out = subprocess.run([ogrinfo, "-ro", "-so", db, "sites"], capture_output=True,
                         text=True, timeout=120)
    failures = []
    if out.returncode != 0:
        failures.append("ogrinfo exited %d: %s" % (out.returncode, out.stderr.strip()))
    text = out.stdout
    count = re.search(r"^Feature Count: (\d+)$", text, re.M)
    if not count or int(count.group(1)) != expected:
        failures.append("feature count %s, expected %d" % (count.group(1) if count else "missing", expected))
    geom = re.search(r"^Geometry: (.+)$", text, re.M)
    if not geom or geom.group(1).strip() != "Point":
        failures.append("geometry %r, expected 'Point'" % (geom.group(1) if geom else None))
    if 'GEOGCRS["WGS 84"' not in text and 'GEOGCS["WGS 84"' not in text:
        failures.append("layer SRS is not WGS 84")
    if not re.search(r"^Geometry Column (NOT NULL )?= geom$", text, re.M):
        failures.append("geometry column is not 'geom'")
    for f in failures:
        print("FAIL:", f)
    if failures:
        print(text)
        return 1
    print("ok: %d Point features in WGS 84" % expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())

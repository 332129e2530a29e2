#!/usr/bin/python3
"""The yardstick for `mapsvc import`: what a careful user writes with SpatiaLite.

usage: peer_spatialite_import.py SITES.csv DB.sqlite

Creates DB.sqlite (which must not exist) the obvious way: InitSpatialMetadata,
a table with the CSV's columns and an id primary key, a registered POINT
column in EPSG:4326, every row inserted in one transaction with
MakePoint(lon, lat, 4326), then CreateSpatialIndex and COMMIT.  The CSV is
parsed with Python's csv module.  Prints nothing; the caller times the
whole process, as it times `mapsvc import`.
"""
import csv
import sqlite3
import sys


def main():
    src, path = sys.argv[1], sys.argv[2]
    con = sqlite3.connect(path)
    con.enable_load_extension(True)
    con.load_extension("mod_spatialite")
    con.execute("SELECT InitSpatialMetadata(1)")
    with open(src, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        cols = [c for c in header if c not in ("lat", "lon")]
        ilat, ilon = header.index("lat"), header.index("lon")
        keep = [header.index(c) for c in cols]
        defs = ", ".join(f'"{c}" TEXT' + (" PRIMARY KEY" if c == "id" else "") for c in cols)
        con.execute(f"CREATE TABLE sites ({defs}, lat REAL, lon REAL)")
        con.execute("SELECT AddGeometryColumn('sites', 'geom', 4326, 'POINT', 'XY')")
        marks = ", ".join("?" for _ in cols)
        sql = f"INSERT INTO sites VALUES ({marks}, ?, ?, MakePoint(?, ?, 4326))"
        con.execute("BEGIN")
        con.executemany(sql, ([r[k] for k in keep] + [float(r[ilat]), float(r[ilon]), float(r[ilon]),
                                                      float(r[ilat])] for r in reader))
    con.execute("SELECT CreateSpatialIndex('sites', 'geom')")
    con.execute("COMMIT")
    con.close()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Print the benchmark tile list: every z/x/y of zooms 0..MAXZ that
intersects the bundled regions (the Zibo High-tech Zone and Gaotai County),
one per line.  usage: tile_list.py [MAXZ]

This is the list the peers were measured on: 992 tiles for MAXZ 14, 71 % of
them at z14 and most of them empty, which is why the benchmark reports
every figure over the whole list and over the non-empty tiles alone."""
import math
import sys

REGIONS = [(117.9, 36.7, 118.3, 37.0), (99.6, 39.2, 100.0, 39.5)]  # W, S, E, N


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles(maxz):
    seen = set()
    for z in range(maxz + 1):
        for w, s, e, n in REGIONS:
            x0, y0 = tile_of(w, n, z)
            x1, y1 = tile_of(e, s, z)
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    if (z, x, y) not in seen:
                        seen.add((z, x, y))
                        yield z, x, y


if __name__ == "__main__":
    for z, x, y in tiles(int(sys.argv[1]) if len(sys.argv) > 1 else 14):
        print(f"{z}/{x}/{y}")

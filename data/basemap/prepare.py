#!/usr/bin/env python3
"""prepare.py - makes data/basemap/*.geojson from the Natural Earth China
extract described in README.md.

    python3 prepare.py SOURCE_DIR [OUT_DIR]

The input is already clipped, simplified and oriented; this step only
makes it smaller and easier to label:
  * coordinates rounded to 4 decimals (about 11 m: the data are 1:10
    million, so their own error is of the order of a kilometre);
  * one feature a line, so that a change shows as a readable diff;
  * provinces get `label_lon`/`label_lat`, an interior point far from the
    boundary (a grid search for the pole of inaccessibility of the largest
    part), so that a name such as Gansu's lands inside its long, bent
    shape rather than at a centroid that may fall outside it.
Properties are kept as they are.
"""
import json
import math
import os
import sys

LAYERS = ["countries", "provinces", "lakes", "rivers", "urban_areas", "places"]


def rounded(c):
    if c and isinstance(c[0], (int, float)):
        return [round(x, 4) for x in c]
    return [rounded(x) for x in c]


def ring_area(r):
    return 0.5 * sum(r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1] for i in range(len(r) - 1))


def inside(x, y, rings):
    """Even-odd rule over every ring of one polygon (holes included)."""
    n = False
    for r in rings:
        for i in range(len(r) - 1):
            (x1, y1), (x2, y2) = r[i], r[i + 1]
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                n = not n
    return n


def edge_distance(x, y, rings, k):
    """Distance from (x, y) to the nearest edge, x scaled by k = cos(lat)."""
    best = float("inf")
    for r in rings:
        for i in range(len(r) - 1):
            ax, ay = r[i][0] * k, r[i][1]
            bx, by = r[i + 1][0] * k, r[i + 1][1]
            px, py = x * k, y
            dx, dy = bx - ax, by - ay
            L = dx * dx + dy * dy
            t = 0.0 if L == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / L))
            ex, ey = ax + t * dx - px, ay + t * dy - py
            best = min(best, ex * ex + ey * ey)
    return math.sqrt(best)


def label_point(geom):
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    rings = max(polys, key=lambda p: abs(ring_area(p[0])))
    xs = [p[0] for p in rings[0]]
    ys = [p[1] for p in rings[0]]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    k = math.cos(math.radians((y0 + y1) / 2))
    best = (-1.0, (x0 + x1) / 2, (y0 + y1) / 2)
    # A coarse grid, then a finer one around the best point so far.
    for step in range(3):
        n = 24
        sx, sy = (x1 - x0) / n, (y1 - y0) / n
        for i in range(n + 1):
            for j in range(n + 1):
                x, y = x0 + i * sx, y0 + j * sy
                if inside(x, y, rings):
                    d = edge_distance(x, y, rings, k)
                    if d > best[0]:
                        best = (d, x, y)
        _, bx, by = best
        x0, x1, y0, y1 = bx - 2 * sx, bx + 2 * sx, by - 2 * sy, by + 2 * sy
    return round(best[1], 3), round(best[2], 3)


def main():
    src = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
    for name in LAYERS:
        with open(os.path.join(src, name + ".geojson"), encoding="utf-8") as f:
            fc = json.load(f)
        lines = []
        for ft in fc["features"]:
            g = ft["geometry"]
            g["coordinates"] = rounded(g["coordinates"])
            if name == "provinces":
                ft["properties"]["label_lon"], ft["properties"]["label_lat"] = label_point(g)
            lines.append(json.dumps(ft, ensure_ascii=False, separators=(",", ":")))
        with open(os.path.join(out, name + ".geojson"), "w", encoding="utf-8") as f:
            f.write('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n")


if __name__ == "__main__":
    main()

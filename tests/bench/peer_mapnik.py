#!/usr/bin/python3
"""The Mapnik peer: render the benchmark tile list with Mapnik in the look
of mapsvc's default style, and report tiles/s and bytes/tile.

usage: peer_mapnik.py SITES.csv TILES.txt [--scale 2] [--repeat 3] [--out DIR]
                      [--max-seconds S]

One process, one thread, the map loaded once; each tile is timed from
zoom_to_box through render to PNG bytes (file writes are not timed).
--max-seconds stops the first round once S seconds of rendering are
spent, and the rest of the run uses only the tiles it drew (a million
points take Mapnik seconds a tile at low zooms); tiles= says how many, so
that the same first tiles of the list can be given to mapsvc.
Prints RESULT lines over the whole list and over the tiles that are not
the empty tile.  Mapnik's "png" format is 32-bit RGBA."""
import argparse
import os
import statistics
import time

import mapnik

# The default style's colours (styles/default.json); 12 px circles with a
# 2 px white outline and 12 px WenQuanYi labels with a 1.5 px halo from z12.
COLOURS = {"memorial_hall": "#c0392b", "museum": "#d35400", "martyrs_cemetery": "#7f1d1d",
           "former_site": "#b7950b", "monument": "#8e44ad", "education_base": "#e74c3c",
           "study_station": "#2e86c1", "training_school": "#117a65"}
HALF = 20037508.342789244
FONTS = "/usr/share/fonts/truetype/wqy/"


def map_xml(csv_path):
    rules = "".join(
        f"<Rule><Filter>[category] = '{cat}'</Filter>"
        f"<MarkersSymbolizer marker-type=\"ellipse\" width=\"12\" height=\"12\" fill=\"{col}\" "
        f"stroke=\"#ffffff\" stroke-width=\"2\" allow-overlap=\"true\"/></Rule>"
        for cat, col in COLOURS.items())
    return f"""<Map srs="epsg:3857" background-color="transparent" buffer-size="64">
<Style name="markers">{rules}</Style>
<Style name="labels"><Rule><MaxScaleDenominator>150000</MaxScaleDenominator>
<TextSymbolizer face-name="WenQuanYi Micro Hei Regular" size="12" fill="#222222"
 halo-fill="#ffffff" halo-radius="1.5" dy="-10" placement="point">[name_zh]</TextSymbolizer>
</Rule></Style>
<Layer name="sites" srs="epsg:4326"><StyleName>markers</StyleName><StyleName>labels</StyleName>
<Datasource><Parameter name="type">csv</Parameter><Parameter name="file">{csv_path}</Parameter></Datasource>
</Layer></Map>"""


def tile_box(z, x, y):
    size = 2 * HALF / 2 ** z
    minx = -HALF + x * size
    maxy = HALF - y * size
    return mapnik.Box2d(minx, maxy - size, minx + size, maxy)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("tiles")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out")
    ap.add_argument("--max-seconds", type=float, default=0)
    a = ap.parse_args()
    tl = [tuple(int(v) for v in line.split("/")) for line in open(a.tiles) if line.strip()]
    mapnik.register_fonts(FONTS)
    px = 256 * a.scale
    m = mapnik.Map(px, px)
    mapnik.load_map_from_string(m, map_xml(os.path.abspath(a.csv)))
    empty = mapnik.Image(px, px).tostring("png")
    all_rates, full_rates = [], []
    sizes = []
    for rep in range(a.repeat):
        t_all = t_full = 0.0
        n_full = bytes_all = bytes_full = 0
        for k, (z, x, y) in enumerate(tl):
            if rep == 0 and a.max_seconds and t_all >= a.max_seconds:
                tl = tl[:k]
                break
            t0 = time.perf_counter()
            m.zoom_to_box(tile_box(z, x, y))
            im = mapnik.Image(px, px)
            mapnik.render(m, im, a.scale)
            data = im.tostring("png")
            dt = time.perf_counter() - t0
            t_all += dt
            bytes_all += len(data)
            if data != empty:
                t_full += dt
                n_full += 1
                bytes_full += len(data)
            if a.out and rep == 0:
                d = os.path.join(a.out, str(z), str(x))
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, f"{y}.png"), "wb") as f:
                    f.write(data)
        all_rates.append(len(tl) / t_all)
        full_rates.append(n_full / t_full if t_full else 0.0)
        sizes = [bytes_all / len(tl), bytes_full / max(n_full, 1), n_full]
    print(f"RESULT peer=mapnik list=all scale={a.scale} tiles={len(tl)} "
          f"tiles_per_s={statistics.median(all_rates):.4g} bytes_per_tile={sizes[0]:.0f}")
    print(f"RESULT peer=mapnik list=nonempty scale={a.scale} tiles={sizes[2]} "
          f"tiles_per_s={statistics.median(full_rates):.4g} bytes_per_tile={sizes[1]:.0f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Write a CSV of synthetic sites for the scale benchmarks.

usage: gen_sites.py N OUT.csv [--layout uniform|clustered] [--seed S]

Columns: id, name_zh, name_en, category, lat, lon (what `mapsvc import`
needs, plus an English name) and position_quality, as a register's
positions come: mostly from a street address or a map app, some surveyed,
some only placed in their village, town or county (QUALITIES; an
approximate one is drawn hollow, with a circle of its radius).  The same
arguments always give the same file, and a site's position and name do not
depend on the qualities.

  uniform    N points uniform over China's bounding box (lon 73..135,
             lat 18..53), as the peer yardsticks use;
  clustered  N points around CENTRES centres placed uniformly in the same
             box, each point a Gaussian offset (sigma 2..40 km, set per
             centre) from a centre chosen with a Zipf-like weight: what real
             registers look like, dense around cities and empty between.

Names are built like real ones - a place (two syllables), sometimes a
village or town (two more), then what the site is - so that name search
sees realistic character statistics: "沂蒙红嫂纪念馆" / "Yi Meng Hong Sao
Memorial Hall".  Ids are "s" plus the row number, zero-padded so that id
order is row order.
"""
import argparse
import csv
import math
import random

# Common characters of Chinese place names, with their pinyin.
SYLLABLES = [
    ("沂", "Yi"), ("蒙", "Meng"), ("红", "Hong"), ("嫂", "Sao"), ("淄", "Zi"), ("博", "Bo"),
    ("高", "Gao"), ("台", "Tai"), ("延", "Yan"), ("安", "An"), ("井", "Jing"), ("冈", "Gang"),
    ("山", "Shan"), ("瑞", "Rui"), ("金", "Jin"), ("遵", "Zun"), ("义", "Yi"), ("西", "Xi"),
    ("柏", "Bai"), ("坡", "Po"), ("临", "Lin"), ("泰", "Tai"), ("济", "Ji"),
    ("南", "Nan"), ("东", "Dong"), ("北", "Bei"), ("河", "He"), ("湖", "Hu"), ("江", "Jiang"),
    ("海", "Hai"), ("平", "Ping"), ("阳", "Yang"), ("昌", "Chang"), ("城", "Cheng"), ("州", "Zhou"),
    ("水", "Shui"), ("石", "Shi"), ("桥", "Qiao"), ("家", "Jia"), ("庄", "Zhuang"), ("新", "Xin"),
    ("华", "Hua"), ("中", "Zhong"), ("兴", "Xing"), ("龙", "Long"), ("凤", "Feng"), ("云", "Yun"),
    ("长", "Chang"), ("宁", "Ning"), ("武", "Wu"), ("汉", "Han"), ("黄", "Huang"), ("张", "Zhang"),
    ("李", "Li"), ("王", "Wang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"), ("马", "Ma"),
    ("岭", "Ling"), ("峪", "Yu"), ("沟", "Gou"), ("坪", "Ping"), ("营", "Ying"), ("堡", "Bao"),
    ("寨", "Zhai"), ("铺", "Pu"), ("集", "Ji"), ("镇", "Zhen"), ("乡", "Xiang"), ("村", "Cun"),
    ("方", "Fang"), ("明", "Ming"), ("光", "Guang"), ("胜", "Sheng"), ("利", "Li"),
    ("太", "Tai"), ("行", "Hang"), ("大", "Da"), ("别", "Bie"), ("陵", "Ling"),
    ("广", "Guang"), ("福", "Fu"), ("建", "Jian"), ("甘", "Gan"), ("肃", "Su"), ("陕", "Shan"),
]

# What a site is, by category: (Chinese, English) variants.
KINDS = {
    "memorial_hall": [("纪念馆", "Memorial Hall"), ("革命纪念馆", "Revolutionary Memorial Hall")],
    "museum": [("博物馆", "Museum"), ("革命历史博物馆", "Revolutionary History Museum")],
    "martyrs_cemetery": [("烈士陵园", "Martyrs Cemetery"), ("革命烈士陵园", "Revolutionary Martyrs Cemetery")],
    "former_site": [("革命旧址", "Former Revolutionary Site"), ("会议旧址", "Former Meeting Site")],
    "monument": [("纪念碑", "Monument"), ("烈士纪念碑", "Martyrs Monument")],
    "education_base": [("爱国主义教育基地", "Patriotic Education Base"), ("红色教育基地", "Red Education Base")],
    "study_station": [("党史学习教育站", "Party History Study Station"), ("学习站", "Study Station")],
    "training_school": [("干部学院", "Cadre Academy"), ("党校", "Party School")],
}
CATEGORIES = list(KINDS)
CENTRES = 300
# (quality, weight): what a province's register looks like, roughly.
QUALITIES = [("surveyed", 15), ("street", 55), ("village", 18), ("town", 9), ("county", 3)]
CHINA = (73.0, 18.0, 135.0, 53.0)  # west, south, east, north
KM_PER_DEG_LAT = 111.2


def syllables(rnd, k):
    return [rnd.choice(SYLLABLES) for _ in range(k)]


def name(rnd, cat):
    parts = syllables(rnd, 2)
    if rnd.random() < 0.4:
        parts += syllables(rnd, 2)
    zh_kind, en_kind = rnd.choice(KINDS[cat])
    zh = "".join(c for c, _ in parts) + zh_kind
    en = " ".join(p for _, p in parts) + " " + en_kind
    return zh, en


def positions(rnd, n, layout):
    w, s, e, nn = CHINA
    if layout == "uniform":
        for _ in range(n):
            yield rnd.uniform(s, nn), rnd.uniform(w, e)
        return
    centres = [(rnd.uniform(s, nn), rnd.uniform(w, e), rnd.uniform(2.0, 40.0)) for _ in range(CENTRES)]
    weights = [1.0 / (k + 1) for k in range(CENTRES)]
    cum = []
    total = 0.0
    for x in weights:
        total += x
        cum.append(total)
    for _ in range(n):
        r = rnd.uniform(0, total)
        lo, hi = 0, CENTRES - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < r:
                lo = mid + 1
            else:
                hi = mid
        lat0, lon0, sigma_km = centres[lo]
        lat = lat0 + rnd.gauss(0, sigma_km) / KM_PER_DEG_LAT
        lon = lon0 + rnd.gauss(0, sigma_km) / (KM_PER_DEG_LAT * math.cos(math.radians(lat0)))
        yield max(-85.0, min(85.0, lat)), max(-180.0, min(180.0, lon))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--layout", choices=["uniform", "clustered"], default="uniform")
    ap.add_argument("--seed", type=int, default=20261130)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    qrnd = random.Random(a.seed + 1)  # its own stream: positions and names stay as they were
    qualities = [q for q, k in QUALITIES for _ in range(k)]
    width = len(str(max(a.n - 1, 0)))
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name_zh", "name_en", "category", "lat", "lon", "position_quality"])
        for i, (lat, lon) in enumerate(positions(rnd, a.n, a.layout)):
            cat = CATEGORIES[i % len(CATEGORIES)]
            zh, en = name(rnd, cat)
            w.writerow([f"s{i:0{width}d}", zh, en, cat, f"{lat:.6f}", f"{lon:.6f}", qrnd.choice(qualities)])


if __name__ == "__main__":
    main()

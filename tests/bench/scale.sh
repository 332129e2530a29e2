#!/usr/bin/env bash
# The scale benchmark, one command: builds mapsvc in Release, writes
# 100,000 and 1,000,000 synthetic sites with a fixed seed, uniform over
# China and clustered around a few hundred centres (tests/bench/
# gen_sites.py), imports them, and prints for each dataset, in one run
# (scale.py's RESULT lines): start-up to the first answer and RSS then;
# cold tiles per zoom 0-20 (p50, p99, max); RSS after the sweep over every
# style and both systems; q search and nearest-5 latencies; and, for the
# million-site sets, reload under load.  Against the peers on the same
# data: the million uniform sites' tile list rendered by Mapnik
# (peer_mapnik.py, python3-mapnik) and by mapsvc (bench_tiles), one
# thread each, tiles/s; and the import against SpatiaLite's obvious script
# (bench_import.py); and the imports into PostGIS (pg_bench.py).  First,
# how often the machine itself stops a running thread (bench_stalls): a
# request's latency can be no better, so a zoom's slowest request is to
# be read against it.  Installs python3-mapnik if it is missing (not with
# --smoke).  Not a timed test: it judges nothing, it measures.
#
# usage: tests/bench/scale.sh [--smoke]
#   --smoke  2,000 sites (both layouts, and the reloads of the largest
#            size), 3 tiles a zoom, a short Mapnik list: seconds; the suite
#            runs it (label bench) so that it cannot rot.
# Environment: MAPSVC_BUILD (a built tree to use instead of building one),
# SCALE_WORK (where the data go; default a temporary folder, removed).
# Leaves no process running.  The machine's load is printed first: rerun
# when it is high, the figures are per request and suffer from it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1
if [ $smoke = 1 ]; then
	sizes="2000" per_zoom=3 queries=20 mapnik_tiles=40 mapnik_s=30 load_s=0.5 stall_s=1
else
	sizes="100000 1000000" per_zoom=30 queries=300 mapnik_tiles=0 mapnik_s=300 load_s=2 stall_s=15
	# the peer, as tests/bench/run.sh installs it (the smoke run, in the
	# suite, compares only where it is there)
	if ! dpkg-query -W -f='${Status}' python3-mapnik 2>/dev/null | grep -q "install ok installed"; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-mapnik >/dev/null
	fi
fi
py=/usr/bin/python3 # Debian's: python3-mapnik and sqlite3 with extensions live there

build=${MAPSVC_BUILD:-}
if [ -z "$build" ]; then
	build=$top/build-bench
	cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$py >/dev/null
	cmake --build "$build" -j"$(nproc)" --target mapsvc styles basemap_data bench_tiles bench_stalls >/dev/null
fi
work=${SCALE_WORK:-}
own_work=0
if [ -z "$work" ]; then
	work=$(mktemp -d)
	own_work=1
fi
cleanup() { if [ $own_work = 1 ]; then rm -rf "$work"; fi; }
trap cleanup EXIT

echo "INFO $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg) nproc $(nproc) smoke=$smoke"
# The machine's own stalls of a running thread, one core busy and then
# every core: what no request can be faster than (bench_stalls.c).
"$build/tests/bench/bench_stalls" "$stall_s" 1
"$build/tests/bench/bench_stalls" "$stall_s" "$(nproc)"
for n in $sizes; do
	for layout in uniform clustered; do
		name=$layout-$n
		csv=$work/$name.csv db=$work/$name.sqlite
		[ -f "$csv" ] || $py "$here/gen_sites.py" "$n" "$csv" --layout "$layout"
		if [ ! -f "$db" ]; then
			t0=$(date +%s.%N)
			"$build/mapsvc" import --replace --db "$db" "$csv" >/dev/null
			echo "RESULT $name import s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
		fi
		reload=()
		if [ "$n" = "${sizes##* }" ]; then
			# changed databases of the same size: one site renamed, and
			# one site moved by about a kilometre (its hierarchies and
			# its spatial index are patched)
			cp "$db" "$work/renamed.sqlite"
			$py -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
c.execute(\"UPDATE sites SET name_zh = name_zh || '（新）' WHERE id = (SELECT min(id) FROM sites)\"); \
c.commit()" "$work/renamed.sqlite"
			cp "$db" "$work/moved.sqlite"
			"$build/mapsvc" export --db "$work/moved.sqlite" --format csv >"$work/moved.csv"
			$py -c "import csv, sys; r = list(csv.DictReader(open(sys.argv[1], encoding='utf-8'))); \
s = r[len(r) // 2]; s['lat'] = '%.6f' % (float(s['lat']) + 0.009); \
w = csv.DictWriter(open(sys.argv[1], 'w', encoding='utf-8', newline=''), fieldnames=list(r[0])); \
w.writeheader(); w.writerows(r)" "$work/moved.csv"
			"$build/mapsvc" import --replace --db "$work/moved.sqlite" "$work/moved.csv" >/dev/null
			reload=(--reload "$work/renamed.sqlite" --reload "$work/moved.sqlite")
		fi
		$py "$here/scale.py" "$build/mapsvc" "$db" "$csv" --tiles $per_zoom --queries $queries \
			--label "$name" --list "$work/$name.tiles" --workdir "$work" --load-s $load_s "${reload[@]}"
	done
done

# Tiles/s against Mapnik: the largest uniform set, its tile list in a
# fixed shuffled order (zooms mixed), one thread each, the data loaded
# outside the timing on both sides.  Mapnik draws every one of a million
# points at low zooms, seconds a tile, so it gets at most $mapnik_s s and
# mapsvc is then given the same first tiles; mapsvc's whole list too.
big=uniform-${sizes##* }
list=$work/$big.tiles
$py -c "import random, sys; t = open(sys.argv[1]).read().split(); random.Random(7).shuffle(t); \
open(sys.argv[2], 'w').write('\\n'.join(t) + '\\n')" "$list" "$list.mixed"
if [ "$mapnik_tiles" != 0 ]; then
	head -n "$mapnik_tiles" "$list.mixed" >"$list.short"
	mv "$list.short" "$list.mixed"
fi
"$build/tests/bench/bench_tiles" "$work/$big.sqlite" "$build/styles" "$list" --repeat 1 | sed 's/list=/list=whole_/'
if $py -c "import mapnik" 2>/dev/null; then
	$py "$here/peer_mapnik.py" "$work/$big.csv" "$list.mixed" --repeat 1 --max-seconds "$mapnik_s" | tee "$work/mn.txt"
	k=$(sed -n 's/.*list=all .*tiles=\([0-9]*\).*/\1/p' "$work/mn.txt")
	head -n "$k" "$list.mixed" >"$list.same"
	"$build/tests/bench/bench_tiles" "$work/$big.sqlite" "$build/styles" "$list.same" --repeat 1 | tee "$work/ms.txt"
	ms=$(sed -n 's/.*list=all .*tiles_per_s=\([0-9.]*\).*/\1/p' "$work/ms.txt")
	mn=$(sed -n 's/.*list=all .*tiles_per_s=\([0-9.]*\).*/\1/p' "$work/mn.txt")
	echo "RATIO render data=$big tiles=$k tiles_per_s=$(awk -v a="$ms" -v b="$mn" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }')x (mapsvc / mapnik, the same tiles)"
else
	echo "INFO python3-mapnik is not installed: no Mapnik comparison (apt-get install python3-mapnik)"
fi

# The imports into PostGIS (a private cluster; skipped with an INFO line
# where PostgreSQL is not installed) against the SpatiaLite ones above,
# and a replica's incremental and full update on the largest set.
$py "$here/pg_bench.py" "$build/mapsvc" "$work/uniform-${sizes%% *}.csv" "$work/$big.csv"

# Import against SpatiaLite's obvious script, the largest uniform set.
$py "$here/bench_import.py" "$build/mapsvc" "$work/$big.csv" --rounds 1 --workdir "$work"
echo "INFO done $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg)"

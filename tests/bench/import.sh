#!/usr/bin/env bash
# The import benchmark, one command: builds mapsvc in Release, writes
# ROWS synthetic sites (tests/bench/gen_sites.py, fixed seed, uniform over
# China) and times `mapsvc import` against SpatiaLite's obvious script
# (INSERT + CreateSpatialIndex) on that CSV, ROUNDS rounds in turn, in the
# same run.  Prints RESULT lines (bench_import.py).
# usage: tests/bench/import.sh [ROWS] [ROUNDS]      (default 1000000 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rows=${1:-1000000}
rounds=${2:-3}
build=$top/build-bench
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target mapsvc >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "INFO $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg) nproc $(nproc) rows $rows"
/usr/bin/python3 "$here/gen_sites.py" "$rows" "$work/sites.csv"
/usr/bin/python3 "$here/bench_import.py" "$build/mapsvc" "$work/sites.csv" --rounds "$rounds" --workdir "$work"

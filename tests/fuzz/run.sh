#!/bin/sh
# run.sh BUILD_DIR [SECONDS] [HARNESS...] - runs each libFuzzer harness of a
# MAPSVC_FUZZ build for SECONDS (default 120), in turn.
#
# New inputs go to BUILD_DIR/fuzz-work/NAME/corpus, findings (crash-*,
# leak-*, timeout-*) to BUILD_DIR/fuzz-work/NAME/; the seed corpus in
# tests/fuzz/corpus/NAME is read, never written.  Keep a finding by copying
# it into the seed corpus once it is fixed: CTest replays it from then on.
set -eu
build=${1:?usage: run.sh BUILD_DIR [SECONDS] [HARNESS...]}
secs=${2:-120}
[ $# -ge 2 ] && shift 2 || shift $#
here=$(cd "$(dirname "$0")" && pwd)
names=${*:-"ingest_csv ingest_geojson style jsonpos colour geodata utf8 raster http"}
status=0
for n in $names; do
	work="$build/fuzz-work/$n"
	mkdir -p "$work/corpus"
	echo "== $n: $secs s"
	"$build/tests/fuzz/fuzz_$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$here/corpus/$n" \
		>"$work/log.txt" 2>&1 || status=1
	grep -E '^(stat::|#[0-9]+ *DONE)|ERROR|SUMMARY|contract broken' "$work/log.txt" || true
done
exit $status

#!/usr/bin/env bash
# run.sh BUILD_DIR [SECONDS] [HARNESS...] - runs each libFuzzer harness of a
# MAPSVC_FUZZ build for SECONDS (default 120), in turn: the ones named, or
# every fuzz_* program the build made (so a new harness is run without
# being listed here).
#
# New inputs go to BUILD_DIR/fuzz-work/NAME/corpus, findings (crash-*,
# leak-*, timeout-*) to BUILD_DIR/fuzz-work/NAME/; the seed corpus in
# tests/fuzz/corpus/NAME is read, never written.  Keep a finding by copying
# it into the seed corpus once it is fixed: CTest replays it from then on.
# Harnesses run side by side, one a core.  Exit status 1 when any harness
# found something (its log's end is printed), or when there is no harness
# to run.
set -eu
build=${1:?usage: run.sh BUILD_DIR [SECONDS] [HARNESS...]}
secs=${2:-120}
[ $# -ge 2 ] && shift 2 || shift $#
here=$(cd "$(dirname "$0")" && pwd)
names=$*
if [ -z "$names" ]; then
	for f in "$build"/tests/fuzz/fuzz_*; do
		case $f in *_replay) continue ;; esac # a gcc build's corpus replays
		[ -x "$f" ] && [ -f "$f" ] && names="$names ${f##*/fuzz_}"
	done
fi
if [ -z "$names" ]; then
	echo "run.sh: no fuzz_* harness in $build/tests/fuzz (configure with -DMAPSVC_FUZZ=ON and build)" >&2
	exit 1
fi
status=0
# One harness: its log, and a failure's end printed.
fuzz_one() {
	local n=$1 work="$build/fuzz-work/$1"
	mkdir -p "$work/corpus"
	if ! "$build/tests/fuzz/fuzz_$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$here/corpus/$n" \
		>"$work/log.txt" 2>&1; then
		echo "== $n FAILED: the end of $work/log.txt, findings in $work/"
		tail -n 40 "$work/log.txt"
		return 1
	fi
	echo "== $n: $secs s"
	grep -E '^(stat::|#[0-9]+ *DONE)|ERROR|SUMMARY|contract broken' "$work/log.txt" || true
}

# As many harnesses at once as there are cores (FUZZ_JOBS overrides): each
# is one process, so the step takes SECONDS times harnesses / cores.  A
# harness's lines are printed together when it ends.
jobs=${FUZZ_JOBS:-$(nproc)}
mkdir -p "$build/fuzz-work"
running=0
for n in $names; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || status=1
		running=$((running - 1))
	fi
	fuzz_one "$n" >"$build/fuzz-work/$n.out" 2>&1 &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || status=1
	running=$((running - 1))
done
for n in $names; do
	cat "$build/fuzz-work/$n.out"
done
exit $status

#!/usr/bin/env bash
# mapsvc set-up for a fresh Debian 12 machine, run as root.
#
#   bash .ci/setup.sh serve   install what is missing, build, serve the
#                             bundled sites on http://localhost:8080
#   bash .ci/setup.sh test    the same set-up, then the whole test suite:
#                             a -Werror build, then an AddressSanitizer +
#                             UndefinedBehaviorSanitizer build, then a
#                             libFuzzer build (clang): its corpus replay and
#                             each harness fuzzed for MAPSVC_FUZZ_SECONDS
#                             (default 6)
#   bash .ci/setup.sh build   set-up and build only
#
# Everything it installs is a Debian package (and, for the browser, client
# and PMTiles tests, npm packages pinned in tests/browser/package-lock.json,
# tests/clients/package-lock.json and tests/pmtiles/package-lock.json:
# playwright-core, ol, check-geojson, pmtiles).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-serve}
shift || true

# What the build needs, what serving needs, and what only the tests need.
build_pkgs="build-essential cmake pkg-config python3 libmicrohttpd-dev libspatialite-dev libjs-leaflet
  libsqlite3-dev libsqlite3-mod-spatialite libproj-dev proj-data libpng-dev libjansson-dev
  libcsv-dev libfreetype-dev fonts-wqy-microhei libxxhash-dev libcairo2-dev libunistring-dev zlib1g-dev libisal-dev
  libqrencode-dev libssl-dev libpq-dev"
test_pkgs="curl gdal-bin spatialite-bin poppler-utils gpsbabel libxml2-utils chromium clang libclang-rt-14-dev
  python3-owslib clang-format wrk python3-icalendar zbar-tools prometheus strace nginx systemd
  postgresql-15 postgresql-15-postgis-3"
# Node.js for the browser test: Debian's, unless a node and npm are already
# there (a newer packaged Node conflicts with Debian's npm).
node_pkgs="nodejs npm"

install_missing() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "== installing: ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		echo "setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() { # build DIR [cmake options...]; with only=TARGET, that target alone
	local dir=$1
	shift
	cmake -S . -B "$dir" -DMAPSVC_WERROR=ON -DPython3_EXECUTABLE=/usr/bin/python3 "$@" >/dev/null
	cmake --build "$dir" -j"$(nproc)" ${only:+--target "$only"}
}

# later DIR [cmake options...]: build() in the background at nice 19, in
# a process group of its own, its output in DIR/build.log; finish DIR
# waits for it and fails, printing the log, when it failed.  A build still
# running when the script ends is stopped.
declare -A later_pid
later() {
	local dir=$1
	mkdir -p "$dir"
	set -m
	(
		renice -n 19 -p "$BASHPID" >/dev/null
		build "$@"
	) >"$dir/build.log" 2>&1 &
	later_pid[$dir]=$!
	set +m
}
finish() {
	if ! wait "${later_pid[$1]}"; then
		cat "$1/build.log"
		echo "setup: the build in $1 failed" >&2
		exit 1
	fi
	unset "later_pid[$1]"
}
trap 'for p in "${later_pid[@]}"; do kill -- "-$p" 2>/dev/null || true; done' EXIT

jobs=$(nproc)
case $what in
serve)
	install_missing $build_pkgs
	build build -DCMAKE_BUILD_TYPE=Release
	echo "== serving the bundled sites on http://localhost:8080 (Ctrl-C stops)"
	exec ./build/mapsvc serve --listen "${MAPSVC_LISTEN:-127.0.0.1:8080}" "$@"
	;;
build)
	install_missing $build_pkgs
	build build -DCMAKE_BUILD_TYPE=Release
	;;
test)
	install_missing $build_pkgs $test_pkgs
	command -v node >/dev/null && command -v npm >/dev/null || install_missing $node_pkgs
	# The browser, client and PMTiles tests' first steps install their npm
	# packages (pinned in tests/browser, tests/clients and
	# tests/pmtiles/package-lock.json) with the browser download switched
	# off: they drive Debian's chromium.
	# Each later build runs at the lowest priority behind the suite before
	# it (the suites leave a quarter to a third of the CPU idle, waiting on
	# servers, sockets and browsers); its output goes to a log, printed if
	# it fails.
	echo "== release build (-Wall -Wextra -Werror) and the whole suite"
	build build -DCMAKE_BUILD_TYPE=Release
	later build-asan -DCMAKE_BUILD_TYPE=Debug -DMAPSVC_SANITIZE=ON
	ctest --test-dir build --output-on-failure -j"$jobs"
	echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and the suite again"
	finish build-asan
	# what each test took, so that the longest start first here too
	mkdir -p build-asan/Testing/Temporary
	cp build/Testing/Temporary/CTestCostData.txt build-asan/Testing/Temporary/
	# the harnesses and the modules only: mapsvc itself, the unit tests and
	# the benchmarks were built twice above
	only=fuzz_all later build-fuzz -DCMAKE_C_COMPILER=clang -DMAPSVC_FUZZ=ON
	# A freed block stays poisoned until 64 MB more have been freed (256 MB
	# by default): a use after free is still caught long after the free,
	# and the suite, whose every server and tool pays for faulting in the
	# quarantine's pages, takes a tenth less.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=64 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build-asan --output-on-failure -j"$jobs"
	# Bounded: 6 s a harness, one harness a core, about a minute for the
	# step (the corpora replayed above are what guards against regressions;
	# longer runs: tests/fuzz/run.sh build-fuzz SECONDS).  A crash, a leak or
	# a broken contract fails the step (run.sh prints the log).
	echo "== libFuzzer build (clang): the corpora replayed, then each harness fuzzed"
	finish build-fuzz
	ctest --test-dir build-fuzz --output-on-failure -j"$jobs" -L fuzz
	tests/fuzz/run.sh build-fuzz "${MAPSVC_FUZZ_SECONDS:-6}"
	;;
*)
	echo "usage: bash .ci/setup.sh serve|test|build" >&2
	exit 2
	;;
esac

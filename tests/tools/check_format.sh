#!/bin/sh
# check_format.sh SOURCE_DIR CLANG_FORMAT [FILE...] - every C file of
# mapsvc/ and tests/ is as the repository's .clang-format writes it
# (clang-format --dry-run --Werror names each line that differs).
#
# The files are the tracked ones (git ls-files) in a git checkout, else
# those found on disk; tests/data/ holds test inputs, not sources, and is
# left out.  With FILEs, only those (the check's own test).  Exits 77, the
# status CTest reports as "skipped", when clang-format is not installed.
set -eu
root=$1
cf=${2:-}
shift 2 || shift $#
if [ -z "$cf" ] || ! command -v "$cf" >/dev/null 2>&1; then
	echo "check_format: skipped: clang-format is not installed (apt-get install clang-format)"
	exit 77
fi
cd "$root"
list=$(mktemp)
trap 'rm -f "$list"' EXIT
if [ $# -gt 0 ]; then
	printf '%s\n' "$@" >"$list"
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files 'mapsvc/*.c' 'mapsvc/*.h' 'tests/*.c' 'tests/*.h' ':!tests/data/*' >"$list"
else
	find mapsvc tests -path tests/data -prune -o -path '*/node_modules' -prune -o \
		-type f \( -name '*.c' -o -name '*.h' \) -print | sort >"$list"
fi
n=$(wc -l <"$list")
if [ "$n" -eq 0 ]; then
	echo "check_format: no C files found under $root"
	exit 1
fi
if ! xargs "$cf" --dry-run --Werror <"$list"; then
	echo "check_format: the files above differ from .clang-format; run: $cf -i FILE"
	exit 1
fi
echo "check_format: $n files as .clang-format writes them ($("$cf" --version))"

#!/usr/bin/env bash
# The tile benchmark, one command: builds mapsvc in Release, then measures
# in one run, against the peers on the same tile list and the same data:
#   - cold render tiles/s (one thread) and bytes/tile, against Mapnik
#     (python3-mapnik) drawing an equivalent style; over the whole list and
#     over the non-empty tiles alone;
#   - cached-tile requests/s and p99 latency over HTTP, against nginx
#     serving the very same tiles as static files (wrk, same settings,
#     runs interleaved).
# Prints RESULT lines and the ratios.  usage: tests/bench/run.sh [ROUNDS]
# Installs its Debian packages if missing; leaves no process running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rounds=${1:-3}
need=()
for p in python3-mapnik nginx wrk fonts-wqy-microhei; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

build=$top/build-bench
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target mapsvc bundled_db styles basemap_data bench_tiles >/dev/null
work=$(mktemp -d)
chmod 755 "$work" # nginx's workers run unprivileged and must read the tiles
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
	done
	rm -rf "$work"
}
trap cleanup EXIT

echo "INFO $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg) nproc $(nproc)"
python3 "$here/tile_list.py" 14 >"$work/tiles.txt"

# 1. Cold rendering, one thread, same list, same data.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
for scale in 1 2; do
	"$build/tests/bench/bench_tiles" "$build/sites.sqlite" "$build/styles" "$work/tiles.txt" \
		--scale "$scale" --repeat 3 --out "$work/mapsvc-$scale" | tee "$work/ms-$scale.txt"
	/usr/bin/python3 "$here/peer_mapnik.py" "$top/data/sites.csv" "$work/tiles.txt" \
		--scale "$scale" --repeat 3 | tee "$work/mn-$scale.txt"
	for list in all nonempty; do
		ms=$(grep "list=$list" "$work/ms-$scale.txt")
		mn=$(grep "list=$list" "$work/mn-$scale.txt")
		echo "RATIO render scale=$scale list=$list" \
			"tiles_per_s=$(ratio "$(echo "$ms" | field tiles_per_s)" "$(echo "$mn" | field tiles_per_s)")x" \
			"bytes_per_tile=$(ratio "$(echo "$ms" | field bytes_per_tile)" "$(echo "$mn" | field bytes_per_tile)")x" \
			"(mapsvc / mapnik)"
	done
done

# 2. Cached tiles over HTTP: mapsvc (cache warmed) against nginx serving
#    mapsvc's own tiles from disk with sendfile and open_file_cache.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
np=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 65; keepalive_requests 100000;
  open_file_cache max=10000 inactive=60s; open_file_cache_valid 60s;
  types { image/png png; }
  server { listen 127.0.0.1:$np; location /tiles/ { alias $work/mapsvc-1/; etag on;
    add_header Cache-Control "public, max-age=86400"; add_header Access-Control-Allow-Origin "*"; } }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
sleep 0.3
pids+=("$(cat "$work/nginx/nginx.pid")")
mp=$(free_port)
# wrk's connections all come from one address: lift the per-client limit.
"$build/mapsvc" serve --listen "127.0.0.1:$mp" --db "$build/sites.sqlite" --styles "$build/styles" \
	--max-client-connections 1024 >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$mp/healthz" >/dev/null && break; sleep 0.1; done
while read -r t; do curl -sf -o /dev/null "http://127.0.0.1:$mp/tiles/$t.png"; done <"$work/tiles.txt"

load() { # load NAME PORT
	TILES="$work/tiles.txt" wrk -t2 -c64 -d10s --latency -s "$here/wrk_tiles.lua" "http://127.0.0.1:$2" >"$work/wrk.txt"
	local rps p99 errs
	rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
	p99=$(awk '$1=="99%" { v=$2+0; u=$2; sub(/^[0-9.]+/, "", u); printf "%.3f", (u=="us") ? v/1000 : (u=="s") ? v*1000 : v }' "$work/wrk.txt")
	errs=$(grep -c 'Socket errors\|Non-2xx' "$work/wrk.txt" || true)
	echo "RESULT server=$1 rps=$rps p99_ms=$p99 error_lines=$errs"
	if [ "$errs" != 0 ]; then # a server answering errors is measuring something else
		grep 'Socket errors\|Non-2xx' "$work/wrk.txt" | sed "s/^ */ERROR $1: /" >&2
		exit 1
	fi
	echo "$rps $p99" >>"$work/$1.txt"
}
for _ in $(seq "$rounds"); do
	load nginx "$np"
	sleep 2
	load mapsvc "$mp"
	sleep 2
done
median() { sort -n -k"$2" "$1" | awk -v k="$2" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }
n_rps=$(median "$work/nginx.txt" 1)
m_rps=$(median "$work/mapsvc.txt" 1)
n_p99=$(median "$work/nginx.txt" 2)
m_p99=$(median "$work/mapsvc.txt" 2)
echo "RATIO http rps=$(ratio "$m_rps" "$n_rps")x (mapsvc $m_rps / nginx $n_rps, medians of $rounds)" \
	"p99 mapsvc=${m_p99}ms nginx=${n_p99}ms"

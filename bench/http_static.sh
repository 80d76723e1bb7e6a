#!/usr/bin/env bash
# Benchmarks the HTTP server on a static JSON route: builds http_bench_server (Release), starts it
# on a free port, runs `wrk -t1 -c64 -d10s --latency` against GET /static on 127.0.0.1 and prints
# requests/s and the 99th percentile latency.
#
#   bash bench/http_static.sh [--check] [--threads N] [--access-log]
#     --check        exit 1 unless >= 40000 requests/s and p99 < 5 ms (the target on 2 cores)
#     --threads N    server worker threads (default: hardware concurrency)
#     --access-log   keep the access log on (written to /dev/null)
#   BUILD_DIR=...            where to build (default build/http-bench)
#   HTTP_BENCH_SERVER=path   use this binary instead of building one
#   WRK_DURATION=10s         wrk's -d
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
server_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --threads) server_args+=(--threads "$2"); shift ;;
    --access-log) server_args+=(--access-log) ;;
    *) echo "usage: bench/http_static.sh [--check] [--threads N] [--access-log]" >&2; exit 2 ;;
  esac
  shift
done
command -v wrk >/dev/null || { echo "http_static: wrk is not installed (scripts/setup.sh --test)" >&2; exit 2; }

server_bin=${HTTP_BENCH_SERVER:-}
if [ -z "$server_bin" ]; then
  build_dir=${BUILD_DIR:-build/http-bench}
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIDSCHEME_TESTS=OFF \
    -DIDSCHEME_BENCH=OFF >/dev/null
  cmake --build "$build_dir" --target http_bench_server -j 2 >/dev/null
  server_bin="$build_dir/src/http/http_bench_server"
fi

port_file=$(mktemp)
"$server_bin" "${server_args[@]}" >"$port_file" 2>/dev/null &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -f "$port_file"' EXIT
for _ in $(seq 100); do
  [ -s "$port_file" ] && break
  sleep 0.05
done
port=$(head -n1 "$port_file")
[ -n "$port" ] || { echo "http_static: the server did not start" >&2; exit 1; }

url="http://127.0.0.1:${port}/static"
curl -fsS "$url" >/dev/null 2>&1 || true  # warm-up (curl is optional)
out=$(wrk -t1 -c64 -d"${WRK_DURATION:-10s}" --latency "$url")
echo "$out"

rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
p99_raw=$(awk '$1 == "99%" {print $2}' <<<"$out")
# wrk prints e.g. 812.00us, 3.21ms or 1.02s: convert to milliseconds.
p99_ms=$(awk -v v="$p99_raw" 'BEGIN {
  if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
  else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
  else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
  else print "nan" }')
errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
echo
echo "http_static: requests/s=${rps} p99_ms=${p99_ms}${errors:+ (errors: ${errors})}"

if [ "$check" = 1 ]; then
  awk -v r="$rps" -v p="$p99_ms" 'BEGIN { exit !(r >= 40000 && p < 5) }' || {
    echo "http_static: below the target (>= 40000 requests/s, p99 < 5 ms)" >&2
    exit 1
  }
fi

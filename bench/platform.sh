#!/usr/bin/env bash
# Platform figures of the idscheme binary (release build, embedded SQLite store):
#   - start to ready: from exec to the first 200 from /readyz, on an existing data directory
#   - idle RSS after start
#   - GET /healthz (a static JSON route) with wrk -t1 -c64 -d10s: requests/s and p99
# Usage: bench/platform.sh [--smoke]     (--smoke: 1 s of load, for CI; checks sanity only)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10s
[ "${1:-}" = "--smoke" ] && duration=1s

cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)" --target idscheme >/dev/null
bin=build/release/src/cli/idscheme

data=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

wait_ready() {
  for _ in $(seq 1 2000); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.005
  done
  echo "bench: server did not become ready" >&2
  return 1
}

# First start creates the keys (RSA generation takes a while); time the second.
"$bin" serve --data "$data" --listen "127.0.0.1:$port" --set log.level=warn &
pid=$!
wait_ready
kill -TERM "$pid"; wait "$pid" || true

# Start to ready: from spawning the process to the first 200 from /readyz, polled every
# millisecond from one Python process (spawning curl per poll would add its own milliseconds).
read -r pid startup_ms < <(python3 - "$bin" "$data" "$port" <<'PY'
import http.client, subprocess, sys, time
bin_, data, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.monotonic()
p = subprocess.Popen([bin_, "serve", "--data", data, "--listen", f"127.0.0.1:{port}",
                      "--set", "log.level=warn"], start_new_session=True)
while time.monotonic() - t0 < 10:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/readyz")
        if c.getresponse().status == 200:
            print(p.pid, round((time.monotonic() - t0) * 1000))
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.001)
print(p.pid, -1)
PY
)
[ "$startup_ms" -ge 0 ] || { echo "bench: server did not become ready" >&2; exit 1; }
sleep 0.5
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")

out=$(wrk -t1 -c64 -d"$duration" --latency "http://127.0.0.1:$port/healthz")
rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
p99=$(awk '$1=="99%" {print $2}' <<<"$out")
loaded_rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")

printf '%-28s %s\n' "start to ready (ms)" "$startup_ms" "idle RSS (MB)" "$((rss_kb / 1024))" \
  "GET /healthz req/s" "$rps" "GET /healthz p99" "$p99" "RSS after load (MB)" "$((loaded_rss_kb / 1024))"
mkdir -p bench/results
printf '{"startup_ms":%s,"idle_rss_kb":%s,"healthz_rps":%s,"healthz_p99":"%s","loaded_rss_kb":%s,"duration":"%s"}\n' \
  "$startup_ms" "$rss_kb" "$rps" "$p99" "$loaded_rss_kb" "$duration" > bench/results/platform.json

# Sanity (what the smoke run in CI checks): every figure was produced.
[ -n "$rps" ] && [ "${rps%%.*}" -gt 0 ] && [ "$rss_kb" -gt 0 ] || { echo "bench: no figures" >&2; exit 1; }

#!/usr/bin/env bash
# Installs what idscheme needs on Debian 12: build tools and libraries, and with --test the
# tools the tests use (PostgreSQL server, Chromium, wrk, clang's fuzzer runtime, clang-format,
# npm packages).
# Idempotent: installs only what is missing. Runs as root, or re-runs itself through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    *) echo "usage: scripts/setup.sh [--test]" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E bash "$0" "$@"
fi

build_pkgs=(build-essential cmake ninja-build pkg-config ccache git
  libboost1.74-dev libssl-dev nlohmann-json3-dev libsqlite3-dev libpq-dev
  libcli11-dev libtomlplusplus-dev libargon2-dev libqrencode-dev libgtest-dev libgmock-dev
  libbenchmark-dev)
test_pkgs=(postgresql-15 postgresql-client-15 chromium wrk clang clang-format libclang-rt-14-dev
  libfuzzer-14-dev sqlite3 curl procps)

pkgs=("${build_pkgs[@]}")
[ "$want_test" = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere on the image (with npm bundled): take Debian's only if absent.
if [ "$want_test" = 1 ] && ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for npm_dir in tests/e2e bench/peer; do
  if [ "$want_test" = 1 ] && [ -f "$npm_dir/package.json" ]; then
    if [ ! -d "$npm_dir/node_modules" ] || [ "$npm_dir/package-lock.json" -nt "$npm_dir/node_modules" ]; then
      (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
done

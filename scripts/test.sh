#!/usr/bin/env bash
# Installs what is missing, builds the sanitizer (ASan + UBSan) flavour, starts a throwaway
# PostgreSQL, and runs every test: unit, integration (SQLite and PostgreSQL), fuzz-corpus replay,
# end to end (real OIDC client library + headless Chromium). Idempotent.
#   scripts/test.sh [ctest arguments...]   e.g. scripts/test.sh -R store
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

jobs=$(nproc)
cmake --preset asan >/dev/null
cmake --build build/asan -j "$jobs"

pgdir=$(mktemp -d /tmp/idscheme-pg.XXXXXX)
trap 'bash scripts/pg-stop.sh "$pgdir"' EXIT
IDSCHEME_TEST_PG_URL=$(bash scripts/pg-start.sh "$pgdir")
export IDSCHEME_TEST_PG_URL
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

ctest --test-dir build/asan --output-on-failure -j "$jobs" --timeout 900 "$@"

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

status=0
ctest --test-dir build/asan --output-on-failure -j "$jobs" --timeout 900 "$@" || status=$?
if [ "$status" -ne 0 ]; then
  # The failures again, last: a long run's log is often read from its end (or cut in the middle).
  echo "--- what failed, from build/asan/Testing/Temporary/LastTest.log ---"
  grep -E -B1 -A10 ': Failure$|^\[  FAILED  \] [^0-9]|ERROR: AddressSanitizer|runtime error:|^not ok ' \
    build/asan/Testing/Temporary/LastTest.log | head -n 150 || true
fi
exit "$status"

#!/usr/bin/env bash
# Runs every libFuzzer target (the `fuzz` preset: clang, ASan, UBSan) for a while, one after the
# other on one core, and reports what crashed.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#     SECONDS   per target (default 60)
#     TARGET    fuzz_jws, fuzz_http_request, ... (default: all of fuzz/)
#
# The checked-in corpus (fuzz/corpus/<target>/) seeds each run but is not written to: new inputs
# go to a scratch folder (FUZZ_WORK, default build/fuzz-work/<target>/corpus/), and crash files
# to build/fuzz-work/<target>/.
# A crash leaves its input there and makes the script exit 1: fix the parser, add a unit test of
# the case, and copy the (minimised: <binary> -minimize_crash=1 -runs=10000 FILE) input into
# fuzz/corpus/<target>/ so the normal test run replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}
[ $# -gt 0 ] && shift
work=${FUZZ_WORK:-$root/build/fuzz-work}

command -v clang++ >/dev/null || { echo "fuzz.sh: needs clang and its fuzzer runtime: bash scripts/setup.sh --test" >&2; exit 2; }
cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j "$(nproc)" >/dev/null

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.cc; do targets+=("$(basename "$f" .cc)"); done
fi

failed=()
for t in "${targets[@]}"; do
  bin=$root/build/fuzz/fuzz/$t
  [ -x "$bin" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
  mkdir -p "$work/$t/corpus"
  log=$work/$t/fuzz.log
  # -artifact_prefix: crash, leak and timeout inputs go to the scratch folder, not the cwd.
  if "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="$work/$t/" "$work/$t/corpus" "$root/fuzz/corpus/$t" >"$log" 2>&1; then
    printf 'fuzz.sh: %-34s ok  %s\n' "$t" "$(grep -o 'Done [0-9]* runs' "$log" | tail -1)"
  else
    printf 'fuzz.sh: %-34s FAILED, see %s\n' "$t" "$log"
    grep -E 'ERROR|SUMMARY|Assertion|Test unit written' "$log" | head -5 | sed 's/^/    /'
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s), ${seconds} s each, no crash"

#!/usr/bin/env bash
# clang-format check and the narrow clang-tidy of .clang-tidy over every source file.
#   scripts/lint.sh            both; exit 1 on any finding
#   scripts/lint.sh --format   the clang-format check alone (CTest's test "format" runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
format_only=0
[ "${1:-}" = "--format" ] && format_only=1
status=0
unformatted=$(for f in $(git ls-files 'src/*.cc' 'src/*.h' 'fuzz/*.cc' 'bench/*.cc'); do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
if [ -n "$unformatted" ]; then
  echo "not clang-formatted (clang-format -i FILE):"; echo "$unformatted"; status=1
else
  echo "every source file is clang-formatted"
fi
[ "$format_only" = 1 ] && exit $status
cmake --preset asan >/dev/null   # compile_commands.json
files=$(git ls-files 'src/*.cc' | grep -v '_test.cc$' || true)
echo "clang-tidy on $(wc -w <<<"$files") files"
for f in $files; do
  clang-tidy -p build/asan --quiet "$f" 2>/dev/null || status=1
done
exit $status

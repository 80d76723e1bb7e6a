#!/usr/bin/env bash
# Installs what is missing, builds the release flavour, and starts the demo on the embedded
# (SQLite) store in ./demo-data. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)" --target idscheme
exec build/release/src/cli/idscheme demo --data demo-data "$@"

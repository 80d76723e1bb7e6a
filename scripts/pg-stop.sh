#!/usr/bin/env bash
# Stops and removes a cluster started by pg-start.sh.
set -uo pipefail
dir=${1:?usage: pg-stop.sh DIR}
[ -d "$dir/data" ] || exit 0
as=()
[ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
"${as[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$dir/data" -m fast -w stop >/dev/null 2>&1
rm -rf "$dir"

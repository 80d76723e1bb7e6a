#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the tests and prints its URL on stdout.
#   url=$(scripts/pg-start.sh DIR)   # DIR: an empty folder to hold the cluster
#   scripts/pg-stop.sh DIR
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user in a
# folder it owns. It listens on loopback only, on a free port, and trusts local connections.
set -euo pipefail
dir=${1:?usage: pg-start.sh DIR}
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/initdb" ] || { echo "pg-start: PostgreSQL 15 is not installed (scripts/setup.sh --test)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$dir"
  chmod 700 "$dir"
  as=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as[@]}" "$bin/initdb" -D "$dir/data" -U idscheme --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
"${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U idscheme idscheme
echo "postgresql://idscheme@127.0.0.1:$port/idscheme"

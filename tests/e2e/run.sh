#!/usr/bin/env bash
# End-to-end login test: starts idscheme on a fresh embedded store, seeds it through the CLI as
# an operator would (a registrar, a service provider with its agreement and two OIDC clients, a
# person with an activation code), enrols the reference app, then runs login.mjs: openid-client
# and headless Chromium against the real pages.
#   tests/e2e/run.sh IDSCHEME_BINARY
set -euo pipefail
bin=$(realpath "${1:?usage: run.sh IDSCHEME_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$here/node_modules/openid-client" ] || {
  echo "e2e: npm packages missing (scripts/setup.sh --test installs them)" >&2; exit 1; }

work=$(mktemp -d /tmp/idscheme-e2e.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  if [ "${KEEP_E2E:-0}" = 1 ]; then echo "e2e: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
rp_port=$(free_port)
issuer="http://127.0.0.1:$port"
data="$work/data"
# Cheap PIN hashing: the test is about the flow, not Argon2id's cost (the unit tests cover it).
common=(--data "$data" --set approval.pin_t_cost=1 --set approval.pin_m_cost_kib=1024)
ids() { "$bin" "$@" "${common[@]}"; }
# field PATH: the member at PATH ("a.b") of the JSON object on stdin.
field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(process.argv[1].split(".").reduce((o,k)=>o[k],JSON.parse(s))))' "$1"; }

# The scheme's members, as the operator admits them.
registrar=$(ids member add --role identity_registrar --name "Registrar One" --legal-id BE0123456789 --email desk@registrar.example --json | field id)
shop=$(ids member add --role service_provider --name "Example Shop" --legal-id BE0987654321 --email it@shop.example --json | field id)
ids agreement set "$shop" --services login,identification --levels basic,advanced \
  --claims given_name,family_name,name,birthdate,email,email_verified,gender,middle_name \
  --outside drop >/dev/null

# Three clients with keys made here (the service provider's own): signed tokens with refresh,
# encrypted tokens, and a shared secret with signed request objects.
node "$here/keys.mjs" "$work/keys.json" "http://127.0.0.1:$rp_port/cb"
signed=$(ids client add "$shop" --metadata-file "$work/keys.json.signed.metadata.json" --json | field client_id)
encrypted=$(ids client add "$shop" --metadata-file "$work/keys.json.encrypted.metadata.json" --json | field client_id)
jar=$(ids client add "$shop" --metadata-file "$work/keys.json.jar.metadata.json" --json)

# A person, enrolled at the registrar's desk.
person=$(ids identity add --registrar "$registrar" --given-name Anna --family-name Peeters \
  --birthdate 1990-04-01 --phone +32470123456 --email anna@example.be --nationality BE \
  --document-type idcard --document-number 592123456789 --document-country BE \
  --document-issued 2021-03-01 --document-expires 2031-03-01 --json)
identity=$(echo "$person" | field identity.id)
activation=$(echo "$person" | field activation_code.activation_code)

# The cases start about a dozen logins for one phone number: above the default hourly limit.
# Not through ids(): `ids serve &` would run in a subshell whose pid is all $! gives, and the
# cleanup's kill would leave the server itself running.
"$bin" serve "${common[@]}" --listen "127.0.0.1:$port" --issuer "$issuer" --set log.level=warn \
  --set login.actions_per_phone_per_hour=50 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
  curl -fsS "$issuer/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done

"$bin" app --server "$issuer" --state "$work/app.json" --pin-cost test enroll --code "$activation" \
  --pin 1234 --name "Anna's phone" >/dev/null

node -e '
const fs = require("fs");
const keys = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
keys.signed.client_id = process.argv[2];
keys.encrypted.client_id = process.argv[3];
const jar = JSON.parse(process.argv[10]);
keys.jar.client_id = jar.client_id;
keys.jar.client_secret = jar.client_secret;
fs.writeFileSync(process.argv[4], JSON.stringify({
  issuer: process.argv[5], rp_port: Number(process.argv[6]), idscheme: process.argv[7],
  app_state: process.argv[8], identity_id: process.argv[9], pin: "1234", work: process.argv[11],
  phone_typed: "+32 470 12 34 56", clients: keys }));
' "$work/keys.json" "$signed" "$encrypted" "$work/setup.json" "$issuer" "$rp_port" "$bin" \
  "$work/app.json" "$identity" "$jar" "$work"

status=0
SETUP="$work/setup.json" node "$here/login.mjs" || status=$?
if [ "$status" != 0 ]; then
  echo "--- server log" >&2
  tail -50 "$work/server.log" >&2
fi
exit "$status"

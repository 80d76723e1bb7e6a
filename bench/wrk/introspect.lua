-- POST to the introspection endpoint (RFC 7662 §2.1) with the token in BENCH_TOKEN, the caller
-- authenticated with client_secret_basic (the Authorization header in BENCH_AUTH): workload 4.
-- The same token every time: what it measures is the check, not a cache miss.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install()

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
wrk.body = "token=" .. common.urlencode(os.getenv("BENCH_TOKEN")) .. "&token_type_hint=access_token"

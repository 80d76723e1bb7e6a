-- POST /token, client_credentials with client_secret_basic (RFC 6749 §2.3.1, §4.4): the
-- Authorization header in BENCH_AUTH ("Basic ..."). bench/compare's opaque-token workload.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install()

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
wrk.body = "grant_type=client_credentials"

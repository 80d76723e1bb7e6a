-- POST /token, client_credentials with private_key_jwt (RFC 7523 §2.2): workload 3.
-- LuaJIT cannot sign ECDSA, so bench/peer/assertions.mjs pre-signs the assertions (one fresh jti
-- each) into the file named by BENCH_ASSERTIONS, one a line; the threads take them in turn and
-- send each once (BENCH_THREADS: wrk's -t, so that each thread takes its share). Running out
-- counts as "exhausted" (bench/compare then fails the run).
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install()

local assertions = {}

function init(args)
  common.my_lines(os.getenv("BENCH_ASSERTIONS"), function(line) table.insert(assertions, line) end)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local prefix = "grant_type=client_credentials" ..
  "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" ..
  "&client_assertion="

function request()
  return wrk.format(nil, nil, nil, prefix .. (common.once(assertions) or ""))
end

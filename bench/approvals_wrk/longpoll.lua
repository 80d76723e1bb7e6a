-- GET /app/v1/actions?wait=SECONDS, the app's long poll, for bench/approvals: every connection
-- holds one waiting poll. The device proofs come pre-signed from approval_load (file
-- BENCH_REQUESTS, "<path>\t<Authorization>" a line), each sent once; BENCH_WAIT is the wait.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../wrk/?.lua;" ..
  package.path
local common = require("common")
common.install()

local requests = {}
local wait = os.getenv("BENCH_WAIT") or "30"

function init(args)
  common.my_lines(os.getenv("BENCH_REQUESTS"), function(line)
    local path, auth = line:match("^([^\t]+)\t(.*)$")
    table.insert(requests, wrk.format("GET", path .. "?wait=" .. wait, {["Authorization"] = auth}))
  end)
end

function request() return common.once(requests) end

-- POST /app/v1/actions/{id}/approve as the phone app sends it, for bench/approvals.
-- LuaJIT cannot sign ECDSA, so approval_load pre-signs the requests (a device proof with a fresh
-- jti, and the approval's signature over the action's digest) into the file named by
-- BENCH_REQUESTS, one "<path>\t<Authorization>\t<body>" a line. The threads take them in turn
-- (BENCH_THREADS: wrk's -t) and send each once; running out counts as "exhausted".
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../wrk/?.lua;" ..
  package.path
local common = require("common")
common.install()

local requests = {}

function init(args)
  common.my_lines(os.getenv("BENCH_REQUESTS"), function(line)
    local path, auth, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
    table.insert(requests, wrk.format("POST", path,
      {["Authorization"] = auth, ["Content-Type"] = "application/json"}, body))
  end)
end

function request() return common.once(requests) end

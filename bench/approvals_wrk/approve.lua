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
local threads_total = tonumber(os.getenv("BENCH_THREADS") or "1")
local index = 0

function init(args)
  local mine = thread_id or 0
  local n = 0
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if n % threads_total == mine then
      local path, auth, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
      table.insert(requests, wrk.format("POST", path,
        {["Authorization"] = auth, ["Content-Type"] = "application/json"}, body))
    end
    n = n + 1
  end
end

function request()
  index = index + 1
  local r = requests[index]
  if r == nil then
    exhausted = exhausted + 1
    r = requests[#requests]
  end
  return r
end

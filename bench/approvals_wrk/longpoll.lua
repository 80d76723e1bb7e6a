-- GET /app/v1/actions?wait=SECONDS, the app's long poll, for bench/approvals: every connection
-- holds one waiting poll. The device proofs come pre-signed from approval_load (file
-- BENCH_REQUESTS, "<path>\t<Authorization>" a line), each sent once; BENCH_WAIT is the wait.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../wrk/?.lua;" ..
  package.path
local common = require("common")
common.install()

local requests = {}
local threads_total = tonumber(os.getenv("BENCH_THREADS") or "1")
local wait = os.getenv("BENCH_WAIT") or "30"
local index = 0

function init(args)
  local mine = thread_id or 0
  local n = 0
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if n % threads_total == mine then
      local path, auth = line:match("^([^\t]+)\t(.*)$")
      table.insert(requests, wrk.format("GET", path .. "?wait=" .. wait, {["Authorization"] = auth}))
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

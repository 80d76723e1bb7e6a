-- Shared by bench/wrk/*.lua (wrk 4, LuaJIT): counts responses that are not 2xx in every thread
-- and, when the run ends, prints one line "BENCH {json}" that bench/compare reads: requests,
-- duration, req/s, latency percentiles in microseconds, non-2xx responses, 2xx responses the
-- script found wrong (bad_2xx, e.g. a token response without an ID token), socket errors, and
-- how many pre-signed assertions or codes ran out (see token_jwt.lua, token_code.lua).
--
-- BENCH_DELAY_MS set: each connection waits that long (fractional ms are spread over the
-- requests) after a response before its next request (wrk's delay()), so that the load is about
-- connections / delay per second rather than as fast as the server answers: bench/compare's
-- *_half workloads. wrk times each request from its sending, so the wait is not in the latency.
local M = {}

local threads = {}
local next_id = 0

function M.setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

non2xx = 0
bad_2xx = 0
exhausted = 0

function M.response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx == 1 then
      io.stderr:write("bench: first non-2xx response: " .. status .. " " .. (body or ""):sub(1, 200) .. "\n")
    end
  end
end

function M.done(summary, latency, requests)
  local bad, wrong, short = 0, 0, 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
    wrong = wrong + (t:get("bad_2xx") or 0)
    short = short + (t:get("exhausted") or 0)
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"non2xx":%d,"bad_2xx":%d,"socket_errors":%d,"exhausted":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    bad, wrong, errors.connect + errors.read + errors.write + errors.timeout, short))
end

-- A 2xx response the script found wrong: counted, and the first one shown.
function M.wrong_2xx(why, body)
  bad_2xx = bad_2xx + 1
  if bad_2xx == 1 then
    io.stderr:write("bench: first wrong 2xx response: " .. why .. ": " .. (body or ""):sub(1, 200) .. "\n")
  end
end

-- The wait before each request of a connection, BENCH_DELAY_MS on average (wrk takes whole
-- milliseconds: the fraction is carried over to the next request of the thread).
--
-- wrk calls delay() before a connection's first request too, and opens all of a thread's
-- connections at once: with the same wait each, every connection would send its first request
-- in the same millisecond, and that burst (64 requests queued at once, about 18 ms of work for
-- a code exchange on two cores) would be the run's p99, not the steady load it is meant to
-- measure. So the first wait of the thread's BENCH_CONNECTIONS / BENCH_THREADS connections is
-- spread evenly over [0, BENCH_DELAY_MS), as a constant-rate load generator starts them; every
-- later wait is the full one.
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
local starting = math.floor((tonumber(os.getenv("BENCH_CONNECTIONS") or "0"))
  / (tonumber(os.getenv("BENCH_THREADS") or "1")))
local started = 0
local carry = 0
function M.delay()
  if started < starting then
    started = started + 1
    return math.floor((started - 1) * delay_ms / starting)
  end
  carry = carry + delay_ms
  local ms = math.floor(carry)
  carry = carry - ms
  return ms
end

-- This thread's share of the lines of the file at `path` (BENCH_THREADS: wrk's -t; thread N of
-- T takes lines N, N+T, ...), each passed to `each`: pre-signed requests are sent once across
-- all threads.
local threads_total = tonumber(os.getenv("BENCH_THREADS") or "1")
function M.my_lines(path, each)
  local me, n = thread_id or 0, 0
  for line in io.lines(path) do
    if n % threads_total == me then each(line) end
    n = n + 1
  end
end

-- The next of `list`, each once; past its end, counts one "exhausted" and repeats the last (the
-- run is then thrown away by bench/compare or bench/approvals).
function M.once(list)
  M.taken = (M.taken or 0) + 1
  local item = list[M.taken]
  if item == nil then
    exhausted = exhausted + 1
    item = list[#list]
  end
  return item
end

-- Installs the hooks as wrk's globals; a workload script calls this, then defines request().
function M.install()
  setup = M.setup
  response = M.response
  done = M.done
  -- wrk calls delay() only when the script defines it.
  if delay_ms ~= nil then delay = M.delay end
end

-- The form body's value, percent-encoded (RFC 3986 unreserved characters kept).
function M.urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

return M

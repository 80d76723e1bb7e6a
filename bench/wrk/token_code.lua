-- POST /token, authorization_code (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.5) and
-- private_key_jwt (RFC 7523 §2.2): bench/compare's `token_code` workload, the code exchange an
-- RP's back end makes after a login. The codes come from idscheme-code-mint (bench/load), written
-- into the node's store as the login pages would after an approval: BENCH_CODES has one
-- "<code> <code_verifier>" a line; the assertions come pre-signed from bench/peer/assertions.mjs
-- (BENCH_ASSERTIONS, one a line). Each code and each assertion is sent once; the threads take
-- the lines in turn (BENCH_THREADS: wrk's -t). Running out counts as "exhausted". A 2xx answer
-- without an ID token counts as bad_2xx (bench/compare checks once per run that the ID token is
-- ES256-signed and carries the login's nonce, acr and amr).
--   BENCH_REDIRECT_URI   the redirect_uri the codes were issued for
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install()

local codes, verifiers, assertions = {}, {}, {}
local index = 0

function init(args)
  common.my_lines(os.getenv("BENCH_CODES"), function(line)
    local code, verifier = line:match("^(%S+) (%S+)$")
    table.insert(codes, code)
    table.insert(verifiers, verifier)
  end)
  common.my_lines(os.getenv("BENCH_ASSERTIONS"), function(line) table.insert(assertions, line) end)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local prefix = "grant_type=authorization_code" ..
  "&redirect_uri=" .. common.urlencode(os.getenv("BENCH_REDIRECT_URI") or "") ..
  "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"

function request()
  index = index + 1
  local code, verifier, a = codes[index], verifiers[index], assertions[index]
  if code == nil or a == nil then
    exhausted = exhausted + 1
    code, verifier = codes[#codes] or "", verifiers[#verifiers] or ""
    a = assertions[#assertions] or ""
  end
  return wrk.format(nil, nil, nil, prefix .. "&code=" .. code .. "&code_verifier=" .. verifier ..
    "&client_assertion=" .. a)
end

function response(status, headers, body)
  common.response(status, headers, body)
  if status >= 200 and status <= 299 and not (body or ""):find('"id_token":"', 1, true) then
    common.wrong_2xx("no id_token", body)
  end
end

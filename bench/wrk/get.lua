-- GET the URL given to wrk (discovery, JWKS): bench/compare's workloads 1 and 2.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
common.install()

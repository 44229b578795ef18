-- One fixed request: BENCH_METHOD (GET), BENCH_PATH, optional BENCH_BODY (JSON).
local common = dofile(os.getenv("BENCH_LUA") .. "/report.lua")
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH")
local body = os.getenv("BENCH_BODY")
local headers = body and {["Content-Type"] = "application/json"} or {}
function request() return wrk.format(method, path, headers, body) end
done = common.done

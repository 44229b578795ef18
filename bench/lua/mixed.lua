-- 95% reads across BENCH_ARTICLES articles (/mixed/1 ... /mixed/N), 5% posts.
local common = dofile(os.getenv("BENCH_LUA") .. "/report.lua")
local target = os.getenv("BENCH_TARGET")
local origin = os.getenv("BENCH_ORIGIN")
local articles = tonumber(os.getenv("BENCH_ARTICLES"))
local counter = 0
setup = common.setup
init = common.init

function request()
  local article = "/mixed/" .. math.random(1, articles)
  if math.random() >= 0.05 then
    if target == "isso" then return wrk.format("GET", "/?uri=" .. article) end
    return wrk.format("GET", "/api/v1/comments?url=" .. origin .. article)
  end
  counter = counter + 1
  local n = tid .. "-" .. counter .. "-" .. math.random(1, 1e9)
  if target == "isso" then
    return wrk.format("POST", "/new?uri=" .. article, {["Content-Type"] = "application/json", ["Origin"] = origin},
      string.format('{"author": "R %s", "email": "r%s@example.com", "title": "Bench", "text": "Mixed load comment %s"}', n, n, n))
  end
  return wrk.format("POST", "/api/v1/comments", {["Content-Type"] = "application/json", ["Origin"] = origin},
    string.format('{"url": "%s%s", "name": "R %s", "email": "r%s@example.com", "body": "Mixed load comment %s"}',
      origin, article, n, n, n))
end

done = common.done

-- POST a new comment, unique per request. BENCH_TARGET is "commentsvc" or "isso".
local common = dofile(os.getenv("BENCH_LUA") .. "/report.lua")
local target = os.getenv("BENCH_TARGET")
local origin = os.getenv("BENCH_ORIGIN")
local article = os.getenv("BENCH_ARTICLE")
local counter = 0
setup = common.setup
init = common.init

function request()
  counter = counter + 1
  local n = tid .. "-" .. counter .. "-" .. math.random(1, 1e9)
  local body
  if target == "isso" then
    body = string.format(
      '{"author": "Reader %s", "email": "reader-%s@example.com", "website": null, "title": "Bench", "text": "Comment %s: a fair point, well made."}',
      n, n, n)
    return wrk.format("POST", "/new?uri=" .. article, {["Content-Type"] = "application/json", ["Origin"] = origin}, body)
  end
  body = string.format(
    '{"url": "%s%s", "name": "Reader %s", "email": "reader-%s@example.com", "body": "Comment %s: a fair point, well made."}',
    origin, article, n, n, n)
  return wrk.format("POST", "/api/v1/comments", {["Content-Type"] = "application/json", ["Origin"] = origin}, body)
end

done = common.done

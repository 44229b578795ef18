-- Shared by every scenario: numbered threads, and one JSON line of results for
-- the driver (bench/run.py) to read.
local common = {}
local threads = 0

function common.setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function common.init(args)
  math.randomseed(os.time() * 7 + (tid or 0))
end

function common.done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end

return common

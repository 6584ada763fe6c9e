-- wrk script of the benchmark: POST /graphql, each request with a body drawn at random from
-- a file of bodies (one JSON document a line), e.g. the step-2 query over 1,000 quotes.
--   wrk -t1 -c10 -d10s --latency -s bench/step2.lua http://127.0.0.1:8000 -- BODIES TOKEN SEED ACCEPT
-- `done` prints one line, BENCH_JSON {...}, that bench/load.py reads.

local bodies = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  wrk.headers["Authorization"] = "Bearer " .. (args[2] or "demo-alice")
  math.randomseed(tonumber(args[3]) or 6)
  wrk.headers["Accept"] = args[4] or "application/json"
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  return wrk.format(nil, "/graphql", nil, bodies[math.random(#bodies)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end

-- wrk script of the decision-service benchmark (bench/service/run.py):
--
--   wrk -t T -c C -d 10s --latency -s bench/service/decide.lua \
--       http://127.0.0.1:PORT/v1/decide/loan -- BODIES_FILE
--
-- BODIES_FILE holds one request body per line (run.py writes one per
-- applicant). Every request is a POST of the next body, cycling through the
-- file; each wrk thread starts at its own offset so threads do not send the
-- same applicants in step. Connections are kept alive (wrk's default).
--
-- done() prints one line, `wrk-json: {...}`, with requests/s, latency
-- percentiles in milliseconds and the error counts (socket errors and
-- responses with status 400 or above, which wrk counts as "Non-2xx or 3xx").

local counter = 0

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
end

local bodies = {}
local next_body = 1
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  local file = args[1]
  if file == nil then error("usage: wrk ... -s decide.lua URL -- BODIES_FILE") end
  for line in io.lines(file) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  if #bodies == 0 then error(file .. ": no request bodies") end
  -- thread_index is set by setup() before init() runs in the thread.
  local index = tonumber(thread_index) or 0
  next_body = (index * 7919) % #bodies + 1
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'wrk-json: {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,'
      .. '"max_ms":%.3f,"mean_ms":%.3f,"non2xx":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"timeouts":%d,"bytes":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, summary.bytes))
end

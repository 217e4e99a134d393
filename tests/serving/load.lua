-- wrk script for tests/serving/test_overload.py and bench/shed_bench.py.
--   wrk -tN -cN ... -s tests/serving/load.lua URL -- PACE_MS PATH [PATH ...]
-- Run it with one connection per thread (-t = -c). Each connection sends GETs
-- to the PATHs in turn, one every PACE_MS on a fixed schedule (0: each as soon
-- as the last is answered), so N connections offer N * 1000 / PACE_MS
-- requests/s whatever the answers. (wrk's own delay() is not used: wrk skips
-- it after a reconnect, and every 503 closes its connection, so shed clients
-- would come straight back.) The wait blocks the thread, hence one
-- connection per thread. Counts answers by status, the 429s and 503s without
-- Retry-After, and times each 200 (wrk's latency figures mix in the quick
-- 503s). done() prints one line: "PORTAL_RESULT {json}".
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } portal_timespec;
int clock_gettime(int clock_id, portal_timespec *tp);
int usleep(unsigned int usec);
]]
local ts = ffi.new("portal_timespec")
local CLOCK_MONOTONIC = 1

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  pace = tonumber(args[1]) or 0
  paths = {}
  for i = 2, #args do
    paths[#paths + 1] = args[i]
  end
  counts = {}
  no_retry_after = 0
  served_us = {}
  sent = 0
  sent_at = 0
  -- threads start spread over one period, not all at once
  next_at = now_us() + math.random() * pace * 1000
end

function request()
  if pace > 0 then
    local wait = next_at - now_us()
    if wait > 0 then
      ffi.C.usleep(wait)
    end
    -- behind by more than a second (a slow answer): start the schedule afresh
    next_at = math.max(next_at + pace * 1000, now_us() - 1e6)
  end
  sent = sent + 1
  sent_at = now_us()
  return wrk.format("GET", paths[(sent - 1) % #paths + 1])
end

function response(status, headers, body)
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
  if (status == 429 or status == 503) and headers["Retry-After"] == nil then
    no_retry_after = no_retry_after + 1
  end
  if status == 200 then
    served_us[#served_us + 1] = now_us() - sent_at
  end
end

local function percentile(sorted, p)
  if #sorted == 0 then
    return -1
  end
  return sorted[math.max(1, math.ceil(#sorted * p))]
end

function done(summary, latency, requests)
  local totals, missing, served = {}, 0, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      totals[status] = (totals[status] or 0) + n
    end
    missing = missing + thread:get("no_retry_after")
    for _, us in ipairs(thread:get("served_us")) do
      served[#served + 1] = us
    end
  end
  table.sort(served)
  local parts = {}
  for status, n in pairs(totals) do
    parts[#parts + 1] = string.format('"%s": %d', status, n)
  end
  local e = summary.errors
  print(string.format(
    'PORTAL_RESULT {"duration_us": %d, "requests": %d, "statuses": {%s}, ' ..
    '"no_retry_after": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"timeout": %d}, "served_p50_us": %d, "served_p99_us": %d}',
    summary.duration, summary.requests, table.concat(parts, ", "), missing,
    e.connect, e.read, e.write, e.timeout, percentile(served, 0.5), percentile(served, 0.99)))
end

-- wrk script for tests/serving/test_overload.py and bench/shed_bench.py.
--   wrk ... -s tests/serving/load.lua URL -- PACE_MS PATH [PATH ...]
-- Each connection sends GETs to the PATHs in turn, waiting PACE_MS after each
-- answer (0: at once), so C connections offer about C * 1000 / PACE_MS
-- requests/s while answers are quick. Counts answers by status and the 429s
-- and 503s without Retry-After; with one connection per thread (-t = -c) it
-- also times each 200 (wrk's own latency figures mix in the quick 503s).
-- done() prints one line: "PORTAL_RESULT {json}".
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } portal_timespec;
int clock_gettime(int clock_id, portal_timespec *tp);
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
end

function delay()
  return pace
end

function request()
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

-- wrk script: send the requests listed in a file, in order, and count the answers by status class.
-- Usage: wrk ... -s bench/wrk_list.lua URL -- LIST_FILE
-- Each line of LIST_FILE is: METHOD <tab> PATH <tab> COOKIE <tab> BODY (BODY may be empty).
-- Wrapping round to the first line is counted, so the caller can tell a list that was too short
-- (a second POST of the same answer is a cheaper request and would flatter the figures).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local requests = {}
local position = 0
ok, redirected, failed, client_errors, wrapped = 0, 0, 0, 0, 0

function init(args)
  for line in io.lines(args[1]) do
    local method, path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    local headers = { ["Cookie"] = cookie }
    if body ~= nil and body ~= "" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    else
      body = nil
    end
    table.insert(requests, wrk.format(method, path, headers, body))
  end
end

function request()
  position = position + 1
  if position > #requests then
    position = 1
    wrapped = wrapped + 1
  end
  return requests[position]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status >= 300 and status < 400 then
    redirected = redirected + 1
  else
    failed = failed + 1
    if status < 500 then
      client_errors = client_errors + 1
    end
  end
end

function done(summary, latency, requests_made)
  local totals = { ok = 0, redirected = 0, failed = 0, client_errors = 0, wrapped = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "ok": %d, "redirected": %d, "failed": %d, "failed_4xx": %d, ' ..
    '"wrapped": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, totals.ok, totals.redirected, totals.failed, totals.client_errors,
    totals.wrapped,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end

-- Shared by every scenario: at the end, one machine-readable line for the runner
-- (latencies in microseconds; wrk counts answers >= 400 as status errors).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'LTJSON {"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end

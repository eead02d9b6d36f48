-- wrk script for bench/nmi: sends the Metadata header and prints one JSON line with the window's figures
-- (latencies in microseconds, duration in microseconds) for index.mjs to parse.
wrk.headers["Metadata"] = "true"

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"errors":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, errors,
    latency:percentile(50), latency:percentile(99), latency.max))
end

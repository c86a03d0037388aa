-- report.lua — wrk script for the serve benchmark: after the run, one
-- machine-readable line on stdout,
--   RESULT requests duration_us p50_us p99_us non2xx errors bytes
-- (non2xx: wrk's count of answers with a status above 399; errors:
-- connect + read + write + timeout errors) that bench/serve/run.sh parses.
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("RESULT %d %d %d %d %d %d %d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99),
      e.status, e.connect + e.read + e.write + e.timeout, summary.bytes))
end

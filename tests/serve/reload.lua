-- reload.lua — wrk script for the serve suite's reload-under-load test:
-- counts the bodies of /hello by version ("hello v1", "hello v2"),
-- anything else, and statuses other than 200, over all threads, and prints
-- them with wrk's socket error counts as one line:
--   v1=N v2=N other=N non200=N connect=N read=N write=N timeout=N
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    v1, v2, other, non200 = 0, 0, 0, 0
end

function response(status, headers, body)
    if status ~= 200 then
        non200 = non200 + 1
    end
    if body == "hello v1\n" then
        v1 = v1 + 1
    elseif body == "hello v2\n" then
        v2 = v2 + 1
    else
        other = other + 1
    end
end

function done(summary, latency, requests)
    local n = { v1 = 0, v2 = 0, other = 0, non200 = 0 }
    for _, t in ipairs(threads) do
        for k, _ in pairs(n) do
            n[k] = n[k] + t:get(k)
        end
    end
    local e = summary.errors
    io.write(string.format("v1=%d v2=%d other=%d non200=%d connect=%d read=%d write=%d timeout=%d\n",
        n.v1, n.v2, n.other, n.non200, e.connect, e.read, e.write, e.timeout))
end

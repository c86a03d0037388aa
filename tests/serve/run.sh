#!/usr/bin/env bash
# tests/serve/run.sh — the `serve` suite: `kiln serve` end to end over
# loopback with curl, plus the server layer's unit tests when built.
#
#   tests/serve/run.sh [BUILD]        (default build; needs BUILD/kiln)
#
# The WAGI handlers in tests/serve/handlers/*.c are built with clang-19
# --target=wasm32-wasi into BUILD/serve-test/.  Every server listens on a
# port it picks itself (127.0.0.1:0) and the suite reads the port from its
# startup line; every server is killed at the end, even on failure; every
# loop is bounded in count and in time.  Covers: HTTP/1.1 keep-alive, h2c
# with prior knowledge, HTTPS with ALPN h2 (a throwaway self-signed cert),
# routing and priorities, every WAGI variable, 1 MiB bodies both ways, the
# CGI status/location/content-type rules, traps, exit codes, out of memory,
# infinite loops and timeouts (500/504 with the request id), isolation
# between requests, 413/431/503, a slow route not delaying others, a bare
# module, bad manifests and flags (exit 2), SIGHUP reload under load (20
# reloads during a wrk run, tests/serve/reload.lua) and with requests in
# flight, a refused reload, --watch, SIGTERM draining, /health /ready
# /metrics, the JSON access log, guest stderr in the server log, and slow
# and idle clients cut off by --idle-timeout (tests/serve/slowclient.py),
# and the inline fast path (a looping or sleeping guest leaves its event
# loop at the time slice and is rerun on a thread).
# Ends with "serve: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
KILN=$PWD/$BUILD/kiln
OUT=$PWD/$BUILD/serve-test
p=0 f=0
PIDS=()

pass() { echo "ok   $1"; p=$((p + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; f=$((f + 1)); }
# check NAME COMMAND...: pass if COMMAND succeeds
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
# verdict NAME: pass if the command just before succeeded (for conditions
# joined with &&, which check would split)
verdict() {
    if [ $? = 0 ]; then pass "$1"; else fail "$1"; fi
}
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
}
trap cleanup EXIT

for tool in curl clang-19 openssl python3; do
    command -v $tool >/dev/null || { echo "serve: 0 passed, 1 failed ($tool missing)"; exit 1; }
done
[ -x "$KILN" ] || { echo "serve: 0 passed, 1 failed ($KILN missing)"; exit 1; }

# ---- handlers and the app ----------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT/app" "$OUT/logs"
for src in tests/serve/handlers/*.c; do
    name=$(basename "$src" .c)
    clang-19 --target=wasm32-wasi -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
        -o "$OUT/app/$name.wasm" "$src" || fail "build handler $name"
done

# write_manifest GREETING: the test app, every component's settings in
# [component.ID.tool.kiln]
write_manifest() {
    cat >"$OUT/app/spin.toml.new" <<TOML
spin_manifest_version = 2
[application]
name = "serve-test"
version = "1.0.0"

[[trigger.http]]
route = "/hello"
component = "hello"
executor = { type = "wagi" }

[[trigger.http]]
route = "/..."
component = "fallback"
executor = { type = "wagi" }

[[trigger.http]]
route = "/env/..."
component = "env"
executor = { type = "wagi" }

[[trigger.http]]
route = "/users/:id/..."
component = "env"
executor = { type = "wagi", argv = "\${SCRIPT_NAME} user \${ARGS}" }

[[trigger.http]]
route = "/echo"
component = "echo"
executor = { type = "wagi" }

[[trigger.http]]
route = "/sleep"
component = "sleep"
executor = { type = "wagi" }

[[trigger.http]]
route = "/narrow"
component = "narrow"
executor = { type = "wagi" }

[[trigger.http]]
route = "/bad"
component = "misbehave"
executor = { type = "wagi" }

[[trigger.http]]
route = "/count"
component = "counter"
executor = { type = "wagi" }

[component.hello]
source = "hello.wasm"
environment = { GREETING = "$1" }

[component.fallback]
source = "hello.wasm"
environment = { GREETING = "fallback" }

[component.env]
source = "env.wasm"
environment = { FROM_MANIFEST = "yes" }

[component.echo]
source = "echo.wasm"
[component.echo.tool.kiln]
max_body = "2M"

[component.sleep]
source = "sleep.wasm"
environment = { VERSION = "$1" }
[component.sleep.tool.kiln]
max_concurrency = 200

[component.narrow]
source = "sleep.wasm"
[component.narrow.tool.kiln]
max_concurrency = 1

[component.misbehave]
source = "misbehave.wasm"
[component.misbehave.tool.kiln]
timeout = "1s"
max_memory = "16M"

[component.counter]
source = "counter.wasm"

[[trigger.http]]
route = "/files/..."
component = "files"
executor = { type = "wagi" }

[component.files]
source = "cat.wasm"
files = ["static/*.txt"]
TOML
    mv "$OUT/app/spin.toml.new" "$OUT/app/spin.toml"
}
mkdir -p "$OUT/app/static"
echo "static content" >"$OUT/app/static/hello.txt"
echo "not granted" >"$OUT/app/static/other.dat"
echo "outside" >"$OUT/outside.txt"
write_manifest v1

# start_server NAME ARGS...: starts kiln serve in the background; sets PID,
# PORT (and ADMIN when --admin was given) from its startup lines
start_server() {
    local name=$1 i
    shift
    : >"$OUT/logs/$name.err" # not the previous server's port (see example.sh)
    "$KILN" serve --listen 127.0.0.1:0 "$@" >"$OUT/logs/$name.out" 2>"$OUT/logs/$name.err" &
    PID=$!
    PIDS+=("$PID")
    PORT="" ADMIN=""
    for i in $(seq 100); do
        PORT=$(sed -n 's|^kiln serve: listening on https\?://[^ ]*:\([0-9]*\) .*|\1|p' "$OUT/logs/$name.err")
        [ -n "$PORT" ] && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    ADMIN=$(sed -n 's|^kiln serve: admin listening on http://[^ ]*:\([0-9]*\)$|\1|p' "$OUT/logs/$name.err")
    [ -n "$PORT" ]
}
# stop_server PID: SIGTERM, then the exit status (137 if it had to be killed)
stop_server() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    wait "$pid"
}

C=(curl -s --max-time 20)
# status URL [CURL ARGS...]: the HTTP status
status() { "${C[@]}" -o /dev/null -w '%{http_code}' "$@"; }

# ---- the app over HTTP/1.1 and h2c --------------------------------------------
if ! start_server app --admin 127.0.0.1:0 --workers 2 "$OUT/app/spin.toml"; then
    fail "app server starts" "$(cat "$OUT/logs/app.err")"
    echo "serve: $p passed, $f failed"
    exit 1
fi
pass "app server starts and prints its port ($PORT) and admin port ($ADMIN)"
APP=$PID
U=http://127.0.0.1:$PORT

out=$("${C[@]}" -D "$OUT/h.txt" "$U/hello")
check "HTTP/1.1 GET /hello" [ "$out" = "hello v1" ]
check "x-request-id on every response" grep -qiE '^x-request-id: [0-9a-f]{16}' "$OUT/h.txt"
check "Server: kiln/VERSION" grep -qi '^server: kiln/[0-9]' "$OUT/h.txt"
check "content-type from the handler" grep -qi '^content-type: text/plain' "$OUT/h.txt"
v=$("${C[@]}" --http2-prior-knowledge -o /dev/null -w '%{http_version} %{http_code}' "$U/hello")
check "HTTP/2 with prior knowledge (h2c)" [ "$v" = "2 200" ]
n=$("${C[@]}" -v "$U/hello" "$U/count" 2>&1 | grep -c 'Re-using existing connection')
check "HTTP/1.1 keep-alive reuses the connection" [ "$n" -ge 1 ]

# routing: exact beats wildcard, longest prefix wins, named segments
check "route /hello (exact) beats /..." [ "$("${C[@]}" "$U/hello/")" = "hello v1" ]
check "route /... catches the rest" [ "$("${C[@]}" "$U/other/x")" = "hello fallback" ]
check "route /env/... beats /..." grep -qx 'PATH_INFO=/a/b' <<<"$("${C[@]}" "$U/env/a/b")"
out=$("${C[@]}" "$U/users/42/more")
check "route /users/:id/... captures id" grep -qx 'X_PATH_MATCH_ID=42' <<<"$out"
check "trigger's argv template" grep -qx 'argv\[1\]=user' <<<"$out"

# every WAGI variable
out=$("${C[@]}" -H 'X-Test: yes' -H 'Content-Type: text/foo' -H 'Authorization: secret' \
    --data-binary 'abc' "$U/env/sub/path?a=1&b=2")
echo "$out" >"$OUT/env.txt"
for kv in REQUEST_METHOD=POST 'QUERY_STRING=a=1&b=2' SCRIPT_NAME=/env PATH_INFO=/sub/path \
    X_RAW_PATH_INFO=/sub/path PATH_TRANSLATED=/sub/path CONTENT_LENGTH=3 CONTENT_TYPE=text/foo \
    HTTP_X_TEST=yes SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 REMOTE_ADDR=127.0.0.1 \
    REMOTE_HOST=127.0.0.1 SERVER_NAME=127.0.0.1 SERVER_PORT=$PORT "HTTP_HOST=127.0.0.1:$PORT" \
    'X_MATCHED_ROUTE=/env/...' X_COMPONENT_ROUTE=/env 'X_RAW_COMPONENT_ROUTE=/env/...' \
    X_BASE_PATH=/ "X_FULL_URL=http://127.0.0.1:$PORT/env/sub/path?a=1&b=2" AUTH_TYPE= \
    REMOTE_USER= FROM_MANIFEST=yes 'argv[0]=/env/sub/path' 'argv[1]=a=1' 'argv[2]=b=2'; do
    check "WAGI $kv" grep -qxF "$kv" "$OUT/env.txt"
done
grep -q '^SERVER_SOFTWARE=.' "$OUT/env.txt" &&
    grep -q '^X_CLIENT_ADDR=127.0.0.1:' "$OUT/env.txt"
verdict "WAGI SERVER_SOFTWARE and X_CLIENT_ADDR set"
check "WAGI hides Authorization" bash -c "! grep -q -i 'secret' '$OUT/env.txt'"
out=$("${C[@]}" --http2-prior-knowledge "$U/env/x")
check "WAGI SERVER_PROTOCOL over HTTP/2" grep -qx 'SERVER_PROTOCOL=HTTP/2.0' <<<"$out"

# ---- bodies, CGI rules -----------------------------------------------------------
head -c 1048576 /dev/urandom >"$OUT/1m.bin"
"${C[@]}" --data-binary @"$OUT/1m.bin" -H 'Content-Type: application/octet-stream' \
    -o "$OUT/1m.back" "$U/echo"
check "1 MiB body echoed over HTTP/1.1" cmp -s "$OUT/1m.bin" "$OUT/1m.back"
"${C[@]}" --http2-prior-knowledge --data-binary @"$OUT/1m.bin" -o "$OUT/1m.back2" "$U/echo"
check "1 MiB body echoed over HTTP/2" cmp -s "$OUT/1m.bin" "$OUT/1m.back2"

out=$("${C[@]}" -D "$OUT/h.txt" "$U/bad?status")
check "Status: 201 from the handler" grep -q '^HTTP/1.1 201' "$OUT/h.txt"
check "other handler headers passed on" grep -qi '^x-custom: yes' "$OUT/h.txt"
check "the body after the headers" [ "$out" = "created" ]
"${C[@]}" -D "$OUT/h.txt" -o /dev/null "$U/bad?location"
check "Location alone: 302" grep -q '^HTTP/1.1 302' "$OUT/h.txt"
check "Location passed on" grep -qi '^location: /elsewhere' "$OUT/h.txt"
check "no content-type/status/location: 500" [ "$(status "$U/bad?noheaders")" = 500 ]
check "a header name that is not a token: 502" [ "$(status "$U/bad?badheader")" = 502 ]
check "proc_exit(0) after a response: 200" [ "$("${C[@]}" "$U/bad?exit0")" = "exited 0" ]

# ---- failures in the guest --------------------------------------------------------
# expect_fail QUERY STATUS WHAT: the status, the request id in the body, the
# header and the server log, and the log saying WHAT
expect_fail() {
    local q=$1 want=$2 what=$3 body id code
    body=$("${C[@]}" -D "$OUT/h.txt" "$U/bad?$q")
    code=$(sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p' "$OUT/h.txt")
    id=$(sed -n 's/^x-request-id: \([0-9a-f]*\).*/\1/ip' "$OUT/h.txt")
    sleep 0.2
    if [ "$code" = "$want" ] && [ -n "$id" ] && [[ $body == *"request id $id"* ]] &&
        grep "request $id" "$OUT/logs/app.err" | grep -q "$what"; then
        pass "$q: $want with the request id, details in the log"
    else
        fail "$q: $want with the request id" "got $code, body '$body', log: $(grep "$id" "$OUT/logs/app.err")"
    fi
}
expect_fail trap 500 unreachable
expect_fail exit3 500 "exited with code 3"
expect_fail oom 500 "unreachable"
t0=$(date +%s%N)
expect_fail loop 504 "deadline"
t1=$(date +%s%N)
check "an infinite loop ends at the component's timeout (1s)" [ $(((t1 - t0) / 1000000)) -lt 4000 ]
body=$("${C[@]}" "$U/bad?trap")
check "trap details stay out of the body" [ "${body/unreachable/}" = "$body" ]
"${C[@]}" -o /dev/null "$U/bad?stderr"
sleep 0.2
check "guest stderr in the server log, prefixed with component and id" \
    grep -qE '^\[misbehave [0-9a-f]{16}\] second line$' "$OUT/logs/app.err"

# the component's files: granted read-only, nothing else visible
check "files: a granted file is readable" [ "$("${C[@]}" "$U/files/static/hello.txt")" = "static content" ]
check "files: a file outside the globs is not there" [ "$(status "$U/files/static/other.dat")" = 404 ]
check "files: nothing above the grant" [ "$(status --path-as-is "$U/files/../../outside.txt")" = 404 ]
check "files: read-only" [ "$("${C[@]}" "$U/files/x?write")" = refused ]

# isolation: a fresh instance per request
for i in 1 2 3; do echo "$("${C[@]}" "$U/count")"; done >"$OUT/count.txt"
check "globals start from their initial value on every request" \
    [ "$(sort -u "$OUT/count.txt")" = "1 1" ]

# ---- limits -------------------------------------------------------------------------
head -c 3000000 /dev/zero >"$OUT/3m.bin"
check "body over the component's max_body: 413" \
    [ "$(status --data-binary @"$OUT/3m.bin" "$U/echo")" = 413 ]
big=$(head -c 40000 /dev/zero | tr '\0' a)
check "a single 40 KB request header line: 431" [ "$(status -H "X-Big: $big" "$U/hello")" = 431 ]
check "a single 40 KB request header over HTTP/2: 431" \
    [ "$(status --http2-prior-knowledge -H "X-Big: $big" "$U/hello")" = 431 ]
kb=$(head -c 1000 /dev/zero | tr '\0' b)
check "40 header lines of 1 KB (over 32 KiB in all): 431" \
    [ "$(status $(for i in $(seq 40); do printf -- "-H X-H$i:$kb "; done) "$U/hello")" = 431 ]
# h2o itself limits an HTTP/1 request's header count (100) and its header
# block (H2O_MAX_REQLEN, about 400 KB): it answers those with its own 400
# and closes the connection, before kiln sees the request
"${C[@]}" -D "$OUT/h.txt" -o /dev/null $(for i in $(seq 120); do printf -- "-H X-H$i:v "; done) "$U/hello"
check "more than 100 request headers: h2o's own 400" grep -q '^HTTP/1.1 400' "$OUT/h.txt"
check "... with Connection: close" grep -qi '^connection: close' "$OUT/h.txt"
r=$(timeout 20 python3 tests/serve/slowclient.py "$PORT" bigheader)
[ "${r%% *}" = closed ] &&
    [ "${r##*: }" = 400 ]
verdict "a 500 KB header line: h2o's own 400 at once, connection closed ($r)"
check "... and the server still answers" [ "$("${C[@]}" "$U/hello")" = "hello v1" ]

# narrow: max_concurrency 1, so 1 running + 1 queued; 4 at once: the
# extra ones get 503 with Retry-After, none is lost
NARROW=()
for i in 1 2 3 4; do
    "${C[@]}" -D "$OUT/narrow$i.h" -o /dev/null "$U/narrow?ms=700" &
    NARROW+=($!)
done
wait "${NARROW[@]}"
n200=$(grep -l '^HTTP/1.1 200' "$OUT"/narrow?.h | wc -l)
n503=$(grep -l '^HTTP/1.1 503' "$OUT"/narrow?.h | wc -l)
[ "$n200" = 2 ] && [ "$n503" = 2 ]
verdict "over max_concurrency + queue: 503 ($n200 x 200, $n503 x 503)"
check "503 says Retry-After" grep -qi '^retry-after: 1' $(grep -l '^HTTP/1.1 503' "$OUT"/narrow?.h)

# a slow route does not delay others: 100 requests sleeping 1 s in flight,
# /hello still answers at once
urls=()
for i in $(seq 100); do urls+=("$U/sleep?ms=1000"); done
curl -s --no-progress-meter --max-time 30 --parallel --parallel-max 100 -o /dev/null -w '%{http_code}\n' \
    "${urls[@]}" >"$OUT/sleep.codes" &
SLEEPERS=$!
sleep 0.4
ms=$("${C[@]}" -o /dev/null -w '%{time_total}' "$U/hello" | awk '{ printf "%d", $1 * 1000 }')
check "with 100 slow requests in flight /hello answers in ${ms} ms (< 300)" [ "$ms" -lt 300 ]
wait $SLEEPERS
check "the 100 slow requests all 200" [ "$(grep -c '^200$' "$OUT/sleep.codes")" = 100 ]

# clients that give up before their guest finishes: HTTP/2 sees the stream
# reset, drops the result and logs 499; h2o's HTTP/1 does not read a
# connection while its request is in flight, so it notices only when the
# response fails to write (logged as answered).  Either way one line each
# and no crash (run under SAN=1 for use-after-free)
curl -s --max-time 0.3 -o /dev/null "$U/sleep?ms=800"
curl -s --max-time 0.3 --http2-prior-knowledge -o /dev/null "$U/sleep?ms=800"
sleep 1
[ "$(grep -c '"path":"/sleep?ms=800"' "$OUT/logs/app.out")" = 2 ] &&
    grep -q '"path":"/sleep?ms=800".*"status":499.*"proto":"HTTP/2"' "$OUT/logs/app.out"
verdict "clients that went away: one log line each, HTTP/2 logged as 499"
check "... and the server still answers" [ "$("${C[@]}" "$U/hello")" = "hello v1" ]

# ---- admin ------------------------------------------------------------------------------
A=http://127.0.0.1:$ADMIN
check "/health: 200 ok" [ "$("${C[@]}" "$A/health")" = ok ]
check "/ready: 200 while serving" [ "$(status "$A/ready")" = 200 ]
"${C[@]}" "$A/metrics" >"$OUT/metrics.txt"
check "/metrics counts requests per route and status" \
    grep -q '^kiln_http_requests_total{.*route="/hello".*status="200".*} [1-9]' "$OUT/metrics.txt"
check "/metrics times instantiation" \
    grep -q '^kiln_instantiation_duration_seconds_count{.*component="hello".*} [1-9]' "$OUT/metrics.txt"
check "/metrics counts traps" grep -q '^kiln_guest_traps_total{.*component="misbehave".*} [1-9]' "$OUT/metrics.txt"
check "admin paths are not on the app port" [ "$("${C[@]}" "$U/health")" = "hello fallback" ]

# ---- reload -------------------------------------------------------------------------------
# a bounded loop of requests while the manifest changes and SIGHUP arrives:
# every request answered 200, first v1 then v2
( for i in $(seq 150); do "${C[@]}" -w '%{http_code}\n' "$U/hello"; done ) >"$OUT/reload.txt" &
LOOP=$!
sleep 0.5
write_manifest v2
kill -HUP "$APP"
wait $LOOP
check "SIGHUP reload under load: every request 200" \
    [ "$(grep -cx '200' "$OUT/reload.txt")" = 150 ]
grep -qx 'hello v1' "$OUT/reload.txt" && grep -qx 'hello v2' "$OUT/reload.txt"
verdict "... served by the old version, then the new"
check "after the reload: v2" [ "$("${C[@]}" "$U/hello")" = "hello v2" ]
cp "$OUT/app/spin.toml" "$OUT/app/good.toml"
echo 'this is = = not toml' >"$OUT/app/spin.toml"
kill -HUP "$APP"
sleep 0.5
check "a bad reload is refused with one log line" grep -q 'reload refused.*spin.toml' "$OUT/logs/app.err"
check "... and the old version keeps serving" [ "$("${C[@]}" "$U/hello")" = "hello v2" ]
cp "$OUT/app/good.toml" "$OUT/app/spin.toml"

# reload_wait: SIGHUP, then wait (at most 10 s) for its "reloaded" line, so
# no two signals coalesce into one reload
reload_wait() {
    local n i
    n=$(grep -c '^kiln serve: reloaded ' "$OUT/logs/app.err")
    kill -HUP "$APP"
    for i in $(seq 200); do
        [ "$(grep -c '^kiln serve: reloaded ' "$OUT/logs/app.err")" -gt "$n" ] && return 0
        sleep 0.05
    done
    return 1
}

# requests in flight when their version is replaced (twice) finish on it:
# the version is freed with its last request (under SAN=1, ASan would see
# a use after free, and LeakSanitizer at exit a version never freed)
INFL=()
for i in 1 2 3; do
    "${C[@]}" -o "$OUT/inflight$i.body" "$U/sleep?ms=1500" &
    INFL+=($!)
done
sleep 0.4
write_manifest v3
reload_wait && write_manifest v4 && reload_wait
check "two reloads while requests are in flight: new requests see v4" \
    [ "$("${C[@]}" "$U/hello")" = "hello v4" ]
wait "${INFL[@]}"
[ "$(cat "$OUT"/inflight?.body | sort -u)" = "slept 1500 ms on v2" ] &&
    [ "$(cat "$OUT"/inflight?.body | wc -l)" = 3 ]
verdict "... and the 3 requests in flight finish on the version they started on"

# 20 reloads during one wrk run (2 threads, 16 connections, stopped with
# SIGINT, which makes wrk report, once the reloads are done: they take
# longer under SAN=1 on a busy machine), the manifest alternating between v1
# and v2 (from v1): tests/serve/reload.lua counts bodies by version and
# statuses other than 200; wrk counts socket errors
write_manifest v1
reload_wait || fail "reload to v1 before wrk"
if command -v wrk >/dev/null; then
    wrk -t2 -c16 -d60s -s tests/serve/reload.lua "$U/hello" >"$OUT/wrk-reload.txt" 2>&1 &
    WRK=$!
    PIDS+=("$WRK")
    sleep 0.5
    nrel=0
    for i in $(seq 20); do
        write_manifest "v$((1 + i % 2))"
        reload_wait && nrel=$((nrel + 1))
        sleep 0.1
    done
    sleep 0.3
    kill -0 $WRK 2>/dev/null
    during=$?
    kill -INT $WRK
    wait $WRK
    line=$(grep '^v1=' "$OUT/wrk-reload.txt")
    echo "     $line"
    read -r v1 v2 other non200 econn eread ewrite etime < <(sed 's/[a-z0-9]*=//g' <<<"$line")
    [ $nrel = 20 ] && [ $during = 0 ]
    verdict "20 reloads ($nrel done) while wrk was running"
    [ -n "$line" ] && [ "$non200" = 0 ] && [ "$other" = 0 ] &&
        [ "$((econn + eread + ewrite + etime))" = 0 ] &&
        ! grep -qE 'Non-2xx|Socket errors' "$OUT/wrk-reload.txt"
    verdict "... no status but 200, no socket errors (connect, read, write, timeout)"
    [ "${v1:-0}" -gt 0 ] && [ "${v2:-0}" -gt 0 ]
    verdict "... both versions answered ($v1 x v1, $v2 x v2)"
    check "... and v1, the last one, serves after" [ "$("${C[@]}" "$U/hello")" = "hello v1" ]
else
    fail "wrk is not installed"
fi

# a short bounded load (wrk: 2 threads, 32 connections, 2 s): no socket
# errors, no status but 200
if command -v wrk >/dev/null; then
    timeout 20 wrk -t2 -c32 -d2s "$U/hello" >"$OUT/wrk.txt" 2>&1
    n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$OUT/wrk.txt")
    [ "${n:-0}" -gt 100 ] &&
        ! grep -qE 'Non-2xx|Socket errors' "$OUT/wrk.txt"
    verdict "wrk: ${n:-0} requests, all 200, no socket errors"
else
    fail "wrk is not installed"
fi

# ---- access log ----------------------------------------------------------------------------
check "one JSON access-log line per request" python3 - "$OUT/logs/app.out" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
recs = [json.loads(l) for l in lines]
assert len(recs) > 350, len(recs)
assert all(len(r["id"]) == 16 for r in recs)
assert any(r["route"] == "/hello" and r["status"] == 200 and r["component"] == "hello" for r in recs)
assert any(r["status"] == 504 and "error" in r for r in recs)
PY

# ---- drain ---------------------------------------------------------------------------------
"${C[@]}" -o "$OUT/drain.body" -w '%{http_code}' "$U/sleep?ms=1500" >"$OUT/drain.code" &
SLOW=$!
sleep 0.4
kill -TERM "$APP"
sleep 0.3
check "/ready: 503 while draining" [ "$(status "$A/ready")" = 503 ]
check "no new connections while draining" bash -c "! curl -s --max-time 2 '$U/hello' >/dev/null"
wait $SLOW
check "SIGTERM: the in-flight slow request still answered" [ "$(cat "$OUT/drain.code")" = 200 ]
stop_server "$APP"
check "SIGTERM: exit 0 after draining" [ $? = 0 ]

# --grace: a request slower than the grace period does not hold the exit
if start_server grace --workers 1 --grace 300ms "$OUT/app/spin.toml"; then
    curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$PORT/sleep?ms=4000" &
    GCURL=$!
    sleep 0.4
    t0=$(date +%s%N)
    stop_server "$PID"
    rc=$?
    t1=$(date +%s%N)
    [ $rc = 0 ] && [ $(((t1 - t0) / 1000000)) -lt 2500 ]
    verdict "--grace 300ms: exit 0 without waiting for a 4 s request"
    check "... and says how many were left" grep -q 'grace period over with 1 request' "$OUT/logs/grace.err"
    wait $GCURL
else
    fail "grace server starts" "$(cat "$OUT/logs/grace.err")"
fi

# ---- the inline fast path --------------------------------------------------------------
# one worker, so every request shares the loop a looping guest starts on.
# metric NAME COMPONENT: its value in /metrics (0 when absent)
metric() {
    local v
    v=$(curl -s --max-time 5 "http://127.0.0.1:$IADMIN/metrics" |
        sed -n "s/^$1{.*component=\"$2\".*} \([0-9]*\)\$/\1/p" | head -1)
    echo "${v:-0}"
}
if start_server inline --workers 1 --admin 127.0.0.1:0 "$OUT/app/spin.toml"; then
    I=http://127.0.0.1:$PORT IADMIN=$ADMIN
    # the first request of a component always runs inline (nothing says it
    # is slow yet), so the loop starts on the worker's own thread
    t0=$(date +%s%N)
    "${C[@]}" -o /dev/null -w '%{http_code}\n' "$I/bad?loop" >"$OUT/inline.loop" &
    LOOPER=$!
    sleep 0.2
    # the loop is past its slice (2 ms) and on a guest thread by now: the
    # worker answers at once, not when the loop's 1 s timeout ends
    ms=$("${C[@]}" -o /dev/null -w '%{time_total}' "$I/hello" | awk '{ printf "%d", $1 * 1000 }')
    check "a looping guest does not stall its worker: /hello in ${ms} ms (< 300)" [ "$ms" -lt 300 ]
    check "... /hello itself ran inline" [ "$(metric kiln_guest_inline_runs_total hello)" = 1 ]
    wait $LOOPER
    t1=$(date +%s%N)
    [ "$(cat "$OUT/inline.loop")" = 504 ] && [ $(((t1 - t0) / 1000000)) -ge 900 ]
    verdict "... and the loop still gets its 504 after the full 1 s timeout, on a thread"
    [ "$(metric kiln_guest_inline_runs_total misbehave)" = 1 ] &&
        [ "$(metric kiln_guest_inline_slice_exceeded_total misbehave)" = 1 ]
    verdict "... counted as one inline run, past the slice"
    check "... and once as a deadline (the component's, not the slice's)" \
        grep -qE '^kiln_guest_limits_total\{.*component="misbehave".*kind="deadline".*\} 1$' \
        <(curl -s --max-time 5 "http://127.0.0.1:$IADMIN/metrics")
    [ "$("${C[@]}" "$I/bad?ok")" = ok ] && [ "$(metric kiln_guest_inline_runs_total misbehave)" = 1 ]
    verdict "... then its component runs on threads for a while"
    t0=$(date +%s%N)
    out=$("${C[@]}" "$I/sleep?ms=300")
    t1=$(date +%s%N)
    [ "${out%% on *}" = "slept 300 ms" ] && [ $(((t1 - t0) / 1000000)) -lt 2000 ] &&
        [ "$(metric kiln_guest_inline_slice_exceeded_total sleep)" = 1 ]
    verdict "a sleep in WASI ends at the slice and is rerun in full on a thread"
    stop_server "$PID"
    check "inline server exits 0 on SIGTERM" [ $? = 0 ]
else
    fail "inline server starts" "$(cat "$OUT/logs/inline.err")"
fi

# kiln_wasi_config_env, which builds every request's environment: a later
# definition of a name replaces the earlier one in place, past the first
# growth of its list, and a name that is a prefix of another stays apart
envs=(--env DUP=1 --env DUPX=x --env DU=u)
for i in $(seq 40); do envs+=(--env "V$i=$i"); done
out=$("$KILN" run "${envs[@]}" --env DUP=2 "$OUT/app/env.wasm")
[ "$(grep -E '^(DUP|DUPX|DU|V40)=' <<<"$out" | tr '\n' ' ')" = "DUP=2 DUPX=x DU=u V40=40 " ]
verdict "a redefined environment variable replaces the first, in its place"

# ---- a bare module, bad manifests and flags ---------------------------------------------
if start_server bare --workers 1 "$OUT/app/env.wasm"; then
    out=$("${C[@]}" "http://127.0.0.1:$PORT/any/path?q=1")
    check "a bare module serves every path" grep -qx 'PATH_INFO=/any/path' <<<"$out"
    check "... with the default argv" grep -qx 'argv\[1\]=q=1' <<<"$out"
    stop_server "$PID"
    check "bare module server exits 0 on SIGTERM" [ $? = 0 ]
else
    fail "bare module server starts" "$(cat "$OUT/logs/bare.err")"
fi
# --workers defaults to the CPUs the process may run on, not the machine's
if command -v taskset >/dev/null 2>&1 && [ "$(nproc --all)" -gt 1 ]; then
    KILN_REAL=$KILN KILN="$OUT/kiln-cpu0"
    printf '#!/bin/sh\nexec taskset -c 0 "%s" "$@"\n' "$KILN_REAL" >"$KILN" && chmod +x "$KILN"
    if start_server onecpu "$OUT/app/env.wasm"; then
        check "--workers defaults to the affinity mask's CPUs (taskset -c 0: one)" \
            grep -q '(1 worker)$' "$OUT/logs/onecpu.err"
        stop_server "$PID"
    else
        fail "a server under taskset -c 0 starts" "$(cat "$OUT/logs/onecpu.err")"
    fi
    KILN=$KILN_REAL
fi
# exit2 NAME MESSAGE ARGS...: kiln serve ARGS exits 2 and says MESSAGE
exit2() {
    local name=$1 msg=$2 rc
    shift 2
    timeout 10 "$KILN" serve --listen 127.0.0.1:0 "$@" >/dev/null 2>"$OUT/logs/exit2.err"
    rc=$?
    if [ $rc = 2 ] && grep -q -- "$msg" "$OUT/logs/exit2.err"; then
        pass "$name: exit 2 naming the problem"
    else
        fail "$name: exit 2 naming the problem" "exit $rc: $(cat "$OUT/logs/exit2.err")"
    fi
}
exit2 "a manifest with an unknown key" "err_unknown_key.toml:" tests/serve/manifests/err_unknown_key.toml
exit2 "a manifest that does not exist" "nonexistent.toml" "$OUT/nonexistent.toml"
echo 'not wasm' >"$OUT/notwasm.wasm"
exit2 "a module that is not Wasm" "notwasm.wasm" "$OUT/notwasm.wasm"
exit2 "an unknown flag" "unknown option '--bogus'" --bogus "$OUT/app/spin.toml"
exit2 "a bad --listen" "--listen" --listen nonsense "$OUT/app/spin.toml"
exit2 "--tls-cert without --tls-key" "go together" --tls-cert x.pem "$OUT/app/spin.toml"
exit2 "no manifest" "missing MANIFEST"
check "kiln help serve" bash -c "'$KILN' help serve | grep -q -- '--tls-cert FILE'"

# ---- TLS with ALPN h2 ------------------------------------------------------------------------
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/key.pem" -out "$OUT/cert.pem" \
    -days 1 -subj /CN=localhost >/dev/null 2>&1 &&
    start_server tls --workers 2 --tls-cert "$OUT/cert.pem" --tls-key "$OUT/key.pem" \
        "$OUT/app/spin.toml"; then
    T=https://127.0.0.1:$PORT
    v=$("${C[@]}" -k --http2 -o "$OUT/tls.body" -w '%{http_version} %{http_code}' "$T/hello")
    check "HTTPS negotiates h2 by ALPN" [ "$v" = "2 200" ]
    v=$("${C[@]}" -k --http1.1 -o /dev/null -w '%{http_version} %{http_code}' "$T/hello")
    check "HTTPS over HTTP/1.1" [ "$v" = "1.1 200" ]
    check "X_FULL_URL says https" grep -qx "X_FULL_URL=https://127.0.0.1:$PORT/env/x" \
        <<<"$("${C[@]}" -k "$T/env/x")"
    "${C[@]}" -k --data-binary @"$OUT/1m.bin" -o "$OUT/1m.tls" "$T/echo"
    check "1 MiB body echoed over HTTPS/2" cmp -s "$OUT/1m.bin" "$OUT/1m.tls"
    stop_server "$PID"
    check "TLS server exits 0 on SIGTERM" [ $? = 0 ]
else
    fail "TLS server starts" "$(cat "$OUT/logs/tls.err" 2>/dev/null)"
fi
exit2 "a TLS key that does not exist" "TLS" --tls-cert "$OUT/cert.pem" --tls-key "$OUT/none.pem" \
    "$OUT/app/spin.toml"

# ---- slow and idle clients (--idle-timeout) ------------------------------------------
# tests/serve/slowclient.py PORT MODE misbehaves and prints "closed after S
# s: STATUS" (or "open ..." when the server kept the connection for 15 s)
slow() { timeout 25 python3 tests/serve/slowclient.py "$@"; }
# closed_within LO HI STATUS LINE: LINE says closed after LO..HI s with STATUS
closed_within() {
    awk -v lo="$1" -v hi="$2" -v st="$3" \
        '$1 == "closed" && $3 >= lo && $3 <= hi && $5 == st { ok = 1 } END { exit !ok }' <<<"$4"
}
if start_server idle --workers 1 --idle-timeout 1s "$OUT/app/spin.toml"; then
    I=http://127.0.0.1:$PORT
    IPORT=$PORT
    # one event loop: the stalled connection shares it with the normal one
    slow "$IPORT" halfline >"$OUT/slow.halfline" &
    SP=$!
    sleep 0.3
    ms=$("${C[@]}" -o "$OUT/slow.body" -w '%{time_total}' "$I/hello" | awk '{ printf "%d", $1 * 1000 }')
    grep -q '^hello ' "$OUT/slow.body" && [ "$ms" -lt 500 ]
    verdict "while a client stalls mid request line, another is answered (${ms} ms)"
    wait $SP
    r=$(cat "$OUT/slow.halfline")
    check "half a request line, then silence: closed after --idle-timeout 1s ($r)" \
        closed_within 0.8 2.5 - "$r"
    r=$(slow "$IPORT" halfbody)
    check "Content-Length: 1000 and 500 bytes of body: closed after 1s ($r)" \
        closed_within 0.8 2.5 - "$r"
    check "... and the server still answers" grep -q '^hello ' <<<"$("${C[@]}" "$I/hello")"
    r=$(slow "$IPORT" keepalive)
    check "an idle keep-alive connection: closed 1s after its response ($r)" \
        closed_within 0.8 2.5 200 "$r"
    r=$(slow "$IPORT" h2idle)
    check "an idle HTTP/2 connection: closed after 1s with GOAWAY ($r)" closed_within 0.8 2.5 h2 "$r"
    stop_server "$PID"
    check "idle-timeout server exits 0 on SIGTERM" [ $? = 0 ]
else
    fail "idle-timeout server starts" "$(cat "$OUT/logs/idle.err")"
fi
# another value is used as given
if start_server idle2 --workers 1 --idle-timeout 2500ms "$OUT/app/spin.toml"; then
    r=$(slow "$PORT" halfline)
    check "--idle-timeout 2500ms: a stalled request line closed after 2.5s ($r)" \
        closed_within 2.3 4 - "$r"
    stop_server "$PID"
else
    fail "idle-timeout server starts" "$(cat "$OUT/logs/idle2.err")"
fi
exit2 "--idle-timeout 0" "at least 1ms" --idle-timeout 0 "$OUT/app/spin.toml"
exit2 "--idle-timeout over an hour" "too large" --idle-timeout 61m "$OUT/app/spin.toml"

# ---- --watch -----------------------------------------------------------------------------------
write_manifest w1
if start_server watch --workers 1 --watch "$OUT/app/spin.toml"; then
    W=http://127.0.0.1:$PORT
    check "--watch: serving w1" [ "$("${C[@]}" "$W/hello")" = "hello w1" ]
    write_manifest w2
    got=""
    for i in $(seq 50); do
        got=$("${C[@]}" "$W/hello")
        [ "$got" = "hello w2" ] && break
        sleep 0.1
    done
    check "--watch: a changed manifest is reloaded" [ "$got" = "hello w2" ]
    cp "$OUT/app/hello.wasm" "$OUT/app/hello.wasm.bak"
    cp "$OUT/app/counter.wasm" "$OUT/app/hello.wasm"
    for i in $(seq 50); do
        got=$("${C[@]}" "$W/hello")
        [ "$got" = "1 1" ] && break
        sleep 0.1
    done
    check "--watch: a changed module is reloaded" [ "$got" = "1 1" ]
    mv "$OUT/app/hello.wasm.bak" "$OUT/app/hello.wasm"
    stop_server "$PID"
    check "watch server exits 0 on SIGTERM" [ $? = 0 ]
else
    fail "watch server starts" "$(cat "$OUT/logs/watch.err")"
fi

# ---- unit tests of the server layer (when built: make BUILD/serve-unit-tests) --------------
if [ -x "$BUILD/serve-unit-tests" ]; then
    line=$("$BUILD/serve-unit-tests" 2>&1 | tee "$OUT/logs/unit.log" | tail -n 1)
    if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2]))
        echo "unit tests of src/serve: $line"
    else
        fail "serve unit tests" "no summary; see $OUT/logs/unit.log"
    fi
fi

echo "serve: $p passed, $f failed"
[ $f = 0 ]

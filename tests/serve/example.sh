#!/usr/bin/env bash
# tests/serve/example.sh — the README's `kiln serve` example, run as the
# README shows it: part of the `examples` suite (tests/run.sh).
#
#   tests/serve/example.sh [BUILD]      (default build; needs BUILD/kiln)
#
# Reads the console block after "<!-- examples/serve -->" in README.md: the
# "$ build/kiln serve ..." line is started as written but on port 0
# (--listen 127.0.0.1:0), with BUILD for build; each "$ curl ..." line runs
# with the port it got in place of 3000, and must print exactly the lines
# the README shows under it; "$ kill %1" stops the server, which must exit
# 0.  Then the handlers rebuilt from examples/serve/*.c (with the flags the
# manifest's comment gives) must answer as the committed .wasm files do.
# Every server is killed at the end, every wait bounded.
# Ends with "example: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
OUT=$BUILD/examples/serve
p=0 f=0 PID=""
pass() { echo "ok   $1"; p=$((p + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; f=$((f + 1)); }
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null' EXIT
mkdir -p "$OUT"

# start CMD...: the server in the background on port 0; sets PID and PORT
start() {
    local i
    # empty the log first: the child truncates it only once it runs, and
    # the loop below must not read the previous server's port from it
    : >"$OUT/server.err"
    "$@" >"$OUT/access.log" 2>"$OUT/server.err" &
    PID=$! PORT=""
    for i in $(seq 100); do
        PORT=$(sed -n 's|^kiln serve: listening on http://127.0.0.1:\([0-9]*\) .*|\1|p' "$OUT/server.err")
        [ -n "$PORT" ] && return 0
        kill -0 "$PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
stop() { # SIGTERM, then the exit status (137: had to be killed)
    local i
    kill -TERM "$PID" 2>/dev/null
    for i in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$PID" 2>/dev/null && kill -9 "$PID"
    wait "$PID"
    local rc=$?
    PID=""
    return $rc
}

block=$(awk '$0 == "<!-- examples/serve -->" {on=1; next} on && /^```console/ {code=1; next}
             code && /^```/ {exit} code' README.md)
[ -n "$block" ] || fail "README.md has a console block after <!-- examples/serve -->"

# steps: "$ COMMAND" lines, each followed by the lines it prints
cmds=() outs=() cur=-1
while IFS= read -r line; do
    if [[ $line == '$ '* ]]; then
        cur=$((cur + 1))
        cmds[cur]=${line#\$ }
        outs[cur]=""
    elif [ $cur -ge 0 ]; then
        outs[cur]+="$line"$'\n'
    fi
done <<<"$block"

for i in "${!cmds[@]}"; do
    cmd=${cmds[i]} want=${outs[i]%$'\n'}
    case "$cmd" in
    "build/kiln serve "*" &")
        args=${cmd#build/kiln serve }
        args=${args%% >*}
        args=${args% &}
        # shellcheck disable=SC2086
        if start "$BUILD/kiln" serve --listen 127.0.0.1:0 $args; then
            got=$(sed -e "s/:$PORT /:3000 /" -e 's/([0-9]* workers*)/(N workers)/' "$OUT/server.err")
            want=$(sed 's/([0-9]* workers*)/(N workers)/' <<<"$want")
            if [ "$got" = "$want" ]; then pass "README: $cmd"
            else fail "README: $cmd" "printed '$got', README says '$want'"; fi
        else
            fail "README: $cmd" "$(cat "$OUT/server.err")"
        fi
        ;;
    "curl "*)
        got=$(timeout 20 bash -c "${cmd//:3000/:$PORT}" 2>&1)
        if [ "$got" = "$want" ]; then pass "README: $cmd"
        else fail "README: $cmd" $'got\n'"$got"$'\nREADME says\n'"$want"; fi
        ;;
    "kill %1")
        if [ -n "$PID" ] && stop; then pass "README: kill %1: the server exits 0"
        else fail "README: kill %1: the server exits 0"; fi
        ;;
    *)
        fail "README: a command this check does not know: $cmd"
        ;;
    esac
done
[ ${#cmds[@]} -ge 4 ] || fail "README: the example shows the server and at least two curl lines"

# the committed handlers are what their sources build: rebuilt ones answer
# the same requests the same way
app=$OUT/app
rm -rf "$app"
mkdir -p "$app"
cp examples/serve/spin.toml examples/serve/greeting.txt "$app/"
built=1
for h in hello echo; do
    clang-19 --target=wasm32-wasi -O2 -Wl,--strip-all -o "$app/$h.wasm" "examples/serve/$h.c" || built=0
done
if [ $built = 1 ]; then
    n=0
    for m in examples/serve/spin.toml "$app/spin.toml"; do
        if start "$BUILD/kiln" serve --listen 127.0.0.1:0 --workers 1 "$m"; then
            { curl -s --max-time 20 "127.0.0.1:$PORT/hello"
              curl -s --max-time 20 -d 'x y z' "127.0.0.1:$PORT/echo/p/q?r=s"; } >"$OUT/answers.$((++n))"
            stop || fail "example server ($m) exits 0"
        else
            fail "example server starts ($m)" "$(cat "$OUT/server.err")"
        fi
    done
    if [ -s "$OUT/answers.1" ] && cmp -s "$OUT/answers.1" "$OUT/answers.2"; then
        pass "examples/serve/*.wasm as committed and rebuilt from *.c answer alike"
    else
        fail "examples/serve/*.wasm as committed and rebuilt from *.c answer alike" \
            "$(diff "$OUT/answers.1" "$OUT/answers.2" 2>&1 | head -n 10)"
    fi
else
    fail "examples/serve/*.c build with clang-19 --target=wasm32-wasi"
fi

echo "example: $p passed, $f failed"
[ $f = 0 ]

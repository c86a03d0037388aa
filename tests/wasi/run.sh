#!/usr/bin/env bash
# tests/wasi/run.sh — functional tests of kiln's WASI preview1.
#
# Usage: tests/wasi/run.sh [BUILD_DIR]       (default: build)
#
# 1. Compiles every tests/wasi/*.c (but tcp_client.c) with
#    `clang-19 --target=wasm32-wasi -O2` against wasi-libc into
#    BUILD_DIR/wasi/NAME.wasm, and tcp_client.c natively; a target newer
#    than its source and check.h is not rebuilt.
# 2. Runs each case below under BUILD_DIR/kiln, in a fresh scratch
#    directory BUILD_DIR/wasi/work/CASE, with the case's grants, arguments
#    and stdin; checks the exit code, compares stdout with
#    tests/wasi/NAME.expected (written by hand) and runs the case's own
#    after-checks (e.g. that a read-only directory is unchanged).
# 3. Runs the same cases on node's WASI (tests/wasi/node_run.js) as a
#    second opinion, comparing node's stdout with the same expected files,
#    so a pass on both means kiln and node printed the same.  Cases node
#    cannot run are marked "node no: WHY"; sections of a program that
#    node's WASI (uvwasi) is known to get wrong are skipped on node only
#    ("node skip=SECTION,...": the program gets --skip=... and the same
#    sections are dropped from the expected output).  If node is missing,
#    or has no WASI, the node runs are left out.
#
# Prints "ok NAME" or "FAIL NAME: why" (with a diff) per run, and ends with
# exactly "wasi: N passed, N failed"; exits non-zero if anything failed.
# Every run is under `timeout`.  The scratch directories are removed at the
# end (KEEP=1 keeps them for debugging).
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
KILN=$BUILD/kiln
OUT=$BUILD/wasi
WORK=$OUT/work
SRC=tests/wasi
NODE_BIN=${NODE:-node}
TIME_LIMIT=60
FILE_LIMIT=200000 # 512-byte blocks (100 MB): ulimit -f for every run
passed=0
failed=0

ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
finish() {
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
    echo "wasi: $passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit $?
}

if [ ! -x "$KILN" ]; then
    fail kiln "$KILN not found (run make first)"
    finish
fi
for tool in clang-19 cc timeout; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail tools "$tool not found"
        finish
    fi
done
mkdir -p "$OUT" || exit 2
rm -rf "$WORK"
mkdir -p "$WORK"

# ---- 1. build ----------------------------------------------------------------
newer() { # newer TARGET SOURCES...: true if TARGET exists and is newer than all
    local t=$1 s
    shift
    [ -e "$t" ] || return 1
    for s in "$@"; do [ "$t" -nt "$s" ] || return 1; done
}
built=()
for src in "$SRC"/*.c; do
    name=$(basename "$src" .c)
    [ "$name" = tcp_client ] && continue
    if ! newer "$OUT/$name.wasm" "$src" "$SRC/check.h"; then
        if ! clang-19 --target=wasm32-wasi -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
            -o "$OUT/$name.wasm" "$src" 2>"$OUT/$name.build.log"; then
            fail "build $name" "$(head -20 "$OUT/$name.build.log")"
            rm -f "$OUT/$name.wasm"
            continue
        fi
    fi
    built+=("$name")
done
if ! newer "$OUT/tcp_client" "$SRC/tcp_client.c"; then
    cc -O2 -Wall -Wextra -o "$OUT/tcp_client" "$SRC/tcp_client.c" 2>"$OUT/tcp_client.build.log" ||
        fail "build tcp_client" "$(head -20 "$OUT/tcp_client.build.log")"
fi
seq 1 30000 >"$OUT/seq.txt"

have_node=0
if command -v "$NODE_BIN" >/dev/null 2>&1 &&
    "$NODE_BIN" -e "new (require('wasi').WASI)({version: 'preview1'})" >/dev/null 2>&1; then
    have_node=1
else
    echo "wasi: node with a WASI module not found; node runs left out"
fi

# ---- 2. the cases ------------------------------------------------------------
# A case is a function case_NAME that the runner calls with W (the fresh
# scratch directory, absolute) and RT (kiln or node) set.  It may prepare W
# and must set:
#   PROG      the program (BUILD/wasi/PROG.wasm), default NAME
#   EXPECTED  the expected stdout file's name without .expected, default NAME
#   FLAGS     grants for kiln run / node_run.js (array)
#   ARGS      program arguments (array)
#   STDIN     file for stdin (default /dev/null)
#   STDIN_PIPE  1: stdin is a pipe that cat(1) fills from STDIN
#   STDOUT_NULL 1: stdout is /dev/null (the expected stdout is then empty)
#   RC        expected exit code (default 0)
#   NODE_MODE "yes", "no: WHY", or "skip=SECTION,...: WHY"
#   STDERR_HAS  text that stderr must contain (optional)
# and may define post_NAME, run afterwards, which prints a reason and
# returns non-zero if the host side is not as it should be.
sandbox=(--dir "" ) # filled in by sb
sb() { sandbox=(--dir "$W::/sandbox"); }

case_files() { sb; FLAGS=("${sandbox[@]}"); }
case_dirs() { sb; FLAGS=("${sandbox[@]}"); }
post_dirs() { [ -z "$(ls -A "$W")" ] || { echo "sandbox not empty: $(ls -A "$W")"; return 1; }; }
case_readdir() { sb; FLAGS=("${sandbox[@]}"); }
post_readdir() {
    local n
    n=$(find "$W/big" -maxdepth 1 -type f | wc -l)
    [ "$n" = 600 ] || { echo "host sees $n files in big/, not 600"; return 1; }
}
case_seek() { sb; FLAGS=("${sandbox[@]}"); }
# uvwasi passes times to libuv as double seconds: nanoseconds are lost.
case_stat() {
    sb; FLAGS=("${sandbox[@]}")
    NODE_MODE="skip=times-nanoseconds: uvwasi keeps only whole seconds of the times it sets"
}
post_stat() {
    local m
    m=$(stat -c %Y "$W/sub")
    [ "$m" = 1500000000 ] || { echo "host mtime of sub is $m, not 1500000000"; return 1; }
}
case_rename() { sb; FLAGS=("${sandbox[@]}"); }
# uvwasi refuses a symlink whose target has ".." even when it resolves
# inside the sandbox from the link's directory (ENOTCAPABLE), and ignores
# O_NOFOLLOW (the lookupflags of path_open).
case_links() {
    sb; FLAGS=("${sandbox[@]}")
    NODE_MODE="skip=dotdot-target,nofollow: uvwasi rejects in-sandbox ../ targets, ignores O_NOFOLLOW"
}
post_links() {
    [ "$(readlink "$W/dir/rel")" = through ] || { echo "host: dir/rel is not a symlink to through"; return 1; }
    [ "$(stat -c %h "$W/dir/through")" = 2 ] || { echo "host: dir/through nlink is not 2"; return 1; }
}
# uvwasi's fd_fdstat_get returns the host's open flags (O_LARGEFILE, host
# O_APPEND...) as fs_flags.
case_fdstat() {
    sb; FLAGS=("${sandbox[@]}")
    NODE_MODE="skip=fdflags,fdflags-after-set: uvwasi reports host open flags as fs_flags"
}
case_random() { FLAGS=(); }
case_clocks() { FLAGS=(); ARGS=("$(date +%s)"); }
# uvwasi treats an absolute clock subscription as relative (it sleeps for
# decades) and refuses fd_read subscriptions on regular files (EPERM),
# which here includes stdin redirected from a file.
case_poll() {
    sb; FLAGS=("${sandbox[@]}")
    printf 'ping\n' >"$W.stdin"
    STDIN=$W.stdin
    NODE_MODE="skip=abstime,poll-file,poll-stdin: uvwasi treats abstime as relative, refuses poll on files"
}
# the same with stdin a pipe
case_poll_pipe() {
    case_poll
    PROG=poll EXPECTED=poll STDIN_PIPE=1
    NODE_MODE="skip=abstime,poll-file: uvwasi treats abstime as relative, refuses poll on files"
}
case_stdin() { FLAGS=(); STDIN=$OUT/seq.txt; }
case_stdin_empty() { PROG=stdin; FLAGS=(); ARGS=(--empty); }
case_env() {
    FLAGS=(--env GREETING=hello --env EMPTY= --env EQUALS=a=b=c --env KILN_WASI_PASS
        --env KILN_WASI_UNSET_ON_HOST)
}
case_args() { PROG=args; FLAGS=(); ARGS=(one "two words" "" --dir -x "ünï" "--" "a=b"); }
case_args_argv0() { PROG=args; FLAGS=(--argv0 custom-name); ARGS=(x); }
case_args_many() {
    PROG=args; FLAGS=()
    mapfile -t ARGS < <(echo --summary; seq 1 3000)
}
case_exit_exit() { PROG=exit; ARGS=(exit 42); RC=42; }
case_exit_return() { PROG=exit; ARGS=(return 7); RC=7; }
case_exit_return0() { PROG=exit; ARGS=(return 0); RC=0; }
case_exit_255() { PROG=exit; ARGS=(exit 255); RC=255; }
case_exit_underscore() { PROG=exit; ARGS=(_exit 9); RC=9; }
case_exit_atexit() { PROG=exit; ARGS=(atexit 5); RC=5; }
case_exit_trap() { PROG=exit; ARGS=(trap); RC=134; STDERR_HAS="$RT: trap:"; }
case_exit_stderr() { PROG=exit; ARGS=(stderr); STDERR_HAS="this goes to stderr"; }
case_exit_partial() { PROG=exit; ARGS=(partial); }
case_preopens() {
    local x
    for x in a b c d; do mkdir -p "$W/$x" && echo "$x" >"$W/$x/marker"; done
    FLAGS=(--dir "$W/a::/data" --dir "$W/b::/data/sub" --dir "$W/c::." --dir "$W/d")
    ARGS=("$W/d")
}
post_preopens() {
    [ "$(cat "$W/b/written.txt" 2>/dev/null)" = "into b" ] ||
        { echo "host: b/written.txt is missing or wrong"; return 1; }
}
ro_listing() { (cd "$W/ro" && find . -printf '%p %y %s %m %n %T@ %l\n' | sort && cat file.txt sub/inner.txt); }
case_readonly() {
    mkdir -p "$W/ro/sub" "$W/ro/emptydir" "$W/rw"
    printf 'read only\n' >"$W/ro/file.txt"
    printf 'inner\n' >"$W/ro/sub/inner.txt"
    ln -s file.txt "$W/ro/link"
    touch -d @1000000000 "$W/ro/file.txt" "$W/ro/sub" "$W/ro/emptydir"
    ro_listing >"$W.before"
    FLAGS=(--dir-ro "$W/ro::/ro" --dir "$W/rw::/rw")
    NODE_MODE="no: node's WASI has no read-only preopens"
}
post_readonly() {
    ro_listing >"$W.after"
    cmp -s "$W.before" "$W.after" || { echo "host: ro changed: $(diff "$W.before" "$W.after" | head -5)"; return 1; }
    [ "$(cat "$W/rw/copy.txt")" = "read only" ] || { echo "host: rw/copy.txt missing"; return 1; }
}
# uvwasi answers notsup to sock_shutdown on every fd, and reports host open
# flags as fs_flags (as in fdstat).
case_compat() {
    sb; FLAGS=("${sandbox[@]}")
    NODE_MODE="skip=sock-shutdown,open-sync: uvwasi's sock_shutdown is notsup, fs_flags are host flags"
}
# stdin and stdout both /dev/null: not a terminal (checked by the exit code)
case_compat_devnull() {
    PROG=compat; FLAGS=(); ARGS=(devnull); STDOUT_NULL=1
    STDERR_HAS="ok - isatty(1) is 0 on /dev/null"
}
case_tty() {
    FLAGS=()
    command -v script >/dev/null 2>&1 || NODE_MODE="no: no script(1)"
}

# ---- running one case ----------------------------------------------------------
# drop_sections LIST < expected: replaces each listed "== S" section's lines
# with "== S (skipped)", as the program does when given --skip=LIST.
drop_sections() {
    awk -v list="$1" 'BEGIN { n = split(list, a, ","); for (i = 1; i <= n; i++) skip["== " a[i]] = 1 }
        /^== / { dropping = ($0 in skip); if (dropping) { print $0 " (skipped)"; next } }
        !dropping { print }'
}

run_case() { # run_case NAME RT
    local name=$1 rt=$2 label=$1
    [ "$rt" = node ] && label="node:$1"
    RT=$rt
    W=$WORK/$name.$rt
    rm -rf "$W" "$W".*
    if ! mkdir -p "$W" || ! W=$(cd "$W" && pwd) || [ -z "$W" ]; then
        fail "$label" "cannot make the scratch directory $WORK/$name.$rt"
        return
    fi
    PROG=$name EXPECTED=$name FLAGS=() ARGS=() STDIN=/dev/null STDIN_PIPE=0 STDOUT_NULL=0 RC=0 NODE_MODE=yes
    STDERR_HAS=
    PROG=${PROG//_/-}
    EXPECTED=${EXPECTED//_/-}
    "case_$name"
    local wasm=$OUT/$PROG.wasm exp=$SRC/$EXPECTED.expected skip=
    if [ "$rt" = node ]; then
        case $NODE_MODE in
        yes) ;;
        no:*) echo "skip node:$name (${NODE_MODE#no: })"; return ;;
        skip=*) skip=${NODE_MODE#skip=}; skip=${skip%%:*} ;;
        esac
    fi
    if [ ! -f "$wasm" ]; then
        fail "$label" "$wasm was not built"
        return
    fi
    if [ ! -f "$exp" ]; then
        fail "$label" "no $exp"
        return
    fi
    local args=("${ARGS[@]}")
    [ -n "$skip" ] && args+=("--skip=$skip")
    local cmd
    if [ "$rt" = kiln ]; then
        cmd=("$KILN" run "${FLAGS[@]}" "$wasm" "${args[@]}")
    else
        cmd=("$NODE_BIN" "$SRC/node_run.js" "${FLAGS[@]}" "$wasm" "${args[@]}")
    fi
    local code
    if [ "$name" = tty ]; then
        # script(1) gives the program a pseudo-terminal for all three streams
        local line
        printf -v line '%q ' timeout -k 5 "$TIME_LIMIT" "${cmd[@]}"
        (
            ulimit -f "$FILE_LIMIT"
            timeout -k 5 $((TIME_LIMIT + 5)) script -qec "$line" /dev/null </dev/null 2>"$W.err" |
                tr -d '\r' >"$W.out"
            exit "${PIPESTATUS[0]}"
        )
        code=$?
    else
        (
            ulimit -f "$FILE_LIMIT"
            export KILN_WASI_PASS=passed-through KILN_WASI_NOT_GRANTED=secret
            if [ "$STDIN_PIPE" = 1 ]; then
                cat "$STDIN" | timeout -k 5 "$TIME_LIMIT" "${cmd[@]}" >"$W.out" 2>"$W.err"
            elif [ "$STDOUT_NULL" = 1 ]; then
                : >"$W.out"
                exec timeout -k 5 "$TIME_LIMIT" "${cmd[@]}" <"$STDIN" >/dev/null 2>"$W.err"
            else
                exec timeout -k 5 "$TIME_LIMIT" "${cmd[@]}" <"$STDIN" >"$W.out" 2>"$W.err"
            fi
        )
        code=$?
    fi
    local why=
    if [ "$code" = 124 ] || [ "$code" = 137 ]; then
        why="timed out after ${TIME_LIMIT}s"
    elif [ "$code" != "$RC" ]; then
        why="exit code $code, expected $RC"
    fi
    if [ -n "$skip" ]; then
        drop_sections "$skip" <"$exp" >"$W.exp"
    else
        cp "$exp" "$W.exp"
    fi
    if ! cmp -s "$W.exp" "$W.out"; then
        why="${why:+$why; }stdout differs from $exp${skip:+ (without $skip)}"
    fi
    if [ -n "$STDERR_HAS" ] && ! grep -qF -- "$STDERR_HAS" "$W.err"; then
        why="${why:+$why; }stderr lacks \"$STDERR_HAS\""
    fi
    if [ -z "$why" ] && declare -F "post_$name" >/dev/null; then
        local msg
        msg=$("post_$name") || why="after-check: $msg"
    fi
    if [ -z "$why" ]; then
        ok "$label"
    else
        fail "$label" "$why"
        diff -u "$W.exp" "$W.out" | head -30 | sed 's/^/    /'
        head -c 2000 "$W.err" | sed 's/^/    stderr: /'
    fi
}

# ---- the socket case ------------------------------------------------------------
# sock.wasm serves on --tcplisten 127.0.0.1:PORT (a random port, tried
# again if kiln cannot bind it); tcp_client connects three times.
run_sock() {
    local rt=kiln W=$WORK/sock port tries code why=
    mkdir -p "$W"
    if [ ! -f "$OUT/sock.wasm" ] || [ ! -x "$OUT/tcp_client" ]; then
        fail sock "sock.wasm or tcp_client was not built"
        return
    fi
    for tries in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 30000))
        : >"$W.out"
        (
            ulimit -f "$FILE_LIMIT"
            exec timeout -k 5 "$TIME_LIMIT" "$KILN" run --tcplisten "127.0.0.1:$port" \
                "$OUT/sock.wasm" </dev/null >"$W.out" 2>"$W.err"
        ) &
        local pid=$! i
        for i in $(seq 1 100); do # wait up to 10 s for "== serving"
            grep -q '^== serving' "$W.out" && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if grep -q '^== serving' "$W.out"; then
            break
        fi
        wait "$pid"
        code=$?
        if grep -qi 'addr\|bind\|in use' "$W.err" && [ "$tries" -lt 5 ]; then
            continue # the port was taken: another one
        fi
        fail sock "kiln did not start serving (exit $code)"
        head -c 2000 "$W.err" | sed 's/^/    stderr: /'
        head -c 2000 "$W.out" | sed 's/^/    stdout: /'
        return
    done
    : >"$W.client"
    local mode
    for mode in hello big peek; do
        timeout -k 5 20 "$OUT/tcp_client" "$port" "$mode" >>"$W.client" 2>>"$W.err" ||
            why="tcp_client $mode failed; "
    done
    wait "$pid"
    code=$?
    [ "$code" = 0 ] || why="${why}exit code $code, expected 0; "
    cmp -s "$SRC/sock.expected" "$W.out" || why="${why}server stdout differs; "
    cmp -s "$SRC/sock-client.expected" "$W.client" || why="${why}client output differs; "
    if [ -z "$why" ]; then
        ok sock
    else
        fail sock "${why%; }"
        diff -u "$SRC/sock.expected" "$W.out" | head -30 | sed 's/^/    /'
        diff -u "$SRC/sock-client.expected" "$W.client" | head -10 | sed 's/^/    /'
        head -c 2000 "$W.err" | sed 's/^/    stderr: /'
    fi
}

CASES=(files dirs readdir seek stat rename links fdstat random clocks poll poll_pipe stdin stdin_empty
    env args args_argv0 args_many exit_exit exit_return exit_return0 exit_255 exit_underscore
    exit_atexit exit_trap exit_stderr exit_partial preopens readonly tty compat compat_devnull)
# ONLY=CASE,... runs just those cases (sock included by naming it)
if [ -n "${ONLY:-}" ]; then
    IFS=, read -r -a only <<<"$ONLY"
else
    only=("${CASES[@]}" sock)
fi
for c in "${only[@]}"; do
    if [ "$c" = sock ]; then run_sock; else run_case "$c" kiln; fi
done
if [ "$have_node" = 1 ]; then
    for c in "${only[@]}"; do
        if [ "$c" = sock ]; then
            echo "skip node:sock (node's WASI cannot be given a listening socket)"
        else
            run_case "$c" node
        fi
    done
fi
finish

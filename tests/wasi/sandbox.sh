#!/usr/bin/env bash
# tests/wasi/sandbox.sh BUILD_DIR — the WASI capability sandbox, from outside.
#
#   1. builds tests/wasi/escape/*.c (clang-19 --target=wasm32-wasi -O2,
#      Debian's wasi-libc) and tests/wasi/hostile/*.wat (wat2wasm) into
#      BUILD_DIR/wasi-sandbox/;
#   2. for every escape guest, in both resolve modes (kiln's default, i.e.
#      openat2 RESOLVE_BENEATH, and KILN_WASI_RESOLVE=walk), sets up a fresh
#      scratch tree under BUILD_DIR/wasi-sandbox/work (setup_tree: the
#      sandboxes, an outside directory with secrets, host-made symlinks),
#      runs `kiln run` from inside the outside directory with a secret in the
#      host environment, and then checks the host side:
#        - the guest ran to its end and reported no escape (exit 0);
#        - the secret appears nowhere in the guest's stdout or stderr;
#        - outside/, ro/ and the top of the work tree are unchanged: same
#          entries, types, sizes, modes, inodes, link counts, mtimes, ctimes,
#          symlink targets, contents (sha256), and atimes of outside/ (set to
#          2000-01-01 beforehand, so any read shows, where the file system
#          updates atimes, which is probed first);
#        - no file in a sandbox shares an inode with an outside file;
#   3. runs every hostile module (tests/wasi/hostile/*.wat) in both modes:
#      its _start, where `;; expect-exit: CODES` in the file gives the
#      acceptable exit codes (default 42), or, for each line
#      `;; invoke: NAME ARGS... => CODES`, `kiln run --invoke NAME FILE ARGS`;
#      with the same host-side checks, failing on a crash (signal), a
#      timeout or sanitizer output;
#   4. prints "ok NAME" or "FAIL NAME: why" for each, and ends with exactly
#      "sandbox: N passed, N failed"; exits non-zero if anything failed.
#
# Logs stay in BUILD_DIR/wasi-sandbox/logs/; the work tree is removed at the
# end.  Environment: KILN (default BUILD_DIR/kiln), WASI_CC (clang-19),
# WAT2WASM (wat2wasm), SANDBOX_TIMEOUT (seconds per run, default 20),
# SANDBOX_ONLY (a regular expression: run only the matching test names),
# SANDBOX_KEEP=1 keeps the work tree of the last run.
set -u
cd "$(dirname "$0")/../.." || exit 2

if [ $# -lt 1 ]; then
    echo "usage: tests/wasi/sandbox.sh BUILD_DIR" >&2
    exit 2
fi
B=$(realpath -m "$1")
KILN=$(realpath -m "${KILN:-$B/kiln}")
WASI_CC=${WASI_CC:-clang-19}
WAT2WASM=${WAT2WASM:-wat2wasm}
TIMEOUT=${SANDBOX_TIMEOUT:-20}
ONLY=${SANDBOX_ONLY:-}
OUTD=$B/wasi-sandbox
W=$OUTD/work
LOGS=$OUTD/logs
PASSED=0
FAILED=0
T0=$(date +%s)

cleanup() { [ "${SANDBOX_KEEP:-0}" = 1 ] || rm -rf "$W" "$W".*; }
trap cleanup EXIT

ok() { echo "ok $1"; PASSED=$((PASSED + 1)); }
bad() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }
want() { [ -z "$ONLY" ] || [[ $1 =~ $ONLY ]]; }

mkdir -p "$OUTD/escape" "$OUTD/hostile" "$LOGS"

# ---- 1. build ----------------------------------------------------------------
ESCAPES=() HOSTILES=()
for src in tests/wasi/escape/*.c; do
    name=$(basename "$src" .c)
    out=$OUTD/escape/$name.wasm
    if [ ! -f "$out" ] || [ "$src" -nt "$out" ] || [ tests/wasi/escape/escape.h -nt "$out" ]; then
        if ! "$WASI_CC" --target=wasm32-wasi -O2 -Wall -Wextra -Werror -o "$out" "$src" \
            >"$LOGS/build-$name.log" 2>&1; then
            bad "build escape/$name" "$(head -c 400 "$LOGS/build-$name.log")"
            rm -f "$out"
            continue
        fi
    fi
    ESCAPES+=("$name")
done
for src in tests/wasi/hostile/*.wat; do
    name=$(basename "$src" .wat)
    out=$OUTD/hostile/$name.wasm
    if [ ! -f "$out" ] || [ "$src" -nt "$out" ]; then
        if ! "$WAT2WASM" -o "$out" "$src" >"$LOGS/build-$name.log" 2>&1; then
            bad "build hostile/$name" "$(head -c 400 "$LOGS/build-$name.log")"
            rm -f "$out"
            continue
        fi
    fi
    HOSTILES+=("$name")
done
if [ ! -x "$KILN" ]; then
    bad "kiln" "$KILN is missing (build it first: make BUILD=$1)"
    echo "sandbox: $PASSED passed, $((FAILED + 1)) failed"
    exit 1
fi

# ---- the scratch tree ------------------------------------------------------------
OLD=946684800 # 2000-01-01, the atime every outside entry starts with
TOKEN=
ATIME_WORKS=0

setup_tree() {
    rm -rf "$W"
    mkdir -p "$W" || return 1
    TOKEN="KILNSECRET$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
    (
        cd "$W" || exit 1
        mkdir -p outside/dir outside/emptydir sb/a/b sb2 ro/sub/emptysub ro/emptydir empty hsb/sub
        printf '%s secret\n' "$TOKEN" >outside/secret.txt
        printf '%s inner\n' "$TOKEN" >outside/dir/inner.txt
        printf '%s named\n' "$TOKEN" >"outside/dir/$TOKEN-name"
        printf 'victim\n' >outside/victim.txt
        ln -s secret.txt outside/link_out

        printf 'inside-sb\n' >sb/file.txt
        printf 'inside-a\n' >sb/a/file2.txt
        printf 'inside-ab\n' >sb/a/b/f.txt
        # host-made symlinks inside the read-write sandbox
        ln -s "$W/outside/secret.txt" sb/link_abs
        ln -s "$W/outside/secret.txt" sb/link_abs2
        ln -s ../outside/secret.txt sb/link_rel
        ln -s ../outside/secret.txt sb/link_rel2
        ln -s ../outside/victim.txt sb/outlink_victim
        ln -s chain2 sb/chain1
        ln -s chain3 sb/chain2
        ln -s a/chain4 sb/chain3
        ln -s ../../outside/secret.txt sb/a/chain4
        ln -s achain2 sb/achain1
        ln -s "$W/outside/secret.txt" sb/achain2
        ln -s ../../outside/secret.txt sb/a/deep_rel
        ln -s loop2 sb/loop1
        ln -s loop1 sb/loop2
        ln -s self sb/self
        ln -s loopdir sb/loopdir
        ln -s ../outside sb/outdir
        ln -s "$W/outside" sb/outdir_abs
        ln -s ../outside/ sb/outslash
        ln -s / sb/rootlink
        ln -s .. sb/uplink
        ln -s . sb/dotlink
        ln -s ../.. sb/a/b/dl
        ln -s .. sb/a/up
        ln -s "$W/outside/created_abs" sb/dangle_abs
        ln -s ../outside/created_rel sb/dangle_rel
        ln -s dangle_rel sb/dangle_chain
        ln -s ../outside/newdir_via_link sb/dangle_dir
        ln -s file.txt sb/in_link
        ln -s in_link sb/in_chain
        ln -s ../file.txt sb/a/in_up
        ln -s a/b sb/in_dir
        ln -s /proc/self/root sb/proc_root
        ln -s /proc/self/cwd sb/proc_cwd
        ln -s /proc/self sb/proc_self
        ln -s /proc/self/fd sb/proc_fd
        ln -s /proc/self/environ sb/proc_environ
        ln -s /proc/thread-self/cwd sb/proc_thread
        ln -s ../../../../../../../../../../../../../../../../proc/self/cwd sb/proc_rel
        for n in $(seq 0 15); do ln -s "/proc/self/fd/$n" "sb/proc_fd$n"; done

        printf 'inside-sb2\n' >sb2/file.txt
        ln -s ../ro sb2/to_ro
        ln -s "$W/ro" sb2/to_ro_abs
        ln -s ../outside sb2/to_out

        printf 'ro-content\n' >ro/file.txt
        printf 'ro-sub\n' >ro/sub/f.txt
        ln -s file.txt ro/link_in

        printf 'hostile-file\n' >hsb/file.txt
        ln -s file.txt hsb/in_link
        ln -s . hsb/dot
    ) || return 1
    hash_tree >"$W.hash.before" || return 1
    # every outside entry gets an old atime, so that reading it shows
    find "$W/outside" -exec touch -h -a -d "@$OLD" {} + || return 1
    meta_tree >"$W.meta.before"
}

# metadata without reading anything (atimes of outside/ included when they work)
meta_tree() {
    (
        cd "$W" || exit 1
        # (find reads directories and symlinks itself, so atimes are
        # compared for regular files only)
        if [ "$ATIME_WORKS" = 1 ]; then
            find outside -type f -printf '%p|%y|%s|%m|%i|%n|%T@|%C@|%A@\n'
        else
            find outside -type f -printf '%p|%y|%s|%m|%i|%n|%T@|%C@\n'
        fi
        find outside ! -type f -printf '%p|%y|%s|%m|%i|%n|%T@|%C@|%l\n'
        find ro -printf '%p|%y|%s|%m|%i|%n|%T@|%C@|%l\n'
        # the work tree's top: the same entries (a sandbox directory's own
        # times change legitimately, the work directory's must not)
        find . -maxdepth 1 -mindepth 1 -printf '%p|%y|%i|%l\n'
        find . -maxdepth 0 -printf '.|%T@|%C@\n'
    ) | LC_ALL=C sort
}

hash_tree() {
    (cd "$W" && find outside ro -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

# does reading a file with an old atime update it here (relatime, no noatime)?
probe_atime() {
    mkdir -p "$W" && printf 'probe\n' >"$W/probe" && touch -a -d "@$OLD" "$W/probe" &&
        cat "$W/probe" >/dev/null && [ "$(stat -c %X "$W/probe")" != "$OLD" ] && ATIME_WORKS=1
    rm -f "$W/probe"
}

# host-side checks after a run; prints the reasons, returns 1 if any
check_host() { # LOGBASE
    local why=() out_inodes
    if grep -qF "$TOKEN" "$1.out" "$1.err" 2>/dev/null; then
        why+=("the secret appears in the guest's output: $(grep -hF "$TOKEN" "$1.out" "$1.err" | head -3 | tr '\n' ' ' | head -c 300)")
    fi
    meta_tree >"$W.meta.after"
    if ! cmp -s "$W.meta.before" "$W.meta.after"; then
        why+=("host tree changed: $(diff "$W.meta.before" "$W.meta.after" | grep '^[<>]' | head -6 | tr '\n' ' ' | head -c 600)")
    fi
    hash_tree >"$W.hash.after"
    if ! cmp -s "$W.hash.before" "$W.hash.after"; then
        why+=("file contents changed: $(diff "$W.hash.before" "$W.hash.after" | grep '^[<>]' | head -4 | tr '\n' ' ' | head -c 400)")
    fi
    out_inodes=$(cd "$W" && find outside -printf '%i\n' | sort -u)
    if [ -n "$out_inodes" ]; then
        local shared
        shared=$(cd "$W" && find sb sb2 ro empty hsb -printf '%i %p\n' 2>/dev/null |
            awk 'NR==FNR { o[$1] = 1; next } ($1 in o) { print $2 }' <(echo "$out_inodes") - | head -3)
        [ -n "$shared" ] && why+=("sandbox names for outside inodes: $(echo "$shared" | tr '\n' ' ')")
    fi
    for d in sb sb2 ro empty hsb; do
        [ -d "$W/$d" ] && [ ! -L "$W/$d" ] || why+=("the sandbox directory $d is gone")
    done
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|Segmentation fault|core dumped' "$1.err" 2>/dev/null; then
        why+=("sanitizer or crash report: $(grep -hE 'AddressSanitizer|runtime error:|Segmentation' "$1.err" | head -2 | tr '\n' ' ' | head -c 300)")
    fi
    [ ${#why[@]} -eq 0 ] && return 0
    printf '%s; ' "${why[@]}"
    return 1
}

# run kiln from inside the outside directory; sets RC
run_kiln() { # MODE LOGBASE ARGS...
    local mode=$1 log=$2
    shift 2
    local envs=(env -u KILN_WASI_RESOLVE KILN_HOST_SECRET="$TOKEN" KILN_PASS=passed-through)
    [ "$mode" = walk ] && envs+=(KILN_WASI_RESOLVE=walk)
    # (ulimit -f: a runaway guest cannot fill the disk; 256 MiB is plenty)
    (cd "$W/outside" && ulimit -f 262144 && "${envs[@]}" timeout -k 5 "$TIMEOUT" "$KILN" run "$@" \
        </dev/null >"$log.out" 2>"$log.err")
    RC=$?
    printf '%s\n' "exit $RC: KILN_WASI_RESOLVE=$mode $KILN run $*" >"$log.cmd"
}

describe_rc() { # RC LOGBASE
    case $1 in
    124 | 137) echo "timed out after ${TIMEOUT}s" ;;
    134) echo "trapped: $(grep -m1 'kiln:' "$2.err" | head -c 300)" ;;
    *) if [ "$1" -gt 128 ]; then echo "killed by signal $(($1 - 128))"; else
        echo "exit $1: $(grep -m1 -v '^ok\|^control\|^note' "$2.out" "$2.err" | head -c 300)"; fi ;;
    esac
}

MODES=(default walk)
probe_atime

# ---- 2. escape guests ----------------------------------------------------------
for name in "${ESCAPES[@]}"; do
    for mode in "${MODES[@]}"; do
        tname="escape/$name [$mode]"
        want "$tname" || continue
        log=$LOGS/escape-$name-$mode
        if ! setup_tree; then
            bad "$tname" "could not set up the scratch tree"
            continue
        fi
        wasm=$OUTD/escape/$name.wasm
        if [ "$name" = nodir ]; then
            run_kiln "$mode" "$log" "$wasm" "$W/outside" none
            rc1=$RC
            cp "$log.out" "$log.none.out"
            run_kiln "$mode" "$log.env" --env GRANTED=yes --env KILN_PASS "$wasm" "$W/outside" granted
            rc2=$RC
            cat "$log.env.out" >>"$log.out"
            cat "$log.env.err" >>"$log.err"
            RC=$rc1
            [ "$rc1" = 0 ] && RC=$rc2
            done_line=$(grep -c '^nodir-guest: done 0 failures' "$log.out")
            [ "$done_line" = 2 ] || [ "$RC" != 0 ] || RC=99
        else
            run_kiln "$mode" "$log" \
                --dir "$W/sb::/sb" --dir-ro "$W/ro::/ro" --dir "$W/sb2::/sb2" --dir "$W/empty::/empty" \
                "$wasm" "$W/outside" "$W/sb" "$W/ro"
            grep -q '^escape-guest: done 0 escapes, 0 control failures$' "$log.out" || [ "$RC" != 0 ] || RC=99
        fi
        why=()
        if [ "$RC" != 0 ]; then
            esc=$(grep -hE '^(ESCAPE|LEAK|CONTROL-FAILED|FAIL) ' "$log.out" | cut -c1-160 | head -5 | tr '\n' ';')
            why+=("$(describe_rc "$RC" "$log")${esc:+ — $esc}")
        fi
        if host=$(check_host "$log"); then :; else why+=("$host"); fi
        if [ ${#why[@]} -eq 0 ]; then ok "$tname"; else bad "$tname" "${why[*]} (log: $log.out)"; fi
    done
done

# ---- 3. hostile modules -------------------------------------------------------
for name in "${HOSTILES[@]}"; do
    expect=$(sed -n 's/^;; *expect-exit: *//p' "tests/wasi/hostile/$name.wat" | head -1)
    [ -n "$expect" ] || expect=42
    for mode in "${MODES[@]}"; do
        tname="hostile/$name [$mode]"
        want "$tname" || continue
        log=$LOGS/hostile-$name-$mode
        if ! setup_tree; then
            bad "$tname" "could not set up the scratch tree"
            continue
        fi
        hargs=(--dir "$W/hsb::/sb" --dir-ro "$W/ro::/ro" --env HOSTILE=1 --env H2=abcdef)
        why=()
        invokes=$(sed -n 's/^;; *invoke: *//p' "tests/wasi/hostile/$name.wat")
        if [ -z "$invokes" ]; then
            # the module's _start checks everything and exits 42
            run_kiln "$mode" "$log" "${hargs[@]}" "$OUTD/hostile/$name.wasm" hostile-arg-1 hostile-arg-2
            good=0
            for e in $expect; do [ "$RC" = "$e" ] && good=1; done
            if [ $good = 0 ]; then
                why+=("$(describe_rc "$RC" "$log") (want exit ${expect// / or }) $(grep -h '^FAIL' "$log.err" "$log.out" | head -8 | tr '\n' ';' | head -c 600)")
            elif [ "$RC" != 42 ] && [ ! -s "$log.err" ]; then
                why+=("exit $RC without a message on stderr")
            fi
        else
            # ";; invoke: NAME ARGS... => CODES": one kiln run --invoke each
            : >"$log.out"
            : >"$log.err"
            while IFS= read -r line; do
                call=${line%%=>*}
                codes=${line#*=>}
                read -r -a words <<<"$call"
                run_kiln "$mode" "$log.1" "${hargs[@]}" --invoke "${words[0]}" \
                    "$OUTD/hostile/$name.wasm" "${words[@]:1}"
                cat "$log.1.out" >>"$log.out"
                cat "$log.1.err" >>"$log.err"
                good=0
                for e in $codes; do [ "$RC" = "$e" ] && good=1; done
                if [ $good = 0 ]; then
                    why+=("--invoke ${call% }: $(describe_rc "$RC" "$log.1") (want exit ${codes# })")
                elif [ "$RC" = 134 ] && ! grep -q '^kiln: trap' "$log.1.err"; then
                    why+=("--invoke ${call% }: exit 134 without 'kiln: trap'")
                fi
            done <<<"$invokes"
        fi
        if host=$(check_host "$log"); then :; else why+=("$host"); fi
        if [ ${#why[@]} -eq 0 ]; then ok "$tname"; else bad "$tname" "${why[*]} (log: $log.err)"; fi
    done
done

echo "sandbox: run time $(($(date +%s) - T0))s, logs in $LOGS" >&2
echo "sandbox: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]

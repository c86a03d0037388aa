#!/usr/bin/env bash
# tests/run.sh — what `make test` runs, from the repository root.
#
#   1. installs whatever is missing with apt-get (Debian 12, as root; a
#      machine that has everything does no apt work at all);
#   2. builds with `make -j2`, passing SAN, CC and BUILD through;
#   3. runs every suite: build, symbols, unit, spec, wat, lowering,
#      print-roundtrip, cli, wasi,
#      wasi-walk, serve, plugin, sandbox, invoke, regress, toml, simd-diff,
#      native-diff, spec-native, invoke-native, examples,
#      oom and, in a build without sanitizers, leak (valgrind); each suite's last
#      "N passed, N failed" line is its result, and a suite that crashes,
#      times out or prints no such line counts as 1 failed;
#   4. prints the sum as its last line, exactly "N passed, N failed", and
#      exits non-zero if anything failed.
#
# Environment: SAN=1 builds with ASan+UBSan into build-san (LeakSanitizer
# then checks every suite, so the valgrind suite is skipped); CC picks the
# compiler; BUILD the build directory (default build, or build-san);
# KILN_SHARED where shared/ is (default ../shared), as for tests/spec/run.sh;
# ONLY a space-separated list of suites to run (the build always runs).
# Each suite's output is also kept in $BUILD/test-logs/NAME.log.
set -u
cd "$(dirname "$0")/.." || exit 2

SAN=${SAN:-0}
if [ -z "${BUILD:-}" ]; then
    if [ "$SAN" = 1 ]; then BUILD=build-san; else BUILD=build; fi
fi
MAKEARGS=("SAN=$SAN" "BUILD=$BUILD")
[ -n "${CC:-}" ] && MAKEARGS+=("CC=$CC")
SPEC_DIR=${KILN_SHARED:-../shared}/spec-testsuite
# The suites to run; not passed on (tests/wasi/run.sh has an ONLY of its own).
RUN_ONLY=${ONLY:-}
unset ONLY
LOGS=$BUILD/test-logs
# Under the sanitizers every process start costs ~150 ms, so the suites
# that start one per assertion (invoke, invoke-native) take every THIN-th
# of what they take otherwise, and print-roundtrip every other spec module
# and a THIN-th of the generated ones; the build without sanitizers runs
# them whole.
THIN=1
[ "$SAN" = 1 ] && THIN=4
# kiln run --tier native keeps compiled code in $XDG_CACHE_HOME/kiln: the
# suites use one inside the build directory, not the user's ~/.cache
# (the cache's own tests, tests/cli/cache.sh, use a fresh one of theirs).
mkdir -p "$BUILD"
export XDG_CACHE_HOME=$PWD/$BUILD/xdg-cache

# ---- 1. tools ------------------------------------------------------------
missing=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need_pkg() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$1")
}
need_cmd make make
need_cmd gcc gcc
need_cmd cc build-essential
need_cmd wast2json wabt
need_cmd wat2wasm wabt
need_cmd wasm-interp wabt
need_cmd clang-19 clang-19
need_cmd ld.lld-19 lld-19
need_cmd valgrind valgrind
need_cmd pkg-config pkgconf
need_cmd timeout coreutils
need_cmd curl curl
need_cmd wrk wrk
need_cmd openssl openssl
need_cmd chromium chromium   # the flame graph check of the cli suite
if command -v dpkg-query >/dev/null 2>&1; then
    need_pkg libc6-dev
    need_pkg libcjson-dev
    need_pkg wasi-libc
    need_pkg libclang-rt-19-dev
    need_pkg libclang-rt-19-dev-wasm32
    need_pkg libh2o-evloop-dev
    need_pkg libssl-dev
    need_pkg libcurl4-openssl-dev
fi
if [ ${#missing[@]} -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    echo "tests/run.sh: installing ${missing[*]}"
    SUDO=()
    [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=(sudo)
    if [ "$(id -u)" = 0 ] || [ ${#SUDO[@]} -gt 0 ]; then
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
            echo "tests/run.sh: apt-get update failed"
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" ||
            echo "tests/run.sh: apt-get install failed; the suites that need those will fail"
    else
        echo "tests/run.sh: not root and no sudo: install ${missing[*]} by hand"
    fi
fi

# ---- helpers ---------------------------------------------------------------
mkdir -p "$LOGS"
NAMES=() PASSED=() FAILED=() NOTES=()

record() { # NAME PASSED FAILED [NOTE]
    NAMES+=("$1") PASSED+=("$2") FAILED+=("$3") NOTES+=("${4:-}")
}

# Reads the last "N passed, N failed" line of LOG and records it for NAME;
# RC is the command's exit status (124: timed out).
record_from_log() { # NAME LOG RC
    local name=$1 log=$2 rc=$3 line p f note=""
    line=$(grep -aoE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        p=0 f=1 note="no summary line (exit status $rc)"
    else
        p=${line%% passed*}
        f=${line#*passed, }
        f=${f%% failed*}
        if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
            f=1 note="exit status $rc despite 0 failed"
        fi
    fi
    [ "$rc" = 124 ] && note="timed out; ${note}"
    record "$name" "$p" "$f" "$note"
}

# Runs a suite: NAME SECONDS COMMAND...; output to the terminal and the log.
# A shell function runs as it is (it applies timeouts to what it starts).
suite() {
    local name=$1 secs=$2 rc
    shift 2
    # ONLY="spec-native wasi" runs just those suites (after the build).
    [ -n "$RUN_ONLY" ] && [[ " $RUN_ONLY " != *" $name "* ]] && return 0
    echo "== $name: $*"
    if [ "$(type -t "$1")" = function ]; then
        "$@" 2>&1 | tee "$LOGS/$name.log"
    else
        timeout -k 10 "$secs" "$@" 2>&1 | tee "$LOGS/$name.log"
    fi
    rc=${PIPESTATUS[0]}
    record_from_log "$name" "$LOGS/$name.log" "$rc"
}

# The Makefile's value of a variable (CFLAGS, LDFLAGS, LDLIBS, CC), for the
# test programs this script builds itself.
make_var() {
    make -s --no-print-directory "${MAKEARGS[@]}" \
        --eval 'kiln-print-%: ; @printf "%s\n" "$($*)"' "kiln-print-$1"
}

# ---- 2. build ---------------------------------------------------------------
echo "== build: make -j2 ${MAKEARGS[*]}"
make -j2 "${MAKEARGS[@]}" 2>&1 | tee "$LOGS/build.log"
if [ "${PIPESTATUS[0]}" = 0 ]; then
    record build 1 0
    built=1
else
    record build 0 1 "make failed"
    built=0
fi

TCC=$(make_var CC)
read -r -a TCFLAGS <<<"$(make_var CFLAGS | sed -e 's/-MMD//g' -e 's/-MP//g')"
read -r -a TLDFLAGS <<<"$(make_var LDFLAGS)"
read -r -a TLDLIBS <<<"$(make_var LDLIBS)"
build_prog() { # OUT SOURCES...: compile and link against $BUILD/libkiln.a
    local out=$1                 # (or $LIB when set)
    shift
    mkdir -p "$(dirname "$out")"
    "$TCC" "${TCFLAGS[@]}" -o "$out" "$@" "${LIB:-$BUILD/libkiln.a}" "${TLDFLAGS[@]}" "${TLDLIBS[@]}"
}

# ---- 3. suites --------------------------------------------------------------
# symbols: libkiln.so exports exactly the KILN_API functions of include/*.h,
# and every global symbol of libkiln.a is kiln_* or kn_*
suite symbols 120 bash tests/symbols.sh "$BUILD"

# unit
suite unit 900 bash -c "make -s ${MAKEARGS[*]} $BUILD/unit-tests && $BUILD/unit-tests"

# spec (tests/spec/run.sh prints "spec: N passed, N failed, N skipped")
suite spec 2400 env SPEC_TIER=interp make -s --no-print-directory "${MAKEARGS[@]}" spec
grep -q '^SKIP spec' "$LOGS/spec.log" && NOTES[${#NOTES[@]} - 1]="SKIPPED: no testsuite, see above"

# wat: the text-format parser (src/wat/) against wast2json on every spec
# .wast (module bytes, assert_malformed text cases, script values), and its
# unit tests (tests/wat/)
suite wat 900 bash -c "make -s ${MAKEARGS[*]} $BUILD/wat-spec-check $BUILD/wat-unit && bash tests/wat/run.sh $BUILD"

# lowering: kiln's own .wast scripts for the lowering rewrites and the
# native tier's register slots, through `kiln wast` on each tier (whose
# last line is the total, "total: N passed, N failed")
lowering_run() {
    local p=0 f=0 line tier
    for tier in native interp; do
        line=$(timeout -k 10 300 "$BUILD/kiln" wast --tier "$tier" tests/lowering/*.wast |
            tee /dev/stderr | tail -n 1)
        if [[ $line =~ :\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
            p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2]))
        else
            echo "FAIL kiln wast --tier $tier tests/lowering/*.wast: no summary"
            f=$((f + 1))
        fi
    done
    # and that each rewrite happened: the lowered code itself
    line=$(timeout -k 10 300 bash tests/lowering/check.sh "$BUILD" | tee /dev/stderr | tail -n 1)
    if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2]))
    else
        echo "FAIL tests/lowering/check.sh: no summary"
        f=$((f + 1))
    fi
    echo "lowering: $p passed, $f failed"
    [ $f = 0 ]
}
suite lowering 600 lowering_run

# print-roundtrip: `kiln print` on every spec and fuzz-generator module,
# parsed back with $PARSE (default wat2wasm) and compared with the original
suite print-roundtrip 1800 env GEN_N=$((300 / THIN)) EVERY=$((THIN / 2 > 0 ? THIN / 2 : 1)) \
    bash tests/print/roundtrip.sh "$BUILD"

# cli
suite cli 900 bash tests/cli/run.sh "$BUILD"

# plugin-node: the second opinion on plugins: the same plugins, inputs and
# config through node's @extism/extism and `kiln call`, outputs compared
# byte for byte (SKIP without node/npm/network, a failure under CI)
suite plugin-node 900 bash tests/plugin/node_check.sh "$BUILD"

# wasi: C programs built for wasm32-wasi that check files, directories,
# readdir, seek, stat, links, env, args, clocks, random, poll, stdin, exit
# codes and sockets, on kiln and (where node's WASI follows the docs) on
# node, against hand-written expected output
suite wasi 900 bash tests/wasi/run.sh "$BUILD"
# the same programs with kiln's own path walk instead of openat2 (kiln only)
suite wasi-walk 900 env KILN_WASI_RESOLVE=walk NODE=/nonexistent/node \
    bash tests/wasi/run.sh "$BUILD"

# serve: `kiln serve` end to end over loopback (tests/serve/run.sh: curl
# over HTTP/1.1, h2c and HTTPS+h2, WAGI handlers from tests/serve/handlers,
# reload, drain, limits, admin) and the server layer's unit tests
suite serve 900 bash -c "make -s ${MAKEARGS[*]} $BUILD/serve-unit-tests && bash tests/serve/run.sh $BUILD"

# plugin: the plugin host (src/plugin/, kiln_plugin.h): test plugins built
# from C with our PDK header (tests/plugin/plugins, tests/plugin/pdk) run
# through kiln_plugin_* by the unit and integration tests of
# tests/plugin/test_*.c: every kernel function, sizes up to 64 MiB, errors,
# vars, config, logs, host functions, http, WASI paths, limits, cancel and
# concurrency
suite plugin 900 bash -c "make -s ${MAKEARGS[*]} $BUILD/plugin-unit-tests && bash tests/plugin/run.sh $BUILD"

# sandbox: every escape trick (.., absolute paths, symlinks, hard links,
# renames across preopens, /proc/self) and every mutation of a read-only
# grant, in both path resolvers, with the host files outside checked
# afterwards; and modules that call the imports directly with hostile
# pointers, lengths, fds and enum values
suite sandbox 900 bash tests/wasi/sandbox.sh "$BUILD"

# invoke: `kiln run --invoke` against the spec's own assertions, through the
# command line (parsing arguments, printing results), scalars and v128 (in
# decimal and hex, with NaN lane patterns); only every Nth assertion of the
# large float scripts keeps process start-ups bounded (the simd scripts add
# about 1900 processes, ~25 s on 2 busy cores)
# invoke_json NAME: the spec script NAME converted by wast2json (again only
# when the .wast is newer), for invoke-check
invoke_json() {
    local json=$BUILD/invoke/$1/$1.json
    if [ ! -f "$json" ] || [ "$SPEC_DIR/core/$1.wast" -nt "$json" ]; then
        mkdir -p "$BUILD/invoke/$1"
        wast2json "$SPEC_DIR/core/$1.wast" -o "$json" >&2 || rm -f "$json"
    fi
    echo "$json"
}
invoke_run() {
    local p=0 f=0 name every line json
    if [ ! -d "$SPEC_DIR/core" ] && { [ -z "${CI:-}" ] || [ "${CI:-}" = false ]; }; then
        echo "SKIP invoke: no testsuite at $SPEC_DIR (see the spec suite)"
        echo "invoke: 0 passed, 0 failed"
        return 0
    fi
    make -s --no-print-directory "${MAKEARGS[@]}" "$BUILD/invoke-check" || {
        echo "invoke: 0 passed, 1 failed (build failed)"
        return 1
    }
    for name in i32 i64 f32 f64 conversions float_misc int_exprs \
        simd_i32x4_arith simd_i8x16_sat_arith simd_lane simd_splat simd_conversions \
        simd_f32x4_arith simd_f64x2; do
        every=1
        case $name in
        f32 | f64 | simd_f32x4_arith) every=4 ;;
        simd_f64x2) every=2 ;;
        esac
        json=$(invoke_json "$name")
        line=$(KILN_INVOKE_TIER=interp timeout -k 10 300 "$BUILD/invoke-check" "$BUILD/kiln" \
            "$json" $((every * THIN)) | tee /dev/stderr | tail -n 1)
        if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
            p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2]))
        else
            echo "FAIL invoke $name: no summary"
            f=$((f + 1))
        fi
    done
    echo "invoke: $p passed, $f failed"
    [ $f = 0 ]
}
suite invoke 900 invoke_run
# invoke-native: the same through `kiln run --tier native` (the scalar
# scripts, which the native tier compiles whole, and one SIMD script,
# which it leaves interpreted)
invoke_native_run() {
    local p=0 f=0 name every line
    if [ ! -d "$SPEC_DIR/core" ] && { [ -z "${CI:-}" ] || [ "${CI:-}" = false ]; }; then
        echo "SKIP invoke-native: no testsuite at $SPEC_DIR (see the spec suite)"
        echo "invoke-native: 0 passed, 0 failed"
        return 0
    fi
    # Built here too: ONLY="invoke-native" runs without the invoke suite.
    make -s --no-print-directory "${MAKEARGS[@]}" "$BUILD/invoke-check" || {
        echo "invoke-native: 0 passed, 1 failed (build failed)"
        return 1
    }
    for name in i32 i64 f32 f64 int_exprs conversions float_misc simd_lane; do
        every=1
        case $name in f32 | f64) every=4 ;; esac
        line=$(KILN_INVOKE_TIER=native timeout -k 10 300 "$BUILD/invoke-check" "$BUILD/kiln" \
            "$(invoke_json "$name")" $((every * THIN)) | tee /dev/stderr | tail -n 1)
        if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
            p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2]))
        else
            echo "FAIL invoke-native $name: no summary"
            f=$((f + 1))
        fi
    done
    echo "invoke-native: $p passed, $f failed"
    [ $f = 0 ]
}
suite invoke-native 900 invoke_native_run

# regress: every fuzz reproducer, tests/regress/*.wasm and the fuzz corpus,
# through the fuzz target's own code path (tests/fuzz/fuzz.c)
regress_run() {
    build_prog "$BUILD/regress" tests/regress/regress.c tests/fuzz/fuzz.c || {
        echo "regress: 0 passed, 1 failed (build failed)"
        return 1
    }
    shopt -s nullglob
    local extra=(tests/regress/*.wasm)
    shopt -u nullglob
    timeout -k 10 900 "$BUILD/regress" tests/fuzz/regress tests/fuzz/corpus "${extra[@]}"
}
suite regress 900 regress_run

# toml: the TOML parser (src/toml/) against toml-test (../shared/toml-test),
# every valid file compared with its JSON and every invalid one rejected,
# plus the API's unit tests (tests/toml/run.sh)
suite toml 900 env SAN="$SAN" CC="$TCC" bash tests/toml/run.sh "$BUILD"

# count_alike SUITE SIMD A B WHAT: the lines of gen-diff output B that
# repeat A's line for line count as passed (in the caller's p), the others,
# and a B of another length, as failed (f); the first differences are shown
count_alike() {
    local total same
    total=$(wc -l <"$3")
    same=$(paste -d '\n' "$3" "$4" |
        awk 'NR % 2 { a = $0; next } a == $0 { n++ } END { print n + 0 }')
    if ! cmp -s "$3" "$4"; then
        echo "FAIL $1 (KILN_FUZZ_GEN_SIMD=$2): $5:"
        diff "$3" "$4" | head -n 10
    fi
    p=$((p + same)) f=$((f + total - same))
    [ "$(wc -l <"$4")" = "$total" ] || f=$((f + 1))
}

# simd-diff: the default library (vector SIMD, computed goto) against the
# portable one (SIMD=scalar, switch dispatch, SSE2-only native code, in
# $BUILD-portable) on modules
# from the fuzz generator (tests/fuzz/fuzz_gen.c built as kiln-gen-diff):
# every call's results and traps, and the exported memories and globals
# afterwards, must be identical, bit for bit apart from NaN payloads (which
# the spec leaves open)
simd_diff_run() {
    local alt=$BUILD-portable src=(-DKILN_GEN_DIFF -Itests/fuzz tests/fuzz/fuzz_gen.c tests/fuzz/wasmgen.c)
    if ! make -s --no-print-directory "SAN=$SAN" "BUILD=$alt" SIMD=scalar \
        OPT="-O2 -DKN_NO_COMPUTED_GOTO -DKN_JIT_SSE2_ONLY" "$alt/libkiln.a" ||
        ! build_prog "$BUILD/gen-diff" "${src[@]}" ||
        ! LIB=$alt/libkiln.a build_prog "$alt/gen-diff" "${src[@]}"; then
        echo "simd-diff: 0 passed, 1 failed (build failed)"
        return 1
    fi
    local p=0 f=0 mode n
    for mode in 1:3000 0:1000; do   # SIMD modules, then scalar-only ones
        n=${mode#*:}
        KILN_FUZZ_GEN_SIMD=${mode%%:*} "$BUILD/gen-diff" "$n" 7 >"$LOGS/gen-diff.a" &&
            KILN_FUZZ_GEN_SIMD=${mode%%:*} "$alt/gen-diff" "$n" 7 >"$LOGS/gen-diff.b" || {
            echo "FAIL simd-diff: gen-diff exited with an error"
            f=$((f + 1))
            continue
        }
        count_alike simd-diff "${mode%%:*}" "$LOGS/gen-diff.a" "$LOGS/gen-diff.b" \
            "the builds disagree"
    done
    echo "simd-diff: $p passed, $f failed"
    [ $f = 0 ]
}
suite simd-diff 900 simd_diff_run

# native-diff: the native tier (src/jit/) against the interpreter on the
# same generated modules (kiln-gen-diff with KILN_GEN_TIER=native, SIMD and
# scalar-only): every call's results, traps (code and kind, out of fuel
# included) and the memories and globals left behind must be identical;
# every function gets native code (the SIMD ones call helpers generated
# from opcodes.def).  Then the SIMD modules again in the portable build
# (SIMD=scalar, as simd-diff builds it), whose SIMD helpers are the lane
# loops and whose native tier uses no CPU feature past SSE2
# (-DKN_JIT_SSE2_ONLY: the helpers stand in for the SSE4.1 templates): its
# native tier against its interpreter
native_diff_run() {
    local alt=$BUILD-portable src=(-DKILN_GEN_DIFF -Itests/fuzz tests/fuzz/fuzz_gen.c tests/fuzz/wasmgen.c)
    if ! build_prog "$BUILD/gen-diff" "${src[@]}" ||
        ! make -s --no-print-directory "SAN=$SAN" "BUILD=$alt" SIMD=scalar \
            OPT="-O2 -DKN_NO_COMPUTED_GOTO -DKN_JIT_SSE2_ONLY" "$alt/libkiln.a" ||
        ! LIB=$alt/libkiln.a build_prog "$alt/gen-diff" "${src[@]}"; then
        echo "native-diff: 0 passed, 1 failed (build failed)"
        return 1
    fi
    local p=0 f=0 mode n seed gen
    for mode in 1:2000:7:$BUILD 0:2000:11:$BUILD 1:1000:7:$alt; do
        IFS=: read -r simd n seed gen <<<"$mode"
        KILN_FUZZ_GEN_SIMD=$simd "$gen/gen-diff" "$n" "$seed" >"$LOGS/native-diff.a" &&
            KILN_GEN_TIER=native KILN_FUZZ_GEN_SIMD=$simd "$gen/gen-diff" "$n" "$seed" \
                >"$LOGS/native-diff.b" || {
            echo "FAIL native-diff: gen-diff exited with an error"
            f=$((f + 1))
            continue
        }
        count_alike native-diff "$simd${gen#"$BUILD"}" "$LOGS/native-diff.a" "$LOGS/native-diff.b" \
            "the tiers disagree"
    done
    echo "native-diff: $p passed, $f failed"
    [ $f = 0 ]
}
suite native-diff 900 native_diff_run

# spec-native: the whole spec testsuite again, on the native tier (each
# PASS line says how many functions got native code)
suite spec-native 2400 env SPEC_TIER=native make -s --no-print-directory "${MAKEARGS[@]}" spec

# installed_run: sets ip and if_ (passed, failed) for `make install` and
# building and running examples/embed.c from the installed files only
installed_run() {
    ip=0 if_=0
    local prefix=$PWD/$BUILD/examples/prefix dir=$BUILD/examples out how
    local cflags=() pcflags=() libs=() extra=() x
    for x in "${TCFLAGS[@]}"; do [ "$x" = -Iinclude ] || cflags+=("$x"); done
    rm -rf "$prefix"
    if ! make -s --no-print-directory "${MAKEARGS[@]}" install PREFIX="$prefix" \
        >"$LOGS/install.log" 2>&1; then
        echo "FAIL make install PREFIX=$prefix:"
        tail -n 20 "$LOGS/install.log"
        if_=1
        return
    fi
    export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
    read -r -a pcflags <<<"$(pkg-config --cflags kiln)"
    read -r -a libs <<<"$(pkg-config --libs kiln)"
    # what a static link needs besides libkiln.a itself (Libs.private)
    for x in $(pkg-config --static --libs kiln); do
        [[ " ${libs[*]} " == *" $x "* ]] || extra+=("$x")
    done
    if [ -x "$prefix/bin/kiln" ] && [ -f "$prefix/include/kiln.h" ] &&
        [ "$(readlink "$prefix/lib/libkiln.so")" = "libkiln.so.0" ] &&
        [ -f "$prefix/include/kiln_plugin.h" ] && [ -f "$prefix/lib/libkiln-plugin.a" ] &&
        [ "$(readlink "$prefix/lib/libkiln-plugin.so")" = "libkiln-plugin.so.0" ] &&
        [ "$(pkg-config --libs kiln-plugin | xargs)" = "-L$prefix/lib -lkiln-plugin -lkiln" ] &&
        [ "$("$prefix/bin/kiln" run --invoke fib examples/fib.wasm 20)" = 6765 ] &&
        [[ " ${extra[*]} " == *" -lm "* ]]; then
        ip=$((ip + 1))
    else
        echo "FAIL make install: missing or broken files in $prefix (pkg-config --static adds: ${extra[*]})"
        if_=$((if_ + 1))
    fi
    for how in static dynamic; do
        local exe=$dir/embed-$how link=("${libs[@]}")
        [ $how = static ] && link=(-Wl,-Bstatic "${libs[@]}" -Wl,-Bdynamic "${extra[@]}")
        if "$TCC" "${cflags[@]}" "${pcflags[@]}" -o "$exe" examples/embed.c "${link[@]}" \
            "${TLDFLAGS[@]}" && out=$(LD_LIBRARY_PATH=$prefix/lib timeout -k 10 60 "$exe") &&
            grep -q '^sum_squares(10) = 385 (host called 11 times)$' <<<"$out" &&
            if [ $how = static ]; then ! readelf -d "$exe" | grep -q 'NEEDED.*libkiln'
            else readelf -d "$exe" | grep -q 'NEEDED.*\[libkiln\.so\.0\]' &&
                LD_LIBRARY_PATH=$prefix/lib ldd "$exe" | grep -qF "$prefix/lib/libkiln.so.0"
            fi; then
            echo "ok   examples/embed.c linked $how against the installed kiln"
            ip=$((ip + 1))
        else
            echo "FAIL examples/embed.c linked $how against the installed kiln (pkg-config)"
            if_=$((if_ + 1))
        fi
    done
}

# examples: examples/embed.c builds and prints what it promises, and the
# README's embedding snippets are verbatim excerpts of the examples; the
# README's `kiln serve` and `kiln call` examples run as shown, and
# examples/embed_plugin.c, built against the installed kiln-plugin.pc,
# prints what the README shows
examples_run() {
    local p=0 f=0 out line
    if build_prog "$BUILD/examples/embed" examples/embed.c &&
        out=$(timeout -k 10 60 "$BUILD/examples/embed") && echo "$out" &&
        grep -q '^sum_squares(10) = 385 (host called 11 times)$' <<<"$out" &&
        grep -q '^sum_squares(1000000000): stopped: out of fuel$' <<<"$out"; then
        p=$((p + 1))
    else
        echo "FAIL examples/embed.c"
        f=$((f + 1))
    fi
    # make install into a fresh PREFIX; examples/embed.c built against what
    # was installed (and nothing from the tree) with pkg-config, statically
    # and against libkiln.so, runs the same
    installed_run
    p=$((p + ip)) f=$((f + if_))
    # examples/embed_wasi.c runs examples/wc.wasm with examples/ granted as
    # /data and captures what it prints
    if build_prog "$BUILD/examples/embed_wasi" examples/embed_wasi.c &&
        out=$(timeout -k 10 60 "$BUILD/examples/embed_wasi" examples/wc.wasm examples \
            /data/fib.wat /data/../README.md 2>&1) && echo "$out" &&
        grep -q '^ *18 *101 *702 /data/fib.wat$' <<<"$out" &&
        grep -q '^wc: /data/../README.md: Capabilities insufficient$' <<<"$out" &&
        grep -q '^and exited with 1$' <<<"$out"; then
        p=$((p + 1))
    else
        echo "FAIL examples/embed_wasi.c"
        f=$((f + 1))
    fi
    # the README's snippets are verbatim excerpts of the examples
    local bad ex
    for ex in embed.c embed_wasi.c embed_plugin.c; do
        bad=0
        while IFS= read -r line; do
            case "$line" in "" | *"..."*) continue ;; esac
            grep -qxF -- "$line" "examples/$ex" || { echo "README line not in examples/$ex: $line"; bad=1; }
        done < <(awk -v m="<!-- $ex -->" '$0 == m {on=1; next} on && /^```c/{code=1; next}
                      code && /^```/{exit} code' README.md)
        if [ $bad = 0 ] && grep -qF "<!-- $ex -->" README.md; then
            p=$((p + 1))
        else
            echo "FAIL README.md snippet differs from examples/$ex"
            f=$((f + 1))
        fi
    done
    # examples/wc.wasm (the README's quick start), as committed and rebuilt
    # from examples/wc.c, prints what wc.c built natively prints, and is
    # refused a file outside its grant
    local wdir=$BUILD/examples/wc want got
    mkdir -p "$wdir"
    if clang-19 -O2 -o "$wdir/wc.native" examples/wc.c &&
        clang-19 --target=wasm32-wasi -O2 -o "$wdir/wc.wasm" examples/wc.c; then
        want=$(cd examples && ../"$wdir/wc.native" wc.c fib.wat | sed 's|\([^ ]*\)$|/ex/\1|; s|/ex/total$|total|')
        for w in examples/wc.wasm "$wdir/wc.wasm"; do
            got=$(timeout -k 10 60 "$BUILD/kiln" run --dir-ro examples::/ex "$w" /ex/wc.c /ex/fib.wat)
            if [ "$got" = "$want" ]; then
                p=$((p + 1))
            else
                echo "FAIL $w: got"$'\n'"$got"$'\n'"expected"$'\n'"$want"
                f=$((f + 1))
            fi
        done
        got=$(timeout -k 10 60 "$BUILD/kiln" run --dir-ro examples::/ex examples/wc.wasm /ex/../README.md 2>&1)
        if [ $? = 1 ] && [[ $got == *"Capabilities insufficient"* ]]; then
            p=$((p + 1))
        else
            echo "FAIL examples/wc.wasm read outside its grant: $got"
            f=$((f + 1))
        fi
    else
        echo "FAIL examples/wc.c does not build"
        f=$((f + 1))
    fi
    # the README's `kiln serve` example (examples/serve/), its commands run
    # as shown and their output compared (tests/serve/example.sh)
    line=$(timeout -k 10 120 bash tests/serve/example.sh "$BUILD" | tee /dev/stderr | tail -n 1)
    if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2]))
    else
        echo "FAIL tests/serve/example.sh: no summary"
        f=$((f + 1))
    fi
    # the README's plugin section (examples/plugin/, examples/embed_plugin.c
    # built with the README's pkg-config line against the PREFIX that
    # installed_run filled, with this build's compiler and flags), its
    # commands run as shown (tests/plugin/example.sh)
    local cflags=() x
    for x in "${TCFLAGS[@]}"; do [ "$x" = -Iinclude ] || cflags+=("$x"); done
    line=$(CC_EMBED="$TCC ${cflags[*]} ${TLDFLAGS[*]}" timeout -k 10 300 bash \
        tests/plugin/example.sh "$BUILD" "$PWD/$BUILD/examples/prefix" | tee /dev/stderr | tail -n 1)
    if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2]))
    else
        echo "FAIL tests/plugin/example.sh: no summary"
        f=$((f + 1))
    fi
    echo "examples: $p passed, $f failed"
    [ $f = 0 ]
}
suite examples 300 examples_run

# oom: every allocation of the engine and of WASI refused in turn, through
# the allocator hook, during module building (examples/wc.wasm and
# tests/oom/files.wat), instantiation, a WASI run that writes, reads and
# lists files (both path resolvers) and a run of wc.wasm; each must end in
# KILN_ERR_NOMEM (or errno nomem in the guest), leak nothing, and leave the
# engine working (tests/oom/oom.c)
oom_run() {
    mkdir -p "$BUILD/oom"
    if ! wat2wasm tests/oom/files.wat -o "$BUILD/oom/files.wasm" ||
        ! build_prog "$BUILD/oom-test" tests/oom/oom.c; then
        echo "oom: 0 passed, 1 failed (build failed)"
        return 1
    fi
    timeout -k 10 600 "$BUILD/oom-test" examples/wc.wasm "$BUILD/oom/files.wasm" examples
}
suite oom 900 oom_run

# leak: valgrind, in the build without sanitizers (with SAN=1, LeakSanitizer
# has already checked every suite above)
leak_run() {
    local p=0 f=0 rc name
    # shellcheck disable=SC2054
    local VG=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
        --show-leak-kinds=definite,indirect --error-exitcode=99)
    local dir=$BUILD/leak
    mkdir -p "$dir"
    local runs=()
    runs+=("unit-tests|$BUILD/unit-tests")
    if [ -d "$SPEC_DIR/core" ]; then
        runs+=("kiln wast i32.wast linking.wast|$BUILD/kiln wast $SPEC_DIR/core/i32.wast $SPEC_DIR/core/linking.wast")
    else
        echo "SKIP kiln wast under valgrind: no testsuite at $SPEC_DIR"
    fi
    runs+=("fuzz corpus|$BUILD/regress --no-fork tests/fuzz/corpus")
    runs+=("examples/embed.c|$BUILD/examples/embed")
    runs+=("examples/embed_wasi.c|$BUILD/examples/embed_wasi examples/wc.wasm examples /data/fib.wat")
    runs+=("oom|$BUILD/oom-test examples/wc.wasm $BUILD/oom/files.wasm examples")
    runs+=("kiln run examples/wc.wasm|$BUILD/kiln run --dir-ro examples::/ex examples/wc.wasm /ex/wc.c")
    runs+=("kiln call examples/plugin/manifest.json|$BUILD/kiln call examples/plugin/manifest.json count_vowels --input hello --loop 3 --log-level info")
    local r
    for r in "${runs[@]}"; do
        name=${r%%|*}
        set -- ${r#*|}
        if [ ! -x "$1" ]; then
            echo "FAIL $name: $1 was not built"
            f=$((f + 1))
            continue
        fi
        # shellcheck disable=SC2086
        timeout -k 10 900 "${VG[@]}" ${r#*|} >"$dir/out.txt" 2>&1
        rc=$?
        if [ $rc = 99 ] || [ $rc = 124 ] || [ $rc -ge 128 ]; then
            echo "FAIL $name under valgrind (exit status $rc):"
            grep -E '^==[0-9]+==' "$dir/out.txt" | head -n 60
            f=$((f + 1))
        else
            echo "ok   $name"
            p=$((p + 1))
        fi
    done
    echo "leak: $p passed, $f failed"
    [ $f = 0 ]
}
if [ "$SAN" != 1 ]; then
    if command -v valgrind >/dev/null 2>&1; then
        suite leak 1800 leak_run
    else
        record leak 0 1 "valgrind is not installed"
    fi
fi

# ---- 4. summary -------------------------------------------------------------
total_p=0 total_f=0
echo
echo "== summary ($BUILD)"
for i in "${!NAMES[@]}"; do
    printf '%-9s %s passed, %s failed%s\n' "${NAMES[$i]}:" "${PASSED[$i]}" "${FAILED[$i]}" \
        "${NOTES[$i]:+  (${NOTES[$i]})}"
    total_p=$((total_p + PASSED[i]))
    total_f=$((total_f + FAILED[i]))
done
[ "$built" = 1 ] || echo "(the build failed: see $LOGS/build.log)"
echo "$total_p passed, $total_f failed"
[ "$total_f" = 0 ]

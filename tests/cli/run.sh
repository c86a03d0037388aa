#!/usr/bin/env bash
# tests/cli/run.sh — end-to-end tests of the kiln command line.
#
# Usage: tests/cli/run.sh [BUILD_DIR]     (default: build)
#
# Builds small test modules from the WAT text below with wat2wasm (wabt)
# into BUILD_DIR/cli-tests/, runs BUILD_DIR/kiln on them, and checks exit
# codes, stdout and stderr.  Ends with "cli: N passed, N failed" and exits
# non-zero if anything failed.  Runs the same under a sanitizer build
# (BUILD_DIR=build-san), where LeakSanitizer also checks that every path
# frees what it allocates: a leak makes kiln exit non-zero, so the exit
# code checks catch it.
#
# The exit codes being tested (the contract of the kiln command):
#   0  success
#   1  the module could not be read, decoded, validated or linked
#      (e.g. a missing import)
#   2  usage error: unknown command/option, bad option value, wrong number
#      or form of --invoke arguments, unknown export, nothing to run
#   134  the guest trapped or reached a limit (fuel, timeout, interrupt,
#      memory or table cap), as wasmtime (128 + SIGABRT); stderr has
#      "kiln: trap: MSG" or "kiln: limit reached: MSG" and a backtrace,
#      innermost frame first
#   N  a guest that calls proc_exit(N) exits with N (needs WASI; untested)

set -u
BUILD=${1:-build}
KILN=$BUILD/kiln
WORK=$BUILD/cli-tests
mkdir -p "$WORK"

if [ ! -x "$KILN" ]; then
    echo "cli: $KILN not found (run make first)"
    echo "cli: 0 passed, 1 failed"
    exit 1
fi
if ! command -v wat2wasm >/dev/null; then
    echo "cli: wat2wasm not found (apt-get install wabt)"
    echo "cli: 0 passed, 1 failed"
    exit 1
fi

passed=0
failed=0
name=""
ok=1
out=""
err=""
code=0

# --- the tiny assertion language ------------------------------------------
# begin NAME; run CMD...; then any of: code_is N, out_is TEXT, out_has TEXT,
# err_has TEXT, err_lacks TEXT; then end.  A test passes if all its checks do.

begin() { name=$1; ok=1; }
fail() {
    if [ $ok = 1 ]; then
        echo "FAIL: $name"
    fi
    echo "      $*"
    ok=0
}
run() {
    "$@" >"$WORK/out" 2>"$WORK/err"
    code=$?
    out=$(cat "$WORK/out")
    err=$(cat "$WORK/err")
}
code_is() { [ "$code" = "$1" ] || fail "exit code $code, expected $1 (stderr: $(head -c 300 "$WORK/err"))"; }
out_is() { [ "$out" = "$1" ] || fail "stdout '$out', expected '$1'"; }
out_has() { grep -qF -- "$1" "$WORK/out" || fail "stdout lacks '$1': $(head -c 300 "$WORK/out")"; }
err_has() { grep -qF -- "$1" "$WORK/err" || fail "stderr lacks '$1': $(head -c 300 "$WORK/err")"; }
err_lacks() { ! grep -qF -- "$1" "$WORK/err" || fail "stderr has '$1'"; }
err_lines() { local n; n=$(wc -l <"$WORK/err"); [ "$n" = "$1" ] || fail "stderr has $n lines, expected $1"; }
end() {
    if [ $ok = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

# wat NAME [wat2wasm flags] <<EOF ... EOF: build $WORK/NAME.wasm from stdin.
wat() {
    local n=$1
    shift
    cat >"$WORK/$n.wat"
    if ! wat2wasm --debug-names "$@" "$WORK/$n.wat" -o "$WORK/$n.wasm" 2>"$WORK/wat2wasm.err"; then
        echo "cli: wat2wasm failed on $n.wat:"
        cat "$WORK/wat2wasm.err"
        failed=$((failed + 1))
    fi
}

# --- test modules -----------------------------------------------------------

wat values <<'EOF'
(module
  (func (export "add_i32") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add_i64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "id_i32") (param i32) (result i32) (local.get 0))
  (func (export "id_i64") (param i64) (result i64) (local.get 0))
  (func (export "id_f32") (param f32) (result f32) (local.get 0))
  (func (export "id_f64") (param f64) (result f64) (local.get 0))
  (func (export "div_f64") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export "div_f32") (param f32 f32) (result f32) (f32.div (local.get 0) (local.get 1)))
  (func (export "id_v128") (param v128) (result v128) (local.get 0))
  (func (export "null_func") (result funcref) (ref.null func))
  (func (export "null_extern") (result externref) (ref.null extern))
  (func (export "multi") (result i32 i64 f32 f64)
    (i32.const -7) (i64.const 0x7fffffffffffffff) (f32.const 1.5) (f64.const -0.25))
  (func (export "nothing"))
)
EOF

# v128 values on the command line: one unsigned 128-bit number whose
# little-endian bytes are the lanes (lane 0 in the low bits).
wat simd <<'EOF'
(module
  (func (export "add_i32x4") (param v128 v128) (result v128)
    (i32x4.add (local.get 0) (local.get 1)))
  (func (export "lane1_i32x4") (param v128) (result i32)
    (i32x4.extract_lane 1 (local.get 0)))
  (func (export "splat_f32") (param f32) (result v128) (f32x4.splat (local.get 0)))
)
EOF

wat traps <<'EOF'
(module $traps
  (func $inner (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then unreachable))
    (local.get 0))
  (func $middle (export "boom") (result i32) (call $inner (i32.const 0)))
  (func $div (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func $spin (export "spin") (loop $l (br $l)))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (memory 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)
EOF

wat command <<'EOF'
(module
  (global $g (mut i32) (i32.const 0))
  (func (export "_start") (global.set $g (i32.const 1)))
  (func (export "get") (result i32) (global.get $g))
)
EOF

wat command_trap <<'EOF'
(module
  (func $main (export "_start") unreachable)
)
EOF

wat reactor <<'EOF'
(module
  (global $g (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $g (i32.const 42)))
  (func (export "get") (result i32) (global.get $g))
)
EOF

wat library <<'EOF'
(module
  (func (export "f") (result i32) (i32.const 1))
)
EOF

wat start_trap <<'EOF'
(module
  (func $init unreachable)
  (start $init)
)
EOF

wat imports <<'EOF'
(module
  (import "env" "host_print" (func $p (param i32)))
  (func (export "_start") (call $p (i32.const 1)))
)
EOF

# WASI from .wat: sleep for an hour (one clock subscription, relative), or
# block reading stdin, then exit 7
wat wasi_sleep <<'EOF'
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    ;; subscription at 0: userdata 0, tag clock (0), id monotonic, timeout 3600 s
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 3600000000000))
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
    (call $exit (i32.const 7)))
)
EOF

# WASI from .wat: accept one connection on fd 3, write "accepted" and exit
# 0, or exit with sock_accept's errno
wat wasi_accept <<'EOF'
(module
  (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "accepted\n")
  (func (export "_start")
    (local $e i32)
    (local.set $e (call $accept (i32.const 3) (i32.const 0) (i32.const 0)))
    (if (local.get $e) (then (call $exit (local.get $e))))
    ;; iovec at 16: buf 32, len 9
    (i32.store (i32.const 16) (i32.const 32))
    (i32.store (i32.const 20) (i32.const 9))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
    (call $exit (i32.const 0)))
)
EOF

wat wasi_read <<'EOF'
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 32)))
    (call $exit (i32.const 7)))
)
EOF

# WASI: set O_NONBLOCK on stdin (fdflags 4), then exit 0
wat wasi_nonblock <<'EOF'
(module
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $set (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (if (call $set (i32.const 0) (i32.const 4)) (then unreachable)))
)
EOF

wat rich <<'EOF'
(module $rich
  (type $t0 (func (param i32) (result i32)))
  (import "env" "ext" (func $ext (type $t0)))
  (import "env" "mem" (memory 1 4))
  (table $tab 4 8 funcref)
  (global $gp (mut i32) (i32.const 1024))
  (global $pi f64 (f64.const 3.25))
  (func $double (export "double") (type $t0) (i32.mul (local.get 0) (i32.const 2)))
  (func $start_here (global.set $gp (i32.const 2048)))
  (start $start_here)
  (export "table" (table $tab))
  (export "gp" (global $gp))
  (elem (i32.const 1) $double $ext)
  (data (i32.const 1024) "hello")
  (data "passive\00bytes")
)
EOF

# Segments and initialisers in every form the binary format has: element
# items as expressions, declarative and passive segments, global.get
# offsets, a datacount section, NaN payloads and reference globals.
wat exotic <<'EOF'
(module
  (import "env" "base" (global $base i32))
  (import "env" "t" (table 1 externref))
  (table $t2 10 funcref)
  (global $n f32 (f32.const nan))
  (global $nn f64 (f64.const -nan:0x1))
  (global $m f32 (f32.const 0.1))
  (global $r funcref (ref.func $f))
  (global $e externref (ref.null extern))
  (memory 1 2)
  (func $f)
  (func $g (data.drop 1))
  (elem (table $t2) (global.get $base) funcref (ref.func $f) (ref.null func) (ref.func $g))
  (elem declare func $g)
  (elem funcref (item ref.func $f))
  (data (global.get $base) "\de\ad")
  (data "x")
)
EOF

wat bigmem <<'EOF'
(module
  (memory 4)
  (table 100 funcref)
  (func (export "pages") (result i32) (memory.size)))
EOF

# A module that wat2wasm accepts but kiln's validator must reject: the
# function returns an i64 where its type says i32.
wat invalid --no-check <<'EOF'
(module (func (result i32) (i64.const 1)))
EOF

# Not a module at all, and a module cut off in the middle of a section.
printf 'not wasm' >"$WORK/garbage.wasm"
head -c 20 "$WORK/values.wasm" >"$WORK/truncated.wasm"

# --- top level ---------------------------------------------------------------

begin "version"
run "$KILN" --version
code_is 0; out_is "kiln 0.1.0"
end

# Start-up: libcurl (and the ~25 shared objects it pulls in) is dlopen'd by
# the plugin host's first http_request, never mapped by a plain run.
begin "start-up: kiln does not link libcurl"
run ldd "$KILN"
code_is 0; out_has "libc.so"
grep -q "libcurl" "$WORK/out" && fail "build/kiln links libcurl: every start-up pays for it"
end

# ... nor OpenSSL and h2o: the server is kiln-serve, which `kiln serve` runs
# in kiln's place, and the plugin host loads libcrypto for its first digest.
begin "start-up: kiln does not link h2o or OpenSSL; kiln-serve does"
run ldd "$KILN"
code_is 0
grep -qE "libh2o|libssl|libcrypto" "$WORK/out" && fail "kiln links $(grep -oE "libh2o[^ ]*|libssl[^ ]*|libcrypto[^ ]*" "$WORK/out" | tr '\n' ' ')"
run ldd "$(dirname "$KILN")/kiln-serve"
code_is 0; out_has "libh2o"; out_has "libssl"
end

begin "kiln serve without kiln-serve beside it says where it looked"
mkdir -p "$WORK/alone" && cp "$KILN" "$WORK/alone/kiln"
run "$WORK/alone/kiln" serve --listen 127.0.0.1:0 app.wasm
code_is 1; err_has "kiln serve: cannot run $(cd "$WORK/alone" && pwd)/kiln-serve"; err_has "beside kiln"
run "$WORK/alone/kiln" help serve
code_is 0; out_has "Usage: kiln serve"
end

begin "help"
run "$KILN" help
code_is 0; out_has "Usage: kiln"; out_has "run"; out_has "validate"; out_has "inspect"
out_has "Exit codes"
end

begin "-h"
run "$KILN" -h
code_is 0; out_has "Usage: kiln"
end

begin "help run"
run "$KILN" help run
code_is 0; out_has "kiln run [OPTIONS] FILE"; out_has "--invoke"; out_has "--fuel"
out_has "nan:0x"; out_has "Exit codes"
end

begin "run --help"
run "$KILN" run --help
code_is 0; out_has "--timeout"
end

begin "help validate / inspect"
run "$KILN" help validate
code_is 0; out_has "kiln validate"
run "$KILN" inspect -h
code_is 0; out_has "kiln inspect"
end

begin "no arguments: usage on stderr, exit 2"
run "$KILN"
code_is 2; err_has "Usage: kiln"
end

begin "unknown command"
run "$KILN" frobnicate
code_is 2; err_has "unknown command 'frobnicate'"; err_has "kiln help"; err_lines 2
end

begin "unknown top-level option"
run "$KILN" --frob
code_is 2; err_has "unknown option '--frob'"
end

begin "help for an unknown command"
run "$KILN" help frobnicate
code_is 2; err_has "frobnicate"
end

begin "run: unknown option"
run "$KILN" run --bogus "$WORK/values.wasm"
code_is 2; err_has "unknown option '--bogus'"; err_has "kiln help run"
end

begin "run: missing FILE"
run "$KILN" run --invoke f
code_is 2; err_has "missing FILE"
end

begin "run: option missing its value"
run "$KILN" run --fuel
code_is 2; err_has "--fuel needs a value"
end

begin "run: bad option values"
run "$KILN" run --fuel abc "$WORK/values.wasm"
code_is 2; err_has "--fuel"
run "$KILN" run --fuel 0 "$WORK/values.wasm"
code_is 2
run "$KILN" run --timeout 5x "$WORK/values.wasm"
code_is 2; err_has "--timeout"
run "$KILN" run --max-memory 12Q "$WORK/values.wasm"
code_is 2; err_has "--max-memory"
run "$KILN" run --max-depth -1 "$WORK/values.wasm"
code_is 2
end

begin "run: missing file"
run "$KILN" run "$WORK/does-not-exist.wasm"
code_is 1; err_has "does-not-exist.wasm: No such file"
end

# --- --invoke: integers -------------------------------------------------------

begin "invoke i32"
run "$KILN" run --invoke add_i32 "$WORK/values.wasm" 2 40
code_is 0; out_is "42"
end

begin "invoke i32 negative and wrapping"
run "$KILN" run --invoke add_i32 "$WORK/values.wasm" -5 3
code_is 0; out_is "-2"
run "$KILN" run --invoke id_i32 "$WORK/values.wasm" 4294967295
code_is 0; out_is "-1"
run "$KILN" run --invoke id_i32 "$WORK/values.wasm" 0x80000000
code_is 0; out_is "-2147483648"
run "$KILN" run --invoke id_i32 "$WORK/values.wasm" -2147483648
code_is 0; out_is "-2147483648"
run "$KILN" run --invoke id_i32 "$WORK/values.wasm" 0xff
code_is 0; out_is "255"
end

begin "invoke i32 out of range"
run "$KILN" run --invoke id_i32 "$WORK/values.wasm" 4294967296
code_is 2; err_has "not a valid i32"
run "$KILN" run --invoke id_i32 "$WORK/values.wasm" -2147483649
code_is 2
end

begin "invoke i64"
run "$KILN" run --invoke add_i64 "$WORK/values.wasm" 9223372036854775807 1
code_is 0; out_is "-9223372036854775808"
run "$KILN" run --invoke id_i64 "$WORK/values.wasm" 18446744073709551615
code_is 0; out_is "-1"
run "$KILN" run --invoke id_i64 "$WORK/values.wasm" -9223372036854775808
code_is 0; out_is "-9223372036854775808"
run "$KILN" run --invoke id_i64 "$WORK/values.wasm" 18446744073709551616
code_is 2
end

# --- --invoke: floats ---------------------------------------------------------

begin "invoke f32 round-trips shortest"
run "$KILN" run --invoke id_f32 "$WORK/values.wasm" 0.1
code_is 0; out_is "0.1"
run "$KILN" run --invoke id_f32 "$WORK/values.wasm" 16777217
code_is 0; out_is "16777216"
run "$KILN" run --invoke id_f32 "$WORK/values.wasm" 3.4028235e38
code_is 0; out_is "340282350000000000000000000000000000000"
run "$KILN" run --invoke id_f32 "$WORK/values.wasm" 0x1p-149
code_is 0; out_is "0.000000000000000000000000000000000000000000001"
end

begin "invoke f64 round-trips shortest"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" 0.1
code_is 0; out_is "0.1"
run "$KILN" run --invoke div_f64 "$WORK/values.wasm" 1 3
code_is 0; out_is "0.3333333333333333"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" 1e300
code_is 0; out_is "1$(printf '0%.0s' $(seq 300))"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" 5e-324
code_is 0; out_is "0.$(printf '0%.0s' $(seq 323))5"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" 1e-7
code_is 0; out_is "0.0000001"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" 123456789012345678
code_is 0; out_is "123456789012345680"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" 0x1.8p1
code_is 0; out_is "3"
end

begin "invoke float specials"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" -0
code_is 0; out_is "-0"
run "$KILN" run --invoke id_f32 "$WORK/values.wasm" -0
code_is 0; out_is "-0"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" inf
code_is 0; out_is "inf"
run "$KILN" run --invoke id_f32 "$WORK/values.wasm" -inf
code_is 0; out_is "-inf"
run "$KILN" run --invoke div_f64 "$WORK/values.wasm" 1 0
code_is 0; out_is "inf"
run "$KILN" run --invoke div_f64 "$WORK/values.wasm" -1 0
code_is 0; out_is "-inf"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" nan
code_is 0; out_is "NaN"
run "$KILN" run --invoke id_f32 "$WORK/values.wasm" -nan
code_is 0; out_is "NaN"
run "$KILN" run --invoke id_f32 "$WORK/values.wasm" nan:0x200000
code_is 0; out_is "NaN"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" -nan:0x1
code_is 0; out_is "NaN"
end

begin "invoke 0/0 is some nan"
run "$KILN" run --invoke div_f32 "$WORK/values.wasm" 0 0
code_is 0
[ "$out" = NaN ] || fail "0/0 printed '$out'"
end

begin "invoke bad float text"
run "$KILN" run --invoke id_f64 "$WORK/values.wasm" 1.5abc
code_is 2; err_has "not a valid f64"
run "$KILN" run --invoke id_f32 "$WORK/values.wasm" " 1"
code_is 2
run "$KILN" run --invoke id_f32 "$WORK/values.wasm" nan:0x800000
code_is 2
end

# --- --invoke: other types and shapes ---------------------------------------

begin "invoke v128"
run "$KILN" run --invoke id_v128 "$WORK/values.wasm" 0x0102030405060708090a0b0c0d0e0f10
code_is 0; out_is "1339673755198158349044581307228491536"
run "$KILN" run --invoke id_v128 "$WORK/values.wasm" 0x1
code_is 0; out_is "1"
run "$KILN" run --invoke id_v128 "$WORK/values.wasm" 0xffffffffffffffffffffffffffffffff
code_is 0; out_is "340282366920938463463374607431768211455"
end

# i32x4 [1 2 3 4] is 0x00000004000000030000000200000001 =
# 316912650112397582603894390785; [40 30 20 10] is 0xa000000140000001e00000028.
begin "invoke v128: decimal and hex arguments, decimal result"
run "$KILN" run --invoke add_i32x4 "$WORK/simd.wasm" 316912650112397582603894390785 0xa000000140000001e00000028
code_is 0; out_is "1109194275623975840142373945385"
run "$KILN" run --invoke add_i32x4 "$WORK/simd.wasm" 0x00000004000000030000000200000001 0XA000000140000001E00000028
code_is 0; out_is "1109194275623975840142373945385"
run "$KILN" run --invoke lane1_i32x4 "$WORK/simd.wasm" 316912650112397582603894390785
code_is 0; out_is "2"
# leading zeros do not count against the 32 hex digits
run "$KILN" run --invoke lane1_i32x4 "$WORK/simd.wasm" 0x000000000000000000000000700000000
code_is 0; out_is "7"
# every lane wraps: all ones + [1 0 0 0] is [0 -1 -1 -1]
run "$KILN" run --invoke add_i32x4 "$WORK/simd.wasm" 340282366920938463463374607431768211455 1
code_is 0; out_is "340282366920938463463374607427473244160"
run "$KILN" run --invoke add_i32x4 "$WORK/simd.wasm" 0 0x0
code_is 0; out_is "0"
run "$KILN" run --invoke splat_f32 "$WORK/simd.wasm" 1.5
code_is 0; out_is "84738284751018056278322119845064212480"
end

begin "invoke v128: a printed result passes back in unchanged"
run "$KILN" run --invoke add_i32x4 "$WORK/simd.wasm" 0xfedcba9876543210f0e1d2c3b4a59687 0
code_is 0; out_is "338770000845734292533317652709722396295"
printed=$out
run "$KILN" run --invoke add_i32x4 "$WORK/simd.wasm" "$printed" 0
code_is 0; out_is "$printed"
run "$KILN" run --invoke add_i32x4 "$WORK/simd.wasm" 0 0xfedcba9876543210f0e1d2c3b4a59687
code_is 0; out_is "$printed"
end

begin "invoke v128: malformed arguments"
# 2^128 (in decimal and hex), 0x without digits, junk after digits, signs,
# blanks, nothing at all, float syntax
for bad in 340282366920938463463374607431768211456 0x100000000000000000000000000000000 \
    0x 12abc 0x1g -1 +1 " 1" "1 " "" 1.5 nan; do
    run "$KILN" run --invoke add_i32x4 "$WORK/simd.wasm" 1 "$bad"
    code_is 2; err_has "argument 2 of 'add_i32x4': '$bad' is not a valid v128"
    out_is ""
done
end

begin "invoke reference results"
run "$KILN" run --invoke null_func "$WORK/values.wasm"
code_is 0; out_is "<null funcref>"
run "$KILN" run --invoke null_extern "$WORK/values.wasm"
code_is 0; out_is "<null externref>"
end

begin "invoke multiple results, one per line"
run "$KILN" run --invoke multi "$WORK/values.wasm"
code_is 0; out_is "$(printf -- '-7\n9223372036854775807\n1.5\n-0.25')"
end

begin "invoke no results prints nothing"
run "$KILN" run --invoke nothing "$WORK/values.wasm"
code_is 0; out_is ""
end

begin "invoke --invoke=NAME form"
run "$KILN" run --invoke=add_i32 "$WORK/values.wasm" 1 2
code_is 0; out_is "3"
end

begin "invoke wrong argument count"
run "$KILN" run --invoke add_i32 "$WORK/values.wasm" 1
code_is 2; err_has "expected 2 arguments, got 1"
run "$KILN" run --invoke nothing "$WORK/values.wasm" 1
code_is 2
end

begin "invoke unparsable argument"
run "$KILN" run --invoke add_i32 "$WORK/values.wasm" 1 two
code_is 2; err_has "argument 2"; err_has "'two' is not a valid i32"
end

begin "invoke unknown export"
run "$KILN" run --invoke nope "$WORK/values.wasm"
code_is 2; err_has "no exported function named 'nope'"; err_has "add_i32"
end

begin "run: '--' ends options, '-' reads stdin"
run "$KILN" run --invoke add_i32 -- "$WORK/values.wasm" 1 2
code_is 0; out_is "3"
run sh -c "\"$KILN\" run --invoke fib - 10 < examples/fib.wasm"
code_is 0; out_is "55"
end

begin "example fib.wasm"
run "$KILN" run --invoke fib examples/fib.wasm 30
code_is 0; out_is "832040"
end

# --- commands, reactors, start ------------------------------------------------

begin "run _start"
run "$KILN" run "$WORK/command.wasm" some program args
code_is 0; out_is ""
end

begin "run reactor: _initialize before --invoke"
run "$KILN" run --invoke get "$WORK/reactor.wasm"
code_is 0; out_is "42"
end

begin "nothing to run"
run "$KILN" run "$WORK/library.wasm"
code_is 2; err_has "no _start export"; err_has "--invoke"
end

begin "trap in _start"
run "$KILN" run "$WORK/command_trap.wasm"
code_is 134; err_has "kiln: trap: unreachable"; err_has "0: func[0] main"
end

begin "trap in the start function"
run "$KILN" run "$WORK/start_trap.wasm"
code_is 134; err_has "kiln: trap: unreachable"
end

# --- traps and limits ----------------------------------------------------------

begin "trap: message and backtrace with names"
run "$KILN" run --invoke boom "$WORK/traps.wasm"
code_is 134
err_has "kiln: trap: unreachable"
err_has "0: func[0] inner"
err_has "1: func[1] middle"
end

wat guard_oob <<'EOF'
(module
  (memory 1)
  (func $load (param i32) (result i64) (i64.load offset=4 (local.get 0)))
  (func $store (param i32) (i32.store16 offset=2147483640 (local.get 0) (i32.const 7)))
  (func $mid (export "mid") (param i32) (result i64) (call $load (local.get 0)))
  (func (export "far") (param i32) (call $store (local.get 0))))
EOF

# The native tier's guard-page trap (and the explicit check it keeps for
# large offsets) prints what the interpreter prints, backtrace included.
begin "out-of-bounds trap: native tier as the interpreter"
for args in "mid 65524" "mid 65525" "mid 4294967295" "far 0"; do
    run "$KILN" run --invoke $args "$WORK/guard_oob.wasm"
    want_code=$code want_out=$out want_err=$err
    run "$KILN" run --tier native --invoke $args "$WORK/guard_oob.wasm"
    [ "$code" = "$want_code" ] && [ "$out" = "$want_out" ] && [ "$err" = "$want_err" ] ||
        fail "$args: native '$code' '$out' '$err', interpreter '$want_code' '$want_out' '$want_err'"
done
run "$KILN" run --tier native --invoke mid "$WORK/guard_oob.wasm" 65525
code_is 134; err_has "kiln: trap: out of bounds memory access"; err_has "0: func[0] load"
err_has "1: func[2] mid"
end

begin "trap: integer divide by zero"
run "$KILN" run --invoke div "$WORK/traps.wasm" 0
code_is 134; err_has "kiln: trap: integer divide by zero"; err_has "0: func[2] div"
run "$KILN" run --invoke div "$WORK/traps.wasm" 2
code_is 0; out_is "0"
end

begin "fuel limit on an infinite loop"
run "$KILN" run --fuel 10000 --invoke spin "$WORK/traps.wasm"
code_is 134; err_has "fuel"; err_has "spin"
end

begin "timeout on an infinite loop"
run "$KILN" run --timeout 200ms --invoke spin "$WORK/traps.wasm"
code_is 134; err_has "--timeout 200ms"
run "$KILN" run --timeout 0.1 --invoke spin "$WORK/traps.wasm"
code_is 134
end

# One SIGINT to kiln alone: `timeout -s INT` also signals its process group,
# and a second Ctrl-C is meant to kill kiln outright.
sigint_after() { # SECONDS CMD...
    local secs=$1 pid
    shift
    "$@" &
    pid=$!
    sleep "$secs"
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
}
begin "interrupt (SIGINT) on an infinite loop"
run sigint_after 0.5 "$KILN" run --invoke spin "$WORK/traps.wasm"
code_is 134; err_has "interrupt"
end

begin "deep recursion: call stack exhausted, no crash"
run "$KILN" run --invoke deep "$WORK/traps.wasm" 0
code_is 134; err_has "call stack exhausted"; err_has "more frames"; err_has "deep"
end

begin "--max-depth"
run "$KILN" run --max-depth 50 --invoke deep "$WORK/traps.wasm" 0
code_is 134; err_has "call stack exhausted"
end

begin "--max-memory caps memory.grow"
run "$KILN" run --invoke grow "$WORK/traps.wasm" 1
code_is 0; out_is "1"
run "$KILN" run --max-memory 128K --invoke grow "$WORK/traps.wasm" 2
code_is 0; out_is "-1"
run "$KILN" run --max-memory 128K --invoke grow "$WORK/traps.wasm" 1
code_is 0; out_is "1"
end

begin "--max-memory below a memory's minimum"
run "$KILN" run --max-memory 64K --invoke pages "$WORK/bigmem.wasm"
code_is 134; err_has "limit reached"; err_has "memory"
run "$KILN" run --max-memory 1G --invoke pages "$WORK/bigmem.wasm"
code_is 0; out_is "4"
end

begin "--max-table-elems below a table's minimum"
run "$KILN" run --max-table-elems 10 --invoke pages "$WORK/bigmem.wasm"
code_is 134; err_has "limit reached"; err_has "table"
end

# --- limits are taken exactly, or refused ------------------------------------------

wat depth <<'EOF'
(module
  ;; recurse N times: N + 1 frames in all
  (func $r (export "r") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $r (i32.sub (local.get 0) (i32.const 1))))
      (else (i32.const 0)))))
EOF

begin "--max-depth N allows exactly N frames"
run "$KILN" run --max-depth 1 --invoke r "$WORK/depth.wasm" 0
code_is 0; out_is "0"
run "$KILN" run --max-depth 1 --invoke r "$WORK/depth.wasm" 1
code_is 134; err_has "call stack exhausted"; err_has "0: func[0] r"; err_lacks "1: func"
run "$KILN" run --max-depth 3 --invoke r "$WORK/depth.wasm" 2
code_is 0; out_is "0"
run "$KILN" run --max-depth 3 --invoke r "$WORK/depth.wasm" 3
code_is 134; err_has "call stack exhausted"; err_has "2: func[0] r"; err_lacks "3: func"
end

begin "limits beyond what kiln can honour are usage errors, not clamped"
run "$KILN" run --max-stack 100G --invoke r "$WORK/depth.wasm" 0
code_is 2; err_has "--max-stack: '100G' is too large (at most 1G)"; err_lacks "out of memory"
run "$KILN" run --max-memory 5G --invoke r "$WORK/depth.wasm" 0
code_is 2; err_has "--max-memory: '5G' is too large"
run "$KILN" run --max-depth 1000001 --invoke r "$WORK/depth.wasm" 0
code_is 2; err_has "--max-depth: '1000001' is too large (at most 1000000)"
run "$KILN" run --max-table-elems 4294967296 --invoke r "$WORK/depth.wasm" 0
code_is 2; err_has "--max-table-elems: '4294967296' is too large"
run "$KILN" run --fuel 18446744073709551616 --invoke r "$WORK/depth.wasm" 0
code_is 2; err_has "--fuel: '18446744073709551616' is too large"
run "$KILN" run --fuel 18446744073709551615 --invoke r "$WORK/depth.wasm" 0
code_is 0; out_is "0"
run "$KILN" run --timeout 1e300 --invoke r "$WORK/depth.wasm" 0
code_is 2; err_has "--timeout: '1e300' is too large"
run "$KILN" run --max-stack 1G --max-memory 4G --max-depth 1000000 --invoke r "$WORK/depth.wasm" 5
code_is 0; out_is "0"
end

begin "--max-stack too small for a frame is a trap, not a crash"
run "$KILN" run --max-stack 8 --invoke r "$WORK/depth.wasm" 0
code_is 134; err_has "call stack exhausted"
end

# --- a trap is not a guest's exit code -------------------------------------------

wat exit3 <<'EOF'
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 3))))
EOF

begin "a guest's exit(3) exits 3, a trap exits 134 (as wasmtime)"
run "$KILN" run "$WORK/exit3.wasm"
code_is 3; err_lacks "trap"
run "$KILN" run "$WORK/command_trap.wasm"
code_is 134; err_has "kiln: trap: unreachable"
run "$KILN" run --fuel 100 --invoke spin "$WORK/traps.wasm"
code_is 134; err_has "kiln: limit reached: all fuel consumed (--fuel 100)"
run "$KILN" run --max-memory 64K --invoke pages "$WORK/bigmem.wasm"
code_is 134; err_has "kiln: limit reached: memory of"
end

# --- kiln FILE is kiln run FILE ------------------------------------------------

begin "kiln FILE runs the module as kiln run FILE does"
run "$KILN" "$WORK/exit3.wasm"
code_is 3
run "$KILN" --invoke add_i32 "$WORK/values.wasm" 2 3
code_is 0; out_is "5"
run "$KILN" --fuel 100 --invoke spin "$WORK/traps.wasm"
code_is 134; err_has "fuel"
run "$KILN" "$WORK/nope.wasm"
code_is 1; err_has "nope.wasm: No such file"
run "$KILN" frobnicate
code_is 2; err_has "unknown command 'frobnicate'"
end

begin "a module file named like a command: kiln run run, kiln ./run"
mkdir -p "$WORK/cmdname"
cp "$WORK/exit3.wasm" "$WORK/cmdname/run"
abs_kiln=$(cd "$(dirname "$KILN")" && pwd)/kiln
run sh -c "cd '$WORK/cmdname' && '$abs_kiln' run run"
code_is 3
run sh -c "cd '$WORK/cmdname' && '$abs_kiln' ./run"
code_is 3
run "$KILN" help
out_has "kiln run run"
end

# --- validation messages name the function, the instruction and the types ---------

wat bad_binop --no-check <<'EOF'
(module (func $f (export "f") (result i32) (i32.add (i32.const 1) (i64.const 2))))
EOF
wat bad_block --no-check <<'EOF'
(module (func $g (result i32) (block (result i32) (i64.const 1))))
EOF
wat underflow --no-check <<'EOF'
(module (func $u (result i32) (i32.add)))
EOF
wat bad_local --no-check <<'EOF'
(module (func $l (local i32) (local.get 5) drop))
EOF
wat bad_global --no-check <<'EOF'
(module (global i32 (i32.const 0)) (func $gg (global.get 3) drop))
EOF
wat bad_store --no-check <<'EOF'
(module (memory 1) (func $s (f32.const 1) (i32.const 1) (i32.store)))
EOF
# no name section (no --debug-names): the export names the function
cat >"$WORK/noname.wat" <<'EOF'
(module
  (func (export "ok") (result i32) (i32.const 0))
  (func (export "broken") (result i32) (f32.const 1)))
EOF
wat2wasm --no-check "$WORK/noname.wat" -o "$WORK/noname.wasm"
# type, function and code sections; the body is "nop 0xff end", and 0xff
# (at offset 0x18) is no instruction
printf '\0asm\1\0\0\0\1\4\1\140\0\0\3\2\1\0\n\6\1\4\0\1\377\13' >"$WORK/illegal.wasm"

begin "validation: type mismatch in a binary op, in wabt's words"
run "$KILN" validate "$WORK/bad_binop.wasm"
code_is 1
# the offset is the i32.add's own (wasm-validate says 0x24, the byte after)
if command -v wasm-objdump >/dev/null; then
    wasm-objdump -d "$WORK/bad_binop.wasm" | grep -q '^ 000023: 6a .*i32.add' ||
        fail "wasm-objdump does not show i32.add at 0x23"
fi
err_has "error at offset 0x23: func[0] <f>: type mismatch in i32.add, expected [i32, i32] but got [i32, i64]"
end

begin "validation: a block's result of the wrong type"
run "$KILN" validate "$WORK/bad_block.wasm"
code_is 1
err_has "func[0] <g>: type mismatch at end of block, expected [i32] but got [i64]"
end

begin "validation: stack underflow"
run "$KILN" validate "$WORK/underflow.wasm"
code_is 1
err_has "func[0] <u>: type mismatch in i32.add, expected [i32, i32] but got []"
end

begin "validation: unknown local and global index"
run "$KILN" validate "$WORK/bad_local.wasm"
code_is 1
err_has "func[0] <l>: unknown local 5 in local.get: the function has 1 local"
run "$KILN" validate "$WORK/bad_global.wasm"
code_is 1
err_has "func[0] <gg>: unknown global 3 in global.get: the module has 1 global"
end

begin "validation: a store's operands, bottom first"
run "$KILN" run "$WORK/bad_store.wasm"
code_is 1
err_has "func[0] <s>: type mismatch in i32.store, expected [i32, i32] but got [f32, i32]"
end

begin "validation: without a name section, the export names the function"
run "$KILN" validate "$WORK/noname.wasm"
code_is 1
err_has "func[1] <broken>: type mismatch at end of function, expected [i32] but got [f32]"
end

begin "illegal opcode: the offset is the opcode's own"
run "$KILN" validate "$WORK/illegal.wasm"
code_is 1; err_has "error at offset 0x18: func[0]: illegal opcode 0xff"
[ "$(od -An -tx1 -j 24 -N 1 "$WORK/illegal.wasm" | tr -d ' ')" = ff ] || fail "byte 0x18 is not 0xff"
end

# --- backtraces without a name section ---------------------------------------------

cat >"$WORK/stripped.wat" <<'EOF'
(module
  (func $helper (unreachable))
  (func (export "_start") (call $helper)))
EOF
wat2wasm "$WORK/stripped.wat" -o "$WORK/stripped.wasm"

begin "backtrace names frames from exports when the name section is gone"
run "$KILN" run "$WORK/stripped.wasm"
code_is 134; err_has "0: func[0]"; err_has "1: func[1] _start"; err_lacks "0: func[0] "
end

# --- load and link errors --------------------------------------------------------

begin "malformed module: exit 1 with offset"
run "$KILN" run "$WORK/garbage.wasm"
code_is 1; err_has "garbage.wasm: error at offset 0x"; err_lines 1
end

begin "truncated module"
run "$KILN" run --invoke add_i32 "$WORK/truncated.wasm" 1 2
code_is 1; err_has "error at offset 0x"
end

begin "invalid module: exit 1 with offset"
run "$KILN" run "$WORK/invalid.wasm"
code_is 1; err_has "invalid.wasm: error at offset 0x"
end

begin "missing import: exit 1 naming it"
run "$KILN" run "$WORK/imports.wasm"
code_is 1; err_has "host_print"; err_lacks "trap"
end

# --- validate ----------------------------------------------------------------------

begin "validate a valid module"
run "$KILN" validate "$WORK/values.wasm"
code_is 0; out_is "$WORK/values.wasm: valid"
end

begin "validate an invalid module"
run "$KILN" validate "$WORK/invalid.wasm"
code_is 1; out_is ""; err_has "invalid.wasm: error at offset 0x"; err_lines 1
end

begin "validate several, one bad"
run "$KILN" validate "$WORK/values.wasm" "$WORK/garbage.wasm" "$WORK/traps.wasm"
code_is 1; out_has "values.wasm: valid"; out_has "traps.wasm: valid"; err_has "garbage.wasm"
end

begin "validate from stdin"
run sh -c "\"$KILN\" validate - < \"$WORK/values.wasm\""
code_is 0; out_is "-: valid"
end

begin "validate usage"
run "$KILN" validate
code_is 2; err_has "missing FILE"
run "$KILN" validate --strict x.wasm
code_is 2
end

# --- inspect ---------------------------------------------------------------------

begin "inspect a rich module"
run "$KILN" inspect "$WORK/rich.wasm"
code_is 0
out_has "Module name: rich"
out_has "Sections ("
for s in type import function table global export start element code data custom; do
    out_has "  $s "
done
out_has "type[0] (i32) -> (i32)"
out_has "func[0] env.ext: (i32) -> (i32)"
out_has "memory[0] env.mem: pages min=1 max=4"
out_has "Functions (3, 1 imported)"
out_has "<double>"
out_has "table[0] funcref min=4 max=8"
out_has "global[0] mut i32 init i32.const 1024"
out_has "global[1] const f64 init f64.const 3.25"
out_has "func[1] \"double\" <double>"
out_has "table[0] \"table\""
out_has "Start: func[2] <start_here>"
out_has "elem[0] active table=0 offset=(i32.const 1) funcref count=2"
out_has "[0] func[1] <double>"
out_has "data[0] active memory=0 offset=(i32.const 1024) size=5"
out_has "\"hello\""
out_has "data[1] passive size=13"
out_has "\"passive\\00bytes\""
out_has "\"name\""
end

begin "inspect segments and initialisers of every form"
run "$KILN" inspect "$WORK/exotic.wasm"
code_is 0
out_has "  datacount "
out_has "global[0] env.base: const i32"
out_has "table[0] env.t: externref min=1"
out_has "table[1] funcref min=10"
out_has "memory[0] pages min=1 max=2"
out_has "global[1] const f32 init f32.const nan"
out_has "global[2] const f64 init f64.const -nan:0x1"
out_has "global[3] const f32 init f32.const 0.1"
out_has "global[4] const funcref init ref.func 0"
out_has "global[5] const externref init ref.null extern"
out_has "elem[0] active table=1 offset=(global.get 0) funcref count=3"
out_has "[1] ref.null func"
out_has "[2] func[1] <g>"
out_has "elem[1] declarative funcref count=1"
out_has "elem[2] passive funcref count=1"
out_has "data[0] active memory=0 offset=(global.get 0) size=2"
out_has '"\de\ad"'
end

begin "wasi: a command runs, argv[0] is the file's base name, exit code passes through"
run "$KILN" run --dir-ro examples::/ex examples/wc.wasm /ex/fib.wat
code_is 0; out_has "/ex/fib.wat"
run "$KILN" run --dir-ro examples::/ex examples/wc.wasm /ex/nope
code_is 1; err_has "wc: /ex/nope: No such file"
run "$KILN" run examples/wc.wasm /etc/passwd
code_is 1; err_has "Capabilities insufficient"
end

begin "wasi: grants that cannot be opened are usage errors"
run "$KILN" run --dir /nonexistent/kiln-dir examples/wc.wasm
code_is 2; err_has "/nonexistent/kiln-dir"
run "$KILN" run --dir-ro "::/x" examples/wc.wasm
code_is 2; err_has "HOST::GUEST"
run "$KILN" run --dir "examples::" examples/wc.wasm
code_is 2
run "$KILN" run --env =x examples/wc.wasm
code_is 2; err_has "--env"
run "$KILN" run --tcplisten nonsense examples/wc.wasm
code_is 2; err_has "HOST:PORT"
run "$KILN" run --tcplisten 127.0.0.1:notaport examples/wc.wasm
code_is 2; err_has "127.0.0.1:notaport"
# a port above 65535 is not wrapped around (99999 would be 34463)
run "$KILN" run --tcplisten 127.0.0.1:99999 examples/wc.wasm
code_is 2; err_has "--tcplisten 127.0.0.1:99999: port '99999' is not a number from 0 to 65535"
run "$KILN" run --tcplisten 127.0.0.1:65536 examples/wc.wasm
code_is 2; err_has "65535"
run "$KILN" run --tcplisten '[::1]:-1' examples/wc.wasm
code_is 2; err_has "65535"
end

begin "wasi: --tcplisten HOST:0 prints the port the kernel chose, and the guest accepts on it"
: >"$WORK/accept.err"
"$KILN" run --timeout 20s --tcplisten 127.0.0.1:0 "$WORK/wasi_accept.wasm" \
    </dev/null >"$WORK/accept.out" 2>"$WORK/accept.err" &
accept_pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/^kiln: listening on 127\.0\.0\.1:\([1-9][0-9]*\) (fd 3)$/\1/p' "$WORK/accept.err")
    [ -n "$port" ] && break
    sleep 0.1
done
if [ -z "$port" ]; then
    fail "no 'kiln: listening on 127.0.0.1:PORT (fd 3)' line: $(head -c 300 "$WORK/accept.err")"
    kill "$accept_pid" 2>/dev/null
elif ! (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "cannot connect to the printed port $port"
    kill "$accept_pid" 2>/dev/null
fi
wait "$accept_pid"
code=$?
code_is 0
[ "$(cat "$WORK/accept.out")" = accepted ] || fail "the guest did not accept: $(cat "$WORK/accept.out")"
# after a directory the socket is fd 4
run "$KILN" run --timeout 5s --dir examples --tcplisten 127.0.0.1:0 examples/wc.wasm
code_is 0; err_has "(fd 4)"
if [ -s /proc/net/if_inet6 ]; then # IPv6 loopback, printed in brackets
    run "$KILN" run --tcplisten '[::1]:0' examples/wc.wasm
    code_is 0; err_has "kiln: listening on [::1]:"
fi
end

begin "wasi: --timeout ends a guest sleeping in poll_oneoff"
SECONDS=0
run "$KILN" run --timeout 300ms "$WORK/wasi_sleep.wasm"
code_is 134; err_has "deadline exceeded"; err_has "--timeout 300ms"
[ "$SECONDS" -lt 10 ] || fail "took ${SECONDS}s"
end

# stdin: a pipe that stays open and empty (the writer is a sleep, killed after)
blocked_stdin() {
    local rc pid
    exec 7< <(sleep 30)
    pid=$!
    "$@" <&7
    rc=$?
    exec 7<&-
    kill "$pid" 2>/dev/null
    return $rc
}
begin "wasi: --timeout ends a guest blocked reading stdin"
SECONDS=0
run blocked_stdin "$KILN" run --timeout 300ms "$WORK/wasi_read.wasm"
code_is 134; err_has "deadline exceeded"
[ "$SECONDS" -lt 10 ] || fail "took ${SECONDS}s"
end

begin "wasi: Ctrl-C ends a sleeping guest"
run sigint_after 0.5 "$KILN" run "$WORK/wasi_sleep.wasm"
code_is 134; err_has "interrupted"
end

# The octal file status flags of this shell's fd 7, from /proc.
fd7_flags() { sed -n 's/^flags:[[:space:]]*//p' /proc/$$/fdinfo/7; }
begin "wasi: a guest making stdin non-blocking leaves kiln's stdin as it was"
exec 7< <(sleep 5)
sleep_pid=$!
before=$(fd7_flags)
run "$KILN" run "$WORK/wasi_nonblock.wasm" <&7
code_is 0
after=$(fd7_flags)
[ -n "$before" ] && [ "$before" = "$after" ] || fail "stdin flags were $before, now $after"
exec 7<&-
kill "$sleep_pid" 2>/dev/null
end

begin "wasi: stdin at EOF reads 0 bytes and the guest goes on"
run "$KILN" run "$WORK/wasi_read.wasm" </dev/null
code_is 7
end

begin "inspect section offsets match wasm-objdump"
run "$KILN" inspect "$WORK/rich.wasm"
if command -v wasm-objdump >/dev/null; then
    # wasm-objdump -h prints "Type start=0x0000000a end=0x... (size=0x...) count: N";
    # kiln prints the same start/end pairs.
    while read -r start end; do
        out_has "start=$start end=$end"
    done < <(wasm-objdump -h "$WORK/rich.wasm" | sed -n 's/.*start=\(0x[0-9a-f]*\) end=\(0x[0-9a-f]*\).*/\1 \2/p')
fi
end

begin "inspect an invalid module"
run "$KILN" inspect "$WORK/invalid.wasm"
code_is 1; out_is ""; err_has "error at offset 0x"
end

begin "inspect usage"
run "$KILN" inspect
code_is 2
run "$KILN" inspect a.wasm b.wasm
code_is 2; err_has "one FILE"
end

# kiln run --profile and --trace=wasi: their own file, same assertions
# shellcheck source=tests/cli/profile.sh
. "$(dirname "$0")/profile.sh"

# --- inspect --disassemble, --section, --data; print ------------------------------

begin "inspect --disassemble lists every body with offsets and text"
run "$KILN" inspect --disassemble "$WORK/rich.wasm"
code_is 0
out_has "func[1] <double> (export \"double\"): type[0] (i32) -> (i32)"
out_has "func[2] <start_here>: type[1]"
out_has "| (0 locals)"
out_has "20 00                   |   local.get 0"
out_has "41 02                   |   i32.const 2"
out_has "6c                      |   i32.mul"
out_has "|   global.set 0"
[[ $out != *"func[0] "* ]] || fail "lists the imported function"
[[ $out != *"lowered:"* ]] || fail "lowered code without --lowered"
# each offset is where the instruction's bytes are in the file
off=$(grep -m1 'i32.mul' "$WORK/out" | sed 's/^ *\([0-9a-f]*\):.*/\1/')
[ "$(od -An -tx1 -j $((16#$off)) -N1 "$WORK/rich.wasm" | tr -d ' ')" = 6c ] || fail "i32.mul not at 0x$off"
end

begin "inspect --func by index, name and export name; --lowered"
for sel in 1 double '$double'; do
    [ "$sel" = '$double' ] && sel=double
    run "$KILN" inspect --func "$sel" --lowered "$WORK/rich.wasm"
    code_is 0
    out_has "func[1] <double>"
    out_has "lowered: 5 words"
    out_has "i32.mul/k s0, s0, 2"
    out_has "0004: ret"
    [[ $out != *"start_here"* ]] || fail "--func $sel shows other functions"
done
run "$KILN" inspect --func ext "$WORK/rich.wasm"
code_is 0; out_has "func[0] <ext>: type[0] (i32) -> (i32) (imported)"
end

begin "inspect --func errors"
run "$KILN" inspect --func 3 "$WORK/rich.wasm"
code_is 2; err_has "--func 3: no such function"; out_is ""
run "$KILN" inspect --func nosuch "$WORK/rich.wasm"
code_is 2; err_has "--func nosuch: no such function"
run "$KILN" inspect "$WORK/rich.wasm" --func
code_is 2
run "$KILN" inspect --func
code_is 2; err_has "needs a value"
run "$KILN" inspect --disassemble --section type "$WORK/rich.wasm"
code_is 2; err_has "one at a time"
end

begin "inspect --disassemble: every instruction kind of the exotic module"
run "$KILN" inspect --lowered "$WORK/exotic.wasm"
code_is 0
[ -s "$WORK/err" ] && fail "stderr: $(head -c 200 "$WORK/err")"
end

begin "inspect --section by name and index dumps the payload whole"
run "$KILN" inspect --section data "$WORK/rich.wasm"
code_is 0
out_has "data start=0x"
out_has "hello"
out_has "ssive.bytes"
idx=$("$KILN" inspect "$WORK/rich.wasm" | sed -n '/^Sections/,/^$/p' | grep -n '^  data ' | cut -d: -f1)
run "$KILN" inspect --section $((idx - 2)) "$WORK/rich.wasm"
code_is 0; out_has "section[$((idx - 2))] data"
# the hex dump is the file's bytes: xxd of the same range agrees
start=$(sed -n 's/.*start=0x\([0-9a-f]*\) end=0x\([0-9a-f]*\).*/\1/p' "$WORK/out")
size=$(sed -n 's/.*(size=\([0-9]*\)).*/\1/p' "$WORK/out")
if command -v xxd >/dev/null; then
    want=$(xxd -s $((16#$start)) -l "$size" "$WORK/rich.wasm" | cut -c11-50 | tr -d ' \n')
    got=$(tail -n +2 "$WORK/out" | cut -c10-49 | tr -d ' \n')
    [ "$want" = "$got" ] || fail "hex dump differs from xxd"
fi
run "$KILN" inspect --section name "$WORK/rich.wasm"
code_is 0; out_has "custom \"name\" start=0x"
end

begin "inspect --section errors"
run "$KILN" inspect --section 99 "$WORK/rich.wasm"
code_is 2; err_has "--section 99: no such section"
run "$KILN" inspect --section nosuch "$WORK/rich.wasm"
code_is 2; err_has "no section of that name"
end

begin "inspect --data N dumps a data segment whole"
run "$KILN" inspect --data 1 "$WORK/rich.wasm"
code_is 0
out_has "data[1] size=13"
out_has "00000000: 7061 7373 6976 6500 6279 7465 73"
out_has "passive.bytes"
run "$KILN" inspect --data 2 "$WORK/rich.wasm"
code_is 2; err_has "--data 2: no such data segment (the module has 2)"
run "$KILN" inspect --data x "$WORK/rich.wasm"
code_is 2; err_has "expected a data segment index"
end

# target_features and producers, appended as custom sections to a module
# (the bytes clang and wasm-ld write)
cp "$WORK/rich.wasm" "$WORK/features.wasm"
# "target_features": 2 features, +mutable-globals, -simd128
printf '\000\053\017target_features\002\053\017mutable-globals\055\007simd128' >>"$WORK/features.wasm"
# "producers": 2 fields: language [C11 ""], processed-by [clang "19.1.7"]
printf '\000\065\011producers\002\010language\001\003C11\000\014processed-by\001\005clang\00619.1.7' >>"$WORK/features.wasm"

begin "inspect decodes target_features and producers"
run "$KILN" inspect "$WORK/features.wasm"
code_is 0
out_has "features: +mutable-globals -simd128"
out_has "language: C11"
out_has "processed-by: clang 19.1.7"
[[ $out != *malformed* ]] || fail "reported a malformed section"
end

begin "inspect: a custom section has one start/size in both lists"
run "$KILN" inspect "$WORK/features.wasm"
code_is 0
for n in name target_features producers; do
    a=$(grep "^  custom .*\"$n\"" "$WORK/out" | grep -o 'start=0x[0-9a-f]* end=0x[0-9a-f]* (size=[0-9]*)')
    b=$(grep "^  \"$n\" " "$WORK/out" | grep -o 'start=0x[0-9a-f]* end=0x[0-9a-f]* (size=[0-9]*)')
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "$n: section list '$a', custom list '$b'"
done
end

begin "print: a module as text that parses back to the same binary"
run "$KILN" print "$WORK/rich.wasm"
code_is 0
out_has "(module \$rich"
out_has "(func \$double (;1;) (type 0)"
out_has "(import \"env\" \"ext\" (func \$ext (;0;) (type 0)))"
out_has "(start \$start_here)"
out_has ";; custom section \"name\""
"$KILN" print -o "$WORK/rich.print.wat" "$WORK/rich.wasm" || fail "print -o"
cmp -s "$WORK/out" "$WORK/rich.print.wat" || fail "-o wrote something else"
if wat2wasm "$WORK/rich.print.wat" -o "$WORK/rich.back.wasm" 2>"$WORK/err"; then
    cp "$WORK/rich.wasm" "$WORK/rich.stripped.wasm"
    wasm-strip "$WORK/rich.stripped.wasm"
    cmp -s "$WORK/rich.stripped.wasm" "$WORK/rich.back.wasm" || fail "round trip differs"
else
    fail "wat2wasm rejects the text: $(head -n 3 "$WORK/err")"
fi
end

begin "print errors"
run "$KILN" print
code_is 2; err_has "missing FILE"
run "$KILN" print "$WORK/invalid.wasm"
code_is 1; out_is ""; err_has "error at offset 0x"
run "$KILN" print --bogus "$WORK/rich.wasm"
code_is 2; err_has "unknown option"
run "$KILN" print -o /nonexistent/dir/x.wat "$WORK/rich.wasm"
code_is 1; err_has "cannot open"
run "$KILN" print -h
code_is 0; out_has "Usage: kiln print"
end

begin "README: the kiln print / --disassemble example runs as shown"
# The example block after the marker: each "$ CMD" line is run in a
# scratch directory (kiln from this build, the .wat from the heredoc-free
# `cat` output shown) and its output compared with the lines that follow.
readme_dir=$WORK/readme-print
rm -rf "$readme_dir"; mkdir -p "$readme_dir"
awk '/readme-print-example/ { on = 1; next } on && /^```$/ { if (++n == 2) exit; next } on && n == 1' \
    README.md >"$readme_dir/example.txt"
awk '/^\$ cat add.wat$/ { on = 1; next } on && /^\$ / { exit } on' "$readme_dir/example.txt" \
    >"$readme_dir/add.wat"
[ -s "$readme_dir/add.wat" ] || fail "no add.wat in the README example"
kiln_abs=$(cd "$(dirname "$KILN")" && pwd)/kiln
while IFS= read -r cmd; do
    want=$(awk -v c="$cmd" '$0 == c { on = 1; next } on && /^\$ / { exit } on' "$readme_dir/example.txt")
    got=$(cd "$readme_dir" && PATH="$(dirname "$kiln_abs"):$PATH" bash -c "${cmd#\$ }" 2>&1)
    [ "$got" = "$want" ] || fail "'${cmd#\$ }' prints: $got"
done < <(grep '^\$ ' "$readme_dir/example.txt" | grep -v '^\$ cat ')
# --- the text format: .wat input by content, kiln parse -------------------
cat >"$WORK/hello.wat" <<'WAT'
;; a comment first: detection skips it
(module
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))
  (memory (export "mem") (data "hi"))
  (func $inner unreachable)
  (func (export "boom") call $inner))
WAT
cp "$WORK/hello.wat" "$WORK/hello-wat.wasm" # the extension must not matter
printf '(module\n  (func (result i32)\n    i32.const 1\n    i32.bogus))\n' >"$WORK/bad.wat"
printf '(module (func (result i32) (i64.const 1)))' >"$WORK/invalid.wat"

begin "run a .wat file"
run "$KILN" run --invoke add "$WORK/hello.wat" 2 40
code_is 0; out_is "42"
run "$KILN" --invoke add "$WORK/hello-wat.wasm" 1 2
code_is 0; out_is "3"
run "$KILN" run --invoke boom "$WORK/hello.wat"
code_is 134; err_has "unreachable"; err_has "func[1] inner" # names from the text
end

begin "validate and inspect a .wat file"
run "$KILN" validate "$WORK/hello.wat"
code_is 0; out_is "$WORK/hello.wat: valid"
run "$KILN" inspect "$WORK/hello.wat"
code_is 0; out_has "add"; out_has "mem"
run "$KILN" validate "$WORK/invalid.wat"
code_is 1; err_has "$WORK/invalid.wat: error at offset 0x"
end

begin ".wat parse errors name FILE:LINE:COL"
for cmd in run validate inspect; do
    run "$KILN" "$cmd" "$WORK/bad.wat"
    code_is 1; err_has "$WORK/bad.wat:4:5: unknown operator i32.bogus"; err_lines 1
done
rm -f "$WORK/bad-out.wasm"
run "$KILN" parse "$WORK/bad.wat" -o "$WORK/bad-out.wasm"
code_is 1; err_has "$WORK/bad.wat:4:5: unknown operator"
[ ! -e "$WORK/bad-out.wasm" ] || fail "wrote output despite the error"
end

begin "kiln parse writes what wat2wasm writes"
run "$KILN" parse "$WORK/hello.wat" -o "$WORK/hello-kiln.wasm"
code_is 0; out_is ""
wat2wasm "$WORK/hello.wat" -o "$WORK/hello-wabt.wasm"
cmp -s "$WORK/hello-kiln.wasm" "$WORK/hello-wabt.wasm" || fail "differs from wat2wasm's output"
"$KILN" parse --output="$WORK/hello-kiln2.wasm" - <"$WORK/hello.wat" >"$WORK/out" 2>"$WORK/err"
cmp -s "$WORK/hello-kiln2.wasm" "$WORK/hello-wabt.wasm" || fail "stdin/--output= form differs"
"$KILN" parse "$WORK/hello.wat" >"$WORK/hello-stdout.wasm" 2>"$WORK/err"
cmp -s "$WORK/hello-stdout.wasm" "$WORK/hello-wabt.wasm" || fail "stdout form differs"
run "$KILN" parse --debug-names "$WORK/hello.wat" -o "$WORK/hello-names.wasm"
code_is 0
wat2wasm --debug-names "$WORK/hello.wat" -o "$WORK/hello-wabt-names.wasm"
cmp -s "$WORK/hello-names.wasm" "$WORK/hello-wabt-names.wasm" ||
    fail "--debug-names differs from wat2wasm --debug-names"
run "$KILN" parse "$WORK/hello-wabt.wasm" -o "$WORK/hello-copy.wasm"
code_is 0
cmp -s "$WORK/hello-copy.wasm" "$WORK/hello-wabt.wasm" || fail "a binary input is not copied as is"
end

begin "kiln parse usage"
run "$KILN" parse
code_is 2; err_has "missing FILE"
run "$KILN" parse a.wat b.wat
code_is 2; err_has "one FILE"
run "$KILN" parse --bogus a.wat
code_is 2; err_has "unknown option"
run "$KILN" parse "$WORK/hello.wat" -o
code_is 2; err_has "needs a value"
run "$KILN" parse "$WORK/nonexistent.wat" -o "$WORK/x.wasm"
code_is 1; err_has "nonexistent.wat"
run "$KILN" help parse
code_is 0; out_has "Usage: kiln parse"
run "$KILN" help
code_is 0; out_has "parse"
if command -v script >/dev/null; then
    script -qec "$KILN parse $WORK/hello.wat" /dev/null >"$WORK/out" 2>&1
    grep -q "refusing to write a binary module to a terminal" "$WORK/out" ||
        fail "binary written to a terminal"
fi
end

begin "the README's .wat examples"
run "$KILN" run examples/hello.wat
code_is 0; out_is "Hello, world!"
run "$KILN" run --invoke fib examples/fib.wat 30
code_is 0; out_is "832040"
run "$KILN" parse examples/hello.wat -o "$WORK/hello-example.wasm"
code_is 0
run "$KILN" run "$WORK/hello-example.wasm"
code_is 0; out_is "Hello, world!"
"$KILN" parse examples/hello.wat 2>"$WORK/err" | "$KILN" run - >"$WORK/out" 2>>"$WORK/err"
[ "$(cat "$WORK/out")" = "Hello, world!" ] || fail "kiln parse | kiln run - printed '$(cat "$WORK/out")'"
end

# kiln call (Extism plugins): its own file, same assertions
# shellcheck source=tests/cli/call.sh
. "$(dirname "$0")/call.sh"

# kiln compile, .kcw artifacts, the code cache, --profile=perfmap
# shellcheck source=tests/cli/cache.sh
. "$(dirname "$0")/cache.sh"

# kiln wast (spec scripts): its own file, same assertions
# shellcheck source=tests/cli/wast.sh
. "$(dirname "$0")/wast.sh"

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]

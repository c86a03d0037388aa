# tests/cli/call.sh — `kiln call` end to end; sourced by tests/cli/run.sh,
# whose assertion language (begin/run/code_is/out_is/err_has/.../end), wat
# helper, $KILN and $WORK it uses.
#
# The plugins are written here in WAT against Extism's kernel imports
# (extism:host/env) directly, so this part needs nothing from the plugin
# suite.  What is checked is the command: flags (Extism's names and
# kiln's additions), input from text, @FILE and stdin, config and grants
# reaching the plugin, the exit codes (0; 1 for a plugin's error or a
# plugin that does not link; 2 for usage, manifest and missing-function
# errors; 134 for traps and limits), output bytes exactly (no newline
# added, except between --loop outputs as Extism does), logs, --loop's
# timing line, and Ctrl-C.

wat plugin <"$(dirname "${BASH_SOURCE[0]}")/plugin.wat"

wat plugin_user <<'WAT'
(module
  (import "extism:host/user" "secret_door" (func (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0)))
WAT

wat plugin_wasi <<'WAT'
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $now (param i32 i64 i32) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "now") (result i32)
    (local $h i64)
    (drop (call $now (i32.const 0) (i64.const 1) (i32.const 0)))
    (local.set $h (call $alloc (i64.const 2)))
    (call $store_u8 (local.get $h) (i32.const 111))
    (call $store_u8 (i64.add (local.get $h) (i64.const 1)) (i32.const 107))
    (call $output_set (local.get $h) (i64.const 2))
    (i32.const 0)))
WAT

P=$WORK/plugin.wasm

# --- output, input -------------------------------------------------------------

begin "call: echo --input TEXT writes the bytes, no newline"
run "$KILN" call "$P" echo --input "hello, world"
code_is 0; out_is "hello, world"
[ "$(wc -c <"$WORK/out")" = 12 ] || fail "stdout is not exactly 12 bytes"
end

begin "call: -i and --input=TEXT, options before the operands"
run "$KILN" call -i abc "$P" echo
code_is 0; out_is "abc"
run "$KILN" call --input=x=y "$P" echo
code_is 0; out_is "x=y"
end

begin "call: no input is empty input; a () -> () function"
run "$KILN" call "$P" echo
code_is 0; out_is ""
run "$KILN" call "$P" nothing
code_is 0; out_is ""; err_lines 0
end

begin "call: --input @FILE, 1 MiB with every byte value, comes back byte for byte"
head -c 1048576 /dev/urandom >"$WORK/call-in.bin"
"$KILN" call "$P" echo --input "@$WORK/call-in.bin" >"$WORK/call-out.bin" 2>"$WORK/err"
code=$?
code_is 0
cmp -s "$WORK/call-in.bin" "$WORK/call-out.bin" || fail "output differs from the input file"
end

begin "call: --stdin, and @- for stdin"
run "$KILN" call "$P" echo --stdin <<<"from stdin"
code_is 0; out_is "from stdin"
run "$KILN" call "$P" echo --input @- < "$WORK/call-in.bin"
code_is 0
"$KILN" call "$P" echo --stdin <"$WORK/call-in.bin" | cmp -s - "$WORK/call-in.bin" ||
    fail "stdin round trip differs"
end

begin "call: @@ escapes a literal @"
run "$KILN" call "$P" echo --input @@home
code_is 0; out_is "@home"
end

begin "call: --input @FILE that does not exist is a usage error"
run "$KILN" call "$P" echo --input "@$WORK/no-such-file"
code_is 2; err_has "no-such-file"
end

# --- errors, traps, limits -------------------------------------------------

begin "call: the plugin's error goes to stderr, exit 1"
run "$KILN" call "$P" fail
code_is 1; out_is ""; err_has "kiln: plugin error: boom"
end

begin "call: a non-zero return without an error message"
run "$KILN" call "$P" fail_quietly
code_is 1; err_has "kiln: plugin error: "; err_has "3"
end

begin "call: a trap exits 134 with a backtrace"
run "$KILN" call "$P" trap
code_is 134; err_has "kiln: trap: "; err_has "unreachable"
end

begin "call: --timeout in milliseconds (Extism's unit) stops a loop"
run timeout 20 "$KILN" call --timeout 100 "$P" spin
code_is 134; err_has "kiln: limit reached: "; err_has "(--timeout 100)"
end

begin "call: --timeout with a unit"
run timeout 20 "$KILN" call --timeout 0.2s "$P" spin
code_is 134; err_has "(--timeout 0.2s)"
end

begin "call: --fuel stops a loop"
run timeout 20 "$KILN" call --fuel 10000 "$P" spin
code_is 134; err_has "kiln: limit reached: "; err_has "(--fuel 10000)"
end

begin "call: --memory-max in pages (Extism's unit) and as a size"
run "$KILN" call "$P" grow
code_is 0; out_is "grew"
run "$KILN" call --memory-max 10 "$P" grow
code_is 1; err_has "cannot grow"
run "$KILN" call --memory-max 640K "$P" grow
code_is 1; err_has "cannot grow"
run "$KILN" call --memory-max 2M "$P" grow
code_is 0; out_is "grew"
end

begin "call: Ctrl-C cancels the call (134)"
"$KILN" call "$P" spin >"$WORK/out" 2>"$WORK/err" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
code=$?
code_is 134; err_has "kiln: limit reached: "
end

# --- config, vars, logs, loop ----------------------------------------------

begin "call: --config reaches config_get; a missing key is the plugin's business"
run "$KILN" call --config greeting=hi "$P" config
code_is 0; out_is "hi"
run "$KILN" call --config greeting=a=b "$P" config
code_is 0; out_is "a=b"
run "$KILN" call --config other=1 "$P" config
code_is 1; err_has "plugin error: boom"
end

begin "call: --set-config JSON, then --config overrides it"
run "$KILN" call --set-config '{"greeting":"json"}' "$P" config
code_is 0; out_is "json"
run "$KILN" call --set-config '{"greeting":"json"}' --config greeting=flag "$P" config
code_is 0; out_is "flag"
run "$KILN" call --set-config '{"greeting":1}' "$P" config
code_is 2; err_has "greeting"
run "$KILN" call --set-config '[1' "$P" config
code_is 2; err_has "--set-config"
end

begin "call: --loop reuses the plugin (vars live on), outputs newline-separated, timing on stderr"
run "$KILN" call --loop 3 "$P" count
code_is 0; out_is $'1\n2\n3'
err_has "kiln: 3 calls in "; err_has "us/call"; err_has "calls/s"
end

begin "call: --loop 1 prints the output alone, and the timing"
run "$KILN" call --loop 1 "$P" count
code_is 0; out_is "1"; err_has "kiln: 1 call in "
end

begin "call: logs are off by default, at or above --log-level otherwise"
run "$KILN" call "$P" log
code_is 0; err_lines 0
run "$KILN" call --log-level info "$P" log
code_is 0; err_has "[info] hello from the log"; err_has "[error] an error line"
run "$KILN" call --log-level error "$P" log
code_is 0; err_lacks "hello from the log"; err_has "[error] an error line"
end

# --- grants, manifests -----------------------------------------------------

begin "call: an ungranted host function fails to load, naming it (exit 1)"
run "$KILN" call "$WORK/plugin_user.wasm" run
code_is 1; err_has "secret_door"
end

begin "call: WASI only with --wasi"
run "$KILN" call "$WORK/plugin_wasi.wasm" now
code_is 1; err_has "clock_time_get"
run "$KILN" call --wasi "$WORK/plugin_wasi.wasm" now
code_is 0; out_is "ok"
end

begin "call: a manifest with config, relative to its own directory"
mkdir -p "$WORK/call-m"
cp "$P" "$WORK/call-m/p.wasm"
printf '{"wasm":[{"path":"p.wasm"}],"config":{"greeting":"from manifest"}}' >"$WORK/call-m/m.json"
run "$KILN" call "$WORK/call-m/m.json" config
code_is 0; out_is "from manifest"
run "$KILN" call -m "$WORK/call-m/m.json" config --config greeting=cli
code_is 0; out_is "cli"
end

begin "call: a manifest with a wrong hash or an unknown field is exit 2, naming it"
printf '{"wasm":[{"path":"p.wasm","hash":"%064d"}]}' 0 >"$WORK/call-m/bad-hash.json"
run "$KILN" call "$WORK/call-m/bad-hash.json" echo
code_is 2; err_has "hash"
printf '{"wasm":[{"path":"p.wasm"}],"colour":"red"}' >"$WORK/call-m/bad-field.json"
run "$KILN" call "$WORK/call-m/bad-field.json" echo
code_is 2; err_has "colour"
end

begin "call: a manifest's timeout_ms applies; --timeout 0 removes it"
printf '{"wasm":[{"path":"p.wasm"}],"timeout_ms":100}' >"$WORK/call-m/slow.json"
run timeout 20 "$KILN" call "$WORK/call-m/slow.json" spin
code_is 134; err_has "limit reached"
run timeout 20 "$KILN" call --timeout 0 --fuel 1000000 "$WORK/call-m/slow.json" spin
code_is 134; err_has "(--fuel 1000000)"
end

begin "call: --allow-host and --allow-path are accepted"
run "$KILN" call --allow-host example.com --allow-host '*.example.org' "$P" echo -i x
code_is 0; out_is "x"
run "$KILN" call --wasi --allow-path "$WORK:/w" --allow-path "ro:$WORK" "$P" echo -i y
code_is 0; out_is "y"
end

begin "call: a module that does not decode is exit 1, with the offset"
run "$KILN" call "$WORK/truncated.wasm" echo
code_is 1; err_has "truncated.wasm: error at offset 0x"
end

begin "call: a file that is neither a module nor JSON is a bad manifest (exit 2)"
run "$KILN" call "$WORK/garbage.wasm" echo
code_is 2; err_has "garbage.wasm"
end

# --- usage -------------------------------------------------------------------

begin "call: usage errors exit 2 and name the problem"
run "$KILN" call "$P"
code_is 2; err_has "missing FUNCTION"
run "$KILN" call
code_is 2; err_has "missing PLUGIN"
run "$KILN" call "$P" echo extra
code_is 2; err_has "unexpected argument 'extra'"
run "$KILN" call --frobnicate "$P" echo
code_is 2; err_has "unknown option '--frobnicate'"
run "$KILN" call "$P" no_such_function
code_is 2; err_has "no_such_function"
run "$KILN" call "$P" not_extism
code_is 2; err_has "not_extism"
run "$KILN" call --timeout soon "$P" echo
code_is 2; err_has "--timeout"
run "$KILN" call --timeout 1500us "$P" echo
code_is 2; err_has "whole number of milliseconds"
run "$KILN" call --memory-max 100000 "$P" echo
code_is 2; err_has "too large"
run "$KILN" call --memory-max 100K "$P" echo
code_is 2; err_has "multiple of 64K"
run "$KILN" call --loop 0 "$P" echo
code_is 2; err_has "--loop"
run "$KILN" call --fuel 0 "$P" echo
code_is 2; err_has "--fuel"
run "$KILN" call --log-level loud "$P" echo
code_is 2; err_has "loud"
run "$KILN" call --input a --stdin "$P" echo
code_is 2; err_has "--stdin"
run "$KILN" call --config =x "$P" echo
code_is 2; err_has "key is empty"
run "$KILN" call "$WORK/no-such.wasm" echo
code_is 2; err_has "no-such.wasm"
end

begin "call: help"
run "$KILN" help call
code_is 0; out_has "Usage: kiln call"; out_has "--allow-path"
run "$KILN" call --help
code_is 0; out_has "Usage: kiln call"
run "$KILN" help
code_is 0; out_has "call"
end

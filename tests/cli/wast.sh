# tests/cli/wast.sh — `kiln wast` end to end; sourced by tests/cli/run.sh,
# whose assertion language (begin/run/code_is/out_is/err_has/.../end),
# $KILN and $WORK it uses.
#
# tests/cli/wast/pass.wast has a passing command of every kind kiln wast
# runs; tests/cli/wast/fail.wast one failing command of (nearly) every
# kind, and its report is compared line for line with fail.expected, so
# each failure message is checked.  Then: several files and their total,
# --verbose, warnings, a missing file, a script that does not parse (its
# line and column), usage errors.

WAST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/wast" && pwd)
WAST_KILN=$(cd "$(dirname "$KILN")" && pwd)/$(basename "$KILN")

begin "wast: a passing command of every kind"
run env -C "$WAST_DIR" "$WAST_KILN" wast --tier interp pass.wast
code_is 0; out_is "pass.wast: 29 passed, 0 failed"; err_lines 0
end

# The default tier is native on x86-64 Linux, which reports its coverage
begin "wast: the default tier is the native one, and says how much it compiled"
run env -C "$WAST_DIR" "$WAST_KILN" wast pass.wast
code_is 0; err_lines 0
if [ "$(uname -m)" = x86_64 ] && [ "$(uname -s)" = Linux ]; then
    out_has "pass.wast: native code for"
    grep -q "native code for 0 of" "$WORK/out" && fail "no function compiled: $(cat "$WORK/out")"
fi
out_has "pass.wast: 29 passed, 0 failed"
end

begin "wast: a failing command of every kind, each reported with its line"
run env -C "$WAST_DIR" "$WAST_KILN" wast --tier interp fail.wast
code_is 1; err_lines 0
diff -u "$WAST_DIR/fail.expected" "$WORK/out" >"$WORK/diff" || fail "report differs: $(head -c 1500 "$WORK/diff")"
end

begin "wast: several files, each summed up, then the total"
run env -C "$WAST_DIR" "$WAST_KILN" wast pass.wast fail.wast
code_is 1
out_has "pass.wast: 29 passed, 0 failed"; out_has "fail.wast: 1 passed, 23 failed"
[ "$(tail -n 1 "$WORK/out")" = "total: 30 passed, 23 failed" ] || fail "last line: $(tail -n 1 "$WORK/out")"
end

begin "wast: --verbose shows each command that passed"
run env -C "$WAST_DIR" "$WAST_KILN" wast --verbose pass.wast
code_is 0
out_has "pass.wast:21: register: ok"; out_has "pass.wast:47: assert_exhaustion: ok"
[ "$(grep -c ': ok$' "$WORK/out")" = 29 ] || fail "$(grep -c ': ok$' "$WORK/out") ok lines, expected 29"
end

cat >"$WORK/warn.wast" <<'WAST'
(module (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))
(assert_trap (invoke "div" (i32.const 0)) "some other message")
WAST
begin "wast: a trap with another message passes, with a warning"
run "$KILN" wast "$WORK/warn.wast"
code_is 0; out_has "warn.wast: 1 warnings (--verbose shows them)"; out_has "warn.wast: 2 passed, 0 failed"
run "$KILN" wast -v "$WORK/warn.wast"
code_is 0
out_has "warn.wast:2: assert_trap: warning: message \"integer divide by zero\" does not contain \"some other message\""
end

printf '(module (func))\n(assert_return (invoke "f") (i32.const 1x))\n' >"$WORK/bad.wast"
begin "wast: a script that does not parse fails with its line and column"
run "$KILN" wast "$WORK/bad.wast"
code_is 1
out_has "bad.wast:2:40: unexpected token '1x'"; out_has "bad.wast: 0 passed, 1 failed"
end

begin "wast: a missing file fails, and the other files still run"
run env -C "$WAST_DIR" "$WAST_KILN" wast no-such.wast pass.wast
code_is 1; err_has "kiln: no-such.wast: No such file or directory"
out_has "no-such.wast: 0 passed, 1 failed"; out_has "pass.wast: 29 passed, 0 failed"
out_has "total: 29 passed, 1 failed"
end

begin "wast: usage"
run "$KILN" wast
code_is 2; err_has "missing FILE.wast"
run "$KILN" wast --frobnicate x.wast
code_is 2; err_has "unknown option '--frobnicate'"
run "$KILN" help wast
code_is 0; out_has "Usage: kiln wast [OPTIONS] FILE.wast..."
run "$KILN" help
code_is 0; out_has "wast"
end

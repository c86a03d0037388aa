#!/usr/bin/env bash
# run.sh BUILD_DIR — the TOML parser (src/toml/) against toml-test and its
# own unit tests.
#
# Builds BUILD_DIR/toml-json (tests/toml/toml_json.c, a toml-test decoder
# that can also compare with an expected JSON file) and BUILD_DIR/toml-unit
# (tests/toml/test_api.c) against BUILD_DIR/libkiln.a with the Makefile's
# flags (SAN and CC from the environment, as tests/run.sh passes them), then:
#   - every valid/**/NAME.toml of toml-test must parse to valid/**/NAME.json
#     (compared by value: see toml_json.c);
#   - every invalid/**/NAME.toml must be rejected: exit status 1 and a
#     "LINE:COL: message" error, no crash and no sanitizer report;
#   - the unit tests of the API must pass.
# One line per failure, then "toml: N passed, N failed" (one per file and
# per unit test).  toml-test is read from $KILN_SHARED/toml-test (default
# ../shared beside the repository); without it the suite says where to put
# it and, when CI=true, fails.
set -u

build=${1:?usage: run.sh BUILD_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 2
shared=${KILN_SHARED:-$top/../shared}
suite=$shared/toml-test

makevar() {
    make -s --no-print-directory SAN="${SAN:-0}" BUILD="$build" ${CC:+CC="$CC"} \
        --eval 'kiln-print-%: ; @printf "%s\n" "$($*)"' "kiln-print-$1"
}
read -r -a cc <<<"$(makevar CC)"
read -r -a cflags <<<"$(makevar CFLAGS | sed -e 's/-MMD//g' -e 's/-MP//g')"
read -r -a ldflags <<<"$(makevar LDFLAGS)"
read -r -a ldlibs <<<"$(makevar LDLIBS)"
prog() { # OUT SOURCE EXTRA-LIBS...
    local out=$1 src=$2
    shift 2
    "${cc[@]}" "${cflags[@]}" -o "$out" "$src" "$build/libkiln.a" "${ldflags[@]}" "$@" "${ldlibs[@]}"
}

pass=0 fail=0
if ! make -s --no-print-directory SAN="${SAN:-0}" BUILD="$build" ${CC:+CC="$CC"} "$build/libkiln.a" ||
    ! prog "$build/toml-json" tests/toml/toml_json.c -lcjson ||
    ! prog "$build/toml-unit" tests/toml/test_api.c; then
    echo "toml: 0 passed, 1 failed (build failed)"
    exit 1
fi

# The unit tests print "ok NAME" / "FAIL NAME: ..." lines.
out=$("$build/toml-unit" 2>&1)
rc=$?
p=$(grep -c '^ok ' <<<"$out")
f=$(grep -c '^FAIL ' <<<"$out")
grep -v '^ok ' <<<"$out"
pass=$((pass + p)) fail=$((fail + f))
[ "$rc" != 0 ] && [ "$f" = 0 ] && echo "FAIL toml-unit exited $rc" && fail=$((fail + 1))

if [ ! -d "$suite/valid" ] || [ ! -d "$suite/invalid" ]; then
    echo "toml: no toml-test at $suite: put toml-test's valid/ and invalid/ there (or set KILN_SHARED)"
    if [ "${CI:-}" = true ]; then
        fail=$((fail + 1))
    fi
    echo "toml: $pass passed, $fail failed"
    [ "$fail" = 0 ]
    exit
fi

vp=0 vf=0 ip=0 if_=0
while IFS= read -r -d '' t; do
    j=${t%.toml}.json
    if msg=$(timeout -k 5 20 "$build/toml-json" "$t" "$j" 2>&1); then
        vp=$((vp + 1))
    else
        echo "FAIL valid ${t#"$suite"/}: $msg" | head -n 5
        vf=$((vf + 1))
    fi
done < <(find "$suite/valid" -name '*.toml' -print0 | sort -z)

while IFS= read -r -d '' t; do
    msg=$(timeout -k 5 20 "$build/toml-json" "$t" 2>&1 >/dev/null)
    rc=$?
    if [ $rc = 1 ] && [[ $msg =~ :[0-9]+:[0-9]+:\ [^\ ] ]] && ! [[ $msg == *Sanitizer* ]]; then
        ip=$((ip + 1))
    elif [ $rc = 0 ]; then
        echo "FAIL invalid ${t#"$suite"/}: accepted"
        if_=$((if_ + 1))
    else
        echo "FAIL invalid ${t#"$suite"/}: exit status $rc: $(head -c 300 <<<"$msg")"
        if_=$((if_ + 1))
    fi
done < <(find "$suite/invalid" -name '*.toml' -print0 | sort -z)

echo "toml-test valid: $vp passed, $vf failed; invalid: $ip rejected, $if_ failed"
pass=$((pass + vp + ip)) fail=$((fail + vf + if_))
echo "toml: $pass passed, $fail failed"
[ "$fail" = 0 ]

# tests/plugin/node_cases.sh — the cases of tests/plugin/node_check.sh for
# the plugin suite's test plugins ($WORK/NAME.wasm, built from
# tests/plugin/plugins/NAME.c); sourced by node_check.sh, whose `add` (ID
# WASM FUNC INPUT [config:K=V]... [wasi] [loop:N] [level:L]) and inputs in
# $WORK/in (empty, hello, nul, greeting, 1k.bin, 1m.bin, 1k.txt,
# data-hello and data-missing: the paths /data/hello.txt and
# /data/missing.txt, with $WORK/dir granted as /data) it uses.  A plugin
# that is not built is left out.
#
# Left out of basic.c, for the reasons node_check.sh gives: fail_rc (a
# non-zero return without a message: the SDK ignores it), kernel (calls
# memory_bytes and reset), trap, loop, kernel_fill, kernel_oob and
# input_oob (traps and limits: their messages are each runtime's own),
# grow (node's memory has no cap here: it would grow to 4 GiB).
if [ -f "$WORK/basic.wasm" ]; then
    X=$WORK/basic.wasm
    add basic-noop "$X" noop hello
    add basic-unit "$X" unit empty
    add basic-echo-empty "$X" echo empty
    add basic-echo-hello "$X" echo hello
    add basic-echo-nul "$X" echo nul
    add basic-echo-1k "$X" echo 1k.bin
    add basic-echo-1m "$X" echo 1m.bin
    add basic-echo-zero-copy "$X" echo_zero_copy hello
    add basic-echo-zero-copy-1m "$X" echo_zero_copy 1m.bin
    add basic-vowels-1k "$X" count_vowels 1k.txt
    add basic-vowels-empty "$X" count_vowels empty
    add basic-fail "$X" fail hello
    add basic-fail-zero "$X" fail_zero hello
    add basic-count-calls "$X" count_calls empty loop:5
    add basic-var-unset "$X" var hello
    add basic-config "$X" config greeting config:greeting=hi config:other=x
    add basic-config-missing "$X" config greeting config:other=x
    add basic-isolation "$X" isolation hello loop:2
    for level in trace debug info warn error off; do
        add "basic-log-level-$level" "$X" logs empty "level:$level"
    done
fi

# wasi.c: files through a granted directory, stdout and stderr to the log
if [ -f "$WORK/wasi.wasm" ]; then
    X=$WORK/wasi.wasm
    add wasi-read "$X" read_file data-hello wasi "path:$WORK/dir:/data"
    add wasi-read-missing "$X" read_file data-missing wasi "path:$WORK/dir:/data"
    add wasi-say "$X" say empty wasi
fi

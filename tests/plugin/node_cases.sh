# tests/plugin/node_cases.sh — the cases of tests/plugin/node_check.sh for
# plugin-core's test plugins ($PLUGINS_DIR/NAME.wasm, built from
# tests/plugin/plugins/NAME.c); sourced by node_check.sh, whose `add`
# (ID WASM FUNC INPUT [k=v,... config] [wasi] [LOOP]) and inputs under
# $WORK/in (empty, hello, nul, 1k.bin, 1m.bin, 1k.txt) it uses.  A plugin
# that is not built is left out.
have() { [ -f "$PLUGINS_DIR/$1.wasm" ]; }

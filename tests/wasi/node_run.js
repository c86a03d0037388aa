// node_run.js — runs a WASI command module on Node's own WASI (uvwasi), with
// the command line of `kiln run`, as a second opinion for tests/wasi/run.sh:
//
//   node node_run.js [--dir HOST[::GUEST]] [--env NAME=VALUE] [--env NAME]
//                    [--argv0 NAME] FILE [ARGS...]
//
// --dir-ro and --tcplisten have no counterpart in node's WASI, so they are
// refused (exit 2); run.sh does not run such programs on node.  The exit
// code is the guest's; a trap prints "node: trap: MESSAGE" and exits 134, as kiln does.
'use strict';
process.removeAllListeners('warning'); // "WASI is an experimental feature"
process.on('warning', () => {});
const fs = require('fs');
const path = require('path');
const { WASI } = require('wasi');

function usage(msg) {
    process.stderr.write(`node_run.js: ${msg}\n`);
    process.exit(2);
}

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let argv0 = null;
let i = 0;
for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (!a.startsWith('--')) break;
    const v = argv[++i];
    if (v === undefined) usage(`${a} needs a value`);
    if (a === '--dir') {
        const at = v.indexOf('::');
        const host = at < 0 ? v : v.slice(0, at);
        const guest = at < 0 ? v : v.slice(at + 2);
        preopens[guest] = host;
    } else if (a === '--env') {
        const eq = v.indexOf('=');
        if (eq < 0) {
            if (process.env[v] !== undefined) env[v] = process.env[v];
        } else {
            env[v.slice(0, eq)] = v.slice(eq + 1);
        }
    } else if (a === '--argv0') {
        argv0 = v;
    } else {
        usage(`unsupported option ${a}`);
    }
}
if (i >= argv.length) usage('no FILE');
const file = argv[i];
const args = [argv0 !== null ? argv0 : path.basename(file), ...argv.slice(i + 1)];

const wasi = new WASI({ version: 'preview1', args, env, preopens, returnOnExit: true });
let code;
try {
    const mod = new WebAssembly.Module(fs.readFileSync(file));
    const inst = new WebAssembly.Instance(mod, wasi.getImportObject());
    code = wasi.start(inst);
} catch (e) {
    process.stderr.write(`node: trap: ${e && e.message}\n`);
    code = 134;
}
process.exitCode = code;

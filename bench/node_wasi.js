#!/usr/bin/env node
// node_wasi.js — run a wasm32-wasi command under Node's WASI (preview1), the
// bench's node runner for bench/wasi/.  Takes kiln run's flags, so both
// runners get the same command line:
//
//   node bench/node_wasi.js [--dir HOST[::GUEST]]... [--dir-ro HOST[::GUEST]]...
//                           [--env NAME=VALUE]... FILE.wasm [ARGS...]
//
// argv[0] of the guest is FILE.wasm's path, the environment holds only the
// --env variables, stdio is the process's own fds 0-2.  Node has no
// read-only preopens: --dir-ro grants the directory read-write.  Exits with
// the guest's exit code (1 and a message if the module cannot be run).
'use strict';
process.removeAllListeners('warning'); // WASI's ExperimentalWarning
const fs = require('fs');
const { WASI } = require('wasi');

function usage(msg) {
  console.error(`node_wasi.js: ${msg}`);
  console.error('usage: node node_wasi.js [--dir HOST[::GUEST]] [--dir-ro HOST[::GUEST]] [--env NAME=VALUE] FILE.wasm [ARGS...]');
  process.exit(2);
}

const argv = process.argv.slice(2);
const env = {};
const preopens = {};
let i = 0;
for (; i < argv.length && argv[i].startsWith('--'); i++) {
  const opt = argv[i];
  const val = argv[++i];
  if (val === undefined) usage(`${opt} needs a value`);
  if (opt === '--dir' || opt === '--dir-ro') {
    const sep = val.indexOf('::');
    const host = sep < 0 ? val : val.slice(0, sep);
    const guest = sep < 0 ? val : val.slice(sep + 2);
    preopens[guest] = host;
  } else if (opt === '--env') {
    const eq = val.indexOf('=');
    if (eq <= 0) usage(`--env wants NAME=VALUE, not "${val}"`);
    env[val.slice(0, eq)] = val.slice(eq + 1);
  } else {
    usage(`unknown option ${opt}`);
  }
}
const file = argv[i];
if (!file) usage('no FILE.wasm');

const wasi = new WASI({
  version: 'preview1',
  args: argv.slice(i),
  env,
  preopens,
  returnOnExit: true,
});

WebAssembly.compile(fs.readFileSync(file))
  .then((module) => WebAssembly.instantiate(module, wasi.getImportObject()))
  .then((instance) => {
    const code = wasi.start(instance);
    process.exit(typeof code === 'number' ? code : 0);
  })
  .catch((e) => {
    console.error('node_wasi.js:', e && e.message ? e.message : e);
    process.exit(1);
  });

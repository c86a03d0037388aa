// node_bench.mjs — the node side of the plugin benchmark: the same plugin
// (bench/plugin/bench_plugin.c), the same rows and the same output lines as
// plugin_bench.c, through @extism/extism (installed by bench/plugin/run.sh
// into build/npm).
//
//   node --expose-gc node_bench.mjs EXTISM_MOD_JS PLUGIN.wasm [SECONDS] [NPLUGINS]
//
// Each row calls one plugin (awaiting every call, as an application does)
// for about SECONDS three times and keeps the best round; every output is
// checked.  (@extism/extism 1.0.x kept every call's blocks until reset()
// and failed after 32,768 calls on a plugin; the loop calls reset() every
// 4,096 calls, which 2.0 does by itself on every call.)  Before the rows,
// in a fresh heap, NPLUGINS plugins are created from the same bytes and
// each called once, and the growth of the process's RSS is printed.
import { readFileSync } from 'node:fs';

const [modPath, wasmPath, secsArg, nArg] = process.argv.slice(2);
const { createPlugin } = await import(modPath);
const secs = Number(secsArg ?? 0.3);
const nplugins = Number(nArg ?? 1000);
const wasm = readFileSync(wasmPath);
const quiet = { log() {}, info() {}, debug() {}, warn() {}, error() {}, trace() {} };
const opts = { useWasi: false, logger: quiet };

const text = 'The quick brown fox jumps over the lazy dog; ';
const big = new Uint8Array(1 << 20);
for (let i = 0; i < big.length; i++) big[i] = text.charCodeAt(i % text.length);
// a copy: the SDK sends the whole ArrayBuffer of a typed-array view
const k1 = big.slice(0, 1024);
let vowels = 0;
for (const b of k1) if ('aeiouAEIOU'.includes(String.fromCharCode(b))) vowels++;
const enc = new TextEncoder();

const rows = [
  ['empty', 'empty', new Uint8Array(0), new Uint8Array(0)],
  ['count_vowels_1k', 'count_vowels', k1, enc.encode(`{"count":${vowels}}`)],
  ['echo_1k', 'echo', k1, k1],
  ['echo_1m', 'echo', big, big],
];

function same(out, want) {
  const got = out === null ? new Uint8Array(0) : out.bytes();
  if (got.length !== want.length) return false;
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return false;
  return true;
}

async function benchRow(p, [name, func, input, want]) {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let calls = 0;
    const t0 = process.hrtime.bigint();
    let t;
    do {
      if (calls % 4096 === 0) await p.reset();
      for (let k = 0; k < 16; k++, calls++) {
        const out = await p.call(func, input);
        if (!same(out, want)) throw new Error(`${name}: wrong output after ${calls} calls: ${out === null ? "null" : out.byteLength + " bytes: " + out.text().slice(0, 40)}`);
      }
      t = process.hrtime.bigint();
    } while (Number(t - t0) / 1e9 < secs);
    const us = Number(t - t0) / 1e3 / calls;
    if (us < best) best = us;
  }
  console.log(`${name}\t${best.toFixed(3)}\t${(1e6 / best).toFixed(0)}`);
}

if (nplugins > 0) {
  globalThis.gc?.();
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const ps = [];
  for (let i = 0; i < nplugins; i++) {
    const q = await createPlugin({ wasm: [{ data: wasm }] }, opts);
    await q.call('empty', '');
    ps.push(q);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  globalThis.gc?.();
  const mib = (process.memoryUsage().rss - before) / 1048576;
  console.log(`load\t${ps.length}\t${ps.length}\t${mib.toFixed(1)}\t${ms.toFixed(1)}`);
  for (const q of ps) await q.close();
}

const p = await createPlugin({ wasm: [{ data: wasm }] }, opts);
for (const r of rows) await benchRow(p, r);
await p.close();

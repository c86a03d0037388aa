// node_check.mjs — the second opinion: runs plugin calls through node's
// @extism/extism and writes what each produced, for
// tests/plugin/node_check.sh to compare byte for byte with `kiln call`.
//
//   node node_check.mjs EXTISM_MOD_JS CASES.json OUTDIR
//
// CASES.json is an array of {id, wasm, func, input (a file of input
// bytes), config {k: v}, wasi (bool), paths {host: guest} (as a
// manifest's allowed_paths; the SDK hands its allowedPaths to node's WASI
// as preopens, keyed by the guest path, so they are turned around here),
// loop (calls, default 1), level (a log level as kiln call's --log-level
// takes it, or null)}.  Each case
// gets a fresh plugin, called `loop` times with the same input, as `kiln
// call --loop` does.  For each it writes OUTDIR/ID.out: the outputs as
// `kiln call` prints them (each followed by "\n" when loop > 1), and
// OUTDIR/ID.status: "ok", or "error" with OUTDIR/ID.err holding the
// plugin's message (the SDK's "Plugin-originated error: " prefix
// removed), or "throw" for any other failure (with the message in .err).
// Log lines are dropped.
//
// Kernel functions the SDK does not define (Extism's kernel has them:
// memory_bytes and reset, in 2.0.0-rc13) are added as imports that throw,
// so a plugin importing them still instantiates and a case that calls one
// fails loudly instead of agreeing by accident.
import { readFileSync, writeFileSync } from 'node:fs';

const [modPath, casesPath, outDir] = process.argv.slice(2);
const { createPlugin } = await import(modPath);
const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
const quiet = { log() {}, info() {}, debug() {}, warn() {}, error() {}, trace() {} };
const PREFIX = 'Plugin-originated error: ';
const sdkSource = readFileSync(new URL(modPath, 'file://'), 'utf8');
const missing = {};
for (const name of ['memory_bytes', 'reset']) {
  if (!sdkSource.includes(`${name}: (`)) {
    missing[name] = () => { throw new Error(`${name} is not in @extism/extism`); };
  }
}

for (const c of cases) {
  const base = `${outDir}/${c.id}`;
  const chunks = [];
  let status = 'ok';
  let message = '';
  let plugin = null;
  try {
    plugin = await createPlugin({ wasm: [{ data: readFileSync(c.wasm) }] }, {
      useWasi: !!c.wasi,
      allowedPaths: Object.fromEntries(Object.entries(c.paths ?? {}).map(([h, g]) => [g, h])),
      config: c.config ?? {},
      logger: quiet,
      logLevel: c.level ? (c.level === 'off' ? 'silent' : c.level) : 'silent',
      functions: { 'extism:host/env': missing },
    });
    // a fresh copy: the SDK sends the whole ArrayBuffer behind a view
    const input = new Uint8Array(readFileSync(c.input));
    const loop = c.loop ?? 1;
    for (let i = 0; i < loop; i++) {
      const out = await plugin.call(c.func, input);
      chunks.push(out === null ? new Uint8Array(0) : new Uint8Array(out.bytes()));
      if (loop > 1) chunks.push(new Uint8Array([10]));
    }
  } catch (e) {
    const m = String(e?.message ?? e);
    status = m.startsWith(PREFIX) ? 'error' : 'throw';
    message = m.startsWith(PREFIX) ? m.slice(PREFIX.length) : m;
  } finally {
    if (plugin) await plugin.close();
  }
  writeFileSync(`${base}.out`, Buffer.concat(chunks));
  writeFileSync(`${base}.status`, status);
  writeFileSync(`${base}.err`, message);
}

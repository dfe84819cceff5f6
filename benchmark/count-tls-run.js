'use strict';
// Instructions per TLS operation (callgrind, all threads), for net (Node's OpenSSL TLS)
// and rsnet.tls under each driver: count-tls.js at two sizes, the difference divided
// by the difference of sizes. Counts, not times: the load of a shared machine cannot
// move them. Usage: node benchmark/count-tls-run.js [request|handshake ...]
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const SIZES = { request: { warmup: 400, small: 200, large: 1200 }, handshake: { warmup: 100, small: 50, large: 250 } };
const IMPLS = [['net', null], ['rsnet', 'loop'], ['rsnet', 'threaded']];
const ops = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SIZES);

function instructions(module, driver, op, n) {
  const { warmup } = SIZES[op];
  const env = { ...process.env, RSNET_BENCH_MODULE: module };
  delete env.RSNET_DRIVER;
  if (driver) env.RSNET_DRIVER = driver;
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null',
    process.execPath, path.join(__dirname, 'count-tls.js'), op, String(warmup), String(n)],
  { env, encoding: 'utf8', timeout: 900_000 });
  const m = /Collected\s*:\s*(\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${module} ${driver} ${op} ${n}: ${r.stderr.slice(-500)}`);
  return Number(m[1]);
}

const rows = [];
for (const op of ops) {
  const { small, large } = SIZES[op];
  const perOp = {};
  for (const [module, driver] of IMPLS) {
    const id = driver ? `${module} (${driver})` : module;
    perOp[id] = (instructions(module, driver, op, large) - instructions(module, driver, op, small)) / (large - small);
    process.stderr.write(`${op} ${id}: ${Math.round(perOp[id])} instructions per op\n`);
  }
  const base = perOp.net;
  rows.push(`| ${op} | ${Object.entries(perOp).map(([id, v]) => `${id} ${Math.round(v / 1000)}k (${(v / base).toFixed(2)}x)`).join(' | ')} |`);
}
console.log(rows.join('\n'));

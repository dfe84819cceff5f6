'use strict';
// Instructions per TLS operation (callgrind), for net (Node's OpenSSL TLS) and
// rsnet.tls under each driver: a run at two sizes, the difference divided by the
// difference of sizes. Counts, not times: the load of a shared machine cannot move
// them. Usage: node benchmark/count-tls-run.js [server|request|handshake ...]
//   server:    the HTTPS server alone (https-server.js, the very file the rate
//              benchmark runs, under callgrind; then strace -f -c): a keep-alive GET
//              from a client in THIS process (Node's https, the same for every
//              column), so the figures are the server's only. Whole process and JS
//              (main) thread; syscalls per request.
//   request, handshake: count-tls.js, client and server in one process (all threads).
// RSNET_BENCH_TLS is passed on to https-server.js (default: register, Node's https
// server under rsnet/register; emit: rsnet.tls + emit('connection')).
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const SIZES = {
  // 16 keep-alive connections at once (wrk runs 64): what one loop turn batches.
  server: { warmup: 20000, small: 1000, large: 4000, conns: 16 },
  request: { warmup: 400, small: 200, large: 1200 },
  handshake: { warmup: 100, small: 50, large: 250 },
};
// RSNET_BENCH_DRIVERS=loop (comma-separated) counts only those rsnet drivers.
const DRIVERS = (process.env.RSNET_BENCH_DRIVERS || 'loop,threaded').split(',');
const IMPLS = [['net', null], ...DRIVERS.map((d) => ['rsnet', d])];
const ops = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SIZES);

function envFor(module, driver) {
  const env = { ...process.env, RSNET_BENCH_MODULE: module };
  delete env.RSNET_DRIVER;
  if (driver) env.RSNET_DRIVER = driver;
  return env;
}

function instructions(module, driver, op, n) {
  const { warmup } = SIZES[op];
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null',
    process.execPath, path.join(__dirname, 'count-tls.js'), op, String(warmup), String(n)],
  { env: envFor(module, driver), encoding: 'utf8', timeout: 900_000 });
  const m = /Collected\s*:\s*(\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${module} ${driver} ${op} ${n}: ${r.stderr.slice(-500)}`);
  return { all: Number(m[1]) };
}

// `count` keep-alive GETs on `conns` connections at once, one at a time on each
// (Node's own https).
function get(port, count, conns) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: conns, rejectUnauthorized: false });
  return new Promise((resolve, reject) => {
    let left = count;
    let running = conns;
    const next = () => {
      if (left-- <= 0) {
        if (--running > 0) return;
        agent.destroy();
        return resolve();
      }
      https.get({ port, host: '127.0.0.1', agent }, (res) => {
        res.resume();
        res.on('end', next);
      }).on('error', reject);
    };
    for (let i = 0; i < conns; i++) next();
  });
}

// Runs https-server.js under `tool` (argv before node), serves the warm-up, calls
// `warm(pid)` (which switches callgrind's instrumentation on), serves n requests, then
// closes its stdin (it exits) and resolves with its stderr. The connections of the
// warm-up are closed and new ones made: handshakes in both runs, which cancel.
function serve(tool, module, driver, n, warm = () => {}) {
  const { warmup, conns } = SIZES.server;
  const child = spawn(tool[0], [...tool.slice(1), process.execPath, path.join(__dirname, 'https-server.js')],
    { env: envFor(module, driver), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 900_000);
    let started = false;
    child.stdout.on('data', (d) => {
      if (started) return;
      started = true;
      const { port, pid } = JSON.parse(String(d).split('\n')[0]);
      get(port, warmup, conns)
        .then(() => warm(pid))
        .then(() => get(port, n, conns))
        .then(() => child.stdin.end(), reject);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${module} ${driver} server ${n}: exit ${code}: ${stderr.slice(-500)}`));
      else resolve(stderr);
    });
  });
}

async function serverInstructions(module, driver, n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-count-tls-'));
  try {
    const out = path.join(dir, 'cg.out');
    // Instrumentation off (about 10x faster) until the warm-up is over.
    const on = (pid) => {
      const r = spawnSync('callgrind_control', ['-i', 'on', String(pid)], { encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(`callgrind_control -i on: ${r.stderr || r.stdout}`);
    };
    const stderr = await serve(['valgrind', '--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes',
      '--dump-instr=no', `--callgrind-out-file=${out}`], module, driver, n, on);
    const m = /Collected\s*:\s*(\d+)/.exec(stderr);
    // The main (JS) thread's file ends in -01.
    const main = /^totals:\s*(\d+)/m.exec(fs.readFileSync(`${out}-01`, 'utf8'));
    return { all: Number(m[1]), main: Number(main[1]) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function serverSyscalls(module, driver, n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-count-tls-'));
  try {
    const out = path.join(dir, 'strace.out');
    await serve(['strace', '-f', '-c', '-o', out], module, driver, n);
    const report = fs.readFileSync(out, 'utf8');
    const m = /^[-\s]*[\d.]+\s+[\d.]+\s+\d*\s*(\d+)\s+(?:\d+\s+)?total$/m.exec(report);
    if (!m) throw new Error(`no strace total: ${report.slice(-500)}`);
    return Number(m[1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const rows = [];
  for (const op of ops) {
    const { small, large } = SIZES[op];
    const perOp = {};
    for (const [module, driver] of IMPLS) {
      const id = driver ? `${module} (${driver})` : module;
      const count = op === 'server' ? (size) => serverInstructions(module, driver, size) :
        async (size) => instructions(module, driver, op, size);
      const [a, b] = [await count(small), await count(large)];
      const per = Object.fromEntries(Object.keys(a).map((k) => [k, (b[k] - a[k]) / (large - small)]));
      if (op === 'server') {
        per.syscalls = (await serverSyscalls(module, driver, large) - await serverSyscalls(module, driver, small)) /
          (large - small);
      }
      perOp[id] = per;
      process.stderr.write(`${op} ${id}: ${JSON.stringify(Object.fromEntries(
        Object.entries(per).map(([k, v]) => [k, Math.round(v * 100) / 100])))}\n`);
    }
    for (const key of Object.keys(perOp.net)) {
      const base = perOp.net[key];
      const cell = (v) => (key === 'syscalls' ? v.toFixed(2) : `${Math.round(v / 1000)}k`);
      rows.push(`| ${op} ${key} | ${Object.entries(perOp).map(([id, v]) =>
        `${id} ${cell(v[key])} (${(v[key] / base).toFixed(2)}x)`).join(' | ')} |`);
    }
  }
  console.log(rows.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

'use strict';
// Instructions per keep-alive HTTP request of the SERVER alone (callgrind), for Node's
// http server over net and over rsnet (under rsnet/register): http-server.js, the
// very file the rate benchmark runs, under callgrind, driven by a client in THIS
// process (Node's http over Node's net, the same for every column). Two runs of
// different sizes; the difference divided by the difference of sizes cancels
// start-up, warm-up and exit. Whole process and JS (main) thread; then syscalls per
// request (strace -f -c, the same way).
// Usage: node benchmark/count-http-server.js [--size 13] [--keep DIR] [--no-syscalls] [--skip-net]
//   --size:  response body bytes (13: hello world; 65536: 64 KiB responses)
//   --keep:  keep the larger run's callgrind files (one per thread; -01 is the JS
//            thread) in DIR, for callgrind_annotate
// RSNET_BENCH_DRIVERS=loop (comma-separated) counts only those rsnet drivers;
// RSNET_BENCH_HTTP=emit is passed on to http-server.js.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const { values: opt } = parseArgs({
  options: {
    size: { type: 'string', default: '13' },
    keep: { type: 'string' },
    'no-syscalls': { type: 'boolean', default: false },
    'skip-net': { type: 'boolean', default: false },
  },
});
// 16 keep-alive connections at once (wrk runs 64): what one loop turn batches.
// The warm-up runs twice, each time on new connections: V8 still deoptimises and
// compiles again on the second set of connections (new sockets' maps), never after.
const SIZES = { warmup: [20000, 4000], small: 1000, large: 9000, conns: 16 };
const DRIVERS = (process.env.RSNET_BENCH_DRIVERS || 'loop').split(',');
const IMPLS = [...(opt['skip-net'] ? [] : [['net', null]]), ...DRIVERS.map((d) => ['rsnet', d])];

function envFor(module, driver) {
  const env = { ...process.env, RSNET_BENCH_MODULE: module };
  delete env.RSNET_DRIVER;
  if (driver) env.RSNET_DRIVER = driver;
  return env;
}

// `count` keep-alive GETs on `conns` connections at once, one at a time on each,
// every body read to its end and its length checked.
function get(port, count, conns) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  const size = Number(opt.size);
  return new Promise((resolve, reject) => {
    let left = count;
    let running = conns;
    const next = () => {
      if (left-- <= 0) {
        if (--running > 0) return;
        agent.destroy();
        return resolve();
      }
      http.get({ port, host: '127.0.0.1', agent }, (res) => {
        let got = 0;
        res.on('data', (d) => { got += d.length; });
        res.on('end', () => (got === size ? next() : reject(new Error(`body of ${got} bytes, not ${size}`))));
      }).on('error', reject);
    };
    for (let i = 0; i < conns; i++) next();
  });
}

// Runs http-server.js under `tool` (argv before node), serves the warm-up, calls
// `warm(pid)`, serves n requests, then closes its stdin (it exits) and resolves with
// its stderr. Each phase closes its connections and the next makes new ones: accepts
// in both runs, which cancel.
function serve(tool, module, driver, n, warm = () => {}) {
  const { warmup, conns } = SIZES;
  const child = spawn(tool[0], [...tool.slice(1), process.execPath, path.join(__dirname, 'http-server.js'),
    '--size', opt.size], { env: envFor(module, driver), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 900_000);
    let started = false;
    child.stdout.on('data', (d) => {
      if (started) return;
      started = true;
      const { port, pid } = JSON.parse(String(d).split('\n')[0]);
      warmup.reduce((done, count) => done.then(() => get(port, count, conns)), Promise.resolve())
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

async function serverInstructions(module, driver, n, keepAs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-count-http-'));
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
    if (keepAs) {
      fs.mkdirSync(opt.keep, { recursive: true });
      for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(opt.keep, `${keepAs}.${f}`));
    }
    return { all: Number(m[1]), main: Number(main[1]) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function serverSyscalls(module, driver, n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-count-http-'));
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
  const { small, large } = SIZES;
  const perImpl = {};
  for (const [module, driver] of IMPLS) {
    const id = driver ? `${module} (${driver})` : module;
    const keepAs = opt.keep ? (driver ? `${module}-${driver}` : module) : undefined;
    const a = await serverInstructions(module, driver, small);
    const b = await serverInstructions(module, driver, large, keepAs);
    const per = Object.fromEntries(Object.keys(a).map((k) => [k, (b[k] - a[k]) / (large - small)]));
    if (!opt['no-syscalls']) {
      per.syscalls = (await serverSyscalls(module, driver, large) - await serverSyscalls(module, driver, small)) /
        (large - small);
    }
    perImpl[id] = per;
    process.stderr.write(`${id}: ${JSON.stringify(Object.fromEntries(
      Object.entries(per).map(([k, v]) => [k, Math.round(v * 100) / 100])))}\n`);
  }
  if (!perImpl.net) return;
  const rows = Object.keys(perImpl.net).map((key) => {
    const base = perImpl.net[key];
    const cell = (v) => (key === 'syscalls' ? v.toFixed(2) : `${Math.round(v / 1000)}k`);
    return `| http server ${opt.size} B ${key} | ${Object.entries(perImpl).map(([id, v]) =>
      `${id} ${cell(v[key])} (${(v[key] / base).toFixed(2)}x)`).join(' | ')} |`;
  });
  console.log(rows.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

'use strict';
// Scale-out across processes (issue #20), standalone, not part of run.js: the same
// servers run as WORKERS processes sharing one port, three ways:
//   - net cluster: Node's `cluster` with built-in net, round-robin (the primary accepts
//     every connection and passes it to a worker over IPC; Node's default on Linux);
//   - rsnet cluster: the same with rsnet in the workers (lib/cluster.js adopts each
//     connection the primary passes);
//   - rsnet reusePort: WORKERS independent processes, each an rsnet server listening
//     with `reusePort: true` (SO_REUSEPORT: the kernel spreads the connections).
// Servers: an echo server (load: loadgen churn, connect -> 64 B echo -> close, so
// every operation is a new connection) and Node's `http` hello world (load: wrk,
// keep-alive GETs; for rsnet, its server feeds the same http.Server with
// emit('connection')). Reported: connections/s and requests/s, medians of ROUNDS
// rounds, the two setups interleaved in every round. All on 127.0.0.1; every run is
// bounded in time; the children are stopped by pid.
//
//   node benchmark/scale-out.js [--rounds 3] [--duration 4] [--warmup 1] [--workers 2]
//                               [--only echo,http] [--verbose]
//
// Nothing is pinned: servers and load share the machine's CPUs, which is what scaling
// out on one machine means; the report says how many there are.

const { spawn, spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = path.join(__dirname, '..');

// ---------------------------------------------------------------------------
// Children.

// One server process: `kind` is echo or http, on `port`, from `moduleName`; with
// `reusePort` it binds the port itself beside the others.
function worker(moduleName, kind, port, reusePort) {
  const net = moduleName === 'net' ? require('node:net') : require(ROOT);
  const listenOptions = { port, host: '127.0.0.1', ...(reusePort ? { reusePort: true } : {}) };
  let server;
  if (kind === 'echo') {
    server = net.createServer((socket) => {
      socket.on('data', (d) => {
        if (!socket.write(d)) socket.pause();
      });
      socket.on('drain', () => socket.resume());
      socket.on('error', () => socket.destroy());
    });
  } else {
    const http = require('node:http');
    const body = Buffer.from('Hello, world!');
    const headers = { 'Content-Type': 'text/plain', 'Content-Length': String(body.length) };
    const httpServer = http.createServer((req, res) => {
      res.writeHead(200, headers);
      res.end(body);
    });
    httpServer.on('clientError', (err, socket) => socket.destroy());
    server = moduleName === 'net' ? httpServer : net.createServer((socket) => httpServer.emit('connection', socket));
  }
  server.on('error', (err) => {
    console.error(`worker ${process.pid} (${moduleName} ${kind}): ${err.stack || err}`);
    process.exit(1);
  });
  // --verbose: each worker says how many connections it took (how evenly they spread).
  let connections = 0;
  server.on('connection', () => connections++);
  server.listen(listenOptions, () => {
    if (process.send) process.send({ listening: true });
    else process.stdout.write(`${JSON.stringify({ pid: process.pid })}\n`);
  });
  lifetime(() => {
    if (process.env.RSNET_SCALE_OUT_VERBOSE) process.stderr.write(`  worker ${process.pid} (${moduleName} ${kind}): ${connections} connections\n`);
    process.exit(0);
  });
}

// The cluster primary: forks the workers, prints their pids once all listen.
function primary(moduleName, kind, port, count) {
  const cluster = require('node:cluster');
  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ exec: __filename, args: ['--child', 'worker', moduleName, kind, String(port), 'shared'] });
  const workers = [];
  let listening = 0;
  for (let i = 0; i < count; i++) {
    const w = cluster.fork();
    workers.push(w);
    w.on('message', (m) => {
      if (m && m.listening && ++listening === count) {
        process.stdout.write(`${JSON.stringify({ pid: process.pid, workers: workers.map((x) => x.process.pid) })}\n`);
      }
    });
  }
  const stop = () => {
    for (const w of workers) w.process.kill('SIGTERM');
    process.exit(0);
  };
  lifetime(stop);
}

// Children never outlive the runner: they exit on SIGTERM, when their stdin closes,
// and after a cap.
function lifetime(bye = () => process.exit(0)) {
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
  if (!process.send) {
    process.stdin.on('end', bye);
    process.stdin.on('close', bye);
    process.stdin.resume();
  }
  setTimeout(bye, 600_000).unref();
}

// ---------------------------------------------------------------------------
// The runner.

function freePort() {
  return new Promise((resolve, reject) => {
    const s = require('node:net').createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Starts a child that prints one JSON line when ready; resolves with it and the child.
function startChild(args) {
  const child = spawn(process.execPath, [__filename, '--child', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')}: not ready in 20 s`)), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')}: exited ${code} before it was ready`)));
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ child, info: JSON.parse(out.split('\n')[0]) });
    });
  });
}

// The setups: each starts WORKERS server processes on `port`; returns the pids to stop.
async function inCluster(moduleName, kind, port, workers) {
  const { child, info } = await startChild(['primary', moduleName, kind, String(port), String(workers)]);
  return { children: [child], pids: [info.pid, ...info.workers] };
}

const SETUPS = {
  'net cluster (round-robin)': (kind, port, workers) => inCluster('net', kind, port, workers),
  'rsnet cluster (round-robin)': (kind, port, workers) => inCluster('rsnet', kind, port, workers),
  'rsnet reusePort': async (kind, port, workers) => {
    const started = [];
    for (let i = 0; i < workers; i++) started.push(await startChild(['worker', 'rsnet', kind, String(port), 'reuseport']));
    return { children: started.map((s) => s.child), pids: started.map((s) => s.info.pid) };
  },
};

function stop({ children, pids }) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  for (const child of children) child.stdin.end();
  return Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((resolve) => c.once('exit', resolve)))));
}

function run(cmd, args, seconds) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message || `exit ${r.status}`} ${r.stderr}`);
  return r.stdout;
}

// The loads: each returns one rate.
function churn(loadgen, port, opt) {
  const out = run(loadgen, ['churn', '--port', String(port), '--conns', '32', '--duration', String(opt.duration),
    '--warmup', String(opt.warmup)], opt.duration + opt.warmup);
  return JSON.parse(out.trim().split('\n').pop()).conn_per_s;
}

function wrk(wrkPath, port, opt) {
  const url = `http://127.0.0.1:${port}/`;
  run(wrkPath, ['-t2', '-c64', `-d${Math.max(1, Math.round(opt.warmup))}s`, url], opt.warmup + 2);
  const out = run(wrkPath, ['-t2', '-c64', `-d${opt.duration}s`, url], opt.duration + 2);
  const errors = /Non-2xx|Socket errors/.exec(out);
  if (errors) throw new Error(`wrk reported errors:\n${out}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '1' },
      workers: { type: 'string', default: '2' },
      only: { type: 'string', default: 'echo,http' },
      verbose: { type: 'boolean', default: false },
    },
  });
  if (values.verbose) process.env.RSNET_SCALE_OUT_VERBOSE = '1';
  const opt = { duration: Number(values.duration), warmup: Number(values.warmup) };
  const rounds = Number(values.rounds);
  const workers = Number(values.workers);
  const kinds = values.only.split(',');
  const system = require('./runner/system');
  const loadgen = kinds.includes('echo') ? system.buildLoadgen() : null;
  let wrkPath = null;
  if (kinds.includes('http')) {
    const found = system.findOrInstallWrk();
    if (!found.wrk) throw new Error(`wrk is needed for the http rows: ${found.note}`);
    wrkPath = found.wrk;
  }
  const loads = {
    echo: { metric: 'connections/s (connect, 64 B echo, close; loadgen churn, 32 concurrent)', measure: (port) => churn(loadgen, port, opt) },
    http: { metric: 'requests/s (hello world, wrk -t2 -c64 keep-alive)', measure: (port) => wrk(wrkPath, port, opt) },
  };
  const results = {};
  for (let round = 0; round < rounds; round++) {
    for (const kind of kinds) {
      for (const [setup, start] of Object.entries(SETUPS)) {
        const port = await freePort();
        const procs = await start(kind, port, workers);
        try {
          const rate = loads[kind].measure(port);
          (results[`${kind}|${setup}`] ??= []).push(rate);
          process.stderr.write(`round ${round + 1} ${kind} ${setup}: ${rate.toFixed(0)}\n`);
        } finally {
          await stop(procs);
        }
      }
    }
  }
  console.log(`\n${workers} server processes per setup, median of ${rounds} interleaved rounds, ${opt.duration} s each ` +
    `after ${opt.warmup} s warm-up; node ${process.version}, ${os.availableParallelism()} CPUs shared by servers and load (nothing pinned)\n`);
  const names = Object.keys(SETUPS);
  console.log(`| server | metric | ${names.join(' | ')} | ${names.slice(1).map((n) => `${n} / net`).join(' | ')} |`);
  console.log(`|---|---|${names.map(() => '--:|').join('')}${names.slice(1).map(() => '--:|').join('')}`);
  for (const kind of kinds) {
    const [base, ...rest] = names.map((setup) => median(results[`${kind}|${setup}`]));
    const cells = [base, ...rest].map((v) => v.toFixed(0)).concat(rest.map((v) => `${(v / base).toFixed(2)}x`));
    console.log(`| ${kind} | ${loads[kind].metric} | ${cells.join(' | ')} |`);
  }
  // The spread of the rounds, so the reader sees the noise.
  console.log('\nrounds (min-max):');
  for (const key of Object.keys(results)) {
    console.log(`  ${key.replace('|', ': ')}: ${Math.min(...results[key]).toFixed(0)}-${Math.max(...results[key]).toFixed(0)}`);
  }
}

if (process.argv[2] === '--child') {
  const [, , , role, ...rest] = process.argv;
  if (role === 'primary') primary(rest[0], rest[1], Number(rest[2]), Number(rest[3]));
  else worker(rest[0], rest[1], Number(rest[2]), rest[3] === 'reuseport');
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

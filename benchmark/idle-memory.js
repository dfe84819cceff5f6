'use strict';
// Memory per idle connection (issue #18): what one process holds for each connection
// it keeps open and idle, for built-in net and for rsnet under each driver.
//
//   node benchmark/idle-memory.js [--sides server,client] [--n 2000,6000]
//        [--columns net,loop,threaded] [--attribute]
//
// One measured process per (column, side, N), started fresh. Its peer runs in a
// process of its own with built-in net, so that only the measured side's objects are
// counted:
// - side `server`: the measured process listens with the module under test and echoes
//   (as echo-server.js: a 'data' listener that writes back, an 'error' listener); the
//   peer opens N connections and sends 64 B on each;
// - side `client`: the peer listens and echoes; the measured process opens N
//   connections with the module under test, each with a 'data' and an 'error'
//   listener, and sends 64 B on each.
// Once every echo came back (so each connection has read and written once, and is
// idle since), the measured process runs gc() until the heap stops shrinking and
// reports process.memoryUsage() and the bytes malloc holds (rsnet.node's
// mallocInUse(): glibc's mallinfo2, which counts the C allocations of Node's own
// handle wraps as well as rsnet's Rust ones). Every figure per connection is the
// difference between two runs, (m(N2) - m(N1)) / (N2 - N1): start-up, the module's
// code and everything else that does not grow with N cancel.
//
// --attribute: instead, two heap snapshots (N = 200 and 400, server and client side
// for each column) and the difference of V8's self sizes per object kind per
// connection: which JS objects a connection costs.
//
// Internal modes: `measure SIDE N [snapshot-file]` (RSNET_BENCH_MODULE, RSNET_DRIVER
// pick the module), `peer-connect PORT N`, `peer-serve`.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const HOST = '127.0.0.1';
const PING = Buffer.alloc(64, 'p');
// Connects in flight at once: well under the listen backlog, so no SYN is dropped.
const IN_FLIGHT = 128;
const COLUMNS = {
  net: { RSNET_BENCH_MODULE: 'net' },
  loop: { RSNET_BENCH_MODULE: 'rsnet', RSNET_DRIVER: 'loop' },
  threaded: { RSNET_BENCH_MODULE: 'rsnet', RSNET_DRIVER: 'threaded' },
};
const FIGURES = ['heapUsed', 'external', 'arrayBuffers', 'rss', 'malloc'];

function fail(message) {
  console.error(`idle-memory: ${message}`);
  process.exit(1);
}

// ---- the peer (always built-in net) ----

function peerServe() {
  const net = require('node:net');
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('data', (d) => socket.write(d));
    socket.on('error', () => {});
  });
  server.listen(0, HOST, () => process.stdout.write(`${server.address().port}\n`));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

function peerConnect(port, n) {
  const net = require('node:net');
  openAll(net, port, n, () => process.stdout.write('ready\n'));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

// Opens n connections, at most IN_FLIGHT at a time, each sending PING once and waiting
// for it back; calls done once all have. Returns the sockets.
function openAll(net, port, n, done) {
  const sockets = [];
  let started = 0;
  let echoed = 0;
  const next = () => {
    if (started >= n) return;
    started++;
    const socket = net.connect(port, HOST, () => socket.write(PING));
    let got = 0;
    socket.on('data', (d) => {
      got += d.length;
      if (got !== PING.length) return;
      echoed++;
      if (echoed === n) done(sockets);
      else next();
    });
    socket.on('error', (err) => fail(`client socket: ${err.message}`));
    sockets.push(socket);
  };
  for (let i = 0; i < Math.min(IN_FLIGHT, n); i++) next();
  return sockets;
}

// ---- the measured process ----

function measure(side, n, snapshotFile) {
  const { net } = require('./net-module');
  const mallocInUse = require(path.join(__dirname, '..', 'rsnet.node')).mallocInUse;
  if (typeof globalThis.gc !== 'function') fail('run with --expose-gc');
  const report = () => settle().then(() => {
    if (snapshotFile) require('node:v8').writeHeapSnapshot(snapshotFile);
    const usage = process.memoryUsage();
    const figures = { ...usage, malloc: mallocInUse() ?? NaN };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  });
  if (side === 'server') {
    const held = [];
    const server = net.createServer((socket) => {
      held.push(socket);
      socket.on('data', (d) => socket.write(d));
      socket.on('error', (err) => fail(`server socket: ${err.message}`));
    });
    server.listen(0, HOST, () => {
      const peer = spawnPeer(['peer-connect', String(server.address().port), String(n)]);
      peer.stdout.once('data', () => {
        if (held.length !== n) fail(`${held.length} connections, expected ${n}`);
        report().then(() => process.exit(0));
      });
    });
  } else {
    const peer = spawnPeer(['peer-serve']);
    peer.stdout.once('data', (line) => {
      openAll(net, Number(String(line).trim()), n, () => report().then(() => process.exit(0)));
    });
  }
}

function spawnPeer(args) {
  const peer = spawn(process.execPath, [__filename, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  peer.on('exit', (code) => { if (code) fail(`peer exited with ${code}`); });
  return peer;
}

// Full GCs, a loop turn apart (weak callbacks and finalizers run in between), until
// the heap stops shrinking.
async function settle() {
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.memoryUsage().heapUsed;
    if (used >= last) break;
    last = used;
  }
}

// ---- the orchestrator ----

function runMeasured(column, side, n, snapshotFile) {
  return new Promise((resolve, reject) => {
    const args = ['--expose-gc', __filename, 'measure', side, String(n)];
    if (snapshotFile) args.push(snapshotFile);
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...COLUMNS[column] },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${column} ${side} N=${n}: exit ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

// Bytes per connection between two runs, for each figure.
async function perConnection(column, side, n1, n2) {
  const a = await runMeasured(column, side, n1);
  const b = await runMeasured(column, side, n2);
  const per = {};
  for (const key of FIGURES) per[key] = (b[key] - a[key]) / (n2 - n1);
  return per;
}

async function table(columns, sides, [n1, n2]) {
  console.log(`Bytes per idle connection, (m(${n2}) - m(${n1})) / ${n2 - n1}; node ${process.version}\n`);
  console.log('| side | column | JS heap | external | arrayBuffers | RSS | malloc (native) |');
  console.log('|---|---|--:|--:|--:|--:|--:|');
  for (const side of sides) {
    for (const column of columns) {
      const per = await perConnection(column, side, n1, n2);
      const cells = FIGURES.map((key) => Math.round(per[key]).toLocaleString('en-US'));
      console.log(`| ${side} | ${column} | ${cells.join(' | ')} |`);
    }
  }
}

// Self size per object kind ("type name") in a heap snapshot.
function sizesByKind(file) {
  const snapshot = JSON.parse(fs.readFileSync(file, 'utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const sizes = new Map();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    // Strings and numbers by type only: their names are their contents.
    const name = ['string', 'number', 'concatenated string', 'sliced string'].includes(type) ? '' : strings[nodes[i + nameAt]];
    const key = `${type} ${name}`.slice(0, 60);
    const entry = sizes.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += nodes[i + sizeAt];
    entry.count++;
    sizes.set(key, entry);
  }
  return sizes;
}

async function attribute(columns, sides) {
  const [n1, n2] = [200, 400];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idle-memory-'));
  for (const side of sides) {
    for (const column of columns) {
      const files = [n1, n2].map((n) => path.join(dir, `${column}-${side}-${n}.heapsnapshot`));
      await runMeasured(column, side, n1, files[0]);
      await runMeasured(column, side, n2, files[1]);
      const [a, b] = files.map(sizesByKind);
      const rows = [];
      let total = 0;
      for (const [key, { bytes, count }] of b) {
        const before = a.get(key) ?? { bytes: 0, count: 0 };
        const perBytes = (bytes - before.bytes) / (n2 - n1);
        const perCount = (count - before.count) / (n2 - n1);
        total += perBytes;
        if (Math.abs(perBytes) >= 4) rows.push([key, perBytes, perCount]);
      }
      rows.sort((x, y) => y[1] - x[1]);
      console.log(`\n${side} side, ${column}: ${total.toFixed(0)} B of JS heap per connection`);
      for (const [key, bytes, count] of rows) {
        console.log(`  ${bytes.toFixed(0).padStart(6)} B  ${count.toFixed(2).padStart(5)} objects  ${key}`);
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

function option(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1].split(',') : fallback;
}

function main(args) {
  const [mode, ...rest] = args;
  if (mode === 'measure') return measure(rest[0], Number(rest[1]), rest[2]);
  if (mode === 'peer-serve') return peerServe();
  if (mode === 'peer-connect') return peerConnect(Number(rest[0]), Number(rest[1]));
  const columns = option(args, '--columns', ['net', 'loop', 'threaded']);
  const sides = option(args, '--sides', ['server', 'client']);
  const ns = option(args, '--n', ['2000', '6000']).map(Number);
  if (columns.some((c) => !COLUMNS[c])) fail(`--columns: ${Object.keys(COLUMNS).join(',')}`);
  const run = args.includes('--attribute') ? attribute(columns, sides) : table(columns, sides, ns);
  run.catch((err) => fail(err.message));
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { perConnection };

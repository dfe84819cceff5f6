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

// Opens connections up to each count in turn: says "ready" when it holds that many,
// and goes on to the next count on a line from stdin.
function peerConnect(port, counts) {
  const net = require('node:net');
  const opener = connectionOpener(net, port);
  let next = 0;
  const step = () => opener.openUpTo(counts[next++], () => process.stdout.write('ready\n'));
  process.stdin.on('data', () => { if (next < counts.length) step(); });
  process.stdin.on('end', () => process.exit(0));
  step();
}

// Opens connections to `port`, at most IN_FLIGHT at a time, each sending PING once and
// waiting for it back: openUpTo(n, done) calls done once n connections have.
function connectionOpener(net, port) {
  const sockets = [];
  let echoed = 0;
  let target = 0;
  let onDone = null;
  const open = () => {
    const socket = net.connect(port, HOST, () => socket.write(PING));
    let got = 0;
    socket.on('data', (d) => {
      got += d.length;
      if (got !== PING.length) return;
      echoed++;
      if (sockets.length < target) open();
      else if (echoed === target) onDone();
    });
    socket.on('error', (err) => fail(`client socket: ${err.message}`));
    sockets.push(socket);
  };
  return {
    sockets,
    openUpTo(n, done) {
      target = n;
      onDone = done;
      const start = sockets.length;
      for (let i = start; i < Math.min(start + IN_FLIGHT, n); i++) open();
    },
  };
}

// ---- the measured process ----

// Holds idle connections of `mod` (a net-shaped module), as the server side or the
// client side, up to each of `counts` in turn; at each, settles the heap and calls
// `report(count)` (which may return a promise), and ends with the returned promise.
// The peer is a child process running built-in net.
function holdIdle(mod, side, counts, report) {
  return new Promise((resolve) => {
    let next = 0;
    const reached = (held, atCount) => {
      if (held !== counts[next]) fail(`${held} connections, expected ${counts[next]}`);
      Promise.resolve(settle()).then(() => report(counts[next])).then(() => {
        if (++next === counts.length) resolve();
        else atCount();
      });
    };
    if (side === 'server') {
      const held = [];
      let peer;
      const server = mod.createServer((socket) => {
        held.push(socket);
        socket.on('data', (d) => socket.write(d));
        socket.on('error', (err) => fail(`server socket: ${err.message}`));
      });
      server.listen(0, HOST, () => {
        peer = spawnPeer(['peer-connect', String(server.address().port), counts.join(',')]);
        peer.stdout.on('data', () => reached(held.length, () => peer.stdin.write('next\n')));
      });
    } else {
      const peer = spawnPeer(['peer-serve']);
      peer.stdout.once('data', (line) => {
        const opener = connectionOpener(mod, Number(String(line).trim()));
        const step = () => opener.openUpTo(counts[next], () => reached(opener.sockets.length, step));
        step();
      });
    }
  });
}

// What the process holds now: process.memoryUsage() and malloc's bytes in use. The
// latter is the least of a few samples 10 ms apart: V8 mallocs for a while on threads
// of its own (an optimising compile's zone, a GC's worklists), which is not what the
// connections hold.
async function usage() {
  const mallocInUse = require(path.join(__dirname, '..', 'rsnet.node')).mallocInUse;
  let malloc = Infinity;
  for (let i = 0; i < 8; i++) {
    malloc = Math.min(malloc, mallocInUse() ?? NaN);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { ...process.memoryUsage(), malloc };
}

function measure(side, counts, snapshotDir) {
  const { net } = require('./net-module');
  if (typeof globalThis.gc !== 'function') fail('run with --expose-gc');
  holdIdle(net, side, counts, (count) => {
    if (snapshotDir) require('node:v8').writeHeapSnapshot(path.join(snapshotDir, `${count}.heapsnapshot`));
    return usage().then((figures) => process.stdout.write(`${JSON.stringify({ count, ...figures })}\n`));
  }).then(() => process.exit(0));
}

function spawnPeer(args) {
  const peer = spawn(process.execPath, [__filename, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  // It exits when its stdin closes, with this process (which ends with process.exit()).
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

// One measured process: `usage()` at each of `counts` (and heap snapshots into
// `snapshotDir`, named by count, if given). It first holds half the first count and
// takes a snapshot of that too, not reported: what the first measurement makes once
// (code, hidden classes, the heap snapshotter's own objects) is then made before the
// counted part.
function runMeasured(column, side, counts, snapshotDir) {
  const warmUp = Math.floor(counts[0] / 2);
  return new Promise((resolve, reject) => {
    const args = ['--expose-gc', __filename, 'measure', side, [warmUp, ...counts].join(',')];
    if (snapshotDir) args.push(snapshotDir);
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...COLUMNS[column] },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${column} ${side} N=${counts}: exit ${code}`));
      resolve(out.trim().split('\n').map((line) => JSON.parse(line)).slice(1));
    });
  });
}

// Bytes per connection between two counts, for each figure.
function perConnection([a, b]) {
  const per = {};
  for (const key of FIGURES) per[key] = (b[key] - a[key]) / (b.count - a.count);
  return per;
}

async function table(columns, sides, counts) {
  const [n1, n2] = counts;
  console.log(`Bytes per idle connection, (m(${n2}) - m(${n1})) / ${n2 - n1}; node ${process.version}\n`);
  console.log('| side | column | JS heap | external | arrayBuffers | RSS | malloc (native) |');
  console.log('|---|---|--:|--:|--:|--:|--:|');
  for (const side of sides) {
    for (const column of columns) {
      const per = perConnection(await runMeasured(column, side, counts));
      const cells = FIGURES.map((key) => Math.round(per[key]).toLocaleString('en-US'));
      console.log(`| ${side} | ${column} | ${cells.join(' | ')} |`);
    }
  }
}

// Heap snapshot node types that are not JS objects: V8's compiled code, and what Node
// reports of its native objects (a TCPWrap's C++ size), which malloc counts instead.
const NOT_JS = new Set(['code', 'synthetic', 'native']);

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
    const entry = sizes.get(key) ?? { type, bytes: 0, count: 0 };
    entry.bytes += nodes[i + sizeAt];
    entry.count++;
    sizes.set(key, entry);
  }
  return sizes;
}

// Per connection between two snapshots (of n1 and n2 connections): JS bytes in all,
// and [kind, bytes, objects] of each kind that grew or shrank, largest first.
function snapshotDifference(fileA, fileB, n1, n2) {
  const [a, b] = [fileA, fileB].map(sizesByKind);
  const rows = [];
  let jsBytes = 0;
  for (const [key, { type, bytes, count }] of b) {
    const before = a.get(key) ?? { bytes: 0, count: 0 };
    const perBytes = (bytes - before.bytes) / (n2 - n1);
    const perCount = (count - before.count) / (n2 - n1);
    if (!NOT_JS.has(type)) jsBytes += perBytes;
    if (Math.abs(perBytes) >= 4) rows.push([key, perBytes, perCount]);
  }
  rows.sort((x, y) => y[1] - x[1]);
  return { jsBytes, rows };
}

async function attribute(columns, sides) {
  const [n1, n2] = [200, 400];
  for (const side of sides) {
    for (const column of columns) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idle-memory-'));
      await runMeasured(column, side, [n1, n2], dir);
      const at = (n) => path.join(dir, `${n}.heapsnapshot`);
      const { jsBytes, rows } = snapshotDifference(at(n1), at(n2), n1, n2);
      fs.rmSync(dir, { recursive: true, force: true });
      console.log(`\n${side} side, ${column}: ${jsBytes.toFixed(0)} B of JS objects per connection (code and native not counted)`);
      for (const [key, bytes, count] of rows) {
        console.log(`  ${bytes.toFixed(0).padStart(6)} B  ${count.toFixed(2).padStart(5)} objects  ${key}`);
      }
    }
  }
}

function option(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1].split(',') : fallback;
}

function main(args) {
  const [mode, ...rest] = args;
  if (mode === 'measure') return measure(rest[0], rest[1].split(',').map(Number), rest[2]);
  if (mode === 'peer-serve') return peerServe();
  if (mode === 'peer-connect') return peerConnect(Number(rest[0]), rest[1].split(',').map(Number));
  const columns = option(args, '--columns', ['net', 'loop', 'threaded']);
  const sides = option(args, '--sides', ['server', 'client']);
  const ns = option(args, '--n', ['2000', '6000']).map(Number);
  if (columns.some((c) => !COLUMNS[c])) fail(`--columns: ${Object.keys(COLUMNS).join(',')}`);
  const run = args.includes('--attribute') ? attribute(columns, sides) : table(columns, sides, ns);
  run.catch((err) => fail(err.message));
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { holdIdle, usage, snapshotDifference };

'use strict';
// Client-side twin of the `churn` mode: here the module under test is the CLIENT,
// opening connection after connection to the fixed plain-Rust echo server. Each one:
// connect, write a 64-byte ping, wait for its echo, end(), wait for 'close'. One
// connection at a time, so the rate is the cost of a connection's whole life cycle
// on the client side (socket, connect, first write and read, FIN, close).
// Usage: RSNET_BENCH_MODULE=net|rsnet node client-churn.js --port P
//        [--size 64] [--duration 5] [--warmup 1] [--stall 10]
// Prints one JSON line: connections/s, own CPU.
const { net, driver } = require('./net-module');
const { exitWithParent } = require('./lifetime');
const { Pattern } = require('./pattern');
const { parseOptions, fail, cpuSeconds, cpuSince } = require('./cli');

const opt = parseOptions(process.argv.slice(2), { port: 0, size: 64, duration: 5, warmup: 1, stall: 10 });
if (!opt.port) fail('--port is required');
exitWithParent();

const ping = new Pattern(opt.size).at(0, opt.size);
const startedAt = process.hrtime.bigint();
const from = startedAt + BigInt(Math.round(opt.warmup * 1e9));
const end = from + BigInt(Math.round(opt.duration * 1e9));
let cpuAtFrom = null;
let total = 0;
let counted = 0;

function one() {
  let got = 0;
  const socket = net.connect(opt.port, '127.0.0.1', () => socket.write(ping));
  socket.on('data', (d) => {
    got += d.length;
    if (got === opt.size) socket.end();
    else if (got > opt.size) fail(`got ${got} bytes back for a ${opt.size}-byte ping`);
  });
  socket.on('error', (err) => fail(`socket error after ${total} connections: ${err.message}`));
  socket.on('close', () => {
    if (got !== opt.size) fail(`connection closed with ${got} of ${opt.size} bytes echoed`);
    total++;
    const now = process.hrtime.bigint();
    if (now >= from) {
      if (cpuAtFrom === null) cpuAtFrom = cpuSeconds();
      else counted++;
    }
    if (now >= end) finish();
    else one();
  });
}

// Stall watchdog: fail loudly if no connection completes for `stall` seconds.
let lastTotal = -1;
let stalledFor = 0;
const watchdog = setInterval(() => {
  stalledFor = total === lastTotal ? stalledFor + 0.5 : 0;
  lastTotal = total;
  if (stalledFor >= opt.stall) fail(`stalled: no connection completed for ${opt.stall}s after ${total}`);
}, 500);

function finish() {
  clearInterval(watchdog);
  const result = {
    mode: 'client-churn',
    size: opt.size,
    duration_s: opt.duration,
    ops_total: counted,
    conn_per_s: counted / opt.duration,
    ...cpuSince(cpuAtFrom),
    driver: driver(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

one();

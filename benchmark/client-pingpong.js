'use strict';
// Client-side twin of `loadgen pingpong --conns 1`: here the module under test is
// the CLIENT and the fixed plain-Rust echo server answers. Plain Node style:
// write a ping, collect 'data' until the whole echo is back, check it, repeat.
// Usage: RSNET_BENCH_MODULE=net|rsnet node client-pingpong.js --port P
//        [--size 64] [--duration 5] [--warmup 1] [--stall 10]
// Prints one JSON line: round trips/s, latency p50/p99 (µs), own CPU.
const { net, driver } = require('./net-module');
const { exitWithParent } = require('./lifetime');
const { Pattern } = require('./pattern');
const { parseOptions, fail, cpuSeconds, cpuSince } = require('./cli');

const opt = parseOptions(process.argv.slice(2), { port: 0, size: 64, duration: 5, warmup: 1, stall: 10 });
if (!opt.port) fail('--port is required');
exitWithParent();

const pat = new Pattern(opt.size);
const latencies = [];
let offset = 0; // each ping starts at a new pattern offset, so a stale echo cannot pass
let expected;
let sentAt;
let parts = [];
let got = 0;
let total = 0;
let counted = 0;
let from;
let end;
let finished = false;
let cpuAtConnect; // CPU is counted from 'connect' on, so process start-up and module loading are excluded

const socket = net.connect(opt.port, '127.0.0.1');
socket.setNoDelay(true); // a latency-minded client turns Nagle off

socket.on('connect', () => {
  cpuAtConnect = cpuSeconds();
  from = process.hrtime.bigint() + BigInt(Math.round(opt.warmup * 1e9));
  end = from + BigInt(Math.round(opt.duration * 1e9));
  send();
});

function send() {
  expected = pat.at(offset, opt.size);
  parts = [];
  got = 0;
  sentAt = process.hrtime.bigint();
  socket.write(expected);
}

socket.on('data', (d) => {
  parts.push(d);
  got += d.length;
  if (got < opt.size) return;
  if (got > opt.size) fail(`got ${got} bytes back for a ${opt.size}-byte ping`);
  const now = process.hrtime.bigint();
  const err = pat.check(offset, parts.length === 1 ? parts[0] : Buffer.concat(parts));
  if (err) fail(err);
  total++;
  if (sentAt >= from) {
    counted++;
    latencies.push(Number(now - sentAt));
  }
  offset += 13;
  if (now >= end) finish();
  else send();
});

// An error while closing after a complete run is still a failure: net emits none there.
socket.on('error', (err) =>
  fail(`socket error ${finished ? 'during end() after the run completed' : 'mid-run'}, after ${total} round trips: ${err.message}`),
);
socket.on('close', () => {
  if (!finished) fail(`connection closed after ${total} round trips`);
});

// Stall watchdog: fail loudly if no echo arrives for `stall` seconds.
let lastTotal = -1;
let stalledFor = 0;
const watchdog = setInterval(() => {
  stalledFor = total === lastTotal ? stalledFor + 0.5 : 0;
  lastTotal = total;
  if (stalledFor >= opt.stall) fail(`stalled: no echo for ${opt.stall}s after ${total} round trips`);
}, 500);

function finish() {
  finished = true;
  clearInterval(watchdog);
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.max(0, Math.ceil((p / 100) * latencies.length) - 1)] / 1000;
  const result = {
    mode: 'client-pingpong',
    size: opt.size,
    duration_s: opt.duration,
    round_trips: counted,
    ops_total: total,
    rt_per_s: counted / opt.duration,
    p50_us: pct(50),
    p99_us: pct(99),
    max_us: pct(100),
    ...cpuSince(cpuAtConnect),
    driver: driver(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Close politely; do not let a slow close hold the process.
  socket.on('close', () => process.exit(0));
  socket.end();
  setTimeout(() => process.exit(0), 2000).unref();
}

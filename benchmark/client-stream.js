'use strict';
// Client-side twin of `loadgen stream --conns 1`: the module under test is the
// CLIENT, the fixed plain-Rust echo server answers. Plain Node style: write
// chunks until write() returns false, continue on 'drain'; check every echoed
// byte in 'data'. After the window, stop writing and wait for every sent byte.
// With --tls 1 it speaks TLS (Node's tls.connect, trusting RSNET_BENCH_TLS_DIR's
// certificate; see tls-module.js) to a TLS echo server: the tls-client-stream mode.
// Usage: RSNET_BENCH_MODULE=net|rsnet node client-stream.js --port P
//        [--chunk 65536] [--duration 5] [--warmup 1] [--stall 10] [--tls 0|1]
// Prints one JSON line: MB/s (10^6 bytes) echoed inside the window, own CPU.
const { net, driver } = require('./net-module');
const { exitWithParent } = require('./lifetime');
const { Pattern } = require('./pattern');
const { parseOptions, fail, cpuSeconds, cpuSince } = require('./cli');

const opt = parseOptions(process.argv.slice(2), { port: 0, chunk: 65536, duration: 5, warmup: 1, stall: 10, tls: 0 });
if (!opt.port) fail('--port is required');
exitWithParent();

const pat = new Pattern(opt.chunk);
let sent = 0;
let received = 0;
let atFrom = 0;
let atEnd = 0;
let tFrom;
let tEnd;
let writing = true;
let finished = false;
let cpuAtConnect; // CPU is counted from 'connect' on, so process start-up and module loading are excluded

// TLS streams from 'secureConnect': the handshake is not part of the measured work.
const socket = opt.tls ? connectTls() : net.connect(opt.port, '127.0.0.1');
let tlsInfo = {};

function connectTls() {
  const { tls, tlsPath, EXPECTED } = require('./tls-module');
  const { trusted } = require('./tls-cert');
  const s = tls.connect({ port: opt.port, host: '127.0.0.1', servername: 'localhost', ca: trusted() });
  s.once('secureConnect', () => {
    tlsInfo = { tls: tlsPath(s), protocol: s.getProtocol(), cipher: s.getCipher().name };
    if (tlsInfo.tls !== EXPECTED) fail(`the connection runs ${tlsInfo.tls} TLS, not ${EXPECTED}`);
  });
  return s;
}

socket.on(opt.tls ? 'secureConnect' : 'connect', () => {
  cpuAtConnect = cpuSeconds();
  setTimeout(() => {
    atFrom = received;
    tFrom = process.hrtime.bigint();
  }, opt.warmup * 1000);
  setTimeout(() => {
    atEnd = received;
    tEnd = process.hrtime.bigint();
    writing = false;
    maybeFinish();
  }, (opt.warmup + opt.duration) * 1000);
  pump();
});

function pump() {
  while (writing) {
    const ok = socket.write(pat.at(sent, opt.chunk));
    sent += opt.chunk;
    if (!ok) {
      socket.once('drain', pump);
      return;
    }
  }
}

socket.on('data', (d) => {
  const err = pat.check(received, d);
  if (err) fail(err);
  received += d.length;
  if (received > sent) fail(`received ${received} bytes but only ${sent} were sent`);
  maybeFinish();
});

// An error while closing after a complete run is still a failure: net emits none there.
socket.on('error', (err) =>
  fail(`socket error ${finished ? 'during end() after the run completed' : 'mid-run'}, after ${received} of ${sent} bytes echoed: ${err.message}`),
);
socket.on('close', () => {
  if (!finished) fail(`connection closed after ${received} of ${sent} bytes echoed`);
});

let lastReceived = -1;
let stalledFor = 0;
const watchdog = setInterval(() => {
  stalledFor = received === lastReceived ? stalledFor + 0.5 : 0;
  lastReceived = received;
  if (stalledFor >= opt.stall) fail(`stalled: nothing echoed for ${opt.stall}s (${received} of ${sent} bytes back)`);
}, 500);

function maybeFinish() {
  if (writing || finished || received !== sent) return;
  finished = true;
  clearInterval(watchdog);
  const seconds = Number(tEnd - tFrom) / 1e9;
  const result = {
    mode: 'client-stream',
    chunk: opt.chunk,
    duration_s: seconds,
    bytes: atEnd - atFrom,
    ops_total: received,
    mb_per_s: (atEnd - atFrom) / seconds / 1e6,
    ...cpuSince(cpuAtConnect),
    ...tlsInfo,
    driver: driver(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  socket.on('close', () => process.exit(0));
  socket.end();
  setTimeout(() => process.exit(0), 2000).unref();
}

'use strict';
// TLS client handshakes, the module under test being the CLIENT: Node's tls.connect
// (under rsnet, rsnet/register with RSNET_TLS=native: tls-module.js) to a fixed TLS
// echo server, trusting RSNET_BENCH_TLS_DIR's certificate. Each connection: TCP
// connect, a full handshake with the certificate verified, a --size ping and its
// echo, end(), 'close'; then the next one. --conns connections are in flight at
// once. No session is ever offered back (tls.connect resumes only a `session` it is
// given), so every handshake is a full one: a resumed connection fails the run, as
// does one that runs another TLS than its module promises.
// Usage: RSNET_BENCH_MODULE=net|rsnet node tls-client-handshake.js --port P
//        [--conns 4] [--size 64] [--duration 5] [--warmup 1] [--stall 10]
// Prints one JSON line: handshakes (connections)/s and own CPU, both inside the
// measured window (after the warm-up).
const { driver } = require('./net-module');
const { tls, tlsPath, EXPECTED } = require('./tls-module');
const { trusted } = require('./tls-cert');
const { exitWithParent } = require('./lifetime');
const { Pattern } = require('./pattern');
const { parseOptions, fail, cpuSeconds, cpuSince } = require('./cli');

const opt = parseOptions(process.argv.slice(2), { port: 0, conns: 4, size: 64, duration: 5, warmup: 1, stall: 10 });
if (!opt.port) fail('--port is required');
exitWithParent();

const ping = new Pattern(opt.size).at(0, opt.size);
const ca = trusted();
let total = 0;
let counted = 0;
let measuring = false;
let ending = false;
let inFlight = 0;
let cpuAtFrom;
let cpu;
let tFrom;
let seconds;
let agreed = {};

function one() {
  inFlight++;
  let got = 0;
  const socket = tls.connect({ port: opt.port, host: '127.0.0.1', servername: 'localhost', ca }, () => {
    if (socket.isSessionReused()) fail(`connection ${total + 1} resumed a session: not a full handshake`);
    const path = tlsPath(socket);
    if (path !== EXPECTED) fail(`a connection runs ${path} TLS, not ${EXPECTED}`);
    agreed = { tls: path, protocol: socket.getProtocol(), cipher: socket.getCipher().name };
    socket.write(ping);
  });
  socket.on('data', (d) => {
    got += d.length;
    if (got === opt.size) socket.end();
    else if (got > opt.size) fail(`got ${got} bytes back for a ${opt.size}-byte ping`);
  });
  socket.on('error', (err) => fail(`socket error after ${total} connections: ${err.stack || err.message}`));
  socket.on('close', () => {
    if (got !== opt.size) fail(`connection closed with ${got} of ${opt.size} bytes echoed`);
    total++;
    inFlight--;
    if (measuring) counted++;
    if (!ending) one();
    else if (!inFlight) finish();
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

setTimeout(() => {
  measuring = true;
  cpuAtFrom = cpuSeconds();
  tFrom = process.hrtime.bigint();
}, opt.warmup * 1000);
setTimeout(() => {
  measuring = false;
  ending = true;
  cpu = cpuSince(cpuAtFrom);
  seconds = Number(process.hrtime.bigint() - tFrom) / 1e9;
}, (opt.warmup + opt.duration) * 1000);

function finish() {
  clearInterval(watchdog);
  const result = {
    mode: 'tls-client-handshake',
    conns: opt.conns,
    size: opt.size,
    duration_s: seconds,
    ops_total: counted,
    hs_per_s: counted / seconds,
    ...cpu,
    ...agreed,
    driver: driver(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

for (let i = 0; i < opt.conns; i++) one();

'use strict';
// HTTP client under test: Node's own http client with a keep-alive Agent
// (maxSockets 64) whose createConnection returns sockets of the module under test;
// 64 GET requests are kept in flight against a fixed server (the plain-Rust
// `loadgen http-server`, which answers every GET with --size pattern bytes). Every
// response is checked: status 200, exact body. Same file for net and rsnet.
// With --tls 1 it is an HTTPS client: `https.get` through an `https.Agent` with
// keep-alive (its own createConnection, tls.connect: under rsnet, rsnet/register
// with RSNET_TLS=native makes that rsnet's native TLS; see tls-module.js), trusting
// RSNET_BENCH_TLS_DIR's certificate, against a fixed HTTPS server; every connection
// is checked to run the TLS its module promises.
// Usage: RSNET_BENCH_MODULE=net|rsnet node http-client.js --port P
//        [--size 13] [--conns 64] [--duration 5] [--warmup 1] [--stall 10] [--tls 0|1]
// Prints one JSON line: requests/s, latency p50/p99 (µs), own CPU.
const { net, driver } = require('./net-module');
const { exitWithParent } = require('./lifetime');
const { Pattern } = require('./pattern');
const { parseOptions, fail, cpuSeconds, cpuSince } = require('./cli');

const opt = parseOptions(process.argv.slice(2), { port: 0, size: 13, conns: 64, duration: 5, warmup: 1, stall: 10, tls: 0 });
if (!opt.port) fail('--port is required');
exitWithParent();

const expected = Buffer.from(new Pattern(opt.size).at(0, opt.size));
const { client, agent, checkSocket, tlsInfo } = opt.tls ? httpsClient() : httpClient();

function httpClient() {
  const http = require('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: opt.conns });
  agent.createConnection = (options, callback) => net.createConnection(options, callback);
  return { client: http, agent, checkSocket() {}, tlsInfo: {} };
}

// The agent's own createConnection: tls.connect of Node's tls (rsnet's under register).
function httpsClient() {
  const { https, tlsPath, EXPECTED } = require('./tls-module');
  const { trusted } = require('./tls-cert');
  const agent = new https.Agent({ keepAlive: true, maxSockets: opt.conns, ca: trusted(), servername: 'localhost' });
  const tlsInfo = {};
  // Called once per new socket (the path is fixed when the socket is made); what
  // the handshake agreed is known once it is done.
  const checkSocket = (socket) => {
    const path = tlsPath(socket);
    if (path !== EXPECTED) fail(`a connection runs ${path} TLS, not ${EXPECTED}`);
    const agreed = () => Object.assign(tlsInfo, { tls: path, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
    if (socket.getCipher()) agreed();
    else socket.once('secureConnect', agreed);
  };
  return { client: https, agent, checkSocket, tlsInfo };
}

const latencies = [];
let total = 0;
let counted = 0;
let sockets = 0;
let from;
let end;
let finished = false;
let inFlight = 0;
const cpuAtStart = cpuSeconds(); // after module loading, before the first connect

function request() {
  inFlight++;
  const sentAt = process.hrtime.bigint();
  const req = client.get({ host: '127.0.0.1', port: opt.port, path: '/', agent }, (res) => {
    if (res.statusCode !== 200) fail(`status ${res.statusCode} after ${total} responses`);
    const parts = [];
    res.on('data', (d) => parts.push(d));
    res.on('end', () => {
      const got = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      if (!got.equals(expected)) fail(`response body of ${got.length} bytes differs from the expected ${expected.length}`);
      const now = process.hrtime.bigint();
      total++;
      inFlight--;
      if (sentAt >= from) {
        counted++;
        latencies.push(Number(now - sentAt));
      }
      if (now < end) request();
      else if (!inFlight) finish();
    });
    res.on('error', (err) => fail(`response error after ${total} responses: ${err.message}`));
  });
  req.on('socket', (s) => {
    if (!s._rsnetBenchSeen) {
      s._rsnetBenchSeen = true;
      sockets++;
      checkSocket(s);
    }
  });
  req.on('error', (err) => fail(`request error after ${total} responses: ${err.stack || err.message}`));
}

let lastTotal = -1;
let stalledFor = 0;
const watchdog = setInterval(() => {
  stalledFor = total === lastTotal ? stalledFor + 0.5 : 0;
  lastTotal = total;
  if (stalledFor >= opt.stall) fail(`stalled: no response for ${opt.stall}s after ${total} responses`);
}, 500);

function finish() {
  if (finished) return;
  finished = true;
  clearInterval(watchdog);
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.max(0, Math.ceil((p / 100) * latencies.length) - 1)] / 1000;
  const result = {
    mode: opt.tls ? 'https-client' : 'http-client',
    conns: opt.conns,
    size: opt.size,
    sockets,
    duration_s: opt.duration,
    requests: counted,
    ops_total: total,
    req_per_s: counted / opt.duration,
    p50_us: pct(50),
    p99_us: pct(99),
    max_us: pct(100),
    ...cpuSince(cpuAtStart),
    ...tlsInfo,
    driver: driver(),
  };
  if (opt.tls && !tlsInfo.tls) fail('no connection finished its TLS handshake');
  if (sockets > opt.conns) fail(`${sockets} sockets were opened for ${opt.conns} keep-alive slots: the agent did not reuse them`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  agent.destroy();
  process.exit(0); // stdout is a pipe: the write above is synchronous on Linux
}

from = process.hrtime.bigint() + BigInt(Math.round(opt.warmup * 1e9));
end = from + BigInt(Math.round(opt.duration * 1e9));
for (let i = 0; i < opt.conns; i++) request();

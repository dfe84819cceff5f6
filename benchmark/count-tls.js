'use strict';
// TLS operations for counting instructions (callgrind) per operation, client and
// server in ONE process of the module under test: with net, Node's tls (OpenSSL) on
// both sides; with rsnet, rsnet.tls on both sides. Runs WARMUP operations, then N;
// run it at two N under callgrind and divide the difference by the difference of N
// (start-up and warm-up cancel). Same file for both modules.
// Usage: RSNET_BENCH_MODULE=net|rsnet node count-tls.js OP WARMUP N
//   request:   an HTTPS keep-alive GET (Node's http server fed by the TLS server, an
//              https-style Agent whose connections are the module's TLS sockets)
//   handshake: connect, TLS handshake, 64 B echo, end, close (one at a time)
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { net, name, driver } = require('./net-module');
const { fail } = require('./cli');

const tls = name === 'net' ? require('node:tls') : net.tls;
const [op, warmupArg, nArg] = process.argv.slice(2);
const warmup = Number(warmupArg);
const n = Number(nArg);
if (!['request', 'handshake'].includes(op) || !(warmup >= 0) || !(n >= 1)) fail('usage: count-tls.js request|handshake WARMUP N');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-count-tls-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=localhost'], { cwd: dir, stdio: 'ignore' });
const key = fs.readFileSync(path.join(dir, 'key.pem'));
const cert = fs.readFileSync(path.join(dir, 'cert.pem'));
fs.rmSync(dir, { recursive: true, force: true });
const clientOptions = { host: '127.0.0.1', ca: cert, servername: 'localhost' };
const PING = Buffer.alloc(64, 'p');

function requests(port, count, done) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  agent.createConnection = (options) => tls.connect({ ...clientOptions, port });
  let left = count;
  const next = () => {
    if (left-- === 0) {
      agent.destroy();
      return done();
    }
    http.get({ port, host: '127.0.0.1', agent }, (res) => {
      res.resume();
      res.on('end', next);
    }).on('error', (err) => fail(`request: ${err.message}`));
  };
  next();
}

function handshakes(port, count, done) {
  if (count === 0) return done();
  const s = tls.connect({ ...clientOptions, port }, () => s.write(PING));
  s.on('error', (err) => fail(`client: ${err.message}`));
  s.once('data', () => s.end());
  s.on('close', () => handshakes(port, count - 1, done));
  s.resume();
}

const httpServer = http.createServer((req, res) => res.end('hello, world\n'));
const server = op === 'request' ?
  tls.createServer({ key, cert }, (s) => httpServer.emit('connection', s)) :
  tls.createServer({ key, cert }, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
  });
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const run = op === 'request' ? requests : handshakes;
  run(port, warmup, () => run(port, n, () => {
    process.stdout.write(`${JSON.stringify({ op, n, module: name, driver: driver() })}\n`);
    server.close();
    httpServer.close();
  }));
});

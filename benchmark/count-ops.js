'use strict';
// The workload of the counting mode (`node benchmark/run.js --count`): client and
// server in ONE process, so a tool that watches one process (callgrind, strace -f)
// sees both sides and no load generator is needed. Runs --n operations of one kind
// after the servers are up, checks every reply, prints one JSON line and exits. The
// runner runs it twice (n and 6n) under each tool and takes the difference, so
// start-up and the set-up below cancel. Same file for net and rsnet.
// Usage: RSNET_BENCH_MODULE=net|rsnet node count-ops.js OP N
//   pingpong: a 64 B write echoed back, on one connection (N round trips)
//   conn:     connect, 64 B echo, end, close; one connection at a time (N connections)
//   http:     a keep-alive GET through Node's http server fed by the module's sockets
//             and an http.Agent whose createConnection is the module's (N requests)
//   bulk:     64 KiB writes echoed on one connection, back-pressured (N MiB)
const http = require('node:http');
const { net, name, driver } = require('./net-module');
const { exitWithParent } = require('./lifetime');
const { fail } = require('./cli');

const OPS = ['pingpong', 'conn', 'http', 'bulk'];
const [op, nArg] = process.argv.slice(2);
const opt = { n: Number(nArg) };
if (!OPS.includes(op) || !Number.isInteger(opt.n) || opt.n < 1) fail(`usage: count-ops.js ${OPS.join('|')} N`);
exitWithParent(Number(process.env.RSNET_BENCH_MAX_SECONDS) || 120);

const PING = Buffer.alloc(64, 'p');
const CHUNK = Buffer.alloc(64 * 1024, 'b');
const BODY_TEXT = 'hello, world\n';
const BODY = Buffer.from(BODY_TEXT, 'latin1');
const HOST = '127.0.0.1';

// The echo server every socket op talks to: echo with backpressure, as echo-server.js.
function echoServer() {
  return net.createServer((socket) => {
    socket.on('data', (d) => {
      if (!socket.write(d)) socket.pause();
    });
    socket.on('drain', () => socket.resume());
    socket.on('error', (err) => fail(`server socket: ${err.message}`));
  });
}

function listen(server, onListening) {
  server.on('error', (err) => fail(`listen: ${err.message}`));
  server.listen(0, HOST, onListening);
}

// Each op below is a plain callback loop with one 'data' listener per socket, so
// that the harness itself adds as few instructions per operation as it can: they
// are the same for every module and would only pull the ratios towards 1.

// n round trips of 64 B on one connection.
function pingpong(port, n, done) {
  const s = net.createConnection({ port, host: HOST }, () => s.write(PING));
  s.on('error', (err) => fail(`client socket: ${err.message}`));
  let left = n;
  let got = 0;
  s.on('data', (d) => {
    got += d.length;
    if (got < PING.length) return;
    if (got > PING.length || d[d.length - 1] !== PING[0]) fail(`round trip ${n - left}: echo differs`);
    got = 0;
    if (--left === 0) {
      s.destroy();
      done();
    } else s.write(PING);
  });
}

// n connections, one at a time: connect, 64 B echo, end, wait for 'close'.
function conn(port, n, done) {
  let left = n;
  const one = () => {
    const s = net.createConnection({ port, host: HOST }, () => s.write(PING));
    s.on('error', (err) => fail(`client socket: ${err.message}`));
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
      if (got === PING.length) s.end(); // the server's socket ends too (allowHalfOpen is false)
      else if (got > PING.length) fail(`connection ${n - left}: echoed ${got} bytes`);
    });
    s.on('close', () => {
      if (got !== PING.length) fail(`connection ${n - left}: closed after ${got} bytes`);
      if (--left === 0) done();
      else one();
    });
  };
  one();
}

// n MiB in 64 KiB writes, back-pressured, echoed and counted on one connection.
function bulk(port, mib, done) {
  const total = mib * 1024 * 1024;
  let sent = 0;
  let received = 0;
  const s = net.createConnection({ port, host: HOST }, write);
  s.on('error', (err) => fail(`client socket: ${err.message}`));
  function write() {
    while (sent < total) {
      sent += CHUNK.length;
      if (!s.write(CHUNK)) return void s.once('drain', write);
    }
  }
  s.on('data', (d) => {
    received += d.length;
    if (received < total) return;
    if (received > total) fail(`echoed ${received} bytes of ${total}`);
    s.destroy();
    done();
  });
}

// Node's http server fed by the module's sockets; Node's http client with a
// keep-alive agent whose sockets are the module's. One socket, n requests in turn.
function httpRequests(n, done) {
  const httpServer = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Length': String(BODY.length) });
    res.end(BODY);
  });
  const netServer = net.createServer((s) => httpServer.emit('connection', s));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  agent.createConnection = (options, callback) => net.createConnection(options, callback);
  let left = n;
  let sockets = 0;
  const get = () => {
    const req = http.get({ host: HOST, port: netServer.address().port, path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200 || body !== BODY_TEXT) fail(`request ${n - left}: bad response`);
        if (--left > 0) return get();
        if (sockets !== 1) fail(`the agent opened ${sockets} sockets for one keep-alive slot`);
        agent.destroy();
        done();
      });
    });
    req.on('socket', (s) => {
      if (!s.rsnetCountSeen) sockets++;
      s.rsnetCountSeen = true;
    });
    req.on('error', (err) => fail(`request: ${err.message}`));
  };
  listen(netServer, get);
}

function main() {
  const report = () => {
    process.stdout.write(`${JSON.stringify({ op, n: opt.n, module: name, driver: driver() })}\n`);
    process.exit(0);
  };
  if (op === 'http') return httpRequests(opt.n, report);
  const server = echoServer();
  listen(server, () => {
    const port = server.address().port;
    if (op === 'pingpong') pingpong(port, opt.n, report);
    else if (op === 'conn') conn(port, opt.n, report);
    else bulk(port, opt.n, report);
  });
}

main();

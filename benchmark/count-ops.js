'use strict';
// The workload of the counting mode (`node benchmark/run.js --count`): client and
// server in ONE process, so a tool that watches one process (callgrind, strace -f)
// sees both sides and no load generator is needed. Once the servers are up it runs
// WARMUP operations of one kind (V8 optimises the hot paths meanwhile), prints
// {"warm":true}, waits for a line "go" on stdin (the runner switches callgrind's
// instrumentation on in between), runs N more, checking every reply, prints one
// JSON line and exits. The runner runs it twice (N = n and 6n) under each tool and
// takes the difference, so start-up, warm-up and exit cancel. Same file for net
// and rsnet.
// Usage: RSNET_BENCH_MODULE=net|rsnet node count-ops.js OP WARMUP N  (then type go)
//   pingpong: a 64 B write echoed back, on the warm-up's connection (N round trips)
//   conn:     connect, 64 B echo, end, close; one connection at a time (N connections)
//   http:     a keep-alive GET through Node's http server listening through the module
//             (for rsnet, under rsnet/register, as http-server.js: its parser reads
//             rsnet's handles; RSNET_BENCH_HTTP=emit feeds it with emit('connection')
//             instead) and an http.Agent whose createConnection is the module's
//             (N requests)
//   bulk:     64 KiB writes echoed on the warm-up's connection, back-pressured (N MiB)
const { net, name, driver } = require('./net-module');
// Installed before node:http loads, as `-r rsnet/register` would be.
const viaEmit = name === 'rsnet' && process.env.RSNET_BENCH_HTTP === 'emit';
if (name === 'rsnet' && !viaEmit && process.argv[2] === 'http') require('../lib/register').install('require');
const http = require('node:http');
const { exitWithParent } = require('./lifetime');
const { fail } = require('./cli');

const OPS = ['pingpong', 'conn', 'http', 'bulk'];
const [op, warmupArg, nArg] = process.argv.slice(2);
const opt = { warmup: Number(warmupArg), n: Number(nArg) };
const count = (x, min) => Number.isInteger(x) && x >= min;
if (!OPS.includes(op) || !count(opt.warmup, 0) || !count(opt.n, 1)) fail(`usage: count-ops.js ${OPS.join('|')} WARMUP N`);
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

// The warm-up and the counted round trips share one connection, so that what is
// counted is the steady cost of a round trip: a new connection after the warm-up
// runs code paths (connect, accept) that the warm-up's optimised code never saw, and
// V8 deoptimises and compiles again while counting.
function pingpong(port, ready) {
  const s = net.createConnection({ port, host: HOST }, () => ready(run));
  s.on('error', (err) => fail(`client socket: ${err.message}`));
  let left = 0;
  let got = 0;
  let done;
  function run(n, onDone) {
    if (n === 0) return onDone();
    left = n;
    done = onDone;
    s.write(PING);
  }
  s.on('data', (d) => {
    got += d.length;
    if (got < PING.length) return;
    if (got > PING.length || d[d.length - 1] !== PING[0]) fail(`round trip: echo differs`);
    got = 0;
    if (--left === 0) done();
    else s.write(PING);
  });
}

// n connections, one at a time: connect, 64 B echo, end, wait for 'close'.
function conn(port, n, done) {
  if (n === 0) return done();
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

// MiB in 64 KiB writes, back-pressured, echoed and counted on one connection, the
// same for the warm-up and the counted part (see pingpong).
function bulk(port, ready) {
  const s = net.createConnection({ port, host: HOST }, () => ready(run));
  s.on('error', (err) => fail(`client socket: ${err.message}`));
  let total = 0;
  let sent = 0;
  let received = 0;
  let done;
  function run(mib, onDone) {
    if (mib === 0) return onDone();
    total = mib * 1024 * 1024;
    sent = received = 0;
    done = onDone;
    write();
  }
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
    done();
  });
}

// Node's http server fed by the module's sockets; Node's http client with a
// keep-alive agent whose sockets are the module's. One socket, n requests in turn
// per call of the returned function.
function httpSetup(ready) {
  const httpServer = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Length': String(BODY.length) });
    res.end(BODY);
  });
  const listener = viaEmit ? net.createServer((s) => httpServer.emit('connection', s)) : httpServer;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  agent.createConnection = (options, callback) => net.createConnection(options, callback);
  let sockets = 0;
  let left;
  let done;
  let n;
  const get = () => {
    const req = http.get({ host: HOST, port: listener.address().port, path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200 || body !== BODY_TEXT) fail(`request ${n - left}: bad response`);
        if (--left > 0) return get();
        if (sockets !== 1) fail(`the agent opened ${sockets} sockets for one keep-alive slot`);
        done();
      });
    });
    req.on('socket', (s) => {
      if (!s.rsnetCountSeen) sockets++;
      s.rsnetCountSeen = true;
    });
    req.on('error', (err) => fail(`request: ${err.message}`));
  };
  const run = (port, count, onDone) => {
    if (count === 0) return onDone();
    n = left = count;
    done = onDone;
    get();
  };
  listen(listener, () => ready(run));
}

// Warm-up, the pause for the runner, then the counted operations. The runner writes
// a line to stdin at start (the warm-up runs stdin's own stream code too, so that
// its first data does not deoptimise the stream code the counted part runs) and
// "go" once counting is on.
function warmThenCount(run) {
  run(opt.warmup, () => {
    process.stdout.write('{"warm":true}\n');
    process.stdin.on('data', function go(line) {
      if (!String(line).includes('go')) return;
      process.stdin.off('data', go);
      run(opt.n, () => {
        process.stdout.write(`${JSON.stringify({ op, warmup: opt.warmup, n: opt.n, module: name, driver: driver() })}\n`);
        process.exit(0);
      });
    });
  });
}

function main() {
  if (op === 'http') return httpSetup((run) => warmThenCount((count, done) => run(null, count, done)));
  const server = echoServer();
  listen(server, () => {
    const port = server.address().port;
    if (op === 'conn') return warmThenCount((count, done) => conn(port, count, done));
    ({ pingpong, bulk })[op](port, warmThenCount);
  });
}

main();

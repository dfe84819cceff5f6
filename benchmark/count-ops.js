'use strict';
// The workload of the counting mode (`node benchmark/run.js --count`): client and
// server in ONE process, so a tool that watches one process (callgrind, strace -f)
// sees both sides and no load generator is needed. Once the servers are up it warms
// up twice, each time on fresh connections (WARMUP1 operations, everything closed,
// then WARMUP2 on new ones): V8 optimises the hot paths during the first and
// deoptimises and compiles again during the second (new sockets, new maps), and no
// more after. It then prints {"warm":true}, waits for a line "go" on stdin, read
// synchronously (the runner switches callgrind's instrumentation on in between; a
// blocking read runs no JS, where a stream read of stdin ran Node's stream code,
// which the sockets share, with a new map and made V8 recompile while counting),
// runs N more on the second warm-up's connections, checking every reply, prints one
// JSON line and exits. The runner runs it twice (N = n and 6n) under each tool and
// takes the difference, so start-up, warm-up and exit cancel. Same file for net
// and rsnet. RSNET_BENCH_COUNT_MARK=1 prints {"counting":true} (to stderr,
// synchronously) when the counted part starts: a `--trace-opt --trace-deopt` run then
// shows whether V8 still compiles after it.
// Usage: RSNET_BENCH_MODULE=net|rsnet node count-ops.js OP WARMUP1[,WARMUP2] N  (then type go)
//   pingpong: a 64 B write echoed back, on one connection (N round trips)
//   conn:     connect, 64 B echo, end, close; one connection at a time (N connections)
//   http:     a keep-alive GET through Node's http server listening through the module
//             (for rsnet, under rsnet/register, as http-server.js: its parser reads
//             rsnet's handles; RSNET_BENCH_HTTP=emit feeds it with emit('connection')
//             instead) and an http.Agent whose createConnection is the module's
//             (N requests on one keep-alive connection)
//   bulk:     64 KiB writes echoed on one connection, back-pressured (N MiB)
const fs = require('node:fs');
const { net, name, driver } = require('./net-module');
// Installed before node:http loads, as `-r rsnet/register` would be.
const viaEmit = name === 'rsnet' && process.env.RSNET_BENCH_HTTP === 'emit';
if (name === 'rsnet' && !viaEmit && process.argv[2] === 'http') require('../lib/register').install('require');
const http = require('node:http');
const { fail } = require('./cli');

const OPS = ['pingpong', 'conn', 'http', 'bulk'];
const [op, warmupArg, nArg] = process.argv.slice(2);
const warmups = String(warmupArg).split(',').map(Number);
const opt = { warmup: [warmups[0], warmups.length > 1 ? warmups[1] : Math.ceil(warmups[0] / 4)], n: Number(nArg) };
const count = (x, min) => Number.isInteger(x) && x >= min;
if (!OPS.includes(op) || warmups.length > 2 || !opt.warmup.every((w) => count(w, 0)) || !count(opt.n, 1)) {
  fail(`usage: count-ops.js ${OPS.join('|')} WARMUP1[,WARMUP2] N`);
}
// No stdin stream (lifetime.js's exitWithParent reads one): stdin is read only by the
// blocking read for "go", which also sees the runner's end of the pipe close. The cap
// ends a child whose runner died during the warm-up.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
setTimeout(() => fail('lifetime cap reached'), (Number(process.env.RSNET_BENCH_MAX_SECONDS) || 120) * 1000).unref();

const PING = Buffer.alloc(64, 'p');
const CHUNK = Buffer.alloc(64 * 1024, 'b');
const BODY_TEXT = 'hello, world\n';
const BODY = Buffer.from(BODY_TEXT, 'latin1');
const HOST = '127.0.0.1';

// The echo server every socket op talks to: echo with backpressure, as echo-server.js.
// It counts its open sockets, so that a warm-up can wait until its connections are
// closed on both sides.
function echoServer() {
  const server = net.createServer((socket) => {
    server.open++;
    socket.on('data', (d) => {
      if (!socket.write(d)) socket.pause();
    });
    socket.on('drain', () => socket.resume());
    socket.on('error', (err) => fail(`server socket: ${err.message}`));
    socket.on('close', () => {
      server.open--;
      server.onIdle?.();
    });
  });
  server.open = 0;
  return server;
}

function listen(server, onListening) {
  server.on('error', (err) => fail(`listen: ${err.message}`));
  server.listen(0, HOST, onListening);
}

// Calls `done` once the client socket `s` and every server-side socket are closed.
function whenAllClosed(server, s, done) {
  const check = () => {
    if (!s.destroyed || server.open > 0) return;
    server.onIdle = null;
    done();
  };
  server.onIdle = check;
  s.once('close', check);
}

// Each op below is a plain callback loop with one 'data' listener per socket, so
// that the harness itself adds as few instructions per operation as it can: they
// are the same for every module and would only pull the ratios towards 1. Each is a
// session: `open(ready)` makes one (its connection, if it keeps one) and calls
// `ready(run, close)`; `run(n, done)` does n operations, `close(done)` ends the
// session's connection on both sides.

// n round trips on the session's one connection.
function pingpong(server, port, ready) {
  const s = net.createConnection({ port, host: HOST }, () => ready(run, (done) => {
    whenAllClosed(server, s, done);
    s.end();
  }));
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

// MiB in 64 KiB writes, back-pressured, echoed and counted on the session's one
// connection.
function bulk(server, port, ready) {
  const s = net.createConnection({ port, host: HOST }, () => ready(run, (done) => {
    whenAllClosed(server, s, done);
    s.end();
  }));
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
// keep-alive agent whose sockets are the module's. A session is one agent, so one
// socket, n requests in turn per run; close destroys the agent and waits for both
// ends of its socket to close.
function httpSetup(ready) {
  const httpServer = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Length': String(BODY.length) });
    res.end(BODY);
  });
  const listener = viaEmit ? net.createServer((s) => httpServer.emit('connection', s)) : httpServer;
  let serverOpen = 0;
  let onServerIdle = null;
  listener.on('connection', (s) => {
    serverOpen++;
    s.on('close', () => {
      serverOpen--;
      onServerIdle?.();
    });
  });
  const session = (sessionReady) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agent.createConnection = (options, callback) => net.createConnection(options, callback);
    let socket = null;
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
          done();
        });
      });
      req.on('socket', (s) => {
        if (socket !== null && s !== socket) fail('the agent opened a second socket for one keep-alive slot');
        socket = s;
      });
      req.on('error', (err) => fail(`request: ${err.message}`));
    };
    const run = (count, onDone) => {
      if (count === 0) return onDone();
      n = left = count;
      done = onDone;
      get();
    };
    const close = (onClosed) => {
      const check = () => {
        if ((socket && !socket.destroyed) || serverOpen > 0) return;
        onServerIdle = null;
        onClosed();
      };
      onServerIdle = check;
      if (socket) socket.once('close', check);
      agent.destroy();
      check();
    };
    sessionReady(run, close);
  };
  listen(listener, () => ready(session));
}

// Waits, blocking, for a line "go" on stdin (fd 0); exits if stdin closes first.
function waitForGo() {
  const buf = Buffer.alloc(64);
  let line = '';
  for (;;) {
    let got;
    try {
      got = fs.readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a non-blocking pipe: poll
      continue;
    }
    if (got === 0) process.exit(0); // the runner is gone
    line += buf.toString('latin1', 0, got);
    if (line.includes('go')) return;
  }
}

// The two warm-ups, each in a session of its own (the first closed before the second
// opens), the pause for the runner, then the counted operations in the second
// warm-up's session.
function warmThenCount(open) {
  open((run1, close1) =>
    run1(opt.warmup[0], () =>
      close1(() =>
        open((run, _close) =>
          run(opt.warmup[1], () => {
            fs.writeSync(1, '{"warm":true}\n');
            waitForGo();
            if (process.env.RSNET_BENCH_COUNT_MARK) fs.writeSync(2, '{"counting":true}\n');
            run(opt.n, () => {
              fs.writeSync(1, `${JSON.stringify({ op, warmup: opt.warmup, n: opt.n, module: name, driver: driver() })}\n`);
              process.exit(0);
            });
          }),
        ),
      ),
    ),
  );
}

function main() {
  if (op === 'http') return httpSetup(warmThenCount);
  const server = echoServer();
  listen(server, () => {
    const port = server.address().port;
    if (op === 'conn') return warmThenCount((ready) => ready((count, done) => conn(port, count, done), (done) => done()));
    warmThenCount((ready) => ({ pingpong, bulk })[op](server, port, ready));
  });
}

main();

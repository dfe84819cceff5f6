'use strict';
// Unix domain sockets (IPC): listen(path)/connect(path), data both ways, socket
// files and their mode bits, unlinking, EADDRINUSE on live and stale files, EACCES,
// ENOENT. (Half-open, the abstract namespace, long paths and the TCP-only surface are
// in ipc-sockets.test.js.) Every scenario runs with built-in net (the reference) and
// with rsnet; the reference must produce exactly what the test expects and rsnet
// exactly what the reference produced.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const P = require('./helpers/parity');
const { runBothInDir, runPairsInDir, got, listenPath } = require('./helpers/unix-dirs');
const { shape, exitGuard } = require('./fixtures/util');

exitGuard(after, 'ipc.test.js');

const T = { timeout: 60_000 };

for (const [name, size] of [['1 B', 1], ['4 MiB', 4 * 1024 * 1024]]) {
  test(`listen(path)/connect(path) echo of ${name}: every byte back, in order`, T, async () => {
    const payload = P.randomBytes(size);
    const results = await runPairsInDir(async ({ server, client }, scope, dir) => {
      const sock = path.join(dir, 'echo.sock');
      const srvGot = new P.Digest();
      const srvDone = P.deferred(30_000, "accepted socket's 'close'");
      await listenPath(scope, server, [sock]).then((srv) => {
        srv.on('connection', (s) => {
          s.on('data', (d) => srvGot.update(d));
          s.on('close', () => srvDone.resolve());
          s.pipe(s);
        });
      });
      const c = scope.track(client.connect(sock));
      const rec = P.record(c, { events: ['connect', 'ready', 'end', 'close', 'error'] });
      const collected = P.collect(c, { timeoutMs: 30_000 });
      const closedP = P.once(c, 'close', { timeoutMs: 30_000, label: 'client', rejectOnError: false });
      c.end(payload);
      const back = await collected;
      await closedP;
      await srvDone.promise;
      return { client: rec.log, back, serverGot: srvGot.result(), bytesWritten: c.bytesWritten, bytesRead: c.bytesRead };
    });
    P.assertParity(results, {
      client: ['connect', 'ready', 'end', 'close(false)'],
      back: got(payload),
      serverGot: got(payload),
      bytesWritten: size,
      bytesRead: size,
    });
  });
}

test('listen({path, readableAll, writableAll}): socket file mode bits (umask 077)', T, async () => {
  const oldMask = process.umask(0o077);
  try {
    const results = await runBothInDir(async (mod, label, scope, dir) => {
      const out = {};
      for (const [key, opts] of [
        ['none', {}],
        ['readableAll', { readableAll: true }],
        ['writableAll', { writableAll: true }],
        ['both', { readableAll: true, writableAll: true }],
        ['false flags', { readableAll: false, writableAll: false }],
      ]) {
        const p = path.join(dir, `${key.replace(' ', '_')}.sock`);
        const srv = scope.track(mod.createServer());
        await new Promise((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ path: p, ...opts }, resolve);
        });
        const st = fs.statSync(p);
        out[key] = { mode: `0${(st.mode & 0o777).toString(8)}`, isSocket: st.isSocket() };
        await P.closeServer(srv);
      }
      return out;
    });
    P.assertParity(results, {
      none: { mode: '0700', isSocket: true },
      readableAll: { mode: '0744', isSocket: true },
      writableAll: { mode: '0722', isSocket: true },
      both: { mode: '0766', isSocket: true },
      'false flags': { mode: '0700', isSocket: true },
    });
  } finally {
    process.umask(oldMask);
  }
});

test('listen({path over 108 bytes, writableAll}): the socket file is the name cut to 108 bytes and chmodded (net leaves it after close)', T, async () => {
  const oldMask = process.umask(0o077);
  try {
    const results = await runBothInDir(async (mod, label, scope, dir) => {
      const SUN_PATH = 108;
      const full = path.join(dir, 'x'.repeat(SUN_PATH));
      const bound = full.slice(0, SUN_PATH);
      const srv = scope.track(mod.createServer());
      const listened = await new Promise((resolve) => {
        srv.once('error', (err) => resolve(err.code));
        srv.listen({ path: full, writableAll: true }, () => resolve('listening'));
      });
      const st = fs.statSync(bound);
      const out = {
        listened,
        address: srv.address() === full ? '<FULL PATH>' : srv.address(),
        boundMode: `0${(st.mode & 0o777).toString(8)}`,
        boundIsSocket: st.isSocket(),
      };
      await P.closeServer(srv);
      out.boundExistsAfterClose = fs.existsSync(bound);
      return out;
    });
    P.assertParity(results, {
      listened: 'listening',
      address: '<FULL PATH>',
      boundMode: '0722',
      boundIsSocket: true,
      // libuv unlinks the full name it was given, which is not the file.
      boundExistsAfterClose: true,
    });
  } finally {
    process.umask(oldMask);
  }
});

test('server.address() is the path; close() unlinks the socket file', T, async () => {
  const results = await runBothInDir(async (mod, label, scope, dir) => {
    const p = path.join(dir, 'addr.sock');
    const srv = scope.track(mod.createServer());
    const out = { before: srv.address(), existsBefore: fs.existsSync(p) };
    const ret = srv.listen(p);
    out.listenReturnsServer = ret === srv;
    await P.once(srv, 'listening');
    out.listening = srv.listening;
    out.address = srv.address() === p ? '<PATH>' : srv.address();
    out.fileIsSocket = fs.statSync(p).isSocket();
    const closed = new Promise((resolve) => srv.close((err) => resolve(err)));
    out.listeningAfterCloseCall = srv.listening;
    out.closeCbArg = await P.withTimeout(closed, 10_000, 'close cb');
    out.existsAfterClose = fs.existsSync(p);
    out.addressAfterClose = srv.address() === p ? '<PATH>' : srv.address();
    return out;
  });
  P.assertParity(results, {
    before: null,
    existsBefore: false,
    listenReturnsServer: true,
    listening: true,
    address: '<PATH>',
    fileIsSocket: true,
    listeningAfterCloseCall: false,
    closeCbArg: undefined,
    existsAfterClose: false,
    addressAfterClose: '<PATH>', // net keeps returning _pipeName after close
  });
});

test('close() unlinks the file even while a connection is still open (file gone before the server closes)', T, async () => {
  const results = await runBothInDir(async (mod, label, scope, dir) => {
    const p = path.join(dir, 'busy.sock');
    const srv = await listenPath(scope, mod, [p]);
    const accepted = P.once(srv, 'connection');
    const c = scope.track(mod.connect(p));
    await P.once(c, 'connect');
    const [s] = await accepted;
    let closeSeen = false;
    const closedP = new Promise((resolve) => srv.close(() => { closeSeen = true; resolve(); }));
    // One round trip on the still-open connection before looking at the file.
    s.write('x');
    await P.once(c, 'data');
    const out = { existsWhileConnOpen: fs.existsSync(p), closeSeenWhileConnOpen: closeSeen };
    c.destroy();
    await P.withTimeout(closedP, 10_000, 'server close');
    out.existsAfter = fs.existsSync(p);
    return out;
  });
  P.assertParity(results, { existsWhileConnOpen: false, closeSeenWhileConnOpen: false, existsAfter: false });
});

const EADDRINUSE_PIPE = {
  ctor: 'Error',
  isError: true,
  name: 'Error',
  message: 'listen EADDRINUSE: address already in use <PATH>',
  code: 'EADDRINUSE',
  errno: -98,
  syscall: 'listen',
  address: '<PATH>',
  port: -1,
  keys: ['address', 'code', 'errno', 'port', 'syscall'],
};

test('second listen on a live path: EADDRINUSE (full shape), no listening, first server unaffected', T, async () => {
  const results = await runBothInDir(async (mod, label, scope, dir) => {
    const p = path.join(dir, 'live.sock');
    const first = await listenPath(scope, mod, [p]);
    first.on('connection', (s) => s.end('first'));
    const second = scope.track(mod.createServer());
    const ev = [];
    for (const e of ['listening', 'close', 'error']) second.on(e, (x) => ev.push(e === 'error' ? ['error', shape(x, { [p]: '<PATH>' })] : e));
    second.listen(p);
    ev.push(['sync', { listening: second.listening }]);
    await P.once(second, 'error');
    await new Promise((r) => setImmediate(r));
    ev.push(['after', { listening: second.listening, address: second.address() === p ? '<PATH>' : second.address(), exists: fs.existsSync(p) }]);
    // the first server still serves
    const c = scope.track(mod.connect(p));
    const r = await P.collect(c, { keep: true });
    ev.push(['first still serves', r.buffer.toString()]);
    return ev;
  });
  P.assertParity(results, [
    ['sync', { listening: false }],
    ['error', EADDRINUSE_PIPE],
    // net's address() returns the pipe name even though listen failed
    ['after', { listening: false, address: '<PATH>', exists: true }],
    ['first still serves', 'first'],
  ]);
});

test('listen on a path in a missing directory: EACCES, as libuv reports it (not ENOENT)', T, async () => {
  const results = await runBothInDir(async (mod, label, scope, dir) => {
    const p = path.join(dir, 'no-such-dir', 'x.sock');
    const server = scope.track(mod.createServer());
    server.listen(p);
    const [err] = await P.once(server, 'error');
    return { error: shape(err, { [p]: '<PATH>' }), listening: server.listening };
  });
  P.assertParity(results, (r) => {
    assert.equal(r.error.code, 'EACCES');
    assert.equal(r.error.message, 'listen EACCES: permission denied <PATH>');
  });
});

// A socket file left behind by a process that was SIGKILLed while listening.
async function makeStaleSocket(p) {
  const child = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen(${JSON.stringify(p)}, () => process.stdout.write('ready\\n'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await P.once(child.stdout, 'data', { timeoutMs: 20_000, label: 'child ready' });
  } finally {
    const exited = P.once(child, 'exit', { timeoutMs: 20_000, label: 'child exit' });
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }
}

test('stale socket file (listener SIGKILLed): listen gives EADDRINUSE, connect gives ECONNREFUSED', T, async () => {
  const results = await runBothInDir(async (mod, label, scope, dir) => {
    const p = path.join(dir, 'stale.sock');
    await makeStaleSocket(p);
    const subs = { [p]: '<PATH>' };
    const out = { staleIsSocket: fs.statSync(p).isSocket() };
    const srv = scope.track(mod.createServer());
    srv.listen(p);
    const [err] = await P.once(srv, 'error');
    out.listenError = shape(err, subs);
    out.listening = srv.listening;
    out.stillExists = fs.existsSync(p);
    const c = scope.track(new mod.Socket());
    const ev = [];
    for (const e of ['connect', 'error', 'close']) c.on(e, (x) => ev.push(e === 'error' ? ['error', shape(x, subs)] : e === 'close' ? ['close', x] : e));
    c.connect(p);
    await P.once(c, 'close', { rejectOnError: false });
    out.connect = ev;
    // once the stale file is removed the path can be used again
    fs.unlinkSync(p);
    const again = await listenPath(scope, mod, [p]);
    out.afterUnlink = again.address() === p;
    return out;
  });
  P.assertParity(results, {
    staleIsSocket: true,
    listenError: EADDRINUSE_PIPE,
    listening: false,
    stillExists: true,
    connect: [
      ['error', {
        ctor: 'Error',
        isError: true,
        name: 'Error',
        message: 'connect ECONNREFUSED <PATH>',
        code: 'ECONNREFUSED',
        errno: -111,
        syscall: 'connect',
        address: '<PATH>',
        port: undefined,
        keys: ['address', 'code', 'errno', 'syscall'],
      }],
      ['close', true],
    ],
    afterUnlink: true,
  });
});

test('connect to a missing path: ENOENT (full shape), error then close(true)', T, async () => {
  const results = await runBothInDir(async (mod, label, scope, dir) => {
    const p = path.join(dir, 'missing.sock');
    const subs = { [p]: '<PATH>' };
    const ev = [];
    const c = scope.track(mod.connect({ path: p, port: 80, host: 'ignored.invalid' }));
    ev.push(['sync', { connecting: c.connecting, pending: c.pending, readyState: c.readyState }]);
    for (const e of ['lookup', 'connect', 'error', 'close']) c.on(e, (x) => ev.push(e === 'error' ? ['error', shape(x, subs)] : e === 'close' ? ['close', x] : e));
    await P.once(c, 'close', { rejectOnError: false });
    ev.push(['after', { destroyed: c.destroyed, readyState: c.readyState, connecting: c.connecting }]);
    return ev;
  });
  P.assertParity(results, [
    ['sync', { connecting: true, pending: true, readyState: 'opening' }],
    ['error', {
      ctor: 'Error',
      isError: true,
      name: 'Error',
      message: 'connect ENOENT <PATH>',
      code: 'ENOENT',
      errno: -2,
      syscall: 'connect',
      address: '<PATH>',
      port: undefined,
      keys: ['address', 'code', 'errno', 'syscall'],
    }],
    ['close', true],
    ['after', { destroyed: true, readyState: 'closed', connecting: false }],
  ]);
});

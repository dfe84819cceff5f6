'use strict';
// Unix domain sockets (IPC), beyond files and errors: half-open, the Linux abstract
// namespace, over-long paths, and the TCP-only surface (address(), resetAndDestroy()).
// Every scenario runs with built-in net (the reference) and with rsnet; the reference
// must produce exactly what the test expects and rsnet exactly what the reference
// produced.
const { test, after } = require('node:test');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const P = require('./helpers/parity');
const { runBothInDir, runPairsInDir, got, listenPath } = require('./helpers/unix-dirs');
const { shape, exitGuard } = require('./fixtures/util');

exitGuard(after, 'ipc-sockets.test.js');

const T = { timeout: 60_000 };

test("half-open over a Unix socket: allowHalfOpen server keeps writing after 'end'", T, async () => {
  const props = (s) => `readyState=${s.readyState} writable=${s.writable} readableEnded=${s.readableEnded}`;
  const results = await runPairsInDir(async ({ server, client }, scope, dir) => {
    const p = path.join(dir, 'half.sock');
    const srvRec = new P.Recording();
    const srvClosed = P.deferred(20_000, "accepted socket's 'close'");
    const srv = await listenPath(scope, server, [p], { allowHalfOpen: true });
    srv.on('connection', (s) => {
      srvRec.note(`accepted ${props(s)}`);
      srvRec.attach(s, { state: true, events: ['data', 'end', 'finish', 'close', 'error'] });
      s.on('close', () => srvClosed.resolve());
      s.on('end', () => {
        srvRec.note(`at end: ${props(s)}`);
        s.write('one ');
        setImmediate(() => {
          srvRec.note(`next turn: ${props(s)}`);
          s.write('two ');
          setTimeout(() => {
            srvRec.note(`later: ${props(s)}`);
            s.end('three');
          }, 20);
        });
      });
    });
    const c = scope.track(client.connect(p));
    const cliRec = P.record(c, { state: true, events: ['connect', 'ready', 'data', 'end', 'finish', 'close', 'error'] });
    c.end('request');
    await P.once(c, 'close', { timeoutMs: 20_000 });
    await srvClosed.promise;
    return {
      client: cliRec.view({ state: true }),
      server: srvRec.view({ state: true }),
      clientGot: cliRec.received(),
      serverGot: srvRec.received(),
    };
  });
  P.assertParity(results, {
    client: [
      'connect@readOnly',
      'ready@readOnly',
      'finish@readOnly',
      'data(13B)@readOnly',
      'end@closed',
      'close(false)@closed',
    ],
    server: [
      'accepted readyState=open writable=true readableEnded=false@',
      'data(7B)@open',
      'end@writeOnly',
      'at end: readyState=writeOnly writable=true readableEnded=true@',
      'next turn: readyState=writeOnly writable=true readableEnded=true@',
      'later: readyState=writeOnly writable=true readableEnded=true@',
      'finish@closed',
      'close(false)@closed',
    ],
    clientGot: got(Buffer.from('one two three')),
    serverGot: got(Buffer.from('request')),
  });
});

test("abstract namespace '\\0name': listen, address(), connect, no file; close frees the name", T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const name = `\0rsnet-abstract-${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
    const srv = await listenPath(scope, mod, [name]);
    srv.on('connection', (s) => s.end(`hello ${s.address() && typeof s.address()}`));
    const out = { address: srv.address() === name ? '<NAME>' : srv.address() };
    const c = scope.track(mod.connect(name));
    const rec = P.record(c, { events: ['connect', 'end', 'close', 'error'] });
    const closedP = P.once(c, 'close', { rejectOnError: false });
    const r = await P.collect(c, { keep: true });
    await closedP;
    out.client = rec.log;
    out.reply = r.buffer.toString();
    await P.closeServer(srv);
    // the name is free again: a new server can take it
    const again = await listenPath(scope, mod, [{ path: name }]);
    out.relisten = again.address() === name;
    return out;
  });
  P.assertParity(results, {
    address: '<NAME>',
    client: ['connect', 'end', 'close(false)'],
    reply: 'hello object',
    relisten: true,
  });
});

test('abstract namespace with readableAll / writableAll throws ERR_INVALID_ARG_VALUE synchronously', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const name = `\0rsnet-abstract-ra-${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
    const out = {};
    for (const [key, opts] of [['readableAll', { readableAll: true }], ['writableAll', { writableAll: true }]]) {
      const srv = scope.track(mod.createServer());
      const ev = [];
      srv.on('listening', () => ev.push('listening'));
      srv.on('error', (e) => ev.push(['error', e.code]));
      let thrown;
      try {
        srv.listen({ path: name, ...opts });
      } catch (e) {
        thrown = shape(e, { [name]: '<NAME>', [JSON.stringify(name)]: '<NAME>' });
      }
      // give any wrongly emitted event a chance: a full round trip of the loop
      await new Promise((r) => setImmediate(r));
      out[key] = { thrown: thrown && { ...thrown, message: thrown.message.replace(/Received .*$/, 'Received …') }, listening: srv.listening, ev };
    }
    return out;
  });
  const err = {
    ctor: 'TypeError',
    isError: true,
    name: 'TypeError',
    message: "The argument 'options' can not set readableAll or writableAllt to true when path is abstract unix socket. Received …",
    code: 'ERR_INVALID_ARG_VALUE',
    errno: undefined,
    syscall: undefined,
    address: undefined,
    port: undefined,
    keys: ['code'],
  };
  P.assertParity(results, {
    readableAll: { thrown: err, listening: false, ev: [] },
    writableAll: { thrown: err, listening: false, ev: [] },
  });
});

test('Unix sockets: address() is {}, remote/local address/port/family are undefined, _getpeername() is {}', T, async () => {
  const snap = (s) => ({
    address: s.address(),
    remoteAddress: s.remoteAddress,
    remotePort: s.remotePort,
    remoteFamily: s.remoteFamily,
    localAddress: s.localAddress,
    localPort: s.localPort,
    localFamily: s.localFamily,
    peername: s._getpeername(),
  });
  const results = await runPairsInDir(async ({ server, client }, scope, dir) => {
    const p = path.join(dir, 'addr.sock');
    const srv = await listenPath(scope, server, [p]);
    const accepted = P.once(srv, 'connection');
    const c = scope.track(client.connect(p));
    const beforeConnect = { remoteAddress: c.remoteAddress, localAddress: c.localAddress };
    await P.once(c, 'connect');
    const [s] = await accepted;
    return { beforeConnect, client: snap(c), accepted: snap(s) };
  });
  const none = {
    address: {},
    remoteAddress: undefined,
    remotePort: undefined,
    remoteFamily: undefined,
    localAddress: undefined,
    localPort: undefined,
    localFamily: undefined,
    peername: {},
  };
  P.assertParity(results, {
    beforeConnect: { remoteAddress: undefined, localAddress: undefined },
    client: none,
    accepted: none,
  });
});

test('path longer than 107 bytes: net truncates to sizeof(sun_path)=108 bytes (listen and connect), address() keeps the long path', T, async () => {
  const results = await runBothInDir(async (mod, label, scope, dir) => {
    const long = path.join(dir, 'L'.repeat(130 - dir.length - 1));
    const out = { pathBytes: Buffer.byteLength(long) };
    const srv = scope.track(mod.createServer((s) => s.end('via long path')));
    const ev = [];
    srv.on('error', (e) => ev.push(['error', shape(e, { [long]: '<LONG>' })]));
    srv.on('listening', () => ev.push('listening'));
    srv.listen(long);
    // One waiter for either outcome: a second once() would leave its timer running.
    await P.withTimeout(new Promise((resolve) => {
      srv.once('listening', resolve);
      srv.once('error', resolve);
    }), 10_000, "'listening' or 'error'");
    out.ev = ev;
    out.address = srv.address() === long ? '<LONG>' : srv.address();
    out.files = fs.readdirSync(dir).map((f) => ({ bytes: Buffer.byteLength(path.join(dir, f)), isPrefix: long.startsWith(path.join(dir, f)) }));
    if (srv.listening) {
      const c = scope.track(mod.connect(long));
      const r = await P.collect(c, { keep: true });
      out.reply = r.buffer.toString();
      await P.closeServer(srv);
      out.filesAfterClose = fs.readdirSync(dir).length;
    }
    return out;
  });
  P.assertParity(results, {
    pathBytes: 130,
    ev: ['listening'],
    address: '<LONG>',
    // libuv (Node 20.20.2) truncates to sizeof(sun_path) = 108 bytes, no NUL
    files: [{ bytes: 108, isPrefix: true }],
    reply: 'via long path',
    filesAfterClose: 1,
  });
});

test('resetAndDestroy() on a connected Unix socket throws ERR_INVALID_HANDLE_TYPE and leaves it open', T, async () => {
  const results = await runBothInDir(async (mod, label, scope, dir) => {
    const p = path.join(dir, 'rst.sock');
    const srv = await listenPath(scope, mod, [p]);
    srv.on('connection', (s) => { s.on('error', () => {}); s.on('data', (d) => s.write(d)); });
    const c = scope.track(mod.connect(p));
    await P.once(c, 'connect');
    let thrown;
    try {
      c.resetAndDestroy();
    } catch (e) {
      thrown = shape(e);
    }
    const out = { thrown, destroyed: c.destroyed, readyState: c.readyState };
    const echoed = P.deferred(10_000, 'echo');
    let back = '';
    c.on('data', (d) => { back += d; if (back.length >= 11) echoed.resolve(); });
    c.write('still works');
    await echoed.promise;
    out.echo = back;
    return out;
  });
  P.assertParity(results, {
    thrown: {
      ctor: 'TypeError',
      isError: true,
      name: 'TypeError',
      message: 'This handle type cannot be sent',
      code: 'ERR_INVALID_HANDLE_TYPE',
      errno: undefined,
      syscall: undefined,
      address: undefined,
      port: undefined,
      keys: ['code'],
    },
    destroyed: false,
    readyState: 'open',
    echo: 'still works',
  });
});

test('connect(path longer than 107 bytes) reaches the server bound on the truncated path (server: built-in net)', T, async () => {
  const results = await runBothInDir(async (mod, label, scope, dir) => {
    const long = path.join(dir, 'C'.repeat(140 - dir.length - 1));
    // the listener is always built-in net, so only the client side is compared
    const srv = await listenPath(scope, P.impls.net, [long]);
    srv.on('connection', (s) => s.end('reached'));
    const c = scope.track(mod.connect(long));
    const ev = [];
    c.on('connect', () => ev.push('connect'));
    c.on('error', (e) => ev.push(['error', shape(e, { [long]: '<LONG>' })]));
    c.on('close', (h) => ev.push(['close', h]));
    let reply = '';
    c.on('data', (d) => { reply += d; });
    await P.once(c, 'close', { rejectOnError: false });
    return { pathBytes: Buffer.byteLength(long), ev, reply };
  });
  P.assertParity(results, { pathBytes: 140, ev: ['connect', ['close', false]], reply: 'reached' });
});

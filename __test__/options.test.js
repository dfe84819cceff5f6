'use strict';
// Socket and server options: signal, resetAndDestroy, onread, highWaterMark,
// noDelay/keepAlive, pauseOnConnect, maxConnections + 'drop', getConnections (the
// rest of the smaller surface is in server-surface.test.js). Built-in net is the
// reference; rsnet must record exactly the same.
const { test, after } = require('node:test');
const P = require('./helpers/parity');
const { shape, exitGuard } = require('./fixtures/util');

exitGuard(after, 'options.test.js');

const T = { timeout: 60_000 };

// Records socket events in order (data merged; error as full shape).
function rec(sock, ev, tag, subs = {}) {
  let data = '';
  const push = (x) => ev.push(tag ? [tag, ...[].concat(x)] : x);
  sock.on('connect', () => push('connect'));
  sock.on('data', (d) => { if (data === '') push('data'); data += d; });
  sock.on('end', () => push(['end', data]));
  sock.on('error', (e) => push(['error', shape(e, subs)]));
  sock.on('close', (h) => push(['close', h]));
  return () => data;
}

// A server (of `mod`) on 127.0.0.1; resolves { srv, port }.
const server = P.scopedServer;

// ---------------------------------------------------------------------------
// AbortSignal on sockets

const ABORT_ERR = {
  ctor: 'AbortError',
  isError: true,
  name: 'AbortError',
  message: 'The operation was aborted',
  code: 'ABORT_ERR',
  errno: undefined,
  syscall: undefined,
  address: undefined,
  port: undefined,
  keys: ['code', 'name'],
};

test('new Socket({signal}) with an already aborted signal: AbortError on next tick, then close', T, async () => {
  // Node 20 quirk kept on purpose: the abort happens on the next tick, 'close'
  // carries no hadError argument and `destroyed` stays false afterwards.
  const results = await P.runBoth(async (mod, label, scope) => {
    const ev = [];
    const s = new mod.Socket({ signal: AbortSignal.abort() });
    ev.push(['sync', { destroyed: s.destroyed, readyState: s.readyState }]);
    rec(s, ev);
    s.on('error', (e) => ev.push(['cause', e.cause && e.cause.name]));
    await P.once(s, 'close', { rejectOnError: false });
    await P.delay(20); // "nothing more" window: a second 'close' would show up
    ev.push(['after', { destroyed: s.destroyed, readyState: s.readyState, connecting: s.connecting }]);
    return ev;
  });
  P.assertParity(results, [
    ['sync', { destroyed: false, readyState: 'open' }],
    ['error', ABORT_ERR],
    ['cause', 'AbortError'],
    ['close', undefined],
    ['after', { destroyed: false, readyState: 'writeOnly', connecting: false }],
  ]);
});

test('new Socket({signal}) aborted while connecting: AbortError then close(true), no connect', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const { port } = await server(scope, P.impls.net, undefined, (c) => c.on('error', () => {}));
    const ev = [];
    const ac = new AbortController();
    const s = scope.track(new mod.Socket({ signal: ac.signal }));
    rec(s, ev);
    s.connect(port, '127.0.0.1');
    ac.abort();
    ev.push(['sync after abort', { destroyed: s.destroyed, connecting: s.connecting }]);
    await P.once(s, 'close', { rejectOnError: false });
    // "nothing more may happen" window (no late 'connect')
    await P.delay(50);
    return ev;
  });
  P.assertParity(results, [
    ['sync after abort', { destroyed: true, connecting: false }],
    ['error', ABORT_ERR],
    ['close', true],
  ]);
});

test('new Socket({signal}) aborted after connect (with a reason): AbortError with cause; the peer sees end', T, async () => {
  const results = await P.runPairs(async ({ server: srvMod, client }, scope) => {
    const srvEv = [];
    const accepted = P.deferred(10_000, 'accepted close');
    const { port } = await server(scope, srvMod, undefined, (c) => {
      rec(c, srvEv);
      c.on('close', () => accepted.resolve());
    });
    const ev = [];
    const ac = new AbortController();
    const s = scope.track(new client.Socket({ signal: ac.signal }));
    rec(s, ev);
    s.on('error', (e) => ev.push(['cause', e.cause && e.cause.message]));
    s.connect(port, '127.0.0.1', () => {
      s.write('before abort');
      ac.abort(new Error('why'));
    });
    await P.once(s, 'close', { rejectOnError: false });
    await accepted.promise;
    return { client: ev, server: srvEv };
  });
  P.assertParity(results, {
    client: ['connect', ['error', ABORT_ERR], ['cause', 'why'], ['close', true]],
    server: ['data', ['end', 'before abort'], ['close', false]],
  });
});

// ---------------------------------------------------------------------------
// AbortSignal on listen

test('server.listen({port: 0, signal}): abort closes the server; an already aborted signal too', T, async () => {
  const results = await P.runBoth(async (mod_, label, scope) => {
    const out = {};
    {
      const ev = [];
      const ac = new AbortController();
      const srv = scope.track(mod_.createServer());
      for (const e of ['listening', 'close', 'error']) srv.on(e, () => ev.push(e));
      srv.listen({ port: 0, host: '127.0.0.1', signal: ac.signal });
      await P.once(srv, 'listening');
      ac.abort();
      ev.push(['sync after abort', srv.listening]);
      await P.once(srv, 'close');
      ev.push(['after', srv.listening, srv.address()]);
      out.abortAfterListen = ev;
    }
    {
      const ev = [];
      const srv = scope.track(mod_.createServer());
      for (const e of ['listening', 'close', 'error']) srv.on(e, () => ev.push(e));
      srv.listen({ port: 0, host: '127.0.0.1', signal: AbortSignal.abort() });
      await P.once(srv, 'close');
      ev.push(['after', srv.listening, srv.address()]);
      out.alreadyAborted = ev;
    }
    return out;
  });
  P.assertParity(results, {
    abortAfterListen: ['listening', ['sync after abort', false], 'close', ['after', false, null]],
    alreadyAborted: ['close', ['after', false, null]],
  });
});

// ---------------------------------------------------------------------------
// resetAndDestroy

test('resetAndDestroy(): the local socket closes, the peer gets read ECONNRESET', T, async () => {
  const results = await P.runPairs(async ({ server: srvMod, client }, scope) => {
    const srvEv = [];
    const gotData = P.deferred(10_000, 'server got data');
    const srvClosed = P.deferred(10_000, 'accepted close');
    const { port } = await server(scope, srvMod, undefined, (c) => {
      const data = rec(c, srvEv);
      c.on('data', () => { if (data() === 'abc') gotData.resolve(); });
      c.on('close', () => srvClosed.resolve());
    });
    const ev = [];
    const s = scope.track(client.connect(port, '127.0.0.1'));
    rec(s, ev);
    s.write('abc');
    await gotData.promise;
    const ret = s.resetAndDestroy();
    ev.push(['returns this', ret === s, s.destroyed]);
    await P.once(s, 'close', { rejectOnError: false });
    await srvClosed.promise;
    return { client: ev, server: srvEv };
  });
  P.assertParity(results, {
    client: ['connect', ['returns this', true, true], ['close', false]],
    server: [
      'data',
      ['error', {
        ctor: 'Error',
        isError: true,
        name: 'Error',
        message: 'read ECONNRESET',
        code: 'ECONNRESET',
        errno: -104,
        syscall: 'read',
        address: undefined,
        port: undefined,
        keys: ['code', 'errno', 'syscall'],
      }],
      ['close', true],
    ],
  });
});

// ---------------------------------------------------------------------------
// onread

const ONREAD_TOTAL = 256 * 1024;

async function onreadScenario(mod_, scope, payload, makeOnread) {
  const { port } = await server(scope, P.impls.net, undefined, (c) => c.end(payload));
  const st = { calls: 0, bytes: 0, maxChunk: 0, bufs: new Set(), parts: [], dataEvents: 0 };
  const onread = makeOnread(st);
  const s = scope.track(mod_.connect({ port, host: '127.0.0.1', onread }));
  s.on('data', () => st.dataEvents++);
  const ev = [];
  rec(s, ev);
  await P.once(s, 'close', { rejectOnError: false, timeoutMs: 20_000 });
  return { st, ev, bytesRead: s.bytesRead };
}

function onreadCallback(st, bufOk) {
  return (nread, buf) => {
    st.calls++;
    st.bytes += nread;
    st.maxChunk = Math.max(st.maxChunk, nread);
    st.bufs.add(buf);
    if (!bufOk(buf)) st.badBuf = true;
    st.parts.push(Buffer.from(buf.subarray(0, nread)));
  };
}

test('onread with a static Buffer: callback(nread, sameBuffer), chunks <= buffer size, all bytes, no data events', T, async () => {
  const payload = P.randomBytes(ONREAD_TOTAL);
  const results = await P.runBoth(async (mod_, label, scope) => {
    const buffer = Buffer.alloc(1000);
    const { st, ev, bytesRead } = await onreadScenario(mod_, scope, payload, (s) => ({
      buffer,
      callback: onreadCallback(s, (b) => b === buffer),
    }));
    return {
      ev,
      total: st.bytes,
      sha: P.sha256(st.parts),
      chunksWithinBuffer: st.maxChunk <= 1000,
      distinctBuffers: st.bufs.size,
      badBuf: !!st.badBuf,
      dataEvents: st.dataEvents,
      moreThanOneCall: st.calls > 1,
      bytesRead,
    };
  });
  P.assertParity(results, {
    // no 'data' event: the end is recorded with no data
    ev: ['connect', ['end', ''], ['close', false]],
    total: ONREAD_TOTAL,
    sha: P.sha256(payload),
    chunksWithinBuffer: true,
    distinctBuffers: 1,
    badBuf: false,
    dataEvents: 0,
    moreThanOneCall: true,
    bytesRead: ONREAD_TOTAL,
  });
});

test('onread with a function returning a buffer: called lazily, its buffer is used, all bytes arrive', T, async () => {
  const payload = P.randomBytes(ONREAD_TOTAL);
  const results = await P.runBoth(async (mod_, label, scope) => {
    let gens = 0;
    const made = new Set();
    const { st, ev } = await onreadScenario(mod_, scope, payload, (s) => ({
      buffer: () => {
        gens++;
        const b = Buffer.alloc(4096);
        made.add(b);
        return b;
      },
      callback: onreadCallback(s, (b) => made.has(b)),
    }));
    return {
      ev,
      total: st.bytes,
      sha: P.sha256(st.parts),
      chunksWithinBuffer: st.maxChunk <= 4096,
      badBuf: !!st.badBuf,
      generatorCalled: gens >= 1,
      dataEvents: st.dataEvents,
    };
  });
  P.assertParity(results, {
    ev: ['connect', ['end', ''], ['close', false]],
    total: ONREAD_TOTAL,
    sha: P.sha256(payload),
    chunksWithinBuffer: true,
    badBuf: false,
    generatorCalled: true,
    dataEvents: 0,
  });
});

test('onread callback returning false pauses reading until resume()', T, async () => {
  const payload = P.randomBytes(64 * 1024);
  const results = await P.runBoth(async (mod_, label, scope) => {
    const { port } = await server(scope, P.impls.net, undefined, (c) => c.end(payload));
    const parts = [];
    let calls = 0;
    const firstCall = P.deferred(10_000, 'first onread callback');
    const buffer = Buffer.alloc(1024);
    const s = scope.track(mod_.connect({
      port,
      host: '127.0.0.1',
      onread: {
        buffer,
        callback: (nread, buf) => {
          calls++;
          parts.push(Buffer.from(buf.subarray(0, nread)));
          if (calls === 1) {
            firstCall.resolve();
            return false;
          }
          return undefined;
        },
      },
    }));
    const ev = [];
    rec(s, ev);
    await firstCall.promise;
    // returning false stops the handle reading; the stream itself is not paused
    ev.push(['paused', s.isPaused()]);
    // "nothing more may happen" window while paused
    await P.delay(100);
    ev.push(['calls while paused', calls]);
    s.resume();
    await P.once(s, 'close', { rejectOnError: false, timeoutMs: 20_000 });
    const all = Buffer.concat(parts);
    ev.push(['total', all.length, P.sha256(all) === P.sha256(payload), calls > 1]);
    return ev;
  });
  P.assertParity(results, [
    'connect',
    ['paused', false],
    ['calls while paused', 1],
    ['end', ''],
    ['close', false],
    ['total', 64 * 1024, true, true],
  ]);
});

// ---------------------------------------------------------------------------
// highWaterMark

test('highWaterMark: server option reaches accepted sockets; socket option sets both sides; default 16384', T, async () => {
  const hwm = (s) => [s.readableHighWaterMark, s.writableHighWaterMark];
  const results = await P.runBoth(async (mod_, label, scope) => {
    const out = {};
    const accepted = [];
    const accepted2 = [];
    const { port } = await server(scope, mod_, { highWaterMark: 1234 }, (c) => accepted.push(hwm(c)));
    const plain = scope.track(mod_.connect(port, '127.0.0.1'));
    out.defaultClient = hwm(plain);
    const viaConnect = scope.track(mod_.connect({ port, host: '127.0.0.1', highWaterMark: 4321 }));
    out.connectOption = hwm(viaConnect);
    const viaCtor = scope.track(new mod_.Socket({ highWaterMark: 777 }));
    out.ctorOption = hwm(viaCtor);
    viaCtor.connect(port, '127.0.0.1');
    await Promise.all([plain, viaConnect, viaCtor].map((s) => P.once(s, 'connect')));
    out.afterConnect = [hwm(plain), hwm(viaConnect), hwm(viaCtor)];
    const { port: port2 } = await server(scope, mod_, undefined, (c) => accepted2.push(hwm(c)));
    const c2 = scope.track(mod_.connect(port2, '127.0.0.1'));
    await P.once(c2, 'connect');
    await P.withTimeout((async () => { while (accepted.length < 3 || accepted2.length < 1) await new Promise((r) => setImmediate(r)); })(), 10_000, 'accepts');
    out.accepted = accepted;
    out.acceptedDefault = accepted2;
    return out;
  });
  P.assertParity(results, {
    defaultClient: [16384, 16384],
    connectOption: [4321, 4321],
    ctorOption: [777, 777],
    afterConnect: [[16384, 16384], [4321, 4321], [777, 777]],
    // the client's own highWaterMark does not matter on the accepting side
    accepted: [[1234, 1234], [1234, 1234], [1234, 1234]],
    acceptedDefault: [[16384, 16384]],
  });
});

// ---------------------------------------------------------------------------
// noDelay / keepAlive / keepAliveInitialDelay

test('noDelay/keepAlive/keepAliveInitialDelay options (server and socket): accepted, chainable setters, connection works', T, async () => {
  const results = await P.runPairs(async ({ server: srvMod, client }, scope) => {
    const out = {};
    const { port } = await server(scope, srvMod, { noDelay: true, keepAlive: true, keepAliveInitialDelay: 1000 }, (c) => {
      out.acceptedSetters = [c.setNoDelay(true) === c, c.setKeepAlive(true, 500) === c, c.setNoDelay() === c, c.setKeepAlive() === c];
      c.pipe(c);
    });
    const s = scope.track(new client.Socket({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 2000 }));
    out.beforeConnect = [s.setNoDelay(false) === s, s.setKeepAlive(true, 3000) === s, s.setNoDelay() === s];
    s.connect({ port, host: '127.0.0.1', noDelay: true, keepAlive: true, keepAliveInitialDelay: 100 });
    await P.once(s, 'connect');
    out.afterConnect = [s.setNoDelay(true) === s, s.setKeepAlive(false) === s, s.setKeepAlive(true, 0) === s];
    const got = P.collect(s, { keep: true });
    s.end('ping');
    out.echo = (await got).buffer.toString();
    return out;
  });
  P.assertParity(results, {
    acceptedSetters: [true, true, true, true],
    beforeConnect: [true, true, true],
    afterConnect: [true, true, true],
    echo: 'ping',
  });
});

// ---------------------------------------------------------------------------
// pauseOnConnect

test('pauseOnConnect: true: no data until resume(), then all of it', T, async () => {
  const payload = P.randomBytes(100 * 1024);
  const results = await P.runPairs(async ({ server: srvMod, client }, scope) => {
    const ev = [];
    const done = P.deferred(20_000, 'accepted end');
    let accepted;
    const d = new P.Digest();
    const { port } = await server(scope, srvMod, { pauseOnConnect: true }, (c) => {
      accepted = c;
      ev.push(['accepted', { isPaused: c.isPaused(), readableFlowing: c.readableFlowing }]);
      c.on('data', (x) => { if (d.bytes === 0) ev.push('data'); d.update(x); });
      c.on('end', () => { ev.push('end'); done.resolve(); });
    });
    const s = scope.track(client.connect(port, '127.0.0.1'));
    s.end(payload);
    await P.once(s, 'finish');
    // "nothing may happen" window: the whole payload is in the kernel by now
    await P.delay(100);
    ev.push(['before resume', d.bytes, accepted.readableFlowing]);
    accepted.resume();
    await done.promise;
    ev.push(['got', d.result()]);
    return ev;
  });
  P.assertParity(results, [
    ['accepted', { isPaused: true, readableFlowing: false }],
    ['before resume', 0, false],
    'data',
    'end',
    ['got', { bytes: payload.length, sha256: P.sha256(payload) }],
  ]);
});

// ---------------------------------------------------------------------------
// maxConnections / 'drop' / getConnections

test("maxConnections = 1: the second connection is dropped with a 'drop' payload; getConnections() counts", T, async () => {
  const results = await P.runPairs(async ({ server: srvMod, client }, scope) => {
    const out = { accepted: 0 };
    const srv = scope.track(srvMod.createServer((c) => { out.accepted++; c.on('error', () => {}); }));
    srv.maxConnections = 1;
    await P.listen(srv, 0, '127.0.0.1');
    const port = srv.address().port;
    const first = scope.track(client.connect(port, '127.0.0.1'));
    await P.once(srv, 'connection');
    const dropP = P.once(srv, 'drop');
    const second = scope.track(client.connect(port, '127.0.0.1'));
    const ev2 = [];
    rec(second, ev2);
    let secondLocalPort;
    second.on('connect', () => { secondLocalPort = second.localPort; });
    second.resume();
    const [drop] = await dropP;
    await P.once(second, 'close', { rejectOnError: false });
    out.dropProto = Object.getPrototypeOf(drop) === null ? 'null' : typeof Object.getPrototypeOf(drop);
    out.drop = Object.fromEntries(Object.entries(drop).map(([k, v]) => [k, /Port$/.test(k) ? typeof v : v]));
    out.dropPorts = [drop.localPort === port, drop.remotePort === secondLocalPort];
    out.second = ev2;
    out.count = await new Promise((resolve) => {
      let sync = true;
      srv.getConnections((err, n) => resolve({ err, n, sync }));
      sync = false;
    });
    first.destroy();
    out.maxConnections = srv.maxConnections;
    return out;
  });
  P.assertParity(results, {
    accepted: 1,
    dropProto: 'null',
    drop: {
      localAddress: '127.0.0.1',
      localPort: 'number',
      localFamily: 'IPv4',
      remoteAddress: '127.0.0.1',
      remotePort: 'number',
      remoteFamily: 'IPv4',
    },
    dropPorts: [true, true],
    second: ['connect', ['end', ''], ['close', false]],
    count: { err: null, n: 1, sync: false },
    maxConnections: 1,
  });
});

test('maxConnections = 0 means no limit on Node 20 (nothing dropped)', T, async () => {
  const results = await P.runBoth(async (mod_, label, scope) => {
    const srv = scope.track(mod_.createServer((c) => c.end('ok')));
    srv.maxConnections = 0;
    let drops = 0;
    srv.on('drop', () => drops++);
    await P.listen(srv, 0, '127.0.0.1');
    const replies = [];
    for (let i = 0; i < 2; i++) {
      const c = scope.track(mod_.connect(srv.address().port, '127.0.0.1'));
      replies.push((await P.collect(c, { keep: true })).buffer.toString());
    }
    return { replies, drops };
  });
  P.assertParity(results, { replies: ['ok', 'ok'], drops: 0 });
});

test('getConnections(cb): async, counts open connections, goes down when one closes', T, async () => {
  const results = await P.runBoth(async (mod_, label, scope) => {
    const srv = scope.track(mod_.createServer());
    const accepted = [];
    srv.on('connection', (c) => { accepted.push(c); c.on('error', () => {}); });
    await P.listen(srv, 0, '127.0.0.1');
    const count = () => new Promise((resolve) => {
      let sync = true;
      const r = srv.getConnections((err, n) => resolve({ err, n, sync }));
      sync = false;
      if (r !== srv) resolve({ returns: r });
    });
    const out = { zero: await count() };
    const a = scope.track(mod_.connect(srv.address().port, '127.0.0.1'));
    const b = scope.track(mod_.connect(srv.address().port, '127.0.0.1'));
    await Promise.all([P.once(a, 'connect'), P.once(b, 'connect')]);
    await P.withTimeout((async () => { while (accepted.length < 2) await new Promise((r) => setImmediate(r)); })(), 10_000, 'two accepts');
    out.two = await count();
    const closed = P.once(accepted[0], 'close');
    accepted[0].destroy();
    await closed;
    out.one = await count();
    return out;
  });
  P.assertParity(results, {
    zero: { err: null, n: 0, sync: false },
    two: { err: null, n: 2, sync: false },
    one: { err: null, n: 1, sync: false },
  });
});

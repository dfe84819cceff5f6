'use strict';
// Socket and server options and the smaller parts of the surface: signal,
// resetAndDestroy, onread, highWaterMark, noDelay/keepAlive, pauseOnConnect,
// maxConnections + 'drop', getConnections, asyncDispose, BlockList /
// SocketAddress, diagnostics_channel, socket.timeout, byte counters, and the
// semi-private fields libraries touch. Built-in net is the reference; rsnet
// must record exactly the same.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const dc = require('node:diagnostics_channel');
const P = require('./helpers/parity');

const net = P.impls.net;
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
async function server(scope, mod, options, onConnection) {
  const srv = await scope.server(mod, { options, onConnection });
  return { srv, port: srv.address().port };
}

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

// ---------------------------------------------------------------------------
// Symbol.asyncDispose

test('server[Symbol.asyncDispose]() closes the server and resolves; on a closed server it is a no-op', T, async () => {
  const results = await P.runBoth(async (mod_, label, scope) => {
    const srv = scope.track(mod_.createServer());
    const ev = [];
    srv.on('close', () => ev.push('close'));
    const out = { type: typeof srv[Symbol.asyncDispose] };
    const notListening = srv[Symbol.asyncDispose]();
    out.notListening = notListening instanceof Promise ? ['promise', await notListening] : ['value', notListening];
    await P.listen(srv, 0, '127.0.0.1');
    const p = srv[Symbol.asyncDispose]();
    out.isPromise = p instanceof Promise;
    out.listeningRightAfter = srv.listening;
    out.resolved = await P.withTimeout(p, 10_000, 'asyncDispose');
    out.ev = ev;
    out.address = srv.address();
    return out;
  });
  P.assertParity(results, {
    type: 'function',
    notListening: ['promise', undefined],
    isPromise: true,
    listeningRightAfter: false,
    resolved: undefined,
    ev: ['close'],
    address: null,
  });
});

// ---------------------------------------------------------------------------
// BlockList / SocketAddress

test('net.BlockList and net.SocketAddress exist and work', T, async () => {
  const results = await P.runBoth(async (mod_) => {
    const bl = new mod_.BlockList();
    bl.addAddress('10.0.0.1');
    bl.addRange('192.168.0.10', '192.168.0.20');
    bl.addSubnet('2001:db8::', 32, 'ipv6');
    const sa = new mod_.SocketAddress({ address: '::1', family: 'ipv6', port: 8080, flowlabel: 7 });
    const sa4 = new mod_.SocketAddress({ address: '127.0.0.1', port: 443 });
    return {
      checks: [
        bl.check('10.0.0.1'), bl.check('10.0.0.2'), bl.check('192.168.0.15'), bl.check('192.168.0.21'),
        bl.check('2001:db8::1', 'ipv6'), bl.check('2001:db9::1', 'ipv6'),
      ],
      rules: bl.rules,
      sa: [sa.address, sa.family, sa.port, sa.flowlabel],
      sa4: [sa4.address, sa4.family, sa4.port, sa4.flowlabel],
      blCheckSocketAddress: bl.check(new mod_.SocketAddress({ address: '10.0.0.1' })),
      sameAsNode: [mod_.BlockList === P.impls.net.BlockList, mod_.SocketAddress === P.impls.net.SocketAddress],
    };
  });
  P.assertParity(results, (r) => {
    assert.deepStrictEqual(r.checks, [true, false, true, false, true, false]);
    assert.deepStrictEqual(r.rules, ['Subnet: IPv6 2001:db8::/32', 'Range: IPv4 192.168.0.10-192.168.0.20', 'Address: IPv4 10.0.0.1']);
    assert.deepStrictEqual(r.sa, ['::1', 'ipv6', 8080, 7]);
    assert.deepStrictEqual(r.sa4, ['127.0.0.1', 'ipv4', 443, 0]);
    assert.equal(r.blCheckSocketAddress, true);
    // re-exporting Node's classes is allowed (and expected): only behaviour is compared
    assert.deepStrictEqual(r.sameAsNode, [true, true]);
  });
});

// ---------------------------------------------------------------------------
// diagnostics_channel

test("diagnostics_channel 'net.client.socket' / 'net.server.socket' publish { socket }", T, async () => {
  const results = await P.runBoth(async (mod_, label, scope) => {
    const clientMsgs = [];
    const serverMsgs = [];
    const onClient = (m) => clientMsgs.push(m);
    const onServer = (m) => serverMsgs.push(m);
    dc.subscribe('net.client.socket', onClient);
    dc.subscribe('net.server.socket', onServer);
    try {
      const accepted = [];
      const srv = scope.track(mod_.createServer((c) => accepted.push(c)));
      await P.listen(srv, 0, '127.0.0.1');
      const port = srv.address().port;
      const a = scope.track(mod_.connect(port, '127.0.0.1'));
      const b = scope.track(mod_.createConnection({ port, host: '127.0.0.1' }));
      const c = scope.track(new mod_.Socket());
      c.connect(port, '127.0.0.1');
      await Promise.all([a, b, c].map((s) => P.once(s, 'connect')));
      await P.withTimeout((async () => { while (accepted.length < 3) await new Promise((r) => setImmediate(r)); })(), 10_000, 'three accepts');
      return {
        client: clientMsgs.map((m) => [Object.keys(m), m.socket === a ? 'a' : m.socket === b ? 'b' : m.socket === c ? 'c' : 'other']),
        server: {
          keys: serverMsgs.map((m) => Object.keys(m)),
          allAccepted: serverMsgs.length === 3 && serverMsgs.every((m) => accepted.includes(m.socket)),
        },
      };
    } finally {
      dc.unsubscribe('net.client.socket', onClient);
      dc.unsubscribe('net.server.socket', onServer);
    }
  });
  P.assertParity(results, {
    // new Socket().connect() does not publish: only net.connect/createConnection do
    client: [[['socket'], 'a'], [['socket'], 'b']],
    server: { keys: [['socket'], ['socket'], ['socket']], allAccepted: true },
  });
});

test("diagnostics_channel 'net.server.listen' traces listen: asyncStart, then asyncEnd or error", T, async () => {
  const results = await P.runBoth(async (mod_, label, scope) => {
    const trace = [];
    const servers = [];
    const name = (srv) => ['first', 'second', 'ipc'][servers.indexOf(srv)] ?? 'other';
    const handlers = {
      start: () => trace.push('start'),
      end: () => trace.push('end'),
      asyncStart: (m) => trace.push(['asyncStart', name(m.server), Object.keys(m), m.options]),
      asyncEnd: (m) => trace.push(['asyncEnd', name(m.server), Object.keys(m)]),
      error: (m) => trace.push(['error', name(m.server), Object.keys(m), m.error.code, m.error.syscall]),
    };
    const channel = dc.tracingChannel('net.server.listen');
    channel.subscribe(handlers);
    try {
      const first = scope.track(mod_.createServer());
      servers.push(first);
      await P.listen(first, 0, '127.0.0.1');
      const { port } = first.address();
      const second = scope.track(mod_.createServer());
      servers.push(second);
      second.listen({ port, host: '127.0.0.1', custom: 'kept' });
      trace.push(['second error event', (await P.once(second, 'error'))[0].code]);
      const ipc = scope.track(mod_.createServer());
      servers.push(ipc);
      // An abstract name: no socket file to clean up.
      await P.listen(ipc, { path: `\0rsnet-listen-trace-${process.pid}-${label}` });
      // The second server's options carry the first's port, which differs per run.
      const masked = (o) => (o?.path ? 'path given' : o?.port === port ? { ...o, port: 'first port' } : o);
      return trace.map((t) => (t[0] === 'asyncStart' ? [...t.slice(0, 3), masked(t[3])] : t));
    } finally {
      channel.unsubscribe(handlers);
    }
  });
  P.assertParity(results);
});

// ---------------------------------------------------------------------------
// timeout property, byte counters

test('socket.timeout follows setTimeout() and the createConnection timeout option', T, async () => {
  const results = await P.runBoth(async (mod_, label, scope) => {
    const { port } = await server(scope, P.impls.net, undefined, (c) => c.on('error', () => {}));
    const s = scope.track(new mod_.Socket());
    const out = { initial: s.timeout };
    out.ret = s.setTimeout(1234) === s;
    out.set = s.timeout;
    s.setTimeout(0);
    out.zero = s.timeout;
    const c = scope.track(mod_.createConnection({ port, host: '127.0.0.1', timeout: 4321 }));
    out.option = c.timeout;
    await P.once(c, 'connect');
    out.afterConnect = c.timeout;
    c.destroy();
    await P.once(c, 'close');
    out.afterDestroy = c.timeout;
    return out;
  });
  P.assertParity(results, { initial: undefined, ret: true, set: 1234, zero: 0, option: 4321, afterConnect: 4321, afterDestroy: 4321 });
});

test('bytesRead / bytesWritten: queued bytes count before connect, values survive destroy', T, async () => {
  const results = await P.runPairs(async ({ server: srvMod, client }, scope) => {
    let acc;
    const srvGot = P.deferred(10_000, 'server got 10 bytes');
    let n = 0;
    const { port } = await server(scope, srvMod, undefined, (c) => {
      acc = c;
      c.on('data', (d) => { n += d.length; if (n === 10) { c.write('world!'); srvGot.resolve(); } });
    });
    const s = scope.track(client.connect(port, '127.0.0.1'));
    const out = { initial: [s.bytesRead, s.bytesWritten] };
    s.write('hello');
    s.write(Buffer.from('12345'));
    out.queued = [s.bytesRead, s.bytesWritten];
    await srvGot.promise;
    let got = '';
    await P.withTimeout(new Promise((resolve) => s.on('data', (d) => { got += d; if (got.length === 6) resolve(); })), 10_000, 'reply');
    out.connected = [s.bytesRead, s.bytesWritten];
    s.destroy();
    await P.once(s, 'close');
    out.afterDestroy = [s.bytesRead, s.bytesWritten];
    out.accepted = [acc.bytesRead, acc.bytesWritten];
    return out;
  });
  P.assertParity(results, {
    initial: [0, 0],
    queued: [0, 10],
    connected: [6, 10],
    afterDestroy: [6, 10],
    accepted: [10, 6],
  });
});

// ---------------------------------------------------------------------------
// semi-private fields

test('semi-private fields: _getpeername(), _peername, server/_server, _host, _unrefTimer, _pendingData', T, async () => {
  const results = await P.runPairs(async ({ server: srvMod, client }, scope) => {
    let acc;
    const srv = scope.track(srvMod.createServer((c) => { acc = c; c.on('error', () => {}); }));
    await P.listen(srv, 0, '127.0.0.1');
    const port = srv.address().port;
    const acceptedP = P.once(srv, 'connection');
    const s = scope.track(client.connect(port, 'localhost'));
    const p = (o) => o && { ...o, port: o.port === port ? 'PORT' : typeof o.port };
    const out = {
      pending: {
        _host: s._host,
        server: s.server,
        _server: s._server,
        _peername: s._peername,
        _getpeername: s._getpeername(),
        _unrefTimer: typeof s._unrefTimer,
      },
    };
    s.write('queued');
    out.pendingData = typeof s._pendingData === 'string' || Buffer.isBuffer(s._pendingData) || Array.isArray(s._pendingData);
    await P.once(s, 'connect');
    await acceptedP;
    out.connected = {
      _host: s._host,
      _peernameBefore: p(s._peername),
      _getpeername: p(s._getpeername()),
      _peernameAfter: p(s._peername),
      unrefTimer: (s._unrefTimer(), 'ok'),
      pendingData: s._pendingData,
    };
    out.accepted = {
      serverIsServer: acc.server === srv,
      _serverIsServer: acc._server === srv,
      _host: acc._host,
      _getpeername: { ...acc._getpeername(), port: typeof acc._getpeername().port },
      unrefTimer: (acc._unrefTimer(), 'ok'),
    };
    return out;
  });
  P.assertParity(results, {
    pending: {
      _host: 'localhost',
      server: null,
      _server: null,
      _peername: undefined,
      _getpeername: {},
      _unrefTimer: 'function',
    },
    pendingData: true,
    connected: {
      _host: 'localhost',
      _peernameBefore: undefined,
      _getpeername: { address: '127.0.0.1', family: 'IPv4', port: 'PORT' },
      _peernameAfter: { address: '127.0.0.1', family: 'IPv4', port: 'PORT' },
      unrefTimer: 'ok',
      pendingData: null,
    },
    accepted: {
      serverIsServer: true,
      _serverIsServer: true,
      _host: null,
      _getpeername: { address: '127.0.0.1', family: 'IPv4', port: 'number' },
      unrefTimer: 'ok',
    },
  });
});

test('_handle of a connected socket has no isStreamBase in rsnet (net has it: intentional difference)', T, async (t) => {
  if (P.RSNET_IS_FALLBACK) {
    t.skip('rsnet slot is built-in net: this test is about rsnet only');
    return;
  }
  const results = await P.runPairs(async ({ server: srvMod, client }, scope) => {
    let acc;
    const { port } = await server(scope, srvMod, undefined, (c) => { acc = c; });
    const s = scope.track(client.connect(port, '127.0.0.1'));
    await P.once(s, 'connect');
    await P.withTimeout((async () => { while (!acc) await new Promise((r) => setImmediate(r)); })(), 10_000, 'accept');
    return {
      client: [typeof s._handle, s._handle && 'isStreamBase' in s._handle, s._handle && s._handle.isStreamBase],
      accepted: [typeof acc._handle, acc._handle && 'isStreamBase' in acc._handle, acc._handle && acc._handle.isStreamBase],
    };
  }, { pairs: P.PAIRS.filter((x) => x.label === 'net->net' || x.label === 'rsnet->rsnet') });
  // built-in net's TCP handle is a StreamBase; rsnet's must not claim to be one
  assert.deepStrictEqual(results['net->net'], { client: ['object', true, true], accepted: ['object', true, true] });
  assert.deepStrictEqual(results['rsnet->rsnet'], { client: ['object', false, undefined], accepted: ['object', false, undefined] });
});

test('listen({port, ipv6Only}) applies ipv6Only only with a host, as Node 20 does', T, async (t) => {
  if (!(await P.hasIPv6())) return t.skip('no IPv6 loopback');
  // Can an IPv4 client reach the listener? Without a host, Node 20 drops ipv6Only and
  // listens dual-stack on '::'; with host '::' it applies it.
  async function reachableOverIPv4(mod, scope, listenOptions) {
    const server = scope.track(mod.createServer());
    await P.listen(server, listenOptions);
    const client = net.connect(server.address().port, '127.0.0.1');
    scope.track(client);
    const outcome = await new Promise((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('error', (e) => resolve(e.code));
    });
    return { address: server.address().address, outcome };
  }
  const results = await P.runBoth(async (mod, label, scope) => ({
    noHost: await reachableOverIPv4(mod, scope, { port: 0, ipv6Only: true }),
    anyV6: await reachableOverIPv4(mod, scope, { port: 0, host: '::', ipv6Only: true }),
  }));
  P.assertParity(results, {
    noHost: { address: '::', outcome: 'connected' },
    anyV6: { address: '::', outcome: 'ECONNREFUSED' },
  });
});

'use strict';
// The smaller parts of the surface, mostly the server's: asyncDispose, BlockList /
// SocketAddress, diagnostics_channel, socket.timeout, byte counters, the semi-private
// fields libraries touch, and ipv6Only. Built-in net is the reference; rsnet must
// record exactly the same.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const dc = require('node:diagnostics_channel');
const P = require('./helpers/parity');
const { exitGuard } = require('./fixtures/util');

const net = P.impls.net;
// A server (of `mod`) on 127.0.0.1; resolves { srv, port }.
const server = P.scopedServer;

exitGuard(after, 'server-surface.test.js');

const T = { timeout: 60_000 };

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

test('server.address(): a fresh object each call, the same fields; null once closed', T, async () => {
  const results = await P.runBoth(async (mod_, label, scope) => {
    const srv = scope.track(mod_.createServer());
    await P.listen(srv, 0, '127.0.0.1');
    const first = srv.address();
    first.port = -1; // a caller's change to its object is not seen by the next call
    const second = srv.address();
    const out = { fresh: first !== second, fields: Object.keys(second), address: second.address, family: second.family, portOk: second.port > 0 };
    await new Promise((resolve) => srv.close(resolve));
    out.closed = srv.address();
    return out;
  });
  P.assertParity(results, { fresh: true, fields: ['address', 'family', 'port'], address: '127.0.0.1', family: 'IPv4', portOk: true, closed: null });
});

test('rsnet asks the kernel for a listening server\'s address once, however often address() is called', T, async () => {
  const srv = P.impls.rsnet.createServer();
  await P.listen(srv, 0, '127.0.0.1');
  let asked = 0;
  const getsockname = srv._handle.getsockname;
  srv._handle.getsockname = function(out) {
    asked++;
    return getsockname.call(this, out);
  };
  const ports = new Set();
  for (let i = 0; i < 100; i++) ports.add(srv.address().port);
  await new Promise((resolve) => srv.close(resolve));
  assert.equal(ports.size, 1);
  // Once at most: listen() itself may have asked already.
  assert.ok(asked <= 1, `getsockname called ${asked} times`);
});

'use strict';
// The way people actually use `net` (docs examples, tutorials, DB drivers):
// these scripts must run unchanged, and print the same thing, with either module.
const { test } = require('node:test');
const P = require('./helpers/parity');

test('the docs echo server + client print the same transcript', { timeout: 30_000 }, async () => {
  // Straight from the net docs: server greets and pipes back, client says
  // 'world!' on connect and ends after its first 'data'.
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    const out = { server: [], client: [] };
    const serverClosed = P.deferred(10_000, 'server socket close');
    const server = scope.track(
      net.createServer((c) => {
        out.server.push('client connected');
        c.on('end', () => out.server.push('client disconnected'));
        c.on('close', serverClosed.resolve);
        c.write('hello\r\n');
        c.pipe(c);
      }),
    );
    server.on('error', (err) => {
      throw err;
    });
    await P.withTimeout(new Promise((resolve) => server.listen(0, () => resolve())), 10_000, 'listen callback');

    const client = scope.track(
      cnet.createConnection({ port: server.address().port }, () => {
        out.client.push('connected to server!');
        client.write('world!\r\n');
      }),
    );
    // TCP keeps no message boundaries: whether 'hello' and the echoed 'world!' arrive
    // in one read or two depends on scheduling, so the transcript joins what arrived.
    let received = '';
    client.on('data', (data) => {
      received += data.toString();
      client.end();
    });
    client.on('end', () => out.client.push(received, 'disconnected from server'));
    await P.once(client, 'close');
    await serverClosed.promise;
    return out;
  });
  P.assertParity(results, {
    server: ['client connected', 'client disconnected'],
    client: ['connected to server!', 'hello\r\nworld!\r\n', 'disconnected from server'],
  });
});

test("a server that collects 'data' until 'end', then replies", { timeout: 30_000 }, async () => {
  // The most common tutorial protocol: read the whole request, answer, close.
  const request = 'line one\nline two \u00e9\u20ac\n'.repeat(2000);
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    const server = scope.track(
      net.createServer((socket) => {
        let body = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk) => {
          body += chunk;
        });
        socket.on('end', () => {
          socket.end(`got ${body.length} chars, ${body.split('\n').length - 1} lines, sha ${P.shortHash(body)}`);
        });
      }),
    );
    await P.withTimeout(new Promise((resolve) => server.listen(0, '127.0.0.1', resolve)), 10_000, 'listen callback');
    const client = scope.track(cnet.connect(server.address().port, '127.0.0.1', () => client.end(request)));
    let reply = '';
    client.on('data', (d) => (reply += d));
    await P.once(client, 'end');
    await P.once(client, 'close');
    return reply;
  });
  P.assertParity(results, `got ${request.length} chars, 4000 lines, sha ${P.shortHash(request)}`);
});

test("listen(0, '') (and other host-less forms): address() is usable on the very next line", { timeout: 30_000 }, async () => {
  // `server.listen(port, ''); console.log(server.address().port)` is common;
  // with a host-less listen, net binds synchronously. With an IP host it does not.
  const forms = [
    ['listen(0, "")', (s) => s.listen(0, '')],
    ['listen(0)', (s) => s.listen(0)],
    ['listen()', (s) => s.listen()],
    ['listen({port: 0})', (s) => s.listen({ port: 0 })],
    ['listen("0")', (s) => s.listen('0')],
    ['listen(0, "127.0.0.1")', (s) => s.listen(0, '127.0.0.1')],
  ];
  const results = await P.runBoth(async (mod, _label, scope) => {
    const out = {};
    for (const [name, doListen] of forms) {
      const server = scope.track(mod.createServer());
      const ret = doListen(server);
      const sync = server.address();
      const listeningSync = server.listening;
      await P.once(server, 'listening');
      const later = server.address();
      out[name] = {
        returnsServer: ret === server,
        listeningSync,
        sync: sync && { ...sync, port: typeof sync.port === 'number' && sync.port > 0 && sync.port === later.port },
        later: { ...later, port: later.port > 0 },
      };
      await P.withTimeout(new Promise((resolve) => server.close(resolve)), 10_000, 'close callback');
    }
    return out;
  });
  const dual = {
    returnsServer: true,
    listeningSync: true,
    sync: { address: '::', family: 'IPv6', port: true },
    later: { address: '::', family: 'IPv6', port: true },
  };
  P.assertParity(results, {
    'listen(0, "")': dual,
    'listen(0)': dual,
    'listen()': dual,
    'listen({port: 0})': dual,
    'listen("0")': dual,
    'listen(0, "127.0.0.1")': {
      returnsServer: true,
      listeningSync: false,
      sync: null,
      later: { address: '127.0.0.1', family: 'IPv4', port: true },
    },
  });
});

test("listen(port, cb) and connect(port, host, cb): callbacks run once, with no arguments, as 'this'", { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    const calls = [];
    const server = scope.track(net.createServer((s) => s.end()));
    await P.withTimeout(
      new Promise((resolve) =>
        server.listen(0, '127.0.0.1', function (...args) {
          calls.push(`listen cb: args=${args.length} this=server:${this === server}`);
          resolve();
        }),
      ),
      10_000,
      'listen callback',
    );
    const port = server.address().port;

    // new Socket().connect(port, host, cb)
    const a = scope.track(new cnet.Socket());
    const aRet = a.connect(port, '127.0.0.1', function (...args) {
      calls.push(`Socket#connect cb: args=${args.length} this=socket:${this === a}`);
    });
    calls.push(`Socket#connect returns socket: ${aRet === a}`);
    await P.once(a, 'close');

    // connect({ port, host }, cb)
    const b = scope.track(
      cnet.connect({ port, host: '127.0.0.1' }, function (...args) {
        calls.push(`connect(opts) cb: args=${args.length} this=socket:${this === b}`);
      }),
    );
    await P.once(b, 'close');
    return calls;
  });
  P.assertParity(results, [
    'listen cb: args=0 this=server:true',
    'Socket#connect returns socket: true',
    'Socket#connect cb: args=0 this=socket:true',
    'connect(opts) cb: args=0 this=socket:true',
  ]);
});

test("createConnection('12345'): a numeric string is a port on localhost, not a pipe path", { timeout: 30_000 }, async () => {
  // process.env.PORT is a string; passing it straight through must work.
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    const server = await scope.server(net, { listenArgs: [String(0)], onConnection: (s) => s.end('ok') });
    const portStr = String(server.address().port);
    const c = scope.track(cnet.createConnection(portStr));
    const rec = P.record(c);
    await P.once(c, 'close');
    const d = scope.track(cnet.connect(portStr, 'localhost'));
    const rec2 = P.record(d);
    await P.once(d, 'close');
    return { createConnection: rec.view(), connect: rec2.view(), reply: rec.received().bytes };
  });
  const log = ['lookup(ok,127.0.0.1,4,localhost)', 'connect', 'ready', 'data(2B)', 'end', 'finish', 'close(false)'];
  P.assertParity(results, { createConnection: log, connect: log, reply: 2 });
});

test("connecting emits 'lookup' for a host name and 'connectionAttempt' for each address tried", { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    const server = await scope.server(net, { listenArgs: [0], onConnection: (s) => s.end() });
    const port = server.address().port;
    const out = {};
    for (const host of ['localhost', '127.0.0.1']) {
      const c = scope.track(cnet.connect(port, host));
      const log = [];
      c.on('lookup', (err, address, family, h) => log.push(`lookup ${err} ${address} ${family} ${h}`));
      c.on('connectionAttempt', (ip, p, family) =>
        log.push(`connectionAttempt ${ip} ${p === port ? 'PORT' : p} ${family}`),
      );
      c.on('connect', () => log.push('connect'));
      await P.once(c, 'close');
      out[host] = log;
    }
    return out;
  });
  P.assertParity(results, {
    localhost: ['lookup null 127.0.0.1 4 localhost', 'connectionAttempt 127.0.0.1 PORT 4', 'connect'],
    '127.0.0.1': ['connectionAttempt 127.0.0.1 PORT 4', 'connect'],
  });
});

test('reconnecting the same Socket object after it closed (as DB clients do)', { timeout: 30_000 }, async () => {
  // Each round: connect, send a request, read the reply, close; then reuse the object.
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    let n = 0;
    const server = await scope.server(net, {
      onConnection: (s) => {
        n++;
        const round = n;
        s.on('data', (d) => s.end(`round ${round} got ${d.length}`));
      },
    });
    const port = server.address().port;
    const sock = scope.track(new cnet.Socket());
    const rec = P.record(sock, { state: true });
    const rounds = [];
    for (let i = 1; i <= 3; i++) {
      const before = `before: readyState=${sock.readyState} destroyed=${sock.destroyed} pending=${sock.pending}`;
      if (i === 2) sock.connect({ port, host: '127.0.0.1' });
      else sock.connect(port, '127.0.0.1');
      const connecting = `connecting=${sock.connecting} readyState=${sock.readyState}`;
      await P.once(sock, 'connect');
      let reply = '';
      const onData = (d) => (reply += d);
      sock.on('data', onData);
      sock.write('x'.repeat(i * 10));
      await P.once(sock, 'close');
      sock.removeListener('data', onData);
      rounds.push({ before, connecting, reply, bytesRead: sock.bytesRead, bytesWritten: sock.bytesWritten });
    }
    return { rounds, log: rec.view({ state: true }) };
  });
  const round = ['connect@open', 'ready@open', /* data */ 'end@writeOnly', 'finish@closed', 'close(false)@closed'];
  const withData = (n) => [round[0], round[1], `data(${n}B)@open`, ...round.slice(2)];
  P.assertParity(results, {
    rounds: [1, 2, 3].map((i) => ({
      before:
        i === 1
          ? 'before: readyState=open destroyed=false pending=true' // sic: a fresh Socket says 'open'
          : 'before: readyState=closed destroyed=true pending=true',
      connecting: 'connecting=true readyState=opening',
      reply: `round ${i} got ${i * 10}`,
      bytesRead: `round ${i} got ${i * 10}`.length,
      bytesWritten: i * 10,
    })),
    log: [...withData(14), ...withData(14), ...withData(14)],
  });
});

/** Replace ephemeral ports with names so runs on different ports compare equal. */
function normalisePorts(obj, names) {
  return JSON.parse(
    JSON.stringify(obj, (_k, v) => (typeof v === 'number' && names.has(v) ? names.get(v) : v)),
  );
}

/** Addresses as seen from both ends of one connection. */
async function addressesSeen({ server: net, client: cnet }, scope, listenHost, connectHost) {
  const accepted = P.deferred(10_000, 'connection');
  const listenArgs = listenHost === undefined ? [0] : [0, listenHost];
  const server = await scope.server(net, { listenArgs, onConnection: accepted.resolve });
  const c = scope.track(cnet.connect(server.address().port, connectHost));
  await P.once(c, 'connect');
  const s = await accepted.promise;
  const view = (x) => ({
    remoteAddress: x.remoteAddress,
    remotePort: x.remotePort,
    remoteFamily: x.remoteFamily,
    localAddress: x.localAddress,
    localPort: x.localPort,
    localFamily: x.localFamily,
    address: x.address(),
  });
  const names = new Map([
    [server.address().port, 'SERVER_PORT'],
    [c.localPort, 'CLIENT_PORT'],
  ]);
  const r = normalisePorts({ server: server.address(), client: view(c), accepted: view(s) }, names);
  c.destroy();
  return r;
}

function side(addr, family, port, peerAddr, peerFamily, peerPort) {
  return {
    remoteAddress: peerAddr,
    remotePort: peerPort,
    remoteFamily: peerFamily,
    localAddress: addr,
    localPort: port,
    localFamily: family,
    address: { address: addr, family, port },
  };
}

test('an IPv4 client of a host-less (dual-stack) server is seen as ::ffff:127.0.0.1', { timeout: 30_000 }, async () => {
  const results = await P.runPairs((mods, scope) => addressesSeen(mods, scope, undefined, '127.0.0.1'));
  const mapped = '::ffff:127.0.0.1';
  P.assertParity(results, {
    server: { address: '::', family: 'IPv6', port: 'SERVER_PORT' },
    client: side('127.0.0.1', 'IPv4', 'CLIENT_PORT', '127.0.0.1', 'IPv4', 'SERVER_PORT'),
    accepted: side(mapped, 'IPv6', 'SERVER_PORT', mapped, 'IPv6', 'CLIENT_PORT'),
  });
});

test('remote/local address, port and family and address() on both ends: IPv4', { timeout: 30_000 }, async () => {
  const results = await P.runPairs((mods, scope) => addressesSeen(mods, scope, '127.0.0.1', '127.0.0.1'));
  P.assertParity(results, {
    server: { address: '127.0.0.1', family: 'IPv4', port: 'SERVER_PORT' },
    client: side('127.0.0.1', 'IPv4', 'CLIENT_PORT', '127.0.0.1', 'IPv4', 'SERVER_PORT'),
    accepted: side('127.0.0.1', 'IPv4', 'SERVER_PORT', '127.0.0.1', 'IPv4', 'CLIENT_PORT'),
  });
});

test('remote/local address, port and family and address() on both ends: IPv6 ::1', { timeout: 30_000 }, async (t) => {
  if (!(await P.hasIPv6())) return t.skip('no IPv6 loopback here');
  const results = await P.runPairs(async (mods, scope) => ({
    v6only: await addressesSeen(mods, scope, '::1', '::1'),
    dualStack: await addressesSeen(mods, scope, undefined, '::1'),
  }));
  const v6 = {
    client: side('::1', 'IPv6', 'CLIENT_PORT', '::1', 'IPv6', 'SERVER_PORT'),
    accepted: side('::1', 'IPv6', 'SERVER_PORT', '::1', 'IPv6', 'CLIENT_PORT'),
  };
  P.assertParity(results, {
    v6only: { server: { address: '::1', family: 'IPv6', port: 'SERVER_PORT' }, ...v6 },
    dualStack: { server: { address: '::', family: 'IPv6', port: 'SERVER_PORT' }, ...v6 },
  });
});

test('addresses before connecting and after close', { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    const server = await scope.server(net, { onConnection: (s) => s.end() });
    const c = scope.track(new cnet.Socket());
    const snap = () => ({
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      remoteFamily: c.remoteFamily,
      localAddress: c.localAddress,
      localPort: c.localPort,
      address: c.address(),
    });
    const fresh = snap();
    c.connect(server.address().port, '127.0.0.1');
    await P.once(c, 'close');
    return { fresh, closed: snap() };
  });
  const none = {
    remoteAddress: undefined,
    remotePort: undefined,
    remoteFamily: undefined,
    localAddress: undefined,
    localPort: undefined,
    address: {},
  };
  P.assertParity(results, { fresh: none, closed: none });
});

test('bytesRead / bytesWritten after a known exchange (multi-byte utf8 counted in bytes)', { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    const serverSocket = P.deferred(10_000, 'server socket close');
    const server = await scope.server(net, {
      options: { allowHalfOpen: true },
      onConnection: (s) => {
        s.setEncoding('utf8'); // bytesRead still counts bytes, not characters
        s.resume();
        s.on('end', () => s.end(Buffer.alloc(2500, 'r')));
        s.on('close', () => serverSocket.resolve({ read: s.bytesRead, written: s.bytesWritten }));
      },
    });
    const c = scope.track(cnet.createConnection(server.address().port, '127.0.0.1'));
    const beforeConnect = { read: c.bytesRead, written: c.bytesWritten };
    c.write('x'.repeat(1000));
    c.write('\u20ac'); // 3 bytes
    const pendingCounted = c.bytesWritten; // net counts bytes still queued before connect
    c.end();
    c.resume();
    await P.once(c, 'close');
    return {
      beforeConnect,
      pendingCounted,
      client: { read: c.bytesRead, written: c.bytesWritten },
      server: await serverSocket.promise,
    };
  });
  P.assertParity(results, {
    beforeConnect: { read: 0, written: 0 },
    pendingCounted: 1003,
    client: { read: 2500, written: 1003 },
    server: { read: 1003, written: 2500 },
  });
});

test('server.getConnections(cb) counts live connections, asynchronously', { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    const accepted = [];
    let gotAll;
    const allAccepted = new Promise((r) => (gotAll = r));
    const server = await scope.server(net, {
      onConnection: (s) => {
        accepted.push(s);
        if (accepted.length === 3) gotAll();
      },
    });
    const port = server.address().port;
    const clients = [1, 2, 3].map(() => scope.track(cnet.connect(port, '127.0.0.1')));
    await P.withTimeout(allAccepted, 10_000, '3 connections');
    const log = [];
    const count = () =>
      P.withTimeout(
        new Promise((resolve) => {
          server.getConnections((...args) => {
            log.push(`cb(${args.map(String).join(', ')})`);
            resolve();
          });
          log.push('after call');
        }),
        10_000,
        'getConnections callback',
      );
    await count();
    // One client goes away; wait for the server side to see it closed.
    const gone = P.once(accepted[0], 'close');
    clients[0].destroy();
    await gone;
    await count();
    for (const c of clients) c.destroy();
    return log;
  });
  P.assertParity(results, ['after call', 'cb(null, 3)', 'after call', 'cb(null, 2)']);
});

test("server.close(cb): 'close' and cb only after the last connection has ended", { timeout: 30_000 }, async () => {
  // Graceful shutdown: stop accepting, let the open connection finish.
  // The log covers the server and its accepted socket (one event loop order);
  // the client is a separate socket and is left out of it.
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    const log = [];
    const accepted = P.deferred(10_000, 'connection');
    const server = scope.track(net.createServer());
    server.on('connection', (s) => {
      s.pipe(s);
      s.on('end', () => log.push('conn end'));
      s.on('close', () => log.push('conn close'));
      accepted.resolve(s);
    });
    server.on('close', (...args) => log.push(`server close(${args.length})`));
    await P.listen(server, 0, '127.0.0.1');
    const c = scope.track(cnet.connect(server.address().port, '127.0.0.1'));
    await P.once(c, 'connect');
    await accepted.promise;
    const done = P.deferred(10_000, 'close callback');
    const ret = server.close((...args) => {
      log.push(`close cb(${args.map(String).join(', ')})`);
      done.resolve();
    });
    log.push(`close() returned server=${ret === server} listening=${server.listening} address=${server.address()}`);
    // The server is not accepting any more, but the open connection still works.
    c.write('still here');
    const [echo] = await P.once(c, 'data');
    log.push(`echo after close(): ${echo}`);
    log.push('client ends');
    c.end();
    await done.promise;
    await P.once(c, 'close');
    await P.delay(0);
    return log;
  });
  P.assertParity(results, [
    'close() returned server=true listening=false address=null',
    'echo after close(): still here',
    'client ends',
    'conn end',
    'server close(0)',
    'close cb()',
    'conn close',
  ]);
});

test("server.close(cb) with no connections: cb and 'close' once; a new connection is refused", { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server: net, client: cnet }, scope) => {
    const log = [];
    const server = scope.track(net.createServer());
    server.on('close', () => log.push('close'));
    await P.listen(server, 0, '127.0.0.1');
    const port = server.address().port;
    await P.withTimeout(
      new Promise((resolve) =>
        server.close((...args) => {
          log.push(`cb(${args.length})`);
          resolve();
        }),
      ),
      10_000,
      'close callback',
    );
    const c = scope.track(cnet.connect(port, '127.0.0.1'));
    const [err] = await P.once(c, 'error');
    log.push(`connect after close: ${err.code}`);
    return log;
  });
  P.assertParity(results, ['close', 'cb(0)', 'connect after close: ECONNREFUSED']);
});

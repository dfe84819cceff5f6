'use strict';
// Async context: Node runs a socket's callbacks inside the socket handle's own async
// resource, created where the socket was connected (or, for a server's connections,
// outside any context), and a server's 'connection' inside the context it listened
// in. AsyncLocalStorage and async_hooks users see that; rsnet must show the same.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { AsyncLocalStorage, createHook, executionAsyncId } = require('node:async_hooks');
const P = require('./helpers/parity');

const T = { timeout: 30_000 };

const asyncIdOf = (obj) => {
  const symbol = Object.getOwnPropertySymbols(obj).find((s) => s.description === 'async_id_symbol');
  return obj[symbol];
};

test('AsyncLocalStorage: socket events run in the context of connect() and listen()', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const als = new AsyncLocalStorage();
    const seen = [];
    const note = (what) => seen.push(`${what}: ${als.getStore() ?? 'none'}`);
    let serverCloses = 0;
    const serverClosed = P.deferred(10_000, "both server-side 'close'");
    const server = scope.track(als.run('createServer', () => mod.createServer((socket) => {
      note('connection');
      socket.on('data', (d) => {
        note('server data');
        socket.end(d);
      });
      socket.on('end', () => note('server end'));
      socket.on('close', () => {
        note('server close');
        if (++serverCloses === 2) serverClosed.resolve();
      });
    })));
    await als.run('listen', () => P.listen(server, 0, '127.0.0.1'));
    const { port } = server.address();
    const closed = ['A', 'B'].map((name) => als.run(`client ${name}`, () => {
      const client = scope.track(mod.connect(port, '127.0.0.1', () => {
        note(`${name} connect`);
        client.write('x');
      }));
      client.on('data', () => note(`${name} data`));
      client.on('end', () => note(`${name} end`));
      return P.once(client, 'close').then(() => note(`${name} close`));
    }));
    await Promise.all([...closed, serverClosed.promise]);
    // Events of different sockets may interleave differently: compare them sorted.
    return [...seen].sort();
  });
  P.assertParity(results, (r) => {
    assert.ok(r.includes('A data: client A'), r);
    assert.ok(r.includes('B connect: client B'), r);
    assert.ok(r.includes('connection: listen'), r);
    assert.ok(r.includes('server data: none'), r);
  });
});

test("async_hooks: a socket's callbacks run in its handle resource (TCPWRAP, PIPEWRAP, *SERVERWRAP)", T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const types = new Map();
    const hook = createHook({ init(asyncId, type) { types.set(asyncId, type); } }).enable();
    try {
      const server = scope.track(mod.createServer((socket) => socket.end('hello')));
      await P.listen(server, 0, '127.0.0.1');
      const client = scope.track(mod.connect(server.address().port, '127.0.0.1'));
      const inData = P.deferred(10_000, "client 'data'");
      client.on('data', () => inData.resolve(executionAsyncId()));
      const dataAsyncId = await inData.promise;
      return {
        clientId: asyncIdOf(client) === dataAsyncId ? 'the data callback runs in it' : 'elsewhere',
        clientType: types.get(asyncIdOf(client)),
        serverType: types.get(asyncIdOf(server)),
      };
    } finally {
      hook.disable();
    }
  });
  P.assertParity(results, { clientId: 'the data callback runs in it', clientType: 'TCPWRAP', serverType: 'TCPSERVERWRAP' });
});

test('async_hooks: Unix socket handles are PIPEWRAP and PIPESERVERWRAP', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const types = new Map();
    const hook = createHook({ init(asyncId, type) { types.set(asyncId, type); } }).enable();
    try {
      const server = scope.track(mod.createServer((socket) => socket.end()));
      await P.listen(server, `\0rsnet-async-context-${process.pid}-${label}`);
      const client = scope.track(mod.connect(server.address()));
      await P.once(client, 'connect');
      return { clientType: types.get(asyncIdOf(client)), serverType: types.get(asyncIdOf(server)) };
    } finally {
      hook.disable();
    }
  });
  P.assertParity(results, { clientType: 'PIPEWRAP', serverType: 'PIPESERVERWRAP' });
});

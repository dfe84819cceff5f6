'use strict';
// libuv reads a socket at most once per loop turn unless a read fills its buffer: the
// read after a short one (the peer's FIN right behind its data), and the first read of
// a connection just made or accepted, come on a later turn, after the check phase. So
// a `setImmediate` scheduled in 'data', 'connect' or 'connection' runs before the next
// read's events. Programs lean on it without knowing: a reply sent from a
// setImmediate after 'data' still goes out before the auto-end that follows 'end'.
const { test } = require('node:test');
const P = require('./helpers/parity');

const T = { timeout: 30_000 };

test("a reply sent from setImmediate in 'data' goes out before the peer's FIN is read", T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const server = [];
    const serverClosed = P.deferred(10_000, "accepted socket's 'close'");
    const srv = await scope.server(mod, {
      onConnection: (socket) => {
        socket.on('data', (d) => {
          server.push(`data ${d}`);
          setImmediate(() => {
            server.push(`immediate, writable=${socket.writable}`);
            socket.write('pong', (err) => server.push(`write callback ${err ? err.code : 'ok'}`));
          });
        });
        socket.on('end', () => server.push('end'));
        socket.on('error', (err) => server.push(`error ${err.code}`));
        socket.on('close', () => serverClosed.resolve());
      },
    });
    const client = scope.track(P.impls.net.connect(srv.address().port, '127.0.0.1'));
    const got = P.collect(client, { keep: true });
    client.end('ping');
    const reply = await got;
    await serverClosed.promise;
    return { server, clientGot: reply.buffer.toString() };
  });
  P.assertParity(results, {
    server: ['data ping', 'immediate, writable=true', 'write callback ok', 'end'],
    clientGot: 'pong',
  });
});

test("setImmediate in 'connect' and in 'connection' runs before the first 'data'", T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const client = [];
    const server = [];
    const done = P.deferred(10_000, 'both sides saw their data');
    let ends = 0;
    const srv = await scope.server(mod, {
      onConnection: (socket) => {
        server.push('connection');
        setImmediate(() => server.push('immediate'));
        socket.on('data', (d) => server.push(`data ${d}`));
        socket.on('end', () => {
          socket.end('hello');
          if (++ends === 2) done.resolve();
        });
      },
    });
    const sock = scope.track(mod.connect(srv.address().port, '127.0.0.1', () => {
      client.push('connect');
      setImmediate(() => client.push('immediate'));
    }));
    sock.end('hi');
    sock.on('data', (d) => client.push(`data ${d}`));
    sock.on('end', () => {
      if (++ends === 2) done.resolve();
    });
    await done.promise;
    return { client, server };
  });
  P.assertParity(results, {
    client: ['connect', 'immediate', 'data hello'],
    server: ['connection', 'immediate', 'data hi'],
  });
});

'use strict';
// When 'close' fires. Node emits it from the socket handle's close callback, in libuv's
// close phase: after the loop turn's setImmediate callbacks, before the next turn's
// timers, and newest first when several sockets closed in one turn. Programs that
// sequence work with setImmediate or timers around destroy() see that order.
const { test } = require('node:test');
const P = require('./helpers/parity');

/** Two connected client sockets of `mod` (to a `mod` server). */
async function twoClients(mod, scope) {
  const server = await scope.server(mod);
  const port = server.address().port;
  const a = await scope.connect(mod, { port, host: '127.0.0.1' });
  const b = await scope.connect(mod, { port, host: '127.0.0.1' });
  return { a, b };
}

test('destroy() in a timer: setImmediate first, then \'close\', then the next turn\'s timer', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const { a } = await twoClients(mod, scope);
    const log = [];
    const closed = P.once(a, 'close');
    a.on('close', () => log.push('close'));
    setTimeout(() => {
      a.destroy();
      setImmediate(() => log.push('immediate'));
      setTimeout(() => log.push('timer'), 0);
      process.nextTick(() => log.push('tick'));
    }, 1);
    await closed;
    await P.delay(20); // the 0 ms timer fires after 'close'; wait for it too
    return log;
  });
  P.assertParity(results, ['tick', 'immediate', 'close', 'timer']);
});

test('destroy() of two sockets in one turn: \'close\' comes newest first, as libuv closes', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const { a, b } = await twoClients(mod, scope);
    const log = [];
    const both = Promise.all([P.once(a, 'close'), P.once(b, 'close')]);
    a.on('close', () => log.push('a'));
    b.on('close', () => log.push('b'));
    setImmediate(() => {
      a.destroy();
      b.destroy();
    });
    await both;
    return log;
  });
  P.assertParity(results, ['b', 'a']);
});

'use strict';
// Errors on the way to close, rsnet vs built-in net: destroy(err) in every state,
// destroy() while connecting, and resetAndDestroy() right after end().
// How each scenario runs and is checked: helpers/outcomes.js; the errors it expects:
// helpers/expected-errors.js.
const { test, describe, after } = require('node:test');
const path = require('path');
const { execFile } = require('child_process');
const v8 = require('v8');
const builtin = require('net');
const { runBoth, check } = require('./helpers/outcomes');
const { systemError, boom, BOOM } = require('./helpers/expected-errors');
const { once, listen, closeServer, record, track, closed, roundTrip, exitGuard } = require('./fixtures/util');

exitGuard(after, 'errors-close.test.js');

const T = { timeout: 20000 };

describe('close: destroy(err) and destroy()', () => {
  test('destroy(err) on a connected client: that error, then close(true); destroyed sync', T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const s = track(mod.connect(port, '127.0.0.1'));
      await once(s, 'connect');
      const ev = [];
      const err = boom();
      s.on('error', (e) => ev.push(['same object', e === err]));
      record(s, ev);
      const r = s.destroy(err);
      ev.push(['sync', { returnsThis: r === s, destroyed: s.destroyed }]);
      await closed(s);
      await closeServer(peer);
      return ev;
    });
    check(out, [
      ['sync', { returnsThis: true, destroyed: true }],
      ['same object', true],
      ['error', BOOM],
      ['close', true],
    ]);
  });

  test('destroy(err) on a server-side socket: that error, then close(true); peer sees end', T, async () => {
    const out = await runBoth(async (mod) => {
      const ev = [];
      let serverSide;
      const srv = mod.createServer((c) => {
        serverSide = closed(c);
        record(c, ev);
        c.destroy(boom());
      });
      const { port } = await listen(srv, 0, '127.0.0.1');
      const client = track(builtin.connect(port, '127.0.0.1'));
      const cev = [];
      client.on('end', () => cev.push('end'));
      client.on('error', (e) => cev.push(['error', e.code]));
      client.on('close', () => cev.push('close'));
      await once(srv, 'connection');
      await serverSide;
      await closed(client);
      await closeServer(srv);
      ev.push(['peer', cev]);
      return ev;
    });
    check(out, [['error', BOOM], ['close', true], ['peer', ['end', 'close']]]);
  });

  test('destroy(err) while connecting: error then close(true), no connect', T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ev = [];
      const s = mod.connect(port, '127.0.0.1');
      record(s, ev);
      s.destroy(boom());
      await closed(s);
      await roundTrip(mod);
      await closeServer(peer);
      return ev;
    });
    check(out, [['error', BOOM], ['close', true]]);
  });

  test('destroy(err) on a never-connected Socket: error then close (no hadError argument)', T, async () => {
    const out = await runBoth(async (mod) => {
      const ev = [];
      const s = new mod.Socket();
      record(s, ev);
      s.destroy(boom());
      ev.push('sync');
      await closed(s);
      return ev;
    });
    check(out, ['sync', ['error', BOOM], ['close', undefined]]);
  });

  test('destroy() without error while connecting: only close(false)', T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ev = [];
      const s = mod.connect(port, '127.0.0.1');
      record(s, ev);
      s.destroy();
      await closed(s);
      await roundTrip(mod);
      await closeServer(peer);
      return ev;
    });
    check(out, [['close', false]]);
  });
});

describe('close: resetAndDestroy()', () => {
  // libuv refuses to reset a stream whose shutdown (end()'s FIN) is still in flight:
  // reset EINVAL, emitted from resetAndDestroy() itself, and Node never closes that
  // handle, so no 'close' follows. The FIN still reaches the peer.
  // The scenario runs in a child process per module (fixtures/reset-after-end.js): Node
  // 20's own net leaves a handle behind there that makes a process ending by itself spin
  // forever at exit, and this file's process must end by itself.
  test("resetAndDestroy() right after end(): 'error' reset EINVAL at once, no 'close'; the peer gets the FIN", T, async () => {
    const out = await runBoth((mod, label) => new Promise((resolve, reject) => {
      const fixture = path.join(__dirname, 'fixtures', 'reset-after-end.js');
      execFile(process.execPath, [fixture, label], { timeout: 15_000 }, (err, stdout) => {
        if (err) return reject(err);
        resolve(v8.deserialize(Buffer.from(stdout.trim(), 'base64')));
      });
    }));
    check(out, {
      ev: [
        ['error', systemError('EINVAL', 'reset', 'reset EINVAL')],
        'returned',
        'peer end',
      ],
      destroyed: true,
    });
  });
});

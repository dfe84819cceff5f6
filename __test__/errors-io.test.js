'use strict';
// I/O errors, rsnet vs built-in net: resets, EPIPE, and writes that fail (after end,
// before a connection, after destroy, while connecting).
// How each scenario runs and is checked: helpers/outcomes.js; the errors it expects:
// helpers/expected-errors.js.
const { test, describe, after } = require('node:test');
const assert = require('node:assert/strict');
const builtin = require('net');
const { isDeepStrictEqual } = require('util');
const { runBoth, check, show } = require('./helpers/outcomes');
const { systemError, nodeError, ECONNREFUSED, ECONNRESET, WRITE_AFTER_END, boomErr } = require('./helpers/expected-errors');
const { within, once, listen, closeServer, freedPort, shape, record, track, closed, roundTrip, exitGuard } = require('./fixtures/util');

exitGuard(after, 'errors-io.test.js');

const T = { timeout: 20000 };

describe('I/O: resets and EPIPE', () => {
  test('read ECONNRESET on a client socket (built-in peer resetAndDestroy): error then close(true)', T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => {
        c.on('error', () => {});
        c.once('data', () => c.resetAndDestroy());
      });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ev = [];
      const s = mod.connect(port, '127.0.0.1');
      record(s, ev);
      s.on('connect', () => s.write('hi'));
      await closed(s);
      ev.push(['after', { destroyed: s.destroyed, readyState: s.readyState, bytesWritten: s.bytesWritten }]);
      await closeServer(peer);
      return ev;
    });
    check(out, [
      'connect', 'ready',
      ['error', ECONNRESET],
      ['close', true],
      ['after', { destroyed: true, readyState: 'closed', bytesWritten: 2 }],
    ]);
  });

  test('read ECONNRESET on a server-side socket (built-in client resetAndDestroy)', T, async () => {
    const out = await runBoth(async (mod) => {
      const ev = [];
      let done;
      const srv = mod.createServer((c) => {
        record(c, ev);
        c.on('data', () => c.write('ok'));
        done = closed(c);
      });
      const { port } = await listen(srv, 0, '127.0.0.1');
      const client = track(builtin.connect(port, '127.0.0.1', () => client.write('hi')));
      client.on('error', () => {});
      client.once('data', () => client.resetAndDestroy());
      await once(srv, 'connection');
      await done;
      await closed(client);
      await closeServer(srv);
      return ev;
    });
    check(out, ['data', ['error', ECONNRESET], ['close', true]]);
  });

  test('peer resets while we keep writing: one error (read ECONNRESET, write ECONNRESET or write EPIPE) then close(true)', T, async () => {
    // Which of the three the kernel reports first is a race, so each
    // implementation is checked against the allowed set, not against the other.
    const allowed = [
      systemError('ECONNRESET', 'read', 'read ECONNRESET'),
      systemError('ECONNRESET', 'write', 'write ECONNRESET'),
      systemError('EPIPE', 'write', 'write EPIPE'),
    ];
    const out = await runBoth(async (mod) => {
      // Reset only once our data arrived, i.e. once we are surely connected
      // (an RST racing the handshake would give a 'connect ECONNRESET').
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.once('data', () => c.resetAndDestroy()); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ev = [];
      const s = mod.connect(port, '127.0.0.1');
      record(s, ev);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => { while (!s.destroyed && s.write(chunk)); };
      s.on('drain', pump);
      s.on('connect', pump);
      await closed(s, 10000);
      await closeServer(peer);
      return ev.filter((e) => e !== 'data' && e !== 'ready');
    });
    for (const label of ['net', 'rsnet']) {
      const ev = out[label];
      const ok = Array.isArray(ev) && ev.length === 3 && ev[0] === 'connect' &&
        Array.isArray(ev[1]) && ev[1][0] === 'error' && allowed.some((a) => isDeepStrictEqual(a, ev[1][1])) &&
        isDeepStrictEqual(ev[2], ['close', true]);
      assert.ok(ok, `${label === 'net' ? 'TEST BUG: built-in net' : 'rsnet'} saw ${show(ev)}`);
    }
  });

  test('write after the peer ended a non-half-open socket: EPIPE "This socket has been ended by the other party"', T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.end('bye'); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ev = [];
      const s = mod.connect({ port, host: '127.0.0.1', allowHalfOpen: false });
      record(s, ev);
      s.on('end', () => {
        // Our side is ended too now; a write must fail with the peer-ended EPIPE.
        s.end();
        const r = s.write('x', (e) => ev.push(['write cb', shape(e)]));
        ev.push(['write returned', r]);
      });
      await closed(s);
      await closeServer(peer);
      return ev;
    });
    const EPIPE = nodeError('EPIPE', 'This socket has been ended by the other party');
    check(out, [
      'connect', 'ready', 'data', ['end', 'bye'],
      ['write returned', false],
      ['write cb', EPIPE],
      ['error', EPIPE],
      ['close', true],
    ]);
  });

  test('allowHalfOpen socket can still write after the peer ended (control for the EPIPE case)', T, async () => {
    const out = await runBoth(async (mod) => {
      let got = '';
      const peerDone = [];
      const peer = builtin.createServer({ allowHalfOpen: true }, (c) => {
        c.on('error', () => {});
        c.on('data', (d) => { got += d; });
        peerDone.push(new Promise((r) => c.on('end', r)));
        c.end('bye');
      });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ev = [];
      const s = mod.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      record(s, ev);
      s.on('end', () => {
        const r = s.write('late', (e) => ev.push(['write cb', shape(e)]));
        ev.push(['write returned', r]);
        s.end();
      });
      await closed(s);
      await within(Promise.all(peerDone), 5000, 'peer end');
      ev.push(['peer got', got]);
      await closeServer(peer);
      return ev;
    });
    check(out, [
      'connect', 'ready', 'data', ['end', 'bye'],
      ['write returned', true],
      ['write cb', null],
      'finish',
      ['close', false],
      ['peer got', 'late'],
    ]);
  });
});

describe('I/O: writes that fail', () => {
  test('write after end(): ERR_STREAM_WRITE_AFTER_END to the callback and as error, then close(true)', T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ev = [];
      const s = mod.connect(port, '127.0.0.1');
      record(s, ev);
      s.on('connect', () => {
        s.end();
        const r = s.write('x', (e) => ev.push(['write cb', shape(e)]));
        ev.push(['write returned', r]);
      });
      await closed(s);
      await closeServer(peer);
      return ev;
    });
    check(out, [
      'connect',
      ['write returned', false],
      'ready',
      ['write cb', WRITE_AFTER_END],
      ['error', WRITE_AFTER_END],
      ['close', true],
    ]);
  });

  test('write on a never-connected socket: ERR_SOCKET_CLOSED to cb and as error, close without hadError arg', T, async () => {
    const out = await runBoth(async (mod) => {
      const ev = [];
      const s = new mod.Socket();
      record(s, ev);
      const r = s.write('a', (e) => ev.push(['write cb', shape(e)]));
      ev.push(['write returned', r, s.destroyed]);
      await closed(s);
      ev.push(['after', s.destroyed]);
      return ev;
    });
    const CLOSED = nodeError('ERR_SOCKET_CLOSED', 'Socket is closed');
    check(out, [
      ['write returned', false, false],
      ['write cb', CLOSED],
      ['error', CLOSED],
      ['close', undefined],
      ['after', true],
    ]);
  });

  test('write on a destroyed connected socket: cb gets ERR_STREAM_DESTROYED, no error event, close(false)', T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ev = [];
      const s = track(mod.connect(port, '127.0.0.1'));
      await once(s, 'connect');
      record(s, ev);
      s.destroy();
      const r = s.write('z', (e) => ev.push(['write cb', shape(e)]));
      ev.push(['write returned', r]);
      await closed(s);
      await roundTrip(mod);
      await closeServer(peer);
      return ev;
    });
    check(out, [
      ['write returned', false],
      ['write cb', nodeError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed')],
      ['close', false],
    ]);
  });

  test('write then destroy() while still connecting (localhost lookup pending): close(false), then cb gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION', T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ev = [];
      const s = mod.connect(port, 'localhost');
      record(s, ev);
      s.write('a', (e) => ev.push(['write cb', shape(e)]));
      s.destroy();
      await closed(s);
      await roundTrip(mod);
      await closeServer(peer);
      return ev;
    });
    // net completes the pending write from a 'close' listener added by write(),
    // i.e. after the 'close' listener record() added before.
    check(out, [
      ['close', false],
      ['write cb', nodeError('ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'Socket closed before the connection was established')],
    ]);
  });

  test('writes + end() queued while connecting, then ECONNREFUSED: every callback gets an error, like net', T, async () => {
    const out = await runBoth(async (mod) => {
      const port = await freedPort('127.0.0.1');
      const subs = { [port]: 'PORT' };
      const ev = [];
      const s = mod.connect(port, '127.0.0.1');
      record(s, ev, subs);
      s.write('a', (e) => ev.push(['write a cb', shape(e, subs)]));
      s.write('b', (e) => ev.push(['write b cb', shape(e, subs)]));
      s.end('c', (e) => ev.push(['end cb', shape(e, subs)]));
      await closed(s);
      await new Promise((r) => setImmediate(r));
      return ev;
    });
    const BEFORE = nodeError('ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'Socket closed before the connection was established');
    check(out, [
      ['error', ECONNREFUSED('127.0.0.1')],
      ['close', true],
      ['write a cb', BEFORE],
      ['write b cb', ECONNREFUSED('127.0.0.1')],
      ['end cb', ECONNREFUSED('127.0.0.1')],
    ]);
  });

  test('corked writes then destroy(err): each write callback gets err, then error, then close(true)', T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const s = track(mod.connect(port, '127.0.0.1'));
      await once(s, 'connect');
      const ev = [];
      record(s, ev);
      const err = boomErr();
      s.cork();
      s.write('a', (e) => ev.push(['write a cb', e === err]));
      s.write('b', (e) => ev.push(['write b cb', e === err]));
      s.destroy(err);
      await closed(s);
      await new Promise((r) => setImmediate(r));
      await closeServer(peer);
      return ev;
    });
    // ('ready' was emitted synchronously right after 'connect', before record().)
    check(out, [
      ['write a cb', true],
      ['write b cb', true],
      ['error', shape(boomErr())],
      ['close', true],
    ]);
  });
});

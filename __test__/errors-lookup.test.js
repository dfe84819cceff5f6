'use strict';
// Connect errors before any connection: DNS failures, custom lookup() functions
// and AbortSignal, rsnet vs built-in net.
// How each scenario runs and is checked: helpers/outcomes.js; the errors it expects:
// helpers/expected-errors.js.
const { test, describe, after } = require('node:test');
const assert = require('node:assert/strict');
const builtin = require('net');
const { runBoth, check } = require('./helpers/outcomes');
const { systemError, nodeError, ABORT, causeOf } = require('./helpers/expected-errors');
const { listen, closeServer, shape, record, closed, roundTrip, exitGuard } = require('./fixtures/util');

exitGuard(after, 'errors-lookup.test.js');

const T = { timeout: 20000 };

describe('connect: DNS and custom lookup', () => {
  const BAD_HOST = 'does-not-exist.invalid';

  test('DNS failure (does-not-exist.invalid): lookup(err) then error then close(true); getaddrinfo shape', { timeout: 40000 }, async () => {
    const out = await runBoth(async (mod) => {
      const ev = [];
      const s = mod.connect(80, BAD_HOST);
      record(s, ev, {}, ['lookup']);
      let connectCb = false;
      s.once('connect', () => { connectCb = true; });
      await closed(s, 15000);
      ev.push(['after', { connectCb, destroyed: s.destroyed, readyState: s.readyState }]);
      return ev;
    });
    // The local resolver decides between ENOTFOUND and EAI_AGAIN; both
    // implementations must agree with each other on whichever it is.
    const e = out.net[0] && out.net[0][1];
    assert.ok(e && ['ENOTFOUND', 'EAI_AGAIN'].includes(e.code), `TEST BUG: unexpected resolver outcome ${JSON.stringify(out.net)}`);
    const dnsErr = systemError(e.code, 'getaddrinfo', `getaddrinfo ${e.code} ${BAD_HOST}`, {
      errno: e.code === 'ENOTFOUND' ? -3008 : -3001, hostname: BAD_HOST,
    });
    check(out, [
      ['lookup', dnsErr, undefined, undefined, BAD_HOST],
      ['error', dnsErr],
      ['close', true],
      ['after', { connectCb: false, destroyed: true, readyState: 'closed' }],
    ]);
  });

  test("custom lookup() that fails: 'lookup'(err), then the very same error object is emitted, then close(true)", T, async () => {
    const out = await runBoth(async (mod) => {
      const ev = [];
      const err = new Error('custom lookup failure');
      err.code = 'ECUSTOM';
      const calls = [];
      const s = mod.connect({
        port: 80,
        host: 'some.host.example',
        lookup: (host, opts, cb) => { calls.push([host, typeof opts, typeof cb]); process.nextTick(cb, err); },
      });
      s.on('error', (e) => ev.push(['same error object', e === err]));
      record(s, ev, {}, ['lookup']);
      await closed(s);
      ev.push(['lookup calls', calls]);
      return ev;
    });
    const errShape = shape(Object.assign(new Error('custom lookup failure'), { code: 'ECUSTOM' }));
    check(out, [
      ['lookup', errShape, undefined, undefined, 'some.host.example'],
      ['same error object', true],
      ['error', errShape],
      ['close', true],
      ['lookup calls', [['some.host.example', 'object', 'function']]],
    ]);
  });

  test('custom lookup() returning an invalid IP: ERR_INVALID_IP_ADDRESS (TypeError) then close(true)', T, async () => {
    const out = await runBoth(async (mod) => {
      const ev = [];
      const s = mod.connect({
        port: 80,
        host: 'some.host.example',
        autoSelectFamily: false,
        lookup: (host, opts, cb) => process.nextTick(cb, null, 'not-an-ip', 4),
      });
      record(s, ev, {}, ['lookup']);
      await closed(s);
      return ev;
    });
    check(out, [
      ['lookup', null, 'not-an-ip', 4, 'some.host.example'],
      ['error', nodeError('ERR_INVALID_IP_ADDRESS', 'Invalid IP address: not-an-ip', { name: 'TypeError' })],
      ['close', true],
    ]);
  });
});

describe('connect: AbortSignal', () => {
  test("connect({signal}) aborted after 'connect': AbortError (cause = DOMException) then close(true)", T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ac = new AbortController();
      const ev = [];
      const s = mod.connect({ port, host: '127.0.0.1', signal: ac.signal });
      s.on('error', (e) => ev.push(['cause', causeOf(e)]));
      record(s, ev);
      s.on('connect', () => { ac.abort(); ev.push(['after abort', s.destroyed]); });
      await closed(s);
      await closeServer(peer);
      return ev;
    });
    check(out, [
      'connect', ['after abort', true], 'ready',
      ['cause', 'DOMException:AbortError'], ['error', ABORT],
      ['close', true],
    ]);
  });

  test('connect({signal}) aborted while connecting, with a reason: AbortError (cause = reason) then close(true)', T, async () => {
    const out = await runBoth(async (mod) => {
      const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
      const { port } = await listen(peer, 0, '127.0.0.1');
      const ac = new AbortController();
      const ev = [];
      const s = mod.connect({ port, host: '127.0.0.1', signal: ac.signal });
      s.on('error', (e) => ev.push(['cause', causeOf(e)]));
      record(s, ev);
      ac.abort('why');
      ev.push(['after abort', s.destroyed]);
      await closed(s);
      await roundTrip(mod);
      await closeServer(peer);
      return ev;
    });
    check(out, [['after abort', true], ['cause', 'why'], ['error', ABORT], ['close', true]]);
  });
});

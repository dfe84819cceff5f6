'use strict';
// listen() and socket option arguments that are accepted, rsnet vs built-in net: for
// each form both implementations must then do the same thing (bind the same
// address/family, listen with odd backlogs, keep a connection working with odd
// setNoDelay/setKeepAlive/setTimeout values). Each row also states what Node v20.20.2
// does, so the built-in run checks the expectation itself (no vacuous passes).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const { implList } = require('./helpers/harness');
const { within, once, listen, closeServer, haveIPv6, closed, track, inTempCwd, kindOf, exitGuard, reg, cleanupAll } = require('./fixtures/util');

exitGuard(after, 'arguments-listen.test.js');

const IMPLS = implList();
const H = '127.0.0.1';

// Some rows use Unix socket paths relative to the cwd; run the whole file in a
// fresh temp dir.
inTempCwd(before, after, 'rsnet-args-');

const WILD = haveIPv6() ? { address: '::', family: 'IPv6' } : { address: '0.0.0.0', family: 'IPv4' };
const LOOP4 = { address: '127.0.0.1', family: 'IPv4' };

const LISTEN_OK = [
  ['s.listen()', WILD],
  ['s.listen(null)', WILD],
  ['s.listen(() => {})', WILD],
  ['s.listen(undefined, H)', LOOP4],
  ['s.listen({ port: undefined })', WILD],
  ['s.listen({ port: null, host: H })', LOOP4],
  ["s.listen('0')", WILD],
  ["s.listen({ port: '0', host: H })", LOOP4],
  ["s.listen('not a number')", 'not a number'],
  ["s.listen('-1')", '-1'],
  ["s.listen({ path: './rel.sock' })", './rel.sock'],
  ['s.listen(0, 5)', WILD],
  ["s.listen(0, H, 'x')", LOOP4],
  ['s.listen({ port: 0, host: H }, 1)', LOOP4],
  ['s.listen({ port: 0, host: H, backlog: -1 })', LOOP4],
  ["s.listen({ port: 0, host: H, backlog: 'x' })", LOOP4],
  ["s.listen({ port: 0, host: H, exclusive: 'x' })", LOOP4],
  ['s.listen({ port: 0, ipv6Only: 1 })', WILD],
  ["s.listen({ port: 0, host: 'localhost' })", LOOP4],
  ["s.listen({ port: 0, host: '0.0.0.0' })", { address: '0.0.0.0', family: 'IPv4' }],
];

if (haveIPv6()) {
  LISTEN_OK.push(["s.listen({ port: 0, host: '::1' })", { address: '::1', family: 'IPv6' }]);
  LISTEN_OK.push(["s.listen({ port: 0, host: '::' })", { address: '::', family: 'IPv6' }]);
}

async function listenOutcome(src, mod) {
  const s = reg(mod.createServer());
  const ev = [];
  s.on('error', (e) => ev.push(['error', e.code, e.message]));
  s.on('listening', () => {
    const a = s.address();
    ev.push(['listening', typeof a === 'string' ? a
      : { address: a.address, family: a.family, portOk: Number.isInteger(a.port) && a.port > 0 }]);
  });
   
  const fn = new Function('s', 'H', `return (${src});`);
  let ret;
  try {
    ret = fn(s, H) === s ? 'this' : 'other';
  } catch (e) {
    return { threw: [e.constructor.name, e.code, e.message] };
  }
  await within(new Promise((r) => { s.once('listening', r); s.once('error', r); }), 5000, `${src}: listening/error`);
  // A path server must have created its socket file relative to the cwd.
  const a = s.address();
  const fileCreated = typeof a === 'string' ? fs.existsSync(a) : null;
  if (s.listening) await closeServer(s);
  const fileRemoved = typeof a === 'string' ? !fs.existsSync(a) : null;
  return { ret, ev, fileCreated, fileRemoved };
}

test('listen(): accepted argument forms bind like net (address/family; pipe paths relative to cwd)', { timeout: 60000 }, async (t) => {
  for (const [src, addr] of LISTEN_OK) {
    await t.test(src, async () => {
      const got = {};
      for (const [label, mod] of IMPLS) {
        try {
          got[label] = await listenOutcome(src, mod);
        } catch (e) {
          got[label] = { scenarioFailed: String(e && e.message) };
        } finally {
          cleanupAll();
        }
      }
      const isPath = typeof addr === 'string';
      const expected = {
        ret: 'this',
        ev: [['listening', isPath ? addr : { ...addr, portOk: true }]],
        fileCreated: isPath ? true : null,
        fileRemoved: isPath ? true : null,
      };
      assert.deepStrictEqual(got.net, expected, 'TEST BUG: built-in net did not behave as this row expects');
      assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
    });
  }
});

test('connected socket: setNoDelay/setKeepAlive/setTimeout odd values return this and the socket keeps working', { timeout: 20000 }, async () => {
  const calls = [
    ['setNoDelay', []], ['setNoDelay', ['x']], ['setNoDelay', [0]], ['setNoDelay', [null]], ['setNoDelay', [{}]],
    ['setNoDelay', [false]], ['setNoDelay', [true]],
    ['setKeepAlive', []], ['setKeepAlive', ['x']], ['setKeepAlive', [true, 'x']], ['setKeepAlive', [true, -1]],
    ['setKeepAlive', [true, NaN]], ['setKeepAlive', [true, 1.5]], ['setKeepAlive', [1, 1000]], ['setKeepAlive', [false]],
    ['setTimeout', [0]], ['setTimeout', [1.5]], ['setTimeout', [60000]], ['setTimeout', [0]],
    ['setTimeout', ['x']], ['setTimeout', [-1]], ['setTimeout', [10, 'cb']],
    ['ref', []], ['unref', []], ['ref', []],
    ['setKeepAlive', [true, 1e12]], ['setKeepAlive', [true, Infinity]], ['setKeepAlive', [true, -Infinity]],
    ['setKeepAlive', [true, 2 ** 32 * 1000]], ['setKeepAlive', [true, '1000']], ['setNoDelay', [Symbol('s')]],
  ];
  const got = {};
  for (const [label, mod] of IMPLS) {
    try {
      const srv = mod.createServer((c) => { c.on('error', () => {}); c.pipe(c); });
      const { port } = await listen(srv, 0, H);
      const s = track(mod.connect(port, H));
      s.on('error', () => {});
      await once(s, 'connect');
      const res = calls.map(([m, args]) => {
        try {
          const r = s[m](...args);
          return [m, args.map(String), r === s ? 'this' : kindOf(r, mod)];
        } catch (e) {
          return [m, args.map(String), 'throws', e.constructor.name, e.code, e.message];
        }
      });
      s.write('still works');
      let data = '';
      await within(new Promise((r) => s.on('data', (d) => { data += d; if (data.length >= 11) r(); })), 5000, 'echo');
      res.push(['echo', data]);
      s.destroy();
      await closed(s);
      await closeServer(srv);
      got[label] = res;
    } finally {
      cleanupAll();
    }
  }
  const expected = calls.map(([m, args]) => [m, args.map(String), 'this']);
  const set = (i, v) => { expected[i] = [...expected[i].slice(0, 2), ...v]; };
  set(19, ['throws', 'TypeError', 'ERR_INVALID_ARG_TYPE', `The "msecs" argument must be of type number. Received type string ('x')`]);
  set(20, ['throws', 'RangeError', 'ERR_OUT_OF_RANGE', 'The value of "msecs" is out of range. It must be a non-negative finite number. Received -1']);
  set(21, ['throws', 'TypeError', 'ERR_INVALID_ARG_TYPE', `The "callback" argument must be of type function. Received type string ('cb')`]);
  expected.push(['echo', 'still works']);
  assert.deepStrictEqual(got.net, expected, 'TEST BUG: built-in net did not behave as expected');
  assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
});

// Odd backlog values are coerced (or ignored) by net, never rejected.
const BACKLOGS = [
  ['{}', {}], ['[]', []], ['null', null], ['true', true], ['1.5', 1.5], ['NaN', NaN], ['Infinity', Infinity],
  ['-Infinity', -Infinity], ['2 ** 31', 2 ** 31], ['2 ** 40', 2 ** 40], ["'10'", '10'], ["'x'", 'x'], ['-1', -1], ['0', 0],
];

test('listen(): odd backlog values (options.backlog and positional) still listen like net', { timeout: 60000 }, async (t) => {
  for (const [label, backlog] of BACKLOGS) {
    await t.test(`backlog ${label}`, async () => {
      const got = {};
      for (const [name, mod] of IMPLS) {
        const res = [];
        for (const form of ['options', 'positional']) {
          const s = reg(mod.createServer());
          try {
            await within(new Promise((resolve, reject) => {
              s.once('error', reject);
              if (form === 'options') s.listen({ port: 0, host: H, backlog }, resolve);
              else s.listen(0, H, backlog, resolve);
            }), 5000, 'listening');
            res.push([form, 'listening']);
            await closeServer(s);
          } catch (e) {
            res.push([form, 'failed', e && e.code, e && e.message]);
          } finally {
            cleanupAll();
          }
        }
        got[name] = res;
      }
      assert.deepStrictEqual(got.net, [['options', 'listening'], ['positional', 'listening']], 'TEST BUG');
      assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
    });
  }
});

test('keepAlive/noDelay options with odd keepAliveInitialDelay (server and client side): the connection works like net', { timeout: 30000 }, async (t) => {
  const OPTS = [
    ['keepAliveInitialDelay 1e12', { keepAlive: true, keepAliveInitialDelay: 1e12 }],
    ['keepAliveInitialDelay -5', { keepAlive: true, keepAliveInitialDelay: -5 }],
    ['keepAliveInitialDelay 1.5', { keepAlive: true, keepAliveInitialDelay: 1.5 }],
    ['keepAliveInitialDelay Infinity + noDelay', { noDelay: true, keepAlive: true, keepAliveInitialDelay: Infinity }],
  ];
  for (const [label, opts] of OPTS) {
    await t.test(label, async () => {
      const got = {};
      for (const [name, mod] of IMPLS) {
        const ev = [];
        try {
          const srv = mod.createServer(opts, (c) => { c.on('error', (e) => ev.push(['server socket error', e.code])); c.pipe(c); });
          const { port } = await listen(srv, 0, H);
          const c = track(mod.connect({ port, host: H, ...opts }));
          c.on('error', (e) => ev.push(['error', e.code, e.message]));
          c.on('connect', () => { c.end('x'); });
          c.on('data', (d) => ev.push(['data', String(d)]));
          await closed(c);
          ev.push('closed');
          await closeServer(srv);
        } catch (e) {
          ev.push(['scenario failed', String(e && e.message)]);
        } finally {
          cleanupAll();
        }
        got[name] = ev;
      }
      assert.deepStrictEqual(got.net, [['data', 'x'], 'closed'], 'TEST BUG');
      assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
    });
  }
});

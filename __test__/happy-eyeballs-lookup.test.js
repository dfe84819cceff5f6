'use strict';
// Happy Eyeballs (autoSelectFamily) around the lookup: autoSelectFamily: false,
// family/hints options, the module-wide defaults, the 'lookup' event, failing custom
// lookups, and how addresses are ordered. Built-in net is the reference; rsnet must
// record the same thing. Refused attempts pass autoSelectFamilyAttemptTimeout: 5000:
// refusal on loopback is immediate, but the per-attempt timer (default 250 ms) races
// it on a loaded machine.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const dns = require('node:dns');
const P = require('./helpers/parity');
const { V6_FIRST, fakeLookup, attempted, REFUSED, connectAndClose, v4Server } = require('./helpers/happy-eyeballs');
const { shape, exitGuard } = require('./fixtures/util');

exitGuard(after, 'happy-eyeballs-lookup.test.js');

const T = { timeout: 60_000 };

test('autoSelectFamily: false: lookup without all, only the first address is tried', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const port = await v4Server(mod, scope);
    const out = {};
    for (const [key, list] of [['v6 first', V6_FIRST], ['v4 first', [...V6_FIRST].reverse()]]) {
      const calls = [];
      const { s, ev } = await connectAndClose(
        mod, scope, { port, host: 'one.test', lookup: fakeLookup(list, calls), autoSelectFamily: false }, port,
      );
      out[key] = { calls, ev, attempted: attempted(s, port) };
    }
    return out;
  });
  P.assertParity(results, {
    'v6 first': {
      calls: [{ hostname: 'one.test', options: { family: undefined, hints: dns.ADDRCONFIG } }],
      ev: [
        ['lookup', null, '::1', 6, 'one.test'],
        ['attempt', '::1', 'PORT', 6],
        ['attemptFailed', '::1', 'PORT', 6, REFUSED('::1')],
        ['error', REFUSED('::1')],
        ['close', true],
      ],
      attempted: undefined,
    },
    'v4 first': {
      calls: [{ hostname: 'one.test', options: { family: undefined, hints: dns.ADDRCONFIG } }],
      ev: [
        ['lookup', null, '127.0.0.1', 4, 'one.test'],
        ['attempt', '127.0.0.1', 'PORT', 4],
        ['connect', '127.0.0.1', 'PORT', 'IPv4'],
        'ready',
        ['close', false],
      ],
      attempted: undefined,
    },
  });
});

test('family: 4 / family: 6 are passed to lookup (no all) and pick the address family', T, async () => {
  const v6 = await P.hasIPv6();
  assert.ok(v6, 'this test needs ::1');
  const results = await P.runBoth(async (mod, label, scope) => {
    const out = {};
    // family 4 with the default (system) lookup of 'localhost'
    {
      const port = await v4Server(mod, scope);
      const { ev } = await connectAndClose(mod, scope, { port, host: 'localhost', family: 4 }, port);
      out.default4 = ev;
    }
    // family 6 with a custom lookup, to a server on ::1
    {
      const srv = await scope.server(P.impls.net, { host: '::1' });
      srv.on('connection', (c) => c.end());
      const port = srv.address().port;
      const calls = [];
      const { ev } = await connectAndClose(
        mod, scope, { port, host: 'six.test', family: 6, lookup: fakeLookup([{ address: '::1', family: 6 }], calls) }, port,
      );
      out.custom6 = { calls, ev };
    }
    return out;
  });
  P.assertParity(results, {
    default4: [
      ['lookup', null, '127.0.0.1', 4, 'localhost'],
      ['attempt', '127.0.0.1', 'PORT', 4],
      ['connect', '127.0.0.1', 'PORT', 'IPv4'],
      'ready',
      ['close', false],
    ],
    custom6: {
      // no ADDRCONFIG default when a family is given
      calls: [{ hostname: 'six.test', options: { family: 6, hints: 0 } }],
      ev: [
        ['lookup', null, '::1', 6, 'six.test'],
        ['attempt', '::1', 'PORT', 6],
        ['connect', '::1', 'PORT', 'IPv6'],
        'ready',
        ['close', false],
      ],
    },
  });
});

test('hints are passed through to the custom lookup (with and without autoSelectFamily)', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const port = await v4Server(mod, scope);
    const calls = [];
    const v4 = [{ address: '127.0.0.1', family: 4 }];
    await connectAndClose(mod, scope, { port, host: 'h1.test', hints: dns.V4MAPPED, lookup: fakeLookup(v4, calls) }, port);
    await connectAndClose(mod, scope, { port, host: 'h2.test', hints: dns.V4MAPPED | dns.ALL, family: 6, lookup: fakeLookup(v4, calls) }, port);
    await connectAndClose(mod, scope, { port, host: 'h3.test', hints: 0, autoSelectFamily: false, lookup: fakeLookup(v4, calls) }, port);
    return calls;
  });
  P.assertParity(results, [
    { hostname: 'h1.test', options: { family: undefined, hints: dns.V4MAPPED, all: true } },
    { hostname: 'h2.test', options: { family: 6, hints: dns.V4MAPPED | dns.ALL } },
    { hostname: 'h3.test', options: { family: undefined, hints: dns.ADDRCONFIG } },
  ]);
});

test('get/setDefaultAutoSelectFamily and get/setDefaultAutoSelectFamilyAttemptTimeout (restored after)', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const out = {};
    const tryShape = (fn) => { try { return { ret: fn() }; } catch (e) { return { thrown: shape(e) }; } };
    try {
      out.initial = [mod.getDefaultAutoSelectFamily(), mod.getDefaultAutoSelectFamilyAttemptTimeout()];
      out.setFalse = mod.setDefaultAutoSelectFamily(false);
      out.afterFalse = mod.getDefaultAutoSelectFamily();
      // the default now applies to connections without the option
      const port = await v4Server(mod, scope);
      const calls = [];
      const { s, ev } = await connectAndClose(mod, scope, { port, host: 'def.test', lookup: fakeLookup(V6_FIRST, calls) }, port);
      out.withDefaultFalse = { calls, ev: ev.map((e) => (Array.isArray(e) && e[0] === 'error' ? ['error', e[1].code] : e)), attempted: attempted(s, port) };
      mod.setDefaultAutoSelectFamily(true);
      out.afterTrue = mod.getDefaultAutoSelectFamily();
      out.set5 = mod.setDefaultAutoSelectFamilyAttemptTimeout(5);
      out.after5 = mod.getDefaultAutoSelectFamilyAttemptTimeout();
      mod.setDefaultAutoSelectFamilyAttemptTimeout(1000);
      out.after1000 = mod.getDefaultAutoSelectFamilyAttemptTimeout();
      out.badFamily = tryShape(() => mod.setDefaultAutoSelectFamily('yes'));
      out.badTimeoutType = tryShape(() => mod.setDefaultAutoSelectFamilyAttemptTimeout('100'));
      out.badTimeoutZero = tryShape(() => mod.setDefaultAutoSelectFamilyAttemptTimeout(0));
      out.afterBad = [mod.getDefaultAutoSelectFamily(), mod.getDefaultAutoSelectFamilyAttemptTimeout()];
    } finally {
      mod.setDefaultAutoSelectFamily(true);
      mod.setDefaultAutoSelectFamilyAttemptTimeout(250);
    }
    out.restored = [mod.getDefaultAutoSelectFamily(), mod.getDefaultAutoSelectFamilyAttemptTimeout()];
    return out;
  });
  const typeErr = (message) => ({
    ctor: 'TypeError', isError: true, name: 'TypeError', message, code: 'ERR_INVALID_ARG_TYPE',
    errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
  });
  P.assertParity(results, {
    initial: [true, 250],
    setFalse: undefined,
    afterFalse: false,
    withDefaultFalse: {
      calls: [{ hostname: 'def.test', options: { family: undefined, hints: dns.ADDRCONFIG } }],
      ev: [
        ['lookup', null, '::1', 6, 'def.test'],
        ['attempt', '::1', 'PORT', 6],
        ['attemptFailed', '::1', 'PORT', 6, REFUSED('::1')],
        ['error', 'ECONNREFUSED'],
        ['close', true],
      ],
      attempted: undefined,
    },
    afterTrue: true,
    set5: undefined,
    after5: 10,
    after1000: 1000,
    badFamily: { thrown: typeErr('The "value" argument must be of type boolean. Received type string (\'yes\')') },
    badTimeoutType: { thrown: typeErr('The "value" argument must be of type number. Received type string (\'100\')') },
    badTimeoutZero: {
      thrown: {
        ctor: 'RangeError', isError: true, name: 'RangeError',
        message: 'The value of "value" is out of range. It must be >= 1 && <= 2147483647. Received 0',
        code: 'ERR_OUT_OF_RANGE', errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
      },
    },
    afterBad: [true, 1000],
    restored: [true, 250],
  });
});

test("'lookup' event: (null, address, family, host) for 'localhost'; none for IP literals", T, async () => {
  // The expected addresses come from dns.lookup itself (the system resolver), in its order.
  const sys = await dns.promises.lookup('localhost', { all: true, hints: dns.ADDRCONFIG });
  const results = await P.runBoth(async (mod, label, scope) => {
    const port = await v4Server(mod, scope);
    const out = {};
    {
      const { ev } = await connectAndClose(mod, scope, { port, host: 'localhost', autoSelectFamilyAttemptTimeout: 5000 }, port);
      out.localhost = { lookups: ev.filter((e) => e[0] === 'lookup'), last: ev.slice(-3) };
    }
    for (const host of ['127.0.0.1', '::1']) {
      const { ev } = await connectAndClose(mod, scope, { port, host }, port);
      out[host] = ev.map((e) => (Array.isArray(e) && e[0] === 'error' ? ['error', e[1].code] : e));
    }
    return out;
  });
  P.assertParity(results, {
    localhost: {
      lookups: sys.map((a) => ['lookup', null, a.address, a.family, 'localhost']),
      last: [['connect', '127.0.0.1', 'PORT', 'IPv4'], 'ready', ['close', false]],
    },
    '127.0.0.1': [['attempt', '127.0.0.1', 'PORT', 4], ['connect', '127.0.0.1', 'PORT', 'IPv4'], 'ready', ['close', false]],
    '::1': [
      ['attempt', '::1', 'PORT', 6],
      ['attemptFailed', '::1', 'PORT', 6, REFUSED('::1')],
      ['error', 'ECONNREFUSED'],
      ['close', true],
    ],
  });
});

test("custom lookup error: 'lookup' event carries it, then 'error' and close(true)", T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const out = {};
    for (const autoSelectFamily of [true, false]) {
      const lookup = (host, opts, cb) => {
        const e = new Error(`getaddrinfo ENOTFOUND ${host}`);
        e.code = 'ENOTFOUND';
        e.syscall = 'getaddrinfo';
        e.hostname = host;
        cb(e);
      };
      const { ev } = await connectAndClose(mod, scope, { port: 9, host: 'nx.test', lookup, autoSelectFamily }, 9);
      out[`autoSelectFamily:${autoSelectFamily}`] = ev;
    }
    return out;
  });
  const e = {
    ctor: 'Error', isError: true, name: 'Error', message: 'getaddrinfo ENOTFOUND nx.test', code: 'ENOTFOUND',
    errno: undefined, syscall: 'getaddrinfo', address: undefined, port: undefined,
    keys: ['code', 'hostname', 'syscall'], hostname: 'nx.test',
  };
  const expected = [['lookup', e, undefined, undefined, 'nx.test'], ['error', e], ['close', true]];
  P.assertParity(results, { 'autoSelectFamily:true': expected, 'autoSelectFamily:false': expected });
});

test('lookup returning an invalid IP: ERR_INVALID_IP_ADDRESS (with and without autoSelectFamily)', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const out = {};
    for (const autoSelectFamily of [true, false]) {
      const lookup = (host, opts, cb) => (opts.all ? cb(null, [{ address: 'not-an-ip', family: 4 }]) : cb(null, 'not-an-ip', 4));
      const { ev } = await connectAndClose(mod, scope, { port: 9, host: 'bad.test', lookup, autoSelectFamily }, 9);
      out[`autoSelectFamily:${autoSelectFamily}`] = ev;
    }
    return out;
  });
  const expected = [
    ['lookup', null, 'not-an-ip', 4, 'bad.test'],
    ['error', {
      ctor: 'TypeError', isError: true, name: 'TypeError', message: 'Invalid IP address: not-an-ip',
      code: 'ERR_INVALID_IP_ADDRESS', errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
    }],
    ['close', true],
  ];
  P.assertParity(results, { 'autoSelectFamily:true': expected, 'autoSelectFamily:false': expected });
});

test('addresses are interleaved by family (v6,v4,v6,v4), duplicates dropped; localAddress disables autoSelectFamily', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const port = await v4Server(mod, scope);
    const out = {};
    const brief = (ev) => ev.filter((e) => e[0] !== 'lookup').map((e) => (e[0] === 'attemptFailed' ? e.slice(0, 4).concat(e[4].code) : e));
    for (const [key, list] of [
      // '::ffff:127.0.0.2' is an IPv6 (v4-mapped) address that is refused on loopback
      ['interleaved', [
        { address: '::1', family: 6 }, { address: '::ffff:127.0.0.2', family: 6 },
        { address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 },
      ]],
      ['duplicates', [
        { address: '::1', family: 6 }, { address: '::1', family: 6 },
        { address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 },
      ]],
    ]) {
      const { s, ev } = await connectAndClose(
        mod, scope, { port, host: 'four.test', lookup: fakeLookup(list, []), autoSelectFamilyAttemptTimeout: 5000 }, port,
      );
      out[key] = { ev: brief(ev), attempted: attempted(s, port) };
    }
    {
      const calls = [];
      let local;
      const { s, ev } = await connectAndClose(
        mod, scope, { port, host: 'local.test', localAddress: '127.0.0.1', lookup: fakeLookup([{ address: '127.0.0.1', family: 4 }], calls) }, port,
        { onConnect: (x) => { local = x.localAddress; x.resume(); x.end(); } },
      );
      out.localAddress = { calls, ev, local, attempted: attempted(s, port) };
    }
    return out;
  });
  const tail = [['connect', '127.0.0.1', 'PORT', 'IPv4'], 'ready', ['close', false]];
  P.assertParity(results, {
    interleaved: {
      ev: [
        ['attempt', '::1', 'PORT', 6],
        ['attemptFailed', '::1', 'PORT', 6, 'ECONNREFUSED'],
        ['attempt', '127.0.0.2', 'PORT', 4],
        ['attemptFailed', '127.0.0.2', 'PORT', 4, 'ECONNREFUSED'],
        ['attempt', '::ffff:127.0.0.2', 'PORT', 6],
        ['attemptFailed', '::ffff:127.0.0.2', 'PORT', 6, 'ECONNREFUSED'],
        ['attempt', '127.0.0.1', 'PORT', 4],
        ...tail,
      ],
      attempted: ['::1:PORT', '127.0.0.2:PORT', '::ffff:127.0.0.2:PORT', '127.0.0.1:PORT'],
    },
    duplicates: {
      ev: [
        ['attempt', '::1', 'PORT', 6],
        ['attemptFailed', '::1', 'PORT', 6, 'ECONNREFUSED'],
        ['attempt', '127.0.0.2', 'PORT', 4],
        ['attemptFailed', '127.0.0.2', 'PORT', 4, 'ECONNREFUSED'],
        ['attempt', '127.0.0.1', 'PORT', 4],
        ...tail,
      ],
      attempted: ['::1:PORT', '127.0.0.2:PORT', '127.0.0.1:PORT'],
    },
    localAddress: {
      calls: [{ hostname: 'local.test', options: { family: undefined, hints: dns.ADDRCONFIG } }],
      ev: [['lookup', null, '127.0.0.1', 4, 'local.test'], ['attempt', '127.0.0.1', 'PORT', 4], ...tail],
      local: '127.0.0.1',
      attempted: undefined,
    },
  });
});

'use strict';
// Connect errors: full error shape and event order, rsnet vs built-in net: refused
// connections, Unix paths, the local end (localAddress/localPort) and connect(2)
// failing at once.
// How each scenario runs and is checked: helpers/outcomes.js; the errors it expects:
// helpers/expected-errors.js.
const { test, describe, after } = require('node:test');
const path = require('path');
const fs = require('fs');
const builtin = require('net');
const { runBoth, check } = require('./helpers/outcomes');
const { systemError, ECONNREFUSED } = require('./helpers/expected-errors');
const { within, once, listen, closeServer, freedPort, haveIPv6, stackHead, record, track, closed, tmpDir, exitGuard, reg } = require('./fixtures/util');

exitGuard(after, 'errors-connect.test.js');

const T = { timeout: 20000 };

describe('connect: refused', () => {
  async function refusedScenario(mod, host, how) {
    const port = await freedPort(host);
    const subs = { [port]: 'PORT' };
    const ev = [];
    let s;
    let cbCalled = false;
    if (how === 'connect(port, host)') s = mod.connect(port, host, () => { cbCalled = true; });
    else if (how === 'createConnection(options)') s = mod.createConnection({ port, host }, () => { cbCalled = true; });
    else if (how === 'new Socket().connect(options)') {
      s = new mod.Socket();
      const r = s.connect({ port: String(port), host }, () => { cbCalled = true; });
      ev.push(['connect returns this', r === s]);
    }
    // Listeners attached only after connect() returned: the error must be async.
    ev.push(['sync', { connecting: s.connecting, pending: s.pending, destroyed: s.destroyed, readyState: s.readyState }]);
    record(s, ev, subs);
    await closed(s);
    ev.push(['after', {
      cbCalled,
      connecting: s.connecting,
      destroyed: s.destroyed,
      readyState: s.readyState,
      remoteAddress: s.remoteAddress,
      remotePort: s.remotePort,
    }]);
    return ev;
  }

  function refusedExpected(addr, how) {
    const ev = [];
    if (how === 'new Socket().connect(options)') ev.push(['connect returns this', true]);
    ev.push(['sync', { connecting: true, pending: true, destroyed: false, readyState: 'opening' }]);
    ev.push(['error', ECONNREFUSED(addr)]);
    ev.push(['close', true]);
    ev.push(['after', {
      cbCalled: false, connecting: false, destroyed: true, readyState: 'closed', remoteAddress: undefined, remotePort: undefined,
    }]);
    return ev;
  }

  for (const how of ['connect(port, host)', 'createConnection(options)', 'new Socket().connect(options)']) {
    test(`ECONNREFUSED 127.0.0.1 via ${how}: async 'error' then 'close'(true), full shape`, T, async () => {
      check(await runBoth((mod) => refusedScenario(mod, '127.0.0.1', how)), refusedExpected('127.0.0.1', how));
    });
  }

  test('after ECONNREFUSED + close, connect() again on the SAME socket works (client reconnect pattern)', T, async () => {
    const out = await runBoth(async (mod) => {
      const srv = builtin.createServer((c) => { c.on('error', () => {}); c.end('hi'); });
      const { port: live } = await listen(srv, 0, '127.0.0.1');
      const dead = await freedPort('127.0.0.1');
      const ev = [];
      const s = mod.connect(dead, '127.0.0.1');
      record(s, ev, { [dead]: 'DEAD', [live]: 'LIVE' });
      await closed(s);
      ev.push(['after first close', { destroyed: s.destroyed, readyState: s.readyState }]);
      const second = new Promise((r) => s.once('close', r));
      const r = s.connect(live, '127.0.0.1');
      ev.push(['reconnect', { returnsThis: r === s, connecting: s.connecting, destroyed: s.destroyed }]);
      await within(second, 5000, 'second close');
      ev.push(['after second close', { bytesRead: s.bytesRead, destroyed: s.destroyed }]);
      await closeServer(srv);
      return ev;
    });
    check(out, [
      ['error', { ...ECONNREFUSED('127.0.0.1', 'DEAD') }],
      ['close', true],
      ['after first close', { destroyed: true, readyState: 'closed' }],
      ['reconnect', { returnsThis: true, connecting: true, destroyed: false }],
      'connect', 'ready', 'data', ['end', 'hi'], 'finish',
      ['close', false],
      ['after second close', { bytesRead: 2, destroyed: true }],
    ]);
  });

  test('ECONNREFUSED ::1: IPv6 address in message and fields', { ...T, skip: !haveIPv6() && 'no ::1' }, async () => {
    check(await runBoth((mod) => refusedScenario(mod, '::1', 'connect(port, host)')),
      refusedExpected('::1', 'connect(port, host)'));
  });

  test("ECONNREFUSED via 'localhost': lookup event then error then close(true)", T, async () => {
    const out = await runBoth(async (mod) => {
      const port = await freedPort('127.0.0.1');
      const ev = [];
      const s = mod.connect({ port, host: 'localhost', family: 4 });
      record(s, ev, { [port]: 'PORT' }, ['lookup']);
      await closed(s);
      return ev;
    });
    check(out, [
      ['lookup', null, '127.0.0.1', 4, 'localhost'],
      ['error', ECONNREFUSED('127.0.0.1')],
      ['close', true],
    ]);
  });

  test('ECONNREFUSED: connectionAttempt / connectionAttemptFailed events (v20.20.2 emits them)', T, async () => {
    const out = await runBoth(async (mod) => {
      const port = await freedPort('127.0.0.1');
      const ev = [];
      const s = mod.connect(port, '127.0.0.1');
      record(s, ev, { [port]: 'PORT' }, ['connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout']);
      await closed(s);
      return ev;
    });
    check(out, [
      ['connectionAttempt', '127.0.0.1', 'PORT', 4],
      ['connectionAttemptFailed', '127.0.0.1', 'PORT', 4, ECONNREFUSED('127.0.0.1')],
      ['error', ECONNREFUSED('127.0.0.1')],
      ['close', true],
    ]);
  });

  test('ECONNREFUSED with a bound local end: localAddress/localPort fields and "- Local" suffix', T, async () => {
    const out = await runBoth(async (mod) => {
      const port = await freedPort('127.0.0.1');
      const localPort = await freedPort('127.0.0.1');
      const ev = [];
      const s = mod.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1', localPort });
      record(s, ev, { [port]: 'PORT', [localPort]: 'LPORT' });
      await closed(s);
      return ev;
    });
    check(out, [
      ['error', {
        ...ECONNREFUSED('127.0.0.1'),
        message: 'connect ECONNREFUSED 127.0.0.1:PORT - Local (127.0.0.1:LPORT)',
        keys: ['address', 'code', 'errno', 'localAddress', 'localPort', 'port', 'syscall'],
        localAddress: '127.0.0.1',
        localPort: 'LPORT',
      }],
      ['close', true],
    ]);
  });

  test('stack first line of a connect error matches net ("Error: connect ECONNREFUSED ...")', T, async () => {
    const out = await runBoth(async (mod) => {
      const port = await freedPort('127.0.0.1');
      const s = track(mod.connect(port, '127.0.0.1'));
      const [e] = await once(s, 'error');
      await closed(s);
      return { head: stackHead(e, { [port]: 'PORT' }), str: String(e).split(String(port)).join('PORT') };
    });
    check(out, { head: 'Error: connect ECONNREFUSED 127.0.0.1:PORT', str: 'Error: connect ECONNREFUSED 127.0.0.1:PORT' });
  });
});

describe('connect: Unix socket paths', () => {
  test('connect to a missing Unix socket path: ENOENT, address = path, no port', T, async () => {
    const dir = tmpDir();
    try {
      const out = await runBoth(async (mod) => {
        const p = path.join(dir, 'missing.sock');
        const ev = [];
        const s = mod.connect(p);
        record(s, ev, { [dir]: 'DIR' });
        await closed(s);
        return ev;
      });
      check(out, [
        ['error', systemError('ENOENT', 'connect', 'connect ENOENT DIR/missing.sock', { address: 'DIR/missing.sock' })],
        ['close', true],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('connect to a path that is a regular file: ECONNREFUSED with the path', T, async () => {
    const dir = tmpDir();
    try {
      const file = path.join(dir, 'regular');
      fs.writeFileSync(file, 'x');
      const out = await runBoth(async (mod) => {
        const ev = [];
        const s = mod.connect({ path: file });
        record(s, ev, { [dir]: 'DIR' });
        await closed(s);
        return ev;
      });
      check(out, [
        ['error', systemError('ECONNREFUSED', 'connect', 'connect ECONNREFUSED DIR/regular', { address: 'DIR/regular' })],
        ['close', true],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // A socket keeps its handle across connect() calls; a pipe handle's connect takes the
  // address it is given for a path, so a TCP connect on it fails as a missing path does.
  test('connect(port, host) on a socket connected to a pipe: connect ENOENT, as a path', T, async () => {
    const dir = tmpDir();
    try {
      const out = await runBoth(async (mod, label) => {
        const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
        await listen(peer, path.join(dir, `${label}.sock`));
        const port = await freedPort('127.0.0.1');
        const s = track(mod.connect(path.join(dir, `${label}.sock`)));
        await once(s, 'connect');
        const ev = [];
        record(s, ev, { [port]: 'PORT' }, ['connectionAttempt', 'connectionAttemptFailed']);
        s.connect(port, '127.0.0.1');
        await closed(s);
        await closeServer(peer);
        return ev;
      });
      const enoent = systemError('ENOENT', 'connect', 'connect ENOENT 127.0.0.1:PORT', { address: '127.0.0.1', port: 'PORT' });
      check(out, [
        ['connectionAttempt', '127.0.0.1', 'PORT', 4],
        ['connectionAttemptFailed', '127.0.0.1', 'PORT', 4, enoent],
        ['error', enoent],
        ['close', true],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('connect: the local end and connect(2)', () => {
  test('connect with a non-local localAddress: bind EADDRNOTAVAIL then close(true)', T, async () => {
    const out = await runBoth(async (mod) => {
      const port = await freedPort('127.0.0.1');
      const ev = [];
      const s = mod.connect({ port, host: '127.0.0.1', localAddress: '192.0.2.1' });
      record(s, ev, { [port]: 'PORT' });
      await closed(s);
      return ev;
    });
    check(out, [
      ['error', systemError('EADDRNOTAVAIL', 'bind', 'bind EADDRNOTAVAIL 192.0.2.1', { address: '192.0.2.1' })],
      ['close', true],
    ]);
  });

  // Failures the kernel reports from connect(2) itself reach JS from connect(), as in
  // Node: 'connectionAttempt', then the error with the local end ('- Local (...)'),
  // with no 'connectionAttemptFailed' (that one is for asynchronous failures).
  test("connect(2) failing at once (fe80::1 without a scope id): connect EINVAL with '- Local (:::0)'", { ...T, skip: !haveIPv6() && 'no IPv6' }, async () => {
    const out = await runBoth(async (mod) => {
      const ev = [];
      const s = mod.connect(9, 'fe80::1');
      record(s, ev, {}, ['connectionAttempt', 'connectionAttemptFailed']);
      await closed(s);
      return ev;
    });
    check(out, [
      ['connectionAttempt', 'fe80::1', 9, 6],
      ['error', systemError('EINVAL', 'connect', 'connect EINVAL fe80::1:9 - Local (:::0)', { address: 'fe80::1', port: 9 })],
      ['close', true],
    ]);
  });

  // Node binds with bind() or bind6() by the family of the address it connects to;
  // a localAddress of the other family fails the bind with EINVAL, before any attempt.
  for (const [host, localAddress] of [['127.0.0.1', '::1'], ['::1', '127.0.0.1']]) {
    test(`localAddress ${localAddress} to connect to ${host}: bind EINVAL, no connection attempt`, { ...T, skip: !haveIPv6() && 'no ::1' }, async () => {
      const out = await runBoth(async (mod) => {
        const port = await freedPort(host);
        const ev = [];
        const s = mod.connect({ port, host, localAddress });
        record(s, ev, { [port]: 'PORT' }, ['connectionAttempt', 'connectionAttemptFailed']);
        await closed(s);
        return ev;
      });
      check(out, [
        ['error', systemError('EINVAL', 'bind', `bind EINVAL ${localAddress}`, { address: localAddress })],
        ['close', true],
      ]);
    });
  }

  test('connect() again while the first connect is in progress: connect EALREADY with the local end', T, async () => {
    const out = await runBoth(async (mod) => {
      const srv = reg(builtin.createServer((c) => { c.on('error', () => {}); c.resume(); }));
      const { port } = await listen(srv, 0, '127.0.0.1');
      const ev = [];
      const s = mod.connect(port, '127.0.0.1');
      const subs = { [port]: 'PORT' };
      record(s, ev, subs, ['connectionAttempt']);
      s.connect(port, '127.0.0.1');
      await closed(s);
      // The local port is a random one: keep only the shape of the suffix.
      return ev.map((e) => (e[0] === 'error' ? ['error', { ...e[1], message: e[1].message.replace(/:\d+\)$/, ':LOCALPORT)') }] : e));
    });
    check(out, [
      ['connectionAttempt', '127.0.0.1', 'PORT', 4],
      ['connectionAttempt', '127.0.0.1', 'PORT', 4],
      ['error', systemError('EALREADY', 'connect', 'connect EALREADY 127.0.0.1:PORT - Local (127.0.0.1:LOCALPORT)', { address: '127.0.0.1', port: 'PORT' })],
      ['close', true],
    ]);
  });

  // Node's bind takes the local port as a 32-bit integer and libuv cuts it to 16 bits:
  // localPort -1 binds port 65535 (outside Linux's ephemeral range), and the connect
  // is tried and refused like any other, the local end named as it was given.
  test('localPort -1: bound as port 65535, connect tried and refused, "- Local (0.0.0.0:-1)"', T, async () => {
    const out = await runBoth(async (mod) => {
      const ev = [];
      const s = mod.connect({ port: 0, localPort: -1, host: '127.0.0.1' });
      record(s, ev, {}, ['connectionAttempt', 'connectionAttemptFailed']);
      await closed(s);
      return ev;
    });
    const refused = systemError('ECONNREFUSED', 'connect', 'connect ECONNREFUSED 127.0.0.1 - Local (0.0.0.0:-1)', { address: '127.0.0.1', localAddress: '0.0.0.0', localPort: -1 });
    check(out, [
      ['connectionAttempt', '127.0.0.1', 0, 4],
      ['connectionAttemptFailed', '127.0.0.1', 0, 4, refused],
      ['error', refused],
      ['close', true],
    ]);
  });

  // A scoped IPv6 address: libuv resolves the zone to an interface index (if_nametoindex,
  // 0 when there is no such interface). fe80::1 on 'lo' is unreachable; without a known
  // interface the link-local address has no scope and connect(2) says EINVAL.
  for (const [zone, code, errno] of [['lo', 'ENETUNREACH', -101], ['nonexistent0', 'EINVAL', -22]]) {
    test(`connect to fe80::1%${zone}: connect ${code} from connect(2), as Node`, { ...T, skip: !haveIPv6() && 'no IPv6' }, async () => {
      const out = await runBoth(async (mod) => {
        const ev = [];
        const s = mod.connect(9, `fe80::1%${zone}`);
        record(s, ev, {}, ['connectionAttempt', 'connectionAttemptFailed']);
        await closed(s);
        return ev;
      });
      check(out, [
        ['connectionAttempt', `fe80::1%${zone}`, 9, 6],
        ['error', systemError(code, 'connect', `connect ${code} fe80::1%${zone}:9 - Local (:::0)`, { errno, address: `fe80::1%${zone}`, port: 9 })],
        ['close', true],
      ]);
    });
  }

  // As Node's checkBindError: the port asked for must be the one bound. Infinity and
  // 65536 reach the kernel as port 0 (a random port), so the bind is refused.
  for (const localPort of [Infinity, 65536]) {
    test(`localPort ${localPort}: bound to another port than asked, so bind EADDRINUSE, no connection attempt`, T, async () => {
      const out = await runBoth(async (mod) => {
        const ev = [];
        const s = mod.connect({ port: 0, localPort, host: '127.0.0.1' });
        record(s, ev, {}, ['connectionAttempt', 'connectionAttemptFailed']);
        await closed(s);
        return ev;
      });
      check(out, [
        ['error', systemError('EADDRINUSE', 'bind', `bind EADDRINUSE 0.0.0.0:${localPort}`, { address: '0.0.0.0', port: localPort })],
        ['close', true],
      ]);
    });
  }
});

'use strict';
// Asynchronous errors: full error shape and event order, rsnet vs built-in net.
// Every scenario runs once per implementation (built-in first: it is the
// oracle), on real loopback sockets, and is checked twice:
//   1. built-in net produced exactly what this file expects (so nothing passes
//      vacuously and a wrong expectation is caught as a test bug), and
//   2. rsnet produced exactly what built-in net produced.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const fs = require('fs');
const { spawn, execFile } = require('child_process');
const v8 = require('v8');
const builtin = require('net');
const { inspect, isDeepStrictEqual } = require('util');
const { impls } = require('./fixtures/impls');
const {
  within, once, listen, closeServer, freedPort, haveIPv6, shape, stackHead, record, track, closed, roundTrip, tmpDir, exitGuard, reg, cleanupAll,
} = require('./fixtures/util');

exitGuard(after, 'errors.test.js');

const IMPLS = impls();
const T = { timeout: 20000 };

// Runs `scenario(mod, label)` for each implementation, sequentially.
async function runBoth(scenario) {
  const out = {};
  for (const [label, mod] of IMPLS) {
    try {
      out[label] = await scenario(mod, label);
    } catch (e) {
      out[label] = { scenarioFailed: String(e && e.stack || e) };
    } finally {
      cleanupAll();
    }
  }
  return out;
}

const show = (v) => inspect(v, { depth: Infinity, breakLength: 120 });

function check(out, expected) {
  if (!isDeepStrictEqual(out.net, expected)) {
    assert.fail(`TEST BUG: built-in net did not behave as this test expects\nnet:      ${show(out.net)}\nexpected: ${show(expected)}`);
  }
  if (!isDeepStrictEqual(out.rsnet, out.net)) {
    assert.fail(`rsnet differs from built-in net\nnet:   ${show(out.net)}\nrsnet: ${show(out.rsnet)}`);
  }
}

const ECONNREFUSED = (addr, port = 'PORT') => ({
  ctor: 'Error',
  isError: true,
  name: 'Error',
  message: `connect ECONNREFUSED ${addr}:${port}`,
  code: 'ECONNREFUSED',
  errno: -111,
  syscall: 'connect',
  address: addr,
  port,
  keys: ['address', 'code', 'errno', 'port', 'syscall'],
});

// ---------------------------------------------------------------------------
// connect ECONNREFUSED

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
      ['error', {
        ctor: 'Error',
        isError: true,
        name: 'Error',
        message: 'connect ENOENT DIR/missing.sock',
        code: 'ENOENT',
        errno: -2,
        syscall: 'connect',
        address: 'DIR/missing.sock',
        port: undefined,
        keys: ['address', 'code', 'errno', 'syscall'],
      }],
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
      ['error', {
        ctor: 'Error',
        isError: true,
        name: 'Error',
        message: 'connect ECONNREFUSED DIR/regular',
        code: 'ECONNREFUSED',
        errno: -111,
        syscall: 'connect',
        address: 'DIR/regular',
        port: undefined,
        keys: ['address', 'code', 'errno', 'syscall'],
      }],
      ['close', true],
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

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
    ['error', {
      ctor: 'Error',
      isError: true,
      name: 'Error',
      message: 'bind EADDRNOTAVAIL 192.0.2.1',
      code: 'EADDRNOTAVAIL',
      errno: -99,
      syscall: 'bind',
      address: '192.0.2.1',
      port: undefined,
      keys: ['address', 'code', 'errno', 'syscall'],
    }],
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
    ['error', {
      ctor: 'Error',
      isError: true,
      name: 'Error',
      message: 'connect EINVAL fe80::1:9 - Local (:::0)',
      code: 'EINVAL',
      errno: -22,
      syscall: 'connect',
      address: 'fe80::1',
      port: 9,
      keys: ['address', 'code', 'errno', 'port', 'syscall'],
    }],
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
      ['error', {
        ctor: 'Error',
        isError: true,
        name: 'Error',
        message: `bind EINVAL ${localAddress}`,
        code: 'EINVAL',
        errno: -22,
        syscall: 'bind',
        address: localAddress,
        port: undefined,
        keys: ['address', 'code', 'errno', 'syscall'],
      }],
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
    ['error', {
      ctor: 'Error',
      isError: true,
      name: 'Error',
      message: 'connect EALREADY 127.0.0.1:PORT - Local (127.0.0.1:LOCALPORT)',
      code: 'EALREADY',
      errno: -114,
      syscall: 'connect',
      address: '127.0.0.1',
      port: 'PORT',
      keys: ['address', 'code', 'errno', 'port', 'syscall'],
    }],
    ['close', true],
  ]);
});

// `node fixture ...args` under a limit of 64 fds (set by the shell, then exec'd).
function spawnWithFewFds(fixture, args, stdin) {
  const script = `ulimit -n 64 && exec ${['"$0"', ...[fixture, ...args].map((_, k) => `"$${k + 1}"`)].join(' ')}`;
  return spawn('/bin/sh', ['-c', script, process.execPath, fixture, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
}

// Out of fds, libuv's accept closes the connections it cannot take (keeping a spare
// fd for that) instead of failing on every turn: the server emits no 'error', its
// clients see their connections closed, and the process goes on.
test('accept with no fd left: pending connections are closed, no server error', { timeout: 60_000 }, async () => {
  const CLIENTS = 20;
  async function flood(impl) {
    const fixture = path.join(__dirname, 'fixtures', 'emfile-server.js');
    const child = spawnWithFewFds(fixture, [impl], 'pipe');
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const lines = () => out.split('\n').filter(Boolean);
    const count = (prefix) => lines().filter((l) => l.startsWith(prefix)).length;
    const port = await within(new Promise((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /port (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
    }), 20_000, 'the child server listening');
    const clients = [];
    let closedByServer = 0;
    const allAccounted = new Promise((resolve) => {
      const check = () => { if (count('accepted') + closedByServer === CLIENTS) resolve(); };
      child.stdout.on('data', check);
      for (let i = 0; i < CLIENTS; i++) {
        const c = builtin.connect(port, '127.0.0.1');
        c.on('error', () => {});
        c.on('close', () => { closedByServer++; check(); });
        c.resume();
        clients.push(c);
      }
    });
    try {
      await within(allAccounted, 20_000, 'every client accepted or closed by the server');
    } finally {
      child.stdin.end('exit\n');
      for (const c of clients) c.destroy();
    }
    return {
      exitCode: await within(exited, 20_000, 'child exit'),
      stderr,
      errors: lines().filter((l) => l.startsWith('error')),
      someAccepted: count('accepted') > 0,
      someClosed: closedByServer > 0,
    };
  }
  const out = { net: await flood('net'), rsnet: await flood('rsnet') };
  check(out, { exitCode: 0, stderr: '', errors: [], someAccepted: true, someClosed: true });
});

// Out of fds before the first socket: socket(2) fails and both modules report
// EMFILE from listen and connect. With a couple of fds left, Node listens; rsnet's
// runtime, started on first use, needs fds of its own: it must then report an
// error like any failed listen, never throw.
test('out of fds before the first socket: listen and connect report EMFILE as errors, never throw', { timeout: 60_000 }, async () => {
  function starve(impl, free) {
    const fixture = path.join(__dirname, 'fixtures', 'fd-starved.js');
    return new Promise((resolve) => {
      const child = spawnWithFewFds(fixture, [impl, String(free)], 'ignore');
      let out = '';
      let stderr = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr, seen: out ? JSON.parse(out) : null });
      });
    });
  }
  const none = { net: await starve('net', 0), rsnet: await starve('rsnet', 0) };
  check(none, {
    code: 0,
    stderr: '',
    seen: [
      ['listen error', 'EMFILE', 'listen', 'listen EMFILE: too many open files 127.0.0.1'],
      ['connect error', 'EMFILE', 'connect', 'connect EMFILE 127.0.0.1:1 - Local (undefined:undefined)'],
    ],
  });
  const two = await starve('rsnet', 2);
  assert.equal(two.code, 0, two.stderr);
  assert.ok(two.seen[0] === 'listening' || two.seen[0][0] === 'listen error', JSON.stringify(two.seen));
});

// ---------------------------------------------------------------------------
// listen errors

const EADDRINUSE = (addr, port = 'PORT') => ({
  ctor: 'Error',
  isError: true,
  name: 'Error',
  message: `listen EADDRINUSE: address already in use ${addr}:${port}`,
  code: 'EADDRINUSE',
  errno: -98,
  syscall: 'listen',
  address: addr,
  port,
  keys: ['address', 'code', 'errno', 'port', 'syscall'],
});

async function inUseScenario(mod, occupier, host) {
  const a = occupier.createServer();
  const { port } = await (host ? listen(a, 0, host) : listen(a, 0));
  const subs = { [port]: 'PORT' };
  const ev = [];
  const b = reg(mod.createServer());
  b.on('listening', () => ev.push('listening'));
  b.on('close', () => ev.push('close'));
  b.on('error', (e) => ev.push(['error', shape(e, subs)]));
  const ret = host ? b.listen(port, host) : b.listen(port);
  ev.push(['sync', { returnsThis: ret === b, listening: b.listening }]);
  await once(b, 'error', 5000);
  // Barrier: a full round trip through the same implementation; a 'close' or
  // 'listening' emitted after 'error' would have been delivered by now.
  await roundTrip(mod);
  ev.push(['after', { listening: b.listening, address: b.address() }]);
  await closeServer(a);
  return ev;
}

const wildcard = () => (haveIPv6() ? '::' : '0.0.0.0');

test('listen EADDRINUSE without host (:::PORT); no listening, no close after error', T, async () => {
  check(await runBoth((mod) => inUseScenario(mod, mod)), [
    ['sync', { returnsThis: true, listening: false }],
    ['error', EADDRINUSE(wildcard())],
    ['after', { listening: false, address: null }],
  ]);
});

test("listen EADDRINUSE with host '127.0.0.1'", T, async () => {
  check(await runBoth((mod) => inUseScenario(mod, mod, '127.0.0.1')), [
    ['sync', { returnsThis: true, listening: false }],
    ['error', EADDRINUSE('127.0.0.1')],
    ['after', { listening: false, address: null }],
  ]);
});

test('listen EADDRINUSE when the port is held by a built-in net server', T, async () => {
  check(await runBoth((mod) => inUseScenario(mod, builtin)), [
    ['sync', { returnsThis: true, listening: false }],
    ['error', EADDRINUSE(wildcard())],
    ['after', { listening: false, address: null }],
  ]);
});

test('listen on 127.0.0.1 EADDRINUSE when the port is held on the wildcard address', T, async () => {
  const out = await runBoth(async (mod) => {
    const a = mod.createServer();
    const { port } = await listen(a, 0);
    const b = reg(mod.createServer());
    b.listen(port, '127.0.0.1');
    const [e] = await once(b, 'error');
    await closeServer(a);
    return shape(e, { [port]: 'PORT' });
  });
  check(out, EADDRINUSE('127.0.0.1'));
});

test('after EADDRINUSE: close(cb) gets ERR_SERVER_NOT_RUNNING and the same server can listen again', T, async () => {
  const out = await runBoth(async (mod) => {
    const a = mod.createServer();
    const { port } = await listen(a, 0, '127.0.0.1');
    const b = mod.createServer();
    const ev = [];
    b.listen(port, '127.0.0.1');
    const [e] = await once(b, 'error');
    ev.push(['error', e.code]);
    const [ce] = await within(new Promise((r) => b.close((...args) => r(args))), 5000, 'close cb');
    ev.push(['close cb', shape(ce)]);
    const addr = await listen(b, 0, '127.0.0.1');
    ev.push(['relisten', { listening: b.listening, family: addr.family, address: addr.address, portNonZero: addr.port > 0 }]);
    await closeServer(b);
    await closeServer(a);
    return ev;
  });
  check(out, [
    ['error', 'EADDRINUSE'],
    ['close cb', {
      ctor: 'Error', isError: true, name: 'Error', message: 'Server is not running.', code: 'ERR_SERVER_NOT_RUNNING',
      errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
    }],
    ['relisten', { listening: true, family: 'IPv4', address: '127.0.0.1', portNonZero: true }],
  ]);
});

test('listen on a non-local address: EADDRNOTAVAIL with uv description', T, async () => {
  const out = await runBoth(async (mod) => {
    const s = reg(mod.createServer());
    const ev = [];
    s.on('close', () => ev.push('close'));
    s.on('listening', () => ev.push('listening'));
    s.on('error', (e) => ev.push(['error', shape(e)]));
    s.listen(0, '192.0.2.1');
    await once(s, 'error');
    await roundTrip(mod);
    return ev;
  });
  check(out, [
    ['error', {
      ctor: 'Error',
      isError: true,
      name: 'Error',
      message: 'listen EADDRNOTAVAIL: address not available 192.0.2.1',
      code: 'EADDRNOTAVAIL',
      errno: -99,
      syscall: 'listen',
      address: '192.0.2.1',
      port: undefined,
      keys: ['address', 'code', 'errno', 'syscall'],
    }],
  ]);
});

test('listen on a Unix path held by a live server: EADDRINUSE with the path', T, async () => {
  const dir = tmpDir();
  try {
    const out = await runBoth(async (mod, label) => {
      const p = path.join(dir, `${label}.sock`);
      const a = mod.createServer();
      await listen(a, p);
      const b = reg(mod.createServer());
      const ev = [];
      b.on('close', () => ev.push('close'));
      b.on('error', (e) => ev.push(['error', shape(e, { [p]: 'PATH' })]));
      b.listen(p);
      await once(b, 'error');
      await roundTrip(mod);
      await closeServer(a);
      ev.push(['socket file removed by close()', !fs.existsSync(p)]);
      return ev;
    });
    check(out, [
      ['error', {
        ctor: 'Error',
        isError: true,
        name: 'Error',
        message: 'listen EADDRINUSE: address already in use PATH',
        code: 'EADDRINUSE',
        errno: -98,
        syscall: 'listen',
        address: 'PATH',
        port: -1,
        keys: ['address', 'code', 'errno', 'port', 'syscall'],
      }],
      ['socket file removed by close()', true],
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------
// Server ERR_* codes

const NOT_RUNNING = {
  ctor: 'Error', isError: true, name: 'Error', message: 'Server is not running.', code: 'ERR_SERVER_NOT_RUNNING',
  errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
};
const ALREADY_LISTEN = {
  ctor: 'Error', isError: true, name: 'Error', message: 'Listen method has been called more than once without closing.',
  code: 'ERR_SERVER_ALREADY_LISTEN', errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
};

test('server.close(cb) on a never-listening server: close event, then cb(ERR_SERVER_NOT_RUNNING), async', T, async () => {
  const out = await runBoth(async (mod) => {
    const s = mod.createServer();
    const ev = [];
    s.on('close', () => ev.push('close event'));
    const p = within(new Promise((r) => {
      const ret = s.close((e) => { ev.push(['cb', shape(e)]); r(); });
      ev.push(['returns this', ret === s]);
    }), 5000, 'close cb');
    ev.push('sync');
    await p;
    return ev;
  });
  check(out, [['returns this', true], 'sync', 'close event', ['cb', NOT_RUNNING]]);
});

test('server.close(cb) twice on a listening server: first cb ok, second gets ERR_SERVER_NOT_RUNNING', T, async () => {
  const out = await runBoth(async (mod) => {
    const s = mod.createServer();
    await listen(s, 0, '127.0.0.1');
    const ev = [];
    const p1 = within(new Promise((r) => s.close((e) => { ev.push(['cb1', shape(e)]); r(); })), 5000, 'cb1');
    const p2 = within(new Promise((r) => s.close((e) => { ev.push(['cb2', shape(e)]); r(); })), 5000, 'cb2');
    ev.push(['sync', s.listening]);
    await Promise.all([p1, p2]);
    return ev;
  });
  check(out, [['sync', false], ['cb1', undefined], ['cb2', NOT_RUNNING]]);
});

test('listen() twice: ERR_SERVER_ALREADY_LISTEN thrown synchronously, right away and after listening', T, async () => {
  const out = await runBoth(async (mod) => {
    const s = reg(mod.createServer());
    const ev = [];
    s.on('error', (e) => ev.push(['error event', shape(e)]));
    const listening = once(s, 'listening');
    s.listen(0); // no host: Node binds synchronously, so the handle exists at once
    try { s.listen(0); ev.push('second listen did not throw'); } catch (e) { ev.push(['throw immediately', shape(e)]); }
    await listening;
    ev.push(['listening', s.listening]);
    try { s.listen(0, '127.0.0.1'); ev.push('third listen did not throw'); } catch (e) { ev.push(['throw after listening', shape(e)]); }
    try { s.listen({ port: 0 }); ev.push('fourth listen did not throw'); } catch (e) { ev.push(['throw after listening (options)', shape(e)]); }
    await roundTrip(mod);
    ev.push(['still listening', s.listening]);
    await closeServer(s);
    return ev;
  });
  check(out, [
    ['throw immediately', ALREADY_LISTEN],
    ['listening', true],
    ['throw after listening', ALREADY_LISTEN],
    ['throw after listening (options)', ALREADY_LISTEN],
    ['still listening', true],
  ]);
});

test("listen(0, '127.0.0.1') twice before the host lookup completed: no throw, one 'listening', no error", T, async () => {
  const out = await runBoth(async (mod) => {
    const s = reg(mod.createServer());
    const ev = [];
    s.on('error', (e) => ev.push(['error event', shape(e)]));
    s.on('listening', () => ev.push(['listening', s.address().address]));
    s.listen(0, '127.0.0.1');
    try { s.listen(0, '127.0.0.1'); ev.push('no throw'); } catch (e) { ev.push(['throw', shape(e)]); }
    await once(s, 'listening');
    await roundTrip(mod);
    await closeServer(s);
    return ev;
  });
  check(out, ['no throw', ['listening', '127.0.0.1']]);
});

// ---------------------------------------------------------------------------
// I/O errors

const ECONNRESET = {
  ctor: 'Error', isError: true, name: 'Error', message: 'read ECONNRESET', code: 'ECONNRESET', errno: -104,
  syscall: 'read', address: undefined, port: undefined, keys: ['code', 'errno', 'syscall'],
};

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
    { message: 'read ECONNRESET', code: 'ECONNRESET', errno: -104, syscall: 'read' },
    { message: 'write ECONNRESET', code: 'ECONNRESET', errno: -104, syscall: 'write' },
    { message: 'write EPIPE', code: 'EPIPE', errno: -32, syscall: 'write' },
  ].map((x) => ({
    ctor: 'Error', isError: true, name: 'Error', ...x, address: undefined, port: undefined, keys: ['code', 'errno', 'syscall'],
  }));
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
  const EPIPE = {
    ctor: 'Error', isError: true, name: 'Error', message: 'This socket has been ended by the other party', code: 'EPIPE',
    errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
  };
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

const WRITE_AFTER_END = {
  ctor: 'Error', isError: true, name: 'Error', message: 'write after end', code: 'ERR_STREAM_WRITE_AFTER_END',
  errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
};

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
  const CLOSED = {
    ctor: 'Error', isError: true, name: 'Error', message: 'Socket is closed', code: 'ERR_SOCKET_CLOSED',
    errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
  };
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
    ['write cb', {
      ctor: 'Error', isError: true, name: 'Error', message: 'Cannot call write after a stream was destroyed',
      code: 'ERR_STREAM_DESTROYED', errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
    }],
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
    ['write cb', {
      ctor: 'Error', isError: true, name: 'Error', message: 'Socket closed before the connection was established',
      code: 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION', errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
    }],
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
  const BEFORE = {
    ctor: 'Error', isError: true, name: 'Error', message: 'Socket closed before the connection was established',
    code: 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION', errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
  };
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

test('stack first line of Node ERR_* errors (e.g. "Error [ERR_SERVER_NOT_RUNNING]: ...") matches net', T, async () => {
  const out = await runBoth(async (mod) => {
    const res = {};
    const s = mod.createServer();
    res.notRunning = await within(new Promise((r) => s.close((e) => r(stackHead(e)))), 5000, 'close cb');
    const w = track(new mod.Socket());
    w.on('error', () => {});
    res.socketClosed = await within(new Promise((r) => w.write('a', (e) => r(stackHead(e)))), 5000, 'write cb');
    await closed(w);
    const l = reg(mod.createServer());
    l.listen(0);
    try { l.listen(0); } catch (e) { res.alreadyListen = stackHead(e); }
    await once(l, 'listening');
    await closeServer(l);
    return res;
  });
  check(out, {
    notRunning: 'Error [ERR_SERVER_NOT_RUNNING]: Server is not running.',
    socketClosed: 'Error [ERR_SOCKET_CLOSED]: Socket is closed',
    alreadyListen: 'Error [ERR_SERVER_ALREADY_LISTEN]: Listen method has been called more than once without closing.',
  });
});

// ---------------------------------------------------------------------------
// DNS failures and custom lookup

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
  const dnsErr = {
    ctor: 'Error',
    isError: true,
    name: 'Error',
    message: `getaddrinfo ${e.code} ${BAD_HOST}`,
    code: e.code,
    errno: e.code === 'ENOTFOUND' ? -3008 : -3001,
    syscall: 'getaddrinfo',
    address: undefined,
    port: undefined,
    keys: ['code', 'errno', 'hostname', 'syscall'],
    hostname: BAD_HOST,
  };
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
    ['error', {
      ctor: 'TypeError', isError: true, name: 'TypeError', message: 'Invalid IP address: not-an-ip',
      code: 'ERR_INVALID_IP_ADDRESS', errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code'],
    }],
    ['close', true],
  ]);
});

// ---------------------------------------------------------------------------
// AbortSignal (socket `signal` option, listen `signal` option)

const causeOf = (e) => {
  const c = e && e.cause;
  if (c === undefined || c === null || typeof c !== 'object') return c;
  return `${c.constructor && c.constructor.name}:${c.name}`;
};
const ABORT = {
  ctor: 'AbortError', isError: true, name: 'AbortError', message: 'The operation was aborted', code: 'ABORT_ERR',
  errno: undefined, syscall: undefined, address: undefined, port: undefined, keys: ['code', 'name'],
};

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

test("listen({signal}): abort after 'listening' closes the server; a pre-aborted signal never listens", T, async () => {
  const out = await runBoth(async (mod) => {
    const res = {};
    const a = reg(mod.createServer());
    const ev = [];
    const ac = new AbortController();
    a.on('error', (e) => ev.push(['error', shape(e)]));
    a.on('close', () => ev.push('close'));
    const closedA = once(a, 'close');
    a.on('listening', () => { ev.push('listening'); ac.abort(); ev.push(['after abort', a.listening]); });
    a.listen({ port: 0, host: '127.0.0.1', signal: ac.signal });
    await closedA;
    res.later = ev;

    const b = reg(mod.createServer());
    const ev2 = [];
    b.on('error', (e) => ev2.push(['error', shape(e)]));
    b.on('listening', () => ev2.push('listening'));
    b.on('close', () => ev2.push('close'));
    const closedB = once(b, 'close');
    b.listen({ port: 0, host: '127.0.0.1', signal: AbortSignal.abort() });
    ev2.push(['sync', b.listening]);
    await closedB;
    await roundTrip(mod);
    ev2.push(['after', b.listening, b.address()]);
    res.preAborted = ev2;
    return res;
  });
  check(out, {
    later: ['listening', ['after abort', false], 'close'],
    preAborted: [['sync', false], 'close', ['after', false, null]],
  });
});

test("listen({signal}): an earlier abort listener's stopImmediatePropagation() does not keep the server open", T, async () => {
  const out = await runBoth(async (mod) => {
    const ac = new AbortController();
    const ev = [];
    ac.signal.addEventListener('abort', (e) => { ev.push('first listener'); e.stopImmediatePropagation(); });
    const srv = reg(mod.createServer());
    srv.on('close', () => ev.push('close'));
    const closedSrv = once(srv, 'close');
    await listen(srv, { port: 0, host: '127.0.0.1', signal: ac.signal });
    ac.abort();
    ev.push(['after abort', srv.listening]);
    await closedSrv;
    return ev;
  });
  check(out, ['first listener', ['after abort', false], 'close']);
});

// ---------------------------------------------------------------------------
// destroy(err)

function boom() {
  const e = new Error('boom');
  e.code = 'EBOOM';
  return e;
}
function boomErr() { return boom(); }
const BOOM = shape(boom());

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
  const refused = {
    ctor: 'Error',
    isError: true,
    name: 'Error',
    message: 'connect ECONNREFUSED 127.0.0.1 - Local (0.0.0.0:-1)',
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
    address: '127.0.0.1',
    port: undefined,
    keys: ['address', 'code', 'errno', 'localAddress', 'localPort', 'syscall'],
    localAddress: '0.0.0.0',
    localPort: -1,
  };
  check(out, [
    ['connectionAttempt', '127.0.0.1', 0, 4],
    ['connectionAttemptFailed', '127.0.0.1', 0, 4, refused],
    ['error', refused],
    ['close', true],
  ]);
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
    const enoent = {
      ctor: 'Error',
      isError: true,
      name: 'Error',
      message: 'connect ENOENT 127.0.0.1:PORT',
      code: 'ENOENT',
      errno: -2,
      syscall: 'connect',
      address: '127.0.0.1',
      port: 'PORT',
      keys: ['address', 'code', 'errno', 'port', 'syscall'],
    };
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
      ['error', {
        ctor: 'Error',
        isError: true,
        name: 'Error',
        message: 'reset EINVAL',
        code: 'EINVAL',
        errno: -22,
        syscall: 'reset',
        address: undefined,
        port: undefined,
        keys: ['code', 'errno', 'syscall'],
      }],
      'returned',
      'peer end',
    ],
    destroyed: true,
  });
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
      ['error', {
        ctor: 'Error',
        isError: true,
        name: 'Error',
        message: `connect ${code} fe80::1%${zone}:9 - Local (:::0)`,
        code,
        errno,
        syscall: 'connect',
        address: `fe80::1%${zone}`,
        port: 9,
        keys: ['address', 'code', 'errno', 'port', 'syscall'],
      }],
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
      ['error', {
        ctor: 'Error',
        isError: true,
        name: 'Error',
        message: `bind EADDRINUSE 0.0.0.0:${localPort}`,
        code: 'EADDRINUSE',
        errno: -98,
        syscall: 'bind',
        address: '0.0.0.0',
        port: localPort,
        keys: ['address', 'code', 'errno', 'port', 'syscall'],
      }],
      ['close', true],
    ]);
  });
}

// listen(socket) (or { _handle }): Node listens on the socket's own handle, which, being
// a connected stream, refuses: listen EINVAL, address null, port -1, after listen()
// returned. (Node closes that handle too, under the socket; rsnet leaves the socket be,
// and never adopts its fd, which two owners would close twice.)
test('listen(aConnectedSocket) and listen({ _handle }): listen EINVAL (address null, port -1), no listening', T, async () => {
  const out = await runBoth(async (mod) => {
    const peer = reg(mod.createServer((c) => { c.on('error', () => {}); c.resume(); }));
    const { port } = await listen(peer, 0, '127.0.0.1');
    const client = track(mod.connect(port, '127.0.0.1'));
    client.on('error', () => {});
    await once(client, 'connect');
    const ev = [];
    for (const [name, arg] of [['socket', client], ['{ _handle }', { _handle: client._handle }]]) {
      const server = reg(mod.createServer());
      server.on('listening', () => ev.push([name, 'listening']));
      const failed = once(server, 'error');
      server.listen(arg);
      ev.push([name, 'returned', server.listening]);
      const [err] = await failed;
      ev.push([name, 'error', shape(err), server.listening]);
    }
    // Node closed the client's handle already: its 'close' never comes.
    client.destroy();
    return ev;
  });
  const einval = {
    ctor: 'Error',
    isError: true,
    name: 'Error',
    message: 'listen EINVAL: invalid argument',
    code: 'EINVAL',
    errno: -22,
    syscall: 'listen',
    address: null,
    port: -1,
    keys: ['address', 'code', 'errno', 'port', 'syscall'],
  };
  check(out, [
    ['socket', 'returned', false],
    ['socket', 'error', einval, false],
    ['{ _handle }', 'returned', false],
    ['{ _handle }', 'error', einval, false],
  ]);
});

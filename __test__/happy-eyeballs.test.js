'use strict';
// Happy Eyeballs (autoSelectFamily) attempts: refused and timed-out addresses, the
// 'connectionAttempt*' events, and the attempt timeout (custom lookups, family/hints
// options and the module-wide defaults are in happy-eyeballs-lookup.test.js). Built-in
// net is the reference; rsnet must record the same thing.
//
// Determinism notes:
//  - "refused" attempts: nothing listens on [::1]:P while the server listens on
//    127.0.0.1:P. Refusal on loopback is immediate, but the per-attempt timer
//    (default 250 ms) races it on a loaded machine, so those scenarios pass
//    autoSelectFamilyAttemptTimeout: 5000 (far above any plausible delay; the
//    outcome does not depend on the value).
//  - "timed out" attempts: a child process listens on [::1]:P with backlog 1
//    and then blocks its event loop forever (never accepts). Two filler
//    connections fill the accept queue; from then on the kernel drops SYNs to
//    [::1]:P, so a connect there stays pending (the first SYN retransmit is 1 s
//    away) and the attempt deterministically hits a 100 ms attempt timeout.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const dns = require('node:dns');
const { spawn } = require('node:child_process');
const P = require('./helpers/parity');
const { V6_FIRST, fakeLookup, attempted, REFUSED, connectAndClose, v4Server } = require('./helpers/happy-eyeballs');
const { exitGuard } = require('./fixtures/util');

exitGuard(after, 'happy-eyeballs.test.js');

const T = { timeout: 60_000 };

test('custom lookup [::1, 127.0.0.1] to a 127.0.0.1-only server: ::1 refused, then 127.0.0.1 connects', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const port = await v4Server(mod, scope);
    const calls = [];
    let got = '';
    const { s, ev } = await connectAndClose(
      mod, scope,
      { port, host: 'dual.test', lookup: fakeLookup(V6_FIRST, calls), autoSelectFamilyAttemptTimeout: 5000 },
      port,
      { onConnect: (x) => x.on('data', (d) => { got += d; }) },
    );
    return { calls, ev, attempted: attempted(s, port), got };
  });
  P.assertParity(results, {
    calls: [{ hostname: 'dual.test', options: { family: undefined, hints: dns.ADDRCONFIG, all: true } }],
    ev: [
      ['lookup', null, '::1', 6, 'dual.test'],
      ['lookup', null, '127.0.0.1', 4, 'dual.test'],
      ['attempt', '::1', 'PORT', 6],
      ['attemptFailed', '::1', 'PORT', 6, REFUSED('::1')],
      ['attempt', '127.0.0.1', 'PORT', 4],
      ['connect', '127.0.0.1', 'PORT', 'IPv4'],
      'ready',
      ['close', false],
    ],
    attempted: ['::1:PORT', '127.0.0.1:PORT'],
    got: 'hi',
  });
});

test('every address refused: AggregateError with one error per attempt (full shape)', T, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const srv = await scope.server(P.impls.net, { host: '127.0.0.1' });
    const port = srv.address().port;
    await P.closeServer(srv);
    const { s, ev } = await connectAndClose(
      mod, scope,
      { port, host: 'dual.test', lookup: fakeLookup(V6_FIRST, []), autoSelectFamilyAttemptTimeout: 5000 },
      port,
    );
    return { ev, attempted: attempted(s, port), destroyed: s.destroyed, readyState: s.readyState };
  });
  P.assertParity(results, {
    ev: [
      ['lookup', null, '::1', 6, 'dual.test'],
      ['lookup', null, '127.0.0.1', 4, 'dual.test'],
      ['attempt', '::1', 'PORT', 6],
      ['attemptFailed', '::1', 'PORT', 6, REFUSED('::1')],
      ['attempt', '127.0.0.1', 'PORT', 4],
      ['attemptFailed', '127.0.0.1', 'PORT', 4, REFUSED('127.0.0.1')],
      ['error', {
        ctor: 'AggregateError',
        isError: true,
        name: 'AggregateError',
        message: '',
        code: 'ECONNREFUSED',
        errno: undefined,
        syscall: undefined,
        address: undefined,
        port: undefined,
        keys: ['code'],
        errors: [REFUSED('::1'), REFUSED('127.0.0.1')],
      }],
      ['close', true],
    ],
    attempted: ['::1:PORT', '127.0.0.1:PORT'],
    destroyed: true,
    readyState: 'closed',
  });
});

async function withBlackholeV6(fn) {
  const child = spawn(
    process.execPath,
    ['-e', `const s = require('net').createServer();
s.listen({ host: '::1', port: 0, backlog: 1 }, () => {
  process.stdout.write(s.address().port + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // never accept
});`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const fillers = [];
  try {
    const [line] = await P.once(child.stdout, 'data', { timeoutMs: 20_000, label: 'blackhole child' });
    const port = Number(String(line).trim());
    assert.ok(port > 0, `child port ${line}`);
    for (let i = 0; i < 2; i++) {
      const f = P.impls.net.connect(port, '::1');
      f.on('error', () => {});
      fillers.push(f);
      await P.once(f, 'connect', { label: `filler ${i}` });
    }
    return await fn(port);
  } finally {
    for (const f of fillers) f.destroy();
    process.kill(child.pid, 'SIGKILL');
    await P.withTimeout(exited, 20_000, 'blackhole child exit');
  }
}

test('first address times out (SYN dropped): connectionAttemptTimeout, then 127.0.0.1 connects', T, async () => {
  await withBlackholeV6(async (port) => {
    const results = await P.runBoth(async (mod, label, scope) => {
      const srv = await scope.server(P.impls.net, { host: '127.0.0.1', port });
      srv.on('connection', (c) => c.end());
      const { s, ev } = await connectAndClose(
        mod, scope,
        { port, host: 'slow.test', lookup: fakeLookup(V6_FIRST, []), autoSelectFamilyAttemptTimeout: 100 },
        port,
      );
      return { ev, attempted: attempted(s, port) };
    });
    P.assertParity(results, {
      ev: [
        ['lookup', null, '::1', 6, 'slow.test'],
        ['lookup', null, '127.0.0.1', 4, 'slow.test'],
        ['attempt', '::1', 'PORT', 6],
        ['attemptTimeout', '::1', 'PORT', 6],
        ['attempt', '127.0.0.1', 'PORT', 4],
        ['connect', '127.0.0.1', 'PORT', 'IPv4'],
        'ready',
        ['close', false],
      ],
      attempted: ['::1:PORT', '127.0.0.1:PORT'],
    });
  });
});

test('first address times out, second refused: AggregateError [ETIMEDOUT, ECONNREFUSED]', T, async () => {
  await withBlackholeV6(async (port) => {
    const results = await P.runBoth(async (mod, label, scope) => {
      const { s, ev } = await connectAndClose(
        mod, scope,
        { port, host: 'slow.test', lookup: fakeLookup(V6_FIRST, []), autoSelectFamilyAttemptTimeout: 100 },
        port,
      );
      return { ev, attempted: attempted(s, port) };
    });
    P.assertParity(results, {
      ev: [
        ['lookup', null, '::1', 6, 'slow.test'],
        ['lookup', null, '127.0.0.1', 4, 'slow.test'],
        ['attempt', '::1', 'PORT', 6],
        ['attemptTimeout', '::1', 'PORT', 6],
        ['attempt', '127.0.0.1', 'PORT', 4],
        ['attemptFailed', '127.0.0.1', 'PORT', 4, REFUSED('127.0.0.1')],
        ['error', {
          ctor: 'AggregateError',
          isError: true,
          name: 'AggregateError',
          message: '',
          code: 'ETIMEDOUT',
          errno: undefined,
          syscall: undefined,
          address: undefined,
          port: undefined,
          keys: ['code'],
          errors: [
            {
              ctor: 'Error',
              isError: true,
              name: 'Error',
              message: 'connect ETIMEDOUT ::1:PORT',
              code: 'ETIMEDOUT',
              errno: -110,
              syscall: 'connect',
              address: '::1',
              port: 'PORT',
              keys: ['address', 'code', 'errno', 'port', 'syscall'],
            },
            REFUSED('127.0.0.1'),
          ],
        }],
        ['close', true],
      ],
      attempted: ['::1:PORT', '127.0.0.1:PORT'],
    });
  });
});

test('setDefaultAutoSelectFamilyAttemptTimeout(100) is used when the option is absent', T, async () => {
  await withBlackholeV6(async (port) => {
    const results = await P.runBoth(async (mod, label, scope) => {
      const before = mod.getDefaultAutoSelectFamilyAttemptTimeout();
      mod.setDefaultAutoSelectFamilyAttemptTimeout(100);
      try {
        const srv = await scope.server(P.impls.net, { host: '127.0.0.1', port });
        srv.on('connection', (c) => c.end());
        const { ev } = await connectAndClose(mod, scope, { port, host: 'slow.test', lookup: fakeLookup(V6_FIRST, []) }, port);
        return { before, ev: ev.filter((e) => e[0] !== 'lookup') };
      } finally {
        mod.setDefaultAutoSelectFamilyAttemptTimeout(250);
      }
    });
    P.assertParity(results, {
      before: 250,
      ev: [
        ['attempt', '::1', 'PORT', 6],
        ['attemptTimeout', '::1', 'PORT', 6],
        ['attempt', '127.0.0.1', 'PORT', 4],
        ['connect', '127.0.0.1', 'PORT', 'IPv4'],
        'ready',
        ['close', false],
      ],
    });
  });
});

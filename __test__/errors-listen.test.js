'use strict';
// Listen and accept errors, rsnet vs built-in net: out of fds, addresses in use or
// unavailable, the server's ERR_* codes, AbortSignal, and handles that cannot listen.
// How each scenario runs and is checked: helpers/outcomes.js; the errors it expects:
// helpers/expected-errors.js.
const { test, describe, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const fs = require('fs');
const { spawn } = require('child_process');
const builtin = require('net');
const { runBoth, check } = require('./helpers/outcomes');
const { systemError, EADDRINUSE, NOT_RUNNING, ALREADY_LISTEN } = require('./helpers/expected-errors');
const { within, once, listen, closeServer, haveIPv6, shape, stackHead, track, closed, roundTrip, tmpDir, exitGuard, reg } = require('./fixtures/util');

exitGuard(after, 'errors-listen.test.js');

const T = { timeout: 20000 };

describe('listen and accept: out of fds', () => {
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
});

describe('listen: address in use or unavailable', () => {
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

  // [test name, the module holding the port (null: the one under test), listen host, expected error]
  const IN_USE = [
    ['listen EADDRINUSE without host (:::PORT); no listening, no close after error', null, undefined, EADDRINUSE(wildcard())],
    ["listen EADDRINUSE with host '127.0.0.1'", null, '127.0.0.1', EADDRINUSE('127.0.0.1')],
    ['listen EADDRINUSE when the port is held by a built-in net server', builtin, undefined, EADDRINUSE(wildcard())],
  ];

  for (const [name, occupier, host, error] of IN_USE) {
    test(name, T, async () => {
      check(await runBoth((mod) => inUseScenario(mod, occupier || mod, host)), [
        ['sync', { returnsThis: true, listening: false }],
        ['error', error],
        ['after', { listening: false, address: null }],
      ]);
    });
  }

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
      ['close cb', NOT_RUNNING],
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
      ['error', systemError('EADDRNOTAVAIL', 'listen', 'listen EADDRNOTAVAIL: address not available 192.0.2.1', { address: '192.0.2.1' })],
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
        ['error', systemError('EADDRINUSE', 'listen', 'listen EADDRINUSE: address already in use PATH', { address: 'PATH', port: -1 })],
        ['socket file removed by close()', true],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("listen: the server's ERR_* codes", () => {
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
});

describe('listen: AbortSignal', () => {
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
});

describe('listen: what cannot listen', () => {
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
    const einval = systemError('EINVAL', 'listen', 'listen EINVAL: invalid argument', { address: null, port: -1 });
    check(out, [
      ['socket', 'returned', false],
      ['socket', 'error', einval, false],
      ['{ _handle }', 'returned', false],
      ['{ _handle }', 'error', einval, false],
    ]);
  });
});

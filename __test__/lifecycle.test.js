'use strict';
// Process / thread lifecycle, rsnet vs built-in net. Everything that could
// hang or crash runs in a child process (fixtures/lc-*.js) with a deadline:
// the child is SIGKILLed when the deadline passes and the test fails. Each
// scenario runs once with built-in net (the oracle; checked against what the
// test expects) and once with rsnet (checked against net).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { spawn } = require('child_process');
const builtin = require('net');
const { addonBuilt } = require('./helpers/harness');
const {
  within, listen, closeServer, haveIPv6, track, closed, exitGuard,
} = require('./fixtures/util');

exitGuard(after, 'lifecycle.test.js');

const FIX = path.join(__dirname, 'fixtures');
const IMPL_NAMES = ['net', 'rsnet'];
if (!addonBuilt()) {
  process.stderr.write('\n!!! lifecycle.test.js: rsnet.node missing: child processes load built-in net for "rsnet" too !!!\n\n');
}

// Spawns `node fixtures/<script> ...args`, collects stdout lines (calling
// onLine for each, for interaction) and stderr; resolves on 'close' or after
// SIGKILL at the deadline (timedOut: true).
function runChild(script, args, { deadline = 15000, onLine } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(FIX, script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: FIX,
    });
    const lines = [];
    let stderr = '';
    let buf = '';
    let timedOut = false;
    let exitedAt = null;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, deadline);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (onLine) {
          try {
            onLine(line, lines, child);
          } catch (e) {
            stderr += `\n[parent onLine failed: ${e.stack}]`;
          }
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', () => { exitedAt = lines.length; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (buf) lines.push(buf);
      resolve({ code, signal, lines, stderr, timedOut, exitedAt });
    });
  });
}

function explain(r) {
  return `code=${r.code} signal=${r.signal} timedOut=${r.timedOut}\nstdout:\n${r.lines.join('\n')}\nstderr:\n${r.stderr}`;
}

function assertCleanExit(r, what) {
  assert.equal(r.timedOut, false, `${what}: did NOT exit by itself before the deadline (killed)\n${explain(r)}`);
  assert.equal(r.signal, null, `${what}: died from a signal\n${explain(r)}`);
  assert.equal(r.code, 0, `${what}: non-zero exit\n${explain(r)}`);
}

const portless = (lines) => lines.map((l) => l.replace(/\b\d{4,5}\b/g, 'PORT'));

// ---------------------------------------------------------------------------
// Exit by itself after a full exchange

const EXCHANGE_MODES = ['tcp4', 'unix', 'destroy', 'halfopen'];
if (haveIPv6()) EXCHANGE_MODES.splice(1, 0, 'tcp6');

for (const mode of EXCHANGE_MODES) {
  test(`process with a server and a client exits by itself after exchanging data and closing (${mode})`, { timeout: 60000 }, async () => {
    const got = {};
    for (const impl of IMPL_NAMES) {
      const r = await runChild('lc-exchange.js', [impl, mode]);
      assertCleanExit(r, `${impl} ${mode}`);
      const last = JSON.parse(r.lines[r.lines.length - 1]);
      // Events of different sockets may interleave differently; compare as sets.
      got[impl] = { out: last.out.map((x) => JSON.stringify(x)).sort(), code: last.code };
    }
    const expected = {
      tcp4: ['["client close",false,"world"]', '["client end","world"]', '["server end","hello"]', '"server close"', '"server socket close"'],
      unix: ['["client close",false,"world"]', '["client end","world"]', '["server end","hello"]', '["socket file gone",true]', '"server close"', '"server socket close"'],
      destroy: ['["client close",false,"world"]', '["client end","world"]', '"server close"', '"server socket close"'],
      halfopen: ['["client close",false,"world"]', '["client end","world"]', '["server end","hello"]', '"server close"', '"server socket close"'],
    };
    expected.tcp6 = expected.tcp4;
    assert.deepStrictEqual(got.net, { out: expected[mode].slice().sort(), code: 0 }, 'TEST BUG: built-in net did not behave as expected');
    assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
  });
}

// ---------------------------------------------------------------------------
// ref / unref / setTimeout liveness

// A built-in net peer server for socket modes. onConn gets each accepted socket.
async function withPeer(fn, { onConn, allowHalfOpen = false } = {}) {
  const conns = [];
  const peer = builtin.createServer({ allowHalfOpen }, (c) => {
    conns.push(c);
    c.on('error', () => {});
    c.resume(); // consume whatever the child sends so its FIN is seen
    if (onConn) onConn(c);
  });
  const { port } = await listen(peer, 0, '127.0.0.1');
  try {
    return await fn(port, conns);
  } finally {
    for (const c of conns) c.destroy();
    await closeServer(peer);
  }
}

// Modes in which the child must exit by itself. `peer`: needs a parent server.
const EXIT_MODES = [
  { mode: 'server-unref-after-listen', expect: ['listening PORT', 'exit 0'] },
  { mode: 'server-unref-before-listen', expect: ['unref returns this true', 'listening PORT', 'exit 0'] },
  { mode: 'server-unref-before-listen-no-host', expect: ['listening PORT', 'exit 0'] },
  { mode: 'socket-unref-connected', peer: true, expect: ['connected unref returns this true', 'exit 0'] },
  // The pending connect request itself keeps net's loop alive: 'connected' is printed.
  { mode: 'socket-unref-before-connect', peer: true, expect: ['connected', 'exit 0'] },
  { mode: 'socket-unref-before-connect-localhost', peer: true, expect: ['connected', 'exit 0'] },
  { mode: 'socket-timeout-unref', peer: true, expect: ['connected', 'exit 0'] },
  { mode: 'socket-timeout-never-connected', expect: ['timer set', 'exit 0'] },
  { mode: 'socket-timeout-then-destroy', peer: true, expect: ['connected', 'closed', 'exit 0'] },
  { mode: 'socket-timeout-then-end', peer: true, expect: ['connected', 'end', 'closed', 'exit 0'] },
];

const EXIT_TITLES = {
  'server-unref-after-listen': "an unref()'d listening server lets the process exit",
  'server-unref-before-listen': 'unref() before listen() is remembered: the process exits',
  'server-unref-before-listen-no-host': 'unref() before listen() without host is remembered: the process exits',
  'socket-unref-connected': "an unref()'d connected socket lets the process exit",
  'socket-unref-before-connect': 'unref() before connect() is remembered: connects, then the process exits',
  'socket-unref-before-connect-localhost': "unref() before connect('localhost') is remembered: connects, then exits",
  'socket-timeout-unref': 'socket.setTimeout(60s) on an unref()d socket does not keep the process alive',
  'socket-timeout-never-connected': 'setTimeout(60s) on a never-connected socket does not keep the process alive',
  'socket-timeout-then-destroy': 'setTimeout(60s) then destroy(): the process exits',
  'socket-timeout-then-end': 'setTimeout(60s) then a graceful end: the process exits',
};

for (const { mode, peer, expect } of EXIT_MODES) {
  test(`${EXIT_TITLES[mode]} [${mode}]`, { timeout: 60000 }, async () => {
    const got = {};
    for (const impl of IMPL_NAMES) {
      const run = (port) => runChild('lc-liveness.js', [impl, mode, String(port || 0)]);
      const r = peer ? await withPeer((port) => run(port)) : await run();
      assertCleanExit(r, `${impl} ${mode}`);
      got[impl] = portless(r.lines);
    }
    assert.deepStrictEqual(got.net, expect, 'TEST BUG: built-in net did not behave as expected');
    assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
  });
}

test('server-side socket with setTimeout(60s): after the peer ends and the server closes, the process exits', { timeout: 60000 }, async () => {
  const got = {};
  for (const impl of IMPL_NAMES) {
    let client;
    const r = await runChild('lc-liveness.js', [impl, 'server-side-socket-timeout'], {
      onLine: (line) => {
        const m = /^listening (\d+)$/.exec(line);
        if (m) {
          client = track(builtin.connect(Number(m[1]), '127.0.0.1', () => client.end('x')));
          client.on('error', () => {});
          client.resume();
        }
      },
    });
    if (client) await closed(client, 10000).catch(() => {});
    assertCleanExit(r, impl);
    got[impl] = portless(r.lines);
  }
  assert.deepStrictEqual(got.net, ['listening PORT', 'server socket end', 'server socket closed', 'server closed', 'exit 0'],
    'TEST BUG: built-in net did not behave as expected');
  assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
});

// Modes in which the child must stay alive (ref'd handle) until told to quit.
// Proof of liveness: the child prints 'tick' from an UNREF'd interval; three
// ticks mean the loop kept running with only the handle under test holding it.
// Then the parent sends 'quit'; the child closes the handle and must exit.
const ALIVE_MODES = [
  { mode: 'server-ref-default', server: true, expect: ['listening PORT', 'quit received', 'server closed', 'exit 0'] },
  { mode: 'server-unref-ref-before-listen', server: true, expect: ['ref returns this true', 'listening PORT', 'quit received', 'server closed', 'exit 0'] },
  { mode: 'server-unref-then-ref-after-listen', server: true, expect: ['listening PORT', 'quit received', 'server closed', 'exit 0'] },
  { mode: 'socket-ref-default', expect: ['connected', 'quit received', 'closed', 'exit 0'] },
  { mode: 'socket-unref-ref-before-connect', expect: ['connected', 'quit received', 'closed', 'exit 0'] },
];

const ALIVE_TITLES = {
  'server-ref-default': 'a process with an open (ref\'d) server does NOT exit by itself, and exits once it is closed',
  'server-unref-ref-before-listen': 'unref() then ref() before listen() is remembered: stays alive until closed',
  'server-unref-then-ref-after-listen': 'unref() then ref() after listen: stays alive until closed',
  'socket-ref-default': 'a process with an open (ref\'d) client socket stays alive until it closes',
  'socket-unref-ref-before-connect': 'unref() then ref() before connect() is remembered: stays alive until closed',
};

for (const { mode, server, expect } of ALIVE_MODES) {
  test(`${ALIVE_TITLES[mode]} [${mode}]`, { timeout: 60000 }, async () => {
    const got = {};
    for (const impl of IMPL_NAMES) {
      let quitSentAfterTicks = null;
      let exitedBeforeQuit = false;
      const r = await withPeer(async (port, conns) => {
        let listenPort = null;
        let ticks = 0;
        let sent = false;
        const res = await runChild('lc-liveness.js', [impl, mode, String(port)], {
          onLine: (line, lines, child) => {
            const m = /^listening (\d+)$/.exec(line);
            if (m) listenPort = Number(m[1]);
            if (line.startsWith('exit ') && !sent) exitedBeforeQuit = true;
            if (line.startsWith('tick ')) ticks++;
            if (ticks >= 3 && !sent) {
              sent = true;
              quitSentAfterTicks = ticks;
              if (server) {
                const c = builtin.connect(listenPort, '127.0.0.1', () => c.end('quit'));
                c.on('error', () => {});
                c.resume();
              } else {
                for (const c of conns) c.write('quit');
              }
            }
          },
        });
        return res;
      });
      assertCleanExit(r, `${impl} ${mode}`);
      assert.equal(exitedBeforeQuit, false, `${impl}: the process exited before it was told to quit\n${explain(r)}`);
      assert.ok(quitSentAfterTicks >= 3, `${impl}: the process did not stay alive long enough to tick 3 times\n${explain(r)}`);
      got[impl] = portless(r.lines.filter((l) => !l.startsWith('tick ')));
    }
    assert.deepStrictEqual(got.net, expect, 'TEST BUG: built-in net did not behave as expected');
    assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
  });
}

// ---------------------------------------------------------------------------
// Exceptions thrown from listeners

const THROW_EXPECT = {
  'data handled': ['caught boom-from-data', 'got firstsecond', 'client closed, caught 1', 'server closed', 'exit 0'],
  'close handled': ['got first', 'client closed, caught 0', 'caught boom-from-close', 'server closed', 'exit 0'],
  'connect handled': ['caught boom-from-connect', 'exit 0'],
  'connection handled': ['caught boom-from-connection', 'exit 0'],
  'end handled': ['got first', 'caught boom-from-end', 'exit 0'],
  'data unhandled': ['exit 1'],
  'connect unhandled': ['exit 1'],
  'connection unhandled': ['exit 1'],
  'end unhandled': ['got first', 'exit 1'],
  'close unhandled': ['got first', 'client closed, caught 0', 'exit 1'],
};

for (const key of Object.keys(THROW_EXPECT)) {
  const [where, how] = key.split(' ');
  const title = how === 'handled'
    ? `exception thrown in a '${where}' listener reaches process.on('uncaughtException') and the process carries on`
    : `unhandled exception thrown in a '${where}' listener: normal uncaught-exception exit (code 1), no native crash`;
  test(title, { timeout: 60000 }, async () => {
    const got = {};
    for (const impl of IMPL_NAMES) {
      const r = await runChild('lc-throw.js', [impl, where, how]);
      assert.equal(r.timedOut, false, `${impl}: hung\n${explain(r)}`);
      assert.equal(r.signal, null, `${impl}: killed by a signal (native crash?)\n${explain(r)}`);
      const stderrHasError = r.stderr.includes(`Error: boom-from-${where}`);
      const nativeTrouble = /panicked|FATAL ERROR|Segmentation fault|Aborted|napi_fatal/i.test(r.stderr);
      got[impl] = { code: r.code, lines: r.lines, stderrHasError, nativeTrouble };
    }
    assert.deepStrictEqual(got.net, {
      code: how === 'handled' ? 0 : 1,
      lines: THROW_EXPECT[key],
      stderrHasError: how === 'unhandled',
      nativeTrouble: false,
    }, 'TEST BUG: built-in net did not behave as expected');
    assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
  });
}

// An 'error' event nobody listens to is thrown: printed like net, exit code 1.
function crashSummary(r, port) {
  const lines = r.stderr.split('\n').map((l) => l.split(String(port)).join('PORT'));
  const props = [];
  const start = lines.findIndex((l) => /^Emitted 'error' event on /.test(l));
  const open = lines.findIndex((l, i) => i > start && / \{$/.test(l));
  if (open >= 0) {
    for (let i = open + 1; i < lines.length && lines[i] !== '}'; i++) props.push(lines[i].trim());
  }
  return {
    code: r.code,
    signal: r.signal,
    stdout: r.lines,
    thrown: lines.find((l) => /^\w*Error\b/.test(l)),
    emittedOn: start >= 0 ? lines[start] : null,
    props,
  };
}

for (const mode of ['connect-refused', 'listen-in-use']) {
  test(`unhandled '${mode === 'connect-refused' ? 'connect ECONNREFUSED' : 'listen EADDRINUSE'}' error (no listener) is thrown like net: exit 1, same report`, { timeout: 60000 }, async () => {
    const got = {};
    for (const impl of IMPL_NAMES) {
      const holder = builtin.createServer();
      const { port } = await listen(holder, 0, '127.0.0.1');
      if (mode === 'connect-refused') await closeServer(holder);
      const r = await runChild('lc-unhandled-error.js', [impl, mode, String(port)]);
      if (mode !== 'connect-refused') await closeServer(holder);
      assert.equal(r.timedOut, false, `${impl}: hung\n${explain(r)}`);
      got[impl] = crashSummary(r, port);
    }
    const expected = mode === 'connect-refused' ? {
      code: 1,
      signal: null,
      stdout: ['exit 1'],
      thrown: 'Error: connect ECONNREFUSED 127.0.0.1:PORT',
      emittedOn: "Emitted 'error' event on Socket instance at:",
      props: ['errno: -111,', "code: 'ECONNREFUSED',", "syscall: 'connect',", "address: '127.0.0.1',", 'port: PORT'],
    } : {
      code: 1,
      signal: null,
      stdout: ['exit 1'],
      thrown: 'Error: listen EADDRINUSE: address already in use 127.0.0.1:PORT',
      emittedOn: "Emitted 'error' event on Server instance at:",
      props: ["code: 'EADDRINUSE',", 'errno: -98,', "syscall: 'listen',", "address: '127.0.0.1',", 'port: PORT'],
    };
    assert.deepStrictEqual(got.net, expected, 'TEST BUG: built-in net did not behave as expected');
    assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
  });
}

// ---------------------------------------------------------------------------
// worker_threads

for (const variant of ['main', 'workers-only']) {
  const title = variant === 'main'
    ? '8 worker threads (and the main thread) each load the implementation, run an echo exchange and exit by themselves'
    : '8 worker threads load the implementation (main thread never does), echo, and exit by themselves';
  test(title, { timeout: 90000 }, async () => {
    const got = {};
    for (const impl of IMPL_NAMES) {
      const r = await runChild('lc-workers.js', [impl, '8', variant], { deadline: 40000 });
      assertCleanExit(r, `${impl} workers ${variant}`);
      got[impl] = JSON.parse(r.lines[r.lines.length - 1]);
    }
    const expected = {
      results: Array.from({ length: 8 }, (_, id) => ({ id, hadError: false, bytes: 65536, same: true })),
      exits: Array(8).fill(0),
      errors: [],
      mainResult: variant === 'main' ? 'main-thread' : 'not loaded',
      code: 0,
    };
    assert.deepStrictEqual(got.net, expected, 'TEST BUG: built-in net did not behave as expected');
    assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
  });
}

test('worker.terminate() while sockets are open and data flows: no crash, peers see the close, main server still works', { timeout: 90000 }, async () => {
  const got = {};
  for (const impl of IMPL_NAMES) {
    const r = await runChild('lc-worker-terminate.js', [impl, '4'], { deadline: 40000 });
    assertCleanExit(r, `${impl} worker terminate`);
    got[impl] = JSON.parse(r.lines[r.lines.length - 1]);
  }
  const expected = {
    flowing: 4,
    exitCodes: [1, 1, 1, 1],
    workerErrors: [],
    serverSocketsClosed: true,
    echoAfter: 'after',
    code: 0,
  };
  assert.deepStrictEqual(got.net, expected, 'TEST BUG: built-in net did not behave as expected');
  assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
});

test('worker.terminate() of 9 pumping workers (far more than cores): no crash, main server still works, exits by itself', { timeout: 120000 }, async () => {
  const got = {};
  for (const impl of IMPL_NAMES) {
    const r = await runChild('lc-worker-terminate.js', [impl, '9'], { deadline: 60000 });
    assertCleanExit(r, `${impl} worker terminate x9`);
    got[impl] = JSON.parse(r.lines[r.lines.length - 1]);
  }
  assert.deepStrictEqual(got.net, {
    flowing: 9, exitCodes: Array(9).fill(1), workerErrors: [], serverSocketsClosed: true, echoAfter: 'after', code: 0,
  }, 'TEST BUG: built-in net did not behave as expected');
  assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
});

test('workers terminated right at \'online\' (mid-load), then fresh workers and the main thread still work; exits by itself', { timeout: 90000 }, async () => {
  const got = {};
  for (const impl of IMPL_NAMES) {
    const r = await runChild('lc-worker-early.js', [impl, '8'], { deadline: 40000 });
    assertCleanExit(r, `${impl} early terminate`);
    got[impl] = JSON.parse(r.lines[r.lines.length - 1]);
  }
  assert.deepStrictEqual(got.net, {
    early: Array(8).fill(1),
    later: [0, 0, 0, 0],
    laterResults: Array.from({ length: 4 }, (_, id) => ({ id, hadError: false, bytes: 65536, same: true })),
    errors: [],
    main: 'main',
    code: 0,
  }, 'TEST BUG: built-in net did not behave as expected');
  assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
});

// Leaving the process while 20 connections pump data both ways.
const BUSY = {
  exit: { code: 7, lines: ['leaving'], stderrHasError: false },
  'exit-in-data': { code: 7, lines: ['leaving'], stderrHasError: false },
  throw: { code: 1, lines: ['leaving'], stderrHasError: true },
};
for (const how of Object.keys(BUSY)) {
  const title = {
    exit: 'process.exit(7) while 20 connections pump data: exit code 7, no native crash',
    'exit-in-data': "process.exit(7) from inside a 'data' listener while 20 connections pump data: exit code 7, no crash",
    throw: 'uncaught exception while 20 connections pump data: exit code 1, error printed, no native crash',
  }[how];
  test(title, { timeout: 60000 }, async () => {
    const got = {};
    for (const impl of IMPL_NAMES) {
      const r = await runChild('lc-exit-busy.js', [impl, how], { deadline: 30000 });
      assert.equal(r.timedOut, false, `${impl}: hung on the way out\n${explain(r)}`);
      got[impl] = {
        code: r.code,
        signal: r.signal,
        lines: r.lines,
        stderrHasError: r.stderr.includes('Error: boom-while-busy'),
        nativeTrouble: /panicked|FATAL ERROR|Segmentation fault|Aborted|napi_fatal/i.test(r.stderr),
      };
    }
    assert.deepStrictEqual(got.net, { ...BUSY[how], signal: null, nativeTrouble: false }, 'TEST BUG: built-in net did not behave as expected');
    assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
  });
}

// ---------------------------------------------------------------------------
// File descriptors

const FD_TOLERANCE = 3;
for (const [mode, cycles] of [
  ['tcp', 500], ['tcp-server-closes', 500], ['unix', 500], ['refused', 200],
  ['listen', 300], ['listen-unix', 300], ['listen-in-use', 300],
]) {
  test(`${cycles} ${mode.startsWith('listen') ? 'listen/close' : 'connect/close'} cycles (${mode}) do not leak file descriptors (tolerance ${FD_TOLERANCE})`, { timeout: 120000 }, async () => {
    const got = {};
    for (const impl of IMPL_NAMES) {
      const r = await runChild('lc-fd-cycles.js', [impl, mode, String(cycles)], { deadline: 60000 });
      assertCleanExit(r, `${impl} ${mode}`);
      got[impl] = JSON.parse(r.lines[r.lines.length - 1]);
    }
    for (const impl of IMPL_NAMES) {
      const g = got[impl];
      assert.equal(g.failed, undefined, `${impl}: fixture failed: ${g.failed}`);
      assert.ok(g.after - g.before <= FD_TOLERANCE,
        `${impl}: fd count grew from ${g.before} to ${g.after} over ${cycles} ${mode} cycles (leak of ~${g.after - g.before})`);
    }
  });
}

// The parent process itself: sockets of the implementation under test opened
// and closed in THIS process do not leave descriptors behind either.
test('in-process: 200 rsnet connect/close cycles against a built-in server leave no fds behind', { timeout: 60000 }, async () => {
  const fs = require('fs');
  const { load } = require('./helpers/harness');
  const out = {};
  for (const impl of IMPL_NAMES) {
    const mod = load(impl);
    const peer = builtin.createServer((c) => { c.on('error', () => {}); c.resume(); });
    const { port } = await listen(peer, 0, '127.0.0.1');
    const cycle = async () => {
      const c = track(mod.connect(port, '127.0.0.1'));
      c.on('error', () => {});
      await within(new Promise((r) => c.once('connect', r)), 5000, 'connect');
      c.destroy();
      await closed(c);
    };
    for (let i = 0; i < 10; i++) await cycle();
    const before = fs.readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 200; i++) await cycle();
    let after = fs.readdirSync('/proc/self/fd').length;
    const deadline = Date.now() + 5000;
    while (after > before + FD_TOLERANCE && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      after = fs.readdirSync('/proc/self/fd').length;
    }
    await closeServer(peer);
    out[impl] = { before, after };
  }
  for (const impl of IMPL_NAMES) {
    assert.ok(out[impl].after - out[impl].before <= FD_TOLERANCE, `${impl}: fds ${out[impl].before} -> ${out[impl].after}`);
  }
});

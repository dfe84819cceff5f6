'use strict';
// Liveness as libuv counts it: a socket keeps the process alive only while it reads
// (if ref'd) or has a connect, write or shutdown in flight (even if unref'd). Each scenario runs in a child process
// with either module; both must exit by themselves, printing the same lines.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const builtin = require('node:net');

const FIXTURE = path.join(__dirname, 'fixtures', 'idle-liveness.js');
const IN_FLIGHT = path.join(__dirname, 'fixtures', 'unref-in-flight.js');
const DEADLINE_MS = 10_000;

function run(impl, scenario, { fixture = FIXTURE, args = [] } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fixture, impl, scenario, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ exited: signal === null ? code : `killed after ${DEADLINE_MS} ms`, lines: out.split('\n').filter(Boolean), stderr: err });
    });
  });
}

const cases = {
  pausedBeforeConnect: ['connected'],
  eofWithUnreadData: ['client finish'],
  pauseOnConnectIdle: ['connection'],
};

for (const [scenario, lines] of Object.entries(cases)) {
  test(`an idle socket lets the process exit: ${scenario}`, { timeout: 3 * DEADLINE_MS }, async () => {
    const [net, rsnet] = [await run('net', scenario), await run('rsnet', scenario)];
    assert.deepEqual(net, { exited: 0, lines, stderr: '' }, 'built-in net (the oracle) changed');
    assert.deepEqual(rsnet, net);
  });
}

test('a connection accepted just before its server closed is closed, not leaked', { timeout: 3 * DEADLINE_MS }, async () => {
  const [net, rsnet] = [await run('net', 'serverClosedOnConnect'), await run('rsnet', 'serverClosedOnConnect')];
  // The client sees its connection end either way (FIN or reset); the process exits.
  assert.equal(net.exited, 0);
  assert.equal(rsnet.exited, 0, rsnet.stderr);
  assert.equal(rsnet.lines[0], 'connected');
  assert.equal(rsnet.lines.at(-1), 'client close');
});

test("an unref'd socket's connect in flight holds the process until it connects", { timeout: 3 * DEADLINE_MS }, async () => {
  const opts = { fixture: IN_FLIGHT };
  const [net, rsnet] = [await run('net', 'connecting', opts), await run('rsnet', 'connecting', opts)];
  assert.deepEqual(net, { exited: 0, lines: ['connected'], stderr: '' }, 'built-in net (the oracle) changed');
  assert.deepEqual(rsnet, net);
});

test("end(8 MiB) then unref(): the write in flight holds the process; every byte arrives", { timeout: 3 * DEADLINE_MS }, async () => {
  // The parent receives with built-in net and counts what arrives before the FIN.
  async function sendTo(impl) {
    const received = new Promise((resolve, reject) => {
      const server = builtin.createServer((socket) => {
        let bytes = 0;
        socket.on('data', (d) => (bytes += d.length));
        socket.on('error', reject);
        socket.on('end', () => {
          server.close();
          resolve(bytes);
        });
      });
      server.listen(0, '127.0.0.1', () => {
        child = run(impl, 'pendingWrite', { fixture: IN_FLIGHT, args: [server.address().port] });
      });
    });
    let child;
    const bytes = await received;
    return { ...(await child), bytes };
  }
  const net = await sendTo('net');
  const rsnet = await sendTo('rsnet');
  assert.deepEqual(net, { exited: 0, lines: ['end callback', 'finish'], stderr: '', bytes: 8 * 1024 * 1024 },
    'built-in net (the oracle) changed');
  assert.deepEqual(rsnet, net);
});

// Node's test-process-beforeexit: a server that listens and closes inside a
// 'beforeExit' handler makes the loop alive, and a handle that closes keeps it alive
// until that turn's close phase: 'beforeExit' fires again once the loop is empty.
const BEFORE_EXIT = path.join(__dirname, 'fixtures', 'before-exit.js');
const beforeExitCases = {
  listenThenClose: ['beforeExit 1', 'listening', 'beforeExit 2', 'exit'],
  listenPipeThenClose: ['beforeExit 1', 'listening', 'closed', 'beforeExit 2', 'exit'],
  listenFails: ['beforeExit 1', 'error EADDRNOTAVAIL', 'beforeExit 2', 'exit'],
};
for (const [scenario, lines] of Object.entries(beforeExitCases)) {
  test(`'beforeExit' fires again after a server closed in its handler: ${scenario}`, { timeout: 3 * DEADLINE_MS }, async () => {
    const opts = { fixture: BEFORE_EXIT };
    const [net, rsnet] = [await run('net', scenario, opts), await run('rsnet', scenario, opts)];
    assert.deepEqual(net, { exited: 0, lines, stderr: '' }, 'built-in net (the oracle) changed');
    assert.deepEqual(rsnet, net);
  });
}

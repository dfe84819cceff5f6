'use strict';
// Liveness as libuv counts it: a socket keeps the process alive only while it reads
// or has a connect, write or shutdown in flight. Each scenario runs in a child process
// with either module; both must exit by themselves, printing the same lines.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');

const FIXTURE = path.join(__dirname, 'fixtures', 'idle-liveness.js');
const DEADLINE_MS = 10_000;

function run(impl, scenario) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FIXTURE, impl, scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
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

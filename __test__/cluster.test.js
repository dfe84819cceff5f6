'use strict';
// server.listen() in a `cluster` worker, rsnet vs built-in net. Each scenario is a
// child process (fixtures/cluster-listen.js): a primary with two workers whose
// servers use the implementation under test, talked to by built-in clients. The run
// with built-in net (the oracle) must show what the test expects; the run with rsnet
// must report exactly what net's did. Every child has a deadline and is SIGKILLed
// when it passes (its workers exit with it: they lose their IPC channel).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { addonBuilt } = require('./helpers/harness');
const { exitGuard } = require('./fixtures/util');

exitGuard(after, 'cluster.test.js');

const FIXTURE = path.join(__dirname, 'fixtures', 'cluster-listen.js');
const DEADLINE_MS = 25_000;
const T = { timeout: 60_000 };
if (!addonBuilt()) {
  process.stderr.write('\n!!! cluster.test.js: rsnet.node missing: workers load built-in net for "rsnet" too !!!\n\n');
}

const children = new Set();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

// Runs one scenario with `impl`; resolves with the primary's report.
function runScenario(impl, scenario) {
  return new Promise((resolve, reject) => {
    // The parent's scheduling policy variable must not leak into the scenario.
    const env = { ...process.env };
    delete env.NODE_CLUSTER_SCHED_POLICY;
    const child = spawn(process.execPath, [FIXTURE, impl, scenario], { stdio: ['ignore', 'pipe', 'pipe'], env });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      const what = `${impl} ${scenario}: primary exited with ${signal || code}`;
      let report;
      try {
        report = JSON.parse(stdout);
      } catch {
        return reject(new Error(`${what} and no report\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
      if (report.error || code !== 0) {
        return reject(new Error(`${what}: ${report.error}\nreport: ${stdout}\nstderr: ${stderr}`));
      }
      resolve(report);
    });
  });
}

// The oracle's report, checked by `expectations`, then rsnet's compared with it.
async function parity(scenario, expectations) {
  const net = await runScenario('net', scenario);
  expectations(net);
  const rsnet = await runScenario('rsnet', scenario);
  assert.deepEqual(rsnet, net);
}

// Worker `id`'s event names in order, and its i-th event in full.
const events = (report, id) => report.workers[id].events.map((m) => m.ev);
const eventAt = (report, id, i) => report.workers[id].events[i];
const exitedCleanly = { code: 0, signal: null, exitedAfterDisconnect: true };
const LISTENING_TCP = {
  ev: 'listening', address: { address: '::', family: 'IPv6', port: 'PORT' }, listening: true,
};
const ECHOED = ['w?:ping-0', 'w?:ping-1', 'w?:ping-2', 'w?:ping-3'];

// The common shape of the echo scenarios: both workers share one port, four clients
// are echoed, then each worker closes its server and disconnects.
function expectSharedPort(report, { connections, connectionKey }) {
  for (const id of [1, 2]) {
    assert.deepEqual(events(report, id), ['listening', 'close', 'close-callback', 'exit']);
    assert.deepEqual(report.workers[id].events[0], { ...LISTENING_TCP, connectionKey });
    assert.deepEqual(report.workers[id].events[1], { ev: 'close', address: null, listening: false });
    assert.equal(report.workers[id].connections, connections);
    assert.deepEqual(report.primaryListening[id], { addressType: 4, address: null, port: 'PORT' });
    assert.deepEqual(report.exits[id], exitedCleanly);
  }
  assert.deepEqual(report.replies, ECHOED);
  assert.equal(report.connections, 4);
}

test('round-robin: two workers on port 0 share the primary\'s port and take turns', T, () =>
  parity('port-0', (r) => expectSharedPort(r, { connections: 2, connectionKey: '4:null:0' })));

test('round-robin: two workers on the same fixed port', T, () =>
  parity('fixed-port', (r) => expectSharedPort(r, { connections: 2, connectionKey: '4:null:PORT' })));

test('SCHED_NONE: two workers listen on the primary\'s shared socket (port 0)', T, () =>
  parity('shared-port-0', (r) => expectSharedPort(r, { connections: 'any', connectionKey: '4:null:0' })));

test('SCHED_NONE: two workers listen on the primary\'s shared socket (fixed port)', T, () =>
  parity('shared-fixed-port', (r) => expectSharedPort(r, { connections: 'any', connectionKey: '4:null:PORT' })));

test('round-robin: listen(path) in two workers, the primary owning the Unix socket', T, () =>
  parity('pipe', (r) => {
    for (const id of [1, 2]) {
      assert.deepEqual(eventAt(r, id, 0), { ev: 'listening', address: '<PATH>', listening: true,
        connectionKey: '-1:<PATH>:-1' });
      assert.deepEqual(events(r, id), ['listening', 'close', 'close-callback', 'exit']);
      assert.equal(r.workers[id].connections, 2);
      assert.deepEqual(r.primaryListening[id], { addressType: -1, address: '<PATH>', port: -1 });
      assert.deepEqual(r.exits[id], exitedCleanly);
    }
    assert.deepEqual(r.replies, ECHOED);
  }));

test('exclusive: true binds in the worker, so a second worker gets EADDRINUSE from listen', T, () =>
  parity('exclusive', (r) => {
    assert.deepEqual(events(r, 1), ['listening', 'close', 'close-callback', 'exit']);
    assert.deepEqual(events(r, 2), ['error', 'exit']);
    const { error } = eventAt(r, 2, 0);
    assert.equal(error.code, 'EADDRINUSE');
    assert.equal(error.syscall, 'listen');
    assert.equal(error.message, 'listen EADDRINUSE: address already in use :::PORT');
    assert.deepEqual(r.replies, ['w1:ping']);
    // The primary never hears of an exclusive server.
    assert.deepEqual(r.primaryListening, {});
  }));

test('the primary cannot bind: each worker gets Node\'s "bind EADDRINUSE null:PORT"', T, () =>
  parity('port-in-use', (r) => {
    for (const id of [1, 2]) {
      assert.deepEqual(events(r, id), ['error', 'exit']);
      const { error } = eventAt(r, id, 0);
      assert.deepEqual([error.code, error.syscall, error.message, error.address, error.port],
        ['EADDRINUSE', 'bind', 'bind EADDRINUSE null:PORT', null, 'PORT']);
      assert.deepEqual(r.exits[id], exitedCleanly);
    }
  }));

test('worker.disconnect() closes the worker\'s server (\'close\' fires) and the worker exits', T, () =>
  parity('disconnect', (r) => {
    for (const id of [1, 2]) {
      assert.deepEqual(events(r, id), ['listening', 'close', 'exit']);
      assert.deepEqual(r.exits[id], exitedCleanly);
    }
  }));

test('round-robin: a worker at maxConnections refuses, the primary hands the connection on', T, () =>
  parity('max-connections', (r) => {
    assert.deepEqual(r.replies, ['w1:held', 'w2:next']);
    assert.deepEqual([r.workers[1].connections, r.workers[2].connections], [1, 1]);
    for (const id of [1, 2]) {
      assert.deepEqual(events(r, id), ['listening', 'close', 'close-callback', 'exit']);
    }
  }));

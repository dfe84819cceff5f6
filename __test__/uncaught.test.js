'use strict';
// A handler that throws while the process handles 'uncaughtException' must leave the
// process as built-in net leaves it: every later event still comes, in the same
// order, and the process exits by itself. These throws come through the tick queue or
// a completion (not straight from an I/O callback), where a throw once left Node's
// async-id stack out of step and Node aborted the process.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');

const FIXTURE = path.join(__dirname, 'fixtures', 'throw-in-tick.js');
const DEADLINE_MS = 15_000;

function run(impl, which) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FIXTURE, impl, which], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, lines: stdout.split('\n').filter(Boolean), stderr });
    });
  });
}

// Where the order of two lines depends on the network (an echo against the end()
// callback), only the set of lines is compared, and that 'close' comes after both.
const UNORDERED = new Set(['end-callback']);

const CASES = ['end-listener', 'tick-from-data', 'microtask-from-data', 'write-callback', 'end-callback',
  'tick-between-events', 'http-response-end'];

for (const which of CASES) {
  test(`a throw under 'uncaughtException' from ${which}: the same events as net, then a clean exit`, async () => {
    const [builtin, rsnet] = await Promise.all([run('net', which), run('rsnet', which)]);
    for (const [name, r] of [['net', builtin], ['rsnet', rsnet]]) {
      assert.equal(r.signal, null, `${name} was killed (hung or crashed)\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /async hook stack|FATAL ERROR|panicked/, `${name}: ${r.stderr}`);
      assert.equal(r.code, 0, `${name} exited ${r.code}\n${r.stderr}`);
      assert.ok(r.lines.some((l) => l.startsWith('caught ')), `${name} caught nothing: ${r.lines}`);
    }
    if (UNORDERED.has(which)) {
      assert.deepEqual([...rsnet.lines].sort(), [...builtin.lines].sort());
      assert.equal(rsnet.lines.at(-2), 'close');
    } else {
      assert.deepEqual(rsnet.lines, builtin.lines);
    }
  });
}

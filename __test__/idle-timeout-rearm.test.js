'use strict';
// A socket's idle timeout set, cleared and set again (what Node's http server does on
// each keep-alive request) behaves as on built-in net, where every set makes a new
// unref'd timer: one 'timeout' after the last duration, set again from its own
// listener, an async_hooks init per set and a destroy per clear, never ref'd, and not
// keeping the process alive. rsnet arms its one timer again (lib/idle_timeout.js).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');

const FIXTURE = path.join(__dirname, 'fixtures', 'idle-timeout-rearm.js');

function run(impl, scenario) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [FIXTURE, impl, scenario], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${impl} ${scenario}: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

test('set, cleared and set again 50 times: the same timer state, hooks and timeouts as net', async () => {
  const [builtin, rsnet] = await Promise.all([run('net', 'cycles'), run('rsnet', 'cycles')]);
  assert.deepEqual(builtin, {
    states: [JSON.stringify({ idleTimeout: 60_000, hasRef: false })],
    cleared: { idleTimeout: -1, hasRef: false },
    armed: { idleTimeout: 20, hasRef: false },
    timeouts: 2,
    rearmedInListener: { idleTimeout: 30, hasRef: false },
    // 53 sets, each cleared or run out; and the fixture's own setInterval.
    hooks: { init: 54, destroy: 53 },
  }, 'TEST BUG: built-in net did not behave as expected');
  assert.deepEqual(rsnet, builtin);
});

test('an idle timeout set again and again does not keep the process alive', async () => {
  const [builtin, rsnet] = await Promise.all([run('net', 'liveness'), run('rsnet', 'liveness')]);
  assert.deepEqual(builtin, { timeouts: 0, state: { idleTimeout: 1000, hasRef: false } },
    'TEST BUG: built-in net did not behave as expected');
  assert.deepEqual(rsnet, builtin);
});

'use strict';
// Every real-client scenario runs under both drivers. A test file runs its scenarios in
// its own process under the driver it was started with (RSNET_DRIVER, loop unless set to
// threaded, as everywhere: helpers/harness.js decides), then
// `alsoUnderOtherDriver(__filename)` adds one test that reruns the whole file in a
// child `node --test` under the other driver: it fails if any test there failed, and is
// reported as skipped (with the reasons) if any was skipped. So
// `node --test __test__/clients/x.test.js`, and `npm test`, cover both drivers.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { DRIVER, DRIVERS, ONE_DRIVER } = require('./harness.js');

// Explicit, never the addon's default (which may change): it is set in the environment
// before rsnet loads (require this module first), so the addon and the children
// (fixtures, the rerun below) all see it.
process.env.RSNET_DRIVER = DRIVER;
const IS_CHILD = process.env.RSNET_CLIENTS_CHILD === '1' || ONE_DRIVER;

/** A test that this process's rsnet really runs DRIVER (when the addon can tell). */
function checkDriver() {
  test(`[${DRIVER}] rsnet runs the ${DRIVER} driver in this process`, async (t) => {
    const { impls, RSNET_IS_FALLBACK, ADDON } = require('./harness.js');
    if (RSNET_IS_FALLBACK) return t.skip('rsnet is not loaded');
    const binding = require(ADDON);
    if (typeof binding.driver !== 'function') return t.skip('this build of the addon does not tell its driver');
    const server = impls.rsnet.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
    assert.equal(binding.driver(), DRIVER);
  });
}

function alsoUnderOtherDriver(file, { timeoutMs = 300_000 } = {}) {
  checkDriver();
  if (IS_CHILD) return;
  const other = DRIVER === 'loop' ? 'threaded' : 'loop';
  test(`[${other}] every test of ${path.basename(file)} (child node --test, RSNET_DRIVER=${other})`, { timeout: timeoutMs + 10_000 }, async (t) => {
    // Without NODE_TEST_CONTEXT the child is a test run of its own that reports TAP on stdout.
    // No --test-force-exit (as in scripts/test.js): it can drop the tail of a file's
    // results, which then count as passed (nodejs/node#64833); the file ends by itself.
    const { NODE_TEST_CONTEXT, ...env } = process.env;
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', file], {
      env: { ...env, RSNET_DRIVER: other, RSNET_CLIENTS_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timer;
    const status = await new Promise((resolve) => {
      timer = setTimeout(() => {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {}
      }, timeoutMs);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    clearTimeout(timer);
    const summary = (stdout.match(/^# (tests|pass|fail|skipped|todo|duration_ms) [\d.]+$/gm) || []).join(', ');
    const notOk = (stdout.match(/^\s*not ok .*$/gm) || []).join('\n');
    const skipped = (stdout.match(/^\s*ok .*# (SKIP|TODO).*$/gm) || []).join('\n');
    t.diagnostic(`RSNET_DRIVER=${other}: ${summary}`);
    if (skipped) t.diagnostic(`skipped/todo under ${other}:\n${skipped}`);
    assert.equal(status.code, 0, `under RSNET_DRIVER=${other} (${JSON.stringify(status)}): ${summary}\n${notOk}\n--- child output ---\n${stdout.slice(-6_000)}\n${stderr.slice(-2_000)}`);
    assert.match(summary, /# fail 0/);
    // A run whose tests were skipped is reported as skipped (with their reasons), not passed.
    const reasons = [...new Set((stdout.match(/# (SKIP|TODO) .*$/gm) || []).map((l) => l.replace(/^# (SKIP|TODO) /, '')))];
    const count = (k) => Number((summary.match(new RegExp(`# ${k} (\\d+)`)) || [])[1] || 0);
    if (count('skipped') > 0) t.skip(`${count('skipped')} of ${count('tests')} skipped under ${other}: ${reasons.join('; ')}`);
    else if (count('todo') > 0) t.todo(`${count('todo')} of ${count('tests')} todo under ${other}: ${reasons.join('; ')}`);
  });
}

module.exports = { DRIVER, DRIVERS, IS_CHILD, alsoUnderOtherDriver };

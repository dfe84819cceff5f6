'use strict';
// The opt-in loop driver (RSNET_DRIVER=loop) does a connected socket's I/O, and
// accepting, on the JS thread instead of a Tokio thread. It must behave exactly like the
// default driver: rerun the parity files most sensitive to event order, I/O and
// teardown (workers, process exit) under it, in a child `node --test`.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const FILES = ['echo', 'half-open', 'backpressure', 'errors', 'ipc', 'liveness', 'lifecycle', 'splice', 'timeout', 'close-timing', 'fifo', 'fd', 'async-context', 'read-turns'].map(
  (name) => path.join(__dirname, `${name}.test.js`),
);

test('parity suites pass under RSNET_DRIVER=loop', { timeout: 600_000 }, () => {
  // Without NODE_TEST_CONTEXT the child is a test run of its own that reports on stdout.
  const { NODE_TEST_CONTEXT, ...env } = process.env;
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-force-exit', ...FILES], {
    env: { ...env, RSNET_DRIVER: 'loop' },
    encoding: 'utf8',
    timeout: 580_000,
  });
  const summary = (result.stdout.match(/^# (tests|pass|fail) \d+$/gm) || []).join(', ');
  const failures = (result.stdout.match(/^not ok .*$/gm) || []).join('\n');
  assert.equal(result.status, 0, `loop driver: ${summary}\n${failures}\n${result.stderr}`);
  assert.match(summary, /# pass [1-9]/);
  assert.match(summary, /# fail 0/);
});

'use strict';
// index.d.ts: rsnet type-checks exactly as Node's net (__test__/types/parity.ts, the
// typed example), deliberate type errors are reported (negative/), and the compiled
// typed example runs under both drivers. Uses the pinned typescript dev dependency.
const { DRIVERS } = require('./helpers/harness');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TYPES = path.join(__dirname, 'types');

function tsc(...args) {
  assert.ok(fs.existsSync(TSC),
    `typescript is missing (${TSC}): it is a pinned dev dependency, run npm install`);
  return spawnSync(process.execPath, [TSC, ...args], { cwd: ROOT, encoding: 'utf8' });
}

test('the typed example and the parity checks compile, and the example runs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-types-'));
  try {
    const r = tsc('-p', TYPES, '--noEmit', 'false', '--rootDir', ROOT, '--outDir', path.join(dir, 'out'));
    assert.equal(r.status, 0, `tsc reported:\n${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    // The emitted require('rsnet') resolves through a node_modules link to this package.
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'rsnet'), 'dir');
    const example = fs.readdirSync(path.join(dir, 'out'), { recursive: true })
      .find((f) => f.endsWith('typed-echo.js'));
    assert.ok(example, 'tsc emitted typed-echo.js');
    for (const driver of DRIVERS) {
      const run = spawnSync(process.execPath, [path.join(dir, 'out', example)], {
        encoding: 'utf8', timeout: 10000, env: { ...process.env, RSNET_DRIVER: driver },
      });
      assert.equal(run.status, 0, `${driver}: ${run.stderr}`);
      assert.equal(run.stdout, 'echoed: hello from typed rsnet\n', driver);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('deliberate type errors are reported, each where it was made', () => {
  const r = tsc('-p', path.join(TYPES, 'negative'));
  assert.equal(r.status, 2, `tsc should fail:\n${r.stdout}${r.stderr}`);
  const errors = [...r.stdout.matchAll(/wrong\.ts\((\d+),(\d+)\): error (TS\d+)/g)]
    .map(([, line, col, code]) => `${line}:${col} ${code}`);
  assert.deepEqual(errors, [
    '6:14 TS2769', // socket.write(42)
    '7:7 TS2322', // a number from remoteAddress
    '8:5 TS2339', // net.listen: no such export
    '9:20 TS2769', // allowHalfOpen: 'yes'
  ]);
});

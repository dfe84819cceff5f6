'use strict';
// The examples a new user runs (examples/register-http.js, examples/proxy-splice.js)
// run, under each driver, and exit by themselves with the output they promise.
const { DRIVERS } = require('./helpers/harness');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');

function run(driver, ...args) {
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT, encoding: 'utf8', timeout: 30000,
    env: { ...process.env, RSNET_DRIVER: driver, RSNET_REGISTER_DEBUG: '', NODE_DEBUG: '' },
  });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.signal || ''}\n${r.stderr}`);
  return r.stdout;
}

for (const driver of DRIVERS) {
  test(`[${driver}] examples/register-http.js: Node's http over rsnet under -r rsnet/register`, () => {
    const out = run(driver, '-r', 'rsnet/register', 'examples/register-http.js');
    assert.match(out, /^response: \{"hello":"world","socket":"Socket"\}$/m);
    assert.match(out, /^require\('net'\) is rsnet$/m);
    assert.match(run(driver, 'examples/register-http.js'), /^require\('net'\) is Node's net$/m);
  });

  test(`[${driver}] examples/proxy-splice.js: every byte comes back through the proxy`, () => {
    const out = run(driver, 'examples/proxy-splice.js');
    assert.match(out, /^proxy moved 67108864 bytes up, 67108864 bytes down$/m);
    assert.match(out, /^echoed 67108864 of 67108864 bytes through the proxy/m);
  });
}

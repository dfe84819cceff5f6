'use strict';
// `npm test`: the Rust unit tests, then the whole JS suite once per driver, the default (in-loop) first, then the
// threaded one. Each run is a plain `node --test` over __test__/ with RSNET_DRIVER
// set, so every parity suite, order-sensitive or not, is checked under both.
// Extra arguments (test files) narrow both runs: `npm test -- __test__/echo.test.js`.
// No --test-force-exit: under process isolation it can drop the tail of a file's results
// before they reach the runner, which then counts the file as passed with fewer tests
// (nodejs/node#64833). Every test file ends by itself instead (each has an exit guard).
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const DRIVERS = (process.env.RSNET_TEST_DRIVERS || 'loop,threaded').split(',');
const targets = process.argv.slice(2);

const failed = [];
if (targets.length === 0) {
  // The Rust unit tests of the pure parts (errno mapping, addresses, write queue).
  process.stdout.write('\n# rsnet: Rust unit tests (cargo test)\n');
  const cargo = spawnSync('cargo', ['test', '--release', '--locked'], { cwd: root, stdio: 'inherit' });
  if (cargo.status !== 0) failed.push(`cargo test (exit ${cargo.status ?? cargo.error})`);
}
for (const driver of DRIVERS) {
  process.stdout.write(`\n# rsnet: the test suite under RSNET_DRIVER=${driver}\n`);
  const result = spawnSync(process.execPath, [
    '--test', '--test-concurrency=1',
    ...(targets.length > 0 ? targets : ['__test__/']),
  ], { cwd: root, stdio: 'inherit', env: { ...process.env, RSNET_DRIVER: driver, RSNET_TEST_ONE_DRIVER: '1' } });
  if (result.status !== 0) failed.push(`${driver} (exit ${result.status ?? result.signal})`);
}
if (failed.length > 0) {
  process.stdout.write(`\n# rsnet: FAILED under ${failed.join(', ')}\n`);
  process.exit(1);
}
process.stdout.write(`\n# rsnet: passed under ${DRIVERS.join(' and ')}\n`);

'use strict';
// The fast subset of the reliability suite (reliability/, `npm run reliability`):
// the same parts and the same code, at smaller sizes, under both drivers, each
// part in child processes with RSNET_DRIVER set. Asserts 0 crashes, 0 hangs, 0
// bytes lost, 0 leaked fds, and the same codes, messages and event sequences as
// built-in net, except for the known open rsnet bugs listed in
// reliability/lib/known.js (KNOWN_DIFFERENCES below): each entry names the bug
// and why it differs; the lead empties the list as the bugs are fixed. Any other
// difference fails this test. The seed is printed; RELIABILITY_SEED=N reproduces.
const { test } = require('node:test');
const assert = require('node:assert/strict');
// Both drivers when this file runs on its own; only this run's driver when `npm test`
// runs the whole suite once per driver (RSNET_TEST_ONE_DRIVER=1).
const { DRIVERS } = require('./helpers/harness');
const KNOWN_DIFFERENCES = require('../reliability/lib/known');

// A fixed seed by default: `npm test` must pass or fail on the code, not on the draw.
// New seeds are for hunting (`npm run reliability`, or RELIABILITY_SEED=random here).
const SEED = process.env.RELIABILITY_SEED === 'random'
  ? Math.floor(Math.random() * 2 ** 31)
  : Number(process.env.RELIABILITY_SEED) || 777;
// Sizes chosen to keep the file under a minute per driver on a shared 2-core machine
// (npm test runs it once per driver; run alone it covers both).
const OPTS = {
  quick: true,
  seed: SEED,
  count: 300, // bad-input calls
  storm: 1000, // faults: refused connects
  bytes: 16 * 1024 * 1024, // nothing-lost, each way
  cycles: 2000, // no-leaks (RSS is reported, not gated, at this size)
  flood: 32 * 1024 * 1024, // slow-consumer
  lifecycleSizes: { 'exit-open': 10000, workers: '6x2' },
};

process.stdout.write(`# reliability seed ${SEED} (RELIABILITY_SEED=${SEED} reproduces)\n`);

function explain(r) {
  const diffs = ((r.details && r.details.diffs) || []).filter((d) => !d.known);
  return `${r.figure}\n${diffs.slice(0, 5).map((d) => JSON.stringify(d).slice(0, 800)).join('\n')}`;
}

for (const driver of DRIVERS) {
  test(`bad input (${driver}): same throws and async errors as net, no crash, no hang`, { timeout: 120000 }, async () => {
    const r = await require('../reliability/parts/bad-input').run({ ...OPTS, driver });
    assert.equal(r.metrics.crashes, 0, explain(r));
    assert.equal(r.metrics.hangs, 0, explain(r));
    assert.equal(r.metrics.unknown, 0, `differences from net not in KNOWN_DIFFERENCES.badInput: ${explain(r)}`);
    assert.ok(r.metrics.calls >= 300);
  });

  test(`faults (${driver}): same event sequences as net, no crash, no hang`, { timeout: 120000 }, async () => {
    const r = await require('../reliability/parts/faults').run({ ...OPTS, driver });
    assert.equal(r.metrics.crashes, 0, explain(r));
    assert.equal(r.metrics.hangs, 0, explain(r));
    assert.equal(r.metrics.unknown, 0, `differences from net not in KNOWN_DIFFERENCES.faults: ${explain(r)}`);
  });

  test(`throwing handlers (${driver}): a throw caught by 'uncaughtException' or a domain leaves the same events as on net, no crash, no hang`, { timeout: 180000 }, async () => {
    const r = await require('../reliability/parts/throwing-handlers').run({ ...OPTS, driver });
    assert.equal(r.metrics.crashes, 0, explain(r));
    assert.equal(r.metrics.hangs, 0, explain(r));
    assert.equal(r.metrics.diffs, 0, explain(r));
  });

  test(`nothing lost (${driver}): SHA-256 equal through echo and pipe proxy`, { timeout: 120000 }, async () => {
    const r = await require('../reliability/parts/nothing-lost').run({ ...OPTS, driver });
    for (const mode of ['echo', 'proxy']) {
      assert.equal(r.metrics[mode].lost, 0, `${mode}: ${r.figure}`);
      assert.ok(r.metrics[mode].intact, `${mode}: ${r.figure}`);
    }
  });

  test(`no leaks (${driver}): fds back to baseline, no connection left`, { timeout: 120000 }, async () => {
    const r = await require('../reliability/parts/no-leaks').run({ ...OPTS, driver });
    assert.equal(r.metrics.fdLeak, 0, r.figure);
    assert.equal(r.metrics.rss.conns, 0, r.figure);
    assert.ok(r.ok, r.figure);
  });

  test(`slow consumer (${driver}): every byte, peak RSS bounded and no worse than net`, { timeout: 120000 }, async () => {
    const r = await require('../reliability/parts/slow-consumer').run({ ...OPTS, driver });
    assert.equal(r.metrics.received, r.metrics.bytes, r.figure);
    assert.ok(r.ok, r.figure);
  });

  test(`lifecycle (${driver}): exit with 10,000 open sockets, workers terminated mid-transfer, unref'd server: exit 0`, { timeout: 120000 }, async () => {
    const r = await require('../reliability/parts/lifecycle').run({ ...OPTS, driver });
    for (const [s, m] of Object.entries(r.metrics)) assert.equal(m.rsnet, 'ok', `${s}: ${r.figure}`);
  });
}

test('the known-difference list names every entry and says why', () => {
  for (const list of Object.values(KNOWN_DIFFERENCES)) {
    for (const k of list) {
      assert.ok(k.id && k.why && typeof k.match === 'function', JSON.stringify(k));
    }
  }
});

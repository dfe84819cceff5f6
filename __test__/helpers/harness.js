'use strict';
// THE one place that loads the two implementations under comparison and knows the
// driver: Node's built-in `net` (the oracle) and rsnet (this checkout, found from
// this file, never by an absolute path). Test files, their child/worker fixtures and
// the reliability suite all load them from here; nothing here depends on node:test,
// so a fixture or a reliability child can require it as freely as a test file.
//
// While the addon has not been built (no rsnet.node), or with RSNET_FORCE_NET=1 (to
// check that a test is deterministic with net itself; children inherit it), the
// rsnet slot holds built-in net, with a LOUD warning: such a run proves nothing about
// rsnet. Once the addon exists, a load failure is a real failure, never a fallback.
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');

const ROOT = path.join(__dirname, '..', '..');
const ADDON = path.join(ROOT, 'rsnet.node');

// The driver of this run: loop unless RSNET_DRIVER=threaded (the addon's default is
// loop too, and every part of the suite agrees on it).
const DRIVER = process.env.RSNET_DRIVER === 'threaded' ? 'threaded' : 'loop';
const ALL_DRIVERS = ['threaded', 'loop'];
// `npm test` (scripts/test.js) runs the whole suite once per driver and says so
// (RSNET_TEST_ONE_DRIVER=1): a file then covers only the driver of its run; run on its
// own, a file that spawns its own children covers both.
const ONE_DRIVER = process.env.RSNET_TEST_ONE_DRIVER === '1';
const DRIVERS = ONE_DRIVER ? [DRIVER] : ALL_DRIVERS;

const FORCED = process.env.RSNET_FORCE_NET === '1';
const RSNET_IS_FALLBACK = FORCED || !fs.existsSync(ADDON);

function addonBuilt() {
  return !RSNET_IS_FALLBACK;
}

let warned = false;
function warnFallback() {
  if (warned) return;
  warned = true;
  const bar = '!'.repeat(78);
  const where = path.basename(process.argv[1] || 'worker');
  process.stderr.write(
    `\n${bar}\n!!! rsnet (${where}): ${FORCED ? 'RSNET_FORCE_NET=1 is set' : `${ADDON} is missing`}.\n` +
      '!!! FALLING BACK TO BUILT-IN `net` IN THE rsnet SLOT: these tests compare net\n' +
      '!!! with itself and say NOTHING about rsnet. Build the addon first.\n' +
      `${bar}\n\n`,
  );
}

let rsnet;
/** The implementation called `name` ('net' | 'rsnet'); rsnet is loaded on first use. */
function load(name) {
  if (name === 'net') return net;
  if (name !== 'rsnet') throw new Error(`unknown implementation name ${name}`);
  if (!rsnet) {
    if (RSNET_IS_FALLBACK) warnFallback();
    rsnet = RSNET_IS_FALLBACK ? net : require(ROOT);
  }
  return rsnet;
}

/** Both implementations by name; the built-in one first (it is the oracle). */
const impls = {
  net,
  get rsnet() {
    return load('rsnet');
  },
};

/** [label, module] pairs, in the order scenarios run them: built-in first. */
function implList() {
  return [['net', net], ['rsnet', load('rsnet')]];
}

module.exports = {
  ROOT,
  ADDON,
  DRIVER,
  DRIVERS,
  ALL_DRIVERS,
  ONE_DRIVER,
  RSNET_IS_FALLBACK,
  addonBuilt,
  load,
  impls,
  implList,
};

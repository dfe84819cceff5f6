'use strict';
// Differential runs that compare outcomes, failures included: runBoth() runs a
// scenario once per implementation (built-in first: it is the oracle), sequentially,
// and records what each one returned, or how it failed, so that a scenario that
// throws under one implementation only is a difference like any other. check() then
// asserts twice: built-in net produced exactly what the test expects (so nothing
// passes vacuously, and a wrong expectation shows as a test bug), and rsnet exactly
// what built-in net produced. (helpers/parity.js's runBoth instead stops at the
// first failure, and closes what its Scope tracked.)
const assert = require('node:assert/strict');
const { inspect, isDeepStrictEqual } = require('node:util');
const { implList } = require('./harness');
const { cleanupAll } = require('../fixtures/util');

// Loaded now, before any scenario runs.
const IMPLS = implList();

/** Runs `scenario(mod, label)` for each implementation; everything reg()'d is cleaned up after each. */
async function runBoth(scenario) {
  const out = {};
  for (const [label, mod] of IMPLS) {
    try {
      out[label] = await scenario(mod, label);
    } catch (e) {
      out[label] = { scenarioFailed: String((e && e.stack) || e) };
    } finally {
      cleanupAll();
    }
  }
  return out;
}

const show = (v) => inspect(v, { depth: Infinity, breakLength: 120 });

function check(out, expected) {
  if (!isDeepStrictEqual(out.net, expected)) {
    assert.fail(`TEST BUG: built-in net did not behave as this test expects\nnet:      ${show(out.net)}\nexpected: ${show(expected)}`);
  }
  if (!isDeepStrictEqual(out.rsnet, out.net)) {
    assert.fail(`rsnet differs from built-in net\nnet:   ${show(out.net)}\nrsnet: ${show(out.rsnet)}`);
  }
}

module.exports = { runBoth, check, show };

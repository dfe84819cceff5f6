'use strict';
// Part "lifecycle": process.exit() with 10,000 open sockets; 20 worker threads
// loading the module under traffic, terminated mid-transfer, 5 rounds; an unref'd
// server (and client) letting the process exit. Each runs in a child with net and
// with rsnet: both must exit by themselves with code 0, no signal, before the
// deadline.
const path = require('path');
const { runChild, childOutcome } = require('../lib/common');

const CHILD = path.join(__dirname, '..', 'children', 'lifecycle.js');
// [scenario, size, deadline ms]: sockets for exit-open, "workers x rounds" for workers.
const SCENARIOS = [['exit-open', 10000, 60000], ['workers', '20x5', 90000], ['unref', 0, 10000]];
const netCache = new Map();

async function one(mod, scenario, n, deadline, driver) {
  const r = await runChild(CHILD, [mod, scenario, String(n)], { driver, deadline });
  return { outcome: childOutcome(r), code: r.code, ms: r.ms, stderr: r.stderr.slice(0, 1000), stdout: r.stdout.slice(-300) };
}

// sizes: { 'exit-open': sockets, workers: 'NxR' } to shrink a run (the test file does).
async function run({ driver, lifecycleSizes = {} }) {
  const res = {};
  for (const [s, n0, deadline] of SCENARIOS) {
    const n = lifecycleSizes[s] || n0;
    if (!netCache.has(`${s}/${n}`)) netCache.set(`${s}/${n}`, await one('net', s, n, deadline, driver));
    res[s] = { rsnet: await one('rsnet', s, n, deadline, driver), net: netCache.get(`${s}/${n}`) };
  }
  const ok = Object.values(res).every((r) => r.rsnet.outcome === 'ok');
  return {
    ok,
    figure: Object.entries(res).map(([s, r]) => `${s}: ${r.rsnet.outcome === 'ok' ? 'exit 0' : `**${r.rsnet.outcome}**`} in ${(r.rsnet.ms / 1000).toFixed(1)}s (net ${r.net.outcome === 'ok' ? 'exit 0' : r.net.outcome} in ${(r.net.ms / 1000).toFixed(1)}s)`).join('; '),
    metrics: Object.fromEntries(Object.entries(res).map(([s, r]) => [s, { rsnet: r.rsnet.outcome, net: r.net.outcome, ms: r.rsnet.ms, netMs: r.net.ms }])),
    details: { res },
  };
}

module.exports = { name: 'lifecycle', run };

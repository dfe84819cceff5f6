'use strict';
// Part "faults": each fault scenario (children/faults.js) runs in its own child,
// twice with built-in net and once with rsnet per driver. Compared: the event
// sequence of every socket and server, and the scenario's facts. If net's two runs
// disagree the scenario is timing-dependent in net itself, and rsnet may match
// either of them (reported as "net varies"). A child that does not exit by itself
// within the deadline is a hang; an abnormal exit is a crash.
const path = require('path');
const { runChild, childOutcome } = require('../lib/common');
const known = require('../lib/known').faults;

const CHILD = path.join(__dirname, '..', 'children', 'faults.js');
const SCENARIOS = ['reset-mid-write', 'sigkill-flooder', 'sigkill-sink', 'destroy-during-connect', 'end-pending',
  'destroy-pending', 'write-after-end', 'server-close-live', 'never-reads', 'close-with-backlog', 'stdio-fd-destroy', 'refused-storm'];
// (A pipe() proxy without allowHalfOpen, fed data then a FIN, was tried and dropped:
// net itself ends it three different ways from run to run, one of them a hang.)
const DEADLINE = 30000;

async function once(mod, scenario, driver, storm) {
  const r = await runChild(CHILD, [mod, scenario, String(storm)], { driver, deadline: DEADLINE });
  const outcome = childOutcome(r);
  return { outcome, result: r.result, key: outcome === 'ok' && r.result ? JSON.stringify(r.result) : outcome, stderr: r.stderr.slice(0, 1500) };
}

const netCache = new Map();

async function run({ driver, quick, storm: stormOpt }) {
  const storm = stormOpt || (quick ? 1000 : 5000);
  const diffs = [];
  let crashes = 0;
  let hangs = 0;
  let netVaries = 0;
  const knownHits = {};
  for (const scenario of SCENARIOS) {
    const ck = `${scenario}/${storm}`;
    if (!netCache.has(ck)) netCache.set(ck, [await once('net', scenario, driver, storm), await once('net', scenario, driver, storm)]);
    const nets = netCache.get(ck);
    const rs = await once('rsnet', scenario, driver, storm);
    if (rs.outcome === 'hang') hangs++;
    else if (rs.outcome !== 'ok') crashes++;
    if (nets[0].key !== nets[1].key) netVaries++;
    if (nets.some((n) => n.key === rs.key)) continue;
    const d = { scenario, net: nets[0].result || nets[0].outcome, rsnet: rs.result || rs.outcome, stderr: rs.stderr || undefined };
    if (nets[0].key !== nets[1].key) d.net2 = nets[1].result || nets[1].outcome;
    const k = known.find((x) => x.match(scenario, d.net, d.rsnet));
    if (k) { d.known = k.id; knownHits[k.id] = (knownHits[k.id] || 0) + 1; }
    diffs.push(d);
  }
  const unknown = diffs.filter((d) => !d.known);
  return {
    ok: unknown.length === 0 && crashes === 0 && hangs === 0,
    figure: `${SCENARIOS.length} scenarios (storm ${storm} refused connects): ${SCENARIOS.length - diffs.length} same as net, ${diffs.length - unknown.length} known + ${unknown.length} new differences, ${crashes} crashes, ${hangs} hangs (net varies in ${netVaries})`,
    metrics: { scenarios: SCENARIOS.length, diffs: diffs.length, unknown: unknown.length, crashes, hangs, netVaries, known: knownHits },
    details: { diffs },
  };
}

module.exports = { name: 'faults', run, SCENARIOS };

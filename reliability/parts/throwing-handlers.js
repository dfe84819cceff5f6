'use strict';
// Part "throwing-handlers": a handler throws once, at each place an application's code
// runs (a socket's events, write and end() callbacks, a tick or microtask queued from
// 'data', a server's 'connection', Node's http request and response events), and the
// error is caught by process 'uncaughtException' or by a domain. Each case runs in a
// child, twice with built-in net and once with rsnet per driver. Compared: both
// sides' events, what was caught and whether the exchange stalled; if net's two runs
// disagree, rsnet may match either. rsnet must never crash or hang (a throw once
// aborted the process from inside Node's async-hook bookkeeping).
const path = require('path');
const { runChild, childOutcome } = require('../lib/common');

const CHILD = path.join(__dirname, '..', 'children', 'throwing-handlers.js');
const PLACES = ['connection', 'server-data', 'connect', 'data', 'tick-from-data', 'microtask-from-data',
  'write-callback', 'end-callback', 'end', 'finish', 'close', 'request', 'response-data', 'response-end'];
// A domain does not catch a throw from a microtask (net exits on it too): that pair
// would compare two uncaught-exception exits and say nothing more.
const CASES = PLACES.flatMap((where) => ['uncaught', 'domain']
  .filter((how) => !(how === 'domain' && where === 'microtask-from-data'))
  .map((how) => ({ where, how })));
const DEADLINE = 20000;

async function once(mod, { where, how }, driver) {
  const r = await runChild(CHILD, [mod, where, how], { driver, deadline: DEADLINE });
  const outcome = childOutcome(r);
  return { outcome, result: r.result, key: outcome === 'ok' && r.result ? JSON.stringify(r.result) : outcome, stderr: r.stderr.slice(0, 1500) };
}

const netCache = new Map();

async function run({ driver }) {
  const diffs = [];
  let crashes = 0;
  let hangs = 0;
  for (const c of CASES) {
    const id = `${c.where}/${c.how}`;
    if (!netCache.has(id)) netCache.set(id, [await once('net', c, driver), await once('net', c, driver)]);
    const nets = netCache.get(id);
    const rs = await once('rsnet', c, driver);
    if (rs.outcome === 'hang') hangs++;
    else if (rs.outcome !== 'ok') crashes++;
    if (nets.some((n) => n.key === rs.key)) continue;
    diffs.push({ case: id, net: nets[0].result || nets[0].outcome, rsnet: rs.result || rs.outcome, stderr: rs.stderr || undefined });
  }
  return {
    ok: diffs.length === 0 && crashes === 0 && hangs === 0,
    figure: `${CASES.length} throwing handlers: ${CASES.length - diffs.length} same as net, ${diffs.length} differences, ${crashes} crashes, ${hangs} hangs`,
    metrics: { cases: CASES.length, diffs: diffs.length, unknown: diffs.length, crashes, hangs },
    details: { diffs },
  };
}

module.exports = { name: 'throwing-handlers', run };

'use strict';
// Part "bad input": >= 1,000 generated calls with bad arguments across every public
// entry point, run in a child process per module (net, then rsnet) under one driver,
// compared call by call: same thrown code and message (or same no-throw, same return
// shape), same async events (errors by code and syscall) within a bound, same
// callback calls. A crash (abnormal exit) or a hang (no exit by the deadline) of the
// rsnet child is counted; the calls that were in flight are rerun one per child to
// pin the one responsible: they are rerun one at a time in a child, so the one
// still in flight when that child dies is the culprit.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { runChild, childOutcome } = require('../lib/common');
const { generate, describe } = require('../lib/bad-calls');
const known = require('../lib/known').badInput;

const CHILD = path.join(__dirname, '..', 'children', 'bad-input.js');

function parse(stdout) {
  const started = new Set();
  const done = new Map();
  const uncaught = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('U ')) uncaught.push(JSON.parse(line.slice(2)));
    else if (line.startsWith('S ')) started.add(Number(line.slice(2)));
    else if (line.startsWith('C ')) {
      const sp = line.indexOf(' ', 2);
      const i = Number(line.slice(2, sp));
      done.set(i, JSON.parse(line.slice(sp + 1)));
      started.delete(i);
    }
  }
  return { inflight: [...started], done, uncaught, finished: /^DONE$/m.test(stdout) };
}

// All `count` cases under one module; crashes and hangs are isolated by rerunning
// the suspects alone. Returns Map i -> outcome, plus process-level problems.
async function runModule(mod, driver, seed, count) {
  const results = new Map();
  const problems = [];
  const uncaught = [];
  const all = generate(seed, count).map((c) => c.i);
  let todo = all;
  let isolate = false;
  const queue = [];
  // One working directory for this module's run, shared by the children that rerun what
  // a crash left, where relative Unix paths are bound (the child removes what a case
  // left there, see removeHugeStringSocket). The other module's run has a directory of
  // its own, so that it never finds this one's files.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-bad-input-'));
  try {
    while (todo.length) {
      const excluded = all.filter((i) => !todo.includes(i));
      const r = await runChild(CHILD, [mod, String(seed), String(count), excluded.join(',')],
        { driver, cwd, deadline: 20000 + todo.length * 60, env: isolate ? { RELIABILITY_CONCURRENCY: '1' } : {} });
      const p = parse(r.stdout);
      for (const [i, o] of p.done) results.set(i, o);
      uncaught.push(...p.uncaught);
      const outcome = childOutcome(r);
      if (outcome !== 'ok' || !p.finished) {
        if (p.finished) {
          problems.push({ kind: outcome === 'hang' ? 'hang-at-exit' : outcome, detail: r.stderr.slice(0, 2000) });
        } else if (isolate && p.inflight.length) {
          // Alone in its child: this case is the one that crashed or hung.
          results.set(p.inflight[0], { i: p.inflight[0], process: outcome, stderr: r.stderr.slice(0, 1500) });
        } else {
          queue.push(...p.inflight);
        }
      }
      const remaining = todo.filter((i) => !results.has(i) && !p.inflight.includes(i));
      if (remaining.length && p.done.size === 0 && !p.inflight.length) {
        problems.push({ kind: `child failed: ${outcome}`, detail: r.stderr.slice(0, 2000) });
        break;
      }
      if (remaining.length) { todo = remaining; isolate = false; continue; }
      // Suspects of a crash or hang: rerun them sequentially.
      if (queue.length) { todo = queue.splice(0).filter((i) => !results.has(i)); isolate = true; continue; }
      todo = [];
    }
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
  return { results, problems, uncaught };
}

// What is compared of an outcome: everything the child recorded except the index.
function key(o) {
  if (!o) return 'missing';
  const { i, stderr, ms, ...rest } = o;
  return JSON.stringify(rest);
}

const netCache = new Map();

async function run({ driver, seed, quick, count }) {
  const n = count || (quick ? 1000 : 3000);
  const cases = generate(seed, n);
  // Built-in net does not read RSNET_DRIVER: its run is made once per seed and
  // count and compared with rsnet under each driver.
  const cacheKey = `${seed}/${n}`;
  if (!netCache.has(cacheKey)) netCache.set(cacheKey, await runModule('net', driver, seed, n));
  const net = netCache.get(cacheKey);
  const rs = await runModule('rsnet', driver, seed, n);
  const diffs = [];
  const knownHits = new Map();
  let netCrashes = 0;
  let crashes = 0;
  let hangs = 0;
  for (const c of cases) {
    const a = net.results.get(c.i);
    const b = rs.results.get(c.i);
    if (b && b.process) { if (b.process === 'hang') hangs++; else crashes++; }
    if (a && a.process) {
      // Built-in net itself aborts here (e.g. connect(path) on a TCP socket trips a
      // C++ assertion): there is no reference to match, only "rsnet must not crash".
      netCrashes++;
      continue;
    }
    if (key(a) === key(b)) continue;
    const d = { i: c.i, call: describe(c), net: a, rsnet: b };
    const k = known.find((x) => x.match(c, a, b));
    if (k) { knownHits.set(k.id, (knownHits.get(k.id) || 0) + 1); d.known = k.id; }
    diffs.push(d);
  }
  for (const p of rs.problems) { if (/hang/.test(p.kind)) hangs++; else crashes++; }
  // Uncaught exceptions: compared as a multiset of (code, message), since the cases
  // in flight when one escaped can differ between two runs.
  const sig = (u) => `${u.err.code}: ${u.err.message}`;
  const netU = net.uncaught.map(sig);
  for (const u of rs.uncaught) {
    const at = netU.indexOf(sig(u));
    if (at >= 0) { netU.splice(at, 1); continue; }
    diffs.push({ i: -1, call: `uncaught exception with cases ${u.inflight.join(',')} in flight: ${u.inflight.map((i) => describe(cases[i])).join(' | ')}`, net: null, rsnet: u.err });
  }
  for (const u of netU) diffs.push({ i: -1, call: 'uncaught exception in net only', net: u, rsnet: null });
  for (const d of diffs.filter((x) => x.i === -1)) {
    const k = known.find((x) => x.match(null, d.net, d.rsnet));
    if (k) { knownHits.set(k.id, (knownHits.get(k.id) || 0) + 1); d.known = k.id; }
  }
  const unknown = diffs.filter((d) => !d.known);
  return {
    ok: unknown.length === 0 && crashes === 0 && hangs === 0,
    figure: `${n} calls, ${diffs.length - unknown.length} known + ${unknown.length} new differences, ${crashes} crashes, ${hangs} hangs (net itself aborts on ${netCrashes})`,
    metrics: { calls: n, diffs: diffs.length, unknown: unknown.length, crashes, hangs, netCrashes, known: Object.fromEntries(knownHits) },
    details: { diffs, problems: { net: net.problems, rsnet: rs.problems } },
  };
}

module.exports = { name: 'bad-input', run };

'use strict';
// Part "races": reruns existing parity test files (__test__/*.test.js) N times under
// one driver, first one after the other, then N at once (at most 4 processes, on a
// 2-core machine more would mostly measure the scheduler), and counts the failing
// runs per file. A file that fails now and then is a race in rsnet (or a flaky test:
// the stderr of the first failure is kept in the details to tell which).
//   --repeat N (default 5; --quick 2)   --files echo,half-open (default: the set below)
const path = require('path');
const { ROOT, runChild, childOutcome } = require('../lib/common');

// Fast parity suites (under 5 s each) that cover event order, half-close, close
// timing and read rhythm: the places where a race would show first.
const DEFAULT_FILES = ['echo', 'half-open', 'close-timing', 'read-turns'];
const PARALLEL = 4;

function file(f) {
  return path.join(ROOT, '__test__', f.endsWith('.js') ? f : `${f}.test.js`);
}

async function once(f, driver) {
  // No --test-force-exit (as in scripts/test.js): it can drop the tail of a file's
  // results and still exit 0 (nodejs/node#64833), which would hide a failing run here.
  const r = await runChild('--test', [file(f)], { driver, deadline: 180000 });
  const outcome = childOutcome(r);
  return { failed: outcome !== 'ok', outcome, tail: outcome === 'ok' ? '' : (r.stdout.split('\n').filter((l) => /not ok|fail|Error/.test(l)).slice(0, 10).join('\n') + r.stderr).slice(0, 1500) };
}

async function run({ driver, quick, repeat, files }) {
  const n = repeat || (quick ? 2 : 5);
  const list = files || DEFAULT_FILES;
  const per = {};
  for (const f of list) {
    const seq = [];
    for (let i = 0; i < n; i++) seq.push(await once(f, driver));
    const par = [];
    for (let i = 0; i < n; i += PARALLEL) {
      par.push(...await Promise.all(Array.from({ length: Math.min(PARALLEL, n - i) }, () => once(f, driver))));
    }
    per[f] = { seqFail: seq.filter((x) => x.failed).length, parFail: par.filter((x) => x.failed).length, firstFailure: [...seq, ...par].find((x) => x.failed) };
  }
  const total = Object.values(per).reduce((a, p) => a + p.seqFail + p.parFail, 0);
  return {
    ok: total === 0,
    figure: `${n}x sequential + ${n}x parallel: ${list.map((f) => `${f} ${per[f].seqFail}+${per[f].parFail} failed`).join(', ')}`,
    metrics: { repeat: n, failures: total, per: Object.fromEntries(Object.entries(per).map(([f, p]) => [f, { seq: p.seqFail, par: p.parFail }])) },
    details: { per },
  };
}

module.exports = { name: 'races', run, DEFAULT_FILES };

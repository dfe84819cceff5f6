'use strict';
// CPU time from /proc, shared by the runner (which samples the process under test
// from outside) and the client scripts (which sample themselves): a process's, and
// each of its threads', utime+stime in seconds. Linux only; NaN / {} elsewhere.
const fs = require('node:fs');

// utime+stime of a /proc .../stat file, and the thread's name (comm).
function readStat(file, clkTck) {
  try {
    const s = fs.readFileSync(file, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { name: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), s: (Number(f[11]) + Number(f[12])) / clkTck };
  } catch {
    return { name: null, s: NaN };
  }
}

// { tid: { name, s } } for every live thread of `pid`.
function threadTimes(pid, clkTck) {
  const out = {};
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {}
  for (const tid of tids) {
    const t = readStat(`/proc/${pid}/task/${tid}/stat`, clkTck);
    if (t.name !== null) out[tid] = t;
  }
  return out;
}

// CPU seconds each thread other than the main (JS) one used between two
// threadTimes() samples, summed per thread name ("rsnet-io", "V8 DefaultWorke",
// "libuv-worker", ...), and the most any single one of them used. A thread that
// ended in between is missing; one born in between counts from zero.
function otherThreads(before, after, mainTid) {
  const byName = {};
  let busiest = 0;
  for (const [tid, t] of Object.entries(after)) {
    if (Number(tid) === mainTid) continue;
    const used = t.s - (before[tid] ? before[tid].s : 0);
    if (!(used > 0)) continue;
    byName[t.name] = Math.round(((byName[t.name] || 0) + used) * 100) / 100;
    busiest = Math.max(busiest, used);
  }
  return { byName, busiest: Math.round(busiest * 100) / 100 };
}

module.exports = { readStat, threadTimes, otherThreads };

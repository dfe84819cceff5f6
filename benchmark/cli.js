'use strict';
// Small helpers for the benchmark child scripts: `--key value` options, loud
// failure, and the process's own CPU time (whole process, JS main thread, the others).
const { readStat, threadTimes, otherThreads } = require('./proc-stat');

function parseOptions(argv, defaults) {
  const opt = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in defaults) || i + 1 >= argv.length) fail(`bad option ${argv[i]}`);
    opt[key] = Number(argv[i + 1]);
    if (!Number.isFinite(opt[key])) fail(`bad value for ${argv[i]}: ${argv[i + 1]}`);
  }
  return opt;
}

function fail(msg) {
  console.error(`FAILED (${process.env.RSNET_BENCH_MODULE || 'net'}): ${msg}`);
  process.exit(2);
}

// CPU seconds of this process, of its main (JS) thread (whose task id is the pid)
// and of each of its threads, from /proc. USER_HZ is 100 on Linux.
function cpuSeconds() {
  const sec = (file) => {
    const { s } = readStat(file, 100);
    return Number.isFinite(s) ? s : null;
  };
  return { cpu_s: sec('/proc/self/stat'), js_cpu_s: sec(`/proc/self/task/${process.pid}/stat`), threads: threadTimes(process.pid, 100) };
}

// CPU used since an earlier cpuSeconds() sample: the whole process, the JS thread,
// and the other threads (per name, and the busiest one).
function cpuSince(before) {
  const now = cpuSeconds();
  const d = (k) => (now[k] === null || before[k] === null ? null : Math.round((now[k] - before[k]) * 100) / 100);
  const others = otherThreads(before.threads, now.threads, process.pid);
  return { cpu_s: d('cpu_s'), js_cpu_s: d('js_cpu_s'), other_threads_s: others.byName, busiest_other_s: others.busiest };
}

module.exports = { parseOptions, fail, cpuSeconds, cpuSince };

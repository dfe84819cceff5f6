'use strict';
// Small helpers for the benchmark child scripts: `--key value` options, loud
// failure, and the process's own CPU time (whole process and JS main thread).
const fs = require('node:fs');

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

// CPU seconds of this process and of its main (JS) thread, from /proc: the main
// thread's task id equals the pid. USER_HZ is 100 on Linux.
function cpuSeconds() {
  const ticks = (file) => {
    try {
      const stat = fs.readFileSync(file, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      return null;
    }
  };
  return { cpu_s: ticks('/proc/self/stat'), js_cpu_s: ticks(`/proc/self/task/${process.pid}/stat`) };
}

// CPU used since an earlier cpuSeconds() sample.
function cpuSince(before) {
  const now = cpuSeconds();
  const d = (k) => (now[k] === null || before[k] === null ? null : Math.round((now[k] - before[k]) * 100) / 100);
  return { cpu_s: d('cpu_s'), js_cpu_s: d('js_cpu_s') };
}

module.exports = { parseOptions, fail, cpuSeconds, cpuSince };

'use strict';
// The counting mode (`node benchmark/run.js --count`): instructions (callgrind) and
// syscalls (strace -f -c) per operation, for net and each rsnet driver, each in one
// process that is both client and server (count-ops.js). Each run does two warm-ups
// on fresh connections (V8 optimises the hot paths meanwhile, then recompiles for the
// second connections' maps) with callgrind's instrumentation off, then
// n or 6n counted operations; every figure is the difference of the two runs
// divided by 5n, so start-up, the switch and exit cancel, and what is left is the
// steady cost of one operation. Counts, unlike
// times, do not move when other work shares the CPU. See benchmark/README.md.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const procs = require('./procs');
const system = require('./system');

const SCRIPT = path.join(system.BENCH, 'count-ops.js');

// warmup and n are in the op's unit. The first warm-up runs until V8 has (nearly)
// stopped optimising functions (counted with --trace-opt); before that, an
// optimisation landing in one run of a pair shifts its count by millions of
// instructions: with a warm-up of 400 requests, 64% of the http figure was
// TurboFan compiling. The second, on new connections, lets V8 deoptimise and
// compile again for them (new objects' maps: `wrong map` bailouts in the stream
// code) before counting, not during it; the counted part runs on its connections.
// Both run uninstrumented, ~10x faster than counted code. The counted part, 6n
// operations, is sized to ~300M instructions: under 30 s.
const OPS = [
  { name: 'pingpong', label: '64 B round trip, 1 connection', unit: 'round trip', warmup: [3000, 1000], n: 1000 },
  { name: 'conn', label: 'connection life: connect, 64 B echo, close', unit: 'connection', warmup: [2000, 500], n: 50 },
  { name: 'http', label: 'keep-alive HTTP request (Node `http` server + `http.Agent`)', unit: 'request', warmup: [4000, 1000], n: 150 },
  { name: 'bulk', label: 'bulk echo, 64 KiB writes', unit: 'MiB', warmup: [1000, 300], n: 40 },
];
const SCALE = 6; // the big run does warmup + SCALE * n operations
const STRACE_ROUNDS = 3; // syscall counts depend a little on timing: median of 3
const RUN_TIMEOUT_S = 150;

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// `cmd` on PATH, or Debian's package `pkg` installed with apt-get (as root; with
// `apt-get update` first only if the plain install fails). Throws if neither works.
function findOrInstall(cmd, pkg) {
  const found = which(cmd);
  if (found) return { path: found, note: null };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0 || !which('apt-get')) {
    throw new Error(`${cmd} is not installed and cannot be installed here (apt-get install ${pkg}, as root)`);
  }
  const apt = (args) => spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=120', ...args], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600 * 1000 });
  console.error(`installing ${pkg} (apt-get install -y ${pkg}) ...`);
  if (apt(['install', '-y', '-q', pkg]).status !== 0) {
    console.error('apt-get install failed; running apt-get update and trying again ...');
    apt(['update', '-q']);
    apt(['install', '-y', '-q', pkg]);
  }
  const now = which(cmd);
  if (!now) throw new Error(`installing ${pkg} with apt-get failed`);
  return { path: now, note: `${pkg} was installed with apt-get` };
}

function toolVersion(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return (r.stdout || '').split('\n')[0].trim() || cmd;
}

// One run of count-ops.js under a tool; returns what the tool's log says (and, for
// callgrind, the main thread's own total, from its file of --separate-threads=yes).
// The warm-ups run with callgrind's instrumentation off: count-ops.js says when
// it is warm, callgrind_control switches it on, and a line on its stdin lets it go on.
async function runOnce(tool, impl, op, count, tmp) {
  const log = path.join(tmp, `${tool}-${impl.short}-${op.name}-${count}.log`);
  const out = path.join(tmp, `callgrind-${impl.short}-${op.name}-${count}.out`);
  const script = [process.execPath, SCRIPT, op.name, op.warmup.join(','), String(count)];
  const argv =
    tool === 'callgrind'
      ? ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${out}`, `--log-file=${log}`, ...script]
      : ['strace', '-f', '-c', '-o', log, ...script];
  const env = { ...process.env, RSNET_BENCH_MODULE: impl.module, RSNET_BENCH_MAX_SECONDS: String(RUN_TIMEOUT_S) };
  if (impl.driver) env.RSNET_DRIVER = impl.driver;
  else delete env.RSNET_DRIVER;
  const t0 = Date.now();
  const c = procs.start(`${tool} ${impl.id} ${op.name} ${count}`, argv, { env, timeoutS: RUN_TIMEOUT_S });
  await procs.nextJson(c, RUN_TIMEOUT_S);
  const t1 = Date.now();
  if (tool === 'callgrind') {
    const on = spawnSync('callgrind_control', ['-i', 'on', String(c.pid)], { encoding: 'utf8', timeout: 60 * 1000 });
    if (on.status !== 0) throw new Error(`callgrind_control -i on failed: ${(on.stderr || on.stdout || '').trim()}`);
  }
  c.child.stdin.write('go\n');
  const result = await procs.runToEnd(c);
  if ((result.driver || null) !== impl.driver) throw new Error(`${impl.id} ran driver ${result.driver}`);
  const text = fs.readFileSync(log, 'utf8');
  fs.rmSync(log, { force: true });
  const main = tool === 'callgrind' ? mainThreadTotal(out) : null;
  const seconds = (Date.now() - t1) / 1000; // the counted part
  if (tool === 'callgrind') console.error(`  ${c.label}: ${Math.round((t1 - t0) / 1000)} s to warm up, ${Math.round(seconds)} s counted`);
  return tool === 'callgrind' ? { total: parseCallgrind(text), main, seconds } : { ...parseStrace(text), seconds };
}

// The instructions of the main (JS) thread: the `totals:` line of its file (`-01`)
// among the per-thread files callgrind wrote at `out`-NN, which are removed.
function mainThreadTotal(out) {
  const dir = path.dirname(out);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(`${path.basename(out)}-`));
  const first = files.find((f) => /-0*1$/.test(f));
  const text = first ? fs.readFileSync(path.join(dir, first), 'utf8') : '';
  for (const f of files) fs.rmSync(path.join(dir, f), { force: true });
  const m = text.match(/^(?:totals|summary):\s*(\d+)/m);
  if (!m) throw new Error(`no totals line in callgrind's main-thread file (${files.join(', ') || 'no files'})`);
  return Number(m[1]);
}

function parseCallgrind(text) {
  const m = text.match(/Collected\s*:\s*(\d+)/);
  if (!m) throw new Error(`no "Collected" line in callgrind's log: ${text.trim().split('\n').slice(-3).join(' | ')}`);
  return Number(m[1]);
}

// strace -c's table: "% time  seconds  usecs/call  calls  [errors]  syscall"; the
// errors column is blank when there were none, so calls is always the 4th field.
function parseStrace(text) {
  const by = {};
  let total = null;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^\d+\.\d+$/.test(f[0]) || !/^\d+$/.test(f[3])) continue;
    const name = f[f.length - 1];
    if (name === 'total') total = Number(f[3]);
    else by[name] = Number(f[3]);
  }
  if (total === null) throw new Error(`no total line in strace's summary: ${text.trim().split('\n').slice(-3).join(' | ')}`);
  return { total, by };
}

const median = (xs) => {
  const v = xs.slice().sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

// The per-operation figures of one implementation on one op.
async function measureOp(impl, op, tmp, slow) {
  const small = op.n;
  const big = SCALE * op.n;
  const per = (a, b) => (b - a) / ((SCALE - 1) * op.n);
  const out = {};

  // The two callgrind runs go side by side (instruction counts do not depend on
  // what else runs); the strace runs one at a time, since timing moves them a little.
  const [cgSmall, cgBig] = await Promise.all([runOnce('callgrind', impl, op, small, tmp), runOnce('callgrind', impl, op, big, tmp)]);
  out.instructions = per(cgSmall.total, cgBig.total);
  out.mainInstructions = per(cgSmall.main, cgBig.main);
  out.smallInstructions = cgSmall.total;
  if (Math.max(cgSmall.seconds, cgBig.seconds) > 30) slow.push(`${op.name} ${impl.id}: the counted part of a callgrind run took ${Math.round(Math.max(cgSmall.seconds, cgBig.seconds))} s`);

  const rounds = [];
  for (let r = 0; r < STRACE_ROUNDS; r++) {
    const a = await runOnce('strace', impl, op, small, tmp);
    const b = await runOnce('strace', impl, op, big, tmp);
    const by = {};
    for (const name of new Set([...Object.keys(a.by), ...Object.keys(b.by)])) by[name] = per(a.by[name] || 0, b.by[name] || 0);
    rounds.push({ total: per(a.total, b.total), by });
  }
  const totals = rounds.map((r) => r.total);
  out.syscalls = median(totals);
  out.syscallRounds = totals;
  out.syscallsBy = rounds.find((r) => r.total === out.syscalls)?.by || rounds[0].by;
  return out;
}

function fmtCount(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (a >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(1);
}

const ratio = (x, base) => (Number.isFinite(x) && base > 0 ? `${(x / base).toFixed(2)}x` : '-');

function buildTable(ops, impls, results) {
  const header = ['operation', 'metric', ...impls.map((i, k) => (k === 0 ? i.id : `${i.id} (${i.short}/net)`))];
  const rows = [];
  for (const op of ops) {
    for (const [key, metric] of [
      ['instructions', `instructions per ${op.unit}`],
      ['mainInstructions', `main-thread instructions per ${op.unit}`],
      ['syscalls', `syscalls per ${op.unit}`],
    ]) {
      const base = results[op.name][impls[0].id];
      const cells = impls.map((impl, k) => {
        const r = results[op.name][impl.id];
        if (!r || r.error) return 'FAILED';
        const v = fmtCount(r[key]);
        return k === 0 || !base || base.error ? v : `${v} (${ratio(r[key], base[key])})`;
      });
      rows.push([op.label, metric, ...cells]);
    }
  }
  return { header, rows };
}

function markdown({ header, rows }) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, k) => (k < 2 ? '---' : '--:'))), ...rows.map(line)].join('\n');
}

// Per op and implementation, the syscalls that make up the count (per operation,
// from the median strace round), largest first.
function syscallDetail(ops, impls, results) {
  const out = [];
  for (const op of ops) {
    out.push(`**${op.label}** (per ${op.unit}):\n`);
    for (const impl of impls) {
      const r = results[op.name][impl.id];
      if (!r || r.error) continue;
      const parts = Object.entries(r.syscallsBy)
        .filter(([, v]) => Math.abs(v) >= 0.05)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v.toFixed(2)}`);
      const rounds = r.syscallRounds.map((v) => v.toFixed(2)).join(', ');
      out.push(`- ${impl.id}: ${parts.join(', ') || 'none'} (rounds: ${rounds})`);
    }
    out.push('');
  }
  return out.join('\n');
}

function writeResults(file, { info, command, impls, ops, table, results, errors, notes, tools }) {
  const sizes = ops.map((op) => `${op.name}: ${op.warmup.join(' + ')} + ${op.n} / ${SCALE * op.n} ${op.unit === 'MiB' ? 'MiB' : `${op.unit}s`}`).join('; ');
  const doc = `# rsnet counting benchmark: instructions and syscalls per operation

Made by \`${command}\` on ${info.date}.

- Node ${info.node}, ${info.kernel}, ${info.cpuModel}, ${info.cores} cores; ${info.rsnetBuild}.
- Tools: ${tools.join('; ')}.
- Implementations: ${impls.map((i) => (i.driver ? `${i.id} = rsnet with RSNET_DRIVER=${i.driver}` : `${i.id} = Node's built-in net`)).join('; ')}.
- Each figure comes from one process that is both client and server (\`benchmark/count-ops.js\`, the same file for every column), run twice per tool: two warm-ups (the second on fresh connections), then n or ${SCALE}n operations on the second's connections (${sizes}). The figure is (count(big) - count(small)) / (${SCALE - 1}n), so start-up and exit cancel.
- Instructions: \`valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes\`, instrumentation switched on (\`callgrind_control -i on\`) after the warm-ups, all threads (callgrind's "Collected") and the main (JS) thread alone, one pair of runs. Syscalls: \`strace -f -c\`, all threads, the median of ${STRACE_ROUNDS} pairs of runs (they depend a little on timing: how many bytes one read finds, how often a thread sleeps).
- Ratios are rsnet over net: below 1 is fewer than net.

${markdown(table)}

## Syscalls, by name

${syscallDetail(ops, impls, results)}
## Raw

Instructions counted in the small run (n operations and exit): ${ops
    .map((op) => `${op.name}: ${impls.map((i) => `${i.short} ${fmtCount(results[op.name][i.id]?.smallInstructions)}`).join(', ')}`)
    .join('; ')}.
${notes.length ? `\n## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}${errors.length ? `\n## Failures\n\n${errors.map((e) => `- ${e}`).join('\n')}\n` : ''}`;
  fs.writeFileSync(file, doc);
}

async function runCount(opt, impls, warn, notes) {
  const tools = [];
  for (const [cmd, pkg] of [
    ['valgrind', 'valgrind'],
    ['strace', 'strace'],
  ]) {
    const t = findOrInstall(cmd, pkg);
    if (t.note) notes.push(t.note);
    tools.push(toolVersion(cmd));
  }
  let ops = OPS;
  if (opt.only) {
    const unknown = opt.only.filter((n) => !OPS.some((o) => o.name === n));
    if (unknown.length) throw new Error(`--count takes --only ${OPS.map((o) => o.name).join(',')}; unknown: ${unknown.join(', ')}`);
    ops = OPS.filter((o) => opt.only.includes(o.name));
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-count-'));
  const results = {};
  const errors = [];
  const slow = [];
  const t0 = Date.now();
  const stampBefore = JSON.stringify(system.addonStamp());
  try {
    for (const op of ops) {
      results[op.name] = {};
      for (const impl of impls) {
        const tag = `${op.name} ${impl.id}`;
        try {
          const r = await measureOp(impl, op, tmp, slow);
          results[op.name][impl.id] = r;
          console.error(`${tag}: ${fmtCount(r.instructions)} instructions, ${r.syscalls.toFixed(2)} syscalls per ${op.unit} (${((Date.now() - t0) / 1000).toFixed(0)}s)`);
        } catch (err) {
          const msg = String(err.message || err).replace(/\s+/g, ' ');
          results[op.name][impl.id] = { error: msg };
          errors.push(`${tag}: ${msg}`);
          console.error(`${tag}: FAILED: ${msg}`);
        }
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (JSON.stringify(system.addonStamp()) !== stampBefore) warn('rsnet.node changed (rebuilt) while the benchmark ran: run again');
  for (const s of slow) warn(`slow: ${s} (meant to stay under 30 s; the counts are still valid)`);
  const table = buildTable(ops, impls, results);
  console.log(`\n${markdown(table)}\n`);
  for (const note of notes) console.log(`note: ${note}`);
  const command = `node benchmark/run.js ${process.argv.slice(2).join(' ')}`.trim();
  writeResults(opt.out, { info: system.machineInfo(), command, impls, ops, table, results, errors, notes, tools });
  console.error(`wrote ${path.relative(process.cwd(), opt.out)} (${((Date.now() - t0) / 1000).toFixed(0)}s)`);
  return errors.length;
}

module.exports = { runCount, OPS };

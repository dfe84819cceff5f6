#!/usr/bin/env node
'use strict';
// rsnet benchmark runner (`npm run bench`). Builds the loadgen, then for every
// mode runs the implementations interleaved round by round (net, rsnet, rust
// ceiling, net, rsnet, ...), and prints one table of medians and ratios; the
// same table goes to benchmark/RESULTS.md. See benchmark/README.md.
//
//   node benchmark/run.js [--quick] [--rounds N] [--only mode1,mode2]
//                         [--modules net,rsnet] [--duration S] [--warmup S]
const os = require('node:os');
const path = require('node:path');
const procs = require('./runner/procs');
const system = require('./runner/system');
const { MODES } = require('./runner/modes');
const { measure } = require('./runner/execute');
const { buildTable, markdown, writeResults } = require('./runner/report');

function parseCli(argv) {
  const o = { quick: false, rounds: 3, only: null, modules: 'net,rsnet', duration: null, warmup: null, out: path.join(__dirname, 'RESULTS.md') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--only') o.only = val().split(',').filter(Boolean);
    else if (a === '--modules') o.modules = val();
    else if (a === '--duration') o.duration = Number(val());
    else if (a === '--warmup') o.warmup = Number(val());
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown option ${a}`);
  }
  if (!(o.rounds >= 1)) usage('--rounds must be >= 1');
  return o;
}

function usage(err) {
  if (err) console.error(`run.js: ${err}`);
  console.error(`usage: node benchmark/run.js [--quick] [--rounds N] [--only MODES] [--modules net,rsnet] [--duration S] [--warmup S] [--out FILE]
modes: ${MODES.map((m) => m.name).join(', ')}`);
  process.exit(err ? 64 : 0);
}

async function main() {
  const opt = parseCli(process.argv.slice(2));
  procs.installCleanup();
  const notes = [];
  const warn = (msg) => {
    console.error(`WARNING: ${msg}`);
    notes.push(msg);
  };

  // Modules under test. If rsnet does not load, fall back to net alone.
  let modules = opt.modules.split(',').filter(Boolean);
  for (const m of modules) if (m !== 'net' && m !== 'rsnet') usage(`--modules takes net and/or rsnet, got ${m}`);
  if (modules.length > 2) usage('--modules takes at most two modules (A,B: the ratio is B/A)');
  if (modules.includes('rsnet')) {
    const problem = system.rsnetProblem();
    if (problem) {
      warn(`rsnet could not be loaded (${problem}); benchmarking net only. Build it with \`npm run build\`.`);
      modules = modules.filter((m) => m !== 'rsnet');
    }
  }
  if (!modules.length) modules = ['net'];
  const dup = modules.length === 2 && modules[0] === modules[1];
  const impls = modules.map((m, i) => ({ id: dup ? `${m}#${i + 1}` : m, module: m }));
  impls.push({ id: 'rust', module: null });

  // Modes.
  let modes = MODES;
  if (opt.only) {
    const unknown = opt.only.filter((n) => !MODES.some((m) => m.name === n));
    if (unknown.length) usage(`unknown mode(s) ${unknown.join(', ')}`);
    modes = MODES.filter((m) => opt.only.includes(m.name));
  }
  if (modes.some((m) => m.pin) && !system.hasTaskset()) {
    warn('taskset is not available: skipping the pinned mode');
    modes = modes.filter((m) => !m.pin);
  }

  console.error('building loadgen (cargo build --release) ...');
  const loadgen = system.buildLoadgen();

  const ctx = {
    loadgen,
    clkTck: system.clkTck(),
    duration: opt.duration || (opt.quick ? 0.7 : 4),
    warmup: opt.warmup ?? (opt.quick ? 0.2 : 1),
    stall: opt.quick ? 5 : 10, // seconds without echo progress before a run is declared stalled
    hold: opt.quick ? 0.3 : 1,
    concurrentConns: 10000,
  };
  // 10k held connections need ~10k descriptors in the server and in loadgen.
  if (modes.some((m) => m.kind === 'concurrent')) {
    const limit = system.raiseFdLimit(65536);
    if (!(limit >= ctx.concurrentConns + 512)) {
      ctx.concurrentConns = Math.max(100, (limit || 1024) - 512);
      warn(`open-files limit is ${limit} and cannot be raised: the concurrent mode uses ${ctx.concurrentConns} connections instead of 10000`);
    }
  }
  // In --quick mode the ceiling runs once per mode instead of every round, to fit in 2 minutes.
  const ceilingRounds = opt.quick ? 1 : opt.rounds;
  if (opt.quick) notes.push('--quick: short runs; the rust ceiling ran 1 round per mode, net/rsnet ran every round. Use the default run for numbers worth quoting.');
  const settings = `${opt.rounds} rounds, ${ctx.warmup}s warm-up + ${ctx.duration}s measured per run, concurrent mode ${ctx.concurrentConns} conns`;
  console.error(`modules: ${impls.map((i) => i.id).join(', ')}; ${settings}`);

  const busy = system.busyFraction(1000);
  if (busy > 0.1) {
    warn(`the machine was ${Math.round(busy * 100)}% busy with other work before the run started (load average ${os.loadavg()[0].toFixed(1)}): expect skewed, noisy numbers`);
  } else if (Number.isFinite(busy)) {
    notes.push(`the machine was ${Math.round(busy * 100)}% busy before the run started`);
  }

  const results = {};
  const errors = [];
  const total = modes.length * ((impls.length - 1) * opt.rounds + ceilingRounds);
  let n = 0;
  const t0 = Date.now();
  for (const mode of modes) {
    results[mode.name] = {};
    for (let round = 1; round <= opt.rounds; round++) {
      for (const impl of impls) {
        if (!impl.module && round > ceilingRounds) continue;
        n++;
        const tag = `[${n}/${total}] ${mode.name} r${round} ${impl.id}`;
        const runs = (results[mode.name][impl.id] ||= []);
        try {
          const metrics = await measure(ctx, mode, impl);
          runs.push({ ok: true, metrics });
          const first = mode.metrics[0];
          console.error(`${tag}: ${first.label} ${Number(metrics[first.key]).toFixed(1)}`);
        } catch (err) {
          const msg = String(err.message || err).replace(/\s+/g, ' ');
          runs.push({ ok: false, error: msg });
          errors.push(`${mode.name} round ${round} ${impl.id}: ${msg}`);
          console.error(`${tag}: FAILED: ${msg}`);
        }
      }
    }
  }

  const table = buildTable(modes, results, impls);
  const [a, b] = impls;
  if (b.module) console.log(`\nratio = ${b.id}/${a.id} (medians). better=higher: ratio > 1 favours ${b.id}; better=lower: ratio < 1 favours ${b.id}.`);
  console.log(`\n${markdown(table)}\n`);
  for (const note of notes) console.log(`note: ${note}`);
  if (errors.length) console.log(`${errors.length} run(s) failed; see ${path.relative(process.cwd(), opt.out)}`);
  const command = `node benchmark/run.js ${process.argv.slice(2).join(' ')}`.trim();
  writeResults(opt.out, { info: system.machineInfo(), command, settings, notes, table, errors, results, impls });
  console.error(`wrote ${path.relative(process.cwd(), opt.out)} (${((Date.now() - t0) / 1000).toFixed(0)}s of measuring)`);
}

main().then(
  () => {
    procs.killAll();
    process.exit(0);
  },
  (err) => {
    console.error(`run.js: ${err.stack || err}`);
    procs.killAll();
    process.exit(1);
  },
);

#!/usr/bin/env node
'use strict';
// rsnet benchmark runner (`npm run bench`). Builds the loadgen, then for every
// mode runs the implementations interleaved round by round (net, rsnet (loop),
// rsnet (threaded), rust ceiling, net, ...), each process pinned to its CPU, and
// prints one table of medians with each rsnet driver's ratio to net; the same
// table goes to benchmark/RESULTS.md. With --count it counts instead
// (runner/count.js): instructions and syscalls per operation, into RESULTS-count.md.
// See benchmark/README.md.
//
//   node benchmark/run.js [--quick] [--rounds N] [--only mode1,mode2]
//                         [--drivers loop,threaded] [--aa] [--pin TEST,LOAD|none]
//                         [--http-load wrk|loadgen] [--duration S] [--warmup S] [--out FILE]
//   node benchmark/run.js --count [--only pingpong,conn,http,bulk] [--drivers loop,threaded] [--out FILE]
const os = require('node:os');
const path = require('node:path');
const procs = require('./runner/procs');
const system = require('./runner/system');
const { MODES, HTTP_CONNS } = require('./runner/modes');
const { measure, cpusFor } = require('./runner/execute');
const { buildTable, markdown, writeResults, howToRead } = require('./runner/report');
const { runCount, OPS: COUNT_OPS } = require('./runner/count');

const DRIVERS = ['loop', 'threaded'];

function parseCli(argv) {
  const o = {
    quick: false,
    count: false,
    rounds: 3,
    only: null,
    drivers: DRIVERS.slice(),
    aa: false,
    pin: null,
    httpLoad: 'wrk',
    duration: null,
    warmup: null,
    out: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--count') o.count = true;
    else if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--only') o.only = val().split(',').filter(Boolean);
    else if (a === '--drivers') o.drivers = val().split(',').filter((d) => d && d !== 'none');
    else if (a === '--aa') o.aa = true;
    else if (a === '--pin') o.pin = val();
    else if (a === '--http-load') o.httpLoad = val();
    else if (a === '--duration') o.duration = Number(val());
    else if (a === '--warmup') o.warmup = Number(val());
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--modules') usage('--modules is gone: net is always the first column; choose rsnet columns with --drivers loop,threaded, and add --aa for a second net column');
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown option ${a}`);
  }
  o.out ||= path.join(__dirname, o.count ? 'RESULTS-count.md' : 'RESULTS.md');
  if (!(o.rounds >= 1)) usage('--rounds must be >= 1');
  for (const d of o.drivers) if (!DRIVERS.includes(d)) usage(`--drivers takes ${DRIVERS.join(' and/or ')} (or none), got ${d}`);
  if (!['wrk', 'loadgen'].includes(o.httpLoad)) usage('--http-load takes wrk or loadgen');
  return o;
}

function usage(err) {
  if (err) console.error(`run.js: ${err}`);
  console.error(`usage: node benchmark/run.js [--quick] [--rounds N] [--only MODES] [--drivers loop,threaded] [--aa]
                         [--pin TEST,LOAD|none] [--http-load wrk|loadgen] [--duration S] [--warmup S] [--out FILE]
       node benchmark/run.js --count [--only OPS] [--drivers loop,threaded] [--out FILE]
modes: ${MODES.map((m) => m.name).join(', ')}
--count ops: ${COUNT_OPS.map((o) => o.name).join(', ')}`);
  process.exit(err ? 64 : 0);
}

// Which CPU the process under test gets and which one the load gets, or null.
function choosePinning(opt, warn) {
  if (opt.pin === 'none') return null;
  if (!system.hasTaskset()) {
    warn('taskset is not available: nothing is pinned (as with --pin none)');
    return null;
  }
  const allowed = system.allowedCpus();
  if (opt.pin) {
    const [test, load] = opt.pin.split(',').map(Number);
    if (![test, load].every((c) => allowed.includes(c))) usage(`--pin takes TEST,LOAD from the CPUs this process may use (${allowed.join(',')}), or none`);
    return { test, load };
  }
  if (allowed.length < 2) {
    warn(`only one CPU (${allowed[0]}) is available: the process under test and the load share it in every mode`);
    return { test: allowed[0], load: allowed[0] };
  }
  return { test: allowed[0], load: allowed[1] };
}

async function main() {
  const opt = parseCli(process.argv.slice(2));
  procs.installCleanup();
  const notes = [];
  const warn = (msg) => {
    console.error(`WARNING: ${msg}`);
    notes.push(msg);
  };

  // Implementations: net first (the baseline of every ratio), then one rsnet column
  // per driver that loads and really runs, then the Rust ceiling.
  const impls = [{ id: 'net', short: 'net', module: 'net', driver: null }];
  if (opt.aa) impls.push({ id: 'net #2', short: 'net#2', module: 'net', driver: null });
  const seen = {};
  for (const d of opt.drivers) {
    const problem = system.rsnetProblem(d);
    if (problem) {
      warn(`rsnet with RSNET_DRIVER=${d} could not be used (${problem}); its column is left out. Build it with \`npm run build\`.`);
      continue;
    }
    seen[d] = (seen[d] || 0) + 1;
    const n = seen[d] > 1 ? ` #${seen[d]}` : '';
    impls.push({ id: `rsnet (${d}${n})`, short: `${d}${n.replace(' ', '')}`, module: 'rsnet', driver: d });
  }
  if (opt.count) {
    if (opt.aa) usage('--count does not take --aa: its counts barely move between runs');
    process.exitCode = (await runCount(opt, impls, warn, notes)) ? 1 : 0;
    return;
  }
  impls.push({ id: 'rust', short: 'rust', module: null, driver: null });

  const pin = choosePinning(opt, warn);

  // Modes.
  let modes = MODES;
  if (opt.only) {
    const unknown = opt.only.filter((n) => !MODES.some((m) => m.name === n));
    if (unknown.length) usage(`unknown mode(s) ${unknown.join(', ')}`);
    modes = MODES.filter((m) => opt.only.includes(m.name));
  }
  if (!pin && modes.some((m) => m.sameCpu)) {
    notes.push(`not pinned: ${modes.filter((m) => m.sameCpu).map((m) => m.name).join(', ')} (both sides on one CPU) needs taskset and was skipped`);
    modes = modes.filter((m) => !m.sameCpu);
  }

  let wrk = null;
  let httpLoad = '';
  if (modes.some((m) => m.kind === 'http-server')) {
    if (opt.httpLoad === 'wrk') {
      const found = system.findOrInstallWrk();
      if (found.note) (found.wrk ? notes.push(found.note) : warn(`${found.note}: the http-server modes use loadgen's HTTP/1.1 client instead`));
      wrk = found.wrk;
    }
    httpLoad = wrk ? `${system.wrkVersion(wrk)}, \`wrk -t1 -c${HTTP_CONNS}\` (keep-alive GETs)` : `loadgen http (HTTP/1.1 keep-alive GETs, ${HTTP_CONNS} connections)`;
  }

  console.error('building loadgen (cargo build --release) ...');
  const loadgen = system.buildLoadgen();

  const ctx = {
    loadgen,
    wrk,
    pin,
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
  if (opt.quick) notes.push('--quick: short runs; the rust ceiling ran 1 round per mode, the JS columns ran every round. Use the default run for numbers worth quoting.');
  if (wrk && modes.some((m) => m.kind === 'http-server')) {
    const wd = Math.max(1, Math.round(ctx.duration));
    notes.push(`http-server modes: wrk measures whole seconds (${wd}s here), after an unmeasured ${ctx.warmup}s warm-up by loadgen http; their CPU rows cover the measured wrk run only`);
  }
  const settings = `${opt.rounds} rounds, ${ctx.warmup}s warm-up + ${ctx.duration}s measured per run, concurrent mode ${ctx.concurrentConns} conns`;
  const setup = [
    `Implementations: ${impls.map((i) => (i.driver ? `${i.id} = rsnet with RSNET_DRIVER=${i.driver}` : i.module ? `${i.id} = Node's built-in net` : `${i.id} = plain Tokio (loadgen)`)).join('; ')}. Each rsnet process is checked to run the driver it was given.`,
    pin
      ? `Pinning (taskset): the process under test on CPU ${pin.test}; the load (loadgen, wrk, the fixed upstream servers) on CPU ${pin.load}; pingpong-1-same-cpu puts both on CPU ${pin.test}. A pinned loadgen runs one thread. rsnet's Tokio threads share its CPU.`
      : 'Pinning: none (--pin none or no taskset): the scheduler places every process.',
  ];
  if (modes.some((m) => m.kind === 'http-server')) setup.push(`HTTP: the http-server modes' load is ${httpLoad}.`);
  if (modes.some((m) => m.kind === 'tls-server' || m.upstreamScript)) {
    setup.push(`TLS: the fixed peers are Node's built-in tls/https (RSNET_BENCH_MODULE=net)${pin ? ' on the load CPU' : ''}: tls-stream's load is client-stream.js --tls 1, https-client's upstream https-server.js, tls-client-handshake's upstream tls-echo-server.js; the rsnet columns run Node's tls/https under rsnet/register with RSNET_TLS=native, each connection checked to be rsnet's native TLS; a fresh self-signed P-256 certificate per measurement, verified by every client.`);
  }
  if (modes.some((m) => m.name === 'http-client')) setup.push(`HTTP: http-client's fixed server is loadgen http-server (plain Rust)${pin ? ' on the load CPU' : ''}.`);
  console.error(`implementations: ${impls.map((i) => i.id).join(', ')}; ${settings}`);
  for (const l of setup.slice(1)) console.error(l);

  const busy = system.busyFraction(1000);
  if (busy > 0.1) {
    warn(`the machine was ${Math.round(busy * 100)}% busy with other work before the run started (load average ${os.loadavg()[0].toFixed(1)}): expect skewed, noisy numbers`);
  } else if (Number.isFinite(busy)) {
    notes.push(`the machine was ${Math.round(busy * 100)}% busy before the run started`);
  }

  const stampBefore = JSON.stringify(system.addonStamp());
  const jsBefore = system.jsLayerDigest();
  const results = {};
  const errors = [];
  const total = modes.length * ((impls.length - 1) * opt.rounds + ceilingRounds);
  let n = 0;
  const t0 = Date.now();
  for (const mode of modes) {
    results[mode.name] = {};
    for (let round = 1; round <= opt.rounds; round++) {
      for (const impl of impls) {
        if (!impl.module && (round > ceilingRounds || mode.noCeiling)) continue;
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

  if (JSON.stringify(system.addonStamp()) !== stampBefore) {
    warn('rsnet.node changed (rebuilt) while the benchmark ran: the rsnet columns mix two builds; run again');
  }
  if (system.jsLayerDigest() !== jsBefore) {
    warn("rsnet's JS layer (index.js, lib/) changed on disk while the benchmark ran: later rounds may have loaded another version; run again");
  }
  const cpusOf = (mode) => {
    const c = cpusFor(ctx, mode);
    return c ? `${c.test} / ${c.load}` : 'any';
  };
  const table = buildTable(modes, results, impls, cpusOf);
  console.log(`\n${setup.map((l) => `- ${l}`).join('\n')}\n${howToRead(impls)}`);
  console.log(`\n${markdown(table)}\n`);
  for (const note of notes) console.log(`note: ${note}`);
  if (errors.length) console.log(`${errors.length} run(s) failed; see ${path.relative(process.cwd(), opt.out)}`);
  const command = `node benchmark/run.js ${process.argv.slice(2).join(' ')}`.trim();
  writeResults(opt.out, { info: system.machineInfo(), command, settings, setup, notes, table, errors, results, impls });
  console.error(`wrote ${path.relative(process.cwd(), opt.out)} (${((Date.now() - t0) / 1000).toFixed(0)}s of measuring)`);
}

main().then(
  () => {
    procs.killAll();
    process.exit(process.exitCode || 0);
  },
  (err) => {
    console.error(`run.js: ${err.stack || err}`);
    procs.killAll();
    process.exit(1);
  },
);

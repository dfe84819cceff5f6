#!/usr/bin/env node
'use strict';
// `npm run reliability [-- options]`: runs every part of the reliability suite under
// every driver, prints one figure line per part and driver as it goes, then a
// markdown table. Exit code 1 if any part failed (a new difference from net, a
// crash, a hang, lost bytes, a leak...).
//
//   --quick            small sizes (minutes, not hours)
//   --seed N           reproduce a run (the seed is printed; default: random)
//   --parts a,b        only these parts (names below)
//   --drivers d1,d2    only these drivers (threaded, loop)
//   --repeat N         races: rerun each test file N times (sequential and parallel)
//   --files a,b        races: which __test__ files (default: a fast parity set)
//   --bytes N          nothing-lost: bytes each way (default 4 GiB, quick 64 MiB)
//   --cycles N         no-leaks: connect/echo/close cycles (default 100000, quick 5000)
//   --calls N          bad-input: generated calls (default 3000, quick 1000)
//   --flood N          slow-consumer: bytes flooded (default 1 GiB, quick 128 MiB)
//   --details FILE     write every difference and measurement as JSON (default: a temp file)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { DRIVERS } = require('./lib/common');

const PARTS = {
  'bad-input': () => require('./parts/bad-input'),
  faults: () => require('./parts/faults'),
  'throwing-handlers': () => require('./parts/throwing-handlers'),
  'nothing-lost': () => require('./parts/nothing-lost'),
  'no-leaks': () => require('./parts/no-leaks'),
  'slow-consumer': () => require('./parts/slow-consumer'),
  races: () => require('./parts/races'),
  lifecycle: () => require('./parts/lifecycle'),
};

function parseArgs(argv) {
  const o = { quick: false, seed: null, parts: Object.keys(PARTS), drivers: DRIVERS.slice() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    if (a === '--quick') o.quick = true;
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--parts') o.parts = val().split(',');
    else if (a === '--drivers') o.drivers = val().split(',');
    else if (a === '--repeat') o.repeat = Number(val());
    else if (a === '--files') o.files = val().split(',');
    else if (a === '--bytes') o.bytes = Number(val());
    else if (a === '--cycles') o.cycles = Number(val());
    else if (a === '--calls') o.count = Number(val());
    else if (a === '--flood') o.flood = Number(val());
    else if (a === '--details') o.details = val();
    else throw new Error(`unknown option ${a}`);
  }
  for (const p of o.parts) if (!PARTS[p]) throw new Error(`unknown part ${p} (parts: ${Object.keys(PARTS).join(', ')})`);
  if (o.seed === null || Number.isNaN(o.seed)) o.seed = Math.floor(Math.random() * 2 ** 31);
  return o;
}

// Runs the parts one after the other (they measure time and memory: running them
// side by side would skew each other), each under each driver.
async function runAll(o, log = (s) => process.stdout.write(`${s}\n`)) {
  const rows = [];
  for (const name of o.parts) {
    const part = PARTS[name]();
    for (const driver of o.drivers) {
      const t0 = Date.now();
      let r;
      try {
        r = await part.run({ ...o, driver });
      } catch (e) {
        r = { ok: false, figure: `harness error: ${e.stack}`, metrics: {} };
      }
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      const row = { part: name, driver, ok: r.ok, figure: r.figure, secs, metrics: r.metrics, details: r.details };
      rows.push(row);
      log(`[${name}] ${driver}: ${r.ok ? 'PASS' : 'FAIL'} ${r.figure} (${secs}s)`);
      for (const d of (r.details && r.details.diffs || []).filter((x) => !x.known).slice(0, 5)) {
        log(`    new difference: ${JSON.stringify(d).slice(0, 700)}`);
      }
    }
  }
  return rows;
}

function table(rows, o) {
  const lines = [
    `Seed ${o.seed}${o.quick ? ', --quick' : ''}, node ${process.version}, ${os.cpus().length} CPUs`,
    '',
    '| part | driver | result | figures | time |',
    '|---|---|---|---|---|',
  ];
  for (const r of rows) lines.push(`| ${r.part} | ${r.driver} | ${r.ok ? 'pass' : '**FAIL**'} | ${String(r.figure).replace(/\|/g, '\\|').replace(/\n/g, ' ')} | ${r.secs}s |`);
  return lines.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  console.log(`reliability: seed ${o.seed} (rerun with --seed ${o.seed}), parts ${o.parts.join(', ')}, drivers ${o.drivers.join(', ')}${o.quick ? ', --quick' : ''}`);
  const rows = await runAll(o);
  console.log(`\n${table(rows, o)}\n`);
  // Known differences seen, and entries not seen at all (candidates for removal once
  // the bug is fixed; some are timing-dependent, so one clean run is not proof).
  const known = require('./lib/known');
  const seen = {};
  for (const r of rows) for (const [id, n] of Object.entries((r.metrics && r.metrics.known) || {})) seen[id] = (seen[id] || 0) + n;
  const ran = (part) => o.parts.includes(part);
  const unseen = [...(ran('bad-input') ? known.badInput : []), ...(ran('faults') ? known.faults : [])].map((k) => k.id).filter((id) => !seen[id]);
  console.log(`known differences seen: ${Object.entries(seen).map(([id, n]) => `${id} x${n}`).join(', ') || 'none'}`);
  if (unseen.length) console.log(`known-difference entries not seen in this run: ${unseen.join(', ')}`);
  const file = o.details || path.join(os.tmpdir(), `rsnet-reliability-${o.seed}.json`);
  fs.writeFileSync(file, JSON.stringify(rows, null, 1));
  console.log(`details: ${file}`);
  process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
}

if (require.main === module) main();
module.exports = { runAll, table, parseArgs, PARTS };

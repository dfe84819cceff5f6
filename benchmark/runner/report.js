'use strict';
// Turns per-round results into the one results table (medians, ratio B/A, the
// Rust ceiling), prints it, and writes RESULTS.md.
const fs = require('node:fs');

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Relative spread of the successful rounds, (max - min) / median, in percent.
function spread(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  const m = median(v);
  if (v.length < 2 || !m) return null;
  return ((Math.max(...v) - Math.min(...v)) / Math.abs(m)) * 100;
}

function fmt(x) {
  if (x === null || x === undefined) return '-';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

// results[mode][implId] = [{ ok, metrics } | { ok: false, error }] in round order.
// Returns { header, rows } where a cell shows the median over successful rounds,
// with "(k/n ok)" when some rounds failed and "FAILED" when all did. The spread
// column is the larger round-to-round spread of the two modules: a ratio whose
// distance from 1 is smaller than that is noise.
function buildTable(modes, results, impls) {
  const [a, b] = impls.filter((i) => i.module);
  const ceiling = impls.find((i) => !i.module);
  const header = ['mode', 'metric', 'better', a.id];
  if (b) header.push(b.id, `${b.id}/${a.id}`);
  header.push('spread', 'rust ceiling');
  const rows = [];
  for (const mode of modes) {
    const per = results[mode.name];
    if (!per) continue;
    for (const m of mode.metrics) {
      const cell = (impl) => {
        const runs = per[impl.id] || [];
        if (!runs.length) return { text: 'n/a', v: null };
        const ok = runs.filter((r) => r.ok);
        if (!ok.length) return { text: 'FAILED', v: null };
        const vals = ok.map((r) => r.metrics[m.key]);
        const v = median(vals);
        return { text: fmt(v) + (ok.length < runs.length ? ` (${ok.length}/${runs.length} ok)` : ''), v, spread: spread(vals) };
      };
      const ca = cell(a);
      const row = [mode.name, m.label, m.better, ca.text];
      let spreads = [ca.spread];
      if (b) {
        const cb = cell(b);
        const ratio = ca.v && cb.v !== null ? `${(cb.v / ca.v).toFixed(2)}x` : '-';
        row.push(cb.text, ratio);
        spreads.push(cb.spread);
      }
      spreads = spreads.filter((x) => x != null);
      row.push(spreads.length ? `${Math.round(Math.max(...spreads))}%` : '-', cell(ceiling).text);
      rows.push(row);
    }
  }
  return { header, rows };
}

function markdown({ header, rows }) {
  const all = [header, ...rows];
  const width = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => (i < 3 ? String(c).padEnd(width[i]) : String(c).padStart(width[i]))).join(' | ')} |`;
  const sep = `|${width.map((w, i) => (i < 3 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}

function writeResults(file, { info, command, settings, notes, table, errors, results, impls }) {
  const raw = [];
  for (const [mode, per] of Object.entries(results)) {
    for (const impl of impls) {
      const runs = per[impl.id] || [];
      if (!runs.length) continue;
      const short = (k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v);
      const cells = runs.map((r) => (r.ok ? JSON.stringify(r.metrics, short) : `FAILED: ${r.error}`));
      raw.push(`- ${mode} / ${impl.id}:\n${cells.map((c, i) => `  - round ${i + 1}: \`${c}\``).join('\n')}`);
    }
  }
  const md = `# rsnet benchmark results

- Date: ${info.date}
- CPU: ${info.cpuModel}, ${info.cores} cores (${info.kernel})
- Node: ${info.node}
- Rust: ${info.rustc}
- rsnet: ${info.rsnetBuild}
- rsnet driver: ${process.env.RSNET_DRIVER === 'loop' ? 'loop (RSNET_DRIVER=loop)' : 'threaded (default)'}
- Command: \`${command}\`
- Settings: ${settings}

Each cell is the median over rounds; implementations ran interleaved within each
round. The ratio is ${impls[1] && impls[1].module ? `${impls[1].id}/${impls[0].id}` : 'n/a'}: for "higher" metrics a ratio above 1 favours
${impls[1] && impls[1].module ? impls[1].id : '-'}, for "lower" metrics (latency, CPU, memory) a ratio below 1 does.
"spread" is the larger of the two modules' (max - min) / median over rounds: a
ratio closer to 1 than that is within noise. "rust ceiling" is the same load
against plain Tokio code (see README.md).

${markdown(table)}
${notes.length ? `\n## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}${errors.length ? `\n## Failures\n\n${errors.map((e) => `- ${e}`).join('\n')}\n` : ''}
## Raw rounds

<details><summary>every measurement</summary>

${raw.join('\n')}

</details>
`;
  fs.writeFileSync(file, md);
}

module.exports = { buildTable, markdown, writeResults, median };

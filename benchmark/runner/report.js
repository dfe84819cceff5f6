'use strict';
// Turns per-round results into the one results table (medians, each rsnet driver's
// ratio to net, the Rust ceiling), prints it, and writes RESULTS.md.
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
// impls: the JS implementations first (the first one, net, is the baseline of every
// ratio), then the Rust ceiling (module null). Returns { header, rows, left } where a
// cell shows the median over successful rounds, with "(k/n ok)" when some rounds
// failed and "FAILED" when all did. Every other JS column is followed by its ratio
// to the baseline. The spread column is the largest round-to-round spread of the JS
// columns: a ratio whose distance from 1 is smaller than that is noise.
// cpusOf(mode) says which CPUs the process under test and the load had.
function buildTable(modes, results, impls, cpusOf) {
  const js = impls.filter((i) => i.module);
  const [base, ...others] = js;
  const ceiling = impls.find((i) => !i.module);
  const header = ['mode', 'metric', 'better', 'CPUs test/load', base.id];
  for (const o of others) header.push(o.id, `${o.short}/${base.short}`);
  header.push('spread');
  if (ceiling) header.push('rust ceiling');
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
      const cb = cell(base);
      const row = [mode.name, m.label, m.better, cpusOf(mode), cb.text];
      const spreads = [cb.spread];
      for (const o of others) {
        const co = cell(o);
        row.push(co.text, cb.v && co.v !== null ? `${(co.v / cb.v).toFixed(2)}x` : '-');
        spreads.push(co.spread);
      }
      const sp = spreads.filter((x) => x != null);
      row.push(sp.length ? `${Math.round(Math.max(...sp))}%` : '-');
      if (ceiling) row.push(cell(ceiling).text);
      rows.push(row);
    }
  }
  return { header, rows, left: 4 };
}

function markdown({ header, rows, left }) {
  const all = [header, ...rows];
  const width = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => (i < left ? String(c).padEnd(width[i]) : String(c).padStart(width[i]))).join(' | ')} |`;
  const sep = `|${width.map((w, i) => (i < left ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}

function writeResults(file, { info, command, settings, setup, notes, table, errors, results, impls }) {
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
- Command: \`${command}\`
- Settings: ${settings}
${setup.map((l) => `- ${l}`).join('\n')}

${howToRead(impls)}

${markdown(table)}
${notes.length ? `\n## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}${errors.length ? `\n## Failures\n\n${errors.map((e) => `- ${e}`).join('\n')}\n` : ''}
## Raw rounds

<details><summary>every measurement</summary>

${raw.join('\n')}

</details>
`;
  fs.writeFileSync(file, md);
}

// The lines above the table, in RESULTS.md and on the console.
function howToRead(impls) {
  const js = impls.filter((i) => i.module);
  const [base, ...others] = js;
  const lines = [
    `Each cell is the median over rounds; in every round the implementations ran one after the other (${impls.map((i) => i.id).join(', ')}), each in a fresh process.`,
  ];
  if (others.length) {
    lines.push(
      `${others.map((o) => `\`${o.short}/${base.short}\``).join(', ')}: the column to its left divided by ${base.id}. For "higher" metrics a ratio above 1 favours that column, for "lower" metrics (latency, CPU, memory) a ratio below 1 does.`,
    );
  }
  lines.push(
    '"spread": the largest (max - min) / median over rounds among the JS columns; a ratio closer to 1 than that is within noise.',
    '"CPUs test/load": the CPU the process under test was pinned to / the CPU of everything that drove or answered it ("any": not pinned).',
    '"rust ceiling": the same load against plain Tokio code (loadgen), pinned the same way (see README.md).',
  );
  return lines.map((l) => `- ${l}`).join('\n');
}

module.exports = { buildTable, markdown, writeResults, howToRead, median };

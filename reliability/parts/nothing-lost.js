'use strict';
// Part "nothing lost": N bytes each way through a plain echo server and through a
// pipe() proxy, under rsnet and (for a throughput reference) built-in net; the
// SHA-256 of what was sent must equal that of what came back, and the byte counts
// must match. Reports MB/s (bytes sent / time until the last byte came back).
const path = require('path');
const { runChild, childOutcome, mb, MB } = require('../lib/common');

const CHILD = path.join(__dirname, '..', 'children', 'nothing-lost.js');
const netCache = new Map();

async function one(mod, mode, bytes, seed, driver) {
  // A generous floor of 15 MB/s: slower than that is treated as a hang.
  const r = await runChild(CHILD, [mod, mode, String(bytes), String(seed)], { driver, deadline: 30000 + bytes / (15 * MB) * 1000 });
  const outcome = childOutcome(r);
  const res = r.result || {};
  const intact = outcome === 'ok' && res.sent === bytes && res.received === bytes && res.sentSha === res.receivedSha;
  return { outcome, intact, lost: Math.max(0, bytes - (res.received || 0)), mbps: res.ms ? bytes / MB / (res.ms / 1000) : 0, res, stderr: r.stderr.slice(0, 1000) };
}

async function run({ driver, quick, bytes, seed }) {
  const n = bytes || (quick ? 64 * MB : 4096 * MB);
  const out = {};
  let ok = true;
  for (const mode of ['echo', 'proxy']) {
    const ck = `${mode}/${n}/${seed}`;
    if (!netCache.has(ck)) netCache.set(ck, await one('net', mode, n, seed, driver));
    const rs = await one('rsnet', mode, n, seed, driver);
    out[mode] = { rsnet: rs, net: netCache.get(ck) };
    if (!rs.intact) ok = false;
  }
  const f = (m) => `${m}: ${out[m].rsnet.intact ? 'digests equal' : `**${out[m].rsnet.outcome}, ${out[m].rsnet.lost} bytes lost/digest differs**`}, ${out[m].rsnet.mbps.toFixed(0)} MB/s (net ${out[m].net.mbps.toFixed(0)})`;
  return {
    ok,
    figure: `${mb(n)} MiB each way; ${f('echo')}; ${f('proxy')}`,
    metrics: Object.fromEntries(Object.entries(out).map(([m, v]) => [m, { intact: v.rsnet.intact, lost: v.rsnet.lost, mbps: v.rsnet.mbps, netMbps: v.net.mbps, outcome: v.rsnet.outcome }])),
    details: { out },
  };
}

module.exports = { name: 'nothing-lost', run };

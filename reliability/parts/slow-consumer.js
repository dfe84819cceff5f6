'use strict';
// Part "slow consumer": a peer floods N bytes (1 GiB; --quick 128 MiB) into a reader
// that is paused, then slow (children/slow-consumer.js). Passes when every byte
// arrives and the reader's peak RSS growth over its pre-flood RSS is bounded
// (under 128 MiB whatever N is: a paused reader must stop reading, not buffer the
// flood) and no worse than net's growth plus 16 MiB (rsnet may hold up to two
// reads in flight per socket, in blocks larger than libuv's 64 KiB).
const path = require('path');
const { runChild, childOutcome, mb, MB } = require('../lib/common');

const CHILD = path.join(__dirname, '..', 'children', 'slow-consumer.js');
const netCache = new Map();

async function one(mod, bytes, pauseMs, driver) {
  const r = await runChild(CHILD, [mod, String(bytes), String(pauseMs)], { driver, deadline: 60000 + bytes / (5 * MB) * 1000 });
  const res = r.result || {};
  return { outcome: childOutcome(r), res, growth: res.peakRss - res.baseRss, stderr: r.stderr.slice(0, 1000) };
}

async function run({ driver, quick, flood }) {
  const n = flood || (quick ? 128 * MB : 1024 * MB);
  const pauseMs = quick ? 500 : 2000;
  if (!netCache.has(n)) netCache.set(n, await one('net', n, pauseMs, driver));
  const net = netCache.get(n);
  const rs = await one('rsnet', n, pauseMs, driver);
  const complete = rs.outcome === 'ok' && rs.res.received === n;
  const ok = complete && rs.growth < 128 * MB && rs.growth <= net.growth + 16 * MB;
  return {
    ok,
    figure: !complete ? `${rs.outcome}: received ${rs.res.received} of ${n} ${rs.stderr}`.slice(0, 400)
      : `${mb(n)} MiB flooded, all received in ${(rs.res.ms / 1000).toFixed(1)}s; peak RSS +${mb(rs.growth)} MiB over ${mb(rs.res.baseRss)} (net +${mb(net.growth)} over ${mb(net.res.baseRss)})`,
    metrics: { bytes: n, received: rs.res.received, growth: rs.growth, netGrowth: net.growth, peak: rs.res.peakRss, netPeak: net.res.peakRss },
  };
}

module.exports = { name: 'slow-consumer', run };

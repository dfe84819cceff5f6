'use strict';
// Child for the no-leaks part (argv: module cycles; run with --expose-gc).
// `cycles` connect -> write 64 bytes -> read the echo -> end -> both sides closed,
// 8 at a time, against an echo server of the same module. Measures the fd count
// (/proc/self/fd) after a warm-up and at the end, and RSS after global.gc() at a
// mark (10% of a long run) and at the end. Prints RESULT {...}.
const { loadModule, fdCount, memStatus, report } = require('../lib/common');

const [modName, cyclesArg] = process.argv.slice(2);
const net = loadModule(modName);
const CYCLES = Number(cyclesArg);
const PARALLEL = 8;
const MSG = Buffer.alloc(64, 0x61);

const settle = () => new Promise((r) => setTimeout(r, 50));
async function gcRss() {
  // Two rounds: the first frees what the second's finalizers (native handles) release.
  for (let i = 0; i < 2; i++) { global.gc(); await settle(); }
  return { rss: memStatus().rss, heap: process.memoryUsage().heapUsed };
}

function cycle(port) {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let got = 0;
    c.on('connect', () => c.write(MSG));
    c.on('data', (d) => { got += d.length; if (got >= MSG.length) c.end(); });
    c.on('error', reject);
    c.on('close', () => (got === MSG.length ? resolve() : reject(new Error(`echo short: ${got}`))));
  });
}

async function run(port, n) {
  let next = 0;
  const worker = async () => { while (next < n) { next++; await cycle(port); } };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

async function main() {
  let serverCloses = 0;
  const srv = net.createServer((s) => { s.on('data', (d) => s.write(d)); s.on('end', () => s.end()); s.on('close', () => serverCloses++); });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await run(port, 200); // warm-up: lazily created runtimes, pools and caches exist from here on
  await settle();
  const fdBase = fdCount();
  // The mark: 10% of the run (10,000 of 100,000), but never before half of a short
  // run: the first few thousand cycles still grow malloc arenas and V8's heap.
  const mark = Math.max(Math.floor(CYCLES / 10), Math.min(Math.floor(CYCLES / 2), 10000));
  const t0 = Date.now();
  await run(port, mark - 200);
  const { rss: rssMark, heap: heapMark } = await gcRss();
  await run(port, CYCLES - mark);
  const secs = (Date.now() - t0) / 1000;
  // The server side of the last connections closes a moment after the client side.
  for (let i = 0; i < 100 && serverCloses < CYCLES; i++) await settle();
  const { rss: rssEnd, heap: heapEnd } = await gcRss();
  const fdEnd = fdCount();
  const conns = await new Promise((r) => srv.getConnections((e, n) => r(e ? -1 : n)));
  srv.close();
  report({ cycles: CYCLES, fdBase, fdEnd, rssMark, rssEnd, heapMark, heapEnd, peak: memStatus().hwm, conns, serverCloses, rate: CYCLES / secs });
}
main().catch((e) => { report({ error: e.stack }); process.exitCode = 2; });

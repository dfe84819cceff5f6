'use strict';
// Child for the slow-consumer part (argv: module bytes pauseMs). A server of the
// module accepts one connection from a flooder process (built-in net: the peer is
// the environment, not the subject) that writes `bytes` as fast as it can. The
// reader stays paused for pauseMs, then reads slowly: it pauses after every chunk
// and resumes 1 ms later. Prints RESULT {received, baseRss, peakRss, ms}: peak RSS
// is the kernel's high-water mark (VmHWM), so no spike between samples is missed.
const { spawn } = require('child_process');
const { loadModule, memStatus, report } = require('../lib/common');

const [modName, bytesArg, pauseArg] = process.argv.slice(2);
const net = loadModule(modName);
const BYTES = Number(bytesArg);

const FLOODER = `
const s = require('net').connect(Number(process.argv[1]), '127.0.0.1');
const b = Buffer.alloc(1 << 20, 9); let left = ${BYTES};
const go = () => { while (left > 0) { const n = Math.min(b.length, left); left -= n; if (!s.write(n === b.length ? b : b.subarray(0, n))) return; } s.end(); };
s.on('connect', go); s.on('drain', go); s.on('error', (e) => { console.error('flooder', e.message); process.exit(2); });`;

const srv = net.createServer((s) => {
  let received = 0;
  const t0 = Date.now();
  s.pause();
  s.on('data', (d) => {
    received += d.length;
    s.pause();
    setTimeout(() => s.resume(), 1);
  });
  s.on('end', () => {
    report({ received, baseRss, peakRss: memStatus().hwm, ms: Date.now() - t0 });
    srv.close();
  });
  setTimeout(() => s.resume(), Number(pauseArg));
});
let baseRss;
srv.listen(0, '127.0.0.1', () => {
  baseRss = memStatus().rss;
  spawn(process.execPath, ['-e', FLOODER, String(srv.address().port)], { stdio: 'inherit' });
});

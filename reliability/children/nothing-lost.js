'use strict';
// Child for the nothing-lost part (argv: module mode bytes seed). A client sends
// `bytes` of seeded pseudo-random data and reads them back, with a running SHA-256
// of what it sent and of what came back:
//   mode 'echo':  client -> echo server (JS 'data' handler + write, with backpressure)
//   mode 'proxy': client -> proxy (a.pipe(b).pipe(a), spliced natively by rsnet) -> echo server
// Prints RESULT {sent, received, sentSha, receivedSha, ms}.
const crypto = require('crypto');
const { loadModule, rng, report } = require('../lib/common');

const [modName, mode, bytesArg, seedArg] = process.argv.slice(2);
const net = loadModule(modName);
const TOTAL = Number(bytesArg);
const CHUNK = 256 * 1024;

// 4 MiB of seeded bytes; chunks are windows into it at seeded offsets, so the
// stream does not repeat with a short period (a dropped or duplicated chunk
// changes the digest) and no chunk is ever modified after it is handed to write().
const r = rng(Number(seedArg));
const block = Buffer.alloc(4 * 1024 * 1024 + CHUNK);
for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((r.next() * 2 ** 32) >>> 0, i);

function listen(srv) {
  return new Promise((res) => srv.listen(0, '127.0.0.1', () => res(srv.address().port)));
}

async function main() {
  const echo = net.createServer((s) => {
    s.on('data', (d) => { if (!s.write(d)) { s.pause(); s.once('drain', () => s.resume()); } });
    s.on('end', () => s.end());
  });
  let port = await listen(echo);
  let proxy;
  if (mode === 'proxy') {
    const echoPort = port;
    // allowHalfOpen on both proxy legs: the client's FIN must travel through to the
    // echo server while the echoed bytes still flow back (without it, the proxy's
    // client leg ends itself at the client's FIN and drops the data still to come).
    proxy = net.createServer({ allowHalfOpen: true }, (a) => {
      const b = net.connect({ port: echoPort, host: '127.0.0.1', allowHalfOpen: true });
      a.pipe(b).pipe(a);
      a.on('error', () => b.destroy());
      b.on('error', () => a.destroy());
    });
    port = await listen(proxy);
  }
  const sentHash = crypto.createHash('sha256');
  const recvHash = crypto.createHash('sha256');
  let sent = 0;
  let received = 0;
  const t0 = process.hrtime.bigint();
  const c = net.connect(port, '127.0.0.1');
  c.on('data', (d) => { recvHash.update(d); received += d.length; });
  const pump = () => {
    while (sent < TOTAL) {
      const n = Math.min(CHUNK, TOTAL - sent);
      const off = r.int(block.length - n);
      const chunk = block.subarray(off, off + n);
      sentHash.update(chunk);
      sent += n;
      if (!c.write(chunk)) return;
    }
    c.end();
  };
  c.on('drain', pump);
  c.on('connect', pump);
  c.on('error', (e) => { report({ error: `${e.code} ${e.message}`, sent, received }); process.exit(3); });
  c.on('end', () => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    report({ sent, received, sentSha: sentHash.digest('hex'), receivedSha: recvHash.digest('hex'), ms });
    echo.close();
    if (proxy) proxy.close();
  });
}
main();

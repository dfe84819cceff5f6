'use strict';
// Child for the lifecycle part (argv: module scenario [n]). Each scenario must end
// with exit code 0 by itself; the parent checks the exit, a deadline and signals.
//   exit-open:  n open sockets (n/2 connections, both ends here, bytes in flight),
//               then process.exit(0)
//   workers:    20 worker threads load the module and echo traffic; all are
//               terminated mid-transfer; 5 rounds (n = '20x5'); then the main thread returns
//   unref:      a listening server, unref()'d: the process must exit on its own
const { Worker, isMainThread, workerData, parentPort } = require('worker_threads');
const { loadModule } = require('../lib/common');

if (!isMainThread) {
  // Worker: an echo server and a client pumping through it until terminated.
  const net = loadModule(workerData.mod);
  const srv = net.createServer((s) => s.pipe(s));
  srv.listen(0, '127.0.0.1', () => {
    const c = net.connect(srv.address().port, '127.0.0.1');
    const b = Buffer.alloc(64 * 1024, 1);
    let got = 0;
    const go = () => { while (c.write(b)); };
    c.on('connect', go);
    c.on('drain', go);
    c.on('data', (d) => { got += d.length; if (got > 1024 * 1024 && !workerData.told) { workerData.told = true; parentPort.postMessage('flowing'); } });
  });
} else {
  const [modName, scenario, nArg] = process.argv.slice(2);
  const net = loadModule(modName);
  const scenarios = {
    async 'exit-open'() {
      const pairs = Math.floor(Number(nArg || 10000) / 2);
      const srv = net.createServer((s) => { s.on('error', () => {}); s.write(Buffer.alloc(16 * 1024)); });
      await new Promise((r) => srv.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r));
      let up = 0;
      await new Promise((resolve, reject) => {
        let started = 0;
        const more = () => {
          // At most 256 connects in flight: the accept backlog is finite.
          while (started < pairs && started - up < 256) {
            started++;
            const c = net.connect(srv.address().port, '127.0.0.1');
            c.on('error', reject);
            c.on('connect', () => { c.write('x'.repeat(1000)); if (++up === pairs) resolve(); else more(); });
          }
        };
        more();
      });
      await new Promise((r) => srv.getConnections((e, n) => { process.stdout.write(`open ${up} client + ${n} server sockets\n`); r(); }));
      process.exit(0);
    },
    async workers() {
      const [count, rounds] = String(nArg || '20x5').split('x').map(Number);
      for (let round = 0; round < rounds; round++) {
        const ws = Array.from({ length: count }, () => new Worker(__filename, { workerData: { mod: modName } }));
        // Terminate once every worker has bytes flowing (or after 3 s for the slow ones).
        await Promise.race([
          Promise.all(ws.map((w) => new Promise((r) => w.once('message', r)))),
          new Promise((r) => setTimeout(r, 3000)),
        ]);
        const codes = await Promise.all(ws.map((w) => w.terminate()));
        process.stdout.write(`round ${round}: terminated ${codes.length}\n`);
      }
    },
    async unref() {
      // The accepted socket is unref'd too: an unref'd server's connections keep
      // the process alive on their own, in net as well.
      const srv = net.createServer((s) => s.unref());
      srv.listen(0, '127.0.0.1', () => srv.unref());
      // And an unref'd client connected to it, idle.
      srv.on('listening', () => { const c = net.connect(srv.address().port, '127.0.0.1'); c.unref(); });
    },
  };
  scenarios[scenario]().catch((e) => { console.error(e); process.exit(2); });
}

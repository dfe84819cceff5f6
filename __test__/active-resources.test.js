'use strict';
// process.getActiveResourcesInfo() names the handles that keep the process alive; tools
// that hunt for open handles read it. rsnet's sockets and servers must show there as
// Node's own do: ref'd and open ones, under Node's names, gone once unref'd or closed.
const { test } = require('node:test');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const P = require('./helpers/parity');

// What was added to the list since `before` (a multiset difference), sorted.
function added(before, now) {
  const left = [...before];
  const out = [];
  for (const name of now) {
    const at = left.indexOf(name);
    if (at >= 0) left.splice(at, 1);
    else out.push(name);
  }
  return out.sort();
}

test('open rsnet sockets and servers are listed as TCPServerWrap, TCPSocketWrap and PipeWrap; unref and close take them out', { timeout: 30_000 }, async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-resources-'));
    try {
      const before = process.getActiveResourcesInfo();
      const accepted = [];
      const bothAccepted = P.deferred(10_000, 'two accepted connections');
      const onConnection = (s) => {
        accepted.push(s);
        if (accepted.length === 2) bothAccepted.resolve();
      };
      const tcp = await scope.server(mod, { onConnection });
      const pipe = scope.track(mod.createServer(onConnection));
      await P.listen(pipe, path.join(dir, 's.sock'));
      const tcpClient = scope.track(mod.connect(tcp.address().port, '127.0.0.1'));
      const pipeClient = scope.track(mod.connect(path.join(dir, 's.sock')));
      await Promise.all([P.once(tcpClient, 'connect'), P.once(pipeClient, 'connect')]);
      await bothAccepted.promise;
      // Off the connect callbacks: no connect request is in flight any more.
      await new Promise((resolve) => setImmediate(resolve));
      const open = added(before, process.getActiveResourcesInfo());
      tcpClient.unref();
      const unrefd = added(before, process.getActiveResourcesInfo());
      const sockets = [tcpClient, pipeClient, ...accepted];
      for (const s of sockets) s.destroy();
      await Promise.all(sockets.map((s) => P.once(s, 'close', { rejectOnError: false })));
      await P.closeServer(tcp);
      await P.closeServer(pipe);
      // A handle leaves Node's list in libuv's close phase, after its 'close' event, and
      // how many loop turns that takes varies with the machine's load (built-in net's
      // own run kept a server and a pipe listed one turn too long under CI): wait,
      // bounded, for the list to settle.
      let closed = added(before, process.getActiveResourcesInfo());
      for (let turn = 0; turn < 100 && closed.length > 0; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        closed = added(before, process.getActiveResourcesInfo());
      }
      return { open, unrefd, closed };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  P.assertParity(results, {
    open: ['PipeWrap', 'PipeWrap', 'PipeWrap', 'TCPServerWrap', 'TCPSocketWrap', 'TCPSocketWrap'],
    unrefd: ['PipeWrap', 'PipeWrap', 'PipeWrap', 'TCPServerWrap', 'TCPSocketWrap'],
    closed: [],
  });
});

'use strict';
// What socket.getTCPInfo() costs per call (rsnet beyond net, issue #20): it is meant to
// be cheap enough to call per request. One connected socket over 127.0.0.1, calls in a
// tight loop, wall time per call; the median of several rounds. For scale, the same
// loop over a getsockname(2) on the handle, with built-in net and with rsnet (both one
// syscall and a small result object).
//
//   node benchmark/tcp-info.js [--calls N] [--rounds R]
//
// Run it pinned for steadier numbers: taskset -c 1 node benchmark/tcp-info.js

const { parseArgs } = require('node:util');
const builtin = require('node:net');
const rsnet = require('..');

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '7' },
  },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);

async function connectedPair(net) {
  const server = net.createServer((s) => s.resume());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = net.connect(server.address().port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  client.write('x'.repeat(1000));
  return { server, client };
}

// Nanoseconds per call of `fn`, median of ROUNDS rounds of CALLS calls.
function measure(fn) {
  let sink = 0;
  for (let i = 0; i < 10_000; i++) sink += fn() ? 1 : 0; // warm up (JIT)
  const perCall = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) sink += fn() ? 1 : 0;
    perCall.push(Number(process.hrtime.bigint() - start) / CALLS);
  }
  perCall.sort((a, b) => a - b);
  if (sink < 0) console.log(sink);
  return perCall[perCall.length >> 1];
}

async function main() {
  const r = await connectedPair(rsnet);
  const n = await connectedPair(builtin);
  const slots = new Float64Array(rsnet.Socket.prototype.getTCPInfo ? 64 : 0);
  const out = {};
  const rows = [
    ['rsnet socket.getTCPInfo()', () => r.client.getTCPInfo()],
    ['rsnet handle.tcpInfo(slots) (native part alone)', () => r.client._handle.tcpInfo(slots) === 0],
    ['rsnet handle.getsockname(out) (for scale)', () => r.client._handle.getsockname(out) === 0],
    ['net handle.getsockname(out) (for scale)', () => n.client._handle.getsockname(out) === 0],
  ];
  console.log(`${CALLS} calls x ${ROUNDS} rounds, median ns per call, node ${process.version}, ` +
    `RSNET_DRIVER=${process.env.RSNET_DRIVER || '(default)'}\n`);
  console.log('| call | ns per call |\n|---|--:|');
  for (const [name, fn] of rows) console.log(`| ${name} | ${measure(fn).toFixed(0)} |`);
  for (const { server, client } of [r, n]) {
    client.destroy();
    server.close();
  }
}

main();

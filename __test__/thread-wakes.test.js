'use strict';
// The loop driver's promise: accepts, connects and established traffic all run on the
// JS thread, inside Node's own loop, so a connection's life wakes no runtime thread.
// Counted, not timed: the context switches of rsnet's runtime threads (named
// rsnet-io) over a few hundred whole connection lives, TCP and Unix. A connect that
// finished on a runtime thread cost two or three of them per connection.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DRIVER, impls: { rsnet } } = require('./helpers/harness');

const CONNECTIONS = 200;
// Room for the odd wake the runtime may have of its own, far below one per connection.
const MAX_SWITCHES = 20;

// Context switches so far of this process's rsnet runtime threads (0 with none).
function runtimeSwitches() {
  let total = 0;
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const dir = `/proc/self/task/${tid}`;
    try {
      if (fs.readFileSync(`${dir}/comm`, 'utf8').trim() !== 'rsnet-io') continue;
      const status = fs.readFileSync(`${dir}/status`, 'utf8');
      for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) total += Number(m[1]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return total;
}

// One whole life: connect, one byte echoed, end, both sides closed.
function oneConnection(address) {
  return new Promise((resolve, reject) => {
    const client = rsnet.connect(address, () => client.write('x'));
    client.on('data', () => client.end());
    client.on('error', reject);
    client.on('close', resolve);
  });
}

async function lives(listenArgs, connectArgs) {
  const server = rsnet.createServer((socket) => {
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => socket.end());
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...listenArgs, resolve);
  });
  const address = connectArgs(server);
  // The first connection starts whatever is started lazily (the runtime among it).
  await oneConnection(address);
  const before = runtimeSwitches();
  for (let i = 0; i < CONNECTIONS; i++) await oneConnection(address);
  const switches = runtimeSwitches() - before;
  await new Promise((resolve) => server.close(resolve));
  return switches;
}

test(`[${DRIVER}] ${CONNECTIONS} TCP connections wake no runtime thread under the loop driver`,
  { timeout: 60_000, skip: DRIVER !== 'loop' && 'the threaded driver reads and flushes on runtime threads' },
  async () => {
    const switches = await lives([0, '127.0.0.1'], (server) => ({ port: server.address().port, host: '127.0.0.1' }));
    assert.ok(switches <= MAX_SWITCHES, `runtime threads switched ${switches} times over ${CONNECTIONS} connections`);
  });

test(`[${DRIVER}] ${CONNECTIONS} Unix-socket connections wake no runtime thread under the loop driver`,
  { timeout: 60_000, skip: DRIVER !== 'loop' && 'the threaded driver reads and flushes on runtime threads' },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-wakes-'));
    try {
      const sock = path.join(dir, 's.sock');
      const switches = await lives([sock], () => ({ path: sock }));
      assert.ok(switches <= MAX_SWITCHES, `runtime threads switched ${switches} times over ${CONNECTIONS} connections`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

'use strict';
// Observability as Node's: NODE_DEBUG=net prints the same life-cycle lines, in the
// same order, as built-in net (one side of a connection per child process, the peer
// being this process, so no cross-socket interleaving is compared); the
// net.client.socket and net.server.socket diagnostics channels fire with rsnet's sockets.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const dc = require('node:diagnostics_channel');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const builtin = require('node:net');
// DRIVERS: both drivers, or the one of this `npm test` run.
const { impls: { rsnet }, DRIVERS } = require('./helpers/harness');

const FIXTURE = path.join(__dirname, 'fixtures', 'debug', 'debug-net.js');
// Lines Node prints from the connect path (lookup, connect attempts, afterConnect):
// rsnet's lib/connect.js does not print them yet.
const CONNECT_PATH = [/^pipe /, /^connect: /, /^connect\/multiple: /, /^afterConnect$/];

function within(promise, ms, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

// The debug entries of a NODE_DEBUG=net run, pid and numbers of 4+ digits (ports,
// temporary paths) normalized. An entry may span lines (inspected objects).
function entries(stderr) {
  return stderr.split(/^NET \d+: /m).slice(1)
    .map((e) => e.trimEnd().replace(/\d{4,}/g, 'N'));
}

// Runs one side of a scenario with NODE_DEBUG=net; `peer(firstLine)` plays the other
// side in this process. Resolves with the child's debug entries.
function runSide(impl, scenario, target, driver, peer) {
  const child = spawn(process.execPath, [FIXTURE, impl, scenario, String(target)], {
    env: { ...process.env, NODE_DEBUG: 'net', RSNET_DRIVER: driver },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.setEncoding('utf8');
  child.stdout.once('data', (line) => peer(line.trim()));
  const exited = new Promise((resolve) => child.on('close', resolve));
  return within(exited, 10000, `${impl} ${scenario}`).then((code) => {
    assert.equal(code, 0, stderr);
    return entries(stderr);
  }, (err) => {
    child.kill('SIGKILL');
    throw err;
  });
}

// A built-in net server for client scenarios: reads to the FIN, answers and ends.
async function peerServer() {
  const server = builtin.createServer((socket) => {
    socket.on('error', () => {});
    socket.resume();
    socket.on('end', () => socket.end('bye'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const connectTo = (target) => (line) => {
  const socket = builtin.connect(target === 'port' ? Number(line) : target, '127.0.0.1');
  socket.on('error', () => {});
  socket.resume();
  socket.end('x');
};

const scenarios = {
  'server-echo': async (impl, driver) => runSide(impl, 'server-echo', 0, driver, connectTo('port')),
  'server-reset': async (impl, driver) => runSide(impl, 'server-reset', 0, driver, connectTo('port')),
  'server-timeout': async (impl, driver) => {
    const file = path.join(os.tmpdir(), `rsnet-obs-${process.pid}.sock`);
    fs.rmSync(file, { force: true });
    return runSide(impl, 'server-timeout', file, driver, () => {
      builtin.connect(file).on('error', () => {}).resume();
    });
  },
  'client-echo': async (impl, driver) => {
    const server = await peerServer();
    try {
      return await runSide(impl, 'client-echo', server.address().port, driver, () => {});
    } finally {
      server.close();
    }
  },
  'client-reset': async (impl, driver) => {
    const server = await peerServer();
    try {
      return await runSide(impl, 'client-reset', server.address().port, driver, () => {});
    } finally {
      server.close();
    }
  },
  'client-refused': async (impl, driver) => {
    const server = await peerServer();
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    return runSide(impl, 'client-refused', port, driver, () => {});
  },
};

const withoutConnectPath = (list) => list.filter((e) => !CONNECT_PATH.some((re) => re.test(e)));

for (const driver of DRIVERS) {
  for (const [name, run] of Object.entries(scenarios)) {
    test(`[${driver}] NODE_DEBUG=net: ${name} prints Node's lines, in Node's order`, async () => {
      const node = await run('net', driver);
      const ours = await run('rsnet', driver);
      assert.ok(withoutConnectPath(node).length > 3, node.join('\n'));
      assert.deepEqual(withoutConnectPath(ours), withoutConnectPath(node));
    });
  }

  test(`[${driver}] NODE_DEBUG=net: the connect path's lines too`,
    async () => {
      for (const name of ['client-echo', 'client-refused']) {
        assert.deepEqual(await scenarios[name]('rsnet', driver), await scenarios[name]('net', driver), name);
      }
    });
}

const kind = (socket) => (Object.prototype.isPrototypeOf.call(rsnet.Socket.prototype, socket) ? 'rsnet' :
  socket instanceof builtin.Socket ? 'net' : '?');

for (const [name, net] of [['net', builtin], ['rsnet', rsnet]]) {
  test(`diagnostics_channel: net.client.socket and net.server.socket fire (${name})`, async () => {
    const events = [];
    const onClient = ({ socket }) => events.push(`net.client.socket ${kind(socket)}`);
    const onServer = ({ socket }) => events.push(`net.server.socket ${kind(socket)}`);
    dc.subscribe('net.client.socket', onClient);
    dc.subscribe('net.server.socket', onServer);
    try {
      await within(new Promise((resolve) => {
        const server = net.createServer((socket) => {
          events.push('connection');
          socket.end();
          socket.on('close', () => server.close(resolve));
        });
        server.listen(0, '127.0.0.1', () => {
          net.connect(server.address().port, '127.0.0.1').resume();
          // new Socket().connect() is not published, as in Node.
          new net.Socket().on('error', () => {}).connect(server.address().port, '127.0.0.1').resume();
        });
      }), 5000, 'a connection');
    } finally {
      dc.unsubscribe('net.client.socket', onClient);
      dc.unsubscribe('net.server.socket', onServer);
    }
    // Node publishes a server's socket after emitting 'connection'.
    assert.deepEqual(events.slice(0, 3),
      [`net.client.socket ${name}`, 'connection', `net.server.socket ${name}`]);
    assert.equal(events.filter((e) => e.startsWith('net.client.socket')).length, 1);
  });
}
